//! Aligner-like soft clipping of indels near read ends (with
//! `--long-indels-per-vaf > 0`), modelled on bwa mem's local extension and
//! its default scores.
//!
//! For the indel nearest a read end, the *short side* is the aligned bases
//! between it and that end. Two ways to align that end compete:
//!
//! - end to end through the gap: `short - gap`, where `short` scores the
//!   short side (+1 a match, -4 a mismatch) and `gap` = 6 + 1 a base;
//! - local, without the gap: the read goes on straight along the reference
//!   from the event's boundary (inserted bases first) for as long as that
//!   pays (`best`, the highest prefix score, 0 for none), and the rest is
//!   soft-clipped. For a tandem duplication this straight run matches the
//!   duplicated copy, as bwa's alignments of such reads do.
//!
//! bwa keeps the end-to-end alignment only when it scores more than the
//! local one plus the clip penalty 5, so the read is clipped when
//! `short - gap <= best - 5`: e.g. an 18 bp deletion with no chance match
//! after it stays in the CIGAR with >= 20 matching bases on the short side.
//! Repeated while an indel qualifies (the lower-scoring short side first).
//! Run on the sequenced read, so sequencing errors count as they would for
//! an aligner; docs/simulate.md compares the rule with bwa mem.

use super::alignment::{align, Aligned, Supplementary};
use super::fragments::Col;
use rust_htslib::bam::record::Cigar;

/// Lowest score of a clipped part that gets its own (supplementary)
/// alignment, as bwa mem's `-T 30`.
pub const MIN_SUPPLEMENTARY_SCORE: i32 = 30;

/// Bases of the event next to a short side that go on straight along the
/// reference with it (a duplication's copy): how many, and their score.
type Straight = (usize, i32);

/// The short side `cols[from..=to]` (all M), extended over `before` /
/// `after` straight-running event bases, as a supplementary alignment when
/// it scores at least [`MIN_SUPPLEMENTARY_SCORE`].
fn supplementary(
    cols: &[Col],
    reference: &[u8],
    (from, to): (usize, usize),
    before: Straight,
    after: Straight,
) -> Option<Supplementary> {
    let short = score(&cols[from..=to], reference);
    if short + before.1 + after.1 < MIN_SUPPLEMENTARY_SCORE {
        return None;
    }
    let Col::M { r, .. } = cols[from] else {
        return None;
    };
    let bases = |part: &[Col]| part.iter().filter(|c| c.base().is_some()).count();
    let lead = bases(&cols[..from]) - before.0;
    let m = bases(&cols[from..=to]) + before.0 + after.0;
    let trail = bases(&cols[to + 1..]) - after.0;
    let cigar = [lead, m, trail]
        .into_iter()
        .zip([
            Cigar::SoftClip as fn(u32) -> Cigar,
            Cigar::Match,
            Cigar::SoftClip,
        ])
        .filter(|(n, _)| *n > 0)
        .map(|(n, op)| op(n as u32))
        .collect();
    // Each straight base scores +1 or -4: its mismatches are (len - score) / 5.
    let mismatches = |(n, sc): Straight| (n as i32 - sc) as u32 / 5;
    let nm = cols[from..=to]
        .iter()
        .filter(|c| matches!(c, Col::M { r, b } if reference.get(*r as usize) != Some(b)))
        .count() as u32
        + mismatches(before)
        + mismatches(after);
    Some(Supplementary {
        pos: i64::from(r) - before.0 as i64,
        cigar,
        nm,
    })
}

/// One clip: the short side's score, the new columns, and the clipped
/// part's own alignment if it has one.
type Clip = (i32, Vec<Col>, Option<Supplementary>);

/// Match score (bwa mem `-A`).
pub const MATCH: i32 = 1;
/// Mismatch penalty (`-B`).
pub const MISMATCH: i32 = 4;
/// Gap open penalty (`-O`, insertions and deletions alike).
pub const GAP_OPEN: i32 = 6;
/// Gap extension penalty per base (`-E`).
pub const GAP_EXTEND: i32 = 1;
/// Clipping penalty (`-L`).
pub const CLIP_PENALTY: i32 = 5;

fn is_gap(c: &Col) -> bool {
    !matches!(c, Col::M { .. })
}

fn base_score(reference: &[u8], r: usize, b: u8) -> i32 {
    if reference.get(r) == Some(&b) {
        MATCH
    } else {
        -MISMATCH
    }
}

