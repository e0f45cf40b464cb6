//! Validated simulation parameters (everything `manifest.json` records).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Margin kept free at each contig end (beyond the longest fragment), bp.
pub const EDGE_PAD: u64 = 100;

/// Every knob of one simulation; built by the command line (or read back
/// from `manifest.json`) and checked by [`SimParams::validate`].
/// Field meanings are the CLI help texts (`ctdna simulate --help`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SimParams {
    pub seed: u64,
    pub contigs: usize,
    pub contig_len: u64,
    pub gc: f64,
    pub dup_segments: usize,
    pub dup_len: u64,
    pub dup_divergence: f64,
    pub targets: usize,
    pub target_min_len: u64,
    pub target_max_len: u64,
    pub paralog_targets: usize,
    pub vafs: Vec<f64>,
    /// `--tumor-fraction`: somatic VAFs are all TF x 0.5 (absent from older
    /// manifests, and not written when unset, so they read back unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tumor_fraction: Option<f64>,
    /// `--series-tf`: a patient series, one plasma per tumor fraction
    /// (docs/simulate.md). Absent from older manifests and not written when
    /// empty, as are the three subclone fields when unused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series_tf: Vec<f64>,
    /// `--subclone-variants`: extra somatic SNVs of a subclone (series only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub subclone_variants: usize,
    /// `--subclone-from`: 1-based timepoint where the subclone appears.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub subclone_from: usize,
    /// `--subclone-vaf`: the subclone's allele fraction from then on.
    #[serde(
        default = "default_subclone_vaf",
        skip_serializing_if = "is_default_subclone_vaf"
    )]
    pub subclone_vaf: f64,
    /// `--subclone-ramp`: the subclone's allele fractions at the
    /// timepoints just before `--subclone-from` (growing into it; empty:
    /// absent before; not written when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subclone_ramp: Vec<f64>,
    pub snvs_per_vaf: usize,
    pub indels_per_vaf: usize,
    /// `--mnvs-per-vaf`: absent from older manifests and not written when
    /// 0, so those data sets read back and regenerate unchanged.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mnvs_per_vaf: usize,
    /// `--long-indels-per-vaf` (same rule as `mnvs_per_vaf`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub long_indels_per_vaf: usize,
    /// `--delins-per-vaf` (same rule as `mnvs_per_vaf`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delins_per_vaf: usize,
    /// `--chip-per-vaf`: clonal-haematopoiesis SNVs per VAF, in plasma
    /// and (at a higher fraction) in the matched normal (same rule).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub chip_per_vaf: usize,
    /// `--chip-vaf`: the CHIP variants' plasma VAFs (empty: `vafs`; same rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chip_vafs: Vec<f64>,
    /// `--matched-normal-depth`: molecules per position of
    /// `matched_normal.bam` (0: not written; same rule).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub matched_normal_depth: u32,
    pub germline_snvs: usize,
    pub germline_indels: usize,
    pub depth: u32,
    pub family_size: f64,
    /// `--family-dispersion`: 0 (Poisson families) is absent from manifests
    /// written before it existed and not written, so they read back and
    /// regenerate unchanged.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub family_dispersion: f64,
    pub umi_len: usize,
    pub duplex: bool,
    pub mark_duplicates: bool,
    pub frag_mode: u32,
    pub frag_sd: f64,
    pub dinucleosome_fraction: f64,
    pub frag_min: u32,
    pub frag_max: u32,
    pub normals: usize,
    #[serde(default = "default_bam_compression")]
    pub bam_compression: u32,
    pub sample_name: String,
    pub read_len: u32,
    pub pcr_error_rate: f64,
    pub oxog_rate: f64,
    pub hp_indel_rate: f64,
    pub umi_error_rate: f64,
    pub mismap_rate: f64,
    /// Absent from manifests written before it existed (read as 0) and not
    /// written when 0, so those data sets regenerate byte for byte.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub artifact_sites: usize,
    /// `--no-seq-errors` (absent from older manifests and not written when
    /// off, so they read back and regenerate unchanged).
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_seq_errors: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

fn default_subclone_vaf() -> f64 {
    0.01
}

fn is_default_subclone_vaf(x: &f64) -> bool {
    *x == default_subclone_vaf()
}

