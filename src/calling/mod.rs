//! Calling: candidate alleles → tested, filtered calls (SPEC sections 3-4).
//!
//! For every target position and every alt allele seen there (or requested
//! as a known locus), each sample's molecules are tested against the null
//! error rate from a [`Background`] model; filters are applied per sample,
//! and a record is PASS when it passes in at least one sample.

pub mod filters;
pub mod islands;
pub mod joint;
pub mod lod;
pub mod normal;
mod parts;
#[cfg(test)]
pub(crate) mod test_shard;

use crate::evidence::alleles::Indel;
use crate::evidence::alleles::{base_index, AlleleStats, Alt, ClassCounts, PositionCounts, BASES};
use crate::evidence::batch::UmiEvidence;
use crate::evidence::engine::ShardEvidence;
use crate::evidence::umi::Tier;
use crate::model::context::{event_tally, homopolymer_after, trinucleotide, SiteTally, MAX_HP};
use crate::model::weighted::ClassRates;
use crate::model::{Background, Null, RateQuery};
use filters::{
    evaluate, orientation_bias_phred, strand_bias_phred, Filter, SiteInfo, Thresholds,
    MNV_PART_RATIO,
};
use normal::{NormalRule, NormalVerdict};
pub(crate) use parts::MNV_REACH;
use parts::{each_in_mnvs, each_meeting_rate};

/// De novo alleles are written to the VCF (filtered or not) when some sample
/// has at least this many alt molecules and a nominal p-value at most
/// [`EMIT_P`]; below that they are background noise and not written. With a
/// panel of normals, alleles the panel calls noisy at the site are written
/// too (FILTER NoisySite) when some sample has [`EMIT_MIN_ALT`] alt
/// molecules, so the user sees what the panel removed.
pub const EMIT_MIN_ALT: u32 = 2;
/// See [`EMIT_MIN_ALT`].
pub const EMIT_P: f64 = 1e-3;

/// One sample's evidence and test for one allele.
#[derive(Debug, Clone)]
pub struct SampleCall {
    /// Molecules at the position, by class (the test weighs each class).
    pub depth_by_class: ClassCounts,
    /// Molecules not showing the alt (the reference base for SNVs).
    pub reference: AlleleStats,
    pub alt: AlleleStats,
    /// Null error rate used.
    pub err: f64,
    /// The null distribution the test used (rate, overdispersion, NoisySite).
    pub null: Null,
    /// ln P(K >= k) under the null.
    pub ln_p: f64,
    pub lod: f64,
    pub sb_phred: f64,
    pub ob_phred: f64,
    /// Filters that apply in this sample (sorted; empty = PASS).
    pub filters: Vec<Filter>,
    /// UMI mode only: the sample's families at the position.
    pub families: Option<FamilySupport>,
}

/// UMI families behind one sample's call (VCF FORMAT FAM and DUP).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FamilySupport {
    /// Families (molecules of any tier) with a base at the position.
    pub families: u32,
    /// Duplex molecules (both strands' consensuses agree) carrying the alt.
    pub duplex_alt: u32,
}

impl FamilySupport {
    /// The support at offset `i` of a sample's shard, in UMI mode.
    fn at(umi: Option<&UmiEvidence>, i: usize, alt: &Alt) -> Option<Self> {
        let u = umi?;
        Some(FamilySupport {
            families: Tier::ALL.iter().map(|&t| u.depth(i, t)).sum(),
            duplex_alt: match alt {
                Alt::Snv(b) => u.base(i, Tier::Duplex, usize::from(*b)),
                Alt::Indel(indel) => u.duplex_indel(i, indel),
            },
        })
    }
}

