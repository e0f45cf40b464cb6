//! `ctdna call` on several samples of one patient (issue 23, point 2): an
//! allele that passes in one sample is reported in every other with that
//! sample's counts, p-value and limit of detection, and `NotDetected`
//! where it is absent. Two samples are simulated from one genome: a plasma
//! with tumour variants, and the same patient's blood cells (no tumour).

mod common;
use common::*;
use ctdna::simulate::params::SimParams;

/// Ten targets of 250-300 bp on one 50 kb contig, no duplicated segments,
/// small BAMs: the panel both tests simulate, at `depth` molecules.
fn ten_targets(seed: u64, depth: u32) -> SimParams {
    SimParams {
        seed,
        contigs: 1,
        contig_len: 50_000,
        dup_segments: 0,
        paralog_targets: 0,
        targets: 10,
        target_min_len: 250,
        target_max_len: 300,
        depth,
        bam_compression: 1,
        ..Default::default()
    }
}

#[test]
fn a_variant_passing_in_one_sample_is_not_detected_in_another_at_its_lod() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let p = SimParams {
        vafs: vec![0.02, 0.05],
        snvs_per_vaf: 4,
        indels_per_vaf: 1,
        matched_normal_depth: 800,
        ..ten_targets(23, 800)
    };
    ctdna::simulate::simulate(&p, &sim).unwrap();
    let f = |n: &str| sim.join(n).display().to_string();
    let out = dir.path().join("series.vcf");
    let o = ctdna(&[
        "call",
        "--quiet",
        "--bam",
        &f("sample.bam"),
        "--bam",
        &f("matched_normal.bam"),
        "-r",
        &f("ref.fa"),
        "-t",
        &f("targets.bed"),
        "-o",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("##FORMAT=<ID=LOD,"));
    let somatic: Vec<(String, String)> = {
        let mut t = String::new();
        let mut r = ctdna::bgzf_in::open(&sim.join("truth.vcf.gz")).unwrap();
        std::io::Read::read_to_string(&mut r, &mut t).unwrap();
        t.lines()
            .filter(|l| !l.starts_with('#') && l.contains("SOMATIC"))
            .map(|l| {
                let v: Vec<&str> = l.split('\t').collect();
                (v[1].to_string(), v[4].to_string())
            })
            .collect()
    };
    let mut checked = 0;
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let r: Vec<String> = l.split('\t').map(String::from).collect();
        if r[6] != "PASS" || !somatic.contains(&(r[1].clone(), r[4].clone())) {
            continue;
        }
        let keys: Vec<&str> = r[8].split(':').collect();
        let field = |col: usize, key: &str| -> String {
            let i = keys.iter().position(|k| *k == key).unwrap();
            r[col].split(':').nth(i).unwrap().to_string()
        };
        assert_eq!(field(9, "FT"), "PASS", "{l}");
        // The tumour-free sample: not detected, at a LoD below the VAF the
        // plasma showed (it could have seen it).
        assert!(
            field(10, "FT").split(';').any(|f| f == "NotDetected"),
            "{l}"
        );
        assert!(!field(10, "FT").contains("LowQual"), "{l}");
        let lod: f64 = field(10, "LOD").parse().unwrap();
        let af: f64 = field(9, "AF").parse().unwrap();
        assert!(lod > 0.0 && lod < af, "{l}");
        checked += 1;
    }
    assert!(checked >= 6, "{checked} tumour PASS records");
}

/// The PASS records of a VCF, as (POS, ALT), and whether each has INFO JOINT.
fn pass_records(vcf: &str) -> Vec<(String, String, bool)> {
    vcf.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|r| r[6] == "PASS")
        .map(|r| {
            (
                r[1].to_string(),
                r[4].to_string(),
                r[7].split(';').any(|k| k == "JOINT"),
            )
        })
        .collect()
}

#[test]
fn joint_discovery_finds_what_no_single_timepoint_shows() {
    // Three timepoints with the tumour's SNVs at 0.25% in 1,000 molecules:
    // ~2.5 alt molecules each, too few alone; ~7.5 pooled.
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let p = SimParams {
        series_tf: vec![0.005, 0.005, 0.005],
        snvs_per_vaf: 20,
        indels_per_vaf: 0,
        artifact_sites: 0,
        ..ten_targets(7, 1_000)
    };
    ctdna::simulate::simulate(&p, &sim).unwrap();
    let f = |n: &str| sim.join(n).display().to_string();
    let call = |extra: &[&str], out: &str| {
        let o = f(out);
        let (t1, t2, t3, r, t) = (
            f("T1.bam"),
            f("T2.bam"),
            f("T3.bam"),
            f("ref.fa"),
            f("targets.bed"),
        );
        let mut args = vec!["call", "--quiet", "--bam", &t1, "--bam", &t2, "--bam", &t3];
        args.extend(["-r", &r, "-t", &t, "-o", &o]);
        args.extend_from_slice(extra);
        let out = ctdna(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read_to_string(&o).unwrap()
    };
    let alone = pass_records(&call(&[], "alone.vcf"));
    let joint_vcf = call(&["--joint"], "joint.vcf");
    assert!(joint_vcf.contains("##INFO=<ID=JOINT,"));
    let joint = pass_records(&joint_vcf);
    let mut truth = String::new();
    let mut r = ctdna::bgzf_in::open(&sim.join("T1.truth.vcf.gz")).unwrap();
    std::io::Read::read_to_string(&mut r, &mut truth).unwrap();
    let somatic: Vec<(String, String)> = truth
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("SOMATIC"))
        .map(|l| {
            let v: Vec<&str> = l.split('\t').collect();
            (v[1].to_string(), v[4].to_string())
        })
        .collect();
    let found = |calls: &[(String, String, bool)]| {
        calls
            .iter()
            .filter(|c| somatic.contains(&(c.0.clone(), c.1.clone())))
            .count()
    };
    assert!(
        found(&joint) >= found(&alone) + 5,
        "alone {} joint {} of {}",
        found(&alone),
        found(&joint),
        somatic.len()
    );
    // What --joint adds is marked, and none of it is off the truth.
    assert!(joint.iter().any(|c| c.2));
    let extra_fp = joint
        .iter()
        .filter(|c| c.2 && !somatic.contains(&(c.0.clone(), c.1.clone())))
        .count();
    assert_eq!(extra_fp, 0, "{joint:?}");
}
