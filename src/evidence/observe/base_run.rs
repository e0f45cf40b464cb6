//! A run of consecutive aligned bases of one read, decoded into slots: the
//! innermost loop of the walk, two bases per encoded byte, with the base
//! filters applied by clipping the run instead of per base.

use super::Slot;

/// Consecutive aligned bases of one read (part of an M/=/X block), read as
/// slots: base, quality, distance to the nearer aligned end, and the base
/// filters' verdict (`Slot::NONE` for an `N` or a base that fails).
pub struct BaseRun<'a> {
    /// The read's bases, two 4-bit codes per byte, and its qualities.
    pub(super) encoded: &'a [u8],
    pub(super) quals: &'a [u8],
    /// Next and end query positions.
    pub(super) q: usize,
    pub(super) end: usize,
    /// Query positions of the first and last aligned (not clipped) base.
    pub(super) first_q: usize,
    pub(super) last_q: usize,
    pub(super) min_bq: u8,
    pub(super) min_dist: usize,
}

impl BaseRun<'_> {
    /// Positions in the run.
    #[inline]
    pub fn positions(&self) -> usize {
        self.end.saturating_sub(self.q)
    }

    /// Write the run's slots to the start of `dst`, decoded two bases per
    /// encoded byte, with the distance filter applied by clipping the run
    /// rather than per base.
    #[inline]
    pub fn write_slots(self, dst: &mut [Slot]) {
        let (q0, q1) = (self.q, self.end);
        if q0 >= q1 {
            return;
        }
        // Query positions far enough from both aligned ends: `[ok0, ok1)`
        // (`dist >= min_dist` holds everywhere when `min_dist` is 0).
        let (ok0, ok1) = if self.min_dist == 0 {
            (q0, q1)
        } else {
            let ok0 = (self.first_q + self.min_dist).clamp(q0, q1);
            let ok1 = (self.last_q + 1)
                .saturating_sub(self.min_dist)
                .clamp(ok0, q1);
            (ok0, ok1)
        };
        let dst = &mut dst[..q1 - q0];
        // A quality threshold above any `u8` fails every base.
        let fail_all = 256;
        for (from, to, min_bq) in [
            (q0, ok0, fail_all),
            (ok0, ok1, u16::from(self.min_bq)),
            (ok1, q1, fail_all),
        ] {
            if from >= to {
                continue;
            }
            let dst = &mut dst[from - q0..to - q0];
            // Between the aligned ends, of a read shorter than 64 kb, the
            // distance needs neither clamp.
            if from >= self.first_q && to <= self.last_q + 1 && self.quals.len() <= 0xffff {
                self.fill(dst, from, to, min_bq, |lo, hi| lo.min(hi) as u16);
            } else {
                self.fill(dst, from, to, min_bq, |lo, hi| {
                    (lo.min(hi).max(0) as usize).min(u16::MAX as usize) as u16
                });
            }
        }
    }

    /// Slots of query positions `q..end` (non-empty) into `dst`; a base
    /// passes if it is A/C/G/T with quality at least `min_bq`. `dist(lo,
    /// hi)` is the distance to the nearer aligned end from the (signed)
    /// distances to the first and the last.
    #[inline(always)]
    fn fill(
        &self,
        dst: &mut [Slot],
        q: usize,
        end: usize,
        min_bq: u16,
        dist: impl Fn(isize, isize) -> u16,
    ) {
        let quals = &self.quals[q..end];
        let n = quals.len();
        let dst = &mut dst[..n];
        let enc = &self.encoded[q >> 1..=(q + n - 1) >> 1];
        // Distances to the first and last aligned base (negative outside).
        let mut lo = q as isize - self.first_q as isize;
        let mut hi = self.last_q as isize - q as isize;
        let slot = |code: u8, qual: u8, lo: isize, hi: isize| {
            let b = CODE_TO_INDEX[usize::from(code & 0xf)];
            let pass = (b < 4) & (u16::from(qual) >= min_bq);
            Slot {
                code: if pass { b } else { Slot::NONE },
                qual,
                dist: dist(lo, hi),
            }
        };
        // An odd first position is the low nibble of its byte.
        let (mut k, mut e) = (0, 0);
        if q & 1 == 1 {
            dst[0] = slot(enc[0], quals[0], lo, hi);
            (k, e) = (1, 1);
            lo += 1;
            hi -= 1;
        }
        let pairs = (n - k) / 2;
        for ((d, qs), &byte) in dst[k..k + 2 * pairs]
            .chunks_exact_mut(2)
            .zip(quals[k..k + 2 * pairs].chunks_exact(2))
            .zip(&enc[e..e + pairs])
        {
            d[0] = slot(byte >> 4, qs[0], lo, hi);
            d[1] = slot(byte, qs[1], lo + 1, hi - 1);
            lo += 2;
            hi -= 2;
        }
        k += 2 * pairs;
        e += pairs;
        if k < n {
            dst[k] = slot(enc[e] >> 4, quals[k], lo, hi);
        }
    }
}

/// 4-bit BAM base code to an index into [`BASES`](crate::evidence::alleles::BASES)
/// (4 = not A/C/G/T).
const CODE_TO_INDEX: [u8; 16] = [4, 0, 1, 4, 2, 4, 4, 4, 3, 4, 4, 4, 4, 4, 4, 4];

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot of query position `qi` of `run`, base by base: what
    /// [`BaseRun::write_slots`] must give.
    fn slot_at(run: &BaseRun<'_>, qi: usize) -> Slot {
        let code = (run.encoded[qi >> 1] >> ((!qi & 1) << 2)) & 0xf;
        let b = CODE_TO_INDEX[code as usize];
        let qual = run.quals[qi];
        let dist = (qi.saturating_sub(run.first_q)).min(run.last_q.saturating_sub(qi));
        let pass = b < 4 && qual >= run.min_bq && dist >= run.min_dist;
        Slot {
            code: if pass { b } else { Slot::NONE },
            qual,
            dist: dist.min(u16::MAX as usize) as u16,
        }
    }

    #[test]
    fn written_slots_match_a_base_by_base_decoding() {
        // Every base code, varied qualities; runs at odd and even offsets,
        // inside and across the clipped ends, with and without the
        // distance filter.
        let len: usize = 41;
        let encoded: Vec<u8> = (0..len.div_ceil(2)).map(|i| (i * 37 + 11) as u8).collect();
        let quals: Vec<u8> = (0..len).map(|i| ((i * 13) % 45) as u8).collect();
        for (first_q, last_q) in [(0, len - 1), (3, 35), (10, 12), (20, 19)] {
            for min_dist in [0, 1, 3, 30] {
                for min_bq in [0, 20, 255] {
                    for q in 0..len {
                        for end in q..=len {
                            let run = || BaseRun {
                                encoded: &encoded,
                                quals: &quals,
                                q,
                                end,
                                first_q,
                                last_q,
                                min_bq,
                                min_dist,
                            };
                            let want: Vec<Slot> = (q..end).map(|qi| slot_at(&run(), qi)).collect();
                            let mut got = vec![Slot::EMPTY; end - q + 2];
                            run().write_slots(&mut got);
                            assert_eq!(&got[..end - q], &want[..], "{q}..{end}");
                            assert!(got[end - q..].iter().all(|s| *s == Slot::EMPTY));
                        }
                    }
                }
            }
        }
    }
}
