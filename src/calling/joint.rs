//! Joint discovery over one patient's samples (`call --joint`): an allele
//! too thin to pass in any one timepoint may pass on the molecules of all
//! of them together; each sample is then judged at a lenient level, so a
//! resistance clone shows at the timepoint it is first there rather than
//! the one where it alone clears the panel-wide threshold.

use super::SampleCall;
use crate::evidence::alleles::N_CLASSES;
use crate::model::Null;

/// METHOD: the molecules of every called sample pooled (alt and depth by
/// class summed), tested against the pooled null ([`Null::pooled`]) at the
/// de novo level `ln_alpha` (the same Bonferroni family as a single
/// sample's test: the false discoveries per panel stay at
/// `--fp-per-panel`), with at least `min_alt` strand observations pooled.
/// Fewer than two called samples: nothing to pool.
pub fn discovered(
    samples: &[SampleCall],
    called: impl Fn(usize) -> bool,
    ln_alpha: f64,
    min_alt: u32,
) -> bool {
    let mut alt = [0u32; N_CLASSES];
    let mut depth = [0u32; N_CLASSES];
    let mut parts = Vec::new();
    let mut observations = 0;
    for (_, s) in samples.iter().enumerate().filter(|(k, _)| called(*k)) {
        for c in 0..N_CLASSES {
            alt[c] += s.alt.by_class[c];
            depth[c] += s.depth_by_class[c];
        }
        observations += s.alt.strand_observations();
        parts.push((&s.null, &s.depth_by_class));
    }
    parts.len() >= 2
        && observations >= min_alt
        && Null::pooled(&parts).ln_sf(&alt, &depth) <= ln_alpha
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(alt: u32, depth: u32) -> SampleCall {
        SampleCall::binomial_fixture(alt, depth, 1e-4)
    }

    #[test]
    fn thin_evidence_in_several_samples_adds_up() {
        // 4 of 2,000 at 1e-4 in each of three samples: p ~ 1e-3 alone,
        // far below 1e-7 pooled (12 of 6,000, 0.6 expected).
        let alpha = (1e-7f64).ln();
        let s = vec![sample(4, 2_000), sample(4, 2_000), sample(4, 2_000)];
        assert!(s.iter().all(|x| x.ln_p > alpha));
        assert!(discovered(&s, |_| true, alpha, 3));
        // One sample is nothing to pool; the same counts as noise are not.
        assert!(!discovered(&s[..1], |_| true, alpha, 3));
        let noise = vec![sample(1, 2_000), sample(0, 2_000), sample(1, 2_000)];
        assert!(!discovered(&noise, |_| true, alpha, 3));
        // The matched normal is not pooled.
        assert!(!discovered(&s[..2], |k| k == 0, alpha, 3));
    }
}
