//! Background error model and statistics (SPEC section 3).
//!
//! [`Background`] is the seam where a panel of normals plugs in later: the
//! caller asks it for the null error rate of one allele at one site.

pub mod context;
pub mod saved;
pub mod stats;

use crate::evidence::alleles::Indel;

/// What the model needs to know about a tested allele.
#[derive(Debug, Clone, Copy)]
pub struct RateQuery<'a> {
    /// Trinucleotide around the position (for SNVs).
    pub context: [u8; 3],
    /// The alt allele.
    pub allele: AltRef<'a>,
    /// Homopolymer run length after the anchor (for indels).
    pub homopolymer: usize,
    /// Mean base quality of all molecules at the site.
    pub mean_bq: f64,
}

/// An alt allele as the model sees it.
#[derive(Debug, Clone, Copy)]
pub enum AltRef<'a> {
    Snv(u8),
    Indel(&'a Indel),
}

/// A source of null error rates.
pub trait Background: Sync {
    /// Probability that a molecule shows this alt allele by error.
    fn rate(&self, q: &RateQuery) -> f64;
    /// Short name written into the VCF header and metrics.
    fn name(&self) -> &'static str;
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
            AltRef::Snv(alt) => {
                let floor = 10f64.powf(-q.mean_bq / 10.0) / 3.0;
                let class = context::snv_class(q.context, alt);
                class.map_or(floor, |c| self.snv_rate(c).max(floor))
            }
            AltRef::Indel(indel) => self.indel_rate(matches!(indel, Indel::Ins(_)), q.homopolymer),
        }
    }
    fn name(&self) -> &'static str {
        "sample-context"
    }
}
