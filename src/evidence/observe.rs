//! One read's CIGAR walk: the bases and indels it shows at each reference
//! position, after base filters, with indels left-aligned.
//!
//! One walk ([`walk`]) fills either form through the [`Observer`] trait:
//! [`ReadSlots`], one slot per reference position plus the indel events
//! (fragment counting: mates pair position by position), or [`ReadObs`], a
//! list of observations (the UMI consensus votes over lists of a family's
//! reads). The buffers are reused from read to read, so the hot loop does
//! not allocate.

use super::alleles::{base_index, BASES};
use super::filters::ReadFilter;
use crate::reference::RefWindow;
use crate::sam;
use rust_htslib::bam::Record;

/// What a read shows at one position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObsKind {
    /// A base (index into [`BASES`]).
    Base(u8),
    /// Inside a deletion of this read.
    DelSpan,
    /// An insertion after this position; `off..off+len` in [`ReadObs::ins`].
    Ins { off: u32, len: u32 },
    /// A deletion of this many bases after this position.
    Del(u32),
}

impl ObsKind {
    /// Bases and deletion spans fill a position's single "slot"; indels are
    /// events anchored at it. Slots sort before events.
    pub fn is_event(&self) -> bool {
        matches!(self, ObsKind::Ins { .. } | ObsKind::Del(_))
    }
}

/// One observation of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Obs {
    pub pos: i64,
    pub kind: ObsKind,
    pub qual: u8,
    pub dist: u16,
    /// Passes the base filters (quality, distance to a read end). Only
    /// indels are kept when they fail: the mate-overlap logic must tell a
    /// mate that shows the same indel with low quality (no evidence either
    /// way) from a mate that does not show it (disagreement). Bases that
    /// fail are simply left out, which already means "no evidence".
    pub usable: bool,
}

/// A walked read as a list of observations in position order (slots
/// before events at a position): the form the UMI consensus votes over.
#[derive(Debug, Clone, Default)]
pub struct ReadObs {
    pub meta: ReadMeta,
    pub obs: Vec<Obs>,
    /// Inserted sequences (normalised), referenced by [`ObsKind::Ins`].
    pub ins: Vec<u8>,
    /// Scratch: a base run's slots before the usable ones are listed.
    pub run: Vec<Slot>,
}

/// What the fragment logic needs to know about a read besides what it
/// shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadMeta {
    /// Aligned reference span `[start, end)`.
    pub start: i64,
    pub end: i64,
    pub mapq: u8,
    pub reverse: bool,
    /// First read of the pair (or unpaired).
    pub read1: bool,
    pub f1r2: bool,
}

/// One reference position of a [`ReadSlots`]: a base (index into
/// [`BASES`]) with its quality and distance to the nearer read end, a
/// position inside a deletion, or nothing (filtered, `N`, outside the
/// ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub code: u8,
    pub qual: u8,
    pub dist: u16,
}

impl Slot {
    /// Code of a position where the read shows nothing usable.
    pub const NONE: u8 = 4;
    /// Code of a position inside one of the read's deletions.
    pub const DEL: u8 = 5;
    pub const EMPTY: Slot = Slot {
        code: Slot::NONE,
        qual: 0,
        dist: 0,
    };
}

/// A walked read as one [`Slot`] per position of its aligned span, plus
/// its indel events: the form fragments are counted from. Mates overlap
/// position by position, so pairing them is index arithmetic instead of a
/// merge of two lists.
#[derive(Debug, Clone, Default)]
pub struct ReadSlots {
    pub meta: ReadMeta,
    /// `slots[i]` is position `meta.start + i`.
    pub slots: Vec<Slot>,
    /// Indel events (usable or not, see [`Obs::usable`]); in position
    /// order after [`ReadSlots::sort_events`].
    pub events: Vec<Obs>,
    /// Inserted sequences, referenced by [`ObsKind::Ins`].
    pub ins: Vec<u8>,
}

/// Consecutive aligned bases of one read (part of an M/=/X block), read as
/// slots: base, quality, distance to the nearer aligned end, and the base
/// filters' verdict (`Slot::NONE` for an `N` or a base that fails).
pub struct BaseRun<'a> {
    encoded: &'a [u8],
    quals: &'a [u8],
    /// Next and end query positions.
    q: usize,
    end: usize,
    first_q: usize,
    last_q: usize,
    min_bq: u8,
    min_dist: usize,
}

