//! UMI mode's template window: templates grouped into families in a
//! sliding window over one batch, each family counted as molecules of its
//! tier (SPEC 2.3). The read loop that pairs mates and feeds it is
//! [`super::families`].
//!
//! A family is buffered only while its coordinates can still gain reads.
//! Templates are keyed by their two unclipped 5' ends; every read of a
//! template starts at or before the larger 5' end (plus a clip's length),
//! so once the stream is [`SLACK`] past that end the group is complete.
//! When the reads carry the MC tag (the mate's CIGAR: bwa mem, samtools
//! fixmate -m, fgbio), a group is complete sooner: a template's first read
//! starts by the smaller 5' end (plus a clip), so once the stream is past
//! it, the group can only still gain the templates whose first read is
//! waiting for its mate, and MC tells each waiting read its template's
//! key. A group no waiting read expects is flushed then: the window holds
//! about a mate's offset of coverage (fragment minus read length, at least
//! `SLACK`) instead of a fragment's. Without MC on every waiting read of a
//! batch, or when a mate's CIGAR differs from what MC said, the batch keeps
//! the first rule. Memory is bounded by the reads of a few hundred bases of
//! coverage, not by the BAM.

use super::alleles::BatchCounts;
use super::aux_tags::{aux_field, AuxValue};
use super::consensus::{Consensus, Member, Rules};
use super::filters::ReadFilter;
use super::observe::{is_clip, reference_span, Ranges, ReadSlots};
use super::parked::{ParkedId, ParkedReads};
use super::umi::{consensus_tier, directional_families, umi_of, Tier, Umi, UmiConfig};
use crate::hash::WordMap;
use crate::reference::RefWindow;
use crate::sam::{is_read1, MATE_REVERSE, REVERSE};
use rust_htslib::bam::Record;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Once;

/// How far past a group's larger 5' end the stream must be before the group
/// is complete (with MC: past its smaller 5' end, for the templates not yet
/// seen). The slack covers a short 5' soft clip on a forward read at that
/// end, which starts after it (a longer one splits the family in two: fewer
/// templates, never a wrong base). Kept small: the buffered reads are the
/// memory of UMI mode.
pub const SLACK: i64 = 24;
/// Family sizes above this are counted in the last histogram bin.
pub const MAX_FAMILY_BIN: usize = 100;

/// A mate that did not have the CIGAR its read's MC tag gave: said once a run.
static MC_MISMATCH: Once = Once::new();

/// Group key: (larger 5' end, smaller 5' end, strand bits | [`PARTIAL`]).
pub(super) type Coords = (i64, i64, u8);

/// Key bit of a template with one read here: the mate's position stands in
/// for its 5' end.
const PARTIAL: u8 = 4;

/// The key of a template whose reads have these 5' ends (position,
/// reverse), and whether `a` is at the smaller one.
fn coords(a: (i64, bool), b: (i64, bool), partial: bool) -> (Coords, bool) {
    let a_first = a <= b;
    let (lo, hi) = if a_first { (a, b) } else { (b, a) };
    let bits = u8::from(lo.1) | (u8::from(hi.1) << 1) | if partial { PARTIAL } else { 0 };
    ((hi.0, lo.0, bits), a_first)
}

#[derive(Debug, Clone, Copy)]
struct Tpl {
    umi: Umi,
    /// Read 1 is the read at the smaller 5' end.
    top: bool,
    reads: [ParkedId; 2],
    n: u8,
    /// A read without a UMI, or made by an upstream consensus caller: a
    /// family of its own (with the upstream tier).
    solo: bool,
    forced: Option<Tier>,
}

/// A parked read and its unclipped 5' end and strand.
#[derive(Debug, Clone, Copy)]
pub(super) struct End {
    read: ParkedId,
    five: (i64, bool),
}

/// The read of a template that stands for it: parked, with what its
/// family needs from its aux fields (read when it arrives: the arena keeps
/// no aux; flags and mate position stay in its core).
#[derive(Debug, Clone, Copy)]
pub(super) struct Half {
    end: End,
    umi: Option<Umi>,
    forced: Option<Tier>,
}

