//! The house rules of `src/` (docs/architecture.md), checked on the source
//! text so that a change that breaks one fails here, not in review:
//!
//! - the face (`main.rs`, `cli.rs`, `commands/`) is the only place that
//!   knows clap and the `cli` argument structs; stages take plain settings;
//! - output only formats: nothing in `output/` fits a model or tests;
//! - no file holds more than ~650 production lines (tests excluded) and no
//!   production function more than 80 lines unless it says why in a
//!   `// LONG:` comment.

use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 650;
const MAX_FN_LINES: usize = 80;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `src/` files with their path relative to `src/` and their text.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The production part of a file: everything before its test module, and
/// nothing of a file that is itself a test module.
fn production(rel: &str, text: &str) -> Vec<String> {
    if rel.ends_with("tests.rs") || rel.ends_with("_tests.rs") {
        return Vec::new();
    }
    text.lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .map(str::to_string)
        .collect()
}

fn is_face(rel: &str) -> bool {
    rel == "main.rs" || rel == "cli.rs" || rel.starts_with("cli/") || rel.starts_with("commands/")
}

#[test]
fn only_the_face_knows_the_command_line() {
    let mut bad = Vec::new();
    for (rel, text) in sources() {
        if is_face(&rel) {
            continue;
        }
        for (i, line) in production(&rel, &text).iter().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains("crate::cli")
                || code.contains("clap::")
                || code.starts_with("use clap")
            {
                bad.push(format!("src/{rel}:{}: {code}", i + 1));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "clap / cli types below the face (convert them to the stage's settings in commands/):\n{}",
        bad.join("\n")
    );
}

#[test]
fn output_formats_and_does_not_compute() {
    let mut bad = Vec::new();
    for (rel, text) in sources() {
        if !rel.starts_with("output/") {
            continue;
        }
        for (i, line) in production(&rel, &text).iter().enumerate() {
            for stage in [
                "ContextRates::estimate(",
                "limit_of_detection(",
                "Caller {",
                ".null(",
            ] {
                if line.contains(stage) && !line.trim_start().starts_with("//") {
                    bad.push(format!("src/{rel}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "output/ computes:\n{}", bad.join("\n"));
}

/// `(name, first line, line count)` of each `fn` item in `lines`, found by
/// its closing brace at the same indentation (rustfmt's layout).
fn functions(lines: &[String]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        let indent = &line[..line.len() - code.len()];
        let code = code
            .strip_prefix("pub(crate) ")
            .or_else(|| code.strip_prefix("pub "))
            .unwrap_or(code);
        let Some(rest) = code.strip_prefix("fn ") else {
            continue;
        };
        if line.trim_end().ends_with(';') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
            out.push((name, i, end + 2));
        }
    }
    out
}

#[test]
fn files_and_functions_stay_readable() {
    let mut bad = Vec::new();
    for (rel, text) in sources() {
        let lines = production(&rel, &text);
        if lines.len() > MAX_FILE_LINES {
            bad.push(format!(
                "src/{rel}: {} production lines (> {MAX_FILE_LINES}): split it by topic",
                lines.len()
            ));
        }
        for (name, start, n) in functions(&lines) {
            let says_why = lines[start..start + n]
                .iter()
                .any(|l| l.contains("// LONG:"));
            if n > MAX_FN_LINES && !says_why {
                bad.push(format!(
                    "src/{rel}:{}: fn {name} has {n} lines (> {MAX_FN_LINES}): split it, or say why in a `// LONG:` comment",
                    start + 1
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_checks_see_what_they_check() {
    // The function finder must find a long function where there is one.
    let text: Vec<String> = std::iter::once("pub fn long() {".to_string())
        .chain((0..100).map(|i| format!("    let x{i} = {i};")))
        .chain(std::iter::once("}".to_string()))
        .collect();
    assert_eq!(functions(&text), vec![("long".to_string(), 0, 102)]);
    // And the sources must be there (a wrong path would pass every rule).
    let files = sources();
    assert!(files.iter().any(|(rel, _)| rel == "commands/call.rs"));
    assert!(files.len() > 40, "{} files", files.len());
}
