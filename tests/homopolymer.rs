//! Homopolymer slippage against the run-length background (issue 20,
//! point 6): a BAM built here whose T runs of 5-9 bases slip (+T) at a
//! rate doubling per base, ~4,700 reads deep. The slippage of a 9-base run
//! (~0.8%, ~30 alt reads) is not a variant however deep the sample; a true
//! 4% insertion in another 9-base run is.

mod common;
use common::*;
use ctdna::testing::{random_sequence, sam_to_bam, write_fasta};

const LEN: usize = 2600;
const DEPTH: usize = 5000;
const READ: usize = 100;

/// (1-based first base of the run, run length, true insertion fraction):
/// three runs of each length 5-8, a 9-base run that only slips, and one
/// holding a true 4% insertion.
const RUNS: [(usize, usize, f64); 14] = [
    (300, 5, 0.0),
    (450, 5, 0.0),
    (600, 5, 0.0),
    (750, 6, 0.0),
    (900, 6, 0.0),
    (1050, 6, 0.0),
    (1200, 7, 0.0),
    (1350, 7, 0.0),
    (1500, 7, 0.0),
    (1650, 8, 0.0),
    (1800, 8, 0.0),
    (1950, 8, 0.0),
    (2100, 9, 0.0),
    (2250, 9, 0.04),
];
const SLIPPING_9: usize = 12;

/// Slippage (+T) per read over a run of `len` bases: 5e-4 at 5, doubling
/// per base (0.8% at 9).
fn slip_rate(len: usize) -> f64 {
    5e-4 * 2f64.powi(len as i32 - 5)
}

/// A deterministic uniform draw in [0, 1) for read `i`, stream `s`
/// (splitmix64's finalizer over the pair).
fn draw(i: u64, s: u64) -> f64 {
    let mut x = (s << 40 ^ i).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn reference() -> Vec<u8> {
    let mut r = random_sequence(LEN, 31).into_bytes();
    for (start, len, _) in RUNS {
        r[start - 2] = b'G';
        for b in &mut r[start - 1..start - 1 + len] {
            *b = b'T';
        }
        r[start - 1 + len] = b'G';
    }
    r
}

/// Single-end reads, one start per base, `DEPTH / READ` reads per start
/// (alternating strands); a read spanning a run with 10 bases on each side
/// carries one extra T with the run's slippage rate, or its true fraction.
/// Also returns the reads with the extra T, per run.
fn sam(r: &[u8]) -> (String, [usize; RUNS.len()]) {
    let mut slipped = [0; RUNS.len()];
    let mut s = format!("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:{LEN}\n@RG\tID:rg\tSM:s\n");
    let per_start = DEPTH / READ;
    let q = "I".repeat(READ);
    let mut i = 0u64;
    for start in 150..LEN - READ - 150 {
        for copy in 0..per_start {
            i += 1;
            let flag = if copy % 2 == 0 { 0 } else { 16 };
            let (s0, e0) = (start - 1, start - 1 + READ);
            let spanned = RUNS
                .iter()
                .position(|(rs, len, _)| *rs > s0 + 10 && rs - 1 + len + 10 <= e0);
            let ins = spanned.and_then(|k| {
                let (rs, len, vaf) = RUNS[k];
                let hit = draw(i, rs as u64) < slip_rate(len) + vaf;
                slipped[k] += usize::from(hit);
                hit.then_some(rs - 1 + len)
            });
            let (cigar, seq) = match ins {
                Some(end) => {
                    let left = end - s0;
                    let mut seq = r[s0..end].to_vec();
                    seq.push(b'T');
                    seq.extend_from_slice(&r[end..e0 - 1]);
                    (format!("{left}M1I{}M", READ - 1 - left), seq)
                }
                None => (format!("{READ}M"), r[s0..e0].to_vec()),
            };
            let seq = String::from_utf8(seq).unwrap();
            s.push_str(&format!(
                "r{i}\t{flag}\tchr1\t{start}\t60\t{cigar}\t*\t0\t0\t{seq}\t{q}\tRG:Z:rg\n"
            ));
        }
    }
    (s, slipped)
}

#[test]
fn long_run_slippage_is_not_a_variant_and_a_true_insertion_is() {
    let dir = tempfile::tempdir().unwrap();
    let r = reference();
    let fasta = write_fasta(
        dir.path(),
        "ref.fa",
        &[("chr1", std::str::from_utf8(&r).unwrap())],
    );
    let bed = dir.path().join("t.bed");
    std::fs::write(&bed, "chr1\t250\t2350\n").unwrap();
    let (text, slipped) = sam(&r);
    // The 9-T run's slippage alone is past the former minimum of 6 alt
    // molecules, which a deep sample always passes.
    assert!(slipped[SLIPPING_9] >= 6, "{slipped:?}");
    let bam = sam_to_bam(dir.path(), "hp", &text);
    let (records, _) = call_records(dir.path(), (&bam, &fasta, &bed), &[]);
    let record = |run_start: usize| {
        // Left-aligned: the insertion's anchor is the base before the run.
        let pos = (run_start - 1).to_string();
        records.iter().find(|f| f[1] == pos && f[4].len() == 2)
    };
    if let Some(slipping) = record(2100) {
        assert_ne!(slipping[6], "PASS", "{slipping:?}");
    }
    let true_ins = record(2250).expect("the true insertion is written");
    assert_eq!(true_ins[6], "PASS", "{true_ins:?}");
}
