//! Evidence: from reads to molecules (SPEC section 2).
//!
//! `bam` opens and validates inputs; `filters` decides which reads are used;
//! `observe` walks one read's CIGAR; `mates` merges overlapping mates into
//! fragments; `parked` holds reads waiting to be walked, compactly;
//! `alleles` holds the per-position counters; `shard` runs the loop over
//! one shard; `engine` runs all shards in parallel, in order.
//! In UMI mode `families` replaces `shard`'s loop: `umi` groups templates
//! into families and `consensus` turns each family into molecules of a tier.

pub mod alleles;
pub mod bam;
pub mod consensus;
pub mod engine;
pub mod families;
pub mod filters;
pub mod mates;
pub mod observe;
pub mod parked;
pub mod shard;
pub mod umi;

pub use alleles::{AlleleStats, Indel, PositionCounts, ShardCounts};
pub use filters::{OverlapPolicy, ReadCounters, ReadFilter};
