//! `ctdna mrd`: count the plasma (and baseline) at the tumor loci and their
//! neighbourhoods (fragments, or UMI molecules of a tier, as `call`), fit each sample's background on the neighbourhoods, then
//! test for tumor DNA; write the JSON verdict, the TSV and the loci VCF.

use super::inputs::{RunInputs, Sites};
use super::settings::{mrd_model, read_filter, umi_options};
use crate::atomic::Pending;
use crate::cli::MrdArgs;
use crate::evidence::alleles::Alt;
use crate::evidence::umi::{Molecules, UmiConfig};
use crate::evidence::ReadFilter;
use crate::model::context::ContextRates;
use crate::model::pon::{LoadedPon, UseParams};
use crate::model::SampleModel;
use crate::mrd::loci::{read_tumor_variants, TumorLocus};
use crate::mrd::sites::{mask_loci, site_evidence, ContextSiteModel, SiteErrorModel};
use crate::mrd::{analyse, ModelOptions, SampleResult, Settings};
use crate::output::mrd as report;
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

/// A checked run: settings, inputs and loci, the PoN.
struct Setup {
    /// The model options as checked (padding and purity besides `settings`).
    options: ModelOptions,
    settings: Settings,
    filter: ReadFilter,
    inputs: RunInputs,
    loci: Vec<TumorLocus>,
    /// The engine's allele of each locus, in `loci` order.
    alts: Vec<Alt>,
    umi: Option<UmiConfig>,
    molecules: Molecules,
    pon: Option<LoadedPon>,
}

/// The outputs, reserved before any work (bad paths fail fast, and bad
/// input leaves nothing behind).
struct Outputs {
    json: Pending,
    tsv: Option<Pending>,
    vcf: Option<VcfWriter>,
    /// `--multiqc DIR`: the call and TF as MultiQC general statistics.
    multiqc: Option<Pending>,
}

