//! The CIGAR walk: one read's operations turned into what it shows at each
//! reference position, handed to an [`Observer`]. Aligned blocks become
//! base runs clipped to the ranges; insertions and deletions become
//! left-aligned events; the base filters (quality, distance to an aligned
//! read end) are applied on the way. An indel with substitutions beside
//! it is one replacement event (`delins`).

mod delins;

use super::base_run::BaseRun;
use super::cigar::{self, aligned_query_range, reference_span};
use super::clips;
use super::differences::{substitution_bits, CHUNK};
use super::ranges::Ranges;
use super::{Obs, ObsKind, Observer, ReadMeta};
use crate::evidence::alleles::{base_index, Orientation, BASES};
use crate::evidence::filters::ReadFilter;
use crate::reference::RefWindow;
use crate::sam;
use rust_htslib::bam::record::Seq;
use rust_htslib::bam::Record;

/// Quality used when a read has no qualities (QUAL `*`, stored as 0xff).
const MISSING_QUAL: u8 = 30;

/// Substitutions looked at in one aligned part of a read: a read with more
/// is far from the reference (the mismatch filter drops most such reads).
const MAX_SUBSTITUTIONS: usize = 32;

/// Walk `rec` against `window` into `out`, keeping observations anchored
/// in `ranges`. Bases below `min_bq`, `N`s and bases within
/// `min_dist_end` of an aligned read end are left out; indels are
/// left-aligned and kept with [`Obs::usable`] telling whether they pass.
pub fn walk<O: Observer>(
    out: &mut O,
    rec: &Record,
    window: &RefWindow,
    ranges: &Ranges,
    f: &ReadFilter,
) {
    walk_read(out, rec, (window, ranges), f, false);
}

/// [`walk()`], told whether `rec` has fewer than two substitutions against
/// `window` as aligned (`few_substitutions`, from the read gate's
/// mismatch count, which compared every base already): then no aligned
/// block is searched for MNVs. A read realigned across a clip is searched
/// as realigned.
pub fn walk_read<O: Observer>(
    out: &mut O,
    rec: &Record,
    (window, ranges): (&RefWindow, &Ranges),
    f: &ReadFilter,
    few_substitutions: bool,
) {
    // A read soft-clipped across a long deletion or duplication is walked
    // as realigned across it (see `clips`); the record is left as it is.
    let realigned = clips::has_long_clip(rec.raw_cigar())
        .then(|| clips::realign(rec, window, f.min_bq))
        .flatten();
    let (start, cigar) = match &realigned {
        Some(r) => (r.start, &r.cigar[..]),
        None => (rec.pos(), rec.raw_cigar()),
    };
    out.begin(read_meta(rec, start, cigar));
    let seq = rec.seq();
    if seq.is_empty() {
        // SEQ `*`: an alignment without bases (valid SAM, e.g. samtools'
        // `xx#minimal` fixture). It shows no allele (samtools prints its
        // bases as `N`), and the CIGAR walk below would index past the
        // empty sequence and quality arrays.
        return;
    }
    let missing: Vec<u8>;
    let quals = match rec.qual() {
        q if q.first() == Some(&0xff) => {
            missing = vec![MISSING_QUAL; q.len()];
            &missing[..]
        }
        q => q,
    };
    let (first_q, last_q) = aligned_query_range(cigar, seq.len());
    let mut read = ReadWalk {
        seq,
        quals,
        first_q,
        last_q,
        start,
        window,
        ranges,
        min_bq: f.min_bq,
        min_dist: f.min_dist_end as usize,
        mnv_window: f.mnv_window as usize,
        few_substitutions: few_substitutions && realigned.is_none(),
        joins: delins::Joins::default(),
    };
    read.joins = read.joins(cigar);
    // Reference and query positions of the next operation.
    let (mut rpos, mut q) = (start, 0usize);
    for (k, &c) in cigar.iter().enumerate() {
        let len = (c >> 4) as usize;
        match c & 0xf {
            cigar::MATCH | cigar::EQUAL | cigar::DIFF => {
                read.aligned(out, rpos, q, len);
                rpos += len as i64;
                q += len;
            }
            cigar::INS => {
                read.insertion(out, k, rpos, q, len);
                q += len;
            }
            cigar::DEL => {
                read.deletion(out, k, rpos, q, len);
                rpos += len as i64;
            }
            // Nothing observed in a reference skip.
            cigar::REF_SKIP => rpos += len as i64,
            cigar::SOFT_CLIP => q += len,
            // Hard clip, padding.
            _ => {}
        }
    }
}

