//! The FILTER registry: every filter declares its own header line from the
//! thresholds in force, so the header and the records cannot drift apart.

use super::SampleCall;
use crate::evidence::alleles::AlleleStats;
use crate::model::stats::ln_binom_cdf;

/// Test and FILTER thresholds (SPEC section 4), built by the command line
/// and checked with [`Thresholds::validate`]; the option of each field is
/// its name with dashes (`--fp-per-panel`, ...).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Thresholds {
    /// Expected false-positive PASS calls per panel for de novo sites.
    pub fp_per_panel: f64,
    /// The same, for known loci.
    pub known_fp: f64,
    /// LowAltCount: fewer alt molecules than this (a duplex counts twice).
    pub min_alt: u32,
    /// LowAltCount at known loci.
    pub min_alt_known: u32,
    /// StrandBias: Fisher strand test phred at or above this.
    pub max_strand_bias: f64,
    /// OrientationBias: Fisher F1R2/F2R1 test phred at or above this.
    pub max_orientation_bias: f64,
    /// StrandUnconfirmed: a site whose minor-strand share is below this
    /// fraction of the sample's own cannot confirm a one-strand alt.
    pub one_strand_site: f64,
    /// ReadEndBias: alt mean distance to a read end below this.
    pub min_alt_dist_end: f64,
    /// LowMapQ: alt mean mapping quality below the ref mean by more than this ...
    pub max_alt_mapq_drop: f64,
    /// ... or below this absolute floor (0: none).
    pub min_alt_mapq: f64,
    /// Germline: allele fraction at or above this (or consistent with 50%).
    pub germline_vaf: f64,
    /// Homopolymer: indels in runs at least this long ...
    pub homopolymer_len: u32,
    /// ... need an allele fraction at least this many times the sample's
    /// background (slippage) rate for the run.
    pub homopolymer_fold: f64,
    /// NoisySite: the normals' pooled alt fraction is at least this ...
    pub noisy_rate: f64,
    /// ... with at least this many normals carrying the allele ...
    pub noisy_normals: u32,
    /// ... and the sample's fraction below this many times the normals'.
    pub noisy_fold: f64,
    /// NormalEvidence: the matched normal's alt molecules significant at
    /// this level ...
    pub normal_alpha: f64,
    /// ... and its allele fraction at least this fraction of the plasma's.
    pub normal_vaf_fraction: f64,
    /// `--joint`: the level of each sample's test of an allele found on
    /// the samples pooled (`None`: no joint discovery).
    pub joint_alpha: Option<f64>,
}

