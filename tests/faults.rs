//! Faults while a run writes or is stopped: a full disk at any byte of any
//! output, SIGINT and SIGTERM at several moments, a truncated BAM, output
//! paths that cannot work. Whatever happens: a non-zero exit, and neither
//! an output nor a temporary file left (docs/failure.md).

mod common;

use clap::Parser;
use common::{ctdna, files_in, s, stderr};
use ctdna::simulate::{params::SimParams, simulate};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A small plasma simulation with tumor loci (`tumor.vcf.gz`), no UMIs:
/// enough for `call`, `count`, `pon` and `mrd` to write every output.
fn small(dir: &Path) -> PathBuf {
    let p = SimParams {
        seed: 7,
        tumor_fraction: Some(0.02),
        snvs_per_vaf: 50,
        indels_per_vaf: 0,
        contigs: 1,
        contig_len: 40_000,
        dup_segments: 0,
        paralog_targets: 0,
        targets: 4,
        target_min_len: 300,
        target_max_len: 400,
        depth: 300,
        family_size: 1.0,
        umi_len: 0,
        bam_compression: 1,
        ..SimParams::default()
    };
    let sim = dir.join("sim");
    simulate(&p, &sim).unwrap();
    sim
}

/// Run a command in this process, as the binary would.
fn run_here(args: &[String]) -> ctdna::Result<()> {
    let cli = ctdna::cli::Cli::try_parse_from(
        std::iter::once("ctdna".to_string()).chain(args.iter().cloned()),
    )
    .unwrap();
    ctdna::commands::run(cli.command)
}

/// Bytes the output layer writes into `path` (uncompressed for BGZF).
fn written_bytes(path: &Path) -> u64 {
    let raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut r = rust_htslib::bgzf::Reader::from_path(path).unwrap();
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        v.len() as u64
    } else {
        raw.len() as u64
    }
}

