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
use crate::mrd::series::{ratio_to_baseline, trajectory, Relapse, Timepoint};
use crate::mrd::sites::{mask_loci, site_evidence, ContextSiteModel, SiteErrorModel, SiteEvidence};
use crate::mrd::{analyse, ModelOptions, SampleResult, Settings};
use crate::output::mrd as report;
use crate::output::vcf::{Destination, VcfWriter};
use crate::reference::Reference;
use crate::{Error, Result};
use std::time::Instant;

/// What `mrd.json` holds.
#[derive(Debug, serde::Serialize)]
struct MrdReport<'a> {
    /// The plasma sample's result (of a series: the last timepoint's); its
    /// `call` is the top-level verdict.
    #[serde(flatten)]
    plasma: &'a SampleResult,
    /// A series only (several `--bam`): every timepoint, in time order.
    #[serde(skip_serializing_if = "Option::is_none")]
    timepoints: Option<Vec<Timepoint<'a>>>,
    /// A series only: the first DETECTED after a NOT_DETECTED (null if none).
    #[serde(skip_serializing_if = "Option::is_none")]
    molecular_relapse: Option<Option<Relapse>>,
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
    /// The plasma timepoints' labels, in `--bam` order (the baseline, if
    /// any, is the BAM after them).
    labels: Vec<String>,
    loci: Vec<TumorLocus>,
    /// The engine's allele of each locus, in `loci` order.
    alts: Vec<Alt>,
    umi: Option<UmiConfig>,
    molecules: Molecules,
    pon: Option<LoadedPon>,
    /// Index of the matched normal (`--normal`) among the BAMs (the last).
    normal: Option<usize>,
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
    log_relapse(&setup.labels, &results[..setup.labels.len()]);
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
    let mut bams = args.bam.clone();
    bams.extend(args.baseline.iter().cloned());
    bams.extend(args.normal.iter().cloned());
    let normal = args.normal.as_ref().map(|_| bams.len() - 1);
    let sites = Sites {
        bed_panel: Vec::new(),
        known: loci.iter().map(|l| l.locus.clone()).collect(),
        known_pad: options.background_pad,
        chunk: None,
    };
    let mut inputs = RunInputs::new(reference, &bams, args.threads, sites)?;
    let labels = timepoint_labels(args, &inputs)?;
    // The labels name the sample columns (one patient's BAMs often share
    // one @RG SM); the baseline keeps its own name.
    for (b, l) in inputs.bams.iter_mut().zip(&labels) {
        b.sample = l.clone();
    }
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
        labels,
        loci,
        alts,
        umi,
        molecules,
        pon,
        normal,
    })
}