impl Default for SimParams {
    /// The CLI defaults (a unit test in `commands::settings` keeps the two in step).
    fn default() -> Self {
        SimParams {
            seed: 1,
            contigs: 3,
            contig_len: 100_000,
            gc: 0.41,
            dup_segments: 3,
            dup_len: 2000,
            dup_divergence: 0.015,
            targets: 20,
            target_min_len: 150,
            target_max_len: 250,
            paralog_targets: 1,
            vafs: vec![0.001, 0.002, 0.005, 0.01, 0.02, 0.05],
            tumor_fraction: None,
            series_tf: Vec::new(),
            subclone_variants: 0,
            subclone_from: 0,
            subclone_vaf: default_subclone_vaf(),
            subclone_ramp: Vec::new(),
            snvs_per_vaf: 4,
            indels_per_vaf: 2,
            mnvs_per_vaf: 0,
            long_indels_per_vaf: 0,
            delins_per_vaf: 0,
            chip_per_vaf: 0,
            chip_vafs: Vec::new(),
            matched_normal_depth: 0,
            germline_snvs: 4,
            germline_indels: 1,
            depth: 200,
            family_size: 2.0,
            family_dispersion: 0.0,
            umi_len: 8,
            duplex: false,
            mark_duplicates: false,
            frag_mode: 167,
            frag_sd: 15.0,
            dinucleosome_fraction: 0.1,
            frag_min: 60,
            frag_max: 450,
            normals: 0,
            bam_compression: 6,
            sample_name: "sample".into(),
            read_len: 150,
            pcr_error_rate: 5e-5,
            oxog_rate: 5e-4,
            hp_indel_rate: 5e-4,
            umi_error_rate: 0.005,
            mismap_rate: 0.1,
            artifact_sites: 4,
            no_seq_errors: false,
        }
    }
}

fn default_bam_compression() -> u32 {
    6
}

fn usage(msg: String) -> Error {
    Error::Usage(format!("ctdna simulate: {msg}"))
}

fn check_rate(name: &str, v: f64, max_inclusive: f64) -> Result<()> {
    if !(0.0..=max_inclusive).contains(&v) || v.is_nan() {
        return Err(usage(format!(
            "--{name} {v} is outside [0, {max_inclusive}]"
        )));
    }
    Ok(())
}

impl SimParams {
    /// The somatic VAFs to simulate: `TF x 0.5` with `--tumor-fraction`
    /// (with `--series-tf`, of the first timepoint: each timepoint then
    /// sets its own), else `--vaf`.
    pub fn somatic_vafs(&self) -> Vec<f64> {
        match (self.tumor_fraction, self.series_tf.first()) {
            (Some(tf), _) | (None, Some(&tf)) => vec![tf * 0.5],
            (None, None) => self.vafs.clone(),
        }
    }

    /// The CHIP variants' plasma VAFs: `--chip-vaf`, else the somatic VAFs.
    pub fn chip_vafs(&self) -> Vec<f64> {
        if self.chip_vafs.is_empty() {
            self.somatic_vafs()
        } else {
            self.chip_vafs.clone()
        }
    }

    /// Distance kept between a target and a contig end.
    pub fn edge_margin(&self) -> u64 {
        u64::from(self.frag_max) + EDGE_PAD
    }

    /// Refuse impossible or meaningless parameter sets, naming the option.
    ///
    /// The checks go by the `--help` headings and run in a fixed order; the
    /// first that fails is reported (`params_tests.rs` pins the order and
    /// every message). `--depth` comes before the genome, as it always has,
    /// so a command line with several faults keeps naming the same one.
    pub fn validate(&self) -> Result<()> {
        self.check_variants()?;
        self.check_depth()?;
        self.check_genome_and_panel()?;
        self.check_molecules()?;
        self.check_fragments_and_reads()?;
        self.check_bam_output()?;
        self.check_error_rates()
    }

