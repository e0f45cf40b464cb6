//! Fitting a sample's [`ContextRates`] shard by shard: each shard's
//! evidence is folded into a [`FitTally`] as soon as it is counted and
//! then dropped, so the fit holds the tallies (and the few observations
//! whose place waits for the first fit), not the panel's counts.
//!
//! METHOD: the fit is two passes over the same observations
//! ([`ContextRates::estimate`]): the first leaves out what looks real by
//! the count rule, the second also what is significant against the first.
//! Both are sums of integers, so they need not be two passes over the
//! evidence: an observation with fewer than two alt molecules is never
//! significant (kept in both), one that looks real is left out of both,
//! and only the rest (two or more molecules, below the count rule: a few
//! per position at 2,000x, almost none at 30x) is kept aside until the
//! first fit is known. The dispersion's sum of squares `sum (k - n e)^2`
//! over kept SNV alleles is gathered the same way, as `sum k^2`, `sum k n`
//! and `sum n^2` per context and molecule class (exact integers), and
//! expanded with the first fit's rate `e` at the end.

use super::context::{
    event_tally, homopolymer_after, looks_real, snv_class, trinucleotide, ContextRates, Kind,
    Tallies, CLASS_PRIOR_ERRORS, REAL_P,
};
use super::stats::ln_binom_sf;
use super::weighted::Weighted;
use crate::evidence::alleles::{
    base_index, AlleleStats, MoleculeClass, PositionCounts, BASES, N_CLASSES,
};
use crate::evidence::engine::ShardEvidence;
use crate::reference::RefWindow;

/// The SNV context classes (pyrimidine-centred trinucleotide x substitution).
const SNV_CLASSES: usize = 96;

/// One allele observation whose place in the second fit waits for the
/// first: its tally, its molecules and the position's, by class.
#[derive(Debug, Clone)]
struct Pending {
    tally: (Kind, usize),
    alt: AlleleStats,
    all: AlleleStats,
}

/// The dispersion sums of one context and molecule class over kept SNV
/// alleles: `sum k^2`, `sum k n`, `sum n^2`, `sum n` (k alt molecules of
/// the class, n the class's depth).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Spread {
    kk: u128,
    kn: u128,
    nn: u128,
    n: u128,
}

impl Spread {
    fn add(&mut self, k: u32, n: u32) {
        // Products of two u32 fit a u64: multiplied there, summed as u128.
        let (k, n) = (u64::from(k), u64::from(n));
        self.kk += u128::from(k * k);
        self.kn += u128::from(k * n);
        self.nn += u128::from(n * n);
        self.n += u128::from(n);
    }

    fn merge(&mut self, o: &Spread) {
        self.kk += o.kk;
        self.kn += o.kn;
        self.nn += o.nn;
        self.n += o.n;
    }
}

/// One sample's background fit in progress (see the module's METHOD).
#[derive(Debug, Clone)]
pub struct FitTally {
    /// Every observation kept by both fits, and every position's depth.
    settled: ContextRates,
    /// Observations kept by the first fit, judged against it by the second.
    pending: Vec<Pending>,
    /// Dispersion sums of the settled SNV observations, per context and class.
    spread: Vec<[Spread; N_CLASSES]>,
    /// Molecules over every counted position, all and by class: the depth
    /// of each MNV and long-indel tally, added once at the end.
    everywhere: (u64, [u64; N_CLASSES]),
}

impl Default for FitTally {
    fn default() -> Self {
        FitTally {
            settled: ContextRates::empty(),
            pending: Vec::new(),
            spread: vec![[Spread::default(); N_CLASSES]; SNV_CLASSES],
            everywhere: (0, [0; N_CLASSES]),
        }
    }
}