impl Thresholds {
    /// Refuse values the test or the filters cannot use, naming the option.
    pub fn validate(&self) -> crate::Result<()> {
        let positive = |name: &str, v: f64, max: f64| {
            if v > 0.0 && v < max {
                Ok(())
            } else {
                Err(crate::Error::Usage(format!(
                    "{name} must be in (0, {max}) (got {v})"
                )))
            }
        };
        positive("--fp-per-panel", self.fp_per_panel, f64::INFINITY)?;
        positive("--known-fp", self.known_fp, f64::INFINITY)?;
        positive("--germline-vaf", self.germline_vaf, 1.0)?;
        positive("--noisy-rate", self.noisy_rate, 1.0)?;
        positive("--noisy-fold", self.noisy_fold, f64::INFINITY)?;
        positive("--homopolymer-fold", self.homopolymer_fold, f64::INFINITY)?;
        positive("--normal-alpha", self.normal_alpha, 1.0)?;
        positive(
            "--normal-vaf-fraction",
            self.normal_vaf_fraction,
            f64::INFINITY,
        )?;
        if let Some(a) = self.joint_alpha {
            positive("--joint-alpha", a, 1.0)?;
        }
        if !(0.0..=1.0).contains(&self.one_strand_site) {
            return Err(crate::Error::Usage(format!(
                "--one-strand-site must be in [0, 1] (got {})",
                self.one_strand_site
            )));
        }
        // A phred or MAPQ-drop ceiling may be `inf` (the filter is off);
        // NaN compares false with everything and would switch a filter
        // off silently, and a floor of `inf` would filter every allele.
        for (name, v, ceiling) in [
            ("--max-strand-bias", self.max_strand_bias, true),
            ("--max-orientation-bias", self.max_orientation_bias, true),
            ("--max-alt-mapq-drop", self.max_alt_mapq_drop, true),
            ("--min-alt-dist-end", self.min_alt_dist_end, false),
            ("--min-alt-mapq", self.min_alt_mapq, false),
        ] {
            if v.is_nan() || v < 0.0 || (!ceiling && v.is_infinite()) {
                let range = if ceiling {
                    "a number >= 0 (inf: off)"
                } else {
                    "a finite number >= 0"
                };
                return Err(crate::Error::Usage(format!(
                    "{name} must be {range} (got {v})"
                )));
            }
        }
        if self.min_alt == 0 || self.min_alt_known == 0 {
            return Err(crate::Error::Usage(
                "--min-alt and --min-alt-known must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// A reason a record is not PASS. Declaration order is output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Filter {
    LowAltCount,
    LowQual,
    NotDetected,
    StrandBias,
    StrandUnconfirmed,
    OrientationBias,
    ReadEndBias,
    LowMapQ,
    NoisySite,
    Germline,
    Homopolymer,
    MultiAllelic,
    MnvPart,
    NormalEvidence,
}

impl Filter {
    /// Every filter, in header order.
    pub const ALL: [Filter; 14] = [
        Filter::LowAltCount,
        Filter::LowQual,
        Filter::NotDetected,
        Filter::StrandBias,
        Filter::StrandUnconfirmed,
        Filter::OrientationBias,
        Filter::ReadEndBias,
        Filter::LowMapQ,
        Filter::NoisySite,
        Filter::Germline,
        Filter::Homopolymer,
        Filter::MultiAllelic,
        Filter::MnvPart,
        Filter::NormalEvidence,
    ];

    /// FILTER ID.
    pub fn id(self) -> &'static str {
        match self {
            Filter::LowAltCount => "LowAltCount",
            Filter::LowQual => "LowQual",
            Filter::NotDetected => "NotDetected",
            Filter::NoisySite => "NoisySite",
            Filter::StrandBias => "StrandBias",
            Filter::StrandUnconfirmed => "StrandUnconfirmed",
            Filter::OrientationBias => "OrientationBias",
            Filter::ReadEndBias => "ReadEndBias",
            Filter::LowMapQ => "LowMapQ",
            Filter::Germline => "Germline",
            Filter::Homopolymer => "Homopolymer",
            Filter::MultiAllelic => "MultiAllelic",
            Filter::MnvPart => "MnvPart",
            Filter::NormalEvidence => "NormalEvidence",
        }
    }

    /// Header description, with the thresholds in force.
    pub fn description(self, t: &Thresholds) -> String {
        match self {
            Filter::LowAltCount => format!(
                "Fewer than {} alt molecules ({} at known loci), a duplex molecule counting twice (both strands of the original molecule show the allele)",
                t.min_alt, t.min_alt_known
            ),
            Filter::LowQual => format!(
                "Not significant against the background: p > {} / (number of tests) for de novo sites, p > {} / (number of known alleles) at known loci",
                t.fp_per_panel, t.known_fp
            ),
            Filter::NotDetected => format!(
                "Known locus (--known) not detected: fewer than {} alt molecules or p > {} / (number of known alleles); INFO/LOD is the VAF that would have been detected with 95% probability (report as absent at LOD)",
                t.min_alt_known, t.known_fp
            ),
            Filter::NoisySite => format!(
                "Panel of normals (--pon): the normals themselves show this allele here (pooled alt fraction >= {} with >= {} normals carrying >= 2 alt molecules) and this sample's allele fraction is below {} times theirs",
                t.noisy_rate, t.noisy_normals, t.noisy_fold
            ),
            Filter::StrandBias => format!(
                "Alt and ref molecules split differently between strands: two-sided Fisher test phred >= {}",
                t.max_strand_bias
            ),
            Filter::StrandUnconfirmed => format!(
                "Every alt molecule is on one strand, at a site whose other strand holds below {} times the sample's own minor-strand share: too few molecules there to confirm the allele or show it to be a one-strand artifact ({:.0}% chance of no alt molecule there if the allele were real, or more)",
                t.one_strand_site,
                100.0 * NO_POWER
            ),
            Filter::OrientationBias => format!(
                "Alt and ref molecules split differently between F1R2 and F2R1 orientations (e.g. oxidation, FFPE artifacts): two-sided Fisher test phred >= {}",
                t.max_orientation_bias
            ),
            Filter::ReadEndBias => format!(
                "Alt bases sit near read ends: alt mean distance to read end < {} while the ref mean is not",
                t.min_alt_dist_end
            ),
            Filter::LowMapQ => format!(
                "Alt molecules map worse than ref molecules here (alt-specific mapping artifact): alt mean MAPQ more than {} below the ref mean{}",
                t.max_alt_mapq_drop,
                if t.min_alt_mapq > 0.0 {
                    format!(", or below {}", t.min_alt_mapq)
                } else {
                    String::new()
                }
            ),
            Filter::Germline => format!(
                "Allele fraction >= {} or consistent with a heterozygous germline variant (P(K <= k | n, 0.5) > 0.001); flagged, not somatic",
                t.germline_vaf
            ),
            Filter::Homopolymer => format!(
                "Indel in a homopolymer of >= {} bases whose allele fraction is below {} times the background (slippage) rate for runs of its length",
                t.homopolymer_len, t.homopolymer_fold
            ),
            Filter::MultiAllelic => {
                "Another alt allele at this position passes with a smaller p-value (an SNV and an MNV or delins that starts with it are not counted as rivals)".to_string()
            }
            Filter::MnvPart => format!(
                "SNV that is a part of an MNV: fewer than 1/{MNV_PART_RATIO} of its molecules show it outside MNVs (molecules of an MNV that lost another of its bases to the base filters or a read end)"
            ),
            Filter::NormalEvidence => format!(
                "The matched normal (--normal) carries the allele: its alt molecules are significant against its own background (p <= {}) at an allele fraction >= {} times this sample's (clonal haematopoiesis or germline, not tumour)",
                t.normal_alpha, t.normal_vaf_fraction
            ),
        }
    }
}

/// An SNV is a part of an MNV (FILTER MnvPart) when the molecules showing
/// it inside MNVs are at least this many times those showing it outside
/// (already taken out of its evidence).
///
/// METHOD: an MNV's molecules lose one of its bases to the base filters
/// (quality, read ends) or a read ending inside it, and then show the
/// rest as an SNV; on `benches/complex.sh` that is ~10% of an MNV's
/// molecules overall (UMI consensus: 3 of 25 at one site; fragments: 9 of
/// 95) and up to 30% at single sites with ~10 molecules (3 of 10, 4 of
/// 15). Twice leaves that room and keeps an SNV that also occurs alone at
/// half its MNV's frequency or more.
pub const MNV_PART_RATIO: u32 = 2;

/// What a filter needs to know about the site besides the sample's counts.
#[derive(Debug, Clone, Copy)]
pub struct SiteInfo {
    pub known: bool,
    pub is_indel: bool,
    pub homopolymer: usize,
    /// ln of the significance threshold for this site's family of tests.
    pub ln_alpha: f64,
    /// LowAltCount: the fewest strand observations a claim needs here
    /// (`--min-alt`, at known loci and for a jointly found allele
    /// `--min-alt-known`).
    pub min_alt: u32,
}

/// Phred-scaled Fisher strand test of (ref, alt) x (fwd, rev).
pub fn strand_bias_phred(r: &AlleleStats, a: &AlleleStats) -> f64 {
    let p = crate::model::stats::fisher_two_sided(
        r.fwd.into(),
        r.rev.into(),
        a.fwd.into(),
        a.rev.into(),
    );
    crate::model::stats::phred(p)
}

/// Phred-scaled Fisher test of (ref, alt) x (F1R2, F2R1).
pub fn orientation_bias_phred(r: &AlleleStats, a: &AlleleStats) -> f64 {
    let p = crate::model::stats::fisher_two_sided(
        r.f1r2.into(),
        r.f2r1.into(),
        a.f1r2.into(),
        a.f2r1.into(),
    );
    crate::model::stats::phred(p)
}

/// Is the allele fraction that of a germline variant?
pub fn is_germline(k: u32, n: u32, t: &Thresholds) -> bool {
    if n == 0 || k == 0 {
        return false;
    }
    let af = f64::from(k) / f64::from(n);
    af >= t.germline_vaf || ln_binom_cdf(u64::from(k), u64::from(n), 0.5) > 1e-3f64.ln()
}

/// LowMapQ: do the alt molecules map worse than the site's ref molecules?
///
/// METHOD: the filter is for reads that belong elsewhere (a paralog, a
/// repeat): those map worse than the reads of the locus, so the alt mean
/// MAPQ is compared with the ref mean at the same site. A low-mappability
/// region lowers both alike and flags nothing; the absolute floor
/// (`--min-alt-mapq`, off by default) is for those who want one anyway.
pub fn maps_worse(alt: &AlleleStats, reference: &AlleleStats, t: &Thresholds) -> bool {
    let a = alt.mean_mq();
    a < t.min_alt_mapq || (reference.n > 0 && a < reference.mean_mq() - t.max_alt_mapq_drop)
}

/// StrandUnconfirmed applies where a real allele would show no molecule on
/// the other strand with at least this probability (the strand test has no
/// power there).
pub const NO_POWER: f64 = 0.05;

/// StrandUnconfirmed: is this one-strand alt at a site that cannot tell?
///
/// METHOD: where the site's molecules lie on both strands, `StrandBias`
/// (Fisher) tests the alt's split against the site's. Where the site's
/// other strand holds a share `f` of its molecules so small that a real
/// allele with `k` molecules shows none there with probability
/// `(1 - f)^k >= NO_POWER`, no test can tell a one-strand artifact from a
/// variant. Such a site is judged against the sample: if the assay covers
/// both strands (its minor-strand share `F`, [`ContextRates`]'s strand
/// count) and this site holds under `--one-strand-site` x `F` on its
/// other strand, the one-strand alt stays unconfirmed. An assay read from
/// one strand (amplicons from one end: `F` near 0) carries no strand
/// evidence anywhere and is not flagged.
///
/// [`ContextRates`]: crate::model::context::ContextRates
pub fn strand_unconfirmed(s: &SampleCall, sample_minor: Option<f64>, t: &Thresholds) -> bool {
    let (a, r) = (&s.alt, &s.reference);
    let Some(big) = sample_minor else {
        return false;
    };
    if a.n == 0 || (a.fwd > 0 && a.rev > 0) {
        return false;
    }
    let (site_fwd, site_rev) = (a.fwd + r.fwd, a.rev + r.rev);
    let other = if a.fwd > 0 { site_rev } else { site_fwd };
    let f = f64::from(other) / f64::from((site_fwd + site_rev).max(1));
    (1.0 - f).powi(a.n as i32) >= NO_POWER && f < t.one_strand_site * big
}

/// Every filter except MultiAllelic (which needs the other alleles);
/// `sample_minor` is the sample's minor-strand share (see
/// [`strand_unconfirmed`]).
pub fn evaluate(
    s: &SampleCall,
    site: &SiteInfo,
    t: &Thresholds,
    sample_minor: Option<f64>,
) -> Vec<Filter> {
    let k = s.alt.n;
    let mut out = Vec::new();
    let too_few = s.alt.strand_observations() < site.min_alt;
    let not_significant = s.ln_p > site.ln_alpha;
    if site.known && (too_few || not_significant) {
        // At a known locus both mean the same thing: not detected, at LOD.
        out.push(Filter::NotDetected);
    } else {
        if too_few {
            out.push(Filter::LowAltCount);
        }
        if not_significant {
            out.push(Filter::LowQual);
        }
    }
    if s.sb_phred >= t.max_strand_bias {
        out.push(Filter::StrandBias);
    }
    if strand_unconfirmed(s, sample_minor, t) {
        out.push(Filter::StrandUnconfirmed);
    }
    if s.ob_phred >= t.max_orientation_bias {
        out.push(Filter::OrientationBias);
    }
    if k > 0
        && s.alt.mean_dist() < t.min_alt_dist_end
        && s.reference.mean_dist() >= t.min_alt_dist_end
    {
        out.push(Filter::ReadEndBias);
    }
    if k > 0 && maps_worse(&s.alt, &s.reference, t) {
        out.push(Filter::LowMapQ);
    }
    // METHOD: a sample well above the normals' own level at a noisy site
    // (a 5% insertion where normals slip at 0.1%) is left to the test.
    if s.null.noisy.is_some_and(|r| s.af() < t.noisy_fold * r) {
        out.push(Filter::NoisySite);
    }
    if is_germline(k, s.depth(), t) {
        out.push(Filter::Germline);
    }
    // METHOD: slippage varies between runs of one length (flanking
    // sequence, base) beyond what the run-length rate says; an allele
    // within a few times that rate is not told apart from a run that slips
    // more than its length's average. A fraction against a rate scales
    // with depth, where a minimum alt count is passed by any deep sample.
    if site.is_indel
        && site.homopolymer >= t.homopolymer_len as usize
        && s.af() < t.homopolymer_fold * s.err
    {
        out.push(Filter::Homopolymer);
    }
    out
}

#[cfg(test)]
impl Thresholds {
    /// The defaults of `ctdna call`, for unit tests.
    pub(crate) fn for_tests() -> Thresholds {
        Thresholds {
            fp_per_panel: 0.05,
            known_fp: 0.05,
            min_alt: 3,
            min_alt_known: 2,
            max_strand_bias: 20.0,
            max_orientation_bias: 20.0,
            one_strand_site: 0.25,
            min_alt_dist_end: 10.0,
            max_alt_mapq_drop: 10.0,
            min_alt_mapq: 0.0,
            germline_vaf: 0.3,
            homopolymer_len: 6,
            homopolymer_fold: 3.0,
            noisy_rate: 1e-3,
            noisy_normals: 2,
            noisy_fold: 5.0,
            normal_alpha: 0.01,
            normal_vaf_fraction: 0.2,
            joint_alpha: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calling::SampleCall;

    fn t() -> Thresholds {
        Thresholds::for_tests()
    }

    #[test]
    fn nan_and_meaningless_infinities_are_refused_naming_the_option() {
        assert!(t().validate().is_ok());
        type Set = fn(&mut Thresholds, f64);
        let cases: [(&str, Set); 5] = [
            ("--max-strand-bias", |t, v| t.max_strand_bias = v),
            ("--max-orientation-bias", |t, v| t.max_orientation_bias = v),
            ("--max-alt-mapq-drop", |t, v| t.max_alt_mapq_drop = v),
            ("--min-alt-dist-end", |t, v| t.min_alt_dist_end = v),
            ("--min-alt-mapq", |t, v| t.min_alt_mapq = v),
        ];
        for (name, set) in cases {
            for v in [f64::NAN, f64::NEG_INFINITY, -1.0] {
                let mut th = t();
                set(&mut th, v);
                let e = th.validate().unwrap_err();
                assert_eq!(e.exit_code(), 2);
                assert!(e.to_string().starts_with(name), "{name} {v}: {e}");
            }
            // `inf` switches a ceiling off; a floor of `inf` is refused.
            let mut th = t();
            set(&mut th, f64::INFINITY);
            assert_eq!(th.validate().is_ok(), name.starts_with("--max"), "{name}");
        }
        let mut th = t();
        th.one_strand_site = f64::NAN;
        assert!(th.validate().is_err());
    }

    fn stats(n: u32, fwd: u32, f1r2: u32, dist: u64, mq: u64) -> AlleleStats {
        AlleleStats {
            n,
            by_class: [n, 0, 0, 0],
            fwd,
            rev: n - fwd,
            f1r2,
            f2r1: n - f1r2,
            sum_bq: 35 * u64::from(n),
            sum_mq: mq * u64::from(n),
            sum_dist: dist * u64::from(n),
        }
    }

    /// A clean 1% variant at 2000x: balanced strands and orientations.
    fn clean() -> SampleCall {
        let mut s = SampleCall {
            depth_by_class: [2000, 0, 0, 0],
            reference: stats(1980, 990, 990, 40, 60),
            alt: stats(20, 10, 10, 40, 60),
            err: 1e-4,
            null: crate::model::Null::binomial(1e-4),
            ln_p: -80.0,
            lod: 0.003,
            sb_phred: 0.0,
            ob_phred: 0.0,
            filters: vec![],
            families: None,
        };
        s.sb_phred = strand_bias_phred(&s.reference, &s.alt);
        s.ob_phred = orientation_bias_phred(&s.reference, &s.alt);
        s
    }

    fn site() -> SiteInfo {
        SiteInfo {
            known: false,
            is_indel: false,
            homopolymer: 1,
            ln_alpha: (1e-7f64).ln(),
            min_alt: t().min_alt,
        }
    }

    fn only(s: &SampleCall, site: &SiteInfo) -> Vec<Filter> {
        let mut s = s.clone();
        s.sb_phred = strand_bias_phred(&s.reference, &s.alt);
        s.ob_phred = orientation_bias_phred(&s.reference, &s.alt);
        evaluate(&s, site, &t(), Some(0.5))
    }

    #[test]
    fn a_clean_variant_passes() {
        assert_eq!(only(&clean(), &site()), vec![]);
    }

    #[test]
    fn low_alt_count_depends_on_known() {
        let mut s = clean();
        s.alt = stats(2, 1, 1, 40, 60);
        assert!(only(&s, &site()).contains(&Filter::LowAltCount));
        let known = SiteInfo {
            known: true,
            min_alt: t().min_alt_known,
            ..site()
        };
        assert!(!only(&s, &known).contains(&Filter::LowAltCount));
        // Two duplex alt molecules are four strand observations: enough.
        s.alt.by_class = [0, 0, 0, 2];
        assert!(!only(&s, &site()).contains(&Filter::LowAltCount));
        s.alt.by_class = [1, 0, 0, 1];
        assert!(!only(&s, &site()).contains(&Filter::LowAltCount));
        s.alt.by_class = [2, 0, 0, 0];
        assert!(only(&s, &site()).contains(&Filter::LowAltCount));
        // A known locus without enough evidence is "not detected", not LowAltCount/LowQual.
        s.alt = stats(0, 0, 0, 0, 0);
        s.ln_p = 0.0;
        assert_eq!(only(&s, &known), vec![Filter::NotDetected]);
        assert_eq!(
            only(&s, &site()),
            vec![Filter::LowAltCount, Filter::LowQual]
        );
    }

    #[test]
    fn noisy_site_comes_from_the_null() {
        // The clean call is at 1%: flagged where the normals show 0.5%,
        // not where they show 0.1% (10x below it).
        let mut s = clean();
        s.null.noisy = Some(5e-3);
        assert_eq!(only(&s, &site()), vec![Filter::NoisySite]);
        s.null.noisy = Some(1e-3);
        assert_eq!(only(&s, &site()), vec![]);
        assert!(Filter::NoisySite.description(&t()).contains("0.001"));
    }

    #[test]
    fn low_qual_when_not_significant() {
        let mut s = clean();
        s.ln_p = -3.0;
        assert_eq!(only(&s, &site()), vec![Filter::LowQual]);
    }

    #[test]
    fn strand_bias_when_alt_is_on_one_strand() {
        let mut s = clean();
        s.alt = stats(20, 20, 10, 40, 60);
        assert_eq!(only(&s, &site()), vec![Filter::StrandBias]);
    }

    /// Issue 20, point 6: 12 alt molecules, all forward, at a site of 98%
    /// forward molecules (Fisher has no power) in a sample covering both
    /// strands; not in an assay read from one strand.
    #[test]
    fn strand_unconfirmed_where_the_site_cannot_tell() {
        let mut s = clean();
        s.reference = stats(1968, 1928, 990, 40, 60);
        s.alt = stats(12, 12, 6, 40, 60);
        assert_eq!(only(&s, &site()), vec![Filter::StrandUnconfirmed]);
        assert!(!strand_unconfirmed(&s, Some(0.02), &t()));
        assert!(!strand_unconfirmed(&s, None, &t()));
        // One alt molecule on the thin strand confirms it.
        s.alt = stats(12, 11, 6, 40, 60);
        assert!(!strand_unconfirmed(&s, Some(0.5), &t()));
        // At a balanced site a one-strand alt is the Fisher test's business.
        let mut b = clean();
        b.alt = stats(12, 12, 6, 40, 60);
        assert!(!strand_unconfirmed(&b, Some(0.5), &t()));
        assert!(only(&b, &site()).contains(&Filter::StrandBias));
        // --one-strand-site 0 turns it off.
        let off = Thresholds {
            one_strand_site: 0.0,
            ..t()
        };
        assert!(!strand_unconfirmed(&s, Some(0.5), &off));
    }

    #[test]
    fn orientation_bias_when_alt_is_in_one_orientation() {
        let mut s = clean();
        s.alt = stats(20, 10, 0, 40, 60);
        assert_eq!(only(&s, &site()), vec![Filter::OrientationBias]);
    }

    #[test]
    fn read_end_bias_when_alt_hugs_read_ends() {
        let mut s = clean();
        s.alt = stats(20, 10, 10, 3, 60);
        assert_eq!(only(&s, &site()), vec![Filter::ReadEndBias]);
        // Not when every read sits near its ends here (amplicon edges).
        s.reference = stats(1980, 990, 990, 4, 60);
        assert_eq!(only(&s, &site()), vec![]);
    }

    #[test]
    fn low_mapq_when_alt_reads_map_worse_than_ref_reads() {
        let mut s = clean();
        s.alt = stats(20, 10, 10, 40, 25);
        assert_eq!(only(&s, &site()), vec![Filter::LowMapQ]);
        // Issue 20, point 5: a low-mappability region, where ref and alt
        // reads map alike (ref 25.8, alt 25.2), is not an alt artifact.
        s.alt.sum_mq = 504; // 25.2 over 20 molecules
        s.reference.sum_mq = 51_084; // 25.8 over 1980
        assert_eq!(only(&s, &site()), vec![]);
        // The absolute floor, when asked for, still applies.
        let floor = Thresholds {
            min_alt_mapq: 30.0,
            ..t()
        };
        assert!(maps_worse(&s.alt, &s.reference, &floor));
        assert!(Filter::LowMapQ.description(&floor).contains("below 30"));
        assert!(!Filter::LowMapQ.description(&t()).contains("below 0"));
    }

    #[test]
    fn germline_at_high_or_het_consistent_fraction() {
        let mut s = clean();
        s.alt = stats(900, 450, 450, 40, 60);
        s.reference = stats(1100, 550, 550, 40, 60);
        assert_eq!(only(&s, &site()), vec![Filter::Germline]);
        // Low depth: 2 of 8 (25%, below --germline-vaf) is still consistent with 50%.
        assert!(is_germline(2, 8, &t()));
        assert!(!is_germline(20, 2000, &t()));
    }

    #[test]
    fn homopolymer_indels_need_a_fraction_above_the_run_s_slippage() {
        // Issue 20, point 6: 12 alt molecules of 1,500 (0.8%) in a 9-base
        // run slipping at 0.5%: flagged however many molecules that is.
        let mut s = clean();
        s.depth_by_class = [1500, 0, 0, 0];
        s.alt = stats(12, 6, 6, 40, 60);
        s.err = 5e-3;
        let hp = SiteInfo {
            is_indel: true,
            homopolymer: 9,
            ..site()
        };
        assert!(only(&s, &hp).contains(&Filter::Homopolymer));
        // The same fraction at 100x the depth is no more a variant.
        s.depth_by_class = [150_000, 0, 0, 0];
        s.alt = stats(1200, 600, 600, 40, 60);
        assert!(only(&s, &hp).contains(&Filter::Homopolymer));
        // Where the run slips at 0.1%, 0.8% is 8 times that: not flagged.
        s.err = 1e-3;
        assert!(!only(&s, &hp).contains(&Filter::Homopolymer));
        // A short run is never this filter's business.
        s.err = 5e-3;
        let short = SiteInfo {
            is_indel: true,
            homopolymer: 3,
            ..site()
        };
        assert!(!only(&s, &short).contains(&Filter::Homopolymer));
    }

    #[test]
    fn every_filter_has_a_distinct_id_and_a_description_with_its_threshold() {
        let ids: std::collections::BTreeSet<&str> = Filter::ALL.iter().map(|f| f.id()).collect();
        assert_eq!(ids.len(), Filter::ALL.len());
        assert!(Filter::LowAltCount.description(&t()).contains('3'));
        assert!(Filter::StrandBias.description(&t()).contains("20"));
    }
}
