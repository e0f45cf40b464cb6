//! Long indels the aligner wrote as a soft clip: a read that crosses a
//! 10-60 bp deletion or a 9-60 bp tandem duplication is often aligned up
//! to the breakpoint and clipped there (or split, with the rest in an `SA`
//! record), so its CIGAR shows no indel. [`realign`] finds the event the
//! clipped bases spell and, when the event explains them clearly better
//! than the reference, gives the read's alignment rewritten in memory:
//! the indel in the CIGAR, the formerly clipped bases aligned, the start
//! moved for a left clip, a duplication at its copy's leftmost anchor. The walk then reads that alignment, so mate
//! pairing, UMI consensus, counting, the model and calling see an
//! ordinary indel read (docs/architecture.md, "Long indels from clipped
//! reads").
//!
//! METHOD: the search is per read, from the read alone: its clipped bases
//! (plus up to [`MAX_BACK`] aligned bases before the clip, for an aligner
//! that matched a few bases past the breakpoint by chance) are compared
//! base by base with the reference shifted by each event size. Shift
//! `s > 0` is a deletion of `s` bases, `s < 0` a duplication of the `-s`
//! bases before the breakpoint. A shift is scored only when the 8 clipped
//! bases next to the breakpoint (the seed) match it exactly, so most
//! clips (adapter, errors) cost ~100 short comparisons and no decoding of
//! the read; a split read's `SA` tag names one more shift to score. The
//! best shift must be unique, match at
//! least [`MIN_CLIP`] confident bases with at most one mismatch per ten
//! (aligned bases taken into the clip no worse under the event than
//! against the reference); then rust-bio's pairwise aligner scores the clip with its neighbouring
//! aligned bases against the alternative haplotype and against the
//! reference, both allowed to leave the clip unaligned for free (what the
//! aligner did), and the alternative must win by [`MIN_MARGIN`]. Nothing
//! depends on other reads, so the result is the same whatever the
//! batching, thread count or read order, and the record itself (its
//! position, mate fields, name) is untouched: streaming order, the mate
//! room and the UMI family window see the read as the aligner wrote it.

use super::cigar::{DEL, DIFF, EQUAL, INS, MATCH, SOFT_CLIP};
use crate::reference::RefWindow;
use bio::alignment::pairwise::{Aligner, Scoring, MIN_SCORE};
use rust_htslib::bam::record::Aux;
use rust_htslib::bam::Record;

/// Deletions searched: 10-60 bp (shorter ones the aligner writes itself).
pub const DEL_SIZES: std::ops::RangeInclusive<i64> = 10..=60;
/// Duplications searched: 9-60 bp.
pub const DUP_SIZES: std::ops::RangeInclusive<i64> = 9..=60;
/// Confident clipped bases (at `--min-bq` or better, A/C/G/T) a clip needs
/// beyond the breakpoint to be evidence either way: a random 10-mer
/// matches one of the ~100 shifts with probability ~1e-4.
pub const MIN_CLIP: usize = 10;
/// Aligned bases before the clip that may belong to the event.
pub const MAX_BACK: usize = 4;
/// Aligned bases beside the clip aligned with it.
const ANCHOR: usize = 12;
/// Reference bases beyond the query on each haplotype (room for a gap).
const PAD: usize = 6;
/// How much better (in score points: +1 a matching base, -4 a mismatch,
/// gaps -6 - 1 per base) the alternative haplotype must explain the
/// clip than the reference: eight net bases, so that one mismatch in a
/// short clip (10 bases: 10 - 5 = 5) is not enough.
pub const MIN_MARGIN: i32 = 8;
/// Bases a duplication clip must read past the inserted copy, so that the
/// read shows the whole insertion.
const DUP_PAST: usize = 2;

/// A read's alignment as [`realign`] rewrote it: the new start and raw
/// BAM CIGAR (`len << 4 | op`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realigned {
    pub start: i64,
    pub cigar: Vec<u32>,
}

/// Which end of the read is clipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// A soft clip worth a look: its side, the index of its CIGAR entry, its
/// length and the aligned block beside it (index and length).
#[derive(Debug, Clone, Copy)]
struct Clip {
    side: Side,
    op: usize,
    len: usize,
    block: usize,
    aligned: usize,
}

fn is_aligned(c: u32) -> bool {
    matches!(c & 0xf, MATCH | EQUAL | DIFF)
}

