//! The read-batch plumbing both read loops stand on: the [`BatchCounter`]
//! trait they implement, the `ReadGate` every record passes, the
//! `NameMap` where reads wait for their mate, and what a batch returns
//! per sample and shard ([`SampleEvidence`], with a [`UmiEvidence`] in UMI mode).
//!
//! A batch is a run of nearby shards on one contig (see
//! [`crate::regions::batches`]): reading them with one fetch decompresses
//! each BGZF block once, where a fetch per shard would re-read the blocks
//! between close targets (the BAM index has a 16 kb granularity).

use super::alleles::{Indel, ShardCounts};
use super::filters::{
    check_flags, is_improper, too_many_mismatches, ReadCounters, ReadFilter, Rejection,
};
use super::observe::{differences, reference_span, Ranges, RefCodes};
use super::umi::Tier;
use crate::hash::fnv1a64;
use crate::reference::RefWindow;
use crate::sam::{MATE_UNMAPPED, PAIRED};
use crate::{Error, Result};
use rust_htslib::bam::{self, Record};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

/// Counts one batch of shards of one input: the engine's one extension
/// point, chosen once per run (fragments, or UMI families), so the engine
/// never asks which mode it is in.
pub trait BatchCounter: Sync {
    /// Count the shards of `b` with one fetch: one [`SampleEvidence`] per
    /// range, in order.
    fn count_batch(&self, b: Batch<'_>) -> Result<Vec<SampleEvidence>>;
}

/// One batch of shards of one input, as the engine hands it to a read loop.
pub struct Batch<'a> {
    /// The input's reader (one per worker, reused across batches).
    pub reader: &'a mut bam::IndexedReader,
    /// The input's path, for messages.
    pub path: &'a Path,
    /// The BAM's contig id.
    pub tid: u32,
    /// The shards: sorted, disjoint, `[start, end)`.
    pub ranges: &'a [(u64, u64)],
    /// Reference around the batch (must cover it).
    pub window: &'a RefWindow,
}

impl<'a> Batch<'a> {
    pub fn new(
        reader: &'a mut bam::IndexedReader,
        path: &'a Path,
        tid: u32,
        ranges: &'a [(u64, u64)],
        window: &'a RefWindow,
    ) -> Self {
        Batch {
            reader,
            path,
            tid,
            ranges,
            window,
        }
    }
}

/// What one sample's reads say about one shard.
#[derive(Debug, Clone, Default)]
pub struct SampleEvidence {
    pub counts: ShardCounts,
    /// Reads starting in this shard (the first shard of a batch also takes
    /// the reads that start before the batch).
    pub reads: ReadCounters,
    /// Per-tier molecules and family sizes, in UMI mode only.
    pub umi: Option<Box<UmiEvidence>>,
}

impl SampleEvidence {
    /// No reads over `[start, end)`: an input without this contig.
    pub fn empty(start: u64, end: u64) -> Self {
        SampleEvidence {
            counts: ShardCounts::new(start, end),
            reads: ReadCounters::default(),
            umi: None,
        }
    }
}

/// Per-tier evidence of one sample over one shard (UMI mode only): what
/// the UMI outputs read (families and duplex alt count per call, per-tier
/// error rates), not each tier's full counts, which are merged into the
/// tested counts and dropped.
#[derive(Debug, Clone, Default)]
pub struct UmiEvidence {
    /// Per position, per tier (by [`Tier::index`]): molecules whose base
    /// here has exactly this tier, showing A, C, G, T.
    pub bases: Vec<[[u32; 4]; 3]>,
    /// Duplex molecules showing an indel: (offset in the shard, indel,
    /// molecules), in position order.
    pub duplex_indels: Vec<(u32, Indel, u32)>,
    /// Families by number of templates (index = size, last bin = more).
    pub family_sizes: Vec<u64>,
}

impl UmiEvidence {
    /// From the per-tier counts of one shard (by [`Tier::index`]) and its
    /// family size histogram.
    pub fn of(tiers: &[ShardCounts; 3], family_sizes: Vec<u64>) -> Self {
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
        UmiEvidence {
            bases,
            duplex_indels,
            family_sizes,
        }
    }

