//! One family's slot votes (bases, deletion spans) at one position, as
//! its reads are gone through: per strand and allele, the templates voting
//! (a template's overlapping mates once), their qualities and the best
//! observation.
//!
//! Nearly every position of a family has one allele per strand, so
//! [`PositionTally`] keeps one allele's votes a strand (64 bytes a
//! position, which stay in the L1 cache over a family's span) and marks
//! the position mixed when a second allele comes; the votes of a mixed
//! position are cast again, in the same order, into a [`FullTally`]
//! (every allele, 240 bytes) when it is called.

use super::{agrees, Best, Member, Rules, StrandCall, SLOT_KEYS};
use crate::evidence::observe::{ReadSlots, Slot};

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

/// The slot key of a usable slot, as `key_of` gives it: a base, or 4 (a
/// deletion span).
#[inline]
fn slot_key(o: Slot) -> u8 {
    if o.code == Slot::DEL {
        4
    } else {
        o.code
    }
}

/// One strand's votes at one position while they are all for one allele:
/// a [`Tally`] and its key. The distance is held in 32 bits: read as 32
/// bits next to the bytes written just before, a 16-bit field stalled the
/// store forwarding (a quarter of the tally's time).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LoneTally {
    pub(super) n: u32,
    pub(super) reads: u32,
    pub(super) qual: u32,
    pub(super) best: Best,
    pub(super) dist: u32,
    best_qual: u8,
    pub(super) key: u8,
}

impl LoneTally {
    const EMPTY: LoneTally = LoneTally {
        n: 0,
        reads: 0,
        qual: 0,
        best: Best { read: 0, obs: 0 },
        dist: 0,
        best_qual: 0,
        key: 0,
    };
}

/// Both strands' slot votes at one position while each strand's are for
/// one allele (else `mixed`), per strand the reads that can show or deny
/// an indel anchored there, and the template of the last vote (a
/// template is on one strand; its number is the family's).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PositionTally {
    pub(super) strands: [LoneTally; 2],
    pub(super) voters: [u32; 2],
    /// Template number + 1 of the last vote (0: none yet).
    last: u32,
    /// A strand has votes for two alleles: see [`FullTally`].
    pub(super) mixed: bool,
}

impl PositionTally {
    /// No votes. Stored as a constant: `mem::take` built its default on the
    /// stack in pieces and read it back whole, a store-forwarding stall
    /// that was half of the calling loop's own time.
    pub(super) const EMPTY: PositionTally = PositionTally {
        strands: [LoneTally::EMPTY; 2],
        voters: [0; 2],
        last: 0,
        mixed: false,
    };

    /// The votes of a run of one read's usable slots (`slots`, its
    /// `first`th on; a family `member`'s) into the tallies of their
    /// positions, `tallies`, with what is fixed per read taken out of the
    /// loop. The read can show or deny an indel anchored at the first
    /// `voting` of them: a base there and the next reference base read too.
    /// A read whose alignment ends at the anchor (its last base, or an
    /// insertion soft-clipped at its end) cannot see what follows; counted
    /// as "no indel" it would split every family with such a read.
    #[inline]
    pub(super) fn vote_run(
        tallies: &mut [PositionTally],
        slots: &[Slot],
        member: &Member,
        first: usize,
        voting: usize,
    ) {
        let s = usize::from(member.strand);
        let template = member.template + 1;
        for (j, (p, &o)) in tallies.iter_mut().zip(slots).enumerate() {
            if o.code == Slot::NONE {
                continue;
            }
            p.voters[s] += u32::from(j < voting);
            if p.mixed {
                continue;
            }
            let key = slot_key(o);
            let t = &mut p.strands[s];
            if t.reads == 0 {
                t.key = key;
            } else if t.key != key {
                p.mixed = true;
                continue;
            }
            // As `FullTally::vote` with one allele: no template withdraws.
            if t.reads == 0 || o.qual > t.best_qual {
                t.best = Best::slot(member.read, (first + j) as u32);
                t.best_qual = o.qual;
            }
            if p.last != template {
                p.last = template;
                t.n += 1;
            }
            t.reads += 1;
            t.qual += u32::from(o.qual);
            t.dist = t.dist.max(u32::from(o.dist));
        }
    }
}

/// Both strands' slot votes for every allele at one position (a mixed
/// one), and the vote of the last template.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FullTally {
    pub(super) keys: [[Tally; SLOT_KEYS]; 2],
    last: TemplateVote,
}

impl FullTally {
    /// A read's usable slot `o` (its `i`th) here, the read a `member` of
    /// the family.
    #[inline]
    pub(super) fn vote(&mut self, member: &Member, i: u32, o: Slot) {
        let s = usize::from(member.strand);
        let key = usize::from(slot_key(o));
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

/// The positions a walked read shows something at: `[lo, hi)` of its
/// slots without the unusable ones at either end (bases outside the
/// shards, filtered ones), and `[lo, hi)` of those and its indels (one may
/// be left-aligned before its first base).
pub(super) fn spans(r: &ReadSlots) -> [(i64, i64); 2] {
    // Only the slots the walk wrote can show something.
    let n = r.slots.len();
    let hi = r.written.1.min(n);
    let lo = r.written.0.min(hi);
    let written = &r.slots[lo..hi];
    let lead = written.iter().take_while(|s| s.code == Slot::NONE).count();
    let trail = written[lead..]
        .iter()
        .rev()
        .take_while(|s| s.code == Slot::NONE)
        .count();
    let slots = (
        r.meta.start + (lo + lead) as i64,
        r.meta.start + (hi - trail) as i64,
    );
    let all = r.events.iter().fold(slots, |(lo, hi), e| {
        if lo >= hi {
            (e.pos, e.pos + 1)
        } else {
            (lo.min(e.pos), hi.max(e.pos + 1))
        }
    });
    [slots, all]
}

/// [`slot_call`] of a strand whose votes at one position are all for one
/// allele (the same call, without the other alleles' empty tallies).
pub(super) fn lone_call(t: &LoneTally, rules: Rules) -> StrandCall {
    if t.n == 0 {
        return StrandCall::Absent;
    }
    if !agrees(t.n, t.n, rules) {
        return StrandCall::Split;
    }
    StrandCall::Agree {
        key: u64::from(t.key),
        qual: t.qual,
        templates: t.n,
        reads: t.reads,
        best: t.best,
        // The largest of u16 distances.
        dist: t.dist as u16,
    }
}

/// One strand's consensus over its slot votes at one position: the most
/// common allele (on a tie the smaller key) when it has `--min-agreement`
/// of the votes.
pub(super) fn slot_call(t: &[Tally; SLOT_KEYS], rules: Rules) -> StrandCall {
    let total: u32 = t.iter().map(|c| c.n).sum();
    if total == 0 {
        return StrandCall::Absent;
    }
    let mut key = 0;
    for k in 1..SLOT_KEYS {
        if t[k].n > t[key].n {
            key = k;
        }
    }
    let won = &t[key];
    if !agrees(won.n, total, rules) {
        return StrandCall::Split;
    }
    let all_q: u32 = t.iter().map(|c| c.qual).sum();
    StrandCall::Agree {
        key: key as u64,
        qual: won.qual.saturating_sub(all_q - won.qual),
        templates: won.n,
        reads: won.reads,
        best: won.best,
        dist: won.dist,
    }
}
