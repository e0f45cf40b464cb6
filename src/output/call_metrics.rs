//! Metrics of a `ctdna call` run (SPEC section 6), built from the evidence
//! and the calls; serialized to JSON.

use crate::calling::lod::limit_of_detection;
use crate::calling::Call;
use crate::evidence::alleles::{base_index, BASES};
use crate::evidence::engine::ShardEvidence;
use crate::evidence::ReadCounters;
use crate::model::context::{trinucleotide, RateReport};
use crate::model::{AltRef, Background, Null, RateQuery};
use crate::regions::Target;
use rayon::prelude::*;

/// Depth summary over positions.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DepthSummary {
    pub mean: f64,
    pub min: u32,
    pub pct_ge_500: f64,
    pub pct_ge_1000: f64,
    pub pct_ge_2000: f64,
}

impl DepthSummary {
    fn of(depths: &[u32]) -> Self {
        if depths.is_empty() {
            return Self::default();
        }
        let n = depths.len() as f64;
        let pct = |t: u32| 100.0 * depths.iter().filter(|&&d| d >= t).count() as f64 / n;
        DepthSummary {
            mean: depths.iter().map(|&d| f64::from(d)).sum::<f64>() / n,
            min: depths.iter().copied().min().unwrap_or(0),
            pct_ge_500: pct(500),
            pct_ge_1000: pct(1000),
            pct_ge_2000: pct(2000),
        }
    }
}

/// One merged target of one sample.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetMetrics {
    pub contig: String,
    pub start: u64,
    pub end: u64,
    pub depth: DepthSummary,
    /// Median and 90th percentile of the per-position SNV limit of detection.
    pub lod_median: f64,
    pub lod_p90: f64,
}

/// One sample.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SampleMetrics {
    pub name: String,
    pub reads: ReadCounters,
    /// Fraction of used reads whose mate overlapped them (merged into one fragment).
    pub overlap_fraction: f64,
    pub depth: DepthSummary,
    pub lod_median: f64,
    pub lod_p90: f64,
    pub targets: Vec<TargetMetrics>,
    pub background_model: String,
    pub error_rates: RateReport,
}

/// Calls written and passing.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CallCounts {
    pub records: usize,
    pub pass: usize,
    pub pass_snv: usize,
    pub pass_indel: usize,
}

impl CallCounts {
    pub fn of(calls: &[Call]) -> Self {
        let pass: Vec<&Call> = calls.iter().filter(|c| c.passes()).collect();
        CallCounts {
            records: calls.len(),
            pass: pass.len(),
            pass_snv: pass.iter().filter(|c| !c.is_indel).count(),
            pass_indel: pass.iter().filter(|c| c.is_indel).count(),
        }
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// Per-position (depth, SNV LOD) of one sample in one shard. The LOD uses
/// the mean of the three SNV null rates at the position (and, with a panel
/// of normals, the smallest of their concentrations: the most overdispersed).
pub fn position_lods(
    ev: &ShardEvidence,
    sample: usize,
    model: &dyn Background,
    ln_alpha: f64,
    min_alt: u32,
) -> Vec<(u32, f64)> {
    let counts = &ev.samples[sample].counts;
    counts
        .positions
        .iter()
        .enumerate()
        .map(|(i, pc)| {
            let pos = (counts.start + i as u64) as i64;
            let ctx = trinucleotide(&ev.window, pos);
            let n = pc.depth();
            let mut bq = crate::evidence::AlleleStats::default();
            pc.bases.iter().for_each(|b| bq.merge(b));
            let alts = BASES
                .iter()
                .filter(|&&b| Some(b) != Some(ctx[1]) && base_index(ctx[1]).is_some());
            let (mut sum, mut k) = (0.0, 0);
            let mut concentration: Option<f64> = None;
            for &alt in alts {
                let null = model.null(&RateQuery {
                    context: ctx,
                    allele: AltRef::Snv(alt),
                    homopolymer: 1,
                    mean_bq: bq.mean_bq(),
                    site: (ev.shard.rid, pos as u64),
                });
                sum += null.rate;
                if let Some(c) = null.concentration {
                    concentration = Some(concentration.map_or(c, |x: f64| x.min(c)));
                }
                k += 1;
            }
            let null = Null {
                rate: if k == 0 { 1.0 } else { sum / f64::from(k) },
                concentration,
                noisy: None,
            };
            (
                n,
                if n == 0 || k == 0 {
                    1.0
                } else {
                    limit_of_detection(n, &null, ln_alpha, min_alt)
                },
            )
        })
        .collect()
}

/// Build the per-sample metrics.
#[allow(clippy::too_many_arguments)]
pub fn sample_metrics(
    evidence: &[ShardEvidence],
    targets: &[Target],
    sample: usize,
    name: &str,
    reads: ReadCounters,
    model: &dyn Background,
    rates: RateReport,
    ln_alpha: f64,
    min_alt: u32,
) -> SampleMetrics {
    let per_shard: Vec<Vec<(u32, f64)>> = evidence
        .par_iter()
        .map(|ev| position_lods(ev, sample, model, ln_alpha, min_alt))
        .collect();
    let mut by_target: Vec<Vec<(u32, f64)>> = vec![Vec::new(); targets.len()];
    for (ev, v) in evidence.iter().zip(per_shard) {
        by_target[ev.shard.target].extend(v);
    }
    let summarize = |v: &[(u32, f64)]| {
        let depths: Vec<u32> = v.iter().map(|x| x.0).collect();
        let mut lods: Vec<f64> = v.iter().map(|x| x.1).collect();
        lods.sort_by(f64::total_cmp);
        (
            DepthSummary::of(&depths),
            quantile(&lods, 0.5),
            quantile(&lods, 0.9),
        )
    };
    let target_metrics = targets
        .iter()
        .zip(&by_target)
        .map(|(t, v)| {
            let (depth, lod_median, lod_p90) = summarize(v);
            TargetMetrics {
                contig: t.contig.clone(),
                start: t.start,
                end: t.end,
                depth,
                lod_median,
                lod_p90,
            }
        })
        .collect();
    let all: Vec<(u32, f64)> = by_target.concat();
    let (depth, lod_median, lod_p90) = summarize(&all);
    let overlap_fraction = if reads.used == 0 {
        0.0
    } else {
        2.0 * reads.overlapping_pairs as f64 / reads.used as f64
    };
    SampleMetrics {
        name: name.to_string(),
        reads,
        overlap_fraction,
        depth,
        lod_median,
        lod_p90,
        targets: target_metrics,
        background_model: model.name().to_string(),
        error_rates: rates,
    }
}