impl SampleCall {
    /// A tested sample of single-read molecules (unit tests): `alt` of
    /// `depth` on the forward strand, against the binomial at `rate`.
    #[cfg(test)]
    pub(crate) fn binomial_fixture(alt: u32, depth: u32, rate: f64) -> Self {
        let null = Null::binomial(rate);
        let mut a = AlleleStats {
            n: alt,
            fwd: alt,
            ..AlleleStats::default()
        };
        a.by_class[0] = alt;
        SampleCall {
            depth_by_class: [depth, 0, 0, 0],
            reference: AlleleStats::default(),
            alt: a,
            err: rate,
            ln_p: null.ln_sf(&a.by_class, &[depth, 0, 0, 0]),
            null,
            lod: 1.0,
            sb_phred: 0.0,
            ob_phred: 0.0,
            filters: Vec::new(),
            families: None,
        }
    }

    /// Molecule depth at the position.
    pub fn depth(&self) -> u32 {
        self.depth_by_class.iter().sum()
    }

    pub fn af(&self) -> f64 {
        let depth = self.depth();
        if depth == 0 {
            0.0
        } else {
            f64::from(self.alt.n) / f64::from(depth)
        }
    }
    pub fn passes(&self) -> bool {
        self.filters.is_empty()
    }
}

/// A tested allele at one site, across samples.
#[derive(Debug, Clone)]
pub struct Call {
    pub rid: usize,
    /// 0-based VCF position (the anchor base for indels).
    pub pos0: u64,
    pub ref_allele: Vec<u8>,
    pub alt_allele: Vec<u8>,
    pub context: [u8; 3],
    pub homopolymer: usize,
    pub is_indel: bool,
    pub known: bool,
    pub samples: Vec<SampleCall>,
    /// With a matched normal (`--normal`, one of `samples`): what it says.
    pub normal: Option<NormalVerdict>,
    /// Found on the samples pooled (`--joint`) and judged in each at the
    /// joint level (INFO JOINT).
    pub joint: bool,
}

impl Call {
    /// The samples calls are made in: every sample but the matched normal.
    pub fn called(&self) -> impl Iterator<Item = (usize, &SampleCall)> {
        let normal = self.normal.map(|v| v.index);
        self.samples
            .iter()
            .enumerate()
            .filter(move |(i, _)| Some(*i) != normal)
    }

    /// Index of the called sample with the strongest evidence (smallest p).
    pub fn best(&self) -> usize {
        let mut best: Option<usize> = None;
        for (i, s) in self.called() {
            if best.is_none_or(|b| s.ln_p < self.samples[b].ln_p) {
                best = Some(i);
            }
        }
        best.unwrap_or(0)
    }

    /// Site FILTER: empty (PASS) when any called sample passes, else the
    /// best sample's filters.
    pub fn site_filters(&self) -> &[Filter] {
        if self.called().any(|(_, s)| s.passes()) {
            &[]
        } else {
            &self.samples[self.best()].filters
        }
    }

    /// INFO NormalLowDepth: a matched normal too shallow to clear the
    /// allele at the best sample's allele fraction
    /// ([`NormalVerdict::too_shallow_for`]).
    pub fn normal_low_depth(&self) -> bool {
        self.normal
            .is_some_and(|v| v.too_shallow_for(&self.samples[self.best()]))
    }

    pub fn passes(&self) -> bool {
        self.site_filters().is_empty()
    }
}

/// The two families of tests and their thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Alphas {
    /// ln of the per-test threshold for de novo sites.
    pub de_novo: f64,
    /// ln of the per-test threshold at known loci.
    pub known: f64,
}

impl Alphas {
    /// METHOD: Bonferroni within each family. De novo: `fp_per_panel / (4 x
    /// target positions)` (three SNV alts and one indel test per position),
    /// which bounds the expected number of false PASS calls per panel by
    /// `fp_per_panel` when the null is right. Known loci: `known_fp / (number
    /// of known alleles)`.
    pub fn new(t: &Thresholds, target_positions: u64, known_alleles: usize) -> Self {
        let m = (4 * target_positions).max(1) as f64;
        let mk = known_alleles.max(1) as f64;
        Alphas {
            de_novo: (t.fp_per_panel / m).ln(),
            known: (t.known_fp / mk).ln(),
        }
    }
}

