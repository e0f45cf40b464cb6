//! One family's reads → one molecule per position, with its tier (SPEC 2.3).
//!
//! METHOD: per position and per strand of the family, every read with a
//! usable observation votes (overlapping mates both vote, as two reads of
//! the same template). The strand has a consensus when the most common
//! allele has at least `--min-agreement` of the votes; otherwise the strand
//! is split and the molecule gets no base there (a split family is not
//! resolved by majority: one early PCR error can make half a family). An
//! indel is a consensus when that fraction of the reads with a base at the
//! anchor (and reading on past it) show it; "no indel" is a consensus when
//! that fraction do not.
//! The molecule's tier at the position: both strands agree → duplex; only
//! one strand has reads → single when it has `>= --min-family` templates
//! voting, else raw; the strands disagree → no base.
//! Consensus quality: agreeing reads' qualities summed minus the
//! disagreeing ones', capped at [`MERGED_QUAL_CAP`] (as for merged mates);
//! a duplex adds the two strands' qualities under the same cap.

use super::alleles::{PositionSink, Support};
use super::mates::{add, MERGED_QUAL_CAP};
use super::observe::{ObsKind, ReadObs};
use super::umi::Tier;

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

#[derive(Debug, Clone, Copy)]
struct Entry {
    pos: i64,
    event: bool,
    strand: u8,
    key: u64,
    template: u32,
    read: u32,
    obs: u32,
    qual: u8,
    dist: u16,
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
        /// The agreeing entry with the highest quality (its read's strand,
        /// mapping quality and observation stand for the molecule).
        best: usize,
        dist: u16,
    },
}

/// Key of an indel that fails the base filters (sorts after every allele).
const ABSTAIN: u64 = u64::MAX;

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

