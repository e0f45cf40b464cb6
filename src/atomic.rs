//! Nothing half-written: outputs go to a temporary name beside the target
//! and are renamed into place only when complete.

use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// A file being written under a temporary name; removed if dropped before
/// [`Pending::commit`].
#[derive(Debug)]
pub struct Pending {
    pub tmp: PathBuf,
    pub path: PathBuf,
    committed: bool,
}

impl Pending {
    /// Reserve `path`: create the temporary file now, so an unwritable
    /// destination fails before any work is done. An existing path that is
    /// not a regular file (`/dev/null`, a named pipe) is written in place:
    /// renaming over it would replace the device with a file.
    pub fn new(path: &Path) -> Result<Self> {
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            return Ok(Pending {
                tmp: path.to_path_buf(),
                path: path.to_path_buf(),
                committed: true,
            });
        }
        let name = path.file_name().ok_or_else(|| {
            Error::bad_input(path, "not a file path", "give a file name for the output")
        })?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        std::fs::File::create(&tmp).map_err(|e| {
            Error::bad_input(
                path,
                format!("cannot write here ({e})"),
                "choose an output path in an existing, writable folder",
            )
        })?;
        Ok(Pending {
            tmp,
            path: path.to_path_buf(),
            committed: false,
        })
    }

    /// Take charge of a temporary file that something else creates at `tmp`.
    pub fn adopt(tmp: &Path, path: &Path) -> Self {
        Pending {
            tmp: tmp.to_path_buf(),
            path: path.to_path_buf(),
            committed: false,
        }
    }

    /// Move the finished file into place.
    pub fn commit(mut self) -> Result<()> {
        if self.tmp == self.path {
            return Ok(());
        }
        std::fs::rename(&self.tmp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_output_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.tsv");
        {
            let w = Pending::new(&p).unwrap();
            std::fs::write(&w.tmp, "partial").unwrap();
        }
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
        let w = Pending::new(&p).unwrap();
        std::fs::write(&w.tmp, "done").unwrap();
        w.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "done");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn special_files_are_written_in_place_not_replaced() {
        let w = Pending::new(Path::new("/dev/null")).unwrap();
        assert_eq!(w.tmp, Path::new("/dev/null"));
        std::fs::write(&w.tmp, "x").unwrap();
        w.commit().unwrap();
        let m = std::fs::metadata("/dev/null").unwrap();
        assert!(!m.is_file(), "/dev/null must stay a device");
    }

    #[test]
    fn unwritable_destination_fails_early() {
        let e = Pending::new(Path::new("/nonexistent-dir/x.vcf")).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
