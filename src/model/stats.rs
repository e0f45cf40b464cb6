//! Tail probabilities in log space (p-values at 0.1% VAF underflow otherwise).

use statrs::function::gamma::ln_gamma;

/// ln(exp(a) + exp(b)) without overflow.
#[inline]
pub fn ln_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// ln P(K = k) for K ~ Poisson(lambda).
pub fn ln_poisson_pmf(k: u64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    k as f64 * lambda.ln() - lambda - ln_gamma(k as f64 + 1.0)
}

/// ln P(K = k) for K ~ Binomial(n, p).
pub fn ln_binom_pmf(k: u64, n: u64, p: f64) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    if p <= 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if p >= 1.0 {
        return if k == n { 0.0 } else { f64::NEG_INFINITY };
    }
    ln_choose(n, k) + k as f64 * p.ln() + (n - k) as f64 * (-p).ln_1p()
}

/// ln P(K >= k) for K ~ Binomial(n, p).
///
/// METHOD: above the mean the upper tail is summed term by term from k
/// (terms fall geometrically, so the sum stops once a term is 1e-17 of the
/// total); below the mean the complement of the short lower tail is used.
pub fn ln_binom_sf(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    if k > n || p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return 0.0;
    }
    let mean = n as f64 * p;
    if (k as f64) > mean {
        // pmf(i+1) = pmf(i) * (n-i)/(i+1) * p/(1-p): one lgamma, then a recurrence.
        let ln_odds = p.ln() - (-p).ln_1p();
        let mut t = ln_binom_pmf(k, n, p);
        let mut total = t;
        for i in k..n {
            t += ((n - i) as f64).ln() - ((i + 1) as f64).ln() + ln_odds;
            total = ln_add(total, t);
            if t < total - 40.0 {
                break;
            }
        }
        total
    } else {
        // P(K >= k) = 1 - P(K <= k-1); the lower tail here is not tiny.
        let ln_odds = p.ln() - (-p).ln_1p();
        let mut t = ln_binom_pmf(0, n, p);
        let mut lower = t;
        for i in 0..k - 1 {
            t += ((n - i) as f64).ln() - ((i + 1) as f64).ln() + ln_odds;
            lower = ln_add(lower, t);
        }
        let lower = lower.exp().min(1.0);
        (1.0 - lower).max(f64::MIN_POSITIVE).ln()
    }
}

/// ln P(K <= k) for K ~ Binomial(n, p).
pub fn ln_binom_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        return 0.0;
    }
    // P(K <= k) = P(n - K >= n - k) with success probability 1 - p.
    ln_binom_sf(n - k, n, 1.0 - p)
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// ln P(K = k) for K ~ BetaBinomial(n, alpha, beta): the count of `n`
/// molecules when the per-sample rate itself is Beta(alpha, beta).
pub fn ln_betabinom_pmf(k: u64, n: u64, alpha: f64, beta: f64) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    if alpha <= 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if beta <= 0.0 {
        return if k == n { 0.0 } else { f64::NEG_INFINITY };
    }
    ln_choose(n, k) + ln_beta(k as f64 + alpha, (n - k) as f64 + beta) - ln_beta(alpha, beta)
}