fn fnv(seq: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in seq {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Slots (bases, deletion spans) and events (indels) as comparable keys.
fn key_of(r: &ReadObs, k: ObsKind) -> u64 {
    match k {
        ObsKind::Base(b) => u64::from(b),
        ObsKind::DelSpan => 4,
        ObsKind::Del(n) => (1 << 62) | u64::from(n),
        ObsKind::Ins { off, len } => (2 << 62) | (fnv(r.ins_seq(off, len)) >> 2),
    }
}

/// Reused buffers for the consensus of one family at a time.
#[derive(Debug, Default)]
pub struct Consensus {
    entries: Vec<Entry>,
    by_pos: Vec<Entry>,
    starts: Vec<u32>,
    seen: Vec<u32>,
    stamp: u32,
}

/// Settings of the consensus.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub min_family: u32,
    pub min_agreement: f64,
}

impl Consensus {
    /// Count the family `members` (reads in `reads`) as molecules into the
    /// per-tier `sinks` (indexed by [`Tier::index`]). `forced` is the tier of
    /// a read made by a consensus caller upstream.
    pub fn add_family<S: PositionSink>(
        &mut self,
        sinks: &mut [S; 3],
        reads: &[ReadObs],
        members: &[Member],
        n_templates: u32,
        forced: Option<Tier>,
        rules: Rules,
    ) {
        self.entries.clear();
        for m in members {
            let r = &reads[m.read as usize];
            for (i, o) in r.obs.iter().enumerate() {
                // An indel that fails the base filters abstains (the read
                // neither shows nor denies it); other unusable
                // observations are not kept by the walk.
                if !o.usable && !o.kind.is_event() {
                    continue;
                }
                self.entries.push(Entry {
                    pos: o.pos,
                    event: o.kind.is_event(),
                    strand: m.strand,
                    key: if o.usable { key_of(r, o.kind) } else { ABSTAIN },
                    template: m.template,
                    read: m.read,
                    obs: i as u32,
                    qual: o.qual,
                    dist: o.dist,
                });
            }
        }
        self.sort_entries();
        if self.seen.len() < n_templates as usize {
            self.seen.resize(n_templates as usize, 0);
        }
        let n = self.entries.len();
        let mut i = 0;
        while i < n {
            let pos = self.entries[i].pos;
            let mut j = i;
            while j < n && self.entries[j].pos == pos && !self.entries[j].event {
                j += 1;
            }
            let mut k = j;
            while k < n && self.entries[k].pos == pos {
                k += 1;
            }
            // Reads that can show or deny an indel anchored here: a base
            // here and the next reference base read too. A read whose
            // alignment ends at the anchor (its last base, or an insertion
            // soft-clipped at its end) cannot see what follows; counted as
            // "no indel" it would split every family with such a read.
            let mut slot_voters = [0u32; 2];
            for e in &self.entries[i..j] {
                if reads[e.read as usize].meta.end > pos + 1 {
                    slot_voters[usize::from(e.strand)] += 1;
                }
            }
            let slot = [
                self.strand_call(i, j, 0, None, rules),
                self.strand_call(i, j, 1, None, rules),
            ];
            let event = (k > j).then(|| {
                [
                    self.strand_call(j, k, 0, Some(slot_voters[0]), rules),
                    self.strand_call(j, k, 1, Some(slot_voters[1]), rules),
                ]
            });
            // A molecule whose reads disagree on an indel here gives no base
            // here either: counting its base would make it a reference
            // molecule and pull the indel's allele fraction down.
            if !event.is_some_and(conflict) {
                self.emit(sinks, reads, slot, forced, rules);
            }
            if let Some(ev) = event {
                self.emit(sinks, reads, ev, forced, rules);
            }
            i = k;
        }
    }

    /// Sort by (position, slot/event, strand, allele, template): a counting
    /// sort on the position (a family spans a few hundred bases), then tiny
    /// sorts within a position. A comparison sort of the whole family was
    /// half of UMI mode's time.
    fn sort_entries(&mut self) {
        let (Some(lo), Some(hi)) = (
            self.entries.iter().map(|e| e.pos).min(),
            self.entries.iter().map(|e| e.pos).max(),
        ) else {
            return;
        };
        let span = (hi - lo + 1) as usize;
        self.starts.clear();
        self.starts.resize(span + 1, 0);
        for e in &self.entries {
            self.starts[(e.pos - lo) as usize + 1] += 1;
        }
        for i in 0..span {
            self.starts[i + 1] += self.starts[i];
        }
        self.by_pos.clear();
        self.by_pos.extend_from_slice(&self.entries);
        for e in &self.entries {
            let slot = &mut self.starts[(e.pos - lo) as usize];
            self.by_pos[*slot as usize] = *e;
            *slot += 1;
        }
        // `starts[i]` is now the end of position i's run.
        let mut from = 0usize;
        for i in 0..span {
            let to = self.starts[i] as usize;
            if to - from > 1 {
                self.by_pos[from..to].sort_unstable_by_key(|e| {
                    (e.event, e.strand, e.key, e.template, e.read, e.obs)
                });
            }
            from = to;
        }
        std::mem::swap(&mut self.entries, &mut self.by_pos);
    }

    /// The consensus of `strand` over entries `[i, j)` (one position, one
    /// kind). For events, `voters` is the number of reads of the strand
    /// with a base at the anchor.
    fn strand_call(
        &mut self,
        i: usize,
        j: usize,
        strand: u8,
        voters: Option<u32>,
        rules: Rules,
    ) -> StrandCall {
        let group = &self.entries[i..j];
        let lo = group.partition_point(|e| e.strand < strand);
        let hi = group.partition_point(|e| e.strand <= strand);
        let all = &group[lo..hi];
        // Abstaining reads (key ABSTAIN, sorted last) vote neither way.
        let n_abstain = all.iter().rev().take_while(|e| e.key == ABSTAIN).count();
        let mine = &all[..all.len() - n_abstain];
        let n_event = mine.len() as u32;
        let total = voters.map_or(n_event, |v| v.saturating_sub(n_abstain as u32).max(n_event));
        if total == 0 {
            return StrandCall::Absent;
        }
        // The most common key (runs are contiguous: sorted by key).
        let (mut best_lo, mut best_n) = (0usize, 0u32);
        let mut k = 0;
        while k < mine.len() {
            let mut l = k;
            while l < mine.len() && mine[l].key == mine[k].key {
                l += 1;
            }
            if (l - k) as u32 > best_n {
                best_n = (l - k) as u32;
                best_lo = k;
            }
            k = l;
        }
        let need = |n: u32| f64::from(n) >= rules.min_agreement * f64::from(total) - 1e-9;
        if voters.is_some() && need(total - n_event) {
            return StrandCall::NoEvent;
        }
        if best_n == 0 || !need(best_n) {
            return StrandCall::Split;
        }
        let key = mine[best_lo].key;
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.stamp = 1;
        }
        let (mut agree_q, mut other_q, mut templates, mut dist) = (0u32, 0u32, 0u32, 0u16);
        let mut best = i + lo + best_lo;
        for (x, e) in mine.iter().enumerate() {
            if e.key == key {
                agree_q += u32::from(e.qual);
                dist = dist.max(e.dist);
                if e.qual > self.entries[best].qual {
                    best = i + lo + x;
                }
                let s = &mut self.seen[e.template as usize];
                if *s != self.stamp {
                    *s = self.stamp;
                    templates += 1;
                }
            } else {
                other_q += u32::from(e.qual);
            }
        }
        StrandCall::Agree {
            key,
            qual: agree_q.saturating_sub(other_q),
            templates,
            best,
            dist,
        }
    }

    fn emit<S: PositionSink>(
        &self,
        sinks: &mut [S; 3],
        reads: &[ReadObs],
        calls: [StrandCall; 2],
        forced: Option<Tier>,
        rules: Rules,
    ) {
        use StrandCall::*;
        let (tier, best, qual, dist) = match calls {
            [Split, _] | [_, Split] => return,
            [Agree {
                key: k0,
                qual: q0,
                templates: t0,
                best: b0,
                dist: d0,
            }, Agree {
                key: k1,
                qual: q1,
                templates: t1,
                best: b1,
                dist: d1,
            }] => {
                if k0 != k1 {
                    return;
                }
                // A duplex molecule is on both strands; which one it is
                // counted on must not lean either way (strand and
                // orientation bias tests): the strand with more templates,
                // on a tie one picked by the family's position.
                let best = match t1.cmp(&t0) {
                    std::cmp::Ordering::Greater => b1,
                    std::cmp::Ordering::Less => b0,
                    std::cmp::Ordering::Equal => {
                        let r = &reads[self.entries[b0].read as usize];
                        if (r.meta.start ^ self.entries[b0].pos) & 1 == 0 {
                            b0
                        } else {
                            b1
                        }
                    }
                };
                (Tier::Duplex, best, q0 + q1, d0.max(d1))
            }
            [Agree {
                qual,
                templates,
                best,
                dist,
                ..
            }, Absent]
            | [Absent, Agree {
                qual,
                templates,
                best,
                dist,
                ..
            }] => {
                let tier = if templates >= rules.min_family {
                    Tier::Single
                } else {
                    Tier::Raw
                };
                (tier, best, qual, dist)
            }
            _ => return,
        };
        let tier = forced.unwrap_or(tier);
        let e = &self.entries[best];
        let r = &reads[e.read as usize];
        let o = &r.obs[e.obs as usize];
        let s = Support {
            qual: qual.min(u32::from(MERGED_QUAL_CAP)) as u8,
            mapq: r.meta.mapq,
            dist,
            // The molecule's strand: read 1's, as for a merged fragment.
            reverse: r.meta.reverse == r.meta.read1,
            f1r2: r.meta.f1r2,
        };
        add(&mut sinks[tier.index()], r, o, &s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::ShardCounts;
    use crate::evidence::observe::{Obs, ReadMeta};

    fn read(bases: &[(i64, u8)], indel_at: Option<i64>) -> ReadObs {
        let mut obs: Vec<Obs> = bases
            .iter()
            .map(|&(pos, b)| Obs {
                pos,
                kind: ObsKind::Base(b),
                qual: 30,
                dist: 20,
                usable: true,
            })
            .collect();
        if let Some(p) = indel_at {
            obs.push(Obs {
                pos: p,
                kind: ObsKind::Del(2),
                qual: 30,
                dist: 20,
                usable: true,
            });
        }
        ReadObs {
            obs,
            meta: ReadMeta {
                start: 0,
                end: 10,
                mapq: 60,
                read1: true,
                f1r2: true,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn run(reads: &[ReadObs], strands: &[u8], rules: Rules) -> [ShardCounts; 3] {
        let mut sinks = [
            ShardCounts::new(0, 10),
            ShardCounts::new(0, 10),
            ShardCounts::new(0, 10),
        ];
        let members: Vec<Member> = strands
            .iter()
            .enumerate()
            .map(|(i, &s)| Member {
                read: i as u32,
                template: i as u32,
                strand: s,
            })
            .collect();
        Consensus::default().add_family(
            &mut sinks,
            reads,
            &members,
            reads.len() as u32,
            None,
            rules,
        );
        sinks
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
        let t = run(&[with(), ends_at_anchor, with()], &[0, 0, 1], RULES);
        assert_eq!(dels(&t[Tier::Duplex.index()]), 1);
        assert_eq!(t[Tier::Duplex.index()].positions[3].depth(), 1);
        let t = run(&[with(), without(), with()], &[0, 0, 1], RULES);
        assert_eq!(t.iter().map(dels).sum::<u32>(), 0);
        // A copy of the indel that fails the base filters abstains: the
        // other two reads carry it alone.
        let mut weak = with();
        weak.obs[1].usable = false;
        let t = run(&[with(), with(), weak], &[0, 0, 0], RULES);
        assert_eq!(dels(&t[Tier::Single.index()]), 1);
    }
}
