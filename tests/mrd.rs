//! `ctdna mrd` end to end: bad input, outputs, and accuracy against
//! simulated truth (`ctdna simulate --tumor-fraction`). The many-sample
//! calibration runs at the locus-count level in src/mrd/tests.rs; the
//! detection-rate table is scripts/mrd-benchmark.sh.

mod common;

use common::{ctdna, dataset, files_in, s, stderr};
use ctdna::simulate::{params::SimParams, simulate};
use std::path::{Path, PathBuf};

/// A plasma simulation's parameters: `loci` somatic SNVs at tumor fraction
/// `tf`, about 2,000 molecules per position, one read pair per molecule and
/// no UMIs, two germline SNVs (not in tumor.vcf.gz).
fn params(seed: u64, tf: f64, loci: usize, name: &str) -> SimParams {
    SimParams {
        seed,
        tumor_fraction: Some(tf),
        snvs_per_vaf: loci,
        indels_per_vaf: 0,
        germline_snvs: 2,
        germline_indels: 0,
        contigs: 1,
        contig_len: 100_000,
        dup_segments: 0,
        paralog_targets: 0,
        targets: (loci / 25).max(2),
        target_min_len: 800,
        target_max_len: 1000,
        depth: 2000,
        family_size: 1.0,
        umi_len: 0,
        bam_compression: 1,
        sample_name: name.into(),
        ..SimParams::default()
    }
}

/// Simulate `p` into `dir/<name><seed>`.
fn simulate_in(dir: &Path, p: &SimParams) -> PathBuf {
    let out = dir.join(format!("{}{}", p.sample_name, p.seed));
    simulate(p, &out).unwrap();
    out
}

/// [`params`], simulated.
fn sim(dir: &Path, seed: u64, tf: f64, loci: usize, name: &str) -> PathBuf {
    simulate_in(dir, &params(seed, tf, loci, name))
}

fn mrd(sim: &Path, extra: &[&str]) -> serde_json::Value {
    mrd_with(sim, &sim.join("tumor.vcf.gz"), extra)
}

fn mrd_with(sim: &Path, tumor: &Path, extra: &[&str]) -> serde_json::Value {
    let json = sim.join("mrd.json");
    let (bam, fa) = (sim.join("sample.bam"), sim.join("ref.fa"));
    let mut args = vec![
        "mrd",
        "--quiet",
        "--bam",
        s(&bam),
        "-r",
        s(&fa),
        "--tumor-variants",
        s(tumor),
        "-o",
        s(&json),
        "--lod-replicates",
        "50",
    ];
    args.extend_from_slice(extra);
    let o = ctdna(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap()
}

fn f(v: &serde_json::Value, key: &str) -> f64 {
    v[key].as_f64().unwrap()
}

#[test]
fn tf_1e3_over_200_loci_is_detected_and_the_ci_covers_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let tf = 1e-3;
    let mut covered = 0;
    let seeds = 1..=4u64;
    for seed in seeds.clone() {
        let d = sim(dir.path(), seed, tf, 200, "sample");
        let j = mrd(&d, &[]);
        let ci = [
            j["ci95"][0].as_f64().unwrap(),
            j["ci95"][1].as_f64().unwrap(),
        ];
        eprintln!(
            "seed {seed}: {} TF {:.3e} CI [{:.3e}, {:.3e}] LoD {:.2e}",
            j["call"],
            f(&j, "tumor_fraction"),
            ci[0],
            ci[1],
            f(&j, "limit_of_detection")
        );
        assert_eq!(j["call"], "DETECTED", "seed {seed}: {j}");
        // A true locus can be a binomial outlier now and then (1% family-wise).
        assert!(j["loci"]["used"].as_u64().unwrap() >= 198, "{j}");
        covered += usize::from(ci[0] <= tf && tf <= ci[1]);
        let lod = f(&j, "limit_of_detection");
        assert!(lod > 1e-5 && lod < 5e-4, "{lod}");
    }
    assert!(
        covered >= 3,
        "the 95% CI covered the truth in {covered} of 4 seeds"
    );
}

