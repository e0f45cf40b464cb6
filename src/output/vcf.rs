//! VCF 4.3 output (SPEC section 5): bgzipped with a `.tbi` index, or plain
//! text for `.vcf` / `-`. Written under a temporary name, renamed on success.

use crate::atomic::{Guarded, Pending};
use crate::calling::filters::{Filter, Thresholds};
use crate::calling::Call;
use crate::evidence::alleles::AlleleStats;
use crate::evidence::umi::Tier;
use crate::reference::Reference;
use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Header facts that are not in the calls.
pub struct HeaderInfo<'a> {
    pub reference: &'a Reference,
    pub samples: &'a [String],
    /// The matched normal's sample name (`call --normal`), one of `samples`.
    pub normal: Option<&'a str>,
    pub command_line: String,
    pub thresholds: &'a Thresholds,
    pub model: String,
    /// Run options as JSON (one line).
    pub options_json: String,
}

pub(crate) const INFO_LINES: &[&str] = &[
    r#"##INFO=<ID=DP,Number=1,Type=Integer,Description="Molecule depth at the position in the sample with the strongest evidence (fragments: overlapping mates count once)">"#,
    r#"##INFO=<ID=AF,Number=A,Type=Float,Description="Alt allele fraction in molecules, in the sample with the strongest evidence">"#,
    r#"##INFO=<ID=ERR,Number=A,Type=Float,Description="Null (background) error rate of the site's molecules: the class rates weighted by the molecules of each class">"#,
    r#"##INFO=<ID=LOD,Number=A,Type=Float,Description="Limit of detection: smallest VAF detected with 95% probability at this depth, molecule-class mix and error rates">"#,
    r#"##INFO=<ID=SB,Number=1,Type=Float,Description="Strand bias: phred-scaled two-sided Fisher test of ref/alt x forward/reverse molecules">"#,
    r#"##INFO=<ID=CONTEXT,Number=1,Type=String,Description="Reference trinucleotide centred on POS">"#,
    r#"##INFO=<ID=HP,Number=1,Type=Integer,Description="Length of the reference homopolymer run after POS (capped at 10)">"#,
    r#"##INFO=<ID=TIER,Number=1,Type=String,Description="Lowest evidence tier tested (molecules of this tier or better, each weighed by its class): raw (every molecule; fragments), single (single-strand consensus or duplex), duplex">"#,
    r#"##INFO=<ID=TYPE,Number=A,Type=String,Description="Variant type: snv, mnv (substitutions close together on the same molecules, one record), ins, del, complex">"#,
    r#"##INFO=<ID=KNOWN,Number=0,Type=Flag,Description="Allele given with --known (tested in the known-loci family)">"#,
    r#"##INFO=<ID=GERMLINE,Number=0,Type=Flag,Description="Allele fraction consistent with a germline variant">"#,
];

pub(crate) const FORMAT_LINES: &[&str] = &[
    r#"##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype: 0/1 when alt molecules were seen, else 0/0 (not a germline genotype call)">"#,
    r#"##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Molecule depth">"#,
    r#"##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Molecules supporting ref and alt (ref = molecules without the alt at the position)">"#,
    r#"##FORMAT=<ID=AF,Number=A,Type=Float,Description="Alt allele fraction in molecules">"#,
    r#"##FORMAT=<ID=ADF,Number=R,Type=Integer,Description="Ref and alt molecules on the forward strand (read 1's strand for merged fragments)">"#,
    r#"##FORMAT=<ID=ADR,Number=R,Type=Integer,Description="Ref and alt molecules on the reverse strand">"#,
    r#"##FORMAT=<ID=F1R2,Number=R,Type=Integer,Description="Ref and alt molecules in F1R2 orientation (read 1 forward or read 2 reverse)">"#,
    r#"##FORMAT=<ID=F2R1,Number=R,Type=Integer,Description="Ref and alt molecules in F2R1 orientation">"#,
    r#"##FORMAT=<ID=BQ,Number=R,Type=Float,Description="Mean base quality of ref and alt molecules (merged mates: summed, capped at 60)">"#,
    r#"##FORMAT=<ID=MQ,Number=R,Type=Float,Description="Mean mapping quality of ref and alt molecules">"#,
    r#"##FORMAT=<ID=PVAL,Number=A,Type=Float,Description="One-sided p-value of the alt molecules under the background (see ##ctdna_background_model): each molecule at its class's error rate (weighted test), or the count against a binomial of rate ERR where one class holds every molecule, or a beta-binomial of mean ERR where the panel of normals found overdispersion">"#,
    r#"##FORMAT=<ID=AMC,Number=4,Type=Integer,Description="Alt molecules by class: read (one read), pair (two agreeing mates), family (single-strand consensus), duplex">"#,
    r#"##FORMAT=<ID=FT,Number=1,Type=String,Description="Filters in this sample (PASS when none)">"#,
];

