//! Fragments: overlapping mates become one observation per position.
//!
//! METHOD: where both mates of a fragment cover a position, agreeing bases
//! count once with the two qualities summed (capped at [`MERGED_QUAL_CAP`]);
//! disagreeing bases are dropped (no quality-based tie-break: a discordant
//! overlap is evidence of an error in one of the two reads, and we cannot
//! tell which). Indels inside the overlap must be seen by both mates; an
//! indel seen by one mate only is dropped. A mate that shows the same indel
//! but fails the base filters there (low quality, too near its end) does
//! not disagree: the other mate's copy counts alone, as for a base whose
//! mate's copy is below the quality threshold. A merged observation takes read
//! 1's strand and orientation, the larger distance to a read end, and the
//! mean mapping quality.

use super::alleles::{Indel, PositionSink, Support};
use super::filters::ReadCounters;
use super::observe::{Obs, ObsKind, ReadObs};
use std::cmp::Ordering;

/// Cap on the summed quality of two agreeing mates.
pub const MERGED_QUAL_CAP: u8 = 60;

fn support(r: &ReadObs, o: &Obs) -> Support {
    Support {
        qual: o.qual,
        mapq: r.mapq,
        dist: o.dist,
        reverse: r.reverse,
        f1r2: r.f1r2,
    }
}

/// Add one observation to the shard counters (unusable ones are skipped).
pub fn add(counts: &mut impl PositionSink, r: &ReadObs, o: &Obs, s: &Support) {
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
        ObsKind::Ins { off, len } => add_insertion(pc, r.ins_seq(off, len), s),
    }
}

fn add_insertion(pc: &mut super::alleles::PositionCounts, seq: &[u8], s: &Support) {
    // Look up by slice first so that repeated insertions do not allocate.
    let found = pc
        .indels
        .iter_mut()
        .find(|(k, _)| matches!(k, Indel::Ins(v) if v.as_slice() == seq));
    match found {
        Some((_, st)) => st.add(s),
        None => pc.indel_mut(&Indel::Ins(seq.to_vec())).add(s),
    }
}

/// Count a read whose mate does not overlap it (or is not used).
pub fn add_single(counts: &mut impl PositionSink, r: &ReadObs) {
    for o in &r.obs {
        add(counts, r, o, &support(r, o));
    }
}

fn same_allele(a: &ReadObs, x: &Obs, b: &ReadObs, y: &Obs) -> bool {
    match (x.kind, y.kind) {
        (ObsKind::Base(p), ObsKind::Base(q)) => p == q,
        (ObsKind::DelSpan, ObsKind::DelSpan) => true,
        (ObsKind::Del(m), ObsKind::Del(n)) => m == n,
        (ObsKind::Ins { off: o1, len: l1 }, ObsKind::Ins { off: o2, len: l2 }) => {
            a.ins_seq(o1, l1) == b.ins_seq(o2, l2)
        }
        _ => false,
    }
}

/// Count two overlapping mates as one fragment. Both are sorted here.
pub fn add_pair(
    counts: &mut impl PositionSink,
    a: &mut ReadObs,
    b: &mut ReadObs,
    rc: &mut ReadCounters,
) {
    a.sort();
    b.sort();
    let lo = a.start.max(b.start);
    let hi = a.end.min(b.end);
    let in_overlap = |o: &Obs| o.pos >= lo && o.pos < hi;
    // Read 1 gives the fragment's strand and orientation.
    let r1 = if a.read1 { &*a } else { &*b };
    let (reverse, f1r2) = (r1.reverse, r1.f1r2);
    let mapq = ((u16::from(a.mapq) + u16::from(b.mapq)) / 2) as u8;

    let (mut i, mut j) = (0, 0);
    while i < a.obs.len() || j < b.obs.len() {
        let x = a.obs.get(i);
        let y = b.obs.get(j);
        let ord = match (x, y) {
            (Some(x), Some(y)) => (x.pos, x.kind.is_event()).cmp(&(y.pos, y.kind.is_event())),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match ord {
            Ordering::Less => {
                let x = &a.obs[i];
                i += 1;
                // Inside the overlap, an event only one mate shows is discordant.
                if !(x.kind.is_event() && in_overlap(x)) {
                    add(counts, a, x, &support(a, x));
                }
            }
            Ordering::Greater => {
                let y = &b.obs[j];
                j += 1;
                if !(y.kind.is_event() && in_overlap(y)) {
                    add(counts, b, y, &support(b, y));
                }
            }
            Ordering::Equal => {
                // By reference: copying the two observations out costs a
                // store-forwarding stall per overlapping base (measured: a
                // third of this function's time).
                let (x, y) = (&a.obs[i], &b.obs[j]);
                i += 1;
                j += 1;
                let same = same_allele(a, x, b, y);
                if same && x.usable != y.usable {
                    // Both mates show this indel but one copy failed the base
                    // filters: no disagreement, the usable copy counts alone.
                    if x.usable {
                        add(counts, a, x, &support(a, x));
                    } else {
                        add(counts, b, y, &support(b, y));
                    }
                } else if same {
                    rc.concordant_overlap_bases += u64::from(!x.kind.is_event());
                    let s = Support {
                        qual: (u16::from(x.qual) + u16::from(y.qual))
                            .min(u16::from(MERGED_QUAL_CAP)) as u8,
                        mapq,
                        dist: x.dist.max(y.dist),
                        reverse,
                        f1r2,
                    };
                    add(counts, a, x, &s);
                } else {
                    rc.discordant_overlap_bases += u64::from(!x.kind.is_event());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::ShardCounts;

    fn read(start: i64, end: i64, read1: bool, obs: Vec<Obs>) -> ReadObs {
        ReadObs {
            obs,
            start,
            end,
            mapq: 60,
            reverse: !read1,
            read1,
            f1r2: true,
            ..Default::default()
        }
    }

    fn obs(pos: i64, kind: ObsKind, usable: bool) -> Obs {
        Obs {
            pos,
            kind,
            qual: if usable { 30 } else { 5 },
            dist: 10,
            usable,
        }
    }

    /// A read carrying a 1 bp deletion after 20 (its copy usable or not).
    fn with_deletion(start: i64, end: i64, read1: bool, usable: bool) -> ReadObs {
        let v = vec![
            obs(20, ObsKind::Base(0), true),
            obs(20, ObsKind::Del(1), usable),
            obs(21, ObsKind::DelSpan, true),
            obs(22, ObsKind::Base(1), true),
        ];
        read(start, end, read1, v)
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

    #[test]
    fn indel_absent_from_the_other_mate_is_dropped() {
        let mut counts = ShardCounts::new(0, 40);
        let mut a = with_deletion(0, 30, true, true);
        let v = vec![
            obs(20, ObsKind::Base(0), true),
            obs(21, ObsKind::Base(3), true),
        ];
        let mut b = read(10, 40, false, v);
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
}
