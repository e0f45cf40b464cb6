//! Command-line interface: clap derive only, no logic.
//!
//! Option groups are shared between commands with `#[command(flatten)]`, so
//! `call` and `count` see reads through exactly the same filters.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod simulate;
pub use simulate::SimulateArgs;
mod report;
pub use report::{CallReportArgs, MrdMultiqcArgs, ReportArgs};

/// ctdna: find circulating-tumor-DNA mutations in deep targeted sequencing.
#[derive(Debug, Parser)]
#[command(name = "ctdna", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Only print errors.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Log level: error, warn, info, debug, trace.
    #[arg(long, global = true, default_value = "info")]
    pub log_level: String,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Call low-VAF SNVs and indels over a panel; writes a bgzipped, indexed VCF.
    ///
    /// Reads are filtered, overlapping mates merged into one observation per
    /// fragment, alleles counted per target position, and each candidate
    /// tested against the sample's own background error rate (per
    /// trinucleotide context and substitution; indels per homopolymer length)
    /// or, with `--pon`, the per-site rates of a panel of normals.
    Call(CallArgs),
    /// Per-position allele counts (molecules) at targets or known loci, TSV.
    ///
    /// The same evidence engine as `call`: same filters, same mate-overlap
    /// handling, same UMI mode. Counts are fragments, or with UMI families
    /// consensus molecules of --min-tier and better (a last `tier` column
    /// says which; --no-umi gives the fragment table). Use it to inspect a
    /// site or to cross-check against samtools (with --no-umi).
    Count(CountArgs),
    /// Build a panel of normals: per-site background error fits from normal BAMs.
    ///
    /// Every normal is counted with the same evidence engine and read filters
    /// as `call`; for every target position and alt allele (three SNV alts,
    /// any insertion, any deletion) the file holds per-normal alt/depth, a
    /// beta-binomial fit overall and per orientation (F1R2/F2R1), and how many
    /// normals carry it. Normals that look germline at a site are left out of
    /// its fit. Use the file with `ctdna call --pon` (or `mrd --pon`).
    ///
    /// With UMIs the normals are counted as consensus molecules of the
    /// chosen tier, as `call` counts them (same auto-detection and
    /// options); the file records the tier, and `call --pon` refuses a PoN
    /// of other molecules: build one per tier you call with (`--no-umi` for
    /// fragments, `--min-tier duplex` for duplex).
    Pon(PonArgs),
    /// Write a synthetic reference, panel, truth VCF and BAM(s) with known
    /// low-VAF variants, UMIs, PCR families and sequencing errors.
    Simulate(SimulateArgs),
    /// Tumor-informed minimal residual disease: is tumor DNA in this plasma,
    /// and at what tumor fraction? Writes a JSON verdict.
    ///
    /// Evidence at all of the patient's tumor mutations is pooled in one
    /// binomial model (alt_i ~ Binomial(n_i, TF w_i + e_i)): the maximum
    /// likelihood tumor fraction, its 95% profile-likelihood interval, a
    /// likelihood-ratio test of TF = 0 and the limit of detection; loci far
    /// above the rest (germline, CHIP) are excluded, and the call must
    /// survive leaving out any one locus. Same reads, filters and UMI mode
    /// as `call`: with UMI families the loci and their background are
    /// counted as consensus molecules of --min-tier and better.
    Mrd(MrdArgs),
    /// The self-contained HTML page of a finished run (`call --report`'s),
    /// from its metrics and VCF; with --mrd the verdict (docs/output.md).
    Report(ReportArgs),
}

/// Inputs shared by every command that reads BAMs.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// Coordinate-sorted, indexed BAM or CRAM; repeat for several samples
    /// (one VCF sample column each, named from @RG SM, else the file stem).
    #[arg(long = "bam", required = true, value_name = "BAM")]
    pub bams: Vec<PathBuf>,
    /// Indexed reference FASTA (`.fai` is built beside it if missing).
    #[arg(long, short = 'r')]
    pub reference: PathBuf,
    /// Panel BED (0-based half-open; header/track/comment lines allowed).
    #[arg(long, short = 't')]
    pub targets: Option<PathBuf>,
    /// Known loci (VCF, plain or bgzipped): hotspots reported even without alt reads.
    #[arg(long)]
    pub known: Option<PathBuf>,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, short = '@')]
    pub threads: Option<usize>,
}

