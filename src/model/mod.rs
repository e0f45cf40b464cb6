//! Background error model and statistics (SPEC section 3).
//!
//! [`Background`] is the seam between the caller and the error model: the
//! caller asks it for the null distribution of one allele at one site. Two
//! models exist: the sample's own context rates ([`context`]) and the panel
//! of normals ([`pon`]), which falls back on the context rates where the
//! normals are thin; [`SampleModel::of`] picks a sample's, for `call` and
//! `mrd` alike. [`tiers`] summarises the per-tier error rates of UMI mode.

pub mod context;
pub mod event_classes;
pub mod fit;
pub mod pon;
pub mod pon_file;
pub mod prepared;
pub mod run_length;
pub mod saved;
pub mod stats;
pub mod tally;
pub mod tiers;
pub mod weighted;

use crate::evidence::alleles::{
    base_index, Alt, ClassCounts, Indel, MoleculeClass, BASES, N_CLASSES,
};
use weighted::{ClassRates, Weighted};

/// What the model needs to know about a tested allele.
#[derive(Debug, Clone, Copy)]
pub struct RateQuery<'a> {
    /// Trinucleotide around the position (for SNVs).
    pub context: [u8; 3],
    /// The alt allele.
    pub allele: &'a Alt,
    /// Homopolymer run length after the anchor (for indels).
    pub homopolymer: usize,
    /// Mean base quality of all molecules at the site.
    pub mean_bq: f64,
    /// The site: (contig index, 0-based position; the anchor for indels).
    pub site: (usize, u64),
    /// For an indel: what this site put into its run length's tally, left
    /// out of the rates it is tested against (`None`: nothing to leave out,
    /// e.g. a LoD query or a locus masked from the fit).
    pub own: Option<context::SiteTally>,
}

/// The null distribution of the alt molecules at one site: per molecule
/// class, the probability that one molecule of the class shows the allele
/// by error; with a panel of normals that found the rate varying between
/// samples, the concentration (alpha + beta) of its Beta distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Null {
    /// Error rate per [`MoleculeClass`] (by index).
    pub rates: ClassRates,
    /// Per class, the mean size of the clusters error molecules come in
    /// (1: independent molecules; see `weighted`).
    pub dispersion: ClassRates,
    /// alpha + beta of the per-sample rate; `None`: the rate is fixed.
    pub concentration: Option<f64>,
    /// The panel of normals says this allele is noisy here: the normals'
    /// pooled alt fraction (FILTER NoisySite when the sample is not well above it).
    pub noisy: Option<f64>,
}

impl Null {
    /// One fixed rate for every class (the binomial test of the count).
    pub fn binomial(rate: f64) -> Self {
        Null {
            rates: [rate; N_CLASSES],
            dispersion: [1.0; N_CLASSES],
            concentration: None,
            noisy: None,
        }
    }

    /// The rate of a site's molecule mix: the class rates weighted by the
    /// molecules of each class (`depth`); the mean of the classes when
    /// there are none. The expected alt count by error is `n` times it.
    pub fn mix_rate(&self, depth: &ClassCounts) -> f64 {
        let n: u32 = depth.iter().sum();
        if n == 0 {
            return self.rates.iter().sum::<f64>() / N_CLASSES as f64;
        }
        (0..N_CLASSES)
            .map(|c| f64::from(depth[c]) * self.rates[c])
            .sum::<f64>()
            / f64::from(n)
    }

    /// Add the molecules of another allele at the site that show this one
    /// after `distance` read substitutions: `source[c]` is that allele's
    /// fraction of class `c`'s molecules, `per_base[c]` the class's
    /// substitution rate.
    ///
    /// METHOD: an insertion whose inserted bases differ at `d` positions
    /// from another insertion of the same length at the anchor is also what
    /// the other allele's molecules show after `d` read errors: each class's
    /// rate gains `f_c s_c^d`. Next to a heterozygous germline insertion
    /// (`f = 0.5`, single reads at `s ~ 2e-4`) that is ~1e-4 per molecule,
    /// ten times the background rate of any insertion, and three single
    /// reads with one wrong inserted base are no variant.
    pub fn add_misread(&mut self, source: &ClassRates, per_base: &ClassRates, distance: u32) {
        for c in 0..N_CLASSES {
            let extra = source[c] * per_base[c].powi(distance as i32);
            self.rates[c] = (self.rates[c] + extra).min(0.5);
        }
    }