/// What the fragment logic needs to know about `rec` besides what it
/// shows, aligned from `start` as `cigar` says (its own, or realigned).
#[inline]
fn read_meta(rec: &Record, start: i64, cigar: &[u32]) -> ReadMeta {
    let flags = rec.flags();
    let read1 = sam::is_read1(flags);
    let reverse = flags & sam::REVERSE != 0;
    ReadMeta {
        start,
        end: start + reference_span(cigar),
        mapq: rec.mapq(),
        reverse,
        read1,
        orientation: Orientation::of(flags & sam::PAIRED != 0, read1, reverse),
    }
}

/// What stays fixed while one read's CIGAR is walked: its bases and
/// qualities, where its aligned part starts and ends in the query, and the
/// base filters.
struct ReadWalk<'a> {
    seq: Seq<'a>,
    quals: &'a [u8],
    /// Query positions of the first and last aligned (not soft-clipped)
    /// base: distances to a read end are measured from these.
    first_q: usize,
    last_q: usize,
    /// Reference position of the first aligned base.
    start: i64,
    window: &'a RefWindow,
    ranges: &'a Ranges,
    min_bq: u8,
    min_dist: usize,
    /// Substitutions within this many consecutive reference bases are one
    /// MNV (`--mnv-window`; below 2: none), and substitutions this near
    /// an indel's edge join it.
    mnv_window: usize,
    /// The read as aligned has fewer than two substitutions: no MNVs.
    few_substitutions: bool,
    /// The read's indels joined with substitutions beside them.
    joins: delins::Joins,
}

