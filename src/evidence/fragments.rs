//! The fragment read loop: one batch of shards of one sample read with
//! one fetch, reads filtered and walked, overlapping mates merged into one
//! observation per fragment, alleles counted.

use super::alleles::{BatchCounts, PositionSink};
use super::batch::{
    mate_on_contig, name_hash, Batch, BatchCounter, NameMap, ReadGate, SampleEvidence,
};
use super::filters::ReadFilter;
use super::mates::{add_pair, add_single};
use super::observe::{clips, Ranges, ReadSlots};
use super::parked::{ParkedId, ParkedReads};
use crate::evidence::OverlapPolicy;
use crate::reference::RefWindow;
use crate::Result;
use rust_htslib::bam::{Read, Record};

/// Counts fragments: the read loop without UMIs.
#[derive(Debug, Clone)]
pub struct FragmentCounter {
    filter: ReadFilter,
}

impl FragmentCounter {
    pub fn new(filter: &ReadFilter) -> Self {
        FragmentCounter {
            filter: filter.clone(),
        }
    }
}

impl BatchCounter for FragmentCounter {
    fn count_batch(&self, b: Batch<'_>) -> Result<Vec<SampleEvidence>> {
        count_batch(b, &self.filter)
    }
}

/// Count the shards of `b` with one fetch, fragments through `f`.
pub fn count_batch(mut b: Batch<'_>, f: &ReadFilter) -> Result<Vec<SampleEvidence>> {
    let (ranges, window) = (b.ranges, b.window);
    if ranges.is_empty() {
        return Ok(Vec::new());
    }
    let mut counts = BatchCounts::new(ranges.iter().copied());
    let keep = Ranges::of(ranges);
    let mut gate = ReadGate::fetch(&mut b, &keep, f)?;
    let reader = b.reader;
    let mut rec = Record::new();
    let mut cur = ReadSlots::default();
    let mut mate = ReadSlots::default();
    let mut room = MateRoom::default();
    let mut last_sweep = i64::MIN;
    let merge = f.overlap == OverlapPolicy::Merge;

    while let Some(res) = reader.read(&mut rec) {
        let Some((pos, end, shard)) = gate.admit(res, &rec)? else {
            continue;
        };
        let few = gate.few_substitutions();
        let rc = &mut gate.reads[shard];
        if merge && mate_on_contig(&rec) {
            let key = name_hash(rec.qname());
            if let Some(id) = room.mate_of(key, &rec, pos) {
                rc.overlapping_pairs += 1;
                mate.walk(room.take(key, id), window, &keep, f);
                cur.walk_read(&rec, (window, &keep), f, few);
                add_pair(&mut counts, &mut mate, &mut cur, rc);
                continue;
            }
            // Not the mate of a read waiting under this name: counted alone.
            // A read that ends in a soft clip may overlap its mate once
            // both are realigned (`observe::clips`).
            let mpos = rec.mpos();
            let reach = end + clips::reach_past_end(rec.raw_cigar());
            if mpos >= pos && mpos < reach && !room.waiting.contains_key(&key) {
                room.park(key, &rec);
                continue;
            }
        }
        cur.walk_read(&rec, (window, &keep), f, few);
        add_single(&mut counts, &cur);

        // Reads whose mate should have arrived by now never will (filtered,
        // or outside the fetch): count them alone. Sweep when the stream has
        // moved on, so the waiting room stays as small as the overlap window.
        if pos > last_sweep + 256 && !room.waiting.is_empty() {
            last_sweep = pos;
            room.flush(&mut counts, &mut mate, window, &keep, f, Some(pos));
        }
    }
    room.flush(&mut counts, &mut mate, window, &keep, f, None);
    Ok(counts
        .shards
        .into_iter()
        .zip(gate.reads)
        .map(|(counts, reads)| SampleEvidence {
            counts,
            reads,
            umi: None,
        })
        .collect())
}

/// Reads waiting for their overlapping mate: parked compactly (see
/// [`super::parked`]), found by the hash of their name.
#[derive(Default)]
struct MateRoom {
    waiting: NameMap<ParkedId>,
    reads: ParkedReads,
    /// The last read taken back, as a record to walk.
    restored: Record,
}

impl MateRoom {
    fn park(&mut self, key: u64, rec: &Record) {
        let id = self.reads.park(rec);
        self.waiting.insert(key, id);
    }

    /// The waiting read whose mate `rec` (at `pos`, name hash `key`) is,
    /// if any (see [`ParkedReads::is_mate`]).
    fn mate_of(&self, key: u64, rec: &Record, pos: i64) -> Option<ParkedId> {
        let id = *self.waiting.get(&key)?;
        self.reads.is_mate(id, rec, pos).then_some(id)
    }

    /// Take waiting read `id` (name hash `key`) out of the room.
    fn take(&mut self, key: u64, id: ParkedId) -> &Record {
        self.waiting.remove(&key);
        self.reads.take(id, &mut self.restored);
        &self.restored
    }

