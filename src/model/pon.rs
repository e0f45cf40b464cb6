//! Panel of normals: per-site, per-allele, per-orientation background fitted
//! on normal samples (SPEC section 3, preference (a)), and the [`Background`]
//! that uses it with empirical-Bayes shrinkage toward the sample's own
//! context rates.
//!
//! Building: [`summarize_shard`] turns the evidence of all normals over one
//! shard into [`PonRow`]s (one per position and alt slot: the three SNV alts,
//! any insertion, any deletion). The file format lives in [`super::pon_file`].
//!
//! Calling: [`PonModel`] answers [`Background::null`] queries. The maths is in
//! `docs/model.md`; in short, with `K` alt molecules out of `N` pooled over the
//! non-germline normals, a context rate `e_ctx` and a prior weight `M`:
//! `e = (K + M e_ctx) / (N + M)`, and the count is tested with a
//! beta-binomial of mean `e` and concentration `min(N + M, (1 - rho) / rho)`.

use super::context::MIN_RATE;
use super::prepared::PreparedRates;
use super::stats::ln_betabinom_pmf;
use super::{bq_floor, Background, Null, RateQuery};
use crate::evidence::alleles::{base_index, Alt, Indel, PositionCounts, N_CLASSES};
use crate::evidence::engine::ShardEvidence;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Alt slots per position: A, C, G, T (the reference base's slot is not
/// used), any insertion, any deletion anchored at the position.
pub const SLOTS: usize = 6;
/// Slot of insertions.
pub const INS: usize = 4;
/// Slot of deletions.
pub const DEL: usize = 5;

/// Name of a slot in the file's ALT column.
pub fn slot_name(slot: usize) -> &'static str {
    ["A", "C", "G", "T", "<INS>", "<DEL>"][slot.min(SLOTS - 1)]
}

/// Slot of an ALT column value.
pub fn slot_of(name: &str) -> Option<usize> {
    (0..SLOTS).find(|&s| slot_name(s) == name)
}

/// Slot of an allele the caller tests.
pub fn slot_of_allele(a: &Alt) -> Option<usize> {
    match a {
        Alt::Snv(b) => Some(usize::from(*b)),
        Alt::Indel(Indel::Ins(_)) => Some(INS),
        Alt::Indel(Indel::Del(_)) => Some(DEL),
        // Not kept in the panel of normals (see docs/pon.md).
        Alt::Indel(Indel::Mnv(_) | Indel::Delins { .. }) => None,
    }
}

/// Alt molecules of one allele among `depth` molecules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub alt: u32,
    pub depth: u32,
}

/// One normal's evidence for one allele at one site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NormalObs {
    pub all: Count,
    pub f1r2: Count,
    pub f2r1: Count,
}

/// A beta-binomial fit over the normals: pooled counts and (alpha, beta).
///
/// METHOD: method of moments. The mean is the pooled rate `K / N`; the
/// intra-class correlation `rho` (the overdispersion: a sample's count has
/// variance `n mu (1 - mu) (1 + (n - 1) rho)`) comes from the depth-weighted
/// spread of the normals' fractions, `S = sum n_i (k_i/n_i - mu)^2`, whose
/// expectation is `mu (1 - mu) [(m - 1) + rho (N - sum n_i^2 / N - (m - 1))]`
/// for `m` normals. Then `alpha + beta = (1 - rho) / rho`.
///
/// A handful of alt molecules cannot show overdispersion reliably (one
/// normal with 3 of 4 alt molecules looks "spread" by chance, and a spurious
/// rho would make the test needlessly weak), so rho is kept only when the
/// normals hold at least [`MIN_ALT_FOR_RHO`] alt molecules and the
/// dispersion statistic `X = S / (mu (1 - mu))` exceeds the binomial
/// expectation significantly (`P(chi2(m - 1) >= X) < ` [`DISPERSION_P`]).
/// Otherwise (and with fewer than two normals or no alt at all) alpha and
/// beta are infinite: the binomial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// Pooled alt molecules (`K`) and depth (`N`).
    pub alt: u64,
    pub depth: u64,
    pub alpha: f64,
    pub beta: f64,
}

