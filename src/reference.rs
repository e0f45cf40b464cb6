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
        let contigs = parse_fai(&fai)?;
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

fn fai_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".fai");
    PathBuf::from(s)
}

fn parse_fai(fai: &Path) -> Result<Vec<Contig>> {
    let text = std::fs::read_to_string(fai).map_err(|e| Error::io(fai, e))?;
    let mut contigs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split('\t');
        let name = fields.next().unwrap_or_default();
        let len = fields.next().and_then(|l| l.parse::<u64>().ok());
        match len {
            Some(len) if !name.is_empty() => contigs.push(Contig {
                name: name.to_string(),
                len,
            }),
            _ => return Err(Error::BadLine {
                path: fai.to_path_buf(),
                line: i + 1,
                msg:
                    "not a FASTA index line (name<TAB>length...); rebuild it with `samtools faidx`"
                        .into(),
            }),
        }
    }
    Ok(contigs)
}

/// A window of reference sequence, upper-cased, with its 0-based start.
#[derive(Debug, Clone, Default)]
pub struct RefWindow {
    pub start: u64,
    pub seq: Vec<u8>,
}

impl RefWindow {
    /// Fetch `[start, end)` of `contig` (clamped to the contig). One fetch per
    /// shard: rust-htslib 0.46 leaks each fetched buffer.
    pub fn fetch(reader: &faidx::Reader, contig: &Contig, start: u64, end: u64) -> Result<Self> {
        let end = end.min(contig.len);
        if end <= start {
            return Ok(RefWindow {
                start,
                seq: Vec::new(),
            });
        }
        let seq = reader
            .fetch_seq(&contig.name, start as usize, end as usize - 1)
            .map_err(|e| Error::hts(format!("fetching {}:{}-{}", contig.name, start, end), e))?;
        Ok(RefWindow {
            start,
            seq: seq.to_ascii_uppercase(),
        })
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
    use crate::testing::window;

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
