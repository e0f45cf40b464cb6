//! UMI mode outputs: per-call FORMAT fields (families, duplex alt count)
//! and per-sample metrics (family-size histogram, per-tier error rates).

use crate::calling::{Alt, Call};
use crate::evidence::alleles::base_index;
use crate::evidence::batch::UmiShard;
use crate::evidence::engine::ShardEvidence;
use crate::evidence::umi::Tier;
use crate::output::vcf::UmiRecord;

/// Positions whose non-reference fraction in a tier is at or above this are
/// left out of that tier's error rate (variants, not errors).
const VARIANT_FRACTION: f64 = 0.1;

/// The shard holding `(rid, pos0)`.
fn shard_of(evidence: &[ShardEvidence], rid: usize, pos0: u64) -> Option<&ShardEvidence> {
    let i = evidence.partition_point(|e| (e.shard.rid, e.shard.start) <= (rid, pos0));
    let hit =
        |e: &&ShardEvidence| e.shard.rid == rid && e.shard.start <= pos0 && pos0 < e.shard.end;
    i.checked_sub(1)
        .and_then(|i| evidence.get(i))
        .filter(hit)
        .or_else(|| evidence.iter().find(hit))
}

/// Duplex molecules showing the call's ALT at offset `i` of the shard.
fn duplex_alt(u: &UmiShard, i: usize, call: &Call) -> u32 {
    match Alt::of_alleles(&call.ref_allele, &call.alt_allele) {
        Some(Alt::Snv(b)) => u.base(i, Tier::Duplex, usize::from(b)),
        Some(Alt::Indel(indel)) => u.duplex_indel(i, &indel),
        None => 0,
    }
}

/// FAM and DUP of one call in every sample.
pub fn umi_record(evidence: &[ShardEvidence], call: &Call, tier: Tier) -> UmiRecord {
    let ev = shard_of(evidence, call.rid, call.pos0);
    let samples = (0..call.samples.len())
        .map(|s| {
            let Some(u) = ev
                .and_then(|e| e.samples.get(s))
                .and_then(|x| x.umi.as_ref())
            else {
                return (0, 0);
            };
            let i = ev.map_or(0, |e| (call.pos0 - e.shard.start) as usize);
            let fam = Tier::ALL.iter().map(|&t| u.depth(i, t)).sum();
            (fam, duplex_alt(u, i, call))
        })
        .collect();
    UmiRecord {
        tier: tier.name(),
        samples,
    }
}

/// One tier's molecules and base error rate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TierMetrics {
    pub tier: Tier,
    /// Molecule-positions (sum of this tier's depth over the targets).
    pub molecule_bases: u64,
    /// Non-reference bases / bases, at positions below 10% non-reference.
    pub error_rate: f64,
}

/// UMI metrics of one sample.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UmiMetrics {
    pub tier_tested: Tier,
    pub families: u64,
    pub mean_family_size: f64,
    /// Families by templates: `[size, count]`, sizes above 100 in 100.
    pub family_sizes: Vec<(usize, u64)>,
    pub tiers: Vec<TierMetrics>,
}

/// Build the UMI metrics of `sample`.
pub fn umi_metrics(evidence: &[ShardEvidence], sample: usize, tested: Tier) -> UmiMetrics {
    let mut hist: Vec<u64> = Vec::new();
    let mut bases = [0u64; 3];
    let mut errors = [0u64; 3];
    for ev in evidence {
        let Some(u) = ev.samples.get(sample).and_then(|s| s.umi.as_ref()) else {
            continue;
        };
        if hist.len() < u.family_sizes.len() {
            hist.resize(u.family_sizes.len(), 0);
        }
        for (h, c) in hist.iter_mut().zip(&u.family_sizes) {
            *h += c;
        }
        for i in 0..u.bases.len() {
            let pos = (ev.shard.start + i as u64) as i64;
            let Some(r) = base_index(ev.window.base(pos)) else {
                continue;
            };
            for t in Tier::ALL {
                let depth = u64::from(u.depth(i, t));
                let non_ref = depth - u64::from(u.base(i, t, r));
                if depth == 0 || non_ref as f64 >= VARIANT_FRACTION * depth as f64 {
                    continue;
                }
                bases[t.index()] += depth;
                errors[t.index()] += non_ref;
            }
        }
    }
    let families: u64 = hist.iter().sum();
    let templates: u64 = hist.iter().enumerate().map(|(s, c)| s as u64 * c).sum();
    UmiMetrics {
        tier_tested: tested,
        families,
        mean_family_size: if families == 0 {
            0.0
        } else {
            templates as f64 / families as f64
        },
        family_sizes: hist
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(s, &c)| (s, c))
            .collect(),
        tiers: Tier::ALL
            .iter()
            .map(|&t| TierMetrics {
                tier: t,
                molecule_bases: bases[t.index()],
                error_rate: if bases[t.index()] == 0 {
                    0.0
                } else {
                    errors[t.index()] as f64 / bases[t.index()] as f64
                },
            })
            .collect(),
    }
}

/// Warn when the tested tier holds few of the molecules (families of one
/// read, or single UMIs with `--min-tier duplex`): the test then has little
/// depth, and `--min-tier` is probably wrong for this library.
pub fn warn_if_thin(evidence: &[ShardEvidence], tested: Tier) {
    let (mut all, mut kept) = (0u64, 0u64);
    for s in evidence.iter().flat_map(|e| &e.samples) {
        let Some(u) = &s.umi else { continue };
        for t in Tier::ALL {
            let d: u64 = (0..u.bases.len()).map(|i| u64::from(u.depth(i, t))).sum();
            all += d;
            if t >= tested {
                kept += d;
            }
        }
    }
    if all > 0 && (kept as f64) < 0.2 * all as f64 {
        log::warn!(
            "only {:.1}% of molecule-bases are {} tier or better: the test has little depth (use --min-tier raw for libraries without PCR duplicates)",
            100.0 * kept as f64 / all as f64,
            tested.name()
        );
    }
}