/// The soft clips of `cigar` long enough to be evidence, right first: a
/// look at its ends, no allocation.
#[inline]
fn clips(cigar: &[u32]) -> [Option<Clip>; 2] {
    let hard = |c: &&u32| **c & 0xf == 5;
    let right = cigar.iter().rposition(|c| !hard(&c)).and_then(|op| {
        let c = cigar[op];
        let b = op.checked_sub(1)?;
        (c & 0xf == SOFT_CLIP && (c >> 4) as usize >= MIN_CLIP && is_aligned(cigar[b])).then_some(
            Clip {
                side: Side::Right,
                op,
                len: (c >> 4) as usize,
                block: b,
                aligned: (cigar[b] >> 4) as usize,
            },
        )
    });
    let left = cigar.iter().position(|c| !hard(&c)).and_then(|op| {
        let c = cigar[op];
        let b = op + 1;
        let next = *cigar.get(b)?;
        (c & 0xf == SOFT_CLIP && (c >> 4) as usize >= MIN_CLIP && is_aligned(next)).then_some(
            Clip {
                side: Side::Left,
                op,
                len: (c >> 4) as usize,
                block: b,
                aligned: (next >> 4) as usize,
            },
        )
    });
    [right, left]
}

/// How far past the end of its aligned span a read with `cigar` may reach
/// once realigned: its trailing soft clip and the longest deletion (0
/// without a trailing soft clip). The fragment loop waits for a mate that
/// starts within that reach, as it waits for one that starts within the
/// span: the mate's own clip may realign back over this read.
#[inline]
pub fn reach_past_end(cigar: &[u32]) -> i64 {
    match cigar.iter().rev().find(|&&c| c & 0xf != 5) {
        Some(&c) if c & 0xf == SOFT_CLIP => i64::from(c >> 4) + DEL_SIZES.end(),
        _ => 0,
    }
}

/// Does `cigar` hold a soft clip [`realign`] would look at? Cheap.
#[inline]
pub fn has_long_clip(cigar: &[u32]) -> bool {
    let [r, l] = clips(cigar);
    r.is_some() || l.is_some()
}

/// The read `rec` realigned across the long deletion or duplication its
/// soft clip spells (see the module docs), or `None`: no long clip, no
/// unique event, or not clearly better than the reference. Bases below
/// `min_bq` are no evidence either way.
pub fn realign(rec: &Record, window: &RefWindow, min_bq: u8) -> Option<Realigned> {
    let cigar = rec.raw_cigar();
    let found = clips(cigar);
    if found.iter().all(Option::is_none) {
        return None;
    }
    let query_len: usize = cigar
        .iter()
        .filter(|&&c| matches!(c & 0xf, MATCH | INS | SOFT_CLIP | EQUAL | DIFF))
        .map(|&c| (c >> 4) as usize)
        .sum();
    if rec.seq_len() != query_len || rec.qual().len() != query_len {
        // SEQ `*`, or a record htslib would not have read.
        return None;
    }
    let end = rec.pos() + super::reference_span(cigar);
    // Decoded only once a seed matches: most clips (adapter, errors, the
    // reference itself) stop at the seed.
    let mut read: Option<ReadBases> = None;
    for clip in found.into_iter().flatten() {
        let bp = match clip.side {
            Side::Right => end,
            Side::Left => rec.pos(),
        };
        let Some(seed) = Seed::of(rec, clip, min_bq) else {
            continue;
        };
        // A split read's SA tag names a shift to score even when a
        // sequencing error sits among the seed bases.
        let mut split = None;
        if !shifts().any(|s| seed.matches(window, clip, bp, s)) {
            split = sa_shift(rec, clip, bp);
            if split.is_none() {
                continue;
            }
        }
        let read = read.get_or_insert_with(|| ReadBases::of(rec, min_bq));
        let scored = |s: i64| split == Some(s) || seed.matches(window, clip, bp, s);
        let Some(ev) = search(read, scored, window, clip, bp) else {
            continue;
        };
        if confirm(read, window, clip, bp, ev) {
            return Some(rewrite(cigar, (rec.pos(), window), clip, bp, ev));
        }
    }
    None
}

/// The shifts searched: deletions, then duplications (negative).
fn shifts() -> impl Iterator<Item = i64> {
    DEL_SIZES.chain(DUP_SIZES.map(|l| -l))
}