/// `--overlap` values: the face's copy of `evidence::OverlapPolicy`, so
/// that clap stays out of the stages (the commands convert; the doc lines
/// are the per-value help and must say the same as the domain enum's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OverlapArg {
    /// One observation per fragment: agreeing bases once (qualities summed,
    /// capped), disagreeing bases dropped.
    Merge,
    /// Each mate counted on its own (what `samtools mpileup -x` does).
    Independent,
}

/// Read and base filters (SPEC section 2.1). Every dropped read is counted
/// by reason in the metrics.
#[derive(Debug, Args, Clone)]
pub struct FilterArgs {
    /// Drop reads with mapping quality below this.
    #[arg(long, default_value_t = 20)]
    pub min_mapq: u8,
    /// Ignore bases with base quality below this.
    #[arg(long, default_value_t = 20)]
    pub min_bq: u8,
    /// Count reads flagged as PCR/optical duplicates (dropped by default).
    #[arg(long)]
    pub keep_duplicates: bool,
    /// Count supplementary alignments (dropped by default).
    #[arg(long)]
    pub keep_supplementary: bool,
    /// Drop paired reads that are not in a proper pair (kept and counted by default).
    #[arg(long)]
    pub drop_improper: bool,
    /// Drop reads with more than this many differences per 100 aligned bases,
    /// counted against --reference (mismatches at >= --min-bq, each indel
    /// once), leaving out one difference (the candidate allele) and never
    /// dropping a read with 2 others (short reads).
    #[arg(long, default_value_t = 8.0)]
    pub max_mismatch_per_100: f64,
    /// Ignore bases closer than this to a read end or a soft clip.
    #[arg(long, default_value_t = 3)]
    pub min_dist_end: u32,
    /// Mate overlap handling.
    #[arg(long, value_enum, default_value_t = OverlapArg::Merge)]
    pub overlap: OverlapArg,
    /// Substitutions on one molecule within this many consecutive
    /// reference bases are one MNV record (3: adjacent, or one base apart;
    /// 2: adjacent only; 1: no MNVs). An MNV's bases are not also counted
    /// as SNVs.
    #[arg(long, default_value_t = crate::evidence::filters::DEFAULT_MNV_WINDOW)]
    pub mnv_window: u32,
}

/// `ctdna call` options.
#[derive(Debug, Args)]
pub struct CallArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub calling: CallingArgs,
    #[command(flatten)]
    pub umi: UmiArgs,
    /// Output VCF: `.vcf.gz` is bgzipped with a `.tbi` index; `.vcf` or `-` is plain text.
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// Write run metrics (JSON) here.
    #[arg(long)]
    pub metrics: Option<PathBuf>,
    #[command(flatten)]
    pub scatter: ScatterArgs,
    #[command(flatten)]
    pub pon: PonUseArgs,
    /// Write the per-position SNV limit of detection of the first sample as a
    /// bedGraph (0-based half-open runs of equal LOD) here.
    #[arg(long, value_name = "PATH")]
    pub lod_bedgraph: Option<PathBuf>,
    /// The patient's matched normal (white blood cells / buffy coat, same
    /// panel): counted like the plasma, written as the last sample column,
    /// never a source of calls. A plasma allele the normal carries gets
    /// FILTER NormalEvidence (clonal haematopoiesis or germline); without
    /// --pon the normal is also the sites' background (a one-sample panel
    /// of normals). See docs/filters.md.
    #[arg(long, value_name = "BAM")]
    pub normal: Option<PathBuf>,
    #[command(flatten)]
    pub reporting: CallReportArgs,
}

/// Panel-of-normals options of `ctdna call`.
#[derive(Debug, Args, Clone)]
pub struct PonUseArgs {
    /// Panel of normals from `ctdna pon` (same reference, panel, read
    /// filters and molecules — fragments or the same UMI tier and consensus
    /// options — else refused). Without it the sample's own context rates
    /// are the background.
    #[arg(long, value_name = "PON")]
    pub pon: Option<PathBuf>,
    /// Weight, in molecules, of the context rate in the per-site estimate
    /// (K + M e_ctx) / (N + M): sites where the normals have N >> M molecules
    /// use the normals' rate, thin sites the context rate.
    #[arg(long, default_value_t = 10_000.0, value_name = "M")]
    pub pon_prior_weight: f64,
}

