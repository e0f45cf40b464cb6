//! Read-level filters (SPEC 2.1): one closed enum of rejection reasons, each
//! counted in the metrics.

use crate::sam::{DUPLICATE, PAIRED, PROPER_PAIR, QC_FAIL, SECONDARY, SUPPLEMENTARY, UNMAPPED};
use rust_htslib::bam::Record;

/// How the two mates of one fragment are counted where they overlap.
///
/// `--overlap` takes these values through `cli::OverlapArg`, whose doc
/// lines (the per-value help) repeat these: change both together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverlapPolicy {
    /// One observation per fragment: agreeing bases once (qualities summed,
    /// capped), disagreeing bases dropped.
    Merge,
    /// Each mate counted on its own (what `samtools mpileup -x` does).
    Independent,
}

/// Read and base filter settings, shared by every command; built by the
/// command line and checked with [`ReadFilter::validate`] before use.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReadFilter {
    /// Reads with mapping quality below this are dropped.
    pub min_mapq: u8,
    /// Bases with base quality below this are ignored.
    pub min_bq: u8,
    /// Count reads flagged as PCR/optical duplicates.
    pub keep_duplicates: bool,
    /// Count supplementary alignments.
    pub keep_supplementary: bool,
    /// Drop paired reads that are not in a proper pair.
    pub drop_improper: bool,
    /// Differences from the reference (mismatches at base quality >=
    /// `min_bq`, indels once) per 100 aligned bases above which a read is
    /// dropped; see [`too_many_mismatches`].
    pub max_mismatch_per_100: f64,
    /// Bases closer than this to a read end or a soft clip are ignored.
    pub min_dist_end: u32,
    /// Mate overlap handling.
    pub overlap: OverlapPolicy,
    /// Substitutions on one read within this many consecutive reference
    /// bases are one MNV (`--mnv-window`; below 2: no MNVs). Recorded in a
    /// PoN or saved background only when not the default, so files made
    /// before MNVs existed still match a default run.
    #[serde(skip_serializing_if = "is_default_mnv_window")]
    pub mnv_window: u32,
}

/// `--mnv-window`'s default: adjacent substitutions and two one base apart.
pub const DEFAULT_MNV_WINDOW: u32 = 3;

fn is_default_mnv_window(w: &u32) -> bool {
    *w == DEFAULT_MNV_WINDOW
}

impl ReadFilter {
    /// Refuse values no read could be judged by, naming the option.
    pub fn validate(&self) -> crate::Result<()> {
        if self.max_mismatch_per_100.is_nan() || self.max_mismatch_per_100 < 0.0 {
            return Err(crate::Error::Usage(
                "--max-mismatch-per-100 must be >= 0".into(),
            ));
        }
        Ok(())
    }
}

/// Why a read was not used. Checked in this order; a read counts once, under
/// its first reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    Unmapped,
    Secondary,
    QcFail,
    Supplementary,
    Duplicate,
    LowMapq,
    ImproperPair,
    TooManyMismatches,
}

impl Rejection {
    pub const ALL: [Rejection; 8] = [
        Rejection::Unmapped,
        Rejection::Secondary,
        Rejection::QcFail,
        Rejection::Supplementary,
        Rejection::Duplicate,
        Rejection::LowMapq,
        Rejection::ImproperPair,
        Rejection::TooManyMismatches,
    ];
}

/// Read counts per outcome (summed over shards; a read overlapping two
/// shards is seen by both).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadCounters {
    pub seen: u64,
    pub used: u64,
    pub unmapped: u64,
    pub secondary: u64,
    pub qc_fail: u64,
    pub supplementary: u64,
    pub duplicate: u64,
    pub low_mapq: u64,
    pub improper_pair_dropped: u64,
    pub too_many_mismatches: u64,
    /// Used reads that are paired but not properly paired.
    pub improper_pair_kept: u64,
    /// Fragments whose two mates overlapped and were merged into one molecule.
    pub overlapping_pairs: u64,
    /// Overlapping positions where the mates disagreed (dropped).
    pub discordant_overlap_bases: u64,
    /// Overlapping positions where the mates agreed (counted once).
    pub concordant_overlap_bases: u64,
}

impl ReadCounters {
    pub fn reject(&mut self, r: Rejection) {
        *self.count_mut(r) += 1;
    }

