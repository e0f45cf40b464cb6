//! The indexed reference FASTA: contig names and lengths from the `.fai`,
//! and sequence windows fetched once per shard.

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
}
