//! The `ctdna` binary: parse arguments, run the command, map errors to exit codes.

use clap::Parser;
use std::io::Write;

fn main() {
    let cli = ctdna::cli::Cli::parse();
    let level = if cli.quiet {
        "error"
    } else {
        cli.log_level.as_str()
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp(None)
        .init();
    match ctdna::commands::run(cli.command) {
        Ok(()) => {}
        Err(ctdna::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            // A closed downstream pipe (`ctdna count ... | head`) is success.
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ctdna: error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
