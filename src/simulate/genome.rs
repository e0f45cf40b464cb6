//! Synthetic reference: random background at a chosen GC fraction, planted
//! homopolymers and short tandem repeats, and near-duplicate segment pairs.

use super::params::SimParams;
use crate::rng::Rng;
use crate::{Error, Result};
use std::io::Write;
use std::path::Path;

/// One contig of the synthetic reference (upper-case ACGT only).
#[derive(Debug, Clone)]
pub struct Contig {
    /// Name as written to the FASTA (`chr1`, ...).
    pub name: String,
    /// Sequence, upper-case ACGT.
    pub seq: Vec<u8>,
}

/// A pair of near-identical segments (`copies[0]` was copied to `copies[1]`
/// with substitutions at the divergence rate). Coordinates are 0-based starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DupSegment {
    /// (tid, start) of the two copies.
    pub copies: [(usize, u64); 2],
    /// Length of each copy.
    pub len: u64,
}

impl DupSegment {
    /// Which copy (0 or 1) contains `[start, end)` on `tid`, if one does entirely.
    pub fn copy_containing(&self, tid: usize, start: u64, end: u64) -> Option<usize> {
        (0..2).find(|&c| {
            let (t, s) = self.copies[c];
            t == tid && start >= s && end <= s + self.len
        })
    }

    /// Which copy overlaps `[start, end)` on `tid`, if any.
    pub fn copy_overlapping(&self, tid: usize, start: u64, end: u64) -> Option<usize> {
        (0..2).find(|&c| {
            let (t, s) = self.copies[c];
            t == tid && start < s + self.len && end > s
        })
    }
}

/// The reference genome plus the features the read simulator needs to know.
#[derive(Debug, Clone)]
pub struct Genome {
    /// Contigs in output order (tid = index).
    pub contigs: Vec<Contig>,
    /// Near-duplicate segment pairs.
    pub dups: Vec<DupSegment>,
}

const BASES: [u8; 4] = *b"ACGT";

/// A random base with P(G) = P(C) = gc / 2.
fn random_base(rng: &mut Rng, gc: f64) -> u8 {
    let at = (1.0 - gc) / 2.0;
    let g = gc / 2.0;
    BASES[rng.categorical(&[at, g, g, at])]
}

/// A base different from `b`.
pub fn other_base(rng: &mut Rng, b: u8) -> u8 {
    let choices: Vec<u8> = BASES.iter().copied().filter(|&x| x != b).collect();
    choices[rng.below(3) as usize]
}

fn overlaps(used: &[(usize, u64, u64)], tid: usize, s: u64, e: u64) -> bool {
    used.iter().any(|&(t, a, b)| t == tid && s < b && e > a)
}

impl Genome {
    /// Build the genome for `p` (deterministic in `p.seed`).
    pub fn generate(p: &SimParams) -> Result<Genome> {
        let mut rng = Rng::stream(p.seed, "genome", 0);
        let mut contigs = Vec::with_capacity(p.contigs);
        for i in 0..p.contigs {
            let mut seq: Vec<u8> = (0..p.contig_len)
                .map(|_| random_base(&mut rng, p.gc))
                .collect();
            plant_repeats(&mut rng, &mut seq, p.gc);
            contigs.push(Contig {
                name: format!("chr{}", i + 1),
                seq,
            });
        }
        let mut dups = Vec::new();
        let mut used: Vec<(usize, u64, u64)> = Vec::new();
        let margin = p.edge_margin();
        for _ in 0..p.dup_segments {
            let mut placed = None;
            for _attempt in 0..1000 {
                let mut pick = || {
                    let tid = rng.below(p.contigs as u64) as usize;
                    let start = rng.range(margin, p.contig_len - margin - p.dup_len);
                    (tid, start)
                };
                let a = pick();
                let b = pick();
                let pad = u64::from(p.frag_max);
                let fits = |x: (usize, u64), used: &[(usize, u64, u64)]| {
                    !overlaps(used, x.0, x.1.saturating_sub(pad), x.1 + p.dup_len + pad)
                };
                let apart = a.0 != b.0 || a.1.abs_diff(b.1) > p.dup_len + pad;
                if apart && fits(a, &used) && fits(b, &used) {
                    placed = Some((a, b));
                    break;
                }
            }
            let Some((a, b)) = placed else {
                return Err(Error::Usage(format!(
                    "ctdna simulate: cannot place {} duplicated segments of {} bp; \
                     use fewer --dup-segments or longer contigs",
                    p.dup_segments, p.dup_len
                )));
            };
            let len = p.dup_len as usize;
            let src: Vec<u8> = contigs[a.0].seq[a.1 as usize..a.1 as usize + len].to_vec();
            let dst = &mut contigs[b.0].seq[b.1 as usize..b.1 as usize + len];
            for (d, s) in dst.iter_mut().zip(&src) {
                *d = if rng.bernoulli(p.dup_divergence) {
                    other_base(&mut rng, *s)
                } else {
                    *s
                };
            }
            used.push((a.0, a.1, a.1 + p.dup_len));
            used.push((b.0, b.1, b.1 + p.dup_len));
            dups.push(DupSegment {
                copies: [a, b],
                len: p.dup_len,
            });
        }
        Ok(Genome { contigs, dups })
    }