#[test]
fn outputs_are_complete_and_do_not_depend_on_threads_and_baseline_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = sim(dir.path(), 9, 1e-3, 100, "sample");
    // Same seed, same genome and loci: a pre-treatment plasma at TF 1%.
    let pre = sim(dir.path(), 9, 1e-2, 100, "pre");
    let out = |t: &str| {
        let o = dir.path().join(format!("t{t}"));
        std::fs::create_dir_all(&o).unwrap();
        let j = mrd(
            &d,
            &[
                "--threads",
                t,
                "--tsv",
                s(&o.join("loci.tsv")),
                "--vcf",
                s(&o.join("loci.vcf.gz")),
                "--baseline",
                s(&pre.join("sample.bam")),
            ],
        );
        std::fs::copy(d.join("mrd.json"), o.join("mrd.json")).unwrap();
        (j, o)
    };
    let (j1, o1) = out("1");
    let (_, o2) = out("2");
    for f in ["mrd.json", "loci.tsv"] {
        assert_eq!(
            std::fs::read(o1.join(f)).unwrap(),
            std::fs::read(o2.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(j1["call"], "DETECTED");
    assert_eq!(j1["baseline"]["call"], "DETECTED");
    assert_eq!(j1["baseline"]["sample"], "pre");
    let ratio = f(&j1, "tf_ratio_to_baseline");
    assert!(ratio > 0.05 && ratio < 0.2, "{ratio}");
    for key in [
        "p_value",
        "lr_statistic",
        "limit_of_detection",
        "theoretical_limit",
    ] {
        assert!(j1[key].is_number(), "{key}");
    }
    assert_eq!(j1["version"], env!("CARGO_PKG_VERSION"));
    // TSV: header + one row per locus, baseline columns present.
    let tsv = std::fs::read_to_string(o1.join("loci.tsv")).unwrap();
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines.len(), 101);
    assert!(lines[0].starts_with("chrom\tpos\tref\talt\tweight"));
    assert!(lines[0].ends_with("baseline_flag"));
    // VCF: readable by htslib, one record per locus, two sample columns.
    use rust_htslib::bcf::Read as _;
    let mut r = rust_htslib::bcf::Reader::from_path(o1.join("loci.vcf.gz")).unwrap();
    assert_eq!(r.header().sample_count(), 2);
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        assert_eq!(rec.alleles().len(), 2);
        n += 1;
    }
    assert_eq!(n, 100);
    assert!(o1.join("loci.vcf.gz.tbi").exists());
}

#[test]
fn tumor_free_plasma_is_not_detected_and_germline_loci_are_excluded() {
    let dir = tempfile::tempdir().unwrap();
    let mut detected = 0;
    for seed in 1..=8u64 {
        let d = sim(dir.path(), 100 + seed, 0.0, 100, "sample");
        let j = mrd(&d, &[]);
        eprintln!(
            "seed {seed}: {} TF {:.2e} p {:.3} alt {} expected {:.1}",
            j["call"],
            f(&j, "tumor_fraction"),
            f(&j, "p_value"),
            j["alt_molecules"],
            f(&j, "expected_error_molecules")
        );
        detected += usize::from(j["call"] == "DETECTED");
        if seed == 1 {
            // The truth VCF also lists the two germline SNVs (50%/100% in
            // plasma): they must be excluded, not called.
            let tsv = d.join("loci.tsv");
            let j = mrd_with(&d, &d.join("truth.vcf.gz"), &["--tsv", s(&tsv)]);
            assert_eq!(j["call"], "NOT_DETECTED", "{j}");
            assert_eq!(j["loci"]["germline_or_chip"], 2, "{j}");
            let flagged = std::fs::read_to_string(tsv)
                .unwrap()
                .lines()
                .filter(|l| l.ends_with("GermlineOrCHIP"))
                .count();
            assert_eq!(flagged, 2);
        }
    }
    // alpha = 0.01: more than one false detection in 8 would be P < 0.003.
    assert!(detected <= 1, "{detected} of 8 tumor-free samples DETECTED");
}

#[test]
fn bad_tumor_variants_exit_2_with_a_clear_message_and_no_output() {
    let ds = dataset(10);
    let out = ds.dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let base = ds.chr1.as_bytes()[1499] as char;
    let header = "##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    let cases = [
        (header.to_string(), "no usable tumor variants"),
        (format!("{header}chrZ\t100\t.\tA\tC\t.\tPASS\t.\n"), "chrZ"),
        (
            format!(
                "{header}chr1\t1500\t.\t{}\t{base}\t.\tPASS\t.\n",
                if base == 'A' { 'G' } else { 'A' }
            ),
            "does not match the reference",
        ),
    ];
    for (text, needle) in cases {
        let vcf = ds.dir.path().join("tumor.vcf");
        std::fs::write(&vcf, text).unwrap();
        let o = ctdna(&[
            "mrd",
            "--bam",
            s(&ds.bam),
            "-r",
            s(&ds.reference),
            "--tumor-variants",
            s(&vcf),
            "-o",
            s(&out.join("mrd.json")),
            "--tsv",
            s(&out.join("loci.tsv")),
            "--vcf",
            s(&out.join("loci.vcf.gz")),
        ]);
        assert_eq!(o.status.code(), Some(2), "{needle}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{needle}: {}", stderr(&o));
        assert!(files_in(&out).is_empty(), "{:?}", files_in(&out));
    }
}

