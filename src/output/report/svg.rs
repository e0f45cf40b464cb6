//! Small hand-written SVG plots for the HTML report: bars, a histogram,
//! lines and a scatter, each an inline `<svg>` with axes, ticks and a
//! `<title>` per mark (the hover text). Every drawn mark carries the class
//! `mark`, so a check can count what a plot drew.

use super::html::esc;
use std::fmt::Write;

/// Plot area and margins, in SVG user units (the page scales the plot).
const W: f64 = 760.0;
const H: f64 = 240.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 46.0;

/// A y (or x) axis: linear from zero, or log10 over positive values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    Linear,
    Log,
}

/// One bar: label (x axis and hover), value, CSS colour.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub colour: &'static str,
}

/// One point of a scatter: x, y, colour and hover text.
#[derive(Debug, Clone)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub colour: &'static str,
    pub title: String,
}

/// One named line of a line plot: (x, y) points and colour.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub colour: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// Value range of an axis, padded to the scale; `None` when nothing to draw.
fn range(values: impl Iterator<Item = f64>, scale: Scale) -> Option<(f64, f64)> {
    let v: Vec<f64> = values
        .filter(|v| v.is_finite() && (scale == Scale::Linear || *v > 0.0))
        .collect();
    if v.is_empty() {
        return None;
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(match scale {
        Scale::Linear => (0.0_f64.min(lo), if hi > 0.0 { hi * 1.05 } else { 1.0 }),
        Scale::Log => (
            10f64.powf(lo.log10().floor()),
            10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
        ),
    })
}

/// Where value `v` falls on an axis of pixel length `len` (0 = low end).
fn place(v: f64, (lo, hi): (f64, f64), scale: Scale, len: f64) -> f64 {
    let f = match scale {
        Scale::Linear => (v - lo) / (hi - lo),
        Scale::Log => (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10()),
    };
    f.clamp(0.0, 1.0) * len
}

/// Tick values of an axis: 5 linear steps, or each power of ten.
fn ticks((lo, hi): (f64, f64), scale: Scale) -> Vec<f64> {
    match scale {
        Scale::Linear => (0..=4)
            .map(|i| lo + (hi - lo) * f64::from(i) / 4.0)
            .collect(),
        Scale::Log => {
            let (a, b) = (lo.log10().round() as i32, hi.log10().round() as i32);
            (a..=b).map(|e| 10f64.powi(e)).collect()
        }
    }
}

/// A number as a short tick label.
pub fn short(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v.abs() >= 1.0 {
        format!("{v:.0}")
    } else if v.abs() >= 0.01 {
        format!("{v:.2}")
    } else {
        format!("{v:.0e}")
    }
}

fn open(out: &mut String, label: &str) {
    let _ = write!(
        out,
        r#"<svg class="plot" viewBox="0 0 {W} {H}" role="img" aria-label="{}"><rect class="frame" x="{LEFT}" y="{TOP}" width="{}" height="{}"/>"#,
        esc(label),
        W - LEFT - RIGHT,
        H - TOP - BOTTOM
    );
}

/// Horizontal grid lines and y tick labels.
fn y_axis(out: &mut String, r: (f64, f64), scale: Scale, title: &str) {
    let ph = H - TOP - BOTTOM;
    for t in ticks(r, scale) {
        let y = TOP + ph - place(t, r, scale, ph);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 4.0,
            y + 3.0,
            short(t)
        );
    }
    let _ = write!(
        out,
        r#"<text class="axis" transform="translate(12,{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + ph / 2.0,
        esc(title)
    );
}

fn x_title(out: &mut String, title: &str) {
    let _ = write!(
        out,
        r#"<text class="axis" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + (W - LEFT - RIGHT) / 2.0,
        H - 4.0,
        esc(title)
    );
}

