//! The indexed reference FASTA: contig names and lengths from the `.fai`,
//! sequence windows fetched once per shard, and left alignment of indels
//! in a window (used by the evidence CIGAR walk and by known-locus
//! normalisation alike, so both put an indel at one anchor).

use crate::{Error, Result};
use rust_htslib::faidx;
use std::path::{Path, PathBuf};

/// One reference contig, in `.fai` order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contig {
    pub name: String,
    pub len: u64,
}

/// Contig dictionary of an indexed FASTA.
#[derive(Debug, Clone)]
pub struct Reference {
    pub path: PathBuf,
    pub contigs: Vec<Contig>,
}

impl Reference {
    /// Open `path`, building `path.fai` when it is missing (htslib does this
    /// if the folder is writable).
    pub fn open(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Err(Error::bad_input(
                path,
                "reference FASTA not found",
                "give an existing FASTA with --reference",
            ));
        }
        refuse_byte_order_mark(path)?;
        let fai = fai_path(path);
        if !fai.exists() {
            faidx::Reader::from_path(path).map_err(|_| {
                Error::bad_input(
                    path,
                    "no .fai index and it could not be built here",
                    "run `samtools faidx` on it, or make its folder writable",
                )
            })?;
            if !fai.exists() {
                return Err(Error::bad_input(
                    path,
                    "no .fai index and it could not be built here",
                    "run `samtools faidx` on it, or make its folder writable",
                ));
            }
        }
        check_fai_fresh(path, &fai)?;
        let entries = parse_fai(&fai)?;
        check_fai_offsets(path, &fai, &entries)?;
        let contigs = entries.into_iter().map(|e| e.contig).collect();
        Ok(Reference {
            path: path.to_path_buf(),
            contigs,
        })
    }

    /// Index of a contig by name.
    pub fn contig_index(&self, name: &str) -> Option<usize> {
        self.contigs.iter().position(|c| c.name == name)
    }

    /// A reader for fetching sequence (one per worker thread).
    pub fn reader(&self) -> Result<faidx::Reader> {
        faidx::Reader::from_path(&self.path)
            .map_err(|e| Error::hts(format!("opening {}", self.path.display()), e))
    }
}

/// htslib cannot index a FASTA that starts with a UTF-8 byte order mark
/// (some Windows editors write one), and the mark would otherwise hide in
/// the first contig's name: refused, saying how to remove it.
fn refuse_byte_order_mark(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut head = [0u8; 3];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    if f.read_exact(&mut head).is_ok() && head == *b"\xEF\xBB\xBF" {
        return Err(Error::bad_input(
            path,
            "the FASTA starts with a UTF-8 byte order mark (invisible bytes before the first '>')",
            "remove it (`sed -i '1s/^\\xEF\\xBB\\xBF//' ref.fa`), then `samtools faidx` it",
        ));
    }
    Ok(())
}

fn fai_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".fai");
    PathBuf::from(s)
}

/// One `.fai` line: the contig and where its bases sit in the FASTA.
struct FaiEntry {
    contig: Contig,
    /// Byte offset of the first base; bases per line; bytes per line.
    offset: u64,
    line_bases: u64,
    line_width: u64,
}

fn parse_fai(fai: &Path) -> Result<Vec<FaiEntry>> {
    let text = std::fs::read_to_string(fai).map_err(|e| Error::io(fai, e))?;
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let num = |k: usize| fields.get(k).and_then(|f| f.parse::<u64>().ok());
        match (num(1), num(2), num(3), num(4)) {
            (Some(len), Some(offset), Some(line_bases), Some(line_width))
                if !fields[0].is_empty() && line_bases > 0 && line_width > line_bases =>
            {
                entries.push(FaiEntry {
                    contig: Contig {
                        name: fields[0].to_string(),
                        len,
                    },
                    offset,
                    line_bases,
                    line_width,
                })
            }
            _ => return Err(Error::BadLine {
                path: fai.to_path_buf(),
                line: i + 1,
                msg: "not a FASTA index line (name<TAB>length<TAB>offset<TAB>linebases<TAB>linewidth); rebuild it with `samtools faidx`"
                    .into(),
            }),
        }
    }
    Ok(entries)
}

const REBUILD_FAI: &str = "delete the .fai and rebuild it with `samtools faidx` on the FASTA";

