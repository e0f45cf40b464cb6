//! The HTML report of a run (`call --report`, `ctdna report`): one
//! self-contained page (inline SVG and CSS, no script, no network) that
//! formats what the stages computed: the `call --metrics` document, the
//! VCF's records, and optionally an `mrd` result and a panel-of-normals
//! summary. A section whose inputs hold no data says so instead of
//! drawing. [`multiqc`] writes the same figures as MultiQC custom content.
//!
//! Plots are hand-written SVG ([`svg`]): a few hundred lines for bars,
//! lines and points, no dependency, and pages small enough for large
//! panels (docs/dependencies.md).

pub mod calls;
pub mod html;
pub mod multiqc;
mod sample;
pub mod svg;

use crate::atomic::Pending;
use crate::Result;
use calls::Calls;
use html::{esc, note, Cell};
use serde_json::Value;
use std::fmt::Write;

/// What one report shows.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// The `call --metrics` document.
    pub metrics: &'a Value,
    /// The VCF's samples and records.
    pub calls: &'a Calls,
    /// `mrd -o` documents, one per time point in time order (may be none).
    pub mrd: &'a [Value],
    /// The files the report was made from: (what, path).
    pub sources: &'a [(String, String)],
    /// `--pon`: the panel of normals' pooled rates.
    pub pon: Option<&'a PonSummary>,
}

/// A panel of normals' pooled background, to draw beside the sample's rates.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PonSummary {
    pub path: String,
    pub normals: usize,
    /// Sites (positions × alleles) in the file.
    pub rows: usize,
    /// Pooled alt / depth over the normals' sites: SNV alleles, insertions, deletions.
    pub snv_rate: f64,
    pub insertion_rate: f64,
    pub deletion_rate: f64,
}

/// The page's HTML.
pub fn render(input: &ReportInput) -> String {
    let m = input.metrics;
    let mut body = String::new();
    let samples: Vec<&str> = items(m, "samples")
        .iter()
        .map(|s| text(s, "name"))
        .collect();
    let title = format!("ctdna report: {}", samples.join(", "));
    let _ = write!(body, "<h1>{}</h1>", esc(&title));
    summary(&mut body, input);
    if !input.mrd.is_empty() {
        mrd_section(&mut body, input.mrd);
    }
    if samples.is_empty() {
        note(&mut body, "The metrics hold no sample.");
    }
    for (i, s) in items(m, "samples").iter().enumerate() {
        // The VCF's sample column of this sample (same order as the metrics).
        let column = input
            .calls
            .samples
            .iter()
            .position(|n| n == text(s, "name"))
            .unwrap_or(i);
        sample::section(&mut body, s, input.calls, column, input.pon);
    }
    html::page(&title, &body)
}

/// Write the page into a reserved output.
pub fn write(pending: Pending, input: &ReportInput) -> Result<Pending> {
    pending.write_all(&render(input))?;
    Ok(pending)
}

/// `v[key]` as a list (empty when missing).
pub(crate) fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `v[key]` as text (empty when missing or not text).
pub(crate) fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `v[key]` as a number.
pub(crate) fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

/// A JSON value as one table cell's text.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or(n.to_string(), svg::fmt_value),
        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// `prefix.key = value` rows of a nested object, in its key order.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        other => out.push((prefix.to_string(), show(other))),
    }
}

fn pairs_table(out: &mut String, id: &str, rows: Vec<(String, String)>) {
    let rows: Vec<(Vec<Cell>, &str)> = rows
        .into_iter()
        .map(|(k, v)| (vec![Cell::Text(k), Cell::Text(v)], ""))
        .collect();
    html::table(out, id, &["", ""], &rows);
}