/// The shift an `SA` tag of `rec` gives for `clip` at breakpoint `bp`:
/// a supplementary alignment on the read's strand whose aligned part
/// starts (right clip) or ends (left clip) a searched event size away.
/// Its contig is not checked (the read's header is not at hand here): the
/// shift is only a candidate, scored on the bases like any other.
fn sa_shift(rec: &Record, clip: Clip, bp: i64) -> Option<i64> {
    let Ok(Aux::String(sa)) = rec.aux(b"SA") else {
        return None;
    };
    sa.split(';').find_map(|part| {
        let mut f = part.split(',');
        let (_contig, pos, strand, cigar) = (f.next()?, f.next()?, f.next()?, f.next()?);
        if (strand == "-") != rec.is_reverse() {
            return None;
        }
        let pos0 = pos.parse::<i64>().ok()? - 1;
        let s = match clip.side {
            Side::Right => pos0 - bp,
            Side::Left => bp - (pos0 + text_cigar_span(cigar)?),
        };
        (DEL_SIZES.contains(&s) || DUP_SIZES.contains(&-s)).then_some(s)
    })
}

/// Reference bases covered by a CIGAR in SAM text (M, D, N, =, X).
fn text_cigar_span(cigar: &str) -> Option<i64> {
    let (mut span, mut n) = (0i64, 0i64);
    for c in cigar.bytes() {
        match c {
            b'0'..=b'9' => n = n.checked_mul(10)?.checked_add(i64::from(c - b'0'))?,
            b'M' | b'D' | b'N' | b'=' | b'X' => (span, n) = (span.checked_add(n)?, 0),
            b'I' | b'S' | b'H' | b'P' => n = 0,
            _ => return None,
        }
    }
    Some(span)
}

/// Clipped bases next to the breakpoint that must match the reference
/// exactly under a shift before it is scored: [`SEED`] of them, the
/// j-independent part of the comparison (see [`pairs`]).
const SEED: usize = 8;

/// The [`SEED`] clipped bases nearest the breakpoint (`N`: below
/// `--min-bq` or ambiguous), decoded straight from the record.
struct Seed {
    /// The bases as one word, and which of its bytes are confident.
    word: u64,
    mask: u64,
}

impl Seed {
    /// `None` when fewer than 6 of them are confident: too little to tell.
    fn of(rec: &Record, clip: Clip, min_bq: u8) -> Option<Seed> {
        let seq = rec.seq();
        let quals = rec.qual();
        let missing = quals.first() == Some(&0xff);
        let from = match clip.side {
            Side::Right => seq.len() - clip.len,
            Side::Left => clip.len - SEED,
        };
        let mut bases = [b'N'; SEED];
        let mut confident = 0;
        for (i, b) in bases.iter_mut().enumerate() {
            let q = from + i;
            let x = match seq.encoded_base(q) {
                1 => b'A',
                2 => b'C',
                4 => b'G',
                8 => b'T',
                _ => continue,
            };
            if missing || quals[q] >= min_bq {
                *b = x;
                confident += 1;
            }
        }
        let mask = u64::from_le_bytes(bases.map(|b| if b == b'N' { 0 } else { 0xff }));
        (confident >= 6).then_some(Seed {
            word: u64::from_le_bytes(bases),
            mask,
        })
    }

    /// Do the confident seed bases equal the reference under shift `s`?
    #[inline]
    fn matches(&self, w: &RefWindow, clip: Clip, bp: i64, s: i64) -> bool {
        let r0 = match clip.side {
            Side::Right => bp + s,
            Side::Left => bp - s - SEED as i64,
        };
        // Eight bytes compared at once; outside the window is no match.
        let Some(from) = usize::try_from(r0 - w.start as i64).ok() else {
            return false;
        };
        let Some(r) = w.seq.get(from..from + SEED) else {
            return false;
        };
        // Invariant: `r` is SEED bytes long.
        let r = u64::from_le_bytes(r.try_into().expect("SEED bytes"));
        (r ^ self.word) & self.mask == 0
    }
}

/// A read's bases, low-quality and ambiguous ones as `N`.
struct ReadBases {
    seq: Vec<u8>,
}

impl ReadBases {
    fn of(rec: &Record, min_bq: u8) -> Self {
        let quals = rec.qual();
        let missing = quals.first() == Some(&0xff);
        let seq = rec
            .seq()
            .as_bytes()
            .into_iter()
            .zip(quals)
            .map(|(b, &q)| match b.to_ascii_uppercase() {
                x @ (b'A' | b'C' | b'G' | b'T') if missing || q >= min_bq => x,
                _ => b'N',
            })
            .collect();
        ReadBases { seq }
    }
}

