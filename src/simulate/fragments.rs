//! cfDNA fragments: length distribution, the molecule's alignment to the
//! reference (columns), strand damage and the PCR genealogy of a family.

use super::genome::other_base;
use super::params::SimParams;
use super::variants::{Kind, Variant};
use crate::rng::Rng;

/// One base of a molecule aligned to the reference, or a deleted reference base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// Molecule base `b` aligned to reference position `r` (match or mismatch).
    M {
        /// 0-based reference position.
        r: u32,
        /// Base on the molecule.
        b: u8,
    },
    /// Inserted molecule base.
    I {
        /// Base on the molecule.
        b: u8,
    },
    /// Reference base `r` absent from the molecule.
    D {
        /// 0-based reference position.
        r: u32,
    },
}

impl Col {
    /// The molecule base, if this column has one.
    pub fn base(&self) -> Option<u8> {
        match *self {
            Col::M { b, .. } | Col::I { b } => Some(b),
            Col::D { .. } => None,
        }
    }
}

/// Draw a fragment length: a mononucleosome peak at `frag_mode` (with a
/// heavier short-side tail, as in plasma) and a dinucleosome peak at twice
/// the mode, truncated to `[frag_min, frag_max]`.
pub fn fragment_length(rng: &mut Rng, p: &SimParams) -> u32 {
    let mode = f64::from(p.frag_mode);
    loop {
        let x = if rng.bernoulli(p.dinucleosome_fraction) {
            rng.normal(2.0 * mode, 2.0 * p.frag_sd)
        } else if rng.bernoulli(0.8) {
            rng.normal(mode, p.frag_sd)
        } else {
            rng.normal(mode - 25.0, 2.0 * p.frag_sd)
        };
        let x = x.round();
        if x >= f64::from(p.frag_min) && x <= f64::from(p.frag_max) {
            return x as u32;
        }
    }
}

/// E[len / (target_len + len - 1)]: the chance that a fragment whose start is
/// uniform over the placements touching a target covers a given target base.
/// Estimated from a fixed-seed sample so the molecule count is reproducible.
pub fn coverage_fraction(p: &SimParams, target_len: u64) -> f64 {
    let mut rng = Rng::stream(p.seed, "coverage", target_len);
    let n = 4000;
    let s: f64 = (0..n)
        .map(|_| {
            let l = f64::from(fragment_length(&mut rng, p));
            l / (target_len as f64 + l - 1.0)
        })
        .sum();
    s / f64::from(n)
}

/// Build a molecule of `len` bases starting at reference `start`, carrying
/// the variants in `present` (sorted, non-overlapping). Returns the columns.
pub fn build_molecule(seq: &[u8], mut start: u64, len: u32, present: &[&Variant]) -> Vec<Col> {
    // A fragment cannot begin inside a deletion it carries.
    for v in present {
        if matches!(v.kind(), Kind::Del | Kind::Delins) && start > v.pos0 && start < v.end() {
            start = v.end();
        }
    }
    let mut cols = Vec::with_capacity(len as usize + 12);
    let mut r = start;
    let mut bases = 0u32;
    let mut vi = present.iter().filter(|v| v.pos0 >= start).peekable();
    while bases < len && (r as usize) < seq.len() {
        let here = vi.peek().filter(|v| v.pos0 == r).copied();
        match here {
            Some(v) => {
                vi.next();
                match v.kind() {
                    // An MNV's later bases are set below.
                    Kind::Snv | Kind::Mnv => {
                        cols.push(Col::M {
                            r: r as u32,
                            b: v.alt[0],
                        });
                        bases += 1;
                        r += 1;
                    }
                    Kind::Del => {
                        cols.push(Col::M {
                            r: r as u32,
                            b: v.ref_allele[0],
                        });
                        bases += 1;
                        for d in v.pos0 + 1..v.end() {
                            cols.push(Col::D { r: d as u32 });
                        }
                        r = v.end();
                    }
                    Kind::Delins => {
                        delins_cols(&mut cols, v);
                        bases += 1;
                        r = v.end();
                    }
                    Kind::Ins => {
                        cols.push(Col::M {
                            r: r as u32,
                            b: v.ref_allele[0],
                        });
                        bases += 1;
                        for &b in &v.alt[1..] {
                            if bases < len {
                                cols.push(Col::I { b });
                                bases += 1;
                            }
                        }
                        r += 1;
                    }
                }
            }
            None => {
                cols.push(Col::M {
                    r: r as u32,
                    b: seq[r as usize],
                });
                bases += 1;
                r += 1;
            }
        }
    }
    while matches!(cols.last(), Some(Col::D { .. })) {
        cols.pop();
    }
    set_mnv_bases(&mut cols, present);
    cols
}

