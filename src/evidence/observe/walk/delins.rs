//! A read's deletion or insertion with substitutions beside it, joined
//! into one replacement event (a delins) before the walk.
//!
//! An EGFR exon 19 delins (c.2237_2255delinsT: 19 bases replaced by one)
//! is one change on the molecule; an aligner writes it as a deletion and a
//! mismatch beside it, the mismatch before or after the deletion as its
//! scores fall. Counted as written, it would be a deletion and an SNV, each
//! on the molecule, and the delins on no record. Here a substitution within
//! `--mnv-window` bases of an indel's edge (grouped from the indel outward,
//! as an MNV's substitutions are) makes the indel and it one event, keyed
//! by the read's haplotype between its first and last difference, trimmed
//! against the reference (common suffix first, then prefix): two CIGARs of
//! one haplotype (mismatch before or after the deletion, deletion placed
//! anywhere in a repeat) give one key, as every base outside the trimmed
//! part reads the reference under both. The bare indel event stays, as the
//! bases stay bases in the slots: calling takes the delins' molecules out
//! of its indel's and its substitution's evidence, as an MNV's out of its
//! SNVs'. METHOD: a read with a sequencing error beside a true indel shows
//! a delins; were its indel dropped, the read would disagree with its
//! mate and family on the indel and take the molecule away (1 in 20 of an
//! insertion's UMI molecules on `benches/accuracy.sh`).

use super::super::cigar;
use super::super::differences::bam_code;
use super::ReadWalk;

/// Delins joined in one read at most (the rest are left as read: a read
/// with more is far from the reference).
const MAX_JOINS: usize = 4;

/// One joined event: the indel at CIGAR entry `op` and its substitutions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Join {
    /// Index of the indel in the CIGAR walked.
    pub op: usize,
    /// Reference positions `[lo, hi)` its substitutions lie in: the MNV
    /// scan leaves them out (they are this event's).
    pub claimed: (i64, i64),
    /// First reference base replaced, and how many are.
    pub pos: i64,
    pub ref_len: usize,
    /// The read's bases replacing them: query `q..q + len`.
    pub q: usize,
    pub len: usize,
    /// Every replacing base and the bases beside them pass the base
    /// filters (else the event abstains, as an unusable indel does).
    pub usable: bool,
}

/// The joined events of one read, in CIGAR order.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Joins {
    n: usize,
    items: [Join; MAX_JOINS],
}

impl Joins {
    /// The event the indel at CIGAR entry `op` is part of.
    #[inline]
    pub fn at(&self, op: usize) -> Option<&Join> {
        self.items[..self.n].iter().find(|j| j.op == op)
    }

