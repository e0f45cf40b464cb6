//! One family's reads → one molecule per position, with its tier (SPEC 2.3).
//!
//! METHOD: per position and per strand of the family, every template with
//! a usable observation votes once: overlapping mates that agree make one
//! vote, mates that disagree none (one of them misread and which is
//! unknown; a PCR error would be in both, so this is a sequencing error,
//! which fragment mode drops the same way). The strand has a consensus
//! when the most common allele has at least `--min-agreement` of the
//! votes; otherwise the strand is split and the molecule gets no base
//! there (a split family is not resolved by majority: one early PCR error
//! can make half a family). An indel is a consensus when that fraction of
//! the reads with a base at the anchor (and reading on past it) show it;
//! "no indel" is a consensus when that fraction do not; a template whose
//! reads show the consensus indel and another one does not vote. A read
//! without the insertion whose bases from the anchor to its end repeat the
//! inserted sequence (one ending inside a duplicated copy, its rest
//! soft-clipped too short to realign) cannot deny it and abstains, by the
//! rule for mates (`ReadSlots::ends_inside_copy`); on a strand without
//! insertion reads of its own, by the other strand's insertion.
//! The molecule's tier at the position: both strands agree → duplex; only
//! one strand has reads → single when it has `>= --min-family` templates
//! voting, else raw; the strands disagree → no base.
//! Consensus quality: agreeing reads' qualities summed minus the
//! disagreeing ones', capped at [`MERGED_QUAL_CAP`] (as for merged mates);
//! a duplex adds the two strands' qualities under the same cap.

mod indels;
mod keys;
mod slots;

use super::alleles::{MoleculeClass, PositionSink, Support};
use super::mates::{add, MERGED_QUAL_CAP};
use super::observe::{ins_compatible, Obs, ObsKind, ReadSlots, Slot};
use super::umi::Tier;
use crate::hash::fnv1a64;
use indels::{
    copy_run, ending_inside, entry_ins, ins_consensus, most_common_key, tally_agreement,
    torn_templates,
};
use keys::{event_key, INS_KEY, MNV_KEY};
use slots::{lone_call, slot_call, spans, FullTally, PositionTally};

/// One read of a family.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// Index into the reads arena.
    pub read: u32,
    /// Template (pair) number within the family.
    pub template: u32,
    /// 0: top strand (read 1 leftmost), 1: bottom.
    pub strand: u8,
}

/// An indel observation of a family read (events are rare: they are
/// listed and sorted, while slots are tallied in place).
#[derive(Debug, Clone, Copy)]
struct Entry {
    pos: i64,
    strand: u8,
    key: u64,
    template: u32,
    read: u32,
    obs: u32,
    qual: u8,
    dist: u16,
}

/// The observation that stands for a molecule: read, and index in its
/// `slots` or (with [`Best::EVENT`] set) in its `events`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Best {
    read: u32,
    obs: u32,
}

impl Best {
    /// Bit of [`Best::obs`] marking an index into the read's events.
    const EVENT: u32 = 1 << 31;

    fn slot(read: u32, i: u32) -> Best {
        Best { read, obs: i }
    }

    fn event(read: u32, i: u32) -> Best {
        Best {
            read,
            obs: i | Best::EVENT,
        }
    }

    /// The event of read `r` this stands for, if it is one (else a slot:
    /// its allele is the molecule's key).
    fn event_of(self, r: &ReadSlots) -> Option<&Obs> {
        (self.obs & Best::EVENT != 0).then(|| &r.events[(self.obs & !Best::EVENT) as usize])
    }
}

/// What one strand says at one (position, slot-or-event).
#[derive(Debug, Clone, Copy, PartialEq)]
enum StrandCall {
    Absent,
    Split,
    /// No indel here (events only).
    NoEvent,
    Agree {
        key: u64,
        qual: u32,
        templates: u32,
        /// Reads behind the agreeing votes (a template's two agreeing
        /// mates are two): a molecule's class (pair or read) below a family.
        reads: u32,
        /// The agreeing observation with the highest quality (its read's
        /// strand, mapping quality and observation stand for the
        /// molecule).
        best: Best,
        dist: u16,
    },
}

/// Key of an indel that fails the base filters (sorts after every allele).
const ABSTAIN: u64 = u64::MAX;

/// Slot keys: the four bases, then a deletion span (as `keys::key_of` gives
/// them).
const SLOT_KEYS: usize = 5;

/// Positions tallied at a time: more than a fragment, so a family is
/// usually one piece.
const TALLY_SPAN: usize = 1024;