impl ReadWalk<'_> {
    /// Distance of query position `q` to the nearer aligned read end.
    #[inline]
    fn dist(&self, q: usize) -> u16 {
        let d = (q.saturating_sub(self.first_q)).min(self.last_q.saturating_sub(q));
        d.min(u16::MAX as usize) as u16
    }

    /// Is query position `q` far enough from both aligned read ends?
    #[inline]
    fn far_from_ends(&self, q: usize) -> bool {
        self.dist(q) as usize >= self.min_dist
    }

    /// Does an indel at reference `rpos`, query `q` have an aligned base
    /// of this read before it to anchor on?
    #[inline]
    fn has_anchor(&self, rpos: i64, q: usize) -> bool {
        q > self.first_q && rpos > self.start
    }

    /// An M/=/X block of `len` bases at `rpos`, query `q`: its parts inside
    /// the ranges, each as one base run.
    #[inline]
    fn aligned<O: Observer>(&self, out: &mut O, rpos: i64, q: usize, len: usize) {
        let mut r = self.ranges.first_ending_after(rpos);
        while let Some(&(rs, re)) = self.ranges.0.get(r) {
            if rs >= rpos + len as i64 {
                break;
            }
            let from = (rs - rpos).clamp(0, len as i64) as usize;
            let to = (re - rpos).clamp(0, len as i64) as usize;
            if from < to {
                self.substituted(out, rpos, q, (from, to));
            }
            r += 1;
        }
    }

    /// Bases `from..to` of the aligned block at `rpos`, query `q`, as one
    /// base run, then each MNV in them as an event.
    ///
    /// An MNV is two or more substitutions (A/C/G/T against A/C/G/T)
    /// within `--mnv-window` consecutive reference bases of this read
    /// (grouped from the left: each starts at a substitution and takes
    /// those less than the window after it). It is usable when every one
    /// passes the base filters (`--min-bq`, distance to the read ends);
    /// otherwise it is kept unusable, as an indel is: the read neither
    /// shows nor denies it, so its mate or family decides (counted as "no
    /// MNV" it would split a family whose other reads show it, and the
    /// family would still count the MNV's later bases as an SNV). Its
    /// bases stay bases too (the pileup of each position is what samtools
    /// counts); calling takes an MNV's molecules out of its parts' SNV
    /// evidence.
    fn substituted<O: Observer>(
        &self,
        out: &mut O,
        rpos: i64,
        q: usize,
        (from, to): (usize, usize),
    ) {
        let mut subs = [0usize; MAX_SUBSTITUTIONS];
        let mut n = if self.mnv_window >= 2 && !self.few_substitutions {
            self.substitutions(rpos, q, (from, to), &mut subs)
        } else {
            0
        };
        if n >= 2 && !self.joins.is_empty() {
            // A delins' substitutions are not also an MNV's.
            let mut kept = 0;
            for k in 0..n {
                if !self.joins.claims(rpos + subs[k] as i64) {
                    subs[kept] = subs[k];
                    kept += 1;
                }
            }
            n = kept;
        }
        if n < 2 {
            // Nearly every read: one run, as without MNVs.
            self.run(out, rpos, q, (from, to));
            return;
        }
        // Events may follow the block's bases: consumers sort a read's
        // events (left-aligned indels move back too).
        self.run(out, rpos, q, (from, to));
        let subs = &subs[..n];
        let mut k = 0;
        while k < n {
            let i = subs[k];
            let group = subs[k..]
                .iter()
                .take_while(|&&j| j < i + self.mnv_window)
                .count();
            let members = &subs[k..k + group];
            k += group;
            if group >= 2 {
                let usable = members.iter().all(|&j| self.passes_filters(q + j));
                let len = members[group - 1] + 1 - i;
                self.replaced(out, (rpos + i as i64, q + i, len), len, usable);
            }
        }
    }

    /// The block offsets in `from..to` (block at `rpos`, query `q`) where
    /// the read's base and the reference's are both A/C/G/T and differ,
    /// into `subs` (the first [`MAX_SUBSTITUTIONS`]); how many. A chunk's
    /// substitutions are found as bits (`substitution_bits`).
    #[inline]
    fn substitutions(
        &self,
        rpos: i64,
        q: usize,
        (from, to): (usize, usize),
        subs: &mut [usize; MAX_SUBSTITUTIONS],
    ) -> usize {
        let w0 = self.window.start as i64;
        let lo = (rpos + from as i64).max(w0);
        let hi = (rpos + to as i64).min(w0 + self.window.seq.len() as i64);
        if lo >= hi {
            return 0;
        }
        let refs = &self.window.seq[(lo - w0) as usize..(hi - w0) as usize];
        let first = (lo - rpos) as usize;
        let mut n = 0;
        for (c, refs) in refs.chunks(CHUNK).enumerate() {
            let at = first + c * CHUNK;
            let mut bits = substitution_bits(self.seq.encoded, q + at, refs);
            while bits != 0 {
                subs[n] = at + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                n += 1;
                if n == MAX_SUBSTITUTIONS {
                    return n;
                }
            }
        }
        n
    }

    /// Does the base at query `qi` pass the base filters (quality, distance
    /// to the read ends)?
    #[inline]
    fn passes_filters(&self, qi: usize) -> bool {
        self.quals[qi] >= self.min_bq && self.far_from_ends(qi)
    }

    /// Bases `from..to` of the block at `rpos`, query `q`, as one run.
    #[inline]
    fn run<O: Observer>(&self, out: &mut O, rpos: i64, q: usize, (from, to): (usize, usize)) {
        if from < to {
            out.bases(
                rpos + from as i64,
                BaseRun {
                    encoded: self.seq.encoded,
                    quals: self.quals,
                    q: q + from,
                    end: q + to,
                    first_q: self.first_q,
                    last_q: self.last_q,
                    min_bq: self.min_bq,
                    min_dist: self.min_dist,
                },
            );
        }
    }

    /// The delins `j` (see `delins`).
    fn joined<O: Observer>(&self, out: &mut O, j: &delins::Join) {
        self.replaced(out, (j.pos, j.q, j.len), j.ref_len, j.usable);
    }

    /// The event of `len` read bases from query `q` replacing `ref_len`
    /// reference bases from `pos` (an MNV or a delins): the read's bases,
    /// the lowest quality and distance to a read end among them.
    fn replaced<O: Observer>(
        &self,
        out: &mut O,
        (pos, q, len): (i64, usize, usize),
        ref_len: usize,
        usable: bool,
    ) {
        if !self.ranges.contains(pos) {
            return;
        }
        let seqs = out.ins();
        let off = seqs.len();
        seqs.extend((q..q + len).map(|k| decode(self.seq.encoded_base(k))));
        let qual = self.quals[q..q + len].iter().copied().min().unwrap_or(0);
        let dist = (q..q + len).map(|k| self.dist(k)).min().unwrap_or(0);
        out.event(Obs {
            pos,
            kind: ObsKind::Replace {
                off: off as u32,
                len: len as u32,
                ref_len: ref_len as u32,
            },
            qual,
            dist,
            usable,
        });
    }

    /// An insertion of `len` bases from query `q` (CIGAR entry `op`),
    /// after reference `rpos - 1`: one event at its left-aligned anchor if
    /// that is in the ranges, with the mean quality of the inserted bases
    /// (after the delins it is part of, if any). Insertions holding a base
    /// other than A/C/G/T are left out.
    ///
    /// An inserted base below `--min-bq` is kept in lower case, *masked*
    /// (see [`super::ins_compatible`]): like an aligned base that fails,
    /// it is no evidence of which base was inserted, so a sequencing error
    /// there does not make the read disagree with its mate or family. A
    /// masked base never equals a reference base, so it stops the
    /// left-alignment where the aligner put it: an error could otherwise
    /// move the insertion off the anchor its family shows.
    fn insertion<O: Observer>(&self, out: &mut O, op: usize, rpos: i64, q: usize, len: usize) {
        if let Some(j) = self.joins.at(op) {
            self.joined(out, j);
        }
        if !self.has_anchor(rpos, q) {
            return;
        }
        let ins = out.ins();
        let off = ins.len();
        let mut qsum = 0u32;
        for i in 0..len {
            let b = decode(self.seq.encoded_base(q + i));
            if base_index(b).is_none() {
                ins.truncate(off);
                return;
            }
            let bq = self.quals[q + i];
            ins.push(if bq < self.min_bq {
                b.to_ascii_lowercase()
            } else {
                b
            });
            qsum += u32::from(bq);
        }
        let qual = (qsum / len.max(1) as u32) as u8;
        correct_copy(&mut ins[off..], self.window, rpos - 1);
        let anchor = self.window.left_align_insertion(rpos - 1, &mut ins[off..]);
        if !self.ranges.contains(anchor) {
            ins.truncate(off);
            return;
        }
        out.event(Obs {
            pos: anchor,
            kind: ObsKind::Ins {
                off: off as u32,
                len: len as u32,
            },
            qual,
            dist: self.dist(q - 1),
            usable: qual >= self.min_bq && self.far_from_ends(q - 1),
        });
    }

    /// A deletion of `len` reference bases from `rpos` (CIGAR entry `op`),
    /// query `q` being the base after it: the event (at its left-aligned
    /// anchor, with the lower quality of the bases beside it; after the
    /// delins it is part of, if any) first, so that observations stay in
    /// position order, then the positions it spans.
    fn deletion<O: Observer>(&self, out: &mut O, op: usize, rpos: i64, q: usize, len: usize) {
        if let Some(j) = self.joins.at(op) {
            self.joined(out, j);
        }
        if self.has_anchor(rpos, q) {
            let before = self.quals[q - 1];
            let qual = if q < self.seq.len() {
                before.min(self.quals[q])
            } else {
                before
            };
            let anchor = self.window.left_align_deletion(rpos - 1, len as i64);
            if self.ranges.contains(anchor) {
                out.event(Obs {
                    pos: anchor,
                    kind: ObsKind::Del(len as u32),
                    qual,
                    dist: self.dist(q - 1),
                    usable: qual >= self.min_bq && self.far_from_ends(q - 1),
                });
            }
        }
        self.del_spans(out, rpos, len);
    }

    /// The `len` positions from `rpos` a deletion spans.
    fn del_spans<O: Observer>(&self, out: &mut O, rpos: i64, len: usize) {
        for i in 0..len {
            let p = rpos + i as i64;
            if self.ranges.contains(p) {
                out.del_span(p);
            }
        }
    }
}

