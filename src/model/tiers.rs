//! Per-tier molecules and error rates of one sample (UMI mode): the
//! family-size histogram, each tier's base error rate beside the tested
//! tier's background, and a warning when the tested tier is thin.

use crate::evidence::alleles::base_index;
use crate::evidence::engine::ShardEvidence;
use crate::evidence::umi::Tier;

/// Positions whose non-reference fraction in a tier is at or above this are
/// left out of that tier's error rate (variants, not errors).
const VARIANT_FRACTION: f64 = 0.1;

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

/// One sample's UMI evidence summed over shards: the family-size
/// histogram and, per tier, molecule-positions and errors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UmiTally {
    /// Families by templates (index = size).
    family_sizes: Vec<u64>,
    /// Per tier: molecule-positions at every position.
    depth: [u64; 3],
    /// Per tier: molecule-positions and non-reference ones at positions
    /// below [`VARIANT_FRACTION`] non-reference.
    bases: [u64; 3],
    errors: [u64; 3],
}

impl UmiTally {
    /// Add sample `sample`'s UMI evidence over one shard (none outside UMI mode).
    pub fn add_shard(&mut self, ev: &ShardEvidence, sample: usize) {
        let Some(u) = ev.samples.get(sample).and_then(|s| s.umi.as_ref()) else {
            return;
        };
        if self.family_sizes.len() < u.family_sizes.len() {
            self.family_sizes.resize(u.family_sizes.len(), 0);
        }
        for (h, c) in self.family_sizes.iter_mut().zip(&u.family_sizes) {
            *h += c;
        }
        for i in 0..u.bases.len() {
            for t in Tier::ALL {
                self.depth[t.index()] += u64::from(u.depth(i, t));
            }
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
                self.bases[t.index()] += depth;
                self.errors[t.index()] += non_ref;
            }
        }
    }

    /// Add another part of the same sample's tally.
    pub fn merge(&mut self, o: &UmiTally) {
        if self.family_sizes.len() < o.family_sizes.len() {
            self.family_sizes.resize(o.family_sizes.len(), 0);
        }
        for (h, c) in self.family_sizes.iter_mut().zip(&o.family_sizes) {
            *h += c;
        }
        for t in 0..3 {
            self.depth[t] += o.depth[t];
            self.bases[t] += o.bases[t];
            self.errors[t] += o.errors[t];
        }
    }

    /// The UMI metrics, `tested` being the tier the test counts from.
    pub fn metrics(&self, tested: Tier) -> UmiMetrics {
        let hist = &self.family_sizes;
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
                    molecule_bases: self.bases[t.index()],
                    error_rate: if self.bases[t.index()] == 0 {
                        0.0
                    } else {
                        self.errors[t.index()] as f64 / self.bases[t.index()] as f64
                    },
                })
                .collect(),
        }
    }
}

/// Warn when the tested tier holds few of the molecules (families of one
/// read, or single UMIs with `--min-tier duplex`): the test then has little
/// depth, and `--min-tier` is probably wrong for this library.
pub fn warn_if_thin(samples: &[UmiTally], tested: Tier) {
    let (mut all, mut kept) = (0u64, 0u64);
    for s in samples {
        for t in Tier::ALL {
            let d = s.depth[t.index()];
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
