//! Command-line interface: clap derive only, no logic.
//!
//! Option groups are shared between commands with `#[command(flatten)]`, so
//! `call` and `count` see reads through exactly the same filters.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

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
}

/// `ctdna mrd` options.
#[derive(Debug, Args)]
pub struct MrdArgs {
    /// Plasma BAM/CRAM (coordinate-sorted, indexed).
    #[arg(long, value_name = "BAM")]
    pub bam: PathBuf,
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

/// `ctdna simulate` options.
///
/// Every value is checked before anything is written: VAFs must lie in
/// (0, 1), depth must be > 0, targets (plus a fragment-length margin on each
/// side) must fit in a contig, and reads cannot be longer than the longest
/// fragment. All values are recorded in `manifest.json`.
#[derive(Debug, Args, Clone)]
pub struct SimulateArgs {
    /// Output folder (created if missing; existing files are overwritten).
    #[arg(long)]
    pub out_dir: PathBuf,
    /// Random seed: the same seed and options give byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, short = '@')]
    pub threads: Option<usize>,

    /// Number of synthetic contigs (named chr1, chr2, ...).
    #[arg(long, default_value_t = 3, help_heading = "Genome and panel")]
    pub contigs: usize,
    /// Length of each contig (bp).
    #[arg(long, default_value_t = 100_000, help_heading = "Genome and panel")]
    pub contig_len: u64,
    /// GC fraction of the random background sequence.
    #[arg(long, default_value_t = 0.41, help_heading = "Genome and panel")]
    pub gc: f64,
    /// Near-duplicate segment pairs (paralogs: low MAPQ and mismapping).
    #[arg(long, default_value_t = 3, help_heading = "Genome and panel")]
    pub dup_segments: usize,
    /// Length of each duplicated segment (bp).
    #[arg(long, default_value_t = 2000, help_heading = "Genome and panel")]
    pub dup_len: u64,
    /// Substitution divergence between the two copies of a duplicated segment.
    #[arg(long, default_value_t = 0.015, help_heading = "Genome and panel")]
    pub dup_divergence: f64,
    /// Number of panel targets.
    #[arg(long, default_value_t = 20, help_heading = "Genome and panel")]
    pub targets: usize,
    /// Shortest target (bp).
    #[arg(long, default_value_t = 150, help_heading = "Genome and panel")]
    pub target_min_len: u64,
    /// Longest target (bp).
    #[arg(long, default_value_t = 250, help_heading = "Genome and panel")]
    pub target_max_len: u64,
    /// How many targets are placed over a duplicated segment (no truth
    /// variants are put there).
    #[arg(long, default_value_t = 1, help_heading = "Genome and panel")]
    pub paralog_targets: usize,