/// A bar plot; x labels are written when there are few bars (hover text
/// always names each bar). `reference`: a dashed horizontal line (a median).
pub fn bars(
    bars: &[Bar],
    scale: Scale,
    y_title: &str,
    x_title_text: &str,
    reference: Option<(f64, &str)>,
) -> Option<String> {
    let values = bars.iter().map(|b| b.value).chain(reference.map(|r| r.0));
    let r = range(values, scale)?;
    let mut out = String::new();
    open(&mut out, y_title);
    y_axis(&mut out, r, scale, y_title);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let step = pw / bars.len() as f64;
    let labelled = bars.len() <= 24;
    for (i, b) in bars.iter().enumerate() {
        let x = LEFT + step * i as f64;
        let h = if b.value.is_finite() && (scale == Scale::Linear || b.value > 0.0) {
            place(b.value, r, scale, ph)
        } else {
            0.0
        };
        let _ = write!(
            out,
            r#"<rect class="mark" x="{:.2}" y="{:.2}" width="{:.2}" height="{h:.2}" fill="{}"><title>{}: {}</title></rect>"#,
            x + step * 0.1,
            TOP + ph - h,
            (step * 0.8).max(0.5),
            b.colour,
            esc(&b.label),
            fmt_value(b.value)
        );
        if labelled {
            let _ = write!(
                out,
                r#"<text class="tick" x="{:.1}" y="{}" text-anchor="end" transform="rotate(-30 {:.1} {})">{}</text>"#,
                x + step / 2.0,
                TOP + ph + 12.0,
                x + step / 2.0,
                TOP + ph + 12.0,
                esc(&b.label)
            );
        }
    }
    if let Some((v, name)) = reference {
        let y = TOP + ph - place(v, r, scale, ph);
        let _ = write!(
            out,
            r#"<line class="ref" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"><title>{}: {}</title></line>"#,
            W - RIGHT,
            esc(name),
            fmt_value(v)
        );
    }
    if !labelled {
        x_title(&mut out, x_title_text);
    }
    out.push_str("</svg>");
    Some(out)
}

/// A value in hover text: integers as such, small rates in scientific form.
pub fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 0.01 {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

/// Lines (with a dot per point) over a shared x axis.
pub fn lines(
    series: &[Series],
    x_scale: Scale,
    y_scale: Scale,
    x_title_text: &str,
    y_title: &str,
) -> Option<String> {
    let all = || series.iter().flat_map(|s| s.points.iter());
    let xr = range(all().map(|p| p.0), x_scale)?;
    let yr = range(all().map(|p| p.1), y_scale)?;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut out = String::new();
    xy_frame(
        &mut out,
        (xr, x_scale),
        (yr, y_scale),
        (x_title_text, y_title),
    );
    for (k, s) in series.iter().enumerate() {
        let shown = |&&(x, y): &&(f64, f64)| {
            x.is_finite() && y.is_finite() && (y_scale == Scale::Linear || y > 0.0)
        };
        let xy: Vec<(f64, f64, f64, f64)> = s
            .points
            .iter()
            .filter(shown)
            .map(|&(x, y)| {
                let px = LEFT + place(x, xr, x_scale, pw);
                (x, y, px, TOP + ph - place(y, yr, y_scale, ph))
            })
            .collect();
        let path: Vec<String> = xy
            .iter()
            .map(|p| format!("{:.1},{:.1}", p.2, p.3))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>"#,
            s.colour,
            path.join(" ")
        );
        for (x, y, px, py) in xy {
            let _ = write!(
                out,
                r#"<circle class="mark" cx="{px:.1}" cy="{py:.1}" r="3" fill="{}"><title>{}: {} → {}</title></circle>"#,
                s.colour,
                esc(&s.name),
                fmt_value(x),
                fmt_value(y)
            );
        }
        let _ = write!(
            out,
            r#"<text class="legend" x="{}" y="{}" fill="{}">{}</text>"#,
            W - RIGHT - 150.0,
            TOP + 14.0 + 13.0 * k as f64,
            s.colour,
            esc(&s.name)
        );
    }
    out.push_str("</svg>");
    Some(out)
}

/// The frame of a plot with two numeric axes: the opening tag, both axes
/// with their ticks and titles.
fn xy_frame(
    out: &mut String,
    (xr, x_scale): ((f64, f64), Scale),
    (yr, y_scale): ((f64, f64), Scale),
    (x_title_text, y_title): (&str, &str),
) {
    open(out, y_title);
    y_axis(out, yr, y_scale, y_title);
    x_ticks(out, xr, x_scale);
    x_title(out, x_title_text);
}

fn x_ticks(out: &mut String, r: (f64, f64), scale: Scale) {
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    for t in ticks(r, scale) {
        let x = LEFT + place(t, r, scale, pw);
        let _ = write!(
            out,
            r#"<text class="tick" x="{x:.1}" y="{}" text-anchor="middle">{}</text>"#,
            TOP + ph + 13.0,
            short(t)
        );
    }
}