/// `n` of `total` votes are a consensus under `--min-agreement`.
fn agrees(n: u32, total: u32, rules: Rules) -> bool {
    f64::from(n) >= rules.min_agreement * f64::from(total) - 1e-9
}

/// The strands contradict each other or themselves.
fn conflict(c: [StrandCall; 2]) -> bool {
    use StrandCall::*;
    match c {
        [Split, _] | [_, Split] => true,
        [Agree { key: a, .. }, Agree { key: b, .. }] => a != b,
        [Agree { .. }, NoEvent] | [NoEvent, Agree { .. }] => true,
        _ => false,
    }
}

/// Reused buffers for the consensus of one family at a time.
#[derive(Debug, Default)]
pub struct Consensus {
    /// Slot votes of the piece being tallied, by position from its first
    /// (zeroed between pieces; as long as the longest piece so far).
    slots: Vec<PositionTally>,
    /// Events, sorted by (position, strand, allele, template, read).
    events: Vec<Entry>,
    seen: Vec<u32>,
    stamp: u32,
    /// Per strand, the consensus of the insertion its reads agree on at
    /// the position being called (upper case).
    cons: [Vec<u8>; 2],
    /// Templates whose reads disagree on the indel being called.
    torn: Vec<u32>,
    /// Per member, its read's [`spans`].
    spans: Vec<[(i64, i64); 2]>,
}

/// Settings of the consensus.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub min_family: u32,
    pub min_agreement: f64,
}

impl Consensus {
    /// Count the family `members` (reads in `reads`, in template order: a
    /// template's reads together) as molecules into the per-tier `sinks`
    /// (indexed by [`Tier::index`]). `forced` is the tier of a read made
    /// by a consensus caller upstream.
    ///
    /// Slots are tallied per position, strand and allele as the reads are
    /// gone through (listing and sorting every observation was most of UMI
    /// mode's time); indels are listed and sorted. A family spans a
    /// fragment; one whose mates are far apart is tallied in pieces of
    /// `TALLY_SPAN` positions, skipping the gap.
    pub fn add_family<S: PositionSink>(
        &mut self,
        sinks: &mut [S; 3],
        reads: &[ReadSlots],
        members: &[Member],
        n_templates: u32,
        forced: Option<Tier>,
        rules: Rules,
    ) {
        debug_assert!(members.windows(2).all(|w| w[0].template <= w[1].template));
        if self.seen.len() < n_templates as usize {
            self.seen.resize(n_templates as usize, 0);
        }
        self.spans.clear();
        self.spans
            .extend(members.iter().map(|m| spans(&reads[m.read as usize])));
        let first = self
            .spans
            .iter()
            .filter(|[_, (lo, hi)]| lo < hi)
            .map(|[_, (lo, _)]| *lo)
            .min();
        let mut next = first;
        while let Some(from) = next {
            let end;
            (end, next) = self.tally(reads, members, from);
            self.call_piece(sinks, (reads, members), from, end, forced, rules);
        }
    }

    /// Tally the family's observations at `[from, from + TALLY_SPAN)`
    /// into `slots` (zeroed) and `events` (sorted). Returns the end of the
    /// positions tallied, and the first position after the piece a read
    /// reaches (positions without votes count nothing).
    fn tally(&mut self, reads: &[ReadSlots], members: &[Member], from: i64) -> (i64, Option<i64>) {
        let to = from + TALLY_SPAN as i64;
        self.events.clear();
        let mut next: Option<i64> = None;
        let mut end = from;
        for (m, &[(s_lo, s_hi), (lo, hi)]) in members.iter().zip(&self.spans) {
            let r = &reads[m.read as usize];
            if hi > to {
                let at = lo.max(to);
                next = Some(next.map_or(at, |n| n.min(at)));
            }
            for (i, o) in r.events.iter().enumerate() {
                let at = o.pos + o.kind.vote_offset();
                if at < from || at >= to {
                    continue;
                }
                end = end.max(at + 1);
                // An indel that fails the base filters abstains (the
                // read neither shows nor denies it).
                self.events.push(Entry {
                    pos: at,
                    strand: m.strand,
                    key: if o.usable {
                        event_key(o.kind, &r.ins)
                    } else {
                        ABSTAIN
                    },
                    template: m.template,
                    read: m.read,
                    obs: i as u32,
                    qual: o.qual,
                    dist: o.dist,
                });
            }
            let (a, b) = (s_lo.max(from), s_hi.min(to));
            if a >= b {
                continue;
            }
            end = end.max(b);
            // Tallies are left zeroed by the last piece (see
            // `call_piece`): only new room is set, as a family needs it.
            let room = (b - from) as usize;
            if self.slots.len() < room {
                self.slots.resize(room, PositionTally::default());
            }
            let first = (a - r.meta.start) as usize;
            // Bases that fail the filters are no evidence either way.
            let voting = (r.meta.end - 1 - a).max(0) as usize;
            PositionTally::vote_run(
                &mut self.slots[(a - from) as usize..room],
                &r.slots[first..],
                m,
                first,
                voting,
            );
        }
        self.events
            .sort_unstable_by_key(|e| (e.pos, e.strand, e.key, e.template, e.read, e.obs));
        // Room up to the piece's last event too.
        let span = (end - from) as usize;
        if self.slots.len() < span {
            self.slots.resize(span, PositionTally::default());
        }
        (end, next)
    }

