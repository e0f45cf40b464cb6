//! A hand-made shard of counts for the calling tests: a random reference,
//! every sample at one depth of reference molecules with a one-molecule
//! error at one position in 25, then the alleles a test places.

use crate::evidence::alleles::{base_index, AlleleStats, Indel, ShardCounts};
use crate::evidence::batch::SampleEvidence;
use crate::evidence::engine::ShardEvidence;
use crate::reference::RefWindow;
use crate::regions::Shard;
use crate::rng::Rng;

/// `n` single-read molecules of an allele, half on each strand, Q35.
pub fn stats(n: u32) -> AlleleStats {
    AlleleStats {
        n,
        by_class: [n, 0, 0, 0],
        fwd: n / 2,
        rev: n - n / 2,
        sum_bq: 35 * u64::from(n),
        sum_mq: 60 * u64::from(n),
        sum_dist: 40 * u64::from(n),
        ..AlleleStats::default()
    }
}

/// Builds a [`ShardEvidence`] from position 1,000 on.
pub struct Builder {
    window: RefWindow,
    start: u64,
    counts: Vec<ShardCounts>,
}

impl Builder {
    /// `samples` samples over `len` positions at `depth` molecules.
    pub fn new(samples: usize, len: u64, depth: u32) -> Self {
        let mut rng = Rng::new(5);
        let start = 1_000u64;
        let seq: Vec<u8> = (0..len + 600)
            .map(|_| b"ACGT"[rng.below(4) as usize])
            .collect();
        let window = RefWindow { start: 700, seq };
        let counts = (0..samples)
            .map(|_| {
                let mut c = ShardCounts::new(start, start + len);
                for (i, pc) in c.positions.iter_mut().enumerate() {
                    let r = base_index(window.base((start + i as u64) as i64)).unwrap();
                    pc.bases[r] = stats(depth);
                    if rng.below(25) == 0 {
                        pc.bases[(r + 1 + rng.below(3) as usize) % 4] = stats(1);
                    }
                }
                c
            })
            .collect();
        Builder {
            window,
            start,
            counts,
        }
    }

    /// The base `k` (1-3) steps after the reference's at offset `i`.
    pub fn other_base(&self, i: u64, k: usize) -> u8 {
        let r = base_index(self.window.base((self.start + i) as i64)).unwrap();
        b"ACGT"[(r + k) % 4]
    }

    /// `n` molecules of `base` at offset `i` of sample `s`.
    pub fn set_base(&mut self, s: usize, i: u64, base: u8, n: u32) {
        self.counts[s].positions[i as usize].bases[base_index(base).unwrap()] = stats(n);
    }

    /// `n` molecules of the MNV `seq` anchored at offset `i` of sample `s`.
    pub fn set_mnv(&mut self, s: usize, i: u64, seq: &[u8], n: u32) {
        self.set_indel(s, i, &Indel::Mnv(seq.to_vec()), n);
    }

    /// `n` molecules of `indel` anchored at offset `i` of sample `s`.
    pub fn set_indel(&mut self, s: usize, i: u64, indel: &Indel, n: u32) {
        *self.counts[s].positions[i as usize].indel_mut(indel) = stats(n);
    }

    /// The reference base at offset `i`.
    pub fn base(&self, i: u64) -> u8 {
        self.window.base((self.start + i) as i64)
    }

    pub fn build(self) -> ShardEvidence {
        let end = self.start + self.counts[0].positions.len() as u64;
        ShardEvidence {
            shard: Shard {
                target: 0,
                rid: 0,
                start: self.start,
                end,
            },
            window: self.window,
            samples: (self.counts.into_iter())
                .map(|counts| SampleEvidence {
                    counts,
                    reads: Default::default(),
                    umi: None,
                })
                .collect(),
        }
    }
}
