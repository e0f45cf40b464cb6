//! A patient series (`--series-tf`): one genome, one panel and one set of
//! tumor variants, sampled at several timepoints, each plasma with its own
//! tumor fraction; optionally a subclone (resistance variants) that appears
//! at a chosen timepoint.
//!
//! ```text
//! variants   --snvs-per-vaf shared SNVs (+ indels ...) and --subclone-variants SNVs,
//!            drawn together; the subclone's picked from the SNVs by their own stream
//! timepoint  T_k: shared at VAF = TF_k x 0.5, subclone at --subclone-vaf from
//!            --subclone-from on (else absent); molecules from stream `timepoint{k}`
//! outputs    T{k}.bam, T{k}.truth.vcf.gz (variants present at T_k, realised counts),
//!            tumor.vcf.gz (shared only: what the tissue showed), series_truth.tsv
//! ```

use super::genome::Genome;
use super::panel::Target;
use super::params::SimParams;
use super::sample::{SampleKind, SampleStats};
use super::variants::{Kind, Variant};
use super::vcf_out;
use crate::rng::Rng;
use crate::Result;
use std::path::Path;

/// Every truth variant (sorted) and which are the subclone's: of a series,
/// the shared ones and the subclone's SNVs drawn in one go; else those of
/// [`super::variants::generate`] (and none).
pub fn variants(
    p: &SimParams,
    g: &Genome,
    targets: &[Target],
) -> Result<(Vec<Variant>, Vec<bool>)> {
    if p.series_tf.is_empty() {
        let all = super::variants::generate(p, g, targets)?;
        let none = vec![false; all.len()];
        return Ok((all, none));
    }
    let mut drawn = p.clone();
    drawn.snvs_per_vaf += p.subclone_variants;
    let variants = super::variants::generate(&drawn, g, targets)?;
    let mut snvs: Vec<usize> = (0..variants.len())
        .filter(|&i| variants[i].is_somatic() && variants[i].kind() == Kind::Snv)
        .collect();
    // Partial Fisher-Yates from the subclone's own stream.
    let mut rng = Rng::stream(p.seed, "subclone", 0);
    let mut subclone = vec![false; variants.len()];
    for j in 0..p.subclone_variants.min(snvs.len()) {
        let k = j + rng.below((snvs.len() - j) as u64) as usize;
        snvs.swap(j, k);
        subclone[snvs[j]] = true;
    }
    Ok((variants, subclone))
}

/// The subclone's allele fraction at timepoint `k` before `--subclone-from`:
/// the `--subclone-ramp` value for it, else 0 (absent).
fn ramp_vaf(p: &SimParams, k: usize) -> f64 {
    let before = p.subclone_from - k;
    let ramp = &p.subclone_ramp;
    if before <= ramp.len() {
        ramp[ramp.len() - before]
    } else {
        0.0
    }
}

/// The variants as timepoint `k` (1-based) carries them: shared at
/// `TF_k x 0.5`, the subclone at `--subclone-vaf` from `--subclone-from`
/// on and at 0 before.
pub fn at_timepoint(
    p: &SimParams,
    variants: &[Variant],
    subclone: &[bool],
    k: usize,
) -> Vec<Variant> {
    let tf = p.series_tf[k - 1];
    variants
        .iter()
        .zip(subclone)
        .map(|(v, &sub)| {
            let mut v = v.clone();
            if v.is_somatic() {
                v.vaf = match (sub, k >= p.subclone_from) {
                    (false, _) => tf * 0.5,
                    (true, true) => p.subclone_vaf,
                    (true, false) => ramp_vaf(p, k),
                };
            }
            v
        })
        .collect()
}

/// Writes one sample's BAM: kind, file name, read-group name, its variants.
pub type WriteSample<'a> = dyn Fn(SampleKind, &str, &str, &[Variant]) -> Result<SampleStats> + 'a;

