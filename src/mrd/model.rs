//! The sample-level tumor-fraction model of `ctdna mrd`.
//!
//! For locus `i` with `n_i` molecules, `k_i` of them showing the tumor
//! allele, a null error rate `e_i` and a weight `w_i` (the allele's expected
//! fraction in tumor DNA: 0.5 for a clonal heterozygous mutation):
//!
//! ```text
//! k_i ~ Binomial(n_i, p_i(TF)),   p_i(TF) = TF w_i + (1 - TF w_i) e_i
//! ```
//!
//! (a molecule is tumor-derived and carries the allele with probability
//! `TF w_i`; any other molecule shows it by error with probability `e_i`;
//! this is the issue's `TF w_i + e_i` kept inside [0, 1]).
//!
//! METHOD: the log-likelihood `l(TF)` is concave in TF (each `p_i` is linear
//! in TF), so the maximum-likelihood TF on [0, 1] is 0 when the slope at 0 is
//! not positive and otherwise the root of the slope, found by bracketed
//! Newton steps. The test of TF = 0 is the likelihood ratio
//! `LR = 2 (l(TF^) - l(0))`; TF = 0 lies on the boundary of the parameter
//! space, so under the null LR follows the chi-bar-square mixture
//! `1/2 chi2_0 + 1/2 chi2_1` (Self & Liang 1987), not chi2_1, and the
//! p-value is `1/2 P(chi2_1 >= LR) = P(Z >= sqrt(LR))` (1 when TF^ = 0).
//! The 95% confidence interval is the profile-likelihood interval
//! `{TF : 2 (l(TF^) - l(TF)) <= 3.841}` (chi2_1 95% quantile) clipped to
//! [0, 1]; with one parameter the profile is the likelihood itself.

use crate::model::stats::ln_binom_sf;
use crate::rng::Rng;

/// chi-square (1 df) 95% quantile: the profile-likelihood CI cut.
pub const CHI2_1_95: f64 = 3.841_458_820_694_124;

/// Smallest error rate the model accepts (a zero rate would make any alt
/// molecule infinitely strong evidence).
pub const MIN_ERROR_RATE: f64 = 1e-8;

/// One locus as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocusObs {
    /// Molecules at the locus.
    pub n: u64,
    /// Of those, molecules showing the tumor allele.
    pub k: u64,
    /// Null error rate (probability a non-tumor molecule shows the allele).
    pub e: f64,
    /// Expected allele fraction in tumor DNA (0.5 clonal heterozygous).
    pub w: f64,
}

impl LocusObs {
    fn e(&self) -> f64 {
        self.e.clamp(MIN_ERROR_RATE, 0.5)
    }
    /// Alt probability per molecule at tumor fraction `tf`.
    pub fn p(&self, tf: f64) -> f64 {
        let e = self.e();
        (tf * self.w + (1.0 - tf * self.w) * e).min(1.0 - 1e-15)
    }
    /// ln P(K >= k) at tumor fraction `tf` (how surprising this locus is).
    pub fn ln_tail(&self, tf: f64) -> f64 {
        ln_binom_sf(self.k, self.n, self.p(tf))
    }
}

/// Log-likelihood (without the binomial coefficients, which cancel in every
/// ratio) at tumor fraction `tf`.
pub fn log_lik(loci: &[LocusObs], tf: f64) -> f64 {
    loci.iter()
        .map(|l| {
            let p = l.p(tf);
            l.k as f64 * p.ln() + (l.n - l.k.min(l.n)) as f64 * (-p).ln_1p()
        })
        .sum()
}

/// First and second derivative of [`log_lik`] in TF.
fn slope(loci: &[LocusObs], tf: f64) -> (f64, f64) {
    let (mut d1, mut d2) = (0.0, 0.0);
    for l in loci {
        let p = l.p(tf);
        let a = l.w * (1.0 - l.e());
        let (k, r) = (l.k as f64, (l.n - l.k.min(l.n)) as f64);
        d1 += a * (k / p - r / (1.0 - p));
        d2 -= a * a * (k / (p * p) + r / ((1.0 - p) * (1.0 - p)));
    }
    (d1, d2)
}

