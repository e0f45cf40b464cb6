//! Per-type scoring: SNVs, short insertions and deletions, MNVs, long
//! insertions and long deletions, each per VAF bin.
//!
//! Types go by the normalised truth record: equal REF/ALT lengths are an
//! SNV (1 bp) or an MNV (> 1 bp); an insertion of >= [`LONG_INS`] bases or
//! a deletion of >= [`LONG_DEL`] bases is long (the classes:
//! insertions 9-60 bp, deletions 10-60 bp), a shorter one short.
//!
//! A truth variant is found (TP) only by a PASS call with exactly its
//! normalised POS/REF/ALT. An MNV whose changed bases were called as SNVs
//! instead is missed and counted in the row's `split` column; those SNV
//! calls are neither TP nor FP (as in [`super::score`]). A long indel
//! called with another length or position is missed, and that call is a
//! false positive. `k>=3` is the realised limit: the fraction of the bin's
//! truth variants with >= 3 alt molecules in the sample (truth
//! `INFO/MOLALT`, which for long indels counts molecules whose reads
//! carry the event soft-clipped too). FP are PASS calls matching no truth
//! variant inside the targets, per 100 kb of target.

use super::{mnv_components, read_bed, read_calls, read_truth, Key, ScoreOptions};
use crate::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Insertions of at least this many bases are long.
pub const LONG_INS: usize = 9;
/// Deletions of at least this many bases are long.
pub const LONG_DEL: usize = 10;

/// Variant type of the per-type table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum FineType {
    /// Single-base substitution.
    Snv,
    /// Insertion shorter than [`LONG_INS`].
    Ins,
    /// Deletion shorter than [`LONG_DEL`].
    Del,
    /// Multi-base substitution.
    Mnv,
    /// Insertion of [`LONG_INS`] bases or more.
    LongIns,
    /// Deletion of [`LONG_DEL`] bases or more.
    LongDel,
    /// Delins: REF and ALT of different lengths, first bases different (a
    /// deletion or insertion with a substitution beside it); only its one
    /// exact record counts.
    Complex,
}

impl FineType {
    /// The type of a normalised allele pair.
    pub fn of(r: &[u8], a: &[u8]) -> FineType {
        use std::cmp::Ordering::*;
        if r.len() != a.len() && r.first() != a.first() {
            return FineType::Complex;
        }
        match r.len().cmp(&a.len()) {
            Equal if r.len() == 1 => FineType::Snv,
            Equal => FineType::Mnv,
            Less if a.len() - r.len() >= LONG_INS => FineType::LongIns,
            Less => FineType::Ins,
            Greater if r.len() - a.len() >= LONG_DEL => FineType::LongDel,
            Greater => FineType::Del,
        }
    }

    /// Name in the table.
    pub fn name(self) -> &'static str {
        match self {
            FineType::Snv => "snv",
            FineType::Ins => "ins",
            FineType::Del => "del",
            FineType::Mnv => "mnv",
            FineType::LongIns => "long ins",
            FineType::LongDel => "long del",
            FineType::Complex => "complex",
        }
    }
}

/// One row: somatic truth of one type at one VAF.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeRow {
    /// Variant type.
    pub fine_type: FineType,
    /// Simulated VAF.
    pub vaf: f64,
    /// Truth variants.
    pub truth: usize,
    /// With a PASS call of exactly their record.
    pub tp: usize,
    /// MNVs missed whose changed bases got PASS SNV calls instead.
    pub split: usize,
    /// Missed, but called with a filter.
    pub filtered: usize,
    /// `tp / truth`.
    pub sensitivity: f64,
    /// Fraction with truth `MOLALT >= k` (NaN without MOLALT).
    pub limit: f64,
}

/// The per-type score of one call set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeScore {
    /// Rows by type, then VAF ascending.
    pub rows: Vec<TypeRow>,
    /// PASS calls matching no truth variant (and no MNV component) inside the targets.
    pub fp: usize,
    /// Their keys, sorted.
    pub fp_sites: Vec<Key>,
    /// PASS SNV calls that are changed bases of truth MNVs.
    pub split_calls: usize,
    /// Merged target size (bp), 0 without a BED.
    pub target_bp: u64,
    /// `fp` per 100 kb of target (NaN without a BED).
    pub fp_per_100kb: f64,
    /// `k` of the realised limit.
    pub min_alt: u32,
}

