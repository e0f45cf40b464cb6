//! Bad input gives a clear error (exit 2) and leaves no output behind.

mod common;
use common::*;
use std::path::Path;

fn call(d: &DataSet, bam: &Path, bed: &Path, out: &Path) -> std::process::Output {
    ctdna(&[
        "call",
        "--bam",
        s(bam),
        "-r",
        s(&d.reference),
        "-t",
        s(bed),
        "-o",
        s(out),
        "--quiet",
    ])
}

/// Run, expect exit 2 with `needle` in the message and no file in `out_dir`.
fn refused(d: &DataSet, bam: &Path, bed: &Path, needle: &str) {
    let out_dir = tempfile::tempdir().unwrap();
    let o = call(d, bam, bed, &out_dir.path().join("calls.vcf.gz"));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(
        files_in(out_dir.path()).is_empty(),
        "{:?}",
        files_in(out_dir.path())
    );
}

#[test]
fn missing_index() {
    let d = dataset(10);
    std::fs::remove_file(d.bam.with_extension("bam.bai")).unwrap();
    refused(&d, &d.bam, &d.bed, "samtools index");
}

#[test]
fn stale_index() {
    let d = dataset(10);
    let f = std::fs::File::options().append(true).open(&d.bam).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    f.set_modified(later).unwrap();
    refused(&d, &d.bam, &d.bed, "stale");
}

#[test]
fn unsorted_bam() {
    let d = dataset(10);
    let chr2 = ctdna::testing::random_sequence(CHR2_LEN, 12);
    let sam = sam_text(&d.chr1, &chr2, &[], 10, CHR1_LEN, "queryname");
    let bam = ctdna::testing::sam_to_bam(d.dir.path(), "qsorted", &sam);
    refused(&d, &bam, &d.bed, "coordinate-sorted");
}

