//! `call`'s counting pass: each shard's evidence, as soon as its worker has
//! counted it, is folded into what the later stages need and dropped, so
//! memory follows the shards in flight, not the panel:
//! - the background fit's tallies ([`FitTally`]) and the UMI tallies, per
//!   sample, summed as shards finish;
//! - the stretches where a record could be written ([`islands::keep`]);
//! - with `--lod-bedgraph` or the metrics, what each position's limit of
//!   detection needs ([`LodInputs`]);
//! - with `--normal` and no `--pon`, the normal's one-sample panel rows.

use super::inputs::RunInputs;
use crate::calling::islands;
use crate::calling::lod::LodInputs;
use crate::evidence::alleles::Alt;
use crate::evidence::engine::ShardEvidence;
use crate::evidence::umi::UmiConfig;
use crate::evidence::{ReadCounters, ReadFilter};
use crate::model::fit::FitTally;
use crate::model::pon::{BuildParams, Pon};
use crate::model::tiers::UmiTally;
use crate::spill::Spill;
use crate::Result;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What the counting pass asks to keep besides the islands.
pub struct Keep<'a> {
    /// Known alleles by (contig index, position): always tested.
    pub known: &'a BTreeMap<(usize, u64), Vec<Alt>>,
    /// Fit each sample's background (not with a saved one, `--background`).
    pub fit: bool,
    /// Keep the LoD inputs of this many samples (the first ones).
    pub lod_samples: usize,
    /// Build the matched normal's one-sample panel (`--normal`, no `--pon`).
    pub normal_pon: bool,
}

/// Everything `call` keeps of the counted evidence.
pub struct Counted {
    /// Per sample (empty without a fit).
    pub fits: Vec<FitTally>,
    /// Per sample.
    pub umi: Vec<UmiTally>,
    pub reads: Vec<ReadCounters>,
    /// The parts of the shards a record could come from, in panel order.
    pub islands: Vec<ShardEvidence>,
    /// Per shard, in panel order (empty unless asked for), in `spill`.
    pub lod: Vec<LodInputs>,
    pub spill: Option<Spill>,
    /// The matched normal as a one-sample panel of normals.
    pub normal_pon: Option<Pon>,
}

/// What one shard leaves behind (in shard order).
struct Digest {
    islands: Vec<ShardEvidence>,
    lod: Option<LodInputs>,
    pon: Option<Pon>,
}

/// Count every shard of `inputs`, keeping what `keep` asks for.
pub fn count(
    inputs: &RunInputs,
    filter: &ReadFilter,
    umi: Option<&UmiConfig>,
    keep: &Keep,
) -> Result<Counted> {
    let n = inputs.bams.len();
    let fits = Mutex::new(vec![FitTally::default(); if keep.fit { n } else { 0 }]);
    let umi_tallies = Mutex::new(vec![UmiTally::default(); n]);
    let build = BuildParams::default();
    let spill = (keep.lod_samples > 0).then(Spill::new).transpose()?;
    let digest = |ev: ShardEvidence| -> Result<Digest> {
        let mut shard_fits = vec![FitTally::default(); if keep.fit { n } else { 0 }];
        for (s, f) in shard_fits.iter_mut().enumerate() {
            f.add_shard(&ev, s);
        }
        let mut shard_umi = vec![UmiTally::default(); n];
        for (s, u) in shard_umi.iter_mut().enumerate() {
            u.add_shard(&ev, s);
        }
        // Invariant: a panic elsewhere ends the run before the lock is reused.
        for (acc, f) in fits.lock().expect("fit lock").iter_mut().zip(shard_fits) {
            acc.merge(f);
        }
        for (acc, u) in (umi_tallies.lock().expect("umi lock").iter_mut()).zip(&shard_umi) {
            acc.merge(u);
        }
        let pon = match inputs.normal {
            Some(k) if keep.normal_pon => Some(crate::model::pon::of_one_sample(
                std::slice::from_ref(&ev),
                k,
                &build,
            )),
            _ => None,
        };
        Ok(Digest {
            islands: islands::keep(&ev, keep.known, inputs.normal),
            lod: (spill.as_ref())
                .map(|sp| LodInputs::of(&ev, keep.lod_samples, sp))
                .transpose()?,
            pon,
        })
    };
    let (reads, digests) = inputs.count_digested(filter, umi, &digest)?;
    let mut counted = Counted {
        fits: fits.into_inner().expect("fit lock"),
        umi: umi_tallies.into_inner().expect("umi lock"),
        reads,
        islands: Vec::new(),
        lod: Vec::new(),
        spill,
        normal_pon: keep.normal_pon.then(Pon::default),
    };
    for d in digests {
        counted.islands.extend(d.islands);
        counted.lod.extend(d.lod);
        if let (Some(all), Some(part)) = (&mut counted.normal_pon, d.pon) {
            all.append(part);
        }
    }
    counted.normal_pon = counted.normal_pon.map(Pon::finish);
    Ok(counted)
}
