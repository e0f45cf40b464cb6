//! From a sequenced copy to a read pair: read extraction (adapter trimmed),
//! base qualities, sequencing errors that match them, CIGAR, NM and flags.

use super::alignment::{align, Aligned, Supplementary};
use super::fragments::{slip, Col, Copy};
use super::genome::other_base;
use crate::rng::Rng;
use crate::sam::{DUPLICATE, MATE_REVERSE, PAIRED, PROPER_PAIR, READ1, READ2, REVERSE};
use rust_htslib::bam::record::Cigar;

/// Quality values written (Illumina-style 4-bin qualities).
pub const QUAL_BINS: [u8; 4] = [37, 23, 12, 2];

/// 10^(-Q/10) for each of [`QUAL_BINS`] (a unit test checks the literals).
const ERR_PROB: [f64; 4] = [
    1.995_262_314_968_878_6e-4,
    5.011_872_336_272_725e-3,
    6.309_573_444_801_933e-2,
    0.630_957_344_480_193_2,
];

/// Quality-bin weights at relative cycle `x` in [0, 1]: quality falls toward
/// the 3' end, and the first two cycles are slightly worse.
fn qual_weights(cycle: usize, len: usize) -> [f64; 4] {
    let x = if len > 1 {
        cycle as f64 / (len - 1) as f64
    } else {
        0.0
    };
    let start = if cycle < 2 { 1.0 } else { 0.0 };
    [
        0.92 - 0.25 * x * x,
        0.05 + 0.12 * x * x + 0.03 * start,
        0.025 + 0.08 * x * x * x + 0.03 * start,
        0.005 + 0.05 * x.powi(6) + 0.01 * start,
    ]
}

/// Draw the quality of one cycle and apply a substitution error with the
/// probability it states (10^(-Q/10)); returns (base, quality). Without
/// `errors` the error is drawn but not applied, so the random stream, and
/// with it every quality and every later draw, is the same as with errors.
pub fn sequence_base(rng: &mut Rng, b: u8, cycle: usize, len: usize, errors: bool) -> (u8, u8) {
    let k = rng.categorical(&qual_weights(cycle, len));
    let q = QUAL_BINS[k];
    if rng.bernoulli(ERR_PROB[k]) {
        let wrong = other_base(rng, b);
        (if errors { wrong } else { b }, q)
    } else {
        (b, q)
    }
}

/// One aligned read, as plain owned data (no htslib types with headers).
#[derive(Debug, Clone, PartialEq)]
pub struct SimRead {
    /// Query name.
    pub qname: String,
    /// SAM flags.
    pub flags: u16,
    /// Contig index.
    pub tid: i32,
    /// 0-based leftmost aligned position.
    pub pos: i64,
    /// Mapping quality.
    pub mapq: u8,
    /// CIGAR.
    pub cigar: Vec<Cigar>,
    /// The mate's CIGAR (written as the MC tag, as bwa mem and samtools
    /// fixmate -m do).
    pub mate_cigar: Vec<Cigar>,
    /// Mate contig / position and template length.
    pub mtid: i32,
    /// Mate position.
    pub mpos: i64,
    /// Signed template length.
    pub tlen: i64,
    /// Bases, reference-forward orientation.
    pub seq: Vec<u8>,
    /// Base qualities (phred, not +33).
    pub qual: Vec<u8>,
    /// Mismatches + inserted + deleted bases vs the reference.
    pub nm: u32,
    /// UMI (RX), if any.
    pub umi: Option<String>,
    /// 0-based end (exclusive) of the aligned span.
    pub end: i64,
    /// Reference span (0-based half-open) of the bases read, soft-clipped
    /// events included: what the read saw, for the truth's molecule counts.
    pub read_span: (i64, i64),
    /// Clipped parts that align on their own, written as the `SA` tag
    /// (no supplementary record is written).
    pub supplementary: Vec<Supplementary>,
}

