//! `ctdna mrd` outputs besides the JSON: the per-locus TSV and the loci VCF
//! (the FORMAT of `ctdna call`, MRD-specific FILTERs and INFO).

use super::vcf::{float, FORMAT_LINES, INFO_LINES, SAMPLE_FORMAT};
use crate::model::stats::phred_ln;
use crate::mrd::loci::TumorLocus;
use crate::mrd::series::Timepoint;
use crate::mrd::{SampleResult, Settings};
use crate::reference::Reference;

/// TSV column header.
pub fn tsv_header(with_baseline: bool) -> String {
    let mut s = String::from(
        "chrom\tpos\tref\talt\tweight\tweight_source\tmolecules\talt_molecules\taf\terror_rate\texpected_error_molecules\tnull_p\tflag",
    );
    if with_baseline {
        s.push_str(
            "\tbaseline_molecules\tbaseline_alt_molecules\tbaseline_error_rate\tbaseline_flag",
        );
    }
    s.push('\n');
    s
}

fn af(depth: u32, alt: u32) -> f64 {
    if depth == 0 {
        0.0
    } else {
        f64::from(alt) / f64::from(depth)
    }
}

/// One TSV row per locus (1-based `pos`, VCF alleles).
pub fn tsv_rows(
    loci: &[TumorLocus],
    plasma: &SampleResult,
    baseline: Option<&SampleResult>,
    reference: &Reference,
) -> String {
    let mut s = String::new();
    for (i, l) in loci.iter().enumerate() {
        let r = &plasma.per_locus[i];
        let ev = &r.evidence;
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            l.locus.joined(reference, ["\t", "\t", "\t"]),
            l.weight,
            l.weight_source,
            ev.depth,
            ev.alt.n,
            float(af(ev.depth, ev.alt.n)),
            float(r.err),
            float(f64::from(ev.depth) * r.err),
            float(r.ln_p_null.exp()),
            r.flag.id()
        ));
        if let Some(b) = baseline {
            let br = &b.per_locus[i];
            s.push_str(&format!(
                "\t{}\t{}\t{}\t{}",
                br.evidence.depth,
                br.evidence.alt.n,
                float(br.err),
                br.flag.id()
            ));
        }
        s.push('\n');
    }
    s
}

const KEEP_INFO: &[&str] = &["DP", "AF", "ERR", "CONTEXT", "HP", "TIER", "KNOWN"];

/// The loci VCF header.
pub fn vcf_header(
    reference: &Reference,
    samples: &[&SampleResult],
    settings: &Settings,
    command_line: &str,
    null_model: &str,
) -> String {
    let mut s = crate::output::vcf::preamble(command_line, reference);
    for l in INFO_LINES {
        if KEEP_INFO
            .iter()
            .any(|id| l.starts_with(&format!("##INFO=<ID={id},")))
        {
            s.push_str(l);
            s.push('\n');
        }
    }
    s.push_str(r#"##INFO=<ID=TW,Number=1,Type=Float,Description="Tumor weight: expected allele fraction in tumor DNA (0.5 clonal heterozygous; from INFO CCF or TVAF of the tumor VCF)">"#);
    s.push('\n');
    s.push_str("##FILTER=<ID=PASS,Description=\"Locus used in the tumor-fraction fit of the first sample\">\n");
    s.push_str(&format!(
        "##FILTER=<ID=LowDepth,Description=\"Fewer than {} molecules: not used in the fit\">\n",
        settings.min_depth
    ));
    s.push_str(&format!(
        "##FILTER=<ID=GermlineOrCHIP,Description=\"Alt molecules far above what the other loci explain (tail p <= {} / loci, at least {} alt molecules): likely germline or clonal hematopoiesis; not used in the fit\">\n",
        settings.outlier_alpha, settings.outlier_min_alt
    ));
    s.push_str(&format!(
        "##FILTER=<ID=NormalEvidence,Description=\"The matched normal (--normal) carries the allele: its alt molecules are significant against its own background (p <= {}): clonal haematopoiesis or germline; not used in the fit\">\n",
        settings.normal_alpha
    ));
    for l in FORMAT_LINES {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str(&format!("##ctdna_background_model={null_model}\n"));
    s.push_str("##ctdna_command=mrd\n");
    s.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for r in samples {
        s.push('\t');
        s.push_str(&r.sample);
    }
    s.push('\n');
    s
}

/// One VCF record per locus; QUAL is the first sample's phred-scaled null
/// p-value `P(K >= alt | DP, ERR)`; `tier` is INFO/TIER (the tier counted).
pub fn vcf_records(
    loci: &[TumorLocus],
    samples: &[&SampleResult],
    reference: &Reference,
    tier: &str,
) -> String {
    let mut s = String::new();
    for (i, l) in loci.iter().enumerate() {
        let Some(first) = samples.first().map(|r| &r.per_locus[i]) else {
            continue;
        };
        let ev = &first.evidence;
        let info = format!(
            "DP={};AF={};ERR={};CONTEXT={};HP={};TIER={tier};KNOWN;TW={}",
            ev.depth,
            float(af(ev.depth, ev.alt.n)),
            float(first.err),
            String::from_utf8_lossy(&ev.context),
            ev.homopolymer,
            float(l.weight)
        );
        s.push_str(&format!(
            "{}\t{:.2}\t{}\t{}\t{SAMPLE_FORMAT}",
            l.locus.joined(reference, ["\t", "\t.\t", "\t"]),
            phred_ln(first.ln_p_null).max(0.0),
            first.flag.id(),
            info
        ));
        for r in samples {
            let lr = &r.per_locus[i];
            let (rf, a) = (&lr.evidence.reference, &lr.evidence.alt);
            s.push('\t');
            s.push_str(&crate::output::vcf::sample_column(
                lr.evidence.depth,
                rf,
                a,
                af(lr.evidence.depth, a.n),
                lr.ln_p_null.exp(),
                lr.flag.id(),
            ));
        }
        s.push('\n');
    }
    s
}

/// A series' TSV (several `--bam`): one row per timepoint, in time order;
/// `relapse` is `yes` at the molecular relapse.
pub fn series_tsv(points: &[Timepoint]) -> String {
    let mut s = String::from(
        "timepoint\tindex\tcall\ttumor_fraction\tci95_low\tci95_high\tp_value\tlimit_of_detection\tloci_used\tmolecules\talt_molecules\texpected_error_molecules\ttf_ratio_to_baseline\trelapse\n",
    );
    for t in points {
        let r = t.result;
        let call = match r.call {
            crate::mrd::MrdCall::Detected => "DETECTED",
            crate::mrd::MrdCall::NotDetected => "NOT_DETECTED",
        };
        s.push_str(&format!(
            "{}\t{}\t{call}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            t.timepoint,
            t.index,
            float(r.tumor_fraction),
            float(r.ci95[0]),
            float(r.ci95[1]),
            float(r.p_value),
            float(r.limit_of_detection),
            r.loci.used,
            r.molecules,
            r.alt_molecules,
            float(r.expected_error_molecules),
            t.tf_ratio_to_baseline.map_or(".".to_string(), float),
            if t.relapse { "yes" } else { "no" }
        ));
    }
    s
}
