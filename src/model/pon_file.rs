//! The panel-of-normals file (`ctdna pon -o normals.pon`): a bgzipped,
//! tab-separated text file with a JSON header line. `docs/pon.md` documents
//! every column and says why this format.
//!
//! ```text
//! ##ctdna-pon={"format":"ctdna-pon","format_version":2,...,"molecules":{"kind":"fragments"},...}
//! #contig  pos  ref  alt  normals  carriers  germline  alt_sum  depth_sum  alpha  beta  f1r2_alt  f1r2_depth  f1r2_alpha  f1r2_beta  f2r1_alt  f2r1_depth  f2r1_alpha  f2r1_beta  per_normal
//! chr1     1001 A    C    10       0         0         1        20113      inf    inf   ...       0/2011,1/1990,...
//! ```

#[cfg(test)]
use super::pon::SiteFit;
use super::pon::{slot_name, slot_of, AlleleSummary, BuildParams, Count, Fit, Pon, PonRow};
use crate::atomic::{Guarded, Pending};
use crate::evidence::umi::Molecules;
use crate::evidence::ReadFilter;
use crate::hash::Fnv1a64;
use crate::reference::{Contig, Reference};
use crate::regions::Target;
use crate::{Error, Result};
use std::io::{BufRead, Write};
use std::path::Path;

/// Value of the header's `format` field.
pub const FORMAT: &str = "ctdna-pon";
/// Bumped whenever a column or a header field changes meaning. Version 2
/// added `molecules`; version 1 files (always counted fragments) are still
/// read, as fragment PoNs. Version 3 added the end line; versions 1 and 2
/// are still read, with a warning that a cut file cannot be told.
pub const FORMAT_VERSION: u32 = 3;

const HEADER_PREFIX: &str = "##ctdna-pon=";
/// The last line: `#end<TAB>rows=N<TAB>fnv1a64=HEX`, the number of data
/// lines and the FNV-1a hash of their bytes (newlines included). A file
/// cut anywhere, even at a line boundary and compressed again, lacks it
/// or disagrees with it.
const END_PREFIX: &str = "#end\t";
const COLUMNS: &str = "#contig\tpos\tref\talt\tnormals\tcarriers\tgermline\talt_sum\tdepth_sum\talpha\tbeta\tf1r2_alt\tf1r2_depth\tf1r2_alpha\tf1r2_beta\tf2r1_alt\tf2r1_depth\tf2r1_alpha\tf2r1_beta\tper_normal";

/// Identity of a panel: its merged targets, as a count, a length and an
/// FNV-1a 64-bit hash of `contig<TAB>start<TAB>end<LF>` lines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PanelId {
    pub targets: usize,
    pub bases: u64,
    pub fnv1a64: String,
}

impl PanelId {
    pub fn of(targets: &[Target]) -> Self {
        let mut h = Fnv1a64::default();
        for t in targets {
            h.write(format!("{}\t{}\t{}\n", t.contig, t.start, t.end).as_bytes());
        }
        let h = h.finish();
        PanelId {
            targets: targets.len(),
            bases: targets.iter().map(Target::len).sum(),
            fnv1a64: format!("{h:016x}"),
        }
    }
}

fn fragments() -> Molecules {
    Molecules::Fragments
}

/// The header line's content.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PonHeader {
    pub format: String,
    pub format_version: u32,
    pub ctdna_version: String,
    /// Read and base filters the counts were made with (must match `call`'s).
    pub filters: serde_json::Value,
    /// What a molecule is in the counts: fragments or a UMI tier with its
    /// consensus settings (must match `call`'s). Absent in version 1, which
    /// only counted fragments.
    #[serde(default = "fragments")]
    pub molecules: Molecules,
    /// The reference's contigs (a PoN from another build is refused).
    pub contigs: Vec<Contig>,
    /// The merged panel BED (a PoN for another panel is refused).
    pub panel: PanelId,
    /// Normal sample names, in `per_normal` order.
    pub normals: Vec<String>,
    pub build: BuildParams,
    /// How (alpha, beta) were fitted.
    pub fit: String,
}

