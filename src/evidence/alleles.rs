//! Alleles and their per-position evidence counters.

use crate::reference::RefWindow;

/// The four bases in counter order.
pub const BASES: [u8; 4] = [b'A', b'C', b'G', b'T'];

/// Index of an upper-case base in [`BASES`], `None` for anything else (N never counts).
#[inline]
pub fn base_index(b: u8) -> Option<usize> {
    match b {
        b'A' => Some(0),
        b'C' => Some(1),
        b'G' => Some(2),
        b'T' => Some(3),
        _ => None,
    }
}

/// An event anchored at a reference position: an indel (after the anchor
/// base, left-aligned against the reference) or an MNV (from the anchor
/// on). Counted per molecule like a base, but spanning more than one
/// reference position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indel {
    /// Bases inserted after the anchor.
    Ins(Vec<u8>),
    /// Number of reference bases deleted after the anchor.
    Del(u32),
    /// Bases replacing as many reference bases from the anchor on (an
    /// MNV: substitutions close together on the same molecules; the first
    /// and last differ from the reference).
    Mnv(Vec<u8>),
    /// Bases `alt` replacing `ref_len` reference bases from the anchor on,
    /// `alt.len() != ref_len` (a delins: a deletion or insertion with a
    /// substitution beside it, on the same molecules; the first and last
    /// bases differ from the reference's, so REF/ALT are parsimonious).
    Delins { ref_len: u32, alt: Vec<u8> },
}

impl Indel {
    /// VCF-style REF and ALT of this indel anchored at `pos0`.
    pub fn alleles(&self, window: &RefWindow, pos0: i64) -> (Vec<u8>, Vec<u8>) {
        let anchor = window.base(pos0);
        match self {
            Indel::Ins(seq) => {
                let mut alt = vec![anchor];
                alt.extend_from_slice(seq);
                (vec![anchor], alt)
            }
            Indel::Del(n) => {
                let r = (0..=i64::from(*n)).map(|i| window.base(pos0 + i)).collect();
                (r, vec![anchor])
            }
            Indel::Mnv(seq) => {
                let r = (0..seq.len() as i64)
                    .map(|i| window.base(pos0 + i))
                    .collect();
                (r, seq.clone())
            }
            Indel::Delins { ref_len, alt } => {
                let r = (0..i64::from(*ref_len))
                    .map(|i| window.base(pos0 + i))
                    .collect();
                (r, alt.clone())
            }
        }
    }

    /// The event of `alt` replacing `ref_len` reference bases from its
    /// anchor: an MNV when the lengths agree, else a delins.
    pub fn replacement(alt: &[u8], ref_len: u32) -> Indel {
        if alt.len() == ref_len as usize {
            Indel::Mnv(alt.to_vec())
        } else {
            Indel::Delins {
                ref_len,
                alt: alt.to_vec(),
            }
        }
    }

    /// Is this `alt` replacing `ref_len` reference bases (an MNV or a
    /// delins)? Compares without allocating.
    pub fn is_replacement(&self, alt: &[u8], ref_len: u32) -> bool {
        match self {
            Indel::Mnv(seq) => seq.len() == ref_len as usize && seq == alt,
            Indel::Delins { ref_len: r, alt: a } => *r == ref_len && a == alt,
            _ => false,
        }
    }

    /// Reference bases from the anchor on that the event's alleles cover:
    /// the anchor and the deleted bases of a deletion, the replaced bases of
    /// an MNV or delins, the anchor of an insertion.
    pub fn ref_span(&self) -> u64 {
        match self {
            Indel::Del(d) => u64::from(*d) + 1,
            Indel::Mnv(seq) => seq.len() as u64,
            Indel::Delins { ref_len, .. } => u64::from(*ref_len),
            Indel::Ins(_) => 1,
        }
    }

    /// Bases gained (+) or lost (-): an insertion's length, minus a
    /// deletion's, a delins' replacing minus replaced bases, 0 for an MNV.
    pub fn net_len(&self) -> i64 {
        match self {
            Indel::Del(d) => -i64::from(*d),
            Indel::Ins(seq) => seq.len() as i64,
            Indel::Mnv(_) => 0,
            Indel::Delins { ref_len, alt } => alt.len() as i64 - i64::from(*ref_len),
        }
    }