    /// The null of molecules pooled over samples: `parts` holds each
    /// sample's null and its molecules by class.
    ///
    /// METHOD: the expected error molecules of the samples add up, so each
    /// class's rate is the samples' rates weighted by their molecules of
    /// the class; the cluster size (dispersion) is the largest of the
    /// samples', an overdispersed rate's concentration the smallest (both
    /// the conservative side), and the site is noisy when any sample's
    /// panel says so.
    pub fn pooled(parts: &[(&Null, &ClassCounts)]) -> Null {
        let mut out = Null::binomial(0.0);
        let mut n = [0.0f64; N_CLASSES];
        for (null, depth) in parts {
            for c in 0..N_CLASSES {
                out.rates[c] += f64::from(depth[c]) * null.rates[c];
                n[c] += f64::from(depth[c]);
                out.dispersion[c] = out.dispersion[c].max(null.dispersion[c]);
            }
            out.concentration = match (out.concentration, null.concentration) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            out.noisy = out.noisy.or(null.noisy);
        }
        for (c, (rate, &n)) in out.rates.iter_mut().zip(&n).enumerate() {
            *rate = if n > 0.0 {
                *rate / n
            } else {
                parts.iter().map(|(x, _)| x.rates[c]).fold(0.0, f64::max)
            };
        }
        out
    }

    /// ln p of `alt` alt molecules among `depth` molecules (both by class).
    ///
    /// METHOD: where the classes present have different rates, the
    /// weighted test of [`weighted`] (each molecule at its class's rate);
    /// otherwise, and where the panel of normals found overdispersion, the
    /// count `K = sum k_c` against `Binomial(n, e)` or
    /// `BetaBinomial(n, e c, (1 - e) c)` with `e` the mix rate (the
    /// overdispersed rate is one draw per sample, shared by the classes,
    /// which the independent-class test could not express).
    pub fn ln_sf(&self, alt: &ClassCounts, depth: &ClassCounts) -> f64 {
        if self.concentration.is_none() {
            if let Some(w) = Weighted::with_dispersion(&self.rates, &self.dispersion, depth) {
                return w.ln_sf(alt);
            }
        }
        let k: u32 = alt.iter().sum();
        let n: u32 = depth.iter().sum();
        self.ln_sf_count(k, n, self.mix_rate(depth))
    }

    /// ln P(K >= k) of the plain count at rate `rate` (binomial, or
    /// beta-binomial with the concentration).
    pub fn ln_sf_count(&self, k: u32, n: u32, rate: f64) -> f64 {
        let (k, n) = (u64::from(k), u64::from(n));
        match self.concentration {
            Some(c) => stats::ln_betabinom_sf(k, n, rate * c, (1.0 - rate) * c),
            None => stats::ln_binom_sf(k, n, rate),
        }
    }
}

/// A source of null error rates.
pub trait Background: Sync {
    /// The null distribution of one allele at one site.
    fn null(&self, q: &RateQuery) -> Null;
    /// Per molecule class, the rate at which one read base turns into one
    /// particular other base (the class's overall SNV rate per alt allele):
    /// how often a molecule of one inserted sequence shows another.
    fn substitution_rates(&self) -> ClassRates;
    /// Short name written into the VCF header and metrics.
    fn name(&self) -> &'static str;
    /// Does this background measure each site's own rate (a panel of
    /// normals), so that a site artifact shows as one? The sample's own
    /// context rates do not: they pool every site of a context.
    fn measures_sites(&self) -> bool {
        false
    }
    /// One-line description for the VCF header (`##ctdna_background_model`).
    fn describe(&self) -> String {
        self.name().to_string()
    }
}