/// The first `n` bases of `cols` (plus columns between them).
pub fn take_front(cols: &[Col], n: usize) -> &[Col] {
    let mut seen = 0;
    for (i, c) in cols.iter().enumerate() {
        if c.base().is_some() {
            seen += 1;
            if seen == n {
                return &cols[..=i];
            }
        }
    }
    cols
}

/// The last `n` bases of `cols`.
pub fn take_back(cols: &[Col], n: usize) -> &[Col] {
    let mut seen = 0;
    for (i, c) in cols.iter().enumerate().rev() {
        if c.base().is_some() {
            seen += 1;
            if seen == n {
                return &cols[i..];
            }
        }
    }
    cols
}

/// Per-pair inputs that do not come from the copy itself.
pub struct PairInfo<'a> {
    /// Query name.
    pub qname: String,
    /// Contig index the copy is placed on.
    pub tid: i32,
    /// Reference sequence of that contig.
    pub reference: &'a [u8],
    /// Read length.
    pub read_len: usize,
    /// Sequencing homopolymer slippage rate.
    pub hp_rate: f64,
    /// Apply the sequencing substitution errors the qualities state.
    pub seq_errors: bool,
    /// Soft-clip indels near read ends as an aligner would
    /// ([`super::clip::clip_at_events`]).
    pub clip_events: bool,
    /// RX value.
    pub umi: Option<String>,
    /// Set the duplicate flag.
    pub duplicate: bool,
}

/// Sequence one copy as a read pair (read 1, read 2). Fragments shorter than
/// the read length give reads of the fragment length (adapter trimmed).
/// MAPQ is left at 60 for the caller to adjust.
pub fn read_pair(rng: &mut Rng, copy: &Copy, info: &PairInfo) -> Option<[SimRead; 2]> {
    let mut front_cols = copy.cols.clone();
    slip(rng, &mut front_cols, info.hp_rate);
    let mut back_cols = copy.cols.clone();
    slip(rng, &mut back_cols, info.hp_rate);
    let front_cols = take_front(&front_cols, info.read_len);
    let back_cols = take_back(&back_cols, info.read_len);
    let front = align(front_cols, info.reference)?;
    let back = align(back_cols, info.reference)?;
    // The front read is sequenced forward, the back read reverse.
    let mut f = sequence(rng, front, false, info);
    let mut b = sequence(rng, back, true, info);
    // Clipped after sequencing: the aligner sees the errors too.
    if info.clip_events {
        f = super::clip::realign(front_cols, f, info.reference);
        b = super::clip::realign(back_cols, b, info.reference);
    }
    let tlen = f.end.max(b.end) - f.pos.min(b.pos);
    let read = |x: &Aligned, mate: &Aligned, reverse: bool, first: bool| {
        let mut flags = PAIRED | PROPER_PAIR;
        flags |= if reverse { REVERSE } else { MATE_REVERSE };
        flags |= if first { READ1 } else { READ2 };
        if info.duplicate {
            flags |= DUPLICATE;
        }
        SimRead {
            qname: info.qname.clone(),
            flags,
            tid: info.tid,
            pos: x.pos,
            mapq: 60,
            cigar: x.cigar.clone(),
            mate_cigar: mate.cigar.clone(),
            mtid: info.tid,
            mpos: mate.pos,
            tlen: if reverse { -tlen } else { tlen },
            seq: x.bases.clone(),
            qual: x.qual.clone(),
            nm: x.nm,
            umi: info.umi.clone(),
            end: x.end,
            read_span: x.read_span,
            supplementary: x.supplementary.clone(),
        }
    };
    let fr = read(&f, &b, false, copy.top);
    let br = read(&b, &f, true, !copy.top);
    Some(if copy.top { [fr, br] } else { [br, fr] })
}

