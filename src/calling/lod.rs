//! Limit of detection: the smallest allele fraction a true variant would
//! need to pass the test with 95% probability (SPEC section 3).
//!
//! METHOD: where the site's molecules are of one class (or share one
//! rate), first the critical alt count `k*`, the smallest `k >= min_alt`
//! with `P(K >= k | n, null) <= alpha` (binomial, or beta-binomial with a
//! panel of normals), found by bisection since the tail falls with `k`; then
//! the smallest VAF `f` with `P(K >= k* | n, f + (1 - f) e) >= 0.95` under
//! the binomial (a true variant's count), by bisection. Where classes of
//! different rates are tested with the weighted statistic `T`
//! ([`crate::model::weighted`]), the same with `T`: the critical score
//! `t*` under the null, then the smallest `f` with `P(T >= t* | f) >= 0.95`,
//! each class's molecules showing the variant with probability
//! `f + (1 - f) e_c` (the site's class mix is in the LoD); and, for the
//! `min_alt` observations the LowAltCount filter asks (a duplex molecule
//! counting twice), at least the VAF at which they are reached with 95%
//! (each condition is met with 95%; the two together with at least 90%). Strand and other filters are not part of it.
//!
//! [`LodInputs::track`] computes the per-position SNV LoD of a sample over
//! one shard once; the bedGraph and the metrics only format it.

use crate::evidence::alleles::{
    base_index, AlleleStats, Alt, ClassCounts, MoleculeClass, N_CLASSES,
};
use crate::evidence::engine::ShardEvidence;
use crate::hash::WordMap;
use crate::model::context::trinucleotide;
use crate::model::stats::ln_binom_sf;
use crate::model::weighted::{first_at_most, ln_compound_poisson_sf, Weighted};
use crate::model::{Background, Null, RateQuery};
use crate::reference::RefWindow;
use crate::regions::Shard;
use crate::spill::{get_varint, put_varint, Block, Spill};
use crate::{Error, Result};

/// Detection probability the LOD is defined at.
pub const POWER: f64 = 0.95;

/// Smallest alt count that passes the count test at rate `e`, or `None`
/// if none can at this depth.
pub fn critical_alt_count(n: u32, null: &Null, e: f64, ln_alpha: f64, min_alt: u32) -> Option<u32> {
    let passes = |k: u64| null.ln_sf_count(k as u32, n, e) <= ln_alpha;
    first_at_most(u64::from(min_alt.max(1)), u64::from(n), passes).map(|k| k as u32)
}

