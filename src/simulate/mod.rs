//! Synthetic data with known truth: `ctdna simulate`, and the scorer that
//! measures calls against it.
//!
//! The simulation is a chain of small stages, each seeded from the run seed
//! and its own label ([`crate::rng::Rng::stream`]), so the same parameters always
//! give the same bytes:
//!
//! ```text
//! params     validated SimParams (refused before anything is written)
//! genome     contigs: GC, homopolymers, STRs, near-duplicate segments
//! panel      targets.bed, negatives.bed
//! variants   somatic SNVs/indels at the chosen VAFs, germline het/hom
//! artifacts  recurrent site-specific errors shown by every sample
//! fragments  cfDNA lengths, molecule columns, oxoG damage, PCR genealogy
//! reads      read pairs: qualities, errors, CIGAR, NM, flags
//! clip       with long indels: indels near a read end soft-clipped (bwa mem's scores)
//! sample     all molecules of one sample over every target (rayon)
//! bam_out / vcf_out   sample.bam(.bai), truth.vcf.gz(.tbi)
//! series     --series-tf: T1..TN.bam, per-timepoint truth, a subclone from a chosen timepoint
//! score      calls VCF vs truth: per VAF bin and type, FP per Mb; an MNV
//!            only as one record; score::types per snv/ins/del/mnv/long ins/long del
//! ```
//!
//! ```no_run
//! use ctdna::simulate::{params::SimParams, simulate};
//! let mut p = SimParams::default();
//! p.seed = 7;
//! let summary = simulate(&p, std::path::Path::new("sim-out")).unwrap();
//! println!("{} read pairs", summary.pairs);
//! ```

pub mod alignment;
pub mod artifacts;
pub mod bam_out;
pub mod clip;
pub mod fragments;
pub mod genome;
pub mod panel;
pub mod params;
pub mod reads;
pub mod sample;
pub mod score;
pub mod series;
pub mod variants;
pub mod vcf_out;

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Counts of what was written, also stored in `manifest.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Unique molecules in `sample.bam`.
    pub molecules: u64,
    /// Read pairs in `sample.bam` (all PCR copies).
    pub pairs: u64,
    /// Somatic truth variants.
    pub somatic_variants: usize,
    /// Germline truth variants.
    pub germline_variants: usize,
    /// Total target length (bp).
    pub target_bp: u64,
    /// Files written, relative to the output folder.
    pub files: Vec<String>,
}

/// Everything `manifest.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Program and version that wrote the data.
    pub program: String,
    /// Every parameter.
    pub params: params::SimParams,
    /// What was produced.
    pub summary: Summary,
}

/// The panel, negative-region and artifact-site BEDs; returns their names.
fn write_beds(
    out_dir: &Path,
    g: &genome::Genome,
    targets: &[panel::Target],
    variants: &[variants::Variant],
    artifact_sites: &[artifacts::Artifact],
) -> Result<Vec<String>> {
    let path = |name: &str| out_dir.join(name);
    let tivs: Vec<(usize, u64, u64)> = targets.iter().map(|t| (t.tid, t.start, t.end)).collect();
    panel::write_bed(&path("targets.bed"), g, &tivs, true)?;
    let spans: Vec<(usize, u64, u64)> = variants.iter().map(|v| (v.tid, v.pos0, v.end())).collect();
    let neg = panel::negatives(targets, &spans, 1);
    panel::write_bed(&path("negatives.bed"), g, &neg, false)?;
    let mut files = vec!["targets.bed".to_string(), "negatives.bed".to_string()];
    if !artifact_sites.is_empty() {
        artifacts::write_bed(&path("artifacts.bed"), g, artifact_sites)?;
        files.push("artifacts.bed".to_string());
    }
    Ok(files)
}

