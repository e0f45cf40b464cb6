//! One family's indel votes at one position: the most common allele, an
//! insertion's consensus base by base, and the templates whose reads
//! disagree.

use super::{Best, Entry, Member, ABSTAIN, INS_KEY};
use crate::evidence::alleles::{base_index, BASES};
use crate::evidence::observe::{ObsKind, ReadSlots, Slot};

/// The inserted sequence of an event entry.
pub(super) fn entry_ins<'a>(reads: &'a [ReadSlots], e: &Entry) -> &'a [u8] {
    let r = &reads[e.read as usize];
    match r.events[e.obs as usize].kind {
        ObsKind::Ins { off, len } => r.ins_seq(off, len),
        _ => &[],
    }
}

/// The templates of `entries` (one strand's indels at one position) with a
/// read that is `agreeing` and a read that is not, into `torn`.
pub(super) fn torn_templates(
    entries: &[Entry],
    agreeing: impl Fn(&Entry) -> bool,
    (stamp, seen): (&mut u32, &mut [u32]),
    torn: &mut Vec<u32>,
) {
    torn.clear();
    next_stamp(stamp, seen);
    for e in entries.iter().filter(|e| agreeing(e)) {
        seen[e.template as usize] = *stamp;
    }
    for e in entries.iter().filter(|e| !agreeing(e)) {
        if seen[e.template as usize] == *stamp && !torn.contains(&e.template) {
            torn.push(e.template);
        }
    }
}

/// A new stamp for `seen` (templates already counted), clearing it when
/// the stamps wrap.
pub(super) fn next_stamp(stamp: &mut u32, seen: &mut [u32]) {
    *stamp = stamp.wrapping_add(1);
    if *stamp == 0 {
        seen.iter_mut().for_each(|s| *s = 0);
        *stamp = 1;
    }
}

/// The reads of `strand` among `members` that can show or deny an indel
/// after `pos` (a usable base there and the next position read, as
/// `slots::PositionTally::vote_run` counts them) but have no event there (in
/// `events`, the strand's at `pos`) and end inside a copy of the inserted
/// `seq` (see [`ReadSlots::ends_inside_copy`]): they cannot tell whether
/// it is there.
pub(super) fn ending_inside(
    reads: &[ReadSlots],
    members: &[Member],
    (pos, strand): (i64, u8),
    events: &[Entry],
    seq: &[u8],
) -> u32 {
    let mut n = 0;
    for m in members.iter().filter(|m| m.strand == strand) {
        let r = &reads[m.read as usize];
        let reads_on = usize::try_from(pos - r.meta.start)
            .ok()
            .and_then(|i| r.slots.get(i))
            .is_some_and(|s| s.code != Slot::NONE && r.meta.end > pos + 1);
        if reads_on && !events.iter().any(|e| e.read == m.read) && r.ends_inside_copy(pos, seq) {
            n += 1;
        }
    }
    n
}

/// The insertion reads whose consensus tells which of a strand's reads
/// end inside its copy (see [`ending_inside`]): the strand's most common
/// allele's (`best` of `mine`, its indel entries) when an insertion; on a
/// strand without indel reads, the most common allele's of the `other`
/// strand's entries when an insertion; else none. Reads without an event
/// that end inside the copy cannot deny the insertion (as a mate, see
/// `mates`): they abstain, on a strand without indel reads of its own too.
pub(super) fn copy_run<'a>(
    mine: &'a [Entry],
    best: (usize, u32),
    other: &'a [Entry],
) -> &'a [Entry] {
    let is_ins = |r: &[Entry]| r.first().is_some_and(|e| e.key >> 62 == INS_KEY >> 62);
    let run = &mine[best.0..best.0 + best.1 as usize];
    if is_ins(run) || !mine.is_empty() {
        return if is_ins(run) { run } else { &[] };
    }
    let other = &other[..other.partition_point(|e| e.key != ABSTAIN)];
    let (lo, n) = most_common_key(other);
    let run = &other[lo..lo + n as usize];
    if is_ins(run) {
        run
    } else {
        &[]
    }
}

/// The first and the length of the longest run of one key in `entries`
/// (sorted by key, so runs are contiguous): the most common allele.
pub(super) fn most_common_key(entries: &[Entry]) -> (usize, u32) {
    let (mut best_lo, mut best_n) = (0usize, 0u32);
    let mut k = 0;
    while k < entries.len() {
        let mut l = k;
        while l < entries.len() && entries[l].key == entries[k].key {
            l += 1;
        }
        if (l - k) as u32 > best_n {
            best_n = (l - k) as u32;
            best_lo = k;
        }
        k = l;
    }
    (best_lo, best_n)
}

/// The consensus of one strand's insertions of one length (`run`), base by
/// base, into `out` (upper case): the base most reads show at `--min-bq`
/// or better (on a tie the first in ACGT order); where none does, the
/// first read's letter.
pub(super) fn ins_consensus(reads: &[ReadSlots], run: &[Entry], out: &mut Vec<u8>) {
    out.clear();
    let Some(first) = run.first() else { return };
    out.extend(entry_ins(reads, first).iter().map(u8::to_ascii_uppercase));
    for (j, c) in out.iter_mut().enumerate() {
        let mut n = [0u32; 4];
        for e in run {
            if let Some(b) = entry_ins(reads, e).get(j).and_then(|&b| base_index(b)) {
                n[b] += 1;
            }
        }
        let top = (0..4).fold(0, |t, b| if n[b] > n[t] { b } else { t });
        if n[top] > 0 {
            *c = BASES[top];
        }
    }
}

/// Over one strand's indel `entries` at one position: the `agreeing`
/// reads' qualities summed minus the others', the templates among them,
/// their largest distance to a read end and the read of highest quality
/// (the first of them, from `first`) to stand for the molecule.
pub(super) fn tally_agreement<'a>(
    entries: impl Iterator<Item = &'a Entry>,
    agreeing: impl Fn(&Entry) -> bool,
    first: &'a Entry,
    (stamp, seen): (&mut u32, &mut [u32]),
) -> (u32, u32, u16, Best) {
    next_stamp(stamp, seen);
    let (mut agree_q, mut other_q, mut templates, mut dist) = (0u32, 0u32, 0u32, 0u16);
    let mut best = first;
    for e in entries {
        if agreeing(e) {
            agree_q += u32::from(e.qual);
            dist = dist.max(e.dist);
            if e.qual > best.qual {
                best = e;
            }
            let s = &mut seen[e.template as usize];
            if *s != *stamp {
                *s = *stamp;
                templates += 1;
            }
        } else {
            other_q += u32::from(e.qual);
        }
    }
    let best = Best::event(best.read, best.obs);
    (agree_q.saturating_sub(other_q), templates, dist, best)
}
