//! What `call` keeps of a counted shard until the background is fitted:
//! the stretches around the positions where a record could be written.
//!
//! METHOD: a de novo allele is tested only where a called sample has at
//! least [`EMIT_MIN_ALT`] molecules showing it (the gate of
//! [`super::Caller::call_shard`]), a known allele always. A position with
//! neither can never give a record, whatever the fitted model says: once
//! its molecules are in the background's tallies it is dropped. A kept
//! position comes with the [`MNV_REACH`] positions before it (the MNVs
//! that may hold its SNV molecules) and the reference around it. At 30x
//! almost every position goes; at 2,000x with raw errors near 1e-3 about
//! half stay, and a small panel's shards are kept nearly whole, as before.

use super::{EMIT_MIN_ALT, MNV_REACH};
use crate::evidence::alleles::{base_index, Alt, Indel, PositionCounts};
use crate::evidence::engine::{ShardEvidence, WINDOW_PAD};
use std::collections::BTreeMap;

/// The parts of `ev` that [`super::Caller::call_shard`] could write a
/// record from, in order: every position with a known allele (`known`, by
/// contig index and position) or with an allele of [`EMIT_MIN_ALT`]
/// molecules in a sample other than the matched normal (`normal`).
/// Calling the parts gives the records calling the whole shard gives.
pub fn keep(
    ev: &ShardEvidence,
    known: &BTreeMap<(usize, u64), Vec<Alt>>,
    normal: Option<usize>,
) -> Vec<ShardEvidence> {
    let Some(first) = ev.samples.first() else {
        return Vec::new();
    };
    let (start, n) = (first.counts.start, first.counts.positions.len());
    let wanted = |i: usize| {
        let pos0 = start + i as u64;
        let ref_idx = base_index(ev.window.base(pos0 as i64));
        known.contains_key(&(ev.shard.rid, pos0))
            || (ev.samples.iter().enumerate())
                .filter(|(k, _)| Some(*k) != normal)
                .any(|(_, s)| may_be_written(&s.counts.positions[i], ref_idx))
    };
    let mut parts = Vec::new();
    let mut i = 0;
    while i < n {
        if !wanted(i) {
            i += 1;
            continue;
        }
        // Wanted positions closer than an MNV's reach share one part.
        let mut last = i;
        let mut j = i + 1;
        while j < n && j <= last + MNV_REACH {
            if wanted(j) {
                last = j;
            }
            j += 1;
        }
        let counted = i.saturating_sub(MNV_REACH)..last + 1;
        let pad = longest_deletion(ev, counted.clone()).max(WINDOW_PAD);
        parts.push(ev.part(counted, i, pad));
        i = last + 1;
    }
    parts
}

/// Could an allele here reach the test: a non-reference base or an indel
/// (or MNV) in [`EMIT_MIN_ALT`] molecules or more?
fn may_be_written(pc: &PositionCounts, ref_idx: Option<usize>) -> bool {
    let snv = ref_idx
        .is_some_and(|r| (pc.bases.iter().enumerate()).any(|(b, s)| b != r && s.n >= EMIT_MIN_ALT));
    snv || pc.indels.iter().any(|(_, s)| s.n >= EMIT_MIN_ALT)
}

/// Bases past the part's end its records may read: the longest deletion
/// anchored in it, and the anchor.
fn longest_deletion(ev: &ShardEvidence, counted: std::ops::Range<usize>) -> u64 {
    let mut longest = 0;
    for s in &ev.samples {
        for pc in &s.counts.positions[counted.clone()] {
            for (indel, _) in &pc.indels {
                if let Indel::Del(d) = indel {
                    longest = longest.max(u64::from(*d) + 1);
                }
            }
        }
    }
    longest
}