    /// "Variants": somatic allele fractions or the tumor fraction.
    fn check_variants(&self) -> Result<()> {
        for &v in &self.vafs {
            if !(v > 0.0 && v < 1.0) {
                return Err(usage(format!(
                    "--vaf {v} is outside (0, 1); give allele fractions such as 0.005 for 0.5%"
                )));
            }
        }
        if let Some(tf) = self.tumor_fraction {
            if !(0.0..=1.0).contains(&tf) {
                return Err(usage(format!(
                    "--tumor-fraction {tf} is outside [0, 1]; give e.g. 0.001 for 0.1% tumor DNA"
                )));
            }
        }
        let per_vaf = self.snvs_per_vaf
            + self.indels_per_vaf
            + self.mnvs_per_vaf
            + self.long_indels_per_vaf
            + self.delins_per_vaf
            + self.chip_per_vaf;
        if let Some(v) = self.chip_vafs.iter().find(|v| !(**v > 0.0 && **v < 1.0)) {
            return Err(usage(format!("--chip-vaf {v} is outside (0, 1)")));
        }
        if self.chip_per_vaf > 0 && self.matched_normal_depth == 0 {
            return Err(usage(
                "--chip-per-vaf needs --matched-normal-depth (the blood cells the clones live in)"
                    .into(),
            ));
        }
        if self.matched_normal_depth > 1_000_000 {
            return Err(usage(format!(
                "--matched-normal-depth {} is above 1,000,000 molecules per position",
                self.matched_normal_depth
            )));
        }
        if self.vafs.is_empty() && per_vaf > 0 {
            return Err(usage("--vaf needs at least one value".into()));
        }
        check_series(self).map_err(usage)
    }

    /// "Library", first part: the number of molecules per position.
    fn check_depth(&self) -> Result<()> {
        if self.depth == 0 {
            return Err(usage("--depth must be at least 1 molecule".into()));
        }
        if self.depth > 1_000_000 {
            return Err(usage(format!("--depth {} is above 1,000,000", self.depth)));
        }
        Ok(())
    }

    /// "Genome and panel": contigs, near-duplicate segments and targets,
    /// and that targets with their margins fit in a contig.
    fn check_genome_and_panel(&self) -> Result<()> {
        if self.contigs == 0 || self.contigs > 1000 {
            return Err(usage("--contigs must be between 1 and 1000".into()));
        }
        if self.targets == 0 {
            return Err(usage("--targets must be at least 1".into()));
        }
        if self.target_min_len < 20 || self.target_min_len > self.target_max_len {
            return Err(usage(format!(
                "--target-min-len {} must be >= 20 and <= --target-max-len {}",
                self.target_min_len, self.target_max_len
            )));
        }
        let need = self.target_max_len + 2 * self.edge_margin();
        if need > self.contig_len {
            return Err(usage(format!(
                "targets up to {} bp plus {} bp margins at each end do not fit in \
                 --contig-len {}; use longer contigs or shorter targets",
                self.target_max_len,
                self.edge_margin(),
                self.contig_len
            )));
        }
        if !(self.gc > 0.0 && self.gc < 1.0) {
            return Err(usage(format!("--gc {} is outside (0, 1)", self.gc)));
        }
        check_rate("dup-divergence", self.dup_divergence, 0.5)?;
        if self.dup_segments > 0 && (self.dup_len < 200 || 4 * self.dup_len > self.contig_len) {
            return Err(usage(format!(
                "--dup-len {} must be >= 200 and at most a quarter of --contig-len",
                self.dup_len
            )));
        }
        if self.paralog_targets > self.dup_segments || self.paralog_targets > self.targets {
            return Err(usage(format!(
                "--paralog-targets {} exceeds --dup-segments or --targets",
                self.paralog_targets
            )));
        }
        if self.paralog_targets > 0 && self.target_max_len > self.dup_len {
            return Err(usage(
                "--paralog-targets needs --dup-len >= --target-max-len".into(),
            ));
        }
        Ok(())
    }

    /// "Library": PCR families and UMIs.
    fn check_molecules(&self) -> Result<()> {
        if !(self.family_size >= 1.0 && self.family_size <= 1000.0) {
            return Err(usage(format!(
                "--family-size {} must be between 1 and 1000",
                self.family_size
            )));
        }
        if !(self.family_dispersion >= 0.0 && self.family_dispersion <= 1e6) {
            return Err(usage(format!(
                "--family-dispersion {} must be between 0 (Poisson families) and 1e6",
                self.family_dispersion
            )));
        }
        if self.umi_len > 32 {
            return Err(usage("--umi-len must be <= 32".into()));
        }
        if self.duplex && self.umi_len == 0 {
            return Err(usage("--duplex needs --umi-len > 0".into()));
        }
        Ok(())
    }

