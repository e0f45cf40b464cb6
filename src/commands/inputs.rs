//! The inputs of a counting run (reference, panel BED and known loci →
//! targets and shards, BAMs, threads), all checked before any work, and the
//! evidence engine run over them with a progress bar. Shared by `call`,
//! `count` and `mrd`.

use crate::cli::InputArgs;
use crate::evidence::bam::AlignmentInput;
use crate::evidence::engine::{Engine, ShardEvidence, Work};
use crate::evidence::{ReadCounters, ReadFilter};
use crate::loci::{self, KnownLocus};
use crate::reference::Reference;
use crate::regions::{self, Shard, Target};
use crate::{Error, Result};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The input files named by `args`, with their options: outputs must not
/// overwrite them (see [`crate::atomic::check_paths`]).
pub fn input_files(args: &InputArgs) -> Vec<(&'static str, &Path)> {
    let mut files: Vec<(&str, &Path)> = args.bams.iter().map(|b| ("--bam", b.as_path())).collect();
    files.push(("--reference", &args.reference));
    files.extend(args.targets.as_deref().map(|t| ("--targets", t)));
    files.extend(args.known.as_deref().map(|k| ("--known", k)));
    files
}

/// The validated inputs of a counting run.
pub struct RunInputs {
    pub reference: Reference,
    /// The targets of this run (one chunk of the panel with `--shard`).
    pub targets: Vec<Target>,
    /// Bases of the whole merged panel (all chunks).
    pub panel_bases: u64,
    /// The panel BED's merged targets (whole panel, without known loci):
    /// what a panel of normals is checked against.
    pub bed_panel: Vec<Target>,
    pub known: Vec<KnownLocus>,
    /// The BAMs/CRAMs, in `--bam` order (one sample each), then the
    /// matched normal (`call --normal`) if any.
    pub bams: Vec<AlignmentInput>,
    /// Index of the matched normal in `bams` (the last).
    pub normal: Option<usize>,
    pub shards: Vec<Shard>,
    pub threads: usize,
}

impl RunInputs {
    /// Read and check everything named on the command line; with `chunk =
    /// Some((i, n))` keep only chunk `i` of `n` of the merged panel; a
    /// matched normal (`normal`) is counted after the `--bam`s.
    pub fn open(
        args: &InputArgs,
        normal: Option<&Path>,
        chunk: Option<(usize, usize)>,
    ) -> Result<RunInputs> {
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
        let mut bams = args.bams.clone();
        bams.extend(normal.map(Path::to_path_buf));
        let mut inputs = RunInputs::new(reference, &bams, args.threads, sites)?;
        inputs.normal = normal.map(|_| bams.len() - 1);
        inputs.require_distinct_samples()?;
        Ok(inputs)
    }

    /// Outputs with a column per sample (VCF, count table) tell samples
    /// apart by name, and bcftools refuses a VCF with two equal sample
    /// columns: two BAMs with one `SM` are refused naming both files
    /// (renaming them silently would hide which is which). `pon` does not
    /// ask this: its normals are columns by order.
    pub fn require_distinct_samples(&self) -> Result<()> {
        for (i, b) in self.bams.iter().enumerate() {
            if let Some(a) = self.bams[..i].iter().find(|a| a.sample == b.sample) {
                return Err(Error::bad_input(
                    &b.path,
                    format!(
                        "its sample name '{}' (first @RG SM, else the file name) is also that of {}: the output would have two equal sample columns",
                        b.sample,
                        a.path.display()
                    ),
                    "give each sample once, each with its own @RG SM (`samtools reheader` changes it)",
                ));
            }
        }
        Ok(())
    }

    /// [`RunInputs::open`] with the reference already open and the BED and
    /// known loci read.
    pub fn new(
        reference: Reference,
        bams: &[PathBuf],
        threads: Option<usize>,
        sites: Sites,
    ) -> Result<RunInputs> {
        let Sites {
            bed_panel,
            known,
            known_pad,
            chunk,
        } = sites;
        let mut raw = bed_panel.clone();
        raw.extend(loci::known_targets(&known, &reference, known_pad));
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
        refuse_repeated_files(bams)?;
        let bams = bams
            .iter()
            .map(|p| AlignmentInput::open(p, &reference, &targets))
            .collect::<Result<Vec<_>>>()?;
        let threads = super::settings::threads(threads)?;
        let shards = regions::shards(&targets, regions::shard_size(&targets, threads));
        Ok(RunInputs {
            reference,
            targets,
            panel_bases,
            bed_panel,
            known,
            bams,
            normal: None,
            shards,
            threads,
        })
    }