/// Every base of a carried MNV, also when the fragment starts inside it.
fn set_mnv_bases(cols: &mut [Col], present: &[&Variant]) {
    for v in present.iter().filter(|v| v.kind() == Kind::Mnv) {
        for c in cols.iter_mut() {
            if let Col::M { r, b } = c {
                if let Some(i) = u64::from(*r).checked_sub(v.pos0) {
                    if let Some(&x) = v.alt.get(i as usize) {
                        *b = x;
                    }
                }
            }
        }
    }
}

/// The columns of a delins (REF `len + 1` bases, ALT one) as an aligner
/// writes it: the substitution then the deletion, or the deletion then the
/// substitution (by the event's position, half and half over a data set;
/// the two score alike for an aligner, and the caller must key them as
/// one allele).
fn delins_cols(cols: &mut Vec<Col>, v: &Variant) {
    let (first, last) = (v.pos0, v.end() - 1);
    let mismatch_first = v.pos0.is_multiple_of(2);
    let at = if mismatch_first { first } else { last };
    if mismatch_first {
        cols.push(Col::M {
            r: at as u32,
            b: v.alt[0],
        });
    }
    for d in (first..=last).filter(|&d| d != at) {
        cols.push(Col::D { r: d as u32 });
    }
    if !mismatch_first {
        cols.push(Col::M {
            r: at as u32,
            b: v.alt[0],
        });
    }
}

/// Replication slippage: in each homopolymer run of >= 5 plain aligned bases,
/// with probability `rate * (run - 4)` delete or insert one base, placed at
/// the run's first base so the alignment stays left-aligned.
pub fn slip(rng: &mut Rng, cols: &mut Vec<Col>, rate: f64) {
    if rate <= 0.0 {
        return;
    }
    let mut i = 0;
    let mut edits: Vec<(usize, bool)> = Vec::new();
    while i < cols.len() {
        let Col::M { b, .. } = cols[i] else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < cols.len() && matches!(cols[j], Col::M { b: x, .. } if x == b) {
            j += 1;
        }
        let n = j - i;
        // Only whole runs: the base before must differ (or the run starts the read).
        let prev_differs = i == 0 || cols[i - 1].base() != Some(b);
        let next_differs = j == cols.len() || cols[j].base() != Some(b);
        if n >= 5 && prev_differs && next_differs && rng.bernoulli(rate * (n as f64 - 4.0)) {
            edits.push((i, rng.bernoulli(0.5)));
        }
        i = j;
    }
    for &(i, delete) in edits.iter().rev() {
        if let Col::M { r, b } = cols[i] {
            if delete {
                cols[i] = Col::D { r };
            } else {
                cols.insert(i, Col::I { b });
            }
        }
    }
}

/// Substitute each molecule base with probability `rate`.
pub fn substitute(rng: &mut Rng, cols: &mut [Col], rate: f64) {
    if rate <= 0.0 {
        return;
    }
    let n = cols.len() as u64;
    let mut i = rng.geometric(rate);
    while i < n {
        match &mut cols[i as usize] {
            Col::M { b, .. } | Col::I { b } => *b = other_base(rng, *b),
            Col::D { .. } => {}
        }
        i += 1 + rng.geometric(rate);
    }
}

/// 8-oxoG damage on one original strand: reference-forward `from` bases
/// become `to` with probability `rate` (G>T on the top strand, C>A on the
/// bottom), so every copy of that strand, and both mates, carry it.
pub fn damage(rng: &mut Rng, cols: &mut [Col], from: u8, to: u8, rate: f64) {
    if rate <= 0.0 {
        return;
    }
    for c in cols.iter_mut() {
        if let Col::M { b, .. } = c {
            if *b == from && rng.bernoulli(rate) {
                *b = to;
            }
        }
    }
}

/// One sequenced copy of a molecule.
#[derive(Debug, Clone)]
pub struct Copy {
    /// Top (original forward) strand: read 1 forward (F1R2); else bottom (F2R1).
    pub top: bool,
    /// The copy's sequence aligned to the reference.
    pub cols: Vec<Col>,
}

