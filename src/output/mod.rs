//! Output: VCF, count tables, bedGraph, metrics and the MRD tables, each
//! written atomically. Output formats what the stages computed.

pub mod bedgraph;
pub mod call_metrics;
pub mod counts_tsv;
pub mod metrics;
pub mod mrd;
pub mod vcf;
