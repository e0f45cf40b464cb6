//! `ctdna pon`: count every normal with the evidence engine (fragments, or
//! UMI molecules of a tier, as `call` would), fit each site and allele,
//! write the panel-of-normals file.
//!
//! Streaming: shards are counted a batch at a time (all normals of a shard
//! in one worker), each batch is reduced to file rows in parallel and
//! written, and its evidence dropped, so memory is bounded by one batch and
//! not by the panel.

use super::inputs::{read_counters, warn_about_reads, RunInputs, Sites};
use super::settings::{pon_build, read_filter, umi_options};
use crate::cli::PonArgs;
use crate::evidence::engine::Engine;
use crate::evidence::umi::Molecules;
use crate::model::pon::{summarize_shard, PonRow};
use crate::model::pon_file::{PonHeader, PonWriter};
use crate::reference::Reference;
use crate::regions;
use crate::{Error, Result};
use rayon::prelude::*;
use std::time::Instant;

/// Shards per batch and thread: large enough to keep every worker busy,
/// small enough that a batch's evidence stays small.
const SHARDS_PER_THREAD: usize = 16;

/// Run `ctdna pon`.
pub fn run(args: &PonArgs) -> Result<()> {
    let started = Instant::now();
    let mut inputs: Vec<(&str, &std::path::Path)> =
        args.bams.iter().map(|b| ("--bam", b.as_path())).collect();
    inputs.push(("--reference", &args.reference));
    inputs.push(("--targets", &args.targets));
    crate::atomic::check_paths(&[("-o", &args.output)], &inputs)?;
    let filter = read_filter(&args.filters)?;
    let build = pon_build(args)?;
    let reference = Reference::open(&args.reference)?;
    let sites = Sites {
        bed_panel: regions::merge(regions::read_bed(&args.targets, &reference)?),
        known: Vec::new(),
        known_pad: 0,
        chunk: None,
    };
    let inputs = RunInputs::new(reference, &args.bams, args.threads, sites)?;
    let (reference, panel, threads) = (&inputs.reference, &inputs.targets, inputs.threads);
    let names: Vec<String> = inputs.bams.iter().map(|i| i.sample.clone()).collect();
    for (i, a) in names.iter().enumerate() {
        if names[..i].contains(a) {
            log::warn!("two normals are named {a}: their columns are told apart by order only");
        }
    }
    // The normals are counted as `call` counts: fragments, or UMI molecules
    // of the chosen tier (all normals alike). The header records which.
    let umi = crate::evidence::umi::resolve(&umi_options(&args.umi), &inputs.bams, reference)?;
    let molecules = Molecules::of(umi.as_ref());
    let header = PonHeader::new(reference, &filter, molecules, panel, names.clone(), build);
    let mut writer = PonWriter::create(&args.output, &header)?;

    let counter = crate::evidence::batch_counter(&filter, umi.as_ref());
    let engine = Engine::new(reference, &inputs.bams, counter.as_ref());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Runtime(format!("cannot start {threads} threads: {e}")))?;
    let mut n_rows = 0usize;
    let mut reads = vec![crate::evidence::ReadCounters::default(); names.len()];
    for batch in inputs.shards.chunks(threads * SHARDS_PER_THREAD) {
        let evidence = engine.run(batch, threads, &|_| {})?;
        for (acc, c) in reads.iter_mut().zip(read_counters(&evidence, names.len())) {
            acc.merge(&c);
        }
        let rows: Vec<Vec<PonRow>> = pool.install(|| {
            evidence
                .par_iter()
                .map(|ev| summarize_shard(ev, &build))
                .collect()
        });
        for r in &rows {
            writer.rows(r)?;
            n_rows += r.len();
        }
    }
    let finished = writer.finish()?;
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    warn_about_reads(&reads, &name_refs);
    log::info!(
        "panel of normals: {} normals ({}), {} rows over {} target bases, {:.1} s",
        inputs.bams.len(),
        molecules.name(),
        n_rows,
        panel.iter().map(|t| t.len()).sum::<u64>(),
        started.elapsed().as_secs_f64()
    );
    finished.commit()
}
