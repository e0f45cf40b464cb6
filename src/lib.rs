//! ctdna: a streaming low-VAF variant caller for circulating-tumor-DNA panels.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! regions   BED + loci targets     -> merged targets -> shards
//! loci      known-loci VCF         -> normalised alleles -> targets
//! evidence  BAM records            -> filtered reads -> fragment observations -> allele counts
//! model     allele counts          -> background error rates (context x substitution)
//! calling   counts + rates         -> tested candidates -> filtered calls (+ LOD)
//! mrd       counts at tumor loci   -> tumor fraction, test, DETECTED / NOT_DETECTED
//! output    what the stages computed -> VCF (bgzip + tbi), TSV, bedGraph, metrics JSON
//! commands  one file per subcommand: arguments -> settings, then the stages in order
//! ```
//!
//! Below every stage sit [`sam`] (the SAM flag bits), [`hash`] (FNV-1a),
//! [`rng`] (seeded random numbers), [`atomic`] (nothing half-written), [`bgzf_in`] (plain or bgzipped text inputs) and [`mod@reference`] (the FASTA, reference
//! windows, left alignment). The binary is a thin shell over
//! [`commands::run`]. docs/architecture.md draws the data flow and says
//! which module owns what.

#![deny(unsafe_code)]

pub mod atomic;
pub mod bgzf_in;
pub mod calling;
pub mod cli;
pub mod commands;
pub mod error;
pub mod evidence;
pub mod hash;
pub mod loci;
pub mod model;
pub mod mrd;
pub mod output;
pub mod reference;
pub mod regions;
pub mod rng;
pub mod sam;
pub mod simulate;
pub mod spill;
#[doc(hidden)]
pub mod testing;
pub mod text;

pub use error::{Error, Result};
