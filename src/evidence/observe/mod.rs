//! One read's CIGAR walk: the bases and indels it shows at each reference
//! position, after base filters, with indels left-aligned.
//!
//! One walk ([`walk()`]) fills an [`Observer`]: [`ReadSlots`], one slot
//! per reference position plus the indel events. Fragment counting pairs
//! mates position by position over them; the UMI consensus tallies a
//! family's slots position by position. The buffers are reused from read
//! to read, so the hot loop does not allocate.
//!
//! This file holds the form and the trait; `walk` the CIGAR walk
//! itself, `base_run` its innermost loop (a run of aligned bases decoded
//! into slots), `cigar` what a CIGAR says in sums, `clips` a
//! read soft-clipped across a long indel realigned across it, `differences` how far a
//! read is from the reference (for the read gate's mismatch filter), `ranges` the intervals observations are kept in. Callers use the
//! re-exports below.

mod base_run;
mod cigar;
pub mod clips;
mod differences;
mod ranges;
mod walk;

pub use base_run::BaseRun;
pub use cigar::{is_clip, reference_span};
pub use differences::{differences, Differences, RefCodes};
pub use ranges::Ranges;
pub use walk::{walk, walk_read};

use super::filters::ReadFilter;
use crate::reference::RefWindow;
use rust_htslib::bam::Record;

/// What a read shows at one position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObsKind {
    /// A base (index into [`BASES`](super::alleles::BASES)).
    Base(u8),
    /// Inside a deletion of this read.
    DelSpan,
    /// An insertion after this position; `off..off+len` in [`ReadSlots::ins`].
    Ins { off: u32, len: u32 },
    /// A deletion of this many bases after this position.
    Del(u32),
    /// The bases `off..off+len` in the read's sequence buffer replace the
    /// `ref_len` reference bases from this position on: substitutions
    /// close together (an MNV, `len == ref_len`), or a deletion or
    /// insertion with a substitution beside it (a delins; see [`walk()`]).
    /// The first and last bases differ from the reference's.
    Replace { off: u32, len: u32, ref_len: u32 },
}

impl ObsKind {
    /// Bases and deletion spans fill a position's single "slot"; indels are
    /// events anchored at it. Slots sort before events.
    pub fn is_event(&self) -> bool {
        matches!(
            self,
            ObsKind::Ins { .. } | ObsKind::Del(_) | ObsKind::Replace { .. }
        )
    }

    /// Where a UMI family votes on this event, after its position: a delins
    /// one past its replaced bases, other events at their position. A
    /// family votes once per read and position, and a delins read's bare
    /// indel is anchored before that (see `walk`).
    pub fn vote_offset(&self) -> i64 {
        match *self {
            ObsKind::Replace { len, ref_len, .. } if len != ref_len => i64::from(ref_len),
            _ => 0,
        }
    }

    /// Reference positions after the event's position that a read must
    /// also cover to show or deny it: the next base for an indel (it sits
    /// between the two), the rest of the replaced bases for an MNV or a
    /// delins, and the base after them for a delins that inserts.
    pub fn span_after(&self) -> i64 {
        match *self {
            ObsKind::Replace { len, ref_len, .. } if len > ref_len => i64::from(ref_len),
            ObsKind::Replace { ref_len, .. } => i64::from(ref_len) - 1,
            _ => 1,
        }
    }
}

/// One observation of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Obs {
    pub pos: i64,
    pub kind: ObsKind,
    pub qual: u8,
    pub dist: u16,
    /// Passes the base filters (quality, distance to a read end). Only
    /// indels are kept when they fail: the mate-overlap logic must tell a
    /// mate that shows the same indel with low quality (no evidence either
    /// way) from a mate that does not show it (disagreement). Bases that
    /// fail are simply left out, which already means "no evidence".
    pub usable: bool,
}

/// What the fragment logic needs to know about a read besides what it
/// shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadMeta {
    /// Aligned reference span `[start, end)`.
    pub start: i64,
    pub end: i64,
    pub mapq: u8,
    pub reverse: bool,
    /// First read of the pair (or unpaired).
    pub read1: bool,
    pub orientation: crate::evidence::alleles::Orientation,
}