/// A scatter plot; `diagonal` draws y = x (dashed) across the plot.
pub fn scatter(
    points: &[Point],
    scale: Scale,
    x_title_text: &str,
    y_title: &str,
    diagonal: bool,
) -> Option<String> {
    let both = points.iter().flat_map(|p| [p.x, p.y]);
    let r = range(both, scale)?;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut out = String::new();
    xy_frame(&mut out, (r, scale), (r, scale), (x_title_text, y_title));
    if diagonal {
        let _ = write!(
            out,
            r#"<line class="ref" x1="{LEFT}" y1="{}" x2="{}" y2="{TOP}"><title>VAF = LoD</title></line>"#,
            TOP + ph,
            W - RIGHT
        );
    }
    // A log axis puts NaN at its low end; a linear one would write "NaN".
    for p in points.iter().filter(|p| p.x.is_finite() && p.y.is_finite()) {
        let (x, y) = (
            LEFT + place(p.x, r, scale, pw),
            TOP + ph - place(p.y, r, scale, ph),
        );
        let _ = write!(
            out,
            r#"<circle class="mark" cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{}" fill-opacity="0.75"><title>{}</title></circle>"#,
            p.colour,
            esc(&p.title)
        );
    }
    out.push_str("</svg>");
    Some(out)
}

/// One time point of an interval plot: a value with its interval.
#[derive(Debug, Clone)]
pub struct Interval {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub colour: &'static str,
}

/// Values with interval whiskers over labelled, evenly spaced x positions,
/// joined by a line (a trajectory); a missing interval draws no whisker.
pub fn intervals(points: &[Interval], y_title: &str) -> Option<String> {
    let all = points.iter().flat_map(|p| [p.value, p.low, p.high]);
    let r = range(all, Scale::Linear)?;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut out = String::new();
    open(&mut out, y_title);
    y_axis(&mut out, r, Scale::Linear, y_title);
    let step = pw / points.len() as f64;
    let y = |v: f64| TOP + ph - place(v, r, Scale::Linear, ph);
    let xy: Vec<(f64, f64)> = (0..points.len())
        .map(|i| (LEFT + step * (i as f64 + 0.5), y(points[i].value)))
        .collect();
    let line: Vec<String> = xy.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    let _ = write!(
        out,
        r##"<polyline fill="none" stroke="#777" stroke-width="1.5" points="{}"/>"##,
        line.join(" ")
    );
    for (p, &(x, py)) in points.iter().zip(&xy) {
        if p.low.is_finite() && p.high.is_finite() && p.value.is_finite() {
            let _ = write!(
                out,
                r#"<line stroke="{}" stroke-width="2" x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}"/>"#,
                p.colour,
                y(p.low),
                y(p.high)
            );
        }
        let _ = write!(
            out,
            r#"<circle class="mark" cx="{x:.1}" cy="{py:.1}" r="4.5" fill="{}"><title>{}: {} ({} – {})</title></circle><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            p.colour,
            esc(&p.label),
            fmt_value(p.value),
            fmt_value(p.low),
            fmt_value(p.high),
            TOP + ph + 14.0,
            esc(&p.label)
        );
    }
    out.push_str("</svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64) -> Bar {
        Bar {
            label: label.into(),
            value,
            colour: "#333",
        }
    }

    #[test]
    fn bars_draw_one_mark_each_with_escaped_labels() {
        let svg = bars(
            &[bar("<a>", 3.0), bar("b&c", 0.0)],
            Scale::Linear,
            "reads",
            "fate",
            None,
        )
        .unwrap();
        assert_eq!(svg.matches("class=\"mark\"").count(), 2);
        assert!(svg.contains("&lt;a&gt;") && svg.contains("b&amp;c"));
        assert!(!svg.contains("<a>"));
    }

    #[test]
    fn nothing_to_draw_is_none() {
        assert!(bars(&[], Scale::Linear, "y", "x", None).is_none());
        assert!(bars(&[bar("z", 0.0)], Scale::Log, "y", "x", None).is_none());
        assert!(scatter(&[], Scale::Log, "x", "y", true).is_none());
    }

    #[test]
    fn a_log_axis_spans_whole_decades_and_places_values_inside() {
        let r = range([2e-4, 3e-2].into_iter(), Scale::Log).unwrap();
        assert_eq!(r, (1e-4, 1e-1));
        assert_eq!(ticks(r, Scale::Log).len(), 4);
        let y = place(1e-2, r, Scale::Log, 300.0);
        assert!((y - 200.0).abs() < 1e-9, "{y}");
        assert_eq!(place(1e-9, r, Scale::Log, 300.0), 0.0);
    }

    #[test]
    fn a_log_line_leaves_out_zero_rates() {
        let s = Series {
            name: "del".into(),
            colour: "#000",
            points: vec![(1.0, 0.0), (2.0, 1e-5), (3.0, 1e-3)],
        };
        let svg = lines(&[s], Scale::Linear, Scale::Log, "x", "y").unwrap();
        assert_eq!(svg.matches("class=\"mark\"").count(), 2);
    }
}
