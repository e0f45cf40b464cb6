//! One sample's depth and LoD summaries (per merged target and over the
//! panel), built as the per-shard tracks arrive in panel order, in memory
//! that does not grow with the panel.
//!
//! METHOD: depths are integers: each target's and the panel's are kept as
//! counts per depth value (at most the largest depth's entries), which give
//! the mean, median, minimum and shares exactly. LoDs are reals, nearly all
//! distinct: they are written to a [`Spill`] in panel order, and each
//! quantile is selected from it exactly: a segment of at most
//! [`IN_MEMORY`] values is read back and sorted; a longer one is searched
//! 16 bits of the value at a time (a count per 16-bit digit of the values
//! that share the digits found so far: four reads of the segment), which
//! finds the value of the wanted rank exactly.

use crate::calling::lod::LodTrack;
use crate::spill::{Block, Spill};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::ops::Range;

/// Longest segment of LoDs whose quantiles are taken by sorting it in
/// memory (8 MB).
pub const IN_MEMORY: u64 = 1 << 20;

/// Positions per depth value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DepthCounts(pub BTreeMap<u32, u64>);

impl DepthCounts {
    pub fn of(depths: &[u32]) -> Self {
        let mut c = DepthCounts::default();
        c.add(depths);
        c
    }

    fn add(&mut self, depths: &[u32]) {
        for &d in depths {
            *self.0.entry(d).or_default() += 1;
        }
    }

    fn merge(&mut self, o: &DepthCounts) {
        for (&d, &n) in &o.0 {
            *self.0.entry(d).or_default() += n;
        }
    }

    /// Positions counted.
    pub fn len(&self) -> u64 {
        self.0.values().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The depth of rank `r` (0-based) in ascending order.
    pub fn at_rank(&self, r: u64) -> u32 {
        let mut seen = 0;
        for (&d, &n) in &self.0 {
            seen += n;
            if seen > r {
                return d;
            }
        }
        0
    }
}

/// One merged target's positions: their depths and where their LoDs are.
#[derive(Debug, Clone)]
pub struct TargetPart {
    pub target: usize,
    pub depths: DepthCounts,
    /// Indices into the summary's blocks.
    blocks: Range<usize>,
    values: u64,
}

/// The summaries of one sample in progress.
#[derive(Debug)]
pub struct TrackSummary {
    lods: Spill,
    /// One block of LoDs per track, with its number of values.
    blocks: Vec<(Block, u64)>,
    /// Targets in panel order (each one's tracks are consecutive).
    pub targets: Vec<TargetPart>,
    pub all: DepthCounts,
}

impl TrackSummary {
    pub fn new() -> Result<Self> {
        Ok(TrackSummary {
            lods: Spill::new()?,
            blocks: Vec::new(),
            targets: Vec::new(),
            all: DepthCounts::default(),
        })
    }

    /// Add the next track (panel order).
    pub fn push(&mut self, t: &LodTrack) -> Result<()> {
        let bytes: Vec<u8> = t.lods.iter().flat_map(|l| l.to_le_bytes()).collect();
        self.blocks
            .push((self.lods.put(&bytes)?, t.lods.len() as u64));
        let b = self.blocks.len();
        let depths = DepthCounts::of(&t.depths);
        self.all.merge(&depths);
        match self.targets.last_mut() {
            Some(p) if p.target == t.target => {
                p.depths.merge(&depths);
                p.blocks.end = b;
                p.values += t.lods.len() as u64;
            }
            _ => self.targets.push(TargetPart {
                target: t.target,
                depths,
                blocks: b - 1..b,
                values: t.lods.len() as u64,
            }),
        }
        Ok(())
    }

    /// The `q` quantiles (each the value at rank `round((n - 1) q)` in
    /// ascending order, NaN when empty) of one target's LoDs (`Some(i)`,
    /// an index into [`TrackSummary::targets`]) or of the panel's.
    pub fn lod_quantiles(&self, target: Option<usize>, qs: &[f64]) -> Result<Vec<f64>> {
        let (blocks, n) = match target {
            Some(i) => (self.targets[i].blocks.clone(), self.targets[i].values),
            None => (0..self.blocks.len(), self.all.len()),
        };
        if n == 0 {
            return Ok(vec![f64::NAN; qs.len()]);
        }
        let rank = |q: f64| ((n - 1) as f64 * q).round() as u64;
        if n <= IN_MEMORY {
            let mut v = Vec::with_capacity(n as usize);
            self.each_value(blocks, |x| v.push(x))?;
            v.sort_by(f64::total_cmp);
            return Ok(qs.iter().map(|&q| v[rank(q) as usize]).collect());
        }
        qs.iter()
            .map(|&q| self.select(blocks.clone(), rank(q)))
            .collect()
    }

