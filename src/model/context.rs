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
//!
//! The same tallies are kept per [`MoleculeClass`] (one read, two agreeing
//! mates, a single-strand family, a duplex): [`ContextRates::class_rate`]
//! gives the rate of one context for molecules of one class (see its
//! METHOD).

pub use super::event_classes::{
    event_tally, long_class, mnv_class, Kind, LONG_CLASSES, LONG_INDEL, MNV_CLASSES,
};
use super::event_classes::{long_tallies, mnv_tallies};
use super::run_length::run_length_rate;
pub use super::tally::{shrunk_toward, Tally, MIN_RATE, PRIOR_WEIGHT};
use crate::evidence::alleles::{
    AlleleStats, ClassCounts, MoleculeClass, PositionCounts, BASES, N_CLASSES,
};
use crate::reference::RefWindow;

/// Longest homopolymer class; longer runs share the last class.
pub const MAX_HP: usize = 10;
/// A class's context rate is shrunk toward its prior with at least this
/// many expected errors' worth of molecule-positions.
pub const CLASS_PRIOR_ERRORS: f64 = 10.0;
/// An allele observation this significant against a first fit is left
/// out of the second (see [`ContextRates::estimate`]).
pub const REAL_P: f64 = 1e-6;

/// Class of an SNV: pyrimidine-centred trinucleotide x substitution, 0..96.
/// `None` when the context holds an N (or the alt is the reference base).
///
/// A table lookup by the four bases' indices ([`SNV_CLASSES`]): the fit asks
/// three at every position of the panel.
pub fn snv_class(ctx: [u8; 3], alt: u8) -> Option<usize> {
    let [five, refc, three, alt] =
        [ctx[0], ctx[1], ctx[2], alt].map(|b| BASE_CODES[usize::from(b)]);
    if (five | refc | three | alt) > 3 {
        return None;
    }
    let class = SNV_CLASSES[usize::from(five << 6 | refc << 4 | three << 2 | alt)];
    (class != NO_CLASS).then_some(usize::from(class))
}

/// Each byte's index in ACGT ([`crate::evidence::alleles::base_index`]), 4
/// for any other byte.
static BASE_CODES: [u8; 256] = base_codes();

const fn base_codes() -> [u8; 256] {
    let mut table = [4u8; 256];
    table[b'A' as usize] = 0;
    table[b'C' as usize] = 1;
    table[b'G' as usize] = 2;
    table[b'T' as usize] = 3;
    table
}

/// [`SNV_CLASSES`]' mark of a substitution that is none (alt = ref).
const NO_CLASS: u8 = u8::MAX;

/// The SNV class of every (5' base, reference base, 3' base, alt base),
/// by their indices in ACGT (`five << 6 | ref << 4 | three << 2 | alt`).
static SNV_CLASSES: [u8; 256] = snv_classes();

const fn snv_classes() -> [u8; 256] {
    let mut table = [NO_CLASS; 256];
    let mut key = 0;
    while key < 256 {
        let (f, r, t, a) = (key >> 6, (key >> 4) & 3, (key >> 2) & 3, key & 3);
        // A purine reference reads from the other strand: the complement
        // of index i in ACGT is 3 - i, and 5' and 3' swap.
        let (f, r, t, a) = if r == 1 || r == 3 {
            (f, r, t, a)
        } else {
            (3 - t, 3 - r, 3 - f, 3 - a)
        };
        // Substitutions of C: A, G, T; of T: A, C, G -> 6 types.
        let sub = match (r, a) {
            (1, 0) => 0,
            (1, 2) => 1,
            (1, 3) => 2,
            (3, 0) => 3,
            (3, 1) => 4,
            (3, 2) => 5,
            _ => 6,
        };
        if sub < 6 {
            table[key] = (sub * 16 + f * 4 + t) as u8;
        }
        key += 1;
    }
    table
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

/// Trinucleotide around 0-based `pos`.
pub fn trinucleotide(w: &RefWindow, pos: i64) -> [u8; 3] {
    [w.base(pos - 1), w.base(pos), w.base(pos + 1)]
}

/// Length of the homopolymer run starting right after the anchor `pos`
/// (where a left-aligned indel sits), capped at [`MAX_HP`]; 1 where `pos`
/// is itself inside that run.
///
/// METHOD: a slip of a run's base left-aligns to the base before the run,
/// so only that position is an opportunity for the run's slippage. A
/// position inside the run anchors only other indels (an inserted G in a
/// T run), which are not slippage: counted as length 1, the interior
/// positions of long runs no longer dilute the slippage rate of the
/// shorter lengths (the 3 positions inside a 9-base run had counted as
/// 8-, 7- and 6-base runs that never slip).
pub fn homopolymer_after(w: &RefWindow, pos: i64) -> usize {
    let b = w.base(pos + 1);
    if w.base(pos) == b {
        return 1;
    }
    let mut n = 1;
    while n < MAX_HP && w.base(pos + 1 + n as i64) == b && b != b'N' {
        n += 1;
    }
    n
}

/// What one site put into an indel tally: its molecules of the kind (every
/// allele of the kind at the anchor that was not left out) and its depth,
/// per molecule class. The test of an indel leaves it out of the rates it
/// is compared with ([`ContextRates::without`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SiteTally {
    pub alt: ClassCounts,
    pub depth: ClassCounts,
}

