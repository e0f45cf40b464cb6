//! The parts of an MNV or delins: the molecules of an SNV or indel that
//! show it inside one (its evidence is theirs, not the part's own), taken
//! out of the part's evidence before it is tested (`MnvPart`).

use crate::evidence::alleles::{
    base_index, AlleleStats, Alt, Indel, PositionCounts, BASES, N_CLASSES,
};
use crate::evidence::engine::ShardEvidence;
use crate::model::context::trinucleotide;
use crate::model::weighted::ClassRates;
use crate::model::{Background, RateQuery};

/// Per sample, the molecules of `alt` at position index `i` that show it
/// as part of an MNV or delins: theirs, not its own evidence (none for
/// MNVs and delins themselves).
pub(super) fn each_in_mnvs(ev: &ShardEvidence, i: usize, alt: &Alt) -> Vec<AlleleStats> {
    ev.samples
        .iter()
        .map(|s| match alt {
            Alt::Snv(b) => in_mnvs(&s.counts.positions, i, BASES[usize::from(*b)]),
            Alt::Indel(e) => in_delins(&s.counts.positions, i, e),
        })
        .collect()
}

/// Per sample, for an MNV anchored at position index `i`: per molecule
/// class, the rate at which its substitutions meet on one molecule by
/// chance, the product over them of each substitution's share of the
/// molecules at its position (those not showing it inside an MNV or
/// delins) where that share is above the MNV's own, else of its SNV error
/// rate there; `None` for other alleles.
///
/// METHOD: an MNV's own rate is that of two errors on one molecule (about
/// 1e-7 per position); where one of its substitutions is common on its
/// own (a germline SNV, a clone's SNV) an error beside it on the same
/// molecule makes the MNV at half the error rate (a germline het) or more:
/// 2-3 such molecules at 2,000x passed against the MNV rate. The MNV is
/// tested against at least this product. A substitution seen alone less
/// often than the MNV itself is the MNV's own molecules whose reads lost
/// its other bases (a read end, a low quality): its share is not a
/// separate source and counts as its error rate, so a true MNV, or one of
/// errors alone, stays at the MNV rate.
pub(super) fn each_meeting_rate(
    ev: &ShardEvidence,
    i: usize,
    alt: &Alt,
    models: &[&dyn Background],
) -> Vec<Option<ClassRates>> {
    let Alt::Indel(Indel::Mnv(seq)) = alt else {
        return vec![None; ev.samples.len()];
    };
    (ev.samples.iter().zip(models))
        .map(|(s, model)| {
            let positions = &s.counts.positions;
            let at = positions.get(i)?;
            let own = at
                .indels
                .iter()
                .find(|(e, _)| matches!(e, Indel::Mnv(x) if x == seq));
            let own = own.map_or(0.0, |(_, m)| {
                f64::from(m.n) / f64::from(at.all_bases().n.max(1))
            });
            let mut rates: ClassRates = [1.0; N_CLASSES];
            for (j, &b) in seq.iter().enumerate() {
                let pos = (s.counts.start + (i + j) as u64) as i64;
                let (Some(pc), Some(alt_idx)) = (positions.get(i + j), base_index(b)) else {
                    continue;
                };
                if ev.window.base(pos) == b {
                    continue;
                }
                let all = pc.all_bases();
                let alone = pc.bases[alt_idx].minus(&in_mnvs(positions, i + j, b));
                let share = f64::from(alone.n) / f64::from(all.n.max(1));
                let share = if share > own { share } else { 0.0 };
                let snv = model.null(&RateQuery {
                    context: trinucleotide(&ev.window, pos),
                    allele: &Alt::Snv(alt_idx as u8),
                    homopolymer: 1,
                    mean_bq: all.mean_bq(),
                    site: (ev.shard.rid, pos as u64),
                    own: None,
                });
                for (r, e) in rates.iter_mut().zip(snv.rates) {
                    *r *= share.max(e);
                }
            }
            Some(rates)
        })
        .collect()
}

/// The MNV and delins molecules at `positions[i]` that show `base` there:
/// every MNV anchored up to [`MNV_REACH`] positions before `i` that spans
/// `i` with that base, and every delins whose substitution an aligner can
/// write as `base` at `i` ([`delins_part`]).
fn in_mnvs(positions: &[PositionCounts], i: usize, base: u8) -> AlleleStats {
    let mut out = AlleleStats::default();
    let lo = i.saturating_sub(MNV_REACH);
    for (a, pc) in (lo..).zip(&positions[lo..=i]) {
        for (e, s) in &pc.indels {
            let part = match e {
                Indel::Mnv(seq) => seq.get(i - a) == Some(&base),
                Indel::Delins { ref_len, alt } => delins_part(*ref_len as usize, alt, i - a, base),
                _ => false,
            };
            if part {
                out.merge(s);
            }
        }
    }
    out
}

