//! Read records with random CIGAR, SEQ, QUAL, flags, positions, mate fields
//! and UMIs, written to a BAM and counted as one batch of shard pieces (with
//! gaps between them, as `--known` loci outside the panel make) by the
//! fragment loop (mates merged or independent) and the UMI family loop.

use super::harness::Input;
use ctdna::evidence::batch::Batch;
use ctdna::evidence::umi::{Tier, UmiConfig};
use ctdna::evidence::OverlapPolicy;
use ctdna::reference::RefWindow;
use ctdna::rng::Rng;
use rust_htslib::bam::record::{Aux, Cigar, CigarString};
use rust_htslib::bam::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Cases htslib would not write or index (not run, so not a finding).
pub static SKIPPED: AtomicU64 = AtomicU64::new(0);
/// Reads the loops used and mate pairs they merged, over all cases (to show
/// the cases reach the counting, not only the filters).
pub static USED: AtomicU64 = AtomicU64::new(0);
pub static PAIRS: AtomicU64 = AtomicU64::new(0);

/// Length of the one contig, `c1`.
pub const CONTIG_LEN: u64 = 1500;

#[derive(Clone, Debug)]
pub struct ReadSpec {
    pub qname: String,
    pub flag: u16,
    pub pos: i64,
    pub mapq: u8,
    pub cigar: Vec<Cigar>,
    pub seq: Vec<u8>,
    pub qual: Vec<u8>,
    pub mtid: i32,
    pub mpos: i64,
    pub tlen: i64,
    pub rx: Option<String>,
    pub mc: Option<String>,
}

/// One case: the records, the batch's shard pieces and the read loop.
#[derive(Clone, Debug)]
pub struct Reads {
    pub records: Vec<ReadSpec>,
    pub ranges: Vec<(u64, u64)>,
    /// 0: fragments, mates merged; 1: fragments, each mate; 2: UMI from RX;
    /// 3: UMI from the read name.
    pub mode: u8,
    pub min_family: u32,
    pub min_dist_end: u32,
    pub drop_improper: bool,
}

impl Input for Reads {
    fn shrink(&self) -> Vec<Self> {
        let mut out = Vec::new();
        for i in 0..self.records.len() {
            let mut c = self.clone();
            c.records.remove(i);
            out.push(c);
        }
        for i in 0..self.ranges.len() {
            if self.ranges.len() > 1 {
                let mut c = self.clone();
                c.ranges.remove(i);
                out.push(c);
            }
        }
        out
    }

    fn show(&self) -> String {
        let mut s = format!(
            "  mode {} (0 merge, 1 independent, 2 UMI tag, 3 UMI name), min_family {}, \
             min_dist_end {}, drop_improper {}\n  shard pieces {:?}\n",
            self.mode, self.min_family, self.min_dist_end, self.drop_improper, self.ranges
        );
        for r in &self.records {
            s.push_str(&format!(
                "  {}\t{}\tc1\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}{}{}\n",
                r.qname,
                r.flag,
                r.pos + 1,
                r.mapq,
                CigarString(r.cigar.clone()),
                if r.mtid < 0 { "*" } else { "=" },
                r.mpos + 1,
                r.tlen,
                String::from_utf8_lossy(&r.seq),
                r.qual
                    .iter()
                    .map(|&q| if q == 255 {
                        '*'
                    } else {
                        char::from(q.saturating_add(33))
                    })
                    .collect::<String>(),
                r.rx.as_ref()
                    .map(|u| format!("\tRX:Z:{u}"))
                    .unwrap_or_default(),
                r.mc.as_ref()
                    .map(|u| format!("\tMC:Z:{u}"))
                    .unwrap_or_default(),
            ));
        }
        s
    }
}

