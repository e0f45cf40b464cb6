//! Fragments: overlapping mates become one observation per position.
//!
//! METHOD: where both mates of a fragment cover a position, agreeing bases
//! count once with the two qualities summed (capped at [`MERGED_QUAL_CAP`]);
//! disagreeing bases are dropped (no quality-based tie-break: a discordant
//! overlap is evidence of an error in one of the two reads, and we cannot
//! tell which). Indels inside the overlap must be seen by both mates; an
//! indel seen by one mate only is dropped. A merged observation takes read
//! 1's strand and orientation, the larger distance to a read end, and the
//! mean mapping quality.

use super::alleles::{Indel, ShardCounts, Support};
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

/// Add one observation to the shard counters.
pub fn add(counts: &mut ShardCounts, r: &ReadObs, o: &Obs, s: &Support) {
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
pub fn add_single(counts: &mut ShardCounts, r: &ReadObs) {
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
pub fn add_pair(counts: &mut ShardCounts, a: &mut ReadObs, b: &mut ReadObs, rc: &mut ReadCounters) {
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
                let (x, y) = (a.obs[i], b.obs[j]);
                i += 1;
                j += 1;
                if same_allele(a, &x, b, &y) {
                    rc.concordant_overlap_bases += u64::from(!x.kind.is_event());
                    let s = Support {
                        qual: (u16::from(x.qual) + u16::from(y.qual))
                            .min(u16::from(MERGED_QUAL_CAP)) as u8,
                        mapq,
                        dist: x.dist.max(y.dist),
                        reverse,
                        f1r2,
                    };
                    add(counts, a, &x, &s);
                } else {
                    rc.discordant_overlap_bases += u64::from(!x.kind.is_event());
                }
            }
        }
    }
}