impl FitTally {
    /// Fold in the molecules of sample `sample` over one shard.
    pub fn add_shard(&mut self, ev: &ShardEvidence, sample: usize) {
        let counts = &ev.samples[sample].counts;
        for (i, pc) in counts.positions.iter().enumerate() {
            let pos = (counts.start + i as u64) as i64;
            self.add_position(&ev.window, pos, pc);
        }
    }

    /// Fold in another part of the same sample's fit (any order: the sums
    /// are integers).
    pub fn merge(&mut self, o: FitTally) {
        add_rates(&mut self.settled, &o.settled);
        self.everywhere.0 += o.everywhere.0;
        for (a, b) in self.everywhere.1.iter_mut().zip(o.everywhere.1) {
            *a += b;
        }
        self.pending.extend(o.pending);
        for (a, b) in self.spread.iter_mut().zip(&o.spread) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
    }

    /// The fitted rates: the second fit, with the dispersion measured
    /// against the first.
    pub fn finish(self) -> ContextRates {
        let first = self.first_fit();
        let mut second = self.settled_everywhere();
        let FitTally {
            pending,
            mut spread,
            ..
        } = self;
        for p in pending.iter().filter(|p| !left_out(&first, p)) {
            p.add_to(&mut second);
            if let (Kind::Snv, c) = p.tally {
                for (k, s) in spread[c].iter_mut().enumerate() {
                    s.add(p.alt.by_class[k], p.all.by_class[k]);
                }
            }
        }
        second.dispersion = dispersion(&spread, &first);
        second
    }

    /// The first fit: every observation but those that look real.
    fn first_fit(&self) -> ContextRates {
        let mut first = self.settled_everywhere();
        for p in &self.pending {
            p.add_to(&mut first);
        }
        first
    }

    fn add_position(&mut self, w: &RefWindow, pos: i64, pc: &PositionCounts) {
        let n = pc.depth();
        if n == 0 {
            return;
        }
        let all = pc.all_bases();
        self.settled.strands[0] += u64::from(all.fwd);
        self.settled.strands[1] += u64::from(all.rev);
        let ctx = trinucleotide(w, pos);
        if let Some(ref_idx) = base_index(ctx[1]) {
            for (b, s) in pc.bases.iter().enumerate().filter(|(b, _)| *b != ref_idx) {
                let Some(c) = snv_class(ctx, BASES[b]) else {
                    continue;
                };
                if looks_real(s.n, all.n) {
                    continue;
                }
                let p = Pending {
                    tally: (Kind::Snv, c),
                    alt: *s,
                    all,
                };
                if s.n >= 2 {
                    self.pending.push(p);
                } else {
                    p.add_to(&mut self.settled);
                    for (k, sp) in self.spread[c].iter_mut().enumerate() {
                        sp.add(s.by_class[k], all.by_class[k]);
                    }
                }
            }
        }
        self.add_indels(w, pos, pc, &all);
    }

    /// A position's indels, MNVs and long indels: its run length's
    /// insertion and deletion tallies get its depth (the MNV and long-indel
    /// tallies get every position's: [`FitTally::everywhere`]); an allele's
    /// molecules go to its tally now, or wait for the first fit.
    fn add_indels(&mut self, w: &RefWindow, pos: i64, pc: &PositionCounts, all: &AlleleStats) {
        let hp = homopolymer_after(w, pos) - 1;
        for (indel, s) in &pc.indels {
            if matches!(indel, crate::evidence::alleles::Indel::Delins { .. }) {
                // Its indel is counted at its own anchor.
                continue;
            }
            let tally = event_tally(indel, hp);
            if looks_real(s.n, all.n) || tally.1 >= self.settled.pooled.kind(tally.0).len() {
                continue;
            }
            let p = Pending {
                tally,
                alt: *s,
                all: *all,
            };
            if s.n >= 2 {
                self.pending.push(p);
            } else {
                p.add_to(&mut self.settled);
            }
        }
        let r = &mut self.settled;
        for kind in [Kind::Ins, Kind::Del] {
            r.pooled.kind_mut(kind)[hp].add(0, u64::from(all.n));
            for (k, t) in r.by_class.iter_mut().enumerate() {
                t.kind_mut(kind)[hp].add(0, u64::from(all.by_class[k]));
            }
        }
        self.everywhere.0 += u64::from(all.n);
        for (e, &d) in self.everywhere.1.iter_mut().zip(&all.by_class) {
            *e += u64::from(d);
        }
    }

