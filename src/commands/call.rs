//! `ctdna call`: set up, count evidence, fit the background, test, write
//! the VCF (and the bedGraph and metrics).

use super::call_evidence::{self, Counted, Keep};
use super::inputs::{input_files, RunInputs};
use super::settings::{read_filter, thresholds, umi_options};
use crate::atomic::Pending;
use crate::calling::filters::Thresholds;
use crate::calling::lod::{LodInputs, LodMemo, LodTrack};
use crate::calling::normal::NormalRule;
use crate::calling::{Alphas, Call, Caller};
use crate::cli::CallArgs;
use crate::evidence::alleles::Alt;
use crate::evidence::engine::ShardEvidence;
use crate::evidence::umi::{Molecules, UmiConfig};
use crate::evidence::ReadFilter;
use crate::model::context::ContextRates;
use crate::model::fit::FitTally;
use crate::model::pon::{LoadedPon, UseParams};
use crate::model::saved::{SampleBackground, SavedBackground};
use crate::model::Background;
use crate::model::SampleModel;
use crate::output::bedgraph::BedGraph;
use crate::output::call_metrics::{sample_metrics, CallCounts, SampleFacts, SampleMetrics};
use crate::output::report::{calls as report_calls, multiqc};
use crate::output::track_summary::TrackSummary;
use crate::output::vcf::{self, Destination, HeaderInfo, VcfWriter};
use crate::regions;
use crate::Result;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::Instant;

/// Everything `--metrics` writes for `call`.
#[derive(Debug, serde::Serialize)]
struct CallMetrics {
    command: &'static str,
    version: &'static str,
    inputs: serde_json::Value,
    parameters: serde_json::Value,
    targets: usize,
    target_bases: u64,
    panel_bases: u64,
    /// `--shard I/N`: the scatter chunk this run called.
    shard: Option<String>,
    /// Units of parallel work counted.
    shards: usize,
    known_alleles: usize,
    samples: Vec<SampleMetrics>,
    calls: CallCounts,
    runtime_seconds: f64,
    peak_rss_bytes: Option<u64>,
}

/// A checked run: settings, inputs, and the VCF output reserved.
struct Setup {
    filter: ReadFilter,
    thresholds: Thresholds,
    inputs: RunInputs,
    umi: Option<UmiConfig>,
    molecules: Molecules,
    pon: Option<LoadedPon>,
    /// `--background`: the whole panel's model, for a scattered run.
    saved: Option<Vec<ContextRates>>,
    samples: Vec<String>,
    pool: rayon::ThreadPool,
}

/// Run `ctdna call`.
pub fn run(args: &CallArgs) -> Result<()> {
    let started = Instant::now();
    let (mut setup, out) = set_up(args)?;
    let known = known_alleles(&setup.inputs);
    let summaries = out.metrics.is_some() || out.report.is_some() || !out.multiqc.is_empty();
    let keep = Keep {
        known: &known,
        fit: setup.saved.is_none(),
        lod_samples: if summaries {
            setup.samples.len()
        } else {
            usize::from(out.bedgraph.is_some())
        },
        normal_pon: setup.pon.is_none() && setup.inputs.normal.is_some(),
    };
    let mut counted =
        call_evidence::count(&setup.inputs, &setup.filter, setup.umi.as_ref(), &keep)?;
    if let Some(u) = &setup.umi {
        crate::model::tiers::warn_if_thin(&counted.umi, u.min_tier);
    }
    let fits = std::mem::take(&mut counted.fits);
    let (rates, background) = fit(&mut setup, fits, out.background)?;
    if let Some(pon) = counted.normal_pon.take() {
        setup.pon = Some(normal_as_pon(args, &setup, pon));
    }
    let models = sample_models(&setup, &rates);
    let minor: Vec<Option<f64>> = rates.iter().map(ContextRates::minor_strand_share).collect();
    let (calls, alphas) = test(&setup, &counted.islands, &known, &models, &minor);
    // Every output is written under its temporary name, then all are
    // moved into place together: a failure anywhere leaves none.
    let mut done = write_vcf(args, &setup, out.vcf, &calls, &models)?;
    done.extend(background);
    let lod = LodPass {
        setup: &setup,
        models: &models,
        alphas,
    };
    let (bedgraph, tracks) = lod.run(&counted, out.bedgraph, summaries)?;
    done.extend(bedgraph);
    if summaries {
        let f = SampleFacts::of(&setup, &counted, &rates, &models);
        let samples = (f.into_iter().zip(&tracks))
            .map(|(f, t)| sample_metrics(&setup.inputs.targets, t, f))
            .collect::<Result<Vec<_>>>()?;
        let metrics = metrics(args, &setup, samples, &calls, started);
        done.extend(write_summaries(
            args,
            &setup,
            &calls,
            &metrics,
            Summaries {
                metrics: out.metrics,
                report: out.report,
                multiqc: out.multiqc,
            },
        )?);
    }
    crate::atomic::commit_all(done)
}

