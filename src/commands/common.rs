//! Set-up shared by the commands that read alignments: validate every input
//! before any work, then run the evidence engine with a progress bar.

use crate::cli::InputArgs;
use crate::evidence::bam::AlignmentInput;
use crate::evidence::engine::{Engine, ShardEvidence};
use crate::evidence::ReadFilter;
use crate::loci::{self, KnownLocus};
use crate::reference::Reference;
use crate::regions::{self, Shard, Target};
use crate::{Error, Result};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Validated inputs of a counting run.
pub struct Prepared {
    pub reference: Reference,
    /// The targets of this run (one chunk of the panel with `--shard`).
    pub targets: Vec<Target>,
    /// Bases of the whole merged panel (all chunks).
    pub panel_bases: u64,
    /// The panel BED's merged targets (whole panel, without known loci):
    /// what a panel of normals is checked against.
    pub bed_panel: Vec<crate::regions::Target>,
    pub known: Vec<KnownLocus>,
    pub inputs: Vec<AlignmentInput>,
    pub shards: Vec<Shard>,
    pub threads: usize,
}

/// Read and check everything named on the command line; with `chunk =
/// Some((i, n))` keep only chunk `i` of `n` of the merged panel.
pub fn prepare(args: &InputArgs, chunk: Option<(usize, usize)>) -> Result<Prepared> {
    let reference = Reference::open(&args.reference)?;
    let bed_panel = match &args.targets {
        Some(bed) => regions::merge(regions::read_bed(bed, &reference)?),
        None => Vec::new(),
    };
    let known = match &args.known {
        Some(vcf) => loci::normalize_known(loci::read_known(vcf, &reference)?, &reference)?,
        None => Vec::new(),
    };
    let sites = Sites {
        bed_panel,
        known,
        known_pad: 0,
        chunk,
    };
    prepare_sites(reference, &args.bams, args.threads, sites)
}

/// Where a run counts: the panel BED and/or known loci.
pub struct Sites {
    /// The panel BED's merged targets (empty without `--targets`).
    pub bed_panel: Vec<Target>,
    /// Normalised known loci (counted, and reported even without alt reads).
    pub known: Vec<KnownLocus>,
    /// Bases counted on each side of every known locus as well (`mrd`
    /// fits its background on the loci's neighbourhoods).
    pub known_pad: u64,
    /// `Some((i, n))`: only chunk `i` of `n` of the merged panel.
    pub chunk: Option<(usize, usize)>,
}

/// [`prepare`] with the reference already open and the BED and known loci read.
pub fn prepare_sites(
    reference: Reference,
    bams: &[PathBuf],
    threads: Option<usize>,
    sites: Sites,
) -> Result<Prepared> {
    let Sites {
        bed_panel,
        known,
        known_pad,
        chunk,
    } = sites;
    let mut raw = bed_panel.clone();
    raw.extend(loci::known_targets_padded(&known, &reference, known_pad));
    if raw.is_empty() {
        return Err(Error::Usage(
            "nothing to count: give --targets panel.bed and/or --known sites.vcf".into(),
        ));
    }
    let panel = regions::merge(raw);
    let panel_bases = panel.iter().map(Target::len).sum();
    let targets = match chunk {
        Some((i, n)) => regions::chunk(&panel, i, n),
        None => panel,
    };
    let inputs = bams
        .iter()
        .map(|p| AlignmentInput::open(p, &reference, &targets))
        .collect::<Result<Vec<_>>>()?;
    let threads = super::settings::threads(threads)?;
    let shards = regions::shards(&targets, regions::shard_size(&targets, threads));
    Ok(Prepared {
        reference,
        targets,
        panel_bases,
        bed_panel,
        known,
        inputs,
        shards,
        threads,
    })
}

impl Prepared {
    /// Count every shard; a progress bar on stderr when it is a terminal.
    pub fn count(&self, filter: &ReadFilter) -> Result<Vec<ShardEvidence>> {
        self.count_with(filter, None)
    }

    /// [`Prepared::count`], in UMI mode when `umi` is given.
    pub fn count_with(
        &self,
        filter: &ReadFilter,
        umi: Option<&crate::evidence::umi::UmiConfig>,
    ) -> Result<Vec<ShardEvidence>> {
        let counter = crate::evidence::batch_counter(filter, umi);
        let engine = Engine::new(&self.reference, &self.inputs, counter.as_ref());
        let bar = if std::io::stderr().is_terminal() && log::log_enabled!(log::Level::Info) {
            let b = indicatif::ProgressBar::new(self.shards.len() as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} counting [{bar:40}] {pos}/{len} shards {elapsed_precise} (eta {eta})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        } else {
            indicatif::ProgressBar::hidden()
        };
        let out = engine.run(&self.shards, self.threads, &|n| bar.inc(n));
        bar.finish_and_clear();
        out
    }
}

/// Read counters per sample, summed over shards.
pub fn read_counters(
    evidence: &[ShardEvidence],
    n_samples: usize,
) -> Vec<crate::evidence::ReadCounters> {
    let mut out = vec![crate::evidence::ReadCounters::default(); n_samples];
    for ev in evidence {
        for (acc, s) in out.iter_mut().zip(&ev.samples) {
            acc.merge(&s.reads);
        }
    }
    out
}

/// The command line as written into output headers, without `--threads`:
/// output bytes must not depend on the thread count.
pub fn command_line() -> String {
    let mut out = Vec::new();
    let mut skip = false;
    for a in std::env::args() {
        if std::mem::take(&mut skip) {
            continue;
        }
        if a == "--threads" || a == "-@" {
            skip = true;
            continue;
        }
        if !a.starts_with("--threads=") {
            out.push(a);
        }
    }
    out.join(" ")
}
