//! Fragments: overlapping mates become one observation per position.
//!
//! METHOD: where both mates of a fragment cover a position, agreeing bases
//! count once with the two qualities summed (capped at [`MERGED_QUAL_CAP`]);
//! disagreeing bases are dropped (no quality-based tie-break: a discordant
//! overlap is evidence of an error in one of the two reads, and we cannot
//! tell which). Indels inside the overlap must be seen by both mates; an
//! indel seen by one mate only is dropped (a mate whose last base is the
//! indel's anchor cannot show it, so there the other mate counts alone; nor
//! can a mate whose bases after the anchor, to its end, repeat an
//! insertion's sequence, e.g. one ending inside a duplicated copy). A mate that shows the same indel
//! but fails the base filters there (low quality, too near its end) does
//! not disagree: the other mate's copy counts alone, as for a base whose
//! mate's copy is below the quality threshold. Two insertions are the same
//! when their bases read at `--min-bq` or better agree (masked bases, in
//! lower case, are no evidence; see `observe::ins_compatible`), and each
//! mate's masked bases are filled from the other. A merged observation takes read
//! 1's strand and orientation, the larger distance to a read end, and the
//! mean mapping quality.

use super::alleles::{Indel, MoleculeClass, PositionCounts, PositionSink, Support};
use super::filters::ReadCounters;
use super::observe::{fill_masked, ins_compatible, Obs, ObsKind, ReadMeta, ReadSlots, Slot};
use std::cmp::Ordering;

/// Cap on the summed quality of two agreeing mates.
pub const MERGED_QUAL_CAP: u8 = 60;

/// One read's support (a [`MoleculeClass::Read`]).
fn support(m: &ReadMeta, qual: u8, dist: u16) -> Support {
    Support {
        qual,
        mapq: m.mapq,
        dist,
        reverse: m.reverse,
        orientation: m.orientation,
        class: MoleculeClass::Read,
    }
}

/// Two agreeing mates' support (a [`MoleculeClass::Pair`]): summed
/// qualities, the larger distance to a read end.
fn pair_support(merged: &ReadMeta, (qa, da): (u8, u16), (qb, db): (u8, u16)) -> Support {
    let qual = (u16::from(qa) + u16::from(qb)).min(u16::from(MERGED_QUAL_CAP)) as u8;
    Support {
        class: MoleculeClass::Pair,
        ..support(merged, qual, da.max(db))
    }
}

/// Add one observation of a list-form read (unusable ones are skipped);
/// an insertion's bases are `ins[off..off + len]`.
pub fn add(counts: &mut impl PositionSink, ins: &[u8], o: &Obs, s: &Support) {
    add_obs(counts, ins, o, s);
}

/// Add one observation whose inserted bases, if any, are in `ins`.
fn add_obs(counts: &mut impl PositionSink, ins: &[u8], o: &Obs, s: &Support) {
    if !o.usable {
        return;
    }
    let Some(pc) = counts.at_mut(o.pos) else {
        return;
    };
    match o.kind {
        ObsKind::Base(b) => pc.bases[b as usize].add(s),
        ObsKind::DelSpan => pc.del_span += 1,
        ObsKind::Del(n) => pc.indel_mut(&Indel::Del(n)).add(s),
        ObsKind::Ins { off, len } => add_insertion(pc, &ins[off as usize..(off + len) as usize], s),
        ObsKind::Replace { off, len, ref_len } => {
            add_replacement(pc, &ins[off as usize..(off + len) as usize], ref_len, s)
        }
    }
}

/// Count an MNV or delins (looked up by slice, so repeated ones do not
/// allocate).
fn add_replacement(pc: &mut PositionCounts, seq: &[u8], ref_len: u32, s: &Support) {
    let found = pc
        .indels
        .iter_mut()
        .find(|(k, _)| k.is_replacement(seq, ref_len));
    match found {
        Some((_, st)) => st.add(s),
        None => pc.indel_mut(&Indel::replacement(seq, ref_len)).add(s),
    }
}

