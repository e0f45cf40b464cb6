//! `ctdna count` in UMI mode: molecules of the chosen tier, a `tier`
//! column, and `--no-umi` giving exactly the fragment table of a BAM
//! without UMIs.

mod common;

use common::{ctdna, stderr, strs, UmiData};
use std::collections::BTreeMap;
use std::path::Path;

/// `ctdna count` on `bam` over the simulation's targets; the TSV.
fn count(d: &UmiData, bam: &str, extra: &[&str]) -> String {
    let mut a: Vec<String> = ["count", "--quiet", "--bam", bam, "-r"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    a.extend([d.path("ref.fa"), "-t".into(), d.path("targets.bed")]);
    a.extend(extra.iter().map(|x| x.to_string()));
    let o = ctdna(&strs(&a));
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// `depth` of every REF row, by (chrom, pos).
fn depths(tsv: &str) -> BTreeMap<(String, u64), u64> {
    tsv.lines()
        .skip(1)
        .filter(|l| l.split('\t').nth(5) == Some("REF"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                (f[1].to_string(), f[2].parse().unwrap()),
                f[6].parse().unwrap(),
            )
        })
        .collect()
}

fn median(v: &BTreeMap<(String, u64), u64>) -> u64 {
    let mut d: Vec<u64> = v.values().copied().collect();
    d.sort_unstable();
    d[d.len() / 2]
}

#[test]
fn count_counts_the_chosen_tier_and_no_umi_is_the_fragment_table() {
    let d = UmiData::simulate();
    let sample = d.path("sample.bam");
    let every = count(&d, &sample, &[]);
    let single = count(&d, &sample, &["--min-tier", "single"]);
    let fragments = count(&d, &sample, &["--no-umi"]);

    // UMI mode (auto-detected): a last `tier` column on every line, the
    // raw tier (every molecule) by default.
    assert!(every.lines().skip(1).all(|l| l.ends_with("\traw")));
    let header = single.lines().next().unwrap();
    assert_eq!(
        header,
        format!("{}\ttier", fragments.lines().next().unwrap())
    );
    assert!(single.lines().skip(1).all(|l| l.ends_with("\tsingle")));
    assert!(single.lines().all(|l| l.split('\t').count() == 17));
    // --no-umi: the fragment table, columns unchanged.
    assert!(!fragments.lines().next().unwrap().contains("tier"));
    assert!(fragments.lines().all(|l| l.split('\t').count() == 16));

    // Byte for byte the table of the same reads without UMIs.
    let dir = tempfile::tempdir().unwrap();
    let plain =
        ctdna::testing::copy_to_bam(Path::new(&sample), &dir.path().join("plain.bam"), |_, r| {
            ctdna::testing::remove_tag(b"RX", r)
        });
    let without = count(&d, plain.to_str().unwrap(), &[]);
    assert!(
        without == fragments,
        "--no-umi differs from a BAM without UMIs"
    );

    // Fragments count every PCR copy (mean 3 per molecule, not flagged as
    // duplicates); consensus molecules count each of the 400 simulated
    // molecules at most once. Measured: median depth fragments 1132,
    // raw 379, single 326, duplex 239.
    let (f, s) = (depths(&fragments), depths(&single));
    let raw = depths(&every);
    let duplex = depths(&count(&d, &sample, &["--min-tier", "duplex"]));
    eprintln!(
        "median depth: fragments {}, raw {}, single {}, duplex {}",
        median(&f),
        median(&raw),
        median(&s),
        median(&duplex)
    );
    assert!(median(&f) > 2 * 400, "{}", median(&f));
    assert!(median(&s) > 250 && median(&s) <= 440, "{}", median(&s));
    // A tier counts its molecules and the better ones: raw >= single >= duplex.
    assert_eq!(f.len(), s.len());
    for (k, n) in &s {
        assert!(raw[k] >= *n && *n >= duplex[k], "{k:?}");
    }
    assert!(median(&duplex) > 0);
}