/// ln P(K >= k) for K ~ BetaBinomial(n, alpha, beta).
///
/// METHOD: as [`ln_binom_sf`]: one pmf from log-gamma functions, then the
/// ratio recurrence pmf(i+1)/pmf(i) = (n-i)/(i+1) x (i+alpha)/(n-i-1+beta).
/// Above the mean the upper tail is summed from k until a term is e^-40 of
/// the total (terms past the mode only fall); at or below the mean the
/// complement of the lower tail is used.
pub fn ln_betabinom_sf(k: u64, n: u64, alpha: f64, beta: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    if k > n || alpha <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if beta <= 0.0 {
        return 0.0;
    }
    let ratio = |i: u64| {
        ((n - i) as f64).ln() - ((i + 1) as f64).ln() + (i as f64 + alpha).ln()
            - ((n - i - 1) as f64 + beta).ln()
    };
    let mean = n as f64 * alpha / (alpha + beta);
    if (k as f64) > mean {
        let mut t = ln_betabinom_pmf(k, n, alpha, beta);
        let mut total = t;
        let mut prev = t;
        for i in k..n {
            t += ratio(i);
            total = ln_add(total, t);
            // Stop only on the falling side of the mode.
            if t < prev && t < total - 40.0 {
                break;
            }
            prev = t;
        }
        total.min(0.0)
    } else {
        let mut t = ln_betabinom_pmf(0, n, alpha, beta);
        let mut lower = t;
        for i in 0..k - 1 {
            t += ratio(i);
            lower = ln_add(lower, t);
        }
        let lower = lower.exp().min(1.0);
        (1.0 - lower).max(f64::MIN_POSITIVE).ln()
    }
}

/// Two-sided Fisher exact test on the 2x2 table `[[a, b], [c, d]]`, as a
/// p-value. Rows are alleles (ref, alt), columns the two strands (or
/// orientations). Sums only over the alt row's possible splits, so the cost
/// is O(alt count) even at 100,000x.
pub fn fisher_two_sided(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let (r1, r2) = (a + b, c + d);
    let (c1, n) = (a + c, a + b + c + d);
    if n == 0 || r1 == 0 || r2 == 0 || c1 == 0 || c1 == n {
        return 1.0;
    }
    // Hypergeometric over x = cell c (alt, first column), unnormalised:
    // the p-value is the tail's share of the whole sum, so the rounding of
    // the log-binomials cancels (a table with every split in its tail gets
    // exactly 1, not 1 - 1e-12).
    let ln_w = |x: u64| ln_choose(r2, x) + ln_choose(r1, c1 - x);
    let lo = c1.saturating_sub(r1);
    let hi = r2.min(c1);
    let observed = ln_w(c);
    let (mut tail, mut all) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for x in lo..=hi {
        let lw = ln_w(x);
        all = ln_add(all, lw);
        // Tables as or less likely than the observed one (relative tolerance).
        if lw <= observed + 1e-7 {
            tail = ln_add(tail, lw);
        }
    }
    (tail - all).exp().min(1.0)
}

/// p-value to phred, with p floored so that the result stays finite.
pub fn phred(p: f64) -> f64 {
    -10.0 * p.max(1e-300).log10()
}

