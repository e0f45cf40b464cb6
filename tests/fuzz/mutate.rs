//! Mutations of text inputs (BED, VCF, PoN, background JSON), seeded from
//! real files: byte flips, line deletions and duplications, field swaps,
//! numeric edge values, truncation, random bytes, a BOM, CRLF line ends,
//! and lines spliced from other seeds.

use super::harness::Input;
use ctdna::rng::Rng;

/// Numbers that break parsers: zero, negatives, the integer limits and one
/// past them, NaN and infinities, denormals, padded and empty values.
const EDGE_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "-0",
    "00001",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e308",
    "1e400",
    "-1e308",
    "4.9e-324",
    "1e-320",
    "0.0",
    "-0.5",
    "1.5",
    "",
    " ",
    ".",
];

/// Bytes that mean something to the readers.
const SPECIAL: &[u8] = b"\t\n\r#,;=/:.-+*<>[]{}\"\\ 0Nn\x00\xff";

/// A text input: the bytes, and whether to write them bgzipped.
#[derive(Clone, Debug)]
pub struct Text {
    pub bytes: Vec<u8>,
    /// 0: plain, 1: bgzipped, 2: bgzipped and then a byte of the
    /// compressed stream changed, 3: bgzipped and cut, 4: a folder in the
    /// file's place.
    pub wrap: u8,
    /// For wrap 2 and 3: where (a fraction of the compressed length).
    pub at: f64,
}

impl Input for Text {
    fn shrink(&self) -> Vec<Self> {
        let mut out = Vec::new();
        let with = |bytes: Vec<u8>| Text {
            bytes,
            ..self.clone()
        };
        if self.wrap != 0 {
            out.push(Text {
                wrap: 0,
                ..self.clone()
            });
        }
        // Whole lines first, then chunks of bytes, halving.
        let lines = split_lines(&self.bytes);
        if lines.len() > 1 {
            for i in 0..lines.len() {
                let mut l = lines.clone();
                l.remove(i);
                out.push(with(l.concat()));
            }
        }
        let n = self.bytes.len();
        let mut chunk = n / 2;
        while chunk >= 1 {
            let mut at = 0;
            while at + chunk <= n {
                let mut b = self.bytes.clone();
                b.drain(at..at + chunk);
                out.push(with(b));
                at += chunk;
            }
            chunk /= 2;
            if out.len() > 4000 {
                break;
            }
        }
        out
    }

    fn show(&self) -> String {
        let wrap = [
            "plain",
            "bgzipped",
            "bgzipped, a compressed byte changed",
            "bgzipped, cut",
            "a folder",
        ][self.wrap as usize];
        format!(
            "  ({wrap}, at {:.4}, {} bytes)\n{}",
            self.at,
            self.bytes.len(),
            self.bytes.escape_ascii()
        )
    }
}

impl Text {
    /// Write to `path` as plain text or bgzipped (and then damaged).
    pub fn write(&self, path: &std::path::Path) {
        // The last case may have left a folder here.
        if path.is_dir() {
            std::fs::remove_dir_all(path).expect("remove the last case's folder");
        } else if path.exists() {
            std::fs::remove_file(path).expect("remove the last case's file");
        }
        if self.wrap == 4 {
            std::fs::create_dir(path).expect("a folder as the input");
            return;
        }
        if self.wrap == 0 {
            std::fs::write(path, &self.bytes).expect("write fuzz input");
            return;
        }
        {
            use std::io::Write;
            let mut w = rust_htslib::bgzf::Writer::from_path(path).expect("bgzf writer");
            w.write_all(&self.bytes).expect("bgzip fuzz input");
        }
        if self.wrap >= 2 {
            let mut b = std::fs::read(path).expect("read back");
            let at = ((b.len() as f64 * self.at) as usize).min(b.len().saturating_sub(1));
            if self.wrap == 2 {
                b[at] ^= 0x5a;
            } else {
                b.truncate(at);
            }
            std::fs::write(path, b).expect("write fuzz input");
        }
    }
}

/// Lines with their line ends.
pub fn split_lines(b: &[u8]) -> Vec<Vec<u8>> {
    b.split_inclusive(|&c| c == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// A mutated copy of one of `seeds` (1 to 5 mutations); `gz` allows the
/// bgzipped wraps.
pub fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], gz: bool) -> Text {
    let mut b = rng.choose(seeds).expect("seeds").clone();
    let n = 1 + rng.geometric(0.45).min(4);
    for _ in 0..n {
        b = mutate_once(rng, b, seeds);
    }
    let wrap = if rng.bernoulli(0.005) {
        4
    } else if gz {
        [0u8, 0, 1, 1, 2, 3][rng.below(6) as usize]
    } else {
        0
    };
    Text {
        bytes: b,
        wrap,
        at: rng.uniform(),
    }
}

fn pick_line(rng: &mut Rng, lines: &[Vec<u8>]) -> usize {
    // Data lines (not '#') more often: they are where the parsing is.
    let data: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].starts_with(b"#"))
        .collect();
    if !data.is_empty() && rng.bernoulli(0.8) {
        data[rng.below(data.len() as u64) as usize]
    } else {
        rng.below(lines.len() as u64) as usize
    }
}

