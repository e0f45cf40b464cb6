//! `ctdna count`.
use crate::Result;

/// Run the command.
pub fn run(_args: &crate::cli::CountArgs) -> Result<()> {
    Err(crate::Error::Runtime("not yet".into()))
}
