//! `ctdna mrd` on a series of plasmas (`--bam` repeated) end to end, on a
//! patient series from `ctdna simulate --series-tf`: one result per
//! timepoint, molecular relapse at the first DETECTED after a
//! NOT_DETECTED, one TSV row per timepoint; one BAM keeps the
//! single-sample outputs; the simulator's series truth.

mod common;

use common::{ctdna, s, stderr};
use ctdna::simulate::{params::SimParams, simulate};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The truth of the series below: TF per timepoint.
const TFS: [f64; 3] = [1e-2, 0.0, 5e-3];

/// A 3-timepoint series: 60 shared SNV loci at ~1,000 molecules, TF 1e-2
/// (detected), 0 (tumor-free), 5e-3 (back: the relapse); a 3-SNV subclone
/// at 5% from T3.
fn series_params(seed: u64) -> SimParams {
    SimParams {
        seed,
        series_tf: TFS.to_vec(),
        subclone_variants: 3,
        subclone_from: 3,
        subclone_vaf: 0.05,
        snvs_per_vaf: 60,
        indels_per_vaf: 0,
        germline_snvs: 2,
        germline_indels: 0,
        contigs: 1,
        contig_len: 60_000,
        dup_segments: 0,
        paralog_targets: 0,
        targets: 3,
        target_min_len: 800,
        target_max_len: 1000,
        depth: 1000,
        family_size: 1.0,
        umi_len: 0,
        bam_compression: 1,
        ..SimParams::default()
    }
}

fn simulated(dir: &Path) -> PathBuf {
    let out = dir.join("series");
    simulate(&series_params(11), &out).unwrap();
    out
}