    /// Is this a plain insertion or deletion (no substitution joined)?
    pub fn is_bare(&self) -> bool {
        matches!(self, Indel::Del(_) | Indel::Ins(_))
    }
}

/// An alt allele at a position, in the engine's terms: the one allele type
/// of candidates, known loci, the background model and the outputs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Alt {
    /// A substitution to the base `BASES[i]` (the index, not the letter).
    Snv(u8),
    /// An insertion or deletion after the anchor base.
    Indel(Indel),
}

impl Alt {
    /// The alt of a normalised VCF REF/ALT pair in the engine's terms: an
    /// SNV, an insertion after a one-base REF, a deletion to a one-base ALT
    /// (both sharing that first base), an MNV (REF and ALT of one length),
    /// a delins (lengths differ, first bases differ: `GTA` to `T` deletes
    /// two bases and substitutes one, at REF's first base); `None` for
    /// anything else (alleles with a base other than A/C/G/T, a shared
    /// first base with more after it on both sides).
    pub fn of_alleles(ref_allele: &[u8], alt_allele: &[u8]) -> Option<Alt> {
        let acgt = |s: &[u8]| !s.is_empty() && s.iter().all(|&b| base_index(b).is_some());
        if !acgt(alt_allele) {
            return None;
        }
        let same_first = ref_allele.first() == alt_allele.first();
        match (ref_allele.len(), alt_allele.len()) {
            (1, 1) => base_index(alt_allele[0]).map(|b| Alt::Snv(b as u8)),
            (1, _) if same_first => Some(Alt::Indel(Indel::Ins(alt_allele[1..].to_vec()))),
            (r, 1) if same_first => Some(Alt::Indel(Indel::Del(r as u32 - 1))),
            (r, a) if r == a => Some(Alt::Indel(Indel::Mnv(alt_allele.to_vec()))),
            (r, _) if !same_first && acgt(ref_allele) => Some(Alt::Indel(Indel::Delins {
                ref_len: r as u32,
                alt: alt_allele.to_vec(),
            })),
            _ => None,
        }
    }

    /// Is this an insertion, a deletion or a delins (not an SNV or MNV)?
    pub fn is_indel(&self) -> bool {
        matches!(
            self,
            Alt::Indel(Indel::Ins(_) | Indel::Del(_) | Indel::Delins { .. })
        )
    }

    /// The molecules for this alt and for the reference at `pc` (`ref_idx`:
    /// the reference base's index, `None` for `N`): an SNV against the
    /// reference base; an indel against every other molecule with a base
    /// at its anchor.
    pub fn evidence(
        &self,
        pc: &PositionCounts,
        ref_idx: Option<usize>,
    ) -> (AlleleStats, AlleleStats) {
        match self {
            Alt::Snv(b) => (
                pc.bases[*b as usize],
                ref_idx.map(|r| pc.bases[r]).unwrap_or_default(),
            ),
            Alt::Indel(indel) => {
                let a = pc
                    .indels
                    .iter()
                    .find(|(k, _)| k == indel)
                    .map(|(_, s)| *s)
                    .unwrap_or_default();
                (a, pc.all_bases().minus(&a))
            }
        }
    }
}

/// What a molecule is, as far as its error rate goes: how many independent
/// reads of it agreed on the base. The background model keeps one rate per
/// class and the test weighs each molecule by its class's rate
/// (docs/model.md §2-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum MoleculeClass {
    /// One read: a fragment outside its mates' overlap (or with
    /// `--overlap independent`), a UMI family of one read there.
    #[default]
    Read,
    /// Two reads of one template agreeing: overlapping mates (a fragment,
    /// or a UMI family of one template).
    Pair,
    /// A single-strand consensus of `>= --min-family` templates.
    Family,
    /// Both strands' consensuses agree (UMI duplex).
    Duplex,
}

/// Number of [`MoleculeClass`]es.
pub const N_CLASSES: usize = 4;

impl MoleculeClass {
    /// Every class, in index order.
    pub const ALL: [MoleculeClass; N_CLASSES] = [
        MoleculeClass::Read,
        MoleculeClass::Pair,
        MoleculeClass::Family,
        MoleculeClass::Duplex,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// Name in the VCF header, metrics and docs.
    pub fn name(self) -> &'static str {
        match self {
            MoleculeClass::Read => "read",
            MoleculeClass::Pair => "pair",
            MoleculeClass::Family => "family",
            MoleculeClass::Duplex => "duplex",
        }
    }
}