/// The known alleles by (contig index, 0-based anchor position).
fn known_alleles(inputs: &RunInputs) -> BTreeMap<(usize, u64), Vec<Alt>> {
    let mut known: BTreeMap<(usize, u64), Vec<Alt>> = BTreeMap::new();
    for k in &inputs.known {
        if let Some(a) = Alt::of_alleles(&k.ref_allele, &k.alt_allele) {
            known.entry((k.rid, k.pos0)).or_default().push(a);
        }
    }
    known
}

/// The outputs of a run, reserved (temporary files created) before any work.
struct Outputs {
    vcf: VcfWriter,
    metrics: Option<Pending>,
    bedgraph: Option<Pending>,
    background: Option<Pending>,
    report: Option<Pending>,
    multiqc: Vec<(multiqc::Part, Pending)>,
}

/// The outputs made from the run's metrics.
struct Summaries {
    metrics: Option<Pending>,
    report: Option<Pending>,
    multiqc: Vec<(multiqc::Part, Pending)>,
}

/// The metrics JSON, the HTML report and the MultiQC files, from the
/// metrics and the VCF's records (formatted again and read back, so the
/// report's table is the VCF's rows).
fn write_summaries(
    args: &CallArgs,
    setup: &Setup,
    calls: &[Call],
    metrics: &CallMetrics,
    out: Summaries,
) -> Result<Vec<Pending>> {
    let mut done = Vec::new();
    if let Some(pending) = out.metrics {
        done.push(crate::output::metrics::write_json(pending, metrics)?);
    }
    if out.report.is_none() && out.multiqc.is_empty() {
        return Ok(done);
    }
    let value = serde_json::to_value(metrics)
        .map_err(|e| crate::Error::Runtime(format!("serialising the metrics: {e}")))?;
    let tier = setup.umi.as_ref().map(|u| u.min_tier);
    let rows = calls
        .iter()
        .filter_map(|c| report_calls::parse_record(&vcf::record(c, &setup.inputs.reference, tier)))
        .collect();
    let table = report_calls::Calls {
        samples: setup.samples.clone(),
        rows,
    };
    if let Some(pending) = out.report {
        let sources = [("VCF".to_string(), args.output.display().to_string())];
        let pon = args
            .pon
            .pon
            .as_deref()
            .map(super::report::pon_summary)
            .transpose()?;
        let input = crate::output::report::ReportInput {
            metrics: &value,
            calls: &table,
            mrd: &[],
            sources: &sources,
            pon: pon.as_ref(),
        };
        done.push(crate::output::report::write(pending, &input)?);
    }
    for (part, pending) in out.multiqc {
        done.push(multiqc::write_call(pending, part, &value, &table)?);
    }
    Ok(done)
}

/// Check every output path against the others and the inputs (exit 2,
/// nothing written), before anything is read.
fn check_output_paths(args: &CallArgs) -> Result<()> {
    let vcf = vcf::output_files(&args.output);
    let mut outputs: Vec<(&str, &std::path::Path)> =
        vcf.iter().map(|p| ("-o", p.as_path())).collect();
    outputs.extend(args.metrics.as_deref().map(|p| ("--metrics", p)));
    outputs.extend(args.lod_bedgraph.as_deref().map(|p| ("--lod-bedgraph", p)));
    outputs.extend(args.reporting.report.as_deref().map(|p| ("--report", p)));
    let background = args.scatter.write_background.as_deref();
    outputs.extend(background.map(|p| ("--write-background", p)));
    let mut inputs = input_files(&args.input);
    inputs.extend(args.normal.as_deref().map(|p| ("--normal", p)));
    inputs.extend(args.pon.pon.as_deref().map(|p| ("--pon", p)));
    inputs.extend(
        args.scatter
            .background
            .as_deref()
            .map(|p| ("--background", p)),
    );
    crate::atomic::check_paths(&outputs, &inputs)
}

/// The limits of detection, from the LoD inputs kept while counting.
struct LodPass<'a> {
    setup: &'a Setup,
    models: &'a [SampleModel<'a>],
    alphas: Alphas,
}