/// Everything `call_shard` needs besides the evidence.
pub struct Caller<'a> {
    /// One background model per sample.
    pub models: &'a [&'a dyn Background],
    pub thresholds: &'a Thresholds,
    pub alphas: Alphas,
    /// Known alleles by (contig index, 0-based anchor position).
    pub known: &'a std::collections::BTreeMap<(usize, u64), Vec<Alt>>,
    /// Per sample, its minor-strand share (StrandUnconfirmed; `None`:
    /// unknown, never flagged).
    pub minor_strand: &'a [Option<f64>],
    /// `--normal`: which sample is the matched normal, and its test.
    pub normal: Option<NormalRule>,
}

impl Caller<'_> {
    /// Calls of one shard, in VCF order: of its positions from
    /// `shard.start` (the counts may start before, as context: see
    /// [`islands::keep`]).
    pub fn call_shard(&self, ev: &ShardEvidence) -> Vec<Call> {
        let mut out = Vec::new();
        let counted = ev
            .samples
            .first()
            .map_or(ev.shard.start, |s| s.counts.start);
        for pos0 in ev.shard.start..ev.shard.end {
            let i = (pos0 - counted) as usize;
            let at: Vec<&PositionCounts> =
                ev.samples.iter().map(|s| &s.counts.positions[i]).collect();
            let first = out.len();
            self.call_position(ev, (pos0, i), &at, &mut out);
            mark_multiallelic(&mut out[first..]);
            mark_not_detected(&mut out[first..]);
        }
        out
    }

    /// The costlier statistics and the FILTERs of an allele that is
    /// written, in each sample (`in_mnvs`: its molecules inside MNVs
    /// there), and the matched normal's verdict on it.
    fn judge(
        &self,
        samples: &mut [SampleCall],
        (ev, offset): (&ShardEvidence, usize),
        alt: &Alt,
        site: &SiteInfo,
        in_mnvs: &[AlleleStats],
    ) -> Option<NormalVerdict> {
        for (k, (s, sample)) in samples.iter_mut().zip(&ev.samples).enumerate() {
            s.families = FamilySupport::at(sample.umi.as_deref(), offset, alt);
            s.lod =
                lod::limit_of_detection(&s.depth_by_class, &s.null, site.ln_alpha, site.min_alt);
            s.sb_phred = strand_bias_phred(&s.reference, &s.alt);
            s.ob_phred = orientation_bias_phred(&s.reference, &s.alt);
            let minor = self.minor_strand.get(k).copied().flatten();
            s.filters = evaluate(s, site, self.thresholds, minor);
            if in_mnvs[k].n > 0 && in_mnvs[k].n >= MNV_PART_RATIO * s.alt.n {
                s.filters.push(Filter::MnvPart);
            }
        }
        let rule = self.normal?;
        let verdict = rule.judge(&samples[rule.index]);
        for (k, s) in samples.iter_mut().enumerate() {
            if k != verdict.index && rule.explains(&verdict, s) {
                s.filters.push(Filter::NormalEvidence);
            }
        }
        Some(verdict)
    }

    /// `--joint`: does the allele pass on the called samples' molecules
    /// pooled, and how ([`joint::discovered`])?
    fn jointly_found(&self, samples: &[SampleCall], site: &SiteInfo) -> Option<joint::Found> {
        self.thresholds.joint_alpha.and_then(|a| {
            // Site artifacts are told from variants by a panel of normals
            // where every called sample has one, else by a change in time.
            let sites_measured = (self.models.iter().enumerate())
                .all(|(k, m)| !self.is_called(k) || m.measures_sites());
            let levels = joint::JointLevels {
                ln_alpha: site.ln_alpha,
                ln_change_alpha: (!sites_measured).then(|| a.ln()),
            };
            joint::discovered(samples, |k| self.is_called(k), levels, site.min_alt)
        })
    }

    /// Is sample `k` one calls are made in (not the matched normal)?
    fn is_called(&self, k: usize) -> bool {
        self.normal.is_none_or(|r| r.index != k)
    }

    /// Is an allele tested in every sample worth writing? Known alleles
    /// always; de novo ones when a called sample has [`EMIT_MIN_ALT`] alt
    /// molecules and a nominal p-value at most [`EMIT_P`], or the panel of
    /// normals or the matched normal shows the allele there (so the user
    /// sees what they removed).
    fn worth_writing(&self, samples: &[SampleCall], is_known: bool) -> bool {
        let normal = self
            .normal
            .is_some_and(|rule| rule.carries(&samples[rule.index]));
        is_known
            || samples.iter().enumerate().any(|(k, s)| {
                self.is_called(k)
                    && s.alt.n >= EMIT_MIN_ALT
                    && (s.ln_p <= EMIT_P.ln() || s.null.noisy.is_some() || normal)
            })
    }

    /// The site's test family (threshold, known or not) and its LowAltCount.
    fn site(&self, known: bool, is_indel: bool, homopolymer: usize) -> SiteInfo {
        let t = self.thresholds;
        let (ln_alpha, min_alt) = if known {
            (self.alphas.known, t.min_alt_known)
        } else {
            (self.alphas.de_novo, t.min_alt)
        };
        SiteInfo {
            known,
            is_indel,
            homopolymer,
            ln_alpha,
            min_alt,
        }
    }

    fn call_position(
        &self,
        ev: &ShardEvidence,
        (pos0, i): (u64, usize),
        at: &[&PositionCounts],
        out: &mut Vec<Call>,
    ) {
        let w = &ev.window;
        let pos = pos0 as i64;
        let ref_base = w.base(pos);
        let ref_idx = base_index(ref_base);
        let known = self
            .known
            .get(&(ev.shard.rid, pos0))
            .cloned()
            .unwrap_or_default();
        let called: Vec<&PositionCounts> = (at.iter().enumerate())
            .filter(|&(k, _)| self.is_called(k))
            .map(|(_, pc)| *pc)
            .collect();
        let alts = candidates(&called, ref_idx, &known);
        let context = trinucleotide(w, pos);
        let homopolymer = homopolymer_after(w, pos);
        for alt in alts {
            let is_known = known.contains(&alt);
            let is_indel = alt.is_indel();
            let mut site = self.site(is_known, is_indel, homopolymer);
            // De novo alleles with fewer than EMIT_MIN_ALT alt molecules in
            // every sample are never written: not tested either.
            let in_mnvs = each_in_mnvs(ev, i, &alt);
            let seen = |(k, (pc, m)): (usize, (&&PositionCounts, &AlleleStats))| {
                self.is_called(k)
                    && alt.evidence(pc, ref_idx).0.n.saturating_sub(m.n) >= EMIT_MIN_ALT
            };
            if !is_known && !at.iter().zip(&in_mnvs).enumerate().any(seen) {
                continue;
            }
            let meeting = each_meeting_rate(ev, i, &alt, self.models);
            let mut samples: Vec<SampleCall> = at
                .iter()
                .zip(self.models)
                .zip(in_mnvs.iter().zip(&meeting))
                .map(|((pc, model), (mnvs, meeting))| {
                    let site = (ev.shard.rid, pos0);
                    let allele = Allele {
                        alt: &alt,
                        in_mnvs: mnvs,
                        meeting: *meeting,
                    };
                    test(pc, allele, ref_idx, context, homopolymer, site, *model)
                })
                .collect();
            let found = match is_known {
                true => None,
                false => self.jointly_found(&samples, &site),
            };
            let joint = found.is_some();
            if let Some(how) = found {
                // Each sample's claim at the joint level; an allele a
                // sample found alone is known in the patient: the known
                // loci's observation minimum.
                site.ln_alpha = self.thresholds.joint_alpha.map_or(site.ln_alpha, f64::ln);
                if how == joint::Found::Alone {
                    site.min_alt = self.thresholds.min_alt_known;
                }
            } else if !self.worth_writing(&samples, is_known) {
                continue;
            }
            let normal = self.judge(&mut samples, (ev, i), &alt, &site, &in_mnvs);
            let (ref_allele, alt_allele) = match &alt {
                Alt::Snv(b) => (vec![ref_base], vec![BASES[*b as usize]]),
                Alt::Indel(indel) => indel.alleles(w, pos),
            };
            out.push(Call {
                rid: ev.shard.rid,
                pos0,
                ref_allele,
                alt_allele,
                context,
                homopolymer,
                is_indel,
                known: is_known,
                samples,
                normal,
                joint,
            });
        }
    }
}