/// Maximum-likelihood tumor fraction in [0, 1].
pub fn mle(loci: &[LocusObs]) -> f64 {
    if loci.iter().all(|l| l.k == 0) || slope(loci, 0.0).0 <= 0.0 {
        return 0.0;
    }
    if slope(loci, 1.0).0 >= 0.0 {
        return 1.0;
    }
    // Bracketed Newton: the slope is decreasing; keep lo (slope > 0) and hi
    // (slope < 0) and fall back to bisection when a step leaves the bracket.
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    // Start near the moment estimate so that tiny TFs converge fast.
    let (alt, exp0, wn): (f64, f64, f64) = loci.iter().fold((0.0, 0.0, 0.0), |a, l| {
        (
            a.0 + l.k as f64,
            a.1 + l.n as f64 * l.e(),
            a.2 + l.n as f64 * l.w,
        )
    });
    let mut x = ((alt - exp0) / wn.max(1.0)).clamp(1e-12, 0.5);
    for _ in 0..200 {
        let (d1, d2) = slope(loci, x);
        if d1 > 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        if hi - lo <= 1e-14 * hi.max(1e-300) || d1 == 0.0 {
            break;
        }
        let step = x - d1 / d2;
        x = if d2 < 0.0 && step > lo && step < hi {
            step
        } else {
            0.5 * (lo + hi)
        };
        if (x - lo).min(hi - x) <= 1e-15 * x {
            break;
        }
    }
    x
}

/// The likelihood-ratio statistic `2 (l(TF^) - l(0))` (>= 0).
pub fn lr_statistic(loci: &[LocusObs], tf_hat: f64) -> f64 {
    if tf_hat <= 0.0 {
        return 0.0;
    }
    (2.0 * (log_lik(loci, tf_hat) - log_lik(loci, 0.0))).max(0.0)
}

/// ln of the upper normal tail P(Z >= z), accurate far into the tail.
pub fn ln_norm_sf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    if x < 20.0 {
        (0.5 * statrs::function::erf::erfc(x)).ln()
    } else {
        // Asymptotic series of erfc: exp(-x^2) / (x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4)).
        let x2 = x * x;
        -x2 - (x * std::f64::consts::PI.sqrt()).ln()
            + (1.0 - 0.5 / x2 + 0.75 / (x2 * x2)).ln()
            + 0.5f64.ln()
    }
}

/// ln p-value of the boundary likelihood-ratio test (chi-bar-square).
pub fn ln_p_value(lr: f64) -> f64 {
    if lr <= 0.0 {
        0.0
    } else {
        ln_norm_sf(lr.sqrt())
    }
}

/// 95% profile-likelihood interval for TF around the MLE `tf_hat`.
pub fn confidence_interval(loci: &[LocusObs], tf_hat: f64) -> (f64, f64) {
    let cut = log_lik(loci, tf_hat) - 0.5 * CHI2_1_95;
    // l is concave: below tf_hat it increases, above it decreases.
    let solve = |mut inside: f64, mut outside: f64| {
        for _ in 0..200 {
            let mid = 0.5 * (inside + outside);
            if log_lik(loci, mid) >= cut {
                inside = mid;
            } else {
                outside = mid;
            }
            if (outside - inside).abs() <= 1e-12 * inside.abs().max(1e-300) {
                break;
            }
        }
        inside
    };
    let lo = if tf_hat <= 0.0 || log_lik(loci, 0.0) >= cut {
        0.0
    } else {
        solve(tf_hat, 0.0)
    };
    let hi = if log_lik(loci, 1.0) >= cut {
        1.0
    } else {
        solve(tf_hat, 1.0)
    };
    (lo, hi)
}

/// Everything the test says about one set of loci.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Fit {
    /// Maximum-likelihood tumor fraction.
    pub tumor_fraction: f64,
    /// 95% profile-likelihood interval.
    pub ci95: (f64, f64),
    /// Likelihood-ratio statistic of TF = 0.
    pub lr_statistic: f64,
    /// p-value of TF = 0 (chi-bar-square).
    pub p_value: f64,
    /// The same, as ln (stays finite when p underflows).
    pub ln_p_value: f64,
}

/// MLE, interval and test.
pub fn fit(loci: &[LocusObs]) -> Fit {
    let tf = mle(loci);
    let lr = lr_statistic(loci, tf);
    let ln_p = ln_p_value(lr);
    Fit {
        tumor_fraction: tf,
        ci95: confidence_interval(loci, tf),
        lr_statistic: lr,
        p_value: ln_p.exp(),
        ln_p_value: ln_p,
    }
}

