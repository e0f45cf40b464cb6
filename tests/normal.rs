//! `ctdna call --normal` (issue 26): a matched white-blood-cell normal
//! removes clonal haematopoiesis (CHIP) from the plasma's calls and keeps
//! the tumour's. The pair is simulated (`ctdna simulate
//! --matched-normal-depth --chip-per-vaf`): tumour SNVs and indels in
//! plasma only, CHIP SNVs in plasma and (more) in the normal, germline in
//! both, recurrent artifact sites in every sample.

mod common;
use common::*;
use ctdna::simulate::params::SimParams;
use ctdna::simulate::score::{score, Score, ScoreOptions};
use std::path::{Path, PathBuf};

struct Pair {
    _dir: tempfile::TempDir,
    sim: PathBuf,
}

/// Plasma at 1,500 molecules a position, the normal at `normal_depth`.
fn simulate(normal_depth: u32) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let p = SimParams {
        seed: 26,
        contigs: 1,
        contig_len: 60_000,
        dup_segments: 0,
        paralog_targets: 0,
        targets: 16,
        target_min_len: 250,
        target_max_len: 350,
        depth: 1_500,
        vafs: vec![0.01, 0.03],
        snvs_per_vaf: 5,
        indels_per_vaf: 2,
        chip_per_vaf: 4,
        chip_vafs: vec![0.01, 0.03],
        matched_normal_depth: normal_depth,
        bam_compression: 1,
        ..Default::default()
    };
    ctdna::simulate::simulate(&p, &sim).unwrap();
    Pair { _dir: dir, sim }
}

impl Pair {
    fn file(&self, f: &str) -> PathBuf {
        self.sim.join(f)
    }

