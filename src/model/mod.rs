//! Background error model and statistics (SPEC section 3).
//!
//! [`Background`] is the seam between the caller and the error model: the
//! caller asks it for the null distribution of one allele at one site. Two
//! models exist: the sample's own context rates ([`context`]) and the panel
//! of normals ([`pon`]), which falls back on the context rates where the
//! normals are thin; [`SampleModel::of`] picks a sample's, for `call` and
//! `mrd` alike. [`tiers`] summarises the per-tier error rates of UMI mode.

pub mod context;
pub mod pon;
pub mod pon_file;
pub mod saved;
pub mod stats;
pub mod tiers;

use crate::evidence::alleles::{Alt, Indel, BASES};

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
}

/// The null distribution of the alt count at one site: binomial with the
/// rate, or beta-binomial when the model knows the rate varies between
/// samples (`concentration` = alpha + beta of the rate's Beta distribution).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Null {
    /// Expected fraction of molecules showing the allele by error.
    pub rate: f64,
    /// alpha + beta of the per-sample rate; `None`: the rate is fixed (binomial).
    pub concentration: Option<f64>,
    /// The panel of normals says this allele is noisy here: the normals'
    /// pooled alt fraction (FILTER NoisySite when the sample is not well above it).
    pub noisy: Option<f64>,
}

impl Null {
    /// A fixed rate (binomial test).
    pub fn binomial(rate: f64) -> Self {
        Null {
            rate,
            concentration: None,
            noisy: None,
        }
    }

    /// ln P(K >= k) for `k` alt molecules out of `n` under this null.
    pub fn ln_sf(&self, k: u32, n: u32) -> f64 {
        let (k, n) = (u64::from(k), u64::from(n));
        match self.concentration {
            Some(c) => stats::ln_betabinom_sf(k, n, self.rate * c, (1.0 - self.rate) * c),
            None => stats::ln_binom_sf(k, n, self.rate),
        }
    }
}

/// A source of null error rates.
pub trait Background: Sync {
    /// Probability that a molecule shows this alt allele by error.
    fn rate(&self, q: &RateQuery) -> f64;
    /// The null distribution of the alt count (binomial with [`Background::rate`] unless overridden).
    fn null(&self, q: &RateQuery) -> Null {
        Null::binomial(self.rate(q))
    }
    /// Short name written into the VCF header and metrics.
    fn name(&self) -> &'static str;
    /// One-line description for the VCF header (`##ctdna_background_model`).
    fn describe(&self) -> String {
        self.name().to_string()
    }
}

/// The background one sample is tested against: its own context rates, or
/// with a panel of normals the normals' per-site rates shrunk toward them.
/// `call` and `mrd` build theirs through [`SampleModel::of`].
pub enum SampleModel<'a> {
    Context(&'a context::ContextRates),
    Pon(pon::PonModel<'a>),
}

impl<'a> SampleModel<'a> {
    /// The model of a sample with context rates `rates`, and the run's PoN if any.
    pub fn of(rates: &'a context::ContextRates, pon: Option<&'a pon::LoadedPon>) -> Self {
        match pon {
            Some(p) => SampleModel::Pon(pon::PonModel {
                pon: &p.pon,
                fallback: rates,
                params: p.params,
                n_normals: p.normals,
            }),
            None => SampleModel::Context(rates),
        }
    }

    /// One model per sample, in sample order.
    pub fn all(rates: &'a [context::ContextRates], pon: Option<&'a pon::LoadedPon>) -> Vec<Self> {
        rates.iter().map(|r| SampleModel::of(r, pon)).collect()
    }

    /// As the trait object the caller and the LoD take.
    pub fn as_dyn(&self) -> &dyn Background {
        match self {
            SampleModel::Context(c) => *c,
            SampleModel::Pon(p) => p,
        }
    }
}

/// Base-quality floor of an SNV rate: 10^(-Q/10)/3.
pub fn bq_floor(mean_bq: f64) -> f64 {
    10f64.powf(-mean_bq / 10.0) / 3.0
}

/// The sample's own context rates, floored by the base-quality-implied rate.
///
/// METHOD: the floor is 10^(-Q/10)/3 with Q the site's mean base quality
/// (the chance an error produces this particular base), an approximation of
/// the mean of per-base error probabilities that is exact when qualities are
/// uniform at a site.
impl Background for context::ContextRates {
    fn rate(&self, q: &RateQuery) -> f64 {
        match q.allele {
            Alt::Snv(alt) => {
                let floor = bq_floor(q.mean_bq);
                let class = context::snv_class(q.context, BASES[usize::from(*alt)]);
                class.map_or(floor, |c| self.snv_rate(c).max(floor))
            }
            Alt::Indel(indel) => self.indel_rate(matches!(indel, Indel::Ins(_)), q.homopolymer),
        }
    }
    fn name(&self) -> &'static str {
        "sample-context"
    }
}