/// Inserted bases of this length or more that differ from a tandem copy
/// of the reference beside them at one base are that copy.
const COPY_MIN_LEN: usize = 9;

/// A long insertion after `anchor` that reads as the reference just after
/// it or just up to it (a tandem duplication) but for one base: that base
/// is taken as a read error and set to the copy's.
///
/// METHOD: a duplication of 20-30 bases carries a sequencing error in its
/// inserted bases on ~2-3% of reads; that error makes another allele and,
/// once it reaches the end of the sequence while left-aligning, another
/// anchor, so a molecule's reads disagree and consensus loses it (1 of 3
/// molecules kept at a 30 bp duplication of `benches/complex.sh`). A real
/// duplication with a substitution inside it is far rarer than that error
/// at these lengths; masked bases (below `--min-bq`) already match any
/// base.
fn correct_copy(seq: &mut [u8], window: &RefWindow, anchor: i64) {
    let len = seq.len();
    if len < COPY_MIN_LEN {
        return;
    }
    for from in [anchor + 1, anchor + 1 - len as i64] {
        let copy = |i: usize| window.base(from + i as i64);
        if (0..len).any(|i| base_index(copy(i)).is_none()) {
            continue;
        }
        let mut differ = (0..len).filter(|&i| seq[i].is_ascii_uppercase() && seq[i] != copy(i));
        if let (Some(i), None) = (differ.next(), differ.next()) {
            seq[i] = copy(i);
            return;
        }
    }
}

