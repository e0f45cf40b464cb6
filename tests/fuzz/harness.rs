//! The fuzz loop shared by every target: a time budget, one case per
//! derived seed, each case in its own thread (a panic is caught with
//! `catch_unwind`, a hang is caught by a per-case deadline), and on failure
//! a greedy minimisation of the input before the report.

use ctdna::rng::Rng;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// Seconds per target: `CTDNA_FUZZ_SECS` (default 5, so that
/// `cargo test --release` stays quick).
pub fn budget() -> Duration {
    Duration::from_secs_f64(env_f64("CTDNA_FUZZ_SECS", 5.0))
}

/// Longest a single case may run before it counts as a hang:
/// `CTDNA_FUZZ_CASE_SECS` (default 20).
fn case_limit() -> Duration {
    Duration::from_secs_f64(env_f64("CTDNA_FUZZ_CASE_SECS", 20.0))
}

/// Base seed: `CTDNA_FUZZ_SEED` (default 24). Case `i` of target `t` draws
/// from `Rng::stream(seed, t, i)`, so a reported (seed, case) replays.
pub fn base_seed() -> u64 {
    std::env::var("CTDNA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24)
}

/// Open file descriptors of this process and their soft limit (Linux).
fn descriptors() -> Option<(u64, u64)> {
    let open = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line.split_whitespace().nth(3)?.parse().ok()?;
    Some((open, soft))
}

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|x: &f64| x.is_finite() && *x >= 0.0)
        .unwrap_or(default)
}

/// How one case ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Accepted (`Ok`).
    Ok,
    /// Refused with a crate error of this exit code; the message.
    Refused(i32, String),
    /// Panicked: where and why.
    Panic(String),
    /// Still running after the per-case limit.
    Hang,
}

impl Outcome {
    /// A finding: a panic, a hang, or with `strict` a refusal that is not
    /// exit code 2 (bad input reported as a runtime failure).
    fn failed(&self, strict: bool) -> bool {
        match self {
            Outcome::Panic(_) | Outcome::Hang => true,
            Outcome::Refused(code, _) => strict && *code != 2,
            Outcome::Ok => false,
        }
    }
}

/// `CTDNA_FUZZ_EXIT2=1`: every refusal of a mutated input must be exit
/// code 2 (bad input). Off by default until the readers' remaining exit-1
/// messages (invalid UTF-8, damaged BGZF: issue 24) are bad-input errors.
fn strict() -> bool {
    std::env::var("CTDNA_FUZZ_EXIT2").is_ok_and(|v| v == "1")
}

/// A refusal's message without the file path and with numbers as `N`,
/// so that messages of one kind count together.
fn kind_of(msg: &str) -> String {
    let tail = msg.split_once(".input: ").map_or(msg, |(_, t)| t);
    let mut out = String::new();
    for c in tail.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('N') {
                out.push('N');
            }
        } else {
            out.push(c);
        }
    }
    out.chars().take(90).collect()
}

/// The last panic of a case thread or of a thread it started (rayon's
/// workers are unnamed; their panics reach the case thread through
/// `resume_unwind`, which does not call the hook).
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Case threads (named `fuzz-case`) and unnamed threads (rayon workers they
/// start): their panics are recorded with the location instead of printed;
/// named threads (the test harness's) keep the default hook.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ours = std::thread::current()
                .name()
                .is_none_or(|n| n.starts_with("fuzz-case"));
            if ours {
                if let Ok(mut p) = LAST_PANIC.lock() {
                    *p = Some(info.to_string());
                }
            } else {
                default(info);
            }
        }));
    });
}

/// Run `f` on `input` in a fresh thread, bounded by the per-case limit.
/// Rayon workers started inside `f` propagate their panics to it.
pub fn run_case<I, F>(f: &Arc<F>, input: &I, case: &str) -> Outcome
where
    I: Clone + Send + 'static,
    F: Fn(&I, &str) -> ctdna::Result<()> + Send + Sync + 'static,
{
    install_hook();
    let (tx, rx) = mpsc::channel();
    let (f, input, case) = (Arc::clone(f), input.clone(), case.to_string());
    let spawned = std::thread::Builder::new()
        .name("fuzz-case".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&input, &case)));
            let out = match r {
                Ok(Ok(())) => Outcome::Ok,
                Ok(Err(e)) => Outcome::Refused(e.exit_code(), e.to_string()),
                Err(payload) => {
                    let recorded = LAST_PANIC.lock().ok().and_then(|mut p| p.take());
                    let msg = recorded.unwrap_or_else(|| {
                        payload
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "panic without a message".into())
                    });
                    Outcome::Panic(msg)
                }
            };
            let _ = tx.send(out);
        })
        .expect("spawn a fuzz case thread");
    match rx.recv_timeout(case_limit()) {
        Ok(out) => {
            let _ = spawned.join();
            out
        }
        // The thread is left running: the target fails and the process ends.
        Err(_) => Outcome::Hang,
    }
}

