//! Tumor-informed detection of minimal residual disease (`ctdna mrd`).
//!
//! Given a patient's tumor mutations, the evidence at all of them is summed
//! into one question: is tumor DNA present in this plasma, and at what
//! tumor fraction (TF)?
//!
//! ```text
//! loci      tumor VCF            -> normalised loci with weights
//! (engine)  plasma BAM           -> counts over the loci +/- pad (same filters as `call`)
//! sites     counts               -> per-locus evidence; loci masked; null rate per locus
//! model     n, k, e, w per locus -> outliers, TF^, 95% CI, LR test, leave-one-out, LoD
//! series    one result per timepoint -> trajectory, molecular relapse
//! ```
//!
//! The maths is in [`model`] and docs/mrd.md; the TSV and loci VCF are
//! written by [`crate::output::mrd`].

pub mod loci;
pub mod model;
pub mod series;
pub mod sites;

use loci::TumorLocus;
use model::LocusObs;
use sites::SiteEvidence;

/// The sample-level verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MrdCall {
    Detected,
    NotDetected,
}

/// Why a locus is left out of the fit (or `Pass` when it is used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum LocusFlag {
    /// Used in the fit.
    Pass,
    /// Fewer molecules than `--min-depth`.
    LowDepth,
    /// Alt fraction far above what the other loci explain: likely germline
    /// or clonal hematopoiesis (or an artefact).
    GermlineOrCHIP,
    /// The matched normal (`--normal`) carries the allele: clonal
    /// haematopoiesis or germline, not the tumour's.
    NormalEvidence,
}

impl LocusFlag {
    /// FILTER / TSV spelling.
    pub fn id(&self) -> &'static str {
        match self {
            LocusFlag::Pass => "PASS",
            LocusFlag::LowDepth => "LowDepth",
            LocusFlag::GermlineOrCHIP => "GermlineOrCHIP",
            LocusFlag::NormalEvidence => "NormalEvidence",
        }
    }
}

/// Model settings, made from the checked [`ModelOptions`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Settings {
    /// Significance level of the TF = 0 test.
    pub alpha: f64,
    /// Loci with fewer molecules are not used.
    pub min_depth: u32,
    /// Family-wise level of the outlier (germline/CHIP) exclusion.
    pub outlier_alpha: f64,
    /// Only loci with at least this many alt molecules can be outliers.
    pub outlier_min_alt: u64,
    /// With a matched normal: its locus test's level (NormalEvidence).
    pub normal_alpha: f64,
    /// Monte Carlo replicates for the limit of detection.
    pub lod_replicates: usize,
    /// Seed of the limit-of-detection Monte Carlo.
    pub seed: u64,
}

/// Seed of the limit-of-detection Monte Carlo (fixed: same input, same output).
pub const LOD_SEED: u64 = 20_260_401;

/// The model options of `ctdna mrd` as given on the command line; the option
/// of each field is its name with dashes (`--background-pad`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOptions {
    /// Significance level of the test of TF = 0.
    pub alpha: f64,
    /// Loci with fewer molecules than this are not used.
    pub min_depth: u32,
    /// Bases counted on each side of every locus to fit the background.
    pub background_pad: u64,
    /// Family-wise level of the germline/CHIP outlier exclusion.
    pub outlier_alpha: f64,
    /// Level of the matched normal's test at each locus.
    pub normal_alpha: f64,
    /// Tumor purity of the tissue sample (turns INFO TVAF into a weight).
    pub tumor_purity: f64,
    /// Monte Carlo replicates for the limit of detection.
    pub lod_replicates: usize,
}