    fn each_value(&self, blocks: Range<usize>, mut f: impl FnMut(f64)) -> Result<()> {
        for &(b, _) in &self.blocks[blocks] {
            let bytes = self.lods.get(b)?;
            for c in bytes.chunks_exact(8) {
                // Invariant: chunks_exact gives 8 bytes.
                f(f64::from_le_bytes(c.try_into().expect("8 bytes")));
            }
        }
        Ok(())
    }

    /// The value of rank `rank` among the blocks' values, 16 bits at a time.
    fn select(&self, blocks: Range<usize>, mut rank: u64) -> Result<f64> {
        let (mut prefix, mut known) = (0u64, 0u32);
        while known < 64 {
            let mut counts = vec![0u64; 1 << 16];
            self.each_value(blocks.clone(), |x| {
                let k = order_key(x);
                if known == 0 || k >> (64 - known) == prefix {
                    counts[((k >> (48 - known)) & 0xffff) as usize] += 1;
                }
            })?;
            let mut digit = None;
            for (d, &c) in counts.iter().enumerate() {
                if rank < c {
                    digit = Some(d as u64);
                    break;
                }
                rank -= c;
            }
            let d = digit
                .ok_or_else(|| Error::Runtime("a temporary file changed under the run".into()))?;
            prefix = (prefix << 16) | d;
            known += 16;
        }
        Ok(from_order_key(prefix))
    }
}

/// A key whose unsigned order is `f64::total_cmp`'s.
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(target: usize, lods: Vec<f64>) -> LodTrack {
        LodTrack {
            rid: 0,
            start: 0,
            target,
            depths: lods.iter().map(|l| (1.0 / l) as u32).collect(),
            lods,
        }
    }

    /// The radix search finds what sorting finds, ties and all.
    #[test]
    fn quantiles_are_exact_by_either_road() {
        let mut rng = crate::rng::Rng::new(3);
        let mut s = TrackSummary::new().unwrap();
        let mut all = Vec::new();
        for t in 0..3 {
            for _ in 0..4 {
                let lods: Vec<f64> = (0..500)
                    .map(|_| match rng.below(4) {
                        0 => 1.0,
                        _ => 1e-4 * (1.0 + rng.uniform()),
                    })
                    .collect();
                all.extend_from_slice(&lods);
                s.push(&track(t, lods)).unwrap();
            }
        }
        assert_eq!(s.targets.len(), 3);
        let mut sorted = all.clone();
        sorted.sort_by(f64::total_cmp);
        let qs = [0.0, 0.5, 0.9, 1.0];
        let by_sort = s.lod_quantiles(None, &qs).unwrap();
        for (q, v) in qs.iter().zip(&by_sort) {
            let want = sorted[((sorted.len() - 1) as f64 * q).round() as usize];
            assert_eq!(*v, want);
            let r = ((all.len() - 1) as f64 * q).round() as u64;
            assert_eq!(s.select(0..s.blocks.len(), r).unwrap(), want);
        }
        // One target: its own values only.
        let first = &all[..2000];
        let mut f = first.to_vec();
        f.sort_by(f64::total_cmp);
        assert_eq!(s.lod_quantiles(Some(0), &[0.5]).unwrap(), vec![f[1000]]);
        assert_eq!(s.all.len(), 6000);
        assert!(s.lod_quantiles(None, &[]).unwrap().is_empty());
    }

    #[test]
    fn the_order_key_sorts_as_total_cmp() {
        let xs = [-1.5, -0.0, 0.0, 1e-300, 1e-4, 0.5, 1.0, f64::INFINITY];
        for w in xs.windows(2) {
            assert!(order_key(w[0]) < order_key(w[1]), "{w:?}");
            assert_eq!(from_order_key(order_key(w[0])).to_bits(), w[0].to_bits());
        }
    }
}