impl LodPass<'_> {
    /// Shards at a time whose tracks are computed in parallel (then handed
    /// on in panel order).
    const WAVE: usize = 64;

    /// Compute every kept shard's tracks, a wave of shards at a time in
    /// parallel, and hand them on in panel order: the first sample's to
    /// the bedGraph (written as it goes), every sample's to its summary
    /// (with `summaries`). Memory: one wave's tracks.
    fn run(
        &self,
        counted: &Counted,
        bedgraph: Option<Pending>,
        summaries: bool,
    ) -> Result<(Option<Pending>, Vec<TrackSummary>)> {
        let Some(spill) = &counted.spill else {
            return Ok((bedgraph, Vec::new()));
        };
        let contigs = &self.setup.inputs.reference.contigs;
        let mut graph = match &bedgraph {
            Some(p) => Some(BedGraph::new(
                p.open()?,
                p.path(),
                contigs,
                &self.setup.samples[0],
            )?),
            None => None,
        };
        let wanted = counted.lod.first().map_or(0, LodInputs::samples);
        let mut sums = (0..if summaries { wanted } else { 0 })
            .map(|_| TrackSummary::new())
            .collect::<Result<Vec<_>>>()?;
        let models: Vec<&dyn Background> = self.models[..wanted]
            .iter()
            .map(SampleModel::as_dyn)
            .collect();
        let level = (self.alphas.de_novo, self.setup.thresholds.min_alt);
        let memo = LodMemo::default();
        for wave in counted.lod.chunks(Self::WAVE) {
            let tracks: Vec<Vec<LodTrack>> = self.setup.pool.install(|| {
                wave.par_iter()
                    .map(|i| i.tracks(spill, &models, level, &memo))
                    .collect::<Result<_>>()
            })?;
            for shard in &tracks {
                if let (Some(g), Some(first)) = (&mut graph, shard.first()) {
                    g.push(first)?;
                }
                for (sum, t) in sums.iter_mut().zip(shard) {
                    sum.push(t)?;
                }
            }
        }
        if let Some(g) = graph {
            g.finish()?;
        }
        Ok((bedgraph, sums))
    }
}

