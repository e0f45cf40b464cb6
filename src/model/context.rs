//! The sample's own background: error rates per trinucleotide context and
//! substitution class (96 classes after strand collapse), and per
//! homopolymer length for insertions and deletions.
//!
//! METHOD: rates are pooled over all target positions of the sample. An
//! allele observation is left out of the pool when it looks real (>= 3
//! molecules and > 1% allele fraction), so germline and clear somatic
//! variants do not inflate the background. Each class rate is shrunk toward
//! the overall rate of its kind with a prior weight of [`PRIOR_WEIGHT`]
//! molecule-positions, so sparse classes borrow strength.

use crate::evidence::alleles::{base_index, Indel, PositionCounts, BASES};
use crate::evidence::engine::ShardEvidence;
use crate::reference::RefWindow;

/// Longest homopolymer class; longer runs share the last class.
pub const MAX_HP: usize = 10;
/// Prior weight (molecule-positions) pulling a class toward its kind's rate.
pub const PRIOR_WEIGHT: f64 = 10_000.0;
/// Smallest rate ever used (keeps p-values finite at perfect sites).
pub const MIN_RATE: f64 = 1e-7;

/// Alt molecules and opportunities (molecule-positions) of a class.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    pub alt: u64,
    pub depth: u64,
}

impl Tally {
    fn add(&mut self, alt: u64, depth: u64) {
        self.alt += alt;
        self.depth += depth;
    }
    fn raw(&self) -> f64 {
        if self.depth == 0 {
            0.0
        } else {
            self.alt as f64 / self.depth as f64
        }
    }
}

/// Class of an SNV: pyrimidine-centred trinucleotide x substitution, 0..96.
/// `None` when the context holds an N.
pub fn snv_class(ctx: [u8; 3], alt: u8) -> Option<usize> {
    let (ctx, alt) = if matches!(ctx[1], b'C' | b'T') {
        (ctx, alt)
    } else {
        (
            [complement(ctx[2]), complement(ctx[1]), complement(ctx[0])],
            complement(alt),
        )
    };
    let five = base_index(ctx[0])?;
    let three = base_index(ctx[2])?;
    let (refc, alt) = (ctx[1], base_index(alt)?);
    // Substitutions of C: A, G, T; of T: A, C, G → 6 types.
    let sub = match (refc, alt) {
        (b'C', 0) => 0,
        (b'C', 2) => 1,
        (b'C', 3) => 2,
        (b'T', 0) => 3,
        (b'T', 1) => 4,
        (b'T', 2) => 5,
        _ => return None,
    };
    Some(sub * 16 + five * 4 + three)
}

/// Human-readable name of an SNV class, e.g. `A[C>T]G`.
pub fn snv_class_name(class: usize) -> String {
    const SUBS: [&str; 6] = ["C>A", "C>G", "C>T", "T>A", "T>C", "T>G"];
    let (sub, five, three) = (class / 16, (class / 4) % 4, class % 4);
    format!(
        "{}[{}]{}",
        BASES[five] as char, SUBS[sub], BASES[three] as char
    )
}

fn complement(b: u8) -> u8 {
    match b {
        b'A' => b'T',
        b'C' => b'G',
        b'G' => b'C',
        b'T' => b'A',
        x => x,
    }
}

/// Trinucleotide around 0-based `pos`.
pub fn trinucleotide(w: &RefWindow, pos: i64) -> [u8; 3] {
    [w.base(pos - 1), w.base(pos), w.base(pos + 1)]
}

/// Length of the homopolymer run starting right after the anchor `pos`
/// (where a left-aligned indel sits), capped at [`MAX_HP`].
pub fn homopolymer_after(w: &RefWindow, pos: i64) -> usize {
    let b = w.base(pos + 1);
    let mut n = 1;
    while n < MAX_HP && w.base(pos + 1 + n as i64) == b && b != b'N' {
        n += 1;
    }
    n
}

/// Does this allele look like a real variant rather than noise?
fn looks_real(k: u32, n: u32) -> bool {
    k >= 3 && f64::from(k) > 0.01 * f64::from(n)
}

/// Fitted per-class background rates of one sample.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ContextRates {
    pub snv: Vec<Tally>,
    pub ins: Vec<Tally>,
    pub del: Vec<Tally>,
}

impl ContextRates {
    /// Pool the evidence of sample `sample` over all shards.
    pub fn estimate(evidence: &[ShardEvidence], sample: usize) -> Self {
        let mut r = ContextRates {
            snv: vec![Tally::default(); 96],
            ins: vec![Tally::default(); MAX_HP],
            del: vec![Tally::default(); MAX_HP],
        };
        for ev in evidence {
            let counts = &ev.samples[sample].counts;
            for (i, pc) in counts.positions.iter().enumerate() {
                let pos = (counts.start + i as u64) as i64;
                r.add_position(&ev.window, pos, pc);
            }
        }
        r
    }

