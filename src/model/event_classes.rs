//! The tallies an event allele (an indel or an MNV) is counted in: its
//! kind, and the class within the kind (run length for short indels,
//! length class for MNVs and long indels).

use super::tally::Tally;
use crate::evidence::alleles::Indel;

/// The kinds of allele the model keeps rates for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Snv,
    Ins,
    Del,
    Mnv,
    LongIns,
    LongDel,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 6] = [
        Kind::Snv,
        Kind::Ins,
        Kind::Del,
        Kind::Mnv,
        Kind::LongIns,
        Kind::LongDel,
    ];
}

/// MNV length classes: 2, 3, 4 and 5 or more bases.
pub const MNV_CLASSES: usize = 4;

pub(super) fn mnv_tallies() -> Vec<Tally> {
    vec![Tally::default(); MNV_CLASSES]
}

/// The tally index of an MNV of `len` bases.
pub fn mnv_class(len: usize) -> usize {
    len.saturating_sub(2).min(MNV_CLASSES - 1)
}

/// Length from which an indel's rate is kept by its length, not by the
/// run it may slip in: replication slippage makes indels of a base or two
/// in runs; long ones (exon 19 deletions, tandem duplications) come from
/// other errors, far rarer and growing rarer with length.
pub const LONG_INDEL: usize = 5;

/// Long indel length classes: 5-9, 10-19, 20-39 and 40 or more bases.
pub const LONG_CLASSES: usize = 4;

pub(super) fn long_tallies() -> Vec<Tally> {
    vec![Tally::default(); LONG_CLASSES]
}

/// The tally index of an indel of `len >= LONG_INDEL` bases.
pub fn long_class(len: usize) -> usize {
    match len {
        0..=9 => 0,
        10..=19 => 1,
        20..=39 => 2,
        _ => 3,
    }
}

/// The tally of an event: its kind and index (`hp`: the site's run-length
/// index, which short indels are kept by).
pub fn event_tally(e: &Indel, hp: usize) -> (Kind, usize) {
    match e {
        Indel::Ins(seq) if seq.len() >= LONG_INDEL => (Kind::LongIns, long_class(seq.len())),
        Indel::Del(n) if *n as usize >= LONG_INDEL => (Kind::LongDel, long_class(*n as usize)),
        Indel::Ins(_) => (Kind::Ins, hp),
        Indel::Del(_) => (Kind::Del, hp),
        Indel::Mnv(seq) => (Kind::Mnv, mnv_class(seq.len())),
        // METHOD: a delins is its indel plus a substitution on the same
        // molecule, at least as rare as the indel alone: tested against the
        // rate of an indel of its net length (the conservative end; the
        // extra substitution's factor is not credited).
        Indel::Delins { ref_len, alt } => {
            let (r, a) = (*ref_len as usize, alt.len());
            let net = if a > r {
                Indel::Ins(vec![b'N'; a - r])
            } else {
                Indel::Del((r - a) as u32)
            };
            event_tally(&net, hp)
        }
    }
}