impl SiteTally {
    /// The contribution of the site `pc` (total `all`) to tally `i` of
    /// `kind` (an indel's is the site's run length: every indel of the kind
    /// here), as the first fit counted it (an allele that looks real was
    /// left out).
    pub fn of(pc: &PositionCounts, all: &AlleleStats, (kind, i): (Kind, usize)) -> Self {
        let mut t = SiteTally {
            depth: all.by_class,
            ..Default::default()
        };
        for (indel, s) in &pc.indels {
            // Short indels of the kind are all in the site's run length.
            let (k, j) = event_tally(indel, i);
            let same = k == kind && j == i;
            if same && !looks_real(s.n, all.n) {
                for (d, x) in t.alt.iter_mut().zip(&s.by_class) {
                    *d += x;
                }
            }
        }
        t
    }
}

/// Does this allele look like a real variant rather than noise?
pub(super) fn looks_real(k: u32, n: u32) -> bool {
    k >= 3 && f64::from(k) > 0.01 * f64::from(n)
}

/// The tallies of one set of molecules: per SNV class (96), per
/// homopolymer length for insertions and deletions, per length for MNVs
/// ([`mnv_class`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tallies {
    pub snv: Vec<Tally>,
    pub ins: Vec<Tally>,
    pub del: Vec<Tally>,
    /// Empty in a background saved before MNVs were counted (their rates
    /// then fall to the floor of the shrinkage: no MNV seen).
    #[serde(default = "mnv_tallies")]
    pub mnv: Vec<Tally>,
    /// Insertions and deletions of [`LONG_INDEL`] bases or more, by length
    /// class ([`long_class`]) instead of run length; defaults as `mnv`.
    #[serde(default = "long_tallies")]
    pub long_ins: Vec<Tally>,
    #[serde(default = "long_tallies")]
    pub long_del: Vec<Tally>,
}

impl Default for Tallies {
    fn default() -> Self {
        Tallies {
            snv: vec![Tally::default(); 96],
            ins: vec![Tally::default(); MAX_HP],
            del: vec![Tally::default(); MAX_HP],
            mnv: mnv_tallies(),
            long_ins: long_tallies(),
            long_del: long_tallies(),
        }
    }
}

impl Tallies {
    /// The tallies of one kind of allele.
    pub fn kind(&self, kind: Kind) -> &[Tally] {
        match kind {
            Kind::Snv => &self.snv,
            Kind::Ins => &self.ins,
            Kind::Del => &self.del,
            Kind::Mnv => &self.mnv,
            Kind::LongIns => &self.long_ins,
            Kind::LongDel => &self.long_del,
        }
    }

    pub(super) fn kind_mut(&mut self, kind: Kind) -> &mut [Tally] {
        match kind {
            Kind::Snv => &mut self.snv,
            Kind::Ins => &mut self.ins,
            Kind::Del => &mut self.del,
            Kind::Mnv => &mut self.mnv,
            Kind::LongIns => &mut self.long_ins,
            Kind::LongDel => &mut self.long_del,
        }
    }
}

/// Fitted per-class background rates of one sample: every molecule pooled
/// (`snv`, `ins`, `del`), and the same per molecule class (`by_class`, by
/// [`MoleculeClass::index`]; empty in a background saved before classes
/// existed, where every class takes the pooled rate).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ContextRates {
    #[serde(flatten)]
    pub pooled: Tallies,
    #[serde(default)]
    pub by_class: Vec<Tallies>,
    /// Per molecule class, the dispersion of its error counts (see
    /// [`ContextRates::dispersion`]); empty: 1 (independent molecules).
    #[serde(default)]
    pub dispersion: Vec<f64>,
    /// Molecule-positions on the forward and the reverse strand over the
    /// fitted positions: how the sample's assay covers the two strands
    /// (`[0, 0]` in a background saved before this was kept).
    #[serde(default)]
    pub strands: [u64; 2],
}