/// Run summary: command, version, inputs, panel, calls, runtime, parameters.
fn summary(out: &mut String, input: &ReportInput) {
    let m = input.metrics;
    out.push_str("<h2 id=\"run\">Run</h2>");
    let mut rows = Vec::new();
    for key in ["command", "version"] {
        rows.push((key.to_string(), show(m.get(key).unwrap_or(&Value::Null))));
    }
    if let Some(inputs) = m.get("inputs") {
        flatten("input", inputs, &mut rows);
    }
    for key in ["targets", "target_bases", "shard", "known_alleles"] {
        if let Some(v) = m.get(key) {
            rows.push((key.to_string(), show(v)));
        }
    }
    if let Some(c) = m.get("calls") {
        flatten("calls", c, &mut rows);
    }
    if let Some(t) = num(m, "runtime_seconds") {
        rows.push(("runtime (s)".into(), format!("{t:.2}")));
    }
    if let Some(b) = num(m, "peak_rss_bytes") {
        rows.push(("peak memory (MB)".into(), format!("{:.1}", b / 1e6)));
    }
    for (what, path) in input.sources {
        rows.push((format!("report from {what}"), path.clone()));
    }
    if let Some(p) = input.pon {
        rows.push((
            "panel of normals".into(),
            format!("{} ({} normals, {} sites)", p.path, p.normals, p.rows),
        ));
    }
    pairs_table(out, "run-summary", rows);
    let mut params = Vec::new();
    if let Some(p) = m.get("parameters") {
        flatten("", p, &mut params);
    }
    let _ = write!(
        out,
        "<details><summary>Parameters ({})</summary>",
        params.len()
    );
    pairs_table(out, "parameters", params);
    out.push_str("</details>");
}

/// An mrd result's tumour fraction and its 95% CI (NaN where missing).
fn tf_ci(mrd: &Value) -> (f64, f64, f64) {
    let ci: Vec<f64> = items(mrd, "ci95")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let tf = num(mrd, "tumor_fraction").unwrap_or(f64::NAN);
    match ci.as_slice() {
        [lo, hi] => (tf, *lo, *hi),
        _ => (tf, f64::NAN, f64::NAN),
    }
}

/// One time point's verdict line: sample, call, tumour fraction and CI.
fn verdict(out: &mut String, mrd: &Value) {
    let call = text(mrd, "call");
    let class = if call == "DETECTED" { "bad" } else { "pass" };
    let (tf, lo, hi) = tf_ci(mrd);
    let ci = if lo.is_nan() {
        String::new()
    } else {
        format!(" (95% CI {} – {})", svg::fmt_value(lo), svg::fmt_value(hi))
    };
    let tf = if tf.is_nan() {
        "—".into()
    } else {
        svg::fmt_value(tf)
    };
    let _ = write!(
        out,
        "<p class=\"verdict\">Sample {}: <span class=\"{class} mrd-call\">{}</span>, tumour fraction {}{}</p>",
        esc(text(mrd, "sample")),
        esc(if call.is_empty() { "no call" } else { call }),
        esc(&tf),
        esc(&ci)
    );
}