/// The header lines every ctdna VCF starts with: format, date, program,
/// command line, reference and its contigs.
pub fn preamble(command_line: &str, reference: &Reference) -> String {
    let mut s = String::new();
    s.push_str("##fileformat=VCFv4.3\n");
    s.push_str(&format!("##fileDate={}\n", file_date()));
    s.push_str(&format!("##source=ctdna {}\n", env!("CARGO_PKG_VERSION")));
    s.push_str(&format!(
        "##commandLine=\"{}\"\n",
        command_line.replace('"', "'")
    ));
    s.push_str(&format!("##reference={}\n", reference.path.display()));
    for c in &reference.contigs {
        s.push_str(&format!("##contig=<ID={},length={}>\n", c.name, c.len));
    }
    s
}

/// FORMAT lines of `call` besides [`FORMAT_LINES`].
const CALL_FORMAT_LINES: &[&str] = &[
    r#"##FORMAT=<ID=LOD,Number=A,Type=Float,Description="The sample's limit of detection: smallest VAF detected with 95% probability at its depth, molecule-class mix and error rates (with FT NotDetected: absent at this VAF)">"#,
];

/// INFO lines of a `--joint` run.
const JOINT_INFO_LINES: &[&str] = &[
    r#"##INFO=<ID=JOINT,Number=0,Type=Flag,Description="call --joint: significant on the molecules of every sample pooled (at the de novo level); each sample judged at --joint-alpha">"#,
];

/// INFO lines of a run with a matched normal.
const NORMAL_INFO_LINES: &[&str] = &[
    r#"##INFO=<ID=NLOD,Number=A,Type=Float,Description="Matched normal's limit of detection: the smallest allele fraction in the normal that its NormalEvidence test (--normal-alpha) detects with 95% probability at its depth">"#,
    r#"##INFO=<ID=NormalLowDepth,Number=0,Type=Flag,Description="The matched normal is too shallow to clear this allele: NLOD is above the allele fraction, so a blood-cell clone at that fraction could be in the normal unseen (a label, not a filter)">"#,
];

