//! One simulated sample: molecules over every target, their PCR families and
//! read pairs, plus the realised molecule counts at each truth variant.

use super::artifacts::Artifact;
use super::fragments::{build_molecule, coverage_fraction, fragment_length, pcr_family, Col};
use super::genome::Genome;
use super::panel::Target;
use super::params::SimParams;
use super::reads::{read_pair, PairInfo, SimRead};
use super::variants::{Kind, Origin, Variant, CHIP_BLOOD_SHARE};
use crate::rng::Rng;
use crate::Result;
use rayon::prelude::*;

/// Counts from one sample's simulation.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SampleStats {
    /// Unique molecules simulated.
    pub molecules: u64,
    /// Read pairs (all PCR copies).
    pub pairs: u64,
    /// Per truth variant (same order): unique molecules whose reads span the
    /// variant, and how many of those carry it.
    pub variant_counts: Vec<(u32, u32)>,
    /// Per truth variant: molecules carrying it whose reads span it on both
    /// strands (a top- and a bottom-strand PCR copy): the duplex molecules.
    pub variant_duplex_alt: Vec<u32>,
}

/// What one sample's simulation produced, reads included.
#[derive(Debug, Default)]
pub struct SampleReads {
    /// Every read, sorted by (tid, pos, qname, flags).
    pub reads: Vec<SimRead>,
    /// Unique molecules simulated.
    pub molecules: u64,
    /// Read pairs (all PCR copies).
    pub pairs: u64,
    /// Per truth variant (same order): unique molecules whose reads span the
    /// variant, and how many of those carry it.
    pub variant_counts: Vec<(u32, u32)>,
    /// Per truth variant: molecules carrying it whose reads span it on both
    /// strands (a top- and a bottom-strand PCR copy): the duplex molecules.
    pub variant_duplex_alt: Vec<u32>,
}

/// Which variants a sample can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleKind {
    /// Somatic and germline variants.
    Tumor,
    /// Germline only (the `k`-th normal, 1-based).
    Normal(usize),
    /// The patient's white blood cells: germline and CHIP variants.
    MatchedNormal,
    /// The `k`-th plasma of a series (1-based): somatic and germline, its
    /// molecules from their own stream.
    Timepoint(usize),
}

/// Sort key of a read: coordinate, then name and flags (unique per read).
fn read_order(a: &SimRead, b: &SimRead) -> std::cmp::Ordering {
    (a.tid, a.pos, &a.qname, a.flags).cmp(&(b.tid, b.pos, &b.qname, b.flags))
}

/// Targets simulated together before their reads are handed on: memory is
/// bounded by one batch, not by the panel.
const BATCH: usize = 4;

/// A sample's parameters: the matched normal is sequenced to its own depth.
fn params_of(p: &SimParams, kind: SampleKind) -> std::borrow::Cow<'_, SimParams> {
    match kind {
        SampleKind::MatchedNormal => std::borrow::Cow::Owned(SimParams {
            depth: p.matched_normal_depth,
            ..p.clone()
        }),
        _ => std::borrow::Cow::Borrowed(p),
    }
}

/// Are the variants sorted and each shorter than [`MAX_VARIANT_SPAN`]
/// (what [`first_near`] relies on)?
fn sorted_and_short(variants: &[Variant]) -> bool {
    variants
        .windows(2)
        .all(|w| (w[0].tid, w[0].pos0) <= (w[1].tid, w[1].pos0))
        && variants
            .iter()
            .all(|v| (v.ref_allele.len() as u64) < MAX_VARIANT_SPAN)
}