/// The event a clip spells: `j` aligned bases taken into it, reference
/// shift `s` (> 0 deletion, < 0 duplication).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Event {
    j: usize,
    s: i64,
}

/// The clipped bases (with `j` aligned ones) and the reference position
/// of each under shift `s`: `(query index, reference position)` pairs.
fn pairs(read_len: usize, clip: Clip, bp: i64, e: Event) -> impl Iterator<Item = (usize, i64)> {
    let k = clip.len + e.j;
    let (q0, r0) = match clip.side {
        // Query from the breakpoint (moved back j) on; reference after it.
        Side::Right => (read_len - clip.len - e.j, bp - e.j as i64 + e.s),
        // Query up to the breakpoint (moved on j); reference before it.
        Side::Left => (0, bp + e.j as i64 - e.s - k as i64),
    };
    (0..k).map(move |i| (q0 + i, r0 + i as i64))
}

/// Confident matches and mismatches of the clip under event `e`, the
/// count stopping once past one mismatch per ten bases of the clip (the
/// most [`search`] accepts).
fn score_shift(read: &ReadBases, w: &RefWindow, clip: Clip, bp: i64, e: Event) -> (usize, usize) {
    let (mut m, mut mm) = (0, 0);
    let limit = (clip.len + e.j) / 10;
    for (q, r) in pairs(read.seq.len(), clip, bp, e) {
        if mm > limit {
            break;
        }
        let b = read.seq[q];
        if b == b'N' {
            continue;
        }
        let x = w.base(r);
        if x == b'N' {
            // Outside the window or an ambiguous reference base.
            mm += 1;
        } else if x == b {
            m += 1;
        } else {
            mm += 1;
        }
    }
    (m, mm)
}

/// Mismatches of the `j` aligned bases event `e` takes into the clip,
/// against the reference under the event.
fn taken_mismatches(read: &ReadBases, w: &RefWindow, clip: Clip, bp: i64, e: Event) -> usize {
    let skip = match clip.side {
        Side::Right => 0,
        Side::Left => clip.len,
    };
    pairs(read.seq.len(), clip, bp, e)
        .skip(skip)
        .take(e.j)
        .filter(|&(q, r)| read.seq[q] != b'N' && w.base(r) != read.seq[q])
        .count()
}

/// The unique best event of `clip` at breakpoint `bp`, if it matches
/// enough confident bases with few enough mismatches.
fn search(
    read: &ReadBases,
    scored: impl Fn(i64) -> bool,
    w: &RefWindow,
    clip: Clip,
    bp: i64,
) -> Option<Event> {
    let back = MAX_BACK.min(clip.aligned.saturating_sub(1));
    // Mismatches of the aligned bases next to the clip against the
    // reference, from the nearest on: taking `j` of them into the clip
    // leaves the others'.
    let mut left_as_aligned = [0usize; MAX_BACK + 1];
    for t in (0..back).rev() {
        let (q, r) = match clip.side {
            Side::Right => (read.seq.len() - clip.len - 1 - t, bp - 1 - t as i64),
            Side::Left => (clip.len + t, bp + t as i64),
        };
        let b = read.seq[q];
        left_as_aligned[t] = left_as_aligned[t + 1] + usize::from(b != b'N' && b != w.base(r));
    }
    // Per shift, the best j: fewest mismatches (the clip's under the
    // event, the aligned bases' against the reference), then fewest bases
    // taken.
    let mut best: Option<(usize, Event)> = None;
    let mut tie = false;
    for s in shifts().filter(|&s| scored(s)) {
        let mut for_s: Option<(usize, Event)> = None;
        for (j, &kept_mm) in left_as_aligned.iter().enumerate().take(back + 1) {
            let e = Event { j, s };
            if s < 0 && clip.len + j < (-s) as usize + DUP_PAST {
                continue;
            }
            // Aligned bases are taken into the clip only where they fit
            // the event as well as the reference: one the aligner matched
            // that the event makes a mismatch is not the event's (a clip
            // too short without it, e.g. one base past a duplicated copy,
            // then spells no event rather than a neighbouring one).
            if taken_mismatches(read, w, clip, bp, e) > left_as_aligned[0] - kept_mm {
                continue;
            }
            let (m, mm) = score_shift(read, w, clip, bp, e);
            if m < MIN_CLIP || mm > (m + mm) / 10 {
                continue;
            }
            let total = mm + kept_mm;
            if for_s.is_none_or(|(b, _)| total < b) {
                for_s = Some((total, e));
            }
        }
        let Some((mm, e)) = for_s else { continue };
        match best {
            Some((b, _)) if mm == b => tie = true,
            Some((b, _)) if mm > b => {}
            _ => {
                best = Some((mm, e));
                tie = false;
            }
        }
    }
    best.filter(|_| !tie).map(|(_, e)| e)
}

