//! UMI mode: one batch of shards read once, mates paired, templates grouped
//! into families in a sliding window, each family counted as molecules of
//! its tier (SPEC 2.3).
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

use super::alleles::{BatchCounts, Indel, PositionCounts, ShardCounts};
use super::consensus::{Consensus, Member, Rules};
use super::filters::ReadFilter;
use super::observe::{reference_span, Ranges, ReadObs};
use super::parked::{ParkedId, ParkedReads};
use super::shard::{name_hash, NameMap, ReadGate, SampleShard};
use super::umi::{consensus_tier, directional_families, umi_of, Tier, Umi, UmiConfig};
use crate::reference::RefWindow;
use crate::Result;
use rust_htslib::bam::{self, record::Aux, Read, Record};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
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

const PAIRED: u16 = 0x1;
const MATE_UNMAPPED: u16 = 0x8;
const REVERSE: u16 = 0x10;
const MATE_REVERSE: u16 = 0x20;
const READ1: u16 = 0x40;
const READ2: u16 = 0x80;

/// Per-tier evidence of one sample over one shard (UMI mode only): what
/// the UMI outputs read (families and duplex alt count per call, per-tier
/// error rates), not each tier's full counts, which are merged into the
/// tested counts and dropped (all shards are held until output).
#[derive(Debug, Clone, Default)]
pub struct UmiShard {
    /// Per position, per tier (by [`Tier::index`]): molecules whose base
    /// here has exactly this tier, showing A, C, G, T.
    pub bases: Vec<[[u32; 4]; 3]>,
    /// Duplex molecules showing an indel: (offset in the shard, indel,
    /// molecules), in position order.
    pub duplex_indels: Vec<(u32, Indel, u32)>,
    /// Families by number of templates (index = size, last bin = more).
    pub family_sizes: Vec<u64>,
}

impl UmiShard {
    fn of(tiers: &[ShardCounts; 3], family_sizes: Vec<u64>) -> Self {
        let at = |t: Tier| &tiers[t.index()].positions;
        let bases = (0..at(Tier::Raw).len())
            .map(|i| Tier::ALL.map(|t| at(t)[i].bases.each_ref().map(|b| b.n)))
            .collect();
        let duplex_indels = at(Tier::Duplex)
            .iter()
            .enumerate()
            .flat_map(|(i, pc)| {
                pc.indels
                    .iter()
                    .map(move |(indel, st)| (i as u32, indel.clone(), st.n))
            })
            .collect();
        UmiShard {
            bases,
            duplex_indels,
            family_sizes,
        }
    }

    /// Molecules of tier `t` showing base `b` (index into A, C, G, T) at
    /// offset `i` of the shard.
    pub fn base(&self, i: usize, t: Tier, b: usize) -> u32 {
        self.bases.get(i).map_or(0, |x| x[t.index()][b])
    }

    /// Molecules of tier `t` with a base at offset `i` of the shard.
    pub fn depth(&self, i: usize, t: Tier) -> u32 {
        self.bases.get(i).map_or(0, |b| b[t.index()].iter().sum())
    }

    /// Duplex molecules showing `indel` at offset `i`.
    pub fn duplex_indel(&self, i: usize, indel: &Indel) -> u32 {
        let from = self.duplex_indels.partition_point(|e| (e.0 as usize) < i);
        self.duplex_indels[from..]
            .iter()
            .take_while(|e| e.0 as usize == i)
            .find(|e| e.1 == *indel)
            .map_or(0, |e| e.2)
    }
}

/// Group key: (larger 5' end, smaller 5' end, strand bits | [`PARTIAL`]).
type Coords = (i64, i64, u8);

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
struct End {
    read: ParkedId,
    five: (i64, bool),
}

/// The read of a template that stands for it: parked, with what its
/// family needs from its aux fields (read when it arrives: the arena keeps
/// no aux; flags and mate position stay in its core).
#[derive(Debug, Clone, Copy)]
struct Half {
    end: End,
    umi: Option<Umi>,
    forced: Option<Tier>,
}

/// A first read waiting for its mate, and the key its template will have
/// (from MC; `None` without it).
type Waiting = (Half, Option<Coords>);

