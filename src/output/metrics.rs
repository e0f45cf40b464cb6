//! Machine-readable run metrics (SPEC section 6), written as JSON.

use crate::atomic::Pending;
use crate::{Error, Result};
use std::path::Path;

/// Serialize `value` as pretty JSON to `path`, atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let pending = Pending::new(path)?;
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Runtime(format!("serialising metrics: {e}")))?;
    std::fs::write(&pending.tmp, text + "\n").map_err(|e| Error::io(path, e))?;
    pending.commit()
}

/// Peak resident memory of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
