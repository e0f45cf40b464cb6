//! One family's slot votes (bases, deletion spans) at one position, as
//! its reads are gone through: per strand and allele, the templates voting
//! (a template's overlapping mates once), their qualities and the best
//! observation.

use super::{Best, Member, SLOT_KEYS};
use crate::evidence::observe::Slot;

/// One strand's votes for one slot key at one position.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tally {
    /// Templates voting for the key (a template's reads vote once).
    pub(super) n: u32,
    /// Reads behind those votes.
    pub(super) reads: u32,
    pub(super) qual: u32,
    /// The observation of highest quality (the first of them).
    pub(super) best: Best,
    best_qual: u8,
    pub(super) dist: u16,
}

/// The slot vote of the template whose reads are being tallied at one
/// position: its next read (an overlapping mate) joins the vote when it
/// agrees and withdraws it when it does not.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TemplateVote {
    /// Template number + 1 (0: none yet).
    template: u32,
    /// The slot key voted for, or [`WITHDRAWN`].
    key: u8,
    /// The qualities its reads added to that key.
    qual: u32,
    /// Its reads that showed that key.
    reads: u32,
}

/// [`TemplateVote::key`] of a template whose reads disagree.
const WITHDRAWN: u8 = u8::MAX;

/// Both strands' slot votes at one position, per strand the reads that
/// can show or deny an indel anchored there, and the vote of the last
/// template (a template is on one strand; its number is the family's).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PositionTally {
    pub(super) keys: [[Tally; SLOT_KEYS]; 2],
    pub(super) voters: [u32; 2],
    last: TemplateVote,
}

impl PositionTally {
    /// Zero the tallies in use (cheaper than writing the whole struct).
    #[inline]
    pub(super) fn clear(&mut self) {
        for t in self.keys.iter_mut().flatten().filter(|t| t.n > 0) {
            *t = Tally::default();
        }
        self.voters = [0; 2];
        self.last.template = 0;
    }

    /// A read's usable slot `o` (its `i`th) here at `pos`, the read a
    /// `member` of the family ending at `read_end`.
    #[inline]
    pub(super) fn vote(&mut self, member: &Member, i: u32, o: Slot, pos: i64, read_end: i64) {
        let s = usize::from(member.strand);
        // Reads that can show or deny an indel anchored here: a base here
        // and the next reference base read too. A read whose alignment ends
        // at the anchor (its last base, or an insertion soft-clipped at its
        // end) cannot see what follows; counted as "no indel" it would
        // split every family with such a read.
        if read_end > pos + 1 {
            self.voters[s] += 1;
        }
        // Slot keys as `key_of` gives them: a base, or 4 (a deletion span).
        let key = usize::from(if o.code == Slot::DEL { 4 } else { o.code });
        let vote = self.join_template(s, member.template, key, o.qual);
        if vote == Vote::None {
            return;
        }
        let t = &mut self.keys[s][key];
        // The first of highest quality, in (template, read) order.
        if t.n == 0 || o.qual > t.best_qual {
            t.best = Best::slot(member.read, i);
            t.best_qual = o.qual;
        }
        // A template's reads come together: one vote.
        if vote == Vote::New {
            t.n += 1;
        }
        t.reads += 1;
        t.qual += u32::from(o.qual);
        t.dist = t.dist.max(o.dist);
    }

    /// A read of `template` shows slot `key` with quality `qual` here on
    /// `strand`. Each template votes once: a second read of the template
    /// (its overlapping mate) that agrees adds its quality to the vote;
    /// one that disagrees withdraws it, as fragment mode drops a
    /// discordant overlap (one of the two misread, and which is unknown; a
    /// PCR error is in both mates).
    #[inline]
    fn join_template(&mut self, strand: usize, template: u32, key: usize, qual: u8) -> Vote {
        let last = &mut self.last;
        if last.template != template + 1 {
            *last = TemplateVote {
                template: template + 1,
                key: key as u8,
                qual: u32::from(qual),
                reads: 1,
            };
            return Vote::New;
        }
        if last.key == WITHDRAWN {
            return Vote::None;
        }
        if usize::from(last.key) == key {
            last.qual += u32::from(qual);
            last.reads += 1;
            return Vote::Join;
        }
        let t = &mut self.keys[strand][usize::from(last.key)];
        t.n -= 1;
        t.qual -= last.qual;
        t.reads -= last.reads;
        // Its best observation and distance may be this template's: start
        // the tally over when no other template voted for it.
        if t.n == 0 {
            *t = Tally::default();
        }
        last.key = WITHDRAWN;
        Vote::None
    }
}

/// What a read's slot observation does to its strand's tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Vote {
    /// The first of its template here: a new vote.
    New,
    /// Its template's vote, which it agrees with.
    Join,
    /// Nothing: its template's reads disagree here.
    None,
}
