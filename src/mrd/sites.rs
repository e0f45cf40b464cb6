//! Evidence at the tumor loci, the null error rate of each, and the masking
//! that keeps the loci out of the background estimate.
//!
//! METHOD (background): the sample's own context rates
//! ([`ContextRates::estimate`]) are fitted on the loci's neighbourhoods: the
//! engine counts every locus padded by `--background-pad` bases on each
//! side, and the loci's own positions are blanked first, so the tumor signal
//! being measured never inflates the null rate it is tested against.
//!
//! [`ContextRates::estimate`]: crate::model::context::ContextRates::estimate

use crate::evidence::alleles::{base_index, AlleleStats, Alt, PositionCounts};
use crate::evidence::engine::ShardEvidence;
use crate::loci::KnownLocus;
use crate::model::context::{homopolymer_after, trinucleotide};
use crate::model::{Background, RateQuery};

/// One sample's evidence at one locus.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteEvidence {
    /// Molecules with a usable base at the locus (anchor for indels).
    pub depth: u32,
    /// Molecules not showing the allele.
    pub reference: AlleleStats,
    /// Molecules showing the allele.
    pub alt: AlleleStats,
    /// Reference trinucleotide centred on the locus.
    pub context: [u8; 3],
    /// Homopolymer run after the anchor.
    pub homopolymer: usize,
    /// Mean base quality of all molecules at the locus.
    pub mean_bq: f64,
}

/// Where a locus's null error rate comes from.
///
/// This is the seam for a panel of normals (`--pon`): a PoN implementation
/// answers with its per-site, per-allele rate (shrunk toward the context
/// rate where normals are thin) and the rest of `mrd` is unchanged.
pub trait SiteErrorModel: Sync {
    /// Probability that a non-tumor molecule shows `alt` at `locus`.
    fn rate(&self, locus: &KnownLocus, alt: &Alt, ev: &SiteEvidence) -> f64;
    /// Name written into the outputs.
    fn name(&self) -> String;
}

/// Any [`Background`] as a site model: the sample's context rates today; a
/// panel of normals ([`crate::model::pon`], which answers per site through
/// `RateQuery::site`) can be passed the same way.
pub struct ContextSiteModel<'a> {
    pub background: &'a dyn Background,
    /// Padding the background was fitted over (reported in the name).
    pub pad: u64,
}

impl SiteErrorModel for ContextSiteModel<'_> {
    fn rate(&self, locus: &KnownLocus, alt: &Alt, ev: &SiteEvidence) -> f64 {
        let mut depth = ev.reference;
        depth.merge(&ev.alt);
        self.background
            .null(&RateQuery {
                context: ev.context,
                allele: alt,
                homopolymer: ev.homopolymer,
                mean_bq: ev.mean_bq,
                site: (locus.rid, locus.pos0),
                own: None,
            })
            .mix_rate(&depth.by_class)
    }
    fn name(&self) -> String {
        format!(
            "{} (fitted on the loci +/- {} bp, loci masked)",
            self.background.name(),
            self.pad
        )
    }
}

/// Index of the shard holding 0-based `pos0` of contig `rid`.
fn shard_of(evidence: &[ShardEvidence], rid: usize, pos0: u64) -> Option<usize> {
    // Shards are in reference order and do not overlap.
    let i = evidence.partition_point(|e| (e.shard.rid, e.shard.end) <= (rid, pos0));
    evidence
        .get(i)
        .filter(|e| e.shard.rid == rid && e.shard.start <= pos0 && pos0 < e.shard.end)
        .map(|_| i)
}

/// Evidence of sample `sample` at `locus` (all zero when nothing covers it).
pub fn site_evidence(
    evidence: &[ShardEvidence],
    sample: usize,
    locus: &KnownLocus,
    alt: &Alt,
) -> SiteEvidence {
    let Some(si) = shard_of(evidence, locus.rid, locus.pos0) else {
        return SiteEvidence::default();
    };
    let ev = &evidence[si];
    let pos = locus.pos0 as i64;
    let pc: &PositionCounts =
        &ev.samples[sample].counts.positions[(locus.pos0 - ev.shard.start) as usize];
    let (alt_stats, reference) = alt.evidence(pc, base_index(ev.window.base(pos)));
    SiteEvidence {
        depth: pc.depth(),
        reference,
        alt: alt_stats,
        context: trinucleotide(&ev.window, pos),
        homopolymer: homopolymer_after(&ev.window, pos),
        mean_bq: pc.all_bases().mean_bq(),
    }
}

/// Blank the counts at every locus's reference span (all samples), so the
/// background is fitted on the neighbourhoods only.
pub fn mask_loci(evidence: &mut [ShardEvidence], loci: &[KnownLocus]) {
    for k in loci {
        let span = k.ref_allele.len().max(1) as u64;
        for pos0 in k.pos0..k.pos0 + span {
            let Some(si) = shard_of(evidence, k.rid, pos0) else {
                continue;
            };
            let ev = &mut evidence[si];
            let i = (pos0 - ev.shard.start) as usize;
            for s in &mut ev.samples {
                if let Some(pc) = s.counts.positions.get_mut(i) {
                    *pc = PositionCounts::default();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::ShardCounts;
    use crate::evidence::batch::SampleEvidence;
    use crate::reference::RefWindow;
    use crate::regions::Shard;

    fn shard(rid: usize, start: u64, end: u64) -> ShardEvidence {
        let mut counts = ShardCounts::new(start, end);
        for (i, pc) in counts.positions.iter_mut().enumerate() {
            pc.bases[1].n = 100; // C
            pc.bases[3].n = (start as u32 + i as u32) % 3; // a little T
        }
        ShardEvidence {
            shard: Shard {
                target: 0,
                rid,
                start,
                end,
            },
            window: RefWindow {
                start: 0,
                seq: vec![b'C'; 1000],
            },
            samples: vec![SampleEvidence {
                counts,
                reads: Default::default(),
                umi: None,
            }],
        }
    }

    fn locus(rid: usize, pos0: u64) -> KnownLocus {
        KnownLocus {
            rid,
            pos0,
            ref_allele: b"C".to_vec(),
            alt_allele: b"T".to_vec(),
        }
    }

    #[test]
    fn loci_are_found_at_shard_edges_and_masked_only_there() {
        let mut ev = vec![shard(0, 10, 20), shard(0, 20, 30), shard(1, 10, 20)];
        let alt = Alt::Snv(3);
        for (rid, pos0) in [(0, 10), (0, 19), (0, 20), (0, 29), (1, 15)] {
            let s = site_evidence(&ev, 0, &locus(rid, pos0), &alt);
            assert_eq!(s.depth, 100 + (pos0 as u32 % 3), "{rid}:{pos0}");
            assert_eq!(s.alt.n, pos0 as u32 % 3);
            assert_eq!(s.reference.n, 100);
            assert_eq!(s.context, *b"CCC");
        }
        // Outside every shard: nothing.
        assert_eq!(site_evidence(&ev, 0, &locus(0, 30), &alt).depth, 0);
        assert_eq!(site_evidence(&ev, 0, &locus(1, 9), &alt).depth, 0);
        mask_loci(&mut ev, &[locus(0, 20), locus(1, 19)]);
        let depth =
            |ev: &[ShardEvidence], rid, pos0| site_evidence(ev, 0, &locus(rid, pos0), &alt).depth;
        assert_eq!(depth(&ev, 0, 20), 0);
        assert_eq!(depth(&ev, 1, 19), 0);
        assert_eq!(depth(&ev, 0, 19), 101);
        assert_eq!(depth(&ev, 0, 21), 100);
    }
}
