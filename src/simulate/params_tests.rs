//! Tests of [`SimParams::validate`]: every message, word for word, and the
//! order in which the checks run (the first failing one is reported).

use super::*;

/// Every check failing at once, so each step below shows that its check
/// runs before all the later ones that still fail.
fn everything_wrong() -> SimParams {
    SimParams {
        vafs: vec![1.5],
        tumor_fraction: Some(2.0),
        depth: 0,
        contigs: 0,
        targets: 0,
        target_min_len: 10,
        contig_len: 1000,
        gc: 1.0,
        dup_divergence: 0.6,
        dup_len: 100,
        paralog_targets: 5,
        family_size: 0.5,
        family_dispersion: -1.0,
        umi_len: 40,
        duplex: true,
        frag_min: 10,
        frag_mode: 500,
        frag_sd: 0.0,
        dinucleosome_fraction: 1.5,
        read_len: 10,
        sample_name: "a b".into(),
        bam_compression: 10,
        pcr_error_rate: 0.2,
        oxog_rate: 0.6,
        hp_indel_rate: 0.2,
        umi_error_rate: 1.5,
        mismap_rate: f64::NAN,
        ..SimParams::default()
    }
}

type Fix = fn(&mut SimParams);

#[test]
fn checks_run_in_order_and_name_the_option() {
    // (expected message, the fix that lets the next check speak). A fix
    // may break a later check on purpose, to reach a message that cannot
    // fail together with the one before it (an empty --vaf, a too-high
    // depth, a zero UMI length, a long read).
    let ladder: &[(&str, Fix)] = &[
        (
            "--vaf 1.5 is outside (0, 1); give allele fractions such as 0.005 for 0.5%",
            |p| p.vafs.clear(),
        ),
        (
            "--tumor-fraction 2 is outside [0, 1]; give e.g. 0.001 for 0.1% tumor DNA",
            |p| p.tumor_fraction = None,
        ),
        ("--vaf needs at least one value", |p| p.vafs = vec![0.01]),
        ("--depth must be at least 1 molecule", |p| {
            p.depth = 2_000_000
        }),
        ("--depth 2000000 is above 1,000,000", |p| p.depth = 200),
        ("--contigs must be between 1 and 1000", |p| p.contigs = 3),
        ("--targets must be at least 1", |p| p.targets = 20),
        (
            "--target-min-len 10 must be >= 20 and <= --target-max-len 250",
            |p| p.target_min_len = 150,
        ),
        (
            "targets up to 250 bp plus 550 bp margins at each end do not fit in \
             --contig-len 1000; use longer contigs or shorter targets",
            |p| p.contig_len = 100_000,
        ),
        ("--gc 1 is outside (0, 1)", |p| p.gc = 0.41),
        ("--dup-divergence 0.6 is outside [0, 0.5]", |p| {
            p.dup_divergence = 0.015
        }),
        (
            "--dup-len 100 must be >= 200 and at most a quarter of --contig-len",
            |p| p.dup_len = 220,
        ),
        (
            "--paralog-targets 5 exceeds --dup-segments or --targets",
            |p| p.paralog_targets = 1,
        ),
        (
            "--paralog-targets needs --dup-len >= --target-max-len",
            |p| p.dup_len = 2000,
        ),
        ("--family-size 0.5 must be between 1 and 1000", |p| {
            p.family_size = 2.0
        }),
        (
            "--family-dispersion -1 must be between 0 (Poisson families) and 1e6",
            |p| p.family_dispersion = 0.0,
        ),
        ("--umi-len must be <= 32", |p| p.umi_len = 0),
        ("--duplex needs --umi-len > 0", |p| p.umi_len = 8),
        (
            "--frag-min 10 must be >= 20 and below --frag-max 450",
            |p| p.frag_min = 60,
        ),
        ("--frag-mode 500 is outside [--frag-min, --frag-max]", |p| {
            p.frag_mode = 167
        }),
        ("--frag-sd must be > 0", |p| p.frag_sd = 15.0),
        ("--dinucleosome-fraction 1.5 is outside [0, 1]", |p| {
            p.dinucleosome_fraction = 0.1
        }),
        ("--read-len must be at least 20", |p| p.read_len = 500),
        (
            "--read-len 500 is longer than the longest fragment (--frag-max 450); \
             raise --frag-max or shorten the reads",
            |p| p.read_len = 150,
        ),
        ("--sample-name must be non-empty without spaces", |p| {
            p.sample_name = "sample".into()
        }),
        ("--bam-compression 10 is outside 0-9", |p| {
            p.bam_compression = 6
        }),
        ("--pcr-error-rate 0.2 is outside [0, 0.1]", |p| {
            p.pcr_error_rate = 5e-5
        }),
        ("--oxog-rate 0.6 is outside [0, 0.5]", |p| {
            p.oxog_rate = 5e-4
        }),
        ("--hp-indel-rate 0.2 is outside [0, 0.1]", |p| {
            p.hp_indel_rate = 5e-4
        }),
        ("--umi-error-rate 1.5 is outside [0, 1]", |p| {
            p.umi_error_rate = 0.005
        }),
        ("--mismap-rate NaN is outside [0, 1]", |p| {
            p.mismap_rate = 0.1
        }),
    ];
    let mut p = everything_wrong();
    for (i, (want, fix)) in ladder.iter().enumerate() {
        match p.validate() {
            Err(Error::Usage(m)) => assert_eq!(m, format!("ctdna simulate: {want}"), "step {i}"),
            other => panic!("step {i}: expected {want:?}, got {other:?}"),
        }
        fix(&mut p);
    }
    p.validate().unwrap();
    assert_eq!(
        p,
        SimParams {
            duplex: true,
            vafs: vec![0.01],
            ..SimParams::default()
        },
        "the fixes lead back to the defaults"
    );
}

#[test]
fn defaults_are_valid() {
    SimParams::default().validate().unwrap();
}

#[test]
fn mnvs_and_long_indels_reach_the_command_line_and_manifest_only_when_set() {
    let d = SimParams::default();
    assert!(!d.command_line().contains("per-vaf"));
    let json = serde_json::to_string(&d).unwrap();
    assert!(!json.contains("mnvs_per_vaf") && !json.contains("long_indels_per_vaf"));
    let p = SimParams {
        mnvs_per_vaf: 3,
        long_indels_per_vaf: 4,
        ..d
    };
    let cl = p.command_line();
    assert!(
        cl.contains(" --mnvs-per-vaf 3") && cl.contains(" --long-indels-per-vaf 4"),
        "{cl}"
    );
    let back: SimParams = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back, p);
    // Without VAFs nothing can be planted.
    let none = SimParams {
        vafs: vec![],
        snvs_per_vaf: 0,
        indels_per_vaf: 0,
        mnvs_per_vaf: 1,
        ..SimParams::default()
    };
    assert!(none.validate().is_err());
}
