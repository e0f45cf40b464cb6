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

/// A simulated three-timepoint series called without and with `--joint`
/// (with a panel of the simulation's normals when it has any): the PASS
/// records of each, the somatic truth (POS, ALT) and the artifact sites'
/// positions.
struct JointRun {
    alone: Vec<(String, String, bool)>,
    joint: Vec<(String, String, bool)>,
    somatic: Vec<(String, String)>,
    artifacts: Vec<String>,
}

fn joint_run(p: &SimParams) -> JointRun {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    ctdna::simulate::simulate(p, &sim).unwrap();
    let f = |n: &str| sim.join(n).display().to_string();
    let (r, t, pon) = (f("ref.fa"), f("targets.bed"), f("normals.pon"));
    let mut panel = Vec::new();
    if p.normals > 0 {
        let normals: Vec<String> = (1..=p.normals)
            .map(|k| f(&format!("normal_{k}.bam")))
            .collect();
        let mut args = vec!["pon", "--quiet", "-r", &r, "-t", &t, "-o", &pon];
        for n in &normals {
            args.extend(["--bam", n.as_str()]);
        }
        let out = ctdna(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        panel = vec!["--pon", pon.as_str()];
    }
    let call = |extra: &[&str], out: &str| {
        let o = f(out);
        let bams: Vec<String> = (1..=p.series_tf.len())
            .map(|k| f(&format!("T{k}.bam")))
            .collect();
        let mut args = vec!["call", "--quiet", "-r", &r, "-t", &t, "-o", &o];
        for b in &bams {
            args.extend(["--bam", b.as_str()]);
        }
        args.extend_from_slice(&panel);
        args.extend_from_slice(extra);
        let out = ctdna(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read_to_string(&o).unwrap()
    };
    let alone = pass_records(&call(&[], "alone.vcf"));
    let joint_vcf = call(&["--joint"], "joint.vcf");
    assert!(joint_vcf.contains("##INFO=<ID=JOINT,"));
    let mut truth = String::new();
    let last = sim.join(format!("T{}.truth.vcf.gz", p.series_tf.len()));
    let mut rd = ctdna::bgzf_in::open(&last).unwrap();
    std::io::Read::read_to_string(&mut rd, &mut truth).unwrap();
    let somatic = truth
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("SOMATIC"))
        .map(|l| {
            let v: Vec<&str> = l.split('\t').collect();
            (v[1].to_string(), v[4].to_string())
        })
        .collect();
    let artifacts = std::fs::read_to_string(sim.join("artifacts.bed"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split('\t').nth(2).map(str::to_string))
        .collect();
    JointRun {
        alone,
        joint: pass_records(&joint_vcf),
        somatic,
        artifacts,
    }
}

impl JointRun {
    fn found(&self, calls: &[(String, String, bool)]) -> usize {
        calls
            .iter()
            .filter(|c| self.somatic.contains(&(c.0.clone(), c.1.clone())))
            .count()
    }

    /// PASS records only --joint makes (INFO JOINT) that are not truth.
    fn joint_fp(&self) -> Vec<&(String, String, bool)> {
        (self.joint.iter())
            .filter(|c| c.2 && !self.somatic.contains(&(c.0.clone(), c.1.clone())))
            .filter(|c| !self.alone.iter().any(|a| a.0 == c.0 && a.1 == c.1))
            .collect()
    }
}

#[test]
fn joint_discovery_finds_what_no_single_timepoint_shows() {
    // Three timepoints with the tumour's SNVs at 0.25% in 1,000 molecules:
    // ~2.5 alt molecules each, too few alone; ~7.5 pooled. One fraction at
    // every timepoint, as a site artifact would be: the panel of normals
    // is what tells them apart, and the series has one.
    let run = joint_run(&SimParams {
        series_tf: vec![0.005, 0.005, 0.005],
        snvs_per_vaf: 40,
        indels_per_vaf: 0,
        artifact_sites: 0,
        normals: 3,
        ..ten_targets(7, 1_000)
    });
    let (alone, joint) = (run.found(&run.alone), run.found(&run.joint));
    let n = run.somatic.len();
    assert!(joint >= alone + 5, "alone {alone} joint {joint} of {n}");
    // What --joint adds is marked, and none of it is off the truth.
    assert!(run.joint.iter().any(|c| c.2));
    assert!(run.joint_fp().is_empty(), "{:?}", run.joint);
}

#[test]
fn without_a_panel_joint_discovery_asks_a_change_in_time() {
    // No panel of normals; artifact sites at one rate in every plasma
    // (0.2-1% scaled 0.5-1.5x per sample: thin ones pool like a variant).
    // The tumour grows: absent, 0.25%, then 0.5% of 1,000 molecules.
    let run = joint_run(&SimParams {
        series_tf: vec![0.0, 0.005, 0.01],
        snvs_per_vaf: 20,
        indels_per_vaf: 0,
        artifact_sites: 24,
        ..ten_targets(11, 1_000)
    });
    let (alone, joint) = (run.found(&run.alone), run.found(&run.joint));
    let n = run.somatic.len();
    assert!(joint >= alone, "alone {alone} joint {joint} of {n}");
    let fp = run.joint_fp();
    assert!(
        fp.iter().all(|c| !run.artifacts.contains(&c.0)),
        "--joint made artifact sites PASS: {fp:?} (sites {:?})",
        run.artifacts
    );
    assert!(fp.len() <= 1, "{fp:?}");
}