/// The alleles tested at a position: those seen in any sample, plus the
/// known ones; sorted, unique.
fn candidates(at: &[&PositionCounts], ref_idx: Option<usize>, known: &[Alt]) -> Vec<Alt> {
    let mut alts: Vec<Alt> = known.to_vec();
    for pc in at {
        for (b, s) in pc.bases.iter().enumerate() {
            if Some(b) != ref_idx && s.n > 0 && ref_idx.is_some() {
                alts.push(Alt::Snv(b as u8));
            }
        }
        alts.extend(
            pc.indels
                .iter()
                .filter(|(_, s)| s.n > 0)
                .map(|(k, _)| Alt::Indel(k.clone())),
        );
    }
    alts.sort();
    alts.dedup();
    alts
}

/// An allele to test and, for an SNV, the molecules that show it as part
/// of an MNV (taken out of its evidence).
#[derive(Clone, Copy)]
struct Allele<'a> {
    alt: &'a Alt,
    in_mnvs: &'a AlleleStats,
    /// An MNV: the rate its substitutions meet on one molecule by chance
    /// ([`parts::each_meeting_rate`]), a floor of its null's rates.
    meeting: Option<ClassRates>,
}

/// The count test of one allele in one sample (statistics of written
/// alleles are filled in by the caller).
fn test(
    pc: &PositionCounts,
    Allele {
        alt,
        in_mnvs,
        meeting,
    }: Allele<'_>,
    ref_idx: Option<usize>,
    context: [u8; 3],
    homopolymer: usize,
    site: (usize, u64),
    model: &dyn Background,
) -> SampleCall {
    let all = pc.all_bases();
    let (alt_stats, reference) = alt.evidence(pc, ref_idx);
    let alt_stats = alt_stats.minus(in_mnvs);
    let own = match alt {
        Alt::Indel(e) => {
            let tally = event_tally(e, homopolymer.clamp(1, MAX_HP) - 1);
            Some(SiteTally::of(pc, &all, tally))
        }
        Alt::Snv(_) => None,
    };
    let mut null = model.null(&RateQuery {
        context,
        allele: alt,
        homopolymer,
        mean_bq: all.mean_bq(),
        site,
        own,
    });
    if let Alt::Indel(Indel::Ins(seq)) = alt {
        add_misread_insertions(&mut null, pc, seq, &all, model);
    }
    for (r, m) in null.rates.iter_mut().zip(meeting.unwrap_or_default()) {
        *r = r.max(m);
    }
    SampleCall {
        depth_by_class: all.by_class,
        reference,
        alt: alt_stats,
        err: null.mix_rate(&all.by_class),
        null,
        ln_p: null.ln_sf(&alt_stats.by_class, &all.by_class),
        lod: 1.0,
        sb_phred: 0.0,
        ob_phred: 0.0,
        filters: Vec::new(),
        families: None,
    }
}