/// Does the test reject TF = 0 at level `alpha`?
pub fn detected(loci: &[LocusObs], alpha: f64) -> bool {
    if loci.iter().all(|l| l.k == 0) {
        return false;
    }
    ln_p_value(lr_statistic(loci, mle(loci))) <= alpha.ln()
}

/// Leave-one-out robustness: the largest p-value obtained by dropping one
/// locus with alt molecules (dropping a locus without any can only
/// strengthen the evidence), and the index of that locus.
///
/// METHOD: a call that hinges on one locus (a CHIP variant the outlier test
/// missed, a site with an unmodelled artefact) is not reported as DETECTED:
/// the call needs `p <= alpha` with every single locus left out in turn.
pub fn leave_one_out(loci: &[LocusObs]) -> Option<(f64, usize)> {
    let mut worst: Option<(f64, usize)> = None;
    let mut rest: Vec<LocusObs> = Vec::with_capacity(loci.len());
    for (i, l) in loci.iter().enumerate() {
        if l.k == 0 {
            continue;
        }
        rest.clear();
        rest.extend(
            loci.iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|x| *x.1),
        );
        let ln_p = ln_p_value(lr_statistic(&rest, mle(&rest)));
        if worst.is_none_or(|(w, _)| ln_p > w) {
            worst = Some((ln_p, i));
        }
    }
    worst
}

/// Loci whose alt count is far above what the others explain: likely
/// germline or clonal-hematopoiesis variants, or artefacts.
///
/// METHOD: repeat: fit TF on the loci not yet excluded; take the locus with
/// the smallest tail probability `P(K >= k_i | n_i, p_i(TF^))` among those
/// with at least `min_alt` alt molecules; refit TF without it (so it cannot
/// mask itself) and exclude it when its tail probability under that fit is
/// at most `alpha / m` (Bonferroni over the `m` loci in play); stop at the
/// first locus that is not excluded. Returns the excluded indices.
pub fn outliers(loci: &[LocusObs], alpha: f64, min_alt: u64) -> Vec<usize> {
    let mut active: Vec<usize> = (0..loci.len()).collect();
    let mut out = Vec::new();
    while active.len() > 1 {
        let obs: Vec<LocusObs> = active.iter().map(|&i| loci[i]).collect();
        let tf = mle(&obs);
        let worst = active
            .iter()
            .enumerate()
            .filter(|(_, &i)| loci[i].k >= min_alt)
            .map(|(a, &i)| (loci[i].ln_tail(tf), a))
            .min_by(|x, y| x.0.total_cmp(&y.0));
        let Some((_, a)) = worst else { break };
        let mut rest = obs;
        let cand = rest.remove(a);
        let tf_rest = mle(&rest);
        if cand.ln_tail(tf_rest) <= (alpha / active.len() as f64).ln() {
            out.push(active.remove(a));
        } else {
            break;
        }
    }
    out.sort_unstable();
    out
}

/// Detection probability the limit of detection is defined at.
pub const LOD_POWER: f64 = 0.95;

/// One binomial draw by inversion of `u` (monotone in `u` and `p`, so
/// common random numbers give a detection rate monotone in TF). Exact
/// inversion below a mean of 50, normal approximation above.
pub(crate) fn binom_inv(u: f64, n: u64, p: f64) -> u64 {
    let mean = n as f64 * p;
    if mean > 50.0 {
        let z = statrs::distribution::ContinuousCDF::inverse_cdf(
            &statrs::distribution::Normal::standard(),
            u.clamp(1e-12, 1.0 - 1e-12),
        );
        let x = (mean + z * (mean * (1.0 - p)).sqrt()).round();
        return x.clamp(0.0, n as f64) as u64;
    }
    let mut pmf = (n as f64 * (-p).ln_1p()).exp();
    let mut cdf = pmf;
    let mut k = 0u64;
    let odds = p / (1.0 - p);
    while cdf < u && k < n {
        pmf *= (n - k) as f64 / (k + 1) as f64 * odds;
        k += 1;
        cdf += pmf;
        if pmf < 1e-300 && k as f64 > mean {
            break;
        }
    }
    k
}

