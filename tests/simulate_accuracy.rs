//! Accuracy of `ctdna call` on test-data/ (simulated by `ctdna simulate`),
//! scored against the truth. The bounds are what the caller measurably
//! reaches today (figure beside each); tighten them as the caller improves.

use ctdna::simulate::score::molecules::{non_germline_pass, score_molecules};
use ctdna::simulate::score::types::score_types;
use ctdna::simulate::score::{key_name, score, BinRow, Score, ScoreOptions, VarType};
use std::path::{Path, PathBuf};
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

/// Score any simulation (the bin table, then the per-type table of
/// `score::types`): `SIM_DIR=dir CALLS=calls.vcf.gz cargo test --release
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
        println!("FP {}", key_name(k));
    }
    // Per type: short and long indels apart, MNVs only as one record.
    let t = score_types(Path::new(&calls), &dir.join("truth.vcf.gz"), &opts).unwrap();
    println!("{t}");
}

/// One table for several call sets of one simulation (`benches/umi.sh`):
/// `SIM_DIR=dir RUNS=runs.tsv cargo test --release --test simulate_accuracy
/// score_table_from_env -- --ignored --nocapture`, where each line of
/// `runs.tsv` is `label<TAB>calls.vcf.gz<TAB>cpu_seconds<TAB>peak_rss_kb`.
/// Cells are TP/truth (PASS calls) per type and VAF bin, VAFs of 1% and
/// more pooled; then PASS false positives, per Mb of target, and CPU time
/// and peak RSS, also relative to the first line's.
#[test]
#[ignore = "a tool: needs SIM_DIR and RUNS"]
fn score_table_from_env() {
    let (Ok(dir), Ok(runs)) = (std::env::var("SIM_DIR"), std::env::var("RUNS")) else {
        eprintln!("set SIM_DIR and RUNS");
        return;
    };
    let dir = Path::new(&dir);
    let opts = ScoreOptions::from_sim_dir(dir).unwrap();
    let text = std::fs::read_to_string(&runs).unwrap();
    let runs: Vec<(String, PathBuf, f64, f64)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{runs}: label, calls, cpu_s, rss_kb: {l:?}");
            (
                f[0].to_string(),
                PathBuf::from(f[1]),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect();
    let scores: Vec<Score> = runs
        .iter()
        .map(|r| score(&r.1, &dir.join("truth.vcf.gz"), &opts).unwrap())
        .collect();
    let Some(first) = scores.first() else { return };
    let pooled: Vec<f64> = first
        .rows
        .iter()
        .map(|r| r.vaf)
        .filter(|&v| v >= 0.01)
        .collect();
    let pct = |v: f64| format!("{}", (v * 1000.0).round() / 10.0);
    let pooled_label = match (
        pooled.iter().copied().reduce(f64::min),
        pooled.iter().copied().reduce(f64::max),
    ) {
        (Some(lo), Some(hi)) if lo < hi => format!("{}-{}%", pct(lo), pct(hi)),
        (Some(lo), _) => format!("{}%", pct(lo)),
        _ => String::new(),
    };
    let column = |r: &BinRow| {
        let t = r.var_type.name();
        if r.vaf >= 0.01 {
            format!("{t} {pooled_label}")
        } else {
            format!("{t} {}%", pct(r.vaf))
        }
    };
    let mut columns: Vec<String> = first.rows.iter().map(column).collect();
    columns.dedup();
    let cell = |s: &Score, c: &str| {
        let (tp, truth) = s
            .rows
            .iter()
            .filter(|r| column(r) == c)
            .fold((0, 0), |a, r| (a.0 + r.tp, a.1 + r.truth));
        format!("{tp}/{truth}")
    };
    let width = runs.iter().map(|r| r.0.len()).max().unwrap_or(0).max(11);
    let mut line = format!("{:<width$}", "mode / tier");
    for c in &columns {
        line.push_str(&format!(" {c:>w$}", w = c.len().max(6)));
    }
    line.push_str(&format!(
        " {:>4} {:>7} {:>7} {:>6} {:>7} {:>6}",
        "FP", "FP/Mb", "CPU_s", "xCPU", "RSS_MB", "xRSS"
    ));
    println!("{line}");
    let (cpu0, rss0) = (runs[0].2, runs[0].3);
    for (r, s) in runs.iter().zip(&scores) {
        let mut line = format!("{:<width$}", r.0);
        for c in &columns {
            line.push_str(&format!(" {:>w$}", cell(s, c), w = c.len().max(6)));
        }
        line.push_str(&format!(
            " {:>4} {:>7.0} {:>7.1} {:>6.2} {:>7.0} {:>6.2}",
            s.fp,
            s.fp_per_mb,
            r.2,
            r.2 / cpu0,
            r.3 / 1024.0,
            r.3 / rss0
        ));
        println!("{line}");
    }
    println!(
        "target {} bp; depth {} unique molecules; TP = PASS calls; FP = PASS calls matching no truth variant inside the targets",
        first.target_bp, first.depth
    );
    for (r, s) in runs.iter().zip(&scores) {
        if !s.fp_sites.is_empty() {
            let sites: Vec<String> = s.fp_sites.iter().map(key_name).collect();
            println!("FP {}: {}", r.0, sites.join(", "));
        }
    }
}

/// One run of `benches/molecules.sh`: a line of its runs file.
struct MoleculeRun {
    label: String,
    calls: PathBuf,
    counts: PathBuf,
    cpu_s: f64,
    rss_kb: f64,
    normals: Vec<PathBuf>,
}

fn molecule_runs(path: &str) -> Vec<MoleculeRun> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(
                f.len(),
                6,
                "{path}: label, calls, counts, cpu_s, rss_kb, normal VCFs: {l:?}"
            );
            MoleculeRun {
                label: f[0].to_string(),
                calls: PathBuf::from(f[1]),
                counts: PathBuf::from(f[2]),
                cpu_s: f[3].parse().unwrap(),
                rss_kb: f[4].parse().unwrap(),
                normals: f[5]
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from)
                    .collect(),
            }
        })
        .collect()
}

