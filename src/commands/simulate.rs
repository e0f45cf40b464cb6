//! `ctdna simulate`.
use crate::Result;

/// Run the command.
pub fn run(_args: &crate::cli::SimulateArgs) -> Result<()> {
    Err(crate::Error::Runtime("not yet".into()))
}