/// The background one sample is tested against: its own context rates, or
/// with a panel of normals the normals' per-site rates shrunk toward them.
/// `call` and `mrd` build theirs through [`SampleModel::of`].
pub enum SampleModel<'a> {
    Context(prepared::PreparedRates<'a>),
    Pon(pon::PonModel<'a>),
}

impl<'a> SampleModel<'a> {
    /// The model of a sample with context rates `rates`, and the run's PoN if any.
    pub fn of(rates: &'a context::ContextRates, pon: Option<&'a pon::LoadedPon>) -> Self {
        match pon {
            Some(p) => SampleModel::Pon(pon::PonModel {
                pon: &p.pon,
                fallback: prepared::PreparedRates::new(rates),
                params: p.params,
                n_normals: p.normals,
            }),
            None => SampleModel::Context(prepared::PreparedRates::new(rates)),
        }
    }

    /// One model per sample, in sample order.
    pub fn all(rates: &'a [context::ContextRates], pon: Option<&'a pon::LoadedPon>) -> Vec<Self> {
        rates.iter().map(|r| SampleModel::of(r, pon)).collect()
    }

    /// As the trait object the caller and the LoD take.
    pub fn as_dyn(&self) -> &dyn Background {
        match self {
            SampleModel::Context(c) => c,
            SampleModel::Pon(p) => p,
        }
    }
}

/// Base-quality floor of an SNV rate: 10^(-Q/10)/3.
pub fn bq_floor(mean_bq: f64) -> f64 {
    10f64.powf(-mean_bq / 10.0) / 3.0
}

/// Which tally of the context model a query's allele belongs to: its kind
/// and class index (SNV class, or homopolymer length index); `None` for an
/// SNV whose context holds an N.
fn tally_of(q: &RateQuery) -> Option<(context::Kind, usize)> {
    match q.allele {
        Alt::Snv(alt) => {
            context::snv_class(q.context, BASES[usize::from(*alt)]).map(|i| (context::Kind::Snv, i))
        }
        Alt::Indel(e) => Some(context::event_tally(
            e,
            q.homopolymer.clamp(1, context::MAX_HP) - 1,
        )),
    }
}

/// The base-quality floor of a query: 10^(-Q/10)/3 for SNVs, none for indels.
fn floor_of(q: &RateQuery) -> f64 {
    match q.allele {
        Alt::Snv(_) => bq_floor(q.mean_bq),
        Alt::Indel(_) => context::MIN_RATE,
    }
}

impl context::ContextRates {
    /// The rate of every molecule pooled (no classes), floored as the
    /// one-read class is: what a panel of normals' pooled counts are
    /// compared with.
    pub fn pooled_rate(&self, q: &RateQuery) -> f64 {
        let floor = floor_of(q);
        tally_of(q).map_or(floor, |(kind, i)| {
            self.left_out_of(q, kind, i).kind_rate(kind, i).max(floor)
        })
    }

    /// These rates, or (for an indel query with [`RateQuery::own`]) these
    /// rates without the site's own contribution.
    fn left_out_of(
        &self,
        q: &RateQuery,
        kind: context::Kind,
        i: usize,
    ) -> std::borrow::Cow<'_, Self> {
        match (q.own, kind) {
            (Some(site), kind) if kind != context::Kind::Snv => {
                std::borrow::Cow::Owned(self.without(kind, i, &site))
            }
            _ => std::borrow::Cow::Borrowed(self),
        }
    }
}

/// Class dispersion above which a sample's molecules are taken to come in
/// clusters of copies (PCR copies counted as molecules: duplicates not
/// marked, no UMIs); independent molecules measure 1.0-1.3.
const CLUSTERED: f64 = 1.5;

impl context::ContextRates {
    /// An MNV in a sample whose molecules come in clusters is no stronger
    /// than its first substitution as an SNV: each class's rate is at
    /// least that SNV's.
    ///
    /// METHOD: an MNV's own rate is that of two errors on one molecule,
    /// rare (~1e-6 per position); where copies of one molecule are counted
    /// as several, a single double error in a template before
    /// amplification shows on every copy, a cluster the mean cluster size
    /// (the dispersion, fitted on SNVs where most errors are single-read
    /// errors) understates: in `umi_truth`'s fragment normal five copies
    /// of one such template passed against the MNV rate. The SNV rate,
    /// with its dispersion, is calibrated on exactly such clusters.
    fn floor_at_first_substitution(&self, rates: &mut ClassRates, seq: &[u8], q: &RateQuery) {
        let Some(first) = seq.first().and_then(|&b| base_index(b)) else {
            return;
        };
        let snv = self.null(&RateQuery {
            allele: &Alt::Snv(first as u8),
            own: None,
            ..*q
        });
        for (r, s) in rates.iter_mut().zip(snv.rates) {
            *r = r.max(s);
        }
    }
}

/// The sample's own context rates, per molecule class.
///
/// METHOD: each class's rate is [`context::ContextRates::class_rate`]; the
/// one-read class's SNV rate is floored at 10^(-Q/10)/3 with Q the site's
/// mean base quality (the chance a read error makes this particular base),
/// as a single read's base quality bounds its error from below; classes of
/// several agreeing reads are not floored by qualities (two reads rarely
/// make the same error: their rates are what the data show).
impl Background for context::ContextRates {
    fn null(&self, q: &RateQuery) -> Null {
        let floor = floor_of(q);
        let Some((kind, i)) = tally_of(q) else {
            return Null::binomial(floor);
        };
        let own = self.left_out_of(q, kind, i);
        let mut rates = own.class_rates(kind, i);
        let read = &mut rates[MoleculeClass::Read.index()];
        *read = read.max(floor);
        let dispersion = MoleculeClass::ALL.map(|c| self.class_dispersion(c));
        if let Alt::Indel(Indel::Mnv(seq)) = q.allele {
            if dispersion.iter().any(|&d| d > CLUSTERED) {
                self.floor_at_first_substitution(&mut rates, seq, q);
            }
        }
        Null {
            rates,
            dispersion,
            concentration: None,
            noisy: None,
        }
    }
    fn substitution_rates(&self) -> ClassRates {
        MoleculeClass::ALL.map(|c| self.class_overall(context::Kind::Snv, c))
    }
    fn name(&self) -> &'static str {
        "sample-context"
    }
}
