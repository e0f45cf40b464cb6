//! Fuzzing the readers and the read loops (issue 24): one test per target,
//! each running mutated inputs for `CTDNA_FUZZ_SECS` seconds (default 5).
//! The property: no panic, no hang (`CTDNA_FUZZ_CASE_SECS` a case), every
//! refusal a crate error. Text inputs are mutated from real files (the
//! fixtures in test-data/ and files the crate writes itself); read records
//! are drawn at random. A failure names the seed and case and shows the
//! minimised input. docs/fuzzing.md says how to run it longer.

#[path = "fuzz/harness.rs"]
mod harness;
#[path = "fuzz/mutate.rs"]
mod mutate;
#[path = "fuzz/reads.rs"]
mod reads;

use clap::Parser;
use mutate::Text;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::OnceLock;

fn test_data(f: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test-data")
        .join(f)
}

/// A bgzipped (or plain) text file's content.
fn unzip(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut r = rust_htslib::bgzf::Reader::from_path(path).expect("open seed");
    let mut out = Vec::new();
    r.read_to_end(&mut out).expect("read seed");
    out
}

/// Run one ctdna command in this process (`-@ 1 --quiet` added).
fn ctdna(args: &[&str]) -> ctdna::Result<()> {
    let mut all = vec!["ctdna"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-@", "1", "--quiet"]);
    let cli = ctdna::cli::Cli::try_parse_from(&all).expect("the harness's command line parses");
    ctdna::commands::run(cli.command)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Files the seeds need, made once per process: a two-target panel of
/// test-data, and a PoN and a background written by the crate over it.
struct Made {
    dir: PathBuf,
    bed: PathBuf,
    pon: Vec<u8>,
    background: Vec<u8>,
}

fn made() -> &'static Made {
    static MADE: OnceLock<Made> = OnceLock::new();
    MADE.get_or_init(|| {
        quiet_htslib();
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("seed folder");
        let bed = dir.join("panel.bed");
        let targets = std::fs::read_to_string(test_data("targets.bed")).expect("targets.bed");
        let two: String = targets.lines().take(2).map(|l| format!("{l}\n")).collect();
        std::fs::write(&bed, two).expect("panel.bed");
        let (bam, fa) = (test_data("sample.bam"), test_data("ref.fa"));
        // A second normal: the same reads under another file (one BAM
        // given twice is refused).
        let bam2 = dir.join("normal2.bam");
        std::fs::copy(&bam, &bam2).expect("copy the BAM");
        std::fs::copy(test_data("sample.bam.bai"), dir.join("normal2.bam.bai"))
            .expect("copy the index");
        let pon = dir.join("seed.pon");
        let bg = dir.join("seed.background.json");
        ctdna(&[
            "pon",
            "--bam",
            s(&bam),
            "--bam",
            s(&bam2),
            "-r",
            s(&fa),
            "-t",
            s(&bed),
            "-o",
            s(&pon),
        ])
        .expect("write the seed PoN");
        ctdna(&[
            "call",
            "--bam",
            s(&bam),
            "-r",
            s(&fa),
            "-t",
            s(&bed),
            "-o",
            s(&dir.join("seed.vcf.gz")),
            "--write-background",
            s(&bg),
        ])
        .expect("write the seed background");
        Made {
            pon: unzip(&pon),
            background: std::fs::read(&bg).expect("read the seed background"),
            dir,
            bed,
        }
    })
}

/// htslib's own messages (thousands of "CRC32 checksum mismatch" lines)
/// are off: the crate's errors are what the harness checks.
fn quiet_htslib() {
    // SAFETY: sets one global integer in htslib, before any case runs.
    #[allow(unsafe_code)]
    unsafe {
        rust_htslib::htslib::hts_set_log_level(rust_htslib::htslib::htsLogLevel_HTS_LOG_OFF);
    }
}

/// A case's own folder (per target: targets may run in parallel).
fn case_dir(target: &str) -> PathBuf {
    let d = made().dir.join(target);
    std::fs::create_dir_all(&d).expect("case folder");
    d
}

fn reference() -> ctdna::reference::Reference {
    ctdna::reference::Reference::open(&test_data("ref.fa")).expect("test-data reference")
}

/// The PoN seed cut to its header and first `rows` rows (small seeds let
/// mutations reach the rows; the whole file is a seed too).
fn head_lines(b: &[u8], rows: usize) -> Vec<u8> {
    mutate::split_lines(b)
        .into_iter()
        .take(rows + 2)
        .collect::<Vec<_>>()
        .concat()
}

/// A target whose seeds and runner are given; `gz` allows bgzipped wraps.
fn fuzz_text(
    target: &str,
    seeds: Vec<Vec<u8>>,
    gz: bool,
    run: impl Fn(&Path) -> ctdna::Result<()> + Send + Sync + 'static,
) -> harness::Tally {
    let dir = case_dir(target);
    harness::fuzz(
        target,
        move |rng| mutate::mutate(rng, &seeds, gz),
        move |t: &Text, label| {
            let p = dir.join(format!("{label}.input"));
            t.write(&p);
            run(&p)
        },
    )
}

#[test]
fn fuzz_bed() {
    let reference = reference();
    let seeds = vec![
        std::fs::read(test_data("targets.bed")).expect("targets.bed"),
        std::fs::read(test_data("negatives.bed")).expect("negatives.bed"),
        b"track name=panel\nbrowser position chr1:1-100\n# comment\nchr1\t0\t1\tfirst\t0\t+\n\
chr1\t29990\t30000\nchr2\t100\t200\tx\nchr2\t150\t250\nchr2\t250\t260\n"
            .to_vec(),
    ];
    fuzz_text("bed", seeds, false, move |p| {
        let targets = ctdna::regions::read_bed(p, &reference)?;
        let merged = ctdna::regions::merge(targets);
        let shards = ctdna::regions::shards(&merged, 1000);
        let _ = ctdna::regions::batches(&shards, 2);
        let _ = ctdna::regions::chunk(&merged, 1, 3);
        let _ = ctdna::regions::shard_size(&merged, 2);
        Ok(())
    });
}

/// VCF seeds: the simulated truth, the GIAB fixture and hand-made edge
/// records (multi-allelic, indels, lower case, N, contig ends).
fn vcf_seeds() -> Vec<Vec<u8>> {
    vec![
        unzip(&test_data("truth.vcf.gz")),
        unzip(&test_data(
            "fixtures/nucleus-giab-chr20/test_nist.b37_chr20_100kbp_at_10mb.vcf.gz",
        )),
        b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
chr1\t1\t.\tN\tA\t.\t.\t.\nchr1\t17440\t.\tA\tC,G\t.\tPASS\tCCF=0.5\n\
chr1\t17530\t.\tg\tgcgt\t.\t.\tTVAF=0.2\nchr2\t4927\t.\tTC\tT\t.\t.\t.\n\
chr2\t29999\t.\tAC\tA\t.\t.\t.\nchr1\t755\tx\tCAA\tC\t.\t.\tCCF=1;TVAF=0.4\n"
            .to_vec(),
    ]
}

#[test]
fn fuzz_known_vcf() {
    let reference = reference();
    let (bam, fa, bed) = (
        test_data("sample.bam"),
        test_data("ref.fa"),
        made().bed.clone(),
    );
    let out = case_dir("known").join("out.vcf.gz");
    fuzz_text("known", vcf_seeds(), true, move |p| {
        let known = ctdna::loci::read_known(p, &reference)?;
        let known = ctdna::loci::normalize_known(known, &reference)?;
        let _ = ctdna::loci::known_targets(&known, &reference, 50);
        // Accepted loci go through a whole run: they add targets.
        ctdna(&[
            "call",
            "--bam",
            s(&bam),
            "-r",
            s(&fa),
            "-t",
            s(&bed),
            "--known",
            s(p),
            "-o",
            s(&out),
        ])
    });
}

#[test]
fn fuzz_tumor_vcf() {
    let reference = reference();
    let (bam, fa) = (test_data("sample.bam"), test_data("ref.fa"));
    let out = case_dir("tumor").join("mrd.json");
    fuzz_text("tumor", vcf_seeds(), true, move |p| {
        ctdna::mrd::loci::read_tumor_variants(p, &reference, 0.7)?;
        ctdna(&[
            "mrd",
            "--bam",
            s(&bam),
            "-r",
            s(&fa),
            "--tumor-variants",
            s(p),
            "-o",
            s(&out),
            "--lod-replicates",
            "5",
        ])
    });
}

#[test]
fn fuzz_pon() {
    let m = made();
    let seeds = vec![m.pon.clone(), head_lines(&m.pon, 3), head_lines(&m.pon, 40)];
    let (bam, fa, bed) = (test_data("sample.bam"), test_data("ref.fa"), m.bed.clone());
    let out = case_dir("pon").join("out.vcf.gz");
    fuzz_text("pon", seeds, true, move |p| {
        ctdna::model::pon_file::read(p)?;
        ctdna(&[
            "call",
            "--bam",
            s(&bam),
            "-r",
            s(&fa),
            "-t",
            s(&bed),
            "--pon",
            s(p),
            "-o",
            s(&out),
        ])
    });
}

#[test]
fn fuzz_background() {
    let m = made();
    let (bam, fa, bed) = (test_data("sample.bam"), test_data("ref.fa"), m.bed.clone());
    let out = case_dir("background").join("out.vcf.gz");
    fuzz_text("background", vec![m.background.clone()], false, move |p| {
        ctdna(&[
            "call",
            "--bam",
            s(&bam),
            "-r",
            s(&fa),
            "-t",
            s(&bed),
            "--background",
            s(p),
            "-o",
            s(&out),
        ])
    });
}

#[test]
fn fuzz_reads() {
    let seq = ctdna::testing::random_sequence(reads::CONTIG_LEN as usize, 7).into_bytes();
    let dir = case_dir("reads");
    quiet_htslib();
    let gen_seq = seq.clone();
    harness::fuzz(
        "reads",
        move |rng| reads::generate(rng, &gen_seq),
        move |case: &reads::Reads, label| {
            let d = dir.join(label);
            std::fs::create_dir_all(&d).expect("case folder");
            reads::run(case, &d, &seq)
        },
    );
    eprintln!(
        "fuzz reads: {} of those cases not run (htslib would not write or index the records); \
         {} reads used, {} overlapping mate pairs merged",
        reads::SKIPPED.load(Relaxed),
        reads::USED.load(Relaxed),
        reads::PAIRS.load(Relaxed)
    );
}

/// A folder where a bgzipped-or-plain input is expected: refused with exit
/// code 2. rust-htslib's BGZF reader returned a null handle for it and the
/// first read crashed the process (SIGSEGV, exit 139), for `--known`,
/// `--pon` and `--tumor-variants` alike (found by the fuzz harness).
#[test]
fn a_folder_as_a_text_input_is_refused_not_a_crash() {
    let m = made();
    let folder = m.dir.join("a-folder");
    std::fs::create_dir_all(&folder).expect("folder");
    let (bam, fa, bed) = (test_data("sample.bam"), test_data("ref.fa"), m.bed.clone());
    let out = m.dir.join("folder-out.vcf.gz");
    let call = |opt: &str| {
        vec![
            "call",
            "--bam",
            s(&bam),
            "-r",
            s(&fa),
            "-t",
            s(&bed),
            opt,
            s(&folder),
            "-o",
            s(&out),
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let mrd: Vec<String> = [
        "mrd",
        "--bam",
        s(&bam),
        "-r",
        s(&fa),
        "--tumor-variants",
        s(&folder),
        "-o",
        s(&m.dir.join("folder-mrd.json")),
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for args in [call("--known"), call("--pon"), mrd] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ctdna"))
            .args(&args)
            .output()
            .expect("run ctdna");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {:?} {err}", o.status);
        assert!(err.contains("a-folder"), "{err}");
    }
}