/// Count an insertion as the bases it reads, masked ones (lower case, below
/// `--min-bq`) as the letter read: the allele has to be written somehow,
/// and mates and families have filled what they could (`fill_masked`).
fn add_insertion(pc: &mut PositionCounts, seq: &[u8], s: &Support) {
    // Look up by slice first so that repeated insertions do not allocate.
    let found = pc
        .indels
        .iter_mut()
        .find(|(k, _)| matches!(k, Indel::Ins(v) if v.eq_ignore_ascii_case(seq)));
    match found {
        Some((_, st)) => st.add(s),
        None => pc.indel_mut(&Indel::Ins(seq.to_ascii_uppercase())).add(s),
    }
}

/// One read's slot counted on its own.
#[inline]
fn add_slot(pc: &mut PositionCounts, s: Slot, m: &ReadMeta) {
    match s.code {
        0..=3 => pc.bases[s.code as usize].add(&support(m, s.qual, s.dist)),
        Slot::DEL => pc.del_span += 1,
        _ => {}
    }
}

/// Count `r`'s slots from `pos` onwards into `pcs` (counters of
/// consecutive positions starting at `pos`), on their own.
fn add_run(pcs: &mut [PositionCounts], r: &ReadSlots, pos: i64) {
    if pcs.is_empty() {
        // Nothing of `r` here; `pos` may lie past its end (a shard piece
        // of a fragment beyond this mate).
        return;
    }
    let i = (pos - r.meta.start) as usize;
    for (pc, &s) in pcs.iter_mut().zip(&r.slots[i..]) {
        add_slot(pc, s, &r.meta);
    }
}

/// Count a read whose mate does not overlap it (or is not used).
pub fn add_single(counts: &mut impl PositionSink, r: &ReadSlots) {
    counts.for_each_run(r.meta.start, r.meta.end, |pos, pcs| add_run(pcs, r, pos));
    for o in &r.events {
        add_obs(counts, &r.ins, o, &support(&r.meta, o.qual, o.dist));
    }
}

fn same_event(a: &ReadSlots, x: &Obs, b: &ReadSlots, y: &Obs) -> bool {
    match (x.kind, y.kind) {
        (ObsKind::Del(m), ObsKind::Del(n)) => m == n,
        (ObsKind::Ins { off: o1, len: l1 }, ObsKind::Ins { off: o2, len: l2 }) => {
            ins_compatible(a.ins_seq(o1, l1), b.ins_seq(o2, l2))
        }
        (
            ObsKind::Replace {
                off: o1,
                len: l1,
                ref_len: r1,
            },
            ObsKind::Replace {
                off: o2,
                len: l2,
                ref_len: r2,
            },
        ) => r1 == r2 && a.ins_seq(o1, l1) == b.ins_seq(o2, l2),
        _ => false,
    }
}

/// Can `other` not tell whether insertion `o` of `r` is there? See
/// [`ReadSlots::ends_inside_copy`].
fn ins_runs_past(r: &ReadSlots, o: &Obs, other: &ReadSlots) -> bool {
    let ObsKind::Ins { off, len } = o.kind else {
        return false;
    };
    other.ends_inside_copy(o.pos, r.ins_seq(off, len))
}

