//! UMI mode: one batch of shards read once, mates paired, templates grouped
//! into families in a sliding window, each family counted as molecules of
//! its tier (SPEC 2.3).
//!
//! A family is buffered only while its coordinates can still gain reads:
//! templates are keyed by their two unclipped 5' ends, and every read of a
//! template starts at or before the larger 5' end (plus a clip's length),
//! so once the stream is [`SLACK`] past that end, the group is complete and
//! is flushed. Memory is bounded by the reads of a few hundred bases of
//! coverage, not by the BAM.

use super::alleles::{BatchCounts, Indel, PositionCounts, ShardCounts};
use super::consensus::{Consensus, Member, Rules};
use super::filters::ReadFilter;
use super::observe::{reference_span, Ranges, ReadObs};
use super::parked::{ParkedId, ParkedReads};
use super::shard::{is_mate, name_hash, NameMap, ReadGate, SampleShard};
use super::umi::{consensus_tier, directional_families, umi_of, Tier, Umi, UmiConfig};
use crate::reference::RefWindow;
use crate::Result;
use rust_htslib::bam::{self, Read, Record};
use std::collections::BTreeMap;
use std::path::Path;

/// How far past a group's larger 5' end the stream must be before the group
/// is complete. The read at that end is normally reverse, starting before
/// it; the slack covers a short 5' soft clip on a forward read there (a
/// longer one splits the family in two: fewer templates, never a wrong base).
/// Kept small: the buffered reads are the memory of UMI mode.
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

/// Group key: (larger 5' end, smaller 5' end, strand bits).
type Coords = (i64, i64, u8);

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

struct Window<'a> {
    cfg: &'a UmiConfig,
    window: &'a RefWindow,
    keep: &'a Ranges,
    f: &'a ReadFilter,
    groups: BTreeMap<Coords, Vec<Tpl>>,
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

/// Unclipped 5' end of a read and whether it is reverse.
fn five_prime(rec: &Record) -> (i64, bool) {
    let cigar = rec.raw_cigar();
    let clip = |c: &u32| matches!(c & 0xf, 4 | 5);
    let rev = rec.flags() & REVERSE != 0;
    if rev {
        let trailing: i64 = cigar
            .iter()
            .rev()
            .take_while(|c| clip(c))
            .map(|c| i64::from(c >> 4))
            .sum();
        (rec.pos() + reference_span(cigar) - 1 + trailing, true)
    } else {
        let leading: i64 = cigar
            .iter()
            .take_while(|c| clip(c))
            .map(|c| i64::from(c >> 4))
            .sum();
        (rec.pos() - leading, false)
    }
}

