//! Evidence: from reads to molecules (SPEC section 2).
//!
//! `bam` opens and validates inputs; `aux_tags` reads a read's aux fields
//! in place; `filters` decides which reads are used;
//! `observe` walks one read's CIGAR; `mates` merges overlapping mates into
//! fragments; `parked` holds reads waiting to be walked, compactly;
//! `alleles` holds the per-position counters; `batch` holds what both read
//! loops share (the [`batch::BatchCounter`] trait, the read gate, the name
//! map, the per-sample result); `fragments` is the read loop over one batch;
//! `engine` runs all batches in parallel, in order, with the loop chosen
//! once ([`batch_counter`]). In UMI mode `families` is the read loop
//! instead: it pairs mates and hands templates to `family_window`, which
//! groups them into families (UMIs from `umi`; `umi_check` says when an
//! input's UMIs do not look like UMIs), and `consensus` turns each family
//! into molecules of a tier.

pub mod alleles;
pub mod aux_tags;
pub mod bam;
pub mod batch;
pub mod consensus;
pub mod engine;
pub mod families;
pub mod family_window;
pub mod filters;
pub mod fragments;
pub mod mates;
pub mod observe;
pub mod parked;
pub mod read_alarms;
pub mod umi;
pub mod umi_check;

pub use alleles::{AlleleStats, Indel, PositionCounts, ShardCounts};
pub use filters::{OverlapPolicy, ReadCounters, ReadFilter};

use batch::BatchCounter;
use families::UmiCounter;
use fragments::FragmentCounter;
use umi::UmiConfig;

/// The read loop for these settings, chosen once per run: UMI families and
/// their consensus when `umi` is given, fragments otherwise.
pub fn batch_counter(filter: &ReadFilter, umi: Option<&UmiConfig>) -> Box<dyn BatchCounter> {
    match umi {
        None => Box::new(FragmentCounter::new(filter)),
        Some(cfg) => Box::new(UmiCounter::new(filter, cfg)),
    }
}