/// An index older than its FASTA may describe another layout: refused
/// (as a stale BAM index is).
fn check_fai_fresh(path: &Path, fai: &Path) -> Result<()> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(data), Some(idx)) = (modified(path), modified(fai)) {
        if idx < data {
            return Err(Error::bad_input(
                path,
                format!(
                    "FASTA index {} is older than the FASTA (stale)",
                    fai.display()
                ),
                REBUILD_FAI,
            ));
        }
    }
    Ok(())
}

/// The `.fai` must point at this FASTA's bases: for each contig, its
/// header line (`>name`) ends just before the offset, the first line
/// break falls where the line width says, and the last base is followed by
/// a line break or the end of the file. A FASTA re-wrapped or edited after
/// indexing fails here instead of giving wrong bases. A few small reads
/// per contig; a bgzip-compressed FASTA (offsets into the uncompressed
/// text) is not checked.
fn check_fai_offsets(path: &Path, fai: &Path, entries: &[FaiEntry]) -> Result<()> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut magic = [0u8; 2];
    if size < 2 || file.read_exact(&mut magic).is_err() || magic == [0x1f, 0x8b] {
        return Ok(());
    }
    for e in entries {
        let bad = |what: String| {
            Error::bad_input(
                path,
                format!(
                    "its index {} does not match the file: contig '{}' {what} (the FASTA was changed or re-wrapped after indexing)",
                    fai.display(),
                    e.contig.name
                ),
                REBUILD_FAI,
            )
        };
        // The name and up to 256 bytes of description are looked at: a
        // few reads per contig, even for assemblies of many scaffolds.
        let window = e.contig.name.len() as u64 + 258;
        let named = header_line_before(&mut file, e.offset, window).is_none_or(|header| {
            header
                .strip_prefix(format!(">{}", e.contig.name).as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
        });
        if !named {
            return Err(bad(format!(
                "starts at byte {} but the line before it is not its header",
                e.offset
            )));
        }
        let eol = |b: Option<u8>| matches!(b, Some(b'\n' | b'\r'));
        if e.contig.len > e.line_bases && !eol(byte_at(&mut file, e.offset + e.line_bases)) {
            return Err(bad(format!(
                "should have {} bases a line, but its first line is not that long",
                e.line_bases
            )));
        }
        if e.contig.len > 0 {
            let last = e.contig.len - 1;
            let at = e.offset + last / e.line_bases * e.line_width + last % e.line_bases;
            let base = byte_at(&mut file, at);
            let after = if at + 1 >= size {
                None
            } else {
                byte_at(&mut file, at + 1)
            };
            if base.is_none_or(|b| b == b'>' || eol(Some(b))) || !(after.is_none() || eol(after)) {
                return Err(bad(format!(
                    "should end at byte {at} after {} bases, but its bases do not end there",
                    e.contig.len
                )));
            }
        }
    }
    Ok(())
}

/// The line that ends just before byte `offset` (without its line break),
/// an empty string when the byte before `offset` is not a line break, and
/// `None` when that line starts more than `window` bytes back (a long
/// description: its name is not checked).
fn header_line_before(file: &mut std::fs::File, offset: u64, window: u64) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let from = offset.saturating_sub(window);
    let mut buf = vec![0u8; (offset - from) as usize];
    if file.seek(SeekFrom::Start(from)).is_err() || file.read_exact(&mut buf).is_err() {
        return Some(String::new());
    }
    if buf.last() != Some(&b'\n') {
        return Some(String::new());
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    let line = match buf.iter().rposition(|&b| b == b'\n') {
        Some(i) => &buf[i + 1..],
        None if from == 0 => &buf[..],
        None => return None,
    };
    Some(String::from_utf8_lossy(line).into_owned())
}

fn byte_at(file: &mut std::fs::File, pos: u64) -> Option<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let mut b = [0u8; 1];
    file.seek(SeekFrom::Start(pos)).ok()?;
    file.read_exact(&mut b).ok()?;
    Some(b[0])
}

/// A window of reference sequence, upper-cased, with its 0-based start.
#[derive(Debug, Clone, Default)]
pub struct RefWindow {
    pub start: u64,
    pub seq: Vec<u8>,
}

