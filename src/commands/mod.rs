//! One file per subcommand; each wires the pipeline stages together.

pub mod call;
pub mod call_evidence;
pub mod count;
pub mod inputs;
pub mod mrd;
pub mod pon;
pub mod report;
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
        Command::Report(args) => report::run(&args),
    }
}

/// The command line as written into output headers, without `--threads`:
/// output bytes must not depend on the thread count.
pub fn command_line() -> String {
    let mut out = Vec::new();
    let mut skip = false;
    for a in std::env::args() {
        if std::mem::take(&mut skip) {
            continue;
        }
        if a == "--threads" || a == "-@" {
            skip = true;
            continue;
        }
        if !a.starts_with("--threads=") {
            out.push(a);
        }
    }
    out.join(" ")
}