    /// "Library": cfDNA fragment lengths, and reads that fit in them.
    fn check_fragments_and_reads(&self) -> Result<()> {
        if self.frag_min < 20 || self.frag_min >= self.frag_max {
            return Err(usage(format!(
                "--frag-min {} must be >= 20 and below --frag-max {}",
                self.frag_min, self.frag_max
            )));
        }
        if self.frag_mode < self.frag_min || self.frag_mode > self.frag_max {
            return Err(usage(format!(
                "--frag-mode {} is outside [--frag-min, --frag-max]",
                self.frag_mode
            )));
        }
        if !(self.frag_sd > 0.0 && self.frag_sd.is_finite()) {
            return Err(usage("--frag-sd must be > 0".into()));
        }
        check_rate("dinucleosome-fraction", self.dinucleosome_fraction, 1.0)?;
        if self.read_len < 20 {
            return Err(usage("--read-len must be at least 20".into()));
        }
        if self.read_len > self.frag_max {
            return Err(usage(format!(
                "--read-len {} is longer than the longest fragment (--frag-max {}); \
                 raise --frag-max or shorten the reads",
                self.read_len, self.frag_max
            )));
        }
        Ok(())
    }

    /// "Library": what the BAMs are named and how they are compressed.
    fn check_bam_output(&self) -> Result<()> {
        if self.sample_name.is_empty()
            || self
                .sample_name
                .chars()
                .any(|c| c.is_whitespace() || c == '\t')
        {
            return Err(usage(
                "--sample-name must be non-empty without spaces".into(),
            ));
        }
        if self.bam_compression > 9 {
            return Err(usage(format!(
                "--bam-compression {} is outside 0-9",
                self.bam_compression
            )));
        }
        Ok(())
    }

    /// "Errors": the per-base and per-read error rates.
    fn check_error_rates(&self) -> Result<()> {
        check_rate("pcr-error-rate", self.pcr_error_rate, 0.1)?;
        check_rate("oxog-rate", self.oxog_rate, 0.5)?;
        check_rate("hp-indel-rate", self.hp_indel_rate, 0.1)?;
        check_rate("umi-error-rate", self.umi_error_rate, 1.0)?;
        check_rate("mismap-rate", self.mismap_rate, 1.0)?;
        Ok(())
    }

    /// `--mnvs-per-vaf`, `--long-indels-per-vaf`, `--delins-per-vaf`,
    /// `--chip-per-vaf` and `--matched-normal-depth` when not 0.
    fn complex_variant_options(&self) -> String {
        let mut s = String::new();
        for (name, n) in [
            ("mnvs-per-vaf", self.mnvs_per_vaf),
            ("long-indels-per-vaf", self.long_indels_per_vaf),
            ("delins-per-vaf", self.delins_per_vaf),
            ("chip-per-vaf", self.chip_per_vaf),
            ("matched-normal-depth", self.matched_normal_depth as usize),
        ] {
            if n > 0 {
                s.push_str(&format!(" --{name} {n}"));
            }
        }
        if !self.chip_vafs.is_empty() {
            let v: Vec<String> = self.chip_vafs.iter().map(|v| v.to_string()).collect();
            s.push_str(&format!(" --chip-vaf {}", v.join(",")));
        }
        s
    }

