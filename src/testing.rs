//! Helpers for tests (unit and integration): small FASTA and BAM files made
//! from text in a temporary folder. Not part of the stable API.

use rust_htslib::bam::{self, Read};
use std::path::{Path, PathBuf};

/// Write a FASTA with one line per contig (an `.fai` is built on first open).
pub fn write_fasta(dir: &Path, name: &str, contigs: &[(&str, &str)]) -> PathBuf {
    let p = dir.join(name);
    let text: String = contigs
        .iter()
        .map(|(n, s)| format!(">{n}\n{s}\n"))
        .collect();
    std::fs::write(&p, text).expect("write fasta");
    p
}

/// Turn SAM text into a coordinate-sorted BAM with a `.bai` (records must
/// already be in coordinate order).
pub fn sam_to_bam(dir: &Path, name: &str, sam: &str) -> PathBuf {
    let sam_path = dir.join(format!("{name}.sam"));
    std::fs::write(&sam_path, sam).expect("write sam");
    copy_to_bam(&sam_path, &dir.join(format!("{name}.bam")), |_, _| {})
}

/// Copy the coordinate-sorted SAM or BAM `from` to the BAM `to` (with a
/// `.bai`), passing each record and its index through `edit` first.
pub fn copy_to_bam(
    from: &Path,
    to: &Path,
    mut edit: impl FnMut(usize, &mut bam::Record),
) -> PathBuf {
    let mut reader = bam::Reader::from_path(from).expect("read alignments");
    let header = bam::Header::from_template(reader.header());
    let mut writer = bam::Writer::from_path(to, &header, bam::Format::Bam).expect("bam writer");
    let mut rec = bam::Record::new();
    let mut i = 0;
    while let Some(r) = reader.read(&mut rec) {
        r.expect("alignment record");
        edit(i, &mut rec);
        i += 1;
        writer.write(&rec).expect("write record");
    }
    drop(writer);
    bam::index::build(to, None, bam::index::Type::Bai, 1).expect("index");
    to.to_path_buf()
}

/// An edit for [`copy_to_bam`]: remove the aux field `tag` where present.
pub fn remove_tag(tag: &[u8; 2], rec: &mut bam::Record) {
    if rec.aux(tag).is_ok() {
        rec.remove_aux(tag).expect("remove aux field");
    }
}

/// A deterministic pseudo-random ACGT sequence (no homopolymers over 3).
pub fn random_sequence(len: usize, seed: u64) -> String {
    let mut x = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let b = b"ACGT"[(x >> 32) as usize % 4];
        let n = out.len();
        if n >= 3 && out[n - 1] == b && out[n - 2] == b && out[n - 3] == b {
            continue;
        }
        out.push(b);
    }
    String::from_utf8(out).expect("ascii")
}

/// A reference window over `seq` starting at 0-based `start`.
pub fn window(seq: &str, start: u64) -> crate::reference::RefWindow {
    crate::reference::RefWindow {
        start,
        seq: seq.as_bytes().to_vec(),
    }
}

/// A read loop's inputs for one batch over contig `c1` (200 bp, in `fa`):
/// the BAM made from `sam` (as `name.bam`), its reader and the window.
pub fn batch_over_c1(
    dir: &Path,
    fa: &Path,
    name: &str,
    sam: &str,
) -> (PathBuf, bam::IndexedReader, crate::reference::RefWindow) {
    let bam_path = sam_to_bam(dir, name, sam);
    let fasta = rust_htslib::faidx::Reader::from_path(fa).unwrap();
    let contig = crate::reference::Contig {
        name: "c1".into(),
        len: 200,
    };
    let window = crate::reference::RefWindow::fetch(&fasta, &contig, 0, 200).unwrap();
    let reader = bam::IndexedReader::from_path(&bam_path).unwrap();
    (bam_path, reader, window)
}

/// The read filter of the read-loop tests: MAPQ and base quality 20, no
/// read-end margin, mates counted by `overlap`.
pub fn read_filter(overlap: crate::evidence::OverlapPolicy) -> crate::evidence::ReadFilter {
    crate::evidence::ReadFilter {
        min_mapq: 20,
        min_bq: 20,
        keep_duplicates: false,
        keep_supplementary: false,
        drop_improper: false,
        max_mismatch_per_100: 8.0,
        min_dist_end: 0,
        overlap,
        mnv_window: crate::evidence::filters::DEFAULT_MNV_WINDOW,
    }
}
