//! Hostile inputs (issue 24): files that used to give a silent wrong result
//! or a misleading message are refused with exit 2, the file, and what to
//! do; nothing is written.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// `call` on the data set with `bam` and `extra`, writing into a fresh
/// folder; expect exit 2, every `needle` in stderr, and no output file.
fn refused_with(d: &DataSet, bam: &Path, extra: &[&str], needles: &[&str]) -> String {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("calls.vcf.gz");
    let mut args = vec![
        "call",
        "--bam",
        s(bam),
        "-r",
        s(&d.reference),
        "-o",
        s(&out),
        "--quiet",
    ];
    if !extra.contains(&"-t") && !extra.contains(&"--known") {
        args.extend(["-t", s(&d.bed)]);
    }
    args.extend_from_slice(extra);
    let o = ctdna(&args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected '{n}' in: {err}");
    }
    assert!(
        files_in(out_dir.path()).is_empty(),
        "{:?}",
        files_in(out_dir.path())
    );
    err
}

/// Copy the data set's `.bai` beside `bam`, newer than it.
fn fresh_index_for(d: &DataSet, bam: &Path) {
    let idx = PathBuf::from(format!("{}.bai", bam.display()));
    std::fs::copy(d.bam.with_extension("bam.bai"), &idx).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options()
        .append(true)
        .open(&idx)
        .unwrap()
        .set_modified(later)
        .unwrap();
}

/// Byte offsets where the BGZF blocks of `bytes` end.
fn bgzf_block_ends(bytes: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 0;
    while at + 18 <= bytes.len() {
        let bsize = u16::from_le_bytes([bytes[at + 16], bytes[at + 17]]) as usize + 1;
        at += bsize;
        ends.push(at);
    }
    ends
}

#[test]
fn bam_cut_at_a_bgzf_block_boundary_is_refused() {
    let d = dataset(3);
    let bytes = std::fs::read(&d.bam).unwrap();
    let ends = bgzf_block_ends(&bytes);
    assert!(ends.len() >= 3, "{} blocks", ends.len());
    // Without its last data block and the end-of-file block: every block
    // left is whole, so htslib reads fewer records and only warns.
    let cut_at = ends[ends.len() - 3];
    let cut = d.dir.path().join("cut.bam");
    std::fs::write(&cut, &bytes[..cut_at]).unwrap();
    fresh_index_for(&d, &cut);
    refused_with(&d, &cut, &[], &["cut.bam", "end-of-file", "truncated"]);
}

#[test]
fn sam_text_as_bam_is_told_to_convert() {
    let d = dataset(10);
    let sam = d.dir.path().join("tumour.sam");
    assert!(sam.exists());
    let err = refused_with(
        &d,
        &sam,
        &[],
        &["tumour.sam", "SAM text", "samtools sort -o"],
    );
    assert!(!err.contains("run `samtools index` on it"), "{err}");
}

/// A VCF of `body` records (after a minimal header) in the data set's folder.
fn vcf(d: &DataSet, name: &str, body: &str) -> PathBuf {
    let p = d.dir.path().join(name);
    std::fs::write(
        &p,
        format!("##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n{body}"),
    )
    .unwrap();
    p
}

fn base(d: &DataSet, pos1: usize) -> char {
    d.chr1.as_bytes()[pos1 - 1] as char
}

#[test]
fn known_locus_with_alt_equal_to_ref_is_refused_naming_the_line() {
    let d = dataset(10);
    let b = base(&d, 1500);
    let v = vcf(&d, "same.vcf", &format!("chr1\t1500\t.\t{b}\t{b}\n"));
    refused_with(
        &d,
        &d.bam,
        &["--known", s(&v)],
        &["same.vcf:3:", "equals REF"],
    );
    let v = vcf(&d, "noalt.vcf", &format!("chr1\t1500\t.\t{b}\t.\n"));
    refused_with(
        &d,
        &d.bam,
        &["--known", s(&v)],
        &["noalt.vcf:3:", "ALT is '.'"],
    );
}

