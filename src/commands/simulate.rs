//! `ctdna simulate`: validate the options, then write the synthetic data set.
use crate::simulate::{params::SimParams, simulate};
use crate::Result;

/// Run the command.
pub fn run(args: &crate::cli::SimulateArgs) -> Result<()> {
    let p = SimParams::from_args(args)?;
    let s = simulate(&p, &args.out_dir)?;
    log::info!(
        "wrote {} read pairs from {} molecules, {} somatic and {} germline truth variants to {}",
        s.pairs,
        s.molecules,
        s.somatic_variants,
        s.germline_variants,
        args.out_dir.display()
    );
    Ok(())
}
