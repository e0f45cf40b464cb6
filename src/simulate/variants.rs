//! Truth variants: somatic SNVs, indels, MNVs and long indels at the chosen
//! VAFs and germline heterozygous / homozygous variants, all in normalised
//! VCF form (left-aligned, parsimonious, one record per MNV).

use super::genome::{other_base, Genome};
use super::panel::Target;
use super::params::SimParams;
use crate::rng::Rng;
use crate::{Error, Result};

/// Where a truth variant comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Tumor-derived, present on a fragment with probability = VAF.
    Somatic,
    /// Germline heterozygous on haplotype `hap` (0 or 1).
    GermlineHet {
        /// Haplotype carrying the alt allele.
        hap: u8,
    },
    /// Germline homozygous: on every fragment.
    GermlineHom,
    /// Clonal haematopoiesis: a blood-cell clone, in plasma at the VAF and
    /// in the matched normal at VAF / [`CHIP_BLOOD_SHARE`].
    Chip,
}

/// Share of plasma DNA from blood cells: a CHIP clone's fraction in the
/// white blood cells is its plasma fraction divided by this.
pub const CHIP_BLOOD_SHARE: f64 = 0.8;

/// Variant class, as the scorer bins them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Single-base substitution.
    Snv,
    /// Multi-nucleotide variant: REF and ALT of equal length > 1, first and
    /// last bases changed (a middle base may be unchanged).
    Mnv,
    /// Insertion (ref is the anchor base).
    Ins,
    /// Deletion (alt is the anchor base).
    Del,
    /// Delins: REF and ALT of different lengths whose first (and last)
    /// bases differ (a deletion with a substitution beside it).
    Delins,
}

/// One truth variant in VCF form: `pos0` is the 0-based position of the
/// first REF base (the anchor base for indels); indels are left-aligned.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Contig index.
    pub tid: usize,
    /// 0-based position of REF's first base.
    pub pos0: u64,
    /// REF allele.
    pub ref_allele: Vec<u8>,
    /// ALT allele.
    pub alt: Vec<u8>,
    /// Expected allele fraction (somatic: the chosen VAF; het 0.5; hom 1.0).
    pub vaf: f64,
    /// Somatic or germline.
    pub origin: Origin,
    /// For indels: length of the homopolymer run right after the anchor (0 otherwise).
    pub hp_len: u32,
}

impl Variant {
    /// SNV, MNV, insertion, deletion or delins.
    pub fn kind(&self) -> Kind {
        if self.ref_allele.len() != self.alt.len() && self.ref_allele[0] != self.alt[0] {
            return Kind::Delins;
        }
        match self.ref_allele.len().cmp(&self.alt.len()) {
            std::cmp::Ordering::Equal if self.ref_allele.len() == 1 => Kind::Snv,
            std::cmp::Ordering::Equal => Kind::Mnv,
            std::cmp::Ordering::Less => Kind::Ins,
            std::cmp::Ordering::Greater => Kind::Del,
        }
    }

    /// Reference span, 0-based half-open.
    pub fn end(&self) -> u64 {
        self.pos0 + self.ref_allele.len() as u64
    }

    /// Whether it is somatic.
    pub fn is_somatic(&self) -> bool {
        self.origin == Origin::Somatic
    }
}

/// Left-align and trim an allele pair against `seq` (vt-style normalisation):
/// drop a shared last base while possible, extending to the left with
/// reference bases when an allele empties, then trim shared leading bases
/// while both alleles keep at least one.
pub fn normalize(
    seq: &[u8],
    mut pos0: u64,
    mut r: Vec<u8>,
    mut a: Vec<u8>,
) -> (u64, Vec<u8>, Vec<u8>) {
    loop {
        let mut changed = false;
        if !r.is_empty() && !a.is_empty() && r.last() == a.last() {
            r.pop();
            a.pop();
            changed = true;
        }
        if (r.is_empty() || a.is_empty()) && pos0 > 0 {
            pos0 -= 1;
            let b = seq[pos0 as usize];
            r.insert(0, b);
            a.insert(0, b);
            changed = true;
        }
        if !changed {
            break;
        }
    }
    while r.len() >= 2 && a.len() >= 2 && r[0] == a[0] {
        r.remove(0);
        a.remove(0);
        pos0 += 1;
    }
    (pos0, r, a)
}

/// Length of the run of `seq[i]` starting at `i`.
fn run_len(seq: &[u8], i: usize) -> u32 {
    let b = seq[i];
    seq[i..].iter().take_while(|&&x| x == b).count() as u32
}

/// Minimum distance between two truth variants' spans (bp).
pub const MIN_SPACING: u64 = 15;

#[derive(Clone, Copy)]
enum Want {
    Snv,
    HpIndel,
    Indel,
    /// Two substitutions, adjacent (`gap` false) or one unchanged base apart.
    Mnv {
        gap: bool,
    },
    /// Deletion of this many bases.
    LongDel(usize),
    /// Tandem duplication of 9-30 bases.
    LongIns,
    /// Deletion of this many bases with a substitution beside it.
    Delins(usize),
}

