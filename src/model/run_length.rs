//! Indel rates by homopolymer run length: slippage grows with the run, and
//! long runs are rare in a panel, so each length borrows strength from a
//! trend over the lengths instead of from the overall indel rate.

use super::tally::{shrunk_toward, Tally};

/// The shortest run (bases) whose indel rate follows the run-length trend;
/// shorter ones (no run, or two bases) are shrunk toward the overall rate.
pub const TREND_FROM: usize = 3;

/// The indel rate of run length `i + 1` from the tallies of every length
/// (index = length - 1, the last holding longer runs too).
///
/// METHOD: over lengths >= [`TREND_FROM`] with molecules, a log-linear
/// trend `ln r_L = a + b L` is fitted by least squares on
/// `ln((alt + 0.5) / (depth + 1))`, each length weighted by `alt + 0.5`
/// (the inverse variance of a log count), with `b >= 0` (slippage does not
/// fall with run length). A length's rate is its tally shrunk toward the
/// trend (or toward `overall` where the trend is lower or cannot be
/// fitted), then made non-decreasing in the length. So a 9-base run seen
/// at two sites of a panel is judged against what the panel's 5-8 base
/// runs say a 9-base run slips, not against the overall indel rate, which
/// the one-base "runs" of most positions hold near zero; and a deep sample
/// does not make a long run's slippage a variant, because the rate, not an
/// alt count, is what the test compares with.
pub fn run_length_rate(tallies: &[Tally], i: usize, overall: f64) -> f64 {
    let from = TREND_FROM - 1;
    if i < from {
        return shrunk_toward(tallies[i], overall);
    }
    let trend =
        trend(&tallies[from..]).map(|(a, b)| move |idx: usize| (a + b * (idx + 1) as f64).exp());
    let prior = |idx: usize| trend.map_or(overall, |t| t(idx).max(overall));
    (from..=i)
        .map(|idx| shrunk_toward(tallies[idx], prior(idx)))
        .fold(0.0, f64::max)
}

/// `(a, b)` of the weighted log-linear fit over `tallies` (the first at
/// length [`TREND_FROM`]); `None` with fewer than two lengths observed or
/// no error at all.
fn trend(tallies: &[Tally]) -> Option<(f64, f64)> {
    let pts: Vec<(f64, f64, f64)> = tallies
        .iter()
        .enumerate()
        .filter(|(_, c)| c.depth > 0)
        .map(|(k, c)| {
            let len = (TREND_FROM + k) as f64;
            let y = ((c.alt as f64 + 0.5) / (c.depth as f64 + 1.0)).ln();
            (len, y, c.alt as f64 + 0.5)
        })
        .collect();
    if pts.len() < 2 || pts.iter().all(|p| p.2 < 1.0) {
        return None;
    }
    let w: f64 = pts.iter().map(|p| p.2).sum();
    let mx = pts.iter().map(|p| p.2 * p.0).sum::<f64>() / w;
    let my = pts.iter().map(|p| p.2 * p.1).sum::<f64>() / w;
    let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum();
    let b = if sxx > 0.0 { (sxy / sxx).max(0.0) } else { 0.0 };
    Some((my - b * mx, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(alt: u64, depth: u64) -> Tally {
        Tally { alt, depth }
    }

    /// Runs of 3-8 bases slipping 3x more per base (1e-5 at 3 ... 2.4e-3 at
    /// 8), deeply sampled; one 9-base run at 2,000 molecules showing 12
    /// slips (0.6%).
    fn tallies() -> Vec<Tally> {
        let mut v = vec![t(50, 10_000_000), t(20, 1_000_000)];
        let mut rate = 1e-5;
        for _ in 3..=8 {
            let depth = 400_000u64;
            v.push(t((rate * depth as f64).round() as u64, depth));
            rate *= 3.0;
        }
        v.push(t(12, 2_000));
        v.push(t(0, 0));
        v
    }

    #[test]
    fn a_rare_long_run_borrows_from_the_trend_not_the_overall_rate() {
        let v = tallies();
        let overall = 1e-5;
        let r9 = run_length_rate(&v, 8, overall);
        // The trend says ~7e-3 at 9 bases; the run's own 0.6% agrees.
        assert!((3e-3..1.5e-2).contains(&r9), "{r9}");
        // Shrunk toward the overall rate it was ~2e-3: 12 slips looked like
        // a variant at 2,000 molecules.
        let old = shrunk_toward(v[8], overall);
        assert!(old < 2.5e-3, "{old}");
        // A longer run never has a lower rate; an unobserved one follows the trend.
        let r10 = run_length_rate(&v, 9, overall);
        assert!(r10 >= r9, "{r10} {r9}");
        // Short lengths keep the overall prior.
        assert_eq!(
            run_length_rate(&v, 0, overall),
            shrunk_toward(v[0], overall)
        );
    }

    #[test]
    fn without_a_trend_the_overall_rate_is_the_prior() {
        let v = vec![t(5, 1_000_000), t(0, 0), t(0, 100), t(0, 0)];
        assert_eq!(trend(&v[2..]), None);
        assert_eq!(run_length_rate(&v, 2, 1e-6), shrunk_toward(v[2], 1e-6));
        // A falling trend is flat (b = 0), not negative.
        let falling = vec![t(100, 10_000), t(10, 10_000), t(1, 10_000)];
        let (_, b) = trend(&falling).unwrap();
        assert_eq!(b, 0.0);
    }
}