    /// Somatic VAFs, comma-separated, each in (0, 1).
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        default_value = "0.001,0.002,0.005,0.01,0.02,0.05",
        help_heading = "Variants"
    )]
    pub vaf: Vec<f64>,
    /// Tumor fraction of the plasma: every somatic variant is present at
    /// VAF = TF x 0.5 (clonal heterozygous), replacing --vaf; 0 gives a
    /// tumor-free plasma with the same loci. Also writes `tumor.vcf.gz`
    /// (the somatic variants, as from tumor tissue) for `ctdna mrd`; use
    /// --snvs-per-vaf for the number of loci (50-2,000).
    #[arg(long, value_name = "TF", help_heading = "Variants")]
    pub tumor_fraction: Option<f64>,
    /// Somatic SNVs per VAF.
    #[arg(long, default_value_t = 4, help_heading = "Variants")]
    pub snvs_per_vaf: usize,
    /// Somatic indels (1-10 bp, about half in homopolymers) per VAF.
    #[arg(long, default_value_t = 2, help_heading = "Variants")]
    pub indels_per_vaf: usize,
    /// Somatic MNVs per VAF: even-numbered ones two adjacent substitutions
    /// (REF/ALT 2 bp, like BRAF V600K GT>AA), odd-numbered ones two
    /// substitutions one base apart with the middle base unchanged (3 bp).
    #[arg(long, default_value_t = 0, help_heading = "Variants")]
    pub mnvs_per_vaf: usize,
    /// Somatic long indels per VAF: even-numbered ones deletions of 15 or
    /// 18 bp (alternating), odd-numbered ones 9-30 bp insertions that
    /// duplicate the bases after the anchor (tandem duplications). Reads
    /// carry them in the CIGAR or soft-clipped at the event, as an aligner
    /// would (docs/simulate.md).
    #[arg(long, default_value_t = 0, help_heading = "Variants")]
    pub long_indels_per_vaf: usize,
    /// Germline SNVs (two in three heterozygous, the rest homozygous).
    #[arg(long, default_value_t = 4, help_heading = "Variants")]
    pub germline_snvs: usize,
    /// Germline indels.
    #[arg(long, default_value_t = 1, help_heading = "Variants")]
    pub germline_indels: usize,

    /// Unique molecules (fragments) per target position.
    #[arg(long, default_value_t = 200, help_heading = "Library")]
    pub depth: u32,
    /// Mean PCR family size (read pairs per unique molecule, >= 1).
    #[arg(long, default_value_t = 2.0, help_heading = "Library")]
    pub family_size: f64,
    /// PCR family size dispersion R: families of 1 + NegativeBinomial(mean
    /// family_size - 1, size R) read pairs, so P(read once) =
    /// (R / (R + family_size - 1))^R (16% at --family-size 4 and R = 2); 0
    /// (default) gives 1 + Poisson(family_size - 1).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "R",
        help_heading = "Library"
    )]
    pub family_dispersion: f64,
    /// UMI length in the RX tag (0: no UMIs).
    #[arg(long, default_value_t = 8, help_heading = "Library")]
    pub umi_len: usize,
    /// Dual UMIs `A-B` (top strand) / `B-A` (bottom strand), for duplex consensus.
    #[arg(long, help_heading = "Library")]
    pub duplex: bool,
    /// Set the duplicate flag on every read pair of a molecule but the first.
    #[arg(long, help_heading = "Library")]
    pub mark_duplicates: bool,
    /// Modal cfDNA fragment length (mononucleosome).
    #[arg(long, default_value_t = 167, help_heading = "Library")]
    pub frag_mode: u32,
    /// Standard deviation of the mononucleosome peak.
    #[arg(long, default_value_t = 15.0, help_heading = "Library")]
    pub frag_sd: f64,
    /// Fraction of dinucleosome fragments (peak at twice the mode).
    #[arg(long, default_value_t = 0.1, help_heading = "Library")]
    pub dinucleosome_fraction: f64,
    /// Shortest fragment kept.
    #[arg(long, default_value_t = 60, help_heading = "Library")]
    pub frag_min: u32,
    /// Longest fragment kept.
    #[arg(long, default_value_t = 450, help_heading = "Library")]
    pub frag_max: u32,
    /// Extra BAMs `normal_1.bam`... from the same genome, germline variants only.
    #[arg(long, default_value_t = 0, help_heading = "Library")]
    pub normals: usize,
    /// BAM compression level 0-9 (9 is smallest but several times slower).
    #[arg(long, default_value_t = 6, help_heading = "Library")]
    pub bam_compression: u32,
    /// Read group sample name (SM) of `sample.bam`.
    #[arg(long, default_value = "sample", help_heading = "Library")]
    pub sample_name: String,

    /// Read length of each mate (2 x N paired-end).
    #[arg(long, default_value_t = 150, help_heading = "Library")]
    pub read_len: u32,
    /// PCR substitution rate per base per copy (shared by the copy's descendants).
    #[arg(long, default_value_t = 5e-5, help_heading = "Errors")]
    pub pcr_error_rate: f64,
    /// 8-oxoG damage: G>T rate on read 1 (seen as C>A/G>T on one orientation).
    #[arg(long, default_value_t = 5e-4, help_heading = "Errors")]
    pub oxog_rate: f64,
    /// Homopolymer slippage per run and per base beyond 4 (sequencing; PCR at half this).
    #[arg(long, default_value_t = 5e-4, help_heading = "Errors")]
    pub hp_indel_rate: f64,
    /// Probability that a read pair's UMI carries one sequencing error.
    #[arg(long, default_value_t = 0.005, help_heading = "Errors")]
    pub umi_error_rate: f64,
    /// Probability that a fragment inside a duplicated segment is placed on its paralog.
    #[arg(long, default_value_t = 0.1, help_heading = "Errors")]
    pub mismap_rate: f64,
    /// Recurrent artifact sites: target positions where every sample (tumour
    /// and normals) shows one wrong base in 0.2-1% of molecules (listed in
    /// artifacts.bed); what a panel of normals exists to remove.
    #[arg(long, default_value_t = 4, help_heading = "Errors")]
    pub artifact_sites: usize,
    /// No sequencing substitution errors: qualities are drawn as usual, but
    /// every base is read as it is on its PCR copy (the same reads and
    /// qualities as without the flag, minus the errors). With
    /// `--pcr-error-rate 0 --oxog-rate 0 --hp-indel-rate 0 --umi-error-rate 0`
    /// every read shows its molecule exactly: for exact truth comparisons.
    #[arg(long, help_heading = "Errors")]
    pub no_seq_errors: bool,
}
