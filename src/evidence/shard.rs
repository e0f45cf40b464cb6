//! Counting one shard of one sample: fetch, filter, walk, pair mates, count.

use super::alleles::ShardCounts;
use super::filters::{
    check_flags, is_improper, nm_tag, too_many_mismatches, ReadCounters, ReadFilter,
};
use super::mates::{add_pair, add_single};
use super::observe::ReadObs;
use crate::cli::OverlapPolicy;
use crate::reference::RefWindow;
use crate::{Error, Result};
use rust_htslib::bam::{self, Read, Record};
use std::collections::HashMap;
use std::path::Path;

/// What one sample's reads say about one shard.
#[derive(Debug, Clone, Default)]
pub struct SampleShard {
    pub counts: ShardCounts,
    pub reads: ReadCounters,
}

const PAIRED: u16 = 0x1;
const MATE_UNMAPPED: u16 = 0x8;

/// A read waiting for its overlapping mate.
struct Waiting {
    read: ReadObs,
}

/// Count `[start, end)` of BAM contig `tid`. `count_reads_from` is the first
/// read start position whose read is added to the read counters (so a read
/// spanning two shards of a target is counted once).
#[allow(clippy::too_many_arguments)]
pub fn count_shard(
    reader: &mut bam::IndexedReader,
    path: &Path,
    tid: u32,
    start: u64,
    end: u64,
    count_reads_from: i64,
    window: &RefWindow,
    f: &ReadFilter,
) -> Result<SampleShard> {
    let mut out = SampleShard {
        counts: ShardCounts::new(start, end),
        reads: ReadCounters::default(),
    };
    reader.fetch((tid, start as i64, end as i64)).map_err(|e| {
        Error::hts(
            format!("{}: fetching tid {tid}:{start}-{end}", path.display()),
            e,
        )
    })?;
    let (lo, hi) = (start as i64, end as i64);
    let mut rec = Record::new();
    let mut cur = ReadObs::default();
    let mut waiting: HashMap<Vec<u8>, Waiting> = HashMap::new();
    let mut spare: Vec<ReadObs> = Vec::new();
    let mut last_pos = i64::MIN;
    let mut last_sweep = i64::MIN;
    let merge = f.overlap == OverlapPolicy::Merge;

    while let Some(res) = reader.read(&mut rec) {
        res.map_err(|e| {
            Error::bad_input(
                path,
                format!("cannot read a record after position {} ({e}): the file is truncated or corrupt", last_pos + 1),
                "re-create the BAM/CRAM and its index",
            )
        })?;
        let pos = rec.pos();
        if pos < last_pos {
            return Err(Error::bad_input(
                path,
                format!(
                    "record at position {} follows one at {}: not coordinate-sorted",
                    pos + 1,
                    last_pos + 1
                ),
                "run `samtools sort` and `samtools index`",
            ));
        }
        last_pos = pos;
        let counted = pos >= count_reads_from;
        let rc = &mut out.reads;
        if counted {
            rc.seen += 1;
        }
        if let Err(why) = check_flags(&rec, f) {
            if counted {
                rc.reject(why);
            }
            continue;
        }
        cur.walk(&rec, window, lo, hi, f);
        if too_many_mismatches(
            nm_tag(&rec),
            cur.aligned,
            cur.indel_bases,
            cur.indel_events,
            f,
        ) {
            if counted {
                rc.reject(super::filters::Rejection::TooManyMismatches);
            }
            continue;
        }
        if counted {
            rc.used += 1;
            rc.improper_pair_kept += u64::from(is_improper(rec.flags()));
        }

        let flags = rec.flags();
        let mate_mapped_here =
            flags & PAIRED != 0 && flags & MATE_UNMAPPED == 0 && rec.mtid() == rec.tid();
        if merge && mate_mapped_here {
            if let Some(mut w) = waiting.remove(rec.qname()) {
                add_pair(&mut out.counts, &mut w.read, &mut cur, rc);
                spare.push(w.read);
                continue;
            }
            let mpos = rec.mpos();
            if mpos >= pos && mpos < cur.end {
                let mut read = spare.pop().unwrap_or_default();
                std::mem::swap(&mut read, &mut cur);
                waiting.insert(rec.qname().to_vec(), Waiting { read });
                continue;
            }
        }
        add_single(&mut out.counts, &cur);

        // Reads whose mate should have arrived by now never will (filtered,
        // or outside the fetch): count them alone. Sweep when the stream has
        // moved on, so the waiting room stays as small as the overlap window.
        if pos > last_sweep + 256 && !waiting.is_empty() {
            last_sweep = pos;
            flush_waiting(&mut waiting, &mut out.counts, &mut spare, Some(pos));
        }
    }
    flush_waiting(&mut waiting, &mut out.counts, &mut spare, None);
    Ok(out)
}

/// Count waiting reads alone: those whose mate starts before `before`, or all.
fn flush_waiting(
    waiting: &mut HashMap<Vec<u8>, Waiting>,
    counts: &mut ShardCounts,
    spare: &mut Vec<ReadObs>,
    before: Option<i64>,
) {
    // Counting is a sum, so the map's iteration order cannot reach the output.
    waiting.retain(|_, w| {
        let stale = before.is_none_or(|p| w.read.mate_pos < p);
        if stale {
            add_single(counts, &w.read);
            spare.push(std::mem::take(&mut w.read));
        }
        !stale
    });
}