/// Other insertions of `seq`'s length at the position, whose molecules
/// show `seq` after read errors in the inserted bases, into the null (see
/// [`Null::add_misread`]).
fn add_misread_insertions(
    null: &mut Null,
    pc: &PositionCounts,
    seq: &[u8],
    all: &AlleleStats,
    model: &dyn Background,
) {
    let mut per_base = None;
    for (other, st) in &pc.indels {
        let Indel::Ins(o) = other else { continue };
        if o.len() != seq.len() || o.as_slice() == seq || st.n == 0 {
            continue;
        }
        let distance = o.iter().zip(seq).filter(|(a, b)| a != b).count() as u32;
        let source: ClassRates = std::array::from_fn(|c| {
            let n = all.by_class[c];
            if n == 0 {
                0.0
            } else {
                f64::from(st.by_class[c]) / f64::from(n)
            }
        });
        let per_base = per_base.get_or_insert_with(|| model.substitution_rates());
        null.add_misread(&source, per_base, distance);
    }
}

/// Do two alleles of one position make the same change there, one an MNV
/// or delins that goes on from it (an SNV and an MNV or delins starting
/// with its base, as a subclone's)? They are nested haplotypes, not
/// competing readings of one base.
fn nested(a: &Call, b: &Call) -> bool {
    let snv_in_mnv = |s: &Call, m: &Call| {
        s.ref_allele.len() == 1
            && s.alt_allele.len() == 1
            && m.ref_allele.len() > 1
            && m.ref_allele[0] != m.alt_allele[0]
            && m.alt_allele[0] == s.alt_allele[0]
    };
    snv_in_mnv(a, b) || snv_in_mnv(b, a)
}