    /// Count every shard, fragments or (with `umi`) UMI families of a tier;
    /// a progress bar on stderr when it is a terminal.
    pub fn count(
        &self,
        filter: &ReadFilter,
        umi: Option<&crate::evidence::umi::UmiConfig>,
    ) -> Result<Vec<ShardEvidence>> {
        Ok(self.count_digested(filter, umi, &Ok)?.1)
    }

    /// [`RunInputs::count`], each shard's evidence handed to `digest` as
    /// soon as it is counted (see [`Engine::run_digested`]); returns each
    /// sample's read counters and the digests, in shard order.
    pub fn count_digested<T: Send>(
        &self,
        filter: &ReadFilter,
        umi: Option<&crate::evidence::umi::UmiConfig>,
        digest: &(dyn Fn(ShardEvidence) -> Result<T> + Sync),
    ) -> Result<(Vec<ReadCounters>, Vec<T>)> {
        let mut out = Vec::new();
        let reads = self.count_in_waves(filter, umi, usize::MAX, digest, &mut |t| {
            out.push(t);
            Ok(())
        })?;
        Ok((reads, out))
    }

    /// [`RunInputs::count_digested`] a wave of `wave` batches at a time,
    /// each wave's digests handed to `sink` in shard order (see
    /// [`Engine::run_waves`]); returns each sample's read counters.
    pub fn count_in_waves<T: Send>(
        &self,
        filter: &ReadFilter,
        umi: Option<&crate::evidence::umi::UmiConfig>,
        wave: usize,
        digest: &(dyn Fn(ShardEvidence) -> Result<T> + Sync),
        sink: &mut dyn FnMut(T) -> Result<()>,
    ) -> Result<Vec<ReadCounters>> {
        let counter = crate::evidence::batch_counter(filter, umi);
        let engine = Engine::new(&self.reference, &self.bams, counter.as_ref());
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
        let with_reads = |ev: ShardEvidence| {
            let reads: Vec<ReadCounters> = ev.samples.iter().map(|s| s.reads.clone()).collect();
            Ok((reads, digest(ev)?))
        };
        let mut totals = vec![ReadCounters::default(); self.bams.len()];
        let mut take = |(reads, d): (Vec<ReadCounters>, T)| {
            for (acc, r) in totals.iter_mut().zip(&reads) {
                acc.merge(r);
            }
            sink(d)
        };
        let work = Work {
            threads: self.threads,
            wave,
            on_done: &|n| bar.inc(n),
        };
        let out = engine.run_waves(&self.shards, &work, &with_reads, &mut take);
        bar.finish_and_clear();
        out?;
        let names: Vec<&str> = self.bams.iter().map(|b| b.sample.as_str()).collect();
        warn_about_reads(&totals, &names);
        Ok(totals)
    }
}

/// One file given twice would count its reads as two samples (two equal
/// columns, or one normal weighed twice in a PoN): refused naming it.
fn refuse_repeated_files(bams: &[PathBuf]) -> Result<()> {
    let key = |p: &PathBuf| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
    for (i, b) in bams.iter().enumerate() {
        if let Some(a) = bams[..i].iter().find(|a| key(a) == key(b)) {
            return Err(Error::bad_input(
                b,
                format!("given twice (as {} and {})", a.display(), b.display()),
                "give each BAM once",
            ));
        }
    }
    Ok(())
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

/// Warn about each sample whose reads the filters mostly dropped
/// ([`crate::evidence::read_alarms`]); the metrics list the same alarms.
pub fn warn_about_reads(reads: &[crate::evidence::ReadCounters], names: &[&str]) {
    for (c, name) in reads.iter().zip(names) {
        for a in crate::evidence::read_alarms::read_alarms(c) {
            log::warn!("sample {name}: {}", a.message);
        }
    }
}