impl RefWindow {
    /// Fetch `[start, end)` of `contig` (clamped to the contig).
    #[allow(unsafe_code)]
    pub fn fetch(reader: &faidx::Reader, contig: &Contig, start: u64, end: u64) -> Result<Self> {
        let end = end.min(contig.len);
        if end <= start {
            return Ok(RefWindow {
                start,
                seq: Vec::new(),
            });
        }
        let fetched = reader
            .fetch_seq(&contig.name, start as usize, end as usize - 1)
            .map_err(|e| Error::hts(format!("fetching {}:{}-{}", contig.name, start, end), e))?;
        let seq = fetched.to_ascii_uppercase();
        // rust-htslib 0.46 (pinned: docs/dependencies.md) hands out htslib's
        // malloc'd buffer as a slice and never frees it: every window
        // fetched would stay in memory for the whole run (a panel's worth
        // of reference). The slice starts at that buffer; it is copied above
        // and not used again.
        #[cfg(unix)]
        // SAFETY: `fetched` is the whole NUL-terminated buffer htslib's
        // faidx_fetch_seq64 allocated with malloc for this call; nothing
        // else owns or frees it (rust-htslib 0.46's fetch_seq).
        unsafe {
            libc::free(fetched.as_ptr() as *mut libc::c_void);
        }
        Ok(RefWindow { start, seq })
    }

    /// Base at 0-based `pos`, or `N` outside the window.
    #[inline]
    pub fn base(&self, pos: i64) -> u8 {
        if pos < self.start as i64 {
            return b'N';
        }
        self.seq
            .get((pos - self.start as i64) as usize)
            .copied()
            .unwrap_or(b'N')
    }

    /// The part of this window over `[start, end)` (clamped to the window).
    pub fn slice(&self, start: u64, end: u64) -> RefWindow {
        let from = start.clamp(self.start, self.end());
        let to = end.clamp(from, self.end());
        RefWindow {
            start: from,
            seq: self.seq[(from - self.start) as usize..(to - self.start) as usize].to_vec(),
        }
    }

    /// 0-based end (exclusive) of the window.
    pub fn end(&self) -> u64 {
        self.start + self.seq.len() as u64
    }

    /// Shift a deletion of `len` bases after `anchor` as far left as the
    /// reference allows (VCF normalisation), staying inside the window.
    /// Returns the new anchor.
    pub fn left_align_deletion(&self, mut anchor: i64, len: i64) -> i64 {
        while anchor > self.start as i64 {
            let a = self.base(anchor);
            if a == b'N' || a != self.base(anchor + len) {
                break;
            }
            anchor -= 1;
        }
        anchor
    }

    /// Shift an insertion of `seq` after `anchor` left, rotating `seq` in
    /// place, staying inside the window. Returns the new anchor.
    pub fn left_align_insertion(&self, mut anchor: i64, seq: &mut [u8]) -> i64 {
        while anchor > self.start as i64 && !seq.is_empty() {
            let a = self.base(anchor);
            if a == b'N' || a != seq[seq.len() - 1] {
                break;
            }
            seq.rotate_right(1);
            anchor -= 1;
        }
        anchor
    }
}

#[cfg(test)]
mod tests {
    use super::Reference;
    use crate::testing::window;
    use std::path::Path;
    use std::time::{Duration, SystemTime};

    fn wrapped(name_line: &str, seq: &str, width: usize) -> String {
        let mut s = format!(">{name_line}\n");
        for line in seq.as_bytes().chunks(width) {
            s.push_str(std::str::from_utf8(line).unwrap());
            s.push('\n');
        }
        s
    }

    fn set_mtime(p: &Path, t: SystemTime) {
        let f = std::fs::File::options().write(true).open(p).unwrap();
        f.set_modified(t).unwrap();
    }

    /// A two-contig FASTA wrapped at 60 with its `.fai` built by htslib.
    fn indexed(dir: &Path) -> (std::path::PathBuf, String, String) {
        let a = crate::testing::random_sequence(250, 1);
        let b = crate::testing::random_sequence(130, 2);
        let fa = dir.join("ref.fa");
        let text = wrapped("chrA first contig", &a, 60) + &wrapped("chrB", &b, 60);
        std::fs::write(&fa, text).unwrap();
        let r = Reference::open(&fa).unwrap();
        assert_eq!(r.contigs.len(), 2);
        assert_eq!(r.contigs[1].len, 130);
        (fa, a, b)
    }