impl ModelOptions {
    /// Refuse values the model cannot use, naming the option; else the
    /// model's [`Settings`].
    pub fn settings(&self) -> crate::Result<Settings> {
        use crate::Error;
        let unit = |name: &str, v: f64| {
            if v > 0.0 && v < 1.0 {
                Ok(())
            } else {
                Err(Error::Usage(format!("--{name} {v} must be in (0, 1)")))
            }
        };
        unit("alpha", self.alpha)?;
        unit("outlier-alpha", self.outlier_alpha)?;
        unit("normal-alpha", self.normal_alpha)?;
        if !(self.tumor_purity > 0.0 && self.tumor_purity <= 1.0) {
            return Err(Error::Usage(format!(
                "--tumor-purity {} must be in (0, 1]",
                self.tumor_purity
            )));
        }
        if self.lod_replicates == 0 || self.lod_replicates > 100_000 {
            return Err(Error::Usage(
                "--lod-replicates must be between 1 and 100000".into(),
            ));
        }
        if self.background_pad > 10_000 {
            return Err(Error::Usage("--background-pad must be <= 10000".into()));
        }
        Ok(Settings {
            alpha: self.alpha,
            min_depth: self.min_depth,
            outlier_alpha: self.outlier_alpha,
            outlier_min_alt: 3,
            normal_alpha: self.normal_alpha,
            lod_replicates: self.lod_replicates,
            seed: LOD_SEED,
        })
    }
}

/// One locus's result in one sample.
#[derive(Debug, Clone)]
pub struct LocusResult {
    pub evidence: SiteEvidence,
    /// Null error rate used.
    pub err: f64,
    /// ln P(K >= k | n, e): how surprising the alt count is without tumor.
    pub ln_p_null: f64,
    pub flag: LocusFlag,
}

/// Leave-one-out summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeaveOneOut {
    /// Largest p-value with one locus left out (1 when no locus has alt molecules).
    pub max_p_value: f64,
    /// That locus (`chrom:pos ref>alt`).
    pub locus: Option<String>,
    /// The call survives leaving out any single locus.
    pub robust: bool,
}

/// Locus counts by flag.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LociSummary {
    pub total: usize,
    pub used: usize,
    pub low_depth: usize,
    pub germline_or_chip: usize,
    /// Loci the matched normal carries (`--normal`).
    pub normal_evidence: usize,
    /// Used loci with at least one alt molecule.
    pub with_alt: usize,
}

/// Everything the model says about one sample.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SampleResult {
    pub call: MrdCall,
    pub sample: String,
    /// Maximum-likelihood tumor fraction.
    pub tumor_fraction: f64,
    /// 95% profile-likelihood confidence interval.
    pub ci95: [f64; 2],
    pub lr_statistic: f64,
    pub p_value: f64,
    /// log10 of the p-value (finite when the p-value underflows).
    pub log10_p_value: f64,
    pub significance_level: f64,
    /// TF detected with 95% probability at these depths and error rates.
    pub limit_of_detection: f64,
    pub leave_one_out: LeaveOneOut,
    pub loci: LociSummary,
    /// Molecules over the used loci.
    pub molecules: u64,
    pub alt_molecules: u64,
    /// Alt molecules expected from errors alone over the used loci.
    pub expected_error_molecules: f64,
    /// 3 / molecules: the TF at which 3 alt molecules are expected if every
    /// molecule carried the allele at TF (the issue's reference line; with
    /// w = 0.5 and no errors the Poisson limit is 6 / molecules).
    pub theoretical_limit: f64,
    #[serde(skip)]
    pub per_locus: Vec<LocusResult>,
}

/// `chrom:pos ref>alt` (1-based) for messages and outputs.
pub fn locus_name(l: &crate::loci::KnownLocus, reference: &crate::reference::Reference) -> String {
    l.joined(reference, [":", " ", ">"])
}

impl LociSummary {
    fn of(flags: &[LocusFlag], used: &[LocusObs]) -> Self {
        let count = |f: LocusFlag| flags.iter().filter(|&&x| x == f).count();
        LociSummary {
            total: flags.len(),
            used: used.len(),
            low_depth: count(LocusFlag::LowDepth),
            germline_or_chip: count(LocusFlag::GermlineOrCHIP),
            normal_evidence: count(LocusFlag::NormalEvidence),
            with_alt: used.iter().filter(|o| o.k > 0).count(),
        }
    }
}

