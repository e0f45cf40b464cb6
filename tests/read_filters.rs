//! Read-filter defaults on BAMs unlike our own (issue 20, points 2-5):
//! short single-end reads, a minority clone with several differences per
//! read, pairs without proper-pair flags, a low-mappability region. Each
//! BAM is built here from text.

mod common;
use common::*;
use ctdna::testing::{random_sequence, sam_to_bam, write_fasta};
use std::path::{Path, PathBuf};

const LEN: usize = 1200;

/// One single-end read: 1-based start, flag, MAPQ, CIGAR, bases.
struct Read {
    pos: usize,
    flag: u16,
    mapq: u8,
    cigar: String,
    seq: String,
    nm: Option<u32>,
}

/// A reference, a BED over `[400, 800)` and a BAM of `reads` (sorted here).
struct Data {
    dir: tempfile::TempDir,
    reference: PathBuf,
    bed: PathBuf,
    chr1: String,
}

impl Data {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let chr1 = random_sequence(LEN, 21);
        let reference = write_fasta(dir.path(), "ref.fa", &[("chr1", &chr1)]);
        let bed = dir.path().join("panel.bed");
        std::fs::write(&bed, "chr1\t400\t800\n").unwrap();
        Data {
            dir,
            reference,
            bed,
            chr1,
        }
    }

    fn bam(&self, name: &str, mut reads: Vec<Read>) -> PathBuf {
        reads.sort_by_key(|r| r.pos);
        let mut sam =
            format!("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:{LEN}\n@RG\tID:rg\tSM:s\n");
        for (i, r) in reads.iter().enumerate() {
            let nm = r.nm.map(|n| format!("\tNM:i:{n}")).unwrap_or_default();
            sam.push_str(&format!(
                "r{i}\t{}\tchr1\t{}\t{}\t{}\t*\t0\t0\t{}\t{}\tRG:Z:rg{nm}\n",
                r.flag,
                r.pos,
                r.mapq,
                r.cigar,
                r.seq,
                "I".repeat(r.seq.len())
            ));
        }
        sam_to_bam(self.dir.path(), name, &sam)
    }

    /// `call` with `extra`; the VCF's records and the metrics document.
    fn call(&self, bam: &Path, extra: &[&str]) -> (Vec<Vec<String>>, serde_json::Value, String) {
        let metrics = self.dir.path().join("out.json");
        let mut args = vec!["--metrics", s(&metrics)];
        args.extend_from_slice(extra);
        let files = (bam, self.reference.as_path(), self.bed.as_path());
        let (records, err) = call_records(self.dir.path(), files, &args);
        let m = serde_json::from_str(&std::fs::read_to_string(&metrics).unwrap()).unwrap();
        (records, m, err)
    }

    /// The reference with `snvs` (1-based position, base) applied.
    fn haplotype(&self, snvs: &[(usize, u8)]) -> Vec<u8> {
        let mut h = self.chr1.as_bytes().to_vec();
        for &(p, b) in snvs {
            h[p - 1] = b;
        }
        h
    }
}

/// A base other than `b`.
fn other(b: u8) -> u8 {
    if b == b'A' {
        b'C'
    } else {
        b'A'
    }
}

fn at(records: &[Vec<String>], pos: usize) -> Option<&Vec<String>> {
    records.iter().find(|r| r[1] == pos.to_string())
}