    /// The evidence of offsets `range` of the shard, offsets from its
    /// start (no family sizes: they are counted per shard).
    pub fn part(&self, range: std::ops::Range<usize>) -> Self {
        let lo = range.start as u32;
        UmiEvidence {
            bases: self.bases.get(range.clone()).unwrap_or_default().to_vec(),
            duplex_indels: (self.duplex_indels.iter())
                .filter(|e| range.contains(&(e.0 as usize)))
                .map(|(i, indel, n)| (i - lo, indel.clone(), *n))
                .collect(),
            family_sizes: Vec::new(),
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

/// The read-level gate shared by fragment and UMI counting over one batch:
/// a read error or an unsorted record stops the run; a read outside the
/// batch's shards is skipped uncounted; otherwise the read is counted in
/// the shard it starts in (`seen`, and `used` or its rejection reason).
pub(crate) struct ReadGate<'a> {
    path: &'a Path,
    ranges: &'a [(u64, u64)],
    keep: &'a Ranges,
    f: &'a ReadFilter,
    /// The reference reads are compared with (mismatch filter), as codes.
    codes: RefCodes,
    last_pos: i64,
    shard_of_read: usize,
    /// Substitutions of the read last let through (see
    /// [`ReadGate::few_substitutions`]).
    substitutions: u32,
    /// Per shard: the reads starting in it.
    pub reads: Vec<ReadCounters>,
}

impl<'a> ReadGate<'a> {
    /// Fetch the batch `b` (its ranges non-empty; `keep` holds the same
    /// ranges) with one fetch.
    pub fn fetch<'b: 'a>(b: &mut Batch<'b>, keep: &'a Ranges, f: &'a ReadFilter) -> Result<Self> {
        let (path, ranges, tid) = (b.path, b.ranges, b.tid);
        let (lo, hi) = (ranges[0].0 as i64, ranges[ranges.len() - 1].1 as i64);
        b.reader.fetch((tid, lo, hi)).map_err(|e| {
            Error::hts(
                format!("{}: fetching tid {tid}:{lo}-{hi}", path.display()),
                e,
            )
        })?;
        Ok(ReadGate {
            path,
            ranges,
            keep,
            f,
            codes: RefCodes::of(b.window),
            last_pos: i64::MIN,
            shard_of_read: 0,
            substitutions: 0,
            reads: vec![ReadCounters::default(); ranges.len()],
        })
    }

    /// Pass `rec` (read with result `res`) through the gate: the used
    /// read's start, end and shard, `None` for a skipped or rejected read.
    pub fn admit(
        &mut self,
        res: std::result::Result<(), rust_htslib::errors::Error>,
        rec: &Record,
    ) -> Result<Option<(i64, i64, usize)>> {
        res.map_err(|e| self.read_error(e, rec))?;
        let pos = rec.pos();
        if pos < self.last_pos {
            return Err(Error::bad_input(
                self.path,
                format!(
                    "record {} at position {} follows one at {}: not coordinate-sorted",
                    String::from_utf8_lossy(rec.qname()),
                    pos + 1,
                    self.last_pos + 1
                ),
                "run `samtools sort` and `samtools index`",
            ));
        }
        self.last_pos = pos;
        let end = pos + reference_span(rec.raw_cigar());
        // Reads in the gaps between the batch's shards are not ours.
        if !self.keep.overlaps(pos, end.max(pos + 1)) {
            return Ok(None);
        }
        let ranges = self.ranges;
        while self.shard_of_read + 1 < ranges.len()
            && ranges[self.shard_of_read + 1].0 as i64 <= pos
        {
            self.shard_of_read += 1;
        }
        let rc = &mut self.reads[self.shard_of_read];
        rc.seen += 1;
        if let Err(why) = check_flags(rec, self.f) {
            rc.reject(why);
            return Ok(None);
        }
        let d = differences(rec, &self.codes, self.f.min_bq);
        if too_many_mismatches(d.aligned, d.events, self.f) {
            rc.reject(Rejection::TooManyMismatches);
            return Ok(None);
        }
        rc.used += 1;
        rc.improper_pair_kept += u64::from(is_improper(rec.flags()));
        self.substitutions = d.substitutions;
        Ok(Some((pos, end, self.shard_of_read)))
    }

    /// The read last let through has fewer than two substitutions against
    /// the batch's reference, as aligned: its walk has no MNV to look for
    /// (the mismatch filter already compared every base).
    pub fn few_substitutions(&self) -> bool {
        self.substitutions < 2
    }
}

impl ReadGate<'_> {
    /// The error for a record htslib could not read. An invalid record
    /// (htslib's -4: e.g. a CIGAR longer than SEQ) was read into `rec`
    /// before it was judged, so its name and position are named; after a
    /// truncated one `rec` holds no trustworthy name, and the last good
    /// position is named instead.
    fn read_error(&self, e: rust_htslib::errors::Error, rec: &Record) -> Error {
        let fix = "re-create the BAM/CRAM and its index";
        let name = read_name(rec).unwrap_or_default();
        let printable = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic());
        let is_cram = self
            .path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("cram"));
        if is_cram {
            // The file ends with its end-of-file container (checked at
            // open), so a slice that cannot be decoded is most often one
            // whose reference MD5 does not match the FASTA given.
            return Error::bad_input(
                self.path,
                format!(
                    "cannot decode the CRAM's records here ({e}): most likely the reference given is not the one the CRAM was written against (htslib says \"MD5 checksum reference mismatch\" above when so), else the file is corrupt"
                ),
                "give with --reference the FASTA the CRAM was written against (its @SQ M5 tags are that FASTA's sequence MD5s), or re-create the CRAM",
            );
        }
        if matches!(e, rust_htslib::errors::Error::BamInvalidRecord) && printable {
            return Error::bad_input(
                self.path,
                format!(
                    "read {name} (at position {}) is not a valid record ({e}; htslib's message above says why, e.g. CIGAR and sequence lengths differ)",
                    rec.pos().saturating_add(1)
                ),
                "fix or drop that read (or re-create the BAM/CRAM from its source), then `samtools index`",
            );
        }
        let msg = if self.last_pos < 0 {
            format!(
                "cannot read the first record of the fetched region ({e}): the file is truncated, corrupt or not sorted as its index says"
            )
        } else {
            format!(
                "cannot read a record after position {} ({e}): the file is truncated or corrupt",
                self.last_pos + 1
            )
        };
        Error::bad_input(self.path, msg, fix)
    }
}

