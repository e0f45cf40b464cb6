//! The weighted molecule test: every molecule at its own class's error rate.
//!
//! METHOD: at a site with `n_c` molecules of class `c` (one read, a pair,
//! a family, a duplex; [`MoleculeClass`]), `k_c` of them showing the
//! allele, and null rates `e_c`, the test statistic is
//! `T = sum_c u_c k_c`, where `u_c` is the class's log-likelihood-ratio
//! weight `w_c = ln(1 + f0 / ((1 - f0) e_c))` rounded to a lattice of
//! [`LATTICE`] steps of the largest weight (at least one step). `T` with the
//! unrounded weights is the most powerful statistic (Neyman-Pearson) for a
//! variant at allele fraction `f0` against none, given the site's depths;
//! `f0 = min(1/2, 3 / n)` (`n` = all molecules) is fixed by the depth alone,
//! before the alt counts are seen: the test is most powerful for a variant
//! with three expected alt molecules, the edge of Poisson sampling. A
//! duplex molecule (`e ~ 1e-7`) thus weighs several singletons
//! (`e ~ 3e-4`), and singletons add evidence without adding their noise at
//! full weight.
//!
//! The p-value `P(T >= t)` is exact for the rounded statistic under
//! `k_c ~ Poisson(n_c e_c)`, independent between classes: the Poisson
//! upper tail is at least the binomial's (a slightly conservative null),
//! and the compound-Poisson distribution of `T` is computed by Panjer's
//! recursion `g(s) = (1/s) sum_c lambda_c u_c g(s - u_c)`,
//! `g(0) = exp(-sum lambda)`, in log space; the tail is summed upwards from
//! `t` until the terms are `e^-40` of it, or, for `t` at or below the mean,
//! taken as one minus the lower sum. Where one class holds every molecule
//! (or all classes share one rate) the statistic is the plain count and
//! the caller uses the exact binomial instead (see `Null::ln_sf`).
//!
//! Error molecules need not be independent: PCR copies of one molecule
//! counted as several (duplicates not marked, a family split by UMI
//! errors) carry one error several times. The background fit measures each
//! class's dispersion `phi_c` (variance over mean of the error counts, see
//! `ContextRates::dispersion`), and the null takes a class's errors as
//! clusters of `phi_c` molecules arriving at rate `n_c e_c / phi_c`: jumps
//! of `u_c phi_c` units. With independent molecules `phi_c = 1` and this is
//! the test above.

use super::stats::ln_add;
use crate::evidence::alleles::{ClassCounts, N_CLASSES};

/// Lattice steps of the largest class weight.
pub const LATTICE: u32 = 32;

/// Beyond this many lattice units the recursion is not run: the tail is
/// the Chernoff bound, an upper bound on `P(T >= t)` (only evidence far
/// beyond any threshold gets there).
const MAX_UNITS: u64 = 4_000_000;

/// Per molecule class null error rates (by `MoleculeClass::index`).
pub type ClassRates = [f64; N_CLASSES];

/// The weighted statistic of one site: each class's lattice weight and
/// molecules.
#[derive(Debug, Clone, PartialEq)]
pub struct Weighted {
    /// Lattice weight of each class (0 for a class without molecules).
    pub units: [u32; N_CLASSES],
    pub depth: ClassCounts,
    pub rates: ClassRates,
    /// Mean size of a class's clusters of error molecules (1: independent).
    pub dispersion: ClassRates,
}

impl Weighted {
    /// The statistic at a site with these molecules and rates; `None` when
    /// one class holds every molecule or all classes with molecules share
    /// one rate (the count itself is then the best statistic).
    pub fn new(rates: &ClassRates, depth: &ClassCounts) -> Option<Self> {
        Self::with_dispersion(rates, &[1.0; N_CLASSES], depth)
    }