/// Check every setting and input, load the PoN and a saved background, and
/// reserve the outputs: a wrong input fails before any counting.
fn set_up(args: &CallArgs) -> Result<(Setup, Outputs)> {
    check_output_paths(args)?;
    let filter = read_filter(&args.filters)?;
    let thresholds = thresholds(&args.calling)?;
    let chunk = args
        .scatter
        .chunk
        .as_deref()
        .map(regions::parse_chunk)
        .transpose()?;
    if chunk.is_some_and(|(_, n)| n > 1) && args.scatter.background.is_none() {
        return Err(crate::Error::Usage(
            "--shard I/N needs --background (the model fitted on the whole panel, from `ctdna call --write-background`), so that every chunk tests against the same background".into(),
        ));
    }
    let inputs = RunInputs::open(&args.input, args.normal.as_deref(), chunk)?;
    // UMI mode decides what a molecule is; the PoN and background must have
    // been fitted on the same molecules.
    let umi_options = umi_options(&args.umi);
    let umi = crate::evidence::umi::resolve(&umi_options, &inputs.bams, &inputs.reference)?;
    let molecules = Molecules::of(umi.as_ref());
    let pon = load_pon(args, &inputs, &filter, &molecules, &thresholds)?;
    let samples: Vec<String> = inputs.bams.iter().map(|i| i.sample.clone()).collect();
    let saved = match &args.scatter.background {
        Some(path) => Some(SavedBackground::load(
            path,
            &inputs.reference,
            &filter,
            &molecules,
            inputs.panel_bases,
            &samples,
        )?),
        None => None,
    };
    // Reserve the outputs before the work, so a bad path fails fast.
    let reserve = |p: &Option<std::path::PathBuf>| p.as_deref().map(Pending::new).transpose();
    let outputs = Outputs {
        vcf: VcfWriter::create(&Destination::from_path(&args.output))?,
        metrics: reserve(&args.metrics)?,
        bedgraph: reserve(&args.lod_bedgraph)?,
        background: reserve(&args.scatter.write_background)?,
        report: reserve(&args.reporting.report)?,
        multiqc: reserve_multiqc(args, &samples, umi.is_some())?,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(inputs.threads)
        .build()
        .map_err(|e| crate::Error::Runtime(format!("cannot start threads: {e}")))?;
    let setup = Setup {
        filter,
        thresholds,
        inputs,
        umi,
        molecules,
        pon,
        saved,
        samples,
        pool,
    };
    Ok((setup, outputs))
}

/// `--multiqc DIR`: the folder made and its files (named after the first
/// sample) checked against the other outputs and the inputs, then reserved.
fn reserve_multiqc(
    args: &CallArgs,
    samples: &[String],
    umi: bool,
) -> Result<Vec<(multiqc::Part, Pending)>> {
    let Some(dir) = &args.reporting.multiqc else {
        return Ok(Vec::new());
    };
    multiqc::create_dir(dir)?;
    let first = samples.first().map_or("sample", String::as_str);
    let paths = multiqc::call_paths(dir, first, umi);
    let vcf = vcf::output_files(&args.output);
    let mut outputs: Vec<(&str, &std::path::Path)> = paths
        .iter()
        .map(|(_, p)| ("--multiqc", p.as_path()))
        .collect();
    outputs.extend(vcf.iter().map(|p| ("-o", p.as_path())));
    for (option, path) in [
        ("--metrics", &args.metrics),
        ("--report", &args.reporting.report),
        ("--lod-bedgraph", &args.lod_bedgraph),
    ] {
        outputs.extend(path.as_deref().map(|p| (option, p)));
    }
    crate::atomic::check_paths(&outputs, &input_files(&args.input))?;
    paths
        .into_iter()
        .map(|(part, p)| Ok((part, Pending::new(&p)?)))
        .collect()
}

/// With `--pon`: the panel of normals, checked against this run's
/// reference, read filters, molecules and panel BED (the whole BED,
/// whichever `--shard` chunk runs here).
fn load_pon(
    args: &CallArgs,
    inputs: &RunInputs,
    filter: &ReadFilter,
    molecules: &Molecules,
    thresholds: &Thresholds,
) -> Result<Option<LoadedPon>> {
    let Some(path) = &args.pon.pon else {
        return Ok(None);
    };
    let panel = args
        .input
        .targets
        .as_ref()
        .map(|_| inputs.bed_panel.as_slice());
    let params = UseParams {
        prior_weight: args.pon.pon_prior_weight,
        noisy_rate: thresholds.noisy_rate,
        noisy_min_normals: thresholds.noisy_normals,
    };
    crate::model::pon_file::load_for_run(path, panel, &inputs.reference, filter, molecules, params)
        .map(Some)
}

/// Without `--pon`, the matched normal (`--normal`) as a one-sample panel
/// of normals: its molecules at each site, shrunk toward the context rate
/// as a panel's are (docs/model.md).
fn normal_as_pon(args: &CallArgs, setup: &Setup, pon: crate::model::pon::Pon) -> LoadedPon {
    LoadedPon {
        pon,
        normals: 1,
        params: UseParams {
            prior_weight: args.pon.pon_prior_weight,
            noisy_rate: setup.thresholds.noisy_rate,
            noisy_min_normals: setup.thresholds.noisy_normals,
        },
    }
}

/// One background per sample: the called samples' with the panel of
/// normals (if any); the matched normal's of its own context rates.
fn sample_models<'a>(setup: &'a Setup, rates: &'a [ContextRates]) -> Vec<SampleModel<'a>> {
    let pon = |k: usize| {
        setup
            .pon
            .as_ref()
            .filter(|_| setup.inputs.normal != Some(k))
    };
    (rates.iter().enumerate())
        .map(|(k, r)| SampleModel::of(r, pon(k)))
        .collect()
}

/// Each sample's context rates: fitted on this run's evidence, or the
/// saved whole-panel model of a scattered run; `--write-background` saves
/// them (returned for the caller to commit).
fn fit(
    setup: &mut Setup,
    fits: Vec<FitTally>,
    background: Option<Pending>,
) -> Result<(Vec<ContextRates>, Option<Pending>)> {
    let rates: Vec<ContextRates> = match setup.saved.take() {
        Some(rates) => rates,
        None => fits.into_iter().map(FitTally::finish).collect(),
    };
    let mut written = None;
    if let Some(pending) = background {
        let fitted = setup
            .samples
            .iter()
            .zip(&rates)
            .map(|(s, r)| SampleBackground {
                sample: s.clone(),
                rates: r.clone(),
            })
            .collect();
        let saved = SavedBackground::new(
            &setup.inputs.reference,
            &setup.filter,
            setup.inputs.panel_bases,
            setup.molecules,
            fitted,
        );
        written = Some(crate::output::metrics::write_json(pending, &saved)?);
    }
    Ok((rates, written))
}

/// Test every candidate allele of every kept part of the shards (in
/// parallel, in panel order); the whole panel is one family of tests,
/// whichever chunk runs here.
fn test(
    setup: &Setup,
    islands: &[ShardEvidence],
    known: &BTreeMap<(usize, u64), Vec<Alt>>,
    models: &[SampleModel],
    minor_strand: &[Option<f64>],
) -> (Vec<Call>, Alphas) {
    let inputs = &setup.inputs;
    let alphas = Alphas::new(&setup.thresholds, inputs.panel_bases, inputs.known.len());
    let models: Vec<_> = models.iter().map(SampleModel::as_dyn).collect();
    let caller = Caller {
        models: &models,
        thresholds: &setup.thresholds,
        alphas,
        known,
        minor_strand,
        normal: inputs.normal.map(|i| NormalRule::new(i, &setup.thresholds)),
    };
    let calls = setup.pool.install(|| {
        islands
            .par_iter()
            .map(|ev| caller.call_shard(ev))
            .collect::<Vec<_>>()
            .concat()
    });
    (calls, alphas)
}

/// The VCF: header (settings as JSON) and one record per call; returns the
/// finished files (VCF and index) for the caller to commit.
fn write_vcf(
    args: &CallArgs,
    setup: &Setup,
    mut writer: VcfWriter,
    calls: &[Call],
    models: &[SampleModel],
) -> Result<Vec<Pending>> {
    let reference = &setup.inputs.reference;
    let mut options = serde_json::json!({
        "filters": setup.filter,
        "thresholds": setup.thresholds,
        "pon": args.pon.pon,
        "pon_prior_weight": args.pon.pon.as_ref().map(|_| args.pon.pon_prior_weight),
    });
    if let Some(u) = &setup.umi {
        options["umi"] = serde_json::json!(u);
    }
    let header = vcf::header(&HeaderInfo {
        reference,
        samples: &setup.samples,
        normal: setup.inputs.normal.map(|i| setup.samples[i].as_str()),
        command_line: super::command_line(),
        thresholds: &setup.thresholds,
        model: models
            .first()
            .map_or("none".into(), |m| m.as_dyn().describe()),
        options_json: options.to_string(),
    });
    let tier = setup.umi.as_ref().map(|u| u.min_tier);
    let header = if tier.is_some() {
        vcf::with_umi_format(&header)
    } else {
        header
    };
    writer.write(&header)?;
    for c in calls {
        writer.write(&vcf::record(c, reference, tier))?;
    }
    let finished = writer.finish()?;
    let counts = CallCounts::of(calls);
    let target_bases: u64 = setup.inputs.targets.iter().map(|t| t.len()).sum();
    log::info!(
        "{} records, {} PASS ({} SNV, {} indel) over {} target bases",
        counts.records,
        counts.pass,
        counts.pass_snv,
        counts.pass_indel,
        target_bases
    );
    Ok(finished)
}

impl SampleFacts {
    /// Each sample's facts besides its tracks, from what the stages computed.
    fn of(
        setup: &Setup,
        counted: &Counted,
        rates: &[ContextRates],
        models: &[SampleModel],
    ) -> Vec<SampleFacts> {
        (0..setup.samples.len())
            .map(|s| SampleFacts {
                name: setup.samples[s].clone(),
                reads: counted.reads[s].clone(),
                background_model: models[s].as_dyn().name().to_string(),
                error_rates: rates[s].report(),
                umi: setup
                    .umi
                    .as_ref()
                    .map(|u| counted.umi[s].metrics(u.min_tier)),
            })
            .collect()
    }
}

/// The `--metrics` document: inputs, parameters, samples, calls, runtime.
fn metrics(
    args: &CallArgs,
    setup: &Setup,
    samples: Vec<SampleMetrics>,
    calls: &[Call],
    started: Instant,
) -> CallMetrics {
    let inputs = &setup.inputs;
    CallMetrics {
        command: "call",
        version: env!("CARGO_PKG_VERSION"),
        inputs: serde_json::json!({
            "bams": args.input.bams,
            "reference": args.input.reference,
            "targets": args.input.targets,
            "known": args.input.known,
            "normal": args.normal,
        }),
        parameters: serde_json::json!({
            "filters": setup.filter,
            "thresholds": setup.thresholds,
            "threads": inputs.threads,
            "molecules": setup.molecules,
            "pon": args.pon.pon,
            "pon_prior_weight": args.pon.pon.as_ref().map(|_| args.pon.pon_prior_weight),
        }),
        targets: inputs.targets.len(),
        target_bases: inputs.targets.iter().map(|t| t.len()).sum(),
        panel_bases: inputs.panel_bases,
        shard: args.scatter.chunk.clone(),
        shards: inputs.shards.len(),
        known_alleles: inputs.known.len(),
        samples,
        calls: CallCounts::of(calls),
        runtime_seconds: started.elapsed().as_secs_f64(),
        peak_rss_bytes: crate::output::metrics::peak_rss_bytes(),
    }
}
