//! Site-specific recurrent artifacts: a few target positions where every
//! sample (tumour and normals) shows one particular wrong base in a small
//! fraction of its molecules, as library- or capture-specific errors do in
//! real panels. They are not truth variants: a caller without a panel of
//! normals calls them; the normals show them too, so a PoN removes them.
//!
//! Each site has a base rate drawn log-uniformly in
//! [[`MIN_RATE`], [`MAX_RATE`]]; each sample scales it by a factor uniform in
//! [0.5, 1.5] (so the normals spread more than binomially: overdispersion).
//! A molecule spanning the site carries the wrong base with that
//! probability, on both strands and in every PCR copy (so it passes strand
//! and orientation filters, as the hard artifacts do).

use super::genome::{other_base, write_file, Genome};
use super::panel::Target;
use super::params::SimParams;
use super::variants::{Variant, MIN_SPACING};
use crate::rng::Rng;
use crate::{Error, Result};
use std::path::Path;

/// Lowest base rate of an artifact site.
pub const MIN_RATE: f64 = 0.002;
/// Highest base rate of an artifact site.
pub const MAX_RATE: f64 = 0.01;

/// One artifact site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Artifact {
    /// Contig index.
    pub tid: usize,
    /// 0-based position.
    pub pos0: u64,
    /// The wrong base molecules show.
    pub alt: u8,
    /// Base rate (each sample scales it).
    pub rate: f64,
}

/// Place `p.artifact_sites` sites in non-paralog targets, [`MIN_SPACING`]
/// from truth variants and from each other, sorted by (tid, pos0).
pub fn generate(
    p: &SimParams,
    g: &Genome,
    targets: &[Target],
    variants: &[Variant],
) -> Result<Vec<Artifact>> {
    let mut rng = Rng::stream(p.seed, "artifacts", 0);
    let usable: Vec<Target> = targets
        .iter()
        .copied()
        .filter(|t| !t.paralog && t.len() > 20)
        .collect();
    let mut out: Vec<Artifact> = Vec::with_capacity(p.artifact_sites);
    for _ in 0..p.artifact_sites {
        let mut placed = false;
        for _attempt in 0..2000 {
            let Some(t) = rng.choose(&usable).copied() else {
                break;
            };
            let pos0 = rng.range(t.start + 5, t.end - 5);
            let r = g.contigs[t.tid].seq[pos0 as usize];
            let near = |tid: usize, s: u64, e: u64| {
                tid == t.tid && pos0 < e + MIN_SPACING && pos0 + 1 + MIN_SPACING > s
            };
            if !matches!(r, b'A' | b'C' | b'G' | b'T')
                || variants.iter().any(|v| near(v.tid, v.pos0, v.end()))
                || out.iter().any(|a| near(a.tid, a.pos0, a.pos0 + 1))
            {
                continue;
            }
            let u = rng.uniform();
            out.push(Artifact {
                tid: t.tid,
                pos0,
                alt: other_base(&mut rng, r),
                rate: MIN_RATE * (MAX_RATE / MIN_RATE).powf(u),
            });
            placed = true;
            break;
        }
        if !placed {
            return Err(Error::Usage(format!(
                "ctdna simulate: cannot place {} artifact sites away from the truth variants; use fewer --artifact-sites or more --targets",
                p.artifact_sites
            )));
        }
    }
    out.sort_by_key(|a| (a.tid, a.pos0));
    Ok(out)
}

/// Each site's rate in one sample (`label`: "sample", "normal1", ...).
pub fn sample_rates(p: &SimParams, artifacts: &[Artifact], label: &str) -> Vec<f64> {
    artifacts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut rng = Rng::stream(p.seed, &format!("{label}-artifact-scale"), i as u64);
            a.rate * (0.5 + rng.uniform())
        })
        .collect()
}

/// `artifacts.bed`: BED4, name `REF>ALT:rate`.
pub fn write_bed(path: &Path, g: &Genome, artifacts: &[Artifact]) -> Result<()> {
    let mut s = String::new();
    for a in artifacts {
        let c = &g.contigs[a.tid];
        s.push_str(&format!(
            "{}\t{}\t{}\t{}>{}:{:.5}\n",
            c.name,
            a.pos0,
            a.pos0 + 1,
            c.seq[a.pos0 as usize] as char,
            a.alt as char,
            a.rate
        ));
    }
    write_file(path, s.as_bytes())
}