    /// The same where a class's error molecules come in clusters of mean
    /// size `dispersion[c]` (`>= 1`; see the module's METHOD): `None` only
    /// when, besides one class or one rate, no class is dispersed.
    pub fn with_dispersion(
        rates: &ClassRates,
        dispersion: &ClassRates,
        depth: &ClassCounts,
    ) -> Option<Self> {
        let active: Vec<usize> = (0..N_CLASSES).filter(|&c| depth[c] > 0).collect();
        let first = *active.first()?;
        if active
            .iter()
            .all(|&c| rates[c] == rates[first] && dispersion[c] == 1.0)
        {
            return None;
        }
        let n: u32 = depth.iter().sum();
        let f0 = (3.0 / f64::from(n)).min(0.5);
        let w = rates.map(|e| (f0 / ((1.0 - f0) * e)).ln_1p());
        let w_max = active.iter().map(|&c| w[c]).fold(0.0, f64::max);
        let mut units = [0u32; N_CLASSES];
        for &c in &active {
            units[c] = ((f64::from(LATTICE) * w[c] / w_max).round() as u32).max(1);
        }
        Some(Weighted {
            units,
            depth: *depth,
            rates: *rates,
            dispersion: *dispersion,
        })
    }

    /// The statistic `T` of these alt molecules.
    pub fn score(&self, alt: &ClassCounts) -> u64 {
        (0..N_CLASSES)
            .map(|c| u64::from(self.units[c]) * u64::from(alt[c]))
            .sum()
    }

    /// ln P(T >= t) when a variant at allele fraction `f` is present (`f =
    /// 0`: the null), each class's molecules showing it with probability
    /// `f + (1 - f) e_c`.
    pub fn ln_sf_at(&self, t: u64, f: f64) -> f64 {
        ln_compound_poisson_sf(&self.jumps(f), t)
    }

    /// The compound-Poisson jumps of `T` at allele fraction `f`: per class
    /// with molecules, clusters of `phi_c` molecules (`u_c phi_c` lattice
    /// units, rounded) arriving at rate `n_c (f + (1 - f) e_c) / phi_c`.
    /// A cluster holds at most the class's `n_c` molecules, so `phi_c` is
    /// taken at most `n_c` (this also bounds the recursion's memory, which
    /// grows with the largest jump, whatever dispersion a saved background
    /// carries).
    fn jumps(&self, f: f64) -> Vec<(u32, f64)> {
        (0..N_CLASSES)
            .filter(|&c| self.depth[c] > 0)
            .map(|c| {
                let p = f + (1.0 - f) * self.rates[c];
                let phi = self.dispersion[c].max(1.0).min(f64::from(self.depth[c]));
                let units = (f64::from(self.units[c]) * phi).round().max(1.0) as u32;
                (units, f64::from(self.depth[c]) * p / phi)
            })
            .collect()
    }

    /// ln P(T >= t) under the null.
    pub fn ln_sf(&self, alt: &ClassCounts) -> f64 {
        self.ln_sf_at(self.score(alt), 0.0)
    }

    /// The largest `T` the site's molecules can reach (every one alt).
    pub fn max_score(&self) -> u64 {
        self.score(&self.depth)
    }

    /// The critical score: the smallest `t <= max_score` with
    /// `P(T >= t) <= e^ln_alpha` under the null, `None` if there is none.
    ///
    /// One pass of the recursion accumulates `P(T < t)` until its
    /// complement is at most alpha (exact to ~1e-16 absolute, so used for
    /// alpha >= 1e-12 and a null mean of at most 500 molecules); otherwise
    /// a search over [`Weighted::ln_sf_at`].
    pub fn critical_score(&self, ln_alpha: f64) -> Option<u64> {
        let jumps = self.jumps(0.0);
        let total: f64 = jumps.iter().map(|j| j.1).sum();
        let max = self.max_score();
        if ln_alpha < (1e-12f64).ln() || total > 500.0 {
            return first_at_most(1, max, |t| self.ln_sf_at(t, 0.0) <= ln_alpha);
        }
        let alpha = ln_alpha.exp();
        let ring_len = jumps.iter().map(|j| j.0).max().unwrap_or(1) as usize + 1;
        let mut ring = vec![0.0f64; ring_len];
        ring[0] = (-total).exp();
        let mut below = ring[0];
        for s in 1..=max as usize {
            if 1.0 - below <= alpha {
                return Some(s as u64);
            }
            let acc: f64 = jumps
                .iter()
                .filter(|j| j.0 as usize <= s)
                .map(|&(u, l)| l * f64::from(u) * ring[(s - u as usize) % ring_len])
                .sum();
            ring[s % ring_len] = acc / s as f64;
            below += ring[s % ring_len];
        }
        None
    }
}

