//! `ctdna call` output: spiked variants found, VCF valid for htslib,
//! identical bytes for any thread count, known loci, several samples, metrics.

mod common;
use common::*;
use rust_htslib::bcf::{self, Read};
use std::path::Path;

/// PASS records as (contig, pos1, ref, alt).
fn pass_records(vcf: &Path) -> Vec<(String, i64, String, String)> {
    let mut r = bcf::Reader::from_path(vcf).unwrap();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        if rec.has_filter("PASS".as_bytes()) {
            let a = rec.alleles();
            out.push((
                String::from_utf8_lossy(rec.header().rid2name(rec.rid().unwrap()).unwrap())
                    .to_string(),
                rec.pos() + 1,
                String::from_utf8_lossy(a[0]).to_string(),
                String::from_utf8_lossy(a[1]).to_string(),
            ));
        }
    }
    out
}

#[test]
fn spiked_variants_pass_and_nothing_else_does() {
    let d = dataset(2);
    let out = d.dir.path().join("calls.vcf.gz");
    let metrics = d.dir.path().join("m.json");
    let o = d.run("call", &["-o", s(&out), "--metrics", s(&metrics)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.dir.path().join("calls.vcf.gz.tbi").exists());
    let spikes = default_spikes(&d.chr1);
    let got = pass_records(&out);
    let want: Vec<(String, i64, String, String)> = spikes
        .iter()
        .map(|sp| {
            (
                "chr1".to_string(),
                sp.pos1 as i64,
                d.chr1[sp.pos1 - 1..sp.pos1].to_string(),
                sp.alt.to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);

    // The sample column is named from @RG SM, and the record carries the
    // molecule counts: 150 bp fragments every 2 bp → 75 fragments cover a
    // position; the 3 whose first or last 3 bases it is are left out
    // (--min-dist-end 3 on both mates), so 72.
    let mut r = bcf::Reader::from_path(&out).unwrap();
    assert_eq!(r.header().samples(), vec![b"tumour".as_slice()]);
    let rec = r.records().next().unwrap().unwrap();
    let dp = rec.format(b"DP").integer().unwrap()[0][0];
    let ad = rec.format(b"AD").integer().unwrap()[0].to_vec();
    assert_eq!(dp, 72);
    assert!(ad[1] >= 6 && ad[1] <= 9, "{ad:?}"); // one in ten fragments

    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&metrics).unwrap()).unwrap();
    let sm = &m["samples"][0];
    assert_eq!(sm["name"], "tumour");
    // Every pair overlaps by 50 bp: all used reads were merged in pairs,
    // except those whose mate lies outside the targets (at target edges).
    let pairs = sm["reads"]["overlapping_pairs"].as_u64().unwrap();
    let used = sm["reads"]["used"].as_u64().unwrap();
    assert!(
        2 * pairs <= used && 2 * pairs > used * 95 / 100,
        "{pairs} pairs, {used} reads"
    );
    assert_eq!(sm["targets"].as_array().unwrap().len(), 2);
    assert_eq!(m["calls"]["pass"], 2);
    assert!(sm["lod_median"].as_f64().unwrap() > 0.0 && sm["lod_median"].as_f64().unwrap() < 1.0);
    assert_eq!(sm["error_rates"]["snv"].as_array().unwrap().len(), 96);
}

#[test]
fn output_bytes_do_not_depend_on_threads() {
    let d = dataset(2);
    let mut outs = Vec::new();
    // The same output path both times: the command line is in the header.
    let out = d.dir.path().join("calls.vcf");
    for t in ["1", "4"] {
        let o = d.run("call", &["-o", s(&out), "--threads", t]);
        assert!(o.status.success(), "{}", stderr(&o));
        outs.push(std::fs::read(&out).unwrap());
    }
    assert!(!outs[0].is_empty());
    assert!(
        outs[0] == outs[1],
        "--threads 1 and --threads 4 wrote different VCFs"
    );
}

#[test]
fn known_loci_are_reported_even_without_alt_reads() {
    let d = dataset(2);
    let known = d.dir.path().join("known.vcf");
    let pos = 1200;
    let r = &d.chr1[pos - 1..pos];
    let alt = if r == "A" { "C" } else { "A" };
    std::fs::write(&known, format!("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t{pos}\t.\t{r}\t{alt}\t.\t.\t.\n")).unwrap();
    let out = d.dir.path().join("calls.vcf");
    let o = d.run("call", &["--known", s(&known), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("chr1\t{pos}\t")))
        .expect("known locus written");
    assert!(
        line.contains("KNOWN") && line.split('\t').nth(6) == Some("NotDetected"),
        "{line}"
    );
    assert!(line.contains("LOD="), "{line}");
}

/// Issue 24: two known loci 90 bp apart outside the panel, where reads
/// are: a fragment spans both loci's shards with a gap between them, past
/// the end of its first mate (a panic: "range start index 181 out of
/// range for slice of length 150"). `call` and `count` both count them.
#[test]
fn known_loci_close_together_outside_the_panel_are_counted() {
    let d = dataset(2);
    let known = d.dir.path().join("near.vcf");
    let mut text =
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n".to_string();
    for pos in [4500, 4590] {
        let r = &d.chr1[pos - 1..pos];
        let alt = if r == "A" { "C" } else { "A" };
        text.push_str(&format!("chr1\t{pos}\t.\t{r}\t{alt}\t.\t.\t.\n"));
    }
    std::fs::write(&known, text).unwrap();
    let out = d.dir.path().join("near.vcf.out");
    let o = d.run("call", &["--known", s(&known), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let vcf = std::fs::read_to_string(&out).unwrap();
    for pos in [4500, 4590] {
        assert!(vcf.contains(&format!("chr1\t{pos}\t")), "{pos}: {vcf}");
    }
    let o = d.run("count", &["--known", s(&known)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let tsv = String::from_utf8_lossy(&o.stdout);
    assert!(tsv.lines().any(|l| l.contains("\tchr1\t4590\t")), "{tsv}");
}

#[test]
fn several_bams_give_several_sample_columns() {
    let d = dataset(2);
    // A second "sample": the same reads under another SM.
    let sam = std::fs::read_to_string(d.dir.path().join("tumour.sam"))
        .unwrap()
        .replace("SM:tumour", "SM:normal");
    let other = ctdna::testing::sam_to_bam(d.dir.path(), "normal", &sam);
    let out = d.dir.path().join("calls.vcf.gz");
    let o = ctdna(&[
        "call",
        "--bam",
        s(&d.bam),
        "--bam",
        s(&other),
        "-r",
        s(&d.reference),
        "-t",
        s(&d.bed),
        "-o",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = bcf::Reader::from_path(&out).unwrap();
    assert_eq!(
        r.header().samples(),
        vec![b"tumour".as_slice(), b"normal".as_slice()]
    );
    assert_eq!(pass_records(&out).len(), 2);
}

/// No silent depth cap: 100,000 fragments over one position are all counted.
#[test]
fn depth_of_100000_fragments_is_counted_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let chr = ctdna::testing::random_sequence(400, 5);
    let reference = ctdna::testing::write_fasta(dir.path(), "ref.fa", &[("c", &chr)]);
    let n = 100_000;
    let mut sam = String::from("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c\tLN:400\n");
    let q = "F".repeat(50);
    for i in 0..n {
        // Single-end reads on both strands, starting at 101..=150.
        let start = 101 + i % 50;
        let flag = if i % 2 == 0 { 0 } else { 16 };
        sam.push_str(&format!(
            "r{i}\t{flag}\tc\t{start}\t60\t50M\t*\t0\t0\t{}\t{q}\n",
            &chr[start - 1..start + 49]
        ));
    }
    // Coordinate order.
    let mut lines: Vec<&str> = sam.lines().collect();
    let body = lines.split_off(2);
    let mut body: Vec<(usize, &str)> = body
        .iter()
        .map(|l| (l.split('\t').nth(3).unwrap().parse().unwrap(), *l))
        .collect();
    body.sort_by_key(|b| b.0);
    let text =
        lines.join("\n") + "\n" + &body.iter().map(|b| b.1).collect::<Vec<_>>().join("\n") + "\n";
    let bam = ctdna::testing::sam_to_bam(dir.path(), "deep", &text);
    let bed = dir.path().join("t.bed");
    std::fs::write(&bed, "c\t149\t151\n").unwrap();
    let o = ctdna(&[
        "count",
        "--bam",
        s(&bam),
        "-r",
        s(&reference),
        "-t",
        s(&bed),
        "--min-dist-end",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    // Position 150 (1-based) is covered by every read (starts 101..=150, 50 bp).
    let row = out
        .lines()
        .find(|l| l.split('\t').nth(2) == Some("150") && l.contains("\tREF\t"))
        .unwrap();
    let f: Vec<&str> = row.split('\t').collect();
    assert_eq!(f[6], n.to_string(), "{row}");
    assert_eq!(
        f[8].parse::<u32>().unwrap() + f[9].parse::<u32>().unwrap(),
        n as u32
    );
}