/// Molecules per [`MoleculeClass`] (by [`MoleculeClass::index`]).
pub type ClassCounts = [u32; N_CLASSES];

/// Evidence for one allele at one position: molecule counts split by strand,
/// read orientation and molecule class, and quality sums for the means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlleleStats {
    /// Molecules (fragments, or reads with `--overlap independent`).
    pub n: u32,
    /// The same molecules by class (sums to `n`).
    pub by_class: ClassCounts,
    /// On the forward / reverse strand (of read 1 for a merged fragment).
    pub fwd: u32,
    pub rev: u32,
    /// Paired molecules in the F1R2 / F2R1 [`Orientation`] (single-end
    /// reads are in neither).
    pub f1r2: u32,
    pub f2r1: u32,
    pub sum_bq: u64,
    pub sum_mq: u64,
    pub sum_dist: u64,
}

/// One molecule's evidence for an allele, as added to [`AlleleStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Support {
    pub qual: u8,
    pub mapq: u8,
    /// Distance (bases) from the nearer aligned read end.
    pub dist: u16,
    pub reverse: bool,
    pub orientation: Orientation,
    pub class: MoleculeClass,
}

/// A paired read's orientation: F1R2 is read 1 forward or read 2 reverse,
/// F2R1 the other. A single-end read has none: its only orientation is
/// its strand, which the strand counts already hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    F1R2,
    F2R1,
    #[default]
    Unpaired,
}

impl Orientation {
    /// From a read's flags.
    pub fn of(paired: bool, read1: bool, reverse: bool) -> Self {
        match (paired, read1 != reverse) {
            (false, _) => Orientation::Unpaired,
            (true, true) => Orientation::F1R2,
            (true, false) => Orientation::F2R1,
        }
    }
}

impl AlleleStats {
    #[inline]
    pub fn add(&mut self, s: &Support) {
        self.n += 1;
        self.by_class[s.class.index()] += 1;
        self.fwd += u32::from(!s.reverse);
        self.rev += u32::from(s.reverse);
        self.f1r2 += u32::from(s.orientation == Orientation::F1R2);
        self.f2r1 += u32::from(s.orientation == Orientation::F2R1);
        self.sum_bq += u64::from(s.qual);
        self.sum_mq += u64::from(s.mapq);
        self.sum_dist += u64::from(s.dist);
    }

    /// Independent observations of the allele in the original DNA: every
    /// molecule once, a duplex molecule twice (both its strands show it).
    pub fn strand_observations(&self) -> u32 {
        self.n + self.by_class[MoleculeClass::Duplex.index()]
    }

    /// Add another counter (pooling samples or classes).
    pub fn merge(&mut self, o: &AlleleStats) {
        self.n += o.n;
        for (d, s) in self.by_class.iter_mut().zip(&o.by_class) {
            *d += s;
        }
        self.fwd += o.fwd;
        self.rev += o.rev;
        self.f1r2 += o.f1r2;
        self.f2r1 += o.f2r1;
        self.sum_bq += o.sum_bq;
        self.sum_mq += o.sum_mq;
        self.sum_dist += o.sum_dist;
    }

    /// Field-wise `self - o`, saturating (e.g. molecules at an anchor
    /// without an indel: all bases minus the indel's).
    pub fn minus(&self, o: &AlleleStats) -> AlleleStats {
        AlleleStats {
            n: self.n.saturating_sub(o.n),
            by_class: std::array::from_fn(|c| self.by_class[c].saturating_sub(o.by_class[c])),
            fwd: self.fwd.saturating_sub(o.fwd),
            rev: self.rev.saturating_sub(o.rev),
            f1r2: self.f1r2.saturating_sub(o.f1r2),
            f2r1: self.f2r1.saturating_sub(o.f2r1),
            sum_bq: self.sum_bq.saturating_sub(o.sum_bq),
            sum_mq: self.sum_mq.saturating_sub(o.sum_mq),
            sum_dist: self.sum_dist.saturating_sub(o.sum_dist),
        }
    }

