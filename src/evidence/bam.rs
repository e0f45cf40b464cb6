//! Opening and validating the alignment inputs (BAM or CRAM).

use crate::reference::Reference;
use crate::regions::Target;
use crate::{Error, Result};
use rust_htslib::bam::{self, Read};
use std::path::{Path, PathBuf};

/// A validated alignment input.
#[derive(Debug, Clone)]
pub struct AlignmentInput {
    pub path: PathBuf,
    /// Sample name: first @RG SM, else the file stem.
    pub sample: String,
    /// For each reference contig (by `.fai` index), its tid in this file.
    pub tids: Vec<Option<u32>>,
    pub is_cram: bool,
    /// The index counts no read at all (a header-only file).
    pub empty: bool,
}

fn index_candidates(path: &Path, is_cram: bool) -> Vec<PathBuf> {
    let s = path.as_os_str().to_string_lossy().to_string();
    if is_cram {
        vec![PathBuf::from(format!("{s}.crai"))]
    } else {
        let mut v = vec![
            PathBuf::from(format!("{s}.bai")),
            PathBuf::from(format!("{s}.csi")),
        ];
        if let Some(stem) = s.strip_suffix(".bam") {
            v.push(PathBuf::from(format!("{stem}.bai")));
        }
        v
    }
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

impl AlignmentInput {
    /// Check the file, its index, its sort order and its contigs against the
    /// reference for every targeted contig.
    pub fn open(path: &Path, reference: &Reference, targets: &[Target]) -> Result<Self> {
        if !path.exists() {
            return Err(Error::bad_input(
                path,
                "alignment file not found",
                "check the --bam path",
            ));
        }
        let is_cram = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("cram"));
        check_container(path)?;
        let index = index_candidates(path, is_cram)
            .into_iter()
            .find(|p| p.exists());
        let Some(index) = index else {
            return Err(Error::bad_input(
                path,
                "no index found (.bai/.csi/.crai)",
                "run `samtools index` on it",
            ));
        };
        check_index_fresh(path, &index)?;
        let mut reader = open_indexed(path, reference)?;
        let empty = !is_cram && holds_no_reads(&mut reader, path);
        let header = reader.header();
        let text = String::from_utf8_lossy(header.as_bytes()).to_string();
        check_sort_order(path, &text)?;
        if is_cram {
            warn_without_md5(path, &text);
        }
        let sample = sample_name(&text).unwrap_or_else(|| file_stem(path));

        let mut tids = vec![None; reference.contigs.len()];
        for (tid, name) in header.target_names().iter().enumerate() {
            let name = String::from_utf8_lossy(name);
            if let Some(rid) = reference.contig_index(&name) {
                tids[rid] = Some(tid as u32);
            }
        }
        check_some_target_contig(path, reference, targets, &tids, header)?;
        let mut checked = vec![false; reference.contigs.len()];
        for t in targets {
            if std::mem::replace(&mut checked[t.rid], true) {
                continue;
            }
            let contig = &reference.contigs[t.rid];
            match tids[t.rid] {
                None => log::warn!(
                    "{}: targeted contig '{}' is not in the alignment header; its targets are skipped",
                    path.display(),
                    contig.name
                ),
                Some(tid) => {
                    let len = header.target_len(tid).unwrap_or(0);
                    if len != contig.len {
                        return Err(Error::bad_input(
                            path,
                            format!(
                                "contig '{}' has length {len} here but {} in the reference {}",
                                contig.name,
                                contig.len,
                                reference.path.display()
                            ),
                            "align to, and call with, the same reference build",
                        ));
                    }
                }
            }
        }
        Ok(AlignmentInput {
            path: path.to_path_buf(),
            sample,
            tids,
            is_cram,
            empty,
        })
    }

    /// A fresh indexed reader (one per worker thread).
    pub fn reader(&self, reference: &Reference) -> Result<bam::IndexedReader> {
        open_indexed(&self.path, reference)
    }
}