/// The read name held by `rec`, or `None` when it holds none (a record
/// htslib failed to fill: `Record::qname` would panic on it).
fn read_name(rec: &Record) -> Option<String> {
    let core = &rec.inner().core;
    let cap = core.l_qname as usize;
    if cap < 1 + core.l_extranul as usize || (rec.inner().l_data.max(0) as usize) < cap {
        return None;
    }
    Some(String::from_utf8_lossy(rec.qname()).into_owned())
}

/// Whether `rec`'s mate is mapped on its contig: the reads whose mate the
/// loops wait for.
#[inline]
pub(crate) fn mate_on_contig(rec: &Record) -> bool {
    let flags = rec.flags();
    flags & PAIRED != 0 && flags & MATE_UNMAPPED == 0 && rec.mtid() == rec.tid()
}

/// The [`NameMap`] key of a read name: its FNV-1a hash, cheap and good
/// enough because a hit is confirmed on the full name.
#[inline]
pub(crate) fn name_hash(name: &[u8]) -> u64 {
    fnv1a64(name)
}

/// The key is already a hash: pass it through.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A map keyed by [`name_hash`]: where reads wait for their mate.
pub(crate) type NameMap<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umi_evidence_keeps_per_tier_bases_and_duplex_indels_by_offset() {
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
        let u = UmiEvidence::of(&tiers, vec![0, 3]);
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
}
