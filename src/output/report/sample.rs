//! One sample's part of the report: reads, molecules, families, depth,
//! LoD, error spectrum, indel rates, calls.

use super::calls::{CallRow, Calls};
use super::html::{self, esc, figure, note, Cell};
use super::svg::{self, Bar, Point, Scale, Series};
use super::{items, num, text, PonSummary};
use serde_json::Value;
use std::fmt::Write;

/// Read fates drawn, in this order: (metrics key, label).
pub const FATES: [(&str, &str); 9] = [
    ("used", "used"),
    ("low_mapq", "low MAPQ"),
    ("duplicate", "duplicate"),
    ("unmapped", "unmapped"),
    ("secondary", "secondary"),
    ("supplementary", "supplementary"),
    ("qc_fail", "QC fail"),
    ("improper_pair_dropped", "improper pair"),
    ("too_many_mismatches", "too many mismatches"),
];

/// A target is marked low when its mean depth is below this share of the
/// median target's.
pub const LOW_TARGET_SHARE: f64 = 0.5;

/// SBS-96 colours of the six substitution types (the usual ones).
pub const SBS_COLOURS: [(&str, &str); 6] = [
    ("C>A", "#03bcee"),
    ("C>G", "#010101"),
    ("C>T", "#e32926"),
    ("T>A", "#cac9c9"),
    ("T>C", "#a1ce63"),
    ("T>G", "#ebc6c4"),
];

const BLUE: &str = "#3b6fb6";
const RED: &str = "#c0392b";
const GREY: &str = "#9a9a9a";
const GREEN: &str = "#1a7f37";

/// The sample's section; `column` is its sample column in the VCF.
pub fn section(
    out: &mut String,
    s: &Value,
    calls: &Calls,
    column: usize,
    pon: Option<&PonSummary>,
) {
    let name = text(s, "name");
    let _ = write!(out, "<h2 class=\"sample\">Sample {}</h2>", esc(name));
    overview(out, s);
    reads(out, s);
    molecules(out, s);
    families(out, s);
    depth(out, s);
    lod(out, s);
    spectrum(out, s, pon);
    indels(out, s, pon);
    calls_table(out, calls, column);
}

fn overview(out: &mut String, s: &Value) {
    let d = s.get("depth").unwrap_or(&Value::Null);
    let f = |v: Option<f64>| v.map_or("—".to_string(), svg::fmt_value);
    let rows: Vec<(Vec<Cell>, &str)> = [
        ("background model", text(s, "background_model").to_string()),
        ("mean depth", f(num(d, "mean"))),
        ("median depth", f(num(d, "median"))),
        ("min depth", f(num(d, "min"))),
        (
            "% positions ≥ 500 / 1000 / 2000",
            format!(
                "{} / {} / {}",
                f(num(d, "pct_ge_500")),
                f(num(d, "pct_ge_1000")),
                f(num(d, "pct_ge_2000"))
            ),
        ),
        (
            "LoD median / p90 (VAF)",
            format!("{} / {}", f(num(s, "lod_median")), f(num(s, "lod_p90"))),
        ),
        ("overlapping mates merged", f(num(s, "overlap_fraction"))),
    ]
    .into_iter()
    .map(|(k, v)| (vec![Cell::Text(k.into()), Cell::Text(v)], ""))
    .collect();
    html::table(out, "overview", &["", ""], &rows);
    for alarm in items(s, "read_alarms") {
        let _ = write!(out, "<p class=\"bad\">{}</p>", esc(text(alarm, "message")));
    }
}

fn reads(out: &mut String, s: &Value) {
    let r = s.get("reads").unwrap_or(&Value::Null);
    let bars: Vec<Bar> = FATES
        .iter()
        .filter_map(|(key, label)| {
            Some(Bar {
                label: label.to_string(),
                value: num(r, key)?,
                colour: if *key == "used" { GREEN } else { RED },
            })
        })
        .collect();
    let seen = num(r, "seen").map_or(String::new(), |n| {
        format!(" (of {} seen)", svg::fmt_value(n))
    });
    let svg = svg::bars(&bars, Scale::Log, "reads", "fate", None);
    figure(
        out,
        "reads",
        &format!("Reads by fate{seen}"),
        svg,
        "No read counters in the metrics.",
    );
}