/// 4-bit BAM base code to an upper-case letter (`N` for ambiguity codes).
#[inline]
fn decode(code: u8) -> u8 {
    match code {
        1 => BASES[0],
        2 => BASES[1],
        4 => BASES[2],
        8 => BASES[3],
        _ => b'N',
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ReadSlots, Slot};
    use super::*;
    use crate::testing::window;

    #[test]
    fn read_without_sequence_shows_nothing() {
        use crate::evidence::OverlapPolicy;
        use rust_htslib::bam::record::{Cigar, CigarString};
        // samtools' xx#minimal record a2: `5H0I10M0D5H`, SEQ and QUAL `*`.
        let cigar = CigarString(vec![
            Cigar::HardClip(5),
            Cigar::Ins(0),
            Cigar::Match(10),
            Cigar::Del(0),
            Cigar::HardClip(5),
        ]);
        let mut rec = Record::new();
        rec.set(b"a2", Some(&cigar), b"", b"");
        rec.set_tid(0);
        rec.set_pos(3);
        rec.set_flags(16);
        let f = ReadFilter {
            min_mapq: 0,
            min_bq: 0,
            ..crate::testing::read_filter(OverlapPolicy::Merge)
        };
        let mut r = ReadSlots::default();
        r.walk(
            &rec,
            &window("AAAAAAAAAATTTTTTTTTTCCCCC", 0),
            &Ranges(vec![(0, 25)]),
            &f,
        );
        assert!(r.events.is_empty() && r.slots.iter().all(|s| *s == Slot::EMPTY));
        assert_eq!((r.meta.start, r.meta.end), (3, 13));
    }

    /// A `T` inserted after the `T` at 5 of `GCATATAAAACG` is left-aligned
    /// to 4. Read at Q10 (below --min-bq) the base is masked (lower case)
    /// and stays where the aligner put it: a sequencing error there (the
    /// family shows an `A` inserted after 5) must not move the read off
    /// its family's anchor, where it would count as "no insertion".
    #[test]
    fn a_masked_inserted_base_is_lower_case_and_does_not_left_align() {
        use crate::evidence::OverlapPolicy;
        use rust_htslib::bam::record::{Cigar, CigarString};
        let f = crate::testing::read_filter(OverlapPolicy::Merge);
        let cigar = CigarString(vec![Cigar::Match(6), Cigar::Ins(1), Cigar::Match(6)]);
        let inserted = |qual: u8| {
            let mut rec = Record::new();
            let mut quals = vec![30; 13];
            quals[6] = qual;
            rec.set(b"r", Some(&cigar), b"GCATATTAAAACG", &quals);
            rec.set_tid(0);
            let mut r = ReadSlots::default();
            r.walk(&rec, &window("GCATATAAAACG", 0), &Ranges(vec![(0, 12)]), &f);
            let o = r.events[0];
            let ObsKind::Ins { off, len } = o.kind else {
                panic!("{o:?}")
            };
            (o.pos, r.ins_seq(off, len).to_vec())
        };
        assert_eq!(inserted(30), (4, b"T".to_vec()));
        assert_eq!(inserted(10), (5, b"t".to_vec()));
    }

    /// A 10 bp tandem duplication read with one base wrong in its copy is
    /// the duplication, at the anchor an exact read gives; two bases
    /// wrong, or a short insertion, are left as read.
    #[test]
    fn a_long_duplication_read_with_one_error_is_the_copy() {
        use crate::evidence::OverlapPolicy;
        use rust_htslib::bam::record::{Cigar, CigarString};
        let f = crate::testing::read_filter(OverlapPolicy::Merge);
        let reference = "TTGCATCGGATCAAGTCCGATTGCA";
        // Inserted after 4 (an A): a copy of 5..15, "TCGGATCAAG".
        let event = |ins: &str| {
            let head = &reference[..5];
            let tail = &reference[5..];
            let seq = format!("{head}{ins}{tail}");
            let cigar = CigarString(vec![
                Cigar::Match(5),
                Cigar::Ins(ins.len() as u32),
                Cigar::Match(tail.len() as u32),
            ]);
            let mut rec = Record::new();
            rec.set(b"r", Some(&cigar), seq.as_bytes(), &vec![30; seq.len()]);
            rec.set_tid(0);
            let mut r = ReadSlots::default();
            r.walk(&rec, &window(reference, 0), &Ranges(vec![(0, 25)]), &f);
            let o = r.events[0];
            let ObsKind::Ins { off, len } = o.kind else {
                panic!("{o:?}")
            };
            (
                o.pos,
                String::from_utf8(r.ins_seq(off, len).to_vec()).unwrap(),
            )
        };
        let exact = event("TCGGATCAAG");
        assert_eq!(event("TCGGTTCAAG"), exact);
        assert_eq!(event("TCGGATCAAC"), exact);
        assert_ne!(event("TCCGTTCAAG").1, exact.1);
        assert_eq!(event("ATCGT").1, "ATCGT");
    }

    #[test]
    fn only_the_written_slots_show_anything() {
        use crate::evidence::OverlapPolicy;
        use rust_htslib::bam::record::{Cigar, CigarString};
        // 10M 6D 10M at 100: bases 100-109, deletion 110-115, bases 116-125.
        let cigar = CigarString(vec![Cigar::Match(10), Cigar::Del(6), Cigar::Match(10)]);
        let mut rec = Record::new();
        let seq = b"ACGTACGTACGTACGTACGT";
        rec.set(b"r", Some(&cigar), seq, &[30; 20]);
        rec.set_tid(0);
        rec.set_pos(100);
        let f = crate::testing::read_filter(OverlapPolicy::Merge);
        let w = window(&"ACGT".repeat(40), 90);
        // The whole read, a range inside the deletion only (no base of
        // the read in it), one inside the second block, and none.
        for keep in [
            vec![(0, 400)],
            vec![(111, 114)],
            vec![(118, 121)],
            vec![(0, 50)],
        ] {
            let mut r = ReadSlots::default();
            r.walk(&rec, &w, &Ranges(keep.clone()), &f);
            let (lo, hi) = r.written;
            for (i, s) in r.slots.iter().enumerate() {
                if s.code != Slot::NONE {
                    assert!(
                        (lo..hi).contains(&i),
                        "{keep:?}: slot {i} outside {lo}..{hi}"
                    );
                }
            }
            let shown = r.slots.iter().filter(|s| s.code != Slot::NONE).count();
            let expect = match keep[0] {
                (0, 400) => 26,
                (111, 114) => 3,
                (118, 121) => 3,
                _ => 0,
            };
            assert_eq!(shown, expect, "{keep:?}");
        }
    }
}