/// A 454-like run: single-end 30-nt reads, ten per start (alternating
/// strands), with NM tags. One read in five is a minority clone carrying
/// three SNVs within 11 bases (three differences in 30 bases: 10 per 100,
/// above --max-mismatch-per-100 8); one read in ten at another site
/// shows an alt on forward reads only; one read in twelve is misplaced
/// (seven differences, no NM tag).
fn short_reads(d: &Data) -> Vec<Read> {
    let clone = [
        (600, other(d.chr1.as_bytes()[599])),
        (605, other(d.chr1.as_bytes()[604])),
        (610, other(d.chr1.as_bytes()[609])),
    ];
    let clone_hap = d.haplotype(&clone);
    let artifact = d.haplotype(&[(700, other(d.chr1.as_bytes()[699]))]);
    let mut reads = Vec::new();
    let mut n = 0usize;
    for start in 380..790 {
        for copy in 0..10 {
            n += 1;
            let reverse = copy % 2 == 1;
            let (hap, misplaced) = if copy % 5 == 0 {
                (&clone_hap, false)
            } else if copy == 2 && !reverse {
                (&artifact, false)
            } else {
                (&d.haplotype(&[]), n.is_multiple_of(12))
            };
            let mut seq = hap[start - 1..start - 1 + 30].to_vec();
            if misplaced {
                for i in [2, 6, 10, 14, 18, 22, 26] {
                    seq[i] = other(seq[i]);
                }
            }
            let nm = (!misplaced).then(|| {
                seq.iter()
                    .zip(&d.chr1.as_bytes()[start - 1..])
                    .filter(|(a, b)| a != b)
                    .count() as u32
            });
            reads.push(Read {
                pos: start,
                flag: if reverse { 16 } else { 0 },
                mapq: 60,
                cigar: "30M".into(),
                seq: String::from_utf8(seq).unwrap(),
                nm,
            });
        }
    }
    reads
}

/// Point 2: the clone's reads are counted (its VAF is the 20% it has, not
/// halved by the mismatch filter), the misplaced reads are dropped though
/// they carry no NM tag, and the filter's share is warned about.
#[test]
fn short_reads_of_a_minority_clone_are_kept_and_misplaced_reads_dropped() {
    let d = Data::new();
    let reads = short_reads(&d);
    let misplaced = reads.iter().filter(|r| r.nm.is_none()).count() as u64;
    let bam = d.bam("short", reads);
    let (records, m, err) = d.call(&bam, &[]);
    for pos in [600, 605, 610] {
        let r = at(&records, pos).unwrap_or_else(|| panic!("no record at {pos}: {err}"));
        let af: f64 = format_field(r, "AF").parse().unwrap();
        assert!((0.17..0.23).contains(&af), "{pos}: AF {af}");
        assert_eq!(r[6], "PASS", "{r:?}");
    }
    // Exactly the misplaced reads are dropped, by this filter alone.
    let reads = &m["samples"][0]["reads"];
    assert_eq!(reads["too_many_mismatches"], misplaced, "{reads}");
    assert_eq!(reads["used"], reads["seen"].as_u64().unwrap() - misplaced);
    assert!(
        err.contains("TooManyMismatches (--max-mismatch-per-100) dropped"),
        "{err}"
    );
    let alarms = &m["samples"][0]["read_alarms"];
    assert_eq!(alarms[0]["kind"], "filter_drops_many", "{alarms}");
    assert_eq!(alarms[0]["reason"], "too_many_mismatches", "{alarms}");
}

/// Point 4: on single-end reads F1R2/F2R1 do not exist; an alt on forward
/// reads only is StrandBias, not also OrientationBias.
#[test]
fn single_end_reads_have_no_orientation_bias() {
    let d = Data::new();
    let bam = d.bam("short", short_reads(&d));
    let (records, _, err) = d.call(&bam, &[]);
    let r = at(&records, 700).unwrap_or_else(|| panic!("no record at 700: {err}"));
    let ft = format_field(r, "FT");
    assert!(ft.contains("StrandBias"), "{r:?}");
    assert!(!ft.contains("OrientationBias"), "{r:?}");
    assert_eq!(format_field(r, "F1R2"), "0,0", "{r:?}");
}

