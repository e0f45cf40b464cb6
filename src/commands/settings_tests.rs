//! Tests of the argument → settings mapping: defaults agree with the
//! stages' own defaults, the face's value enums name the same values as the
//! domain enums, and bad values are refused by the stage with the option named.

use super::*;
use crate::cli::{Cli, Command};
use crate::Error;
use clap::{Parser, ValueEnum};

fn parse_simulate(extra: &[&str]) -> Result<SimParams> {
    let mut argv = vec!["ctdna", "simulate", "--out-dir", "x"];
    argv.extend_from_slice(extra);
    let cli = Cli::try_parse_from(argv).map_err(|e| Error::Usage(e.to_string()))?;
    match cli.command {
        Command::Simulate(a) => sim_params(&a),
        _ => Err(Error::Usage("wrong command".into())),
    }
}

#[test]
fn simulate_cli_defaults_match_sim_params_default() {
    assert_eq!(parse_simulate(&[]).unwrap(), SimParams::default());
}

#[test]
fn bad_parameters_are_refused_with_the_option_named() {
    let cases: &[(&[&str], &str)] = &[
        (&["--vaf", "0.01,1.5"], "--vaf 1.5"),
        (&["--vaf", "0"], "--vaf 0"),
        (&["--depth", "0"], "--depth"),
        (&["--contig-len", "1000"], "--contig-len"),
        (
            &[
                "--target-max-len",
                "5000",
                "--dup-segments",
                "0",
                "--paralog-targets",
                "0",
                "--contig-len",
                "5000",
            ],
            "do not fit",
        ),
        (&["--read-len", "500"], "--read-len 500"),
        (&["--family-size", "0.5"], "--family-size"),
        (&["--duplex", "--umi-len", "0"], "--duplex"),
    ];
    for (args, needle) in cases {
        let e = parse_simulate(args).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains(needle), "{args:?}: {e}");
    }
}

#[test]
fn value_enums_name_the_domain_values() {
    for a in TierArg::value_variants() {
        let name = a.to_possible_value().unwrap().get_name().to_string();
        assert_eq!(name, Tier::from(*a).name());
    }
    for a in OverlapArg::value_variants() {
        let name = a.to_possible_value().unwrap().get_name().to_string();
        let serde = serde_json::to_value(OverlapPolicy::from(*a)).unwrap();
        assert_eq!(serde, serde_json::json!(name), "what the metrics record");
    }
}

#[test]
fn call_settings_from_the_command_line() {
    let cli = Cli::try_parse_from([
        "ctdna",
        "call",
        "--bam",
        "a.bam",
        "-r",
        "r.fa",
        "-o",
        "o.vcf",
        "--overlap",
        "independent",
        "--min-tier",
        "duplex",
        "--min-alt",
        "4",
    ])
    .unwrap();
    let Command::Call(a) = cli.command else {
        panic!("not call")
    };
    let f = read_filter(&a.filters).unwrap();
    assert_eq!(f.overlap, OverlapPolicy::Independent);
    assert_eq!(f.min_mapq, 20);
    assert_eq!(umi_options(&a.umi).min_tier, Some(Tier::Duplex));
    assert_eq!(umi_options(&a.umi).tag, "RX");
    let mut t = thresholds(&a.calling).unwrap();
    assert_eq!(t.min_alt, 4);
    t.fp_per_panel = 0.0;
    let Err(Error::Usage(m)) = t.validate() else {
        panic!("accepted")
    };
    assert_eq!(m, "--fp-per-panel must be in (0, inf) (got 0)");
}

#[test]
fn bad_values_are_refused_by_the_stage() {
    let usage = |r: Result<()>| match r {
        Err(Error::Usage(m)) => m,
        other => panic!("{other:?}"),
    };
    let cli = Cli::try_parse_from(["ctdna", "count", "--bam", "a.bam", "-r", "r.fa"]).unwrap();
    let Command::Count(a) = cli.command else {
        panic!("not count")
    };
    let mut f = read_filter(&a.filters).unwrap();
    f.max_mismatch_per_100 = -1.0;
    assert_eq!(usage(f.validate()), "--max-mismatch-per-100 must be >= 0");
    let b = BuildParams {
        carrier_min_alt: 0,
        ..BuildParams::default()
    };
    assert_eq!(usage(b.validate()), "--carrier-min-alt must be at least 1");
    let m = ModelOptions {
        tumor_purity: 0.0,
        ..mrd_model(&MrdModelArgs {
            alpha: 0.01,
            min_depth: 100,
            background_pad: 50,
            outlier_alpha: 0.01,
            normal_alpha: 0.01,
            tumor_purity: 1.0,
            lod_replicates: 200,
        })
    };
    assert_eq!(
        usage(m.settings().map(|_| ())),
        "--tumor-purity 0 must be in (0, 1]"
    );
}

#[test]
fn threads_are_at_least_one_and_simulate_names_itself() {
    let usage = |e: Error| match e {
        Error::Usage(m) => m,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        usage(threads(Some(0)).unwrap_err()),
        "--threads must be at least 1"
    );
    assert_eq!(
        usage(simulate_threads(Some(0)).unwrap_err()),
        "ctdna simulate: --threads must be at least 1"
    );
    assert_eq!(threads(Some(3)).unwrap(), 3);
    assert!(threads(None).unwrap() >= 1, "not given: one per core");
    assert_eq!(simulate_threads(Some(3)).unwrap(), Some(3));
    assert_eq!(
        simulate_threads(None).unwrap(),
        None,
        "not given: rayon's default"
    );
}
