//! `ctdna call`: count evidence, fit the background, test, filter, write VCF.

use super::common::{prepare, read_counters};
use super::settings::{read_filter, thresholds, umi_options};
use crate::calling::filters::Thresholds;
use crate::calling::{Alphas, Alt, Call, Caller};
use crate::cli::CallArgs;
use crate::evidence::umi::Molecules;
use crate::evidence::ReadFilter;
use crate::model::context::ContextRates;
use crate::model::pon::{Pon, PonModel, UseParams};
use crate::model::saved::{SampleBackground, SavedBackground};
use crate::model::Background;
use crate::output::bedgraph::LodTrack;
use crate::output::call_metrics::{position_lods, sample_metrics, CallCounts, SampleMetrics};
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
    shard: Option<String>,
    shards: usize,
    known_alleles: usize,
    samples: Vec<SampleMetrics>,
    calls: CallCounts,
    runtime_seconds: f64,
    peak_rss_bytes: Option<u64>,
}

/// With `--pon`: the panel, checked against this run's reference, read
/// filters, molecules (fragments or UMI tier) and panel BED (the whole BED, whichever `--shard` runs here).
fn load_pon(
    args: &CallArgs,
    reference: &crate::reference::Reference,
    filter: &ReadFilter,
    molecules: &Molecules,
    thresholds: &Thresholds,
) -> Result<Option<(Pon, usize, UseParams)>> {
    let Some(path) = &args.pon.pon else {
        return Ok(None);
    };
    let params = UseParams {
        prior_weight: args.pon.pon_prior_weight,
        noisy_rate: thresholds.noisy_rate,
        noisy_min_normals: thresholds.noisy_normals,
    };
    crate::model::pon_file::load_for_run(
        path,
        args.input.targets.as_deref(),
        reference,
        filter,
        molecules,
        params,
    )
    .map(Some)
}