/// One batch's templates, grouped by coordinates until their families
/// are complete, then counted into per-tier sinks (see the module docs).
pub(super) struct Window<'a> {
    cfg: &'a UmiConfig,
    window: &'a RefWindow,
    keep: &'a Ranges,
    f: &'a ReadFilter,
    groups: BTreeMap<Coords, Vec<Tpl>>,
    /// Keys expected by waiting reads (from their MC tag), with how many.
    pending: WordMap<Coords, u32>,
    /// Groups no waiting read expects, by smaller 5' end: complete once
    /// the stream is `SLACK` past it.
    ready: BTreeSet<(i64, Coords)>,
    /// Every waiting read so far had MC, and every mate matched it: the
    /// early rule holds for this batch.
    exact: bool,
    /// A waiting read had no MC: the batch fell back for want of it.
    without_mc: bool,
    /// An MC tag's CIGAR, parsed (reused).
    mc_ops: Vec<u32>,
    /// The window's reads, parked compactly (walked only when their family
    /// is complete, so the window holds no per-base observations).
    arena: ParkedReads,
    /// A parked read taken back to be walked.
    restored: Record,
    /// One family's walked reads, reused.
    walked: Vec<ReadSlots>,
    spare_groups: Vec<Vec<Tpl>>,
    consensus: Consensus,
    members: Vec<Member>,
    order: Vec<usize>,
    distinct: Vec<(Umi, u32)>,
    first_of: Vec<usize>,
    sinks: [BatchCounts; 3],
    ranges: Vec<(u64, u64)>,
    family_sizes: Vec<Vec<u64>>,
}

/// Unclipped 5' end of an alignment at `pos` on strand `rev` with this
/// (BAM-encoded) CIGAR.
fn five_prime_at(pos: i64, rev: bool, cigar: &[u32]) -> i64 {
    let clip = |c: &&u32| is_clip(**c);
    let len = |c: &u32| i64::from(c >> 4);
    if rev {
        let trailing: i64 = cigar.iter().rev().take_while(clip).map(len).sum();
        pos + reference_span(cigar) - 1 + trailing
    } else {
        pos - cigar.iter().take_while(clip).map(len).sum::<i64>()
    }
}

/// Unclipped 5' end of a read and whether it is reverse.
fn five_prime(rec: &Record) -> (i64, bool) {
    let rev = rec.flags() & REVERSE != 0;
    (five_prime_at(rec.pos(), rev, rec.raw_cigar()), rev)
}