/// Score of the aligned columns of `part`.
fn score(part: &[Col], reference: &[u8]) -> i32 {
    part.iter()
        .map(|c| match *c {
            Col::M { r, b } => base_score(reference, r as usize, b),
            _ => 0,
        })
        .sum()
}

/// Highest score of a prefix of `bases` laid without a gap at reference
/// positions `pos(j)` (None: before the contig start), and its length.
fn best_ungapped(
    bases: &[u8],
    reference: &[u8],
    pos: impl Fn(usize) -> Option<usize>,
) -> (i32, usize) {
    let (mut s, mut best, mut len) = (0, 0, 0);
    for (j, &b) in bases.iter().enumerate() {
        let Some(r) = pos(j) else { break };
        s += base_score(reference, r, b);
        if s > best {
            best = s;
            len = j + 1;
        }
    }
    (best, len)
}

fn gap_cost(len: usize) -> i32 {
    GAP_OPEN + GAP_EXTEND * len as i32
}

/// The read with its rightmost indel clipped, when the rule says so:
/// (short-side score, new columns).
fn clip_right(cols: &[Col], reference: &[u8]) -> Option<Clip> {
    let first = cols.iter().position(|c| !is_gap(c))?;
    let last = cols.iter().rposition(|c| !is_gap(c))?;
    let z = cols[..=last]
        .iter()
        .rposition(is_gap)
        .filter(|&z| z > first)?;
    let y = z + 1 - cols[..=z].iter().rev().take_while(|c| is_gap(c)).count();
    let Col::M { r: r0, .. } = cols[y - 1] else {
        return None;
    };
    let short = score(&cols[z + 1..=last], reference);
    let bases: Vec<u8> = cols[y..].iter().filter_map(|c| c.base()).collect();
    let at = |j: usize| Some(r0 as usize + 1 + j);
    let (best, ext) = best_ungapped(&bases, reference, at);
    if short - gap_cost(z + 1 - y) > best - CLIP_PENALTY {
        return None;
    }
    let mut out = cols[..y].to_vec();
    out.extend(bases.iter().enumerate().map(|(j, &b)| match j < ext {
        true => Col::M {
            r: r0 + 1 + j as u32,
            b,
        },
        false => Col::I { b },
    }));
    // The supplementary part: the short side, extended back over the
    // inserted bases that run straight into it.
    let inserted: Vec<u8> = cols[y..=z].iter().rev().filter_map(|c| c.base()).collect();
    let Col::M { r: rs, .. } = cols[z + 1] else {
        return None;
    };
    let (sc, n) = best_ungapped(&inserted, reference, |j| (rs as usize).checked_sub(1 + j));
    let sa = supplementary(cols, reference, (z + 1, last), (n, sc), (0, 0));
    Some((short, out, sa))
}

/// The read with its leftmost indel clipped, when the rule says so.
fn clip_left(cols: &[Col], reference: &[u8]) -> Option<Clip> {
    let first = cols.iter().position(|c| !is_gap(c))?;
    let last = cols.iter().rposition(|c| !is_gap(c))?;
    let a = first + cols[first..=last].iter().position(is_gap)?;
    let b = a + cols[a..].iter().take_while(|c| is_gap(c)).count();
    let Col::M { r: r1, .. } = cols[b] else {
        return None;
    };
    let short = score(&cols[first..a], reference);
    let bases: Vec<u8> = cols[..b].iter().filter_map(|c| c.base()).collect();
    let rev: Vec<u8> = bases.iter().rev().copied().collect();
    let at = |j: usize| (r1 as usize).checked_sub(1 + j);
    let (best, ext) = best_ungapped(&rev, reference, at);
    if short - gap_cost(b - a) > best - CLIP_PENALTY {
        return None;
    }
    let n = bases.len();
    let mut out: Vec<Col> = bases
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let j = n - 1 - i;
            match j < ext {
                true => Col::M {
                    r: r1 - 1 - j as u32,
                    b: x,
                },
                false => Col::I { b: x },
            }
        })
        .collect();
    out.extend_from_slice(&cols[b..]);
    let inserted: Vec<u8> = cols[a..b].iter().filter_map(|c| c.base()).collect();
    let Col::M { r: re, .. } = cols[a - 1] else {
        return None;
    };
    let (sc, n) = best_ungapped(&inserted, reference, |j| Some(re as usize + 1 + j));
    let sa = supplementary(cols, reference, (first, a - 1), (0, 0), (n, sc));
    Some((short, out, sa))
}

