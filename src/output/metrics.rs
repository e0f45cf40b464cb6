//! Machine-readable run metrics (SPEC section 6), written as JSON.

use crate::atomic::Pending;
use crate::{Error, Result};

/// Serialize `value` as pretty JSON into a reserved output; the caller
/// commits it with the run's other outputs.
pub fn write_json<T: serde::Serialize>(pending: Pending, value: &T) -> Result<Pending> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Runtime(format!("serialising {}: {e}", pending.path.display())))?;
    pending.write_all(&(text + "\n"))?;
    Ok(pending)
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
