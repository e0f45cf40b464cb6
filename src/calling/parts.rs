//! The parts of an MNV or delins: the molecules of an SNV or indel that
//! show it inside one (its evidence is theirs, not the part's own), taken
//! out of the part's evidence before it is tested (`MnvPart`).

use crate::evidence::alleles::{
    base_index, AlleleStats, Alt, Indel, PositionCounts, BASES, N_CLASSES,
};
use crate::evidence::batch::SampleEvidence;
use crate::evidence::engine::ShardEvidence;
use crate::model::context::trinucleotide;
use crate::model::weighted::ClassRates;
use crate::model::{Background, RateQuery};
use crate::reference::RefWindow;

/// Per sample, the molecules of `alt` at position index `i` that show it
/// as part of an MNV or delins: theirs, not its own evidence (none for
/// MNVs and delins themselves).
pub(super) fn each_in_mnvs(ev: &ShardEvidence, i: usize, alt: &Alt) -> Vec<AlleleStats> {
    ev.samples
        .iter()
        .map(|s| {
            let around = Around::of(ev, s);
            match alt {
                Alt::Snv(b) => around.in_mnvs(i, BASES[usize::from(*b)]),
                Alt::Indel(e) => around.in_delins(i, e),
            }
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
            let around = Around::of(ev, s);
            let positions = around.positions;
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
                let alone = pc.bases[alt_idx].minus(&around.in_mnvs(i + j, b));
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

/// One sample's counts with the reference they were counted against.
struct Around<'a> {
    positions: &'a [PositionCounts],
    start: u64,
    window: &'a RefWindow,
}

/// A delins found near a part: its anchor index, replaced length and
/// replacing bases.
type Holder<'a> = (usize, usize, &'a [u8]);

impl<'a> Around<'a> {
    fn of(ev: &'a ShardEvidence, s: &'a SampleEvidence) -> Self {
        Around {
            positions: &s.counts.positions,
            start: s.counts.start,
            window: &ev.window,
        }
    }

    /// The MNV and delins molecules at `positions[i]` that show `base`
    /// there ([`Around::holders`]) and, for each delins among them, the
    /// molecules that lost it but show both its parts ([`Around::bare_alone`],
    /// [`smaller`]).
    fn in_mnvs(&self, i: usize, base: u8) -> AlleleStats {
        let (mut out, delins) = self.holders(i, base);
        let alone = self.positions[i].bases[base_index(base).unwrap_or(0)].minus(&out);
        let mut nets: Vec<(i64, usize)> = (delins.iter())
            .map(|&(a, ref_len, alt)| (alt.len() as i64 - ref_len as i64, a))
            .collect();
        // One delins key or several (a read error beside it): the molecules
        // of each net length's bare indel once.
        nets.sort_unstable();
        nets.dedup_by_key(|d| d.0);
        for (net, a) in nets {
            out.merge(&smaller(&self.bare_alone(a, net), &alone));
        }
        out
    }

    /// The MNV and delins molecules at `positions[i]` that show `base`
    /// there: every MNV anchored up to [`MNV_REACH`] positions before `i`
    /// that spans `i` with that base, and every delins whose substitution
    /// an aligner can write as `base` at `i` ([`delins_part`]); and those
    /// delins.
    fn holders(&self, i: usize, base: u8) -> (AlleleStats, Vec<Holder<'a>>) {
        let mut out = AlleleStats::default();
        let mut delins = Vec::new();
        let lo = i.saturating_sub(MNV_REACH);
        for (a, pc) in (lo..).zip(&self.positions[lo..=i]) {
            for (e, s) in &pc.indels {
                let part = match e {
                    Indel::Mnv(seq) => seq.get(i - a) == Some(&base),
                    Indel::Delins { ref_len, alt } => {
                        let part = delins_part(*ref_len as usize, alt, i - a, base);
                        if part {
                            delins.push((a, *ref_len as usize, &alt[..]));
                        }
                        part
                    }
                    _ => false,
                };
                if part {
                    out.merge(s);
                }
            }
        }
        (out, delins)
    }

    /// The delins molecules that show the insertion or deletion `e`
    /// anchored at `positions[i]` as their indel ([`Around::delins_near`])
    /// and those that lost the delins but show both its parts (the bare
    /// indel's molecules outside delins or its substitutions' alone,
    /// whichever are fewer: [`Around::bare_alone`]).
    fn in_delins(&self, i: usize, e: &Indel) -> AlleleStats {
        if !e.is_bare() {
            return AlleleStats::default();
        }
        let net = e.net_len();
        let (mut out, delins) = self.delins_near(i, net);
        let own = (self.positions[i].indels.iter()).find(|(d, _)| d == e);
        let bare = own.map_or_else(AlleleStats::default, |(_, s)| s.minus(&out));
        // Each substitution the delins found can be written as, once
        // (two keys, or a base placed from the left and from the right,
        // may name one twice).
        let mut parts: Vec<(usize, u8)> = (delins.iter())
            .flat_map(|&(a, ref_len, alt)| {
                substitutions(ref_len, alt).map(move |(k, b)| (a + k, b))
            })
            .filter(|&(j, b)| self.window.base(self.start as i64 + j as i64) != b)
            .collect();
        parts.sort_unstable();
        parts.dedup();
        let mut parts_alone = AlleleStats::default();
        for (j, base) in parts {
            let (Some(pc), Some(b)) = (self.positions.get(j), base_index(base)) else {
                continue;
            };
            parts_alone.merge(&pc.bases[b].minus(&self.holders(j, base).0));
        }
        out.merge(&smaller(&bare, &parts_alone));
        out
    }

    /// The delins of net length `net` that a bare indel anchored at
    /// `positions[i]` can be the indel of (every read of a delins shows its
    /// bare indel too, see `observe::walk`): anchored from 2 before `i`
    /// (substitutions before the indel) to the indel's length after it
    /// (the bare indel left-aligned in a repeat); their molecules, and
    /// them.
    fn delins_near(&self, i: usize, net: i64) -> (AlleleStats, Vec<Holder<'a>>) {
        let mut out = AlleleStats::default();
        let mut delins = Vec::new();
        let lo = i.saturating_sub(2);
        let hi = (i + net.unsigned_abs() as usize + 1).min(self.positions.len().saturating_sub(1));
        for (a, pc) in (lo..).zip(self.positions.get(lo..=hi).unwrap_or_default()) {
            for (d, s) in &pc.indels {
                if let Indel::Delins { ref_len, alt } = d {
                    if d.net_len() == net {
                        out.merge(s);
                        delins.push((a, *ref_len as usize, &alt[..]));
                    }
                }
            }
        }
        (out, delins)
    }

    /// The molecules showing a bare indel of net length `net` that a
    /// delins anchored at `positions[a]` can be written as, but not a
    /// delins of that net length: each such bare indel's molecules minus
    /// [`Around::delins_near`] it.
    ///
    /// METHOD: a delins is one key over several bases. A sequencing error
    /// within `--mnv-window` of it in one mate or family read spells
    /// another key (a low-quality base makes it abstain), the reads
    /// disagree and the molecule loses the delins, while its bare indel and
    /// its substitution, agreed base by base, stay: such a molecule shows
    /// each part "alone". On `BENCH_DELINS=1 benches/complex.sh` 3 of the 7
    /// molecules of a 0.5% delins did, and its substitution passed as an
    /// SNV. A molecule showing both parts without the delins is the delins;
    /// at most the smaller of the two "alone" counts can be such molecules
    /// ([`smaller`]), and that many are taken from each part.
    fn bare_alone(&self, a: usize, net: i64) -> AlleleStats {
        let mut out = AlleleStats::default();
        let lo = a.saturating_sub(net.unsigned_abs() as usize + 1);
        let hi = (a + 2).min(self.positions.len().saturating_sub(1));
        for (j, pc) in (lo..).zip(self.positions.get(lo..=hi).unwrap_or_default()) {
            for (e, s) in &pc.indels {
                if e.is_bare() && e.net_len() == net {
                    out.merge(&s.minus(&self.delins_near(j, net).0));
                }
            }
        }
        out
    }
}

/// The one of two evidence sets with fewer molecules (none when it has
/// none: a difference of two sets keeps the fields it could not take).
fn smaller(x: &AlleleStats, y: &AlleleStats) -> AlleleStats {
    let s = if x.n <= y.n { x } else { y };
    if s.n == 0 {
        AlleleStats::default()
    } else {
        *s
    }
}

/// The substitutions (offset from the first replaced base, base) an
/// aligner can write for the delins replacing `ref_len` bases by `alt`
/// ([`delins_part`]): each replacing base placed from the left or from the
/// right (the caller drops those equal to the reference).
fn substitutions(ref_len: usize, alt: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    let m = alt.len().min(ref_len);
    let left = (0..m).map(move |k| (k, alt[k]));
    let right = (0..m).map(move |j| (ref_len - m + j, alt[alt.len() - m + j]));
    left.chain(right)
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
/// [`Around::holders`] looks for (up to 65 bases: long deletions reach 60).
pub(crate) const MNV_REACH: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calling::{filters::Thresholds, test_shard, Alphas, Caller};
    use crate::model::context::ContextRates;

    /// The records of one sample's 2,000-position shard, tested against its
    /// own context rates.
    fn calls_of(ev: &ShardEvidence) -> Vec<crate::calling::Call> {
        let rates = ContextRates::estimate(std::slice::from_ref(ev), 0);
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
        caller.call_shard(ev)
    }

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
        let calls = calls_of(&ev);
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

    /// A 19-base delins to one base (`x`), written by the aligner as an
    /// 18-base deletion after offset `a - 1` and `x` at `a + 18`; `lost`
    /// of its molecules lost the delins (mates disagreeing on the key)
    /// and show the deletion and `x` apart; `alone` more show `x` alone.
    fn delins_with_parts(t: &mut test_shard::Builder, a: u64, (n, lost, alone): (u32, u32, u32)) {
        let x = (1..=3)
            .map(|k| t.other_base(a + 18, k))
            .find(|&x| x != t.base(a))
            .unwrap();
        let delins = Indel::Delins {
            ref_len: 19,
            alt: vec![x],
        };
        t.set_indel(0, a, &delins, n);
        t.set_indel(0, a - 1, &Indel::Del(18), n + lost);
        t.set_base(0, a + 18, x, n + lost + alone);
    }

    #[test]
    fn delins_molecules_that_lost_their_key_are_no_evidence_of_its_parts() {
        let mut t = test_shard::Builder::new(1, 2_000, 2_000);
        // 500: 6 delins molecules, 8 more show its deletion and its
        // substitution but not it: the parts are the delins'. 1,500: the
        // same delins and 8 molecules of its substitution alone: an SNV.
        delins_with_parts(&mut t, 500, (6, 8, 0));
        delins_with_parts(&mut t, 1_500, (6, 0, 8));
        let ev = t.build();
        let calls = calls_of(&ev);
        let passing = |p: u64, len: usize| {
            (calls.iter())
                .any(|c| c.pos0 == ev.shard.start + p && c.ref_allele.len() == len && c.passes())
        };
        // The delins (REF 19 bases) passes at both; its parts only where
        // a substitution occurs alone.
        assert!(passing(500, 19) && passing(1_500, 19), "{calls:?}");
        assert!(!passing(518, 1), "SNV part of the delins passed: {calls:?}");
        assert!(
            !passing(499, 19),
            "bare deletion of the delins passed: {calls:?}"
        );
        let snv = calls.iter().find(|c| c.pos0 == ev.shard.start + 1_518);
        assert!(
            passing(1_518, 1),
            "SNV beside the delins not called: {snv:?}"
        );
    }
}
