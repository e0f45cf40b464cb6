//! Score a calls VCF against a simulated truth VCF.
//!
//! Matching is by normalised (contig, pos, ref, alt): each ALT of a call is
//! trimmed of shared trailing and then leading bases (keeping one anchor
//! base), the same for truth; no reference is needed because ctdna and the
//! simulator both write left-aligned indels. Only calls whose FILTER is
//! exactly `PASS` count (`.`, "not filtered", does not, unless
//! [`ScoreOptions::unfiltered_is_pass`] is set for a peer caller that never
//! sets FILTER).
//!
//! Somatic truth is binned by (type, VAF): SNV, MNV or indel (insertion and
//! deletion together; [`types`] splits them into short and long). An MNV is
//! found only by ONE record with its exact POS/REF/ALT: written as separate
//! SNVs it is missed, and those component SNV records (PASS calls of a
//! changed base of a truth MNV with its ALT base) are counted as `split`
//! calls, not as false positives. Germline truth is *not* in the somatic bins: it is
//! reported on its own line (how many germline variants got a PASS call),
//! and a call matching a germline variant is never a false positive,
//! whatever its FILTER.
//!
//! The Poisson sampling limit of a bin is `P(X >= k)` with
//! `X ~ Poisson(depth x VAF)`: the best sensitivity any caller needing `k`
//! alt molecules can reach at that unique-molecule depth. The realised
//! limit is the fraction of the bin's truth variants that actually got
//! `>= k` alt molecules in this sample (truth INFO/MOLALT from `ctdna
//! simulate`): the best sensitivity on these very reads.

pub mod molecules;
pub mod types;

/// Hand-made truth and call VCFs for the scorers' tests.
#[cfg(test)]
mod test_vcf {
    use std::path::{Path, PathBuf};

    /// The header of the tests' truth and call VCFs (chr1 of 100 kb).
    pub const HEADER: &str = "##fileformat=VCFv4.3\n##contig=<ID=chr1,length=100000>\n\
##FILTER=<ID=PASS,Description=\"All filters passed\">\n\
##FILTER=<ID=LowAltCount,Description=\"few\">\n\
##INFO=<ID=VAF,Number=1,Type=Float,Description=\"v\">\n\
##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description=\"s\">\n\
##INFO=<ID=MOLALT,Number=1,Type=Integer,Description=\"m\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";

    /// `dir/name` holding [`HEADER`] and `body`.
    pub fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, format!("{HEADER}{body}")).unwrap();
        p
    }
}

use crate::{Error, Result};
use rust_htslib::bcf::{self, Read};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// Normalised variant key: (contig, 1-based pos, ref, alt).
pub type Key = (String, i64, Vec<u8>, Vec<u8>);

/// Trim shared trailing, then leading, bases (keeping one base on each side).
pub fn normalize_key(contig: &str, pos1: i64, r: &[u8], a: &[u8]) -> Key {
    let (mut r, mut a) = (r.to_ascii_uppercase(), a.to_ascii_uppercase());
    let pos = pos1 + crate::loci::trim_alleles(&mut r, &mut a) as i64;
    (contig.to_string(), pos, r, a)
}

/// What to score against.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    /// Unique-molecule depth for the Poisson limit (the simulation's `--depth`).
    pub depth: f64,
    /// Alt molecules a caller needs (`k` in `P(X >= k)`); default 3.
    pub min_alt: u32,
    /// Panel BED: FPs are counted inside it and reported per Mb of it.
    pub targets: Option<PathBuf>,
    /// Count FILTER `.` (no filter applied) as PASS: for callers such as
    /// `bcftools call` that never set FILTER. Off by default.
    pub unfiltered_is_pass: bool,
}

impl ScoreOptions {
    /// Options for a simulation folder: depth from its `manifest.json`,
    /// targets from its `targets.bed`, `k` = 3.
    pub fn from_sim_dir(dir: &Path) -> Result<Self> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let m: super::Manifest = serde_json::from_str(&text).map_err(|e| {
            Error::bad_input(&path, format!("not a ctdna simulate manifest: {e}"), "")
        })?;
        Ok(ScoreOptions {
            depth: f64::from(m.params.depth),
            min_alt: 3,
            targets: Some(dir.join("targets.bed")),
            unfiltered_is_pass: false,
        })
    }
}

