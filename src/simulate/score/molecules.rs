//! Molecule-level scoring: how close a call set comes to what the sample's
//! molecules allow.
//!
//! Per (type, VAF) bin of the somatic truth:
//! - sensitivity: PASS calls / truth variants (as in [`super::score`]);
//! - the realised sampling limit for `k` = 2 and 3: the fraction of the
//!   bin's truth variants with truth `INFO/MOLALT >= k` (alt molecules
//!   actually in the simulated tube), the best sensitivity of a caller that
//!   needs `k` alt molecules;
//! - the fraction of simulated alt molecules that reach the test: the
//!   bin's sum, over its truth variants, of the alt molecules the caller
//!   counted (from a `ctdna count` table run with the call's UMI options at
//!   the truth positions, so variants without a VCF record count too) over
//!   the sum of `MOLALT`.
//!
//! FP are PASS calls matching no truth variant (somatic or germline) inside
//! the targets, exactly as [`super::score`] counts them, reported per 100 kb
//! of target. [`non_germline_pass`] counts the PASS calls of a normal that
//! match no germline truth variant (every one is a false positive: normals
//! carry no somatic variant).

use super::{normalize_key, read_calls, read_truth, score, Key, ScoreOptions, VarType};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One bin of somatic truth, scored at the molecule level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoleculeRow {
    /// SNV or indel.
    pub var_type: VarType,
    /// Simulated VAF of the bin.
    pub vaf: f64,
    /// Truth variants in the bin.
    pub truth: usize,
    /// Of those, with a PASS call.
    pub tp: usize,
    /// `tp / truth`.
    pub sensitivity: f64,
    /// Fraction of truth variants with `MOLALT >= 2` (NaN without MOLALT).
    pub limit_k2: f64,
    /// Fraction of truth variants with `MOLALT >= 3` (NaN without MOLALT).
    pub limit_k3: f64,
    /// Sum of truth `MOLALT` over the bin.
    pub alt_simulated: u64,
    /// Sum of the alt molecules counted at the bin's truth alleles (None
    /// without a count table).
    pub alt_counted: Option<u64>,
    /// `alt_counted / alt_simulated` (NaN when either is missing or 0).
    pub alt_fraction: f64,
}

/// A call set scored against the truth at the molecule level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoleculeScore {
    /// Per (type, VAF), SNVs first, VAF ascending.
    pub rows: Vec<MoleculeRow>,
    /// PASS calls matching no truth variant inside the targets.
    pub fp: usize,
    /// Their keys, sorted.
    pub fp_sites: Vec<Key>,
    /// Merged target size (bp), 0 without a BED.
    pub target_bp: u64,
    /// `fp` per 100 kb of target (NaN without a BED).
    pub fp_per_100kb: f64,
}

/// Alt molecule counts per allele from a `ctdna count` table (its first
/// sample; REF rows skipped), keyed like the truth. Columns are found by
/// their header names, so added columns (such as UMI mode's `tier`) do not
/// matter.
pub fn read_count_alts(path: &Path) -> Result<BTreeMap<Key, u64>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| {
        header.iter().position(|h| *h == name).ok_or_else(|| {
            Error::bad_input(
                path,
                format!("no `{name}` column"),
                "give a `ctdna count` table",
            )
        })
    };
    let (sample, chrom, pos, r, a, ty, count) = (
        col("sample")?,
        col("chrom")?,
        col("pos")?,
        col("ref")?,
        col("alt")?,
        col("type")?,
        col("count")?,
    );
    let mut first_sample: Option<String> = None;
    let mut out = BTreeMap::new();
    for (i, line) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let bad = || Error::bad_input(path, format!("line {}: malformed row", i + 2), "");
        if f.len() < header.len() {
            return Err(bad());
        }
        if *first_sample.get_or_insert_with(|| f[sample].to_string()) != f[sample] {
            continue;
        }
        if f[ty] == "REF" {
            continue;
        }
        let p: i64 = f[pos].parse().map_err(|_| bad())?;
        let n: u64 = f[count].parse().map_err(|_| bad())?;
        out.insert(
            normalize_key(f[chrom], p, f[r].as_bytes(), f[a].as_bytes()),
            n,
        );
    }
    Ok(out)
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