/// Read pairs of one PCR family: `1 + Poisson(family_size - 1)`, or with
/// `--family-dispersion R > 0` `1 + NegativeBinomial(mean family_size - 1,
/// size R)` (a gamma-Poisson mixture: over-dispersed families with more
/// singletons, `P(1 copy) = (R / (R + family_size - 1))^R`, as PCR
/// amplification bias gives). R = 0 makes the same draws as before the
/// option existed, so those simulations keep their bytes.
pub fn family_copies(rng: &mut Rng, p: &SimParams) -> usize {
    let extra = if p.family_dispersion > 0.0 {
        rng.negative_binomial(p.family_size - 1.0, p.family_dispersion)
    } else {
        rng.poisson(p.family_size - 1.0)
    };
    1 + extra as usize
}

/// A PCR family of [`family_copies`] copies. Each copy is made
/// from its strand's damaged original or from an earlier copy of the same
/// strand (uniformly), inheriting that parent's errors and adding its own
/// (substitutions at `pcr_error_rate`, slippage at half `hp_indel_rate`):
/// early errors are shared by part of the family.
pub fn pcr_family(rng: &mut Rng, p: &SimParams, mol: &[Col]) -> Vec<Copy> {
    let n = family_copies(rng, p);
    let mut roots = [mol.to_vec(), mol.to_vec()];
    damage(rng, &mut roots[0], b'G', b'T', p.oxog_rate);
    damage(rng, &mut roots[1], b'C', b'A', p.oxog_rate);
    let mut copies: Vec<Copy> = Vec::with_capacity(n);
    for _ in 0..n {
        let top = rng.bernoulli(0.5);
        let same: Vec<usize> = (0..copies.len())
            .filter(|&i| copies[i].top == top)
            .collect();
        let pick = rng.below(same.len() as u64 + 1) as usize;
        let mut cols = if pick == same.len() {
            roots[usize::from(!top)].clone()
        } else {
            copies[same[pick]].cols.clone()
        };
        substitute(rng, &mut cols, p.pcr_error_rate);
        slip(rng, &mut cols, p.hp_indel_rate / 2.0);
        copies.push(Copy { top, cols });
    }
    copies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::variants::Origin;

    #[test]
    fn fragment_length_mode_and_shoulder() {
        let p = SimParams::default();
        let mut rng = Rng::new(5);
        let mut hist = vec![0u32; 600];
        for _ in 0..100_000 {
            hist[fragment_length(&mut rng, &p) as usize] += 1;
        }
        // Smooth over 5 bp, then find the mode.
        let smooth = |i: usize| hist[i - 2..=i + 2].iter().sum::<u32>();
        let mode = (60..440).max_by_key(|&i| smooth(i)).unwrap();
        assert!((162..=172).contains(&mode), "mode {mode}");
        let shoulder = (300..360).map(|i| hist[i]).sum::<u32>();
        let valley = (240..260).map(|i| hist[i]).sum::<u32>() * 3;
        assert!(shoulder > valley, "shoulder {shoulder} valley {valley}");
        assert!(hist[..60].iter().all(|&c| c == 0) && hist[451..].iter().all(|&c| c == 0));
    }

    fn var(pos0: u64, r: &[u8], a: &[u8]) -> Variant {
        Variant {
            tid: 0,
            pos0,
            ref_allele: r.to_vec(),
            alt: a.to_vec(),
            vaf: 0.5,
            origin: Origin::Somatic,
            hp_len: 0,
        }
    }

    #[test]
    fn molecule_carries_variants_with_exact_columns() {
        let seq = b"ACGTACGTACGTACGTACGT";
        let snv = var(2, b"G", b"T");
        let del = var(5, b"CGT", b"C");
        let ins = var(10, b"G", b"GAA");
        let cols = build_molecule(seq, 0, 14, &[&snv, &del, &ins]);
        let bases: Vec<u8> = cols.iter().filter_map(|c| c.base()).collect();
        assert_eq!(bases, b"ACTTACACGAATAC".to_vec());
        assert_eq!(cols[6], Col::D { r: 6 });
        assert_eq!(cols[7], Col::D { r: 7 });
        assert_eq!(cols[11], Col::I { b: b'A' });
    }

    #[test]
    fn slippage_hits_long_runs_only() {
        let seq = b"CAAAAAAAAAGTC";
        let mut rng = Rng::new(3);
        let mut dels = 0;
        for _ in 0..200 {
            let mut cols = build_molecule(seq, 0, 13, &[]);
            slip(&mut rng, &mut cols, 0.2);
            if cols.iter().any(|c| matches!(c, Col::D { r: 1 })) {
                dels += 1;
            }
            assert!(cols.iter().all(|c| match c {
                Col::D { r } => *r == 1,
                Col::I { b } => *b == b'A',
                _ => true,
            }));
        }
        assert!(dels > 20, "{dels}");
    }

    #[test]
    fn dispersed_families_have_the_negative_binomial_share_of_singletons() {
        // --family-size 4 --family-dispersion 2: P(1 copy) = (2/5)^2 = 16%,
        // against e^-3 = 5% for Poisson families of the same mean.
        let n = 200_000;
        let share_read_once = |p: &SimParams, seed| {
            let mut rng = Rng::new(seed);
            let sizes: Vec<usize> = (0..n).map(|_| family_copies(&mut rng, p)).collect();
            let once = sizes.iter().filter(|&&k| k == 1).count() as f64 / n as f64;
            let mean = sizes.iter().sum::<usize>() as f64 / n as f64;
            (once, mean)
        };
        let nb = SimParams {
            family_size: 4.0,
            family_dispersion: 2.0,
            ..SimParams::default()
        };
        let (once, mean) = share_read_once(&nb, 21);
        assert!((once - 0.16).abs() < 0.005, "{once}");
        assert!((mean - 4.0).abs() < 0.05, "{mean}");
        let poisson = SimParams {
            family_dispersion: 0.0,
            ..nb
        };
        let (once, mean) = share_read_once(&poisson, 21);
        assert!((once - (-3.0f64).exp()).abs() < 0.003, "{once}");
        assert!((mean - 4.0).abs() < 0.05, "{mean}");
    }

    #[test]
    fn poisson_families_draw_as_before_the_dispersion_option() {
        // R = 0 must consume the stream exactly as `1 + poisson` did, so
        // every earlier simulation keeps its bytes.
        let p = SimParams {
            family_size: 4.0,
            ..SimParams::default()
        };
        let (mut a, mut b) = (Rng::new(8), Rng::new(8));
        for _ in 0..1000 {
            assert_eq!(family_copies(&mut a, &p), 1 + b.poisson(3.0) as usize);
        }
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn oxog_damage_is_strand_specific_and_shared_by_the_strand_family() {
        let seq = b"GGGGCCCCAAAATTTTGCGCGCGCATATATGGCC";
        let mol = build_molecule(seq, 0, seq.len() as u32, &[]);
        let p = SimParams {
            oxog_rate: 0.5,
            pcr_error_rate: 0.0,
            hp_indel_rate: 0.0,
            family_size: 12.0,
            ..SimParams::default()
        };
        let mut rng = Rng::new(9);
        let fam = pcr_family(&mut rng, &p, &mol);
        assert!(fam.len() > 3);
        for strand in [true, false] {
            let copies: Vec<&Copy> = fam.iter().filter(|c| c.top == strand).collect();
            for c in &copies {
                for (x, m) in c.cols.iter().zip(&mol) {
                    let (Col::M { b: got, .. }, Col::M { b: was, .. }) = (x, m) else {
                        panic!("no indels expected");
                    };
                    if got != was {
                        let expect = if strand { (b'G', b'T') } else { (b'C', b'A') };
                        assert_eq!((*was, *got), expect);
                    }
                }
                // Every copy of a strand carries the same damage.
                assert_eq!(c.cols, copies[0].cols);
            }
        }
    }

    #[test]
    fn pcr_errors_are_shared_by_part_of_a_family() {
        let seq: Vec<u8> = b"ACGTTGCAAGCTTCGA"
            .iter()
            .cycle()
            .take(160)
            .copied()
            .collect();
        let mol = build_molecule(&seq, 0, 160, &[]);
        let p = SimParams {
            oxog_rate: 0.0,
            pcr_error_rate: 0.01,
            hp_indel_rate: 0.0,
            family_size: 10.0,
            ..SimParams::default()
        };
        let mut rng = Rng::new(4);
        let (mut partly_shared, mut families) = (0, 0);
        for _ in 0..50 {
            let fam = pcr_family(&mut rng, &p, &mol);
            if fam.len() < 4 {
                continue;
            }
            families += 1;
            // Positions where some, but not all, copies differ from the molecule.
            let found = (0..mol.len()).any(|i| {
                let n = fam.iter().filter(|c| c.cols[i] != mol[i]).count();
                n >= 2 && n < fam.len()
            });
            partly_shared += usize::from(found);
        }
        assert!(
            families > 30 && partly_shared > families / 2,
            "{partly_shared}/{families}"
        );
    }
}
