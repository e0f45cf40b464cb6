//! HTML pieces of the report: escaping, the page frame with its inline
//! CSS, sections, tables and the "no data" note. No network: no external
//! style sheet, font or script.

use std::fmt::Write;

/// `s` safe inside HTML text and double-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 16px;color:#222}\
h1{font-size:22px}h2{font-size:18px;border-bottom:2px solid #ccc;margin-top:32px}h3{font-size:15px;margin:20px 0 4px}\
table{border-collapse:collapse;margin:6px 0;font-size:13px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}\
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}\
tr.filtered td{color:#777}.pass{color:#1a7f37;font-weight:600}.bad{color:#b3261e;font-weight:600}\
.note{color:#666;font-style:italic;margin:4px 0}.verdict{font-size:18px}\
svg.plot{width:100%;max-width:900px;height:auto;display:block}\
.frame{fill:none;stroke:#999}.grid{stroke:#eee}.tick{font-size:10px;fill:#555}.axis{font-size:11px;fill:#333}\
.legend{font-size:11px;font-weight:600}.ref{stroke:#444;stroke-dasharray:5 4;stroke-width:1.2}\
.key span{display:inline-block;margin-right:12px;font-size:12px}.key i{display:inline-block;width:10px;height:10px;margin-right:3px}\
details{margin:4px 0}";

/// The whole page: title, body HTML (already escaped where needed).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{}</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n",
        esc(title)
    )
}

/// A plot's block: heading, the SVG or a note saying why there is none,
/// and an optional caption. `id` names the block for checks (`data-plot`).
pub fn figure(out: &mut String, id: &str, heading: &str, svg: Option<String>, empty: &str) {
    let _ = write!(out, "<h3>{}</h3>", esc(heading));
    match svg {
        Some(svg) => {
            let _ = write!(
                out,
                "<div class=\"figure\" data-plot=\"{}\">{svg}</div>",
                esc(id)
            );
        }
        None => note(out, empty),
    }
}

/// An italic note (a section without data says so).
pub fn note(out: &mut String, text: &str) {
    let _ = write!(out, "<p class=\"note\">{}</p>", esc(text));
}

/// A table cell: text (escaped), right-aligned when numeric.
pub enum Cell {
    Text(String),
    Num(String),
    /// Already-built HTML (escaped by the caller).
    Html(String),
}

/// A table: header row, body rows, the row's CSS class, and the table's class (its name for checks).
pub fn table(out: &mut String, id: &str, header: &[&str], rows: &[(Vec<Cell>, &str)]) {
    let _ = write!(out, "<table class=\"{}\"><thead><tr>", esc(id));
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for (cells, class) in rows {
        if class.is_empty() {
            out.push_str("<tr>");
        } else {
            let _ = write!(out, "<tr class=\"{class}\">");
        }
        for c in cells {
            let _ = match c {
                Cell::Text(t) => write!(out, "<td>{}</td>", esc(t)),
                Cell::Num(t) => write!(out, "<td class=\"n\">{}</td>", esc(t)),
                Cell::Html(t) => write!(out, "<td>{t}</td>"),
            };
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// A colour key: (colour, label) swatches.
pub fn key(out: &mut String, items: &[(&str, &str)]) {
    out.push_str("<div class=\"key\">");
    for (colour, label) in items {
        let _ = write!(
            out,
            "<span><i style=\"background:{colour}\"></i>{}</span>",
            esc(label)
        );
    }
    out.push_str("</div>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>"a"&'b'</script>"#),
            "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn a_table_escapes_text_cells() {
        let mut out = String::new();
        table(
            &mut out,
            "t",
            &["a<b"],
            &[(vec![Cell::Text("<i>".into())], "filtered")],
        );
        assert!(out.contains("<th>a&lt;b</th>") && out.contains("<td>&lt;i&gt;</td>"));
        assert!(out.contains("<tr class=\"filtered\">"));
    }
}
