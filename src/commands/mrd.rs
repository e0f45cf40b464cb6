//! `ctdna mrd`: count the plasma (and baseline) at the tumor loci and their
//! neighbourhoods (fragments, or UMI molecules of a tier, as `call`), fit each sample's background on the neighbourhoods, then
//! test for tumor DNA; write the JSON verdict, the TSV and the loci VCF.

use super::common::prepare_padded;
use super::settings::{mrd_model, read_filter, umi_options};
use crate::calling::Alt;
use crate::cli::{InputArgs, MrdArgs};
use crate::evidence::umi::Molecules;
use crate::model::context::ContextRates;
use crate::model::pon::{PonModel, UseParams};
use crate::mrd::loci::read_tumor_variants;
use crate::mrd::sites::{mask_loci, site_evidence, ContextSiteModel, SiteErrorModel};
use crate::mrd::{analyse, report, SampleResult};
use crate::output::atomic::Pending;
use crate::output::vcf::{Destination, VcfWriter};
use crate::reference::Reference;
use crate::{Error, Result};
use std::time::Instant;

/// What `mrd.json` holds.
#[derive(Debug, serde::Serialize)]
struct MrdReport<'a> {
    /// The plasma sample's result; its `call` is the top-level verdict.
    #[serde(flatten)]
    plasma: &'a SampleResult,
    baseline: Option<&'a SampleResult>,
    /// Baseline-normalised fraction: plasma TF / baseline TF (when both > 0).
    tf_ratio_to_baseline: Option<f64>,
    null_model: String,
    program: &'static str,
    version: &'static str,
    command: &'static str,
    inputs: serde_json::Value,
    parameters: serde_json::Value,
}