impl PonHeader {
    pub fn new(
        reference: &Reference,
        filter: &ReadFilter,
        molecules: Molecules,
        panel: &[Target],
        normals: Vec<String>,
        build: BuildParams,
    ) -> Self {
        PonHeader {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            ctdna_version: env!("CARGO_PKG_VERSION").into(),
            filters: serde_json::to_value(filter).unwrap_or_default(),
            molecules,
            contigs: reference.contigs.clone(),
            panel: PanelId::of(panel),
            normals,
            build,
            fit: "method-of-moments over non-germline normals (docs/model.md)".into(),
        }
    }
}

/// `inf` or 6 significant digits: parses back to a value that prints the same.
fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6e}")
    } else {
        "inf".into()
    }
}

fn fit_cols(f: &Fit, with_counts: bool, out: &mut String) {
    if with_counts {
        out.push_str(&format!("\t{}\t{}", f.alt, f.depth));
    }
    out.push_str(&format!("\t{}\t{}", num(f.alpha), num(f.beta)));
}

/// One data line (with its newline).
pub fn row_line(r: &PonRow, contigs: &[Contig]) -> String {
    let s = &r.summary;
    let mut out = format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
        contigs[r.rid].name,
        r.pos0 + 1,
        r.ref_base as char,
        slot_name(r.slot),
        s.normals,
        s.carriers,
        s.germline
    );
    fit_cols(&s.fit, true, &mut out);
    fit_cols(&s.f1r2, true, &mut out);
    fit_cols(&s.f2r1, true, &mut out);
    out.push('\t');
    let per: Vec<String> = s
        .per_normal
        .iter()
        .map(|c| format!("{}/{}", c.alt, c.depth))
        .collect();
    out.push_str(&per.join(","));
    out.push('\n');
    out
}

/// Writes a PoN file under a temporary name; [`PonWriter::finish`] moves it
/// into place.
pub struct PonWriter {
    inner: std::io::BufWriter<Guarded<rust_htslib::bgzf::Writer>>,
    pending: Pending,
    contigs: Vec<Contig>,
    /// Data lines written so far, and the hash of their bytes.
    rows: u64,
    hash: Fnv1a64,
}

impl PonWriter {
    /// Reserve `path` and write the header.
    pub fn create(path: &Path, header: &PonHeader) -> Result<Self> {
        let pending = Pending::new(path)?;
        let w = (pending.create_locked(|t| rust_htslib::bgzf::Writer::from_path(t)))
            .map_err(|e| Error::hts(format!("{}: opening for bgzip output", path.display()), e))?;
        let mut pw = PonWriter {
            inner: std::io::BufWriter::new(Guarded(w)),
            pending,
            contigs: header.contigs.clone(),
            rows: 0,
            hash: Fnv1a64::default(),
        };
        let json = serde_json::to_string(header)
            .map_err(|e| Error::Runtime(format!("serialising the PoN header: {e}")))?;
        pw.write(&format!("{HEADER_PREFIX}{json}\n{COLUMNS}\n"))?;
        Ok(pw)
    }

    fn write(&mut self, text: &str) -> Result<()> {
        self.inner
            .write_all(text.as_bytes())
            .map_err(|e| Error::io(&self.pending.path, e))
    }

    /// Append rows (in panel order).
    pub fn rows(&mut self, rows: &[PonRow]) -> Result<()> {
        let mut buf = String::new();
        for r in rows {
            buf.push_str(&row_line(r, &self.contigs));
        }
        self.rows += rows.len() as u64;
        self.hash.write(buf.as_bytes());
        self.write(&buf)
    }

    /// Flush and close the BGZF stream: the finished file, for the caller
    /// to commit.
    pub fn finish(mut self) -> Result<Pending> {
        let end = end_line(self.rows, self.hash.finish());
        self.write(&end)?;
        let path = self.pending.path.clone();
        let w = self
            .inner
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        // Dropping the writer writes the BGZF EOF block.
        drop(w);
        Ok(self.pending)
    }
}

fn end_line(rows: u64, hash: u64) -> String {
    format!("{END_PREFIX}rows={rows}\tfnv1a64={hash:016x}\n")
}