fn random_cigar(rng: &mut Rng) -> Vec<Cigar> {
    let n = 1 + rng.below(6);
    (0..n)
        .map(|_| {
            let len = if rng.bernoulli(0.1) {
                0
            } else {
                rng.range(1, 60) as u32
            };
            match rng.below(9) {
                0 | 1 => Cigar::Match(len),
                2 => Cigar::Ins(len),
                3 => Cigar::Del(len),
                4 => Cigar::RefSkip(len),
                5 => Cigar::SoftClip(len),
                6 => Cigar::HardClip(len),
                7 => Cigar::Equal(len),
                _ => {
                    if rng.bernoulli(0.5) {
                        Cigar::Diff(len)
                    } else {
                        Cigar::Pad(len)
                    }
                }
            }
        })
        .collect()
}

/// A plausible CIGAR for a read of `len` bases: clips and one indel at times.
fn plausible_cigar(rng: &mut Rng, len: u32) -> Vec<Cigar> {
    let mut ops = Vec::new();
    let mut left = len;
    if rng.bernoulli(0.2) && left > 10 {
        let c = rng.range(1, 10) as u32;
        ops.push(Cigar::SoftClip(c));
        left -= c;
    }
    if rng.bernoulli(0.3) && left > 20 {
        let a = rng.range(5, u64::from(left) - 10) as u32;
        ops.push(Cigar::Match(a));
        left -= a;
        if rng.bernoulli(0.5) {
            ops.push(Cigar::Del(rng.range(1, 8) as u32));
        } else {
            let k = rng.range(1, 6).min(u64::from(left) - 1) as u32;
            ops.push(Cigar::Ins(k));
            left -= k;
        }
    }
    ops.push(Cigar::Match(left));
    ops
}

fn query_len(cigar: &[Cigar]) -> usize {
    cigar
        .iter()
        .map(|c| match c {
            Cigar::Match(n)
            | Cigar::Ins(n)
            | Cigar::SoftClip(n)
            | Cigar::Equal(n)
            | Cigar::Diff(n) => *n as usize,
            _ => 0,
        })
        .sum()
}

fn read(rng: &mut Rng, reference: &[u8], qname: &str, pos: i64, flag: u16) -> ReadSpec {
    let cigar = if rng.bernoulli(0.7) {
        let len = if rng.bernoulli(0.5) {
            [0, 1, 30, 100, 150][rng.below(5) as usize]
        } else {
            rng.range(0, 150) as u32
        };
        plausible_cigar(rng, len)
    } else {
        random_cigar(rng)
    };
    // htslib will not index a read whose CIGAR and SEQ lengths differ:
    // rare, or nearly every case would be skipped.
    let qlen = if rng.bernoulli(0.995) {
        query_len(&cigar)
    } else {
        rng.below(200) as usize
    };
    let seq = bases_for(rng, reference, pos, &cigar, qlen);
    let qual: Vec<u8> = if rng.bernoulli(0.05) {
        vec![255; qlen]
    } else {
        (0..qlen).map(|_| rng.below(46) as u8).collect()
    };
    ReadSpec {
        qname: qname.into(),
        flag,
        pos,
        mapq: [0, 10, 20, 60, 60, 60, 255][rng.below(7) as usize],
        cigar,
        seq,
        qual,
        mtid: 0,
        mpos: 0,
        tlen: 0,
        rx: None,
        mc: None,
    }
}

/// SEQ for `cigar` at `pos`: the reference where the CIGAR aligns, random
/// bases in insertions and clips, a few errors, cut or padded to `qlen`.
fn bases_for(rng: &mut Rng, reference: &[u8], pos: i64, cigar: &[Cigar], qlen: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(qlen);
    let mut r = pos.max(0) as usize;
    let random = |rng: &mut Rng| *rng.choose(b"ACGTNacgtn.=RY").unwrap_or(&b'N');
    for c in cigar {
        match *c {
            Cigar::Match(n) | Cigar::Equal(n) | Cigar::Diff(n) => {
                for _ in 0..n {
                    let b = match reference.get(r) {
                        Some(&b) if !rng.bernoulli(0.01) => b,
                        _ => random(rng),
                    };
                    out.push(b);
                    r += 1;
                }
            }
            Cigar::Ins(n) | Cigar::SoftClip(n) => {
                out.extend((0..n).map(|_| b"ACGT"[rng.below(4) as usize]))
            }
            Cigar::Del(n) | Cigar::RefSkip(n) => r += n as usize,
            _ => {}
        }
    }
    out.resize_with(qlen, || random(rng));
    out
}

