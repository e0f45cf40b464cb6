//! One read's slots and events as comparable keys: the family votes on
//! keys, and two reads agree when their keys do.

use crate::evidence::observe::ObsKind;
use crate::hash::fnv1a64;

/// Key bits of an insertion (the top two).
pub(super) const INS_KEY: u64 = 2 << 62;
/// Key bits of an MNV (the top two).
pub(super) const MNV_KEY: u64 = 3 << 62;

/// Key bit of a delins, below [`MNV_KEY`]'s (a delins is not an MNV of
/// the same bases; like an MNV's, its reads' disagreement costs no base:
/// the bare indel, also an event of its reads, carries that).
const DELINS_BIT: u64 = 1 << 61;

/// Key bits of a replacement event: an MNV's, or a delins'.
fn replace_tag(len: u32, ref_len: u32) -> u64 {
    if len == ref_len {
        MNV_KEY
    } else {
        MNV_KEY | DELINS_BIT
    }
}

/// Slots (bases, deletion spans) and events (indels) as comparable keys.
/// Insertions are keyed by length: two sequences of one length may be the
/// same insertion read with errors at masked bases, and
/// `indels::ins_consensus` settles which reads agree.
fn key_of(k: ObsKind) -> u64 {
    match k {
        ObsKind::Base(b) => u64::from(b),
        ObsKind::DelSpan => 4,
        ObsKind::Del(n) => (1 << 62) | u64::from(n),
        ObsKind::Ins { len, .. } => INS_KEY | u64::from(len),
        // By length here; [`event_key`] keys an MNV by its bases.
        ObsKind::Replace { len, ref_len, .. } => replace_tag(len, ref_len) | u64::from(len),
    }
}

/// The key of an event of a read whose event sequences are `seqs`: an MNV
/// by its bases (two MNVs agree only base for base), others as [`key_of`].
pub(super) fn event_key(k: ObsKind, seqs: &[u8]) -> u64 {
    match k {
        ObsKind::Replace { off, len, ref_len } => {
            let bases = fnv1a64(&seqs[off as usize..(off + len) as usize]);
            replace_tag(len, ref_len) | ((bases ^ u64::from(ref_len)) >> 3)
        }
        _ => key_of(k),
    }
}