    /// The duplicated segment and copy that overlap `[start, end)`, if any.
    pub fn dup_overlapping(&self, tid: usize, start: u64, end: u64) -> Option<(usize, usize)> {
        self.dups
            .iter()
            .enumerate()
            .find_map(|(i, d)| d.copy_overlapping(tid, start, end).map(|c| (i, c)))
    }

    /// Number of positions in `[start, end)` (inside a duplicated segment
    /// copy) where the two copies differ: how well a read there is anchored.
    pub fn paralog_differences(&self, dup: usize, copy: usize, start: u64, end: u64) -> u32 {
        let d = &self.dups[dup];
        let (t, s) = d.copies[copy];
        let (ot, os) = d.copies[1 - copy];
        let lo = start.max(s);
        let hi = end.min(s + d.len);
        (lo..hi)
            .filter(|&x| {
                self.contigs[t].seq[x as usize] != self.contigs[ot].seq[(x - s + os) as usize]
            })
            .count() as u32
    }

    /// Write `ref.fa` (60 bases a line) and its `.fai` index.
    pub fn write_fasta(&self, path: &Path) -> Result<()> {
        let mut fa = Vec::new();
        let mut fai = String::new();
        for c in &self.contigs {
            fa.extend_from_slice(format!(">{}\n", c.name).as_bytes());
            let offset = fa.len();
            for line in c.seq.chunks(60) {
                fa.extend_from_slice(line);
                fa.push(b'\n');
            }
            fai.push_str(&format!(
                "{}\t{}\t{}\t60\t61\n",
                c.name,
                c.seq.len(),
                offset
            ));
        }
        write_file(path, &fa)?;
        let mut fai_path = path.as_os_str().to_owned();
        fai_path.push(".fai");
        write_file(Path::new(&fai_path), fai.as_bytes())
    }
}

/// Plant homopolymers (5-12 bp, about one per 700 bp) and short tandem
/// repeats (2-4 bp units, 4-10 copies, about one per 1500 bp) in place.
fn plant_repeats(rng: &mut Rng, seq: &mut [u8], gc: f64) {
    let n = seq.len() as u64;
    let mut pos = rng.below(700);
    while pos + 40 < n {
        let b = random_base(rng, gc);
        let len = rng.range(5, 12);
        for x in seq.iter_mut().skip(pos as usize).take(len as usize) {
            *x = b;
        }
        pos += len + 200 + rng.below(1000);
    }
    let mut pos = rng.below(1500);
    while pos + 60 < n {
        let unit_len = rng.range(2, 4) as usize;
        let mut unit: Vec<u8> = (0..unit_len).map(|_| random_base(rng, gc)).collect();
        if unit.iter().all(|&b| b == unit[0]) {
            unit[1] = other_base(rng, unit[0]);
        }
        let copies = rng.range(4, 10) as usize;
        for (k, x) in seq
            .iter_mut()
            .skip(pos as usize)
            .take(unit_len * copies)
            .enumerate()
        {
            *x = unit[k % unit_len];
        }
        pos += (unit_len * copies) as u64 + 500 + rng.below(2000);
    }
}

/// Write a whole file, mapping errors to [`Error::Io`] with the path.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genome_has_gc_homopolymers_and_paralogs() {
        let p = SimParams::default();
        let g = Genome::generate(&p).unwrap();
        assert_eq!(g.contigs.len(), 3);
        let all: Vec<u8> = g.contigs.iter().flat_map(|c| c.seq.clone()).collect();
        let gc = all.iter().filter(|&&b| b == b'G' || b == b'C').count() as f64 / all.len() as f64;
        assert!((gc - 0.41).abs() < 0.02, "gc {gc}");
        let mut longest = 0;
        let mut run = 0;
        for w in all.windows(2) {
            run = if w[0] == w[1] { run + 1 } else { 0 };
            longest = longest.max(run + 1);
        }
        assert!(longest >= 10, "longest homopolymer {longest}");
        assert_eq!(g.dups.len(), 3);
        for (i, d) in g.dups.iter().enumerate() {
            let diffs = g.paralog_differences(i, 0, 0, u64::MAX);
            let rate = f64::from(diffs) / d.len as f64;
            assert!(rate > 0.005 && rate < 0.03, "divergence {rate}");
        }
        let again = Genome::generate(&p).unwrap();
        assert_eq!(again.contigs[2].seq, g.contigs[2].seq);
    }
}