/// Write every timepoint's BAM and truth, `tumor.vcf.gz` and
/// `series_truth.tsv`; returns (molecules, read pairs) over the series.
pub fn write(
    p: &SimParams,
    g: &Genome,
    variants: &[Variant],
    subclone: &[bool],
    out_dir: &Path,
    write_sample: &WriteSample,
    files: &mut Vec<String>,
) -> Result<(u64, u64)> {
    let mut totals = (0u64, 0u64);
    let mut table = String::from(
        "timepoint\ttumor_fraction\tchrom\tpos\tref\talt\tclone\tvaf\tmolecules\talt_molecules\n",
    );
    for k in 1..=p.series_tf.len() {
        let name = format!("T{k}");
        let at = at_timepoint(p, variants, subclone, k);
        let stats = write_sample(SampleKind::Timepoint(k), &format!("{name}.bam"), &name, &at)?;
        files.extend([format!("{name}.bam"), format!("{name}.bam.bai")]);
        totals = (totals.0 + stats.molecules, totals.1 + stats.pairs);
        // The truth of T_k: the variants it carries (a scorer's positives).
        let present: Vec<usize> = (0..at.len()).filter(|&i| at[i].vaf > 0.0).collect();
        let vs: Vec<Variant> = present.iter().map(|&i| at[i].clone()).collect();
        let counts: Vec<(u32, u32)> = present.iter().map(|&i| stats.variant_counts[i]).collect();
        let duplex: Vec<u32> = present
            .iter()
            .map(|&i| stats.variant_duplex_alt[i])
            .collect();
        let text = vcf_out::truth_vcf_text(g, &vs, &counts, p.duplex.then_some(duplex.as_slice()));
        let truth = format!("{name}.truth.vcf.gz");
        vcf_out::write_vcf_gz(&out_dir.join(&truth), &text)?;
        files.extend([truth.clone(), format!("{truth}.tbi")]);
        for (i, v) in at.iter().enumerate().filter(|(_, v)| v.is_somatic()) {
            let (dp, alt) = stats.variant_counts[i];
            table.push_str(&format!(
                "{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{dp}\t{alt}\n",
                p.series_tf[k - 1],
                g.contigs[v.tid].name,
                v.pos0 + 1,
                String::from_utf8_lossy(&v.ref_allele),
                String::from_utf8_lossy(&v.alt),
                if subclone[i] { "subclone" } else { "shared" },
                v.vaf
            ));
        }
    }
    let shared: Vec<Variant> = variants
        .iter()
        .zip(subclone)
        .filter(|(_, &s)| !s)
        .map(|(v, _)| v.clone())
        .collect();
    vcf_out::write_vcf_gz(
        &out_dir.join("tumor.vcf.gz"),
        &vcf_out::tumor_vcf_text(g, &shared),
    )?;
    files.extend(["tumor.vcf.gz".to_string(), "tumor.vcf.gz.tbi".to_string()]);
    super::genome::write_file(&out_dir.join("series_truth.tsv"), table.as_bytes())?;
    files.push("series_truth.tsv".into());
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::params::{check_series as check, series_options as options};

    fn series() -> SimParams {
        SimParams {
            series_tf: vec![1e-2, 0.0, 3e-4],
            subclone_variants: 2,
            subclone_from: 3,
            ..SimParams::default()
        }
    }

    #[test]
    fn series_options_are_checked_and_named() {
        assert_eq!(check(&series()), Ok(()));
        assert_eq!(check(&SimParams::default()), Ok(()));
        let refused = |edit: fn(&mut SimParams), want: &str| {
            let mut p = series();
            edit(&mut p);
            let msg = check(&p).unwrap_err();
            assert!(msg.contains(want), "{msg}");
            // and through validate(), with the command's prefix
            assert!(p.validate().unwrap_err().to_string().contains(want));
        };
        refused(|p| p.series_tf.clear(), "need --series-tf");
        refused(
            |p| p.tumor_fraction = Some(1e-3),
            "replaces --tumor-fraction",
        );
        refused(
            |p| p.series_tf[1] = 1.5,
            "--series-tf 1.5 is outside [0, 1]",
        );
        refused(|p| p.subclone_from = 4, "a timepoint from 1 to 3");
        refused(|p| p.subclone_from = 0, "a timepoint from 1 to 3");
        refused(
            |p| p.subclone_vaf = 0.0,
            "--subclone-vaf 0 is outside (0, 1)",
        );
        refused(
            |p| {
                p.subclone_variants = 0;
            },
            "--subclone-from needs --subclone-variants",
        );
        assert_eq!(options(&SimParams::default()), "");
        assert_eq!(
            options(&series()),
            " --series-tf 0.01,0,0.0003 --subclone-variants 2 --subclone-from 3 --subclone-vaf 0.01"
        );
    }

    #[test]
    fn a_timepoint_carries_the_shared_variants_at_half_its_tf_and_the_subclone_from_its_timepoint()
    {
        let p = series();
        let g = super::super::genome::Genome::generate(&p).unwrap();
        let targets = super::super::panel::place_targets(&p, &g).unwrap();
        let (variants, subclone) = variants(&p, &g, &targets).unwrap();
        let somatic = variants.iter().filter(|v| v.is_somatic()).count();
        // --snvs-per-vaf 4 + --indels-per-vaf 2 shared, 2 subclone SNVs.
        assert_eq!(somatic, 4 + 2 + 2);
        assert_eq!(subclone.iter().filter(|&&s| s).count(), 2);
        for (k, tf) in [(1, 1e-2), (2, 0.0), (3, 3e-4)] {
            let at = at_timepoint(&p, &variants, &subclone, k);
            for ((v, t), &sub) in variants.iter().zip(&at).zip(&subclone) {
                let want = match (v.is_somatic(), sub) {
                    (false, _) => v.vaf,
                    (true, false) => tf * 0.5,
                    (true, true) if k >= 3 => p.subclone_vaf,
                    (true, true) => 0.0,
                };
                assert_eq!(t.vaf, want);
                assert!(!sub || v.kind() == Kind::Snv);
            }
        }
    }
}