/// Numeric tokens of a line: (start, end) of runs of digits, '.', 'e', '-'.
fn numbers(line: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if line[i].is_ascii_digit() {
            let mut s = i;
            if s > 0 && line[s - 1] == b'-' {
                s -= 1;
            }
            let mut e = i;
            while e < line.len() && (line[e].is_ascii_digit() || b".eE+-".contains(&line[e])) {
                e += 1;
            }
            out.push((s, e));
            i = e;
        } else {
            i += 1;
        }
    }
    out
}

// LONG: one arm per mutator, each a few lines; splitting would scatter them.
fn mutate_once(rng: &mut Rng, mut b: Vec<u8>, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut lines = split_lines(&b);
    match rng.below(16) {
        // Flip a bit.
        0 if !b.is_empty() => {
            let i = rng.below(b.len() as u64) as usize;
            b[i] ^= 1 << rng.below(8);
            b
        }
        // A byte that means something.
        1 if !b.is_empty() => {
            let i = rng.below(b.len() as u64) as usize;
            b[i] = *rng.choose(SPECIAL).unwrap_or(&b'\t');
            b
        }
        // Delete, duplicate or swap lines.
        2 if !lines.is_empty() => {
            let i = pick_line(rng, &lines);
            lines.remove(i);
            lines.concat()
        }
        3 if !lines.is_empty() => {
            let i = pick_line(rng, &lines);
            let times = 1 + rng.below(3) as usize;
            for _ in 0..times {
                lines.insert(i, lines[i].clone());
            }
            lines.concat()
        }
        4 if lines.len() > 1 => {
            let i = pick_line(rng, &lines);
            let j = rng.below(lines.len() as u64) as usize;
            lines.swap(i, j);
            lines.concat()
        }
        // Swap, delete or duplicate tab fields of a line.
        5..=6 if !lines.is_empty() => {
            let i = pick_line(rng, &lines);
            let eol = lines[i].ends_with(b"\n");
            let body = lines[i].strip_suffix(b"\n").unwrap_or(&lines[i]).to_vec();
            let mut f: Vec<Vec<u8>> = body.split(|&c| c == b'\t').map(<[u8]>::to_vec).collect();
            let k = rng.below(f.len() as u64) as usize;
            match rng.below(3) {
                0 => {
                    let m = rng.below(f.len() as u64) as usize;
                    f.swap(k, m);
                }
                1 => {
                    f.remove(k);
                }
                _ => {
                    let dup = f[k].clone();
                    f.insert(k, dup);
                }
            }
            let mut l = f.join(&b'\t');
            if eol {
                l.push(b'\n');
            }
            lines[i] = l;
            lines.concat()
        }
        // A numeric edge value in place of a number.
        7..=9 if !lines.is_empty() => {
            let i = pick_line(rng, &lines);
            let nums = numbers(&lines[i]);
            if let Some(&(s, e)) = rng.choose(&nums) {
                let v = rng.choose(EDGE_NUMBERS).unwrap_or(&"0").as_bytes();
                lines[i].splice(s..e, v.iter().copied());
            }
            lines.concat()
        }
        // Cut.
        10 => {
            let at = rng.below(b.len() as u64 + 1) as usize;
            b.truncate(at);
            b
        }
        // Random bytes inserted.
        11 => {
            let at = rng.below(b.len() as u64 + 1) as usize;
            let k = 1 + rng.below(16) as usize;
            let junk: Vec<u8> = (0..k).map(|_| rng.below(256) as u8).collect();
            b.splice(at..at, junk);
            b
        }
        // A UTF-8 BOM in front.
        12 => {
            let mut out = b"\xef\xbb\xbf".to_vec();
            out.extend(b);
            out
        }
        // CRLF line ends: all of them, or one.
        13 => {
            if rng.bernoulli(0.5) {
                lines
                    .iter_mut()
                    .filter(|l| l.ends_with(b"\n"))
                    .for_each(|l| l.insert(l.len() - 1, b'\r'));
            } else if let Some(l) = lines.iter_mut().find(|l| l.ends_with(b"\n")) {
                l.insert(l.len() - 1, b'\r');
            }
            lines.concat()
        }
        // A line from another seed spliced in.
        14 => {
            let other = split_lines(rng.choose(seeds).expect("seeds"));
            if let Some(l) = rng.choose(&other) {
                let at = rng.below(lines.len() as u64 + 1) as usize;
                let mut l = l.clone();
                if !l.ends_with(b"\n") {
                    l.push(b'\n');
                }
                lines.insert(at, l);
            }
            lines.concat()
        }
        // A field replaced by the same column of another line.
        _ if lines.len() > 1 => {
            let i = pick_line(rng, &lines);
            let j = pick_line(rng, &lines);
            let fi: Vec<Vec<u8>> = lines[i]
                .split(|&c| c == b'\t')
                .map(<[u8]>::to_vec)
                .collect();
            let fj: Vec<Vec<u8>> = lines[j]
                .split(|&c| c == b'\t')
                .map(<[u8]>::to_vec)
                .collect();
            let k = rng.below(fi.len().min(fj.len()) as u64) as usize;
            let mut f = fi;
            f[k] = fj[k].clone();
            lines[i] = f.join(&b'\t');
            lines.concat()
        }
        _ => b,
    }
}