/// Simulate one sample and hand every read to `sink` in coordinate order,
/// holding at most `BATCH` (4) targets' reads (plus those of paralog targets)
/// in memory. Targets run in parallel, each from its own RNG stream, so the
/// reads do not depend on the thread count or the batch size.
///
/// Ordering argument: reads of an ordinary target stay within `frag_max` of
/// it, and ordinary targets are sorted and `2 x frag_max` apart, so their
/// per-target sorted reads concatenate in order. Paralog targets also put
/// reads on the other copy of their segment, anywhere in the genome, so they
/// are simulated first and merged in.
pub fn stream_sample(
    p: &SimParams,
    g: &Genome,
    targets: &[Target],
    variants: &[Variant],
    kind: SampleKind,
    mut sink: impl FnMut(&SimRead) -> Result<()>,
) -> Result<SampleStats> {
    debug_assert!(sorted_and_short(variants), "see first_near");
    let own = params_of(p, kind);
    let p = own.as_ref();
    let label = match kind {
        SampleKind::Tumor => "sample".to_string(),
        SampleKind::Normal(k) => format!("normal{k}"),
        SampleKind::MatchedNormal => "matched_normal".to_string(),
        SampleKind::Timepoint(k) => format!("timepoint{k}"),
    };
    let sites = super::artifacts::generate(p, g, targets, variants)?;
    let rates = super::artifacts::sample_rates(p, &sites, &label);
    let art = Artifacts {
        sites: &sites,
        rates: &rates,
    };
    let mut stats = SampleStats {
        variant_counts: vec![(0, 0); variants.len()],
        variant_duplex_alt: vec![0; variants.len()],
        ..Default::default()
    };
    let add = |stats: &mut SampleStats, out: &TargetOut| {
        stats.molecules += out.1;
        stats.pairs += out.2;
        for (acc, c) in stats.variant_counts.iter_mut().zip(&out.3) {
            acc.0 += c.0;
            acc.1 += c.1;
        }
        for (acc, c) in stats.variant_duplex_alt.iter_mut().zip(&out.4) {
            *acc += c;
        }
    };
    let indexed = || targets.iter().enumerate();
    let paralog: Vec<(usize, &Target)> = indexed().filter(|(_, t)| t.paralog).collect();
    let ordinary: Vec<(usize, &Target)> = indexed().filter(|(_, t)| !t.paralog).collect();
    let mut early: Vec<SimRead> = Vec::new();
    let parts: Vec<TargetOut> = paralog
        .par_iter()
        .map(|&(ti, t)| simulate_target(p, g, ti, t, variants, &art, kind, &label))
        .collect();
    for part in parts {
        add(&mut stats, &part);
        early.extend(part.0);
    }
    early.sort_by(read_order);
    let mut early = early.into_iter().peekable();
    for batch in ordinary.chunks(BATCH) {
        let parts: Vec<TargetOut> = batch
            .par_iter()
            .map(|&(ti, t)| simulate_target(p, g, ti, t, variants, &art, kind, &label))
            .collect();
        for mut part in parts {
            add(&mut stats, &part);
            part.0.sort_by(read_order);
            for r in &part.0 {
                while let Some(e) = early.next_if(|e| read_order(e, r).is_lt()) {
                    sink(&e)?;
                }
                sink(r)?;
            }
        }
    }
    for e in early {
        sink(&e)?;
    }
    Ok(stats)
}

/// Simulate one sample into memory (tests and small data): the reads
/// [`stream_sample`] would hand on, in the same order.
pub fn simulate_sample(
    p: &SimParams,
    g: &Genome,
    targets: &[Target],
    variants: &[Variant],
    kind: SampleKind,
) -> SampleReads {
    let mut reads = Vec::new();
    let stats = stream_sample(p, g, targets, variants, kind, |r| {
        reads.push(r.clone());
        Ok(())
    });
    // The sink above never fails, so neither can the stream.
    let stats = stats.unwrap_or_default();
    SampleReads {
        reads,
        molecules: stats.molecules,
        pairs: stats.pairs,
        variant_counts: stats.variant_counts,
        variant_duplex_alt: stats.variant_duplex_alt,
    }
}

fn carries(rng: &mut Rng, v: &Variant, hap: u8, kind: SampleKind) -> bool {
    match v.origin {
        Origin::Somatic => {
            !matches!(kind, SampleKind::Normal(_) | SampleKind::MatchedNormal)
                && rng.bernoulli(v.vaf)
        }
        Origin::Chip => match kind {
            SampleKind::Tumor | SampleKind::Timepoint(_) => rng.bernoulli(v.vaf),
            SampleKind::MatchedNormal => rng.bernoulli((v.vaf / CHIP_BLOOD_SHARE).min(1.0)),
            SampleKind::Normal(_) => false,
        },
        Origin::GermlineHet { hap: h } => h == hap,
        Origin::GermlineHom => true,
    }
}

fn random_umi(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"ACGT"[rng.below(4) as usize]))
        .collect()
}