fn molecules(out: &mut String, s: &Value) {
    let classes = items(
        s.get("error_rates").unwrap_or(&Value::Null),
        "molecule_classes",
    );
    let bars: Vec<Bar> = classes
        .iter()
        .map(|c| Bar {
            label: text(c, "class").to_string(),
            value: num(c, "molecule_positions").unwrap_or(0.0),
            colour: BLUE,
        })
        .collect();
    let svg = svg::bars(&bars, Scale::Linear, "molecule-positions", "class", None)
        .filter(|_| bars.iter().any(|b| b.value > 0.0));
    figure(
        out,
        "molecule-classes",
        "Molecules per class",
        svg,
        "No molecule classes in the metrics.",
    );
    let Some(umi) = s.get("umi") else {
        return;
    };
    let tiers: Vec<Bar> = items(umi, "tiers")
        .iter()
        .map(|t| Bar {
            label: format!(
                "{} (error {})",
                text(t, "tier"),
                num(t, "error_rate").map_or("—".into(), svg::fmt_value)
            ),
            value: num(t, "molecule_bases").unwrap_or(0.0),
            colour: BLUE,
        })
        .collect();
    let heading = format!(
        "Molecules per UMI tier (tested: {})",
        text(umi, "tier_tested")
    );
    let svg = svg::bars(&tiers, Scale::Linear, "molecule-positions", "tier", None);
    figure(out, "tiers", &heading, svg, "No tiers in the metrics.");
}

fn families(out: &mut String, s: &Value) {
    let Some(umi) = s.get("umi") else {
        figure(
            out,
            "families",
            "Family sizes",
            None,
            "No UMI families: this run counted fragments (no family-size histogram).",
        );
        return;
    };
    let bars: Vec<Bar> = items(umi, "family_sizes")
        .iter()
        .filter_map(|p| {
            let p = p.as_array()?;
            Some(Bar {
                label: p.first()?.to_string(),
                value: p.get(1)?.as_f64()?,
                colour: BLUE,
            })
        })
        .collect();
    let heading = format!(
        "Family sizes ({} families, mean {} templates)",
        num(umi, "families").map_or("—".into(), svg::fmt_value),
        num(umi, "mean_family_size").map_or("—".into(), |m| format!("{m:.2}"))
    );
    let svg = svg::bars(
        &bars,
        Scale::Linear,
        "families",
        "templates per family",
        None,
    );
    figure(
        out,
        "families",
        &heading,
        svg,
        "No families in the metrics.",
    );
}

/// The median of `v` (the middle value; NaN when empty).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn target_label(t: &Value) -> String {
    let n = |k| num(t, k).map_or(String::from("?"), |v| format!("{v:.0}"));
    format!("{}:{}-{}", text(t, "contig"), n("start"), n("end"))
}