    /// `call` with `extra`; the VCF (plain) and its score against the truth.
    fn call(&self, name: &str, extra: &[&str]) -> (String, Score) {
        let out = self.file(name);
        let (bam, fasta, bed) = (
            self.file("sample.bam"),
            self.file("ref.fa"),
            self.file("targets.bed"),
        );
        let mut args = vec!["call", "--quiet", "-r", s(&fasta), "-t", s(&bed)];
        args.extend(["-o", s(&out)]);
        if !extra.contains(&"--bam") {
            args.extend(["--bam", s(&bam)]);
        }
        args.extend_from_slice(extra);
        let o = ctdna(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let opts = ScoreOptions::from_sim_dir(&self.sim).unwrap();
        let sc = score(&out, &self.file("truth.vcf.gz"), &opts).unwrap();
        (std::fs::read_to_string(&out).unwrap(), sc)
    }
}

fn records(vcf: &str) -> Vec<Vec<&str>> {
    vcf.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect()
}

fn tumour_tp(s: &Score) -> usize {
    s.rows.iter().map(|r| r.tp).sum()
}

#[test]
fn the_normal_removes_chip_and_keeps_the_tumour() {
    let pair = simulate(1_500);
    let normal = pair.file("matched_normal.bam");
    let (_, alone) = pair.call("alone.vcf", &[]);
    let (vcf, with) = pair.call("with.vcf", &["--normal", s(&normal)]);
    // Without the normal the CHIP clones pass: they are real variants.
    assert_eq!(alone.chip_truth, 8);
    assert!(alone.chip_pass >= 6, "{alone:?}");
    // With it, none does, each written with NormalEvidence.
    assert_eq!(with.chip_pass, 0, "{with:?}");
    assert!(
        tumour_tp(&with) + 1 >= tumour_tp(&alone),
        "{alone:?}\n{with:?}"
    );
    assert_eq!(with.germline_pass, 0);
    let header: Vec<&str> = vcf.lines().filter(|l| l.starts_with('#')).collect();
    assert!(
        header.contains(&"##normal_sample=sample_normal"),
        "{header:?}"
    );
    assert!(header.last().unwrap().ends_with("\tsample\tsample_normal"));
    let recs = records(&vcf);
    let evidence = recs
        .iter()
        .filter(|r| r[6].contains("NormalEvidence"))
        .count();
    assert!(evidence >= 8, "{evidence} NormalEvidence records");
    // Every record has the normal's column and its limit of detection.
    assert!(recs.iter().all(|r| r.len() == 11 && r[7].contains("NLOD=")));
}

#[test]
fn the_normal_is_never_a_source_of_calls() {
    let pair = simulate(1_500);
    // Plasma and normal swapped: the tumour variants are now only in the
    // "normal" and must not be written; CHIP and germline still are.
    let plasma = pair.file("matched_normal.bam");
    let normal = pair.file("sample.bam");
    let (vcf, sc) = pair.call(
        "swapped.vcf",
        &["--bam", s(&plasma), "--normal", s(&normal)],
    );
    assert_eq!(tumour_tp(&sc), 0);
    let written: usize = sc.rows.iter().map(|r| r.tp + r.filtered).sum();
    assert_eq!(written, 0, "tumour alleles written from the normal: {sc:?}");
    assert!(!records(&vcf).is_empty());
}

#[test]
fn the_normal_is_the_background_without_a_pon() {
    let pair = simulate(1_500);
    let normal = pair.file("matched_normal.bam");
    let (alone, _) = pair.call("alone.vcf", &[]);
    let (with, _) = pair.call("with.vcf", &["--normal", s(&normal)]);
    let model = |vcf: &str| {
        vcf.lines()
            .find(|l| l.starts_with("##ctdna_background_model="))
            .unwrap()
            .to_string()
    };
    assert!(model(&with).contains("normals=1,"), "{}", model(&with));
    // At a CHIP site the normal's molecules show the clone: as the site's
    // background it makes the plasma's rate there the clone's fraction,
    // far above the context rate the plasma alone is tested against.
    let chip = chip_keys(&pair.file("truth.vcf.gz"));
    let err = |vcf: &str| -> std::collections::BTreeMap<(String, String), f64> {
        records(vcf)
            .iter()
            .filter(|r| chip.contains(&(r[1].to_string(), r[4].to_string())))
            .map(|r| {
                let e = r[7].split(';').find_map(|kv| kv.strip_prefix("ERR="));
                (
                    (r[1].to_string(), r[4].to_string()),
                    e.unwrap().parse().unwrap(),
                )
            })
            .collect()
    };
    let (a, w) = (err(&alone), err(&with));
    assert!(a.len() >= 6, "{a:?}");
    for (k, e) in &a {
        let x = w[k];
        assert!(
            x > 10.0 * e && x > 1e-3,
            "{k:?}: ERR {e} alone, {x} with the normal"
        );
    }
}

#[test]
fn a_shallow_normal_labels_what_it_cannot_clear() {
    let pair = simulate(60);
    let normal = pair.file("matched_normal.bam");
    let (vcf, sc) = pair.call("shallow.vcf", &["--normal", s(&normal)]);
    // 60 molecules cannot clear a 1% clone: those that pass are labelled.
    let chip: Vec<(String, String)> = chip_keys(&pair.file("truth.vcf.gz"));
    let unlabelled = records(&vcf)
        .iter()
        .filter(|r| r[6] == "PASS" && chip.contains(&(r[1].to_string(), r[4].to_string())))
        .filter(|r| !r[7].split(';').any(|kv| kv == "NormalLowDepth"))
        .count();
    assert!(sc.chip_pass > 0, "{sc:?}");
    assert_eq!(unlabelled, 0, "{vcf}");
}

/// (POS, ALT) of the truth's CHIP records.
fn chip_keys(truth: &Path) -> Vec<(String, String)> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut ctdna::bgzf_in::open(truth).unwrap(), &mut text).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains("ORIGIN=chip"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[1].to_string(), f[4].to_string())
        })
        .collect()
}