/// A sorted, indexed BAM whose header says `SO:unsorted` (or `unknown`):
/// the index proves the order, so it is called as the same reads with
/// `SO:coordinate` are.
#[test]
fn sorted_indexed_bam_whose_header_says_unsorted_is_accepted() {
    let d = dataset(2);
    let chr2 = ctdna::testing::random_sequence(CHR2_LEN, 12);
    let spikes = default_spikes(&d.chr1);
    let records = |so: &str| {
        let sam = sam_text(&d.chr1, &chr2, &spikes, 2, CHR1_LEN, so);
        let bam = ctdna::testing::sam_to_bam(d.dir.path(), so, &sam);
        let out = d.dir.path().join(format!("{so}.vcf"));
        let o = call(&d, &bam, &d.bed, &out);
        assert!(o.status.success(), "SO:{so}: {}", stderr(&o));
        let text = std::fs::read_to_string(&out).unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let coordinate = records("coordinate");
    assert!(!coordinate.is_empty());
    assert_eq!(records("unsorted"), coordinate);
    assert_eq!(records("unknown"), coordinate);
}

/// A header-only BAM: a VCF without records, a warning, exit 0 (issue 20,
/// point 9; UMI detection failed on the empty fetch).
#[test]
fn empty_bam_gives_a_vcf_without_records_and_a_warning() {
    let d = dataset(10);
    let chr2 = ctdna::testing::random_sequence(CHR2_LEN, 12);
    let sam = sam_text(&d.chr1, &chr2, &[], 10, CHR1_LEN, "coordinate");
    let header: String = sam
        .lines()
        .filter(|l| l.starts_with('@'))
        .map(|l| format!("{l}\n"))
        .collect();
    let bam = ctdna::testing::sam_to_bam(d.dir.path(), "empty", &header);
    let out = d.dir.path().join("empty.vcf");
    let o = ctdna(&[
        "call",
        "--bam",
        s(&bam),
        "-r",
        s(&d.reference),
        "-t",
        s(&d.bed),
        "-o",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("holds no reads"), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("##fileformat=VCF"));
    assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 0);
}

/// Contigs named `1, 2` in the BAM against `chr1, chr2` in the reference
/// and BED: nothing could be counted, so exit 2 naming both (issue 20,
/// point 8); before, an empty VCF and exit 0.
#[test]
fn bam_with_other_contig_names_is_refused_naming_both() {
    let d = dataset(10);
    let chr2 = ctdna::testing::random_sequence(CHR2_LEN, 12);
    let sam = sam_text(
        &d.chr1,
        &chr2,
        &default_spikes(&d.chr1),
        10,
        CHR1_LEN,
        "coordinate",
    )
    .replace("SN:chr1", "SN:1")
    .replace("SN:chr2", "SN:2")
    .replace("\tchr1\t", "\t1\t")
    .replace("\tchr2\t", "\t2\t");
    let bam = ctdna::testing::sam_to_bam(d.dir.path(), "numbered", &sam);
    let out = tempfile::tempdir().unwrap();
    let o = call(&d, &bam, &d.bed, &out.path().join("calls.vcf.gz"));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for needle in ["chr1", "whose contigs are 1, 2", "samtools reheader"] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(files_in(out.path()).is_empty());
}

#[test]
fn contig_missing_from_reference() {
    let d = dataset(10);
    let bed = d.dir.path().join("bad.bed");
    std::fs::write(&bed, "chr1\t10\t20\nchrZ\t1\t5\n").unwrap();
    refused(&d, &d.bam, &bed, "bad.bed:2");
}

#[test]
fn contig_of_another_length_in_the_bam() {
    let d = dataset(10);
    let chr2 = ctdna::testing::random_sequence(CHR2_LEN, 12);
    let sam = sam_text(&d.chr1, &chr2, &[], 10, CHR1_LEN + 5, "coordinate");
    let bam = ctdna::testing::sam_to_bam(d.dir.path(), "otherlen", &sam);
    refused(&d, &bam, &d.bed, "length");
}

#[test]
fn bed_with_a_bad_line_names_it() {
    let d = dataset(10);
    let bed = d.dir.path().join("bad.bed");
    std::fs::write(&bed, "# header\nchr1\t10\t20\nchr1\t30\n").unwrap();
    refused(&d, &d.bam, &bed, "bad.bed:3");
    std::fs::write(&bed, "chr1\t50\t20\n").unwrap();
    refused(&d, &d.bam, &bed, "bad.bed:1");
}

#[test]
fn empty_bed() {
    let d = dataset(10);
    let bed = d.dir.path().join("empty.bed");
    std::fs::write(&bed, "track name=x\n").unwrap();
    refused(&d, &d.bam, &bed, "no intervals");
}

#[test]
fn truncated_bam() {
    let d = dataset(3);
    let bytes = std::fs::read(&d.bam).unwrap();
    let cut = d.dir.path().join("cut.bam");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    // Same index, newer than the cut file.
    let idx = d.dir.path().join("cut.bam.bai");
    std::fs::copy(d.bam.with_extension("bam.bai"), &idx).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options()
        .append(true)
        .open(&idx)
        .unwrap()
        .set_modified(later)
        .unwrap();
    refused(&d, &cut, &d.bed, "truncated");
}

#[test]
fn unwritable_output_path() {
    let d = dataset(10);
    let o = call(
        &d,
        &d.bam,
        &d.bed,
        Path::new("/nonexistent-folder/calls.vcf.gz"),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("writable"), "{}", stderr(&o));
}

#[test]
fn reference_is_required_for_cram_and_bam() {
    let d = dataset(10);
    let o = ctdna(&["call", "--bam", s(&d.bam), "-t", s(&d.bed), "-o", "x.vcf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--reference"), "{}", stderr(&o));
}

#[test]
fn bed_contig_absent_from_the_bam_is_skipped_with_a_warning() {
    let d = dataset(10);
    // chr3 is in the reference but not in the BAM header.
    let chr1 = d.chr1.clone();
    let chr2 = ctdna::testing::random_sequence(CHR2_LEN, 12);
    let chr3 = ctdna::testing::random_sequence(500, 13);
    let reference = ctdna::testing::write_fasta(
        d.dir.path(),
        "ref3.fa",
        &[("chr1", &chr1), ("chr2", &chr2), ("chr3", &chr3)],
    );
    let bed = d.dir.path().join("with3.bed");
    std::fs::write(&bed, "chr1\t1000\t2000\nchr3\t10\t100\n").unwrap();
    let out = d.dir.path().join("calls.vcf");
    let o = ctdna(&[
        "call",
        "--bam",
        s(&d.bam),
        "-r",
        s(&reference),
        "-t",
        s(&bed),
        "-o",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("chr3") && stderr(&o).contains("skipped"),
        "{}",
        stderr(&o)
    );
    assert!(out.exists());
}

/// `call` on `bam` (with `d`'s reference and panel) into `<bam stem>.vcf`.
fn call_with(d: &DataSet, bam: &Path, extra: &[&str]) -> std::process::Output {
    let out = bam.with_extension("vcf");
    let mut args = vec!["call", "--bam", s(bam), "-r", s(&d.reference)];
    args.extend(["-t", s(&d.bed), "-o", s(&out)]);
    args.extend_from_slice(extra);
    ctdna(&args)
}

/// `dataset(2)`'s reads with their names rewritten by `rename`, and the
/// record lines and stderr of `call` on them with `extra` options.
fn renamed_call(
    d: &DataSet,
    name: &str,
    rename: impl Fn(&str) -> String,
    extra: &[&str],
) -> (Vec<String>, String) {
    let chr2 = ctdna::testing::random_sequence(CHR2_LEN, 12);
    let sam = sam_text(
        &d.chr1,
        &chr2,
        &default_spikes(&d.chr1),
        2,
        CHR1_LEN,
        "coordinate",
    );
    let sam: String = sam
        .lines()
        .map(|l| match l.split_once('\t') {
            Some((qname, rest)) if !l.starts_with('@') => format!("{}\t{rest}\n", rename(qname)),
            _ => format!("{l}\n"),
        })
        .collect();
    let bam = ctdna::testing::sam_to_bam(d.dir.path(), name, &sam);
    let o = call_with(d, &bam, extra);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(bam.with_extension("vcf")).unwrap();
    let records = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(String::from)
        .collect();
    (records, stderr(&o))
}

/// Read names ending in a number (`chr1:1234`, as in a consensus BAM from
/// a tool that writes no cD tag) with `--umi-from-name`: the numbers are no
/// UMIs, so the run says so, naming the file, and counts fragments as
/// `--no-umi` does (issue 20, point 7: before, UMI mode without a word,
/// read numbers one digit apart joined into one family).
#[test]
fn read_numbers_in_read_names_are_not_taken_as_umis() {
    let d = dataset(2);
    let numbered = |q: &str| q.replace("_f", ":");
    let (records, err) = renamed_call(&d, "numbered", numbered, &["--umi-from-name"]);
    let bam = d.dir.path().join("numbered.bam");
    let head = format!(
        "{}: the read names' last `:`-field (--umi-from-name) holds no UMIs: 2000 of 2000 values are not DNA letters (e.g. `0`, `1`: read numbers?)",
        bam.display()
    );
    assert!(err.contains(&head), "{err}");
    assert!(
        err.contains("--no-umi") && !err.contains("UMI mode"),
        "{err}"
    );
    let (fragments, _) = renamed_call(&d, "numbered-no-umi", numbered, &["--no-umi"]);
    assert!(!records.is_empty());
    assert_eq!(records, fragments);
    // A consensus tier needs UMIs: a usage error, not an empty test.
    let o = call_with(&d, &bam, &["--umi-from-name", "--min-tier", "single"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--min-tier single needs UMIs, and the first reads carry none in the read names' last `:`-field"),
        "{}",
        stderr(&o)
    );
}

/// The same reads with an 8-base UMI at the end of each name: UMIs, so no
/// doubt about them, UMI mode as asked, and a warning that no read
/// families were found (a BAM of consensus reads is counted with --no-umi).
#[test]
fn dna_umis_in_read_names_are_used_and_a_library_without_families_is_named() {
    let d = dataset(2);
    let with_umi = |q: &str| {
        let seed = q.bytes().fold(7u64, |h, c| h * 31 + u64::from(c));
        format!("{q}:{}", ctdna::testing::random_sequence(8, seed))
    };
    let (records, err) = renamed_call(&d, "umis", with_umi, &["--umi-from-name"]);
    assert!(!records.is_empty());
    assert!(!err.contains("UMIs:") && !err.contains("not DNA"), "{err}");
    assert!(err.contains("UMI mode"), "{err}");
    assert!(
        err.contains("--umi-from-name: no read families among the first 2000 reads of"),
        "{err}"
    );
}
