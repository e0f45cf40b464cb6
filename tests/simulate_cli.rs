//! `ctdna simulate` through the binary: files, read-back with htslib, refusals.

use ctdna::simulate::score::{score, ScoreOptions, VarType};
use rust_htslib::bam::{self, record::Aux, Read};
use std::path::Path;
use std::process::Command;

fn ctdna(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ctdna"))
        .args(args)
        .output()
        .unwrap()
}

const SMALL: &[&str] = &[
    "--contigs",
    "2",
    "--contig-len",
    "30000",
    "--targets",
    "5",
    "--dup-segments",
    "1",
    "--vaf",
    "0.05,0.2",
    "--snvs-per-vaf",
    "3",
    "--indels-per-vaf",
    "2",
    "--depth",
    "150",
    "--duplex",
    "--mark-duplicates",
    "--normals",
    "1",
];

fn simulate_into(dir: &Path, seed: &str, threads: &str) {
    let out = dir.to_str().unwrap();
    let mut args = vec![
        "simulate",
        "--out-dir",
        out,
        "--seed",
        seed,
        "--quiet",
        "--threads",
        threads,
    ];
    args.extend_from_slice(SMALL);
    let o = ctdna(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn writes_every_file_and_the_bam_reads_back_consistently() {
    let d = tempfile::tempdir().unwrap();
    simulate_into(d.path(), "5", "2");
    for f in [
        "ref.fa",
        "ref.fa.fai",
        "targets.bed",
        "negatives.bed",
        "truth.vcf.gz",
        "truth.vcf.gz.tbi",
        "sample.bam",
        "sample.bam.bai",
        "normal_1.bam",
        "normal_1.bam.bai",
        "manifest.json",
    ] {
        assert!(d.path().join(f).exists(), "{f} missing");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["params"]["depth"], 150);
    assert_eq!(manifest["params"]["seed"], 5);

    // Reference as written, for NM checks.
    let fa = std::fs::read_to_string(d.path().join("ref.fa")).unwrap();
    let mut contigs: Vec<Vec<u8>> = Vec::new();
    for line in fa.lines() {
        if line.starts_with('>') {
            contigs.push(Vec::new());
        } else if let Some(c) = contigs.last_mut() {
            c.extend_from_slice(line.as_bytes());
        }
    }
    let mut r = bam::IndexedReader::from_path(d.path().join("sample.bam")).unwrap();
    let header = r.header().to_owned();
    let text = String::from_utf8_lossy(header.as_bytes()).into_owned();
    assert!(
        text.contains("@RG\tID:sample\tSM:sample") && text.contains("@PG\tID:ctdna"),
        "{text}"
    );
    assert!(text.contains("SO:coordinate"));
    r.fetch(bam::FetchDefinition::All).unwrap();
    let (mut n, mut last, mut low_mapq, mut dups) = (0, (0i32, 0i64), 0, 0);
    // (name, read 1?) -> CIGAR, and each read's MC, checked against its mate.
    let mut cigars = std::collections::HashMap::new();
    let mut mate_cigars = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        n += 1;
        let here = (rec.tid(), rec.pos());
        assert!(here >= last, "unsorted");
        last = here;
        let reference = &contigs[rec.tid() as usize];
        let mut nm = 0u32;
        let seq = rec.seq().as_bytes();
        let (mut qi, mut rp) = (0usize, rec.pos() as usize);
        for op in rec.cigar().iter() {
            use bam::record::Cigar::*;
            match *op {
                Match(l) => {
                    for _ in 0..l {
                        nm += u32::from(reference[rp] != seq[qi]);
                        qi += 1;
                        rp += 1;
                    }
                }
                Ins(l) => {
                    nm += l;
                    qi += l as usize;
                }
                Del(l) => {
                    nm += l;
                    rp += l as usize;
                }
                SoftClip(l) => qi += l as usize,
                _ => panic!("unexpected op"),
            }
        }
        match rec.aux(b"NM").unwrap() {
            Aux::I32(v) => assert_eq!(v as u32, nm, "{}", String::from_utf8_lossy(rec.qname())),
            other => panic!("NM type {other:?}"),
        }
        match rec.aux(b"RX").unwrap() {
            Aux::String(s) => assert_eq!(s.len(), 17),
            other => panic!("RX type {other:?}"),
        }
        match rec.aux(b"MC").unwrap() {
            Aux::String(s) => mate_cigars.push((
                rec.qname().to_vec(),
                !rec.is_first_in_template(),
                s.to_string(),
            )),
            other => panic!("MC type {other:?}"),
        }
        cigars.insert(
            (rec.qname().to_vec(), rec.is_first_in_template()),
            rec.cigar().to_string(),
        );
        low_mapq += usize::from(rec.mapq() < 60);
        dups += usize::from(rec.is_duplicate());
        assert!(rec.is_paired() && rec.is_proper_pair());
    }
    for (name, first, mc) in &mate_cigars {
        let mate = &cigars[&(name.clone(), *first)];
        assert_eq!(mc, mate, "{}", String::from_utf8_lossy(name));
    }
    assert!(mate_cigars
        .iter()
        .any(|m| !m.2.ends_with('M') || m.2.contains('I') || m.2.contains('D')));
    assert!(
        n > 1000 && low_mapq > 0 && dups > 0,
        "{n} {low_mapq} {dups}"
    );

    // Truth scored against itself: everything found, nothing false.
    let opts = ScoreOptions::from_sim_dir(d.path()).unwrap();
    assert_eq!(opts.depth, 150.0);
    let truth = d.path().join("truth.vcf.gz");
    let s = score(&truth, &truth, &opts).unwrap();
    assert_eq!(s.sensitivity(None, 0.0), 1.0);
    assert_eq!(s.fp, 0);
    assert_eq!(s.rows.len(), 4);
    assert!(s
        .rows
        .iter()
        .any(|r| r.var_type == VarType::Indel && r.truth == 2));
}

#[test]
fn same_seed_same_bytes_through_the_binary_for_any_thread_count() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    simulate_into(a.path(), "9", "1");
    simulate_into(b.path(), "9", "4");
    for f in [
        "ref.fa",
        "targets.bed",
        "negatives.bed",
        "truth.vcf.gz",
        "manifest.json",
        "sample.bam",
        "normal_1.bam",
    ] {
        assert!(
            std::fs::read(a.path().join(f)).unwrap() == std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn impossible_parameters_are_refused_before_writing() {
    let cases: &[(&[&str], &str)] = &[
        (&["--vaf", "0.01,1.2"], "outside (0, 1)"),
        (&["--vaf", "-0.1"], "outside (0, 1)"),
        (&["--depth", "0"], "--depth"),
        (&["--contig-len", "800"], "do not fit"),
        (&["--read-len", "600"], "longer than the longest fragment"),
        (
            &["--targets", "500", "--contig-len", "20000"],
            "cannot place",
        ),
    ];
    for (extra, needle) in cases {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        let mut args = vec!["simulate", "--out-dir", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = ctdna(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?}: output folder was created");
    }
}

#[test]
fn family_dispersion_gives_negative_binomial_families_and_is_recorded() {
    // --family-size 4 --family-dispersion 2: a molecule is read once with
    // probability (2 / (2 + 3))^2 = 16% (Poisson families: e^-3 = 5%).
    let d = tempfile::tempdir().unwrap();
    let out = d.path().to_str().unwrap();
    let o = ctdna(&[
        "simulate",
        "--out-dir",
        out,
        "--quiet",
        "--targets",
        "5",
        "--snvs-per-vaf",
        "1",
        "--indels-per-vaf",
        "0",
        "--depth",
        "400",
        "--family-size",
        "4",
        "--family-dispersion",
        "2",
        "--normals",
        "0",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["params"]["family_dispersion"], 2.0);
    // Read names are t<target>m<molecule>c<copy>: copies per molecule.
    let mut r = bam::Reader::from_path(d.path().join("sample.bam")).unwrap();
    let mut copies: std::collections::BTreeMap<String, usize> = Default::default();
    for rec in r.records() {
        let rec = rec.unwrap();
        if rec.is_first_in_template() {
            let name = String::from_utf8_lossy(rec.qname()).into_owned();
            let (mol, _) = name.rsplit_once('c').unwrap();
            *copies.entry(mol.to_string()).or_default() += 1;
        }
    }
    let n = copies.len() as f64;
    let once = copies.values().filter(|&&c| c == 1).count() as f64 / n;
    let mean = copies.values().sum::<usize>() as f64 / n;
    let sd = (0.16 * 0.84 / n).sqrt();
    assert!(n > 3000.0, "{n} molecules");
    assert!((once - 0.16).abs() < 5.0 * sd, "{once} of {n} read once");
    assert!((mean - 4.0).abs() < 0.2, "mean family {mean}");
}