    /// Count the molecules of the piece tallied at `[from, end)`, position
    /// by position, leaving its tallies zeroed.
    fn call_piece<S: PositionSink>(
        &mut self,
        sinks: &mut [S; 3],
        (reads, members): (&[ReadSlots], &[Member]),
        from: i64,
        end: i64,
        forced: Option<Tier>,
        rules: Rules,
    ) {
        let mut e = 0;
        for x in 0..(end - from) as usize {
            let pos = from + x as i64;
            let p = std::mem::replace(&mut self.slots[x], PositionTally::EMPTY);
            let slot = if p.mixed {
                self.replay(reads, members, pos, rules)
            } else {
                [
                    lone_call(&p.strands[0], rules),
                    lone_call(&p.strands[1], rules),
                ]
            };
            let voters = p.voters;
            let first = e;
            while e < self.events.len() && self.events[e].pos == pos {
                e += 1;
            }
            let event = (e > first).then(|| {
                [
                    self.event_call((reads, members), first, e, 0, voters[0], rules),
                    self.event_call((reads, members), first, e, 1, voters[1], rules),
                ]
            });
            // A molecule whose reads disagree on an indel here gives no base
            // here either: counting its base would make it a reference
            // molecule and pull the indel's allele fraction down. Not so
            // for an MNV: its bases are slots of their own, voted on
            // position by position (a read with one more error beside a
            // true SNV would otherwise take the SNV's molecule away).
            let mnvs_only = self.events[first..e]
                .iter()
                .all(|x| x.key == ABSTAIN || x.key >> 62 == MNV_KEY >> 62);
            if mnvs_only || !event.is_some_and(conflict) {
                emit(sinks, reads, pos, slot, &self.cons, forced, rules);
            }
            if let Some(ev) = event {
                emit(sinks, reads, pos, ev, &self.cons, forced, rules);
            }
        }
    }

    /// The slot calls at mixed position `pos` (see `slots`): its votes
    /// cast again, in the order `tally` cast them, for every allele.
    fn replay(
        &self,
        reads: &[ReadSlots],
        members: &[Member],
        pos: i64,
        rules: Rules,
    ) -> [StrandCall; 2] {
        let mut full = FullTally::default();
        for (m, &[(lo, hi), _]) in members.iter().zip(&self.spans) {
            if pos < lo || pos >= hi {
                continue;
            }
            let r = &reads[m.read as usize];
            let i = (pos - r.meta.start) as usize;
            let s = r.slots[i];
            if s.code != Slot::NONE {
                full.vote(m, i as u32, s);
            }
        }
        [
            slot_call(&full.keys[0], rules),
            slot_call(&full.keys[1], rules),
        ]
    }