/// One reference position of a [`ReadSlots`]: a base (index into
/// [`BASES`](super::alleles::BASES)) with its quality and distance to the nearer read end, a
/// position inside a deletion, or nothing (filtered, `N`, outside the
/// ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Slot {
    pub code: u8,
    pub qual: u8,
    pub dist: u16,
}

impl Slot {
    /// Code of a position where the read shows nothing usable.
    pub const NONE: u8 = 4;
    /// Code of a position inside one of the read's deletions.
    pub const DEL: u8 = 5;
    pub const EMPTY: Slot = Slot {
        code: Slot::NONE,
        qual: 0,
        dist: 0,
    };

    /// The slot as one 32-bit word (its layout: code, quality, distance):
    /// built in vectorised loops, then stored with [`Slot::of_word`].
    #[inline(always)]
    pub fn word(code: u8, qual: u8, dist: u16) -> u32 {
        u32::from(code) | u32::from(qual) << 8 | u32::from(dist) << 16
    }

    #[inline(always)]
    pub fn of_word(w: u32) -> Slot {
        Slot {
            code: w as u8,
            qual: (w >> 8) as u8,
            dist: (w >> 16) as u16,
        }
    }
}

/// A walked read as one [`Slot`] per position of its aligned span, plus
/// its indel events: the form fragments are counted from. Mates overlap
/// position by position, so pairing them is index arithmetic instead of a
/// merge of two lists.
#[derive(Debug, Clone)]
pub struct ReadSlots {
    pub meta: ReadMeta,
    /// `slots[i]` is position `meta.start + i`.
    pub slots: Vec<Slot>,
    /// Indel events (usable or not, see [`Obs::usable`]); in position
    /// order after [`ReadSlots::sort_events`].
    pub events: Vec<Obs>,
    /// Inserted sequences and MNV or delins bases, referenced by
    /// [`ObsKind::Ins`] and [`ObsKind::Replace`].
    pub ins: Vec<u8>,
    /// `[lo, hi)` of `slots` the walk wrote: the others are
    /// [`Slot::EMPTY`] (a read's part outside the shards is not walked).
    /// [`ReadSlots::ANYWHERE`] when not known (slots set by hand).
    pub written: (usize, usize),
}

impl Default for ReadSlots {
    fn default() -> Self {
        ReadSlots {
            meta: ReadMeta::default(),
            slots: Vec::new(),
            events: Vec::new(),
            ins: Vec::new(),
            written: ReadSlots::ANYWHERE,
        }
    }
}

/// Where a CIGAR walk puts what a read shows. Positions arrive in
/// increasing order, except events moved by left-alignment.
pub trait Observer {
    /// A new read with aligned span `meta.start..meta.end`.
    fn begin(&mut self, meta: ReadMeta);
    /// Consecutive aligned bases from `pos` on.
    fn bases(&mut self, pos: i64, run: BaseRun<'_>);
    /// A position inside a deletion of the read.
    fn del_span(&mut self, pos: i64);
    /// An indel event (`ObsKind::Del`, or `ObsKind::Ins` into [`Observer::ins`]).
    fn event(&mut self, o: Obs);
    /// Buffer of inserted sequences.
    fn ins(&mut self) -> &mut Vec<u8>;
}

impl Observer for ReadSlots {
    fn begin(&mut self, m: ReadMeta) {
        self.meta = m;
        self.slots.clear();
        self.slots
            .resize((m.end - m.start).max(0) as usize, Slot::EMPTY);
        self.events.clear();
        self.ins.clear();
        self.written = (self.slots.len(), 0);
    }
    #[inline]
    fn bases(&mut self, pos: i64, run: BaseRun<'_>) {
        let from = (pos - self.meta.start) as usize;
        self.wrote(from, from + run.positions());
        run.write_slots(&mut self.slots[from..]);
    }
    fn del_span(&mut self, pos: i64) {
        let i = (pos - self.meta.start) as usize;
        self.wrote(i, i + 1);
        self.slots[i].code = Slot::DEL;
    }
    fn event(&mut self, o: Obs) {
        self.events.push(o);
    }
    fn ins(&mut self) -> &mut Vec<u8> {
        &mut self.ins
    }
}

impl ReadSlots {
    /// [`ReadSlots::written`] of slots set by hand: any may show something.
    pub const ANYWHERE: (usize, usize) = (0, usize::MAX);

