//! The matched normal (`call --normal`): the patient's white blood cells,
//! counted like the plasma, asked of every written allele whether they
//! carry it.
//!
//! Most cell-free DNA comes from blood cells, so a clone of them (clonal
//! haematopoiesis, CHIP) or a germline allele shows in plasma as a real,
//! low-VAF variant that is not the tumour's. The normal is never a source
//! of calls (its alleles are not candidates and its column never makes a
//! record PASS); it judges the plasma's alleles.

use super::filters::{Filter, Thresholds};
use super::lod::limit_of_detection;
use super::SampleCall;

/// Which sample is the normal, and the thresholds of its test.
#[derive(Debug, Clone, Copy)]
pub struct NormalRule {
    /// Index of the normal among the run's samples (the last column).
    pub index: usize,
    /// ln of `--normal-alpha`.
    pub ln_alpha: f64,
    /// `--normal-vaf-fraction`.
    pub vaf_fraction: f64,
}

/// What the normal says about one allele.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalVerdict {
    /// Index of the normal's sample.
    pub index: usize,
    /// The normal's alt molecules are significant against its background.
    pub carries: bool,
    /// The normal's allele fraction.
    pub af: f64,
    /// The smallest allele fraction in the normal that [`NormalRule`]'s
    /// test detects with 95% probability at the normal's depth (INFO/NLOD).
    pub lod: f64,
}

impl NormalRule {
    /// The rule of a run whose sample `index` is the matched normal.
    pub fn new(index: usize, t: &Thresholds) -> Self {
        NormalRule {
            index,
            ln_alpha: t.normal_alpha.ln(),
            vaf_fraction: t.normal_vaf_fraction,
        }
    }

    /// Does the normal's test (`normal.ln_p`, against the normal's own
    /// background) show the allele? The cheap half of [`NormalRule::judge`],
    /// asked before an allele is written.
    pub fn carries(&self, normal: &SampleCall) -> bool {
        normal.alt.n > 0 && normal.ln_p <= self.ln_alpha
    }

    /// METHOD: the normal carries an allele when its alt molecules are
    /// significant against the normal's own background at `--normal-alpha`
    /// (one test per written allele: a few hundred per panel, so a plain
    /// level and no panel-wide correction; at 0.01 a tumour allele is lost
    /// to chance errors in the normal about once in a hundred). Its limit
    /// of detection is that test's: the smallest normal allele fraction
    /// reaching it with 95% probability, one alt molecule allowed.
    pub fn judge(&self, normal: &SampleCall) -> NormalVerdict {
        NormalVerdict {
            index: self.index,
            carries: self.carries(normal),
            af: normal.af(),
            lod: limit_of_detection(&normal.depth_by_class, &normal.null, self.ln_alpha, 1),
        }
    }

    /// FILTER NormalEvidence in a plasma sample: the normal carries the
    /// allele at an allele fraction not far below the plasma's.
    ///
    /// METHOD: a blood-cell clone is in the normal at least at its plasma
    /// fraction (plasma holds blood-cell DNA diluted by other tissues'), and
    /// a germline allele near 50% in both; tumour DNA reaches a buffy coat
    /// only as a trace (plasma carried over), far below its plasma
    /// fraction. `--normal-vaf-fraction` (0.2) leaves room for the sampling
    /// noise of a shallow normal: a 0.5% clone in 500 normal molecules
    /// shows 2.5 alt molecules on average, as few as one or two.
    pub fn explains(&self, verdict: &NormalVerdict, plasma: &SampleCall) -> bool {
        verdict.carries && verdict.af >= self.vaf_fraction * plasma.af()
    }
}

impl NormalVerdict {
    /// INFO NormalLowDepth: the normal did not explain the allele (the
    /// plasma sample has no `NormalEvidence`), and could not have: a blood-cell clone at the plasma's allele fraction would
    /// be missed by its test with more than 5% probability (the normal's
    /// LoD is above the plasma's allele fraction). A label, not a FILTER:
    /// a shallow normal removes what it can and leaves the rest as calling
    /// without a normal would.
    pub fn too_shallow_for(&self, plasma: &SampleCall) -> bool {
        !plasma.filters.contains(&Filter::NormalEvidence) && self.lod > plasma.af()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(alt: u32, depth: u32, rate: f64) -> SampleCall {
        SampleCall::binomial_fixture(alt, depth, rate)
    }

    fn rule() -> NormalRule {
        NormalRule {
            index: 1,
            ln_alpha: 0.01f64.ln(),
            vaf_fraction: 0.2,
        }
    }

    #[test]
    fn a_clone_in_the_normal_explains_the_plasma_allele() {
        // 1% in 2,000 plasma molecules; the normal holds it at 1.5%.
        let plasma = sample(20, 2_000, 2e-4);
        let v = rule().judge(&sample(30, 2_000, 2e-4));
        assert!(v.carries && rule().explains(&v, &plasma));
        assert!(!v.too_shallow_for(&plasma));
    }

    #[test]
    fn chance_errors_in_the_normal_do_not() {
        // Expected 0.4 error molecules in the normal: one or two are chance.
        let plasma = sample(20, 2_000, 2e-4);
        for k in [0, 1, 2] {
            let v = rule().judge(&sample(k, 2_000, 2e-4));
            assert!(!rule().explains(&v, &plasma), "{k} alt molecules");
        }
        // Three are not (P(K >= 3 | 0.4) = 0.008): they explain a 0.5%
        // plasma allele (0.15% >= 0.2 x 0.5%), not a 1% one.
        let three = rule().judge(&sample(3, 2_000, 2e-4));
        assert!(rule().explains(&three, &sample(10, 2_000, 2e-4)));
        assert!(!rule().explains(&three, &plasma));
    }

    #[test]
    fn a_trace_of_tumour_dna_in_the_normal_does_not() {
        // 5% in plasma; 0.25% in the normal is significant but far below.
        let plasma = sample(100, 2_000, 2e-4);
        let v = rule().judge(&sample(5, 2_000, 2e-4));
        assert!(v.carries);
        assert!(!rule().explains(&v, &plasma));
    }

    #[test]
    fn a_shallow_normal_is_labelled_with_its_lod() {
        let plasma = sample(10, 2_000, 2e-4);
        // 100 normal molecules: its LoD is far above 0.5%.
        let shallow = rule().judge(&sample(0, 100, 2e-4));
        assert!(shallow.lod > 0.02, "{}", shallow.lod);
        assert!(shallow.too_shallow_for(&plasma));
        // 5,000: a 0.5% clone would show.
        let deep = rule().judge(&sample(0, 5_000, 2e-4));
        assert!(deep.lod < 0.005, "{}", deep.lod);
        assert!(!deep.too_shallow_for(&plasma));
    }
}