    /// The consensus of `strand` over the events `[i, j)` of one position
    /// (sorted by strand, then allele): an indel, "no indel", or split.
    /// `voters` is the number of the strand's reads that can show or deny
    /// an indel here.
    fn event_call(
        &mut self,
        (reads, members): (&[ReadSlots], &[Member]),
        i: usize,
        j: usize,
        strand: u8,
        voters: u32,
        rules: Rules,
    ) -> StrandCall {
        let group = &self.events[i..j];
        let lo = group.partition_point(|e| e.strand < strand);
        let hi = group.partition_point(|e| e.strand <= strand);
        let all = &group[lo..hi];
        // Abstaining reads (key ABSTAIN, sorted last) vote neither way.
        let n_abstain = all.iter().rev().take_while(|e| e.key == ABSTAIN).count();
        let mine = &all[..all.len() - n_abstain];
        let n_event = mine.len() as u32;
        let (best_lo, best_n) = most_common_key(mine);
        let key = mine.get(best_lo).map_or(0, |e| e.key);
        let is_ins = key >> 62 == INS_KEY >> 62;
        // An insertion: its consensus; reads ending inside its copy abstain.
        let other = if lo > 0 { &group[..lo] } else { &group[hi..] };
        let run = copy_run(mine, (best_lo, best_n), other);
        let (cons, mut n_abstain) = (&mut self.cons[usize::from(strand)], n_abstain as u32);
        if let Some(e) = run.first() {
            ins_consensus(reads, run, cons);
            n_abstain += ending_inside(reads, members, (e.pos, strand), all, cons);
        }
        let total = voters.saturating_sub(n_abstain).max(n_event);
        if total == 0 {
            return StrandCall::Absent;
        }
        if agrees(total - n_event, total, rules) {
            return StrandCall::NoEvent;
        }
        let cons = &self.cons[usize::from(strand)];
        let agreeing =
            |e: &Entry| e.key == key && (!is_ins || ins_compatible(entry_ins(reads, e), cons));
        // A template whose reads show this indel and another one does not
        // vote (one read misread), as for slots.
        torn_templates(
            mine,
            agreeing,
            (&mut self.stamp, &mut self.seen),
            &mut self.torn,
        );
        let torn = &self.torn;
        let counted = |e: &Entry| !torn.contains(&e.template);
        let n_torn = mine.iter().filter(|e| !counted(e)).count() as u32;
        let total = (voters.saturating_sub(n_abstain + n_torn)).max(n_event - n_torn);
        let n_agree = mine.iter().filter(|e| agreeing(e) && counted(e)).count() as u32;
        let Some(first) = mine
            .iter()
            .find(|e| agreeing(e) && counted(e))
            .filter(|_| agrees(n_agree, total, rules))
        else {
            return StrandCall::Split;
        };
        let (qual, templates, dist, best) = tally_agreement(
            mine.iter().filter(|e| counted(e)),
            agreeing,
            first,
            (&mut self.stamp, &mut self.seen),
        );
        StrandCall::Agree {
            // Strands (duplex) compare their insertions' consensus.
            key: if is_ins {
                INS_KEY | (fnv1a64(cons) >> 2)
            } else {
                key
            },
            qual,
            templates,
            reads: n_agree,
            best,
            dist,
        }
    }
}

/// The molecule two strands' calls at `pos` make: its tier (before any
/// forced one), allele key, best observation, quality, distance to a read
/// end, and reads behind a single strand's votes.
struct Molecule {
    tier: Tier,
    key: u64,
    best: Best,
    qual: u32,
    dist: u16,
    reads: u32,
}

/// The molecule the strands' `calls` at `pos` make, if any.
#[inline(always)]
fn molecule(
    reads: &[ReadSlots],
    pos: i64,
    calls: [StrandCall; 2],
    rules: Rules,
) -> Option<Molecule> {
    use StrandCall::*;
    match calls {
        [Agree {
            key: k0,
            qual: q0,
            templates: t0,
            best: b0,
            dist: d0,
            ..
        }, Agree {
            key: k1,
            qual: q1,
            templates: t1,
            best: b1,
            dist: d1,
            ..
        }] if k0 == k1 => Some(Molecule {
            tier: Tier::Duplex,
            key: k0,
            best: duplex_best(reads, pos, (t0, b0), (t1, b1)),
            qual: q0 + q1,
            dist: d0.max(d1),
            reads: u32::MAX,
        }),
        [Agree {
            key,
            qual,
            templates,
            reads: n_reads,
            best,
            dist,
        }, Absent]
        | [Absent, Agree {
            key,
            qual,
            templates,
            reads: n_reads,
            best,
            dist,
        }] => Some(Molecule {
            tier: strand_tier(templates, rules),
            key,
            best,
            qual,
            dist,
            reads: n_reads,
        }),
        _ => None,
    }
}

