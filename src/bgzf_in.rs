//! Opening text inputs that may be bgzipped (VCF, panel of normals).
//!
//! rust-htslib 0.46's `bgzf::Reader` has two faults that matter for input
//! handling: it does not check htslib's `bgzf_open` for failure (on a folder
//! it holds a null handle and the first read crashes the process, SIGSEGV),
//! and it never closes its file (no `Drop`: one descriptor leaked per input
//! opened, which a long-lived embedding or the fuzz harness runs out of).
//! [`Reader`] is our own thin reader over the same htslib calls that does
//! both, and names a read failure for what it is (corrupt or cut
//! compressed data) instead of "Can not read".

use rust_htslib::htslib;
use std::io::{Error, ErrorKind};
use std::path::Path;

/// A reader over a plain or bgzipped (or gzipped) text file; closes it when
/// dropped.
pub struct Reader {
    handle: std::ptr::NonNull<htslib::BGZF>,
}

/// A reader over `path`, plain or bgzipped text.
#[allow(unsafe_code)]
pub fn open(path: &Path) -> std::io::Result<Reader> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(Error::new(
            ErrorKind::IsADirectory,
            "is a folder, not a file",
        ));
    }
    drop(file);
    let cpath = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: both strings are valid and NUL-terminated for the call; htslib
    // returns either a handle this Reader then owns alone, or null.
    let raw = unsafe { htslib::bgzf_open(cpath.as_ptr(), c"r".as_ptr()) };
    let handle = std::ptr::NonNull::new(raw).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidData,
            "htslib cannot open it as plain or bgzipped text",
        )
    })?;
    Ok(Reader { handle })
}

impl std::io::Read for Reader {
    #[allow(unsafe_code)]
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // SAFETY: the handle is open (owned, closed only in Drop) and `buf`
        // is writable for `buf.len()` bytes.
        let n = unsafe {
            htslib::bgzf_read(
                self.handle.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len() as _,
            )
        };
        usize::try_from(n).map_err(|_| {
            Error::new(
                ErrorKind::InvalidData,
                "the compressed data is corrupt or cut short (gzip/BGZF block cannot be read)",
            )
        })
    }
}

impl Drop for Reader {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the handle came from bgzf_open, is owned by this Reader
        // alone and is closed exactly once, here.
        unsafe {
            htslib::bgzf_close(self.handle.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_htslib::bgzf;
    use std::io::Read;

    #[test]
    fn a_folder_is_refused_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let Err(e) = open(dir.path()) else {
            panic!("a folder is refused")
        };
        assert_eq!(e.kind(), ErrorKind::IsADirectory);
        assert!(open(&dir.path().join("missing.vcf")).is_err());
    }

    /// Each reader closes its file: opening far more readers than the
    /// process may hold descriptors would fail otherwise (rust-htslib 0.46's
    /// reader leaked one each).
    #[test]
    fn readers_close_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "x\n").unwrap();
        let open_fds = || std::fs::read_dir("/proc/self/fd").map(|d| d.count()).ok();
        let before = open_fds();
        for _ in 0..5_000 {
            let mut s = String::new();
            open(&p).unwrap().read_to_string(&mut s).unwrap();
        }
        if let (Some(b), Some(a)) = (before, open_fds()) {
            // other tests run in parallel threads: allow their few files
            assert!(a < b + 100, "{b} descriptors before, {a} after");
        }
    }

    #[test]
    fn corrupt_compressed_data_is_invalid_data() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.txt.gz");
        {
            use std::io::Write;
            let mut w = bgzf::Writer::from_path(&gz).unwrap();
            w.write_all(&b"x\ty\n".repeat(10_000)).unwrap();
        }
        let mut bytes = std::fs::read(&gz).unwrap();
        let mid = bytes.len() / 3;
        for b in &mut bytes[mid..mid + 64] {
            *b ^= 0x5a;
        }
        std::fs::write(&gz, bytes).unwrap();
        let mut s = String::new();
        let e = open(&gz).unwrap().read_to_string(&mut s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
        assert!(e.to_string().contains("corrupt"), "{e}");
    }

    #[test]
    fn plain_and_bgzipped_text_read_alike() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.txt");
        std::fs::write(&plain, "x\ty\n").unwrap();
        let gz = dir.path().join("a.txt.gz");
        {
            use std::io::Write;
            let mut w = bgzf::Writer::from_path(&gz).unwrap();
            w.write_all(b"x\ty\n").unwrap();
        }
        for p in [plain, gz] {
            let mut s = String::new();
            open(&p).unwrap().read_to_string(&mut s).unwrap();
            assert_eq!(s, "x\ty\n");
        }
    }
}
