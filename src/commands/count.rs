//! `ctdna count`: the evidence engine's per-position allele counts as TSV
//! (fragments, or in UMI mode molecules of the chosen tier and better).

use super::inputs::{input_files, RunInputs};
use super::settings::{read_filter, umi_options};
use crate::atomic::Pending;
use crate::cli::CountArgs;
use crate::evidence::engine::ShardEvidence;
use crate::evidence::umi::Molecules;
use crate::output::counts_tsv;
use crate::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::Path;

/// Batches per thread in a wave: the rows of this many batches of
/// [`crate::regions::MAX_SHARD`] bases are held at once.
const WAVE_PER_THREAD: usize = 4;

/// Run `ctdna count`.
pub fn run(args: &CountArgs) -> Result<()> {
    let mut outputs = vec![("-o", args.output.as_path())];
    outputs.extend(args.metrics.as_deref().map(|m| ("--metrics", m)));
    crate::atomic::check_paths(&outputs, &input_files(&args.input))?;
    let filter = read_filter(&args.filters)?;
    let inputs = RunInputs::open(&args.input, None, None)?;
    // Fragments, or molecules of the chosen UMI tier and better, as `call`
    // would test them.
    let umi_options = umi_options(&args.umi);
    let umi = crate::evidence::umi::resolve(&umi_options, &inputs.bams, &inputs.reference)?;
    let molecules = Molecules::of(umi.as_ref());
    let tier = umi.as_ref().map(|_| molecules.name());
    let to_stdout = args.output == Path::new("-");
    let pending = if to_stdout {
        None
    } else {
        Some(Pending::new(&args.output)?)
    };
    let metrics = args.metrics.as_deref().map(Pending::new).transpose()?;
    let samples: Vec<String> = inputs.bams.iter().map(|i| i.sample.clone()).collect();
    let out_path = pending
        .as_ref()
        .map_or(args.output.as_path(), |p| p.tmp.as_path());
    let io = |e| Error::io(out_path, e);
    let mut w: Box<dyn Write> = match &pending {
        Some(p) => Box::new(p.open()?),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    w.write_all(counts_tsv::header(tier).as_bytes())
        .map_err(io)?;
    // Each shard's rows are formatted by the worker that counted it, and
    // written in panel order a wave at a time: memory holds one wave.
    let rows = |ev: ShardEvidence| {
        let chrom = &inputs.reference.contigs[ev.shard.rid].name;
        let mut text = Vec::new();
        counts_tsv::write_shard(&mut text, &ev, chrom, &samples, &|_| true, tier).map_err(io)?;
        Ok(text)
    };
    let wave = inputs.threads * WAVE_PER_THREAD;
    let reads = inputs.count_in_waves(&filter, umi.as_ref(), wave, &rows, &mut |text| {
        w.write_all(&text).map_err(io)
    })?;
    w.flush().map_err(io)?;
    drop(w);
    let mut done: Vec<Pending> = pending.into_iter().collect();
    if let Some(m) = metrics {
        done.push(crate::output::metrics::write_json(
            m,
            &serde_json::json!({
                "command": "count",
                "version": env!("CARGO_PKG_VERSION"),
                "samples": samples,
                "read_alarms": reads.iter().map(crate::evidence::read_alarms::read_alarms).collect::<Vec<_>>(),
                "reads": reads,
                "filters": filter,
                "molecules": molecules,
                "umi": umi,
            }),
        )?);
    }
    // The TSV and the metrics are moved into place together, or neither.
    crate::atomic::commit_all(done)
}