/// Run a whole simulation into `out_dir`. All generation that can fail on
/// parameters happens before the folder is created or any file is written.
pub fn simulate(p: &params::SimParams, out_dir: &Path) -> Result<Summary> {
    p.validate()?;
    if out_dir.exists() && !out_dir.is_dir() {
        return Err(Error::bad_input(
            out_dir,
            "exists and is not a folder",
            "choose another --out-dir",
        ));
    }
    let g = genome::Genome::generate(p)?;
    let targets = panel::place_targets(p, &g)?;
    let (variants, subclone) = series::variants(p, &g, &targets)?;
    let artifact_sites = artifacts::generate(p, &g, &targets, &variants)?;

    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let mut files = Vec::new();
    let path = |name: &str| out_dir.join(name);

    g.write_fasta(&path("ref.fa"))?;
    files.extend(["ref.fa".to_string(), "ref.fa.fai".to_string()]);
    files.extend(write_beds(
        out_dir,
        &g,
        &targets,
        &variants,
        &artifact_sites,
    )?);

    // The BAM first: the truth VCF reports the molecule counts it realised.
    let cl = p.command_line();
    let write_sample = |kind: sample::SampleKind,
                        file: &str,
                        rg: &str,
                        variants: &[variants::Variant]|
     -> Result<sample::SampleStats> {
        let h = bam_out::header(&g, rg, &cl);
        let mut sink = bam_out::BamSink::create(&path(file), &h, rg, p.bam_compression)?;
        let stats = sample::stream_sample(p, &g, &targets, variants, kind, |r| sink.write(r))?;
        sink.finish()?;
        Ok(stats)
    };
    let summary_counts = if p.series_tf.is_empty() {
        write_tumor(p, &g, &variants, out_dir, &write_sample, &mut files)?
    } else {
        series::write(
            p,
            &g,
            &variants,
            &subclone,
            out_dir,
            &write_sample,
            &mut files,
        )?
    };

    write_normals(p, &variants, &write_sample, &mut files)?;

    files.push("manifest.json".into());
    let summary = Summary {
        molecules: summary_counts.0,
        pairs: summary_counts.1,
        somatic_variants: variants.iter().filter(|v| v.is_somatic()).count(),
        germline_variants: variants.iter().filter(|v| !v.is_somatic()).count(),
        target_bp: targets.iter().map(|t| t.len()).sum(),
        files,
    };
    write_manifest(&path("manifest.json"), p, &summary)?;
    Ok(summary)
}

/// `sample.bam`, `truth.vcf.gz` and (with `--tumor-fraction`)
/// `tumor.vcf.gz`; returns (molecules, read pairs).
fn write_tumor(
    p: &params::SimParams,
    g: &genome::Genome,
    variants: &[variants::Variant],
    out_dir: &Path,
    write_sample: &series::WriteSample,
    files: &mut Vec<String>,
) -> Result<(u64, u64)> {
    let path = |name: &str| out_dir.join(name);
    let tumor = write_sample(
        sample::SampleKind::Tumor,
        "sample.bam",
        &p.sample_name,
        variants,
    )?;
    files.extend(["sample.bam".to_string(), "sample.bam.bai".to_string()]);

    let text = vcf_out::truth_vcf_text(
        g,
        variants,
        &tumor.variant_counts,
        p.duplex.then_some(tumor.variant_duplex_alt.as_slice()),
    );
    vcf_out::write_vcf_gz(&path("truth.vcf.gz"), &text)?;
    files.extend(["truth.vcf.gz".to_string(), "truth.vcf.gz.tbi".to_string()]);
    if p.tumor_fraction.is_some() {
        vcf_out::write_vcf_gz(&path("tumor.vcf.gz"), &vcf_out::tumor_vcf_text(g, variants))?;
        files.extend(["tumor.vcf.gz".to_string(), "tumor.vcf.gz.tbi".to_string()]);
    }
    Ok((tumor.molecules, tumor.pairs))
}

/// With `--matched-normal-depth`, `matched_normal.bam`; with `--normals N`,
/// `normal_1.bam` ... `normal_N.bam`.
fn write_normals(
    p: &params::SimParams,
    variants: &[variants::Variant],
    write_sample: &series::WriteSample,
    files: &mut Vec<String>,
) -> Result<()> {
    if p.matched_normal_depth > 0 {
        let rg = format!("{}_normal", p.sample_name);
        let kind = sample::SampleKind::MatchedNormal;
        write_sample(kind, "matched_normal.bam", &rg, variants)?;
        files.extend(["matched_normal.bam".into(), "matched_normal.bam.bai".into()]);
    }
    for k in 1..=p.normals {
        let name = format!("normal_{k}");
        let kind = sample::SampleKind::Normal(k);
        write_sample(kind, &format!("{name}.bam"), &name, variants)?;
        files.extend([format!("{name}.bam"), format!("{name}.bam.bai")]);
    }
    Ok(())
}

/// `manifest.json`: the program, every parameter and what was written.
fn write_manifest(path: &Path, p: &params::SimParams, summary: &Summary) -> Result<()> {
    let manifest = Manifest {
        program: format!("ctdna {}", env!("CARGO_PKG_VERSION")),
        params: p.clone(),
        summary: summary.clone(),
    };
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::Runtime(format!("manifest.json: {e}")))?;
    genome::write_file(path, format!("{json}\n").as_bytes())
}

#[cfg(test)]
mod tests;
