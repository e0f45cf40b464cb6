//! The parts of an MNV or delins: the molecules of an SNV or indel that
//! show it inside one (its evidence is theirs, not the part's own), taken
//! out of the part's evidence before it is tested (`MnvPart`).

use crate::evidence::alleles::{AlleleStats, Alt, Indel, PositionCounts, BASES};
use crate::evidence::engine::ShardEvidence;

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