/// Run `ctdna call`.
pub fn run(args: &CallArgs) -> Result<()> {
    let started = Instant::now();
    let filter = read_filter(&args.filters)?;
    let thresholds = thresholds(&args.calling)?;
    let chunk = args
        .scatter
        .shard
        .as_deref()
        .map(regions::parse_chunk)
        .transpose()?;
    if chunk.is_some_and(|(_, n)| n > 1) && args.scatter.background.is_none() {
        return Err(crate::Error::Usage(
            "--shard I/N needs --background (the model fitted on the whole panel, from `ctdna call --write-background`), so that every chunk tests against the same background".into(),
        ));
    }
    let prepared = prepare(&args.input, chunk)?;
    // UMI mode decides what a molecule is; the PoN and background must have
    // been fitted on the same molecules.
    let umi_options = umi_options(&args.umi);
    let umi = crate::evidence::umi::resolve(&umi_options, &prepared.inputs, &prepared.reference)?;
    let molecules = Molecules::of(umi.as_ref());
    // The PoN is checked before any counting: a wrong one fails fast.
    let pon = load_pon(args, &prepared.reference, &filter, &molecules, &thresholds)?;
    let samples: Vec<String> = prepared.inputs.iter().map(|i| i.sample.clone()).collect();
    // So is the background of a scattered run.
    let saved = match &args.scatter.background {
        Some(path) => Some(SavedBackground::load(
            path,
            &prepared.reference,
            &filter,
            &molecules,
            prepared.panel_bases,
            &samples,
        )?),
        None => None,
    };
    // Reserve the outputs before the work, so a bad path fails fast.
    let mut writer = VcfWriter::create(&Destination::from_path(&args.output))?;
    for p in args.metrics.iter().chain(&args.lod_bedgraph) {
        drop(crate::output::atomic::Pending::new(p)?);
    }

    let evidence = prepared.count_with(&filter, umi.as_ref())?;
    if let Some(u) = &umi {
        crate::output::umi_metrics::warn_if_thin(&evidence, u.min_tier);
    }
    let rates: Vec<ContextRates> = match saved {
        Some(rates) => rates,
        None => (0..samples.len())
            .map(|s| ContextRates::estimate(&evidence, s))
            .collect(),
    };
    if let Some(path) = &args.scatter.write_background {
        let fitted = samples
            .iter()
            .zip(&rates)
            .map(|(s, r)| SampleBackground {
                sample: s.clone(),
                rates: r.clone(),
            })
            .collect();
        let saved = SavedBackground::new(
            &prepared.reference,
            &filter,
            prepared.panel_bases,
            molecules,
            fitted,
        );
        crate::output::metrics::write_json(path, &saved)?;
    }
    let pon_models: Vec<PonModel> = match &pon {
        Some((pon, n_normals, params)) => rates
            .iter()
            .map(|r| PonModel {
                pon,
                fallback: r,
                params: *params,
                n_normals: *n_normals,
            })
            .collect(),
        None => Vec::new(),
    };
    let models: Vec<&dyn Background> = if pon.is_some() {
        pon_models.iter().map(|m| m as &dyn Background).collect()
    } else {
        rates.iter().map(|r| r as &dyn Background).collect()
    };

    let target_bases: u64 = prepared.targets.iter().map(|t| t.len()).sum();
    // The whole panel is one family of tests, whichever chunk runs here.
    let alphas = Alphas::new(&thresholds, prepared.panel_bases, prepared.known.len());
    let mut known: BTreeMap<(usize, u64), Vec<Alt>> = BTreeMap::new();
    for k in &prepared.known {
        if let Some(a) = Alt::of_alleles(&k.ref_allele, &k.alt_allele) {
            known.entry((k.rid, k.pos0)).or_default().push(a);
        }
    }
    let caller = Caller {
        models: &models,
        thresholds: &thresholds,
        alphas,
        known: &known,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(prepared.threads)
        .build()
        .map_err(|e| crate::Error::Runtime(format!("cannot start threads: {e}")))?;
    let calls: Vec<Call> = pool.install(|| {
        evidence
            .par_iter()
            .map(|ev| caller.call_shard(ev))
            .collect::<Vec<_>>()
            .concat()
    });

    let mut options = serde_json::json!({
        "filters": filter,
        "thresholds": thresholds,
        "pon": args.pon.pon,
        "pon_prior_weight": args.pon.pon.as_ref().map(|_| args.pon.pon_prior_weight),
    });
    if let Some(u) = &umi {
        options["umi"] = serde_json::json!(u);
    }
    let header = vcf::header(&HeaderInfo {
        reference: &prepared.reference,
        samples: &samples,
        command_line: super::common::command_line(),
        thresholds: &thresholds,
        model: models.first().map_or("none".into(), |m| m.describe()),
        options_json: options.to_string(),
    });
    match &umi {
        None => {
            writer.write(&header)?;
            for c in &calls {
                writer.write(&vcf::record(c, &prepared.reference))?;
            }
        }
        Some(u) => {
            use crate::output::umi_metrics::umi_record;
            writer.write(&vcf::with_umi_format(&header))?;
            for c in &calls {
                let fields = umi_record(&evidence, c, u.min_tier);
                writer.write(&vcf::record_with(c, &prepared.reference, Some(&fields)))?;
            }
        }
    }
    writer.finish()?;
    let counts = CallCounts::of(&calls);
    log::info!(
        "{} records, {} PASS ({} SNV, {} indel) over {} target bases",
        counts.records,
        counts.pass,
        counts.pass_snv,
        counts.pass_indel,
        target_bases
    );

    if let (Some(path), Some(model)) = (&args.lod_bedgraph, models.first()) {
        let tracks: Vec<LodTrack> = pool.install(|| {
            evidence
                .par_iter()
                .map(|ev| LodTrack {
                    rid: ev.shard.rid,
                    start: ev.shard.start,
                    lods: position_lods(ev, 0, *model, alphas.de_novo, thresholds.min_alt)
                        .into_iter()
                        .map(|(_, lod)| lod)
                        .collect(),
                })
                .collect()
        });
        crate::output::bedgraph::write(path, &tracks, &prepared.reference.contigs, &samples[0])?;
    }

    if let Some(path) = &args.metrics {
        let reads = read_counters(&evidence, samples.len());
        let mut sample_metrics: Vec<SampleMetrics> = pool.install(|| {
            (0..samples.len())
                .map(|s| {
                    sample_metrics(
                        &evidence,
                        &prepared.targets,
                        s,
                        &samples[s],
                        reads[s].clone(),
                        models[s],
                        rates[s].report(),
                        alphas.de_novo,
                        thresholds.min_alt,
                    )
                })
                .collect()
        });
        if let Some(u) = &umi {
            for (s, m) in sample_metrics.iter_mut().enumerate() {
                m.umi = Some(crate::output::umi_metrics::umi_metrics(
                    &evidence, s, u.min_tier,
                ));
            }
        }
        let metrics = CallMetrics {
            command: "call",
            version: env!("CARGO_PKG_VERSION"),
            inputs: serde_json::json!({
                "bams": args.input.bams,
                "reference": args.input.reference,
                "targets": args.input.targets,
                "known": args.input.known,
            }),
            parameters: serde_json::json!({
                "filters": filter,
                "thresholds": thresholds,
                "threads": prepared.threads,
                "molecules": molecules,
                "pon": args.pon.pon,
                "pon_prior_weight": args.pon.pon.as_ref().map(|_| args.pon.pon_prior_weight),
            }),
            targets: prepared.targets.len(),
            target_bases,
            panel_bases: prepared.panel_bases,
            shard: args.scatter.shard.clone(),
            shards: prepared.shards.len(),
            known_alleles: prepared.known.len(),
            samples: sample_metrics,
            calls: counts,
            runtime_seconds: started.elapsed().as_secs_f64(),
            peak_rss_bytes: crate::output::metrics::peak_rss_bytes(),
        };
        crate::output::metrics::write_json(path, &metrics)?;
    }
    Ok(())
}