impl ContextRates {
    /// No molecules yet.
    pub fn empty() -> Self {
        ContextRates {
            pooled: Tallies::default(),
            by_class: vec![Tallies::default(); N_CLASSES],
            dispersion: Vec::new(),
            strands: [0, 0],
        }
    }

    /// The sample's share of molecules on its less covered strand (about
    /// 0.5 for hybrid capture, near 0 for amplicons read from one end);
    /// `None` when unknown.
    pub fn minor_strand_share(&self) -> Option<f64> {
        let [f, r] = self.strands;
        (f + r > 0).then(|| f.min(r) as f64 / (f + r) as f64)
    }

    /// The dispersion of one class (1 where not measured).
    pub fn class_dispersion(&self, class: MoleculeClass) -> f64 {
        self.dispersion.get(class.index()).copied().unwrap_or(1.0)
    }

    /// Rate of class `i` of `kind` (an SNV class, or a homopolymer length
    /// index) for molecules of `class`.
    ///
    /// METHOD: the pooled rate `e_i` (every molecule, shrunk as in
    /// [`ContextRates::snv_rate`]) is the context's profile; a class `c`
    /// scales it by its own overall rate, `r_c / r` (over every context of
    /// the kind; `r_c` is itself shrunk toward `r` with [`PRIOR_WEIGHT`]
    /// molecule-positions, so a class with few molecules is not taken to be
    /// error-free), and the class's own tally of the context is shrunk
    /// toward that prior `p_ci = e_i r_c / r`:
    /// `(k_ci + W_c p_ci) / (n_ci + W_c)`, with `W_c` the larger of
    /// [`PRIOR_WEIGHT`] and [`CLASS_PRIOR_ERRORS`]` / p_ci` molecule-positions
    /// (a prior worth ten expected errors). A class whose context tallies
    /// hold many errors (single reads) gets its own context rates; one
    /// whose tallies hold a few (duplex: ~0.3 expected errors per context on
    /// an 18 kb panel, where one unexcluded low-VAF variant would set the
    /// rate) keeps the pooled profile at its own level.
    pub fn class_rate(&self, kind: Kind, i: usize, class: MoleculeClass) -> f64 {
        let r = Self::overall(self.pooled.kind(kind));
        self.class_rate_at(kind, i, class, (self.kind_rate_at(kind, i, r), r))
    }

    /// [`ContextRates::class_rate`] of every class at once: the kind's
    /// overall and pooled rates summed once, not once per class (the same
    /// values; a null asks for all four classes at each position).
    pub fn class_rates(&self, kind: Kind, i: usize) -> [f64; N_CLASSES] {
        let r = Self::overall(self.pooled.kind(kind));
        let e_i = self.kind_rate_at(kind, i, r);
        MoleculeClass::ALL.map(|c| self.class_rate_at(kind, i, c, (e_i, r)))
    }

    /// [`ContextRates::class_rate`] given the pooled rate `e_i` of tally
    /// `i` and the kind's overall rate `r`.
    fn class_rate_at(
        &self,
        kind: Kind,
        i: usize,
        class: MoleculeClass,
        (e_i, r): (f64, f64),
    ) -> f64 {
        let Some(t) = self.by_class.get(class.index()) else {
            return e_i;
        };
        let tallies = t.kind(kind);
        let r_c = self.class_overall_at(kind, class, r);
        let prior = e_i * r_c / r;
        let weight = PRIOR_WEIGHT.max(CLASS_PRIOR_ERRORS / prior);
        let c = tallies[i];
        ((c.alt as f64 + weight * prior) / (c.depth as f64 + weight)).max(MIN_RATE)
    }

    /// The overall rate of `kind` for molecules of `class`, shrunk toward
    /// the pooled overall rate with [`PRIOR_WEIGHT`] molecule-positions
    /// (the pooled rate itself where the fit has no classes).
    pub fn class_overall(&self, kind: Kind, class: MoleculeClass) -> f64 {
        self.class_overall_at(kind, class, Self::overall(self.pooled.kind(kind)))
    }

    /// [`ContextRates::class_overall`] given the kind's overall rate `r`.
    fn class_overall_at(&self, kind: Kind, class: MoleculeClass, r: f64) -> f64 {
        let Some(t) = self.by_class.get(class.index()) else {
            return r;
        };
        let own = Self::total(t.kind(kind));
        (own.alt as f64 + PRIOR_WEIGHT * r) / (own.depth as f64 + PRIOR_WEIGHT)
    }

