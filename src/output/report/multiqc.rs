//! MultiQC custom content (`--multiqc DIR`): `<sample>.ctdna_<part>_mqc.json`
//! files that MultiQC picks up with no configuration: general-statistics
//! columns, the read fates (bar graph), the family sizes (line graph, UMI
//! mode) and the error spectrum (line graph over the 96 classes); from
//! `mrd`, the call and tumour fraction as general statistics. Each file
//! holds every sample of its run; files of several runs in one folder
//! merge by their `id`.

use super::calls::Calls;
use super::{items, num, text};
use crate::atomic::Pending;
use crate::Result;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// One custom-content file of a `call` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    General,
    ReadFates,
    FamilySizes,
    ErrorSpectrum,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::General => "general",
            Part::ReadFates => "read_fates",
            Part::FamilySizes => "family_sizes",
            Part::ErrorSpectrum => "error_spectrum",
        }
    }
}

/// `name` made safe as a file name (letters, digits, `.`, `_`, `-`).
pub fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("sample{s}")
    } else {
        s
    }
}

/// The files a `call` run writes into `dir`, named after its first sample;
/// the family sizes only in UMI mode.
pub fn call_paths(dir: &Path, first_sample: &str, umi: bool) -> Vec<(Part, PathBuf)> {
    let parts = [
        Part::General,
        Part::ReadFates,
        Part::FamilySizes,
        Part::ErrorSpectrum,
    ];
    parts
        .into_iter()
        .filter(|p| umi || *p != Part::FamilySizes)
        .map(|p| {
            (
                p,
                dir.join(format!(
                    "{}.ctdna_{}_mqc.json",
                    file_stem(first_sample),
                    p.name()
                )),
            )
        })
        .collect()
}

/// The file an `mrd` run writes into `dir`.
pub fn mrd_path(dir: &Path, sample: &str) -> PathBuf {
    dir.join(format!("{}.ctdna_mrd_mqc.json", file_stem(sample)))
}

/// Create `dir` when missing (before outputs in it are reserved).
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        crate::Error::bad_input(
            dir,
            format!("cannot create the --multiqc folder: {e}"),
            "give a folder that can be written",
        )
    })
}

/// Write `part`'s content of a `call` run into a reserved output.
pub fn write_call(pending: Pending, part: Part, metrics: &Value, calls: &Calls) -> Result<Pending> {
    crate::output::metrics::write_json(pending, &call_content(part, metrics, calls))
}

/// Write the mrd result's general statistics into a reserved output.
pub fn write_mrd(pending: Pending, mrd: &Value) -> Result<Pending> {
    crate::output::metrics::write_json(pending, &mrd_content(mrd))
}

fn per_sample(metrics: &Value, f: impl Fn(&Value) -> Value) -> Map<String, Value> {
    items(metrics, "samples")
        .iter()
        .map(|s| (text(s, "name").to_string(), f(s)))
        .collect()
}

/// The JSON of one part (MultiQC custom content).
pub fn call_content(part: Part, metrics: &Value, calls: &Calls) -> Value {
    match part {
        Part::General => general(metrics, calls),
        Part::ReadFates => json!({
            "id": "ctdna_read_fates",
            "section_name": "ctdna: reads by fate",
            "description": "Reads used and dropped per read filter (ctdna call).",
            "plot_type": "bargraph",
            "pconfig": {"id": "ctdna_read_fates_plot", "title": "ctdna: reads by fate", "ylab": "reads"},
            "data": per_sample(metrics, |s| {
                let r = s.get("reads").unwrap_or(&Value::Null);
                super::sample::FATES.iter().map(|(k, label)| (label.to_string(), json!(num(r, k).unwrap_or(0.0) as u64))).collect::<Map<_, _>>().into()
            }),
        }),
        Part::FamilySizes => json!({
            "id": "ctdna_family_sizes",
            "section_name": "ctdna: UMI family sizes",
            "description": "UMI families by templates (read pairs) per family (ctdna call, UMI mode).",
            "plot_type": "linegraph",
            "pconfig": {"id": "ctdna_family_sizes_plot", "title": "ctdna: family sizes", "xlab": "templates per family", "ylab": "families"},
            "data": per_sample(metrics, |s| {
                let sizes = s.get("umi").map_or(&[][..], |u| items(u, "family_sizes"));
                sizes.iter().filter_map(|p| Some((p.get(0)?.to_string(), p.get(1)?.clone()))).collect::<Map<_, _>>().into()
            }),
        }),
        Part::ErrorSpectrum => json!({
            "id": "ctdna_error_spectrum",
            "section_name": "ctdna: error spectrum",
            "description": "Background SNV error rate per trinucleotide class (SBS-96 order) that ctdna call fitted.",
            "plot_type": "linegraph",
            "pconfig": {"id": "ctdna_error_spectrum_plot", "title": "ctdna: error spectrum", "ylab": "error rate", "categories": true},
            "data": per_sample(metrics, |s| {
                let snv = s.get("error_rates").map_or(&[][..], |r| items(r, "snv"));
                snv.iter().map(|c| (text(c, "class").to_string(), json!(num(c, "rate").unwrap_or(0.0)))).collect::<Map<_, _>>().into()
            }),
        }),
    }
}

