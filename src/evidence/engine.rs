//! All shards of all samples, counted in parallel and returned in order.
//!
//! Each rayon worker opens one reader per input (and one FASTA reader) the
//! first time it gets a shard and reuses them for every later shard. Only
//! owned counters leave a worker; htslib records never cross threads.

use super::alleles::ShardCounts;
use super::bam::AlignmentInput;
use super::batch::{Batch, BatchCounter, SampleEvidence};
use crate::reference::{RefWindow, Reference};
use crate::regions::Shard;
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
    pub samples: Vec<SampleEvidence>,
}

impl ShardEvidence {
    /// The evidence of offsets `counted` of the shard (every sample's
    /// counts and UMI evidence, and the reference from `pad.0` bases before
    /// them to `pad.1` past them) as a shard whose calls start at offset
    /// `called_from`: the positions before it are there as context (the
    /// MNVs that reach into the called ones). No read counters or family
    /// sizes: those are summed over the whole shard.
    pub fn part(
        &self,
        counted: std::ops::Range<usize>,
        called_from: usize,
        pad: (u64, u64),
    ) -> ShardEvidence {
        let start = self
            .samples
            .first()
            .map_or(self.shard.start, |s| s.counts.start);
        let (lo, hi) = (start + counted.start as u64, start + counted.end as u64);
        ShardEvidence {
            shard: Shard {
                start: start + called_from as u64,
                end: hi,
                ..self.shard.clone()
            },
            window: self.window.slice(lo.saturating_sub(pad.0), hi + pad.1),
            samples: self
                .samples
                .iter()
                .map(|s| SampleEvidence {
                    counts: ShardCounts {
                        start: lo,
                        positions: s.counts.positions[counted.clone()].to_vec(),
                    },
                    reads: Default::default(),
                    umi: s.umi.as_ref().map(|u| Box::new(u.part(counted.clone()))),
                })
                .collect(),
        }
    }
}

/// How an engine run is spread: threads, batches per wave
/// ([`Engine::run_waves`]), and what to call as shards finish (progress).
pub struct Work<'a> {
    pub threads: usize,
    pub wave: usize,
    pub on_done: &'a (dyn Fn(u64) + Sync),
}

struct Worker {
    fasta: faidx::Reader,
    readers: Vec<bam::IndexedReader>,
}

/// Everything the engine needs, validated: the inputs, and the read loop
/// that counts one batch of one input (chosen once, by the caller: see
/// [`super::batch_counter`]).
pub struct Engine<'a, C: ?Sized> {
    reference: &'a Reference,
    inputs: &'a [AlignmentInput],
    counter: &'a C,
}

impl<'a, C: BatchCounter + ?Sized> Engine<'a, C> {
    /// Read `inputs` against `reference`, each batch counted by `counter`.
    pub fn new(reference: &'a Reference, inputs: &'a [AlignmentInput], counter: &'a C) -> Self {
        Engine {
            reference,
            inputs,
            counter,
        }
    }

    /// Count every shard with `threads` workers, reading nearby shards in
    /// batches (one fetch each; `on_done(n)` is called as shards finish,
    /// for progress bars), each shard's evidence handed to `digest` by the
    /// worker that counted it, as soon as its batch is counted: what leaves
    /// the worker is the digest (what a command keeps of a shard), so
    /// memory follows the work in flight, not the panel. Digests come back
    /// in shard order.
    pub fn run_digested<T: Send>(
        &self,
        shards: &[Shard],
        threads: usize,
        on_done: &(dyn Fn(u64) + Sync),
        digest: &(dyn Fn(ShardEvidence) -> Result<T> + Sync),
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut keep = |t| {
            out.push(t);
            Ok(())
        };
        let work = Work {
            threads,
            wave: usize::MAX,
            on_done,
        };
        self.run_waves(shards, &work, digest, &mut keep)?;
        Ok(out)
    }

    /// [`Engine::run_digested`] a wave of `work.wave` batches at a time:
    /// each wave is counted in parallel and its digests handed to `sink` in
    /// shard order before the next starts (an output written in panel
    /// order as it goes, holding one wave).
    pub fn run_waves<T: Send>(
        &self,
        shards: &[Shard],
        work: &Work,
        digest: &(dyn Fn(ShardEvidence) -> Result<T> + Sync),
        sink: &mut dyn FnMut(T) -> Result<()>,
    ) -> Result<()> {
        let threads = work.threads;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
            .map_err(|e| Error::Runtime(format!("cannot start {threads} threads: {e}")))?;
        let batches = crate::regions::batches(shards, threads);
        for wave in batches.chunks(work.wave.max(1)) {
            let per_batch: Vec<Vec<T>> = pool.install(|| {
                wave.par_iter()
                    // One batch per job: rayon would otherwise hand a worker
                    // a run of batches it cannot split once started, and the
                    // other core idles at the end while it finishes them.
                    .with_max_len(1)
                    .map_init(
                        || None,
                        |worker: &mut Option<Worker>, range| {
                            if worker.is_none() {
                                *worker = Some(self.open_worker()?);
                            }
                            // Invariant: set just above.
                            let w = worker.as_mut().expect("worker opened");
                            let counted = self.count(w, &shards[range.clone()])?;
                            let digested = counted.into_iter().map(digest).collect();
                            (work.on_done)(range.len() as u64);
                            digested
                        },
                    )
                    .collect::<Result<Vec<_>>>()
            })?;
            for t in per_batch.into_iter().flatten() {
                sink(t)?;
            }
        }
        Ok(())
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

    /// One batch: consecutive shards of one contig.
    fn count(&self, w: &mut Worker, batch: &[Shard]) -> Result<Vec<ShardEvidence>> {
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return Ok(Vec::new());
        };
        let contig = &self.reference.contigs[first.rid];
        let window = RefWindow::fetch(
            &w.fasta,
            contig,
            first.start.saturating_sub(WINDOW_PAD),
            last.end + WINDOW_PAD,
        )?;
        let ranges: Vec<(u64, u64)> = batch.iter().map(|s| (s.start, s.end)).collect();
        // Per input, per shard.
        let mut per_input: Vec<std::vec::IntoIter<SampleEvidence>> =
            Vec::with_capacity(self.inputs.len());
        for (input, reader) in self.inputs.iter().zip(w.readers.iter_mut()) {
            let counted = match input.tids[first.rid] {
                Some(tid) => {
                    let b = Batch::new(reader, &input.path, tid, &ranges, &window);
                    self.counter.count_batch(b)?
                }
                None => ranges
                    .iter()
                    .map(|&(s, e)| SampleEvidence::empty(s, e))
                    .collect(),
            };
            per_input.push(counted.into_iter());
        }
        Ok(batch
            .iter()
            .map(|shard| ShardEvidence {
                shard: shard.clone(),
                window: window.slice(
                    shard.start.saturating_sub(WINDOW_PAD),
                    shard.end + WINDOW_PAD,
                ),
                // Invariant: count_batch returns one SampleEvidence per range.
                samples: per_input
                    .iter_mut()
                    .map(|it| it.next().expect("one per shard"))
                    .collect(),
            })
            .collect())
    }
}