/// ln p to phred.
pub fn phred_ln(ln_p: f64) -> f64 {
    -10.0 * ln_p / std::f64::consts::LN_10
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        ((a - b) / b).abs() < rel
    }

    #[test]
    fn binomial_tail_matches_direct_sums() {
        // P(K >= 3 | 10, 0.1) = 1 - sum_{0..2} = 0.0701908264
        assert!(close(ln_binom_sf(3, 10, 0.1).exp(), 0.070_190_826_4, 1e-8));
        // P(K >= 1 | 5, 0.5) = 31/32
        assert!(close(ln_binom_sf(1, 5, 0.5).exp(), 31.0 / 32.0, 1e-12));
        assert_eq!(ln_binom_sf(0, 5, 0.5), 0.0);
        assert_eq!(ln_binom_sf(6, 5, 0.5), f64::NEG_INFINITY);
    }

    #[test]
    fn binomial_tail_does_not_underflow_at_deep_coverage() {
        // 200 errors out of 100,000 at rate 1e-4 (expected 10): p ~ 1e-180.
        let l = ln_binom_sf(200, 100_000, 1e-4);
        assert!(l.is_finite() && l < -400.0 && l > -450.0, "{l}");
        // Phred of 1e-600 is representable through ln p.
        let l = ln_binom_sf(500, 100_000, 1e-4);
        assert!(phred_ln(l) > 3000.0, "{}", phred_ln(l));
    }

    #[test]
    fn cdf_and_sf_are_complementary() {
        for k in 0..20 {
            let s = ln_binom_sf(k + 1, 50, 0.2).exp() + ln_binom_cdf(k, 50, 0.2).exp();
            assert!((s - 1.0).abs() < 1e-10, "{k} {s}");
        }
    }

    /// Direct sum of beta-binomial pmfs, each from the closed form with
    /// gamma functions in plain floating point (small n only).
    fn bb_direct_sf(k: u64, n: u64, a: f64, b: f64) -> f64 {
        use statrs::function::gamma::gamma;
        let beta = |x: f64, y: f64| gamma(x) * gamma(y) / gamma(x + y);
        let choose =
            |n: u64, k: u64| -> f64 { (0..k).map(|i| (n - i) as f64 / (i + 1) as f64).product() };
        (k..=n)
            .map(|i| choose(n, i) * beta(i as f64 + a, (n - i) as f64 + b) / beta(a, b))
            .sum()
    }

    #[test]
    fn betabinomial_tail_matches_direct_sums() {
        for &(n, a, b) in &[
            (10u64, 0.5, 20.0),
            (30, 2.0, 3.0),
            (40, 0.05, 50.0),
            (25, 1.0, 1.0),
        ] {
            let total: f64 = (0..=n).map(|i| ln_betabinom_pmf(i, n, a, b).exp()).sum();
            assert!((total - 1.0).abs() < 1e-10, "{n} {a} {b}: {total}");
            for k in 0..=n {
                let want = bb_direct_sf(k, n, a, b);
                let got = ln_betabinom_sf(k, n, a, b).exp();
                assert!(
                    close(got, want, 1e-8) || (want < 1e-300 && got < 1e-290),
                    "{k}/{n} {a} {b}: {got} vs {want}"
                );
            }
        }
        // Uniform rate (alpha = beta = 1): every count has probability 1/(n+1).
        assert!(close(
            ln_betabinom_sf(7, 9, 1.0, 1.0).exp(),
            3.0 / 10.0,
            1e-12
        ));
    }

    #[test]
    fn betabinomial_approaches_the_binomial_and_is_heavier_tailed() {
        // Huge concentration: the rate barely varies, so the binomial tail.
        let (n, k, p) = (2000u64, 6u64, 1e-3);
        let c = 1e10;
        let bb = ln_betabinom_sf(k, n, p * c, (1.0 - p) * c);
        let bin = ln_binom_sf(k, n, p);
        assert!((bb - bin).abs() < 1e-4, "{bb} {bin}");
        // Overdispersion makes large counts likelier.
        let over = ln_betabinom_sf(20, n, p * 100.0, (1.0 - p) * 100.0);
        assert!(over > ln_binom_sf(20, n, p) + 10.0);
        // Deep and extreme: finite, no underflow.
        let l = ln_betabinom_sf(500, 100_000, 1e-4 * 1e5, (1.0 - 1e-4) * 1e5);
        assert!(l.is_finite() && l < -300.0, "{l}");
    }

    #[test]
    fn fisher_of_a_balanced_table_is_exactly_one() {
        // Every split is as or less likely than 1425/1344 vs 4/3: the whole
        // distribution, p = 1, SB = 0 (it printed 4.654e-12).
        assert_eq!(fisher_two_sided(1425, 1344, 4, 3), 1.0);
        assert_eq!(phred(fisher_two_sided(1425, 1344, 4, 3)), 0.0);
    }

    #[test]
    fn fisher_matches_known_values() {
        // R: fisher.test(matrix(c(3,1,1,3),2))$p.value = 0.4857143
        assert!(close(fisher_two_sided(3, 1, 1, 3), 0.485_714_3, 1e-6));
        // All 10 alt reads on one strand, ref balanced 100/100: 0.001736 (exact sum)
        let p = fisher_two_sided(100, 100, 10, 0);
        assert!(p < 0.003 && p > 0.001, "{p}");
        assert_eq!(fisher_two_sided(0, 0, 3, 4), 1.0);
    }
}