/// Count two overlapping mates as one fragment.
pub fn add_pair(
    counts: &mut impl PositionSink,
    a: &mut ReadSlots,
    b: &mut ReadSlots,
    rc: &mut ReadCounters,
) {
    let (ma, mb) = (a.meta, b.meta);
    let lo = ma.start.max(mb.start);
    let hi = ma.end.min(mb.end);
    if lo >= hi {
        add_single(counts, a);
        add_single(counts, b);
        return;
    }
    // Read 1 gives the fragment's strand and orientation.
    let r1 = if ma.read1 { &ma } else { &mb };
    let merged = ReadMeta {
        mapq: ((u16::from(ma.mapq) + u16::from(mb.mapq)) / 2) as u8,
        ..*r1
    };
    // Before the overlap only the earlier read covers a position, after
    // it only the read that ends last.
    let first: &ReadSlots = if ma.start <= mb.start { a } else { b };
    let last: &ReadSlots = if ma.end >= mb.end { a } else { b };
    let (mut concordant, mut discordant) = (0u64, 0u64);
    counts.for_each_run(first.meta.start, last.meta.end, |pos, pcs| {
        let end = pos + pcs.len() as i64;
        let cut1 = lo.clamp(pos, end);
        let cut2 = hi.clamp(cut1, end);
        let (before, rest) = pcs.split_at_mut((cut1 - pos) as usize);
        let (overlap, after) = rest.split_at_mut((cut2 - cut1) as usize);
        add_run(before, first, pos);
        add_run(after, last, cut2);
        if overlap.is_empty() {
            // A piece of the fragment outside the overlap: it may start
            // past the end of the earlier mate (shards with a gap), where
            // that mate has no slots to look at.
            return;
        }
        let sa = &a.slots[(cut1 - ma.start) as usize..];
        let sb = &b.slots[(cut1 - mb.start) as usize..];
        for ((pc, &x), &y) in overlap.iter_mut().zip(sa).zip(sb) {
            if y.code == Slot::NONE {
                add_slot(pc, x, &ma);
            } else if x.code == Slot::NONE {
                add_slot(pc, y, &mb);
            } else if x.code != y.code {
                discordant += 1;
            } else {
                concordant += 1;
                if x.code == Slot::DEL {
                    pc.del_span += 1;
                } else {
                    let s = pair_support(&merged, (x.qual, x.dist), (y.qual, y.dist));
                    pc.bases[x.code as usize].add(&s);
                }
            }
        }
    });
    rc.concordant_overlap_bases += concordant;
    rc.discordant_overlap_bases += discordant;
    add_pair_events(counts, a, b, lo, hi, &merged);
}