    fn message(fa: &Path) -> String {
        let e = Reference::open(fa).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        let m = e.to_string();
        assert!(m.contains("samtools faidx"), "{m}");
        m
    }

    #[test]
    fn a_fasta_with_a_byte_order_mark_is_refused_saying_so() {
        let dir = tempfile::tempdir().unwrap();
        let fa = dir.path().join("bom.fa");
        std::fs::write(&fa, b"\xEF\xBB\xBF>chr1\nACGTACGTAC\n").unwrap();
        let e = Reference::open(&fa).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("byte order mark"), "{e}");
    }

    #[test]
    fn long_descriptions_and_crlf_line_breaks_pass_the_index_check() {
        let dir = tempfile::tempdir().unwrap();
        let a = crate::testing::random_sequence(150, 3);
        let text = wrapped("chrA", &a, 70)
            + &wrapped(&format!("chrB {}", "d".repeat(1000)), &a, 50)
            + &wrapped("chrC desc", &a, 60).replace('\n', "\r\n");
        let fa = dir.path().join("ref.fa");
        std::fs::write(&fa, text).unwrap();
        let r = Reference::open(&fa).unwrap();
        assert_eq!(r.contigs.len(), 3);
        // Opened again, with the index htslib built.
        assert_eq!(Reference::open(&fa).unwrap().contigs[2].len, 150);
    }

    #[test]
    fn an_index_older_than_its_fasta_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (fa, _, _) = indexed(dir.path());
        set_mtime(&dir.path().join("ref.fa.fai"), SystemTime::UNIX_EPOCH);
        assert!(message(&fa).contains("older than the FASTA"));
    }

    #[test]
    fn a_fasta_rewrapped_after_indexing_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (fa, a, b) = indexed(dir.path());
        // Re-wrapped at 80: the first contig's header and offset still
        // match, its line length does not.
        std::fs::write(
            &fa,
            wrapped("chrA first contig", &a, 80) + &wrapped("chrB", &b, 80),
        )
        .unwrap();
        set_mtime(
            &dir.path().join("ref.fa.fai"),
            SystemTime::now() + Duration::from_secs(60),
        );
        let m = message(&fa);
        assert!(m.contains("does not match") && m.contains("chrA"), "{m}");
    }

    #[test]
    fn an_index_with_a_wrong_offset_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (fa, _, _) = indexed(dir.path());
        let fai = dir.path().join("ref.fa.fai");
        let text = std::fs::read_to_string(&fai).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut f: Vec<String> = lines[1].split('\t').map(str::to_string).collect();
        f[2] = (f[2].parse::<u64>().unwrap() + 3).to_string();
        lines[1] = f.join("\t");
        std::fs::write(&fai, lines.join("\n") + "\n").unwrap();
        let m = message(&fa);
        assert!(m.contains("chrB"), "{m}");
        // A contig whose bases end elsewhere than the index says.
        let mut f: Vec<String> = text
            .lines()
            .nth(1)
            .unwrap()
            .split('\t')
            .map(str::to_string)
            .collect();
        f[1] = "129".into();
        std::fs::write(
            &fai,
            format!("{}\n{}\n", text.lines().next().unwrap(), f.join("\t")),
        )
        .unwrap();
        assert!(message(&fa).contains("do not end there"));
    }

    #[test]
    fn deletion_in_homopolymer_moves_to_the_base_before_the_run() {
        //              0123456789
        let w = window("GCAAAAATGC", 100);
        // Deleting one A after pos 105 (last A before T) → anchor 101 (the C).
        assert_eq!(w.left_align_deletion(105, 1), 101);
        // A deletion of "AT" after 105 cannot move: base 105 (A) != base 107 (T).
        assert_eq!(w.left_align_deletion(105, 2), 105);
    }

    #[test]
    fn insertion_in_repeat_is_rotated_and_moved_left() {
        let w = window("GCACACATGC", 0);
        // Insert "AC" after pos 5 → leftmost equivalent is "CA" after pos 0.
        let mut s = b"AC".to_vec();
        let a = w.left_align_insertion(5, &mut s);
        assert_eq!(a, 0);
        assert_eq!(&s, b"CA");
        // Cannot shift past the window start.
        let mut s = b"G".to_vec();
        assert_eq!(w.left_align_insertion(0, &mut s), 0);
    }
}