/// Run `ctdna mrd` on `bams` (names in `sim`), return (JSON, TSV text).
fn mrd(sim: &Path, bams: &[&str], extra: &[&str]) -> (Value, String) {
    let (json, tsv) = (sim.join("mrd.json"), sim.join("mrd.tsv"));
    let paths: Vec<PathBuf> = bams.iter().map(|b| sim.join(b)).collect();
    let (fa, tumor) = (sim.join("ref.fa"), sim.join("tumor.vcf.gz"));
    let mut args = vec![
        "mrd",
        "--quiet",
        "-r",
        s(&fa),
        "--tumor-variants",
        s(&tumor),
    ];
    for p in &paths {
        args.extend(["--bam", s(p)]);
    }
    args.extend(["-o", s(&json), "--tsv", s(&tsv), "--lod-replicates", "50"]);
    args.extend_from_slice(extra);
    let o = ctdna(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    (v, std::fs::read_to_string(tsv).unwrap())
}

fn tf(v: &Value) -> f64 {
    v["tumor_fraction"].as_f64().unwrap()
}

/// The keys of the single-sample `mrd.json`, as written before series
/// existed (the sample result flattened, then the run's fields).
const SINGLE_KEYS: [&str; 21] = [
    "call",
    "sample",
    "tumor_fraction",
    "ci95",
    "lr_statistic",
    "p_value",
    "log10_p_value",
    "significance_level",
    "limit_of_detection",
    "leave_one_out",
    "loci",
    "molecules",
    "alt_molecules",
    "expected_error_molecules",
    "theoretical_limit",
    "baseline",
    "tf_ratio_to_baseline",
    "null_model",
    "program",
    "version",
    "command",
];

#[test]
fn series_reports_each_timepoint_and_the_relapse_and_one_bam_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let sim = simulated(dir.path());
    let (v, tsv) = mrd(&sim, &["T1.bam", "T2.bam", "T3.bam"], &[]);

    // One entry per timepoint, labelled from @RG SM, each with its call:
    // the truth is tumor, no tumor, tumor again.
    let points = v["timepoints"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    let calls: Vec<&str> = points.iter().map(|p| p["call"].as_str().unwrap()).collect();
    assert_eq!(calls, ["DETECTED", "NOT_DETECTED", "DETECTED"]);
    for (i, (p, truth)) in points.iter().zip(TFS).enumerate() {
        assert_eq!(p["timepoint"], format!("T{}", i + 1));
        assert_eq!(p["index"], i + 1);
        let ci = p["ci95"].as_array().unwrap();
        let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
        assert!(
            lo <= truth && truth <= hi,
            "T{}: {truth} not in [{lo}, {hi}]",
            i + 1
        );
        assert!(p["limit_of_detection"].as_f64().unwrap() > 0.0);
        assert!(p["p_value"].as_f64().is_some());
    }
    // Relapse: the first DETECTED after a NOT_DETECTED.
    let relapse = &v["molecular_relapse"];
    assert_eq!(relapse["timepoint"], "T3");
    assert_eq!(relapse["index"], 3);
    assert_eq!(relapse["after_not_detected"], "T2");
    let flags: Vec<bool> = points
        .iter()
        .map(|p| p["relapse"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [false, false, true]);
    // The top level is the last timepoint.
    assert_eq!(v["call"], "DETECTED");
    assert_eq!(tf(&v), tf(&points[2]));
    assert_eq!(
        v["inputs"]["timepoints"],
        serde_json::json!(["T1", "T2", "T3"])
    );

    // The TSV: a header and one row per timepoint, the relapse marked.
    let rows: Vec<Vec<&str>> = tsv.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 4, "{tsv}");
    assert_eq!(rows[0][..3], ["timepoint", "index", "call"]);
    let relapse_col = rows[0].iter().position(|&c| c == "relapse").unwrap();
    for (k, row) in rows[1..].iter().enumerate() {
        assert_eq!(row.len(), rows[0].len());
        assert_eq!(row[0], format!("T{}", k + 1));
        assert_eq!(row[2], calls[k]);
        assert_eq!(row[relapse_col], if k == 2 { "yes" } else { "no" });
    }

    // Detected throughout: no relapse (null, not absent).
    let (v, _) = mrd(&sim, &["T1.bam", "T3.bam"], &[]);
    assert!(v["molecular_relapse"].is_null());
    assert!(v.as_object().unwrap().contains_key("molecular_relapse"));

    // One BAM: exactly the single-sample shape, and the per-locus TSV.
    let (v, tsv) = mrd(&sim, &["T1.bam"], &[]);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let mut want: Vec<&str> = SINGLE_KEYS.to_vec();
    want.extend(["inputs", "parameters"]);
    let (mut got, mut want) = (keys.clone(), want);
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
    assert!(v["inputs"]["bam"].is_string());
    assert!(v["inputs"].get("timepoints").is_none());
    assert!(tsv.starts_with("chrom\tpos\tref\talt\tweight"));
    assert_eq!(tsv.lines().count(), 1 + 60);
}

#[test]
fn timepoint_labels_baseline_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let sim = simulated(dir.path());
    // --timepoints names the timepoints and the VCF's sample columns; the
    // baseline is fitted beside and each timepoint gets its ratio.
    let vcf = sim.join("loci.vcf");
    let base = sim.join("T1.bam");
    let (v, tsv) = mrd(
        &sim,
        &["T2.bam", "T3.bam"],
        &[
            "--timepoints",
            "post,m6",
            "--baseline",
            s(&base),
            "--vcf",
            s(&vcf),
        ],
    );
    let points = v["timepoints"].as_array().unwrap();
    assert_eq!(points[0]["timepoint"], "post");
    assert_eq!(points[1]["timepoint"], "m6");
    assert_eq!(v["molecular_relapse"]["timepoint"], "m6");
    let base_tf = tf(&v["baseline"]);
    assert_eq!(v["baseline"]["call"], "DETECTED");
    for p in points {
        let ratio = p["tf_ratio_to_baseline"].as_f64().unwrap();
        assert!((ratio - tf(p) / base_tf).abs() < 1e-12);
    }
    assert!(tsv.lines().nth(2).unwrap().starts_with("m6\t2\tDETECTED"));
    let header = std::fs::read_to_string(&vcf).unwrap();
    let columns = header.lines().find(|l| l.starts_with("#CHROM")).unwrap();
    assert!(columns.ends_with("FORMAT\tpost\tm6\tT1"), "{columns}");

    // Refused (exit 2): a label count that does not match, and two
    // timepoints with one sample name and no --timepoints.
    let (fa, tumor, json) = (
        sim.join("ref.fa"),
        sim.join("tumor.vcf.gz"),
        sim.join("x.json"),
    );
    let t2 = sim.join("T2.bam");
    let base_args = [
        "mrd",
        "-r",
        s(&fa),
        "--tumor-variants",
        s(&tumor),
        "-o",
        s(&json),
    ];
    let mut args = base_args.to_vec();
    args.extend(["--bam", s(&base), "--bam", s(&t2), "--timepoints", "a,b,c"]);
    let o = ctdna(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--timepoints has 3 labels for 2 --bam"));
    let copy = dir.path().join("again.bam");
    std::fs::copy(&base, &copy).unwrap();
    std::fs::copy(sim.join("T1.bam.bai"), dir.path().join("again.bam.bai")).unwrap();
    let mut args = base_args.to_vec();
    args.extend(["--bam", s(&base), "--bam", s(&copy)]);
    let o = ctdna(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--timepoints"), "{}", stderr(&o));
    assert!(!json.exists());
}

/// `series_truth.tsv` rows: (timepoint, chrom:pos, clone, vaf, alt molecules).
fn truth_rows(sim: &Path) -> Vec<(String, String, String, f64, u64)> {
    let text = std::fs::read_to_string(sim.join("series_truth.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let locus = format!("{}:{}", c[2], c[3]);
            (
                c[0].into(),
                locus,
                c[6].into(),
                c[7].parse().unwrap(),
                c[9].parse().unwrap(),
            )
        })
        .collect()
}

/// The loci (`chrom:pos`) of a bgzipped VCF's records.
fn vcf_loci(path: &Path) -> Vec<String> {
    use std::io::Read;
    let mut text = String::new();
    let mut r = rust_htslib::bgzf::Reader::from_path(path).unwrap();
    r.read_to_string(&mut text).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            format!("{}:{}", c[0], c[1])
        })
        .collect()
}

