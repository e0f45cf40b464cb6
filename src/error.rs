//! One flat error type for the whole crate.
//!
//! Variants say what went wrong and where (path, line, contig); the binary maps
//! them to exit codes: 2 for bad input or usage, 1 for runtime failures.

use std::path::PathBuf;

/// Crate-wide result.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can stop a ctdna command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file is unusable as given; `fix` tells the user what to do.
    #[error("{}: {msg}{}", path.display(), fix_suffix(fix))]
    BadInput {
        path: PathBuf,
        msg: String,
        fix: String,
    },
    /// A text input has a bad line (1-based line number).
    #[error("{}:{line}: {msg}", path.display())]
    BadLine {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    /// Options that cannot work together or values out of range.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// htslib reported a failure; `context` says on what.
    #[error("{context}: {source}")]
    Hts {
        context: String,
        #[source]
        source: rust_htslib::errors::Error,
    },
    /// A worker failed for another reason.
    #[error("{0}")]
    Runtime(String),
}

fn fix_suffix(fix: &str) -> String {
    if fix.is_empty() {
        String::new()
    } else {
        format!(" ({fix})")
    }
}

impl Error {
    /// Exit code for the binary: 2 = usage / bad input, 1 = runtime failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BadInput { .. } | Error::BadLine { .. } | Error::Usage(_) => 2,
            Error::Io { .. } | Error::Hts { .. } | Error::Runtime(_) => 1,
        }
    }

    /// Shorthand for [`Error::BadInput`].
    pub fn bad_input(
        path: impl Into<PathBuf>,
        msg: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::BadInput {
            path: path.into(),
            msg: msg.into(),
            fix: fix.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Shorthand for [`Error::Hts`].
    pub fn hts(context: impl Into<String>, source: rust_htslib::errors::Error) -> Self {
        Error::Hts {
            context: context.into(),
            source,
        }
    }
}