/// Somatic variant type used for binning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum VarType {
    /// Single-base substitution.
    Snv,
    /// Insertion or deletion (any length), or other length-changing allele.
    Indel,
    /// Multi-base substitution (REF and ALT of equal length > 1).
    Mnv,
}

impl VarType {
    /// Name in the tables: `SNV`, `indel` or `MNV`.
    pub fn name(self) -> &'static str {
        match self {
            VarType::Snv => "SNV",
            VarType::Indel => "indel",
            VarType::Mnv => "MNV",
        }
    }

    /// The type of a normalised allele pair.
    pub fn of(r: &[u8], a: &[u8]) -> VarType {
        match (r.len(), a.len()) {
            (1, 1) => VarType::Snv,
            (x, y) if x == y => VarType::Mnv,
            _ => VarType::Indel,
        }
    }
}

/// The single-base records a truth MNV splits into (each changed base with
/// its ALT base), mapped to that MNV: a PASS call of one of them is a
/// `split` call, neither a true nor a false positive.
fn mnv_components(truth: &BTreeMap<Key, TruthRec>) -> BTreeMap<Key, Key> {
    let mut out = BTreeMap::new();
    for k in truth.keys() {
        if VarType::of(&k.2, &k.3) != VarType::Mnv {
            continue;
        }
        for (i, (&r, &a)) in k.2.iter().zip(&k.3).enumerate() {
            if r != a {
                let c = (k.0.clone(), k.1 + i as i64, vec![r], vec![a]);
                out.insert(c, k.clone());
            }
        }
    }
    out
}

/// A variant key as `contig:pos REF>ALT`.
pub fn key_name(k: &Key) -> String {
    format!(
        "{}:{} {}>{}",
        k.0,
        k.1,
        String::from_utf8_lossy(&k.2),
        String::from_utf8_lossy(&k.3)
    )
}

/// One row of the table: somatic truth of one type at one VAF.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinRow {
    /// SNV or indel.
    pub var_type: VarType,
    /// Simulated VAF of the bin.
    pub vaf: f64,
    /// Truth variants in the bin.
    pub truth: usize,
    /// Truth variants with a PASS call.
    pub tp: usize,
    /// Truth variants without a PASS call.
    pub fn_: usize,
    /// Of the FN, how many were called but filtered.
    pub filtered: usize,
    /// TP / truth.
    pub sensitivity: f64,
    /// P(X >= k), X ~ Poisson(depth x VAF).
    pub poisson_limit: f64,
    /// Fraction of the bin's variants whose realised alt molecule count
    /// (truth INFO/MOLALT) is >= k: the best sensitivity on *this* sample.
    /// NaN when the truth has no MOLALT.
    pub realised_limit: f64,
}

/// The whole score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// Per (type, VAF) rows, SNVs first, VAF ascending.
    pub rows: Vec<BinRow>,
    /// Germline truth variants (scored apart from the somatic bins).
    pub germline_truth: usize,
    /// Of those, how many got a PASS call.
    pub germline_pass: usize,
    /// Clonal-haematopoiesis truth (ORIGIN=chip): real, not the tumour's;
    /// must not PASS with a matched normal (scored apart, never FP).
    pub chip_truth: usize,
    /// Of those, how many got a PASS call.
    pub chip_pass: usize,
    /// PASS calls in total.
    pub pass_calls: usize,
    /// PASS calls matching no truth variant, inside the targets (all of them
    /// without a BED); split MNV components are not among them.
    pub fp: usize,
    /// PASS calls that are a changed base of a truth MNV (the MNV split
    /// into SNVs): neither TP nor FP.
    pub split: usize,
    /// PASS calls matching no truth variant outside the targets.
    pub fp_outside_targets: usize,
    /// Target size (bp, merged) used for the rate; 0 without a BED.
    pub target_bp: u64,
    /// `fp` per Mb of target (NaN without a BED).
    pub fp_per_mb: f64,
    /// The false-positive keys, sorted (for inspection).
    pub fp_sites: Vec<Key>,
    /// Depth and k used for the Poisson limit.
    pub depth: f64,
    /// Alt molecules needed.
    pub min_alt: u32,
}

