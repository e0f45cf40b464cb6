//! `ctdna simulate` options (clap derive only, no logic).

use clap::Args;
use std::path::PathBuf;

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
    /// A patient series instead of `sample.bam`: `T1.bam`, `T2.bam`, ...,
    /// one per TF (time order; VAF = TF x 0.5), with truth (docs/simulate.md).
    #[arg(
        long,
        value_name = "TF,..",
        value_delimiter = ',',
        help_heading = "Variants"
    )]
    pub series_tf: Vec<f64>,
    /// With --series-tf: SNVs of a subclone (not in `tumor.vcf.gz`), absent
    /// before timepoint --subclone-from (1-based), then at --subclone-vaf.
    #[arg(long, default_value_t = 0, help_heading = "Variants")]
    pub subclone_variants: usize,
    #[arg(long, value_name = "T", help_heading = "Variants")]
    pub subclone_from: Option<usize>,
    #[arg(long, default_value_t = 0.01, help_heading = "Variants")]
    pub subclone_vaf: f64,
    /// The subclone's allele fractions at the timepoints just before
    /// --subclone-from, comma-separated (a clone growing into it: with
    /// --subclone-from 5, `0.001,0.003` puts it at 0.1% at T3, 0.3% at T4).
    #[arg(long, value_delimiter = ',', help_heading = "Variants")]
    pub subclone_ramp: Vec<f64>,
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
    /// Somatic delins per VAF: deletions of 15 or 18 bp (alternating) with
    /// one substitution beside them, one truth record (REF/ALT
    /// parsimonious, e.g. 19 bases to one). Reads carry them as an aligner
    /// writes them: the deletion and a mismatch before or after it
    /// (alternating), soft-clipped near a read end as long indels are.
    #[arg(long, default_value_t = 0, help_heading = "Variants")]
    pub delins_per_vaf: usize,
    /// Clonal-haematopoiesis (CHIP) SNVs per CHIP VAF: in plasma at the VAF,
    /// in the matched normal's blood cells at VAF / 0.8 (blood cells give
    /// ~80% of plasma DNA); truth ORIGIN=chip. Needs --matched-normal-depth.
    #[arg(long, default_value_t = 0, help_heading = "Variants")]
    pub chip_per_vaf: usize,
    /// Plasma VAFs of the CHIP variants, comma-separated (default: --vaf's).
    #[arg(long, value_delimiter = ',', help_heading = "Variants")]
    pub chip_vaf: Vec<f64>,
    /// Also write `matched_normal.bam`: the patient's white blood cells at
    /// this many molecules per position (germline and CHIP variants, no
    /// tumour), for `ctdna call --normal` (0: none).
    #[arg(long, default_value_t = 0, help_heading = "Variants")]
    pub matched_normal_depth: u32,
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
