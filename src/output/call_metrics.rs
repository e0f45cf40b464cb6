//! Metrics of a `ctdna call` run (SPEC section 6): summaries of what the
//! calling stage computed (per-position depth and LoD tracks, summarised as
//! they arrive: [`super::track_summary`]; calls), and
//! the model's rates; serialized to JSON.

use super::track_summary::{DepthCounts, TrackSummary};
use crate::calling::Call;
use crate::evidence::read_alarms::{read_alarms, ReadAlarm};
use crate::evidence::ReadCounters;
use crate::model::context::RateReport;
use crate::model::tiers::UmiMetrics;
use crate::regions::Target;
use crate::Result;

/// Depth summary over positions.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DepthSummary {
    pub mean: f64,
    /// The middle position's depth (the upper one of an even count).
    pub median: u32,
    pub min: u32,
    pub pct_ge_500: f64,
    pub pct_ge_1000: f64,
    pub pct_ge_2000: f64,
}

impl DepthSummary {
    fn of(depths: &DepthCounts) -> Self {
        if depths.is_empty() {
            return Self::default();
        }
        let len = depths.len();
        let n = len as f64;
        let sum: u64 = depths.0.iter().map(|(&d, &c)| u64::from(d) * c).sum();
        let pct = |t: u32| {
            let at_least: u64 = depths.0.range(t..).map(|(_, &c)| c).sum();
            100.0 * at_least as f64 / n
        };
        DepthSummary {
            mean: sum as f64 / n,
            median: depths.at_rank(len / 2),
            min: depths.0.keys().next().copied().unwrap_or(0),
            pct_ge_500: pct(500),
            pct_ge_1000: pct(1000),
            pct_ge_2000: pct(2000),
        }
    }
}

/// Target positions by depth, in bins of equal width (for the report's
/// depth distribution).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DepthHistogram {
    /// 1, 2 or 5 times a power of ten: at most [`DEPTH_BINS`] bins hold every depth.
    pub bin_width: u32,
    /// `counts[i]`: positions with depth in `[i * bin_width, (i + 1) * bin_width)`.
    pub counts: Vec<u64>,
}

/// Most bins of a [`DepthHistogram`].
pub const DEPTH_BINS: u32 = 50;

impl DepthHistogram {
    fn of(depths: &DepthCounts) -> Self {
        let Some(&max) = depths.0.keys().next_back() else {
            return Self::default();
        };
        let mut width = 1u32;
        'search: for scale in (0..10).map(|e| 10u32.saturating_pow(e)) {
            for step in [1, 2, 5] {
                width = scale.saturating_mul(step);
                if max / width < DEPTH_BINS {
                    break 'search;
                }
            }
        }
        let mut counts = vec![0u64; (max / width) as usize + 1];
        for (&d, &c) in &depths.0 {
            counts[(d / width) as usize] += c;
        }
        DepthHistogram {
            bin_width: width,
            counts,
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
    /// Read filters that dropped many of the reads, or too few reads used
    /// (also warned about on stderr).
    pub read_alarms: Vec<ReadAlarm>,
    /// Fraction of used reads whose mate overlapped them (merged into one fragment).
    pub overlap_fraction: f64,
    pub depth: DepthSummary,
    /// Depth over the sample's target positions.
    pub depth_histogram: DepthHistogram,
    pub lod_median: f64,
    pub lod_p90: f64,
    pub targets: Vec<TargetMetrics>,
    pub background_model: String,
    pub error_rates: RateReport,
    /// UMI mode only: families and per-tier error rates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub umi: Option<UmiMetrics>,
}

/// Calls written and passing.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CallCounts {
    pub records: usize,
    pub pass: usize,
    pub pass_snv: usize,
    pub pass_indel: usize,
    pub pass_mnv: usize,
}

fn type_of(c: &Call) -> &'static str {
    super::vcf::variant_type(&c.ref_allele, &c.alt_allele)
}

impl CallCounts {
    pub fn of(calls: &[Call]) -> Self {
        let pass: Vec<&Call> = calls.iter().filter(|c| c.passes()).collect();
        CallCounts {
            records: calls.len(),
            pass: pass.len(),
            pass_snv: pass.iter().filter(|c| type_of(c) == "snv").count(),
            pass_indel: pass.iter().filter(|c| c.is_indel).count(),
            pass_mnv: pass.iter().filter(|c| type_of(c) == "mnv").count(),
        }
    }
}

/// What a sample's metrics hold besides its depth and LoD tracks.
#[derive(Debug, Clone)]
pub struct SampleFacts {
    pub name: String,
    pub reads: ReadCounters,
    /// [`crate::model::Background::name`] of the sample's model.
    pub background_model: String,
    pub error_rates: RateReport,
    pub umi: Option<UmiMetrics>,
}

/// The per-sample metrics: depth and LoD summaries per merged target and
/// over the panel, from the sample's tracks summarised in panel order.
pub fn sample_metrics(
    targets: &[Target],
    tracks: &TrackSummary,
    facts: SampleFacts,
) -> Result<SampleMetrics> {
    let summarize = |i: Option<usize>, depths: &DepthCounts| -> Result<(DepthSummary, f64, f64)> {
        let q = tracks.lod_quantiles(i, &[0.5, 0.9])?;
        Ok((DepthSummary::of(depths), q[0], q[1]))
    };
    let mut seen: Vec<Option<(DepthSummary, f64, f64)>> = vec![None; targets.len()];
    for (i, part) in tracks.targets.iter().enumerate() {
        seen[part.target] = Some(summarize(Some(i), &part.depths)?);
    }
    let target_metrics = targets
        .iter()
        .zip(seen)
        .map(|(t, s)| {
            let (depth, lod_median, lod_p90) =
                s.unwrap_or_else(|| (DepthSummary::default(), f64::NAN, f64::NAN));
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
    let (depth, lod_median, lod_p90) = summarize(None, &tracks.all)?;
    let reads = facts.reads;
    let overlap_fraction = if reads.used == 0 {
        0.0
    } else {
        2.0 * reads.overlapping_pairs as f64 / reads.used as f64
    };
    Ok(SampleMetrics {
        name: facts.name,
        read_alarms: read_alarms(&reads),
        reads,
        overlap_fraction,
        depth,
        depth_histogram: DepthHistogram::of(&tracks.all),
        lod_median,
        lod_p90,
        targets: target_metrics,
        background_model: facts.background_model,
        error_rates: facts.error_rates,
        umi: facts.umi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_depth_histogram_holds_every_position_in_at_most_fifty_bins() {
        let depths: Vec<u32> = (0..=2_345).collect();
        let h = DepthHistogram::of(&DepthCounts::of(&depths));
        assert_eq!(h.bin_width, 50);
        assert_eq!(h.counts.len(), 47);
        assert_eq!(h.counts.iter().sum::<u64>(), depths.len() as u64);
        assert_eq!((h.counts[0], h.counts[46]), (50, 46));
        let small = DepthHistogram::of(&DepthCounts::of(&[0, 3, 3]));
        assert_eq!((small.bin_width, small.counts), (1, vec![1, 0, 0, 2]));
        assert!(DepthHistogram::of(&DepthCounts::of(&[])).counts.is_empty());
    }

    #[test]
    fn the_median_depth_is_the_middle_position_s() {
        assert_eq!(
            DepthSummary::of(&DepthCounts::of(&[5, 1, 900, 7, 2])).median,
            5
        );
        assert_eq!(DepthSummary::of(&DepthCounts::of(&[4, 1])).median, 4);
    }
}
