//! Truth VCF: text VCF 4.3 written through BGZF, then a tabix index.

use super::genome::Genome;
use super::variants::{Kind, Origin, Variant};
use crate::{Error, Result};
use rust_htslib::bgzf;
use std::io::Write;
use std::path::Path;

/// INFO/TYPE of a truth variant.
fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Snv => "SNV",
        Kind::Mnv => "MNV",
        Kind::Ins => "INS",
        Kind::Del => "DEL",
        Kind::Delins => "COMPLEX",
    }
}

/// The INFO/TYPE header line: MNV and COMPLEX are named only when the data
/// has one, so the truth VCFs of simulations without them keep their bytes.
fn type_header(variants: &[Variant]) -> &'static str {
    if variants.iter().any(|v| v.kind() == Kind::Delins) {
        r#"##INFO=<ID=TYPE,Number=1,Type=String,Description="SNV, MNV (one record per multi-base substitution), INS, DEL or COMPLEX (a deletion with a substitution beside it, one record)">"#
    } else if variants.iter().any(|v| v.kind() == Kind::Mnv) {
        r#"##INFO=<ID=TYPE,Number=1,Type=String,Description="SNV, MNV (one record per multi-base substitution), INS or DEL">"#
    } else {
        r#"##INFO=<ID=TYPE,Number=1,Type=String,Description="SNV, INS or DEL">"#
    }
}

/// Header lines of the simulator's VCFs: format, program, reference and
/// its contigs.
fn preamble(g: &Genome) -> String {
    let mut s = String::new();
    s.push_str("##fileformat=VCFv4.3\n");
    s.push_str(&format!(
        "##source=ctdna simulate {}\n",
        env!("CARGO_PKG_VERSION")
    ));
    s.push_str("##reference=ref.fa\n");
    for c in &g.contigs {
        s.push_str(&format!(
            "##contig=<ID={},length={}>\n",
            c.name,
            c.seq.len()
        ));
    }
    s
}

/// The truth VCF text (header and sorted records). `counts` are the
/// realised (spanning, alt) unique-molecule counts in `sample.bam`;
/// `duplex_alt`, with `--duplex` only, the duplex molecules carrying each.
pub fn truth_vcf_text(
    g: &Genome,
    variants: &[Variant],
    counts: &[(u32, u32)],
    duplex_alt: Option<&[u32]>,
) -> String {
    let mut s = preamble(g);
    for line in [
        r#"##INFO=<ID=VAF,Number=1,Type=Float,Description="Simulated allele fraction: somatic, the probability that a molecule carries the allele; germline, 0.5 (het) or 1 (hom)">"#,
        origin_header(variants),
        r#"##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description="Somatic (tumor-derived) variant">"#,
        r#"##INFO=<ID=ZYGOSITY,Number=1,Type=String,Description="Germline only: het or hom">"#,
        type_header(variants),
        r#"##INFO=<ID=HPLEN,Number=1,Type=Integer,Description="Indels: length of the homopolymer run after the anchor base">"#,
        r#"##INFO=<ID=MOLDP,Number=1,Type=Integer,Description="Unique molecules in sample.bam whose reads span the variant (anchor and next base for indels)">"#,
        r#"##INFO=<ID=MOLALT,Number=1,Type=Integer,Description="Of MOLDP, molecules carrying the alt allele">"#,
    ] {
        s.push_str(line);
        s.push('\n');
    }
    if duplex_alt.is_some() {
        s.push_str(r#"##INFO=<ID=DUPALT,Number=1,Type=Integer,Description="Molecules carrying the alt whose reads span it on both strands (a top- and a bottom-strand PCR copy): duplex molecules">"#);
        s.push('\n');
    }
    s.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    for (i, v) in variants.iter().enumerate() {
        let (origin, extra) = match v.origin {
            Origin::Somatic => ("somatic", ";SOMATIC".to_string()),
            Origin::GermlineHet { .. } => ("germline", ";ZYGOSITY=het".to_string()),
            Origin::GermlineHom => ("germline", ";ZYGOSITY=hom".to_string()),
            Origin::Chip => ("chip", String::new()),
        };
        let kind = kind_name(v.kind());
        let (dp, alt) = counts.get(i).copied().unwrap_or((0, 0));
        let mut info = format!("VAF={};ORIGIN={origin}{extra};TYPE={kind}", v.vaf);
        if matches!(v.kind(), Kind::Ins | Kind::Del) {
            info.push_str(&format!(";HPLEN={}", v.hp_len));
        }
        info.push_str(&format!(";MOLDP={dp};MOLALT={alt}"));
        if let Some(d) = duplex_alt {
            info.push_str(&format!(";DUPALT={}", d.get(i).copied().unwrap_or(0)));
        }
        s.push_str(&format!(
            "{}\t{}\tsim{}\t{}\t{}\t.\tPASS\t{}\n",
            g.contigs[v.tid].name,
            v.pos0 + 1,
            i + 1,
            String::from_utf8_lossy(&v.ref_allele),
            String::from_utf8_lossy(&v.alt),
            info
        ));
    }
    s
}

/// INFO/ORIGIN's header line: `chip` is named only when the truth holds
/// CHIP variants (earlier data sets keep their bytes).
fn origin_header(variants: &[Variant]) -> &'static str {
    if variants.iter().any(|v| v.origin == Origin::Chip) {
        r#"##INFO=<ID=ORIGIN,Number=1,Type=String,Description="somatic, germline or chip (clonal haematopoiesis: in plasma at VAF and in matched_normal.bam's blood cells, not the tumour's)">"#
    } else {
        r#"##INFO=<ID=ORIGIN,Number=1,Type=String,Description="somatic or germline">"#
    }
}

/// The tumor-tissue VCF of a `--tumor-fraction` simulation: the somatic
/// truth variants only, as a tumor-normal tissue caller would report them
/// for `ctdna mrd --tumor-variants` (no INFO weight: clonal heterozygous).
pub fn tumor_vcf_text(g: &Genome, variants: &[Variant]) -> String {
    let mut s = preamble(g);
    s.push_str(type_header(variants));
    s.push_str("\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    for (i, v) in variants.iter().enumerate() {
        if !v.is_somatic() {
            continue;
        }
        let kind = kind_name(v.kind());
        s.push_str(&format!(
            "{}\t{}\tsim{}\t{}\t{}\t.\tPASS\tTYPE={kind}\n",
            g.contigs[v.tid].name,
            v.pos0 + 1,
            i + 1,
            String::from_utf8_lossy(&v.ref_allele),
            String::from_utf8_lossy(&v.alt),
        ));
    }
    s
}

/// Write `text` bgzipped to `path` (which should end in `.vcf.gz`) and index it.
pub fn write_vcf_gz(path: &Path, text: &str) -> Result<()> {
    {
        let mut w = bgzf::Writer::from_path_with_level(path, bgzf::CompressionLevel::Maximum)
            .map_err(|e| {
                Error::Runtime(format!("{}: cannot create BGZF file: {e}", path.display()))
            })?;
        w.write_all(text.as_bytes())
            .map_err(|e| Error::io(path, e))?;
        w.flush().map_err(|e| Error::io(path, e))?;
    }
    crate::output::vcf::build_tabix(path)
}