/// The full header text.
pub fn header(h: &HeaderInfo) -> String {
    let mut s = preamble(&h.command_line, h.reference);
    let normal_lines = if h.normal.is_some() {
        NORMAL_INFO_LINES
    } else {
        &[]
    };
    let joint_lines = if h.thresholds.joint_alpha.is_some() {
        JOINT_INFO_LINES
    } else {
        &[]
    };
    for l in INFO_LINES.iter().chain(normal_lines).chain(joint_lines) {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str("##FILTER=<ID=PASS,Description=\"All filters passed in at least one sample\">\n");
    for f in Filter::ALL {
        s.push_str(&format!(
            "##FILTER=<ID={},Description=\"{}\">\n",
            f.id(),
            f.description(h.thresholds).replace('"', "'")
        ));
    }
    for l in FORMAT_LINES.iter().chain(CALL_FORMAT_LINES) {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str(&format!("##ctdna_background_model={}\n", h.model));
    s.push_str(&format!("##ctdna_options={}\n", h.options_json));
    if let Some(name) = h.normal {
        s.push_str(&format!("##normal_sample={name}\n"));
    }
    s.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for name in h.samples {
        s.push('\t');
        s.push_str(name);
    }
    s.push('\n');
    s
}

/// `YYYYMMDD` in UTC, from `SOURCE_DATE_EPOCH` when set (reproducible builds).
pub fn file_date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}{m:02}{d:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Compact float: 4 significant digits in scientific form below 1e-3.
pub fn float(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() < 1e-3 {
        format!("{x:.3e}")
    } else {
        let s = format!("{x:.4}");
        let s = s.trim_end_matches('0');
        s.trim_end_matches('.').to_string()
    }
}

/// An allele as VCF writes it: reference bases other than A, C, G, T, N
/// (IUPAC ambiguity codes, a few in GRCh38) become `N`, the only other
/// base a REF or ALT may hold. (`ctdna count` keeps the FASTA's letters.)
fn vcf_allele(allele: &[u8]) -> String {
    allele
        .iter()
        .map(|&b| match b.to_ascii_uppercase() {
            b @ (b'A' | b'C' | b'G' | b'T' | b'N') => char::from(b),
            _ => 'N',
        })
        .collect()
}

fn filter_field(filters: &[Filter]) -> String {
    if filters.is_empty() {
        "PASS".into()
    } else {
        filters.iter().map(|f| f.id()).collect::<Vec<_>>().join(";")
    }
}

/// FORMAT lines added in UMI mode.
const UMI_FORMAT_LINES: &[&str] = &[
    r#"##FORMAT=<ID=FAM,Number=1,Type=Integer,Description="UMI families (molecules of any tier) with a base at the position">"#,
    r#"##FORMAT=<ID=DUP,Number=A,Type=Integer,Description="Duplex molecules (both strands' consensuses agree) carrying the alt">"#,
];

/// The header with the UMI-mode FORMAT lines (after the other FORMAT lines).
pub fn with_umi_format(header: &str) -> String {
    let mut lines: Vec<&str> = header.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.starts_with("##FORMAT="))
        .map_or(lines.len(), |i| i + 1);
    for (k, l) in UMI_FORMAT_LINES.iter().enumerate() {
        lines.insert(at + k, l);
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// The FORMAT keys of [`sample_column`].
pub const SAMPLE_FORMAT: &str = "GT:DP:AD:AF:ADF:ADR:F1R2:F2R1:BQ:MQ:PVAL:AMC:FT";

/// One sample's FORMAT values, keys [`SAMPLE_FORMAT`] (shared by `call`
/// and the `mrd` loci VCF).
pub fn sample_column(
    depth: u32,
    r: &AlleleStats,
    a: &AlleleStats,
    af: f64,
    pval: f64,
    filters: &str,
) -> String {
    format!(
        "{}:{}:{},{}:{}:{},{}:{},{}:{},{}:{},{}:{},{}:{},{}:{}:{},{},{},{}:{}",
        if a.n > 0 { "0/1" } else { "0/0" },
        depth,
        r.n,
        a.n,
        float(af),
        r.fwd,
        a.fwd,
        r.rev,
        a.rev,
        r.f1r2,
        a.f1r2,
        r.f2r1,
        a.f2r1,
        float(r.mean_bq()),
        float(a.mean_bq()),
        float(r.mean_mq()),
        float(a.mean_mq()),
        float(pval),
        a.by_class[0],
        a.by_class[1],
        a.by_class[2],
        a.by_class[3],
        filters
    )
}

/// INFO/TYPE of a normalised REF/ALT pair.
pub fn variant_type(ref_allele: &[u8], alt: &[u8]) -> &'static str {
    match (ref_allele.len(), alt.len()) {
        (1, 1) => "snv",
        (r, a) if r == a => "mnv",
        (1, _) if alt[0] == ref_allele[0] => "ins",
        (_, 1) if alt[0] == ref_allele[0] => "del",
        _ => "complex",
    }
}

/// One record line; in UMI mode (`umi_tier`: the tier tested) with INFO
/// TIER set to it and the FORMAT fields FAM and DUP.
pub fn record(call: &Call, reference: &Reference, umi_tier: Option<Tier>) -> String {
    let best = &call.samples[call.best()];
    let qual = crate::model::stats::phred_ln(best.ln_p);
    let mut info = format!(
        "DP={};AF={};ERR={};LOD={};SB={};CONTEXT={};HP={};TIER={}",
        best.depth(),
        float(best.af()),
        float(best.err),
        float(best.lod),
        float(best.sb_phred),
        String::from_utf8_lossy(&call.context),
        call.homopolymer,
        umi_tier.map_or("raw", Tier::name)
    );
    info.push_str(";TYPE=");
    info.push_str(variant_type(&call.ref_allele, &call.alt_allele));
    if call.known {
        info.push_str(";KNOWN");
    }
    if best.filters.contains(&Filter::Germline) {
        info.push_str(";GERMLINE");
    }
    if call.joint {
        info.push_str(";JOINT");
    }
    if let Some(n) = &call.normal {
        info.push_str(&format!(";NLOD={}", float(n.lod)));
        if call.normal_low_depth() {
            info.push_str(";NormalLowDepth");
        }
    }
    let mut line = format!(
        "{}\t{}\t.\t{}\t{}\t{:.2}\t{}\t{}\t{SAMPLE_FORMAT}:LOD{}",
        reference.contigs[call.rid].name,
        call.pos0 + 1,
        vcf_allele(&call.ref_allele),
        vcf_allele(&call.alt_allele),
        qual.max(0.0),
        filter_field(call.site_filters()),
        info,
        if umi_tier.is_some() { ":FAM:DUP" } else { "" }
    );
    for s in &call.samples {
        let (r, a) = (&s.reference, &s.alt);
        line.push('\t');
        line.push_str(&sample_column(
            s.depth(),
            r,
            a,
            s.af(),
            s.ln_p.exp(),
            &filter_field(&s.filters),
        ));
        line.push(':');
        line.push_str(&float(s.lod));
        if umi_tier.is_some() {
            let f = s.families.unwrap_or_default();
            line.push_str(&format!(":{}:{}", f.families, f.duplex_alt));
        }
    }
    line.push('\n');
    line
}

/// How the VCF is stored, from the output path.
pub enum Destination {
    Stdout,
    Plain(PathBuf),
    Bgzip(PathBuf),
}

impl Destination {
    pub fn from_path(p: &Path) -> Self {
        let s = p.to_string_lossy();
        if s == "-" {
            Destination::Stdout
        } else if s.ends_with(".gz") || s.ends_with(".bgz") {
            Destination::Bgzip(p.to_path_buf())
        } else {
            Destination::Plain(p.to_path_buf())
        }
    }
}

/// A VCF being written (temporary name until [`VcfWriter::finish`]).
pub struct VcfWriter {
    inner: Box<dyn Write>,
    pending: Option<Pending>,
    index: bool,
}

impl VcfWriter {
    /// Reserve the output now, so an unwritable path fails before work.
    pub fn create(dest: &Destination) -> Result<Self> {
        Ok(match dest {
            Destination::Stdout => VcfWriter {
                inner: Box::new(std::io::BufWriter::new(std::io::stdout())),
                pending: None,
                index: false,
            },
            Destination::Plain(p) => {
                let pending = Pending::new(p)?;
                VcfWriter {
                    inner: Box::new(pending.open()?),
                    pending: Some(pending),
                    index: false,
                }
            }
            Destination::Bgzip(p) => {
                let pending = Pending::new(p)?;
                let w = (pending.create_locked(|t| rust_htslib::bgzf::Writer::from_path(t)))
                    .map_err(|e| {
                        Error::hts(format!("{}: opening for bgzip output", p.display()), e)
                    })?;
                VcfWriter {
                    inner: Box::new(std::io::BufWriter::new(Guarded(w))),
                    pending: Some(pending),
                    index: true,
                }
            }
        })
    }

    pub fn write(&mut self, text: &str) -> Result<()> {
        let path = self
            .pending
            .as_ref()
            .map_or(PathBuf::from("-"), |p| p.path.clone());
        self.inner
            .write_all(text.as_bytes())
            .map_err(|e| Error::io(path, e))
    }

    /// Flush, close and index: the finished file (and its index) for the
    /// caller to commit with the run's other outputs; none for stdout.
    pub fn finish(mut self) -> Result<Vec<Pending>> {
        let path = self
            .pending
            .as_ref()
            .map_or(PathBuf::from("-"), |p| p.path.clone());
        self.inner.flush().map_err(|e| Error::io(&path, e))?;
        // Dropping the writer closes the BGZF stream (writes the EOF block).
        drop(std::mem::replace(
            &mut self.inner,
            Box::new(std::io::sink()),
        ));
        let Some(pending) = self.pending.take() else {
            return Ok(Vec::new());
        };
        if self.index {
            let tmp_index = tbi_path(&pending.tmp);
            let index_pending = Pending::adopt(&tmp_index, &tbi_path(&pending.path));
            index_pending.create_locked(|_| build_tabix(&pending.tmp))?;
            Ok(vec![pending, index_pending])
        } else {
            Ok(vec![pending])
        }
    }
}

/// Every file a VCF output path puts on disk: the VCF, and its `.tbi` when
/// bgzipped (for the checks before a run).
pub fn output_files(path: &Path) -> Vec<PathBuf> {
    match Destination::from_path(path) {
        Destination::Stdout => Vec::new(),
        Destination::Plain(p) => vec![p],
        Destination::Bgzip(p) => vec![tbi_path(&p), p],
    }
}

fn tbi_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".tbi");
    PathBuf::from(s)
}