    /// `settled` with every counted position's depth in each MNV and
    /// long-indel tally (each position is an opportunity for all of them).
    fn settled_everywhere(&self) -> ContextRates {
        let mut r = self.settled.clone();
        let (n, by_class) = self.everywhere;
        for kind in [Kind::Mnv, Kind::LongIns, Kind::LongDel] {
            for t in r.pooled.kind_mut(kind) {
                t.add(0, n);
            }
            for (k, tallies) in r.by_class.iter_mut().enumerate() {
                for t in tallies.kind_mut(kind) {
                    t.add(0, by_class[k]);
                }
            }
        }
        r
    }
}

impl Pending {
    /// Add this observation to `r`: an SNV with its position's depth (an
    /// SNV left out takes its depth with it); an indel-like allele only its
    /// molecules (its slot already has the depth).
    fn add_to(&self, r: &mut ContextRates) {
        let (kind, i) = self.tally;
        let depth = |d: u32| if kind == Kind::Snv { u64::from(d) } else { 0 };
        r.pooled.kind_mut(kind)[i].add(u64::from(self.alt.n), depth(self.all.n));
        for (k, t) in r.by_class.iter_mut().enumerate() {
            let a = u64::from(self.alt.by_class[k]);
            t.kind_mut(kind)[i].add(a, depth(self.all.by_class[k]));
        }
    }
}

/// Is this observation significant against the first fit's class rates
/// at [`REAL_P`] (the weighted test)? Then the second fit leaves it out.
fn left_out(first: &ContextRates, p: &Pending) -> bool {
    let (kind, i) = p.tally;
    let rates = first.class_rates(kind, i);
    let ln_p = match Weighted::new(&rates, &p.all.by_class) {
        Some(w) => w.ln_sf(&p.alt.by_class),
        None => {
            let c = p.all.by_class.iter().position(|&d| d > 0).unwrap_or(0);
            ln_binom_sf(u64::from(p.alt.n), u64::from(p.all.n), rates[c])
        }
    };
    ln_p < REAL_P.ln()
}

/// Add `o`'s tallies and strand counts to `r`'s.
fn add_rates(r: &mut ContextRates, o: &ContextRates) {
    add_tallies(&mut r.pooled, &o.pooled);
    for (a, b) in r.by_class.iter_mut().zip(&o.by_class) {
        add_tallies(a, b);
    }
    r.strands[0] += o.strands[0];
    r.strands[1] += o.strands[1];
}

fn add_tallies(a: &mut Tallies, b: &Tallies) {
    for kind in Kind::ALL {
        for (x, y) in a.kind_mut(kind).iter_mut().zip(b.kind(kind)) {
            x.add(y.alt, y.depth);
        }
    }
}