/// `ctdna pon` options.
#[derive(Debug, Args)]
pub struct PonArgs {
    /// Normal BAM/CRAM (same assay, no tumour); repeat for each normal.
    #[arg(long = "bam", required = true, value_name = "BAM")]
    pub bams: Vec<PathBuf>,
    /// Indexed reference FASTA (`.fai` is built beside it if missing).
    #[arg(long, short = 'r')]
    pub reference: PathBuf,
    /// Panel BED: the same file `call` will use with `--targets`.
    #[arg(long, short = 't')]
    pub targets: PathBuf,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, short = '@')]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub umi: UmiArgs,
    /// A normal whose allele fraction at a site is at least this (with >= 2
    /// alt molecules) carries a germline variant there: it is left out of
    /// that allele's fit.
    #[arg(long, default_value_t = 0.25)]
    pub germline_vaf: f64,
    /// A normal with at least this many alt molecules counts as a carrier.
    #[arg(long, default_value_t = 2)]
    pub carrier_min_alt: u32,
    /// Output file (bgzipped TSV; see docs/pon.md).
    #[arg(long, short = 'o')]
    pub output: PathBuf,
}

/// UMI families and consensus (SPEC section 2.3; docs/umi.md). The same
/// options on `call`, `count`, `pon` and `mrd`: each counts molecules the
/// same way.
///
/// Templates with the same fragment coordinates (both mates' unclipped 5'
/// ends and strands) and UMI form a family; UMIs one mismatch apart merge
/// by directional adjacency (a UMI absorbs a neighbour with count <= 2n-1);
/// dual UMIs `A-B` pair the two strands (`A-B` on one is `B-A` on the
/// other). Per position a strand's consensus needs --min-agreement of its
/// reads; disagreement gives no base. Reads already made by fgbio (tags
/// cD, aD/bD) count as molecules of their tier without re-grouping.
///
/// Every count, rate and file is in molecules of the chosen tier or better;
/// `--background` and `--pon` files record theirs and are refused by a run
/// that counts other molecules (fragments vs a tier, another tier, other
/// --min-family/--min-agreement).
#[derive(Debug, Args, Clone)]
pub struct UmiArgs {
    /// Aux tag with the UMI. UMI mode is on when, among an input's first
    /// 2000 reads, >= 1% repeat another's position, mate, orientation and
    /// UMI (PCR families exist), or reads carry fgbio's cD; UMIs without
    /// families leave fragment mode on unless --min-tier is given.
    #[arg(long, default_value = "RX", help_heading = "UMI")]
    pub umi_tag: String,
    /// Count fragments (overlapping mates once), ignoring UMIs: the output
    /// is that of a BAM without UMIs.
    #[arg(long, conflicts_with_all = ["umi_from_name", "min_tier"], help_heading = "UMI")]
    pub no_umi: bool,
    /// Take the UMI from the read name's last `:`-field (Illumina style; a
    /// `+` between dual UMIs is read as `-`). Forces UMI mode when the names
    /// end in UMIs; a field that is not DNA letters (a read number) is no
    /// UMI: the run warns and counts those reads without UMIs.
    #[arg(long, help_heading = "UMI")]
    pub umi_from_name: bool,
    /// Templates a strand needs for a single-strand consensus (fewer: raw tier).
    #[arg(long, default_value_t = 2, help_heading = "UMI")]
    pub min_family: u32,
    /// Fraction of a strand's reads that must agree on a base (else the
    /// molecule gives no base there).
    #[arg(long, default_value_t = 0.9, help_heading = "UMI")]
    pub min_agreement: f64,
    /// Count molecules of this tier or better: raw (every family), single
    /// (single-strand consensus, or duplex), duplex (both strands agree)
    /// [default: raw: every molecule, each weighed by its class's error
    /// rate]. Given with UMIs, forces UMI mode.
    #[arg(long, value_enum, help_heading = "UMI")]
    pub min_tier: Option<TierArg>,
}

/// `--min-tier` values: the face's copy of `evidence::umi::Tier`, converted
/// by the commands (the doc lines are the per-value help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    /// One read (or the two overlapping mates of one template): a family of
    /// fewer than `--min-family` templates, or a fragment without a UMI.
    Raw,
    /// Single-strand consensus of `>= --min-family` templates of one strand.
    Single,
    /// Both strands' consensuses agree (dual UMIs).
    Duplex,
}