/// The smallest `x` in `[lo, hi]` with `passes(x)` (`passes` monotone),
/// `None` when not even `hi` passes: doubling from `lo`, then bisection (a
/// probe of the weighted tail costs time in proportion to `x`, so the
/// search stays near the answer).
pub fn first_at_most(lo: u64, hi: u64, passes: impl Fn(u64) -> bool) -> Option<u64> {
    if lo > hi {
        return None;
    }
    if passes(lo) {
        return Some(lo);
    }
    let (mut lo, mut step) = (lo, 1);
    let mut hi = loop {
        let x = (lo + step).min(hi);
        if passes(x) {
            break x;
        }
        if x == hi {
            return None;
        }
        lo = x;
        step *= 2;
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if passes(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// ln P(T >= t) for `T = sum_c u_c N_c`, `N_c ~ Poisson(lambda_c)`
/// independent; `jumps` = `(u_c, lambda_c)`, `u_c >= 1`.
///
/// The recursion runs in linear space on values scaled by `e^offset`
/// (rescaled by 1e±200 when they drift), so that each step is a few
/// multiply-adds; sums are folded into log space at each rescale.
pub fn ln_compound_poisson_sf(jumps: &[(u32, f64)], t: u64) -> f64 {
    let jumps = with_rate(jumps);
    if t == 0 {
        return 0.0;
    }
    if jumps.is_empty() {
        return f64::NEG_INFINITY;
    }
    if t > MAX_UNITS {
        return chernoff(&jumps, t);
    }
    let total: f64 = jumps.iter().map(|j| j.1).sum();
    let mean: f64 = jumps.iter().map(|&(u, l)| f64::from(u) * l).sum();
    let u_max = jumps.iter().map(|j| j.0).max().unwrap_or(1) as usize;
    let coef: Vec<(usize, f64)> = jumps
        .iter()
        .map(|&(u, l)| (u as usize, l * f64::from(u)))
        .collect();
    // g(s) e^-offset for the last u_max + 1 values of s (a ring).
    let ring_len = u_max + 1;
    let mut ring = vec![0.0f64; ring_len];
    ring[0] = 1.0;
    let mut offset = -total;
    let below_mean = (t as f64) <= mean;
    // Below the mean: P(T < t) in absolute terms. Above: the tail, as a
    // log part and a linear part in the current scale.
    // e^offset, recomputed only when the offset moves.
    let mut scale = offset.exp();
    let mut lower = if below_mean { scale } else { 0.0 };
    let (mut ln_tail, mut tail) = (f64::NEG_INFINITY, 0.0f64);
    // `s` and its slot in the ring, `s % ring_len` (kept without dividing).
    let (mut s, mut at): (usize, usize) = (1, 1 % ring_len);
    loop {
        let g = ring_sum(&coef, &ring, s, at) / s as f64;
        ring[at] = g;
        if (s as u64) < t {
            if below_mean {
                lower += g * scale;
            }
        } else {
            if below_mean {
                break;
            }
            tail += g;
            // Past twice the mean each step is at most half the largest of
            // the last u_max: once those are e^-40 of the tail, stop.
            if at == 0 && s as f64 > 2.0 * mean && s as u64 >= t + u_max as u64 {
                let recent = ring.iter().copied().fold(0.0, f64::max);
                if recent < tail * (-40.0f64).exp() {
                    break;
                }
            }
        }
        // The scale is checked once per ring turn (or at once on overflow).
        let big = if g > 1e200 || at == 0 {
            ring.iter().copied().fold(0.0, f64::max)
        } else {
            1.0
        };
        if big > 1e200 || (big < 1e-200 && big > 0.0) {
            let factor = if big > 1e200 { 1e-200 } else { 1e200 };
            ln_tail = fold(ln_tail, tail, offset);
            tail = 0.0;
            ring.iter_mut().for_each(|x| *x *= factor);
            offset -= factor.ln();
            scale = offset.exp();
        }
        if big == 0.0 && !below_mean && s as u64 >= t {
            break;
        }
        s += 1;
        at = if at + 1 == ring_len { 0 } else { at + 1 };
    }
    if below_mean {
        (1.0 - lower).max(f64::MIN_POSITIVE).ln()
    } else {
        fold(ln_tail, tail, offset)
    }
}

/// The jumps with a rate above 0, copied only when some has none (the
/// tail is asked at every probe of a LoD's bisection).
fn with_rate(jumps: &[(u32, f64)]) -> std::borrow::Cow<'_, [(u32, f64)]> {
    if jumps.iter().all(|j| j.1 > 0.0) {
        jumps.into()
    } else {
        jumps.iter().copied().filter(|j| j.1 > 0.0).collect()
    }
}

/// `sum_c coef_c g(s - u_c)` for the `(u_c, coef_c)` with `u_c <= s`, the
/// `g` in `ring` (`ring[j]` holds the `g(x)` with `x % ring.len() == j`;
/// `at == s % ring.len()`).
#[inline]
fn ring_sum(coef: &[(usize, f64)], ring: &[f64], s: usize, at: usize) -> f64 {
    let mut acc = 0.0;
    for &(u, c) in coef {
        if u <= s {
            acc += c * ring[if at >= u { at - u } else { at + ring.len() - u }];
        }
    }
    acc
}

/// `ln_sum + ln(linear e^offset)`, in log space.
fn fold(ln_sum: f64, linear: f64, offset: f64) -> f64 {
    if linear > 0.0 {
        ln_add(ln_sum, linear.ln() + offset)
    } else {
        ln_sum
    }
}

/// Chernoff bound `min_theta exp(K(theta) - theta t)` on ln P(T >= t), with
/// `K(theta) = sum lambda_c (e^(theta u_c) - 1)`; theta by bisection on
/// `K'(theta) = t`.
fn chernoff(jumps: &[(u32, f64)], t: u64) -> f64 {
    let t = t as f64;
    let k_prime = |th: f64| -> f64 {
        jumps
            .iter()
            .map(|&(u, l)| l * f64::from(u) * (th * f64::from(u)).exp())
            .sum()
    };
    if k_prime(0.0) >= t {
        return 0.0;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while k_prime(hi) < t {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if k_prime(mid) < t {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let th = hi;
    let k: f64 = jumps
        .iter()
        .map(|&(u, l)| l * (th * f64::from(u)).exp_m1())
        .sum();
    (k - th * t).min(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stats::ln_poisson_pmf;

    /// P(T >= t) by brute force over every count vector with N_c <= 60.
    fn brute(jumps: &[(u32, f64)], t: u64) -> f64 {
        fn rec(j: &[(u32, f64)], acc: u64, t: u64, lp: f64, out: &mut f64) {
            let Some((&(u, l), rest)) = j.split_first() else {
                if acc >= t {
                    *out += lp.exp();
                }
                return;
            };
            for k in 0..=60u64 {
                rec(
                    rest,
                    acc + u64::from(u) * k,
                    t,
                    lp + ln_poisson_pmf(k, l),
                    out,
                );
            }
        }
        let mut out = 0.0;
        rec(jumps, 0, t, 0.0, &mut out);
        out
    }

    #[test]
    fn compound_poisson_tail_matches_brute_force() {
        let jumps = [(3, 0.6), (7, 0.05), (32, 2e-4)];
        for t in [1u64, 3, 5, 9, 14, 20, 32, 40, 70, 100] {
            let exact = brute(&jumps, t);
            let got = ln_compound_poisson_sf(&jumps, t).exp();
            assert!(
                (got - exact).abs() <= 1e-9 * exact.max(1e-300) + 1e-15,
                "t {t}: {got} vs {exact}"
            );
        }
        // One class: the Poisson tail itself.
        let p = ln_compound_poisson_sf(&[(5, 0.2)], 15).exp();
        let direct: f64 = (3..60).map(|k| ln_poisson_pmf(k, 0.2).exp()).sum();
        assert!((p / direct - 1.0).abs() < 1e-12);
    }

    #[test]
    fn tiny_tails_stay_exact_in_log_space() {
        // 40 duplex alt molecules at 1e-4 expected: ln p ~ 40 ln(1e-4) - ln 40!.
        let ln_p = ln_compound_poisson_sf(&[(32, 1e-4), (6, 0.5)], 32 * 40);
        let one_class = ln_compound_poisson_sf(&[(32, 1e-4)], 32 * 40);
        assert!(ln_p.is_finite() && ln_p < -400.0, "{ln_p}");
        // The singletons can only add to the tail, and little.
        assert!(ln_p >= one_class && ln_p - one_class < 30.0);
        let bound = chernoff(&[(32, 1e-4), (6, 0.5)], 32 * 40);
        assert!(
            bound >= ln_p,
            "Chernoff {bound} is an upper bound of {ln_p}"
        );
    }

    #[test]
    fn a_duplex_pair_outweighs_a_singleton_pair() {
        // 2,000 molecules: half single reads at 3e-4, half duplex at 1e-7.
        let rates = [3e-4, 3e-5, 1e-5, 1e-7];
        let depth = [1000, 0, 0, 1000];
        let w = Weighted::new(&rates, &depth).unwrap();
        let duplex = w.ln_sf(&[0, 0, 0, 2]);
        let reads = w.ln_sf(&[2, 0, 0, 0]);
        assert!(duplex < reads - 10.0, "duplex {duplex} reads {reads}");
        // Two duplex alt molecules pass a panel's threshold (7e-7); two
        // singletons are what 1,000 reads at 3e-4 show by chance.
        assert!(duplex < (7e-7f64).ln());
        assert!(reads > (0.01f64).ln());
    }

    #[test]
    fn singletons_at_high_error_never_pass() {
        // Singletons at 3e-3 (a noisy context), 1,000 of them: the expected
        // 3 error molecules, or twice that, are nowhere near a panel's
        // threshold, whatever the other classes are.
        let rates = [3e-3, 1e-4, 1e-5, 1e-7];
        let depth = [1000, 500, 300, 200];
        let w = Weighted::new(&rates, &depth).unwrap();
        for k in 0..=6 {
            assert!(w.ln_sf(&[k, 0, 0, 0]) > (1e-3f64).ln(), "{k} singletons");
        }
    }

    #[test]
    fn the_one_pass_critical_score_is_the_searched_one() {
        let w = Weighted::new(&[3e-4, 3e-5, 1e-5, 2e-7], &[700, 400, 500, 900]).unwrap();
        for alpha in [1e-2, 1e-4, 7e-7, 1e-9] {
            let a = f64::ln(alpha);
            let searched = first_at_most(1, w.max_score(), |t| w.ln_sf_at(t, 0.0) <= a);
            assert_eq!(w.critical_score(a), searched, "alpha {alpha}");
        }
    }

    #[test]
    fn clustered_errors_are_calibrated_with_their_dispersion() {
        // Single reads whose errors come three at a time (PCR copies
        // counted as molecules): the dispersion-aware test keeps its level,
        // the test that takes them as independent does not.
        let rates = [3e-3, 1e-4, 1e-5, 1e-7];
        let depth = [1000, 500, 0, 0];
        let phi = [3.0, 1.0, 1.0, 1.0];
        let aware = Weighted::with_dispersion(&rates, &phi, &depth).unwrap();
        let naive = Weighted::new(&rates, &depth).unwrap();
        let (l0, l1) = (3.0 / 3.0, 500.0 * 1e-4);
        let a = 1e-3;
        let (mut aware_mass, mut naive_mass) = (0.0, 0.0);
        for clusters in 0..15u32 {
            for k1 in 0..8u32 {
                let alt = [3 * clusters, k1, 0, 0];
                let p = (ln_poisson_pmf(u64::from(clusters), l0)
                    + ln_poisson_pmf(u64::from(k1), l1))
                .exp();
                if aware.ln_sf(&alt) <= f64::ln(a) {
                    aware_mass += p;
                }
                if naive.ln_sf(&alt) <= f64::ln(a) {
                    naive_mass += p;
                }
            }
        }
        assert!(aware_mass <= a * (1.0 + 1e-9), "{aware_mass}");
        assert!(naive_mass > 5.0 * a, "{naive_mass}");
    }

    #[test]
    fn a_cluster_holds_at_most_the_sites_molecules() {
        // A dispersion beyond the class's molecules (an edited or damaged
        // saved background: 9.2e18) is the whole class as one cluster: the
        // same answer as phi = n_c, in bounded time and memory (it asked
        // for 32 GiB before).
        let rates = [3e-3, 1e-4, 1e-5, 1e-7];
        let depth = [40, 500, 0, 0];
        let huge = Weighted::with_dispersion(&rates, &[9.2e18, 1.0, 1.0, 1.0], &depth).unwrap();
        let at_n = Weighted::with_dispersion(&rates, &[40.0, 1.0, 1.0, 1.0], &depth).unwrap();
        for alt in [[0, 3, 0, 0], [5, 2, 0, 0], [40, 0, 0, 0]] {
            assert_eq!(huge.ln_sf(&alt), at_n.ln_sf(&alt), "{alt:?}");
        }
        assert_eq!(
            huge.critical_score(1e-3f64.ln()),
            at_n.critical_score(1e-3f64.ln())
        );
    }

    #[test]
    fn one_class_or_one_rate_is_the_plain_count() {
        assert!(Weighted::new(&[1e-4, 1e-5, 1e-6, 1e-7], &[0, 500, 0, 0]).is_none());
        assert!(Weighted::new(&[1e-4; 4], &[10, 500, 0, 0]).is_none());
        assert!(Weighted::new(&[1e-4; 4], &[0; 4]).is_none());
    }

    #[test]
    fn the_null_is_calibrated() {
        // Under the null, P(p <= a) <= a: enumerate every outcome of a small
        // site (k_c <= 12) with its Poisson probability.
        let rates = [2e-2, 4e-3, 1e-3, 1e-4];
        let depth = [100, 150, 80, 300];
        let w = Weighted::new(&rates, &depth).unwrap();
        let lam: Vec<f64> = (0..4).map(|c| f64::from(depth[c]) * rates[c]).collect();
        for a in [1e-1, 1e-2, 1e-3, 1e-4] {
            let mut mass = 0.0;
            for k0 in 0..12u32 {
                for k1 in 0..12u32 {
                    for k2 in 0..8u32 {
                        for k3 in 0..6u32 {
                            let alt = [k0, k1, k2, k3];
                            if w.ln_sf(&alt) <= f64::ln(a) {
                                mass += (0..4)
                                    .map(|c| ln_poisson_pmf(u64::from(alt[c]), lam[c]))
                                    .sum::<f64>()
                                    .exp();
                            }
                        }
                    }
                }
            }
            assert!(mass <= a * (1.0 + 1e-9), "level {a}: rejection mass {mass}");
            assert!(mass >= a / 20.0, "level {a}: far too conservative ({mass})");
        }
    }
}