/// When no targeted contig is in the alignment header, the BAM and the
/// reference/BED name contigs differently (`1` against `chr1`, say): a run
/// would count nothing, so it stops naming both (a partial mismatch is a
/// warning per contig, as is a header without any `@SQ`).
fn check_some_target_contig(
    path: &Path,
    reference: &Reference,
    targets: &[Target],
    tids: &[Option<u32>],
    header: &bam::HeaderView,
) -> Result<()> {
    if targets.is_empty() || targets.iter().any(|t| tids[t.rid].is_some()) {
        return Ok(());
    }
    // No @SQ at all: nothing is aligned (an unaligned BAM), no naming
    // scheme to compare; the per-contig warnings say so.
    if header.target_count() == 0 {
        return Ok(());
    }
    // The first four distinct names, or "none".
    let few = |names: Vec<String>| {
        let mut v: Vec<String> = Vec::new();
        for n in names {
            if v.len() < 4 && !v.contains(&n) {
                v.push(n);
            }
        }
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let wanted = few(targets
        .iter()
        .map(|t| reference.contigs[t.rid].name.clone())
        .collect());
    let here = few(header
        .target_names()
        .iter()
        .map(|n| String::from_utf8_lossy(n).to_string())
        .collect());
    Err(Error::bad_input(
        path,
        format!(
            "none of the targeted contigs ({wanted}, ...) is in the alignment header, whose contigs are {here}, ...: the BAM names contigs differently from the reference and targets"
        ),
        "call with the reference and BED the BAM was aligned to (same contig names), or rename the BAM's contigs (`samtools reheader`)",
    ))
}

/// The empty BGZF block that ends every complete BAM (SAM spec 4.1.2).
const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// The end-of-file container that ends every complete CRAM 3.x file.
const CRAM3_EOF: [u8; 38] = [
    0x0f, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xe0, 0x45, 0x4f, 0x46, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x05, 0xbd, 0xd9, 0x4f, 0x00, 0x01, 0x00, 0x06, 0x06, 0x01, 0x00, 0x01, 0x00,
    0x01, 0x00, 0xee, 0x63, 0x01, 0x4b,
];

/// What the file is by its first bytes, and whether it ends with its
/// format's end-of-file marker. SAM text is refused with how to convert it
/// (it cannot be indexed); a BAM or CRAM without its end-of-file block was
/// cut short (at a block boundary htslib only warns and reads fewer
/// records): refused, as `samtools quickcheck` does. Reads the first and
/// last few bytes only (what htslib's `bgzf_check_EOF` compares, without
/// unsafe code).
fn check_container(path: &Path) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut head = [0u8; 6];
    let n = f.read(&mut head).map_err(|e| Error::io(path, e))?;
    let head = &head[..n];
    let tail = |f: &mut std::fs::File, len: usize| -> Option<Vec<u8>> {
        let mut buf = vec![0u8; len];
        f.seek(SeekFrom::Start(size.checked_sub(len as u64)?))
            .ok()?;
        f.read_exact(&mut buf).ok()?;
        Some(buf)
    };
    let truncated = || {
        Error::bad_input(
            path,
            "the file has no end-of-file block: it was cut short (truncated), and `samtools quickcheck` fails on it",
            "re-create it from its source (copy it again, or re-run the alignment and `samtools sort`), then `samtools index` it",
        )
    };
    if head.starts_with(&[0x1f, 0x8b]) {
        if tail(&mut f, BGZF_EOF.len()).as_deref() != Some(BGZF_EOF.as_slice()) {
            return Err(truncated());
        }
    } else if head.starts_with(b"CRAM") {
        if head.get(4) == Some(&3)
            && tail(&mut f, CRAM3_EOF.len()).as_deref() != Some(CRAM3_EOF.as_slice())
        {
            return Err(truncated());
        }
    } else if head.starts_with(b"@") || head.first().is_some_and(|b| b.is_ascii_graphic()) {
        return Err(Error::bad_input(
            path,
            "this is SAM text, not a BAM or CRAM (ctdna needs an indexed, coordinate-sorted BAM/CRAM)",
            "convert it: `samtools sort -o x.bam x.sam && samtools index x.bam`",
        ));
    } else {
        return Err(Error::bad_input(
            path,
            "not a BAM or CRAM file (no BGZF or CRAM magic at its start)",
            "give a coordinate-sorted, indexed BAM or CRAM with --bam",
        ));
    }
    Ok(())
}