/// Draw every truth variant for `p`, sorted by (tid, pos0). Variants sit
/// inside non-paralog targets, [`MIN_SPACING`] apart.
pub fn generate(p: &SimParams, g: &Genome, targets: &[Target]) -> Result<Vec<Variant>> {
    // LONG: the plan and the placement draw from one stream in a fixed order (the truth VCF's bytes depend on it).
    let mut rng = Rng::stream(p.seed, "variants", 0);
    let usable: Vec<Target> = targets.iter().copied().filter(|t| !t.paralog).collect();
    let mut plan: Vec<(Want, f64, Origin)> = Vec::new();
    for vaf in p.somatic_vafs() {
        for _ in 0..p.snvs_per_vaf {
            plan.push((Want::Snv, vaf, Origin::Somatic));
        }
        for i in 0..p.indels_per_vaf {
            let w = if i % 2 == 0 {
                Want::HpIndel
            } else {
                Want::Indel
            };
            plan.push((w, vaf, Origin::Somatic));
        }
        // After the older kinds, so with 0 of these the draws are unchanged.
        for i in 0..p.mnvs_per_vaf {
            plan.push((Want::Mnv { gap: i % 2 == 1 }, vaf, Origin::Somatic));
        }
        for i in 0..p.long_indels_per_vaf {
            let w = match (i % 2, (i / 2) % 2) {
                (0, 0) => Want::LongDel(15),
                (0, _) => Want::LongDel(18),
                _ => Want::LongIns,
            };
            plan.push((w, vaf, Origin::Somatic));
        }
        for i in 0..p.delins_per_vaf {
            let len = if i % 2 == 0 { 15 } else { 18 };
            plan.push((Want::Delins(len), vaf, Origin::Somatic));
        }
    }
    let germ = |i: usize| {
        if i % 3 == 2 {
            (1.0, Origin::GermlineHom)
        } else {
            (0.5, Origin::GermlineHet { hap: (i % 2) as u8 })
        }
    };
    for i in 0..p.germline_snvs {
        let (v, o) = germ(i);
        plan.push((Want::Snv, v, o));
    }
    for i in 0..p.germline_indels {
        let (v, o) = germ(i);
        plan.push((Want::Indel, v, o));
    }
    // Last, so with none the draws of the others are unchanged.
    for vaf in p.chip_vafs() {
        for _ in 0..p.chip_per_vaf {
            plan.push((Want::Snv, vaf, Origin::Chip));
        }
    }
    let mut out: Vec<Variant> = Vec::with_capacity(plan.len());
    for (want, vaf, origin) in plan {
        let mut placed = false;
        for _attempt in 0..2000 {
            let Some(t) = rng.choose(&usable).copied() else {
                break;
            };
            let seq = &g.contigs[t.tid].seq;
            let Some((pos0, r, a)) = draw_event(&mut rng, seq, &t, want) else {
                continue;
            };
            let end = pos0 + r.len() as u64;
            if pos0 <= t.start || end >= t.end {
                continue;
            }
            let clash = out.iter().any(|v| {
                v.tid == t.tid && pos0 < v.end() + MIN_SPACING && end + MIN_SPACING > v.pos0
            });
            if clash {
                continue;
            }
            let hp_len = if r.len() == a.len() {
                0
            } else {
                run_len(seq, pos0 as usize + 1)
            };
            out.push(Variant {
                tid: t.tid,
                pos0,
                ref_allele: r,
                alt: a,
                vaf,
                origin,
                hp_len,
            });
            placed = true;
            break;
        }
        if !placed {
            return Err(Error::Usage(format!(
                "ctdna simulate: cannot fit {} variants {} bp apart in the targets; \
                 use more or longer --targets, or fewer variants per VAF",
                out.len() + 1,
                MIN_SPACING
            )));
        }
    }
    out.sort_by_key(|v| (v.tid, v.pos0));
    Ok(out)
}

