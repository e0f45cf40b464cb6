//! Limit of detection: the smallest allele fraction a true variant would
//! need to pass the test with 95% probability (SPEC section 3).
//!
//! METHOD: first the critical alt count `k*`, the smallest `k >= min_alt`
//! with `P(K >= k | n, e) <= alpha`; then the smallest VAF `f` with
//! `P(K >= k* | n, f + (1 - f) e) >= 0.95`, by bisection. Strand and other
//! filters are not part of it.

use crate::model::stats::ln_binom_sf;

/// Detection probability the LOD is defined at.
pub const POWER: f64 = 0.95;

/// Smallest alt count that passes, or `None` if none can at this depth.
pub fn critical_alt_count(n: u32, e: f64, ln_alpha: f64, min_alt: u32) -> Option<u32> {
    let mut k = min_alt.max(1);
    while k <= n {
        if ln_binom_sf(u64::from(k), u64::from(n), e) <= ln_alpha {
            return Some(k);
        }
        k += 1;
    }
    None
}

/// Limit of detection (VAF in (0, 1]); 1.0 when no VAF can be detected.
pub fn limit_of_detection(n: u32, e: f64, ln_alpha: f64, min_alt: u32) -> f64 {
    let Some(k) = critical_alt_count(n, e, ln_alpha, min_alt) else {
        return 1.0;
    };
    let detect = |f: f64| ln_binom_sf(u64::from(k), u64::from(n), f + (1.0 - f) * e).exp();
    if detect(1.0) < POWER {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if detect(mid) >= POWER {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lod_falls_with_depth_and_rises_with_error() {
        let a = (1e-6f64).ln();
        let l1 = limit_of_detection(1000, 1e-4, a, 3);
        let l2 = limit_of_detection(10_000, 1e-4, a, 3);
        let l3 = limit_of_detection(10_000, 1e-3, a, 3);
        assert!(l1 > l2 && l3 > l2, "{l1} {l2} {l3}");
        // At 10,000x and e = 1e-4 the LOD is a few in 10,000.
        assert!(l2 > 3e-4 && l2 < 2e-3, "{l2}");
    }

    #[test]
    fn lod_is_consistent_with_the_critical_count() {
        let a = (1e-5f64).ln();
        let (n, e) = (2000, 2e-4);
        let k = critical_alt_count(n, e, a, 3).unwrap();
        assert!(ln_binom_sf(u64::from(k), 2000, e) <= a);
        assert!(ln_binom_sf(u64::from(k - 1), 2000, e) > a || k == 3);
        let f = limit_of_detection(n, e, a, 3);
        let p = ln_binom_sf(u64::from(k), 2000, f + (1.0 - f) * e).exp();
        assert!((p - POWER).abs() < 1e-3, "{p}");
        assert_eq!(limit_of_detection(2, e, a, 3), 1.0);
    }
}