/// Scatter/gather: run one chunk of the panel with the whole panel's model
/// and multiple-testing family, so that concatenating the chunks' VCFs gives
/// exactly the records of one unscattered run.
#[derive(Debug, Args, Clone)]
pub struct ScatterArgs {
    /// Call only chunk I of N (1-based, e.g. `2/8`). The panel's merged
    /// targets are cut into N runs of whole targets with about equal bases;
    /// tests are still counted over the whole panel. Needs `--background`
    /// (a model fitted on the whole panel) unless N is 1.
    // The flag keeps its published name; in the code a scatter piece is a
    // "chunk" and a "shard" is the unit of parallel work.
    #[arg(long = "shard", value_name = "I/N")]
    pub chunk: Option<String>,
    /// Use this fitted background model (JSON from `--write-background`)
    /// instead of fitting one on the reads of this run. It must have been
    /// fitted with the same reference, panel, read filters, samples and
    /// molecules (UMI options), else it is refused.
    #[arg(long, value_name = "JSON")]
    pub background: Option<PathBuf>,
    /// Write the fitted background model (JSON) here, for `--background`.
    #[arg(long, value_name = "JSON")]
    pub write_background: Option<PathBuf>,
}

/// Statistical test and FILTER thresholds (SPEC sections 3-4).
#[derive(Debug, Args, Clone)]
pub struct CallingArgs {
    /// Expected false-positive PASS calls per panel for de novo sites: a site
    /// passes when p <= this / (number of tests) (Bonferroni over positions x alleles).
    #[arg(long, default_value_t = 0.05)]
    pub fp_per_panel: f64,
    /// The same, for `--known` loci (a separate, smaller family of tests).
    #[arg(long, default_value_t = 0.05)]
    pub known_fp: f64,
    /// LowAltCount: fewer alt molecules than this, a duplex molecule
    /// counting twice (both strands of the original molecule show it).
    #[arg(long, default_value_t = 3)]
    pub min_alt: u32,
    /// LowAltCount at known loci.
    #[arg(long, default_value_t = 2)]
    pub min_alt_known: u32,
    /// StrandBias: Fisher strand test, phred, at or above this.
    #[arg(long, default_value_t = 20.0)]
    pub max_strand_bias: f64,
    /// OrientationBias: Fisher F1R2/F2R1 test, phred, at or above this.
    #[arg(long, default_value_t = 20.0)]
    pub max_orientation_bias: f64,
    /// StrandUnconfirmed: a one-strand alt at a site whose other strand holds
    /// below this fraction of the sample's minor-strand share (too few
    /// molecules there to confirm it; 0: off).
    #[arg(long, default_value_t = 0.25)]
    pub one_strand_site: f64,
    /// ReadEndBias: alt mean distance to read end below this while ref's is not.
    #[arg(long, default_value_t = 10.0)]
    pub min_alt_dist_end: f64,
    /// LowMapQ: alt mean mapping quality this much below the ref mean at the
    /// site (alt reads that belong elsewhere map worse than the locus' own).
    #[arg(long, default_value_t = 10.0)]
    pub max_alt_mapq_drop: f64,
    /// LowMapQ also when the alt mean mapping quality is below this absolute
    /// floor (0: off; reads below --min-mapq are dropped anyway).
    #[arg(long, default_value_t = 0.0)]
    pub min_alt_mapq: f64,
    /// Germline: allele fraction at or above this (or consistent with 50%).
    #[arg(long, default_value_t = 0.3)]
    pub germline_vaf: f64,
    /// Homopolymer: indels in runs at least this long ...
    #[arg(long, default_value_t = 6)]
    pub homopolymer_len: u32,
    /// ... need an allele fraction at least this many times the sample's
    /// slippage rate for runs of that length (estimated per run length).
    #[arg(long, default_value_t = 3.0)]
    pub homopolymer_fold: f64,
    /// NoisySite (with --pon): the normals' pooled alt fraction at the site
    /// is at least this ...
    #[arg(long, default_value_t = 1e-3)]
    pub noisy_rate: f64,
    /// ... and at least this many normals carry the allele (>= 2 alt molecules each) ...
    #[arg(long, default_value_t = 2)]
    pub noisy_normals: u32,
    /// ... and the sample's allele fraction is below this many times the
    /// normals' (a variant far above the noise is left to the test).
    #[arg(long, default_value_t = 5.0)]
    pub noisy_fold: f64,
    /// NormalEvidence (with --normal): the normal's alt molecules are
    /// significant against its own background at this level (one test per
    /// written allele) ...
    #[arg(long, default_value_t = 0.01)]
    pub normal_alpha: f64,
    /// ... and the normal's allele fraction is at least this fraction of the
    /// plasma's (a clone of blood cells is at least as frequent in them as in
    /// plasma; a trace of tumour DNA in the normal is far below).
    #[arg(long, default_value_t = 0.2)]
    pub normal_vaf_fraction: f64,
    /// Several samples of one patient (timepoints): also test each allele
    /// on the molecules of all of them pooled (same panel-wide level); an
    /// allele found so is judged in each sample at --joint-alpha (with
    /// --min-alt-known when one sample found it alone; INFO JOINT), so a
    /// clone passes at the first timepoint it is in. Without
    /// --pon, an allele no sample finds alone must also change between the
    /// samples (at --joint-alpha): a flat one looks like a site artifact.
    #[arg(long)]
    pub joint: bool,
    /// With --joint: the level of each sample's test of a jointly found allele.
    #[arg(long, default_value_t = 0.01)]
    pub joint_alpha: f64,
}