/// The mrd verdicts (one per time point), the latest one's details, and
/// with two or more time points the tumour-fraction trajectory.
fn mrd_section(out: &mut String, series: &[Value]) {
    out.push_str("<h2 id=\"mrd\">MRD</h2>");
    for mrd in series {
        verdict(out, mrd);
    }
    let Some(latest) = series.last() else {
        return;
    };
    let mut rows = Vec::new();
    for key in [
        "p_value",
        "log10_p_value",
        "significance_level",
        "limit_of_detection",
        "molecules",
        "alt_molecules",
        "expected_error_molecules",
        "null_model",
        "tf_ratio_to_baseline",
    ] {
        if let Some(v) = latest.get(key) {
            rows.push((key.to_string(), show(v)));
        }
    }
    if let Some(l) = latest.get("loci") {
        flatten("loci", l, &mut rows);
    }
    pairs_table(out, "mrd-summary", rows);
    let points: Vec<svg::Interval> = series
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (tf, lo, hi) = tf_ci(m);
            svg::Interval {
                label: format!("{}. {}", i + 1, text(m, "sample")),
                value: tf,
                low: lo,
                high: hi,
                colour: if text(m, "call") == "DETECTED" {
                    "#c0392b"
                } else {
                    "#1a7f37"
                },
            }
        })
        // A result without a tumour fraction is a verdict line, not a point.
        .filter(|p| p.value.is_finite())
        .collect();
    let svg = svg::intervals(&points, "tumour fraction").filter(|_| points.len() > 1);
    html::figure(
        out,
        "mrd-trajectory",
        "Tumour fraction over time (95% CI; red: DETECTED)",
        svg,
        "One time point: give --mrd once per time point, in time order, for the trajectory.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample the metrics say nothing about gets its sections, each saying
    /// it has no data, and no plot.
    #[test]
    fn sections_without_data_say_so_and_draw_nothing() {
        let metrics = serde_json::json!({"command": "call", "samples": [{"name": "s<1>"}]});
        let calls = Calls::default();
        let page = render(&ReportInput {
            metrics: &metrics,
            calls: &calls,
            mrd: &[],
            sources: &[],
            pon: None,
        });
        assert!(!page.contains("data-plot"), "a plot without data");
        for said in [
            "No read counters in the metrics.",
            "No UMI families: this run counted fragments",
            "No targets in the metrics.",
            "No SNV error rates in the metrics",
            "No non-zero indel rates in the metrics",
            "The VCF holds no records.",
        ] {
            assert!(page.contains(said), "{said}");
        }
        assert!(page.contains("Sample s&lt;1&gt;"));
    }

    #[test]
    fn an_mrd_result_shows_its_verdict_and_interval() {
        let metrics = serde_json::json!({"command": "call", "samples": []});
        let mrd = serde_json::json!({"sample": "p", "call": "NOT_DETECTED", "tumor_fraction": 0.0,
            "ci95": [0.0, 0.0004], "loci": {"used": 40}});
        let calls = Calls::default();
        let page = render(&ReportInput {
            metrics: &metrics,
            calls: &calls,
            mrd: std::slice::from_ref(&mrd),
            sources: &[],
            pon: None,
        });
        assert!(page.contains("<span class=\"pass mrd-call\">NOT_DETECTED</span>"));
        assert!(
            page.contains("tumour fraction 0 (95% CI 0 – 4.000e-4)"),
            "{page}"
        );
        assert!(page.contains("<td>loci.used</td><td>40</td>"));
    }

    /// Nulls and odd types where numbers belong (an empty target's LoD is
    /// null) never put a NaN into a coordinate (the browser logs an error).
    #[test]
    fn nulls_and_odd_values_draw_no_nan_coordinates() {
        let metrics = serde_json::json!({"command": "call", "samples": [{"name": "s",
            "reads": {"used": 5, "low_mapq": "many"}, "lod_median": null,
            "targets": [{"contig": "c", "start": 0, "end": 9, "depth": {"mean": 0.0}, "lod_median": null},
                        {"contig": "c", "start": 20, "end": 29, "depth": {"mean": 10.0}, "lod_median": 0.01}],
            "depth_histogram": {"bin_width": 0, "counts": [3]}}]});
        let mrd = [
            serde_json::json!({"sample": "p", "call": "DETECTED", "tumor_fraction": 0.01, "ci95": [0.005, 0.02]}),
            serde_json::json!({"sample": "p", "call": "NOT_DETECTED", "tumor_fraction": null}),
            serde_json::json!({"sample": "p", "call": "NOT_DETECTED", "tumor_fraction": 0.0, "ci95": [0.0]}),
        ];
        let calls = Calls::default();
        let page = render(&ReportInput {
            metrics: &metrics,
            calls: &calls,
            mrd: &mrd,
            sources: &[],
            pon: None,
        });
        assert!(page.contains("data-plot=\"mrd-trajectory\""));
        assert!(page.contains("data-plot=\"lod-targets\""));
        for bad in ["=\"NaN\"", "=\"inf\"", "NaN,", ",NaN"] {
            assert!(!page.contains(bad), "{bad}");
        }
    }
}