/// htslib checks each CRAM slice against the reference's MD5 only where
/// the header's `@SQ` lines carry `M5`: without them a CRAM decoded
/// against another reference gives other bases silently. Warned.
fn warn_without_md5(path: &Path, header: &str) {
    let sq = header.lines().filter(|l| l.starts_with("@SQ"));
    if sq
        .clone()
        .any(|l| !l.split('\t').any(|f| f.starts_with("M5:")))
    {
        log::warn!(
            "{}: its @SQ lines carry no M5 checksums, so nothing checks that --reference is the FASTA it was written against (another one gives wrong bases silently); `samtools view -C -T ref.fa` writes them",
            path.display()
        );
    }
}

/// An index older than its file describes another file: refused.
fn check_index_fresh(path: &Path, index: &Path) -> Result<()> {
    if let (Some(data), Some(idx)) = (modified(path), modified(index)) {
        if idx < data {
            return Err(Error::bad_input(
                path,
                format!("index {} is older than the file (stale)", index.display()),
                "re-run `samtools index` on it",
            ));
        }
    }
    Ok(())
}

/// Does the BAM's index count no read at all (a header-only file)? Warns
/// when so. (A CRAM index would need a full read to say: not asked.)
fn holds_no_reads(reader: &mut bam::IndexedReader, path: &Path) -> bool {
    let empty = reader.index_stats().is_ok_and(|s| {
        s.iter()
            .all(|&(_, _, mapped, unmapped)| mapped + unmapped == 0)
    });
    if empty {
        log::warn!(
            "{}: the file holds no reads (header only): its sample has no molecules and no calls",
            path.display()
        );
    }
    empty
}

fn open_indexed(path: &Path, reference: &Reference) -> Result<bam::IndexedReader> {
    let mut r = bam::IndexedReader::from_path(path).map_err(|e| {
        Error::bad_input(
            path,
            format!("cannot open as an indexed BAM/CRAM ({e})"),
            "check that it is a BAM or CRAM with a matching index (`samtools index`)",
        )
    })?;
    r.set_reference(&reference.path)
        .map_err(|e| Error::hts(format!("{}: setting the CRAM reference", path.display()), e))?;
    Ok(r)
}

/// The header's sort order against the index. An index can only be built
/// on a coordinate-sorted file, so an `@HD SO:` of `unsorted` or `unknown`
/// (novoalign and others write these on sorted output) is accepted as a
/// missing one is: the index proves the order, and a record that does
/// arrive out of order stops the run at that record. A file that says it
/// is in another order (`queryname`) is refused.
fn check_sort_order(path: &Path, header: &str) -> Result<()> {
    for line in header.lines().filter(|l| l.starts_with("@HD")) {
        for field in line.split('\t') {
            if let Some(so) = field.strip_prefix("SO:") {
                if !matches!(so, "coordinate" | "unsorted" | "unknown") {
                    return Err(Error::bad_input(
                        path,
                        format!("header says SO:{so}; ctdna needs a coordinate-sorted file"),
                        "run `samtools sort` and `samtools index`",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// First `SM:` of an `@RG` line.
pub fn sample_name(header: &str) -> Option<String> {
    header
        .lines()
        .filter(|l| l.starts_with("@RG"))
        .flat_map(|l| l.split('\t'))
        .find_map(|f| f.strip_prefix("SM:"))
        .map(str::to_string)
}

fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    name.strip_suffix(".bam")
        .or_else(|| name.strip_suffix(".cram"))
        .unwrap_or(&name)
        .to_string()
}