    fn total(classes: &[Tally]) -> Tally {
        classes.iter().fold(Tally::default(), |mut t, c| {
            t.add(c.alt, c.depth);
            t
        })
    }

    /// Overall rate of a kind, with one pseudo-error per 1e6 so an
    /// error-free panel does not give rate 0.
    fn overall(classes: &[Tally]) -> f64 {
        let total = Self::total(classes);
        (total.alt as f64 + 1.0) / (total.depth as f64 + 1e6)
    }

    /// These rates with one site's contribution to tally `i` of `kind`
    /// taken out.
    ///
    /// METHOD: a site is not its own background. It matters where a tally
    /// holds few sites (a homopolymer length seen at one or two places of
    /// a panel: a true 0.5% deletion there was most of its own run
    /// length's "slippage"), not for SNV classes pooled over thousands of
    /// positions, which the test leaves as they are.
    pub fn without(&self, kind: Kind, i: usize, site: &SiteTally) -> ContextRates {
        let mut out = self.clone();
        let minus = |t: &mut Tally, alt: u32, depth: u32| {
            t.alt = t.alt.saturating_sub(u64::from(alt));
            t.depth = t.depth.saturating_sub(u64::from(depth));
        };
        let (a, d): (u32, u32) = (site.alt.iter().sum(), site.depth.iter().sum());
        minus(&mut out.pooled.kind_mut(kind)[i], a, d);
        for (k, t) in out.by_class.iter_mut().enumerate() {
            minus(&mut t.kind_mut(kind)[i], site.alt[k], site.depth[k]);
        }
        out
    }

    /// Pooled rate (every molecule) of class `i` of `kind`: an SNV
    /// class shrunk toward the overall SNV rate; a short indel's run
    /// length toward the run-length trend ([`super::run_length`]); an MNV's
    /// or a long indel's length class toward its kind's rate over all
    /// lengths.
    pub fn kind_rate(&self, kind: Kind, i: usize) -> f64 {
        self.kind_rate_at(kind, i, Self::overall(self.pooled.kind(kind)))
    }

    /// [`ContextRates::kind_rate`] given the kind's overall rate `r`.
    fn kind_rate_at(&self, kind: Kind, i: usize, r: f64) -> f64 {
        let tallies = self.pooled.kind(kind);
        match kind {
            Kind::Snv => shrunk_toward(tallies[i], r),
            Kind::Ins | Kind::Del => run_length_rate(tallies, i, r),
            // Two substitutions on one molecule are rare: an MNV's rate is
            // its own (by length), shrunk toward the MNV rate overall,
            // which a panel without MNV errors puts near 1 / 10^6 positions
            // or lower.
            Kind::Mnv => shrunk_toward(tallies[i], r),
            // Long indels by length class, shrunk toward the kind's rate
            // over all long lengths: no slippage trend to follow.
            Kind::LongIns | Kind::LongDel => shrunk_toward(tallies[i], r),
        }
    }

    /// Raw (unshrunk) rates by class name, for the metrics.
    pub fn report(&self) -> RateReport {
        RateReport {
            snv: (0..96)
                .map(|c| ClassRate {
                    class: snv_class_name(c),
                    alt: self.pooled.snv[c].alt,
                    depth: self.pooled.snv[c].depth,
                    rate: self.pooled.snv[c].raw(),
                })
                .collect(),
            insertion_by_homopolymer: self.pooled.ins.iter().map(Tally::raw).collect(),
            deletion_by_homopolymer: self.pooled.del.iter().map(Tally::raw).collect(),
            minor_strand_share: self.minor_strand_share(),
            molecule_classes: MoleculeClass::ALL
                .iter()
                .zip(&self.by_class)
                .map(|(c, t)| {
                    let [snv, ins, del] = [&t.snv, &t.ins, &t.del].map(|k| Self::total(k));
                    MoleculeClassRate {
                        class: c.name(),
                        // Every SNV tally of a position counts its depth three times.
                        molecule_positions: ins.depth,
                        snv_rate: snv.raw(),
                        insertion_rate: ins.raw(),
                        deletion_rate: del.raw(),
                        dispersion: self.class_dispersion(*c),
                    }
                })
                .collect(),
        }
    }
}