struct Window<'a> {
    cfg: &'a UmiConfig,
    window: &'a RefWindow,
    keep: &'a Ranges,
    f: &'a ReadFilter,
    groups: BTreeMap<Coords, Vec<Tpl>>,
    /// Keys expected by waiting reads (from their MC tag), with how many.
    pending: HashMap<Coords, u32>,
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
    walked: Vec<ReadObs>,
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
    let clip = |c: &&u32| matches!(*c & 0xf, 4 | 5);
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
    let Ok(Aux::String(mc)) = rec.aux(b"MC") else {
        return None;
    };
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

fn is_read1(flags: u16) -> bool {
    flags & READ1 != 0 || flags & READ2 == 0
}

/// A mate that did not have the CIGAR its read's MC tag gave: said once a run.
static MC_MISMATCH: Once = Once::new();
/// Reads without MC: said once a run.
static NO_MC: Once = Once::new();

impl<'a> Window<'a> {
    fn new(
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
            pending: HashMap::new(),
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

    /// Park `rec`.
    fn end(&mut self, rec: &Record) -> End {
        End {
            five: five_prime(rec),
            read: self.arena.park(rec),
        }
    }

    /// Park `rec`, reading its UMI and tier now.
    fn half(&mut self, rec: &Record) -> Half {
        Half {
            end: self.end(rec),
            umi: umi_of(rec, self.cfg),
            forced: consensus_tier(rec, self.cfg.min_family),
        }
    }

    /// `h` (parked from `rec`) waits for its mate: the key its template
    /// will have, from MC, is held back from flushing until it comes.
    fn expect(&mut self, h: &Half, rec: &Record) -> Option<Coords> {
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
    fn add(&mut self, a: Half, b: Option<End>, expected: Option<Coords>) {
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
    fn flush(&mut self, pos: Option<i64>) {
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
                .resize_with(self.members.len(), ReadObs::default);
        }
        for (i, m) in self.members.iter_mut().enumerate() {
            self.arena.take(m.read, &mut self.restored);
            self.walked[i].walk(&self.restored, self.window, self.keep, self.f);
            m.read = i as u32;
        }
    }

    fn count_group(&mut self, lo5: i64, g: &[Tpl]) {
        let rules = Rules {
            min_family: self.cfg.min_family,
            min_agreement: self.cfg.min_agreement,
        };
        let shard = self
            .ranges
            .partition_point(|&(s, _)| s as i64 <= lo5)
            .saturating_sub(1);
        // Solo templates: a family each.
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
        // The others by UMI: single UMIs per strand, dual UMIs across strands.
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

/// Add `src` into `dst` (pooling tiers).
pub fn merge_position(dst: &mut PositionCounts, src: &PositionCounts) {
    for (d, s) in dst.bases.iter_mut().zip(&src.bases) {
        d.merge(s);
    }
    dst.del_span += src.del_span;
    for (k, s) in &src.indels {
        dst.indel_mut(k).merge(s);
    }
}

/// One batch counted in UMI mode.
#[derive(Debug)]
pub struct UmiBatch {
    /// Per shard of the batch, in order.
    pub shards: Vec<SampleShard>,
    /// The most reads the family window held at once.
    pub most_held: usize,
    /// A first mate waiting for its mate had no MC tag: families were
    /// held until their fragment's far end had passed.
    pub without_mc: bool,
}

/// Count the shards `ranges` of contig `tid` in UMI mode (see the module
/// docs). Reads flagged as duplicates are used: they are family members.
pub fn count_batch_umi(
    reader: &mut bam::IndexedReader,
    path: &Path,
    tid: u32,
    ranges: &[(u64, u64)],
    window: &RefWindow,
    f: &ReadFilter,
    cfg: &UmiConfig,
) -> Result<UmiBatch> {
    let mut f = f.clone();
    f.keep_duplicates = true;
    let f = &f;
    if ranges.is_empty() {
        return Ok(UmiBatch {
            shards: Vec::new(),
            most_held: 0,
            without_mc: false,
        });
    }
    let keep = Ranges::of(ranges);
    let mut gate = ReadGate::fetch(reader, path, tid, ranges, &keep, f)?;
    let mut win = Window::new(cfg, ranges, window, &keep, f);
    let mut rec = Record::new();
    let mut waiting: NameMap<Waiting> = NameMap::default();
    let mut stale: Vec<u64> = Vec::new();
    let mut last_sweep = i64::MIN;

    while let Some(res) = reader.read(&mut rec) {
        let Some((pos, _, _)) = gate.admit(res, &rec)? else {
            continue;
        };
        let flags = rec.flags();

        if pos > last_sweep + 256 {
            last_sweep = pos;
            // Waiting reads whose mate should have come by now come alone.
            stale.clear();
            stale.extend(
                waiting
                    .iter()
                    .filter(|(_, w)| win.arena.mpos(w.0.end.read) < pos)
                    .map(|(k, _)| *k),
            );
            stale.sort_unstable();
            for k in &stale {
                if let Some((h, e)) = waiting.remove(k) {
                    win.add(h, None, e);
                }
            }
        }
        // Cheap when nothing is complete (one look at the first group).
        win.flush(Some(pos));

        let mate_here =
            flags & PAIRED != 0 && flags & MATE_UNMAPPED == 0 && rec.mtid() == rec.tid();
        if mate_here {
            let key = name_hash(rec.qname());
            let matched = waiting
                .get(&key)
                .is_some_and(|(w, _)| win.arena.is_mate(w.end.read, &rec, pos));
            if matched {
                if let Some((w, e)) = waiting.remove(&key) {
                    let b = win.end(&rec);
                    win.add(w, Some(b), e);
                }
                continue;
            }
            if rec.mpos() >= pos && !waiting.contains_key(&key) {
                let h = win.half(&rec);
                let e = win.expect(&h, &rec);
                waiting.insert(key, (h, e));
                continue;
            }
        }
        let h = win.half(&rec);
        win.add(h, None, None);
    }
    let mut rest: Vec<u64> = waiting.keys().copied().collect();
    rest.sort_unstable();
    for k in rest {
        if let Some((h, e)) = waiting.remove(&k) {
            win.add(h, None, e);
        }
    }
    win.flush(None);

    let most_held = win.arena.high_water();
    let without_mc = win.without_mc;
    if without_mc {
        NO_MC.call_once(|| {
            log::info!(
                "{}: reads without the MC tag (the mate's CIGAR): UMI families are held until \
                 the fragment's far end has passed, several times the memory of a BAM with MC \
                 (samtools fixmate -m adds it)",
                path.display()
            )
        });
    }
    let [raw, single, duplex] = win.sinks;
    let mut out = Vec::with_capacity(ranges.len());
    for (i, ((((r, s), d), rc), fams)) in raw
        .shards
        .into_iter()
        .zip(single.shards)
        .zip(duplex.shards)
        .zip(gate.reads)
        .zip(win.family_sizes)
        .enumerate()
    {
        let tiers = [r, s, d];
        let (start, end) = ranges[i];
        let mut counts = ShardCounts::new(start, end);
        for t in Tier::ALL.iter().filter(|t| **t >= cfg.min_tier) {
            for (dst, src) in counts.positions.iter_mut().zip(&tiers[t.index()].positions) {
                merge_position(dst, src);
            }
        }
        out.push(SampleShard {
            counts,
            reads: rc,
            umi: Some(Box::new(UmiShard::of(&tiers, fams))),
        });
    }
    Ok(UmiBatch {
        shards: out,
        most_held,
        without_mc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::OverlapPolicy;
    use crate::testing::{copy_to_bam, random_sequence, remove_tag, sam_to_bam, write_fasta};

    fn filter() -> ReadFilter {
        ReadFilter {
            min_mapq: 20,
            min_bq: 20,
            keep_duplicates: false,
            keep_supplementary: false,
            drop_improper: false,
            max_mismatch_per_100: 8.0,
            min_dist_end: 0,
            overlap: OverlapPolicy::Merge,
        }
    }

    fn cfg() -> UmiConfig {
        UmiConfig {
            tag: *b"RX",
            from_name: false,
            min_family: 2,
            min_agreement: 0.9,
            min_tier: Tier::Single,
        }
    }

    fn sub(reference: &str, pos1: usize, len: usize, alt: Option<(usize, char)>) -> String {
        let mut s: Vec<char> = reference[pos1 - 1..pos1 - 1 + len].chars().collect();
        if let Some((p, b)) = alt.filter(|&(p, _)| p >= pos1 && p < pos1 + len) {
            s[p - pos1] = b;
        }
        s.into_iter().collect()
    }

    /// One template as two SAM lines: fragment 11..=90 read as 2x50 (mates
    /// overlap on 41..=60); `top`: read 1 forward at 11, else read 1 reverse.
    fn template(
        name: &str,
        reference: &str,
        umi: &str,
        top: bool,
        alt: Option<(usize, char)>,
        tags: &str,
    ) -> [(usize, String); 2] {
        let q = "I".repeat(50);
        let (f1, f2) = if top { (99, 147) } else { (163, 83) };
        [
            (
                11,
                format!(
                    "{name}\t{f1}\tc1\t11\t60\t50M\t=\t41\t80\t{}\t{q}\tRX:Z:{umi}{tags}",
                    sub(reference, 11, 50, alt)
                ),
            ),
            (
                41,
                format!(
                    "{name}\t{f2}\tc1\t41\t60\t50M\t=\t11\t-80\t{}\t{q}\tRX:Z:{umi}{tags}",
                    sub(reference, 41, 50, alt)
                ),
            ),
        ]
    }

    fn run(lines: Vec<[(usize, String); 2]>, reference: &str, cfg: &UmiConfig) -> SampleShard {
        let dir = tempfile::tempdir().unwrap();
        let fa = write_fasta(dir.path(), "ref.fa", &[("c1", reference)]);
        let mut recs: Vec<(usize, String)> = lines.into_iter().flatten().collect();
        recs.sort_by_key(|r| r.0);
        let mut sam = String::from("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c1\tLN:200\n");
        for (_, l) in recs {
            sam.push_str(&l);
            sam.push('\n');
        }
        let bam_path = sam_to_bam(dir.path(), "umi", &sam);
        let fasta = rust_htslib::faidx::Reader::from_path(&fa).unwrap();
        let contig = crate::reference::Contig {
            name: "c1".into(),
            len: 200,
        };
        let window = RefWindow::fetch(&fasta, &contig, 0, 200).unwrap();
        let mut reader = bam::IndexedReader::from_path(&bam_path).unwrap();
        count_batch_umi(
            &mut reader,
            &bam_path,
            0,
            &[(0, 200)],
            &window,
            &filter(),
            cfg,
        )
        .unwrap()
        .shards
        .remove(0)
    }

    fn alt_of(reference: &str, pos1: usize) -> char {
        if &reference[pos1 - 1..pos1] == "T" {
            'G'
        } else {
            'T'
        }
    }

    #[test]
    fn families_tiers_and_duplex_alt_counts() {
        let reference = random_sequence(200, 3);
        let a = alt_of(&reference, 30);
        let alt = Some((30, a));
        let mut t = Vec::new();
        // Molecule 1: duplex, carries the alt; 2 top + 1 bottom templates,
        // one top UMI with a sequencing error (merged by adjacency).
        t.push(template("m1a", &reference, "AAAA-CCCC", true, alt, ""));
        t.push(template("m1b", &reference, "AAAT-CCCC", true, alt, ""));
        t.push(template("m1c", &reference, "CCCC-AAAA", false, alt, ""));
        // Molecule 2: top strand only, 3 templates, alt: single tier.
        for n in ["m2a", "m2b", "m2c"] {
            t.push(template(n, &reference, "GGGG-TTTT", true, alt, ""));
        }
        // Molecule 3: duplex, reference.
        t.push(template("m3a", &reference, "ACAC-GTGT", true, None, ""));
        t.push(template("m3b", &reference, "GTGT-ACAC", false, None, ""));
        // Molecule 4: one template: raw.
        t.push(template("m4a", &reference, "TTTT-GGGA", true, None, ""));
        // Molecule 5: strands disagree: no base at 30.
        t.push(template("m5a", &reference, "CATG-CATG", true, alt, ""));
        t.push(template("m5b", &reference, "CATG-CATG", false, None, ""));
        let s = run(t, &reference, &cfg());
        let u = s.umi.as_ref().unwrap();
        let i = alt_index(a);
        let alt_at = |tier: Tier| u.base(29, tier, i);
        assert_eq!(alt_at(Tier::Duplex), 1, "molecule 1");
        assert_eq!(u.depth(29, Tier::Duplex), 2, "molecules 1 and 3");
        assert_eq!(alt_at(Tier::Single), 1, "molecule 2");
        assert_eq!(u.depth(29, Tier::Single), 1);
        assert_eq!(u.depth(29, Tier::Raw), 1, "molecule 4");
        // Tested counts (single and better): molecules 1-3.
        assert_eq!(s.counts.positions[29].depth(), 3);
        assert_eq!(s.counts.positions[29].bases[i].n, 2);
        // Elsewhere molecule 5 is a duplex too: 5 molecules, 5 families.
        assert_eq!(Tier::ALL.iter().map(|&t| u.depth(19, t)).sum::<u32>(), 5);
        // Sizes: m4 (1); m3, m5 (2); m1, m2 (3).
        assert_eq!(u.family_sizes, vec![0, 1, 2, 2]);
    }

    #[test]
    fn umi_shard_keeps_per_tier_bases_and_duplex_indels_by_offset() {
        let mut tiers: [ShardCounts; 3] = std::array::from_fn(|_| ShardCounts::new(100, 110));
        let ins = Indel::Ins(b"CA".to_vec());
        let del = Indel::Del(3);
        tiers[Tier::Raw.index()].positions[2].bases[0].n = 5;
        tiers[Tier::Duplex.index()].positions[2].bases[3].n = 2;
        tiers[Tier::Duplex.index()].positions[4].bases[1].n = 7;
        tiers[Tier::Duplex.index()].positions[4].indel_mut(&del).n = 4;
        tiers[Tier::Duplex.index()].positions[4].indel_mut(&ins).n = 1;
        tiers[Tier::Duplex.index()].positions[9].indel_mut(&del).n = 6;
        // A single-tier indel is not a duplex one.
        tiers[Tier::Single.index()].positions[3].indel_mut(&ins).n = 9;
        let u = UmiShard::of(&tiers, vec![0, 3]);
        assert_eq!(u.bases.len(), 10);
        assert_eq!(u.depth(2, Tier::Raw), 5);
        assert_eq!(u.depth(2, Tier::Duplex), 2);
        assert_eq!(u.base(2, Tier::Duplex, 3), 2);
        assert_eq!(u.depth(4, Tier::Duplex), 7);
        assert_eq!(u.depth(10, Tier::Duplex), 0, "past the shard");
        assert_eq!(u.duplex_indel(4, &del), 4);
        assert_eq!(u.duplex_indel(4, &ins), 1);
        assert_eq!(u.duplex_indel(9, &del), 6);
        assert_eq!(u.duplex_indel(9, &ins), 0);
        assert_eq!(u.duplex_indel(3, &ins), 0);
        assert_eq!(u.duplex_indel(5, &del), 0);
        assert_eq!(u.family_sizes, vec![0, 3]);
    }

    fn alt_index(b: char) -> usize {
        crate::evidence::alleles::base_index(b as u8).unwrap()
    }

    #[test]
    fn fgbio_consensus_reads_count_at_their_tier() {
        let reference = random_sequence(200, 5);
        let a = alt_of(&reference, 30);
        let t = vec![
            template(
                "d",
                &reference,
                "AAAA-CCCC",
                true,
                Some((30, a)),
                "\tcD:i:6\taD:i:4\tbD:i:2",
            ),
            template(
                "s",
                &reference,
                "ACGT-ACGT",
                true,
                None,
                "\tcD:i:3\tcM:i:3\tcE:f:0.01",
            ),
            template("r", &reference, "ACGT-ACGT", true, None, "\tcD:i:1"),
        ];
        let s = run(t, &reference, &cfg());
        let u = s.umi.as_ref().unwrap();
        assert_eq!(u.base(29, Tier::Duplex, alt_index(a)), 1);
        // Same UMI and coordinates, but consensus reads are never re-grouped.
        assert_eq!(u.depth(29, Tier::Single), 1);
        assert_eq!(u.depth(29, Tier::Raw), 1);
    }

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

    #[test]
    fn mc_tags_flush_families_sooner_and_change_no_count() {
        use crate::simulate::params::SimParams;
        let dir = tempfile::tempdir().unwrap();
        let p = SimParams {
            seed: 3,
            contigs: 1,
            contig_len: 40_000,
            targets: 8,
            depth: 400,
            family_size: 4.0,
            duplex: true,
            ..SimParams::default()
        };
        crate::simulate::simulate(&p, dir.path()).unwrap();
        let with = dir.path().join("sample.bam");
        let without = copy_to_bam(&with, &dir.path().join("no-mc.bam"), |_, r| {
            remove_tag(b"MC", r)
        });
        // MC missing on one read in 500: the batch switches to the old rule
        // at the first such waiting read.
        let mixed = copy_to_bam(&with, &dir.path().join("some-mc.bam"), |i, r| {
            if i % 500 == 499 {
                remove_tag(b"MC", r)
            }
        });
        let fasta = rust_htslib::faidx::Reader::from_path(dir.path().join("ref.fa")).unwrap();
        let contig = crate::reference::Contig {
            name: fasta.seq_name(0).unwrap(),
            len: p.contig_len,
        };
        let window = RefWindow::fetch(&fasta, &contig, 0, p.contig_len).unwrap();
        let count = |bam: &Path| {
            let mut reader = bam::IndexedReader::from_path(bam).unwrap();
            let ranges = [(0, p.contig_len)];
            let mut b =
                count_batch_umi(&mut reader, bam, 0, &ranges, &window, &filter(), &cfg()).unwrap();
            (b.shards.remove(0), b.most_held, b.without_mc)
        };
        let (a, held_with, a_no_mc) = count(&with);
        let (b, held_without, b_no_mc) = count(&without);
        let (c, held_mixed, c_no_mc) = count(&mixed);
        assert_eq!((a_no_mc, b_no_mc, c_no_mc), (false, true, true));
        let families: u64 = a.umi.as_ref().unwrap().family_sizes[2..].iter().sum();
        assert!(families > 1000, "{families} families of 2 or more");
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(format!("{a:?}"), format!("{c:?}"));
        assert!(held_with <= held_mixed && held_mixed <= held_without);
        // Fragments ~167 bp, reads 150 bp: a group waits ~SLACK, not a read
        // length.
        assert!(
            held_with * 3 < held_without,
            "{held_with} reads held with MC, {held_without} without"
        );
    }

    #[test]
    fn a_wrong_mc_loses_no_template() {
        let reference = random_sequence(200, 7);
        // One molecule, three templates; the third's MC gives its mate 45
        // bases, not 50, and its mate comes last: the group may be flushed
        // before it (a split, warned), but every template is counted once.
        let good = "\tMC:Z:50M";
        let t = vec![
            template("m2", &reference, "AAAA-CCCC", true, None, good),
            template("m3", &reference, "AAAA-CCCC", true, None, good),
            template("m1", &reference, "AAAA-CCCC", true, None, "\tMC:Z:45M"),
        ];
        let s = run(t, &reference, &cfg());
        let sizes = &s.umi.as_ref().unwrap().family_sizes;
        let templates: u64 = sizes.iter().enumerate().map(|(n, &c)| n as u64 * c).sum();
        assert_eq!(templates, 3, "{sizes:?}");
        // With a right MC everywhere, one family of three.
        let t = ["m2", "m3", "m1"]
            .map(|n| template(n, &reference, "AAAA-CCCC", true, None, good))
            .to_vec();
        let s = run(t, &reference, &cfg());
        assert_eq!(s.umi.as_ref().unwrap().family_sizes, vec![0, 0, 0, 1]);
    }
}
