//! The patient's tumor variants (`--tumor-variants`): read, checked and
//! normalised by [`crate::loci`] exactly like `--known` loci, with a weight
//! each from the same records' INFO.
//!
//! METHOD: the weight `w` is the allele's expected fraction in tumor DNA.
//! From INFO, in this order: `CCF` (cancer cell fraction in (0, 1]) gives
//! `w = 0.5 CCF` (heterozygous, copy-neutral); `TVAF` (the allele fraction in
//! tumor tissue) gives `w = min(TVAF / purity, 1)` with `--tumor-purity`
//! (default 1); otherwise `w = 0.5` (clonal heterozygous).

use crate::loci::{self, KnownLocus, KnownRecord, Normalizer};
use crate::reference::Reference;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Default weight: a clonal heterozygous mutation.
pub const DEFAULT_WEIGHT: f64 = 0.5;

/// One tumor variant to look for.
#[derive(Debug, Clone, PartialEq)]
pub struct TumorLocus {
    /// Normalised (trimmed, left-aligned) as the evidence engine counts it.
    pub locus: KnownLocus,
    /// Expected allele fraction in tumor DNA.
    pub weight: f64,
    /// Where the weight came from: `CCF`, `TVAF` or `default`.
    pub weight_source: &'static str,
}

/// Read the tumor VCF. Errors (exit 2) name the file and line: contigs not
/// in the reference, REF not matching it, malformed weights, and a file
/// without any usable variant.
pub fn read_tumor_variants(
    path: &Path,
    reference: &Reference,
    purity: f64,
) -> Result<Vec<TumorLocus>> {
    // Every record is checked (`read_records`) before any weight is, so a
    // bad allele is reported before a bad weight wherever they sit.
    let records = loci::read_records(path, reference, "--tumor-variants")?;
    let weights = read_weights(path, &records, purity)?;
    let mut raw: Vec<KnownLocus> = records.into_iter().flat_map(|r| r.loci).collect();
    raw.sort();
    raw.dedup();
    let mut out: BTreeMap<KnownLocus, (f64, &'static str)> = BTreeMap::new();
    // No reader for a file without records: that is reported as such below.
    if !raw.is_empty() {
        let normalizer = Normalizer::new(reference)?;
        for k in raw {
            let w = weights
                .get(&k)
                .copied()
                .unwrap_or((DEFAULT_WEIGHT, "default"));
            // One at a time, so that each normalised locus keeps its own
            // weight (the first in raw order when two normalise alike).
            if let Some(n) = normalizer.normalize(&k)? {
                out.entry(n).or_insert(w);
            }
        }
    }
    if out.is_empty() {
        return Err(Error::bad_input(
            path,
            "no usable tumor variants (no records, or only complex alleles ctdna does not test)",
            "give the patient's somatic SNVs/indels as a VCF with --tumor-variants",
        ));
    }
    Ok(out
        .into_iter()
        .map(|(locus, (weight, weight_source))| TumorLocus {
            locus,
            weight,
            weight_source,
        })
        .collect())
}

fn info_value<'a>(info: &'a str, key: &str) -> Option<&'a str> {
    info.split(';')
        .find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// Weights by raw (un-normalised) locus, from INFO `CCF` / `TVAF`; a later
/// record of the same locus overrides an earlier one.
fn read_weights(
    path: &Path,
    records: &[KnownRecord],
    purity: f64,
) -> Result<BTreeMap<KnownLocus, (f64, &'static str)>> {
    let mut out = BTreeMap::new();
    for rec in records {
        let Some(info) = &rec.info else {
            continue;
        };
        let bad = |msg: String| Error::BadLine {
            path: path.to_path_buf(),
            line: rec.line,
            msg,
        };
        // One locus per ALT, in ALT order: `a` picks the ALT's value of a
        // per-allele INFO list (or its only value).
        for (a, locus) in rec.loci.iter().enumerate() {
            let pick = |v: &str| {
                let vals: Vec<&str> = v.split(',').collect();
                vals.get(a).or(vals.first()).map(|s| s.to_string())
            };
            let w = if let Some(v) = info_value(info, "CCF").and_then(pick) {
                let ccf: f64 = v
                    .parse()
                    .ok()
                    .filter(|c: &f64| *c > 0.0 && *c <= 1.0)
                    .ok_or_else(|| bad(format!("INFO CCF '{v}' is not in (0, 1]")))?;
                (0.5 * ccf, "CCF")
            } else if let Some(v) = info_value(info, "TVAF").and_then(pick) {
                let tvaf: f64 = v
                    .parse()
                    .ok()
                    .filter(|c: &f64| *c > 0.0 && *c <= 1.0)
                    .ok_or_else(|| bad(format!("INFO TVAF '{v}' is not in (0, 1]")))?;
                ((tvaf / purity).min(1.0), "TVAF")
            } else {
                continue;
            };
            out.insert(locus.clone(), w);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{random_sequence, write_fasta};

    #[test]
    fn weights_come_from_ccf_then_tvaf_then_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let seq = random_sequence(1000, 3);
        let fa = write_fasta(dir.path(), "ref.fa", &[("c1", &seq)]);
        let reference = Reference::open(&fa).unwrap();
        let b = |p: usize| &seq[p - 1..p];
        let alt = |p: usize| if b(p) == "A" { "C" } else { "A" };
        let vcf = dir.path().join("t.vcf");
        std::fs::write(
            &vcf,
            format!(
                "##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
c1\t100\t.\t{}\t{}\t.\tPASS\tCCF=0.5\n\
c1\t200\t.\t{}\t{}\t.\tPASS\tTVAF=0.3;DP=80\n\
c1\t300\t.\t{}\t{}\t.\tPASS\t.\n",
                b(100),
                alt(100),
                b(200),
                alt(200),
                b(300),
                alt(300)
            ),
        )
        .unwrap();
        let loci = read_tumor_variants(&vcf, &reference, 0.6).unwrap();
        let w: Vec<(u64, f64, &str)> = loci
            .iter()
            .map(|l| (l.locus.pos0, l.weight, l.weight_source))
            .collect();
        assert_eq!(
            w,
            vec![(99, 0.25, "CCF"), (199, 0.5, "TVAF"), (299, 0.5, "default")]
        );
        std::fs::write(
            &vcf,
            format!(
                "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nc1\t100\t.\t{}\t{}\t.\tPASS\tCCF=1.5\n",
                b(100),
                alt(100)
            ),
        )
        .unwrap();
        let e = read_tumor_variants(&vcf, &reference, 1.0).unwrap_err();
        assert!(
            e.to_string().contains("CCF") && e.to_string().contains(":2:"),
            "{e}"
        );
        std::fs::write(&vcf, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n").unwrap();
        let e = read_tumor_variants(&vcf, &reference, 1.0).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("no usable tumor variants"), "{e}");
    }
}
