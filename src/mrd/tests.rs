//! Calibration of the sample-level call at the locus-count level: alt
//! counts drawn from the model's own binomial, pushed through the same
//! [`analyse`] the command uses (outlier exclusion, fit, test,
//! leave-one-out). The end-to-end tests from BAMs are in tests/mrd.rs.

use super::*;
use crate::loci::KnownLocus;
use crate::reference::{Contig, Reference};
use crate::rng::Rng;

fn reference() -> Reference {
    Reference {
        path: "ref.fa".into(),
        contigs: vec![Contig {
            name: "chr1".into(),
            len: 1_000_000,
        }],
    }
}

fn loci(m: usize) -> Vec<TumorLocus> {
    (0..m)
        .map(|i| TumorLocus {
            locus: KnownLocus {
                rid: 0,
                pos0: 1000 + 100 * i as u64,
                ref_allele: b"C".to_vec(),
                alt_allele: b"T".to_vec(),
            },
            weight: 0.5,
            weight_source: "default",
        })
        .collect()
}

fn settings() -> Settings {
    Settings {
        alpha: 0.01,
        min_depth: 100,
        outlier_alpha: 0.01,
        outlier_min_alt: 3,
        normal_alpha: 0.01,
        lod_replicates: 1,
        seed: 1,
    }
}

/// One simulated sample: depths around 2,000, error rates spread over a
/// decade (3e-5 .. 3e-4, as the context classes of a real run), alt counts
/// Binomial(n, TF w + (1 - TF w) e).
fn sample(rng: &mut Rng, m: usize, tf: f64) -> (Vec<SiteEvidence>, Vec<f64>) {
    sample_at(rng, m, tf, 1500, 3e-5)
}

/// [`sample`] with depths `depth .. depth x 5/3` and rates `e0 .. 10 e0`.
fn sample_at(
    rng: &mut Rng,
    m: usize,
    tf: f64,
    depth: u64,
    e0: f64,
) -> (Vec<SiteEvidence>, Vec<f64>) {
    let mut ev = Vec::with_capacity(m);
    let mut errs = Vec::with_capacity(m);
    for _ in 0..m {
        let n = depth + rng.below(depth * 2 / 3);
        let e = e0 * 10f64.powf(rng.uniform());
        let o = LocusObs { n, k: 0, e, w: 0.5 };
        let k = model::binom_inv(rng.uniform(), n, o.p(tf));
        let mut s = SiteEvidence {
            depth: n as u32,
            ..Default::default()
        };
        s.alt.n = k as u32;
        ev.push(s);
        errs.push(e);
    }
    (ev, errs)
}

#[test]
fn false_detection_rate_at_tf_zero_is_at_most_alpha() {
    let (m, runs) = (200, 2000);
    let l = loci(m);
    let mut rng = Rng::new(11);
    let mut detected = 0;
    let mut nominal = 0;
    for _ in 0..runs {
        let (ev, errs) = sample(&mut rng, m, 0.0);
        let r = analyse("s", &l, (ev, &[]), &errs, &settings(), &reference());
        detected += usize::from(r.call == MrdCall::Detected);
        nominal += usize::from(r.p_value <= 0.01);
    }
    let rate = detected as f64 / runs as f64;
    eprintln!(
        "TF = 0: {detected}/{runs} DETECTED ({rate:.4}), {nominal} with p <= alpha before leave-one-out"
    );
    // alpha = 0.01; binomial sd over 2000 runs is 0.0022: slack of 2.5 sd.
    assert!(rate <= 0.0155, "{rate}");
}

#[test]
fn false_detection_rate_stays_below_alpha_when_counts_are_few() {
    // 50 loci at ~600x with e ~ 1e-6 .. 1e-5: about 0.1 error molecules per
    // sample, where the chi-bar-square asymptotics are at their worst.
    let (m, runs) = (50, 4000);
    let l = loci(m);
    let mut rng = Rng::new(14);
    let mut detected = 0;
    let mut nominal = 0;
    for _ in 0..runs {
        let (ev, errs) = sample_at(&mut rng, m, 0.0, 500, 1e-6);
        let r = analyse("s", &l, (ev, &[]), &errs, &settings(), &reference());
        detected += usize::from(r.call == MrdCall::Detected);
        nominal += usize::from(r.p_value <= 0.01);
    }
    eprintln!("few counts, TF = 0: {detected}/{runs} DETECTED, {nominal} with p <= alpha before leave-one-out");
    assert!((detected as f64) <= 0.0135 * runs as f64, "{detected}");
}

#[test]
fn tf_1e3_with_200_loci_is_detected_and_the_ci_covers_the_truth() {
    let (m, runs, tf) = (200, 500, 1e-3);
    let l = loci(m);
    let mut rng = Rng::new(12);
    let (mut detected, mut covered) = (0, 0);
    for _ in 0..runs {
        let (ev, errs) = sample(&mut rng, m, tf);
        let r = analyse("s", &l, (ev, &[]), &errs, &settings(), &reference());
        detected += usize::from(r.call == MrdCall::Detected);
        covered += usize::from(r.ci95[0] <= tf && tf <= r.ci95[1]);
    }
    eprintln!("TF = 1e-3: detected {detected}/{runs}, CI covers {covered}/{runs}");
    assert_eq!(detected, runs);
    // Nominal 95%; sd over 500 runs is ~1%.
    assert!(covered as f64 >= 0.92 * runs as f64, "{covered}");
}

#[test]
fn a_chip_locus_is_excluded_and_does_not_make_a_call() {
    let m = 200;
    let l = loci(m);
    let mut rng = Rng::new(13);
    let (mut ev, errs) = sample(&mut rng, m, 0.0);
    ev[17].alt.n = ev[17].depth / 50; // 2% CHIP clone
    let r = analyse("s", &l, (ev.clone(), &[]), &errs, &settings(), &reference());
    assert_eq!(r.per_locus[17].flag, LocusFlag::GermlineOrCHIP);
    assert_eq!(r.loci.germline_or_chip, 1);
    assert_eq!(r.call, MrdCall::NotDetected);
    // Low depth is flagged and left out.
    ev[3].depth = 50;
    let r = analyse("s", &l, (ev, &[]), &errs, &settings(), &reference());
    assert_eq!(r.per_locus[3].flag, LocusFlag::LowDepth);
    assert_eq!(r.loci.used, m - 2);
}