/// Clip indels near the read ends by the rule in the module docs; bases
/// beyond the last (before the first) aligned column become the soft clip.
/// Also returns the clipped parts that align on their own (scoring >= 30,
/// as bwa mem's `-T`: in practice the far side of a long duplication).
pub fn clip_at_events(mut cols: Vec<Col>, reference: &[u8]) -> (Vec<Col>, Vec<Supplementary>) {
    let mut parts = Vec::new();
    loop {
        let (_, next, sa) = match (clip_left(&cols, reference), clip_right(&cols, reference)) {
            (Some(l), Some(r)) if l.0 <= r.0 => l,
            (_, Some(r)) => r,
            (Some(l), None) => l,
            (None, None) => return (cols, parts),
        };
        cols = next;
        parts.extend(sa);
    }
}

/// The read bases an alignment covers: (first, end) after the leading clip.
fn query_span(cigar: &[Cigar]) -> (u32, u32) {
    let lead = match cigar.first() {
        Some(Cigar::SoftClip(n)) => *n,
        _ => 0,
    };
    let aligned: u32 = cigar
        .iter()
        .filter(|c| matches!(c, Cigar::Match(_) | Cigar::Ins(_)))
        .map(|c| c.len())
        .sum();
    (lead, lead + aligned)
}

/// bwa mem's `-m` rule (mask level 0.5): a second alignment is a
/// supplementary one only when at most half of the shorter of the two
/// covers the same read bases; otherwise it is an alternative of the
/// primary, not a split part (no `SA`).
fn distinct(a: (u32, u32), b: (u32, u32)) -> bool {
    let overlap = a.1.min(b.1).saturating_sub(a.0.max(b.0));
    let shorter = (a.1 - a.0).min(b.1 - b.0);
    2 * overlap <= shorter
}