const UMIS: &[&str] = &["AACC", "GGTT", "ACGT", "TTAA", "NNNN", ""];

/// A random case over `reference` (the contig's bases).
// LONG: one pass that draws every field of a pair; split, the draws would
// need a struct of their own to pass between the parts.
pub fn generate(rng: &mut Rng, reference: &[u8]) -> Reads {
    let l = CONTIG_LEN as i64;
    let pairs = 1 + rng.below(30);
    let mut records = Vec::new();
    for k in 0..pairs {
        let s = rng.below(CONTIG_LEN + 50) as i64 - 20;
        // Mostly mates that overlap (read 2 starts 100 bp before the end).
        let frag = if rng.bernoulli(0.7) {
            rng.range(100, 250)
        } else {
            rng.range(1, 450)
        } as i64;
        let (u1, u2) = (
            *rng.choose(UMIS).unwrap_or(&""),
            *rng.choose(UMIS).unwrap_or(&""),
        );
        let name = if rng.bernoulli(0.05) {
            "dup".to_string()
        } else {
            format!("p{}:{u1}{u2}", k % (1 + rng.below(pairs)))
        };
        let rev = rng.bernoulli(0.5);
        let mut f1 = 1 | 2 | 64 | if rev { 16 } else { 32 };
        let mut f2 = 1 | 2 | 128 | if rev { 32 } else { 16 };
        for f in [&mut f1, &mut f2] {
            if rng.bernoulli(0.2) {
                *f ^=
                    [1u16, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048][rng.below(12) as usize];
            }
            if rng.bernoulli(0.03) {
                *f = rng.below(4096) as u16;
            }
        }
        let mut a = read(rng, reference, &name, s.max(0).min(l + 10), f1);
        let p2 = (s + frag - 100).clamp(0, l + 10);
        let mut b = read(rng, reference, &name, p2, f2);
        a.mpos = b.pos;
        b.mpos = a.pos;
        a.tlen = frag;
        b.tlen = -frag;
        let (ca, cb) = (a.cigar.clone(), b.cigar.clone());
        for (r, m) in [(&mut a, cb), (&mut b, ca)] {
            if rng.bernoulli(0.1) {
                r.mpos = rng.below(CONTIG_LEN) as i64;
            }
            if rng.bernoulli(0.05) {
                r.tlen =
                    [0, -1, i64::from(i32::MAX), i64::from(i32::MIN) + 1][rng.below(4) as usize];
            }
            if rng.bernoulli(0.05) {
                r.mtid = -1;
            }
            if rng.bernoulli(0.8) {
                r.mc = Some(if rng.bernoulli(0.9) {
                    CigarString(m).to_string()
                } else {
                    ["*", "", "10M5", "M", "4294967295M"][rng.below(5) as usize].to_string()
                });
            }
            if rng.bernoulli(0.8) {
                r.rx = Some(if rng.bernoulli(0.5) {
                    format!("{u1}-{u2}")
                } else {
                    format!("{u2}-{u1}")
                });
            }
        }
        records.push(a);
        if rng.bernoulli(0.9) {
            records.push(b);
        }
    }
    records.sort_by_key(|r| r.pos);
    // Shard pieces: sorted, disjoint, sometimes adjacent, sometimes apart.
    let mut ranges = Vec::new();
    let mut at = rng.below(200);
    for _ in 0..1 + rng.below(5) {
        let end = (at + rng.range(1, 400)).min(CONTIG_LEN);
        if at >= end {
            break;
        }
        ranges.push((at, end));
        at = end
            + if rng.bernoulli(0.3) {
                0
            } else {
                rng.range(1, 200)
            };
    }
    if ranges.is_empty() {
        ranges.push((0, CONTIG_LEN));
    }
    Reads {
        records,
        ranges,
        mode: rng.below(4) as u8,
        min_family: rng.range(1, 3) as u32,
        min_dist_end: [0, 0, 3, 10][rng.below(4) as usize],
        drop_improper: rng.bernoulli(0.2),
    }
}

