//! The calls of a run as the report shows them: read back from the VCF
//! lines `output::vcf` writes (a finished VCF for `ctdna report`, the
//! records about to be written for `call --report`), so the page's table
//! holds exactly the VCF's rows.

use crate::{Error, Result};
use std::io::BufRead;
use std::path::Path;

/// One sample's part of one VCF record.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleCall {
    pub depth: Option<u64>,
    pub alt_molecules: Option<u64>,
    pub vaf: Option<f64>,
    pub p_value: Option<f64>,
    /// FORMAT/FT: `PASS` or the sample's filters.
    pub filters: String,
}

/// One VCF record.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRow {
    pub contig: String,
    pub pos: u64,
    pub ref_allele: String,
    pub alt_allele: String,
    /// The site's FILTER column.
    pub filter: String,
    /// INFO/TYPE (snv, mnv, ins, del, ...).
    pub kind: String,
    /// INFO/LOD: the site's limit of detection (VAF).
    pub lod: Option<f64>,
    /// One per sample column, in header order.
    pub samples: Vec<SampleCall>,
}

impl CallRow {
    /// Whether the site passed every filter.
    pub fn passes(&self) -> bool {
        self.filter == "PASS"
    }
}

/// The calls of a VCF: sample names (header order) and records.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    pub samples: Vec<String>,
    pub rows: Vec<CallRow>,
}

/// Read `path` (plain or bgzipped VCF).
pub fn read_vcf(path: &Path) -> Result<Calls> {
    let io = |e: std::io::Error| {
        Error::bad_input(path, e.to_string(), "give the VCF `ctdna call` wrote")
    };
    let reader = std::io::BufReader::new(crate::bgzf_in::open(path).map_err(io)?);
    let mut calls = Calls::default();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        if let Some(header) = line.strip_prefix("#CHROM") {
            calls.samples = header.split('\t').skip(9).map(str::to_string).collect();
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            let row = parse_record(&line).ok_or_else(|| {
                Error::bad_input(
                    path,
                    format!("line {} is not a VCF record", n + 1),
                    "give the VCF `ctdna call` wrote",
                )
            })?;
            calls.rows.push(row);
        }
    }
    Ok(calls)
}

/// One record line (tab-separated, with or without its newline); `None`
/// when it has fewer than 8 columns or a bad position.
pub fn parse_record(line: &str) -> Option<CallRow> {
    let cols: Vec<&str> = line.trim_end_matches(['\n', '\r']).split('\t').collect();
    if cols.len() < 8 {
        return None;
    }
    let info = |key: &str| {
        cols[7]
            .split(';')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
    };
    let format: Vec<&str> = cols.get(8).map_or(Vec::new(), |f| f.split(':').collect());
    let samples = cols
        .iter()
        .skip(9)
        .map(|column| sample_call(&format, column))
        .collect();
    Some(CallRow {
        contig: cols[0].to_string(),
        pos: cols[1].parse().ok()?,
        ref_allele: cols[3].to_string(),
        alt_allele: cols[4].to_string(),
        filter: cols[6].to_string(),
        kind: info("TYPE").unwrap_or(".").to_string(),
        lod: info("LOD").and_then(|v| v.parse().ok()),
        samples,
    })
}

fn sample_call(format: &[&str], column: &str) -> SampleCall {
    let values: Vec<&str> = column.split(':').collect();
    let get = |key: &str| {
        let i = format.iter().position(|k| *k == key)?;
        values.get(i).copied().filter(|v| *v != ".")
    };
    SampleCall {
        depth: get("DP").and_then(|v| v.parse().ok()),
        alt_molecules: get("AD")
            .and_then(|v| v.split(',').nth(1))
            .and_then(|v| v.parse().ok()),
        vaf: get("AF").and_then(|v| v.parse().ok()),
        p_value: get("PVAL").and_then(|v| v.parse().ok()),
        filters: get("FT").unwrap_or(".").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_gives_its_site_and_sample_fields() {
        let line = "chr1\t755\t.\tCAA\tC\t1465.38\tPASS\tDP=936;AF=0.0491;LOD=0.0067;HP=4;TYPE=del\tGT:DP:AD:AF:PVAL:FT\t0/1:936:890,46:0.0491:2.896e-147:PASS\n";
        let row = parse_record(line).unwrap();
        assert_eq!((row.contig.as_str(), row.pos), ("chr1", 755));
        assert_eq!((row.kind.as_str(), row.lod), ("del", Some(0.0067)));
        assert!(row.passes());
        let s = &row.samples[0];
        assert_eq!((s.depth, s.alt_molecules), (Some(936), Some(46)));
        assert_eq!((s.vaf, s.p_value), (Some(0.0491), Some(2.896e-147)));
        assert_eq!(s.filters, "PASS");
    }

    #[test]
    fn a_short_line_is_not_a_record() {
        assert!(parse_record("chr1\t5\t.\tA").is_none());
        assert!(parse_record("chr1\tx\t.\tA\tC\t.\tPASS\t.").is_none());
    }

    /// Mutated records (bytes replaced by tabs, separators, digits, dots)
    /// are parsed or refused, never a panic, and whatever parses renders.
    #[test]
    fn mutated_records_never_panic() {
        let line = "chr1\t755\t.\tCAA\tC\t1465.38\tPASS\tDP=936;AF=0.0491;LOD=0.0067;TYPE=del\tGT:DP:AD:AF:PVAL:FT\t0/1:936:890,46:0.0491:2.896e-147:PASS";
        let mut rng = crate::rng::Rng::new(22);
        let pieces = ["\t", ":", ";", ",", "=", ".", "9", "", "<", "NaN", "-1"];
        let mut rows = Vec::new();
        for _ in 0..3000 {
            let mut l = line.to_string();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(l.len() as u64) as usize;
                if l.is_char_boundary(at) && l.is_char_boundary(at + 1) {
                    l.replace_range(at..at + 1, pieces[rng.below(pieces.len() as u64) as usize]);
                }
            }
            rows.extend(parse_record(&l));
        }
        rows.extend(parse_record(&line.replace("0.0491:2.896", "NaN:2.896")));
        rows.extend(parse_record(&line.replace("LOD=0.0067", "LOD=inf")));
        assert!(rows.len() > 1000, "{}", rows.len());
        let calls = Calls {
            samples: vec!["s".into()],
            rows,
        };
        let metrics = serde_json::json!({"command": "call", "samples": [{"name": "s"}]});
        let page = super::super::render(&super::super::ReportInput {
            metrics: &metrics,
            calls: &calls,
            mrd: &[],
            sources: &[],
            pon: None,
        });
        for bad in ["=\"NaN\"", "=\"inf\""] {
            assert!(!page.contains(bad), "{bad}");
        }
    }
}