/// Build `path.tbi` for a bgzipped VCF.
#[allow(unsafe_code)]
pub fn build_tabix(path: &Path) -> Result<()> {
    let cpath = std::ffi::CString::new(path.as_os_str().to_string_lossy().as_bytes())
        .map_err(|_| Error::Runtime(format!("{}: path contains a NUL byte", path.display())))?;
    // SAFETY: `cpath` is a valid NUL-terminated string that outlives the call;
    // `tbx_conf_vcf` is htslib's immutable static VCF configuration; htslib
    // only reads both and writes `<path>.tbi` itself. rust-htslib 0.46 has no
    // safe wrapper for this (bcf::index::build arrived in 0.47).
    let rc = unsafe {
        rust_htslib::htslib::tbx_index_build(cpath.as_ptr(), 0, &rust_htslib::htslib::tbx_conf_vcf)
    };
    if rc != 0 {
        return Err(Error::Runtime(format!(
            "{}: building the tabix index failed (htslib code {rc})",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_786), (2026, 11, 29));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn alleles_hold_only_acgtn() {
        assert_eq!(vcf_allele(b"ACGTN"), "ACGTN");
        assert_eq!(vcf_allele(b"aRYsw-"), "ANNNNN");
    }

    #[test]
    fn floats_are_compact() {
        assert_eq!(float(0.0), "0");
        assert_eq!(float(0.05), "0.05");
        assert_eq!(float(0.000123456), "1.235e-4");
        assert_eq!(float(12.0), "12");
    }
}
