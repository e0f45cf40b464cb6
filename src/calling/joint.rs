//! Joint discovery over one patient's samples (`call --joint`): an allele
//! too thin to pass in any one timepoint may pass on the molecules of all
//! of them together; each sample is then judged at a lenient level, so a
//! resistance clone shows at the timepoint it is first there rather than
//! the one where it alone clears the panel-wide threshold.

use super::SampleCall;
use crate::evidence::alleles::N_CLASSES;
use crate::model::Null;

/// The levels of a joint discovery, as natural logs.
#[derive(Debug, Clone, Copy)]
pub struct JointLevels {
    /// The de novo level: the pooled test's, and the one a sample's own
    /// test must reach to count as found alone.
    pub ln_alpha: f64,
    /// `--joint-alpha`: the level of the change between samples asked of
    /// an allele no sample finds alone; `None`: not asked (the background
    /// measures each site's own rate: a panel of normals).
    pub ln_change_alpha: Option<f64>,
}

/// METHOD: the molecules of every called sample pooled (alt and depth by
/// class summed), tested against the pooled null ([`Null::pooled`]) at the
/// de novo level (the same Bonferroni family as a single sample's test:
/// the false discoveries per panel stay at `--fp-per-panel`), with at
/// least `min_alt` strand observations pooled. Fewer than two called
/// samples: nothing to pool.
///
/// Without a panel of normals, an allele that no sample's own test takes
/// to the de novo level must also change between samples
/// ([`ln_change_p`] at `--joint-alpha`): a site artifact of the assay sits
/// at one fraction in every plasma of a patient, and pooled it looks
/// exactly like a variant, while a tumour's allele follows the tumour,
/// which treatment changes. The sample's own background pools every site
/// of a context and cannot see a site artifact; a panel of normals
/// measures each site's rate and the pooled test then stands alone. An
/// allele found alone somewhere needs no such evidence either.
///
/// How it was found decides how each sample is then judged (at
/// `--joint-alpha` either way): an allele one sample's own test found is
/// known in the patient and the others are genotyped at it with the known
/// loci's observation minimum; one found only pooled keeps the de novo
/// minimum (its existence rests on the thin sum, and two molecules in one
/// sample would turn a false pooled discovery into a PASS record).
pub fn discovered(
    samples: &[SampleCall],
    called: impl Fn(usize) -> bool,
    levels: JointLevels,
    min_alt: u32,
) -> Option<Found> {
    let mut alt = [0u32; N_CLASSES];
    let mut depth = [0u32; N_CLASSES];
    let mut parts = Vec::new();
    let mut observations = 0;
    let mut found_alone = false;
    let mut counts = Vec::new();
    for (_, s) in samples.iter().enumerate().filter(|(k, _)| called(*k)) {
        for c in 0..N_CLASSES {
            alt[c] += s.alt.by_class[c];
            depth[c] += s.depth_by_class[c];
        }
        observations += s.alt.strand_observations();
        parts.push((&s.null, &s.depth_by_class));
        found_alone |= s.ln_p <= levels.ln_alpha;
        counts.push((s.alt.n, s.depth()));
    }
    let pooled = parts.len() >= 2
        && observations >= min_alt
        && Null::pooled(&parts).ln_sf(&alt, &depth) <= levels.ln_alpha;
    match (pooled, found_alone) {
        (false, _) => None,
        (true, true) => Some(Found::Alone),
        (true, false) => (levels.ln_change_alpha)
            .is_none_or(|a| ln_change_p(&counts) <= a)
            .then_some(Found::Pooled),
    }
}

/// How a jointly found allele was found ([`discovered`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// One sample's own test reaches the de novo level.
    Alone,
    /// Only the samples pooled do.
    Pooled,
}

