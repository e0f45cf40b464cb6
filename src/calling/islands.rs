//! What `call` keeps of a counted shard until the background is fitted:
//! the stretches around the positions where a record could be written.
//!
//! METHOD: a de novo allele is tested only where a called sample has at
//! least [`EMIT_MIN_ALT`] molecules showing it (the gate of
//! [`super::Caller::call_shard`]), a known allele always. A position with
//! neither can never give a record, whatever the fitted model says: once
//! its molecules are in the background's tallies it is dropped. A kept
//! position comes with the positions back to the anchor of any MNV that
//! reaches it (its SNV molecules there may be the MNV's) and the reference
//! its records read (the context base before it; its homopolymer run, its
//! longest deletion or MNV after it). At 30x almost every position goes;
//! at 2,000x with raw errors near 1e-3 about half stay, and a small
//! panel's shards are kept nearly whole, as before.

use super::{EMIT_MIN_ALT, MNV_REACH};
use crate::evidence::alleles::{base_index, Alt, Indel, PositionCounts};
use crate::evidence::engine::ShardEvidence;
use crate::model::context::MAX_HP;
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
        // Wanted positions next to each other share one part.
        let (mut from, mut to) = reads(ev, i);
        let mut last = i;
        let mut j = i + 1;
        while j < n && j <= last + JOIN {
            if wanted(j) {
                let (f, t) = reads(ev, j);
                (from, to, last) = (from.min(f), to.max(t), j);
            }
            j += 1;
        }
        let reach = longest_event(ev, from..to + 1, known).max(MAX_HP as u64 + 2);
        let mut part = ev.part(from..to + 1, i, (1, reach));
        // Counts past the last wanted position are context, not called.
        part.shard.end = start + last as u64 + 1;
        parts.push(part);
        i = last + 1;
    }
    parts
}

/// Wanted positions at most this far apart share a part (each part costs
/// a little besides its positions).
const JOIN: usize = 4;

/// The positions whose counts a record at `i` reads, first and last: back
/// to the anchor of the earliest MNV or delins (in any sample) whose bases
/// reach `i` (its SNV molecules there are the MNV's) and, for a delins,
/// around it where its bare indel and that indel's other delins may be
/// anchored ([`reaching`]); on, for a bare indel at `i`, to the last base
/// of each delins it may be the indel of and whatever reaches those bases
/// (the molecules that lost a delins, `parts`).
fn reads(ev: &ShardEvidence, i: usize) -> (usize, usize) {
    let n = ev.samples.first().map_or(0, |s| s.counts.positions.len());
    let mut to = i;
    for s in &ev.samples {
        for (e, _) in s.counts.positions[i]
            .indels
            .iter()
            .filter(|(e, _)| e.is_bare())
        {
            let size = e.net_len().unsigned_abs() as usize;
            let near = i.saturating_sub(2)..(i + size + 2).min(n);
            for (a, pc) in near.clone().zip(&s.counts.positions[near]) {
                for (d, _) in &pc.indels {
                    if matches!(d, Indel::Delins { .. }) && d.net_len() == e.net_len() {
                        to = to.max(a + d.ref_span() as usize - 1);
                    }
                }
            }
        }
    }
    let (mut from, mut last) = (i, to);
    for j in i..=to.min(n - 1) {
        let (f, l) = reaching(ev, j);
        (from, last) = (from.min(f), last.max(l));
    }
    (from, last.min(n - 1))
}

/// The first and last positions the MNVs and delins (in any sample) whose
/// bases reach `i` have a record at `i` read: an MNV from its anchor; a
/// delins from its net length and 3 more before its anchor to as many
/// after it (its bare indel's anchor, left-aligned, and the delins that
/// indel's search looks at: `parts`); `(i, i)` without one.
fn reaching(ev: &ShardEvidence, i: usize) -> (usize, usize) {
    let (mut first, mut last) = (i, i);
    for a in i.saturating_sub(MNV_REACH)..=i {
        for s in &ev.samples {
            for (e, _) in &s.counts.positions[a].indels {
                let around = match e {
                    Indel::Mnv(_) => 0,
                    Indel::Delins { .. } => e.net_len().unsigned_abs() as usize + 3,
                    _ => continue,
                };
                if a + e.ref_span() as usize > i {
                    first = first.min(a.saturating_sub(around));
                    last = last.max(a + around);
                }
            }
        }
    }
    (first, last)
}

/// Could an allele here reach the test: a non-reference base or an indel
/// (or MNV) in [`EMIT_MIN_ALT`] molecules or more?
fn may_be_written(pc: &PositionCounts, ref_idx: Option<usize>) -> bool {
    let snv = ref_idx
        .is_some_and(|r| (pc.bases.iter().enumerate()).any(|(b, s)| b != r && s.n >= EMIT_MIN_ALT));
    snv || pc.indels.iter().any(|(_, s)| s.n >= EMIT_MIN_ALT)
}