/// Run `args` (writing into `out`) once in full, then with the disk
/// "full" after N bytes for N from 0 to 100 bytes short of everything the
/// run writes (the metrics' runtime and memory may print a few digits more
/// or less): every one fails and leaves `out` empty; with room to spare it
/// succeeds again.
fn disk_full_sweep(out: &Path, args: &[String]) {
    run_here(args).unwrap();
    let outputs = files_in(out);
    assert!(outputs.len() >= 2, "{outputs:?}");
    let total: u64 = outputs
        .iter()
        .filter(|f| !f.ends_with(".tbi"))
        .map(|f| written_bytes(&out.join(f)))
        .sum();
    for f in &outputs {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    let mut budgets = vec![0, 1, total / 5, total / 2, total * 4 / 5, total - 100];
    budgets.dedup();
    for n in budgets {
        ctdna::atomic::fail_writes_after(Some(n));
        let r = run_here(args);
        ctdna::atomic::fail_writes_after(None);
        let e = r.expect_err(&format!(
            "{}: a full disk after {n} of {total} bytes must fail",
            args[0]
        ));
        assert!(e.to_string().contains("no space left"), "{e}");
        assert_eq!(
            files_in(out),
            Vec::<String>::new(),
            "after {n} of {total} bytes"
        );
    }
    ctdna::atomic::fail_writes_after(Some(total + 100));
    let r = run_here(args);
    ctdna::atomic::fail_writes_after(None);
    r.unwrap();
    assert_eq!(files_in(out), outputs);
    for f in &outputs {
        std::fs::remove_file(out.join(f)).unwrap();
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn a_full_disk_in_any_output_of_any_command_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sim = small(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let f = |name: &str| s(&sim.join(name)).to_string();
    let o = |name: &str| s(&out.join(name)).to_string();
    let (bam, fa, bed) = (f("sample.bam"), f("ref.fa"), f("targets.bed"));
    let base = ["--bam", &bam, "-r", &fa, "-t", &bed];

    let mut call = strings(&["call"]);
    call.extend(strings(&base));
    call.extend([
        "-o".into(),
        o("calls.vcf.gz"),
        "--metrics".into(),
        o("calls.json"),
        "--lod-bedgraph".into(),
        o("lod.bg"),
        "--write-background".into(),
        o("background.json"),
    ]);
    disk_full_sweep(&out, &call);

    let mut count = strings(&["count"]);
    count.extend(strings(&base));
    count.extend([
        "-o".into(),
        o("counts.tsv"),
        "--metrics".into(),
        o("count.json"),
    ]);
    disk_full_sweep(&out, &count);

    let mut mrd = strings(&["mrd", "--bam", &bam, "-r", &fa, "--tumor-variants"]);
    mrd.push(f("tumor.vcf.gz"));
    mrd.extend(["-o".into(), o("mrd.json"), "--tsv".into(), o("loci.tsv")]);
    mrd.extend(["--vcf".into(), o("loci.vcf.gz")]);
    disk_full_sweep(&out, &mrd);

    // `pon` has one output (plus nothing else to keep consistent): a full
    // disk anywhere in it leaves no file.
    let pon_path = out.join("normals.pon");
    let mut pon = strings(&["pon", "--bam", &bam, "-r", &fa, "-t", &bed, "-o"]);
    pon.push(o("normals.pon"));
    run_here(&pon).unwrap();
    let total = written_bytes(&pon_path);
    std::fs::remove_file(&pon_path).unwrap();
    for n in [0, total / 2, total - 1] {
        ctdna::atomic::fail_writes_after(Some(n));
        let r = run_here(&pon);
        ctdna::atomic::fail_writes_after(None);
        assert!(
            r.is_err(),
            "pon with a full disk after {n} of {total} bytes"
        );
        assert_eq!(files_in(&out), Vec::<String>::new());
    }
}

#[test]
fn output_paths_are_checked_before_the_run() {
    let d = common::dataset(10);
    let dir = d.dir.path();
    let folder = dir.join("a_folder");
    std::fs::create_dir(&folder).unwrap();
    let bam_before = std::fs::read(&d.bam).unwrap();
    let before = files_in(dir);
    let (bam, fa, bed) = (s(&d.bam), s(&d.reference), s(&d.bed));
    let vcf = dir.join("c.vcf.gz");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["call", "-o", s(&folder)], "-o names a folder"),
        (
            vec!["call", "-o", s(&vcf), "--metrics", s(&folder)],
            "--metrics names a folder",
        ),
        (
            vec!["call", "-o", s(&vcf), "--metrics", bam],
            "--metrics names the --bam input",
        ),
        (
            vec!["call", "-o", s(&vcf), "--lod-bedgraph", bed],
            "--lod-bedgraph names the --targets input",
        ),
        (
            vec![
                "call",
                "-o",
                s(&vcf),
                "--metrics",
                "x.json",
                "--lod-bedgraph",
                "./x.json",
            ],
            "--metrics and --lod-bedgraph name the same file",
        ),
        (
            vec![
                "call",
                "-o",
                "c.vcf.gz",
                "--write-background",
                "c.vcf.gz.tbi",
            ],
            "-o and --write-background name the same file",
        ),
        (
            vec!["call", "-o", "no/such/folder/c.vcf"],
            "the folder does not exist",
        ),
        (vec!["count", "-o", s(&folder)], "-o names a folder"),
        (
            vec!["count", "-o", "t.tsv", "--metrics", fa],
            "--metrics names the --reference input",
        ),
        (vec!["pon", "-o", bam], "-o names the --bam input"),
    ];
    for (extra, want) in cases {
        let mut args = vec![extra[0], "--bam", bam, "-r", fa, "-t", bed];
        args.extend(&extra[1..]);
        let o = Command::new(env!("CARGO_BIN_EXE_ctdna"))
            .args(&args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
        assert_eq!(files_in(dir), before, "{args:?} wrote something");
        assert!(files_in(&folder).is_empty());
    }
    assert_eq!(std::fs::read(&d.bam).unwrap(), bam_before);
    // mrd: its JSON and its TSV on one path.
    let o = ctdna(&[
        "mrd",
        "--bam",
        bam,
        "-r",
        fa,
        "--tumor-variants",
        bam,
        "-o",
        s(&vcf),
        "--tsv",
        s(&vcf),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("-o and --tsv name the same file"),
        "{}",
        stderr(&o)
    );
}

/// A simulation big enough that `call --threads 1` counts for a few
/// seconds.
fn big(dir: &Path) -> PathBuf {
    let p = SimParams {
        seed: 5,
        contigs: 1,
        contig_len: 100_000,
        dup_segments: 0,
        paralog_targets: 0,
        targets: 20,
        target_min_len: 800,
        target_max_len: 1000,
        depth: 1500,
        family_size: 1.0,
        umi_len: 0,
        bam_compression: 1,
        ..SimParams::default()
    };
    let sim = dir.join("big");
    simulate(&p, &sim).unwrap();
    sim
}

/// When the signal is sent.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// Right after the start (perhaps before the handler is installed).
    AtStart,
    /// Once the temporary outputs exist (counting has begun).
    Reserved,
    /// This share of an uninterrupted run's time after the start.
    Share(f64),
}

/// `call` with every output into `out`, as a child process.
fn spawn_call(sim: &Path, out: &Path) -> std::process::Child {
    let f = |name: &str| sim.join(name);
    Command::new(env!("CARGO_BIN_EXE_ctdna"))
        .args(["call", "--quiet", "--threads", "1", "--bam"])
        .arg(f("sample.bam"))
        .arg("-r")
        .arg(f("ref.fa"))
        .arg("-t")
        .arg(f("targets.bed"))
        .arg("-o")
        .arg(out.join("calls.vcf.gz"))
        .arg("--metrics")
        .arg(out.join("calls.json"))
        .arg("--lod-bedgraph")
        .arg(out.join("lod.bg"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

const ALL_OUTPUTS: [&str; 4] = ["calls.json", "calls.vcf.gz", "calls.vcf.gz.tbi", "lod.bg"];

#[test]
fn sigint_and_sigterm_at_any_moment_leave_nothing() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let sim = big(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let started = Instant::now();
    let o = spawn_call(&sim, &out).wait_with_output().unwrap();
    let full = started.elapsed();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(files_in(&out), ALL_OUTPUTS);
    for f in ALL_OUTPUTS {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    let sim_files = files_in(&sim);
    let moments = [
        Moment::AtStart,
        Moment::Reserved,
        Moment::Share(0.5),
        Moment::Share(0.9),
        Moment::Share(1.0),
    ];
    for (signal, number) in [("INT", 2), ("TERM", 15)] {
        for moment in moments {
            let child = spawn_call(&sim, &out);
            let t0 = Instant::now();
            match moment {
                Moment::AtStart => {}
                Moment::Reserved => {
                    while !files_in(&out).iter().any(|f| f.contains(".tmp")) {
                        assert!(t0.elapsed() < Duration::from_secs(120), "no temporary file");
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
                Moment::Share(x) => std::thread::sleep(full.mul_f64(x)),
            }
            let kill = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(child.id().to_string())
                .status()
                .unwrap();
            let o = child.wait_with_output().unwrap();
            let what = format!("SIG{signal} {moment:?}: {:?} {}", o.status, stderr(&o));
            if o.status.success() {
                // The run ended before the signal came: everything is there.
                assert!(
                    !matches!(moment, Moment::AtStart | Moment::Reserved),
                    "{what}"
                );
                assert_eq!(files_in(&out), ALL_OUTPUTS, "{what}");
                for f in ALL_OUTPUTS {
                    std::fs::remove_file(out.join(f)).unwrap();
                }
            } else {
                assert!(kill.success(), "{what}");
                let by_handler = o.status.code() == Some(128 + number);
                let before_handler =
                    matches!(moment, Moment::AtStart) && o.status.signal() == Some(number);
                assert!(by_handler || before_handler, "{what}");
                if matches!(moment, Moment::Reserved) {
                    assert!(by_handler, "{what}");
                }
                assert_eq!(files_in(&out), Vec::<String>::new(), "{what}");
            }
            assert_eq!(files_in(&sim), sim_files, "{what}");
        }
    }
}

#[test]
fn a_truncated_bam_fails_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sim = small(dir.path());
    let bam = std::fs::read(sim.join("sample.bam")).unwrap();
    let bai = sim.join("sample.bam.bai");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let cut_bam = dir.path().join("cut.bam");
    let n = bam.len();
    // Inside compressed blocks.
    // (A BAM cut at a block boundary, without its end-of-file block, is
    // the input checks' business.)
    for at in [n / 10, n / 3 + 7, n / 2 + 13, n * 9 / 10 + 1] {
        std::fs::write(&cut_bam, &bam[..at]).unwrap();
        // The index is copied after the cut, so that it is not older than
        // the BAM: the run reaches the reads.
        std::fs::copy(&bai, dir.path().join("cut.bam.bai")).unwrap();
        let o = ctdna(&[
            "call",
            "--quiet",
            "--bam",
            s(&cut_bam),
            "-r",
            s(&sim.join("ref.fa")),
            "-t",
            s(&sim.join("targets.bed")),
            "-o",
            s(&out.join("calls.vcf.gz")),
            "--metrics",
            s(&out.join("calls.json")),
        ]);
        assert!(!o.status.success(), "BAM cut at {at} of {n}: exit 0");
        assert_ne!(o.status.code(), Some(101), "{}", stderr(&o));
        assert_eq!(
            files_in(&out),
            Vec::<String>::new(),
            "BAM cut at {at} of {n}"
        );
    }
}

#[test]
fn temporary_files_of_a_killed_run_are_removed_by_the_next() {
    let d = common::dataset(10);
    let dir = d.dir.path();
    // SIGKILL cannot be handled: its temporary files stay until a run
    // writing the same output finds that their process is gone.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ctdna"))
        .args([
            "call",
            "--bam",
            s(&d.bam),
            "-r",
            s(&d.reference),
            "-t",
            s(&d.bed),
        ])
        .args(["-o", "c.vcf.gz", "--metrics", "c.json"])
        .current_dir(dir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    // Wait for the temporary outputs, or the end of the (short) run.
    while !files_in(dir).iter().any(|f| f.contains(".tmp")) {
        if child.try_wait().unwrap().is_some() || t0.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Whatever the kill left, plus a stale file made by hand (a PID above
    // the kernel's maximum never runs).
    std::fs::write(dir.join(".c.vcf.gz.tmp99999999"), "").unwrap();
    std::fs::write(dir.join(".c.json.tmp99999999"), "").unwrap();
    let o = ctdna(&[
        "call",
        "--quiet",
        "--bam",
        s(&d.bam),
        "-r",
        s(&d.reference),
        "-t",
        s(&d.bed),
        "-o",
        s(&dir.join("c.vcf.gz")),
        "--metrics",
        s(&dir.join("c.json")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let left: Vec<String> = files_in(dir)
        .into_iter()
        .filter(|f| f.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_panel_of_normals_cut_at_a_line_boundary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sim = small(dir.path());
    let f = |name: &str| s(&sim.join(name)).to_string();
    let (bam, fa, bed) = (f("sample.bam"), f("ref.fa"), f("targets.bed"));
    let pon = dir.path().join("n.pon");
    let o = ctdna(&[
        "pon",
        "--quiet",
        "--bam",
        &bam,
        "-r",
        &fa,
        "-t",
        &bed,
        "-o",
        s(&pon),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Drop the last tenth of the rows, at a line boundary, and compress
    // again: a file that looks whole to any BGZF reader.
    let mut text = String::new();
    rust_htslib::bgzf::Reader::from_path(&pon)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let keep = lines.len() * 9 / 10;
    let cut = dir.path().join("cut.pon");
    let mut w = rust_htslib::bgzf::Writer::from_path(&cut).unwrap();
    std::io::Write::write_all(&mut w, (lines[..keep].join("\n") + "\n").as_bytes()).unwrap();
    drop(w);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let runs: [Vec<&str>; 2] = [
        vec!["call", "--bam", &bam, "-r", &fa, "-t", &bed, "-o", "c.vcf"],
        vec!["mrd", "--bam", &bam, "-r", &fa, "-t", &bed, "-o", "m.json"],
    ];
    for mut args in runs {
        let tumor = f("tumor.vcf.gz");
        if args[0] == "mrd" {
            args.extend(["--tumor-variants", &tumor]);
        }
        args.extend(["--pon", s(&cut)]);
        let o = Command::new(env!("CARGO_BIN_EXE_ctdna"))
            .args(&args)
            .current_dir(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("truncated panel of normals"),
            "{}",
            stderr(&o)
        );
        assert!(files_in(&out).is_empty());
    }
}