/// The timepoints' labels: `--timepoints` (one per `--bam`, non-empty,
/// distinct), else the BAMs' sample names.
fn timepoint_labels(args: &MrdArgs, inputs: &RunInputs) -> Result<Vec<String>> {
    let n = args.bam.len();
    let Some(labels) = &args.timepoints else {
        let names: Vec<String> = inputs.bams[..n].iter().map(|b| b.sample.clone()).collect();
        if let Some(i) = (1..n).find(|&i| names[..i].contains(&names[i])) {
            return Err(Error::bad_input(
                &inputs.bams[i].path,
                format!("its sample name '{}' (first @RG SM, else the file name) is that of an earlier --bam: the timepoints cannot be told apart", names[i]),
                "label the timepoints with --timepoints (one label per --bam, in order)",
            ));
        }
        return Ok(names);
    };
    if labels.len() != n {
        return Err(Error::Usage(format!(
            "--timepoints has {} labels for {n} --bam: give one label per --bam, in the same order",
            labels.len()
        )));
    }
    for (i, l) in labels.iter().enumerate() {
        if l.is_empty() || l.chars().any(|c| c.is_whitespace()) {
            return Err(Error::Usage(format!(
                "--timepoints label {} ('{l}') is empty or has white space",
                i + 1
            )));
        }
        if labels[..i].contains(l) {
            return Err(Error::Usage(format!(
                "--timepoints label '{l}' is given twice"
            )));
        }
    }
    Ok(labels.clone())
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

    let errs = |s: usize, ev: &[SiteEvidence]| -> (Vec<f64>, String) {
        let rates = ContextRates::estimate(&evidence, s);
        // With --pon, the normals' per-site rates (shrunk toward, and outside
        // the PoN's panel replaced by, this sample's context rates); the
        // matched normal against its own context rates.
        let pon = setup.pon.as_ref().filter(|_| setup.normal != Some(s));
        let background = SampleModel::of(&rates, pon);
        let model = ContextSiteModel {
            background: background.as_dyn(),
            pad: setup.options.background_pad,
        };
        let errs = (setup.loci.iter().zip(&setup.alts).zip(ev))
            .map(|((l, a), e)| model.rate(&l.locus, a, e))
            .collect();
        (errs, model.name())
    };
    let in_normal: Vec<bool> = match setup.normal {
        Some(n) => {
            let (e, _) = errs(n, &site_ev[n]);
            let ln_alpha = setup.settings.normal_alpha.ln();
            (site_ev[n].iter().zip(e))
                .map(|(ev, e)| crate::mrd::normal_carries(ev, e, ln_alpha))
                .collect()
        }
        None => Vec::new(),
    };
    let mut results: Vec<SampleResult> = Vec::with_capacity(n_samples);
    let mut null_model = String::new();
    for (s, ev) in site_ev.into_iter().enumerate() {
        if setup.normal == Some(s) {
            continue;
        }
        let (e, name) = errs(s, &ev);
        null_model = name;
        let sample = &inputs.bams[s].sample;
        let reference = &inputs.reference;
        let evidence = (ev, in_normal.as_slice());
        results.push(analyse(
            sample,
            &setup.loci,
            evidence,
            &e,
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

/// A series' molecular relapse (or its absence) on stderr.
fn log_relapse(labels: &[String], series: &[SampleResult]) {
    if series.len() < 2 {
        return;
    }
    let calls: Vec<_> = series.iter().map(|r| r.call).collect();
    match crate::mrd::series::relapse_index(&calls) {
        Some(i) => log::info!(
            "molecular relapse at {} (DETECTED after NOT_DETECTED at {})",
            labels[i],
            labels[i - 1]
        ),
        None => log::info!("no molecular relapse over {} timepoints", series.len()),
    }
}

/// What `mrd.json` holds: the verdicts, inputs and parameters. One
/// `--bam` keeps the single-sample shape; a series adds `timepoints` and
/// `molecular_relapse`, the top level being its last timepoint.
fn report<'a>(
    args: &MrdArgs,
    setup: &Setup,
    series: &'a [SampleResult],
    baseline: Option<&'a SampleResult>,
    null_model: &str,
) -> MrdReport<'a> {
    // `run` fits one result per `--bam` (required, so at least one).
    let plasma = &series[series.len() - 1];
    let (timepoints, molecular_relapse, bam) = if series.len() > 1 {
        let (points, relapse) = trajectory(&setup.labels, series, baseline);
        (Some(points), Some(relapse), serde_json::json!(args.bam))
    } else {
        (None, None, serde_json::json!(args.bam[0]))
    };
    let mut inputs = serde_json::json!({
        "bam": bam,
        "baseline": args.baseline,
        "normal": args.normal,
        "reference": args.reference,
        "tumor_variants": args.tumor_variants,
        "pon": args.pon.pon,
        "targets": args.targets,
    });
    if series.len() > 1 {
        inputs["timepoints"] = serde_json::json!(setup.labels);
    }
    MrdReport {
        plasma,
        timepoints,
        molecular_relapse,
        baseline,
        tf_ratio_to_baseline: ratio_to_baseline(plasma, baseline),
        null_model: null_model.to_string(),
        program: "ctdna",
        version: env!("CARGO_PKG_VERSION"),
        command: "mrd",
        inputs,
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
    let n = setup.labels.len();
    let (series, baseline) = (&results[..n], results.get(n));
    let json = report(args, setup, series, baseline, null_model);
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
        let text = match &json.timepoints {
            Some(points) => report::series_tsv(points),
            None => {
                report::tsv_header(baseline.is_some())
                    + &report::tsv_rows(&setup.loci, json.plasma, baseline, reference)
            }
        };
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
    let mut inputs: Vec<(&str, &std::path::Path)> =
        args.bam.iter().map(|b| ("--bam", b.as_path())).collect();
    inputs.extend([
        ("--reference", args.reference.as_path()),
        ("--tumor-variants", &args.tumor_variants),
    ]);
    inputs.extend(args.baseline.as_deref().map(|p| ("--baseline", p)));
    inputs.extend(args.normal.as_deref().map(|p| ("--normal", p)));
    inputs.extend(args.pon.pon.as_deref().map(|p| ("--pon", p)));
    inputs.extend(args.targets.as_deref().map(|p| ("--targets", p)));
    crate::atomic::check_paths(&outputs, &inputs)
}