    fn add_position(&mut self, w: &RefWindow, pos: i64, pc: &PositionCounts) {
        let n = pc.depth();
        if n == 0 {
            return;
        }
        let ctx = trinucleotide(w, pos);
        if let Some(ref_idx) = base_index(ctx[1]) {
            for (b, s) in pc.bases.iter().enumerate() {
                if b == ref_idx || looks_real(s.n, n) {
                    continue;
                }
                if let Some(c) = snv_class(ctx, BASES[b]) {
                    self.snv[c].add(u64::from(s.n), u64::from(n));
                }
            }
        }
        let hp = homopolymer_after(w, pos) - 1;
        let (mut ins, mut del) = (0u64, 0u64);
        for (indel, s) in &pc.indels {
            if looks_real(s.n, n) {
                continue;
            }
            match indel {
                Indel::Ins(_) => ins += u64::from(s.n),
                Indel::Del(_) => del += u64::from(s.n),
            }
        }
        self.ins[hp].add(ins, u64::from(n));
        self.del[hp].add(del, u64::from(n));
    }

    fn shrunk(classes: &[Tally], i: usize) -> f64 {
        let total = classes.iter().fold(Tally::default(), |mut t, c| {
            t.add(c.alt, c.depth);
            t
        });
        // Overall rate of the kind, with one pseudo-error per 1e6 so an
        // error-free panel does not give rate 0.
        let overall = (total.alt as f64 + 1.0) / (total.depth as f64 + 1e6);
        let c = classes[i];
        ((c.alt as f64 + PRIOR_WEIGHT * overall) / (c.depth as f64 + PRIOR_WEIGHT)).max(MIN_RATE)
    }

    /// Background rate of one SNV class.
    pub fn snv_rate(&self, class: usize) -> f64 {
        Self::shrunk(&self.snv, class)
    }

    /// Background rate of any insertion (or deletion) in a homopolymer class.
    pub fn indel_rate(&self, is_insertion: bool, hp_len: usize) -> f64 {
        let i = hp_len.clamp(1, MAX_HP) - 1;
        if is_insertion {
            Self::shrunk(&self.ins, i)
        } else {
            Self::shrunk(&self.del, i)
        }
    }

    /// Raw (unshrunk) rates by class name, for the metrics.
    pub fn report(&self) -> RateReport {
        RateReport {
            snv: (0..96)
                .map(|c| ClassRate {
                    class: snv_class_name(c),
                    alt: self.snv[c].alt,
                    depth: self.snv[c].depth,
                    rate: self.snv[c].raw(),
                })
                .collect(),
            insertion_by_homopolymer: self.ins.iter().map(Tally::raw).collect(),
            deletion_by_homopolymer: self.del.iter().map(Tally::raw).collect(),
        }
    }
}

/// One class's estimate, as written in the metrics.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClassRate {
    pub class: String,
    pub alt: u64,
    pub depth: u64,
    pub rate: f64,
}

/// The rates as written in the metrics.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RateReport {
    pub snv: Vec<ClassRate>,
    pub insertion_by_homopolymer: Vec<f64>,
    pub deletion_by_homopolymer: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strand_collapse_maps_complementary_changes_to_one_class() {
        // A[C>T]G on the plus strand equals C[G>A]T read on the minus strand.
        let a = snv_class(*b"ACG", b'T').unwrap();
        let b = snv_class(*b"CGT", b'A').unwrap();
        assert_eq!(a, b);
        assert_eq!(snv_class_name(a), "A[C>T]G");
        let all: std::collections::BTreeSet<usize> = [b'A', b'C', b'G', b'T']
            .iter()
            .flat_map(|&x| [b'A', b'C', b'G', b'T'].map(move |y| (x, y)))
            .flat_map(|(x, y)| [b'A', b'C', b'G', b'T'].map(move |r| [x, r, y]))
            .flat_map(|ctx| {
                [b'A', b'C', b'G', b'T']
                    .into_iter()
                    .filter_map(move |alt| snv_class(ctx, alt))
            })
            .collect();
        assert_eq!(all.len(), 96);
        assert_eq!(snv_class(*b"ANG", b'T'), None);
    }

    #[test]
    fn homopolymer_length_counts_the_run_after_the_anchor() {
        let w = RefWindow {
            start: 0,
            seq: b"GCAAAAATGC".to_vec(),
        };
        assert_eq!(homopolymer_after(&w, 1), 5);
        assert_eq!(homopolymer_after(&w, 6), 1);
    }

    #[test]
    fn real_variants_are_kept_out_of_the_background() {
        let w = RefWindow {
            start: 0,
            seq: b"ACGTACGTAC".to_vec(),
        };
        let mut pc = PositionCounts::default();
        pc.bases[1].n = 1000; // ref C at pos 1
        pc.bases[3].n = 50; // 5% T: real
        pc.bases[0].n = 1; // one A: noise
        let mut r = ContextRates {
            snv: vec![Tally::default(); 96],
            ins: vec![Tally::default(); MAX_HP],
            del: vec![Tally::default(); MAX_HP],
        };
        r.add_position(&w, 1, &pc);
        let ct = snv_class(*b"ACG", b'T').unwrap();
        let ca = snv_class(*b"ACG", b'A').unwrap();
        assert_eq!(r.snv[ct], Tally::default());
        assert_eq!(
            r.snv[ca],
            Tally {
                alt: 1,
                depth: 1051
            }
        );
    }
}
