//! Output: VCF, count tables, bedGraph, metrics, the MRD tables and the
//! HTML report (with its MultiQC files), each written atomically. Output formats what the stages computed.

pub mod bedgraph;
pub mod call_metrics;
pub mod counts_tsv;
pub mod metrics;
pub mod mrd;
pub mod report;
pub mod track_summary;
pub mod vcf;
