//! Detection-rate benchmark of `ctdna mrd` against simulated truth (not a
//! test: run it on purpose, it takes minutes).
//!
//! ```sh
//! cargo test --release --test mrd_benchmark -- --ignored --nocapture
//! # or through scripts/mrd-benchmark.sh; environment knobs:
//! #   MRD_SEEDS=10  MRD_LOCI=50,200,1000  MRD_TFS=0,1e-5,3e-5,1e-4,3e-4,1e-3,1e-2
//! #   MRD_DEPTH=2000  MRD_KEEP=dir (keep the simulations)
//! ```
//!
//! For each locus count, tumor fraction and seed: `ctdna simulate
//! --tumor-fraction TF` (SNV loci, about MRD_DEPTH molecules per position, no
//! UMIs, one read pair per molecule), then `ctdna mrd` on the plasma with
//! `tumor.vcf.gz`. Prints a Markdown table: detection rate, CI coverage,
//! median estimate and limit of detection beside the theoretical limit
//! 3 / (total informative molecules) (the issue's reference line; with
//! w = 0.5 the zero-error Poisson limit is twice that).

mod common;

use ctdna::simulate::{params::SimParams, simulate};
use std::path::Path;

fn env_list(key: &str, default: &str) -> Vec<String> {
    std::env::var(key)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Run {
    detected: bool,
    covered: bool,
    tf_hat: f64,
    lod: f64,
    molecules: f64,
}

fn one(dir: &Path, seed: u64, tf: f64, loci: usize, depth: u32) -> Run {
    let p = SimParams {
        seed,
        tumor_fraction: Some(tf),
        snvs_per_vaf: loci,
        indels_per_vaf: 0,
        germline_snvs: 2,
        germline_indels: 0,
        contigs: loci.div_ceil(250).max(1),
        contig_len: 100_000,
        dup_segments: 0,
        paralog_targets: 0,
        targets: (loci / 25).max(2),
        target_min_len: 800,
        target_max_len: 1000,
        depth,
        family_size: 1.0,
        umi_len: 0,
        bam_compression: 1,
        ..SimParams::default()
    };
    let out = dir.join(format!("l{loci}_tf{tf}_s{seed}"));
    simulate(&p, &out).unwrap();
    let json = out.join("mrd.json");
    let o = common::ctdna(&[
        "mrd",
        "--quiet",
        "--bam",
        common::s(&out.join("sample.bam")),
        "-r",
        common::s(&out.join("ref.fa")),
        "--tumor-variants",
        common::s(&out.join("tumor.vcf.gz")),
        "-o",
        common::s(&json),
        "--tsv",
        common::s(&out.join("loci.tsv")),
        "--lod-replicates",
        "100",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // The BAM is the bulk of the disk use; the table needs only the JSON.
    let _ = std::fs::remove_file(out.join("sample.bam"));
    let ci = (
        j["ci95"][0].as_f64().unwrap(),
        j["ci95"][1].as_f64().unwrap(),
    );
    Run {
        detected: j["call"] == "DETECTED",
        covered: ci.0 <= tf && tf <= ci.1,
        tf_hat: j["tumor_fraction"].as_f64().unwrap(),
        lod: j["limit_of_detection"].as_f64().unwrap(),
        molecules: j["molecules"].as_f64().unwrap(),
    }
}

#[test]
#[ignore = "benchmark: minutes; run with --ignored --nocapture"]
fn mrd_detection_rate_table() {
    let seeds: u64 = std::env::var("MRD_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let depth: u32 = std::env::var("MRD_DEPTH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let loci: Vec<usize> = env_list("MRD_LOCI", "50,200,1000")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let tfs: Vec<f64> = env_list("MRD_TFS", "0,1e-5,3e-5,1e-4,3e-4,1e-3,1e-2")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let keep = std::env::var("MRD_KEEP").ok();
    let dir = keep.as_deref().map_or(tmp.path(), Path::new);
    println!(
        "\n{seeds} seeds per row, ~{depth} molecules per locus, SNV loci, w = 0.5, alpha = 0.01\n"
    );
    println!("| loci | TF | detected | CI covers TF | median TF^ | median LoD | 3 / molecules |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &l in &loci {
        for &tf in &tfs {
            let runs: Vec<Run> = (1..=seeds).map(|s| one(dir, s, tf, l, depth)).collect();
            let det = runs.iter().filter(|r| r.detected).count();
            let cov = runs.iter().filter(|r| r.covered).count();
            let n_mol = median(runs.iter().map(|r| r.molecules).collect());
            println!(
                "| {l} | {tf:.0e} | {det}/{seeds} | {cov}/{seeds} | {:.2e} | {:.2e} | {:.2e} |",
                median(runs.iter().map(|r| r.tf_hat).collect()),
                median(runs.iter().map(|r| r.lod).collect()),
                3.0 / n_mol
            );
        }
    }
}