/// Point 5: a true 2-bp deletion at 17% in a region where every read maps
/// with MAPQ 25 is not LowMapQ (it was below the old absolute 40); alt
/// reads mapping far worse than the ref reads still are, and the absolute
/// floor stays available as an option.
#[test]
fn low_mapq_compares_alt_with_ref() {
    let d = Data::new();
    let reads = |ref_mapq: u8, alt_mapq: u8| {
        let mut v = Vec::new();
        for start in 450..700 {
            for copy in 0..6 {
                // Deletion of 601-602 on one read in six, where it has 10+
                // aligned bases on both sides.
                let del = copy == start % 2 && (511..=590).contains(&start);
                let (cigar, seq, mapq) = if del {
                    let left = 600 - start + 1;
                    let mut s = d.chr1.as_bytes()[start - 1..600].to_vec();
                    s.extend_from_slice(&d.chr1.as_bytes()[602..602 + 100 - left]);
                    (format!("{left}M2D{}M", 100 - left), s, alt_mapq)
                } else {
                    let s = d.chr1.as_bytes()[start - 1..start + 99].to_vec();
                    ("100M".to_string(), s, ref_mapq)
                };
                v.push(Read {
                    pos: start,
                    flag: if copy % 2 == 1 { 16 } else { 0 },
                    mapq,
                    cigar,
                    seq: String::from_utf8(seq).unwrap(),
                    nm: None,
                });
            }
        }
        v
    };
    let filters_at_deletion = |ref_mapq: u8, alt_mapq: u8, extra: &[&str]| {
        let bam = d.bam(
            &format!("mq{ref_mapq}_{alt_mapq}"),
            reads(ref_mapq, alt_mapq),
        );
        let (records, _, err) = d.call(&bam, extra);
        let r = records
            .iter()
            .find(|r| r[1] == "600" && r[3].len() == 3 && r[4].len() == 1)
            .unwrap_or_else(|| panic!("no deletion: {err}"))
            .clone();
        let af: f64 = format_field(&r, "AF").parse().unwrap();
        assert!((0.12..0.2).contains(&af), "AF {af}");
        format_field(&r, "FT").to_string()
    };
    assert_eq!(filters_at_deletion(25, 25, &[]), "PASS");
    assert_eq!(filters_at_deletion(50, 25, &[]), "LowMapQ");
    assert_eq!(
        filters_at_deletion(25, 25, &["--min-alt-mapq", "30"]),
        "LowMapQ"
    );
}

/// Point 3: `--drop-improper` on pairs without proper-pair flags drops
/// every read: the run says so, with the reason and what to do, and the
/// metrics record it.
#[test]
fn a_sample_without_usable_reads_is_warned_about_with_the_reason() {
    let d = dataset(10);
    let chr2 = random_sequence(CHR2_LEN, 12);
    let sam = sam_text(
        &d.chr1,
        &chr2,
        &default_spikes(&d.chr1),
        10,
        CHR1_LEN,
        "coordinate",
    )
    .replace("\t99\t", "\t97\t")
    .replace("\t147\t", "\t145\t");
    let bam = sam_to_bam(d.dir.path(), "improper", &sam);
    let metrics = d.dir.path().join("m.json");
    let out = d.dir.path().join("out.vcf");
    let run = |extra: &[&str]| {
        let mut args = vec!["--metrics", s(&metrics), "-o", s(&out)];
        args.extend_from_slice(extra);
        let mut all = d.args("call");
        all[2] = s(&bam);
        all.extend_from_slice(&args);
        let o = ctdna(&all);
        assert!(o.status.success(), "{}", stderr(&o));
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&metrics).unwrap()).unwrap();
        (stderr(&o), m["samples"][0]["read_alarms"].clone())
    };
    let (err, alarms) = run(&["--drop-improper"]);
    assert!(err.contains("only 0 of"), "{err}");
    assert!(err.contains("ImproperPair (--drop-improper)"), "{err}");
    assert!(err.contains("run without --drop-improper"), "{err}");
    assert_eq!(alarms[0]["kind"], "few_reads_used", "{alarms}");
    assert_eq!(alarms[0]["reason"], "improper_pair", "{alarms}");
    assert_eq!(alarms[0]["fraction"], 1.0, "{alarms}");
    // Without the option the same reads are all used, and nothing is said.
    let (err, alarms) = run(&[]);
    assert!(!err.contains("were used"), "{err}");
    assert_eq!(alarms, serde_json::json!([]));
}