/// In each called sample, when several alleles of one position pass, all
/// but the one with the smallest p-value get MultiAllelic (an SNV and an
/// MNV it starts are both kept: [`nested`]).
pub fn mark_multiallelic(calls: &mut [Call]) {
    let n_samples = calls.first().map_or(0, |c| c.samples.len());
    let normal = calls.first().and_then(|c| c.normal).map(|v| v.index);
    for s in (0..n_samples).filter(|&s| Some(s) != normal) {
        let passing: Vec<usize> = (0..calls.len())
            .filter(|&i| calls[i].samples[s].passes())
            .collect();
        if passing.len() < 2 {
            continue;
        }
        let best = passing
            .iter()
            .copied()
            .min_by(|&a, &b| {
                calls[a].samples[s]
                    .ln_p
                    .total_cmp(&calls[b].samples[s].ln_p)
            })
            .unwrap_or(passing[0]);
        for i in passing {
            if i != best && !nested(&calls[i], &calls[best]) {
                calls[i].samples[s].filters.push(Filter::MultiAllelic);
            }
        }
    }
}

/// Several samples (timepoints of one patient): an allele that passes in
/// one called sample is reported in every other, and where it does not
/// pass there for want of molecules or significance, `LowAltCount` and
/// `LowQual` become `NotDetected`, as at a known locus (absent at the
/// sample's FORMAT/LOD): a resistance variant that passes at a late
/// timepoint shows its history, bounded by each earlier sample's LoD.
pub fn mark_not_detected(calls: &mut [Call]) {
    for c in calls.iter_mut().filter(|c| c.passes()) {
        let normal = c.normal.map(|v| v.index);
        for (k, s) in c.samples.iter_mut().enumerate() {
            if Some(k) == normal || s.passes() {
                continue;
            }
            let before = s.filters.len();
            s.filters
                .retain(|f| !matches!(f, Filter::LowAltCount | Filter::LowQual));
            if s.filters.len() < before {
                s.filters.push(Filter::NotDetected);
                s.filters.sort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_with(ln_ps: &[f64]) -> Vec<Call> {
        ln_ps
            .iter()
            .enumerate()
            .map(|(i, &ln_p)| Call {
                rid: 0,
                pos0: 10,
                ref_allele: b"A".to_vec(),
                alt_allele: vec![BASES[i + 1]],
                context: *b"CAG",
                homopolymer: 1,
                is_indel: false,
                known: false,
                samples: vec![SampleCall {
                    depth_by_class: [1000, 0, 0, 0],
                    reference: AlleleStats::default(),
                    alt: AlleleStats::default(),
                    err: 1e-4,
                    null: Null::binomial(1e-4),
                    ln_p,
                    lod: 0.01,
                    sb_phred: 0.0,
                    ob_phred: 0.0,
                    filters: vec![],
                    families: None,
                }],
                normal: None,
                joint: false,
            })
            .collect()
    }

    #[test]
    fn multiallelic_keeps_the_strongest_allele() {
        let mut calls = call_with(&[-30.0, -50.0, -40.0]);
        mark_multiallelic(&mut calls);
        let f: Vec<bool> = calls
            .iter()
            .map(|c| c.samples[0].filters.contains(&Filter::MultiAllelic))
            .collect();
        assert_eq!(f, vec![true, false, true]);
        let mut single = call_with(&[-30.0]);
        mark_multiallelic(&mut single);
        assert!(single[0].passes());
    }

    #[test]
    fn a_passing_allele_is_not_detected_elsewhere() {
        let mut c = call_with(&[-30.0]).remove(0);
        let mut absent = c.samples[0].clone();
        absent.filters = vec![Filter::LowAltCount, Filter::LowQual, Filter::StrandBias];
        c.samples.push(absent);
        let mut calls = vec![c.clone()];
        mark_not_detected(&mut calls);
        assert!(calls[0].samples[0].passes());
        let want = vec![Filter::NotDetected, Filter::StrandBias];
        assert_eq!(calls[0].samples[1].filters, want);
        // Where no sample passes, nothing is reported as not detected.
        c.samples[0].filters = vec![Filter::LowQual];
        let mut calls = vec![c];
        mark_not_detected(&mut calls);
        assert_eq!(calls[0].samples[0].filters, vec![Filter::LowQual]);
    }

    #[test]
    fn a_site_passes_when_any_sample_passes() {
        let mut c = call_with(&[-30.0]).remove(0);
        let mut other = c.samples[0].clone();
        other.filters = vec![Filter::LowQual];
        other.ln_p = -1.0;
        c.samples.push(other);
        assert!(c.passes());
        c.samples[0].filters = vec![Filter::StrandBias];
        assert_eq!(c.site_filters(), &[Filter::StrandBias]);
    }

    #[test]
    fn a_misread_germline_insertion_is_no_variant() {
        use crate::model::context::{ContextRates, Tally};
        // Single reads err at 2e-4 per alt base.
        let mut rates = ContextRates::empty();
        for t in rates
            .pooled
            .snv
            .iter_mut()
            .chain(&mut rates.by_class[0].snv)
        {
            *t = Tally {
                alt: 2_000,
                depth: 10_000_000,
            };
        }
        let stats = |by_class: [u32; 4]| AlleleStats {
            n: by_class.iter().sum(),
            by_class,
            ..AlleleStats::default()
        };
        // 2,000 molecules (a third single reads); a germline insertion TTCA
        // in half; TCCA (one base off) in three single reads; ACGT (all
        // four off) in three single reads.
        let mut pc = PositionCounts::default();
        pc.bases[3] = stats([700, 700, 0, 600]);
        pc.bases[0] = stats([0, 0, 0, 0]);
        *pc.indel_mut(&Indel::Ins(b"TTCA".to_vec())) = stats([350, 350, 0, 300]);
        *pc.indel_mut(&Indel::Ins(b"TCCA".to_vec())) = stats([3, 0, 0, 0]);
        *pc.indel_mut(&Indel::Ins(b"ACGT".to_vec())) = stats([3, 0, 0, 0]);
        let alt = |seq: &[u8]| Alt::Indel(Indel::Ins(seq.to_vec()));
        let none = AlleleStats::default();
        let run = |seq: &[u8]| {
            let a = alt(seq);
            let allele = Allele {
                alt: &a,
                in_mnvs: &none,
                meeting: None,
            };
            test(&pc, allele, Some(3), *b"ATA", 1, (0, 10), &rates)
        };
        let (near, far) = (run(b"TCCA"), run(b"ACGT"));
        // One substitution from 350 single-read germline molecules: ~1e-4
        // per read molecule, three of 700 are no evidence.
        assert!(near.ln_p > (1e-3f64).ln(), "{}", near.ln_p);
        assert!(near.null.rates[0] > 5e-5, "{:?}", near.null.rates);
        // Four substitutions away: the germline allele cannot explain it.
        assert!(far.ln_p < (1e-5f64).ln(), "{}", far.ln_p);
    }
}
