//! A tandem duplication in UMI families whose reads end inside its copy
//! (issue 21): in a BAM built here, every template of a carrier family
//! has one read that shows the 18 bp duplication in its CIGAR and a mate
//! that reads the first copy and ends a few bases into the second (the
//! aligner soft-clipped those, too few to realign). That mate cannot tell
//! whether the copy is duplicated; voting "no insertion" it split every
//! carrier family, and the duplication was neither counted nor called.

mod common;
use common::*;
use ctdna::testing::{random_sequence, sam_to_bam, write_fasta};

const LEN: usize = 3000;
/// 0-based first base of the duplicated copy, and length (the copy is
/// read twice; left-aligned, the insertion is after `DUP.0 - 1`).
const DUP: (usize, usize) = (1800, 18);
const READ: usize = 100;
const FRAGMENT: usize = 150;
const MOLECULES: usize = 90;
/// Every `CARRIER`-th molecule carries the duplication.
const CARRIER: usize = 10;
/// Templates (PCR copies) of each family.
const TEMPLATES: usize = 3;

fn reference() -> Vec<u8> {
    let mut g = random_sequence(LEN, 21).into_bytes();
    // The insertion cannot move left: the base before the copy differs
    // from its last.
    let (a, l) = DUP;
    if g[a - 1] == g[a + l - 1] {
        g[a - 1] = if g[a + l - 1] == b'A' { b'C' } else { b'A' };
    }
    g
}

/// A UMI per molecule (8 bases spelling its number).
fn umi(k: usize) -> String {
    (0..8)
        .map(|i| b"ACGT"[(k >> (2 * i)) & 3] as char)
        .collect()
}

/// Families of `TEMPLATES` identical templates: read 1 forward from
/// `start`, read 2 reverse ending `FRAGMENT` on. A carrier's read 1 reads
/// the first copy and 1-9 bases of the second, soft-clipped; its read 2
/// has the duplication in its CIGAR. Also returns the carriers.
fn sam(g: &[u8]) -> (String, usize) {
    let (a, l) = DUP;
    let hap = [&g[..a + l], &g[a..a + l], &g[a + l..]].concat();
    let q = "F".repeat(READ);
    let mut recs: Vec<(usize, String)> = Vec::new();
    let mut carriers = 0;
    for k in 0..MOLECULES {
        // Read 1 ends 1-9 bases past the first copy.
        let start = a + l - READ + 1 + k % 9;
        let carrier = k % CARRIER == 0;
        carriers += usize::from(carrier);
        let (seq1, cigar1, seq2, cigar2) = if carrier {
            let clipped = start + READ - (a + l);
            let from2 = start + FRAGMENT - READ;
            let before = a - from2;
            (
                &hap[start..start + READ],
                format!("{}M{clipped}S", READ - clipped),
                &hap[from2..from2 + READ],
                format!("{before}M{l}I{}M", READ - before - l),
            )
        } else {
            let from2 = start + FRAGMENT - READ;
            (
                &g[start..start + READ],
                format!("{READ}M"),
                &g[from2..from2 + READ],
                format!("{READ}M"),
            )
        };
        let (pos1, pos2) = (start + 1, start + FRAGMENT - READ + 1);
        for c in 0..TEMPLATES {
            let name = format!("m{k}c{c}");
            let u = umi(k);
            for (flag, pos, cigar, seq, mate, tlen) in [
                (99, pos1, &cigar1, seq1, pos2, FRAGMENT as i64),
                (147, pos2, &cigar2, seq2, pos1, -(FRAGMENT as i64)),
            ] {
                let seq = std::str::from_utf8(seq).unwrap();
                recs.push((
                    pos,
                    format!(
                        "{name}\t{flag}\tchr1\t{pos}\t60\t{cigar}\t=\t{mate}\t{tlen}\t{seq}\t{q}\tRG:Z:rg\tRX:Z:{u}"
                    ),
                ));
            }
        }
    }
    recs.sort_by_key(|r| r.0);
    let mut s = format!("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:{LEN}\n@RG\tID:rg\tSM:s\n");
    for (_, r) in recs {
        s.push_str(&r);
        s.push('\n');
    }
    (s, carriers)
}

#[test]
fn a_duplication_whose_family_reads_end_inside_its_copy_is_counted_and_called() {
    let dir = tempfile::tempdir().unwrap();
    let g = reference();
    let fasta = write_fasta(
        dir.path(),
        "ref.fa",
        &[("chr1", std::str::from_utf8(&g).unwrap())],
    );
    let bed = dir.path().join("t.bed");
    std::fs::write(&bed, "chr1\t1500\t2100\n").unwrap();
    let (text, carriers) = sam(&g);
    let bam = sam_to_bam(dir.path(), "dups", &text);
    let (a, l) = DUP;
    let (pos, ref_base) = (a.to_string(), (g[a - 1] as char).to_string());
    let alt = String::from_utf8(g[a - 1..a + l].to_vec()).unwrap();

    // Counted: one single-strand consensus molecule per carrier family
    // (three templates).
    let out = ctdna(&[
        "count",
        "--bam",
        s(&bam),
        "-r",
        s(&fasta),
        "-t",
        s(&bed),
        "--min-tier",
        "single",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split('\t').collect())
        .filter(|r: &Vec<&str>| r[2] == pos && r[5] == "INS")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0][3], rows[0][4]), (ref_base.as_str(), alt.as_str()));
    assert_eq!(rows[0][7], carriers.to_string(), "{:?}", rows[0]);

    // Called: one PASS record with every carrier molecule; the same for
    // one and two threads.
    let call =
        |threads: &str| call_records(dir.path(), (&bam, &fasta, &bed), &["--threads", threads]).0;
    let records = call("1");
    assert_eq!(records, call("2"));
    let hits: Vec<&Vec<String>> = records
        .iter()
        .filter(|r| (r[1].as_str(), r[3].as_str(), r[4].as_str()) == (&pos, &ref_base, &alt))
        .collect();
    assert_eq!(hits.len(), 1, "{records:?}");
    assert_eq!(hits[0][6], "PASS", "{:?}", hits[0]);
    let ad = format_field(hits[0], "AD");
    assert_eq!(
        ad.split(',').nth(1),
        Some(carriers.to_string().as_str()),
        "{ad}"
    );
}