/// `P(X >= k)` for `X ~ Poisson(lambda)`.
pub fn poisson_at_least(lambda: f64, k: u32) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let mut term = (-lambda).exp();
    let mut below = term;
    for i in 1..k {
        term *= lambda / f64::from(i);
        below += term;
    }
    (1.0 - below).clamp(0.0, 1.0)
}

struct TruthRec {
    somatic: bool,
    /// ORIGIN=chip: a blood-cell clone.
    chip: bool,
    mol_alt: Option<i32>,
    vaf: f64,
    var_type: VarType,
}

fn open(path: &Path) -> Result<bcf::Reader> {
    bcf::Reader::from_path(path)
        .map_err(|e| Error::hts(format!("{}: cannot open VCF", path.display()), e))
}

fn contig_name(rec: &bcf::Record, path: &Path) -> Result<String> {
    let rid = rec
        .rid()
        .ok_or_else(|| Error::bad_input(path, "record without CHROM", ""))?;
    let name = rec
        .header()
        .rid2name(rid)
        .map_err(|e| Error::hts(format!("{}: contig name", path.display()), e))?;
    Ok(String::from_utf8_lossy(name).into_owned())
}

fn read_truth(path: &Path) -> Result<BTreeMap<Key, TruthRec>> {
    let mut r = open(path)?;
    let mut out = BTreeMap::new();
    for (i, rec) in r.records().enumerate() {
        let rec =
            rec.map_err(|e| Error::hts(format!("{}: record {}", path.display(), i + 1), e))?;
        let contig = contig_name(&rec, path)?;
        let somatic = rec.info(b"SOMATIC").flag().map_err(|e| {
            Error::hts(
                format!(
                    "{}: INFO/SOMATIC (is this a ctdna simulate truth VCF?)",
                    path.display()
                ),
                e,
            )
        })?;
        let vaf = rec
            .info(b"VAF")
            .float()
            .map_err(|e| Error::hts(format!("{}: INFO/VAF", path.display()), e))?
            .and_then(|v| v.first().copied())
            .ok_or_else(|| {
                Error::bad_input(
                    path,
                    format!("record {} has no INFO/VAF", i + 1),
                    "use a truth VCF from ctdna simulate",
                )
            })?;
        let chip = rec
            .info(b"ORIGIN")
            .string()
            .ok()
            .flatten()
            .is_some_and(|v| v.first().is_some_and(|o| *o == b"chip"));
        // Optional: absent from truth VCFs not written by ctdna simulate.
        let mol_alt = rec
            .info(b"MOLALT")
            .integer()
            .ok()
            .flatten()
            .and_then(|v| v.first().copied());
        let alleles: Vec<Vec<u8>> = rec.alleles().iter().map(|a| a.to_vec()).collect();
        for alt in alleles.iter().skip(1) {
            let key = normalize_key(&contig, rec.pos() + 1, &alleles[0], alt);
            let var_type = VarType::of(&key.2, &key.3);
            // Round to f32 precision: the VCF stores Float.
            out.insert(
                key,
                TruthRec {
                    somatic,
                    chip,
                    mol_alt,
                    vaf: (f64::from(vaf) * 1e6).round() / 1e6,
                    var_type,
                },
            );
        }
    }
    Ok(out)
}