impl Default for Fit {
    fn default() -> Self {
        Fit {
            alt: 0,
            depth: 0,
            alpha: f64::INFINITY,
            beta: f64::INFINITY,
        }
    }
}

/// Prior probability that a site is an artifact site (its rate unrelated to
/// the context rate); see [`PonModel::shrink`].
pub const ARTIFACT_PRIOR: f64 = 0.01;

/// Fewest pooled alt molecules from which overdispersion is estimated.
pub const MIN_ALT_FOR_RHO: u64 = 10;
/// Significance the normals' spread must reach before rho is used.
pub const DISPERSION_P: f64 = 1e-3;

/// Largest overdispersion kept (a site where every molecule of a normal is
/// all-or-nothing is not an error process any more).
const MAX_RHO: f64 = 0.5;

impl Fit {
    /// Fit the normals' counts (those with depth > 0).
    pub fn of(counts: impl Iterator<Item = Count> + Clone) -> Fit {
        let used = counts.filter(|c| c.depth > 0);
        let (mut k, mut n, mut m, mut n2) = (0u64, 0u64, 0u64, 0f64);
        for c in used.clone() {
            k += u64::from(c.alt);
            n += u64::from(c.depth);
            m += 1;
            n2 += f64::from(c.depth).powi(2);
        }
        let mut fit = Fit {
            alt: k,
            depth: n,
            ..Fit::default()
        };
        if m < 2 || k < MIN_ALT_FOR_RHO || k == n {
            return fit;
        }
        let mu = k as f64 / n as f64;
        let s: f64 = used
            .map(|c| f64::from(c.depth) * (f64::from(c.alt) / f64::from(c.depth) - mu).powi(2))
            .sum();
        let nf = n as f64;
        let denom = nf - n2 / nf - (m - 1) as f64;
        if denom <= 0.0 {
            return fit;
        }
        let x = s / (mu * (1.0 - mu));
        let rho = ((x - (m - 1) as f64) / denom).min(MAX_RHO);
        let significant = ChiSquared::new((m - 1) as f64).is_ok_and(|c| c.sf(x) < DISPERSION_P);
        if rho > 0.0 && significant {
            let c = (1.0 - rho) / rho;
            fit.alpha = mu * c;
            fit.beta = (1.0 - mu) * c;
        }
        fit
    }

    /// Pooled rate `K / N` (0 without depth).
    pub fn mean(&self) -> f64 {
        if self.depth == 0 {
            0.0
        } else {
            self.alt as f64 / self.depth as f64
        }
    }

    /// Overdispersion `1 / (alpha + beta + 1)`; 0 for the binomial.
    pub fn rho(&self) -> f64 {
        if self.alpha.is_finite() && self.beta.is_finite() {
            1.0 / (self.alpha + self.beta + 1.0)
        } else {
            0.0
        }
    }
}

/// Everything the panel of normals says about one allele at one site.
#[derive(Debug, Clone, PartialEq)]
pub struct AlleleSummary {
    /// Normals with depth here that are not germline for the allele.
    pub normals: u32,
    /// Of those, normals with at least `carrier_min_alt` alt molecules.
    pub carriers: u32,
    /// Normals left out as germline (allele fraction >= `germline_vaf`).
    pub germline: u32,
    /// Fit over the non-germline normals, both orientations together.
    pub fit: Fit,
    /// Fits of F1R2 and F2R1 molecules alone.
    pub f1r2: Fit,
    pub f2r1: Fit,
    /// Per normal (in file order): alt and depth (empty when not loaded).
    pub per_normal: Vec<Count>,
}