    /// The walk wrote slots `[lo, hi)`.
    #[inline]
    fn wrote(&mut self, lo: usize, hi: usize) {
        self.written = (self.written.0.min(lo), self.written.1.max(hi));
    }

    /// Walk `rec` into these slots (see [`walk()`]).
    pub fn walk(&mut self, rec: &Record, window: &RefWindow, ranges: &Ranges, f: &ReadFilter) {
        walk(self, rec, window, ranges, f);
    }

    /// [`ReadSlots::walk`] of a read the gate found with fewer than two
    /// substitutions, or not (see [`walk_read()`]).
    pub fn walk_read(
        &mut self,
        rec: &Record,
        at: (&RefWindow, &Ranges),
        f: &ReadFilter,
        few_substitutions: bool,
    ) {
        walk_read(self, rec, at, f, few_substitutions);
    }

    /// Inserted sequence of an insertion event.
    pub fn ins_seq(&self, off: u32, len: u32) -> &[u8] {
        &self.ins[off as usize..(off + len) as usize]
    }

    /// Can this read not tell whether `seq` is inserted after `anchor`? It
    /// cannot when its bases from the anchor on, to its end, are `seq`
    /// repeated: shifted right, the insertion lies past its end. A read
    /// that ends inside a duplicated copy (the aligner soft-clipped the
    /// rest, too little of it to realign) shows just that. Bases it shows
    /// nothing at, and masked (lower-case) bases of `seq`, are no evidence
    /// either way. The rule of a mate (`mates`) and of a family's read
    /// (`consensus`) alike.
    pub fn ends_inside_copy(&self, anchor: i64, seq: &[u8]) -> bool {
        let from = anchor + 1 - self.meta.start;
        if from < 0 || seq.is_empty() {
            return false;
        }
        let slots = self.slots.get(from as usize..).unwrap_or_default();
        slots.iter().enumerate().all(|(i, s)| match s.code {
            Slot::NONE => true,
            Slot::DEL => false,
            c => {
                let b = seq[i % seq.len()];
                b.is_ascii_lowercase() || super::alleles::BASES[c as usize] == b
            }
        })
    }

    /// Sort the events by position (left-alignment can move one before
    /// an earlier one), then by allele, for mate pairing.
    pub fn sort_events(&mut self) {
        if self.events.len() < 2 {
            return;
        }
        let ins = &self.ins;
        self.events.sort_unstable_by(|a, b| {
            a.pos
                .cmp(&b.pos)
                .then_with(|| event_key(a, ins).cmp(&event_key(b, ins)))
        });
    }
}

/// Can two inserted sequences be the same insertion? Same length, and equal
/// at every base both read at `--min-bq` or better: a lower-case (masked)
/// base, one below it, is no evidence either way (see [`walk()`]).
pub fn ins_compatible(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| x == y || x.is_ascii_lowercase() || y.is_ascii_lowercase())
}

/// Fill the masked bases of `dst` from `src` where `src` read them at
/// `--min-bq` or better (`src` compatible with `dst`, same length).
pub fn fill_masked(dst: &mut [u8], src: &[u8]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        if d.is_ascii_lowercase() && s.is_ascii_uppercase() {
            *d = s;
        }
    }
}

/// Total order of events at one position (used only to pair mates' events).
fn event_key<'a>(o: &Obs, ins: &'a [u8]) -> (u8, u32, &'a [u8]) {
    match o.kind {
        ObsKind::Base(b) => (0, u32::from(b), &[]),
        ObsKind::DelSpan => (1, 0, &[]),
        ObsKind::Del(n) => (2, n, &[]),
        ObsKind::Ins { off, len } => (3, len, &ins[off as usize..(off + len) as usize]),
        ObsKind::Replace { off, len, ref_len } => (
            4 + u8::from(ref_len != len),
            (ref_len << 16) | len,
            &ins[off as usize..(off + len) as usize],
        ),
    }
}