/// Run `ctdna mrd`.
pub fn run(args: &MrdArgs) -> Result<()> {
    let started = Instant::now();
    let settings = mrd_model(&args.model).settings()?;
    let filter = read_filter(&args.filters)?;
    // Inputs first, outputs after: bad input leaves nothing behind.
    let reference = Reference::open(&args.reference)?;
    let loci = read_tumor_variants(&args.tumor_variants, &reference, args.model.tumor_purity)?;
    let mut bams = vec![args.bam.clone()];
    bams.extend(args.baseline.iter().cloned());
    let input = InputArgs {
        bams,
        reference: args.reference.clone(),
        targets: None,
        known: Some(args.tumor_variants.clone()),
        threads: args.threads,
    };
    let prepared = prepare_padded(&input, None, args.model.background_pad)?;
    // Fragments, or UMI molecules of the chosen tier (plasma and baseline
    // alike): the loci's counts and the background they are tested against.
    let umi_options = umi_options(&args.umi);
    let umi = crate::evidence::umi::resolve(&umi_options, &prepared.inputs, &reference)?;
    let molecules = Molecules::of(umi.as_ref());
    let pon = match &args.pon.pon {
        Some(path) => Some(crate::model::pon_file::load_for_run(
            path,
            args.targets.as_deref(),
            &reference,
            &filter,
            &molecules,
            UseParams {
                prior_weight: args.pon.pon_prior_weight,
                // NoisySite is a `call` filter; mrd only uses the rates.
                noisy_rate: 1e-3,
                noisy_min_normals: 2,
            },
        )?),
        None if args.targets.is_some() => {
            return Err(Error::Usage("--targets is only used with --pon".into()))
        }
        None => None,
    };
    let json_out = Pending::new(&args.output)?;
    let tsv_out = args.tsv.as_deref().map(Pending::new).transpose()?;
    let mut vcf_out = args
        .vcf
        .as_deref()
        .map(|p| VcfWriter::create(&Destination::from_path(p)))
        .transpose()?;

    let mut evidence = prepared.count_with(&filter, umi.as_ref())?;
    let alts: Vec<_> = loci
        .iter()
        .map(|l| {
            Alt::of_alleles(&l.locus.ref_allele, &l.locus.alt_allele).ok_or_else(|| {
                Error::Runtime(format!(
                    "internal: locus {} has no testable allele after normalisation",
                    crate::mrd::locus_name(&l.locus, &reference)
                ))
            })
        })
        .collect::<Result<_>>()?;
    let n_samples = prepared.inputs.len();
    let site_ev: Vec<Vec<_>> = (0..n_samples)
        .map(|s| {
            loci.iter()
                .zip(&alts)
                .map(|(l, a)| site_evidence(&evidence, s, &l.locus, a))
                .collect()
        })
        .collect();
    let known: Vec<_> = loci.iter().map(|l| l.locus.clone()).collect();
    mask_loci(&mut evidence, &known);

    let mut results: Vec<SampleResult> = Vec::with_capacity(n_samples);
    let mut null_model = String::new();
    for (s, ev) in site_ev.into_iter().enumerate() {
        let rates = ContextRates::estimate(&evidence, s);
        // With --pon, the normals' per-site rates (shrunk toward, and outside
        // the PoN's panel replaced by, this sample's context rates).
        let pon_model = pon.as_ref().map(|(pon, n_normals, params)| PonModel {
            pon,
            fallback: &rates,
            params: *params,
            n_normals: *n_normals,
        });
        let model = ContextSiteModel {
            background: match &pon_model {
                Some(m) => m as &dyn crate::model::Background,
                None => &rates,
            },
            pad: args.model.background_pad,
        };
        null_model = model.name();
        let errs: Vec<f64> = loci
            .iter()
            .zip(&alts)
            .zip(&ev)
            .map(|((l, a), e)| model.rate(&l.locus, a, e))
            .collect();
        let sample = &prepared.inputs[s].sample;
        results.push(analyse(sample, &loci, ev, &errs, &settings, &reference));
    }
    let plasma = &results[0];
    let baseline = results.get(1);
    for r in &results {
        if r.loci.used == 0 {
            log::warn!(
                "{}: none of the {} loci is usable ({} below --min-depth {}, {} germline/CHIP-like): the result is NOT_DETECTED by default, not evidence of absence",
                r.sample,
                r.loci.total,
                r.loci.low_depth,
                settings.min_depth,
                r.loci.germline_or_chip
            );
        }
        log::info!(
            "{}: {:?}, TF {:.3e} (95% CI {:.3e}-{:.3e}), p = {:.3e}, LoD {:.3e}; {} of {} loci used, {} alt of {} molecules ({:.1} expected from errors)",
            r.sample,
            r.call,
            r.tumor_fraction,
            r.ci95[0],
            r.ci95[1],
            r.p_value,
            r.limit_of_detection,
            r.loci.used,
            r.loci.total,
            r.alt_molecules,
            r.molecules,
            r.expected_error_molecules
        );
    }

    let report = MrdReport {
        plasma,
        baseline,
        tf_ratio_to_baseline: baseline
            .filter(|b| b.tumor_fraction > 0.0)
            .map(|b| plasma.tumor_fraction / b.tumor_fraction),
        null_model: null_model.clone(),
        program: "ctdna",
        version: env!("CARGO_PKG_VERSION"),
        command: "mrd",
        inputs: serde_json::json!({
            "bam": args.bam,
            "baseline": args.baseline,
            "reference": args.reference,
            "tumor_variants": args.tumor_variants,
            "pon": args.pon.pon,
            "targets": args.targets,
        }),
        parameters: serde_json::json!({
            "model": settings,
            "background_pad": args.model.background_pad,
            "tumor_purity": args.model.tumor_purity,
            "filters": filter,
            "molecules": molecules,
            "umi": umi,
        }),
    };
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Error::Runtime(format!("serialising {}: {e}", args.output.display())))?;
    std::fs::write(&json_out.tmp, text + "\n").map_err(|e| Error::io(&args.output, e))?;

    if let (Some(p), Some(path)) = (&tsv_out, &args.tsv) {
        let text = report::tsv_header(baseline.is_some())
            + &report::tsv_rows(&loci, plasma, baseline, &reference);
        std::fs::write(&p.tmp, text).map_err(|e| Error::io(path, e))?;
    }
    // INFO/TIER as in `call`: `raw` for fragments, else the tier counted.
    let tier = umi.as_ref().map_or("raw", |u| u.min_tier.name());
    if let Some(w) = vcf_out.as_mut() {
        let samples: Vec<&SampleResult> = results.iter().collect();
        w.write(&report::vcf_header(
            &reference,
            &samples,
            &settings,
            &super::common::command_line(),
            &null_model,
        ))?;
        w.write(&report::vcf_records(&loci, &samples, &reference, tier))?;
    }
    // Everything is written: move it all into place.
    if let Some(w) = vcf_out {
        w.finish()?;
    }
    if let Some(p) = tsv_out {
        p.commit()?;
    }
    json_out.commit()?;
    log::info!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