/// Run `ctdna mrd`: set up, count, fit and test each sample, write.
pub fn run(args: &MrdArgs) -> Result<()> {
    let started = Instant::now();
    check_output_paths(args)?;
    let setup = set_up(args)?;
    let outputs = Outputs {
        json: Pending::new(&args.output)?,
        tsv: args.tsv.as_deref().map(Pending::new).transpose()?,
        vcf: args
            .vcf
            .as_deref()
            .map(|p| VcfWriter::create(&Destination::from_path(p)))
            .transpose()?,
        multiqc: reserve_multiqc(args, &setup.inputs.bams[0].sample)?,
    };
    let (results, null_model) = fit_samples(&setup)?;
    for r in &results {
        log_result(r, &setup.settings);
    }
    write(args, &setup, &results, &null_model, outputs)?;
    log::info!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Settings, reference, loci (the tumor VCF read once), BAMs, UMI mode and
/// PoN, all checked before any counting.
fn set_up(args: &MrdArgs) -> Result<Setup> {
    let options = mrd_model(&args.model);
    let settings = options.settings()?;
    let filter = read_filter(&args.filters)?;
    let reference = Reference::open(&args.reference)?;
    let loci = read_tumor_variants(&args.tumor_variants, &reference, options.tumor_purity)?;
    let mut bams = vec![args.bam.clone()];
    bams.extend(args.baseline.iter().cloned());
    let sites = Sites {
        bed_panel: Vec::new(),
        known: loci.iter().map(|l| l.locus.clone()).collect(),
        known_pad: options.background_pad,
        chunk: None,
    };
    let inputs = RunInputs::new(reference, &bams, args.threads, sites)?;
    inputs.require_distinct_samples()?;
    let reference = &inputs.reference;
    // Fragments, or UMI molecules of the chosen tier (plasma and baseline
    // alike): the loci's counts and the background they are tested against.
    let umi_options = umi_options(&args.umi);
    let umi = crate::evidence::umi::resolve(&umi_options, &inputs.bams, reference)?;
    let molecules = Molecules::of(umi.as_ref());
    let pon = load_pon(args, reference, &filter, &molecules)?;
    let alts = loci
        .iter()
        .map(|l| {
            Alt::of_alleles(&l.locus.ref_allele, &l.locus.alt_allele).ok_or_else(|| {
                Error::Runtime(format!(
                    "internal: locus {} has no testable allele after normalisation",
                    crate::mrd::locus_name(&l.locus, reference)
                ))
            })
        })
        .collect::<Result<_>>()?;
    Ok(Setup {
        options,
        settings,
        filter,
        inputs,
        loci,
        alts,
        umi,
        molecules,
        pon,
    })
}

/// With `--pon` (and its `--targets`): the panel of normals, checked
/// against this run's reference, read filters and molecules.
fn load_pon(
    args: &MrdArgs,
    reference: &Reference,
    filter: &ReadFilter,
    molecules: &Molecules,
) -> Result<Option<LoadedPon>> {
    Ok(match &args.pon.pon {
        Some(path) => {
            let panel = match &args.targets {
                Some(bed) => Some(crate::regions::merge(crate::regions::read_bed(
                    bed, reference,
                )?)),
                None => None,
            };
            Some(crate::model::pon_file::load_for_run(
                path,
                panel.as_deref(),
                reference,
                filter,
                molecules,
                UseParams {
                    prior_weight: args.pon.pon_prior_weight,
                    // NoisySite is a `call` filter; mrd only uses the rates.
                    noisy_rate: 1e-3,
                    noisy_min_normals: 2,
                },
            )?)
        }
        None if args.targets.is_some() => {
            return Err(Error::Usage("--targets is only used with --pon".into()))
        }
        None => None,
    })
}

/// Count the loci and their neighbourhoods, then per sample: the loci's
/// evidence, the background fitted on the neighbourhoods (loci masked),
/// each locus's null rate, and the aggregate test.
fn fit_samples(setup: &Setup) -> Result<(Vec<SampleResult>, String)> {
    let inputs = &setup.inputs;
    let mut evidence = inputs.count(&setup.filter, setup.umi.as_ref())?;
    let n_samples = inputs.bams.len();
    let site_ev: Vec<Vec<_>> = (0..n_samples)
        .map(|s| {
            setup
                .loci
                .iter()
                .zip(&setup.alts)
                .map(|(l, a)| site_evidence(&evidence, s, &l.locus, a))
                .collect()
        })
        .collect();
    let known: Vec<_> = setup.loci.iter().map(|l| l.locus.clone()).collect();
    mask_loci(&mut evidence, &known);

    let mut results: Vec<SampleResult> = Vec::with_capacity(n_samples);
    let mut null_model = String::new();
    for (s, ev) in site_ev.into_iter().enumerate() {
        let rates = ContextRates::estimate(&evidence, s);
        // With --pon, the normals' per-site rates (shrunk toward, and outside
        // the PoN's panel replaced by, this sample's context rates).
        let background = SampleModel::of(&rates, setup.pon.as_ref());
        let model = ContextSiteModel {
            background: background.as_dyn(),
            pad: setup.options.background_pad,
        };
        null_model = model.name();
        let errs: Vec<f64> = setup
            .loci
            .iter()
            .zip(&setup.alts)
            .zip(&ev)
            .map(|((l, a), e)| model.rate(&l.locus, a, e))
            .collect();
        let sample = &inputs.bams[s].sample;
        let reference = &inputs.reference;
        results.push(analyse(
            sample,
            &setup.loci,
            ev,
            &errs,
            &setup.settings,
            reference,
        ));
    }
    Ok((results, null_model))
}

/// One sample's verdict on stderr (and a warning when no locus was usable).
fn log_result(r: &SampleResult, settings: &Settings) {
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

/// What `mrd.json` holds: the verdicts, inputs and parameters.
fn report<'a>(
    args: &MrdArgs,
    setup: &Setup,
    plasma: &'a SampleResult,
    baseline: Option<&'a SampleResult>,
    null_model: &str,
) -> MrdReport<'a> {
    MrdReport {
        plasma,
        baseline,
        tf_ratio_to_baseline: baseline
            .filter(|b| b.tumor_fraction > 0.0)
            .map(|b| plasma.tumor_fraction / b.tumor_fraction),
        null_model: null_model.to_string(),
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
            "model": setup.settings,
            "background_pad": setup.options.background_pad,
            "tumor_purity": setup.options.tumor_purity,
            "filters": setup.filter,
            "molecules": setup.molecules,
            "umi": setup.umi,
        }),
    }
}