    fn count_mut(&mut self, r: Rejection) -> &mut u64 {
        match r {
            Rejection::Unmapped => &mut self.unmapped,
            Rejection::Secondary => &mut self.secondary,
            Rejection::QcFail => &mut self.qc_fail,
            Rejection::Supplementary => &mut self.supplementary,
            Rejection::Duplicate => &mut self.duplicate,
            Rejection::LowMapq => &mut self.low_mapq,
            Rejection::ImproperPair => &mut self.improper_pair_dropped,
            Rejection::TooManyMismatches => &mut self.too_many_mismatches,
        }
    }

    /// Reads dropped for reason `r` (reporting only: one copy, one match).
    pub fn count(&self, r: Rejection) -> u64 {
        *self.clone().count_mut(r)
    }

    pub fn merge(&mut self, o: &ReadCounters) {
        self.seen += o.seen;
        self.used += o.used;
        self.unmapped += o.unmapped;
        self.secondary += o.secondary;
        self.qc_fail += o.qc_fail;
        self.supplementary += o.supplementary;
        self.duplicate += o.duplicate;
        self.low_mapq += o.low_mapq;
        self.improper_pair_dropped += o.improper_pair_dropped;
        self.too_many_mismatches += o.too_many_mismatches;
        self.improper_pair_kept += o.improper_pair_kept;
        self.overlapping_pairs += o.overlapping_pairs;
        self.discordant_overlap_bases += o.discordant_overlap_bases;
        self.concordant_overlap_bases += o.concordant_overlap_bases;
    }
}

/// Flag, MAPQ and pairing checks; cheap, so run before the CIGAR walk.
pub fn check_flags(rec: &Record, f: &ReadFilter) -> Result<(), Rejection> {
    let flags = rec.flags();
    if flags & UNMAPPED != 0 || rec.tid() < 0 {
        return Err(Rejection::Unmapped);
    }
    if flags & SECONDARY != 0 {
        return Err(Rejection::Secondary);
    }
    if flags & QC_FAIL != 0 {
        return Err(Rejection::QcFail);
    }
    if flags & SUPPLEMENTARY != 0 && !f.keep_supplementary {
        return Err(Rejection::Supplementary);
    }
    if flags & DUPLICATE != 0 && !f.keep_duplicates {
        return Err(Rejection::Duplicate);
    }
    if rec.mapq() < f.min_mapq {
        return Err(Rejection::LowMapq);
    }
    if f.drop_improper && is_improper(flags) {
        return Err(Rejection::ImproperPair);
    }
    Ok(())
}

/// Paired but not in a proper pair.
pub fn is_improper(flags: u16) -> bool {
    flags & PAIRED != 0 && flags & PROPER_PAIR == 0
}

/// Differences a read may always carry: a 30-base read with a true variant
/// and two sequencing errors is not a misplaced read, whatever its rate.
pub const MISMATCH_FLOOR: u32 = 2;

/// Is a read with `events` differences from the reference over `aligned`
/// bases (`observe::differences`) too far from it to be where it is mapped?
///
/// METHOD: one difference is left out, the one that may be the candidate
/// allele itself (the filter judges the read, not the variant it carries;
/// a read carrying two nearby true variants loses one of its allowance).
/// The rest is dropped when it exceeds both [`MISMATCH_FLOOR`] and
/// `--max-mismatch-per-100` per 100 aligned bases.
pub fn too_many_mismatches(aligned: u32, events: u32, f: &ReadFilter) -> bool {
    let others = events.saturating_sub(1);
    others > MISMATCH_FLOOR
        && f64::from(others) * 100.0 > f.max_mismatch_per_100 * f64::from(aligned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> ReadFilter {
        crate::testing::read_filter(OverlapPolicy::Merge)
    }

    fn drops(aligned: u32, events: u32) -> bool {
        too_many_mismatches(aligned, events, &filter())
    }

    #[test]
    fn short_reads_keep_a_floor_and_the_candidate_allele_is_left_out() {
        assert_eq!(filter().max_mismatch_per_100, 8.0);
        // A 30-base read with a variant and two other differences (10 per
        // 100) is kept; a fourth difference makes it misplaced.
        assert!(!drops(30, 3));
        assert!(drops(30, 4));
        // 150 bases: 12 differences besides the allele is 8 per 100, kept.
        assert!(!drops(150, 13));
        assert!(drops(150, 14));
        assert!(!drops(0, 0));
    }
}