    /// Is reference position `p` a substitution of a joined event?
    #[inline]
    pub fn claims(&self, p: i64) -> bool {
        self.items[..self.n]
            .iter()
            .any(|j| j.claimed.0 <= p && p < j.claimed.1)
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

impl ReadWalk<'_> {
    /// The read's indels that join substitutions beside them (none without
    /// an indel or with `--mnv-window` below 2: nearly every read, one pass
    /// over the CIGAR's operation codes).
    pub(super) fn joins(&self, ops: &[u32]) -> Joins {
        let mut out = Joins::default();
        let is_indel = |c: u32| matches!(c & 0xf, cigar::INS | cigar::DEL);
        if self.mnv_window < 2 || !ops.iter().any(|&c| is_indel(c)) {
            return out;
        }
        let (mut rpos, mut q) = (self.start, 0usize);
        for (k, &c) in ops.iter().enumerate() {
            let len = (c >> 4) as usize;
            if is_indel(c) && k > 0 && k + 1 < ops.len() && out.n < MAX_JOINS {
                if let Some(j) = self.join(ops, k, rpos, q) {
                    out.items[out.n] = j;
                    out.n += 1;
                }
            }
            match c & 0xf {
                cigar::MATCH | cigar::EQUAL | cigar::DIFF => {
                    rpos += len as i64;
                    q += len;
                }
                cigar::INS | cigar::SOFT_CLIP => q += len,
                cigar::DEL | cigar::REF_SKIP => rpos += len as i64,
                _ => {}
            }
        }
        out
    }

    /// The indel at CIGAR entry `k` (reference `rpos`, query `q`) joined
    /// with the substitutions within the window of its edges in the aligned
    /// blocks beside it, trimmed; `None` without one, or when the trimmed
    /// event is not a delins (a base other than A/C/G/T, or lengths equal).
    fn join(&self, ops: &[u32], k: usize, rpos: i64, q: usize) -> Option<Join> {
        let aligned_len = |c: u32| match c & 0xf {
            cigar::MATCH | cigar::EQUAL | cigar::DIFF => i64::from(c >> 4),
            _ => 0,
        };
        let len = i64::from(ops[k] >> 4);
        let del = ops[k] & 0xf == cigar::DEL;
        // Reference end of the indel and query of the base after it.
        let (end, q_after) = if del {
            (rpos + len, q)
        } else {
            (rpos, q + len as usize)
        };
        let w = self.mnv_window as i64;
        // Reference `p` before the indel is query `q - (rpos - p)`; from
        // `end` on, `q_after + (p - end)`.
        let (before, after) = (aligned_len(ops[k - 1]), aligned_len(ops[k + 1]));
        let mut lo = rpos;
        let mut p = rpos - 1;
        while p >= rpos - before && lo - p < w {
            if self.differs(p, q - (rpos - p) as usize) {
                lo = p;
            }
            p -= 1;
        }
        let mut hi = end;
        let mut p = end;
        while p < end + after && p - hi + 1 < w {
            if self.differs(p, q_after + (p - end) as usize) {
                hi = p + 1;
            }
            p += 1;
        }
        if lo == rpos && hi == end {
            return None;
        }
        let (mut r0, mut r1) = (lo, hi);
        let (mut q0, mut q1) = (q - (rpos - lo) as usize, q_after + (hi - end) as usize);
        while r1 > r0 && q1 > q0 && self.same(r1 - 1, q1 - 1) {
            r1 -= 1;
            q1 -= 1;
        }
        while r1 > r0 && q1 > q0 && self.same(r0, q0) {
            r0 += 1;
            q0 += 1;
        }
        let (ref_len, alt_len) = ((r1 - r0) as usize, q1 - q0);
        let acgt = (r0..r1).all(|p| self.ref_code(p) != 0)
            && (q0..q1).all(|i| self.seq.encoded_base(i).is_power_of_two());
        if ref_len == 0 || alt_len == 0 || ref_len == alt_len || !acgt {
            return None;
        }
        // The replacing bases, and the read's bases either side of them
        // (the deletion's anchor when nothing replaces before it).
        let beside = q0.saturating_sub(1)..(q1 + 1).min(self.seq.len());
        let usable = (q0..q1).all(|i| self.passes_filters(i))
            && beside.clone().all(|i| self.quals[i] >= self.min_bq)
            && q0 > self.first_q;
        Some(Join {
            op: k,
            claimed: (lo, hi),
            pos: r0,
            ref_len,
            q: q0,
            len: alt_len,
            usable,
        })
    }

    /// The reference's 4-bit BAM code at `p` (0: not A/C/G/T).
    #[inline]
    fn ref_code(&self, p: i64) -> u8 {
        bam_code(self.window.base(p))
    }

    /// Do reference `p` and query `qi` show the same A/C/G/T base?
    #[inline]
    fn same(&self, p: i64, qi: usize) -> bool {
        let rc = self.ref_code(p);
        rc != 0 && self.seq.encoded_base(qi) == rc
    }

    /// Is query `qi`, aligned to reference `p`, a substitution (both
    /// A/C/G/T, different)?
    #[inline]
    fn differs(&self, p: i64, qi: usize) -> bool {
        let rc = self.ref_code(p);
        let code = self.seq.encoded_base(qi);
        rc != 0 && code != rc && code.is_power_of_two()
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::{ObsKind, ReadSlots, Slot};
    use crate::evidence::observe::Ranges;
    use crate::evidence::OverlapPolicy;
    use crate::testing::window;
    use rust_htslib::bam::record::{Cigar, CigarString, Record};

    const REFERENCE: &str = "TTGCATCGGATCAAGTCCGATTGCAGGCTAACGT";

    /// The replacement events and the slot codes of a read of `seq` aligned from 0 as
    /// `cigar`.
    fn walked(seq: &str, cigar: Vec<Cigar>) -> (Vec<(i64, u32, String)>, Vec<u8>) {
        let f = crate::testing::read_filter(OverlapPolicy::Merge);
        let mut rec = Record::new();
        rec.set(
            b"r",
            Some(&CigarString(cigar)),
            seq.as_bytes(),
            &vec![30; seq.len()],
        );
        rec.set_tid(0);
        let mut r = ReadSlots::default();
        r.walk(&rec, &window(REFERENCE, 0), &Ranges(vec![(0, 34)]), &f);
        r.sort_events();
        // The replacement events (the bare indel stays an event too).
        let events = (r.events.iter())
            .filter_map(|o| match o.kind {
                ObsKind::Replace { off, len, ref_len } => Some((
                    o.pos,
                    ref_len,
                    String::from_utf8(r.ins_seq(off, len).to_vec()).unwrap(),
                )),
                _ => None,
            })
            .collect();
        (events, r.slots.iter().map(|s: &Slot| s.code).collect())
    }

    /// `ATCAAG` (5..11) replaced by `G`, the aligner's mismatch before the
    /// deletion or after it: one event, keyed alike; the slots stay as
    /// the CIGAR says (a base at 5 or at 10).
    #[test]
    fn a_mismatch_before_or_after_a_deletion_is_one_delins() {
        let (head, tail) = (&REFERENCE[..5], &REFERENCE[11..]);
        let seq = format!("{head}G{tail}");
        let early = walked(&seq, vec![Cigar::Match(6), Cigar::Del(5), Cigar::Match(23)]);
        let late = walked(&seq, vec![Cigar::Match(5), Cigar::Del(5), Cigar::Match(24)]);
        assert_eq!(early.0, vec![(5, 6, "G".to_string())]);
        assert_eq!(late.0, early.0);
        assert_eq!((early.1[5], early.1[10]), (2, Slot::DEL));
        assert_eq!((late.1[5], late.1[10]), (Slot::DEL, 2));
    }

    /// An insertion with a substitution right after it: one event; two
    /// substitutions after a deletion are the delins', not also an MNV.
    #[test]
    fn an_insertion_or_an_mnv_beside_an_indel_joins_it() {
        // After 9 (A): GG inserted, then the T at 10 read as C.
        let seq = format!("{}GGC{}", &REFERENCE[..10], &REFERENCE[11..]);
        let ins = walked(
            &seq,
            vec![Cigar::Match(10), Cigar::Ins(2), Cigar::Match(24)],
        );
        assert_eq!(ins.0, vec![(10, 1, "GGC".to_string())]);
        // 5..8 (TCG) deleted, then 8 and 9 (GA) read as TT: TCGGA to TT,
        // trimmed to CGGA to T from 6.
        let seq = format!("{}TT{}", &REFERENCE[..5], &REFERENCE[10..]);
        let del = walked(&seq, vec![Cigar::Match(5), Cigar::Del(3), Cigar::Match(26)]);
        assert_eq!(del.0, vec![(6, 4, "T".to_string())]);
    }
}
