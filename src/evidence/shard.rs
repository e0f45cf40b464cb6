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
                if counted {
                    rc.overlapping_pairs += 1;
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::OverlapPolicy;
    use crate::testing::{random_sequence, sam_to_bam, write_fasta};

    fn filter(overlap: OverlapPolicy) -> ReadFilter {
        ReadFilter {
            min_mapq: 20,
            min_bq: 20,
            keep_duplicates: false,
            keep_supplementary: false,
            drop_improper: false,
            max_mismatch_per_100: 8.0,
            min_dist_end: 0,
            overlap,
        }
    }

    /// Read `len` bases of `reference` from 1-based `pos`, with `subs`
    /// (1-based reference position, base) applied.
    fn bases(reference: &str, pos: usize, len: usize, subs: &[(usize, char)]) -> String {
        let mut s: Vec<char> = reference[pos - 1..pos - 1 + len].chars().collect();
        for &(p, b) in subs {
            s[p - pos] = b;
        }
        s.into_iter().collect()
    }

    /// Two fragments whose mates overlap on 31..=60: fragment A's mates agree
    /// on an alt T at 45; fragment B's mates disagree at 40 (alt in read 1 only).
    fn run(overlap: OverlapPolicy) -> (ShardCounts, ReadCounters, String) {
        let dir = tempfile::tempdir().unwrap();
        let reference = random_sequence(200, 7);
        let fa = write_fasta(dir.path(), "ref.fa", &[("c1", &reference)]);
        let alt45 = if &reference[44..45] == "T" { 'G' } else { 'T' };
        let alt40 = if &reference[39..40] == "A" { 'C' } else { 'A' };
        let q = "I".repeat(50);
        let sam = format!(
            "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c1\tLN:200\n@RG\tID:x\tSM:s1\n\
A\t99\tc1\t11\t60\t50M\t=\t31\t70\t{}\t{q}\n\
B\t99\tc1\t11\t60\t50M\t=\t31\t70\t{}\t{q}\n\
A\t147\tc1\t31\t60\t50M\t=\t11\t-70\t{}\t{q}\n\
B\t147\tc1\t31\t60\t50M\t=\t11\t-70\t{}\t{q}\n",
            bases(&reference, 11, 50, &[(45, alt45)]),
            bases(&reference, 11, 50, &[(40, alt40)]),
            bases(&reference, 31, 50, &[(45, alt45)]),
            bases(&reference, 31, 50, &[]),
        );
        let bam_path = sam_to_bam(dir.path(), "pairs", &sam);
        let fasta = rust_htslib::faidx::Reader::from_path(&fa).unwrap();
        let contig = crate::reference::Contig {
            name: "c1".into(),
            len: 200,
        };
        let window = RefWindow::fetch(&fasta, &contig, 0, 200).unwrap();
        let mut reader = bam::IndexedReader::from_path(&bam_path).unwrap();
        let s = count_shard(
            &mut reader,
            &bam_path,
            0,
            0,
            200,
            i64::MIN,
            &window,
            &filter(overlap),
        )
        .unwrap();
        (s.counts, s.reads, reference)
    }

    fn depth_at(c: &ShardCounts, pos1: usize) -> u32 {
        c.positions[pos1 - 1].depth()
    }

    fn count_of(c: &ShardCounts, pos1: usize, base: char) -> u32 {
        let i = crate::evidence::alleles::base_index(base as u8).unwrap();
        c.positions[pos1 - 1].bases[i].n
    }

    #[test]
    fn overlapping_mates_count_once_and_discordant_bases_are_dropped() {
        let (c, reads, reference) = run(OverlapPolicy::Merge);
        // Outside the overlap: each fragment once.
        assert_eq!(depth_at(&c, 20), 2);
        assert_eq!(depth_at(&c, 70), 2);
        // Inside the overlap: still once per fragment.
        assert_eq!(depth_at(&c, 35), 2);
        // 45: both of A's mates show the alt → one alt molecule, merged quality.
        let alt45 = if &reference[44..45] == "T" { 'G' } else { 'T' };
        assert_eq!(count_of(&c, 45, alt45), 1);
        assert_eq!(depth_at(&c, 45), 2);
        let i = crate::evidence::alleles::base_index(alt45 as u8).unwrap();
        assert_eq!(
            c.positions[44].bases[i].sum_bq, 60,
            "qualities 40+40 capped at 60"
        );
        // 40: B's mates disagree → B is dropped there; only A counts.
        assert_eq!(depth_at(&c, 40), 1);
        assert_eq!(reads.overlapping_pairs, 2);
        assert_eq!(reads.discordant_overlap_bases, 1);
        assert_eq!(reads.concordant_overlap_bases, 2 * 30 - 1);
        // Strand/orientation of a merged fragment: read 1's (forward, F1R2).
        let st = &c.positions[44].bases[i];
        assert_eq!((st.fwd, st.rev, st.f1r2, st.f2r1), (1, 0, 1, 0));
    }

    #[test]
    fn independent_policy_counts_each_mate() {
        let (c, reads, reference) = run(OverlapPolicy::Independent);
        assert_eq!(depth_at(&c, 20), 2);
        assert_eq!(depth_at(&c, 35), 4);
        assert_eq!(depth_at(&c, 40), 4);
        let alt45 = if &reference[44..45] == "T" { 'G' } else { 'T' };
        assert_eq!(count_of(&c, 45, alt45), 2);
        assert_eq!(reads.overlapping_pairs, 0);
        assert_eq!(reads.used, 4);
    }

    /// Both mates carry a 1 bp deletion; read 2's base after it is Q10,
    /// below --min-bq 20. The fragment still counts once (bcftools'
    /// indel-AD.1 fixture has four such fragments at 000000F:537).
    #[test]
    fn deletion_with_one_low_quality_mate_copy_still_counts() {
        let dir = tempfile::tempdir().unwrap();
        let reference = random_sequence(200, 11);
        let fa = write_fasta(dir.path(), "ref.fa", &[("c1", &reference)]);
        // Read 1: 11..=39, deletes 40, 41..=61. Read 2: 31..=39, deletes 40, 41..=81.
        let r1 = format!("{}{}", &reference[10..39], &reference[40..61]);
        let r2 = format!("{}{}", &reference[30..39], &reference[40..81]);
        let q1 = "I".repeat(50);
        let q2 = format!("{}+{}", "I".repeat(9), "I".repeat(40));
        let sam = format!(
            "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c1\tLN:200\n\
A\t99\tc1\t11\t60\t29M1D21M\t=\t31\t71\t{r1}\t{q1}\n\
A\t147\tc1\t31\t60\t9M1D41M\t=\t11\t-71\t{r2}\t{q2}\n"
        );
        let bam_path = sam_to_bam(dir.path(), "pair", &sam);
        let fasta = rust_htslib::faidx::Reader::from_path(&fa).unwrap();
        let contig = crate::reference::Contig {
            name: "c1".into(),
            len: 200,
        };
        let window = RefWindow::fetch(&fasta, &contig, 0, 200).unwrap();
        let deletions = |overlap| {
            let mut reader = bam::IndexedReader::from_path(&bam_path).unwrap();
            let s = count_shard(
                &mut reader,
                &bam_path,
                0,
                0,
                200,
                i64::MIN,
                &window,
                &filter(overlap),
            )
            .unwrap();
            let n: u32 = s
                .counts
                .positions
                .iter()
                .flat_map(|p| p.indels.iter())
                .map(|(_, st)| st.n)
                .sum();
            n
        };
        assert_eq!(deletions(OverlapPolicy::Merge), 1);
        // Counted per read, only read 1's copy passes.
        assert_eq!(deletions(OverlapPolicy::Independent), 1);
    }
}