/// Count the molecule the two strands' `calls` at `pos` make, if any; an
/// insertion as the consensus (`cons`) of the strand that has one.
#[inline(always)]
fn emit<S: PositionSink>(
    sinks: &mut [S; 3],
    reads: &[ReadSlots],
    pos: i64,
    calls: [StrandCall; 2],
    cons: &[Vec<u8>; 2],
    forced: Option<Tier>,
    rules: Rules,
) {
    use StrandCall::*;
    let Some(m) = molecule(reads, pos, calls, rules) else {
        return;
    };
    let tier = forced.unwrap_or(m.tier);
    let r = &reads[m.best.read as usize];
    let s = Support {
        qual: m.qual.min(u32::from(MERGED_QUAL_CAP)) as u8,
        mapq: r.meta.mapq,
        dist: m.dist,
        // The molecule's strand: read 1's, as for a merged fragment.
        reverse: r.meta.reverse == r.meta.read1,
        orientation: r.meta.orientation,
        class: class_of(tier, m.reads),
    };
    let sink = &mut sinks[tier.index()];
    let Some(o) = m.best.event_of(r) else {
        // A slot: a base, or a deletion span (key 4), counted in place.
        if let Some(pc) = sink.at_mut(pos) {
            match pc.bases.get_mut(m.key as usize) {
                Some(b) => b.add(&s),
                None => pc.del_span += 1,
            }
        }
        return;
    };
    if let ObsKind::Ins { len, .. } = o.kind {
        // As its strand's consensus; a duplex's strands have the same
        // one (their keys are equal).
        let strand = usize::from(!matches!(calls[0], Agree { .. }));
        let o = Obs {
            kind: ObsKind::Ins { off: 0, len },
            ..*o
        };
        add(sink, &cons[strand], &o, &s);
    } else {
        add(sink, &r.ins, o, &s);
    }
}

/// The read that stands for a duplex molecule, given each strand's
/// templates and best read. A duplex molecule is on both strands; which
/// one it is counted on must not lean either way (strand and orientation
/// bias tests): the strand with more templates, on a tie one picked by the
/// The tier of a molecule one strand alone shows with `templates`.
fn strand_tier(templates: u32, rules: Rules) -> Tier {
    if templates >= rules.min_family {
        Tier::Single
    } else {
        Tier::Raw
    }
}

/// The class of a molecule of `tier` whose agreeing strand had `reads`
/// reads behind its votes: below a family, two or more agreeing reads
/// (one template's overlapping mates) are a pair, one read is a read.
fn class_of(tier: Tier, reads: u32) -> MoleculeClass {
    match tier {
        Tier::Duplex => MoleculeClass::Duplex,
        Tier::Single => MoleculeClass::Family,
        Tier::Raw if reads >= 2 => MoleculeClass::Pair,
        Tier::Raw => MoleculeClass::Read,
    }
}