impl BaseRun<'_> {
    /// Bases in the run.
    fn len(&self) -> usize {
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

/// Where a CIGAR walk puts what a read shows. Positions arrive in
/// increasing order, except events moved by left-alignment.
pub trait Observer {
    /// A new read with aligned span `meta.start..meta.end`.
    fn begin(&mut self, meta: ReadMeta);
    /// Consecutive aligned bases from `pos` on.
    fn bases(&mut self, pos: i64, run: BaseRun<'_>);
    /// A position inside a deletion of the read.
    fn del_span(&mut self, pos: i64);
    /// An indel event (`ObsKind::Del`, or `ObsKind::Ins` into [`Observer::ins`]).
    fn event(&mut self, o: Obs);
    /// Buffer of inserted sequences.
    fn ins(&mut self) -> &mut Vec<u8>;
}

impl Observer for ReadObs {
    fn begin(&mut self, meta: ReadMeta) {
        self.meta = meta;
        self.obs.clear();
        self.ins.clear();
    }
    #[inline]
    fn bases(&mut self, pos: i64, run: BaseRun<'_>) {
        self.run.clear();
        self.run.resize(run.len(), Slot::EMPTY);
        run.write_slots(&mut self.run);
        for (i, s) in self.run.iter().enumerate() {
            // Bases that fail are left out: no evidence either way.
            if s.code != Slot::NONE {
                self.obs.push(Obs {
                    pos: pos + i as i64,
                    kind: ObsKind::Base(s.code),
                    qual: s.qual,
                    dist: s.dist,
                    usable: true,
                });
            }
        }
    }
    fn del_span(&mut self, pos: i64) {
        self.obs.push(Obs {
            pos,
            kind: ObsKind::DelSpan,
            qual: 0,
            dist: 0,
            usable: true,
        });
    }
    fn event(&mut self, o: Obs) {
        self.obs.push(o);
    }
    fn ins(&mut self) -> &mut Vec<u8> {
        &mut self.ins
    }
}

impl Observer for ReadSlots {
    fn begin(&mut self, m: ReadMeta) {
        self.meta = m;
        self.slots.clear();
        self.slots
            .resize((m.end - m.start).max(0) as usize, Slot::EMPTY);
        self.events.clear();
        self.ins.clear();
    }
    #[inline]
    fn bases(&mut self, pos: i64, run: BaseRun<'_>) {
        let from = (pos - self.meta.start) as usize;
        run.write_slots(&mut self.slots[from..]);
    }
    fn del_span(&mut self, pos: i64) {
        self.slots[(pos - self.meta.start) as usize].code = Slot::DEL;
    }
    fn event(&mut self, o: Obs) {
        self.events.push(o);
    }
    fn ins(&mut self) -> &mut Vec<u8> {
        &mut self.ins
    }
}

/// Quality used when a read has no qualities (QUAL `*`, stored as 0xff).
const MISSING_QUAL: u8 = 30;

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
    let flags = rec.flags();
    let read1 = sam::is_read1(flags);
    let reverse = flags & sam::REVERSE != 0;
    let cigar = rec.raw_cigar();
    let start = rec.pos();
    out.begin(ReadMeta {
        start,
        end: start + reference_span(cigar),
        mapq: rec.mapq(),
        reverse,
        read1,
        f1r2: read1 != reverse,
    });
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
    let qual_at = |q: usize| quals[q];
    let (first_q, last_q) = aligned_query_range(cigar, seq.len());
    let dist_at = |q: usize| -> u16 {
        let d = (q.saturating_sub(first_q)).min(last_q.saturating_sub(q));
        d.min(u16::MAX as usize) as u16
    };
    let min_dist = f.min_dist_end as usize;
    let usable = |q: usize| dist_at(q) as usize >= min_dist;

    let mut rpos = start;
    let mut q = 0usize;
    for &c in cigar {
        let op = c & 0xf;
        let len = (c >> 4) as usize;
        match op {
            // M, =, X
            0 | 7 | 8 => {
                // Only the parts of the block inside the ranges.
                let mut r = ranges.first_ending_after(rpos);
                while let Some(&(rs, re)) = ranges.0.get(r) {
                    if rs >= rpos + len as i64 {
                        break;
                    }
                    let from = (rs - rpos).clamp(0, len as i64) as usize;
                    let to = (re - rpos).clamp(0, len as i64) as usize;
                    if from < to {
                        out.bases(
                            rpos + from as i64,
                            BaseRun {
                                encoded: seq.encoded,
                                quals,
                                q: q + from,
                                end: q + to,
                                first_q,
                                last_q,
                                min_bq: f.min_bq,
                                min_dist,
                            },
                        );
                    }
                    r += 1;
                }
                rpos += len as i64;
                q += len;
            }
            // I
            1 => {
                // An insertion needs an aligned base before it in this read.
                if q > first_q && rpos > start {
                    push_insertion(
                        out,
                        rec,
                        window,
                        rpos - 1,
                        q,
                        len,
                        ranges,
                        f,
                        &qual_at,
                        usable(q - 1),
                        dist_at(q - 1),
                    );
                }
                q += len;
            }
            // D
            2 => {
                // The event (anchored before the span) first, so that
                // observations stay in position order.
                if q > first_q && rpos > start {
                    let before = qual_at(q - 1);
                    let qual = if q < seq.len() {
                        before.min(qual_at(q))
                    } else {
                        before
                    };
                    let anchor = window.left_align_deletion(rpos - 1, len as i64);
                    if ranges.contains(anchor) {
                        out.event(Obs {
                            pos: anchor,
                            kind: ObsKind::Del(len as u32),
                            qual,
                            dist: dist_at(q - 1),
                            usable: qual >= f.min_bq && usable(q - 1),
                        });
                    }
                }
                for i in 0..len {
                    let p = rpos + i as i64;
                    if ranges.contains(p) {
                        out.del_span(p);
                    }
                }
                rpos += len as i64;
            }
            // N: reference skip, nothing observed
            3 => rpos += len as i64,
            // S
            4 => q += len,
            // H, P
            _ => {}
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn push_insertion<O: Observer>(
    out: &mut O,
    rec: &Record,
    window: &RefWindow,
    anchor: i64,
    q: usize,
    len: usize,
    ranges: &Ranges,
    f: &ReadFilter,
    qual_at: &dyn Fn(usize) -> u8,
    anchor_usable: bool,
    dist: u16,
) {
    let seq = rec.seq();
    let ins = out.ins();
    let off = ins.len();
    let mut qsum = 0u32;
    for i in 0..len {
        let b = decode(seq.encoded_base(q + i));
        if base_index(b).is_none() {
            ins.truncate(off);
            return;
        }
        ins.push(b);
        qsum += u32::from(qual_at(q + i));
    }
    let qual = (qsum / len.max(1) as u32) as u8;
    let anchor = window.left_align_insertion(anchor, &mut ins[off..]);
    if !ranges.contains(anchor) {
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
        dist,
        usable: qual >= f.min_bq && anchor_usable,
    });
}

impl ReadSlots {
    /// Walk `rec` into these slots (see [`walk`]).
    pub fn walk(&mut self, rec: &Record, window: &RefWindow, ranges: &Ranges, f: &ReadFilter) {
        walk(self, rec, window, ranges, f);
    }

    /// Inserted sequence of an insertion event.
    pub fn ins_seq(&self, off: u32, len: u32) -> &[u8] {
        &self.ins[off as usize..(off + len) as usize]
    }

    /// Sort the events by position (left-alignment can move one before
    /// an earlier one), then by allele, for mate pairing.
    pub fn sort_events(&mut self) {
        if self.events.len() < 2 {
            return;
        }
        let ins = &self.ins;
        self.events.sort_unstable_by(|a, b| {
            a.pos
                .cmp(&b.pos)
                .then_with(|| event_key(a, ins).cmp(&event_key(b, ins)))
        });
    }
}

impl ReadObs {
    /// Inserted sequence of an insertion observation.
    pub fn ins_seq(&self, off: u32, len: u32) -> &[u8] {
        &self.ins[off as usize..(off + len) as usize]
    }

    /// Walk `rec` into this list (see [`walk`]).
    pub fn walk(&mut self, rec: &Record, window: &RefWindow, ranges: &Ranges, f: &ReadFilter) {
        walk(self, rec, window, ranges, f);
    }
}

/// Sorted, disjoint half-open reference intervals where observations are
/// kept (the shards of a batch).
#[derive(Debug, Clone, Default)]
pub struct Ranges(pub Vec<(i64, i64)>);

impl Ranges {
    /// The ranges of a batch's shards (`[start, end)`, sorted, disjoint).
    pub fn of(shards: &[(u64, u64)]) -> Ranges {
        Ranges(shards.iter().map(|&(s, e)| (s as i64, e as i64)).collect())
    }

    /// Index of the first range whose end is after `pos`.
    #[inline]
    pub fn first_ending_after(&self, pos: i64) -> usize {
        self.0.partition_point(|&(_, e)| e <= pos)
    }

    /// Is `pos` inside a range?
    #[inline]
    pub fn contains(&self, pos: i64) -> bool {
        self.0
            .get(self.first_ending_after(pos))
            .is_some_and(|&(s, _)| s <= pos)
    }

    /// Does `[start, end)` overlap a range?
    #[inline]
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        self.0
            .get(self.first_ending_after(start))
            .is_some_and(|&(s, _)| s < end)
    }
}

/// Total order of events at one position (used only to pair mates' events).
fn event_key<'a>(o: &Obs, ins: &'a [u8]) -> (u8, u32, &'a [u8]) {
    match o.kind {
        ObsKind::Base(b) => (0, u32::from(b), &[]),
        ObsKind::DelSpan => (1, 0, &[]),
        ObsKind::Del(n) => (2, n, &[]),
        ObsKind::Ins { off, len } => (3, len, &ins[off as usize..(off + len) as usize]),
    }
}

/// What the mismatch filter needs from a CIGAR: aligned (M/=/X) bases,
/// indel bases and indel events.
pub fn cigar_stats(cigar: &[u32]) -> (u32, u32, u32) {
    let (mut aligned, mut indel_bases, mut indel_events) = (0, 0, 0);
    for &c in cigar {
        let len = c >> 4;
        match c & 0xf {
            0 | 7 | 8 => aligned += len,
            1 | 2 => {
                indel_bases += len;
                indel_events += 1;
            }
            _ => {}
        }
    }
    (aligned, indel_bases, indel_events)
}

/// Reference bases covered by a CIGAR (M, D, N, =, X).
pub fn reference_span(cigar: &[u32]) -> i64 {
    cigar
        .iter()
        .filter(|&&c| matches!(c & 0xf, 0 | 2 | 3 | 7 | 8))
        .map(|&c| i64::from(c >> 4))
        .sum()
}

/// Query positions of the first and last aligned (non-soft-clipped) base.
fn aligned_query_range(cigar: &[u32], seq_len: usize) -> (usize, usize) {
    let lead: usize = cigar
        .iter()
        .take_while(|&&c| matches!(c & 0xf, 4 | 5))
        .filter(|&&c| c & 0xf == 4)
        .map(|&c| (c >> 4) as usize)
        .sum();
    let trail: usize = cigar
        .iter()
        .rev()
        .take_while(|&&c| matches!(c & 0xf, 4 | 5))
        .filter(|&&c| c & 0xf == 4)
        .map(|&c| (c >> 4) as usize)
        .sum();
    (lead, seq_len.saturating_sub(trail + 1))
}

/// 4-bit BAM base code to an index into [`BASES`] (4 = not A/C/G/T).
const CODE_TO_INDEX: [u8; 16] = [4, 0, 1, 4, 2, 4, 4, 4, 3, 4, 4, 4, 4, 4, 4, 4];

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
    use super::*;

    fn window(s: &str, start: u64) -> RefWindow {
        RefWindow {
            start,
            seq: s.as_bytes().to_vec(),
        }
    }

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
            keep_duplicates: false,
            keep_supplementary: false,
            drop_improper: false,
            max_mismatch_per_100: 8.0,
            min_dist_end: 0,
            overlap: OverlapPolicy::Merge,
        };
        let mut r = ReadObs::default();
        r.walk(
            &rec,
            &window("AAAAAAAAAATTTTTTTTTTCCCCC", 0),
            &Ranges(vec![(0, 25)]),
            &f,
        );
        assert!(r.obs.is_empty());
        assert_eq!((r.meta.start, r.meta.end), (3, 13));
    }

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

    #[test]
    fn aligned_range_skips_soft_and_hard_clips() {
        let c = |op: u32, n: u32| (n << 4) | op;
        assert_eq!(
            aligned_query_range(&[c(5, 3), c(4, 2), c(0, 10), c(4, 4)], 16),
            (2, 11)
        );
        assert_eq!(aligned_query_range(&[c(0, 10)], 10), (0, 9));
    }
}
