//! `ctdna call`.
use crate::Result;

/// Run the command.
pub fn run(_args: &crate::cli::CallArgs) -> Result<()> {
    Err(crate::Error::Runtime("not yet".into()))
}
