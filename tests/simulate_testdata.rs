//! test-data/ is reproducible: regenerating it from its own manifest gives
//! the same files (plain files byte for byte; compressed files by content:
//! the same text, the same BAM header and records).

use ctdna::simulate::{simulate, Manifest};
use rust_htslib::bam::{self, Read as _};
use std::io::Read as _;
use std::path::{Path, PathBuf};

fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test-data")
}

fn gunzip(path: &Path) -> String {
    let mut r = rust_htslib::bgzf::Reader::from_path(path).unwrap();
    let mut s = String::new();
    r.read_to_string(&mut s).unwrap();
    s
}

/// Header text and every record's fields, decoded.
fn bam_content(path: &Path) -> (String, Vec<String>) {
    let mut r = bam::Reader::from_path(path).unwrap();
    let header = String::from_utf8_lossy(r.header().as_bytes()).into_owned();
    let recs = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            format!(
                "{} {} {} {} {} {} {} {} {} {:?} {:?} {:?} {:?}",
                String::from_utf8_lossy(rec.qname()),
                rec.flags(),
                rec.tid(),
                rec.pos(),
                rec.mapq(),
                rec.cigar(),
                rec.mtid(),
                rec.mpos(),
                rec.insert_size(),
                String::from_utf8_lossy(&rec.seq().as_bytes()),
                rec.qual(),
                rec.aux(b"NM").ok(),
                rec.aux(b"RX").ok(),
            )
        })
        .collect();
    (header, recs)
}

#[test]
fn test_data_regenerates_identically_from_its_manifest() {
    let dir = test_data();
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let m: Manifest = serde_json::from_str(&text).unwrap();
    // The recorded command and the manifest agree on the seed.
    let script = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-test-data.sh"),
    )
    .unwrap();
    assert!(script.contains(&format!("--seed {}", m.params.seed)));

    let out = tempfile::tempdir().unwrap();
    let summary = simulate(&m.params, out.path()).unwrap();
    assert_eq!(summary, m.summary);
    for f in [
        "ref.fa",
        "ref.fa.fai",
        "targets.bed",
        "negatives.bed",
        "manifest.json",
    ] {
        assert!(
            std::fs::read(dir.join(f)).unwrap() == std::fs::read(out.path().join(f)).unwrap(),
            "test-data/{f} differs from a regeneration: run scripts/make-test-data.sh and commit"
        );
    }
    assert_eq!(
        gunzip(&dir.join("truth.vcf.gz")),
        gunzip(&out.path().join("truth.vcf.gz"))
    );
    let (h1, r1) = bam_content(&dir.join("sample.bam"));
    let (h2, r2) = bam_content(&out.path().join("sample.bam"));
    assert_eq!(h1, h2);
    assert_eq!(r1.len(), r2.len());
    for (a, b) in r1.iter().zip(&r2) {
        assert_eq!(a, b);
    }
    for f in ["sample.bam", "truth.vcf.gz"] {
        if std::fs::read(dir.join(f)).unwrap() != std::fs::read(out.path().join(f)).unwrap() {
            eprintln!("note: {f} content is identical but its compressed bytes differ (compression library change?)");
        }
    }
}

#[test]
fn test_data_is_small_and_has_the_promised_shape() {
    let dir = test_data();
    let total: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(total <= 3 * 1024 * 1024, "test-data/ is {total} bytes");
    let truth = gunzip(&dir.join("truth.vcf.gz"));
    let mut vafs: Vec<String> = truth
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("SOMATIC"))
        .map(|l| {
            l.split('\t')
                .nth(7)
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    vafs.sort();
    vafs.dedup();
    assert_eq!(vafs, vec!["VAF=0.02", "VAF=0.05", "VAF=0.1"]);
}
