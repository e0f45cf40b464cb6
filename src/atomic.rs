//! Nothing half-written: every output of a run goes to a temporary name
//! beside its target (`.NAME.tmpPID`), and all of them are renamed into
//! place together by [`commit_all`] once every one is complete.
//!
//! Temporary files are registered in a process-wide list, so that
//! [`install_signal_cleanup`] (SIGINT, SIGTERM) can remove them — and any
//! output this run already put in place — before exiting with 128 + the
//! signal number. docs/failure.md states the guarantee.

use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// What this process has on disk: temporary files being written, and
/// outputs it already renamed into place (removed again on a signal).
#[derive(Default)]
struct Registry {
    temps: Vec<PathBuf>,
    placed: Vec<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    temps: Vec::new(),
    placed: Vec::new(),
});

/// The registry, even if a thread panicked while holding it (its lists of
/// paths are always consistent: each change is one push or retain).
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Remove every registered temporary file and every output this run put in
/// place; the lock is kept, so no rename can follow.
fn remove_everything() -> MutexGuard<'static, Registry> {
    let reg = registry();
    for p in reg.temps.iter().chain(&reg.placed) {
        let _ = std::fs::remove_file(p);
    }
    reg
}

/// A file being written under a temporary name; removed if dropped before
/// it is committed by [`commit_all`] (so dropping one unused loses it).
#[derive(Debug)]
#[must_use = "an output that is not committed is removed when dropped"]
pub struct Pending {
    pub tmp: PathBuf,
    pub path: PathBuf,
    /// Written in place (a device or pipe) or already renamed.
    done: bool,
}

impl Pending {
    /// Reserve `path`: create the temporary file now, so an unwritable
    /// destination fails before any work is done. An existing path that is
    /// not a regular file (`/dev/null`, a named pipe) is written in place:
    /// renaming over it would replace the device with a file.
    pub fn new(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            return Err(Error::bad_input(
                path,
                "is a folder",
                "give a file name for the output",
            ));
        }
        if meta.is_ok_and(|m| !m.is_file()) {
            return Ok(Pending {
                tmp: path.to_path_buf(),
                path: path.to_path_buf(),
                done: true,
            });
        }
        let name = path.file_name().ok_or_else(|| {
            Error::bad_input(path, "not a file path", "give a file name for the output")
        })?;
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".tmp");
        remove_stale_temps(path, &prefix);
        let mut tmp_name = prefix;
        tmp_name.push(std::process::id().to_string());
        let tmp = path.with_file_name(tmp_name);
        let pending = Pending::adopt(&tmp, path);
        pending
            .create_locked(|t| std::fs::File::create(t))
            .map_err(|e| {
                Error::bad_input(
                    path,
                    format!("cannot write here ({e})"),
                    "choose an output path in an existing, writable folder",
                )
            })?;
        Ok(pending)
    }

    /// Run `create`, which creates (or recreates) this output's temporary
    /// file, under the registry lock. A signal's cleanup takes that lock,
    /// removes every registered file and keeps the lock until the process
    /// exits: a file created outside it could appear after the removal
    /// (the thread making it does not stop when the signal comes) and be
    /// left behind; under it, it is created before the cleanup (which then
    /// removes it) or never. Anything that creates a registered temporary
    /// file (htslib's writers, the index) goes through here.
    pub fn create_locked<T>(&self, create: impl FnOnce(&Path) -> T) -> T {
        let _held = registry();
        create(&self.tmp)
    }

    /// Take charge of a temporary file that something else creates at `tmp`.
    pub fn adopt(tmp: &Path, path: &Path) -> Self {
        registry().temps.push(tmp.to_path_buf());
        Pending {
            tmp: tmp.to_path_buf(),
            path: path.to_path_buf(),
            done: false,
        }
    }

    /// Where the file goes when committed (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file, opened for writing through [`Guarded`].
    pub fn open(&self) -> Result<std::io::BufWriter<Guarded<std::fs::File>>> {
        let f = (self.create_locked(|t| std::fs::File::create(t)))
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(std::io::BufWriter::new(Guarded(f)))
    }

    /// Write `text` as the whole file.
    pub fn write_all(&self, text: &str) -> Result<()> {
        let mut w = self.open()?;
        w.write_all(text.as_bytes())
            .and_then(|()| w.flush())
            .map_err(|e| Error::io(&self.path, e))
    }
}