#[test]
fn mrd_with_only_alt_equal_to_ref_loci_is_refused_not_detected() {
    let d = dataset(10);
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("mrd.json");
    let body: String = [1500, 2000, 2500]
        .iter()
        .map(|&p| format!("chr1\t{p}\t.\t{0}\t{0}\n", base(&d, p)))
        .collect();
    let v = vcf(&d, "tumor.vcf", &body);
    let o = ctdna(&[
        "mrd",
        "--quiet",
        "--bam",
        s(&d.bam),
        "-r",
        s(&d.reference),
        "--tumor-variants",
        s(&v),
        "-o",
        s(&json),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("tumor.vcf:3:") && err.contains("equals REF"),
        "{err}"
    );
    assert!(!json.exists());
}

#[test]
fn tumor_variant_ref_mismatch_names_file_line_and_option() {
    let d = dataset(10);
    let b = base(&d, 2000);
    let wrong = if b == 'A' { 'C' } else { 'A' };
    let r1 = base(&d, 1500);
    let a1 = if r1 == 'A' { 'C' } else { 'A' };
    let body = format!("chr1\t1500\t.\t{r1}\t{a1}\nchr1\t2000\t.\t{wrong}\t{b}\n");
    let v = vcf(&d, "tumor.vcf", &body);
    let out = tempfile::tempdir().unwrap();
    let o = ctdna(&[
        "mrd",
        "--quiet",
        "--bam",
        s(&d.bam),
        "-r",
        s(&d.reference),
        "--tumor-variants",
        s(&v),
        "-o",
        s(&out.path().join("mrd.json")),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("tumor.vcf:4:"), "{err}");
    assert!(
        err.contains("--tumor-variants") && !err.contains("--known"),
        "{err}"
    );
}

#[test]
fn random_bytes_as_a_vcf_are_bad_input_naming_file_and_line() {
    let d = dataset(10);
    let p = d.dir.path().join("noise.vcf");
    let mut bytes = b"##fileformat=VCFv4.3\n".to_vec();
    bytes.extend((0..200u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80));
    std::fs::write(&p, bytes).unwrap();
    refused_with(
        &d,
        &d.bam,
        &["--known", s(&p)],
        &["noise.vcf:2:", "not text"],
    );
}

#[test]
fn a_missing_bed_is_bad_input_with_the_fix() {
    let d = dataset(10);
    let bed = d.dir.path().join("no-such-panel.bed");
    refused_with(
        &d,
        &d.bam,
        &["-t", s(&bed)],
        &["no-such-panel.bed", "not found", "--targets"],
    );
}

#[test]
fn a_byte_order_mark_does_not_hide_in_a_contig_name() {
    let d = dataset(10);
    let bed = d.dir.path().join("bom.bed");
    std::fs::write(&bed, b"\xEF\xBB\xBFchr1\t1000\t2000\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let vcf = out.path().join("calls.vcf");
    let o = ctdna(&[
        "call",
        "--quiet",
        "--bam",
        s(&d.bam),
        "-r",
        s(&d.reference),
        "-t",
        s(&bed),
        "-o",
        s(&vcf),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn nan_thresholds_are_usage_errors_naming_the_option() {
    let d = dataset(10);
    for opt in [
        "--max-strand-bias",
        "--max-orientation-bias",
        "--min-alt-dist-end",
    ] {
        let arg = format!("{opt}=NaN");
        refused_with(&d, &d.bam, &[&arg], &[opt]);
    }
    refused_with(
        &d,
        &d.bam,
        &["--min-alt-dist-end=inf"],
        &["--min-alt-dist-end"],
    );
}

#[test]
fn the_same_bam_twice_is_refused() {
    let d = dataset(10);
    refused_with(
        &d,
        &d.bam,
        &["--bam", s(&d.bam)],
        &["tumour.bam", "given twice"],
    );
}

#[test]
fn two_bams_with_one_sample_name_are_refused_naming_both() {
    let d = dataset(10);
    let copy = d.dir.path().join("copy.bam");
    std::fs::copy(&d.bam, &copy).unwrap();
    fresh_index_for(&d, &copy);
    let err = refused_with(
        &d,
        &d.bam,
        &["--bam", s(&copy)],
        &["copy.bam", "tumour.bam", "'tumour'"],
    );
    assert!(err.contains("sample"), "{err}");
    // count writes a column per sample too.
    let out = tempfile::tempdir().unwrap();
    let mut args = d.args("count");
    let tsv = out.path().join("counts.tsv");
    args.extend(["--bam", s(&copy), "-o", s(&tsv), "--quiet"]);
    let o = ctdna(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!tsv.exists());
}

#[test]
fn a_cigar_longer_than_its_sequence_names_the_read() {
    use rust_htslib::bam::record::{Cigar, CigarString};
    use rust_htslib::bam::{self, Read};
    let d = dataset(10);
    let bad = d.dir.path().join("longcigar.bam");
    // htslib cannot index such a file: it is written without an index and
    // given the original's (the records keep their positions).
    let mut reader = bam::Reader::from_path(&d.bam).unwrap();
    let header = bam::Header::from_template(reader.header());
    let mut writer = bam::Writer::from_path(&bad, &header, bam::Format::Bam).unwrap();
    let mut rec = bam::Record::new();
    let mut i = 0;
    while let Some(r) = reader.read(&mut rec) {
        r.unwrap();
        if i == 40 {
            // 100M over 90 bases.
            let (qname, seq, qual) = (
                rec.qname().to_vec(),
                rec.seq().as_bytes(),
                rec.qual().to_vec(),
            );
            let cigar = CigarString(vec![Cigar::Match(100)]);
            rec.set(&qname, Some(&cigar), &seq[..90], &qual[..90]);
        }
        i += 1;
        writer.write(&rec).unwrap();
    }
    drop(writer);
    fresh_index_for(&d, &bad);
    let err = refused_with(&d, &bad, &[], &["longcigar.bam"]);
    assert!(!err.contains("-9223372036854775807"), "{err}");
    // htslib's own line names the read too: look at ctdna's.
    let ours = err
        .lines()
        .find(|l| l.starts_with("ctdna"))
        .unwrap_or_default();
    assert!(
        ours.contains("read chr1_f") && ours.contains("not a valid record"),
        "{err}"
    );
}

#[test]
fn cram_against_another_reference_says_so_not_truncated() {
    let d = dataset(10);
    // Written by samtools, as users make CRAMs (with @SQ M5 tags); skipped
    // where samtools is not installed (CI installs it).
    let cram = d.dir.path().join("tumour.cram");
    let made = std::process::Command::new("samtools")
        .args([
            "view",
            "-C",
            "-T",
            s(&d.reference),
            "-o",
            s(&cram),
            s(&d.bam),
        ])
        .status()
        .is_ok_and(|st| st.success())
        && std::process::Command::new("samtools")
            .args(["index", s(&cram)])
            .status()
            .is_ok_and(|st| st.success());
    if !made {
        eprintln!("SKIP cram_against_another_reference_says_so_not_truncated: no samtools");
        return;
    }
    // Same contigs and lengths, every 20th base changed.
    let other = d.dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let change = |seq: &str| -> String {
        seq.bytes()
            .enumerate()
            .map(|(i, b)| match (i % 20, b) {
                (0, b'A') => 'C',
                (0, _) => 'A',
                _ => b as char,
            })
            .collect()
    };
    let chr2 = ctdna::testing::random_sequence(CHR2_LEN, 12);
    let fa = ctdna::testing::write_fasta(
        &other,
        "ref.fa",
        &[("chr1", &change(&d.chr1)), ("chr2", &change(&chr2))],
    );
    let out = tempfile::tempdir().unwrap();
    let vcf = out.path().join("calls.vcf.gz");
    let o = ctdna(&[
        "call",
        "--quiet",
        "--bam",
        s(&cram),
        "-r",
        s(&fa),
        "-t",
        s(&d.bed),
        "-o",
        s(&vcf),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let ours = err
        .lines()
        .find(|l| l.starts_with("ctdna"))
        .unwrap_or_default();
    assert!(
        ours.contains("tumour.cram") && ours.contains("reference"),
        "{err}"
    );
    assert!(ours.contains("--reference"), "{err}");
    assert!(!vcf.exists());
    // With its own reference it runs.
    call_records(out.path(), (&cram, &d.reference, &d.bed), &[]);
}

#[test]
fn a_cram_without_md5_tags_is_warned_about() {
    use rust_htslib::bam::{self, Read};
    let d = dataset(10);
    let cram = d.dir.path().join("nomd5.cram");
    let mut reader = bam::Reader::from_path(&d.bam).unwrap();
    let header = bam::Header::from_template(reader.header());
    let mut writer = bam::Writer::from_path(&cram, &header, bam::Format::Cram).unwrap();
    writer.set_reference(&d.reference).unwrap();
    let mut rec = bam::Record::new();
    while let Some(r) = reader.read(&mut rec) {
        r.unwrap();
        writer.write(&rec).unwrap();
    }
    drop(writer);
    bam::index::build(&cram, None, bam::index::Type::Bai, 1).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (_, err) = call_records(out.path(), (&cram, &d.reference, &d.bed), &[]);
    assert!(err.contains("no M5 checksums"), "{err}");
}
