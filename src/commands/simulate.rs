//! `ctdna simulate`: validate the options, then write the synthetic data set.
use super::settings::{sim_params, simulate_threads};
use crate::cli::SimulateArgs;
use crate::simulate::simulate;
use crate::Result;

/// Run the command.
pub fn run(args: &SimulateArgs) -> Result<()> {
    let p = sim_params(args)?;
    let threads = simulate_threads(args.threads)?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    let pool = pool
        .build()
        .map_err(|e| crate::Error::Runtime(format!("cannot start worker threads: {e}")))?;
    let s = pool.install(|| simulate(&p, &args.out_dir))?;
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