/// One row of the file: an allele slot at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct PonRow {
    pub rid: usize,
    pub pos0: u64,
    /// Reference base at the position.
    pub ref_base: u8,
    pub slot: usize,
    pub summary: AlleleSummary,
}

/// Rules applied while building (recorded in the file).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BuildParams {
    /// A normal whose allele fraction is at least this (with >= 2 alt
    /// molecules) carries a germline variant: left out of the fit.
    pub germline_vaf: f64,
    /// A normal with at least this many alt molecules "carries" the allele.
    pub carrier_min_alt: u32,
}

impl BuildParams {
    /// Refuse rules no normal could be judged by, naming the option.
    pub fn validate(&self) -> crate::Result<()> {
        if !(self.germline_vaf > 0.0 && self.germline_vaf <= 1.0) {
            return Err(crate::Error::Usage(format!(
                "--germline-vaf must be in (0, 1] (got {})",
                self.germline_vaf
            )));
        }
        if self.carrier_min_alt == 0 {
            return Err(crate::Error::Usage(
                "--carrier-min-alt must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

impl Default for BuildParams {
    fn default() -> Self {
        BuildParams {
            germline_vaf: 0.25,
            carrier_min_alt: 2,
        }
    }
}

fn observe(pc: &PositionCounts, slot: usize) -> NormalObs {
    let mut o = NormalObs::default();
    for b in &pc.bases {
        o.all.depth += b.n;
        o.f1r2.depth += b.f1r2;
        o.f2r1.depth += b.f2r1;
    }
    let mut add = |s: &crate::evidence::AlleleStats| {
        o.all.alt += s.n;
        o.f1r2.alt += s.f1r2;
        o.f2r1.alt += s.f2r1;
    };
    match slot {
        INS | DEL => {
            for (indel, s) in &pc.indels {
                let kind = match indel {
                    Indel::Ins(_) => INS,
                    Indel::Del(_) => DEL,
                    Indel::Mnv(_) | Indel::Delins { .. } => continue,
                };
                if kind == slot {
                    add(s);
                }
            }
        }
        b => add(&pc.bases[b]),
    }
    o
}

/// Summarize one allele over the normals' observations.
pub fn summarize(obs: &[NormalObs], p: &BuildParams) -> AlleleSummary {
    let germline = |o: &NormalObs| {
        o.all.alt >= 2 && f64::from(o.all.alt) >= p.germline_vaf * f64::from(o.all.depth)
    };
    let kept = || obs.iter().filter(|o| !germline(o) && o.all.depth > 0);
    AlleleSummary {
        normals: kept().count() as u32,
        carriers: kept().filter(|o| o.all.alt >= p.carrier_min_alt).count() as u32,
        germline: obs.iter().filter(|o| germline(o)).count() as u32,
        fit: Fit::of(kept().map(|o| o.all)),
        f1r2: Fit::of(kept().map(|o| o.f1r2)),
        f2r1: Fit::of(kept().map(|o| o.f2r1)),
        per_normal: obs.iter().map(|o| o.all).collect(),
    }
}

/// The rows of one shard: every position, every alt slot (SNV slots only
/// where the reference base is A, C, G or T), in position then slot order.
pub fn summarize_shard(ev: &ShardEvidence, p: &BuildParams) -> Vec<PonRow> {
    summarize_samples(ev, 0..ev.samples.len(), p)
}

/// The panel of normals of one sample of a run: `call --normal`'s matched
/// normal as a one-sample panel (its rows built as `ctdna pon` builds
/// them, kept in memory).
pub fn of_one_sample(evidence: &[ShardEvidence], sample: usize, p: &BuildParams) -> Pon {
    let mut pon = Pon::default();
    for ev in evidence {
        for r in summarize_samples(ev, sample..sample + 1, p) {
            pon.push(&r);
        }
    }
    pon.finish()
}

/// [`summarize_shard`] over the samples `samples` of the shard only.
fn summarize_samples(
    ev: &ShardEvidence,
    samples: std::ops::Range<usize>,
    p: &BuildParams,
) -> Vec<PonRow> {
    let n_pos = ev.samples.first().map_or(0, |s| s.counts.positions.len());
    let mut rows = Vec::with_capacity(n_pos * 5);
    let mut obs = Vec::with_capacity(ev.samples.len());
    for i in 0..n_pos {
        let pos0 = ev.shard.start + i as u64;
        let ref_base = ev.window.base(pos0 as i64);
        let ref_idx = base_index(ref_base);
        for slot in 0..SLOTS {
            if slot < INS && (ref_idx.is_none() || ref_idx == Some(slot)) {
                continue;
            }
            obs.clear();
            obs.extend(
                ev.samples[samples.clone()]
                    .iter()
                    .map(|s| observe(&s.counts.positions[i], slot)),
            );
            rows.push(PonRow {
                rid: ev.shard.rid,
                pos0,
                ref_base,
                slot,
                summary: summarize(&obs, p),
            });
        }
    }
    rows
}

/// What `call` needs of one row, in 24 bytes (a 2 Mb panel has 10 million
/// rows: the full [`AlleleSummary`] would take gigabytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteFit {
    /// Pooled alt molecules `K` and depth `N` (saturating at u32::MAX).
    pub alt: u32,
    pub depth: u32,
    pub carriers: u32,
    /// Overdispersion of the fit (0: binomial).
    pub rho: f64,
}

impl SiteFit {
    pub fn of(s: &AlleleSummary) -> Self {
        let small = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
        SiteFit {
            alt: small(s.fit.alt),
            depth: small(s.fit.depth),
            carriers: s.carriers,
            rho: s.fit.rho(),
        }
    }

    /// Pooled rate `K / N` (0 without depth).
    pub fn mean(&self) -> f64 {
        if self.depth == 0 {
            0.0
        } else {
            f64::from(self.alt) / f64::from(self.depth)
        }
    }
}

/// A loaded panel of normals for calling: sorted site keys and their fits
/// (binary search; no hash map, so no per-entry overhead).
#[derive(Debug, Clone, Default)]
pub struct Pon {
    keys: Vec<u64>,
    sites: Vec<SiteFit>,
}

/// Sort key of (contig index, position, slot): 24 bits of contig, 36 of
/// position, 4 of slot.
fn key(rid: usize, pos0: u64, slot: usize) -> u64 {
    ((rid as u64) << 40) | ((pos0 & ((1 << 36) - 1)) << 4) | (slot as u64 & 0xf)
}

impl Pon {
    /// Add one row; rows arrive in file order (sorted), checked by [`Pon::finish`].
    pub fn push(&mut self, r: &PonRow) {
        self.keys.push(key(r.rid, r.pos0, r.slot));
        self.sites.push(SiteFit::of(&r.summary));
    }

    /// Add the rows of `o`, which follow these (the next shard's).
    pub fn append(&mut self, o: Pon) {
        self.keys.extend(o.keys);
        self.sites.extend(o.sites);
    }

    /// Sort if the rows did not arrive in order (a hand-edited file).
    pub fn finish(mut self) -> Self {
        if !self.keys.windows(2).all(|w| w[0] < w[1]) {
            let mut both: Vec<(u64, SiteFit)> = self.keys.into_iter().zip(self.sites).collect();
            both.sort_by_key(|x| x.0);
            both.dedup_by_key(|x| x.0);
            (self.keys, self.sites) = both.into_iter().unzip();
        }
        self
    }

    /// Build from rows (tests, small panels).
    pub fn from_rows(rows: &[PonRow]) -> Self {
        let mut p = Pon::default();
        rows.iter().for_each(|r| p.push(r));
        p.finish()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The fit of one allele slot at a site, if the panel has it.
    pub fn get(&self, rid: usize, pos0: u64, slot: usize) -> Option<&SiteFit> {
        self.keys
            .binary_search(&key(rid, pos0, slot))
            .ok()
            .map(|i| &self.sites[i])
    }
}

/// How `call` uses the panel (CLI options).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct UseParams {
    /// `M`: molecules' worth of weight given to the context rate.
    pub prior_weight: f64,
    /// NoisySite: pooled normal rate at least this ...
    pub noisy_rate: f64,
    /// ... with at least this many carrier normals.
    pub noisy_min_normals: u32,
}

/// A panel of normals loaded and checked for a run, with how the run uses it.
#[derive(Debug)]
pub struct LoadedPon {
    pub pon: Pon,
    /// Number of normals in the file (for the header).
    pub normals: usize,
    pub params: UseParams,
}

/// The panel-of-normals background of one sample: the PoN where it has the
/// site, shrunk toward (and elsewhere replaced by) the sample's context rates.
pub struct PonModel<'a> {
    pub pon: &'a Pon,
    pub fallback: PreparedRates<'a>,
    pub params: UseParams,
    /// Number of normals in the file (for the header).
    pub n_normals: usize,
}

impl PonModel<'_> {
    /// METHOD: empirical Bayes with a two-component prior. An ordinary site
    /// has a rate drawn from Beta(M e_ctx, M (1 - e_ctx)) around the context
    /// rate (`M` = prior weight in molecules); an artifact site (prior
    /// probability [`ARTIFACT_PRIOR`]) from the vague Beta(1/2, 1/2). The
    /// normals' pooled `K` of `N` weigh the two by their beta-binomial
    /// marginal likelihoods; the likelier component gives the rate:
    /// ordinary `e = (K + M e_ctx) / (N + M)` (deep normals: `e -> K/N`;
    /// thin or absent normals: `e -> e_ctx`), artifact `e = (K + 1/2) / (N + 1)`
    /// (the normals' own rate: a conjugate prior of weight `M` would dilute a
    /// 5% artifact seen in 4,000 molecules to 2%). A sample's count is then
    /// binomial with rate `e`, or beta-binomial with mean `e` and
    /// concentration `(1 - rho) / rho` where the normals are significantly
    /// overdispersed (the fit's rho > 0). SNV rates keep the base-quality
    /// floor.
    pub fn shrink(&self, s: &SiteFit, prior: f64, floor: f64) -> Null {
        let m = self.params.prior_weight;
        let (k, n) = (u64::from(s.alt), u64::from(s.depth));
        let (a0, b0) = (m * prior, m * (1.0 - prior));
        let ordinary = (1.0 - ARTIFACT_PRIOR).ln() + ln_betabinom_pmf(k, n, a0, b0);
        let artifact = ARTIFACT_PRIOR.ln() + ln_betabinom_pmf(k, n, 0.5, 0.5);
        let (k, n) = (k as f64, n as f64);
        let e = if n > 0.0 && artifact > ordinary {
            (k + 0.5) / (n + 1.0)
        } else {
            (k + a0) / (n + m)
        };
        let rate = e.max(floor).clamp(MIN_RATE, 0.5);
        let rho = s.rho;
        Null {
            rates: [rate; N_CLASSES],
            dispersion: [1.0; N_CLASSES],
            concentration: (rho > 0.0).then(|| (1.0 - rho) / rho),
            noisy: (s.carriers >= self.params.noisy_min_normals
                && s.mean() >= self.params.noisy_rate)
                .then(|| s.mean()),
        }
    }
}

/// METHOD: the panel's site rate `e` is of every molecule pooled, as the
/// normals were counted; the sample's classes get it through the sample's
/// own class rates `e_c` and pooled context rate `e_ctx`: a site noisier
/// than its context adds its excess to every class, `e_c + (e - e_ctx)`
/// (what makes a site noisy - mismapping, a recurrent artifact, a germline
/// allele in some normals - is in the DNA or the alignment, which neither
/// mate agreement nor consensus removes); a site cleaner than its context
/// scales every class by `e / e_ctx`. Rates stay in `[1e-7, 0.5]`.
impl Background for PonModel<'_> {
    fn null(&self, q: &RateQuery) -> Null {
        let own = self.fallback.null(q);
        let prior = self.fallback.pooled_rate(q);
        let floor = match q.allele {
            Alt::Snv(_) => bq_floor(q.mean_bq),
            Alt::Indel(_) => MIN_RATE,
        };
        let Some(s) =
            slot_of_allele(q.allele).and_then(|slot| self.pon.get(q.site.0, q.site.1, slot))
        else {
            return own;
        };
        let site = self.shrink(s, prior, floor);
        let e = site.rates[0];
        let rates = own.rates.map(|e_c| {
            let r = if e >= prior {
                e_c + (e - prior)
            } else {
                e_c * e / prior
            };
            r.clamp(MIN_RATE, 0.5)
        });
        Null {
            rates,
            dispersion: own.dispersion,
            ..site
        }
    }

    fn substitution_rates(&self) -> super::weighted::ClassRates {
        self.fallback.substitution_rates()
    }

    fn name(&self) -> &'static str {
        "panel-of-normals"
    }