fn is_read1(flags: u16) -> bool {
    flags & READ1 != 0 || flags & READ2 == 0
}

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

    /// Add a template: both mates, or one read whose mate is not here
    /// (their UMI and tier are read from `a`'s aux fields now; the window
    /// keeps compact copies without them).
    fn add(&mut self, a: &Record, b: Option<&Record>) {
        let (a5, arev) = five_prime(a);
        let a1 = is_read1(a.flags());
        let forced = consensus_tier(a, self.cfg.min_family);
        let umi = umi_of(a, self.cfg);
        let (mpos, mrev) = (a.mpos(), a.flags() & MATE_REVERSE != 0);
        let ra = self.arena.park(a);
        let mut reads = [ra, ra];
        let mut n = 1;
        let (b5, brev, partial) = match b {
            Some(b) => {
                let (p, r) = five_prime(b);
                reads[1] = self.arena.park(b);
                n = 2;
                (p, r, 0u8)
            }
            // The mate's 5' end is not known without it: its position
            // stands in, and the key says so.
            None => (mpos, mrev, 4u8),
        };
        let a_first = (a5, arev) <= (b5, brev);
        let (lo, lo_rev, hi, hi_rev) = if a_first {
            (a5, arev, b5, brev)
        } else {
            (b5, brev, a5, arev)
        };
        // Read 1 at the smaller 5' end: the top strand.
        let top = a_first == a1;
        let solo = forced.is_some() || umi.is_none();
        let umi = umi.map_or(Umi::default(), |u| {
            if u.is_dual() {
                u.canonical(top)
            } else {
                u
            }
        });
        let key = (hi, lo, u8::from(lo_rev) | (u8::from(hi_rev) << 1) | partial);
        let tpl = Tpl {
            umi,
            top,
            reads,
            n,
            solo,
            forced,
        };
        match self.groups.get_mut(&key) {
            Some(g) => g.push(tpl),
            None => {
                let mut g = self.spare_groups.pop().unwrap_or_default();
                g.push(tpl);
                self.groups.insert(key, g);
            }
        }
    }

    /// Count every group whose larger 5' end is before `before` (all: `None`).
    fn flush(&mut self, before: Option<i64>) {
        while let Some(entry) = self.groups.first_entry() {
            if before.is_some_and(|b| entry.key().0 >= b) {
                break;
            }
            let (key, mut g) = entry.remove_entry();
            self.count_group(key.1, &g);
            g.clear();
            self.spare_groups.push(g);
        }
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
) -> Result<Vec<SampleShard>> {
    let mut f = f.clone();
    f.keep_duplicates = true;
    let f = &f;
    if ranges.is_empty() {
        return Ok(Vec::new());
    }
    let keep = Ranges::of(ranges);
    let mut gate = ReadGate::fetch(reader, path, tid, ranges, &keep, f)?;
    let mut win = Window::new(cfg, ranges, window, &keep, f);
    let mut rec = Record::new();
    // Waiting mates stay records: the family key reads their aux fields.
    let mut waiting: NameMap<Record> = NameMap::default();
    let mut spare: Vec<Record> = Vec::new();
    let mut stale: Vec<u64> = Vec::new();
    let mut last_sweep = i64::MIN;

    while let Some(res) = reader.read(&mut rec) {
        let Some((pos, _, _)) = gate.admit(res, &rec)? else {
            continue;
        };
        let flags = rec.flags();

        if pos > last_sweep + 256 {
            last_sweep = pos;
            // Parked reads whose mate should have come by now come alone.
            stale.clear();
            stale.extend(
                waiting
                    .iter()
                    .filter(|(_, w)| w.mpos() < pos)
                    .map(|(k, _)| *k),
            );
            stale.sort_unstable();
            for k in &stale {
                if let Some(w) = waiting.remove(k) {
                    win.add(&w, None);
                    spare.push(w);
                }
            }
        }
        // Cheap when nothing is complete (one look at the first group).
        win.flush(Some(pos - SLACK));

        let mate_here =
            flags & PAIRED != 0 && flags & MATE_UNMAPPED == 0 && rec.mtid() == rec.tid();
        if mate_here {
            let key = name_hash(rec.qname());
            let matched = waiting
                .get(&key)
                .is_some_and(|w| is_mate(w.flags(), w.mpos(), w.qname(), &rec, pos));
            if matched {
                if let Some(w) = waiting.remove(&key) {
                    win.add(&w, Some(&rec));
                    spare.push(w);
                }
                continue;
            }
            if rec.mpos() >= pos && !waiting.contains_key(&key) {
                let mut parked = spare.pop().unwrap_or_default();
                std::mem::swap(&mut parked, &mut rec);
                waiting.insert(key, parked);
                continue;
            }
        }
        win.add(&rec, None);
    }
    let mut rest: Vec<u64> = waiting.keys().copied().collect();
    rest.sort_unstable();
    for k in rest {
        if let Some(w) = waiting.remove(&k) {
            win.add(&w, None);
        }
    }
    win.flush(None);

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
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::OverlapPolicy;
    use crate::testing::{random_sequence, sam_to_bam, write_fasta};

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
}
