//! All shards of all samples, counted in parallel and returned in order.
//!
//! Each rayon worker opens one reader per input (and one FASTA reader) the
//! first time it gets a shard and reuses them for every later shard. Only
//! owned counters leave a worker; htslib records never cross threads.

use super::bam::AlignmentInput;
use super::filters::ReadFilter;
use super::shard::{count_shard, SampleShard};
use crate::reference::{RefWindow, Reference};
use crate::regions::{Shard, Target};
use crate::{Error, Result};
use rayon::prelude::*;
use rust_htslib::{bam, faidx};

/// Reference bases kept on each side of a shard: enough for trinucleotide
/// context, homopolymer runs and left-aligning indels in repeats.
pub const WINDOW_PAD: u64 = 300;

/// One shard's evidence for every sample, with its reference window.
#[derive(Debug, Clone)]
pub struct ShardEvidence {
    pub shard: Shard,
    pub window: RefWindow,
    /// One per input, in `--bam` order.
    pub samples: Vec<SampleShard>,
}

struct Worker {
    fasta: faidx::Reader,
    readers: Vec<bam::IndexedReader>,
}

/// Everything the engine needs, validated.
pub struct Engine<'a> {
    pub reference: &'a Reference,
    pub inputs: &'a [AlignmentInput],
    pub targets: &'a [Target],
    pub filter: &'a ReadFilter,
}

impl Engine<'_> {
    /// Count every shard with `threads` workers; `on_done` is called after
    /// each shard (progress bars).
    pub fn run(
        &self,
        shards: &[Shard],
        threads: usize,
        on_done: &(dyn Fn() + Sync),
    ) -> Result<Vec<ShardEvidence>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
            .map_err(|e| Error::Runtime(format!("cannot start {threads} threads: {e}")))?;
        pool.install(|| {
            shards
                .par_iter()
                .map_init(
                    || None,
                    |worker: &mut Option<Worker>, shard| {
                        if worker.is_none() {
                            *worker = Some(self.open_worker()?);
                        }
                        // Invariant: set just above.
                        let w = worker.as_mut().expect("worker opened");
                        let r = self.count(w, shard);
                        on_done();
                        r
                    },
                )
                .collect()
        })
    }

    fn open_worker(&self) -> Result<Worker> {
        let readers = self
            .inputs
            .iter()
            .map(|i| i.reader(self.reference))
            .collect::<Result<Vec<_>>>()?;
        Ok(Worker {
            fasta: self.reference.reader()?,
            readers,
        })
    }

    fn count(&self, w: &mut Worker, shard: &Shard) -> Result<ShardEvidence> {
        let contig = &self.reference.contigs[shard.rid];
        let window = RefWindow::fetch(
            &w.fasta,
            contig,
            shard.start.saturating_sub(WINDOW_PAD),
            shard.end + WINDOW_PAD,
        )?;
        let target = &self.targets[shard.target];
        // Reads are counted in the first shard of their target that they reach.
        let count_reads_from = if shard.start == target.start {
            i64::MIN
        } else {
            shard.start as i64
        };
        let mut samples = Vec::with_capacity(self.inputs.len());
        for (input, reader) in self.inputs.iter().zip(w.readers.iter_mut()) {
            let s = match input.tids[shard.rid] {
                Some(tid) => count_shard(
                    reader,
                    &input.path,
                    tid,
                    shard.start,
                    shard.end,
                    count_reads_from,
                    &window,
                    self.filter,
                )?,
                None => SampleShard {
                    counts: super::alleles::ShardCounts::new(shard.start, shard.end),
                    reads: Default::default(),
                },
            };
            samples.push(s);
        }
        Ok(ShardEvidence {
            shard: shard.clone(),
            window,
            samples,
        })
    }
}