/// Change one UMI base (never the `-` separator).
fn umi_error(rng: &mut Rng, umi: &str) -> String {
    let mut b = umi.as_bytes().to_vec();
    let idx: Vec<usize> = (0..b.len()).filter(|&i| b[i] != b'-').collect();
    if let Some(&i) = rng.choose(&idx) {
        b[i] = super::genome::other_base(rng, b[i]);
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Move a molecule from one copy of a duplicated segment to the other.
fn shift_cols(cols: &mut [Col], from: u64, to: u64) {
    for c in cols.iter_mut() {
        match c {
            Col::M { r, .. } | Col::D { r } => *r = (u64::from(*r) - from + to) as u32,
            Col::I { .. } => {}
        }
    }
}

fn ref_span(cols: &[Col]) -> Option<(u64, u64)> {
    let first = cols.iter().find_map(|c| match c {
        Col::M { r, .. } | Col::D { r } => Some(u64::from(*r)),
        Col::I { .. } => None,
    })?;
    let last = cols.iter().rev().find_map(|c| match c {
        Col::M { r, .. } | Col::D { r } => Some(u64::from(*r)),
        Col::I { .. } => None,
    })?;
    Some((first, last + 1))
}

/// MAPQ rule: 60 unless the read lies (almost) wholly inside a duplicated
/// segment; then 10 per position telling the two copies apart, capped at 60.
fn mapq(g: &Genome, tid: usize, pos: u64, end: u64) -> u8 {
    let Some((dup, copy)) = g.dup_overlapping(tid, pos, end) else {
        return 60;
    };
    let (_, s) = g.dups[dup].copies[copy];
    let e = s + g.dups[dup].len;
    let outside = s.saturating_sub(pos) + end.saturating_sub(e);
    if outside >= 20 {
        return 60;
    }
    (10 * g.paralog_differences(dup, copy, pos, end)).min(60) as u8
}

type TargetOut = (Vec<SimRead>, u64, u64, Vec<(u32, u32)>, Vec<u32>);

/// Artifact sites and this sample's rate at each.
struct Artifacts<'a> {
    sites: &'a [Artifact],
    rates: &'a [f64],
}

impl Artifacts<'_> {
    /// Put the artifact bases on a molecule (its own random stream, so the
    /// draws of everything else do not move).
    fn apply(&self, rng: &mut Rng, tid: usize, seq: &[u8], cols: &mut [Col]) {
        for (a, &rate) in self.sites.iter().zip(self.rates) {
            if a.tid != tid {
                continue;
            }
            for c in cols.iter_mut() {
                if let Col::M { r, b } = c {
                    if u64::from(*r) == a.pos0 && *b == seq[a.pos0 as usize] && rng.bernoulli(rate)
                    {
                        *b = a.alt;
                    }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn simulate_target(
    p: &SimParams,
    g: &Genome,
    ti: usize,
    t: &Target,
    variants: &[Variant],
    art: &Artifacts,
    kind: SampleKind,
    label: &str,
) -> TargetOut {
    // LONG: one molecule's random draws in their fixed order (the bytes of every simulated BAM depend on it); split, the pieces would pass a dozen locals.
    let mut rng = Rng::stream(p.seed, label, ti as u64);
    let mut art_rng = Rng::stream(p.seed, &format!("{label}-artifacts"), ti as u64);
    let n_mol = (f64::from(p.depth) / coverage_fraction(p, t.len())).round() as u64;
    let mut reads = Vec::new();
    let mut pairs = 0u64;
    let mut counts = vec![(0u32, 0u32); variants.len()];
    let mut duplex_alt = vec![0u32; variants.len()];
    for m in 0..n_mol {
        let len = fragment_length(&mut rng, p);
        let lo = (t.start + 1).saturating_sub(u64::from(len));
        let mut tid = t.tid;
        let mut start = rng.range(lo, t.end - 1);
        // Paralog targets: half the molecules come from the other copy.
        if t.paralog && rng.bernoulli(0.5) {
            if let Some((dup, c)) = g.dup_overlapping(t.tid, t.start, t.end) {
                let (_, s) = g.dups[dup].copies[c];
                let (otid, os) = g.dups[dup].copies[1 - c];
                if start >= s {
                    tid = otid;
                    start = start - s + os;
                }
            }
        }
        let hap = rng.below(2) as u8;
        let window_end = start + u64::from(len) + 12;
        let mut present: Vec<(usize, &Variant)> = Vec::new();
        // Only the variants near the molecule (sorted input): the same ones,
        // in the same order, as a scan of all of them, so the same draws.
        let first = first_near(variants, tid, start);
        for (vi, v) in variants.iter().enumerate().skip(first) {
            if v.tid != tid || v.pos0 >= window_end {
                break;
            }
            if v.end() > start && carries(&mut rng, v, hap, kind) {
                present.push((vi, v));
            }
        }
        let refs: Vec<&Variant> = present.iter().map(|x| x.1).collect();
        let seq = &g.contigs[tid].seq;
        let mut cols = build_molecule(seq, start, len, &refs);
        art.apply(&mut art_rng, tid, seq, &mut cols);
        let Some((fs, fe)) = ref_span(&cols) else {
            continue;
        };
        // Mismapping: a fragment wholly inside one copy may be placed on the other.
        let mut place_tid = tid;
        if let Some((dup, c)) = g.dup_overlapping(tid, fs, fe) {
            if g.dups[dup].copy_containing(tid, fs, fe).is_some() && rng.bernoulli(p.mismap_rate) {
                let (_, s) = g.dups[dup].copies[c];
                let (otid, os) = g.dups[dup].copies[1 - c];
                shift_cols(&mut cols, s, os);
                place_tid = otid;
            }
        }
        let (umi_a, umi_b) = if p.umi_len > 0 {
            (
                random_umi(&mut rng, p.umi_len),
                random_umi(&mut rng, p.umi_len),
            )
        } else {
            (String::new(), String::new())
        };
        let copies = pcr_family(&mut rng, p, &cols);
        // Which strands' copies span each carried variant.
        let mut strands = vec![[false; 2]; present.len()];
        for (k, copy) in copies.iter().enumerate() {
            let umi = if p.umi_len == 0 {
                None
            } else {
                let u = match (p.duplex, copy.top) {
                    (false, _) => umi_a.clone(),
                    (true, true) => format!("{umi_a}-{umi_b}"),
                    (true, false) => format!("{umi_b}-{umi_a}"),
                };
                Some(if rng.bernoulli(p.umi_error_rate) {
                    umi_error(&mut rng, &u)
                } else {
                    u
                })
            };
            let info = PairInfo {
                qname: format!("t{ti}m{m}c{k}"),
                tid: place_tid as i32,
                reference: &g.contigs[place_tid].seq,
                read_len: p.read_len as usize,
                hp_rate: p.hp_indel_rate,
                seq_errors: !p.no_seq_errors,
                // Only with long indels, so older simulations keep their bytes.
                clip_events: p.long_indels_per_vaf > 0 || p.delins_per_vaf > 0,
                umi,
                duplicate: p.mark_duplicates && k > 0,
            };
            let Some(mut pair) = read_pair(&mut rng, copy, &info) else {
                continue;
            };
            for r in pair.iter_mut() {
                r.mapq = mapq(g, place_tid, r.pos as u64, r.end as u64);
            }
            if k == 0 && place_tid == tid {
                count_variants(&pair, variants, tid, &present, &mut counts);
            }
            for (j, (_, v)) in present.iter().enumerate() {
                if spans(&pair, v) {
                    strands[j][usize::from(!copy.top)] = true;
                }
            }
            pairs += 1;
            reads.extend(pair);
        }
        if place_tid == tid {
            for (j, (vi, _)) in present.iter().enumerate() {
                duplex_alt[*vi] += u32::from(strands[j] == [true, true]);
            }
        }
    }
    (reads, n_mol, pairs, counts, duplex_alt)
}

/// Longer than the reference span of any simulated variant (deletions are
/// at most 18 bp after the anchor) plus the base after an indel that must
/// be read. Only where the scan of the sorted variants starts: a larger
/// value visits a few more variants that end before the molecule, which
/// draw nothing, so it does not move any random draw.
const MAX_VARIANT_SPAN: u64 = 40;

/// Index of the first variant (sorted by contig and position, as
/// [`super::variants::generate`] returns them) that can reach `start` or
/// beyond on contig `tid`: earlier ones end before `start`.
fn first_near(variants: &[Variant], tid: usize, start: u64) -> usize {
    variants.partition_point(|v| (v.tid, v.pos0 + MAX_VARIANT_SPAN) < (tid, start))
}

/// Unique-molecule depth and alt count at each truth variant spanned by a read.
fn count_variants(
    pair: &[SimRead; 2],
    variants: &[Variant],
    tid: usize,
    present: &[(usize, &Variant)],
    counts: &mut [(u32, u32)],
) {
    let lo = pair.iter().map(|r| r.read_span.0 as u64).min().unwrap_or(0);
    let hi = pair.iter().map(|r| r.read_span.1 as u64).max().unwrap_or(0);
    for (vi, v) in variants
        .iter()
        .enumerate()
        .skip(first_near(variants, tid, lo))
    {
        if v.tid != tid || v.pos0 >= hi {
            break;
        }
        if spans(pair, v) {
            counts[vi].0 += 1;
            if present.iter().any(|x| x.0 == vi) {
                counts[vi].1 += 1;
            }
        }
    }
}

/// Does a read of the pair span the variant (anchor and next base for indels)?
fn spans(pair: &[SimRead; 2], v: &Variant) -> bool {
    let (s, e) = match v.kind() {
        Kind::Snv | Kind::Mnv => (v.pos0, v.end()),
        // A delins: the bases either side of it too (no anchor base in REF).
        Kind::Delins => (v.pos0.saturating_sub(1), v.end() + 1),
        // Indels: the anchor and the base after the event must be read.
        _ => (v.pos0, v.end() + 1),
    };
    // The bases read, a soft-clipped event included: realignment of the
    // clip can recover it.
    pair.iter().any(|r| {
        let (a, b) = (r.read_span.0 as u64, r.read_span.1 as u64);
        a <= s && b >= e
    })
}
