//! A patient's plasma series (`ctdna mrd --bam T1 --bam T2 ...`): each
//! timepoint is fitted on its own (its own background, test and limit of
//! detection, exactly as a single sample), then read as a trajectory.
//!
//! "Molecular relapse" is the first DETECTED that follows a NOT_DETECTED:
//! the patient cleared (as far as the assay sees) and tumor DNA came back.
//! A series that is DETECTED throughout, or never DETECTED, has none.

use super::{MrdCall, SampleResult};

/// One timepoint of the series: its label and its sample's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Timepoint<'a> {
    /// `--timepoints` label, else the BAM's sample name.
    pub timepoint: String,
    /// 1-based position in the series (the `--bam` order).
    pub index: usize,
    #[serde(flatten)]
    pub result: &'a SampleResult,
    /// This timepoint's TF / the baseline's TF (with `--baseline`, when both > 0).
    pub tf_ratio_to_baseline: Option<f64>,
    /// This is the timepoint of the molecular relapse.
    pub relapse: bool,
}

/// Where the molecular relapse is reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Relapse {
    /// The timepoint's label.
    pub timepoint: String,
    /// Its 1-based position in the series.
    pub index: usize,
    /// The label of the last NOT_DETECTED before it.
    pub after_not_detected: String,
}

/// Index (0-based) of the first DETECTED after a NOT_DETECTED, if any.
pub fn relapse_index(calls: &[MrdCall]) -> Option<usize> {
    let first_clear = calls.iter().position(|&c| c == MrdCall::NotDetected)?;
    (first_clear + 1..calls.len()).find(|&i| calls[i] == MrdCall::Detected)
}

/// Fold the per-timepoint results into the trajectory (`labels` and
/// `results` in time order, same length).
pub fn trajectory<'a>(
    labels: &[String],
    results: &'a [SampleResult],
    baseline: Option<&SampleResult>,
) -> (Vec<Timepoint<'a>>, Option<Relapse>) {
    let calls: Vec<MrdCall> = results.iter().map(|r| r.call).collect();
    let at = relapse_index(&calls);
    let relapse = at.map(|i| Relapse {
        timepoint: labels[i].clone(),
        index: i + 1,
        after_not_detected: labels[i - 1].clone(),
    });
    let points = labels
        .iter()
        .zip(results)
        .enumerate()
        .map(|(i, (label, r))| Timepoint {
            timepoint: label.clone(),
            index: i + 1,
            result: r,
            tf_ratio_to_baseline: ratio_to_baseline(r, baseline),
            relapse: at == Some(i),
        })
        .collect();
    (points, relapse)
}

/// `sample TF / baseline TF` when the baseline's TF is above 0.
pub fn ratio_to_baseline(r: &SampleResult, baseline: Option<&SampleResult>) -> Option<f64> {
    baseline
        .filter(|b| b.tumor_fraction > 0.0)
        .map(|b| r.tumor_fraction / b.tumor_fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MrdCall::{Detected as D, NotDetected as N};

    #[test]
    fn relapse_is_the_first_detected_after_a_not_detected() {
        assert_eq!(relapse_index(&[D, D, N, N, D, D]), Some(4));
        assert_eq!(relapse_index(&[N, D]), Some(1));
        // Detected throughout, never detected, or cleared at the end: none.
        assert_eq!(relapse_index(&[D, D, D]), None);
        assert_eq!(relapse_index(&[N, N, N]), None);
        assert_eq!(relapse_index(&[D, D, N]), None);
        assert_eq!(relapse_index(&[]), None);
        // A second clearance and return does not move it.
        assert_eq!(relapse_index(&[D, N, D, N, D]), Some(2));
    }
}
