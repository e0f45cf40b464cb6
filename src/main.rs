//! The `ctdna` binary: parse arguments, run the command, map errors to exit codes.

use clap::Parser;
use std::io::Write;

fn main() {
    pin_malloc_mmap_threshold();
    let cli = ctdna::cli::Cli::parse();
    let level = if cli.quiet {
        "error"
    } else {
        cli.log_level.as_str()
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp(None)
        .init();
    // SIGINT / SIGTERM: remove this run's temporary files and outputs,
    // exit 130 / 143.
    if let Err(e) = ctdna::atomic::install_signal_cleanup() {
        log::warn!("{e}: an interrupted run may leave temporary files");
    }
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

/// Keep glibc's mmap threshold at its initial 128 KiB for the whole run.
///
/// glibc raises the threshold to the size of each large block freed (up to
/// 32 MiB), so after the first batch's count arrays or a grown map table
/// are freed, later large blocks are carved from the worker threads' heaps
/// instead of being mapped. There they sit between the small blocks of
/// reads waiting for their mates, and when freed leave holes the heap
/// never returns: peak RSS then grew with depth well beyond what was in
/// use (quick benchmark panel at 4x depth: heap +0.6 MB, RSS +1.6 MB).
/// Pinned, a large block goes back to the kernel when freed. Setting the
/// value once is what turns the dynamic adjustment off (mallopt(3)).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn pin_malloc_mmap_threshold() {
    // SAFETY: mallopt only sets an allocator parameter; it is called
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Elsewhere (musl, macOS) there is no glibc threshold to pin.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn pin_malloc_mmap_threshold() {}