#[test]
fn simulated_series_truth_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let sim = simulated(dir.path());
    let p = series_params(11);
    let rows = truth_rows(&sim);
    // Every somatic variant at every timepoint: 60 shared + 3 subclone.
    assert_eq!(rows.len(), 3 * 63);
    let subclone: Vec<String> = rows
        .iter()
        .filter(|r| r.0 == "T1" && r.2 == "subclone")
        .map(|r| r.1.clone())
        .collect();
    assert_eq!(subclone.len(), 3);
    for (t, locus, clone, vaf, alt) in &rows {
        let k: usize = t[1..].parse().unwrap();
        let want = match clone.as_str() {
            "shared" => TFS[k - 1] * 0.5,
            _ if k >= p.subclone_from => p.subclone_vaf,
            _ => 0.0,
        };
        assert_eq!(*vaf, want, "{t} {locus}");
        // Absent means no molecule carries it (before the subclone's
        // timepoint, and the shared variants at TF = 0).
        if want == 0.0 {
            assert_eq!(*alt, 0, "{t} {locus}");
        }
    }
    // The subclone shows up in molecules once present (3 x 5% of ~1,000).
    let sub_alt: u64 = rows
        .iter()
        .filter(|r| r.0 == "T3" && r.2 == "subclone")
        .map(|r| r.4)
        .sum();
    assert!(sub_alt > 50, "{sub_alt}");
    // Per-timepoint truth: only what the timepoint carries; tumor.vcf.gz:
    // the shared variants, never the subclone.
    let tumor = vcf_loci(&sim.join("tumor.vcf.gz"));
    assert_eq!(tumor.len(), 60);
    assert!(subclone.iter().all(|l| !tumor.contains(l)));
    for (k, n_somatic) in [(1, 60), (2, 0), (3, 63)] {
        let truth = vcf_loci(&sim.join(format!("T{k}.truth.vcf.gz")));
        assert_eq!(truth.len(), n_somatic + 2, "T{k}: somatic + 2 germline");
        let has_sub = subclone.iter().filter(|l| truth.contains(l)).count();
        assert_eq!(has_sub, if k >= 3 { 3 } else { 0 }, "T{k}");
    }
    // The read groups name the timepoints.
    use rust_htslib::bam::Read;
    let bam = rust_htslib::bam::Reader::from_path(sim.join("T2.bam")).unwrap();
    let header = String::from_utf8_lossy(bam.header().as_bytes()).to_string();
    assert!(header.contains("SM:T2"), "{header}");
}
