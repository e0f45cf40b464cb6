//! Scatter/gather: chunks run with the whole panel's background give,
//! concatenated, exactly the records of one unscattered run.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn body(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Call the whole panel writing its background, then chunks 1..=3 with it:
/// the chunks' records, concatenated, must be the whole run's. `base` is
/// the call without `-o`; returns the whole run's records and background.
fn scatter_gather(dir: &Path, base: &[&str]) -> (Vec<String>, PathBuf) {
    let whole = dir.join("whole.vcf");
    let bg = dir.join("bg.json");
    let o = ctdna(&[base, &["-o", s(&whole), "--write-background", s(&bg)]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let mut gathered = Vec::new();
    for i in 1..=3 {
        let part = dir.join(format!("part{i}.vcf"));
        let spec = format!("{i}/3");
        let o = ctdna(
            &[
                base,
                &["-o", s(&part), "--background", s(&bg), "--shard", &spec],
            ]
            .concat(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        gathered.extend(body(&part));
    }
    let whole = body(&whole);
    assert!(whole.len() >= 2);
    assert_eq!(gathered, whole);
    (whole, bg)
}

#[test]
fn concatenated_chunks_equal_the_whole_run() {
    let d = dataset(2);
    let mut base = d.args("call");
    base.push("--quiet");
    let (_, bg) = scatter_gather(d.dir.path(), &base);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bg).unwrap()).unwrap();
    assert_eq!(saved["molecules"]["kind"], "fragments");
}

/// UMI mode: the background records the tier, and chunks that count the
/// same tier reproduce the whole run's records.
#[test]
fn umi_chunks_with_a_background_of_their_tier_equal_the_whole_run() {
    let d = UmiData::simulate();
    let out = tempfile::tempdir().unwrap();
    let call = d.call();
    let (whole, bg) = scatter_gather(out.path(), &strs(&call));
    eprintln!("{} records in the whole run", whole.len());
    // Default UMI mode: every molecule (raw tier and better).
    assert!(whole.iter().all(|r| r.contains(";TIER=raw")), "{whole:?}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bg).unwrap()).unwrap();
    assert_eq!(saved["format_version"], 2);
    assert_eq!(saved["molecules"]["kind"], "umi");
    assert_eq!(saved["molecules"]["min_tier"], "raw");
    assert_eq!(saved["molecules"]["min_family"], 2);
}

/// A background fitted on other molecules (fragments vs a UMI tier, or
/// another tier) is refused, naming the file, both sides and the options
/// that fix it; a version 1 file (which did not record them) is refused too.
#[test]
fn a_background_of_another_tier_is_refused() {
    let d = UmiData::simulate();
    let out = tempfile::tempdir().unwrap();
    let vcf = out.path().join("x.vcf");
    let run = |extra: &[&str]| {
        let mut a = d.call();
        a.extend(["-o".into(), s(&vcf).into()]);
        a.extend(extra.iter().map(|x| x.to_string()));
        ctdna(&strs(&a))
    };
    let frag = out.path().join("fragments.json");
    let single = out.path().join("single.json");
    let o = run(&["--no-umi", "--write-background", s(&frag)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["--write-background", s(&single)]);
    assert!(o.status.success(), "{}", stderr(&o));

    // Fragments' rates for a UMI run.
    std::fs::remove_file(&vcf).unwrap();
    let o = run(&["--background", s(&frag), "--shard", "1/2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    for needle in [
        s(&frag),
        "fitted on fragments",
        "counts UMI molecules of tier raw or better",
        "`--no-umi`",
        "--write-background",
    ] {
        assert!(e.contains(needle), "{needle}: {e}");
    }
    // Single-strand rates for a fragment run, and for a duplex run.
    let o = run(&["--background", s(&single), "--no-umi"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("this run counts fragments"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--background", s(&single), "--min-tier", "duplex"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("tier duplex or better"), "{e}");
    assert!(e.contains("--min-tier raw --min-family 2"), "{e}");
    assert!(!vcf.exists(), "a refused run writes nothing");
    // Other consensus settings make other molecules too.
    let o = run(&["--background", s(&single), "--min-family", "3"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // The same tier is accepted.
    let o = run(&["--background", s(&single), "--shard", "2/2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(&vcf).unwrap();
    // A version 1 file says nothing of its molecules.
    let mut v1: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&frag).unwrap()).unwrap();
    v1["format_version"] = 1.into();
    v1.as_object_mut().unwrap().remove("molecules");
    let old = out.path().join("v1.json");
    std::fs::write(&old, v1.to_string()).unwrap();
    let o = run(&["--background", s(&old), "--no-umi"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("version 1 does not record"),
        "{}",
        stderr(&o)
    );
    assert!(!vcf.exists());
}

#[test]
fn shard_needs_a_background_and_the_background_must_fit() {
    let d = dataset(4);
    let dir = d.dir.path();
    let out = dir.join("x.vcf");
    let o = d.run("call", &["-o", s(&out), "--shard", "1/2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--background"), "{}", stderr(&o));

    let bg = dir.join("bg.json");
    let o = d.run("call", &["-o", s(&out), "--write-background", s(&bg)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Other read filters than the model was fitted with: refused.
    let o = d.run(
        "call",
        &["-o", s(&out), "--background", s(&bg), "--min-bq", "30"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("read filters"), "{}", stderr(&o));
    // Another panel: refused.
    let bed = dir.join("small.bed");
    std::fs::write(&bed, "chr1\t1000\t1500\n").unwrap();
    let o = ctdna(&[
        "call",
        "--bam",
        s(&d.bam),
        "-r",
        s(&d.reference),
        "-t",
        s(&bed),
        "-o",
        s(&out),
        "--background",
        s(&bg),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("panel"), "{}", stderr(&o));
}
