//! Hostile inputs (issue 24): files that used to give a silent wrong result
//! or a misleading message are refused with exit 2, the file, and what to
//! do; nothing is written.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// `call` on the data set with `bam` and `extra`, writing into a fresh
/// folder; expect exit 2, every `needle` in stderr, and no output file.
fn refused_with(d: &DataSet, bam: &Path, extra: &[&str], needles: &[&str]) -> String {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("calls.vcf.gz");
    let mut args = vec![
        "call",
        "--bam",
        s(bam),
        "-r",
        s(&d.reference),
        "-o",
        s(&out),
        "--quiet",
    ];
    if !extra.contains(&"-t") && !extra.contains(&"--known") {
        args.extend(["-t", s(&d.bed)]);
    }
    args.extend_from_slice(extra);
    let o = ctdna(&args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected '{n}' in: {err}");
    }
    assert!(
        files_in(out_dir.path()).is_empty(),
        "{:?}",
        files_in(out_dir.path())
    );
    err
}

/// Copy the data set's `.bai` beside `bam`, newer than it.
fn fresh_index_for(d: &DataSet, bam: &Path) {
    let idx = PathBuf::from(format!("{}.bai", bam.display()));
    std::fs::copy(d.bam.with_extension("bam.bai"), &idx).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options()
        .append(true)
        .open(&idx)
        .unwrap()
        .set_modified(later)
        .unwrap();
}

/// Byte offsets where the BGZF blocks of `bytes` end.
fn bgzf_block_ends(bytes: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 0;
    while at + 18 <= bytes.len() {
        let bsize = u16::from_le_bytes([bytes[at + 16], bytes[at + 17]]) as usize + 1;
        at += bsize;
        ends.push(at);
    }
    ends
}

#[test]
fn bam_cut_at_a_bgzf_block_boundary_is_refused() {
    let d = dataset(3);
    let bytes = std::fs::read(&d.bam).unwrap();
    let ends = bgzf_block_ends(&bytes);
    assert!(ends.len() >= 3, "{} blocks", ends.len());
    // Without its last data block and the end-of-file block: every block
    // left is whole, so htslib reads fewer records and only warns.
    let cut_at = ends[ends.len() - 3];
    let cut = d.dir.path().join("cut.bam");
    std::fs::write(&cut, &bytes[..cut_at]).unwrap();
    fresh_index_for(&d, &cut);
    refused_with(&d, &cut, &[], &["cut.bam", "end-of-file", "truncated"]);
}

#[test]
fn sam_text_as_bam_is_told_to_convert() {
    let d = dataset(10);
    let sam = d.dir.path().join("tumour.sam");
    assert!(sam.exists());
    let err = refused_with(
        &d,
        &sam,
        &[],
        &["tumour.sam", "SAM text", "samtools sort -o"],
    );
    assert!(!err.contains("run `samtools index` on it"), "{err}");
}