/// Sequence an aligned read: qualities per cycle (cycle 0 is the 5' end:
/// the left end of a forward read, the right end of a reverse one) and the
/// substitution errors they state; NM is updated for the new mismatches.
fn sequence(rng: &mut Rng, mut a: Aligned, reverse: bool, info: &PairInfo) -> Aligned {
    let reference = info.reference;
    let n = a.bases.len();
    let before = count_mismatches(&a.bases, &a.cigar, a.pos, reference);
    let mut seq = Vec::with_capacity(n);
    let mut qual = Vec::with_capacity(n);
    for (j, &b) in a.bases.iter().enumerate() {
        let cycle = if reverse { n - 1 - j } else { j };
        let (s, q) = sequence_base(rng, b, cycle, n, info.seq_errors);
        seq.push(s);
        qual.push(q);
    }
    let after = count_mismatches(&seq, &a.cigar, a.pos, reference);
    a.nm = a.nm - before + after;
    a.bases = seq;
    a.qual = qual;
    a
}

/// Mismatching aligned bases of `seq` under `cigar` at `pos`.
pub fn count_mismatches(seq: &[u8], cigar: &[Cigar], pos: i64, reference: &[u8]) -> u32 {
    let mut qi = 0usize;
    let mut r = pos as usize;
    let mut n = 0;
    for op in cigar {
        match *op {
            Cigar::Match(l) | Cigar::Equal(l) | Cigar::Diff(l) => {
                for _ in 0..l {
                    if reference.get(r) != seq.get(qi) {
                        n += 1;
                    }
                    qi += 1;
                    r += 1;
                }
            }
            Cigar::Ins(l) | Cigar::SoftClip(l) => qi += l as usize,
            Cigar::Del(l) | Cigar::RefSkip(l) => r += l as usize,
            Cigar::HardClip(_) | Cigar::Pad(_) => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualities_mean_what_they_say() {
        let mut rng = Rng::new(11);
        let mut by_q = [[0u64; 2]; 4];
        for i in 0..400_000 {
            let (b, q) = sequence_base(&mut rng, b'A', i % 150, 150, true);
            let k = QUAL_BINS.iter().position(|&x| x == q).unwrap();
            by_q[k][0] += 1;
            by_q[k][1] += u64::from(b != b'A');
        }
        for (k, &q) in QUAL_BINS.iter().enumerate() {
            let expect = 10f64.powf(-f64::from(q) / 10.0);
            assert!((ERR_PROB[k] - expect).abs() < 1e-15);
            let [n, e] = by_q[k];
            let sd = (expect * (1.0 - expect) / n as f64).sqrt();
            let got = e as f64 / n as f64;
            assert!(
                (got - expect).abs() < 4.0 * sd + 1e-5,
                "Q{q}: {got} vs {expect} (n={n})"
            );
        }
    }

    #[test]
    fn low_quality_is_commoner_at_read_ends() {
        let w_mid = qual_weights(75, 150);
        let w_end = qual_weights(149, 150);
        let low = |w: [f64; 4]| (w[2] + w[3]) / w.iter().sum::<f64>();
        assert!(low(w_end) > 2.0 * low(w_mid));
    }

    #[test]
    fn align_soft_clips_edge_insertions() {
        let reference = b"ACGTACGT";
        let cols = [
            Col::I { b: b'T' },
            Col::M { r: 2, b: b'G' },
            Col::D { r: 3 },
            Col::M { r: 4, b: b'C' },
            Col::I { b: b'G' },
            Col::M { r: 5, b: b'C' },
            Col::I { b: b'A' },
        ];
        let Aligned {
            pos,
            end,
            cigar,
            bases,
            nm,
            ..
        } = align(&cols, reference).unwrap();
        assert_eq!((pos, end), (2, 6));
        assert_eq!(
            cigar,
            vec![
                Cigar::SoftClip(1),
                Cigar::Match(1),
                Cigar::Del(1),
                Cigar::Match(1),
                Cigar::Ins(1),
                Cigar::Match(1),
                Cigar::SoftClip(1)
            ]
        );
        assert_eq!(bases, b"TGCGCA".to_vec());
        // 1 del + 1 ins + mismatches: ref[4]='A' vs C, ref[5]='C' ok.
        assert_eq!(nm, 3);
    }
}