/// Score `calls` against `truth` with the alt molecules of `counts` (a
/// `ctdna count` table; None leaves the alt fraction NaN) and FPs inside
/// `targets`.
pub fn score_molecules(
    calls: &Path,
    truth: &Path,
    counts: Option<&Path>,
    targets: Option<&Path>,
) -> Result<MoleculeScore> {
    let truth_map = read_truth(truth)?;
    let (pass, _) = read_calls(calls, false)?;
    let counted = counts.map(read_count_alts).transpose()?;
    #[derive(Default)]
    struct Acc {
        truth: usize,
        tp: usize,
        k2: usize,
        k3: usize,
        with_mol_alt: usize,
        simulated: u64,
        counted: u64,
    }
    let mut bins: BTreeMap<(VarType, u64), Acc> = BTreeMap::new();
    for (key, t) in truth_map.iter().filter(|(_, t)| t.somatic) {
        let b = bins
            .entry((t.var_type, (t.vaf * 1e6).round() as u64))
            .or_default();
        b.truth += 1;
        b.tp += usize::from(pass.contains(key));
        if let Some(m) = t.mol_alt {
            b.with_mol_alt += 1;
            b.k2 += usize::from(m >= 2);
            b.k3 += usize::from(m >= 3);
            b.simulated += m.max(0) as u64;
        }
        if let Some(c) = &counted {
            b.counted += c.get(key).copied().unwrap_or(0);
        }
    }
    let rows = bins
        .into_iter()
        .map(|((var_type, v), a)| {
            let n = a.truth as f64;
            let full = a.with_mol_alt == a.truth;
            let limit = |k: usize| if full { ratio(k as f64, n) } else { f64::NAN };
            MoleculeRow {
                var_type,
                vaf: v as f64 / 1e6,
                truth: a.truth,
                tp: a.tp,
                sensitivity: ratio(a.tp as f64, n),
                limit_k2: limit(a.k2),
                limit_k3: limit(a.k3),
                alt_simulated: a.simulated,
                alt_counted: counted.as_ref().map(|_| a.counted),
                alt_fraction: match &counted {
                    Some(_) if full => ratio(a.counted as f64, a.simulated as f64),
                    _ => f64::NAN,
                },
            }
        })
        .collect();
    // FPs exactly as the bin table counts them (depth and k do not matter here).
    let opts = ScoreOptions {
        depth: 0.0,
        min_alt: 3,
        targets: targets.map(PathBuf::from),
        unfiltered_is_pass: false,
    };
    let s = score(calls, truth, &opts)?;
    Ok(MoleculeScore {
        rows,
        fp: s.fp,
        fp_sites: s.fp_sites,
        target_bp: s.target_bp,
        fp_per_100kb: ratio(s.fp as f64, s.target_bp as f64 / 1e5),
    })
}

/// PASS calls of a normal sample that match no germline truth variant
/// (`calls` from `ctdna call` on a simulated normal BAM).
pub fn non_germline_pass(calls: &Path, truth: &Path) -> Result<usize> {
    let truth_map = read_truth(truth)?;
    let (pass, _) = read_calls(calls, false)?;
    Ok(pass
        .iter()
        .filter(|k| truth_map.get(*k).is_none_or(|t| t.somatic))
        .count())
}

impl MoleculeScore {
    /// Pooled over the rows of one type with VAF >= `min_vaf`: (TP, truth,
    /// alt molecules counted, simulated).
    pub fn pooled(&self, var_type: VarType, min_vaf: f64) -> (usize, usize, u64, u64) {
        self.rows
            .iter()
            .filter(|r| r.var_type == var_type && r.vaf >= min_vaf)
            .fold((0, 0, 0, 0), |a, r| {
                (
                    a.0 + r.tp,
                    a.1 + r.truth,
                    a.2 + r.alt_counted.unwrap_or(0),
                    a.3 + r.alt_simulated,
                )
            })
    }
}

/// Fixed-width cell for a fraction: `0.123`, or `-` for NaN.
fn frac(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{x:.3}")
    }
}

impl fmt::Display for MoleculeScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<6} {:>6} {:>5} {:>4} {:>6} {:>6} {:>6} {:>8} {:>8} {:>8} {:>6}",
            "type",
            "VAF",
            "truth",
            "TP",
            "sens",
            "k>=2",
            "k>=3",
            "sens/k3",
            "alt_sim",
            "alt_cnt",
            "reach"
        )?;
        for r in &self.rows {
            let t = r.var_type.name();
            writeln!(
                f,
                "{:<6} {:>5.2}% {:>5} {:>4} {:>6} {:>6} {:>6} {:>8} {:>8} {:>8} {:>6}",
                t,
                r.vaf * 100.0,
                r.truth,
                r.tp,
                frac(r.sensitivity),
                frac(r.limit_k2),
                frac(r.limit_k3),
                frac(ratio(r.sensitivity, r.limit_k3)),
                r.alt_simulated,
                r.alt_counted.map_or("-".into(), |c| c.to_string()),
                frac(r.alt_fraction)
            )?;
        }
        let sites: Vec<String> = self.fp_sites.iter().map(super::key_name).collect();
        writeln!(
            f,
            "FP: {} in {} bp of target ({:.1} per 100 kb){}{}",
            self.fp,
            self.target_bp,
            self.fp_per_100kb,
            if sites.is_empty() { "" } else { ": " },
            sites.join(", ")
        )
    }
}

#[cfg(test)]
#[path = "molecules_tests.rs"]
mod tests;