impl Pending {
    /// Move this one finished file into place (see [`commit_all`]).
    pub fn commit(self) -> Result<()> {
        commit_all(vec![self])
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let mut reg = registry();
            let _ = std::fs::remove_file(&self.tmp);
            reg.temps.retain(|t| t != &self.tmp);
        }
    }
}

/// Move every finished output into place, all or none: the renames run
/// under the registry lock (a signal waits for them, then removes them
/// again); if one fails, those already renamed are removed.
pub fn commit_all(outputs: Vec<Pending>) -> Result<()> {
    let mut reg = registry();
    let mut placed = Vec::new();
    let mut failure = None;
    for p in &outputs {
        if p.done {
            continue;
        }
        if let Err(e) = std::fs::rename(&p.tmp, &p.path) {
            failure = Some(Error::io(&p.path, e));
            break;
        }
        placed.push(p.path.clone());
    }
    if let Some(e) = failure {
        for p in &placed {
            let _ = std::fs::remove_file(p);
        }
        drop(reg);
        return Err(e);
    }
    for mut p in outputs {
        if !p.done {
            reg.temps.retain(|t| t != &p.tmp);
            p.done = true;
        }
    }
    reg.placed.extend(placed);
    Ok(())
}

/// Remove `.NAME.tmpPID` (and `.NAME.tmpPID.tbi`) left beside `path` by an
/// earlier run that was killed (SIGKILL, power loss): only when no process
/// with that PID runs on this machine.
fn remove_stale_temps(path: &Path, prefix: &std::ffi::OsStr) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let (Ok(entries), Some(prefix)) = (std::fs::read_dir(dir), prefix.to_str()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let digits = rest.strip_suffix(".tbi").unwrap_or(rest);
        let Ok(pid) = digits.parse::<u32>() else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            log::info!("removing {} (left by a killed run)", entry.path().display());
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a process with this PID exists here (unknown counts as alive).
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    signals::alive(pid)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// Check a command's output paths before any work: none names a folder or
/// a folder that does not exist, no two are the same file, none is one of
/// the inputs or an input's index (`.bai`, `.csi`, `.crai`, `.fai`, `.gzi`,
/// `.tbi` beside it), and no input is a folder. `outputs` and `inputs` are
/// (option, path); `-` (stdout) and devices are skipped.
pub fn check_paths(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<()> {
    if let Some((option, path)) = inputs.iter().find(|(_, p)| p.is_dir()) {
        return Err(Error::bad_input(
            *path,
            format!("{option} names a folder, not a file"),
            format!("give the file itself with {option}"),
        ));
    }
    let mut seen: Vec<(&str, &Path, PathBuf)> = Vec::new();
    for &(option, path) in outputs {
        if path == Path::new("-") {
            continue;
        }
        let meta = std::fs::metadata(path);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            return Err(Error::bad_input(
                path,
                format!("{option} names a folder"),
                "give a file path for the output",
            ));
        }
        if meta.is_ok_and(|m| !m.is_file()) {
            continue;
        }
        let key = identity(path).ok_or_else(|| {
            Error::bad_input(
                path,
                format!("{option}: the folder does not exist"),
                "choose an output path in an existing, writable folder",
            )
        })?;
        if let Some((other, _, _)) = seen.iter().find(|(_, _, k)| *k == key) {
            return Err(Error::bad_input(
                path,
                format!("{other} and {option} name the same file"),
                "give each output its own path",
            ));
        }
        for &(input_option, input) in inputs {
            let index = |ext: &str| {
                let mut p = input.as_os_str().to_owned();
                p.push(ext);
                PathBuf::from(p)
            };
            let mut files = vec![input.to_path_buf()];
            files.extend(INDEXES.iter().map(|ext| index(ext)));
            if files
                .iter()
                .any(|f| std::fs::canonicalize(f).is_ok_and(|i| i == key))
            {
                return Err(Error::bad_input(
                    path,
                    format!("{option} names the {input_option} input or its index; it would be overwritten"),
                    "give the output another path",
                ));
            }
        }
        seen.push((option, path, key));
    }
    Ok(())
}

/// Index files that sit beside an input under its name plus this suffix.
const INDEXES: [&str; 6] = [".bai", ".csi", ".crai", ".fai", ".gzi", ".tbi"];

/// The absolute path a file has or would have: its folder resolved, its
/// name kept (the file itself need not exist yet).
fn identity(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(dir).ok()?.join(path.file_name()?))
}

