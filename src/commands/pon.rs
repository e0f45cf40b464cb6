//! `ctdna pon`: count every normal with the evidence engine (fragments, or
//! UMI molecules of a tier, as `call` would), fit each site and allele,
//! write the panel-of-normals file.
//!
//! Streaming: all normals of a shard are counted in one worker, which
//! reduces them to file rows and drops the evidence; the rows are written
//! in panel order a wave of batches at a time, so memory is bounded by one
//! wave and not by the panel.

use super::inputs::{RunInputs, Sites};
use super::settings::{pon_build, read_filter, umi_options};
use crate::cli::PonArgs;
use crate::evidence::engine::ShardEvidence;
use crate::evidence::umi::Molecules;
use crate::model::pon::{summarize_shard, PonRow};
use crate::model::pon_file::{PonHeader, PonWriter};
use crate::reference::Reference;
use crate::regions;
use crate::Result;
use std::time::Instant;

/// Batches per thread in a wave: enough to keep every worker busy, few
/// enough that a wave's rows stay small.
const BATCHES_PER_THREAD: usize = 4;

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

    // Each shard's rows are built by the worker that counted it and written
    // in panel order a wave at a time (see `Engine::run_waves`).
    let rows = |ev: ShardEvidence| Ok(summarize_shard(&ev, &build));
    let mut n_rows = 0usize;
    let wave = threads * BATCHES_PER_THREAD;
    inputs.count_in_waves(&filter, umi.as_ref(), wave, &rows, &mut |r: Vec<PonRow>| {
        n_rows += r.len();
        writer.rows(&r)
    })?;
    let finished = writer.finish()?;
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