/// The indel events of two overlapping mates: inside the overlap an event
/// must be shown by both (else it is discordant and dropped).
fn add_pair_events(
    counts: &mut impl PositionSink,
    a: &mut ReadSlots,
    b: &mut ReadSlots,
    lo: i64,
    hi: i64,
    merged: &ReadMeta,
) {
    if a.events.is_empty() && b.events.is_empty() {
        return;
    }
    a.sort_events();
    b.sort_events();
    // An indel after anchor `p` sits between `p` and `p + 1`: only a mate
    // that reads both can show or deny it (an MNV: all its bases).
    let in_overlap = |o: &Obs| o.pos >= lo && o.pos + o.kind.span_after() < hi;
    let (mut i, mut j) = (0, 0);
    while i < a.events.len() || j < b.events.len() {
        let ord = match (a.events.get(i), b.events.get(j)) {
            (Some(x), Some(y)) => x.pos.cmp(&y.pos),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match ord {
            Ordering::Less => {
                let x = &a.events[i];
                i += 1;
                if !in_overlap(x) || ins_runs_past(a, x, b) {
                    add_obs(counts, &a.ins, x, &support(&a.meta, x.qual, x.dist));
                }
            }
            Ordering::Greater => {
                let y = &b.events[j];
                j += 1;
                if !in_overlap(y) || ins_runs_past(b, y, a) {
                    add_obs(counts, &b.ins, y, &support(&b.meta, y.qual, y.dist));
                }
            }
            Ordering::Equal => {
                let (x, y) = (a.events[i], b.events[j]);
                i += 1;
                j += 1;
                if !same_event(a, &x, b, &y) {
                    continue;
                }
                // One insertion: each mate's masked bases read by the other.
                if let (ObsKind::Ins { off: o1, len }, ObsKind::Ins { off: o2, .. }) =
                    (x.kind, y.kind)
                {
                    let (o1, o2, len) = (o1 as usize, o2 as usize, len as usize);
                    fill_masked(&mut a.ins[o1..o1 + len], &b.ins[o2..o2 + len]);
                    fill_masked(&mut b.ins[o2..o2 + len], &a.ins[o1..o1 + len]);
                }
                let (x, y) = (&x, &y);
                if x.usable != y.usable {
                    // Both mates show this indel but one copy failed the base
                    // filters: no disagreement, the usable copy counts alone.
                    if x.usable {
                        add_obs(counts, &a.ins, x, &support(&a.meta, x.qual, x.dist));
                    } else {
                        add_obs(counts, &b.ins, y, &support(&b.meta, y.qual, y.dist));
                    }
                } else {
                    let s = pair_support(merged, (x.qual, x.dist), (y.qual, y.dist));
                    add_obs(counts, &a.ins, x, &s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::ShardCounts;

    /// A read over `[start, end)` showing `slots` (position, code) and
    /// `events`; other positions show nothing.
    fn read(start: i64, end: i64, read1: bool, slots: &[(i64, u8)], events: Vec<Obs>) -> ReadSlots {
        let mut r = ReadSlots {
            meta: ReadMeta {
                start,
                end,
                mapq: 60,
                reverse: !read1,
                read1,
                orientation: crate::evidence::alleles::Orientation::F1R2,
            },
            slots: vec![Slot::EMPTY; (end - start) as usize],
            events,
            ins: Vec::new(),
            written: ReadSlots::ANYWHERE,
        };
        for &(pos, code) in slots {
            r.slots[(pos - start) as usize] = Slot {
                code,
                qual: 30,
                dist: 10,
            };
        }
        r
    }

    fn deletion(pos: i64, usable: bool) -> Obs {
        Obs {
            pos,
            kind: ObsKind::Del(1),
            qual: if usable { 30 } else { 5 },
            dist: 10,
            usable,
        }
    }

    /// A read carrying a 1 bp deletion after 20 (its copy usable or not).
    fn with_deletion(start: i64, end: i64, read1: bool, usable: bool) -> ReadSlots {
        let slots = [(20, 0), (21, Slot::DEL), (22, 1)];
        read(start, end, read1, &slots, vec![deletion(20, usable)])
    }

    fn deletions_at_20(c: &ShardCounts) -> u32 {
        c.positions[20]
            .indels
            .iter()
            .find(|(k, _)| *k == Indel::Del(1))
            .map_or(0, |(_, s)| s.n)
    }

    #[test]
    fn indel_in_both_mates_counts_once_even_when_one_copy_fails_the_filters() {
        // Mates overlap on [10, 30) and both carry the deletion. A copy that
        // fails the base filters is no disagreement: the other still counts.
        for (ua, ub, want) in [
            (true, true, 1),
            (true, false, 1),
            (false, true, 1),
            (false, false, 0),
        ] {
            let mut counts = ShardCounts::new(0, 40);
            let mut a = with_deletion(0, 30, true, ua);
            let mut b = with_deletion(10, 40, false, ub);
            add_pair(&mut counts, &mut a, &mut b, &mut ReadCounters::default());
            assert_eq!(deletions_at_20(&counts), want, "usable {ua}/{ub}");
            // The bases around it are unaffected: one molecule each.
            assert_eq!(counts.positions[22].depth(), 1);
        }
    }

    /// A read over `[start, end)` showing the MNV `bases` from 20 on (or
    /// nothing there).
    fn with_mnv(start: i64, end: i64, read1: bool, bases: Option<&[u8]>) -> ReadSlots {
        let slots: &[(i64, u8)] = if start <= 19 { &[(19, 0)] } else { &[] };
        let mut r = read(start, end, read1, slots, Vec::new());
        if let Some(b) = bases {
            r.ins = b.to_vec();
            r.events.push(Obs {
                pos: 20,
                kind: ObsKind::Replace {
                    off: 0,
                    len: b.len() as u32,
                    ref_len: b.len() as u32,
                },
                qual: 30,
                dist: 10,
                usable: true,
            });
        }
        r
    }

    #[test]
    fn mates_agree_on_an_mnv_base_for_base_and_only_where_both_read_it() {
        let mnv_at_20 = |c: &ShardCounts| c.positions[20].indels.clone();
        let pair = |a: Option<&[u8]>, b: Option<&[u8]>, b_start: i64| {
            let mut counts = ShardCounts::new(0, 40);
            let mut x = with_mnv(0, 30, true, a);
            let mut y = with_mnv(b_start, 40, false, b);
            add_pair(&mut counts, &mut x, &mut y, &mut ReadCounters::default());
            mnv_at_20(&counts)
        };
        let got = pair(Some(b"GT"), Some(b"GT"), 10);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (&got[0].0, got[0].1.by_class),
            (&Indel::Mnv(b"GT".to_vec()), [0, 1, 0, 0])
        );
        // Other bases, or none, in a mate that reads all of it: discordant.
        assert!(pair(Some(b"GT"), Some(b"GA"), 10).is_empty());
        assert!(pair(Some(b"GT"), None, 10).is_empty());
        // A mate that starts inside the MNV (at 21) cannot deny it.
        let got = pair(Some(b"GT"), None, 21);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1.by_class, [1, 0, 0, 0]);
    }

    #[test]
    fn agreeing_mates_are_a_pair_and_a_lone_read_a_read() {
        // Mates overlap on [10, 30): a base both show is a pair molecule,
        // one only the first mate reads is a read, the merged deletion a pair.
        let mut counts = ShardCounts::new(0, 40);
        let mut a = read(
            0,
            30,
            true,
            &[(5, 2), (20, 0), (21, Slot::DEL), (22, 1)],
            vec![deletion(20, true)],
        );
        let mut b = with_deletion(10, 40, false, true);
        add_pair(&mut counts, &mut a, &mut b, &mut ReadCounters::default());
        let pair = [0, 1, 0, 0];
        assert_eq!(counts.positions[5].bases[2].by_class, [1, 0, 0, 0]);
        assert_eq!(counts.positions[22].bases[1].by_class, pair);
        let del = &counts.positions[20].indels[0].1;
        assert_eq!(del.by_class, pair);
        // Counted on their own, each mate is a read.
        let mut apart = ShardCounts::new(0, 40);
        add_single(&mut apart, &with_deletion(0, 30, true, true));
        assert_eq!(apart.positions[22].bases[1].by_class, [1, 0, 0, 0]);
    }

    #[test]
    fn a_mate_ending_inside_a_duplicated_copy_does_not_deny_it() {
        // Read 1 shows "CAG" (codes 1, 0, 2) inserted after 20; read 2
        // ends at 26 reading C A G C A G from 21 on: the insertion shifted
        // right lies past its end. One base further (a T at 26), it reads
        // through and denies it.
        for (end, want) in [(27, 1), (28, 0)] {
            let mut counts = ShardCounts::new(0, 40);
            let ins = Obs {
                pos: 20,
                kind: ObsKind::Ins { off: 0, len: 3 },
                qual: 30,
                dist: 10,
                usable: true,
            };
            let mut a = read(0, 40, true, &[], vec![ins]);
            a.ins = b"CAG".to_vec();
            let copy = [1, 0, 2, 1, 0, 2, 3];
            let slots: Vec<(i64, u8)> = (21..end).map(|p| (p, copy[(p - 21) as usize])).collect();
            let mut b = read(10, end, false, &slots, Vec::new());
            add_pair(&mut counts, &mut a, &mut b, &mut ReadCounters::default());
            let n: u32 = counts.positions[20].indels.iter().map(|(_, s)| s.n).sum();
            assert_eq!(n, want, "mate ending at {end}");
        }
    }

    #[test]
    fn indel_absent_from_the_other_mate_is_dropped() {
        let mut counts = ShardCounts::new(0, 40);
        let mut a = with_deletion(0, 30, true, true);
        let mut b = read(10, 40, false, &[(20, 0), (21, 3)], Vec::new());
        add_pair(&mut counts, &mut a, &mut b, &mut ReadCounters::default());
        assert_eq!(deletions_at_20(&counts), 0);
    }

    #[test]
    fn a_single_read_counts_only_usable_indels() {
        for (usable, want) in [(true, 1), (false, 0)] {
            let mut counts = ShardCounts::new(0, 40);
            add_single(&mut counts, &with_deletion(0, 30, true, usable));
            assert_eq!(deletions_at_20(&counts), want);
        }
    }

    #[test]
    fn pair_across_shards_counts_each_position_once_with_the_right_support() {
        use crate::evidence::alleles::BatchCounts;
        // Two shards with a gap; read 1 (forward) on [0, 30), read 2
        // (reverse) on [10, 40): overlap [10, 30) straddles the gap.
        let mut counts = BatchCounts::new([(0, 15), (25, 40)]);
        let all: Vec<(i64, u8)> = (0..40).map(|p| (p, 0)).collect();
        let mut a = read(0, 30, true, &all[0..30], Vec::new());
        let mut b = read(10, 40, false, &all[10..40], Vec::new());
        // 12: read 2 disagrees; 13: read 2 shows nothing; 27: read 1 shows nothing.
        b.slots[2].code = 2;
        b.slots[3].code = Slot::NONE;
        a.slots[27].code = Slot::NONE;
        let mut rc = ReadCounters::default();
        add_pair(&mut counts, &mut a, &mut b, &mut rc);
        let at = |c: &BatchCounts, p: i64| {
            let s = c
                .shards
                .iter()
                .rev()
                .find(|s| s.start as i64 <= p)
                .filter(|s| p < s.end());
            s.map(|s| s.positions[(p - s.start as i64) as usize].bases[0])
        };
        for p in (0..15).chain(25..40) {
            let st = at(&counts, p).unwrap();
            let want = u32::from(p != 12);
            assert_eq!(st.n, want, "position {p}");
            if want == 0 {
                continue;
            }
            // Merged: read 1's strand, qualities summed; alone: its own.
            let (merged, alone_b) = (
                (10..30).contains(&p) && p != 13 && p != 27,
                p == 27 || p >= 30,
            );
            assert_eq!(st.sum_bq, if merged { 60 } else { 30 }, "position {p}");
            assert_eq!(st.rev, u32::from(alone_b), "position {p}");
        }
        // Only positions inside the shards are compared: 10..15 and 25..30
        // minus the two where one mate shows nothing.
        assert_eq!(rc.discordant_overlap_bases, 1);
        assert_eq!(rc.concordant_overlap_bases, 5 + 5 - 1 - 1 - 1);
    }

    /// Issue 24: a shard piece of the fragment that starts after the
    /// earlier mate ends (two known loci close together outside the panel,
    /// or adjacent BED lines) indexed that mate's slots past their end
    /// ("range start index 181 out of range for slice of length 150").
    #[test]
    fn a_shard_piece_past_the_end_of_one_mate_counts_the_other_alone() {
        use crate::evidence::alleles::BatchCounts;
        let mut counts = BatchCounts::new([(0, 15), (35, 60)]);
        let all: Vec<(i64, u8)> = (0..50).map(|p| (p, 0)).collect();
        let mut a = read(0, 30, true, &all[0..30], Vec::new());
        let mut b = read(10, 50, false, &all[10..50], Vec::new());
        let mut rc = ReadCounters::default();
        add_pair(&mut counts, &mut a, &mut b, &mut rc);
        let second = &counts.shards[1];
        for p in 35..60 {
            let st = second.positions[p - 35].bases[0];
            assert_eq!(
                (st.n, st.rev),
                (u32::from(p < 50), u32::from(p < 50)),
                "position {p}"
            );
        }
        assert_eq!(rc.concordant_overlap_bases, 5);
    }

    #[test]
    fn an_indel_after_the_last_base_of_the_other_mate_is_not_discordant() {
        // Read 1 ends at 20 (its last base is the anchor), read 2 shows a
        // deletion after 20: read 1 cannot deny it, so it counts.
        let mut counts = ShardCounts::new(0, 40);
        let mut a = read(0, 21, true, &[(20, 0)], Vec::new());
        let mut b = with_deletion(10, 40, false, true);
        add_pair(&mut counts, &mut a, &mut b, &mut ReadCounters::default());
        assert_eq!(deletions_at_20(&counts), 1);
        // One base further, read 1 reads past the anchor without it: dropped.
        let mut counts = ShardCounts::new(0, 40);
        let mut a = read(0, 22, true, &[(20, 0), (21, 3)], Vec::new());
        let mut b = with_deletion(10, 40, false, true);
        add_pair(&mut counts, &mut a, &mut b, &mut ReadCounters::default());
        assert_eq!(deletions_at_20(&counts), 0);
    }
}