#[test]
fn a_single_spiked_locus_is_excluded_not_called() {
    // Clean reads (no errors) and one 10% variant among 11 loci: the one
    // locus is far above the rest, so it is excluded as germline/CHIP-like
    // and cannot make the call on its own.
    let ds = dataset(2);
    let mut text =
        String::from("##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    for pos in [
        1200usize, 1300, 1400, 1500, 1600, 1700, 2200, 2400, 2600, 2800, 3000,
    ] {
        let r = ds.chr1.as_bytes()[pos - 1] as char;
        let a = if pos == 1500 {
            common::default_spikes(&ds.chr1)[0].alt
        } else if r == 'A' {
            'C'
        } else {
            'A'
        };
        text.push_str(&format!("chr1\t{pos}\t.\t{r}\t{a}\t.\tPASS\t.\n"));
    }
    let vcf = ds.dir.path().join("tumor.vcf");
    std::fs::write(&vcf, text).unwrap();
    let json = ds.dir.path().join("mrd.json");
    let tsv = ds.dir.path().join("loci.tsv");
    let o = ctdna(&[
        "mrd",
        "--bam",
        s(&ds.bam),
        "-r",
        s(&ds.reference),
        "--tumor-variants",
        s(&vcf),
        "-o",
        s(&json),
        "--tsv",
        s(&tsv),
        "--min-depth",
        "5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["call"], "NOT_DETECTED", "{j}");
    let row = std::fs::read_to_string(&tsv)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("chr1\t1500\t"))
        .unwrap()
        .to_string();
    assert!(row.ends_with("GermlineOrCHIP"), "{row}");
}

/// `--pon`: loci at recurrent artifact sites (every sample, normals too,
/// shows the same wrong base) get the normals' per-site error rate instead
/// of the context rate, so tumor-free plasma stays NOT_DETECTED even when
/// the "tumor variants" are exactly those artifacts.
#[test]
fn pon_gives_artifact_loci_the_normals_site_rate() {
    let dir = tempfile::tempdir().unwrap();
    let p = SimParams {
        seed: 21,
        tumor_fraction: Some(0.0),
        snvs_per_vaf: 4,
        indels_per_vaf: 0,
        germline_snvs: 0,
        germline_indels: 0,
        contigs: 1,
        contig_len: 60_000,
        dup_segments: 0,
        paralog_targets: 0,
        targets: 6,
        target_min_len: 300,
        target_max_len: 400,
        depth: 1500,
        family_size: 1.0,
        umi_len: 0,
        bam_compression: 1,
        normals: 4,
        artifact_sites: 3,
        sample_name: "plasma".into(),
        ..SimParams::default()
    };
    let sim = dir.path().join("sim");
    simulate(&p, &sim).unwrap();
    // The "tumor variants" are the artifact sites themselves.
    let mut vcf =
        String::from("##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    let bed = std::fs::read_to_string(sim.join("artifacts.bed")).unwrap();
    let mut sites = Vec::new();
    for line in bed.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (change, _) = f[3].split_once(':').unwrap();
        let (r, a) = change.split_once('>').unwrap();
        vcf.push_str(&format!("{}\t{}\t.\t{r}\t{a}\t.\tPASS\t.\n", f[0], f[2]));
        sites.push(format!("{}\t{}\t", f[0], f[2]));
    }
    assert_eq!(sites.len(), 3);
    let tumor = sim.join("artifacts.vcf");
    std::fs::write(&tumor, vcf).unwrap();
    let (fa, targets, pon) = (
        sim.join("ref.fa"),
        sim.join("targets.bed"),
        sim.join("n.pon"),
    );
    let mut args = vec![
        "pon",
        "--quiet",
        "-r",
        s(&fa),
        "-t",
        s(&targets),
        "-o",
        s(&pon),
    ];
    let normals: Vec<PathBuf> = (1..=4)
        .map(|i| sim.join(format!("normal_{i}.bam")))
        .collect();
    for n in &normals {
        args.extend(["--bam", s(n)]);
    }
    let o = ctdna(&args);
    assert!(o.status.success(), "{}", stderr(&o));

    let rates = |extra: &[&str]| -> (serde_json::Value, Vec<f64>) {
        let tsv = sim.join("loci.tsv");
        let mut a = vec!["--tsv", s(&tsv), "--min-depth", "50"];
        a.extend_from_slice(extra);
        let j = mrd_with(&sim, &tumor, &a);
        let text = std::fs::read_to_string(&tsv).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
        let col = header.iter().position(|h| *h == "error_rate").unwrap();
        let errs = sites
            .iter()
            .map(|site| {
                let row = text.lines().find(|l| l.starts_with(site.as_str())).unwrap();
                row.split('\t').nth(col).unwrap().parse().unwrap()
            })
            .collect();
        (j, errs)
    };
    let (_, ctx) = rates(&[]);
    let (with_pon, site) = rates(&["--pon", s(&pon), "--targets", s(&targets)]);
    eprintln!("artifact loci: context rates {ctx:?}, PoN rates {site:?}");
    // Artifact rates are 0.2-1% per molecule, context rates ~1e-4.
    for (c, p) in ctx.iter().zip(&site) {
        assert!(*p > 5.0 * c, "PoN rate {p} vs context rate {c}");
    }
    assert_eq!(with_pon["call"], "NOT_DETECTED", "{with_pon}");
    // --targets without --pon is a usage error.
    let o = ctdna(&[
        "mrd",
        "--bam",
        s(&sim.join("sample.bam")),
        "-r",
        s(&fa),
        "--tumor-variants",
        s(&tumor),
        "-o",
        s(&sim.join("x.json")),
        "--targets",
        s(&targets),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// UMI tiers: a library with PCR families (mean 3 read pairs per molecule,
/// 8-base UMIs) is counted as UMI molecules of every tier (UMI mode is
/// detected, as in `call`). Tumor-free plasmas stay NOT_DETECTED, a
/// TF = 1e-3 plasma is detected with the truth in its CI, and the counts
/// are molecules, not PCR copies.
#[test]
fn umi_tier_counts_molecules_and_keeps_tf_0_undetected_and_tf_1e3_detected() {
    let dir = tempfile::tempdir().unwrap();
    let umi = |seed, tf| SimParams {
        depth: 1000,
        family_size: 3.0,
        umi_len: 8,
        ..params(seed, tf, 100, "umi")
    };
    for seed in [31, 32, 33] {
        let d = simulate_in(dir.path(), &umi(seed, 0.0));
        let j = mrd(&d, &[]);
        eprintln!(
            "TF 0, seed {seed}: {} TF {:.2e} p {:.3} alt {} of {} molecules, expected {:.1}",
            j["call"],
            f(&j, "tumor_fraction"),
            f(&j, "p_value"),
            j["alt_molecules"],
            j["molecules"],
            f(&j, "expected_error_molecules")
        );
        assert_eq!(j["call"], "NOT_DETECTED", "seed {seed}: {j}");
        assert_eq!(j["parameters"]["molecules"]["kind"], "umi", "{j}");
        assert_eq!(j["parameters"]["molecules"]["min_tier"], "raw", "{j}");
    }
    let tf = 1e-3;
    let d = simulate_in(dir.path(), &umi(30, tf));
    let vcf = d.join("loci.vcf");
    let j = mrd(&d, &["--vcf", s(&vcf)]);
    let ci = [
        j["ci95"][0].as_f64().unwrap(),
        j["ci95"][1].as_f64().unwrap(),
    ];
    eprintln!(
        "TF 1e-3: {} TF {:.3e} CI [{:.3e}, {:.3e}] p {:.2e}, alt {} of {} molecules, expected {:.1}",
        j["call"],
        f(&j, "tumor_fraction"),
        ci[0],
        ci[1],
        f(&j, "p_value"),
        j["alt_molecules"],
        j["molecules"],
        f(&j, "expected_error_molecules")
    );
    // Measured (seed 30): DETECTED, TF 1.24e-3, CI [9.91e-4, 1.52e-3],
    // 110 alt of 153,378 molecules where errors explain 13.3. Tumor-free
    // (seeds 31-33): 6, 13 and 16 alt molecules where 11.7, 12.9 and 12.3
    // are expected (p 1, 0.08, 0.03).
    assert_eq!(j["call"], "DETECTED", "{j}");
    assert!(ci[0] <= tf && tf <= ci[1], "{ci:?}");
    let text = std::fs::read_to_string(&vcf).unwrap();
    let records: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(records.len(), 100);
    assert!(records.iter().all(|r| r.contains(";TIER=raw;")));
    // The same reads as fragments count every PCR copy (~3 per molecule,
    // whose two strands carry different single UMIs and so make two
    // families): measured 274,158 fragments for 153,378 UMI molecules.
    let frag = mrd(&d, &["--no-umi"]);
    assert_eq!(frag["parameters"]["molecules"]["kind"], "fragments");
    let (m, fm) = (f(&j, "molecules"), f(&frag, "molecules"));
    eprintln!("--no-umi: {fm} fragments for {m} molecules");
    assert!(fm > 1.5 * m, "fragments {fm}, molecules {m}");
}