/// (PASS calls, every called key) from a calls VCF.
fn read_calls(path: &Path, unfiltered_is_pass: bool) -> Result<(BTreeSet<Key>, BTreeSet<Key>)> {
    let mut r = open(path)?;
    let mut pass = BTreeSet::new();
    let mut all = BTreeSet::new();
    for (i, rec) in r.records().enumerate() {
        let rec =
            rec.map_err(|e| Error::hts(format!("{}: record {}", path.display(), i + 1), e))?;
        let contig = contig_name(&rec, path)?;
        // Strict PASS: at least one filter and it is PASS ("." does not
        // count unless asked); htslib's has_filter(PASS) is also true for ".".
        let unfiltered = rec.filters().count() == 0;
        let is_pass = rec.has_filter("PASS".as_bytes()) && (!unfiltered || unfiltered_is_pass);
        let alleles: Vec<Vec<u8>> = rec.alleles().iter().map(|a| a.to_vec()).collect();
        for alt in alleles.iter().skip(1) {
            if alt.as_slice() == b"*" || alt.starts_with(b"<") {
                continue;
            }
            let key = normalize_key(&contig, rec.pos() + 1, &alleles[0], alt);
            if is_pass {
                pass.insert(key.clone());
            }
            all.insert(key);
        }
    }
    Ok((pass, all))
}

/// Merged BED intervals per contig (0-based half-open).
fn read_bed(path: &Path) -> Result<BTreeMap<String, Vec<(i64, i64)>>> {
    let mut m: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for iv in crate::regions::read_bed_intervals(path)? {
        m.entry(iv.contig)
            .or_default()
            .push((iv.start as i64, iv.end as i64));
    }
    for ivs in m.values_mut() {
        ivs.sort();
        let mut merged: Vec<(i64, i64)> = Vec::new();
        for &(a, b) in ivs.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *ivs = merged;
    }
    Ok(m)
}

/// Score `calls` against `truth` (both VCF or VCF.gz).
pub fn score(calls: &Path, truth: &Path, opts: &ScoreOptions) -> Result<Score> {
    // LONG: one pass over truth and calls filling one accumulator table, then its rows.
    let truth_map = read_truth(truth)?;
    let (pass, all) = read_calls(calls, opts.unfiltered_is_pass)?;
    let bed = opts.targets.as_deref().map(read_bed).transpose()?;

    // (type, VAF in millionths) -> counts
    #[derive(Default)]
    struct Acc {
        truth: usize,
        tp: usize,
        filtered: usize,
        reachable: usize,
        with_mol_alt: usize,
    }
    let mut bins: BTreeMap<(VarType, u64), Acc> = BTreeMap::new();
    let (mut germline_truth, mut germline_pass) = (0, 0);
    let (mut chip_truth, mut chip_pass) = (0, 0);
    for (key, t) in &truth_map {
        if t.chip {
            chip_truth += 1;
            chip_pass += usize::from(pass.contains(key));
            continue;
        }
        if !t.somatic {
            germline_truth += 1;
            germline_pass += usize::from(pass.contains(key));
            continue;
        }
        let b = bins
            .entry((t.var_type, (t.vaf * 1e6).round() as u64))
            .or_default();
        b.truth += 1;
        if pass.contains(key) {
            b.tp += 1;
        } else if all.contains(key) {
            b.filtered += 1;
        }
        if let Some(k) = t.mol_alt {
            b.with_mol_alt += 1;
            b.reachable += usize::from(k >= opts.min_alt as i32);
        }
    }
    let rows = bins
        .into_iter()
        .map(|((var_type, v), a)| {
            let vaf = v as f64 / 1e6;
            let (truth, tp, filtered) = (a.truth, a.tp, a.filtered);
            BinRow {
                var_type,
                vaf,
                truth,
                tp,
                fn_: truth - tp,
                filtered,
                sensitivity: if truth > 0 {
                    tp as f64 / truth as f64
                } else {
                    f64::NAN
                },
                poisson_limit: poisson_at_least(opts.depth * vaf, opts.min_alt),
                realised_limit: if a.with_mol_alt == truth && truth > 0 {
                    a.reachable as f64 / truth as f64
                } else {
                    f64::NAN
                },
            }
        })
        .collect();

    let in_targets = |k: &Key| match &bed {
        None => true,
        Some(b) => {
            let pos0 = k.1 - 1;
            b.get(&k.0)
                .is_some_and(|ivs| ivs.iter().any(|&(a, e)| pos0 >= a && pos0 < e))
        }
    };
    let components = mnv_components(&truth_map);
    let split = pass.iter().filter(|k| components.contains_key(*k)).count();
    let mut fp_sites = Vec::new();
    let mut fp_outside = 0;
    for k in &pass {
        if truth_map.contains_key(k) || components.contains_key(k) {
            continue;
        }
        if in_targets(k) {
            fp_sites.push(k.clone());
        } else {
            fp_outside += 1;
        }
    }
    let target_bp: u64 = bed
        .as_ref()
        .map(|b| b.values().flatten().map(|&(a, e)| (e - a) as u64).sum())
        .unwrap_or(0);
    let fp = fp_sites.len();
    Ok(Score {
        rows,
        germline_truth,
        germline_pass,
        chip_truth,
        chip_pass,
        pass_calls: pass.len(),
        fp,
        split,
        fp_outside_targets: fp_outside,
        target_bp,
        fp_per_mb: if target_bp > 0 {
            fp as f64 / (target_bp as f64 / 1e6)
        } else {
            f64::NAN
        },
        fp_sites,
        depth: opts.depth,
        min_alt: opts.min_alt,
    })
}

