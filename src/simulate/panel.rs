//! Panel targets (`targets.bed`) and variant-free positions (`negatives.bed`).

use super::genome::{write_file, Genome};
use super::params::SimParams;
use crate::rng::Rng;
use crate::{Error, Result};
use std::path::Path;

/// One target interval, 0-based half-open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// Contig index.
    pub tid: usize,
    /// First base (0-based).
    pub start: u64,
    /// One past the last base.
    pub end: u64,
    /// Whether it lies on a duplicated segment (no truth variants there).
    pub paralog: bool,
}

impl Target {
    /// Length in bp.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the interval is empty (never true for placed targets).
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Place `p.targets` non-overlapping targets, sorted by (tid, start). The
/// first `p.paralog_targets` sit inside copy 0 of a duplicated segment; the
/// rest keep clear of duplicated segments and of each other by two maximal
/// fragment lengths, and of contig ends by [`SimParams::edge_margin`].
pub fn place_targets(p: &SimParams, g: &Genome) -> Result<Vec<Target>> {
    let mut rng = Rng::stream(p.seed, "targets", 0);
    let gap = 2 * u64::from(p.frag_max);
    let margin = p.edge_margin();
    let mut out: Vec<Target> = Vec::with_capacity(p.targets);
    let mut blocked: Vec<(usize, u64, u64)> = Vec::new();
    for d in &g.dups {
        for &(tid, s) in &d.copies {
            blocked.push((tid, s.saturating_sub(gap), s + d.len + gap));
        }
    }
    for d in g.dups.iter().take(p.paralog_targets) {
        let len = rng.range(p.target_min_len, p.target_max_len.min(d.len));
        let (tid, s) = d.copies[0];
        let start = s + rng.below(d.len - len + 1);
        out.push(Target {
            tid,
            start,
            end: start + len,
            paralog: true,
        });
    }
    let normal_targets = p.targets - out.len();
    for _ in 0..normal_targets {
        let mut placed = false;
        for _attempt in 0..10_000 {
            let len = rng.range(p.target_min_len, p.target_max_len);
            let tid = rng.below(p.contigs as u64) as usize;
            let start = rng.range(margin, p.contig_len - margin - len);
            let end = start + len;
            let clash = blocked
                .iter()
                .any(|&(t, a, b)| t == tid && start < b && end > a);
            if !clash {
                blocked.push((tid, start.saturating_sub(gap), end + gap));
                out.push(Target {
                    tid,
                    start,
                    end,
                    paralog: false,
                });
                placed = true;
                break;
            }
        }
        if !placed {
            return Err(Error::Usage(format!(
                "ctdna simulate: cannot place {} targets of up to {} bp {} bp apart in {} x {} bp; \
                 use fewer --targets or more/longer contigs",
                p.targets, p.target_max_len, gap, p.contigs, p.contig_len
            )));
        }
    }
    out.sort();
    Ok(out)
}

/// Write intervals as BED (`name` column when `named`).
pub fn write_bed(path: &Path, g: &Genome, ivs: &[(usize, u64, u64)], named: bool) -> Result<()> {
    let mut s = String::new();
    for (i, &(tid, a, b)) in ivs.iter().enumerate() {
        if named {
            s.push_str(&format!(
                "{}\t{a}\t{b}\ttarget_{}\n",
                g.contigs[tid].name,
                i + 1
            ));
        } else {
            s.push_str(&format!("{}\t{a}\t{b}\n", g.contigs[tid].name));
        }
    }
    write_file(path, s.as_bytes())
}

/// Target positions with no truth variant: each target minus every
/// variant's reference span widened by `pad` bases on each side.
/// `spans` are 0-based half-open (tid, start, end), any order.
pub fn negatives(
    targets: &[Target],
    spans: &[(usize, u64, u64)],
    pad: u64,
) -> Vec<(usize, u64, u64)> {
    let mut out = Vec::new();
    for t in targets {
        let mut cuts: Vec<(u64, u64)> = spans
            .iter()
            .filter(|s| s.0 == t.tid)
            .map(|s| (s.1.saturating_sub(pad), s.2 + pad))
            .filter(|&(a, b)| a < t.end && b > t.start)
            .collect();
        cuts.sort();
        let mut cur = t.start;
        for (a, b) in cuts {
            if a > cur {
                out.push((t.tid, cur, a.min(t.end)));
            }
            cur = cur.max(b);
        }
        if cur < t.end {
            out.push((t.tid, cur, t.end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_sorted_apart_and_inside() {
        let p = SimParams::default();
        let g = Genome::generate(&p).unwrap();
        let t = place_targets(&p, &g).unwrap();
        assert_eq!(t.len(), p.targets);
        assert_eq!(t.iter().filter(|x| x.paralog).count(), 1);
        for w in t.windows(2) {
            assert!(w[0] < w[1]);
            if w[0].tid == w[1].tid {
                assert!(w[0].end <= w[1].start);
            }
        }
        for x in &t {
            assert!(x.start >= p.edge_margin() && x.end + p.edge_margin() <= p.contig_len);
            assert!((p.target_min_len..=p.target_max_len).contains(&x.len()));
        }
    }

    #[test]
    fn negatives_cut_out_variant_spans() {
        let t = [Target {
            tid: 0,
            start: 100,
            end: 200,
            paralog: false,
        }];
        let n = negatives(&t, &[(0, 120, 121), (0, 150, 153), (1, 130, 131)], 1);
        assert_eq!(n, vec![(0, 100, 119), (0, 122, 149), (0, 154, 200)]);
    }
}