/// A file that ends early or whose rows disagree with its end line.
fn truncated(path: &Path, msg: String) -> Error {
    Error::bad_input(
        path,
        format!("truncated panel of normals: {msg}"),
        "build it again with `ctdna pon`",
    )
}

fn bad(path: &Path, line: usize, msg: impl Into<String>) -> Error {
    Error::BadLine {
        path: path.to_path_buf(),
        line,
        msg: msg.into(),
    }
}

fn parse_fit(f: &[&str], path: &Path, line: usize) -> Result<Fit> {
    let int = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| bad(path, line, format!("'{s}' is not a count")))
    };
    let float = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|x| *x > 0.0)
            .ok_or_else(|| bad(path, line, format!("'{s}' is not a positive number or inf")))
    };
    Ok(Fit {
        alt: int(f[0])?,
        depth: int(f[1])?,
        alpha: float(f[2])?,
        beta: float(f[3])?,
    })
}

/// A PoN whose compressed data stops or breaks off mid-block (htslib's
/// "Can not read"): bad input saying so, not an I/O failure.
fn cut_short(path: &Path, line: usize, e: std::io::Error) -> Error {
    bad(
        path,
        line,
        format!("cannot be read here ({e}): the panel of normals is truncated or corrupt; build it again with `ctdna pon` (or copy it again)"),
    )
}

/// Read a PoN file: its header and every row, per-normal counts included.
pub fn read(path: &Path) -> Result<(PonHeader, Vec<PonRow>)> {
    let mut rows = Vec::new();
    let header = for_each_row(path, true, |r| rows.push(r))?;
    Ok((header, rows))
}

/// Read a PoN file into the compact table `call` uses, one row at a time.
pub fn read_table(path: &Path) -> Result<(PonHeader, Pon)> {
    let mut pon = Pon::default();
    let header = for_each_row(path, false, |r| pon.push(&r))?;
    Ok((header, pon.finish()))
}

