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
    /// Mismatch events (NM, indels once) per 100 aligned bases above which
    /// a read is dropped.
    pub max_mismatch_per_100: f64,
    /// Bases closer than this to a read end or a soft clip are ignored.
    pub min_dist_end: u32,
    /// Mate overlap handling.
    pub overlap: OverlapPolicy,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        let c = match r {
            Rejection::Unmapped => &mut self.unmapped,
            Rejection::Secondary => &mut self.secondary,
            Rejection::QcFail => &mut self.qc_fail,
            Rejection::Supplementary => &mut self.supplementary,
            Rejection::Duplicate => &mut self.duplicate,
            Rejection::LowMapq => &mut self.low_mapq,
            Rejection::ImproperPair => &mut self.improper_pair_dropped,
            Rejection::TooManyMismatches => &mut self.too_many_mismatches,
        };
        *c += 1;
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

/// Mismatch events per 100 aligned bases from NM, counting each indel as one
/// event rather than one per base (a true 10 bp deletion must not reject its
/// reads). `indel_bases` and `indel_events` come from the CIGAR walk.
pub fn too_many_mismatches(
    nm: Option<u32>,
    aligned: u32,
    indel_bases: u32,
    indel_events: u32,
    f: &ReadFilter,
) -> bool {
    let Some(nm) = nm else { return false };
    if aligned == 0 {
        return false;
    }
    let events = nm.saturating_sub(indel_bases) + indel_events;
    f64::from(events) * 100.0 / f64::from(aligned) > f.max_mismatch_per_100
}

/// The NM tag as an integer, if present.
pub fn nm_tag(rec: &Record) -> Option<u32> {
    use rust_htslib::bam::record::Aux;
    match rec.aux(b"NM").ok()? {
        Aux::U8(v) => Some(u32::from(v)),
        Aux::U16(v) => Some(u32::from(v)),
        Aux::U32(v) => Some(v),
        Aux::I8(v) => u32::try_from(v).ok(),
        Aux::I16(v) => u32::try_from(v).ok(),
        Aux::I32(v) => u32::try_from(v).ok(),
        _ => None,
    }
}