/// ln p that the allele's fraction is one and the same in every sample,
/// from `(alt, depth)` molecules per sample (samples without depth are left
/// out).
///
/// METHOD: Pearson's chi-square on the 2 x m table (alt and other
/// molecules by sample), `m - 1` degrees of freedom. With the few alt
/// molecules of a thin allele its level is at or below nominal (checked
/// by simulation in the tests); the likelihood-ratio G statistic is not
/// (about 1.6 x nominal at 10-20 alt molecules over five samples).
pub fn ln_change_p(counts: &[(u32, u32)]) -> f64 {
    let present: Vec<(f64, f64)> = counts
        .iter()
        .filter(|&&(_, n)| n > 0)
        .map(|&(a, n)| (f64::from(a.min(n)), f64::from(n)))
        .collect();
    let total: f64 = present.iter().map(|(_, n)| n).sum();
    let alt: f64 = present.iter().map(|(a, _)| a).sum();
    if present.len() < 2 || alt == 0.0 || alt == total {
        return 0.0;
    }
    let share = alt / total;
    let x2: f64 = present
        .iter()
        .map(|&(a, n)| {
            let (e, f) = (n * share, n * (1.0 - share));
            (a - e).powi(2) * (1.0 / e + 1.0 / f)
        })
        .sum();
    if x2.is_nan() || x2 <= 0.0 {
        return 0.0; // one fraction exactly (statrs takes x > 0 only)
    }
    let df = (present.len() - 1) as f64;
    statrs::function::gamma::checked_gamma_ur(df / 2.0, x2 / 2.0)
        .map_or(0.0, |p| p.max(f64::MIN_POSITIVE).ln())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn sample(alt: u32, depth: u32) -> SampleCall {
        SampleCall::binomial_fixture(alt, depth, 1e-4)
    }

    fn levels() -> JointLevels {
        JointLevels {
            ln_alpha: (1e-7f64).ln(),
            ln_change_alpha: Some((0.01f64).ln()),
        }
    }

    /// Absent in four samples of 2,000 molecules, then 5 in each of three.
    fn growing() -> Vec<SampleCall> {
        let mut s = vec![sample(0, 2_000); 4];
        s.extend(vec![sample(5, 2_000); 3]);
        s
    }

    #[test]
    fn thin_evidence_in_several_samples_adds_up() {
        // None of 2,000 in four samples, then 5 in each of three, at
        // 1e-4: p ~ 2e-6 alone, ~1e-11 pooled (15 of 14,000, 1.4
        // expected), a change at p ~ 0.003.
        let l = levels();
        let s = growing();
        assert!(s.iter().all(|x| x.ln_p > l.ln_alpha));
        assert_eq!(discovered(&s, |_| true, l, 3), Some(Found::Pooled));
        // One sample is nothing to pool; the same counts as noise are not.
        assert!(discovered(&s[6..], |_| true, l, 3).is_none());
        let noise = vec![sample(1, 2_000), sample(0, 2_000), sample(1, 2_000)];
        assert!(discovered(&noise, |_| true, l, 3).is_none());
        // The matched normal is not pooled: the rest is one sample.
        assert!(discovered(&s[5..], |k| k == 0, l, 3).is_none());
    }

    #[test]
    fn a_flat_allele_no_sample_finds_alone_is_not_found_pooled() {
        // 4 of 2,000 in each of four plasmas: 16 of 8,000 at 1e-4 is far
        // below 1e-7 pooled (p ~ 1e-11), but one fraction everywhere is what a site
        // artifact looks like.
        let l = levels();
        let flat = vec![sample(4, 2_000); 4];
        assert!(flat.iter().all(|x| x.ln_p > l.ln_alpha));
        assert!(discovered(&flat, |_| true, l, 3).is_none());
        // A panel of normals measures the site: the pooled test stands.
        let measured = JointLevels {
            ln_change_alpha: None,
            ..l
        };
        assert_eq!(
            discovered(&flat, |_| true, measured, 3),
            Some(Found::Pooled)
        );
        // As many molecules, none early and five in each late sample: found.
        assert_eq!(discovered(&growing(), |_| true, l, 3), Some(Found::Pooled));
        // Found alone in one sample: the others are judged leniently,
        // change or not.
        let mut alone = flat.clone();
        alone[2] = sample(12, 2_000);
        assert!(alone[2].ln_p <= l.ln_alpha);
        assert_eq!(discovered(&alone, |_| true, l, 3), Some(Found::Alone));
    }

    #[test]
    fn the_change_test_holds_its_level_on_one_fraction() {
        // Five samples of 1,850 molecules at one fraction each: the test
        // rejects at most its level (with a margin for 4,000 draws).
        for (f, seed) in [(0.001, 1), (0.002, 2), (0.005, 3)] {
            let mut rng = Rng::new(seed);
            let draws = 4_000;
            let rejected = (0..draws)
                .filter(|_| {
                    let counts: Vec<(u32, u32)> = (0..5)
                        .map(|_| (rng.poisson(1_850.0 * f) as u32, 1_850))
                        .collect();
                    ln_change_p(&counts) <= (0.01f64).ln()
                })
                .count();
            assert!(rejected <= draws * 15 / 1_000, "{f}: {rejected} of {draws}");
        }
        // And it sees a real change: 0, 0, 2, 6, 20 of 1,850.
        let ramp = [(0, 1_850), (0, 1_850), (2, 1_850), (6, 1_850), (20, 1_850)];
        assert!(ln_change_p(&ramp) < (1e-6f64).ln());
        // Nothing to compare: one sample, or no alt molecule.
        assert_eq!(ln_change_p(&[(3, 100)]), 0.0);
        assert_eq!(ln_change_p(&[(0, 100), (0, 200)]), 0.0);
    }

    /// Three timepoints of one shard (2,000 positions, 500 molecules each):
    /// an allele absent at T1, in two molecules at T2 and twelve at T3.
    fn series() -> crate::evidence::engine::ShardEvidence {
        let mut t = crate::calling::test_shard::Builder::new(3, 2_000, 500);
        let alt = t.other_base(150, 1);
        for (k, n) in [(1, 2), (2, 12)] {
            t.set_base(k, 150, alt, n);
        }
        t.build()
    }

    #[test]
    fn a_jointly_found_allele_is_genotyped_in_each_sample_as_a_known_one() {
        use crate::calling::{filters::Thresholds, Alphas, Caller};
        use crate::model::{context::ContextRates, Background};
        let ev = series();
        let rates: Vec<ContextRates> = (0..3)
            .map(|k| ContextRates::estimate(std::slice::from_ref(&ev), k))
            .collect();
        let models: Vec<&dyn Background> = rates.iter().map(|r| r as &dyn Background).collect();
        let mut thresholds = Thresholds::for_tests();
        let known = Default::default();
        let call = |t: &Thresholds| {
            let caller = Caller {
                models: &models,
                thresholds: t,
                alphas: Alphas::new(t, 2_000, 1),
                known: &known,
                minor_strand: &[None, None, None],
                normal: None,
            };
            let calls = caller.call_shard(&ev);
            calls.into_iter().find(|c| c.pos0 == 1_150).unwrap()
        };
        // Alone: T3 passes, T2's two molecules do not (not detected).
        let alone = call(&thresholds);
        assert!(alone.samples[2].passes());
        assert!(!alone.samples[1].passes());
        // Joint: found (T3 alone already), T2 judged at --joint-alpha with
        // the known loci's minimum of two: present; T1: not detected.
        thresholds.joint_alpha = Some(0.01);
        let joint = call(&thresholds);
        assert!(joint.joint);
        assert!(joint.samples[1].ln_p < (0.01f64).ln());
        assert!(joint.samples[1].passes(), "{:?}", joint.samples[1].filters);
        assert!(!joint.samples[0].passes());
    }
}