/// Each locus's flag: NormalEvidence where the matched normal carries it
/// (`in_normal`, empty without one), LowDepth below `--min-depth`, then
/// GermlineOrCHIP for the outliers among the other deep loci, else Pass.
fn flag_loci(obs: &[LocusObs], in_normal: &[bool], settings: &Settings) -> Vec<LocusFlag> {
    let mut flags: Vec<LocusFlag> = obs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            if in_normal.get(i) == Some(&true) {
                LocusFlag::NormalEvidence
            } else if o.n < u64::from(settings.min_depth) {
                LocusFlag::LowDepth
            } else {
                LocusFlag::Pass
            }
        })
        .collect();
    let deep: Vec<usize> = (0..obs.len())
        .filter(|&i| flags[i] == LocusFlag::Pass)
        .collect();
    let deep_obs: Vec<LocusObs> = deep.iter().map(|&i| obs[i]).collect();
    for j in model::outliers(&deep_obs, settings.outlier_alpha, settings.outlier_min_alt) {
        flags[deep[j]] = LocusFlag::GermlineOrCHIP;
    }
    flags
}

/// Does the matched normal carry a locus's allele: its alt molecules
/// significant against its own background at the normal's rate `e`
/// (`P(K >= k | n, e) <= --normal-alpha`, one test per locus)? A tumour
/// locus the patient's blood cells carry is clonal haematopoiesis or
/// germline: its plasma molecules say nothing of the tumour.
pub fn normal_carries(ev: &SiteEvidence, e: f64, ln_alpha: f64) -> bool {
    let (k, n) = (u64::from(ev.alt.n), u64::from(ev.depth));
    k > 0 && crate::model::stats::ln_binom_sf(k, n, e) <= ln_alpha
}

/// Fit one sample: flag loci, fit TF, test, leave-one-out, limit of
/// detection; `in_normal`: the loci the matched normal carries (empty
/// without one).
pub fn analyse(
    sample: &str,
    loci: &[TumorLocus],
    (evidence, in_normal): (Vec<SiteEvidence>, &[bool]),
    errs: &[f64],
    settings: &Settings,
    reference: &crate::reference::Reference,
) -> SampleResult {
    let obs: Vec<LocusObs> = loci
        .iter()
        .zip(&evidence)
        .zip(errs)
        .map(|((l, ev), &e)| LocusObs {
            n: u64::from(ev.depth),
            k: u64::from(ev.alt.n),
            e,
            w: l.weight,
        })
        .collect();
    let flags = flag_loci(&obs, in_normal, settings);
    let used: Vec<usize> = (0..obs.len())
        .filter(|&i| flags[i] == LocusFlag::Pass)
        .collect();
    let used_obs: Vec<LocusObs> = used.iter().map(|&i| obs[i]).collect();

    let fit = model::fit(&used_obs);
    let significant = fit.ln_p_value <= settings.alpha.ln();
    let loo = model::leave_one_out(&used_obs);
    let loo_ln_p = loo.map_or(0.0, |(p, _)| p);
    let robust = loo_ln_p <= settings.alpha.ln();
    let call = if significant && robust {
        MrdCall::Detected
    } else {
        MrdCall::NotDetected
    };
    let lod = model::limit_of_detection(
        &used_obs,
        settings.alpha,
        settings.lod_replicates,
        settings.seed,
    );
    let molecules: u64 = used_obs.iter().map(|o| o.n).sum();
    let per_locus: Vec<LocusResult> = evidence
        .into_iter()
        .zip(&obs)
        .zip(&flags)
        .map(|((ev, o), &flag)| LocusResult {
            evidence: ev,
            err: o.e,
            ln_p_null: o.ln_tail(0.0),
            flag,
        })
        .collect();
    SampleResult {
        call,
        sample: sample.to_string(),
        tumor_fraction: fit.tumor_fraction,
        ci95: [fit.ci95.0, fit.ci95.1],
        lr_statistic: fit.lr_statistic,
        p_value: fit.p_value,
        log10_p_value: fit.ln_p_value / std::f64::consts::LN_10,
        significance_level: settings.alpha,
        limit_of_detection: lod,
        leave_one_out: LeaveOneOut {
            max_p_value: loo_ln_p.exp(),
            locus: loo.map(|(_, j)| locus_name(&loci[used[j]].locus, reference)),
            robust,
        },
        loci: LociSummary::of(&flags, &used_obs),
        molecules,
        alt_molecules: used_obs.iter().map(|o| o.k).sum(),
        expected_error_molecules: used_obs.iter().map(|o| o.n as f64 * o.p(0.0)).sum(),
        theoretical_limit: if molecules > 0 {
            3.0 / molecules as f64
        } else {
            1.0
        },
        per_locus,
    }
}

#[cfg(test)]
mod tests;
