//! Opening text inputs that may be bgzipped (VCF, panel of normals).
//!
//! rust-htslib 0.46 does not check htslib's `bgzf_open` for failure: on a
//! folder (or a file htslib cannot open) it returns a reader holding a null
//! handle, and the first read crashes the process (SIGSEGV). The file is
//! opened here first, and a folder refused, so that the reader is only made
//! for a readable file.

use rust_htslib::bgzf;
use std::io::{Error, ErrorKind};
use std::path::Path;

/// A reader over `path`, plain or bgzipped text.
pub fn open(path: &Path) -> std::io::Result<bgzf::Reader> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(Error::new(
            ErrorKind::IsADirectory,
            "is a folder, not a file",
        ));
    }
    drop(file);
    bgzf::Reader::from_path(path).map_err(|e| Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
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
