//! A small seeded pseudo-random generator and the samplers the simulator
//! (and the limit-of-detection Monte Carlo of `mrd`) needs.
//!
//! xoshiro256** (Blackman & Vigna) seeded through splitmix64, written here so
//! that the bytes `ctdna simulate` writes never change with a dependency
//! upgrade. Independent streams are derived from the run seed and a label
//! (see [`Rng::stream`]), so adding draws to one stage never shifts another.

/// splitmix64 step: used to expand seeds and to mix stream labels.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator with the samplers used by the simulator.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator seeded from one 64-bit value (expanded with splitmix64).
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut s = [0u64; 4];
        for slot in &mut s {
            *slot = splitmix64(&mut sm);
        }
        // xoshiro must not start from the all-zero state; splitmix64 cannot
        // produce four zeros in a row, but guard anyway.
        if s == [0; 4] {
            s[0] = 1;
        }
        Rng { s }
    }

    /// An independent stream for one purpose: `label` names the stage and
    /// `index` the item (target, sample...). Same inputs, same stream.
    pub fn stream(seed: u64, label: &str, index: u64) -> Self {
        // FNV-1a over the label, then mixed with the seed and index.
        let mut h: u64 = 0xCBF2_9CE4_8422_2325;
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
        let mut st = seed ^ h.rotate_left(17);
        let a = splitmix64(&mut st);
        let mut st2 = a ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        Rng::new(splitmix64(&mut st2))
    }

    /// Next raw 64-bit output.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n); `n` must be > 0 (returns 0 for n == 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift with rejection: unbiased.
        let threshold = n.wrapping_neg() % n;
        loop {
            let x = self.next_u64();
            let m = u128::from(x) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform integer in the inclusive range [lo, hi].
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`.
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Standard normal draw (Box-Muller; one value per call, simple over fast).
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]: ln stays finite
        let u2 = self.uniform();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        mean + sd * z
    }

    /// Poisson draw: Knuth's product method for small means, a rounded
    /// normal approximation above 30 (the simulator only needs the shape).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            let x = self.normal(lambda, lambda.sqrt()).round();
            return if x < 0.0 { 0 } else { x as u64 };
        }
        let l = (-lambda).exp();
        let mut k = 0u64;
        let mut p = 1.0;
        loop {
            p *= self.uniform();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }

    /// Gamma draw with `shape` > 0 and `scale` > 0 (Marsaglia & Tsang 2000:
    /// a transformed normal with a squeeze and a log acceptance test; for
    /// `shape` < 1 a draw at `shape + 1` times `U^(1/shape)`). Returns 0 for
    /// a non-positive shape or scale.
    // METHOD: Marsaglia-Tsang, exact for any shape; about 1.02 normal draws
    // per value at shape >= 1.
    pub fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        if !(shape > 0.0 && scale > 0.0) {
            return 0.0;
        }
        if shape < 1.0 {
            let u = 1.0 - self.uniform(); // (0, 1]
            return self.gamma(shape + 1.0, scale) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal(0.0, 1.0);
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = 1.0 - self.uniform(); // (0, 1]: ln stays finite
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
                return d * v * scale;
            }
        }
    }

    /// Negative binomial draw with mean `mean` and size (dispersion)
    /// `size > 0`, as the gamma-Poisson mixture `Poisson(Gamma(size, mean / size))`:
    /// variance `mean + mean^2 / size`, `P(0) = (size / (size + mean))^size`.
    pub fn negative_binomial(&mut self, mean: f64, size: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        let lambda = self.gamma(size, mean / size);
        self.poisson(lambda)
    }

    /// Geometric number of failures before the first success (success prob `p`).
    pub fn geometric(&mut self, p: f64) -> u64 {
        if p >= 1.0 {
            return 0;
        }
        let u = 1.0 - self.uniform();
        (u.ln() / (1.0 - p).ln()).floor().max(0.0) as u64
    }

    /// Index drawn with probability proportional to `weights` (not all zero).
    pub fn categorical(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// A uniformly chosen element of a non-empty slice.
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len() as u64) as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::stream(7, "reads", 3);
        let mut b = Rng::stream(7, "reads", 3);
        let mut c = Rng::stream(7, "reads", 4);
        let va: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..5).map(|_| c.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
    }

    #[test]
    fn known_outputs_are_frozen() {
        // Guards the promise that output bytes never change silently: if
        // this fails, every simulated data set (and test-data/) changes.
        let mut r = Rng::new(1);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            vec![
                12966619160104079557,
                9600361134598540522,
                10590380919521690900
            ]
        );
    }

    fn mean_var(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        (m, x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n)
    }

    #[test]
    fn gamma_has_the_right_mean_and_variance() {
        // Gamma(k, theta): mean k theta, variance k theta^2; below and above
        // shape 1 (the two branches).
        let mut r = Rng::new(11);
        for (shape, scale) in [(0.5, 2.0), (2.0, 1.5), (9.0, 0.25)] {
            let x: Vec<f64> = (0..200_000).map(|_| r.gamma(shape, scale)).collect();
            let (m, v) = mean_var(&x);
            let (em, ev) = (shape * scale, shape * scale * scale);
            assert!(
                (m - em).abs() < 0.02 * em,
                "shape {shape}: mean {m} vs {em}"
            );
            assert!((v - ev).abs() < 0.05 * ev, "shape {shape}: var {v} vs {ev}");
            assert!(x.iter().all(|&g| g >= 0.0));
        }
        assert_eq!(r.gamma(0.0, 1.0), 0.0);
    }

    #[test]
    fn negative_binomial_matches_its_mean_variance_and_zero_mass() {
        let mut r = Rng::new(12);
        let (mean, size) = (3.0, 2.0);
        let n = 200_000;
        let x: Vec<f64> = (0..n)
            .map(|_| r.negative_binomial(mean, size) as f64)
            .collect();
        let (m, v) = mean_var(&x);
        assert!((m - mean).abs() < 0.03 * mean, "{m}");
        let ev = mean + mean * mean / size; // 7.5
        assert!((v - ev).abs() < 0.05 * ev, "{v} vs {ev}");
        let p0 = x.iter().filter(|&&k| k == 0.0).count() as f64 / n as f64;
        let ep0 = (size / (size + mean)).powf(size); // 0.16
        assert!((p0 - ep0).abs() < 0.005, "{p0} vs {ep0}");
        assert_eq!(r.negative_binomial(0.0, 2.0), 0);
    }

    #[test]
    fn samplers_have_the_right_means() {
        let mut r = Rng::new(42);
        let n = 200_000;
        let u: f64 = (0..n).map(|_| r.uniform()).sum::<f64>() / n as f64;
        assert!((u - 0.5).abs() < 0.01, "{u}");
        let z: Vec<f64> = (0..n).map(|_| r.normal(3.0, 2.0)).collect();
        let m = z.iter().sum::<f64>() / n as f64;
        let v = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        assert!(
            (m - 3.0).abs() < 0.03 && (v.sqrt() - 2.0).abs() < 0.03,
            "{m} {v}"
        );
        for lambda in [0.5, 4.0, 50.0] {
            let p = (0..n).map(|_| r.poisson(lambda) as f64).sum::<f64>() / n as f64;
            assert!((p - lambda).abs() < 0.03 * lambda.max(1.0), "{lambda} {p}");
        }
        let g = (0..n).map(|_| r.geometric(0.25) as f64).sum::<f64>() / n as f64;
        assert!((g - 3.0).abs() < 0.1, "{g}");
        let mut counts = [0usize; 3];
        for _ in 0..n {
            counts[r.categorical(&[1.0, 2.0, 1.0])] += 1;
        }
        assert!((counts[1] as f64 / n as f64 - 0.5).abs() < 0.01);
        for _ in 0..1000 {
            assert!(r.below(7) < 7);
            let x = r.range(3, 5);
            assert!((3..=5).contains(&x));
        }
    }
}