#[test]
fn bad_normal_inputs_are_refused() {
    let pair = simulate(100);
    let bam = pair.file("sample.bam");
    // The plasma as its own normal.
    let o = ctdna(&[
        "call",
        "--bam",
        s(&bam),
        "--normal",
        s(&bam),
        "-r",
        s(&pair.file("ref.fa")),
        "-t",
        s(&pair.file("targets.bed")),
        "-o",
        s(&pair.file("x.vcf")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("given twice"), "{}", stderr(&o));
    assert!(!pair.file("x.vcf").exists());
}

#[test]
fn mrd_leaves_out_the_tumour_loci_the_normal_carries() {
    // A tumour VCF from tissue called without a normal holds three CHIP
    // clones among 20 tumour SNVs: the plasma shows them far above the
    // tumour's fraction; the matched normal shows them too.
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let p = SimParams {
        seed: 31,
        contigs: 1,
        contig_len: 80_000,
        dup_segments: 0,
        paralog_targets: 0,
        targets: 24,
        target_min_len: 200,
        target_max_len: 250,
        depth: 1_000,
        tumor_fraction: Some(0.01),
        snvs_per_vaf: 20,
        indels_per_vaf: 0,
        chip_per_vaf: 3,
        chip_vafs: vec![0.02],
        matched_normal_depth: 1_000,
        bam_compression: 1,
        ..Default::default()
    };
    ctdna::simulate::simulate(&p, &sim).unwrap();
    let text = |f: &str| {
        let mut t = String::new();
        let mut r = ctdna::bgzf_in::open(&sim.join(f)).unwrap();
        std::io::Read::read_to_string(&mut r, &mut t).unwrap();
        t
    };
    let truth = text("truth.vcf.gz");
    let chip: Vec<&str> = truth
        .lines()
        .filter(|l| l.contains("ORIGIN=chip"))
        .collect();
    assert_eq!(chip.len(), 3);
    let mut tumour: Vec<String> = text("tumor.vcf.gz").lines().map(String::from).collect();
    for c in &chip {
        let f: Vec<&str> = c.split('\t').collect();
        tumour.push(format!(
            "{}\t{}\tchip\t{}\t{}\t.\tPASS\tTYPE=SNV",
            f[0], f[1], f[3], f[4]
        ));
    }
    let (header, mut body): (Vec<String>, Vec<String>) =
        tumour.into_iter().partition(|l| l.starts_with('#'));
    body.sort_by_key(|l| l.split('\t').nth(1).unwrap().parse::<u64>().unwrap());
    let vcf = sim.join("tissue.vcf");
    std::fs::write(&vcf, [header, body].concat().join("\n") + "\n").unwrap();
    let f = |n: &str| sim.join(n).display().to_string();
    let run = |extra: &[&str], out: &str| {
        let bam = f("sample.bam");
        let mut args = vec!["mrd", "--quiet", "--bam", &bam];
        let (r, t, o) = (f("ref.fa"), vcf.display().to_string(), f(out));
        let tsv = f(&format!("{out}.tsv"));
        args.extend(["-r", &r, "--tumor-variants", &t, "-o", &o, "--tsv", &tsv]);
        args.extend_from_slice(extra);
        let o = ctdna(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(f(out)).unwrap()).unwrap();
        (json, std::fs::read_to_string(tsv).unwrap())
    };
    let normal = f("matched_normal.bam");
    let (with, tsv) = run(&["--normal", &normal], "with.json");
    assert_eq!(with["loci"]["normal_evidence"], 3, "{with}");
    assert_eq!(with["inputs"]["normal"], normal.as_str());
    let flagged: Vec<&str> = tsv
        .lines()
        .filter(|l| l.ends_with("\tNormalEvidence"))
        .collect();
    for c in &chip {
        let pos = c.split('\t').nth(1).unwrap();
        assert!(
            flagged.iter().any(|l| l.split('\t').nth(1) == Some(pos)),
            "{tsv}"
        );
    }
    assert_eq!(with["call"], "DETECTED");
    // Without the normal the clones are in the fit or caught as outliers,
    // never as NormalEvidence.
    let (alone, _) = run(&[], "alone.json");
    assert_eq!(alone["loci"]["normal_evidence"], 0, "{alone}");
}