/// The dispersion `phi_c` of class `c`'s error molecules: how many times
/// the Poisson variance their counts show.
///
/// METHOD: over every SNV allele at every target position that the second
/// fit keeps, with `k_c` the class's alt molecules and `mu_c = n_c e_c` its
/// expectation under the first fit, `phi_c = (sum (k_c - mu_c)^2 + 10) /
/// (sum mu_c + 10)`, at least 1 (a prior of ten expected errors at `phi =
/// 1`, so a class with few errors is not called dispersed by chance).
/// Independent molecules give ~1; PCR copies counted as molecules
/// (duplicates not marked) carry each PCR error once per copy and give
/// about the copies per molecule; site-to-site variation beyond the context
/// model adds to it too. The test takes each class's errors as clusters of
/// `phi_c` molecules ([`crate::model::weighted`]).
fn dispersion(spread: &[[Spread; N_CLASSES]], first: &ContextRates) -> Vec<f64> {
    MoleculeClass::ALL
        .iter()
        .map(|&class| {
            let k = class.index();
            let (mut sq, mut mu) = (0.0f64, 0.0f64);
            for (c, s) in spread.iter().enumerate() {
                let e = first.class_rate(Kind::Snv, c, class);
                let s = s[k];
                sq += s.kk as f64 - 2.0 * e * s.kn as f64 + e * e * s.nn as f64;
                mu += e * s.n as f64;
            }
            ((sq + CLASS_PRIOR_ERRORS) / (mu + CLASS_PRIOR_ERRORS)).max(1.0)
        })
        .collect()
}