fn depth(out: &mut String, s: &Value) {
    let targets = items(s, "targets");
    let means: Vec<f64> = targets
        .iter()
        .map(|t| t.get("depth").and_then(|d| num(d, "mean")).unwrap_or(0.0))
        .collect();
    let mid = median(means.clone());
    let low = |m: f64| m < LOW_TARGET_SHARE * mid;
    let bars: Vec<Bar> = targets
        .iter()
        .zip(&means)
        .map(|(t, &m)| Bar {
            label: target_label(t),
            value: m,
            colour: if low(m) { RED } else { BLUE },
        })
        .collect();
    let svg = svg::bars(
        &bars,
        Scale::Linear,
        "mean depth",
        "target (panel order)",
        Some((mid, "median target")),
    );
    figure(
        out,
        "depth-targets",
        "Depth per target",
        svg,
        "No targets in the metrics.",
    );
    html::key(
        out,
        &[
            (BLUE, "target"),
            (RED, "low: below half the median target's depth"),
        ],
    );
    let lows: Vec<String> = bars
        .iter()
        .filter(|b| b.colour == RED)
        .map(|b| format!("{} ({:.0})", b.label, b.value))
        .collect();
    if !lows.is_empty() {
        let _ = write!(
            out,
            "<p class=\"bad low-targets\">Low targets ({}): {}</p>",
            lows.len(),
            esc(&lows.join(", "))
        );
    }
    let hist = s.get("depth_histogram").unwrap_or(&Value::Null);
    let width = num(hist, "bin_width").unwrap_or(0.0);
    let bins: Vec<Bar> = items(hist, "counts")
        .iter()
        .enumerate()
        .map(|(i, c)| Bar {
            label: format!(
                "{}–{}",
                svg::short(i as f64 * width),
                svg::short((i + 1) as f64 * width - 1.0)
            ),
            value: c.as_f64().unwrap_or(0.0),
            colour: BLUE,
        })
        .collect();
    let svg = svg::bars(&bins, Scale::Linear, "positions", "depth (molecules)", None)
        .filter(|_| width > 0.0);
    figure(
        out,
        "depth-distribution",
        "Depth distribution over target positions",
        svg,
        "No depth histogram in the metrics (made by an older ctdna).",
    );
}

fn lod(out: &mut String, s: &Value) {
    let bars: Vec<Bar> = items(s, "targets")
        .iter()
        .map(|t| Bar {
            label: target_label(t),
            value: num(t, "lod_median").unwrap_or(f64::NAN),
            colour: BLUE,
        })
        .collect();
    let panel = num(s, "lod_median").map(|m| (m, "panel median"));
    let svg = svg::bars(
        &bars,
        Scale::Log,
        "median SNV LoD (VAF)",
        "target (panel order)",
        panel,
    );
    figure(
        out,
        "lod-targets",
        "Limit of detection per target against the panel median",
        svg,
        "No per-target LoD in the metrics.",
    );
}

fn spectrum(out: &mut String, s: &Value, pon: Option<&PonSummary>) {
    let rates = s.get("error_rates").unwrap_or(&Value::Null);
    let bars: Vec<Bar> = items(rates, "snv")
        .iter()
        .map(|c| {
            let class = text(c, "class");
            let colour = SBS_COLOURS
                .iter()
                .find(|(sub, _)| class.get(2..5) == Some(*sub))
                .map_or(GREY, |x| x.1);
            Bar {
                label: format!(
                    "{class} ({}/{})",
                    num(c, "alt").unwrap_or(0.0),
                    num(c, "depth").unwrap_or(0.0)
                ),
                value: num(c, "rate").unwrap_or(0.0),
                colour,
            }
        })
        .collect();
    let reference = pon.map(|p| (p.snv_rate, "panel of normals, pooled SNV rate"));
    let svg = svg::bars(
        &bars,
        Scale::Linear,
        "error rate",
        "96 trinucleotide classes (SBS order)",
        reference,
    )
    .filter(|_| bars.iter().any(|b| b.value > 0.0));
    figure(
        out,
        "spectrum",
        "Error spectrum (SBS-96)",
        svg,
        "No SNV error rates in the metrics (or every class is zero).",
    );
    html::key(out, &SBS_COLOURS.map(|(sub, colour)| (colour, sub)));
}