/// Score of a read's bases against a haplotype: `N` on either side is no
/// evidence.
fn base_score(a: u8, b: u8) -> i32 {
    if a == b'N' || b == b'N' {
        0
    } else if a == b {
        1
    } else {
        -4
    }
}

/// The reference bases `[from, to)` (`N` outside the window).
fn ref_bases(w: &RefWindow, from: i64, to: i64) -> Vec<u8> {
    (from..to).map(|p| w.base(p)).collect()
}

/// Does the alternative haplotype of `e` explain the clip (with up to
/// [`ANCHOR`] aligned bases beside it) better than the reference by
/// [`MIN_MARGIN`]? Both alignments may leave the clip's far end unaligned
/// at no cost, and the reference may use gaps (a clip that is the
/// reference with a short indel or a few errors is not this event).
fn confirm(read: &ReadBases, w: &RefWindow, clip: Clip, bp: i64, e: Event) -> bool {
    let k = clip.len + e.j;
    let a = ANCHOR.min(clip.aligned - e.j);
    let n = read.seq.len();
    let (pad, (ai, ki)) = (PAD as i64, (a as i64, k as i64));
    let bpj = match clip.side {
        Side::Right => bp - e.j as i64,
        Side::Left => bp + e.j as i64,
    };
    let (query, reference, alt) = match clip.side {
        Side::Right => {
            let query = &read.seq[n - clip.len - e.j - a..];
            let mut alt = ref_bases(w, bpj - ai - pad, bpj);
            alt.extend(ref_bases(w, bpj + e.s, bpj + e.s + ki + pad));
            (query, ref_bases(w, bpj - ai - pad, bpj + ki + pad), alt)
        }
        Side::Left => {
            let query = &read.seq[..k + a];
            let mut alt = ref_bases(w, bpj - e.s - ki - pad, bpj - e.s);
            alt.extend(ref_bases(w, bpj, bpj + ai + pad));
            (query, ref_bases(w, bpj - ki - pad, bpj + ai + pad), alt)
        }
    };
    let mut scoring = Scoring::new(-6, -1, base_score as fn(u8, u8) -> i32).yclip(0);
    scoring = match clip.side {
        Side::Right => scoring.xclip_prefix(MIN_SCORE).xclip_suffix(0),
        Side::Left => scoring.xclip_prefix(0).xclip_suffix(MIN_SCORE),
    };
    let mut al = Aligner::with_capacity_and_scoring(query.len(), alt.len(), scoring);
    let alt_score = al.custom(query, &alt).score;
    let ref_score = al.custom(query, &reference).score;
    alt_score - ref_score >= MIN_MARGIN
}

/// `rec`'s CIGAR (the read at `pos`) with the clip realigned as event `e`,
/// and its new start. A duplication is written at the leftmost anchor of
/// its copy in `w` the read has aligned bases for (see [`dup_shift`]).
fn rewrite(cigar: &[u32], (pos, w): (i64, &RefWindow), clip: Clip, bp: i64, e: Event) -> Realigned {
    let op = |len: usize, code: u32| ((len as u32) << 4) | code;
    let k = clip.len + e.j;
    let kept = clip.aligned - e.j;
    // Aligned bases before and after the event, d of the first moved to
    // the second.
    let event = |out: &mut Vec<u32>, before: usize, after: usize, d: usize| {
        if e.s > 0 {
            out.extend([op(before, MATCH), op(e.s as usize, DEL), op(after, MATCH)]);
        } else {
            out.extend([
                op(before - d, MATCH),
                op((-e.s) as usize, INS),
                op(after + d, MATCH),
            ]);
        }
    };
    let mut out = Vec::with_capacity(cigar.len() + 2);
    let bpj = match clip.side {
        Side::Right => bp - e.j as i64,
        Side::Left => bp + e.j as i64,
    };
    match clip.side {
        Side::Right => {
            out.extend_from_slice(&cigar[..clip.block]);
            let after = if e.s > 0 { k } else { k - (-e.s) as usize };
            // The inserted bases read after the first copy: its copy is
            // the `-s` bases before the breakpoint.
            let d = dup_shift(w, bpj - 1 + e.s, e.s, bpj - 1, kept);
            event(&mut out, kept, after, d);
            out.extend_from_slice(&cigar[clip.op + 1..]);
            Realigned {
                start: pos,
                cigar: out,
            }
        }
        Side::Left => {
            out.extend_from_slice(&cigar[..clip.op]);
            let before = if e.s > 0 { k } else { k - (-e.s) as usize };
            // The inserted bases read before the copy, from the breakpoint.
            let d = dup_shift(w, bpj - 1, e.s, bpj - 1, before);
            event(&mut out, before, kept, d);
            out.extend_from_slice(&cigar[clip.block + 1..]);
            // The first base of the rewritten read: k clipped bases before
            // the deletion, or the bases before the inserted copy.
            let start = if e.s > 0 {
                bpj - e.s - k as i64
            } else {
                bpj - before as i64
            };
            Realigned { start, cigar: out }
        }
    }
}