impl ContextRates {
    /// Fit sample `sample`'s rates on all shards (see the module's METHOD).
    ///
    /// METHOD: two fits. The first leaves out what looks real by the
    /// count rule (>= 3 molecules and > 1%); the second also leaves out
    /// every allele observation whose molecules are significant against the
    /// first fit's class rates at [`REAL_P`] (the weighted test of
    /// [`crate::model::weighted`]): a 0.2% variant seen in three duplex
    /// molecules is far below 1% but is no duplex error, and the duplex
    /// rates (~1e-7) would otherwise be made of the sample's own low-VAF
    /// variants. At `REAL_P` per allele and position, error observations
    /// wrongly left out number ~0.05 on an 18 kb panel.
    pub fn estimate(evidence: &[ShardEvidence], sample: usize) -> Self {
        let mut t = FitTally::default();
        for ev in evidence {
            t.add_shard(ev, sample);
        }
        t.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::ClassCounts;
    use crate::model::tally::Tally;

    fn window() -> RefWindow {
        RefWindow {
            start: 0,
            seq: b"ACGTACGTAC".to_vec(),
        }
    }

    #[test]
    fn real_variants_are_kept_out_of_the_background() {
        let mut pc = PositionCounts::default();
        pc.bases[1].n = 1000; // ref C at pos 1
        pc.bases[3].n = 50; // 5% T: real
        pc.bases[0].n = 1; // one A: noise
        let mut t = FitTally::default();
        t.add_position(&window(), 1, &pc);
        let r = t.finish();
        let ct = snv_class(*b"ACG", b'T').unwrap();
        let ca = snv_class(*b"ACG", b'A').unwrap();
        assert_eq!(r.pooled.snv[ct], Tally::default());
        assert_eq!(
            r.pooled.snv[ca],
            Tally {
                alt: 1,
                depth: 1051
            }
        );
    }

    fn stats(by_class: ClassCounts) -> AlleleStats {
        AlleleStats {
            n: by_class.iter().sum(),
            by_class,
            ..AlleleStats::default()
        }
    }

    #[test]
    fn a_low_vaf_variant_in_duplex_molecules_is_left_out_of_the_second_fit() {
        // A first fit where duplex molecules err at ~1e-7 and reads at ~1e-4.
        let c = snv_class(*b"ACG", b'T').unwrap();
        let mut first = ContextRates::empty();
        first.pooled.snv[c] = Tally {
            alt: 1000,
            depth: 10_000_000,
        };
        first.by_class[MoleculeClass::Read.index()].snv[c] = Tally {
            alt: 999,
            depth: 5_000_000,
        };
        first.by_class[MoleculeClass::Duplex.index()].snv[c] = Tally {
            alt: 1,
            depth: 5_000_000,
        };
        let all = stats([1000, 0, 0, 1000]);
        let pending = |alt| Pending {
            tally: (Kind::Snv, c),
            alt,
            all,
        };
        // Three duplex molecules of 2,000 (0.15%): no error, left out.
        assert!(left_out(&first, &pending(stats([0, 0, 0, 3]))));
        // Three single reads are what reads at 1e-4 show: kept.
        assert!(!left_out(&first, &pending(stats([3, 0, 0, 0]))));
    }

    /// The fit folded part by part, in any order, equals the fit over all
    /// positions at once; the dispersion's expanded sums equal the sum of
    /// squares taken allele by allele against the first fit.
    #[test]
    fn the_fit_does_not_depend_on_how_the_positions_are_split() {
        // Four contexts, 50 positions each: a variant is a small part of
        // its context's tally, as on a panel.
        let w = RefWindow {
            start: 0,
            seq: b"ACGT".repeat(51),
        };
        let mut rng = crate::rng::Rng::new(7);
        let positions: Vec<PositionCounts> = (0..200)
            .map(|i| {
                let mut pc = PositionCounts::default();
                // Single-read errors in bursts (overdispersed), a few pairs'.
                for b in &mut pc.bases {
                    let burst = if rng.below(8) == 0 { rng.below(15) } else { 0 };
                    *b = stats([burst as u32, rng.below(2) as u32, 0, 0]);
                }
                let major = rng.below(4) as usize;
                pc.bases[major] = stats([4000, 300, 200, 3000]);
                // One 0.5% variant in duplex molecules: no error.
                if i == 41 {
                    pc.bases[(major + 1) % 4] = stats([0, 0, 0, 40]);
                }
                pc
            })
            .collect();
        // Some observations wait for the first fit, and it leaves some out.
        let n_pending = |t: &FitTally| t.pending.len();
        let mut whole = FitTally::default();
        for (i, pc) in positions.iter().enumerate() {
            whole.add_position(&w, i as i64 + 1, pc);
        }
        assert!(n_pending(&whole) > 5, "{}", n_pending(&whole));
        let first = whole.first_fit();
        assert!(whole.pending.iter().any(|p| left_out(&first, p)));
        let mut parts = [FitTally::default(), FitTally::default()];
        for (i, pc) in positions.iter().enumerate() {
            parts[i % 2].add_position(&w, i as i64 + 1, pc);
        }
        let [a, mut b] = parts;
        b.merge(a);
        let (whole, split) = (whole.finish(), b.finish());
        assert_eq!(whole.pooled, split.pooled);
        assert_eq!(whole.by_class, split.by_class);
        // The dispersion allele by allele, as its METHOD defines it.
        let (mut sq, mut mu) = ([0.0f64; N_CLASSES], [0.0f64; N_CLASSES]);
        for (i, pc) in positions.iter().enumerate() {
            let ctx = trinucleotide(&w, i as i64 + 1);
            let all = pc.all_bases();
            let r = base_index(ctx[1]).unwrap();
            for (b, s) in pc.bases.iter().enumerate().filter(|(b, _)| *b != r) {
                let c = snv_class(ctx, BASES[b]).unwrap();
                let p = Pending {
                    tally: (Kind::Snv, c),
                    alt: *s,
                    all,
                };
                if looks_real(s.n, all.n) || (s.n >= 2 && left_out(&first, &p)) {
                    continue;
                }
                for class in MoleculeClass::ALL {
                    let k = class.index();
                    let m = f64::from(all.by_class[k]) * first.class_rate(Kind::Snv, c, class);
                    sq[k] += (f64::from(s.by_class[k]) - m).powi(2);
                    mu[k] += m;
                }
            }
        }
        for k in 0..N_CLASSES {
            let direct = ((sq[k] + CLASS_PRIOR_ERRORS) / (mu[k] + CLASS_PRIOR_ERRORS)).max(1.0);
            assert!(
                (whole.dispersion[k] - direct).abs() <= 1e-9 * direct,
                "{k}: {direct}"
            );
            assert_eq!(whole.dispersion[k], split.dispersion[k]);
        }
        assert!(
            whole.dispersion.iter().any(|&d| d > 1.0),
            "{:?}",
            whole.dispersion
        );
    }
}
