//! A run of consecutive aligned bases of one read, decoded into slots: the
//! innermost loop of the walk, a chunk of bases at a time in loops without
//! lookups or branches (the compiler vectorises them), the base filters
//! applied per base.

use super::differences::{is_base, unpack_codes, CHUNK};
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

    /// Write the run's slots to the start of `dst`. A base passes if it is
    /// A/C/G/T with quality at least `min_bq`, at least `min_dist` from
    /// both aligned ends. A chunk at a time: the codes unpacked, each slot
    /// worked out as a 32-bit word in a loop without lookups or branches
    /// (vectorised), then stored.
    #[inline]
    pub fn write_slots(self, dst: &mut [Slot]) {
        let (q0, q1) = (self.q, self.end);
        if q0 >= q1 {
            return;
        }
        // BAM holds query lengths as i32.
        let min_dist = i32::try_from(self.min_dist).unwrap_or(i32::MAX);
        let (first_q, last_q) = (self.first_q as i32, self.last_q as i32);
        let mut codes = [0u8; CHUNK];
        let mut words = [0u32; CHUNK];
        let chunks = dst[..q1 - q0]
            .chunks_mut(CHUNK)
            .zip(self.quals[q0..q1].chunks(CHUNK));
        for (c, (dst, quals)) in chunks.enumerate() {
            let q = q0 + c * CHUNK;
            let n = dst.len();
            unpack_codes(self.encoded, q, &mut codes[..n]);
            // Signed distances of the chunk's first base to the first and
            // the last aligned base (negative outside them).
            let (lo, hi) = (q as i32 - first_q, last_q - q as i32);
            let each = words[..n].iter_mut().zip(&codes[..n]).zip(quals);
            for (i, ((w, &b), &qual)) in each.enumerate() {
                let d = (lo + i as i32).min(hi - i as i32);
                // A/C/G/T are the codes with one bit set: 1, 2, 4, 8 to
                // their index 0-3.
                let pass = is_base(b) & (qual >= self.min_bq) & ((min_dist == 0) | (d >= min_dist));
                let code = if pass {
                    (b >> 1) - (b >> 3)
                } else {
                    Slot::NONE
                };
                *w = Slot::word(code, qual, d.clamp(0, i32::from(u16::MAX)) as u16);
            }
            for (s, &w) in dst.iter_mut().zip(&words[..n]) {
                *s = Slot::of_word(w);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 4-bit BAM base code to an index into [`BASES`](crate::evidence::alleles::BASES)
    /// (4 = not A/C/G/T).
    const CODE_TO_INDEX: [u8; 16] = [4, 0, 1, 4, 2, 4, 4, 4, 3, 4, 4, 4, 4, 4, 4, 4];

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