/// Parse the header, then hand every row to `f` (`per_normal` parsed only
/// when asked).
fn for_each_row(
    path: &Path,
    keep_per_normal: bool,
    mut emit: impl FnMut(PonRow),
) -> Result<PonHeader> {
    let not_pon = |why: String| {
        Error::bad_input(
            path,
            format!("not a ctdna panel of normals ({why})"),
            "build one with `ctdna pon --bam normal1.bam --bam normal2.bam ... -r ref.fa -t panel.bed -o normals.pon`",
        )
    };
    if !path.exists() {
        return Err(Error::bad_input(
            path,
            "panel of normals not found",
            "give the file written by `ctdna pon`",
        ));
    }
    let r = crate::bgzf_in::open(path).map_err(|e| not_pon(e.to_string()))?;
    let mut lines = std::io::BufReader::new(r).lines();
    let first = match lines.next() {
        Some(Ok(l)) => l,
        Some(Err(e)) => return Err(cut_short(path, 1, e)),
        // Bytes beyond an end-of-file block, yet no line: cut short.
        None if std::fs::metadata(path).is_ok_and(|m| m.len() > 28) => {
            let e = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no complete line");
            return Err(cut_short(path, 1, e));
        }
        None => return Err(not_pon("empty file".into())),
    };
    let json = first
        .strip_prefix(HEADER_PREFIX)
        .ok_or_else(|| not_pon(format!("first line does not start with {HEADER_PREFIX}")))?;
    let header: PonHeader = serde_json::from_str(json).map_err(|e| not_pon(e.to_string()))?;
    if header.format != FORMAT || !(1..=FORMAT_VERSION).contains(&header.format_version) {
        return Err(not_pon(format!(
            "format {} v{}, this ctdna reads {FORMAT} v1 to v{FORMAT_VERSION}",
            header.format, header.format_version
        )));
    }
    if header.format_version == 1 && header.molecules != Molecules::Fragments {
        return Err(not_pon(
            "a version 1 header cannot record UMI molecules".into(),
        ));
    }
    let contig_index: std::collections::HashMap<&str, usize> = header
        .contigs
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let (mut rows, mut hash, mut end) = (0u64, Fnv1a64::default(), None);
    for (i, l) in lines.enumerate() {
        let line_no = i + 2;
        let l = l.map_err(|e| cut_short(path, line_no, e))?;
        if end.is_some() && !l.is_empty() {
            return Err(bad(path, line_no, "a line after the end line"));
        }
        if l.starts_with(END_PREFIX) {
            end = Some(l);
            continue;
        }
        if l.starts_with('#') || l.is_empty() {
            continue;
        }
        rows += 1;
        hash.write(l.as_bytes());
        hash.write(b"\n");
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() != 20 {
            return Err(bad(
                path,
                line_no,
                format!("{} columns, expected 20", f.len()),
            ));
        }
        let rid = *contig_index.get(f[0]).ok_or_else(|| {
            bad(
                path,
                line_no,
                format!("contig {} is not in the header", f[0]),
            )
        })?;
        let pos1: u64 = f[1]
            .parse()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| bad(path, line_no, format!("bad position '{}'", f[1])))?;
        let slot =
            slot_of(f[3]).ok_or_else(|| bad(path, line_no, format!("bad alt '{}'", f[3])))?;
        let small = |s: &str| {
            s.parse::<u32>()
                .map_err(|_| bad(path, line_no, format!("'{s}' is not a count")))
        };
        let per_normal = if keep_per_normal {
            f[19]
                .split(',')
                .filter(|x| !x.is_empty())
                .map(|x| {
                    let (a, d) = x
                        .split_once('/')
                        .ok_or_else(|| bad(path, line_no, format!("bad per-normal count '{x}'")))?;
                    Ok(Count {
                        alt: small(a)?,
                        depth: small(d)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        emit(PonRow {
            rid,
            pos0: pos1 - 1,
            ref_base: f[2].as_bytes().first().copied().unwrap_or(b'N'),
            slot,
            summary: AlleleSummary {
                normals: small(f[4])?,
                carriers: small(f[5])?,
                germline: small(f[6])?,
                fit: parse_fit(&f[7..11], path, line_no)?,
                f1r2: parse_fit(&f[11..15], path, line_no)?,
                f2r1: parse_fit(&f[15..19], path, line_no)?,
                per_normal,
            },
        });
    }
    check_end(path, &header, end, rows, hash.finish())?;
    Ok(header)
}

/// Version 3 and later: the end line is there and agrees with the rows.
fn check_end(
    path: &Path,
    header: &PonHeader,
    end: Option<String>,
    rows: u64,
    hash: u64,
) -> Result<()> {
    if header.format_version < 3 {
        log::warn!(
            "{}: format v{} has no end line, so a cut file cannot be told from a whole one; build it again with `ctdna pon` to have it checked",
            path.display(),
            header.format_version
        );
        return Ok(());
    }
    match end {
        None => Err(truncated(
            path,
            format!("it ends after {rows} rows, without its end line"),
        )),
        Some(l) if l != end_line(rows, hash).trim_end() => Err(truncated(
            path,
            format!("its {rows} rows do not match the end line '{l}' (cut or edited)"),
        )),
        Some(_) => Ok(()),
    }
}

/// Load a PoN for `call` and check it was built for this run: same
/// reference contigs, same read filters, same molecules (fragments or UMI
/// tier), same panel. Exit code 2 otherwise.
///
/// METHOD: a PoN of other molecules is refused, not warned about. Its
/// per-site rates are the null of the test, and they are in the units of
/// its molecules: fragment rates under a consensus test only cost
/// sensitivity, but consensus rates under a fragment (or lower-tier) test
/// are several-fold too low and make PCR and sequencing errors PASS. A
/// warning would be right in one direction only and is easy to miss in a
/// pipeline log; the refusal names both remedies (count the PoN's
/// molecules, or rebuild the PoN with this run's UMI options).
pub fn load_checked(
    path: &Path,
    reference: &Reference,
    filter: &ReadFilter,
    molecules: &Molecules,
    panel: &[Target],
) -> Result<(PonHeader, Pon)> {
    let (header, pon) = read_table(path)?;
    let refuse = |msg: String| {
        Error::bad_input(
            path,
            format!("this panel of normals does not fit the run: {msg}"),
            "build the PoN with the same reference, panel BED and read-filter options as `call` (`ctdna pon`)",
        )
    };
    if header.contigs != reference.contigs {
        return Err(refuse(format!(
            "it was built against another reference than {}",
            reference.path.display()
        )));
    }
    let ours = serde_json::to_value(filter).unwrap_or_default();
    if header.filters != ours {
        return Err(refuse(format!(
            "it was built with other read filters ({} here: {ours})",
            header.filters
        )));
    }
    molecules.check_file(
        &header.molecules,
        path,
        "panel of normals",
        "build the PoN again (`ctdna pon`)",
    )?;
    let id = PanelId::of(panel);
    if header.panel != id {
        return Err(refuse(format!(
            "it was built for another panel ({} targets, {} bp; this --targets has {} targets, {} bp)",
            header.panel.targets, header.panel.bases, id.targets, id.bases
        )));
    }
    if header.ctdna_version != env!("CARGO_PKG_VERSION") {
        log::warn!(
            "{}: built by ctdna {}, this is {}",
            path.display(),
            header.ctdna_version,
            env!("CARGO_PKG_VERSION")
        );
    }
    Ok((header, pon))
}

/// Load a PoN for a run: check it against the reference, read filters,
/// molecules and the run's panel (`panel`: the merged targets of the panel
/// BED, read by the caller), and validate the prior weight.
pub fn load_for_run(
    path: &Path,
    panel: Option<&[Target]>,
    reference: &Reference,
    filter: &ReadFilter,
    molecules: &Molecules,
    params: super::pon::UseParams,
) -> Result<super::pon::LoadedPon> {
    let Some(panel) = panel else {
        return Err(Error::Usage(
            "--pon needs --targets: the panel BED the PoN was built for".into(),
        ));
    };
    let w = params.prior_weight;
    if !(w.is_finite() && w > 0.0) {
        return Err(Error::Usage(format!(
            "--pon-prior-weight must be a positive number of molecules (got {w})"
        )));
    }
    let (header, pon) = load_checked(path, reference, filter, molecules, panel)?;
    log::info!(
        "panel of normals {}: {} normals, {} rows, {}",
        path.display(),
        header.normals.len(),
        pon.len(),
        header.molecules.name()
    );
    Ok(super::pon::LoadedPon {
        pon,
        normals: header.normals.len(),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pon::{summarize, NormalObs, DEL};

    fn row(pos0: u64, slot: usize, counts: &[(u32, u32)]) -> PonRow {
        let obs: Vec<NormalObs> = counts
            .iter()
            .map(|&(a, d)| NormalObs {
                all: Count { alt: a, depth: d },
                f1r2: Count {
                    alt: a / 2,
                    depth: d / 2,
                },
                f2r1: Count {
                    alt: a - a / 2,
                    depth: d - d / 2,
                },
            })
            .collect();
        PonRow {
            rid: 1,
            pos0,
            ref_base: b'C',
            slot,
            summary: summarize(&obs, &BuildParams::default()),
        }
    }

    #[test]
    fn rows_and_header_round_trip_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let contigs = vec![
            Contig {
                name: "chr1".into(),
                len: 1000,
            },
            Contig {
                name: "chr2".into(),
                len: 500,
            },
        ];
        let header = PonHeader {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            ctdna_version: "x".into(),
            filters: serde_json::json!({"min_mapq": 20}),
            molecules: Molecules::Umi {
                min_tier: crate::evidence::umi::Tier::Single,
                min_family: 2,
                min_agreement: 0.9,
            },
            contigs: contigs.clone(),
            panel: PanelId {
                targets: 1,
                bases: 100,
                fnv1a64: "0".into(),
            },
            normals: vec!["a".into(), "b".into(), "c".into()],
            build: BuildParams::default(),
            fit: "mom".into(),
        };
        let rows = vec![
            row(10, 0, &[(0, 900), (1, 1000), (0, 0)]),
            row(10, DEL, &[(3, 900), (30, 1000), (9, 950)]),
            row(11, 3, &[(500, 1000), (2, 1000), (4, 998)]),
        ];
        assert!(rows[1].summary.fit.rho() > 0.0);
        let path = dir.path().join("n.pon");
        let mut w = PonWriter::create(&path, &header).unwrap();
        w.rows(&rows).unwrap();
        w.finish().unwrap().commit().unwrap();
        let (h2, back) = read(&path).unwrap();
        assert_eq!(h2, header);
        assert_eq!(back.len(), 3);
        for (a, b) in rows.iter().zip(&back) {
            assert_eq!(row_line(a, &contigs), row_line(b, &contigs));
            assert_eq!(a.summary.per_normal, b.summary.per_normal);
        }
        // The compact table `call` loads holds the same fits (as written:
        // 7 digits, so compared with the rows read back).
        let (_, table) = read_table(&path).unwrap();
        assert_eq!(table.len(), 3);
        for r in &back {
            assert_eq!(
                table.get(r.rid, r.pos0, r.slot),
                Some(&SiteFit::of(&r.summary))
            );
        }
        assert!(table.get(1, 11, 2).is_none());
        assert!(table.get(0, 10, 0).is_none());
        // Rows out of order are sorted.
        let shuffled = Pon::from_rows(&[back[2].clone(), back[0].clone(), back[1].clone()]);
        assert_eq!(shuffled.get(1, 10, DEL), table.get(1, 10, DEL));
    }

    /// Decompressed text of a BGZF file, and writing one.
    fn unzip(p: &Path) -> String {
        let mut t = String::new();
        let mut r = rust_htslib::bgzf::Reader::from_path(p).unwrap();
        std::io::Read::read_to_string(&mut r, &mut t).unwrap();
        t
    }

    fn rezip(p: &Path, text: &str) {
        let mut w = rust_htslib::bgzf::Writer::from_path(p).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn a_file_cut_at_a_line_boundary_or_edited_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let contigs = vec![Contig {
            name: "chr1".into(),
            len: 1000,
        }];
        let header = PonHeader {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            ctdna_version: "x".into(),
            filters: serde_json::json!({}),
            molecules: Molecules::Fragments,
            contigs,
            panel: PanelId::of(&[]),
            normals: vec!["a".into(), "b".into()],
            build: BuildParams::default(),
            fit: "mom".into(),
        };
        let mut rows = vec![
            row(10, 0, &[(0, 900), (1, 1000)]),
            row(11, 2, &[(3, 900), (30, 1000)]),
            row(12, 3, &[(0, 1000), (2, 1000)]),
        ];
        for r in &mut rows {
            r.rid = 0;
        }
        let path = dir.path().join("n.pon");
        let mut w = PonWriter::create(&path, &header).unwrap();
        w.rows(&rows).unwrap();
        w.finish().unwrap().commit().unwrap();
        assert_eq!(read(&path).unwrap().1.len(), 3);
        let text = unzip(&path);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(lines[5].starts_with("#end\trows=3\tfnv1a64="), "{text}");
        let cut = dir.path().join("cut.pon");
        // Cut at every line boundary after the header, compressed again.
        for keep in 2..6 {
            rezip(&cut, &(lines[..keep].join("\n") + "\n"));
            let e = read_table(&cut).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            assert!(e.to_string().contains("truncated panel of normals"), "{e}");
            assert!(e.to_string().contains("ctdna pon"), "{e}");
        }
        // A row dropped from the middle, or a number changed.
        let dropped = [&lines[..3], &lines[4..]].concat().join("\n") + "\n";
        rezip(&cut, &dropped);
        assert!(read(&cut).unwrap_err().to_string().contains("do not match"));
        rezip(&cut, &text.replacen("0/900", "0/901", 1));
        assert!(read(&cut).unwrap_err().to_string().contains("do not match"));
        rezip(&cut, &(text.clone() + lines[3] + "\n"));
        assert!(read(&cut)
            .unwrap_err()
            .to_string()
            .contains("after the end line"));
        // Version 2 files have no end line: still read.
        let v2 = text
            .replacen("\"format_version\":3", "\"format_version\":2", 1)
            .replace(&format!("{}\n", lines[5]), "");
        rezip(&cut, &v2);
        assert_eq!(read(&cut).unwrap().1.len(), 3);
    }

    #[test]
    fn other_files_are_refused_with_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.pon");
        std::fs::write(&p, "chr1\t1\n").unwrap();
        let e = read(&p).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains("not a ctdna panel of normals"),
            "{e}"
        );
    }

    /// A PoN cut in the middle of a compressed block: bad input naming the
    /// file and saying to rebuild it (htslib only says "Can not read").
    #[test]
    fn a_pon_cut_mid_block_is_called_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cut.pon");
        let header = r#"{"format":"ctdna-pon","format_version":1,"ctdna_version":"0.1.0","filters":{},"contigs":[{"name":"chr1","len":1000}],"panel":{"targets":1,"bases":10,"fnv1a64":"0"},"normals":["a"],"build":{"germline_vaf":0.25,"carrier_min_alt":2},"fit":"mom"}"#;
        let mut w = rust_htslib::bgzf::Writer::from_path(&p).unwrap();
        w.write_all(format!("{HEADER_PREFIX}{header}\n{COLUMNS}\n").as_bytes())
            .unwrap();
        w.flush().unwrap();
        for i in 0..2000u64 {
            let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            w.write_all(format!("# {x:x} {}\n", x.rotate_left(17)).as_bytes())
                .unwrap();
        }
        drop(w);
        let bytes = std::fs::read(&p).unwrap();
        // BGZF block sizes sit at bytes 16-17 of each block.
        let first_block = u16::from_le_bytes([bytes[16], bytes[17]]) as usize + 1;
        assert!(bytes.len() > first_block + 1000);
        for cut in [first_block + 500, first_block / 2] {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            let e = read(&p).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            let m = e.to_string();
            assert!(m.contains("cut.pon:") && m.contains("truncated"), "{m}");
            assert!(m.contains("ctdna pon"), "{m}");
        }
    }

    /// Version 1 headers have no `molecules`: they were always built from
    /// fragments, and read as such; a UMI run refuses them by name.
    #[test]
    fn version_1_files_are_fragment_pons() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v1.pon");
        let header = r#"{"format":"ctdna-pon","format_version":1,"ctdna_version":"0.1.0","filters":{},"contigs":[{"name":"chr1","len":1000}],"panel":{"targets":1,"bases":10,"fnv1a64":"0"},"normals":["a"],"build":{"germline_vaf":0.25,"carrier_min_alt":2},"fit":"mom"}"#;
        let mut w = rust_htslib::bgzf::Writer::from_path(&p).unwrap();
        w.write_all(format!("{HEADER_PREFIX}{header}\n{COLUMNS}\n").as_bytes())
            .unwrap();
        drop(w);
        let (h, rows) = read(&p).unwrap();
        assert!(rows.is_empty());
        assert_eq!(h.molecules, Molecules::Fragments);
        let single = Molecules::Umi {
            min_tier: crate::evidence::umi::Tier::Single,
            min_family: 2,
            min_agreement: 0.9,
        };
        let e = single
            .check_file(&h.molecules, &p, "panel of normals", "build it again")
            .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(msg.contains("fitted on fragments"), "{msg}");
        assert!(msg.contains("tier single or better"), "{msg}");
        assert!(msg.contains("--no-umi"), "{msg}");
        assert!(Molecules::Fragments
            .check_file(&h.molecules, &p, "panel of normals", "x")
            .is_ok());
        // A version this ctdna does not know is refused.
        let v9 = dir.path().join("v9.pon");
        let mut w = rust_htslib::bgzf::Writer::from_path(&v9).unwrap();
        w.write_all(
            format!(
                "{HEADER_PREFIX}{}\n",
                header.replace("\"format_version\":1", "\"format_version\":9")
            )
            .as_bytes(),
        )
        .unwrap();
        drop(w);
        assert!(read(&v9).unwrap_err().to_string().contains("v9"));
    }

    #[test]
    fn panel_id_depends_on_every_interval() {
        let t = |s| Target {
            rid: 0,
            contig: "chr1".into(),
            start: s,
            end: 200,
        };
        assert_ne!(PanelId::of(&[t(100)]), PanelId::of(&[t(101)]));
        assert_eq!(PanelId::of(&[t(100)]), PanelId::of(&[t(100)]));
    }
}