/// `ctdna mrd` options.
#[derive(Debug, Args)]
pub struct MrdArgs {
    /// Plasma BAM/CRAM (coordinate-sorted, indexed); repeat, in time order,
    /// for a series (one result per timepoint, docs/mrd.md).
    #[arg(long, value_name = "BAM", required = true)]
    pub bam: Vec<PathBuf>,
    /// The patient's matched normal (white blood cells, same assay): tumour
    /// loci it carries (clonal haematopoiesis, germline) are left out.
    #[arg(long, value_name = "BAM")]
    pub normal: Option<PathBuf>,
    /// Timepoint labels, one per `--bam` (default: @RG SM, else file stem).
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub timepoints: Option<Vec<String>>,
    /// Indexed reference FASTA (`.fai` is built beside it if missing).
    #[arg(long, short = 'r')]
    pub reference: PathBuf,
    /// The patient's tumor SNVs/indels (VCF, plain or bgzipped). Optional
    /// INFO `CCF` (cancer cell fraction) or `TVAF` (tissue allele fraction)
    /// set each locus's weight; default 0.5 (clonal heterozygous).
    #[arg(long, value_name = "VCF")]
    pub tumor_variants: PathBuf,
    /// Plasma taken before treatment: fitted the same way and reported beside.
    #[arg(long, value_name = "BAM")]
    pub baseline: Option<PathBuf>,
    /// Output JSON (sample-level result, parameters, versions).
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// Per-locus table (TSV).
    #[arg(long, value_name = "TSV")]
    pub tsv: Option<PathBuf>,
    /// The loci with their evidence as VCF (`.vcf.gz`: bgzipped + `.tbi`).
    #[arg(long, value_name = "VCF")]
    pub vcf: Option<PathBuf>,
    #[command(flatten)]
    pub mqc: MrdMultiqcArgs,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, short = '@')]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub umi: UmiArgs,
    #[command(flatten)]
    pub model: MrdModelArgs,
    #[command(flatten)]
    pub pon: PonUseArgs,
    /// Panel BED the `--pon` was built for (needed with `--pon`). Loci inside
    /// it take the PoN's per-site rates; loci outside, the context rates.
    #[arg(long, short = 't', value_name = "BED")]
    pub targets: Option<PathBuf>,
}

/// `ctdna mrd` model options.
#[derive(Debug, Args, Clone)]
pub struct MrdModelArgs {
    /// Significance level of the test of TF = 0: DETECTED when p <= this
    /// (and with any single locus left out).
    #[arg(long, default_value_t = 0.01)]
    pub alpha: f64,
    /// Loci with fewer molecules than this are flagged LowDepth and not used.
    #[arg(long, default_value_t = 100)]
    pub min_depth: u32,
    /// Bases counted on each side of every locus to fit the sample's
    /// background error rates (the loci themselves are left out).
    #[arg(long, default_value_t = 50)]
    pub background_pad: u64,
    /// Family-wise level of the germline/CHIP outlier exclusion.
    #[arg(long, default_value_t = 0.01)]
    pub outlier_alpha: f64,
    /// With --normal: a locus whose alt molecules in the normal are
    /// significant at this level (against the normal's own background) is
    /// left out as NormalEvidence.
    #[arg(long, default_value_t = 0.01)]
    pub normal_alpha: f64,
    /// Tumor purity of the tissue sample, to turn INFO TVAF into a weight.
    #[arg(long, default_value_t = 1.0)]
    pub tumor_purity: f64,
    /// Monte Carlo replicates for the limit of detection.
    #[arg(long, default_value_t = 200)]
    pub lod_replicates: usize,
}

/// `ctdna count` options.
#[derive(Debug, Args)]
pub struct CountArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub umi: UmiArgs,
    /// Output TSV (`-` for stdout).
    #[arg(long, short = 'o', default_value = "-")]
    pub output: PathBuf,
    /// Write run metrics (JSON) here.
    #[arg(long)]
    pub metrics: Option<PathBuf>,
}
