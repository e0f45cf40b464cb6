//! Text inputs (BED, VCF) read line by line whatever bytes they hold: a
//! UTF-8 byte order mark at the start is dropped (it would otherwise become
//! part of the first contig name), and bytes that are not UTF-8 text or a
//! compressed stream that breaks off are bad input naming the file and
//! line (exit 2), not an I/O failure.

use crate::{Error, Result};
use std::io::BufRead;
use std::path::Path;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Call `f(line_number, text)` for each line of `reader` (the contents of
/// `path`), 1-based, without its line break (`\n` or `\r\n`); stops at the
/// first error.
pub fn for_each_line(
    path: &Path,
    mut reader: impl BufRead,
    mut f: impl FnMut(usize, &str) -> Result<()>,
) -> Result<()> {
    let mut buf = Vec::new();
    for line in 1.. {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::IsADirectory {
                return Error::bad_input(path, "is a folder, not a file", "give the file itself");
            }
            if matches!(
                e.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
            ) {
                Error::BadLine {
                    path: path.to_path_buf(),
                    line,
                    msg: format!(
                        "cannot be read here ({e}): the file is truncated or corrupt; re-create or re-download it"
                    ),
                }
            } else {
                Error::io(path, e)
            }
        })?;
        if n == 0 {
            break;
        }
        let mut bytes = buf.as_slice();
        if line == 1 {
            bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        }
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|_| Error::BadLine {
            path: path.to_path_buf(),
            line,
            msg: "not text (bytes that are not UTF-8): is this the right file, and uncompressed or bgzipped?"
                .into(),
        })?;
        f(line, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Result<Vec<(usize, String)>> {
        let mut out = Vec::new();
        for_each_line(Path::new("x.txt"), bytes, |i, l| {
            out.push((i, l.to_string()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn a_folder_is_bad_input() {
        let d = tempfile::tempdir().unwrap();
        let f = std::fs::File::open(d.path()).unwrap();
        let e = for_each_line(d.path(), std::io::BufReader::new(f), |_, _| Ok(())).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("folder"), "{e}");
    }

    #[test]
    fn a_byte_order_mark_is_dropped_and_line_breaks_removed() {
        let got = lines(b"\xEF\xBB\xBFchr1\t1\t2\r\nchr2\t3\t4\n\nlast").unwrap();
        let want = [(1, "chr1\t1\t2"), (2, "chr2\t3\t4"), (3, ""), (4, "last")];
        assert_eq!(got, want.map(|(i, l)| (i, l.to_string())));
    }

    #[test]
    fn bytes_that_are_not_text_are_bad_input_naming_the_line() {
        let e = lines(b"chr1\t1\t2\n\xff\xfe\x00garbage\n").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let m = e.to_string();
        assert!(m.starts_with("x.txt:2: not text"), "{m}");
    }
}