/// family's position.
fn duplex_best(
    reads: &[ReadSlots],
    pos: i64,
    (t0, b0): (u32, Best),
    (t1, b1): (u32, Best),
) -> Best {
    match t1.cmp(&t0) {
        std::cmp::Ordering::Greater => b1,
        std::cmp::Ordering::Less => b0,
        std::cmp::Ordering::Equal => {
            if (reads[b0.read as usize].meta.start ^ pos) & 1 == 0 {
                b0
            } else {
                b1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::ShardCounts;
    use crate::evidence::observe::ReadMeta;

    /// A read over `[start, start + 10)` showing `bases` (position, base)
    /// and perhaps a 2 bp deletion after `indel_at`.
    fn read_at(start: i64, bases: &[(i64, u8)], indel_at: Option<i64>) -> ReadSlots {
        let mut slots = vec![Slot::EMPTY; 10];
        for &(pos, b) in bases {
            slots[(pos - start) as usize] = Slot {
                code: b,
                qual: 30,
                dist: 20,
            };
        }
        let events = indel_at
            .map(|p| Obs {
                pos: p,
                kind: ObsKind::Del(2),
                qual: 30,
                dist: 20,
                usable: true,
            })
            .into_iter()
            .collect();
        ReadSlots {
            slots,
            events,
            meta: ReadMeta {
                start,
                end: start + 10,
                mapq: 60,
                read1: true,
                orientation: crate::evidence::alleles::Orientation::F1R2,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn read(bases: &[(i64, u8)], indel_at: Option<i64>) -> ReadSlots {
        read_at(0, bases, indel_at)
    }

    /// Count a family of one read per template, on these strands.
    fn run(reads: &[ReadSlots], strands: &[u8], rules: Rules) -> [ShardCounts; 3] {
        let members: Vec<(u32, u8)> = (0..).zip(strands.iter().copied()).collect();
        run_templates(reads, &members, 10, rules)
    }

    const RULES: Rules = Rules {
        min_family: 2,
        min_agreement: 0.9,
    };

    #[test]
    fn consensus_rules() {
        // Three top-strand reads agree on A at 1; at 2 one of them says C.
        let r = [
            read(&[(1, 0), (2, 0)], None),
            read(&[(1, 0), (2, 0)], None),
            read(&[(1, 0), (2, 1)], None),
        ];
        let t = run(&r, &[0, 0, 0], RULES);
        assert_eq!(t[Tier::Single.index()].positions[1].bases[0].n, 1);
        // 2/3 agree < 0.9: split, no base in any tier (not a majority vote).
        for tier in &t {
            assert_eq!(tier.positions[2].depth(), 0);
        }
        // Qualities: 3 x 30 summed, capped at 60.
        assert_eq!(t[1].positions[1].bases[0].sum_bq, 60);
        // With --min-agreement 0.6 the 2/3 majority is a consensus, quality 60-30.
        let t = run(
            &r,
            &[0, 0, 0],
            Rules {
                min_agreement: 0.6,
                ..RULES
            },
        );
        assert_eq!(t[1].positions[2].bases[0].n, 1);
        assert_eq!(t[1].positions[2].bases[0].sum_bq, 30);

        // One read: raw tier.
        let t = run(&r[..1], &[0], RULES);
        assert_eq!(t[Tier::Raw.index()].positions[1].depth(), 1);
        assert_eq!(t[Tier::Single.index()].positions[1].depth(), 0);

        // Both strands agree: duplex; they disagree: nothing.
        let d = [read(&[(1, 2)], None), read(&[(1, 2)], None)];
        let t = run(&d, &[0, 1], RULES);
        assert_eq!(t[Tier::Duplex.index()].positions[1].bases[2].n, 1);
        let d = [read(&[(1, 2)], None), read(&[(1, 3)], None)];
        let t = run(&d, &[0, 1], RULES);
        assert!(t.iter().all(|c| c.positions[1].depth() == 0));
    }

    #[test]
    fn indel_consensus_needs_agreement_and_both_strands_for_duplex() {
        let with = || read(&[(3, 0)], Some(3));
        let without = || read(&[(3, 0)], None);
        let dels = |c: &ShardCounts| c.positions[3].indels.iter().map(|x| x.1.n).sum::<u32>();
        // All three top reads carry it: single-strand indel.
        let t = run(&[with(), with(), with()], &[0, 0, 0], RULES);
        assert_eq!(dels(&t[Tier::Single.index()]), 1);
        // One of three: split on the event → no indel, and no base at the
        // anchor either (the molecule is neither ref nor alt there).
        let t = run(&[with(), without(), without()], &[0, 0, 0], RULES);
        assert_eq!(t.iter().map(dels).sum::<u32>(), 0);
        assert_eq!(t[Tier::Single.index()].positions[3].depth(), 0);
        // Both strands carry it: duplex. One strand says "no indel": none.
        let t = run(&[with(), with()], &[0, 1], RULES);
        assert_eq!(dels(&t[Tier::Duplex.index()]), 1);
        let t = run(&[with(), without(), without()], &[0, 1, 1], RULES);
        assert_eq!(t.iter().map(dels).sum::<u32>(), 0);
        // A read whose alignment ends at the anchor cannot deny the indel:
        // with it the strand's only voter is the read showing the deletion
        // (duplex with the other strand); a read reading on past the anchor
        // without the deletion splits the strand.
        let mut ends_at_anchor = without();
        ends_at_anchor.meta.end = 4;
        ends_at_anchor.slots.truncate(4);
        let t = run(&[with(), ends_at_anchor, with()], &[0, 0, 1], RULES);
        assert_eq!(dels(&t[Tier::Duplex.index()]), 1);
        assert_eq!(t[Tier::Duplex.index()].positions[3].depth(), 1);
        let t = run(&[with(), without(), with()], &[0, 0, 1], RULES);
        assert_eq!(t.iter().map(dels).sum::<u32>(), 0);
        // A copy of the indel that fails the base filters abstains: the
        // other two reads carry it alone.
        let mut weak = with();
        weak.events[0].usable = false;
        let t = run(&[with(), with(), weak], &[0, 0, 0], RULES);
        assert_eq!(dels(&t[Tier::Single.index()]), 1);
    }

    /// Count a family whose members are given with their template numbers.
    fn run_templates(
        reads: &[ReadSlots],
        members: &[(u32, u8)],
        len: u64,
        rules: Rules,
    ) -> [ShardCounts; 3] {
        let mut sinks = [
            ShardCounts::new(0, len),
            ShardCounts::new(0, len),
            ShardCounts::new(0, len),
        ];
        let members: Vec<Member> = members
            .iter()
            .enumerate()
            .map(|(i, &(template, strand))| Member {
                read: i as u32,
                template,
                strand,
            })
            .collect();
        let n = members.last().map_or(0, |m| m.template + 1);
        Consensus::default().add_family(&mut sinks, reads, &members, n, None, rules);
        sinks
    }

    #[test]
    fn overlapping_mates_are_one_template_and_the_best_read_stands_for_the_molecule() {
        // Two templates, each two overlapping mates reading A at 1 and 2.
        let mate = |mapq: u8, qual: u8| {
            let mut r = read(&[(1, 0), (2, 0)], None);
            r.meta.mapq = mapq;
            r.slots
                .iter_mut()
                .filter(|s| s.code != Slot::NONE)
                .for_each(|s| s.qual = qual);
            r
        };
        let reads = [mate(50, 20), mate(55, 35), mate(41, 35), mate(60, 10)];
        let members = [(0, 0), (0, 0), (1, 0), (1, 0)];
        let rules3 = Rules {
            min_family: 3,
            ..RULES
        };
        // Four reads but two templates: below a minimum family of three.
        let t = run_templates(&reads, &members, 10, rules3);
        assert_eq!(t[Tier::Raw.index()].positions[1].bases[0].n, 1);
        assert_eq!(t[Tier::Single.index()].positions[1].depth(), 0);
        // Two templates make a family of two: single-strand, and the first
        // read of the highest quality (35: the second, not the third)
        // gives the molecule its mapping quality.
        let t = run_templates(&reads, &members, 10, RULES);
        let a = t[Tier::Single.index()].positions[1].bases[0];
        assert_eq!((a.n, a.sum_mq, a.sum_bq), (1, 55, 60));
    }

    #[test]
    fn mates_that_disagree_withdraw_their_template_s_vote() {
        // Three templates of two overlapping mates reading A at 1.
        let mates = |second: u8, first: u8| {
            let mut reads = vec![read(&[(1, 0)], None); 6];
            reads[3] = read(&[(1, second)], None);
            reads[2] = read(&[(1, first)], None);
            reads
        };
        let members = [(0, 0), (0, 0), (1, 0), (1, 0), (2, 0), (2, 0)];
        let rules3 = Rules {
            min_family: 3,
            ..RULES
        };
        // Template 1's second read says C: one of its mates misread, so
        // the template does not vote; the other two agree on A (5 of 6
        // reads split the strand before). Two templates: raw under a
        // minimum family of three.
        let t = run_templates(&mates(1, 0), &members, 10, rules3);
        assert_eq!(t[Tier::Raw.index()].positions[1].bases[0].n, 1);
        assert_eq!(t[Tier::Single.index()].positions[1].depth(), 0);
        // Both mates say C (a PCR error in the template): 2 of 3 templates,
        // a split.
        let t = run_templates(&mates(1, 1), &members, 10, rules3);
        assert!(t.iter().all(|c| c.positions[1].depth() == 0));
        // Agreeing mates are one vote: three templates make a family of
        // three, their six reads' qualities summed (capped).
        let t = run_templates(&mates(0, 0), &members, 10, rules3);
        let a = t[Tier::Single.index()].positions[1].bases[0];
        assert_eq!((a.n, a.sum_bq), (1, 60));
    }

    #[test]
    fn each_molecule_gets_its_class() {
        let class =
            |t: &[ShardCounts; 3], tier: Tier| t[tier.index()].positions[1].bases[0].by_class;
        // One template's two mates agreeing: a pair; one read alone: a read.
        let mates = [read(&[(1, 0)], None), read(&[(1, 0)], None)];
        let t = run_templates(&mates, &[(0, 0), (0, 0)], 10, RULES);
        assert_eq!(class(&t, Tier::Raw), [0, 1, 0, 0]);
        let t = run_templates(&mates[..1], &[(0, 0)], 10, RULES);
        assert_eq!(class(&t, Tier::Raw), [1, 0, 0, 0]);
        // Two templates: a family; both strands: a duplex.
        let t = run_templates(&mates, &[(0, 0), (1, 0)], 10, RULES);
        assert_eq!(class(&t, Tier::Single), [0, 0, 1, 0]);
        let t = run_templates(&mates, &[(0, 0), (1, 1)], 10, RULES);
        assert_eq!(class(&t, Tier::Duplex), [0, 0, 0, 1]);
    }

    #[test]
    fn a_family_with_mates_far_apart_is_counted_at_both_ends() {
        // Two templates whose mates are 5,000 bases apart (more than one
        // tally piece), a deletion at the far end on both.
        let far = 5_000;
        let mut reads = Vec::new();
        for _ in 0..2 {
            reads.push(read(&[(1, 2), (2, 2)], None));
            // Its slots past far + 1 show nothing usable.
            reads.push(read_at(far, &[(far, 3), (far + 1, 3)], Some(far)));
        }
        let t = run_templates(
            &reads,
            &[(0, 0), (0, 0), (1, 0), (1, 0)],
            far as u64 + 10,
            RULES,
        );
        let single = &t[Tier::Single.index()];
        assert_eq!(single.positions[1].bases[2].n, 1);
        assert_eq!(single.positions[2].bases[2].n, 1);
        assert_eq!(single.positions[far as usize + 1].bases[3].n, 1);
        let del: u32 = single.positions[far as usize]
            .indels
            .iter()
            .map(|x| x.1.n)
            .sum();
        assert_eq!(del, 1);
        // Nothing in the gap, and no base anywhere counted twice.
        let molecules: u32 = t.iter().flat_map(|c| &c.positions).map(|p| p.depth()).sum();
        assert_eq!(molecules, 4);
    }

    /// A read over `[0, 10)` reading A at 3 and `after` from 4 on, and
    /// perhaps "CAG" inserted after 3.
    fn ins_read(after: &[u8], inserted: bool) -> ReadSlots {
        let bases: Vec<(i64, u8)> = std::iter::once((3, 0))
            .chain((4..).zip(after.iter().copied()))
            .collect();
        let mut r = read(&bases, None);
        if inserted {
            r.ins = b"CAG".to_vec();
            r.events.push(Obs {
                pos: 3,
                kind: ObsKind::Ins { off: 0, len: 3 },
                qual: 30,
                dist: 20,
                usable: true,
            });
        }
        r
    }

    #[test]
    fn a_read_ending_inside_the_inserted_copy_abstains() {
        let ins = |c: &ShardCounts| c.positions[3].indels.iter().map(|x| x.1.n).sum::<u32>();
        // "CAG" inserted after 3 on two reads; a third reads C A G C A G
        // from 4 to its end: the insertion shifted right lies past it, so
        // it cannot tell (as a mate, `mates`). Counted as "no insertion"
        // it split the family; it abstains, and the two others agree.
        let inside = [1, 0, 2, 1, 0, 2];
        let with = || ins_read(&[1, 0, 2], true);
        let t = run(
            &[with(), with(), ins_read(&inside, false)],
            &[0, 0, 0],
            RULES,
        );
        assert_eq!(ins(&t[Tier::Single.index()]), 1);
        // Reading one base past the copy (a T, not the C of a next copy)
        // it denies the insertion: 2 of 3, split.
        let through = [1, 0, 2, 1, 0, 3];
        let t = run(
            &[with(), with(), ins_read(&through, false)],
            &[0, 0, 0],
            RULES,
        );
        assert_eq!(t.iter().map(ins).sum::<u32>(), 0);
        // A strand whose reads all end inside the copy, without an
        // insertion read of its own, abstains too: the other strand's
        // reads make a single-strand molecule (a strand saying "no
        // insertion" would contradict them: no molecule).
        let reads = [with(), with(), ins_read(&inside, false)];
        let t = run(&reads, &[0, 0, 1], RULES);
        assert_eq!(ins(&t[Tier::Single.index()]), 1);
        let reads = [with(), with(), ins_read(&through, false)];
        let t = run(&reads, &[0, 0, 1], RULES);
        assert_eq!(t.iter().map(ins).sum::<u32>(), 0);
    }

    /// A read showing the MNV `bases` at 3 (and its base at 1).
    fn mnv_read(bases: &[u8]) -> ReadSlots {
        let mut r = read(&[(1, 0)], None);
        r.ins = bases.to_vec();
        r.events.push(Obs {
            pos: 3,
            kind: ObsKind::Replace {
                off: 0,
                len: bases.len() as u32,
                ref_len: bases.len() as u32,
            },
            qual: 30,
            dist: 20,
            usable: true,
        });
        r
    }

    #[test]
    fn an_mnv_is_a_family_event_keyed_by_its_bases() {
        let at3 = |t: &ShardCounts| t.positions[3].indels.clone();
        // Both strands show GA: one duplex MNV.
        let r = [
            mnv_read(b"GA"),
            mnv_read(b"GA"),
            mnv_read(b"GA"),
            mnv_read(b"GA"),
        ];
        let t = run(&r, &[0, 0, 1, 1], RULES);
        let duplex = at3(&t[Tier::Duplex.index()]);
        assert_eq!(duplex.len(), 1, "{duplex:?}");
        assert_eq!(
            duplex[0].0,
            crate::evidence::alleles::Indel::Mnv(b"GA".to_vec())
        );
        // Same length, other bases on one read of three: no agreement at
        // 0.9, no MNV (a length-only key would have called GA).
        let r = [mnv_read(b"GA"), mnv_read(b"GA"), mnv_read(b"GT")];
        let t = run(&r, &[0, 0, 0], RULES);
        assert!(t.iter().all(|c| at3(c).is_empty()), "{:?}", at3(&t[1]));
    }
}