/// The JSON verdict, the TSV and the loci VCF, moved into place together.
fn write(
    args: &MrdArgs,
    setup: &Setup,
    results: &[SampleResult],
    null_model: &str,
    outputs: Outputs,
) -> Result<()> {
    let reference = &setup.inputs.reference;
    let (plasma, baseline) = (&results[0], results.get(1));
    let json = report(args, setup, plasma, baseline, null_model);
    let text = serde_json::to_string_pretty(&json)
        .map_err(|e| Error::Runtime(format!("serialising {}: {e}", args.output.display())))?;
    outputs.json.write_all(&(text + "\n"))?;
    let mut done = Vec::new();
    if let Some(p) = outputs.multiqc {
        let value = serde_json::to_value(&json)
            .map_err(|e| Error::Runtime(format!("serialising the mrd result: {e}")))?;
        done.push(crate::output::report::multiqc::write_mrd(p, &value)?);
    }
    if let Some(p) = &outputs.tsv {
        let text = report::tsv_header(baseline.is_some())
            + &report::tsv_rows(&setup.loci, plasma, baseline, reference);
        p.write_all(&text)?;
    }
    // INFO/TIER as in `call`: `raw` for fragments, else the tier counted.
    let tier = setup.umi.as_ref().map_or("raw", |u| u.min_tier.name());
    let mut vcf = outputs.vcf;
    if let Some(w) = vcf.as_mut() {
        let samples: Vec<&SampleResult> = results.iter().collect();
        w.write(&report::vcf_header(
            reference,
            &samples,
            &setup.settings,
            &super::command_line(),
            null_model,
        ))?;
        w.write(&report::vcf_records(&setup.loci, &samples, reference, tier))?;
    }
    // Everything is written: move it all into place together.
    if let Some(w) = vcf {
        done.extend(w.finish()?);
    }
    done.extend(outputs.tsv);
    done.push(outputs.json);
    crate::atomic::commit_all(done)
}

/// `--multiqc DIR`: the folder made, the file (named after the plasma
/// sample) checked against the other outputs and inputs, and reserved.
fn reserve_multiqc(args: &MrdArgs, sample: &str) -> Result<Option<Pending>> {
    let Some(dir) = &args.mqc.multiqc else {
        return Ok(None);
    };
    crate::output::report::multiqc::create_dir(dir)?;
    let path = crate::output::report::multiqc::mrd_path(dir, sample);
    check_output_paths_with(args, Some(&path))?;
    Pending::new(&path).map(Some)
}

/// Check every output path against the others and the inputs (exit 2,
/// nothing written), before anything is read.
fn check_output_paths(args: &MrdArgs) -> Result<()> {
    check_output_paths_with(args, None)
}

fn check_output_paths_with(args: &MrdArgs, multiqc: Option<&std::path::Path>) -> Result<()> {
    let mut outputs = vec![("-o", args.output.clone())];
    outputs.extend(multiqc.map(|p| ("--multiqc", p.to_path_buf())));
    outputs.extend(args.tsv.iter().map(|p| ("--tsv", p.clone())));
    let vcf = args.vcf.as_deref().map(crate::output::vcf::output_files);
    outputs.extend(vcf.into_iter().flatten().map(|p| ("--vcf", p)));
    let outputs: Vec<(&str, &std::path::Path)> =
        outputs.iter().map(|(o, p)| (*o, p.as_path())).collect();
    let mut inputs = vec![
        ("--bam", args.bam.as_path()),
        ("--reference", &args.reference),
        ("--tumor-variants", &args.tumor_variants),
    ];
    inputs.extend(args.baseline.as_deref().map(|p| ("--baseline", p)));
    inputs.extend(args.pon.pon.as_deref().map(|p| ("--pon", p)));
    inputs.extend(args.targets.as_deref().map(|p| ("--targets", p)));
    crate::atomic::check_paths(&outputs, &inputs)
}