/// General statistics: median depth, molecules, LoD median, PASS calls.
fn general(metrics: &Value, calls: &Calls) -> Value {
    let data = per_sample(metrics, |s| {
        let column = calls.samples.iter().position(|n| n == text(s, "name"));
        let pass = calls
            .rows
            .iter()
            .filter(|r| match column.and_then(|c| r.samples.get(c)) {
                Some(sc) => sc.filters == "PASS",
                None => r.passes(),
            })
            .count();
        let reads = s.get("reads").unwrap_or(&Value::Null);
        let fragments =
            num(reads, "used").unwrap_or(0.0) - num(reads, "overlapping_pairs").unwrap_or(0.0);
        let molecules = s
            .get("umi")
            .and_then(|u| num(u, "families"))
            .unwrap_or(fragments);
        json!({
            "ctdna_median_depth": s.get("depth").and_then(|d| num(d, "median")),
            "ctdna_molecules": molecules,
            "ctdna_lod_median": num(s, "lod_median"),
            "ctdna_pass_calls": pass,
        })
    });
    json!({
        "id": "ctdna_general",
        "plot_type": "generalstats",
        "pconfig": [
            {"ctdna_median_depth": {"title": "Median depth", "description": "ctdna: median molecule depth over target positions", "format": "{:,.0f}", "min": 0}},
            {"ctdna_molecules": {"title": "Molecules", "description": "ctdna: UMI families, or fragments (used reads, overlapping mates once)", "format": "{:,.0f}", "min": 0}},
            {"ctdna_lod_median": {"title": "LoD median", "description": "ctdna: median per-position SNV limit of detection (VAF)", "format": "{:,.4f}", "min": 0}},
            {"ctdna_pass_calls": {"title": "PASS calls", "description": "ctdna: VCF records passing every filter", "format": "{:,.0f}", "min": 0}},
        ],
        "data": data,
    })
}

/// General statistics of an mrd result: the call and the tumour fraction.
pub fn mrd_content(mrd: &Value) -> Value {
    let mut row = Map::new();
    row.insert("ctdna_mrd_call".into(), json!(text(mrd, "call")));
    row.insert("ctdna_mrd_tf".into(), json!(num(mrd, "tumor_fraction")));
    let mut data = Map::new();
    data.insert(text(mrd, "sample").to_string(), Value::Object(row));
    json!({
        "id": "ctdna_mrd",
        "plot_type": "generalstats",
        "pconfig": [
            {"ctdna_mrd_call": {"title": "MRD", "description": "ctdna mrd: DETECTED or NOT_DETECTED"}},
            {"ctdna_mrd_tf": {"title": "Tumour fraction", "description": "ctdna mrd: estimated tumour fraction", "format": "{:,.5f}", "min": 0}},
        ],
        "data": data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_umi_only_parts_are_left_out() {
        assert_eq!(file_stem("a/b c"), "a_b_c");
        assert_eq!(file_stem(".."), "sample..");
        let names = call_paths(Path::new("d"), "s1", false);
        assert_eq!(names.len(), 3);
        assert!(names
            .iter()
            .all(|(_, p)| p.to_string_lossy().ends_with("_mqc.json")));
        assert_eq!(call_paths(Path::new("d"), "s1", true).len(), 4);
    }

    #[test]
    fn general_statistics_count_the_sample_s_pass_calls() {
        let metrics = json!({"samples": [{"name": "s", "depth": {"median": 900}, "lod_median": 0.01,
            "reads": {"used": 10, "overlapping_pairs": 3}}]});
        let line = |ft: &str| format!("c\t1\t.\tA\tC\t.\t{ft}\tLOD=0.1\tGT:FT\t0/1:{ft}");
        let calls = Calls {
            samples: vec!["s".into()],
            rows: ["PASS", "Germline", "PASS"]
                .iter()
                .filter_map(|f| super::super::calls::parse_record(&line(f)))
                .collect(),
        };
        let v = call_content(Part::General, &metrics, &calls);
        assert_eq!(v["data"]["s"]["ctdna_pass_calls"], 2);
        assert_eq!(v["data"]["s"]["ctdna_molecules"], 7.0);
        assert_eq!(v["data"]["s"]["ctdna_median_depth"], 900.0);
    }
}