    fn mean(sum: u64, n: u32) -> f64 {
        if n == 0 {
            0.0
        } else {
            sum as f64 / f64::from(n)
        }
    }
    pub fn mean_bq(&self) -> f64 {
        Self::mean(self.sum_bq, self.n)
    }
    pub fn mean_mq(&self) -> f64 {
        Self::mean(self.sum_mq, self.n)
    }
    pub fn mean_dist(&self) -> f64 {
        Self::mean(self.sum_dist, self.n)
    }
}

/// Everything counted at one reference position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PositionCounts {
    /// Molecules showing A, C, G, T here.
    pub bases: [AlleleStats; 4],
    /// Molecules whose deletion spans this position (not part of the depth).
    pub del_span: u32,
    /// Indels anchored here, sorted by allele for a fixed output order.
    pub indels: Vec<(Indel, AlleleStats)>,
}

impl PositionCounts {
    /// Add `o`'s molecules into these (UMI mode pools its tiers so).
    pub fn merge(&mut self, o: &PositionCounts) {
        for (d, s) in self.bases.iter_mut().zip(&o.bases) {
            d.merge(s);
        }
        self.del_span += o.del_span;
        for (k, s) in &o.indels {
            self.indel_mut(k).merge(s);
        }
    }

    /// Molecule depth: molecules with a usable base here.
    pub fn depth(&self) -> u32 {
        self.bases.iter().map(|b| b.n).sum()
    }

    /// The four bases' evidence pooled: every molecule with a usable base.
    pub fn all_bases(&self) -> AlleleStats {
        let mut all = AlleleStats::default();
        for b in &self.bases {
            all.merge(b);
        }
        all
    }

    /// Counter for an indel, created on first use.
    pub fn indel_mut(&mut self, indel: &Indel) -> &mut AlleleStats {
        let i = match self.indels.binary_search_by(|(k, _)| k.cmp(indel)) {
            Ok(i) => i,
            Err(i) => {
                self.indels
                    .insert(i, (indel.clone(), AlleleStats::default()));
                i
            }
        };
        &mut self.indels[i].1
    }
}

/// Counts for one sample over one shard `[start, end)` of a contig.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardCounts {
    pub start: u64,
    pub positions: Vec<PositionCounts>,
}

/// Where observations are counted: one shard, or the shards of a batch.
pub trait PositionSink {
    /// Counter at 0-based `pos`, `None` where nothing is counted.
    fn at_mut(&mut self, pos: i64) -> Option<&mut PositionCounts>;

    /// The counted parts of `[start, end)` in position order: `f(first
    /// position, counters of consecutive positions)`.
    fn for_each_run(&mut self, start: i64, end: i64, f: impl FnMut(i64, &mut [PositionCounts]));
}

impl PositionSink for ShardCounts {
    #[inline]
    fn at_mut(&mut self, pos: i64) -> Option<&mut PositionCounts> {
        ShardCounts::at_mut(self, pos)
    }

    #[inline]
    fn for_each_run(
        &mut self,
        start: i64,
        end: i64,
        mut f: impl FnMut(i64, &mut [PositionCounts]),
    ) {
        let s0 = self.start as i64;
        let lo = start.max(s0);
        let hi = end.min(self.end());
        if lo < hi {
            f(
                lo,
                &mut self.positions[(lo - s0) as usize..(hi - s0) as usize],
            );
        }
    }
}

/// The shards of one batch (sorted, disjoint), found by position with a
/// cursor: a read's observations come in position order, so the search is
/// nearly always a hit on the current or the next shard.
#[derive(Debug, Clone, Default)]
pub struct BatchCounts {
    pub shards: Vec<ShardCounts>,
    cursor: usize,
}

impl BatchCounts {
    pub fn new(ranges: impl IntoIterator<Item = (u64, u64)>) -> Self {
        BatchCounts {
            shards: ranges
                .into_iter()
                .map(|(s, e)| ShardCounts::new(s, e))
                .collect(),
            cursor: 0,
        }
    }
}

impl PositionSink for BatchCounts {
    #[inline]
    fn at_mut(&mut self, pos: i64) -> Option<&mut PositionCounts> {
        let n = self.shards.len();
        let contains = |c: &ShardCounts| pos >= c.start as i64 && pos < c.end();
        if self.cursor >= n || !contains(&self.shards[self.cursor]) {
            // Index of the last shard starting at or before pos.
            let i = self.shards.partition_point(|c| c.start as i64 <= pos);
            if i == 0 || !contains(&self.shards[i - 1]) {
                return None;
            }
            self.cursor = i - 1;
        }
        self.shards[self.cursor].at_mut(pos)
    }