    /// Count waiting reads alone: those whose mate starts before `before`,
    /// or all.
    fn flush(
        &mut self,
        counts: &mut impl PositionSink,
        buf: &mut ReadSlots,
        window: &RefWindow,
        keep: &Ranges,
        f: &ReadFilter,
        before: Option<i64>,
    ) {
        let (reads, rec) = (&mut self.reads, &mut self.restored);
        // Counting is a sum, so the map's iteration order cannot reach the
        // output.
        self.waiting.retain(|_, &mut id| {
            if before.is_some_and(|p| reads.mpos(id) >= p) {
                return true;
            }
            reads.take(id, rec);
            buf.walk(rec, window, keep, f);
            add_single(counts, buf);
            false
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::{Indel, ShardCounts};
    use crate::evidence::filters::ReadCounters;
    use crate::evidence::OverlapPolicy;
    use crate::testing::{batch_over_c1, random_sequence, write_fasta};
    use std::path::Path;

    fn filter(overlap: OverlapPolicy) -> ReadFilter {
        crate::testing::read_filter(overlap)
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
        let s = count_sam(dir.path(), &fa, &sam, overlap);
        (s.counts, s.reads, reference)
    }

    /// Count `sam` (one contig `c1` of 200 bp, reference in `fa`) as one batch.
    fn count_sam(dir: &Path, fa: &Path, sam: &str, overlap: OverlapPolicy) -> SampleEvidence {
        let (bam_path, mut reader, window) = batch_over_c1(dir, fa, "reads", sam);
        let b = Batch::new(&mut reader, &bam_path, 0, &[(0, 200)], &window);
        count_batch(b, &filter(overlap)).unwrap().remove(0)
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
        let deletions = |overlap| {
            let s = count_sam(dir.path(), &fa, &sam, overlap);
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

    /// Both mates carry a 6 bp insertion after 50; read 2 misreads its
    /// third inserted base at Q2 (below --min-bq). That base is no
    /// evidence: the mates agree, and the fragment counts once, as the
    /// insertion read 1 shows (it was dropped as discordant).
    #[test]
    fn insertion_with_a_low_quality_error_in_one_mate_still_counts() {
        let dir = tempfile::tempdir().unwrap();
        let reference = random_sequence(200, 11);
        let fa = write_fasta(dir.path(), "ref.fa", &[("c1", &reference)]);
        // Ends in a base other than the anchor's: it cannot move left.
        let anchor = reference.as_bytes()[49];
        let ins = if anchor == b'A' { "GATTCC" } else { "GATTCA" };
        let wrong = format!(
            "GA{}TC{}",
            if &ins[2..3] == "T" { "G" } else { "T" },
            &ins[5..]
        );
        let r1 = format!("{}{ins}{}", &reference[10..50], &reference[50..60]);
        let r2 = format!("{}{wrong}{}", &reference[40..50], &reference[50..90]);
        let q1 = "I".repeat(56);
        let q2 = format!("{}II#{}", "I".repeat(10), "I".repeat(43));
        let sam = format!(
            "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c1\tLN:200\n\
A\t99\tc1\t11\t60\t40M6I10M\t=\t41\t80\t{r1}\t{q1}\n\
A\t147\tc1\t41\t60\t10M6I40M\t=\t11\t-80\t{r2}\t{q2}\n"
        );
        let s = count_sam(dir.path(), &fa, &sam, OverlapPolicy::Merge);
        let at50 = &s.counts.positions[49];
        assert_eq!(at50.indels.len(), 1, "{:?}", at50.indels);
        let (allele, st) = &at50.indels[0];
        assert_eq!(*allele, Indel::Ins(ins.as_bytes().to_vec()));
        assert_eq!(st.n, 1);
        // Both mates' copies were used: their qualities summed.
        assert_eq!(st.sum_bq, 60);
    }

    /// Shard pieces with a gap, as `--known` loci outside the panel make:
    /// mates on 11..=60 and 31..=80 overlap on 31..=60, and the second
    /// piece (66..=75) lies after the overlap and after read 1's end. Each
    /// piece counts the fragment once where it covers it (the fuzz harness,
    /// tests/fuzz.rs, found the panic this once was: seed 24, case 13 of
    /// the `known` target).
    #[test]
    fn shard_pieces_beside_the_overlap_count_the_fragment_once() {
        let dir = tempfile::tempdir().unwrap();
        let reference = random_sequence(200, 7);
        let fa = write_fasta(dir.path(), "ref.fa", &[("c1", &reference)]);
        let q = "I".repeat(50);
        let sam = format!(
            "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c1\tLN:200\n\
A\t99\tc1\t11\t60\t50M\t=\t31\t70\t{}\t{q}\n\
A\t147\tc1\t31\t60\t50M\t=\t11\t-70\t{}\t{q}\n",
            bases(&reference, 11, 50, &[]),
            bases(&reference, 31, 50, &[]),
        );
        let (bam_path, mut reader, window) = batch_over_c1(dir.path(), &fa, "gap", &sam);
        // 0-based pieces: 1..=20 and 66..=75 (1-based), a gap between.
        let ranges = [(0, 20), (65, 75)];
        let b = Batch::new(&mut reader, &bam_path, 0, &ranges, &window);
        let got = count_batch(b, &filter(OverlapPolicy::Merge)).unwrap();
        assert_eq!(got.len(), 2);
        let (p1, p2) = (&got[0].counts, &got[1].counts);
        // Piece 1: read 1 alone from 11 (1-based) on.
        assert_eq!(p1.positions[10].depth(), 1);
        assert_eq!(p1.positions[19].depth(), 1);
        assert_eq!(p1.positions[9].depth(), 0);
        // Piece 2: read 2 alone up to 80.
        assert!(p2.positions.iter().all(|pc| pc.depth() == 1));
    }
}