impl Score {
    /// Sensitivity over all somatic rows of one type (None: every type).
    pub fn sensitivity(&self, var_type: Option<VarType>, min_vaf: f64) -> f64 {
        let (t, tp) = self
            .rows
            .iter()
            .filter(|r| var_type.is_none_or(|v| v == r.var_type) && r.vaf >= min_vaf)
            .fold((0, 0), |acc, r| (acc.0 + r.truth, acc.1 + r.tp));
        if t == 0 {
            f64::NAN
        } else {
            tp as f64 / t as f64
        }
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<6} {:>7} {:>6} {:>5} {:>5} {:>9} {:>12} {:>14} {:>9}",
            "type",
            "VAF",
            "truth",
            "TP",
            "FN",
            "filtered",
            "sensitivity",
            format!("Poisson(k>={})", self.min_alt),
            "realised"
        )?;
        for r in &self.rows {
            let t = r.var_type.name();
            writeln!(
                f,
                "{:<6} {:>6.2}% {:>6} {:>5} {:>5} {:>9} {:>12.3} {:>14.3} {:>9.3}",
                t,
                r.vaf * 100.0,
                r.truth,
                r.tp,
                r.fn_,
                r.filtered,
                r.sensitivity,
                r.poisson_limit,
                r.realised_limit
            )?;
        }
        writeln!(
            f,
            "germline: {} truth, {} with a PASS call (not counted as FP)",
            self.germline_truth, self.germline_pass
        )?;
        if self.chip_truth > 0 {
            writeln!(
                f,
                "chip: {} truth (clonal haematopoiesis), {} with a PASS call (must not PASS; not counted as FP)",
                self.chip_truth, self.chip_pass
            )?;
        }
        if self.split > 0 {
            writeln!(
                f,
                "split: {} PASS SNV calls are changed bases of truth MNVs (those MNVs are missed; not counted as FP)",
                self.split
            )?;
        }
        if self.target_bp > 0 {
            writeln!(
                f,
                "FP: {} PASS calls in {} bp of target ({:.1} per Mb); {} outside targets; depth {} molecules",
                self.fp, self.target_bp, self.fp_per_mb, self.fp_outside_targets, self.depth
            )
        } else {
            writeln!(
                f,
                "FP: {} PASS calls (no target BED); depth {} molecules",
                self.fp, self.depth
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_vcf::write;

    #[test]
    fn poisson_limit_values() {
        assert!((poisson_at_least(2.0, 1) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
        // lambda 3, k 3: 1 - e^-3 (1 + 3 + 4.5)
        assert!((poisson_at_least(3.0, 3) - (1.0 - (-3.0f64).exp() * 8.5)).abs() < 1e-12);
        assert_eq!(poisson_at_least(0.0, 3), 0.0);
    }

    #[test]
    fn normalize_key_trims_shared_bases() {
        assert_eq!(
            normalize_key("c", 10, b"CAT", b"CT"),
            ("c".into(), 10, b"CA".to_vec(), b"C".to_vec())
        );
        assert_eq!(
            normalize_key("c", 10, b"GCA", b"GTA"),
            ("c".into(), 11, b"C".to_vec(), b"T".to_vec())
        );
        assert_eq!(
            normalize_key("c", 10, b"a", b"g"),
            ("c".into(), 10, b"A".to_vec(), b"G".to_vec())
        );
    }

    #[test]
    fn scores_hand_made_vcfs() {
        let d = tempfile::tempdir().unwrap();
        let truth = write(
            d.path(),
            "truth.vcf",
            "chr1\t100\ts1\tA\tG\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=5\n\
             chr1\t200\ts2\tC\tT\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=2\n\
             chr1\t300\ts3\tCAA\tC\t.\tPASS\tVAF=0.01;SOMATIC\n\
             chr1\t400\ts4\tG\tA\t.\tPASS\tVAF=0.05;SOMATIC\n\
             chr1\t500\tg1\tT\tC\t.\tPASS\tVAF=0.5\n",
        );
        // s1 PASS; s2 filtered; s3 PASS written with an extra shared base;
        // s4 missing; germline PASS (not FP); two FPs: one in, one out of target;
        // one "." filter call (ignored).
        let calls = write(
            d.path(),
            "calls.vcf",
            "chr1\t100\t.\tA\tG\t50\tPASS\t.\n\
             chr1\t200\t.\tC\tT\t5\tLowAltCount\t.\n\
             chr1\t300\t.\tCAAG\tCG\t50\tPASS\t.\n\
             chr1\t500\t.\tT\tC\t50\tPASS\t.\n\
             chr1\t600\t.\tA\tT\t50\tPASS\t.\n\
             chr1\t900\t.\tA\tT\t50\tPASS\t.\n\
             chr1\t610\t.\tA\tC\t50\t.\t.\n",
        );
        let bed = d.path().join("t.bed");
        std::fs::write(&bed, "track name=x\nchr1\t50\t700\n").unwrap();
        let mut opts = ScoreOptions {
            depth: 1000.0,
            min_alt: 3,
            targets: Some(bed),
            unfiltered_is_pass: false,
        };
        let s = score(&calls, &truth, &opts).unwrap();
        let snv1 = s
            .rows
            .iter()
            .find(|r| r.var_type == VarType::Snv && r.vaf == 0.01)
            .unwrap();
        assert_eq!((snv1.truth, snv1.tp, snv1.fn_, snv1.filtered), (2, 1, 1, 1));
        assert_eq!(snv1.realised_limit, 0.5);
        let indel = s
            .rows
            .iter()
            .find(|r| r.var_type == VarType::Indel)
            .unwrap();
        assert_eq!((indel.truth, indel.tp), (1, 1));
        let snv5 = s.rows.iter().find(|r| r.vaf == 0.05).unwrap();
        assert_eq!((snv5.tp, snv5.fn_), (0, 1));
        assert!((snv5.poisson_limit - poisson_at_least(50.0, 3)).abs() < 1e-12);
        assert_eq!((s.germline_truth, s.germline_pass), (1, 1));
        assert_eq!((s.fp, s.fp_outside_targets, s.target_bp), (1, 1, 650));
        assert!((s.fp_per_mb - 1e6 / 650.0).abs() < 1e-6);
        assert_eq!(s.pass_calls, 5);
        let table = s.to_string();
        assert!(
            table.contains("SNV") && table.contains("indel") && table.contains("per Mb"),
            "{table}"
        );
        assert!((s.sensitivity(None, 0.0) - 0.5).abs() < 1e-12);
        // With "." counted as PASS the unfiltered call is one more FP.
        opts.unfiltered_is_pass = true;
        let s = score(&calls, &truth, &opts).unwrap();
        assert_eq!((s.fp, s.pass_calls), (2, 6));
    }
}
