//! A temporary file for what a run computes early and reads back late
//! (each position's LoD inputs, computed while counting and needed once the
//! model is fitted; each position's LoD, for the metrics' exact quantiles):
//! memory stays flat whatever the panel's size; the operating system's page
//! cache holds the file while memory is free.
//!
//! The file is created in the temporary folder (`TMPDIR`, else `/tmp`) and
//! removed at once: nothing is left behind, even when the run is killed.
//! Blocks are written by any thread, each at its own reserved offset.

use crate::{Error, Result};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};

/// An unnamed temporary file of blocks.
#[derive(Debug)]
pub struct Spill {
    file: File,
    end: AtomicU64,
}

/// Where one block lies in a [`Spill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    offset: u64,
    len: u64,
}

impl Spill {
    /// A new, empty spill file (already unlinked).
    pub fn new() -> Result<Spill> {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir();
        let name = format!(
            ".ctdna-{}-{}.spill",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                Error::Runtime(format!(
                    "cannot create a temporary file in {} ({e}): set TMPDIR to a writable folder",
                    dir.display()
                ))
            })?;
        // The open handle keeps the data; the name goes at once.
        let _ = std::fs::remove_file(&path);
        Ok(Spill {
            file,
            end: AtomicU64::new(0),
        })
    }

    /// Append `bytes` (from any thread) and say where they are.
    pub fn put(&self, bytes: &[u8]) -> Result<Block> {
        let len = bytes.len() as u64;
        let offset = self.end.fetch_add(len, Ordering::Relaxed);
        self.file
            .write_all_at(bytes, offset)
            .map_err(|e| Error::Runtime(format!("writing a temporary file (TMPDIR full?): {e}")))?;
        Ok(Block { offset, len })
    }

    /// Read a block back.
    pub fn get(&self, b: Block) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; b.len as usize];
        self.file
            .read_exact_at(&mut buf, b.offset)
            .map_err(|e| Error::Runtime(format!("reading a temporary file: {e}")))?;
        Ok(buf)
    }
}

/// Append `v` to `out` as a LEB128 varint (one byte below 128).
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Read a varint at `*at`, moving past it; `None` past the end.
pub fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_come_back_as_written_from_any_thread() {
        let spill = Spill::new().unwrap();
        let blocks: Vec<(Block, Vec<u8>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4u8)
                .map(|t| {
                    let spill = &spill;
                    s.spawn(move || {
                        let bytes: Vec<u8> = (0..1000u32).map(|i| (i as u8) ^ t).collect();
                        (spill.put(&bytes).unwrap(), bytes)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (b, bytes) in blocks {
            assert_eq!(spill.get(b).unwrap(), bytes);
        }
    }

    #[test]
    fn varints_round_trip() {
        let values = [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        let mut out = Vec::new();
        for v in values {
            put_varint(&mut out, v);
        }
        assert_eq!(out[..3], [0, 1, 127]);
        let mut at = 0;
        for v in values {
            assert_eq!(get_varint(&out, &mut at), Some(v));
        }
        assert_eq!(get_varint(&out, &mut at), None);
    }
}
