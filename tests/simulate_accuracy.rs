//! Accuracy of `ctdna call` on test-data/ (simulated by `ctdna simulate`),
//! scored against the truth. The bounds are what the caller measurably
//! reaches today (figure beside each); tighten them as the caller improves.

use ctdna::simulate::score::{score, ScoreOptions, VarType};
use std::path::Path;
use std::process::Command;

#[test]
fn call_on_test_data_meets_measured_sensitivity_and_fp_bounds() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-data");
    let out = tempfile::tempdir().unwrap();
    let calls = out.path().join("calls.vcf.gz");
    let o = Command::new(env!("CARGO_BIN_EXE_ctdna"))
        .args(["call", "--quiet", "--threads", "2", "--bam"])
        .arg(data.join("sample.bam"))
        .arg("--reference")
        .arg(data.join("ref.fa"))
        .arg("--targets")
        .arg(data.join("targets.bed"))
        .arg("-o")
        .arg(&calls)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let opts = ScoreOptions::from_sim_dir(&data).unwrap();
    let s = score(&calls, &data.join("truth.vcf.gz"), &opts).unwrap();
    eprintln!("{s}");
    // Measured on the current caller: SNV 12/12, indel 3/3, FP 0, germline 0 PASS.
    assert!(s.sensitivity(Some(VarType::Snv), 0.0) >= 0.9, "{s}");
    assert!(s.sensitivity(Some(VarType::Indel), 0.0) >= 0.6, "{s}");
    assert!(s.fp <= 1, "{s}");
    assert_eq!(
        s.germline_pass, 0,
        "germline variants should be flagged, not PASS:\n{s}"
    );
}

/// Score any simulation: `SIM_DIR=dir CALLS=calls.vcf.gz cargo test --release
/// --test simulate_accuracy score_from_env -- --ignored --nocapture`
/// (used for benchmark tables; `MIN_ALT` sets k, default 3; `DOT_IS_PASS=1`
/// counts FILTER `.` as PASS, for peers such as bcftools).
#[test]
#[ignore = "a tool: needs SIM_DIR and CALLS"]
fn score_from_env() {
    let (Ok(dir), Ok(calls)) = (std::env::var("SIM_DIR"), std::env::var("CALLS")) else {
        eprintln!("set SIM_DIR and CALLS");
        return;
    };
    let dir = Path::new(&dir);
    let mut opts = ScoreOptions::from_sim_dir(dir).unwrap();
    if let Ok(k) = std::env::var("MIN_ALT") {
        opts.min_alt = k.parse().unwrap();
    }
    opts.unfiltered_is_pass = std::env::var("DOT_IS_PASS").is_ok_and(|v| v == "1");
    let s = score(Path::new(&calls), &dir.join("truth.vcf.gz"), &opts).unwrap();
    println!("{s}");
    for k in &s.fp_sites {
        println!(
            "FP {}:{} {}>{}",
            k.0,
            k.1,
            String::from_utf8_lossy(&k.2),
            String::from_utf8_lossy(&k.3)
        );
    }
}