/// How many bases left of `anchor` a duplication of shift `s` (< 0; none
/// for a deletion) inserted there is written: down to the leftmost anchor
/// of its copy in `w` (the copy `w` holds after `copy_anchor`, shifted left
/// while the reference repeats), keeping one of the `room` aligned bases
/// before it.
///
/// METHOD: the walk left-aligns an insertion by the read's own bases, and
/// a masked one (below `--min-bq`) stops it (`walk`): a right clip
/// realigned at the end of the first copy, 30 bases from where the
/// aligner writes the same duplication in other reads, kept an anchor per
/// read, wherever its first masked inserted base was, and the family
/// lost the molecule (benches/complex.sh, 30 bp duplication at 0.5%). The
/// event is known from the reference, so its anchor is too; the read's
/// bases there are its first copy instead of its second, the same
/// haplotype.
fn dup_shift(w: &RefWindow, copy_anchor: i64, s: i64, anchor: i64, room: usize) -> usize {
    if s >= 0 {
        return 0;
    }
    let leftmost = w.left_align_deletion(copy_anchor, -s);
    usize::try_from(anchor - leftmost)
        .unwrap_or(0)
        .min(room.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{random_sequence, window};
    use rust_htslib::bam::record::CigarString;

    const DEL_AT: usize = 200;

    fn reference() -> String {
        random_sequence(500, 21)
    }

    /// A read at 0-based `pos` with `cigar` (SAM text) and bases `seq`, Q30.
    fn rec(pos: i64, cigar: &str, seq: &str) -> Record {
        let mut r = Record::new();
        let c = CigarString::try_from(cigar).unwrap();
        r.set(b"r", Some(&c), seq.as_bytes(), &vec![30; seq.len()]);
        r.set_pos(pos);
        r
    }

    fn text(c: &[u32]) -> String {
        c.iter()
            .map(|&x| format!("{}{}", x >> 4, b"MIDNSHP=X"[(x & 0xf) as usize] as char))
            .collect()
    }

    fn run(r: &Record, reference: &str) -> Option<(i64, String)> {
        realign(r, &window(reference, 0), 20).map(|x| (x.start, text(&x.cigar)))
    }

    #[test]
    fn a_right_clip_across_a_32_bp_deletion_is_realigned() {
        let g = reference();
        // 50 aligned bases up to the deletion, then 30 from after it.
        let seq = format!("{}{}", &g[150..DEL_AT], &g[DEL_AT + 32..DEL_AT + 62]);
        let r = rec(150, "50M30S", &seq);
        assert_eq!(run(&r, &g), Some((150, "50M32D30M".into())));
        // A hard clip after the soft one is kept.
        let r = rec(150, "50M30S5H", &seq);
        assert_eq!(run(&r, &g), Some((150, "50M32D30M5H".into())));
    }

    /// A sequencing error in the first clipped base hides the event from
    /// the seed; a split read's SA tag still names it.
    #[test]
    fn an_sa_tag_names_the_shift_when_the_seed_has_an_error() {
        let g = reference();
        let mut seq = format!("{}{}", &g[150..DEL_AT], &g[DEL_AT + 32..DEL_AT + 72]).into_bytes();
        seq[50] = if seq[50] == b'A' { b'C' } else { b'A' };
        let seq = String::from_utf8(seq).unwrap();
        let mut r = rec(150, "50M40S", &seq);
        assert_eq!(run(&r, &g), None);
        // Supplementary: the 40 clipped bases aligned after the deletion.
        let sa = format!("chr1,{},+,50S40M,60,1;", DEL_AT + 32 + 1);
        r.push_aux(b"SA", Aux::String(&sa)).unwrap();
        assert_eq!(run(&r, &g), Some((150, "50M32D40M".into())));
        // On the other strand it is another alignment: not used.
        let mut other = rec(150, "50M40S", &seq);
        let sa = format!("chr1,{},-,50S40M,60,1;", DEL_AT + 32 + 1);
        other.push_aux(b"SA", Aux::String(&sa)).unwrap();
        assert_eq!(run(&other, &g), None);
        // Left clip: the supplementary ends where the deletion starts.
        let mut seq = format!(
            "{}{}",
            &g[DEL_AT - 30..DEL_AT],
            &g[DEL_AT + 32..DEL_AT + 82]
        )
        .into_bytes();
        seq[29] = if seq[29] == b'A' { b'C' } else { b'A' };
        let mut r = rec(
            (DEL_AT + 32) as i64,
            "30S50M",
            std::str::from_utf8(&seq).unwrap(),
        );
        assert_eq!(run(&r, &g), None);
        let sa = format!("chr1,{},+,30M50S,60,1;", DEL_AT - 30 + 1);
        r.push_aux(b"SA", Aux::String(&sa)).unwrap();
        assert_eq!(
            run(&r, &g),
            Some(((DEL_AT - 30) as i64, "30M32D50M".into()))
        );
    }

    #[test]
    fn a_left_clip_across_a_deletion_moves_the_start() {
        let g = reference();
        let seq = format!(
            "{}{}",
            &g[DEL_AT - 30..DEL_AT],
            &g[DEL_AT + 32..DEL_AT + 82]
        );
        let r = rec((DEL_AT + 32) as i64, "30S50M", &seq);
        assert_eq!(
            run(&r, &g),
            Some(((DEL_AT - 30) as i64, "30M32D50M".into()))
        );
    }

    /// The aligner aligned two bases past the breakpoint (mismatches
    /// there): the event is found with them taken back.
    #[test]
    fn a_breakpoint_a_few_bases_before_the_clip_is_found() {
        let g = reference();
        let seq = format!("{}{}", &g[150..DEL_AT], &g[DEL_AT + 32..DEL_AT + 62]);
        let mut b = seq.into_bytes();
        // Read 52 bases as aligned: the first two after the deletion.
        let r = rec(150, "52M28S", std::str::from_utf8(&b).unwrap());
        let got = realign(&r, &window(&g, 0), 20).unwrap();
        // 50M32D30M, or the same deletion further right (51M32D29M when
        // the base after it equals its first): one left-aligned anchor.
        assert_eq!((got.cigar[1] & 0xf, got.cigar[1] >> 4), (DEL, 32));
        let anchor = 150 + i64::from(got.cigar[0] >> 4) - 1;
        let w = window(&g, 0);
        assert_eq!(
            w.left_align_deletion(anchor, 32),
            w.left_align_deletion(DEL_AT as i64 - 1, 32)
        );
        // An adapter-like read of the same shape is left alone.
        for x in &mut b[52..] {
            *x = b'A';
        }
        let r = rec(150, "52M28S", std::str::from_utf8(&b).unwrap());
        assert_eq!(run(&r, &g), None);
    }

    #[test]
    fn clips_across_a_duplication_become_an_insertion() {
        let g = reference();
        // 18 bases before 218 (0-based 200..218) read twice.
        let (a, l) = (218, 18);
        let alt = format!("{}{}{}", &g[..a], &g[a - l..a], &g[a..]);
        // Right clip: 68 aligned up to the copy, 30 clipped (18 + 12):
        // the insertion is written before the first copy (its leftmost
        // anchor, 199: the base there differs from the copy's last), as
        // the left clip's below and an aligner's.
        let r = rec(150, "68M30S", &alt[150..248]);
        assert_eq!(run(&r, &g), Some((150, "50M18I30M".into())));
        // A read starting inside the first copy keeps one aligned base
        // before the insertion (the walk left-aligns it from there).
        let r = rec(205, "13M30S", &alt[205..248]);
        assert_eq!(run(&r, &g), Some((205, "1M18I24M".into())));
        // Left clip: the second copy and what follows are aligned (from
        // 200), the first copy and 12 bases before it clipped.
        let r = rec((a - l) as i64, "30S70M", &alt[a - 30..a + 70]);
        assert_eq!(run(&r, &g), Some(((a - 30) as i64, "12M18I70M".into())));
        // A clip shorter than the copy does not show the whole insertion:
        // no evidence.
        let r = rec(150, "68M15S", &alt[150..233]);
        assert_eq!(run(&r, &g), None);
    }

    /// A right clip across a duplication with a masked base (below
    /// `--min-bq`) in its clipped copy is walked as the insertion at the
    /// leftmost anchor, where reads that show it whole have it. Written at
    /// the end of the first copy, the walk's left-alignment by the read's
    /// bases stopped at the masked one (anchor 204), and the family vote
    /// lost the molecule.
    #[test]
    fn a_duplication_clip_with_a_masked_base_is_walked_at_the_leftmost_anchor() {
        use crate::evidence::observe::{ObsKind, Ranges, ReadSlots};
        use crate::evidence::OverlapPolicy;
        let g = reference();
        let (a, l) = (218, 18);
        let alt = format!("{}{}{}", &g[..a], &g[a - l..a], &g[a..]);
        let mut r = rec(150, "68M30S", &alt[150..248]);
        let mut q = vec![30u8; 98];
        q[68 + 5] = 5;
        let c = r.cigar().take();
        r.set(b"r", Some(&c), &alt.as_bytes()[150..248], &q);
        let mut slots = ReadSlots::default();
        let f = crate::testing::read_filter(OverlapPolicy::Merge);
        slots.walk(&r, &window(&g, 0), &Ranges(vec![(0, 500)]), &f);
        let o = slots.events[0];
        let ObsKind::Ins { off, len } = o.kind else {
            panic!("{o:?}")
        };
        assert_eq!(o.pos, (a - l - 1) as i64);
        assert!(o.usable);
        assert_eq!(
            slots.ins_seq(off, len).to_ascii_uppercase(),
            &g.as_bytes()[a - l..a]
        );
    }

    /// A read one base past a duplicated copy, its first inserted base
    /// aligned (it equals the reference's next base): the clip is short of
    /// the copy and 2 bases past it, and taking 2 aligned bases to reach
    /// that would read a duplication of the bases one before the copy,
    /// with a mismatch where the aligner matched. No event.
    #[test]
    fn a_clip_one_base_short_of_the_copy_spells_no_neighbouring_duplication() {
        let (a, l) = (218, 18);
        let mut g = reference().into_bytes();
        // The copy's first base is also the one after it (aligned by
        // chance), and the base before the copy is not the copy's last.
        g[a] = g[a - l];
        if g[a - l - 1] == g[a - 1] {
            g[a - l - 1] = if g[a - 1] == b'A' { b'C' } else { b'A' };
        }
        let g = String::from_utf8(g).unwrap();
        let alt = format!("{}{}{}", &g[..a], &g[a - l..a], &g[a..]);
        let r = rec(150, "69M18S", &alt[150..a + l + 1]);
        assert_eq!(run(&r, &g), None);
        // Two bases past the copy: the duplication.
        let r = rec(150, "69M19S", &alt[150..a + l + 2]);
        assert!(run(&r, &g).is_some());
    }

    #[test]
    fn short_adapter_and_reference_clips_are_no_evidence() {
        let g = reference();
        // Nine bases past the breakpoint: too short to tell.
        let seq = format!("{}{}", &g[150..DEL_AT], &g[DEL_AT + 32..DEL_AT + 41]);
        assert_eq!(run(&rec(150, "50M9S", &seq), &g), None);
        // Adapter read-through.
        let seq = format!("{}AGATCGGAAGAGCACACGTCTGAACTCCAGTCA", &g[150..DEL_AT]);
        assert_eq!(run(&rec(150, "50M33S", &seq), &g), None);
        // The reference itself, clipped (low-quality tail the aligner cut).
        let seq = &g[150..DEL_AT + 30];
        assert_eq!(run(&rec(150, "50M30S", seq), &g), None);
        // Low-quality clipped bases are no evidence either way.
        let seq = format!("{}{}", &g[150..DEL_AT], &g[DEL_AT + 32..DEL_AT + 62]);
        let mut r = rec(150, "50M30S", &seq);
        let mut q = vec![30u8; 80];
        q[58..].fill(5);
        let c = r.cigar().take();
        r.set(b"r", Some(&c), seq.as_bytes(), &q);
        assert_eq!(run(&r, &g), None, "8 confident bases");
        // No clip: nothing to do, no allocation.
        assert!(!has_long_clip(rec(150, "80M", &g[150..230]).raw_cigar()));
    }
}