/// What a target tallied.
#[derive(Debug, Default)]
pub struct Tally {
    pub cases: u64,
    pub ok: u64,
    pub exit2: u64,
    pub exit1: u64,
    /// Exit-1 refusals (runtime errors for bad input), by kind of message.
    pub exit1_kinds: std::collections::BTreeMap<String, u64>,
}

/// A target's inputs: how to shrink one and how to show one.
pub trait Input: Clone + Send + 'static {
    /// Smaller variants, most aggressive first.
    fn shrink(&self) -> Vec<Self>;
    fn show(&self) -> String;
}

/// Fuzz `target` for the budget: `generate(rng)` makes a case's input,
/// `f(input, dir_label)` runs it. Fails with the seed, the case index and
/// the minimised input on the first panic or hang. Returns the tally.
pub fn fuzz<I, G, F>(target: &str, mut generate: G, f: F) -> Tally
where
    I: Input,
    G: FnMut(&mut Rng) -> I,
    F: Fn(&I, &str) -> ctdna::Result<()> + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let strict = strict();
    let progress = std::env::var_os("CTDNA_FUZZ_PROGRESS")
        .map(|d| std::path::PathBuf::from(d).join(format!("{target}.last")));
    let seed = base_seed();
    let start = Instant::now();
    let mut tally = Tally::default();
    let mut i = 0u64;
    while start.elapsed() < budget() || i == 0 {
        if let Some((open, limit)) = descriptors() {
            if open * 4 > limit * 3 {
                eprintln!(
                    "fuzz {target}: stopped early, {open} of {limit} file descriptors open: \
                     a reader leaks its file (rust-htslib 0.46's bgzf::Reader did; inputs go \
                     through ctdna's bgzf_in::Reader, which closes it)"
                );
                break;
            }
        }
        let mut rng = Rng::stream(seed, target, i);
        let input = generate(&mut rng);
        if let Some(p) = &progress {
            // What ran last, should the process die (a crash in C code).
            let _ = std::fs::write(p, format!("seed {seed} case {i}\n{}", input.show()));
        }
        let out = run_case(&f, &input, "case");
        tally.cases += 1;
        match &out {
            Outcome::Ok => tally.ok += 1,
            Outcome::Refused(2, _) => tally.exit2 += 1,
            Outcome::Refused(_, m) if !strict => {
                tally.exit1 += 1;
                *tally.exit1_kinds.entry(kind_of(m)).or_default() += 1;
            }
            _ => {
                let small = minimise(&f, input, &out, strict);
                let path = save_failure(target, seed, i, &small);
                let what = match &out {
                    Outcome::Panic(m) => format!("panic: {m}"),
                    Outcome::Refused(code, m) => format!("exit code {code} for bad input: {m}"),
                    _ => format!("hang: still running after {:?}", case_limit()),
                };
                panic!(
                    "fuzz {target}: {what}\n  replay: CTDNA_FUZZ_SEED={seed}, case {i} \
                     (Rng::stream({seed}, \"{target}\", {i}))\n  minimised input (also in {}):\n{}",
                    path.display(),
                    small.show()
                );
            }
        }
        i += 1;
    }
    eprintln!(
        "fuzz {target}: {} cases in {:.1} s (seed {seed}): {} accepted, {} refused with exit 2, \
         {} refused with exit 1, 0 panics, 0 hangs",
        tally.cases,
        start.elapsed().as_secs_f64(),
        tally.ok,
        tally.exit2,
        tally.exit1,
    );
    for (kind, n) in &tally.exit1_kinds {
        eprintln!("  exit 1 x{n}: {kind}");
    }
    tally
}

/// Greedy minimisation: take the first smaller variant that still fails
/// (panics, or hangs), until none does or 60 s have passed.
fn minimise<I, F>(f: &Arc<F>, mut input: I, first: &Outcome, strict: bool) -> I
where
    I: Input,
    F: Fn(&I, &str) -> ctdna::Result<()> + Send + Sync + 'static,
{
    // A hang is not minimised: every try would take the whole limit.
    if matches!(first, Outcome::Hang) {
        return input;
    }
    let start = Instant::now();
    'outer: while start.elapsed() < Duration::from_secs(60) {
        for smaller in input.shrink() {
            if run_case(f, &smaller, "shrink").failed(strict) {
                input = smaller;
                continue 'outer;
            }
        }
        break;
    }
    input
}

fn save_failure<I: Input>(target: &str, seed: u64, case: u64, input: &I) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{target}-{seed}-{case}.txt"));
    let _ = std::fs::write(&path, input.show());
    path
}
