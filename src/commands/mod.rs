//! One file per subcommand; each wires the pipeline stages together.

pub mod call;
pub mod common;
pub mod count;
pub mod mrd;
pub mod pon;
pub mod settings;
pub mod simulate;

use crate::cli::Command;
use crate::Result;

/// Run one parsed subcommand.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Call(args) => call::run(&args),
        Command::Count(args) => count::run(&args),
        Command::Pon(args) => pon::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Mrd(args) => mrd::run(&args),
    }
}