/// Bases past the part's end its records may read: the reference of the
/// longest deletion or MNV anchored in it (seen or known), after its
/// anchor.
fn longest_event(
    ev: &ShardEvidence,
    counted: std::ops::Range<usize>,
    known: &BTreeMap<(usize, u64), Vec<Alt>>,
) -> u64 {
    let span = Indel::ref_span;
    let start = ev
        .samples
        .first()
        .map_or(ev.shard.start, |s| s.counts.start);
    let mut longest = 0;
    for s in &ev.samples {
        for pc in &s.counts.positions[counted.clone()] {
            longest = (pc.indels.iter()).fold(longest, |l, (e, _)| l.max(span(e)));
        }
    }
    let sites =
        (ev.shard.rid, start + counted.start as u64)..(ev.shard.rid, start + counted.end as u64);
    for alts in known.range(sites).map(|(_, a)| a) {
        for a in alts {
            if let Alt::Indel(e) = a {
                longest = longest.max(span(e));
            }
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calling::test_shard::stats;
    use crate::calling::{Alphas, Caller};
    use crate::evidence::alleles::ShardCounts;
    use crate::evidence::batch::SampleEvidence;
    use crate::model::context::ContextRates;
    use crate::model::Background;
    use crate::reference::RefWindow;
    use crate::regions::Shard;

    /// A 400-base shard of a plasma sample and its matched normal: 500
    /// molecules a position with single-molecule errors, and a few alleles
    /// that can be written: SNVs of 2-12 molecules, an MNV whose SNV
    /// molecules sit two positions on, a delins whose bare deletion and
    /// substitution also occur apart, a 5-base deletion near the end, a
    /// known 8-base deletion without evidence, and an allele only the
    /// normal shows.
    fn shard() -> (ShardEvidence, BTreeMap<(usize, u64), Vec<Alt>>) {
        let mut rng = crate::rng::Rng::new(11);
        let (start, end) = (1_000u64, 1_400u64);
        let seq: Vec<u8> = (0..1_000).map(|_| BASES4[rng.below(4) as usize]).collect();
        let window = RefWindow { start: 700, seq };
        let samples = (0..2)
            .map(|k| {
                let mut counts = ShardCounts::new(start, end);
                for (i, pc) in counts.positions.iter_mut().enumerate() {
                    let r = base_index(window.base((start + i as u64) as i64)).unwrap();
                    pc.bases[r] = stats(500);
                    if rng.below(5) == 0 {
                        pc.bases[(r + 1 + rng.below(3) as usize) % 4] = stats(1);
                    }
                    let plasma_alt = k == 0 && [40, 41, 90, 250].contains(&i);
                    let normal_alt = k == 1 && i == 330;
                    if plasma_alt || normal_alt {
                        pc.bases[(r + 1) % 4] = stats(2 + (i as u32 % 11));
                    }
                }
                if k == 0 {
                    let at = |i: u64| (start + i) as i64;
                    let mnv: Vec<u8> = (0..3).map(|j| comp(window.base(at(150 + j)))).collect();
                    *counts.positions[150].indel_mut(&Indel::Mnv(mnv.clone())) = stats(6);
                    let b = base_index(mnv[2]).unwrap();
                    counts.positions[152].bases[b] = stats(6);
                    *counts.positions[395].indel_mut(&Indel::Del(5)) = stats(4);
                    // A delins of 19 bases to one at 300, written as an
                    // 18-base deletion after 299 and a substitution at
                    // 318; 4 molecules lost the delins and show both.
                    let x = comp(window.base(at(318)));
                    let delins = Indel::Delins {
                        ref_len: 19,
                        alt: vec![x],
                    };
                    *counts.positions[300].indel_mut(&delins) = stats(6);
                    *counts.positions[299].indel_mut(&Indel::Del(18)) = stats(10);
                    counts.positions[318].bases[base_index(x).unwrap()] = stats(10);
                }
                SampleEvidence {
                    counts,
                    reads: Default::default(),
                    umi: None,
                }
            })
            .collect();
        let ev = ShardEvidence {
            shard: Shard {
                target: 0,
                rid: 0,
                start,
                end,
            },
            window: window.slice(start - 300, end + 300),
            samples,
        };
        let known = BTreeMap::from([((0, start + 200), vec![Alt::Indel(Indel::Del(8))])]);
        (ev, known)
    }

    const BASES4: [u8; 4] = *b"ACGT";

    fn comp(b: u8) -> u8 {
        BASES4[(base_index(b).unwrap() + 2) % 4]
    }

    /// The kept parts give every record the whole shard gives, and hold a
    /// small part of its positions.
    #[test]
    fn the_kept_parts_call_what_the_whole_shard_calls() {
        let (ev, known) = shard();
        let rates = ContextRates::estimate(std::slice::from_ref(&ev), 0);
        let models: Vec<&dyn Background> = vec![&rates, &rates];
        let thresholds = crate::calling::filters::Thresholds::for_tests();
        let caller = Caller {
            models: &models,
            thresholds: &thresholds,
            alphas: Alphas::new(&thresholds, 400, 1),
            known: &known,
            minor_strand: &[None, None],
            normal: Some(crate::calling::normal::NormalRule::new(1, &thresholds)),
        };
        let whole = caller.call_shard(&ev);
        let parts = keep(&ev, &known, Some(1));
        let from_parts: Vec<_> = parts.iter().flat_map(|p| caller.call_shard(p)).collect();
        assert_eq!(format!("{whole:?}"), format!("{from_parts:?}"));
        // Records at the SNVs, the MNV's third base, the delins, the
        // deletion, the known locus; none where only the normal shows an
        // allele.
        let at: Vec<u64> = whole.iter().map(|c| c.pos0 - 1_000).collect();
        for i in [40, 41, 90, 150, 200, 250, 300, 395] {
            assert!(at.contains(&i), "{i} not in {at:?}");
        }
        // The delins' parts apart are its molecules: no records.
        for i in [299, 318, 330] {
            assert!(!at.contains(&i), "{i} in {at:?}");
        }
        let kept: usize = (parts.iter())
            .map(|p| p.samples[0].counts.positions.len())
            .sum();
        // The delins: its 19 bases and 21 before them (its bare indel).
        assert!(kept < 100, "{kept} of 400 positions kept");
        // The deletion's part reads the reference its allele spans.
        let del = parts.iter().find(|p| p.shard.start == 1_395).unwrap();
        assert!(del.window.end() >= 1_401);
    }
}
