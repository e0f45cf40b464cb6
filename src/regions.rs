//! Panel BED → merged targets → shards (the units of parallel work),
//! batches of shards read with one fetch, and `--shard I/N` chunks of the
//! panel. Known loci are read in [`crate::loci`], which hands its targets
//! here to be merged with the panel's.
//!
//! Coordinates here are 0-based half-open, like BED and BAM fetch.

use crate::reference::Reference;
use crate::{Error, Result};
use std::path::Path;

/// A merged target interval on one reference contig.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// Index of the contig in the reference `.fai`.
    pub rid: usize,
    pub contig: String,
    pub start: u64,
    pub end: u64,
}

impl Target {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// A unit of work: a piece of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Index into the target list this shard belongs to.
    pub target: usize,
    pub rid: usize,
    pub start: u64,
    pub end: u64,
}

/// One interval of a BED file, with its 1-based line for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BedInterval {
    pub contig: String,
    pub start: u64,
    pub end: u64,
    pub line: usize,
}

/// The intervals of a BED file (BED3+), in file order. Header, `track`,
/// `browser` and `#` lines are skipped; anything else that is not
/// `contig<TAB>start<TAB>end` with `start < end` is an error naming the
/// line.
pub fn read_bed_intervals(path: &Path) -> Result<Vec<BedInterval>> {
    if !path.exists() {
        return Err(Error::bad_input(
            path,
            "panel BED not found",
            "check the --targets path (a BED file of contig, 0-based start, end)",
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    crate::text::for_each_line(path, std::io::BufReader::new(file), |line_no, line| {
        let bad = |msg: String| bad_line(path, line_no, msg);
        let trimmed = line.trim_end();
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with("track")
            || trimmed.starts_with("browser")
        {
            return Ok(());
        }
        let fields: Vec<&str> = trimmed.split('\t').collect();
        if fields.len() < 3 {
            return Err(bad(format!(
                "expected at least 3 tab-separated fields (contig, start, end), found {}",
                fields.len()
            )));
        }
        let start: u64 = fields[1].parse().map_err(|_| {
            bad(format!(
                "start '{}' is not a non-negative integer",
                fields[1]
            ))
        })?;
        let end: u64 = fields[2]
            .parse()
            .map_err(|_| bad(format!("end '{}' is not a non-negative integer", fields[2])))?;
        if end <= start {
            return Err(bad(format!(
                "end {end} is not after start {start} (BED is 0-based half-open)"
            )));
        }
        out.push(BedInterval {
            contig: fields[0].to_string(),
            start,
            end,
            line: line_no,
        });
        Ok(())
    })?;
    Ok(out)
}

fn bad_line(path: &Path, line: usize, msg: String) -> Error {
    Error::BadLine {
        path: path.to_path_buf(),
        line,
        msg,
    }
}

/// Read the targets of a panel BED (see [`read_bed_intervals`]). Contigs
/// missing from the reference are an error: the panel was made for another
/// genome.
pub fn read_bed(path: &Path, reference: &Reference) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    for iv in read_bed_intervals(path)? {
        let bad = |msg: String| bad_line(path, iv.line, msg);
        let rid = reference.contig_index(&iv.contig).ok_or_else(|| {
            bad(format!(
                "contig '{}' is not in the reference {} (was the panel made for another genome build?)",
                iv.contig,
                reference.path.display()
            ))
        })?;
        let clen = reference.contigs[rid].len;
        if iv.end > clen {
            return Err(bad(format!(
                "end {} is past the end of contig '{}' (length {clen})",
                iv.end, iv.contig
            )));
        }
        out.push(Target {
            rid,
            contig: iv.contig,
            start: iv.start,
            end: iv.end,
        });
    }
    if out.is_empty() {
        return Err(Error::bad_input(
            path,
            "the BED holds no intervals",
            "give a panel BED with at least one contig<TAB>start<TAB>end line",
        ));
    }
    Ok(out)
}

/// Sort by reference order and merge overlapping or adjacent intervals.
pub fn merge(mut targets: Vec<Target>) -> Vec<Target> {
    targets.sort_by_key(|t| (t.rid, t.start, t.end));
    let mut out: Vec<Target> = Vec::with_capacity(targets.len());
    for t in targets {
        match out.last_mut() {
            Some(last) if last.rid == t.rid && t.start <= last.end => {
                last.end = last.end.max(t.end);
            }
            _ => out.push(t),
        }
    }
    out
}

/// Cut merged targets into shards of at most `max_len` bases, in order.
pub fn shards(targets: &[Target], max_len: u64) -> Vec<Shard> {
    let max_len = max_len.max(1);
    let mut out = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let mut start = t.start;
        while start < t.end {
            let end = (start + max_len).min(t.end);
            out.push(Shard {
                target: i,
                rid: t.rid,
                start,
                end,
            });
            start = end;
        }
    }
    out
}

/// Parse `I/N` (1-based chunk I of N).
pub fn parse_chunk(spec: &str) -> Result<(usize, usize)> {
    let bad = || {
        Error::Usage(format!(
            "--shard '{spec}' must be I/N with 1 <= I <= N, e.g. 3/8"
        ))
    };
    let (i, n) = spec.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Chunk `i` of `n` (1-based) of merged targets: whole targets, in order, a
/// target going to the chunk its first base falls in when the panel's bases
/// are cut into `n` equal parts. Depends only on the targets, so every
/// chunk of a scatter agrees on the cut.
pub fn chunk(targets: &[Target], i: usize, n: usize) -> Vec<Target> {
    let total: u64 = targets.iter().map(Target::len).sum::<u64>().max(1);
    let mut before = 0u64;
    let mut out = Vec::new();
    for t in targets {
        let c = (u128::from(before) * n as u128 / u128::from(total)) as usize + 1;
        if c == i {
            out.push(t.clone());
        }
        before += t.len();
    }
    out
}

/// Gap (bases) below which neighbouring shards are read with one fetch: the
/// BAM index's linear bins are 16 kb, so closer targets share BGZF blocks.
pub const BATCH_GAP: u64 = 16_384;

/// Group consecutive shards into batches read with one fetch each: same
/// contig, gaps of at most [`BATCH_GAP`], and at most 1/16 per thread of
/// the panel's bases (and [`MAX_SHARD`]): every worker gets many batches, so the last one to
/// finish leaves the other cores idle only briefly (with 4 per thread the
/// tail cost ~15% of the wall time at 2 threads). A batch boundary costs
/// only the reads that straddle it, decoded twice.
/// Returns index ranges into `shards`, in order.
pub fn batches(shards: &[Shard], threads: usize) -> Vec<std::ops::Range<usize>> {
    let total: u64 = shards.iter().map(|s| s.end - s.start).sum();
    let max_bases = (total / (threads.max(1) as u64 * 16)).clamp(1, MAX_SHARD);
    let mut out = Vec::new();
    let mut begin = 0;
    let mut bases = 0u64;
    for (i, s) in shards.iter().enumerate() {
        if i > begin {
            let prev = &shards[i - 1];
            if prev.rid != s.rid
                || s.start - prev.end > BATCH_GAP
                || bases + (s.end - s.start) > max_bases
            {
                out.push(begin..i);
                begin = i;
                bases = 0;
            }
        }
        bases += s.end - s.start;
    }
    if begin < shards.len() {
        out.push(begin..shards.len());
    }
    out
}

/// Most bases a shard, and a batch of shards read with one fetch, hold:
/// a worker's counts of one batch are in memory until its digest is taken
/// (~300 bytes a position and sample), so a panel of any size runs in the
/// memory of a few of these per thread; a 20 Mb panel then fetches ~600
/// times, which costs nothing next to decoding its reads.
pub const MAX_SHARD: u64 = 32_768;

/// Shard size that gives every worker several shards but keeps reader
/// re-seeks rare: about 8 shards per thread, between 2 kb and
/// [`MAX_SHARD`].
pub fn shard_size(targets: &[Target], threads: usize) -> u64 {
    let total: u64 = targets.iter().map(Target::len).sum();
    (total / (threads as u64 * 8).max(1)).clamp(2_000, MAX_SHARD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Contig;
    use std::io::Write;

    fn reference() -> Reference {
        Reference {
            path: "ref.fa".into(),
            contigs: vec![
                Contig {
                    name: "chr1".into(),
                    len: 1000,
                },
                Contig {
                    name: "chr2".into(),
                    len: 500,
                },
            ],
        }
    }

    fn bed(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.bed");
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        (dir, p)
    }

    #[test]
    fn merges_overlapping_and_adjacent_in_reference_order() {
        let (_d, p) = bed("track name=x\n# c\nchr2\t10\t20\nchr1\t50\t60\tname\nchr1\t0\t50\nchr1\t55\t70\nchr1\t80\t90\n");
        let t = merge(read_bed(&p, &reference()).unwrap());
        let got: Vec<_> = t
            .iter()
            .map(|t| (t.contig.as_str(), t.start, t.end))
            .collect();
        assert_eq!(
            got,
            vec![("chr1", 0, 70), ("chr1", 80, 90), ("chr2", 10, 20)]
        );
    }

    #[test]
    fn bad_lines_name_the_line() {
        let (_d, p) = bed("chr1\t0\t10\nchr1\tx\t10\n");
        let e = read_bed(&p, &reference()).unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("'x'"), "{e}");
        let (_d, p) = bed("chr1\t10\t10\n");
        assert!(read_bed(&p, &reference()).is_err());
        let (_d, p) = bed("chrX\t1\t10\n");
        let e = read_bed(&p, &reference()).unwrap_err().to_string();
        assert!(e.contains("chrX"), "{e}");
        let (_d, p) = bed("chr2\t1\t600\n");
        assert!(read_bed(&p, &reference()).is_err());
    }

    #[test]
    fn empty_bed_is_an_error() {
        let (_d, p) = bed("# only a comment\n");
        assert_eq!(read_bed(&p, &reference()).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn chunks_partition_the_targets_in_order() {
        let targets: Vec<Target> = (0..10)
            .map(|i| Target {
                rid: 0,
                contig: "chr1".into(),
                start: i * 100,
                end: i * 100 + 10 + i * 7,
            })
            .collect();
        for n in 1..=12 {
            let all: Vec<Target> = (1..=n).flat_map(|i| chunk(&targets, i, n)).collect();
            assert_eq!(all, targets, "n = {n}");
        }
        assert_eq!(parse_chunk("2/8").unwrap(), (2, 8));
        for bad in ["0/3", "4/3", "x/2", "3", "1/0"] {
            assert!(parse_chunk(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn batches_group_near_shards_of_one_contig_in_order() {
        let sh = |rid, start, end| Shard {
            target: 0,
            rid,
            start,
            end,
        };
        let shards = vec![
            sh(0, 0, 10),
            sh(0, 20, 30),
            sh(0, 50_000, 50_010),
            sh(1, 0, 10),
            sh(1, 10, 20),
            sh(2, 0, 1000),
        ];
        // One thread: at most 1050 / 16 bases per batch; split at the gap and
        // at contig changes.
        assert_eq!(batches(&shards, 1), vec![0..2, 2..3, 3..5, 5..6]);
        // Many threads: batches small enough to share out, still in order.
        let b = batches(&shards, 8);
        assert_eq!(b.iter().map(|r| r.len()).sum::<usize>(), shards.len());
        assert!(b.windows(2).all(|w| w[0].end == w[1].start));
        assert!(b.len() >= 4);
    }

    #[test]
    fn shards_cover_every_target_base_exactly_once() {
        let targets = vec![
            Target {
                rid: 0,
                contig: "chr1".into(),
                start: 3,
                end: 1000,
            },
            Target {
                rid: 1,
                contig: "chr2".into(),
                start: 0,
                end: 7,
            },
        ];
        for size in [1, 2, 7, 100, 997, 5000] {
            let s = shards(&targets, size);
            let mut covered = 0;
            for (i, t) in targets.iter().enumerate() {
                let mut next = t.start;
                for sh in s.iter().filter(|s| s.target == i) {
                    assert_eq!(sh.start, next);
                    assert!(sh.end - sh.start <= size);
                    next = sh.end;
                    covered += sh.end - sh.start;
                }
                assert_eq!(next, t.end);
            }
            assert_eq!(covered, 997 + 7);
        }
    }
}