    /// The equivalent command line (without `--out-dir`), for the BAM `@PG`
    /// header: output-folder independent, so regenerated files are identical.
    pub fn command_line(&self) -> String {
        let d = SimParams::default();
        let mut s = format!("ctdna simulate --seed {}", self.seed);
        let vafs: Vec<String> = self.vafs.iter().map(|v| v.to_string()).collect();
        let pairs: [(&str, String, String); 12] = [
            ("contigs", self.contigs.to_string(), d.contigs.to_string()),
            (
                "contig-len",
                self.contig_len.to_string(),
                d.contig_len.to_string(),
            ),
            ("targets", self.targets.to_string(), d.targets.to_string()),
            (
                "target-min-len",
                self.target_min_len.to_string(),
                d.target_min_len.to_string(),
            ),
            (
                "target-max-len",
                self.target_max_len.to_string(),
                d.target_max_len.to_string(),
            ),
            (
                "vaf",
                vafs.join(","),
                "0.001,0.002,0.005,0.01,0.02,0.05".into(),
            ),
            (
                "snvs-per-vaf",
                self.snvs_per_vaf.to_string(),
                d.snvs_per_vaf.to_string(),
            ),
            (
                "indels-per-vaf",
                self.indels_per_vaf.to_string(),
                d.indels_per_vaf.to_string(),
            ),
            ("depth", self.depth.to_string(), d.depth.to_string()),
            (
                "family-size",
                self.family_size.to_string(),
                d.family_size.to_string(),
            ),
            ("umi-len", self.umi_len.to_string(), d.umi_len.to_string()),
            (
                "read-len",
                self.read_len.to_string(),
                d.read_len.to_string(),
            ),
        ];
        for (name, v, def) in pairs {
            if v != def {
                s.push_str(&format!(" --{name} {v}"));
            }
        }
        if let Some(tf) = self.tumor_fraction {
            s.push_str(&format!(" --tumor-fraction {tf}"));
        }
        if self.family_dispersion > 0.0 {
            s.push_str(&format!(" --family-dispersion {}", self.family_dispersion));
        }
        if self.duplex {
            s.push_str(" --duplex");
        }
        if self.mark_duplicates {
            s.push_str(" --mark-duplicates");
        }
        if self.no_seq_errors {
            s.push_str(" --no-seq-errors");
        }
        s.push_str(&self.complex_variant_options());
        s.push_str(&series_options(self));
        s.push_str(" (all parameters: manifest.json)");
        s
    }
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;

/// Most timepoints a series may have.
pub const MAX_TIMEPOINTS: usize = 100;

/// The series options' checks (the message without the command's prefix).
pub(super) fn check_series(p: &SimParams) -> std::result::Result<(), String> {
    if p.series_tf.is_empty() {
        if p.subclone_variants > 0 || p.subclone_from > 0 {
            return Err("--subclone-variants and --subclone-from need --series-tf".into());
        }
        return Ok(());
    }
    if p.tumor_fraction.is_some() {
        return Err("--series-tf replaces --tumor-fraction: give one of them".into());
    }
    if p.series_tf.len() > MAX_TIMEPOINTS {
        return Err(format!(
            "--series-tf has more than {MAX_TIMEPOINTS} timepoints"
        ));
    }
    if let Some(tf) = p.series_tf.iter().find(|tf| !(0.0..=1.0).contains(*tf)) {
        return Err(format!("--series-tf {tf} is outside [0, 1]"));
    }
    if p.subclone_variants == 0 {
        if p.subclone_from > 0 {
            return Err("--subclone-from needs --subclone-variants".into());
        }
        return Ok(());
    }
    let n = p.series_tf.len();
    if !(1..=n).contains(&p.subclone_from) {
        return Err(format!(
            "--subclone-variants needs --subclone-from T, a timepoint from 1 to {n}"
        ));
    }
    if !(p.subclone_vaf > 0.0 && p.subclone_vaf < 1.0) {
        return Err(format!(
            "--subclone-vaf {} is outside (0, 1)",
            p.subclone_vaf
        ));
    }
    if let Some(v) = p.subclone_ramp.iter().find(|v| !(**v > 0.0 && **v < 1.0)) {
        return Err(format!("--subclone-ramp {v} is outside (0, 1)"));
    }
    if p.subclone_ramp.len() >= p.subclone_from {
        return Err(format!(
            "--subclone-ramp has {} values: at most {} fit before --subclone-from {}",
            p.subclone_ramp.len(),
            p.subclone_from - 1,
            p.subclone_from
        ));
    }
    Ok(())
}

/// The series options for the `@PG` command line ("" without a series).
pub(super) fn series_options(p: &SimParams) -> String {
    if p.series_tf.is_empty() {
        return String::new();
    }
    let tfs: Vec<String> = p.series_tf.iter().map(|t| t.to_string()).collect();
    let mut s = format!(" --series-tf {}", tfs.join(","));
    if p.subclone_variants > 0 {
        s.push_str(&format!(
            " --subclone-variants {} --subclone-from {} --subclone-vaf {}",
            p.subclone_variants, p.subclone_from, p.subclone_vaf
        ));
        if !p.subclone_ramp.is_empty() {
            let r: Vec<String> = p.subclone_ramp.iter().map(|v| v.to_string()).collect();
            s.push_str(&format!(" --subclone-ramp {}", r.join(",")));
        }
    }
    s
}