/// The smallest `f` in (0, 1] with `detect(f) >= POWER`, by bisection; 1.0
/// when even `f = 1` is not detected.
fn smallest_detected(detect: impl Fn(f64) -> f64) -> f64 {
    if detect(1.0) < POWER {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if detect(mid) >= POWER {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// [`smallest_detected`] for the weighted test, whose probes cost more:
/// bisection on `ln f` over `[1e-7, 1]`, 26 steps (relative precision
/// 3e-7).
fn smallest_detected_log(detect: impl Fn(f64) -> f64) -> f64 {
    const LOWEST: f64 = 1e-7;
    if detect(1.0) < POWER {
        return 1.0;
    }
    if detect(LOWEST) >= POWER {
        return LOWEST;
    }
    let (mut lo, mut hi) = (LOWEST.ln(), 0.0f64);
    for _ in 0..26 {
        let mid = 0.5 * (lo + hi);
        if detect(mid.exp()) >= POWER {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi.exp()
}

/// Limit of detection (VAF in (0, 1]) at a site with `depth` molecules by
/// class; 1.0 when no VAF can be detected.
pub fn limit_of_detection(depth: &ClassCounts, null: &Null, ln_alpha: f64, min_alt: u32) -> f64 {
    let n: u32 = depth.iter().sum();
    let e = null.mix_rate(depth);
    let Some(k) = critical_alt_count(n, null, e, ln_alpha, min_alt) else {
        return 1.0;
    };
    let by_count = |k: u32| {
        smallest_detected(|f| ln_binom_sf(u64::from(k), u64::from(n), f + (1.0 - f) * e).exp())
    };
    let weighted = null
        .concentration
        .is_none()
        .then(|| Weighted::with_dispersion(&null.rates, &null.dispersion, depth))
        .flatten();
    let Some(w) = weighted else {
        return by_count(k);
    };
    let Some(t) = w.critical_score(ln_alpha) else {
        return 1.0;
    };
    let by_score = smallest_detected_log(|f| w.ln_sf_at(t, f).exp());
    // LowAltCount counts strand observations: a duplex molecule twice.
    let observations = |f: f64| {
        let jumps: Vec<(u32, f64)> = MoleculeClass::ALL
            .iter()
            .map(|&c| {
                let i = c.index();
                let p = f + (1.0 - f) * null.rates[i];
                let twice = u32::from(c == MoleculeClass::Duplex);
                (1 + twice, f64::from(depth[i]) * p)
            })
            .collect();
        ln_compound_poisson_sf(&jumps, u64::from(min_alt)).exp()
    };
    by_score.max(smallest_detected_log(observations))
}

/// One sample's molecule depth and SNV limit of detection at consecutive
/// positions of one shard.
#[derive(Debug, Clone, PartialEq)]
pub struct LodTrack {
    pub rid: usize,
    /// 0-based position of the first value.
    pub start: u64,
    /// Index of the merged target the shard belongs to.
    pub target: usize,
    pub depths: Vec<u32>,
    pub lods: Vec<f64>,
}

/// What the LoD of one shard's positions needs of its evidence, written
/// to a [`Spill`] while counting and read back once the model is fitted:
/// the reference around the shard (each position's context) and, per
/// sample and position, the molecules by class and their base-quality
/// sum (varints: a few bytes a position).
#[derive(Debug, Clone)]
pub struct LodInputs {
    pub shard: Shard,
    samples: usize,
    block: Block,
}

/// [`LodInputs`] read back.
struct LodShard {
    window: RefWindow,
    /// Per sample, per position.
    samples: Vec<Vec<(ClassCounts, u64)>>,
}

impl LodInputs {
    /// Spill the inputs of the first `samples` samples of a counted shard.
    pub fn of(ev: &ShardEvidence, samples: usize, spill: &Spill) -> Result<Self> {
        let (start, end) = (ev.shard.start, ev.shard.end);
        let window = ev.window.slice(start.saturating_sub(1), end + 1);
        let mut bytes = Vec::with_capacity(window.seq.len() * (1 + 6 * samples) + 16);
        put_varint(&mut bytes, window.start);
        put_varint(&mut bytes, window.seq.len() as u64);
        bytes.extend_from_slice(&window.seq);
        for s in &ev.samples[..samples] {
            for pc in &s.counts.positions {
                let all = pc.all_bases();
                for c in all.by_class {
                    put_varint(&mut bytes, u64::from(c));
                }
                put_varint(&mut bytes, all.sum_bq);
            }
        }
        Ok(LodInputs {
            shard: ev.shard.clone(),
            samples,
            block: spill.put(&bytes)?,
        })
    }

    /// How many samples' inputs are kept.
    pub fn samples(&self) -> usize {
        self.samples
    }

    fn load(&self, spill: &Spill) -> Result<LodShard> {
        let bytes = spill.get(self.block)?;
        let corrupt = || Error::Runtime("a temporary file changed under the run".into());
        let mut at = 0;
        let start = get_varint(&bytes, &mut at).ok_or_else(corrupt)?;
        let len = get_varint(&bytes, &mut at).ok_or_else(corrupt)? as usize;
        let seq = bytes.get(at..at + len).ok_or_else(corrupt)?.to_vec();
        at += len;
        let n = (self.shard.end - self.shard.start) as usize;
        let mut samples = Vec::with_capacity(self.samples);
        for _ in 0..self.samples {
            let mut at_sample = Vec::with_capacity(n);
            for _ in 0..n {
                let mut v = [0u64; N_CLASSES + 1];
                for x in &mut v {
                    *x = get_varint(&bytes, &mut at).ok_or_else(corrupt)?;
                }
                let by_class = std::array::from_fn(|c| v[c] as u32);
                at_sample.push((by_class, v[N_CLASSES]));
            }
            samples.push(at_sample);
        }
        Ok(LodShard {
            window: RefWindow { start, seq },
            samples,
        })
    }

    /// Depth and SNV LoD at every position of the shard, for each sample
    /// kept (reads the spill once). The LoD uses the mean of the three SNV
    /// null rates at the position (and, with a panel of normals, the
    /// smallest of their concentrations: the most overdispersed).
    pub fn tracks(
        &self,
        spill: &Spill,
        models: &[&dyn Background],
        (ln_alpha, min_alt): (f64, u32),
        memo: &LodMemo,
    ) -> Result<Vec<LodTrack>> {
        let shard = self.load(spill)?;
        Ok((shard.samples.iter().zip(models))
            .map(|(at, model)| {
                let mut depths = Vec::with_capacity(at.len());
                let mut lods = Vec::with_capacity(at.len());
                for (i, &(by_class, sum_bq)) in at.iter().enumerate() {
                    let pos = (self.shard.start + i as u64) as i64;
                    let n: u32 = by_class.iter().sum();
                    let bq = AlleleStats {
                        n,
                        by_class,
                        sum_bq,
                        ..AlleleStats::default()
                    };
                    depths.push(n);
                    let at = (&self.shard, &shard.window);
                    let lod = match position_null(at, pos, &bq, *model) {
                        Some(null) => memo.get_or(lod_key(by_class, &null), || {
                            limit_of_detection(&by_class, &null, ln_alpha, min_alt)
                        }),
                        None => 1.0,
                    };
                    lods.push(lod);
                }
                LodTrack {
                    rid: self.shard.rid,
                    start: self.shard.start,
                    target: self.shard.target,
                    depths,
                    lods,
                }
            })
            .collect())
    }
}

/// The SNV null at `pos` of a shard whose molecules there are `bq`: the
/// mean of the three SNV null rates (and, with a panel of normals, the
/// smallest of their concentrations: the most overdispersed); `None` where
/// no LoD is defined (no molecules, or an `N` in the context).
fn position_null(
    (shard, window): (&Shard, &RefWindow),
    pos: i64,
    bq: &AlleleStats,
    model: &dyn Background,
) -> Option<Null> {
    let ctx = trinucleotide(window, pos);
    let ref_idx = base_index(ctx[1]);
    let (mut sum, mut k) = ([0.0; N_CLASSES], 0);
    let mut concentration: Option<f64> = None;
    let mut dispersion = [1.0; N_CLASSES];
    for alt in (0..4u8).filter(|&b| ref_idx.is_some_and(|r| usize::from(b) != r)) {
        let null = model.null(&RateQuery {
            context: ctx,
            allele: &Alt::Snv(alt),
            homopolymer: 1,
            mean_bq: bq.mean_bq(),
            site: (shard.rid, pos as u64),
            own: None,
        });
        for (s, r) in sum.iter_mut().zip(&null.rates) {
            *s += r;
        }
        dispersion = null.dispersion;
        if let Some(c) = null.concentration {
            concentration = Some(concentration.map_or(c, |x: f64| x.min(c)));
        }
        k += 1;
    }
    (bq.n > 0 && k > 0).then(|| Null {
        rates: sum.map(|s| s / f64::from(k)),
        dispersion,
        concentration,
        noisy: None,
    })
}

/// Everything a position's LoD depends on (besides the run's level and
/// `--min-alt`), as exact bits: positions that share it (same molecules by
/// class, same null) share their LoD.
type LodKey = (ClassCounts, [u64; N_CLASSES], [u64; N_CLASSES], Option<u64>);

/// The LoDs a run has computed, by [`LodKey`], shared by the threads and
/// shards of one LoD pass: a position's LoD is computed once per distinct
/// key, not once per position (at 30x the positions of a panel share a
/// few tens of thousands of keys; a LoD costs tens of microseconds).
///
/// METHOD: the map is split in [`LodMemo::PARTS`] locks by depth, so
/// threads rarely wait; it holds at most [`LodMemo::CAPACITY`] keys (about
/// 16 MB), then stops taking new ones, so memory does not grow with the
/// panel (at thousands of molecules keys rarely repeat; those runs compute
/// as before). A value is the one `limit_of_detection` returns for its
/// key, whichever thread stored it: the output does not depend on
/// `--threads` or on what the memo holds.
pub struct LodMemo {
    parts: Vec<std::sync::Mutex<WordMap<LodKey, f64>>>,
}

impl Default for LodMemo {
    fn default() -> Self {
        LodMemo {
            parts: (0..Self::PARTS).map(|_| Default::default()).collect(),
        }
    }
}

impl LodMemo {
    const PARTS: usize = 16;
    const CAPACITY: usize = 1 << 17;

    /// The LoD of `key`, from the memo or from `compute` (then kept while
    /// there is room).
    fn get_or(&self, key: LodKey, compute: impl FnOnce() -> f64) -> f64 {
        let part = &self.parts[Self::part_of(&key)];
        if let Some(&v) = part.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return v;
        }
        let v = compute();
        let mut map = part.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() < Self::CAPACITY / Self::PARTS {
            map.insert(key, v);
        }
        v
    }

    /// The lock part of a key: by its molecule depth (positions of one
    /// depth share most keys; depths spread over the parts), so the key is
    /// hashed once, by its part's map.
    fn part_of(key: &LodKey) -> usize {
        key.0.iter().map(|&d| d as usize).sum::<usize>() % Self::PARTS
    }

    /// Keys held (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        (self.parts.iter())
            .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }
}

fn lod_key(by_class: ClassCounts, null: &Null) -> LodKey {
    (
        by_class,
        null.rates.map(f64::to_bits),
        null.dispersion.map(f64::to_bits),
        null.concentration.map(f64::to_bits),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_gives_back_what_was_computed_and_stops_growing_when_full() {
        let memo = LodMemo::default();
        let key = |k: u32| lod_key([k, 1, 0, 0], &Null::binomial(1e-4));
        let more = LodMemo::CAPACITY as u32 + 100;
        for k in 0..more {
            assert_eq!(
                memo.get_or(key(k), || f64::from(k) / 1e6),
                f64::from(k) / 1e6
            );
        }
        assert!(memo.len() <= LodMemo::CAPACITY && memo.len() > LodMemo::CAPACITY * 9 / 10);
        // A key it holds is not computed again; one it had no room for is.
        let held = (0..more).find(|&k| {
            let part = memo.parts[LodMemo::part_of(&key(k))].lock().unwrap();
            part.contains_key(&key(k))
        });
        let held = held.unwrap();
        assert_eq!(
            memo.get_or(key(held), || panic!("computed twice")),
            f64::from(held) / 1e6
        );
        let dropped = (0..more).find(|&k| {
            let part = memo.parts[LodMemo::part_of(&key(k))].lock().unwrap();
            !part.contains_key(&key(k))
        });
        assert_eq!(memo.get_or(key(dropped.unwrap()), || -1.0), -1.0);
    }

    #[test]
    fn lod_falls_with_depth_and_rises_with_error() {
        let a = (1e-6f64).ln();
        let b = Null::binomial;
        let l1 = limit_of_detection(&[1000, 0, 0, 0], &b(1e-4), a, 3);
        let l2 = limit_of_detection(&[10_000, 0, 0, 0], &b(1e-4), a, 3);
        let l3 = limit_of_detection(&[10_000, 0, 0, 0], &b(1e-3), a, 3);
        assert!(l1 > l2 && l3 > l2, "{l1} {l2} {l3}");
        // At 10,000x and e = 1e-4 the LOD is a few in 10,000.
        assert!(l2 > 3e-4 && l2 < 2e-3, "{l2}");
    }

    #[test]
    fn lod_is_consistent_with_the_critical_count() {
        let a = (1e-5f64).ln();
        let (n, e) = (2000, 2e-4);
        let null = Null::binomial(e);
        let k = critical_alt_count(n, &null, e, a, 3).unwrap();
        assert!(ln_binom_sf(u64::from(k), 2000, e) <= a);
        assert!(ln_binom_sf(u64::from(k - 1), 2000, e) > a || k == 3);
        let f = limit_of_detection(&[n, 0, 0, 0], &null, a, 3);
        let p = ln_binom_sf(u64::from(k), 2000, f + (1.0 - f) * e).exp();
        assert!((p - POWER).abs() < 1e-3, "{p}");
        assert_eq!(limit_of_detection(&[2, 0, 0, 0], &null, a, 3), 1.0);
    }

    #[test]
    fn bisection_finds_the_same_count_as_a_linear_scan() {
        let a = (1e-6f64).ln();
        for null in [
            Null::binomial(3e-3),
            Null {
                rates: [3e-3; N_CLASSES],
                dispersion: [1.0; N_CLASSES],
                concentration: Some(500.0),
                noisy: None,
            },
        ] {
            let k = critical_alt_count(2000, &null, 3e-3, a, 3).unwrap();
            let linear = (3..=2000)
                .find(|&k| null.ln_sf_count(k, 2000, 3e-3) <= a)
                .unwrap();
            assert_eq!(k, linear);
        }
        // Overdispersion raises the critical count and so the LOD.
        let bin = limit_of_detection(&[2000, 0, 0, 0], &Null::binomial(3e-3), a, 3);
        let over = Null {
            rates: [3e-3; N_CLASSES],
            dispersion: [1.0; N_CLASSES],
            concentration: Some(500.0),
            noisy: None,
        };
        assert!(limit_of_detection(&[2000, 0, 0, 0], &over, a, 3) > bin);
    }

    #[test]
    fn the_lod_reflects_the_class_mix() {
        // 2,000 molecules at a duplex-grade site: the more of them duplex,
        // the lower the LoD; all single reads is the count test's LoD.
        let a = (1e-6f64).ln();
        let null = Null {
            rates: [3e-4, 3e-5, 1e-5, 2e-7],
            dispersion: [1.0; N_CLASSES],
            concentration: None,
            noisy: None,
        };
        let reads = limit_of_detection(&[2000, 0, 0, 0], &null, a, 2);
        let half = limit_of_detection(&[1000, 0, 0, 1000], &null, a, 2);
        let duplex = limit_of_detection(&[0, 0, 0, 2000], &null, a, 2);
        assert!(duplex < half && half < reads, "{duplex} {half} {reads}");
        // The weighted LoD is where a variant is detected with 95%.
        let w = Weighted::new(&null.rates, &[1000, 0, 0, 1000]).unwrap();
        let t = (1..).find(|&t| w.ln_sf_at(t, 0.0) <= a).unwrap();
        let p = w.ln_sf_at(t, half).exp();
        assert!(
            (p - POWER).abs() < 1e-3
                || half == limit_of_detection(&[2000, 0, 0, 0], &Null::binomial(1.5e-4), a, 2),
            "{p}"
        );
        // Two duplex molecules at 1,000 duplex of 2,000: LoD near 2/1000 x ~2.
        assert!(half < 5e-3, "{half}");
    }
}