fn indels(out: &mut String, s: &Value, pon: Option<&PonSummary>) {
    let rates = s.get("error_rates").unwrap_or(&Value::Null);
    let line = |key: &str, name: &str, colour| Series {
        name: name.into(),
        colour,
        points: items(rates, key)
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some(((i + 1) as f64, r.as_f64()?)))
            .collect(),
    };
    let mut series = vec![
        line("insertion_by_homopolymer", "insertion", BLUE),
        line("deletion_by_homopolymer", "deletion", RED),
    ];
    if let Some(p) = pon {
        let flat = |rate: f64| (1..=10).map(|l| (f64::from(l), rate)).collect();
        series.push(Series {
            name: "PoN insertion (pooled)".into(),
            colour: "#7fa3d6",
            points: flat(p.insertion_rate),
        });
        series.push(Series {
            name: "PoN deletion (pooled)".into(),
            colour: "#e39a91",
            points: flat(p.deletion_rate),
        });
    }
    let svg = svg::lines(
        &series,
        Scale::Linear,
        Scale::Log,
        "homopolymer length",
        "error rate",
    );
    figure(
        out,
        "indels",
        "Indel error rates by homopolymer length",
        svg,
        "No non-zero indel rates in the metrics: no indel errors were seen (or none are recorded).",
    );
}

fn calls_table(out: &mut String, calls: &Calls, column: usize) {
    let _ = write!(
        out,
        "<h3>Calls ({} records, {} PASS)</h3>",
        calls.rows.len(),
        calls.rows.iter().filter(|r| r.passes()).count()
    );
    if calls.rows.is_empty() {
        note(out, "The VCF holds no records.");
        return;
    }
    let f = |v: Option<f64>| v.map_or("—".to_string(), svg::fmt_value);
    let rows: Vec<(Vec<Cell>, &str)> = calls
        .rows
        .iter()
        .map(|r| {
            let sc = r.samples.get(column);
            let filters = sc.map_or(r.filter.as_str(), |s| s.filters.as_str());
            let cls = if filters == "PASS" { "pass" } else { "bad" };
            let cells = vec![
                Cell::Text(r.contig.clone()),
                Cell::Num(r.pos.to_string()),
                Cell::Text(r.ref_allele.clone()),
                Cell::Text(r.alt_allele.clone()),
                Cell::Text(r.kind.clone()),
                Cell::Num(f(sc.and_then(|s| s.vaf))),
                Cell::Num(
                    sc.and_then(|s| s.alt_molecules)
                        .map_or("—".into(), |n| n.to_string()),
                ),
                Cell::Num(
                    sc.and_then(|s| s.depth)
                        .map_or("—".into(), |n| n.to_string()),
                ),
                Cell::Num(f(sc.and_then(|s| s.p_value))),
                Cell::Num(f(r.lod)),
                Cell::Html(format!("<span class=\"{cls}\">{}</span>", esc(filters))),
            ];
            (cells, if r.passes() { "" } else { "filtered" })
        })
        .collect();
    let header = [
        "contig",
        "pos",
        "ref",
        "alt",
        "type",
        "VAF",
        "alt molecules",
        "depth",
        "p",
        "LoD",
        "filters",
    ];
    html::table(out, "calls", &header, &rows);
    scatter(out, &calls.rows, column);
}

fn scatter(out: &mut String, rows: &[CallRow], column: usize) {
    let points: Vec<Point> = rows
        .iter()
        .filter_map(|r| {
            let s = r.samples.get(column)?;
            let (vaf, lod) = (s.vaf?, r.lod?);
            Some(Point {
                x: lod,
                y: vaf,
                colour: if r.passes() { GREEN } else { GREY },
                title: format!(
                    "{}:{} {}>{} VAF {} LoD {} {}",
                    r.contig,
                    r.pos,
                    r.ref_allele,
                    r.alt_allele,
                    svg::fmt_value(vaf),
                    svg::fmt_value(lod),
                    s.filters
                ),
            })
        })
        .collect();
    let svg = svg::scatter(&points, Scale::Log, "LoD (VAF)", "VAF", true);
    figure(
        out,
        "vaf-lod",
        "VAF against LoD (dashed: VAF = LoD)",
        svg,
        "No call has both a VAF and a LoD.",
    );
    html::key(out, &[(GREEN, "PASS"), (GREY, "filtered")]);
}