/// One molecule class's overall raw rates, as written in the metrics.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoleculeClassRate {
    pub class: &'static str,
    /// Molecules of the class summed over target positions.
    pub molecule_positions: u64,
    /// Alt molecules per molecule-position and SNV alt allele.
    pub snv_rate: f64,
    pub insertion_rate: f64,
    pub deletion_rate: f64,
    /// How many times the Poisson variance the class's error counts show
    /// ([`ContextRates::measure_dispersion`]).
    pub dispersion: f64,
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
    /// Per molecule class (one read, a pair, a family, a duplex).
    pub molecule_classes: Vec<MoleculeClassRate>,
    /// The sample's share of molecules on its less covered strand
    /// (StrandUnconfirmed), null when unknown.
    pub minor_strand_share: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::base_index;

    /// The class by bases, as it was computed before the table: the
    /// table's reference.
    fn snv_class_by_bases(ctx: [u8; 3], alt: u8) -> Option<usize> {
        let complement = |b: u8| match b {
            b'A' => b'T',
            b'C' => b'G',
            b'G' => b'C',
            b'T' => b'A',
            x => x,
        };
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

    #[test]
    fn the_class_table_gives_the_class_of_every_base_combination() {
        let bases = *b"ACGTNa";
        let mut classes = std::collections::BTreeSet::new();
        for key in 0..bases.len().pow(4) {
            let at = |k: u32| bases[key / bases.len().pow(k) % bases.len()];
            let (ctx, alt) = ([at(3), at(2), at(1)], at(0));
            let want = snv_class_by_bases(ctx, alt);
            assert_eq!(snv_class(ctx, alt), want, "{ctx:?} {alt}");
            classes.extend(want);
        }
        assert_eq!(classes.len(), 96, "every class reached");
    }

    /// A true 0.6% deletion at the one 9-base run of a panel is not its
    /// run length's slippage: tested without it, the rate is what the
    /// other lengths' trend says.
    #[test]
    fn an_indel_is_tested_without_its_own_site_in_the_tally() {
        let mut r = ContextRates::empty();
        for (i, t) in r.pooled.del.iter_mut().enumerate().take(8).skip(2) {
            // Runs of 3-8 bases: 1e-5 doubling per base, 400,000 molecules each.
            *t = Tally {
                alt: (4.0 * 2f64.powi(i as i32 - 2)).round() as u64,
                depth: 400_000,
            };
        }
        r.pooled.del[8] = Tally {
            alt: 12,
            depth: 2_000,
        };
        let site = SiteTally {
            alt: [12, 0, 0, 0],
            depth: [2_000, 0, 0, 0],
        };
        let with = r.kind_rate(Kind::Del, 8);
        let without = r.without(Kind::Del, 8, &site).kind_rate(Kind::Del, 8);
        assert!(with > 1.5e-3, "{with}");
        assert!((3e-4..1.2e-3).contains(&without), "{without}");
        // The per-class tallies lose the site too, and nothing else moves.
        let w = r.without(Kind::Del, 8, &site);
        assert_eq!(w.pooled.del[8], Tally::default());
        assert_eq!(w.pooled.del[7], r.pooled.del[7]);
        assert_eq!(w.pooled.ins, r.pooled.ins);
    }

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
        // Inside the run: no slip of the run anchors here.
        assert_eq!(homopolymer_after(&w, 2), 1);
        assert_eq!(homopolymer_after(&w, 4), 1);
    }

    #[test]
    fn long_indels_are_kept_by_length_not_by_run() {
        use crate::evidence::alleles::Indel;
        assert_eq!(event_tally(&Indel::Del(2), 3), (Kind::Del, 3));
        assert_eq!(event_tally(&Indel::Del(15), 3), (Kind::LongDel, 1));
        assert_eq!(
            event_tally(&Indel::Ins(vec![b'A'; 30]), 0),
            (Kind::LongIns, 2)
        );
        assert_eq!(event_tally(&Indel::Mnv(b"GT".to_vec()), 4), (Kind::Mnv, 0));
        // A panel with 1 bp deletion errors at 3e-4 and no long deletion:
        // a 15 bp deletion's rate is its own class's, far below.
        let mut r = ContextRates::empty();
        for t in &mut r.pooled.del {
            t.add(300, 1_000_000);
        }
        for t in &mut r.pooled.long_del {
            t.add(0, 1_000_000);
        }
        let short = r.kind_rate(Kind::Del, 0);
        let long = r.kind_rate(Kind::LongDel, long_class(15));
        assert!(short > 2e-4, "{short}");
        assert!(long < short / 100.0, "{long} vs {short}");
    }
}