/// The sample's limit of detection: the smallest TF at which the test
/// rejects TF = 0 at level `alpha` with probability [`LOD_POWER`], given
/// these loci's depths, error rates and weights (their alt counts are not
/// used).
///
/// METHOD: seeded Monte Carlo with common random numbers. `reps` replicate
/// data sets draw each locus's alt count by inverting one fixed uniform per
/// (replicate, locus) at `p_i(TF)`; the detection rate is then monotone in
/// TF and the smallest TF reaching the power is found by bisection on
/// log10 TF in [1e-8, 1]. Returns 1.0 when even TF = 1 is not detected
/// (e.g. no molecules). The leave-one-out rule is not part of it.
pub fn limit_of_detection(loci: &[LocusObs], alpha: f64, reps: usize, seed: u64) -> f64 {
    let reps = reps.max(1);
    let mut uniforms: Vec<Vec<f64>> = Vec::with_capacity(reps);
    for r in 0..reps {
        let mut rng = Rng::stream(seed, "mrd-lod", r as u64);
        uniforms.push(loci.iter().map(|_| rng.uniform()).collect());
    }
    let mut sim = loci.to_vec();
    let mut rate = |tf: f64| {
        let mut hits = 0usize;
        for u in &uniforms {
            for (s, (l, &ui)) in sim.iter_mut().zip(loci.iter().zip(u)) {
                s.k = binom_inv(ui, l.n, l.p(tf));
            }
            hits += usize::from(detected(&sim, alpha));
        }
        hits as f64 / reps as f64
    };
    if rate(1.0) < LOD_POWER {
        return 1.0;
    }
    let (mut lo, mut hi) = (-8.0f64, 0.0f64);
    if rate(10f64.powf(lo)) >= LOD_POWER {
        return 10f64.powf(lo);
    }
    for _ in 0..24 {
        let mid = 0.5 * (lo + hi);
        if rate(10f64.powf(mid)) >= LOD_POWER {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    10f64.powf(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locus(n: u64, k: u64, e: f64) -> LocusObs {
        LocusObs { n, k, e, w: 0.5 }
    }

    #[test]
    fn mle_matches_the_closed_form_for_one_locus() {
        // One locus: the MLE solves p(TF) = k/n, so TF = (k/n - e) / (w (1 - e)).
        let l = [locus(10_000, 25, 1e-3)];
        let want = (25.0 / 10_000.0 - 1e-3) / (0.5 * (1.0 - 1e-3));
        let got = mle(&l);
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        // Below the error rate: the MLE sits on the boundary.
        assert_eq!(mle(&[locus(10_000, 5, 1e-3)]), 0.0);
        assert_eq!(mle(&[locus(10_000, 0, 1e-3)]), 0.0);
    }

    #[test]
    fn mle_pools_loci_with_equal_rates_like_one_locus() {
        // Equal e and w: the pooled MLE is the one-locus MLE of the sums.
        let l = [
            locus(2000, 3, 1e-4),
            locus(3000, 0, 1e-4),
            locus(5000, 9, 1e-4),
        ];
        let want = (12.0 / 10_000.0 - 1e-4) / (0.5 * (1.0 - 1e-4));
        assert!((mle(&l) - want).abs() < 1e-12);
    }

    #[test]
    fn lr_and_p_value_match_hand_computation() {
        // n = 10,000, k = 25, e = 1e-3, w = 0.5: p^ = 0.0025.
        // LR = 2 [25 ln(0.0025/0.001) + 9975 ln(0.9975/0.999)]
        //    = 2 [22.907268 - 14.988733] = 15.837070.
        let l = [locus(10_000, 25, 1e-3)];
        let f = fit(&l);
        let hand = 2.0 * (25.0 * (0.0025f64 / 0.001).ln() + 9975.0 * (0.9975f64 / 0.999).ln());
        assert!(
            (f.lr_statistic - hand).abs() < 1e-8,
            "{} {hand}",
            f.lr_statistic
        );
        assert!((hand - 15.837_070).abs() < 1e-5, "{hand}");
        // Chi-bar-square: p = P(Z >= sqrt(15.837070)) = P(Z >= 3.979582) = 3.45183e-5.
        assert!((f.p_value - 3.451_83e-5).abs() < 1e-10, "{}", f.p_value);
        // Half the chi2_1 tail, by the other route.
        let chi2 = statrs::function::erf::erfc((hand / 2.0).sqrt());
        assert!((f.p_value - 0.5 * chi2).abs() < 1e-12);
        // TF^ = 0 gives p = 1.
        assert_eq!(fit(&[locus(10_000, 0, 1e-3)]).p_value, 1.0);
    }

    #[test]
    fn normal_tail_is_accurate_far_out() {
        // P(Z >= 5) = 2.866516e-7; P(Z >= 40): ln = -804.608442013754.
        assert!((ln_norm_sf(5.0).exp() - 2.866_516e-7).abs() < 1e-12);
        assert!((ln_norm_sf(40.0) - (-804.608_442_013_754)).abs() < 1e-6);
        assert!((ln_norm_sf(28.0) - ln_norm_sf(28.0 + 1e-9)).abs() < 1e-6);
    }

    #[test]
    fn profile_interval_cuts_the_likelihood_at_the_chi2_quantile() {
        let l = [locus(10_000, 25, 1e-3), locus(8000, 12, 1e-3)];
        let f = fit(&l);
        let (lo, hi) = f.ci95;
        assert!(lo < f.tumor_fraction && f.tumor_fraction < hi);
        let top = log_lik(&l, f.tumor_fraction);
        for b in [lo, hi] {
            let d = 2.0 * (top - log_lik(&l, b));
            assert!((d - CHI2_1_95).abs() < 1e-6, "{b}: {d}");
        }
        // Poisson check: 37 alt of 18,000 at e = 1e-3 (18 expected); the
        // interval on the alt mean is about [26, 50] molecules, i.e. TF in
        // about [(26-18)/9000, (50-18)/9000].
        assert!(lo > 0.0008 && lo < 0.0011, "{lo}");
        assert!(hi > 0.0033 && hi < 0.0038, "{hi}");
        // Nothing seen: the interval starts at 0 and ends where 3 molecules
        // would be about 2 log-likelihood units away (e^-1.92 = 0.146).
        let z = [locus(10_000, 0, 1e-6)];
        let (lo, hi) = confidence_interval(&z, 0.0);
        assert_eq!(lo, 0.0);
        let want = 1.920_729 / (0.5 * 10_000.0);
        assert!((hi - want).abs() / want < 1e-3, "{hi} {want}");
    }

    #[test]
    fn outlier_test_removes_a_germline_like_locus_only() {
        let mut l: Vec<LocusObs> = (0..50)
            .map(|i| locus(2000, u64::from(i % 3 == 0), 1e-4))
            .collect();
        l[7].k = 950; // a heterozygous germline variant
        l[20].k = 40; // CHIP at 2%
        assert_eq!(outliers(&l, 0.01, 3), vec![7, 20]);
        let clean: Vec<LocusObs> = (0..50).map(|i| locus(2000, (i % 4) as u64, 1e-4)).collect();
        assert!(outliers(&clean, 0.01, 3).is_empty());
    }

    #[test]
    fn leave_one_out_finds_the_locus_the_call_hinges_on() {
        let mut l: Vec<LocusObs> = (0..30).map(|_| locus(2000, 0, 1e-5)).collect();
        l[4].k = 6;
        let (ln_p, i) = leave_one_out(&l).unwrap();
        assert_eq!(i, 4);
        assert_eq!(ln_p, 0.0);
        assert!(detected(&l, 0.01));
    }

    #[test]
    fn lod_is_near_the_poisson_limit_without_errors() {
        // 200 loci x 2000 molecules, w = 0.5, e tiny: detection needs about
        // 3 alt molecules seen (P(0) = e^-3 = 5%), TF ~ 3 / (0.5 x 400,000) = 1.5e-5.
        let l: Vec<LocusObs> = (0..200).map(|_| locus(2000, 0, 1e-8)).collect();
        let lod = limit_of_detection(&l, 0.01, 200, 1);
        assert!(lod > 1.2e-5 && lod < 2.5e-5, "{lod}");
        // With errors it is higher, and deterministic for a seed.
        let noisy: Vec<LocusObs> = (0..200).map(|_| locus(2000, 0, 1e-4)).collect();
        let a = limit_of_detection(&noisy, 0.01, 200, 1);
        assert!(a > 3.0 * lod, "{a}");
        assert_eq!(a, limit_of_detection(&noisy, 0.01, 200, 1));
    }
}