/// The table of `benches/molecules.sh`: `SIM_DIR=dir RUNS=runs.tsv cargo
/// test --release --test simulate_accuracy molecule_table_from_env --
/// --ignored --nocapture`, each line of `runs.tsv` being
/// `label<TAB>calls.vcf.gz<TAB>count.tsv<TAB>cpu_s<TAB>rss_kb<TAB>normal1.vcf.gz,normal2.vcf.gz`
/// (`count.tsv`: `ctdna count --known truth.vcf.gz` with the call's UMI
/// options). Per run the molecule-level table of
/// `ctdna::simulate::score::molecules`, then a summary of all runs.
#[test]
#[ignore = "a tool: needs SIM_DIR and RUNS"]
fn molecule_table_from_env() {
    let (Ok(dir), Ok(runs)) = (std::env::var("SIM_DIR"), std::env::var("RUNS")) else {
        eprintln!("set SIM_DIR and RUNS");
        return;
    };
    let dir = Path::new(&dir);
    let truth = dir.join("truth.vcf.gz");
    let targets = dir.join("targets.bed");
    let runs = molecule_runs(&runs);
    let mut summary = Vec::new();
    for r in &runs {
        let s = score_molecules(&r.calls, &truth, Some(&r.counts), Some(&targets)).unwrap();
        let normals: Vec<usize> = r
            .normals
            .iter()
            .map(|n| non_germline_pass(n, &truth).unwrap())
            .collect();
        let normals_text: Vec<String> = normals.iter().map(|n| n.to_string()).collect();
        println!(
            "== {}: CPU {:.1} s, peak RSS {:.0} MB; PASS on held-out normals: {}",
            r.label,
            r.cpu_s,
            r.rss_kb / 1024.0,
            normals_text.join(", ")
        );
        println!("{s}");
        summary.push((s, normals_text.join("+")));
    }
    // Pooled over every VAF: TP/truth (PASS) and alt molecules reaching the test.
    println!(
        "{:<32} {:>8} {:>9} {:>8} {:>11} {:>3} {:>6} {:>7} {:>6} {:>6}",
        "summary (all VAFs)",
        "SNV TP",
        "SNV reach",
        "indel TP",
        "indel reach",
        "FP",
        "/100kb",
        "normals",
        "CPU_s",
        "RSS_MB"
    );
    for (r, (s, normals)) in runs.iter().zip(&summary) {
        let (stp, struth, sc, ss) = s.pooled(VarType::Snv, 0.0);
        let (itp, itruth, ic, is) = s.pooled(VarType::Indel, 0.0);
        println!(
            "{:<32} {:>8} {:>9.3} {:>8} {:>11.3} {:>3} {:>6.1} {:>7} {:>6.1} {:>6.0}",
            r.label,
            format!("{stp}/{struth}"),
            sc as f64 / ss as f64,
            format!("{itp}/{itruth}"),
            ic as f64 / is as f64,
            s.fp,
            s.fp_per_100kb,
            normals,
            r.cpu_s,
            r.rss_kb / 1024.0
        );
    }
}