    #[inline]
    fn for_each_run(
        &mut self,
        start: i64,
        end: i64,
        mut f: impl FnMut(i64, &mut [PositionCounts]),
    ) {
        // Shards ending after `start`, until one starts at or after `end`.
        let from = self.shards.partition_point(|c| c.end() <= start);
        for shard in &mut self.shards[from..] {
            if shard.start as i64 >= end {
                break;
            }
            shard.for_each_run(start, end, &mut f);
        }
    }
}

impl ShardCounts {
    pub fn new(start: u64, end: u64) -> Self {
        ShardCounts {
            start,
            positions: vec![PositionCounts::default(); (end - start) as usize],
        }
    }

    /// End (exclusive, 0-based) of the shard.
    #[inline]
    pub fn end(&self) -> i64 {
        self.start as i64 + self.positions.len() as i64
    }

    /// Counter at 0-based `pos`, `None` outside the shard.
    #[inline]
    pub fn at_mut(&mut self, pos: i64) -> Option<&mut PositionCounts> {
        if pos < self.start as i64 {
            return None;
        }
        self.positions.get_mut((pos - self.start as i64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paired_molecules_have_an_orientation() {
        let mut st = AlleleStats::default();
        for (paired, read1, reverse) in [
            (true, true, false),
            (true, false, true),
            (true, true, true),
            (false, true, false),
            (false, true, true),
        ] {
            st.add(&Support {
                qual: 30,
                mapq: 60,
                dist: 10,
                reverse,
                orientation: Orientation::of(paired, read1, reverse),
                class: MoleculeClass::Read,
            });
        }
        assert_eq!((st.n, st.fwd, st.rev), (5, 2, 3));
        assert_eq!((st.f1r2, st.f2r1), (2, 1));
    }

    #[test]
    fn vcf_alleles_become_engine_alts() {
        assert_eq!(Alt::of_alleles(b"A", b"G"), Some(Alt::Snv(2)));
        assert_eq!(
            Alt::of_alleles(b"C", b"CGT"),
            Some(Alt::Indel(Indel::Ins(b"GT".to_vec())))
        );
        assert_eq!(
            Alt::of_alleles(b"CGT", b"C"),
            Some(Alt::Indel(Indel::Del(2)))
        );
        assert_eq!(Alt::of_alleles(b"A", b"N"), None);
        assert_eq!(
            Alt::of_alleles(b"AC", b"GT"),
            Some(Alt::Indel(Indel::Mnv(b"GT".to_vec())))
        );
        assert_eq!(Alt::of_alleles(b"AC", b"GN"), None);
        // REF GTA, ALT T: the first base differs, a delins (not a deletion).
        let delins = |r: u32, a: &[u8]| {
            Some(Alt::Indel(Indel::Delins {
                ref_len: r,
                alt: a.to_vec(),
            }))
        };
        assert_eq!(Alt::of_alleles(b"GTA", b"T"), delins(3, b"T"));
        assert_eq!(Alt::of_alleles(b"AC", b"GTT"), delins(2, b"GTT"));
        assert_eq!(Alt::of_alleles(b"G", b"TA"), delins(1, b"TA"));
        // A shared first base with more after it on both sides: not parsimonious.
        assert_eq!(Alt::of_alleles(b"ACG", b"AT"), None);
        assert_eq!(Alt::of_alleles(b"GNA", b"T"), None);
    }

    #[test]
    fn batch_counts_find_the_shard_of_a_position() {
        let mut b = BatchCounts::new([(10, 20), (20, 25), (100, 110)]);
        for (pos, hit) in [
            (9, None),
            (10, Some(0)),
            (19, Some(0)),
            (20, Some(1)),
            (24, Some(1)),
            (25, None),
            (99, None),
            (105, Some(2)),
            (110, None),
            (12, Some(0)),
        ] {
            let found = b.at_mut(pos).is_some();
            assert_eq!(found, hit.is_some(), "{pos}");
            if let Some(pc) = b.at_mut(pos) {
                pc.del_span += 1;
                let i: usize = hit.unwrap();
                let off = (pos - b.shards[i].start as i64) as usize;
                assert_eq!(b.shards[i].positions[off].del_span, 1, "{pos}");
            }
        }
    }
}
