//! Output: VCF, count tables and metrics, each written atomically.

pub mod atomic;
pub mod bedgraph;
pub mod call_metrics;
pub mod counts_tsv;
pub mod metrics;
pub mod vcf;
