//! Scatter/gather: chunks run with the whole panel's background give,
//! concatenated, exactly the records of one unscattered run.

mod common;
use common::*;

fn body(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn concatenated_chunks_equal_the_whole_run() {
    let d = dataset(2);
    let dir = d.dir.path();
    let base = [
        "call",
        "--bam",
        s(&d.bam),
        "-r",
        s(&d.reference),
        "-t",
        s(&d.bed),
        "--quiet",
    ];
    let whole = dir.join("whole.vcf");
    let bg = dir.join("bg.json");
    let o = ctdna(&[&base[..], &["-o", s(&whole), "--write-background", s(&bg)]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let mut gathered = Vec::new();
    for i in 1..=3 {
        let part = dir.join(format!("part{i}.vcf"));
        let spec = format!("{i}/3");
        let o = ctdna(
            &[
                &base[..],
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
}

#[test]
fn shard_needs_a_background_and_the_background_must_fit() {
    let d = dataset(4);
    let dir = d.dir.path();
    let out = dir.join("x.vcf");
    let o = ctdna(&[
        "call",
        "--bam",
        s(&d.bam),
        "-r",
        s(&d.reference),
        "-t",
        s(&d.bed),
        "-o",
        s(&out),
        "--shard",
        "1/2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--background"), "{}", stderr(&o));

    let bg = dir.join("bg.json");
    let o = ctdna(&[
        "call",
        "--bam",
        s(&d.bam),
        "-r",
        s(&d.reference),
        "-t",
        s(&d.bed),
        "-o",
        s(&out),
        "--write-background",
        s(&bg),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Other read filters than the model was fitted with: refused.
    let o = ctdna(&[
        "call",
        "--bam",
        s(&d.bam),
        "-r",
        s(&d.reference),
        "-t",
        s(&d.bed),
        "-o",
        s(&out),
        "--background",
        s(&bg),
        "--min-bq",
        "30",
    ]);
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