/// Write the case's BAM (with a `.bai`); `None` when htslib refuses the
/// records (that is the writer's business, not the read loop's).
fn write_bam(case: &Reads, path: &Path) -> Option<()> {
    let mut header = bam::Header::new();
    let mut hd = bam::header::HeaderRecord::new(b"HD");
    hd.push_tag(b"VN", "1.6").push_tag(b"SO", "coordinate");
    header.push_record(&hd);
    let mut sq = bam::header::HeaderRecord::new(b"SQ");
    sq.push_tag(b"SN", "c1").push_tag(b"LN", CONTIG_LEN);
    header.push_record(&sq);
    let mut w = bam::Writer::from_path(path, &header, bam::Format::Bam).ok()?;
    for r in &case.records {
        let mut rec = bam::Record::new();
        rec.set(
            r.qname.as_bytes(),
            Some(&CigarString(r.cigar.clone())),
            &r.seq,
            &r.qual,
        );
        rec.set_tid(0);
        rec.set_pos(r.pos);
        rec.set_mapq(r.mapq);
        rec.set_flags(r.flag);
        rec.set_mtid(r.mtid);
        rec.set_mpos(r.mpos);
        rec.set_insert_size(r.tlen);
        if let Some(u) = &r.rx {
            rec.push_aux(b"RX", Aux::String(u)).ok()?;
        }
        if let Some(m) = &r.mc {
            rec.push_aux(b"MC", Aux::String(m)).ok()?;
        }
        w.write(&rec).ok()?;
    }
    drop(w);
    bam::index::build(path, None, bam::index::Type::Bai, 1).ok()
}

/// Count the case as one batch; every error must be a crate error.
pub fn run(case: &Reads, dir: &Path, reference: &[u8]) -> ctdna::Result<()> {
    let path = dir.join("case.bam");
    if write_bam(case, &path).is_none() {
        SKIPPED.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    let mut reader = bam::IndexedReader::from_path(&path).expect("open the case's BAM");
    let _ = reader.header();
    let overlap = if case.mode == 1 {
        OverlapPolicy::Independent
    } else {
        OverlapPolicy::Merge
    };
    let mut filter = ctdna::testing::read_filter(overlap);
    filter.min_dist_end = case.min_dist_end;
    filter.drop_improper = case.drop_improper;
    let umi = (case.mode >= 2).then_some(UmiConfig {
        tag: *b"RX",
        from_name: case.mode == 3,
        min_family: case.min_family,
        min_agreement: 0.9,
        min_tier: Tier::Raw,
    });
    let counter = ctdna::evidence::batch_counter(&filter, umi.as_ref());
    // The engine's window: the batch with 300 bp either side.
    let w0 = case.ranges[0].0.saturating_sub(300);
    let w1 = (case.ranges[case.ranges.len() - 1].1 + 300).min(CONTIG_LEN);
    let window = RefWindow {
        start: w0,
        seq: reference[w0 as usize..w1 as usize].to_vec(),
    };
    let b = Batch::new(&mut reader, &path, 0, &case.ranges, &window);
    let got = counter.count_batch(b)?;
    assert_eq!(
        got.len(),
        case.ranges.len(),
        "one SampleEvidence per shard piece"
    );
    for e in &got {
        USED.fetch_add(e.reads.used, Ordering::Relaxed);
        PAIRS.fetch_add(e.reads.overlapping_pairs, Ordering::Relaxed);
    }
    Ok(())
}