/// The delins molecules that show the insertion or deletion `e` anchored
/// at `positions[i]` as their indel (every read of a delins shows its bare
/// indel too, see `observe::walk`): delins of `e`'s net length anchored
/// from 2 before `i` (substitutions before the indel) to `e`'s length
/// after it (the bare indel left-aligned in a repeat).
fn in_delins(positions: &[PositionCounts], i: usize, e: &Indel) -> AlleleStats {
    let mut out = AlleleStats::default();
    let net = match e {
        Indel::Del(n) => -(*n as i64),
        Indel::Ins(seq) => seq.len() as i64,
        _ => return out,
    };
    let lo = i.saturating_sub(2);
    let hi = (i + net.unsigned_abs() as usize + 1).min(positions.len().saturating_sub(1));
    for pc in positions.get(lo..=hi).unwrap_or_default() {
        for (d, s) in &pc.indels {
            if let Indel::Delins { ref_len, alt } = d {
                if alt.len() as i64 - i64::from(*ref_len) == net {
                    out.merge(s);
                }
            }
        }
    }
    out
}

/// Can a read of the delins replacing `ref_len` bases by `alt` show
/// `base` as a substitution `k` bases after its first? An aligner writes
/// the read's bases against the reference from the left (the indel at the
/// event's end) or from the right (the indel at its start), so the SNV
/// part lies at `k` with `alt[k]`, or at `k` counted from the end with
/// `alt`'s base counted so.
fn delins_part(ref_len: usize, alt: &[u8], k: usize, base: u8) -> bool {
    if k >= ref_len {
        return false;
    }
    let from_right = alt.len().checked_sub(ref_len - k);
    alt.get(k) == Some(&base) || from_right.is_some_and(|j| alt[j] == base)
}

/// The farthest an MNV's or delins' last base lies from its anchor that
/// [`in_mnvs`] looks for (up to 65 bases: long deletions reach 60).
pub(crate) const MNV_REACH: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calling::{filters::Thresholds, test_shard, Alphas, Caller};
    use crate::model::context::ContextRates;

    #[test]
    fn an_mnv_of_a_germline_snv_and_an_error_is_tested_at_their_meeting_rate() {
        // 2,000 molecules a position. At 500 a germline het SNV; three of
        // its molecules read an error at 501 too: an MNV whose second base
        // errs on one in ~10^4 molecules of the 1,000 carrying the first.
        // At 1,500 an MNV of two bases no molecule shows alone: 3 molecules.
        let mut t = test_shard::Builder::new(1, 2_000, 2_000);
        let (g, e) = (t.other_base(500, 1), t.other_base(501, 1));
        t.set_base(0, 500, g, 1_000);
        t.set_mnv(0, 500, &[g, e], 3);
        t.set_base(0, 501, e, 3);
        let (a, b) = (t.other_base(1_500, 2), t.other_base(1_501, 2));
        t.set_mnv(0, 1_500, &[a, b], 3);
        t.set_base(0, 1_500, a, 3);
        t.set_base(0, 1_501, b, 3);
        let ev = t.build();
        let rates = ContextRates::estimate(std::slice::from_ref(&ev), 0);
        let models: Vec<&dyn Background> = vec![&rates];
        let thresholds = Thresholds::for_tests();
        let known = Default::default();
        let caller = Caller {
            models: &models,
            thresholds: &thresholds,
            alphas: Alphas::new(&thresholds, 2_000, 1),
            known: &known,
            minor_strand: &[None],
            normal: None,
        };
        let calls = caller.call_shard(&ev);
        let mnv_at = |p: u64| {
            (calls.iter())
                .find(|c| c.pos0 == ev.shard.start + p && c.alt_allele.len() == 2)
                .unwrap_or_else(|| panic!("no MNV record at {p}: {calls:?}"))
        };
        let (chance, real) = (mnv_at(500), mnv_at(1_500));
        assert!(real.passes(), "{:?}", real.samples[0]);
        assert!(!chance.passes(), "{:?}", chance.samples[0]);
        // Half the molecules carry the germline base: its floor is about
        // half the SNV error rate, far above the MNV's own.
        let floor = chance.samples[0].null.rates[0];
        assert!(
            floor > 1e-5 && floor > 100.0 * real.samples[0].null.rates[0],
            "{floor}"
        );
    }
}