/// Score `calls` against `truth` per [`FineType`] and VAF.
pub fn score_types(calls: &Path, truth: &Path, opts: &ScoreOptions) -> Result<TypeScore> {
    let truth_map = read_truth(truth)?;
    let (pass, all) = read_calls(calls, opts.unfiltered_is_pass)?;
    let bed = opts.targets.as_deref().map(read_bed).transpose()?;
    let components = mnv_components(&truth_map);
    // MNVs with at least one component called.
    let split_mnvs: Vec<&Key> = pass.iter().filter_map(|k| components.get(k)).collect();
    #[derive(Default)]
    struct Acc {
        truth: usize,
        tp: usize,
        split: usize,
        filtered: usize,
        reachable: usize,
        with_mol_alt: usize,
    }
    let mut bins: BTreeMap<(FineType, u64), Acc> = BTreeMap::new();
    for (key, t) in truth_map.iter().filter(|(_, t)| t.somatic) {
        let b = bins
            .entry((FineType::of(&key.2, &key.3), (t.vaf * 1e6).round() as u64))
            .or_default();
        b.truth += 1;
        if pass.contains(key) {
            b.tp += 1;
        } else if split_mnvs.contains(&key) {
            b.split += 1;
        } else if all.contains(key) {
            b.filtered += 1;
        }
        if let Some(m) = t.mol_alt {
            b.with_mol_alt += 1;
            b.reachable += usize::from(m >= opts.min_alt as i32);
        }
    }
    let rows = bins
        .into_iter()
        .map(|((fine_type, v), a)| TypeRow {
            fine_type,
            vaf: v as f64 / 1e6,
            truth: a.truth,
            tp: a.tp,
            split: a.split,
            filtered: a.filtered,
            sensitivity: ratio(a.tp, a.truth),
            limit: if a.with_mol_alt == a.truth {
                ratio(a.reachable, a.truth)
            } else {
                f64::NAN
            },
        })
        .collect();
    let fp_sites: Vec<Key> = pass
        .iter()
        .filter(|k| !truth_map.contains_key(*k) && !components.contains_key(*k))
        .filter(|k| in_targets(bed.as_ref(), k))
        .cloned()
        .collect();
    let target_bp: u64 = bed
        .as_ref()
        .map(|b| b.values().flatten().map(|&(s, e)| (e - s) as u64).sum())
        .unwrap_or(0);
    Ok(TypeScore {
        fp: fp_sites.len(),
        fp_per_100kb: if target_bp > 0 {
            fp_sites.len() as f64 / (target_bp as f64 / 1e5)
        } else {
            f64::NAN
        },
        fp_sites,
        split_calls: pass.iter().filter(|k| components.contains_key(*k)).count(),
        rows,
        target_bp,
        min_alt: opts.min_alt,
    })
}

fn ratio(a: usize, b: usize) -> f64 {
    if b > 0 {
        a as f64 / b as f64
    } else {
        f64::NAN
    }
}

/// Whether a key's position lies in the merged targets (true without a BED).
fn in_targets(bed: Option<&BTreeMap<String, Vec<(i64, i64)>>>, k: &Key) -> bool {
    let pos0 = k.1 - 1;
    bed.is_none_or(|b| {
        b.get(&k.0)
            .is_some_and(|ivs| ivs.iter().any(|&(s, e)| pos0 >= s && pos0 < e))
    })
}

impl TypeScore {
    /// Pooled (TP, truth) of one type over the bins at `min_vaf` or above.
    pub fn pooled(&self, t: FineType, min_vaf: f64) -> (usize, usize) {
        self.rows
            .iter()
            .filter(|r| r.fine_type == t && r.vaf >= min_vaf - 1e-12)
            .fold((0, 0), |acc, r| (acc.0 + r.tp, acc.1 + r.truth))
    }
}

impl fmt::Display for TypeScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<9} {:>7} {:>6} {:>5} {:>6} {:>9} {:>12} {:>9}",
            "type",
            "VAF",
            "truth",
            "TP",
            "split",
            "filtered",
            "sensitivity",
            format!("k>={}", self.min_alt)
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<9} {:>6.2}% {:>6} {:>5} {:>6} {:>9} {:>12.3} {:>9.3}",
                r.fine_type.name(),
                r.vaf * 100.0,
                r.truth,
                r.tp,
                r.split,
                r.filtered,
                r.sensitivity,
                r.limit
            )?;
        }
        writeln!(
            f,
            "split SNV calls (changed bases of truth MNVs, not FP): {}",
            self.split_calls
        )?;
        if self.target_bp > 0 {
            writeln!(
                f,
                "FP: {} PASS calls in {} bp of target ({:.2} per 100 kb)",
                self.fp, self.target_bp, self.fp_per_100kb
            )
        } else {
            writeln!(f, "FP: {} PASS calls (no target BED)", self.fp)
        }
    }
}

#[cfg(test)]
#[path = "types_tests.rs"]
mod tests;