/// `read`, sequenced from the columns `cols`, aligned again with its events
/// clipped: CIGAR, position and NM change; bases, qualities and the span
/// read stay.
pub fn realign(cols: &[Col], read: Aligned, reference: &[u8]) -> Aligned {
    let mut cols = cols.to_vec();
    let mut bases = read.bases.iter();
    for c in cols.iter_mut() {
        if let Col::M { b, .. } | Col::I { b } = c {
            // `read.bases` holds one base per base column (align's rule).
            *b = bases.next().copied().unwrap_or(*b);
        }
    }
    let (cols, mut supplementary) = clip_at_events(cols, reference);
    match align(&cols, reference) {
        Some(a) => {
            let primary = query_span(&a.cigar);
            supplementary.retain(|s| distinct(primary, query_span(&s.cigar)));
            Aligned {
                qual: read.qual,
                read_span: read.read_span,
                supplementary,
                ..a
            }
        }
        None => read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_htslib::bam::record::Cigar;

    /// A reference without repeats, so chance matches are rare.
    fn reference() -> Vec<u8> {
        let mut x: u64 = 12345;
        (0..400)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                b"ACGT"[(x >> 33) as usize % 4]
            })
            .collect()
    }

    /// Columns of a read starting at `start` with `len` bases and an
    /// 18 bp deletion after reference position `anchor`.
    fn with_deletion(seq: &[u8], start: u32, len: usize, anchor: u32) -> Vec<Col> {
        let mut cols = Vec::new();
        let mut r = start;
        while cols.iter().filter(|c: &&Col| c.base().is_some()).count() < len {
            if r == anchor + 1 {
                cols.extend((r..r + 18).map(|r| Col::D { r }));
                r += 18;
            }
            cols.push(Col::M {
                r,
                b: seq[r as usize],
            });
            r += 1;
        }
        cols
    }

    fn cigar_of(cols: Vec<Col>, seq: &[u8]) -> (i64, Vec<Cigar>) {
        let a = align(&clip_at_events(cols, seq).0, seq).unwrap();
        (a.pos, a.cigar)
    }

    #[test]
    fn an_18bp_deletion_is_clipped_near_a_read_end_and_kept_in_the_middle() {
        let seq = reference();
        // 75 bases each side: a D.
        let (_, c) = cigar_of(with_deletion(&seq, 100, 150, 174), &seq);
        assert_eq!(c, vec![Cigar::Match(75), Cigar::Del(18), Cigar::Match(75)]);
        // 10 bases after it: clipped (10 - 24 <= best - 5), SEQ kept as S.
        let (pos, c) = cigar_of(with_deletion(&seq, 100, 150, 239), &seq);
        assert_eq!(pos, 100);
        let Cigar::Match(m) = c[0] else {
            panic!("{c:?}")
        };
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[1], Cigar::SoftClip(150 - m), "{c:?}");
        assert!((140..=143).contains(&m), "{c:?}");
        // 10 bases before it: the left part is clipped and POS moves past it.
        let (pos, c) = cigar_of(with_deletion(&seq, 100, 150, 109), &seq);
        let Cigar::SoftClip(s) = c[0] else {
            panic!("{c:?}")
        };
        assert!((7..=10).contains(&s), "{c:?}");
        assert_eq!(pos, 128 - i64::from(10 - s));
        // 30 bases on the short side: 30 - 24 > 0 - 5, kept.
        let (_, c) = cigar_of(with_deletion(&seq, 100, 150, 219), &seq);
        assert_eq!(c, vec![Cigar::Match(120), Cigar::Del(18), Cigar::Match(30)]);
    }

    #[test]
    fn a_tandem_duplication_near_the_end_aligns_straight_into_the_copy() {
        let seq = reference();
        // Read of 100 bases: 80 reference bases up to 179, then 12 inserted
        // bases duplicating 180..192, then 8 more (180..188).
        let mut cols: Vec<Col> = (100..180)
            .map(|r| Col::M {
                r,
                b: seq[r as usize],
            })
            .collect();
        cols.extend((180..192).map(|r| Col::I { b: seq[r as usize] }));
        cols.extend((180..188).map(|r| Col::M {
            r,
            b: seq[r as usize],
        }));
        let (pos, c) = cigar_of(cols, &seq);
        // The copy matches the reference after the anchor: 92 M at least,
        // the rest clipped; no I.
        assert_eq!(pos, 100);
        let Cigar::Match(m) = c[0] else {
            panic!("{c:?}")
        };
        assert!(
            m >= 92 && c.iter().all(|x| !matches!(x, Cigar::Ins(_))),
            "{c:?}"
        );
    }

    fn matches(seq: &[u8], r: std::ops::Range<u32>) -> impl Iterator<Item = Col> + '_ {
        r.map(|r| Col::M {
            r,
            b: seq[r as usize],
        })
    }

    fn inserted(seq: &[u8], r: std::ops::Range<u32>) -> impl Iterator<Item = Col> + '_ {
        r.map(|r| Col::I { b: seq[r as usize] })
    }

    #[test]
    fn a_clipped_part_scoring_30_or_more_gets_a_supplementary_alignment() {
        let seq = reference();
        // 80 reference bases to 179, a 29 bp duplication of 180..209, then
        // 41 bases from 180: clipped (41 - 35 <= 29 - 5); the 41 bases map
        // on their own at 180 (bwa's SA would say 109S41M).
        let mut cols: Vec<Col> = matches(&seq, 100..180).collect();
        cols.extend(inserted(&seq, 180..209));
        cols.extend(matches(&seq, 180..221));
        let (clipped, parts) = clip_at_events(cols.clone(), &seq);
        let a = align(&clipped, &seq).unwrap();
        assert!(
            matches!(a.cigar.last(), Some(Cigar::SoftClip(_))),
            "{:?}",
            a.cigar
        );
        let sa = Supplementary {
            pos: 180,
            cigar: vec![Cigar::SoftClip(109), Cigar::Match(41)],
            nm: 0,
        };
        assert_eq!(parts, vec![sa]);
        // 20 bases after it: clipped too, but too short to map alone.
        let (_, parts) = clip_at_events(cols[..129].to_vec(), &seq);
        assert!(parts.is_empty());
        // The mirror image: 20 bases to 179, the duplication, 100 bases
        // from 180: the left part maps with the copy running straight on.
        let mut cols: Vec<Col> = matches(&seq, 160..180).collect();
        cols.extend(inserted(&seq, 180..209));
        cols.extend(matches(&seq, 180..280));
        let (clipped, parts) = clip_at_events(cols, &seq);
        let a = align(&clipped, &seq).unwrap();
        assert_eq!((a.pos, a.cigar[0]), (180, Cigar::SoftClip(49)));
        let sa = Supplementary {
            pos: 160,
            cigar: vec![Cigar::Match(49), Cigar::SoftClip(100)],
            nm: 0,
        };
        assert_eq!(parts, vec![sa]);
    }
}