/// One candidate event inside target `t`, normalised; None when the draw
/// does not apply (e.g. no homopolymer in this target).
fn draw_event(
    rng: &mut Rng,
    seq: &[u8],
    t: &Target,
    want: Want,
) -> Option<(u64, Vec<u8>, Vec<u8>)> {
    let lo = t.start + 1;
    let hi = t.end - 12;
    if hi <= lo {
        return None;
    }
    match want {
        Want::Snv => {
            let p = rng.range(lo, hi);
            let r = seq[p as usize];
            Some((p, vec![r], vec![other_base(rng, r)]))
        }
        Want::HpIndel => {
            let runs: Vec<(u64, u32)> = (lo..hi)
                .filter(|&i| seq[i as usize - 1] != seq[i as usize])
                .map(|i| (i, run_len(seq, i as usize)))
                .filter(|&(_, n)| n >= 4)
                .collect();
            let &(start, n) = rng.choose(&runs)?;
            let b = seq[start as usize];
            let k = rng.range(1, u64::from(n.min(6) - 2).max(1)) as usize;
            let anchor = seq[start as usize - 1];
            let mut long = vec![anchor];
            long.extend(std::iter::repeat_n(b, k));
            if rng.bernoulli(0.5) {
                Some((start - 1, long, vec![anchor]))
            } else {
                Some((start - 1, vec![anchor], long))
            }
        }
        Want::Indel => {
            let p = rng.range(lo, hi);
            let len = rng.range(1, 10) as usize;
            let anchor = seq[p as usize];
            let (r, a) = if rng.bernoulli(0.5) {
                (seq[p as usize..=p as usize + len].to_vec(), vec![anchor])
            } else {
                let mut a = vec![anchor];
                for _ in 0..len {
                    a.push(b"ACGT"[rng.below(4) as usize]);
                }
                (vec![anchor], a)
            };
            let (p2, r2, a2) = normalize(seq, p, r, a);
            (r2 != a2).then_some((p2, r2, a2))
        }
        Want::Mnv { gap } => {
            let p = rng.range(lo, hi) as usize;
            let n = if gap { 3 } else { 2 };
            let r = seq[p..p + n].to_vec();
            let mut a = r.clone();
            a[0] = other_base(rng, r[0]);
            a[n - 1] = other_base(rng, r[n - 1]);
            Some((p as u64, r, a))
        }
        Want::LongDel(len) => {
            let p = rng.range(lo, hi);
            let r = seq[p as usize..=p as usize + len].to_vec();
            Some(normalize(seq, p, r, vec![seq[p as usize]]))
        }
        Want::LongIns => {
            // A tandem duplication: the anchor then the `len` bases after it again.
            let p = rng.range(lo, hi);
            let len = rng.range(9, 30) as usize;
            let a = seq[p as usize..=p as usize + len].to_vec();
            Some(normalize(seq, p, vec![seq[p as usize]], a))
        }
        Want::Delins(len) => draw_delins(rng, seq, (lo, hi), len),
    }
}

/// `len + 1` bases from a position in `lo..hi` replaced by one that is
/// neither the first nor the last of them: parsimonious as it is.
fn draw_delins(
    rng: &mut Rng,
    seq: &[u8],
    (lo, hi): (u64, u64),
    len: usize,
) -> Option<(u64, Vec<u8>, Vec<u8>)> {
    let p = rng.range(lo, hi.checked_sub(len as u64)?.max(lo + 1));
    let r = seq[p as usize..=p as usize + len].to_vec();
    let x = other_base(rng, r[0]);
    (x != r[len]).then_some((p, r, vec![x]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::panel::place_targets;

    #[test]
    fn normalize_left_aligns_in_homopolymer() {
        //          0123456789
        let seq = b"GCAAAAATCG";
        // Delete the last A of the run (anchor at pos 5 'A').
        let (p, r, a) = normalize(seq, 5, b"AA".to_vec(), b"A".to_vec());
        assert_eq!((p, r.as_slice(), a.as_slice()), (1, &b"CA"[..], &b"C"[..]));
        // Insert an A at the end of the run.
        let (p, r, a) = normalize(seq, 6, b"A".to_vec(), b"AA".to_vec());
        assert_eq!((p, r.as_slice(), a.as_slice()), (1, &b"C"[..], &b"CA"[..]));
        // Already normal SNV untouched.
        let (p, r, a) = normalize(seq, 8, b"C".to_vec(), b"T".to_vec());
        assert_eq!((p, r.as_slice(), a.as_slice()), (8, &b"C"[..], &b"T"[..]));
    }

    #[test]
    fn variants_are_normalised_sorted_and_apart() {
        let p = SimParams::default();
        let g = Genome::generate(&p).unwrap();
        let t = place_targets(&p, &g).unwrap();
        let v = generate(&p, &g, &t).unwrap();
        let n_som = p.somatic_vafs().len() * (p.snvs_per_vaf + p.indels_per_vaf);
        assert_eq!(v.iter().filter(|x| x.is_somatic()).count(), n_som);
        assert_eq!(v.len(), n_som + p.germline_snvs + p.germline_indels);
        assert!(v.iter().any(|x| x.kind() != Kind::Snv && x.hp_len >= 4));
        for x in &v {
            let seq = &g.contigs[x.tid].seq;
            assert_eq!(
                &seq[x.pos0 as usize..x.end() as usize],
                x.ref_allele.as_slice()
            );
            let n = normalize(seq, x.pos0, x.ref_allele.clone(), x.alt.clone());
            assert_eq!((n.0, &n.1, &n.2), (x.pos0, &x.ref_allele, &x.alt));
            if x.kind() != Kind::Snv {
                assert_eq!(x.ref_allele[0], x.alt[0]);
            }
        }
        for w in v.windows(2) {
            assert!((w[0].tid, w[0].pos0) < (w[1].tid, w[1].pos0));
        }
    }
}