    fn measures_sites(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        format!(
            "panel-of-normals (normals={}, prior_weight={}, fallback=sample-context)",
            self.n_normals, self.params.prior_weight
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::ContextRates;

    fn c(alt: u32, depth: u32) -> Count {
        Count { alt, depth }
    }

    #[test]
    fn binomial_spread_gives_no_overdispersion() {
        // Identical fractions: less spread than binomial -> rho 0.
        let f = Fit::of([c(2, 2000), c(2, 2000), c(2, 2000)].into_iter());
        assert_eq!((f.alt, f.depth), (6, 6000));
        assert_eq!(f.rho(), 0.0);
        assert!(f.alpha.is_infinite());
        // No alt at all, or one normal: binomial.
        assert_eq!(Fit::of([c(0, 100), c(0, 50)].into_iter()).rho(), 0.0);
        assert_eq!(Fit::of([c(5, 100)].into_iter()).rho(), 0.0);
    }

    #[test]
    fn method_of_moments_recovers_the_overdispersion() {
        // A few alt molecules: too few to estimate a spread.
        let few = Fit::of([c(0, 2000), c(3, 2000), c(0, 2000), c(1, 2000)].into_iter());
        assert_eq!(few.rho(), 0.0);
        // Fractions 0.1% .. 1.9% at 2000x: far more spread than binomial.
        let counts: Vec<Count> = (0..10).map(|i| c(2 + 4 * i, 2000)).collect();
        let f = Fit::of(counts.iter().copied());
        let mu = f.mean();
        assert!((mu - 0.01).abs() < 1e-12, "{mu}");
        // Sample variance of the fractions: var(p) = mu(1-mu)/n (1 + (n-1) rho).
        let var: f64 = counts
            .iter()
            .map(|x| (f64::from(x.alt) / 2000.0 - mu).powi(2))
            .sum::<f64>()
            / 9.0;
        let rho_direct = (var * 2000.0 / (mu * (1.0 - mu)) - 1.0) / 1999.0;
        assert!(
            (f.rho() - rho_direct).abs() / rho_direct < 1e-9,
            "{} {rho_direct}",
            f.rho()
        );
        assert!((f.alpha / (f.alpha + f.beta) - mu).abs() < 1e-12);
    }

    #[test]
    fn germline_normals_are_left_out_of_the_fit() {
        let o = |alt, depth| NormalObs {
            all: c(alt, depth),
            f1r2: c(alt / 2, depth / 2),
            f2r1: c(alt - alt / 2, depth - depth / 2),
        };
        let p = BuildParams::default();
        let s = summarize(&[o(1000, 2000), o(3, 2000), o(0, 2000), o(1990, 2000)], &p);
        assert_eq!((s.germline, s.normals, s.carriers), (2, 2, 1));
        assert_eq!((s.fit.alt, s.fit.depth), (3, 4000));
        assert_eq!((s.f1r2.alt, s.f1r2.depth), (1, 2000));
        assert_eq!(s.per_normal.len(), 4);
    }

    fn model_with<'a>(pon: &'a Pon, ctx: &'a ContextRates) -> PonModel<'a> {
        PonModel {
            pon,
            fallback: PreparedRates::new(ctx),
            params: UseParams {
                prior_weight: 10_000.0,
                noisy_rate: 1e-3,
                noisy_min_normals: 2,
            },
            n_normals: 10,
        }
    }

    fn summary(fit: Fit, carriers: u32) -> SiteFit {
        SiteFit::of(&AlleleSummary {
            normals: 10,
            carriers,
            germline: 0,
            fit,
            f1r2: Fit::default(),
            f2r1: Fit::default(),
            per_normal: vec![],
        })
    }

    #[test]
    fn shrinkage_follows_deep_normals_and_falls_back_when_thin() {
        let pon = Pon::default();
        let ctx = ContextRates::estimate(&[], 0);
        let m = model_with(&pon, &ctx);
        let prior = 1e-4;
        // Deep normals with a 0.5% artifact: an artifact site, the normals' rate.
        let deep = Fit::of((0..10).map(|_| c(100, 20_000)));
        let n = m.shrink(&summary(deep, 10), prior, 0.0);
        assert!(
            (n.rates[0] - 1000.5 / 200_001.0).abs() < 1e-15,
            "{}",
            n.rates[0]
        );
        assert_eq!(n.concentration, None);
        assert_eq!(n.noisy, Some(1000.0 / 200_000.0));
        // A 10% paralog difference in only 4,000 molecules stays 10%.
        let para = Fit::of((0..6).map(|_| c(65, 690)));
        let n = m.shrink(&summary(para, 6), prior, 0.0);
        assert!((n.rates[0] - 0.094).abs() < 1e-3, "{}", n.rates[0]);
        // Ordinary site, deep normals: mostly the normals' rate.
        let clean = Fit::of((0..10).map(|_| c(1, 20_000)));
        let n = m.shrink(&summary(clean, 0), prior, 0.0);
        let want = (10.0 + 10_000.0 * prior) / (200_000.0 + 10_000.0);
        assert!((n.rates[0] - want).abs() < 1e-15, "{}", n.rates[0]);
        // A small excess (3x context) is still an ordinary site.
        let excess = Fit::of((0..10).map(|_| c(6, 20_000)));
        let n = m.shrink(&summary(excess, 10), prior, 0.0);
        let want = (60.0 + 10_000.0 * prior) / (200_000.0 + 10_000.0);
        assert!((n.rates[0] - want).abs() < 1e-15, "{}", n.rates[0]);
        // Thin normals (one molecule each): the context rate.
        let thin = Fit::of((0..10).map(|_| c(0, 1)));
        let n = m.shrink(&summary(thin, 0), prior, 0.0);
        assert!((n.rates[0] - prior).abs() / prior < 2e-3, "{}", n.rates[0]);
        assert_eq!(n.noisy, None);
        // Overdispersed normals cap the concentration.
        let spread = Fit::of((0..10).map(|i| c(2 + 20 * i, 20_000)));
        let n = m.shrink(&summary(spread, 10), prior, 0.0);
        let rho = spread.rho();
        assert!(rho > 0.0);
        assert!((n.concentration.unwrap() - (1.0 - rho) / rho).abs() < 1e-6);
    }

    #[test]
    fn slots_name_round_trip() {
        for s in 0..SLOTS {
            assert_eq!(slot_of(slot_name(s)), Some(s));
        }
        assert_eq!(slot_of("N"), None);
        assert_eq!(slot_of_allele(&Alt::Indel(Indel::Del(2))), Some(DEL));
    }
}
