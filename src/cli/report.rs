//! The report's options: `ctdna report`'s, and `--report` / `--multiqc`
//! of `call` and `mrd` (a topic of [`crate::cli`]).

use clap::Args;
use std::path::PathBuf;

/// `ctdna report` options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run's metrics (`ctdna call --metrics`).
    #[arg(long, value_name = "JSON")]
    pub metrics: PathBuf,
    /// The run's VCF (`ctdna call -o`; plain or bgzipped).
    #[arg(long, value_name = "VCF")]
    pub vcf: PathBuf,
    /// A `ctdna mrd -o` result to show beside the calls; once per time
    /// point, in time order, for the tumor-fraction trajectory (a series'
    /// result, `mrd --bam t1 --bam t2 ...`, gives all its timepoints).
    #[arg(long, value_name = "JSON")]
    pub mrd: Vec<PathBuf>,
    /// The run's panel of normals: its pooled rates drawn beside the sample's.
    #[arg(long, value_name = "PON")]
    pub pon: Option<PathBuf>,
    /// Output HTML page.
    #[arg(long, short = 'o', value_name = "HTML")]
    pub output: PathBuf,
    /// Also write MultiQC custom content (`*_mqc.json`) into this folder.
    #[arg(long, value_name = "DIR")]
    pub multiqc: Option<PathBuf>,
}

/// `call --report` and `--multiqc`.
#[derive(Debug, Args, Clone)]
pub struct CallReportArgs {
    /// Write the run's self-contained HTML report here (docs/output.md).
    #[arg(long, value_name = "HTML")]
    pub report: Option<PathBuf>,
    /// Write MultiQC custom content (`<sample>.ctdna_*_mqc.json`) into this folder.
    #[arg(long, value_name = "DIR")]
    pub multiqc: Option<PathBuf>,
}

/// `mrd --multiqc`.
#[derive(Debug, Args, Clone)]
pub struct MrdMultiqcArgs {
    /// Write the call and tumor fraction as MultiQC general statistics
    /// (`<sample>.ctdna_mrd_mqc.json`) into this folder.
    #[arg(long, value_name = "DIR")]
    pub multiqc: Option<PathBuf>,
}