/// Install SIGINT and SIGTERM handling for the binary: remove every
/// registered temporary file and every output this run already put in
/// place, then exit with 130 (SIGINT) or 143 (SIGTERM).
pub fn install_signal_cleanup() -> Result<()> {
    #[cfg(unix)]
    signals::install().map_err(|e| Error::Runtime(format!("cannot handle signals: {e}")))?;
    Ok(())
}

/// The signal side, kept small: the handler only writes the signal number
/// to a pipe (write(2) is async-signal-safe); a watcher thread reads it,
/// takes the registry lock (so it never races a rename), removes the files
/// and leaves with `_exit`.
#[cfg(unix)]
#[allow(unsafe_code)]
mod signals {
    use std::sync::atomic::{AtomicI32, Ordering};

    static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

    /// The handler. It may clobber `errno` of the thread it interrupts;
    /// harmless, as the process ends without that thread going on.
    extern "C" fn on_signal(sig: libc::c_int) {
        let byte = sig as u8;
        let fd = PIPE_WRITE.load(Ordering::Relaxed);
        // SAFETY: write(2) is async-signal-safe; `fd` is the pipe's write
        // end, open for the life of the process; `byte` outlives the call.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    }

    pub fn install() -> std::io::Result<()> {
        if PIPE_WRITE.load(Ordering::SeqCst) >= 0 {
            return Ok(());
        }
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors pipe(2) fills.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        PIPE_WRITE.store(fds[1], Ordering::SeqCst);
        let read_end = fds[0];
        std::thread::Builder::new()
            .name("ctdna-signals".into())
            .spawn(move || watch(read_end))?;
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: a zeroed sigaction is valid (no flags, empty mask is
            // set below); the handler is an `extern "C" fn(c_int)` that only
            // calls write(2).
            let rc = unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(sig, &action, std::ptr::null_mut())
            };
            if rc != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }

    fn watch(read_end: libc::c_int) {
        let mut byte = 0u8;
        loop {
            // SAFETY: reads one byte into `byte`, which outlives the call.
            let n = unsafe { libc::read(read_end, (&mut byte as *mut u8).cast(), 1) };
            if n == 1 {
                break;
            }
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        let _held = super::remove_everything();
        let name = if i32::from(byte) == libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        eprintln!("ctdna: stopped by {name}; no output written");
        // SAFETY: _exit ends the process at once; the registry lock is held,
        // so no thread can rename an output after the removal above.
        unsafe { libc::_exit(128 + i32::from(byte)) }
    }

    /// kill(pid, 0): the process exists (EPERM: exists, not ours).
    pub fn alive(pid: libc::pid_t) -> bool {
        // SAFETY: signal 0 only checks that the process exists.
        let rc = unsafe { libc::kill(pid, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
}

thread_local! {
    /// Bytes this thread may still write through [`Guarded`]; `None`: no limit.
    static WRITE_BUDGET: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Fault injection for tests: after `bytes` more bytes written through
/// [`Guarded`] writers on this thread, every write fails as a full disk
/// would. `None` lifts the limit. The binary never calls this.
#[doc(hidden)]
pub fn fail_writes_after(bytes: Option<u64>) {
    WRITE_BUDGET.with(|b| b.set(bytes));
}

/// The writer every output goes through: passes writes on, unless a test
/// set a budget with [`fail_writes_after`] and it is spent.
#[derive(Debug)]
pub struct Guarded<W>(pub W);

impl<W: Write> Write for Guarded<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        WRITE_BUDGET.with(|b| match b.get() {
            Some(left) if (buf.len() as u64) > left => {
                b.set(Some(0));
                Err(std::io::Error::other(
                    "no space left on device (injected write failure)",
                ))
            }
            Some(left) => {
                b.set(Some(left - buf.len() as u64));
                Ok(())
            }
            None => Ok(()),
        })?;
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A signal's cleanup holds the registry from its removal to the
    /// exit: a temporary file opened meanwhile (the writer's thread goes on
    /// until the exit) must wait for it, not appear after the removal.
    #[test]
    fn no_temporary_file_is_created_while_the_cleanup_holds_the_registry() {
        let d = tempfile::tempdir().unwrap();
        let w = Pending::new(&d.path().join("x.vcf.gz")).unwrap();
        let tmp = w.tmp.clone();
        let held = registry();
        std::fs::remove_file(&tmp).unwrap();
        let opener = std::thread::spawn(move || {
            w.open().unwrap();
            w
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        let appeared = tmp.exists();
        drop(held);
        let w = opener.join().unwrap();
        assert!(!appeared, "created under the cleanup's lock");
        assert!(tmp.exists());
        drop(w);
        assert!(names(d.path()).is_empty());
    }

    #[test]
    fn uncommitted_output_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.tsv");
        {
            let w = Pending::new(&p).unwrap();
            std::fs::write(&w.tmp, "partial").unwrap();
        }
        assert!(names(d.path()).is_empty());
        let w = Pending::new(&p).unwrap();
        std::fs::write(&w.tmp, "done").unwrap();
        w.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "done");
        assert_eq!(names(d.path()), ["x.tsv"]);
    }

    #[test]
    fn outputs_are_committed_together_or_not_at_all() {
        let d = tempfile::tempdir().unwrap();
        let a = Pending::new(&d.path().join("a.vcf")).unwrap();
        a.write_all("a").unwrap();
        // The second output's destination turns into a folder before the
        // end: the rename fails, and the first must not stay either.
        let b = Pending::new(&d.path().join("b.json")).unwrap();
        b.write_all("b").unwrap();
        std::fs::create_dir(d.path().join("b.json")).unwrap();
        std::fs::write(d.path().join("b.json").join("f"), "").unwrap();
        assert!(commit_all(vec![a, b]).is_err());
        assert_eq!(names(d.path()), ["b.json"], "a.vcf must be gone");
    }

    #[test]
    fn a_folder_is_refused_before_any_work() {
        let d = tempfile::tempdir().unwrap();
        let e = Pending::new(d.path()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("folder"), "{e}");
        let e = check_paths(&[("-o", d.path())], &[]).unwrap_err();
        assert!(e.to_string().contains("-o names a folder"), "{e}");
    }

    #[test]
    fn two_outputs_on_one_path_and_an_output_on_an_input_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let bam = d.path().join("s.bam");
        std::fs::write(&bam, "x").unwrap();
        let out = d.path().join("o.json");
        let same = d.path().join(".").join("o.json");
        let e = check_paths(&[("-o", &out), ("--metrics", &same)], &[]).unwrap_err();
        assert!(
            e.to_string()
                .contains("-o and --metrics name the same file"),
            "{e}"
        );
        assert_eq!(e.exit_code(), 2);
        let e = check_paths(&[("-o", &out)], &[("--targets", d.path())]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--targets names a folder"), "{e}");
        let e = check_paths(&[("--metrics", &bam)], &[("--bam", &bam)]).unwrap_err();
        assert!(
            e.to_string().contains("--metrics names the --bam input"),
            "{e}"
        );
        let bai = d.path().join("s.bam.bai");
        std::fs::write(&bai, "i").unwrap();
        let e = check_paths(&[("-o", &bai)], &[("--bam", &bam)]).unwrap_err();
        assert!(
            e.to_string()
                .contains("-o names the --bam input or its index"),
            "{e}"
        );
        check_paths(&[("-o", &out), ("--metrics", &bam)], &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&bam).unwrap(), "x");
        let e = check_paths(&[("-o", &d.path().join("no/such/x.vcf"))], &[]).unwrap_err();
        assert!(e.to_string().contains("folder does not exist"), "{e}");
    }

    #[test]
    fn stale_temporary_files_of_dead_runs_are_removed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.vcf.gz");
        // PIDs above the kernel's maximum (4194304) never run.
        for stale in [".x.vcf.gz.tmp99999999", ".x.vcf.gz.tmp99999999.tbi"] {
            std::fs::write(d.path().join(stale), "").unwrap();
        }
        std::fs::write(d.path().join(".x.vcf.gz.tmpabc"), "").unwrap();
        let w = Pending::new(&p).unwrap();
        let own = w.tmp.file_name().unwrap().to_string_lossy().into_owned();
        let mut want = vec![".x.vcf.gz.tmpabc".to_string(), own];
        want.sort();
        assert_eq!(names(d.path()), want);
    }

    #[test]
    fn injected_write_failure_fails_after_the_budget() {
        let mut w = Guarded(Vec::new());
        fail_writes_after(Some(5));
        w.write_all(b"abc").unwrap();
        assert!(w.write_all(b"def").is_err());
        fail_writes_after(None);
        w.write_all(b"ghi").unwrap();
        assert_eq!(w.0, b"abcghi");
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