/// The mate's unclipped 5' end and strand, from its position and the MC
/// tag (parsed into `ops`, BAM-encoded, for [`five_prime_at`]); `None`
/// without a well-formed MC. Parsed here, not by rust-htslib's
/// `CigarString::try_from`: 0.46 indexes past the end of a string ending in
/// digits ("10M5"), which a corrupt tag would turn into a panic.
fn mate_five_prime(rec: &Record, ops: &mut Vec<u32>) -> Option<(i64, bool)> {
    const OPS: &[u8] = b"MIDNSHP=X";
    let mc = aux_field(rec, b"MC").and_then(AuxValue::utf8)?;
    ops.clear();
    let mut len: Option<u32> = None;
    for &c in mc.as_bytes() {
        if c.is_ascii_digit() {
            let d = u32::from(c - b'0');
            len = Some(len.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
        } else {
            let op = OPS.iter().position(|&o| o == c)? as u32;
            ops.push(len.take().filter(|&l| l < 1 << 28)? << 4 | op);
        }
    }
    if len.is_some() || ops.is_empty() {
        return None;
    }
    let rev = rec.flags() & MATE_REVERSE != 0;
    Some((five_prime_at(rec.mpos(), rev, ops), rev))
}

impl<'a> Window<'a> {
    pub(super) fn new(
        cfg: &'a UmiConfig,
        ranges: &[(u64, u64)],
        window: &'a RefWindow,
        keep: &'a Ranges,
        f: &'a ReadFilter,
    ) -> Self {
        let sinks = [
            BatchCounts::new(ranges.iter().copied()),
            BatchCounts::new(ranges.iter().copied()),
            BatchCounts::new(ranges.iter().copied()),
        ];
        Window {
            cfg,
            window,
            keep,
            f,
            groups: BTreeMap::new(),
            pending: HashMap::default(),
            ready: BTreeSet::new(),
            exact: true,
            without_mc: false,
            mc_ops: Vec::new(),
            arena: ParkedReads::default(),
            restored: Record::new(),
            walked: Vec::new(),
            spare_groups: Vec::new(),
            consensus: Consensus::default(),
            members: Vec::new(),
            order: Vec::new(),
            distinct: Vec::new(),
            first_of: Vec::new(),
            sinks,
            ranges: ranges.to_vec(),
            family_sizes: vec![Vec::new(); ranges.len()],
        }
    }

    /// Park `rec` (`few_substitutions`: see `observe::walk_read`).
    pub(super) fn end(&mut self, rec: &Record, few_substitutions: bool) -> End {
        End {
            five: five_prime(rec),
            read: self.arena.park_read(rec, few_substitutions),
        }
    }

    /// Park `rec`, reading its UMI and tier now.
    pub(super) fn half(&mut self, rec: &Record, few_substitutions: bool) -> Half {
        Half {
            end: self.end(rec, few_substitutions),
            umi: umi_of(rec, self.cfg),
            forced: consensus_tier(rec, self.cfg.min_family),
        }
    }

    /// `h` (parked from `rec`) waits for its mate: the key its template
    /// will have, from MC, is held back from flushing until it comes.
    pub(super) fn expect(&mut self, h: &Half, rec: &Record) -> Option<Coords> {
        if !self.exact {
            return None;
        }
        let Some(mate) = mate_five_prime(rec, &mut self.mc_ops) else {
            self.without_mc = true;
            self.inexact();
            return None;
        };
        let key = coords(h.end.five, mate, false).0;
        *self.pending.entry(key).or_default() += 1;
        Some(key)
    }

    /// The early rule no longer holds for this batch.
    fn inexact(&mut self) {
        self.exact = false;
        self.ready.clear();
        self.pending.clear();
    }

    /// Add a template: both mates, or one read whose mate is not here
    /// (`a`'s UMI and tier stand for the template). `expected`: the key
    /// `a` was expected to have while it waited.
    pub(super) fn add(&mut self, a: Half, b: Option<End>, expected: Option<Coords>) {
        let flags = self.arena.flags(a.end.read);
        let (key, a_first) = match b {
            Some(b) => coords(a.end.five, b.five, false),
            None => {
                let mate = (self.arena.mpos(a.end.read), flags & MATE_REVERSE != 0);
                coords(a.end.five, mate, true)
            }
        };
        // Read 1 at the smaller 5' end: the top strand.
        let top = a_first == is_read1(flags);
        let solo = a.forced.is_some() || a.umi.is_none();
        let umi = a.umi.map_or(Umi::default(), |u| {
            if u.is_dual() {
                u.canonical(top)
            } else {
                u
            }
        });
        let tpl = Tpl {
            umi,
            top,
            reads: [a.end.read, b.map_or(a.end.read, |b| b.read)],
            n: 1 + u8::from(b.is_some()),
            solo,
            forced: a.forced,
        };
        match self.groups.get_mut(&key) {
            Some(g) => g.push(tpl),
            None => {
                let mut g = self.spare_groups.pop().unwrap_or_default();
                g.push(tpl);
                self.groups.insert(key, g);
            }
        }
        let Some(e) = expected.filter(|_| self.exact) else {
            return;
        };
        if b.is_some() && e != key {
            // MC was not the mate's CIGAR (stale after clipping or
            // realignment): a group may have been flushed short of it.
            let name = String::from_utf8_lossy(self.arena.qname(a.end.read)).into_owned();
            MC_MISMATCH.call_once(|| {
                log::warn!(
                    "read {name}: its MC tag does not give its mate's CIGAR; UMI families in \
                     this region are grouped without MC from here (a family may have been \
                     split). Regenerate MC after clipping or realigning: samtools fixmate -m"
                )
            });
            self.inexact();
            return;
        }
        if let Some(n) = self.pending.get_mut(&e) {
            *n -= 1;
            if *n == 0 {
                self.pending.remove(&e);
                if self.groups.contains_key(&e) {
                    self.ready.insert((e.1, e));
                }
            }
        }
    }

    /// Count every group complete with the stream at `pos` (all: `None`).
    pub(super) fn flush(&mut self, pos: Option<i64>) {
        let before = pos.map(|p| p - SLACK);
        while let Some(entry) = self.groups.first_entry() {
            if before.is_some_and(|b| entry.key().0 >= b) {
                break;
            }
            let (key, g) = entry.remove_entry();
            self.count_and_recycle(key, g);
        }
        let Some(before) = before else {
            self.ready.clear();
            return;
        };
        while let Some(&(lo, key)) = self.ready.first() {
            if lo >= before {
                break;
            }
            self.ready.pop_first();
            if self.pending.contains_key(&key) {
                continue;
            }
            if let Some(g) = self.groups.remove(&key) {
                self.count_and_recycle(key, g);
            }
        }
    }

    /// The position waiting read `h` gave for its mate.
    pub(super) fn mate_pos(&self, h: &Half) -> i64 {
        self.arena.mpos(h.end.read)
    }

    /// Whether `rec`, read at `pos`, is the mate waiting read `h` waits for.
    pub(super) fn is_mate(&self, h: &Half, rec: &Record, pos: i64) -> bool {
        self.arena.is_mate(h.end.read, rec, pos)
    }

    /// Count every group still held; what the batch counted.
    pub(super) fn finish(mut self) -> Counted {
        self.flush(None);
        Counted {
            tiers: self.sinks,
            family_sizes: self.family_sizes,
            most_held: self.arena.high_water(),
            without_mc: self.without_mc,
        }
    }

    fn count_and_recycle(&mut self, key: Coords, mut g: Vec<Tpl>) {
        self.count_group(key.1, &g);
        g.clear();
        self.spare_groups.push(g);
    }

    /// Walk a family's reads (`members[..].read` index the arena, which
    /// lets them go) into `walked`, re-pointing the members at their walked
    /// reads.
    fn walk_members(&mut self) {
        if self.walked.len() < self.members.len() {
            self.walked
                .resize_with(self.members.len(), ReadSlots::default);
        }
        for (i, m) in self.members.iter_mut().enumerate() {
            let few = self.arena.take(m.read, &mut self.restored);
            self.walked[i].walk_read(&self.restored, (self.window, self.keep), self.f, few);
            m.read = i as u32;
        }
    }

    /// Count one complete group (smaller 5' end `lo5`): its solo templates
    /// a family each, then the others by UMI.
    fn count_group(&mut self, lo5: i64, g: &[Tpl]) {
        let rules = Rules {
            min_family: self.cfg.min_family,
            min_agreement: self.cfg.min_agreement,
        };
        let shard = self
            .ranges
            .partition_point(|&(s, _)| s as i64 <= lo5)
            .saturating_sub(1);
        self.count_solos(shard, g, rules);
        self.count_by_umi(shard, g, rules);
    }

    /// Solo templates (no UMI, or an upstream consensus read): a family each.
    fn count_solos(&mut self, shard: usize, g: &[Tpl], rules: Rules) {
        for t in g.iter().filter(|t| t.solo) {
            self.members.clear();
            for &r in &t.reads[..usize::from(t.n)] {
                self.members.push(Member {
                    read: r,
                    template: 0,
                    strand: 0,
                });
            }
            self.walk_members();
            self.consensus.add_family(
                &mut self.sinks,
                &self.walked,
                &self.members,
                1,
                t.forced,
                rules,
            );
            bump(&mut self.family_sizes[shard], 1);
        }
    }

    /// The other templates, in families by UMI: single UMIs per strand,
    /// dual UMIs across strands.
    fn count_by_umi(&mut self, shard: usize, g: &[Tpl], rules: Rules) {
        let space = |t: &Tpl| {
            if t.umi.is_dual() {
                2u8
            } else {
                u8::from(t.top)
            }
        };
        self.order.clear();
        self.order.extend((0..g.len()).filter(|&i| !g[i].solo));
        self.order
            .sort_unstable_by_key(|&i| (space(&g[i]), g[i].umi, !g[i].top, i));
        let mut k = 0;
        while k < self.order.len() {
            let sp = space(&g[self.order[k]]);
            let mut l = k;
            while l < self.order.len() && space(&g[self.order[l]]) == sp {
                l += 1;
            }
            // Distinct UMIs of this space with template counts.
            self.distinct.clear();
            self.first_of.clear();
            for (x, &i) in self.order[k..l].iter().enumerate() {
                match self.distinct.last_mut() {
                    Some(d) if d.0 == g[i].umi => d.1 += 1,
                    _ => {
                        self.distinct.push((g[i].umi, 1));
                        self.first_of.push(k + x);
                    }
                }
            }
            self.first_of.push(l);
            let roots = directional_families(&self.distinct);
            for (r, &root) in roots.iter().enumerate() {
                if root != r {
                    continue;
                }
                self.members.clear();
                let mut templates = 0u32;
                for (u, _) in roots.iter().enumerate().filter(|&(_, &x)| x == r) {
                    for &i in &self.order[self.first_of[u]..self.first_of[u + 1]] {
                        let t = &g[i];
                        for &rd in &t.reads[..usize::from(t.n)] {
                            self.members.push(Member {
                                read: rd,
                                template: templates,
                                strand: if sp == 2 { u8::from(!t.top) } else { 0 },
                            });
                        }
                        templates += 1;
                    }
                }
                self.walk_members();
                self.consensus.add_family(
                    &mut self.sinks,
                    &self.walked,
                    &self.members,
                    templates,
                    None,
                    rules,
                );
                bump(&mut self.family_sizes[shard], templates as usize);
            }
            k = l;
        }
    }
}

fn bump(hist: &mut Vec<u64>, size: usize) {
    let i = size.min(MAX_FAMILY_BIN);
    if hist.len() <= i {
        hist.resize(i + 1, 0);
    }
    hist[i] += 1;
}

/// What a window counted over its batch.
pub(super) struct Counted {
    /// Per tier (by [`Tier::index`]): molecules of exactly that tier.
    pub tiers: [BatchCounts; 3],
    /// Per shard: families by number of templates.
    pub family_sizes: Vec<Vec<u64>>,
    /// The most reads the window held at once.
    pub most_held: usize,
    /// A read waiting for its mate had no MC tag.
    pub without_mc: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_htslib::bam::record::Aux;

    /// A read at `pos` (0-based) with `flags`, this CIGAR, mate at `mpos`,
    /// and MC `mc` when given.
    fn record(flags: u16, pos: i64, cigar: &str, mpos: i64, mc: Option<&str>) -> Record {
        use rust_htslib::bam::record::CigarString;
        let cigar = CigarString::try_from(cigar).unwrap();
        let len = cigar.iter().map(|c| c.len()).sum::<u32>() as usize;
        let mut rec = Record::new();
        rec.set(b"r", Some(&cigar), &vec![b'A'; len], &vec![30; len]);
        rec.set_flags(flags);
        rec.set_pos(pos);
        rec.set_mpos(mpos);
        if let Some(mc) = mc {
            rec.push_aux(b"MC", Aux::String(mc)).unwrap();
        }
        rec
    }

    #[test]
    fn mc_gives_the_mates_unclipped_five_prime_end() {
        let mut ops = Vec::new();
        let mate = |flags, mc: &str, ops: &mut Vec<u32>| {
            mate_five_prime(&record(flags, 0, "10M", 100, Some(mc)), ops)
        };
        // Forward mate: its start minus the leading clips.
        assert_eq!(mate(0, "10S140M", &mut ops), Some((90, false)));
        assert_eq!(mate(0, "5H3S20M4S", &mut ops), Some((92, false)));
        // Reverse mate: its last aligned base plus the trailing clips;
        // insertions take no reference, deletions and skips do.
        assert_eq!(mate(MATE_REVERSE, "140M10S", &mut ops), Some((249, true)));
        assert_eq!(
            mate(MATE_REVERSE, "5H20M3I30M2D40N7S", &mut ops),
            Some((100 + 92 - 1 + 7, true))
        );
        for bad in ["*", "", "10", "M", "10Q", "10M5", "99999999999M"] {
            assert_eq!(mate(0, bad, &mut ops), None, "{bad}");
        }
        assert_eq!(
            mate_five_prime(&record(0, 0, "10M", 100, None), &mut ops),
            None
        );
        // The same as the mate's own 5' end, for either strand.
        for cigar in ["150M", "12S100M3I20M2D10M5S", "3H40M1D60M9S"] {
            for rev in [false, true] {
                let (own, mate_flag) = if rev { (REVERSE, MATE_REVERSE) } else { (0, 0) };
                let the_mate = record(own, 500, cigar, 0, None);
                let read = record(mate_flag, 0, "10M", 500, Some(cigar));
                assert_eq!(
                    mate_five_prime(&read, &mut ops),
                    Some(five_prime(&the_mate)),
                    "{cigar} {rev}"
                );
            }
        }
    }
}
