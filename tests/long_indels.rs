//! Long indels carried as soft clips (issue 21): a BAM built here holds a
//! 32 bp deletion and an 18 bp tandem duplication at 12.5% of the
//! fragments, written into the CIGAR on one fragment only; every other
//! read across them is aligned up to the breakpoint and soft-clipped
//! there (half of them with an `SA` tag for the clipped part), as aligners
//! do. A pile of adapter read-through clips and one of random clips sit
//! elsewhere. The call must
//! give each event as one correct record, counted on the clipped reads,
//! and nothing else; the same for one and two threads.

mod common;
use common::*;
use ctdna::testing::{random_sequence, sam_to_bam, write_fasta};

const LEN: usize = 3000;
/// 0-based first deleted base, and length.
const DEL: (usize, usize) = (1000, 32);
/// 0-based first base of the duplicated copy, and length (the copy is
/// read twice: inserted after `DUP.0 + DUP.1 - 1`).
const DUP: (usize, usize) = (1800, 18);
/// 0-based reference position where adapter read-through reads end.
const ADAPTER_AT: usize = 1400;
/// 0-based reference position where reads with random clips end (and,
/// 20 bases on, begin).
const RANDOM_AT: usize = 2200;
const READ: usize = 100;
const FRAGMENT: usize = 150;
/// Every `CARRIER`-th fragment over an event carries it.
const CARRIER: usize = 8;
const ADAPTER: &[u8] = b"AGATCGGAAGAGCACACGTCTGAACTCCAGTCACGGATCTCGTATGCCGTCTTCTGCTTG";

fn reference() -> Vec<u8> {
    let mut g = random_sequence(LEN, 77).into_bytes();
    // Neither event can move left: the base before each differs from the
    // last base of what is deleted or inserted.
    let (d, n) = DEL;
    if g[d - 1] == g[d + n - 1] {
        g[d - 1] = if g[d + n - 1] == b'A' { b'C' } else { b'A' };
    }
    let (a, l) = DUP;
    if g[a - 1] == g[a + l - 1] {
        g[a - 1] = if g[a + l - 1] == b'A' { b'C' } else { b'A' };
    }
    g
}

/// What a fragment carries.
#[derive(Clone, Copy, PartialEq)]
enum Carries {
    Nothing,
    Deletion,
    Duplication,
}

/// One read as an aligner writes it: 1-based position, CIGAR, bases, and
/// the SA tag for a split read.
struct Aligned {
    pos1: usize,
    cigar: String,
    seq: Vec<u8>,
    sa: Option<String>,
}

/// The bases `[from, from + READ)` of the haplotype `hap` (reference
/// coordinates shifted by the event), aligned as an aligner would: the
/// longer side of the event aligned, the other soft-clipped, or the event
/// in the CIGAR when `in_cigar`.
fn align(g: &[u8], carries: Carries, from: usize, in_cigar: bool, split: bool) -> Aligned {
    let plain = |pos0: usize| Aligned {
        pos1: pos0 + 1,
        cigar: format!("{READ}M"),
        seq: g[pos0..pos0 + READ].to_vec(),
        sa: None,
    };
    // Haplotype and where the event sits in it: bases before `at` are the
    // reference's; `shift` is what the reference position after the
    // event is ahead (deletion) or behind (duplication).
    let (hap, at, shift): (Vec<u8>, usize, i64) = match carries {
        Carries::Nothing => return plain(from),
        Carries::Deletion => {
            let (d, n) = DEL;
            ([&g[..d], &g[d + n..]].concat(), d, n as i64)
        }
        Carries::Duplication => {
            let (a, l) = DUP;
            (
                [&g[..a + l], &g[a..a + l], &g[a + l..]].concat(),
                a + l,
                -(l as i64),
            )
        }
    };
    let seq = hap[from..from + READ].to_vec();
    let ref_of = |h: usize| (h as i64 + shift) as usize;
    if from + READ <= at {
        return plain(from);
    }
    if from >= at {
        // Wholly after the event: the reference, shifted.
        let mut a = plain(ref_of(from));
        a.seq = seq;
        return a;
    }
    let before = at - from;
    let after = READ - before;
    let strand = '+';
    let (pos1, cigar, sa) = if in_cigar {
        let ev = if shift > 0 {
            format!("{before}M{shift}D{after}M")
        } else {
            let l = (-shift) as usize;
            if after <= l {
                format!("{before}M{after}S")
            } else {
                format!("{before}M{l}I{}M", after - l)
            }
        };
        (from + 1, ev, None)
    } else if before >= after {
        let sa = format!("chr1,{},{strand},{before}S{after}M,60,0;", ref_of(at) + 1);
        (from + 1, format!("{before}M{after}S"), Some(sa))
    } else {
        // The part after the event is aligned where it lies in the
        // reference (for a duplication, from the second copy on).
        let sa = format!("chr1,{},{strand},{before}M{after}S,60,0;", from + 1);
        (ref_of(at) + 1, format!("{before}S{after}M"), Some(sa))
    };
    Aligned {
        pos1,
        cigar,
        seq,
        sa: sa.filter(|_| split),
    }
}

/// Paired reads (2 x 100 over 150 bp fragments, two fragments per start)
/// over 300..2700, and single reads ending in adapter at `ADAPTER_AT`.
/// Also returns the carrier fragments of the deletion and the duplication.
fn sam(g: &[u8]) -> (String, [usize; 2]) {
    let mut carriers = [0; 2];
    let mut recs: Vec<(usize, String)> = Vec::new();
    let q = "F".repeat(READ);
    let (mut over_del, mut over_dup) = (0usize, 0usize);
    let mut fragment = 0usize;
    for start in 300..LEN - 300 {
        for copy in 0..2 {
            fragment += 1;
            let name = format!("f{fragment}");
            let covers = |(a, n): (usize, usize)| start + 5 < a && a + n + 5 < start + FRAGMENT;
            let carries = if covers(DEL) {
                over_del += 1;
                if over_del % CARRIER == 1 {
                    Carries::Deletion
                } else {
                    Carries::Nothing
                }
            } else if covers(DUP) {
                over_dup += 1;
                if over_dup % CARRIER == 1 {
                    Carries::Duplication
                } else {
                    Carries::Nothing
                }
            } else {
                Carries::Nothing
            };
            // The first carrier of each event has it in the CIGAR.
            let in_cigar = over_del == 1 || over_dup == 1;
            match carries {
                Carries::Deletion => carriers[0] += 1,
                Carries::Duplication => carriers[1] += 1,
                Carries::Nothing => {}
            }
            let split = fragment.is_multiple_of(2);
            let r1 = align(g, carries, start, in_cigar, split);
            let r2 = align(g, carries, start + FRAGMENT - READ, in_cigar, split);
            let tlen = FRAGMENT;
            for (flag, me, mate, sign) in [(99, &r1, &r2, ""), (147, &r2, &r1, "-")] {
                let seq = String::from_utf8(me.seq.clone()).unwrap();
                let sa = me
                    .sa
                    .as_ref()
                    .map_or(String::new(), |s| format!("\tSA:Z:{s}"));
                recs.push((
                    me.pos1 * 2 + copy,
                    format!(
                        "{name}\t{flag}\tchr1\t{}\t60\t{}\t=\t{}\t{sign}{tlen}\t{seq}\t{q}\tRG:Z:rg{sa}",
                        me.pos1, me.cigar, mate.pos1
                    ),
                ));
            }
        }
    }
    // Adapter read-through: 40 short fragments ending at ADAPTER_AT.
    for i in 0..40 {
        let insert = 60 + i % 7;
        let from = ADAPTER_AT - insert;
        let mut seq = g[from..ADAPTER_AT].to_vec();
        seq.extend_from_slice(&ADAPTER[..READ - insert]);
        let seq = String::from_utf8(seq).unwrap();
        recs.push((
            (from + 1) * 2,
            format!(
                "a{i}\t0\tchr1\t{}\t60\t{insert}M{}S\t*\t0\t0\t{seq}\t{q}\tRG:Z:rg",
                from + 1,
                READ - insert
            ),
        ));
    }
    // Random clips (chimeric or junk sequence): 40 right clips at
    // RANDOM_AT and 40 left clips just after it, 10-49 bases each.
    for i in 0..40 {
        let clip = 10 + (i * 7) % 40;
        let junk = random_sequence(clip, 1000 + i as u64);
        let aligned = READ - clip;
        let from = RANDOM_AT - aligned;
        let seq = format!(
            "{}{junk}",
            std::str::from_utf8(&g[from..RANDOM_AT]).unwrap()
        );
        recs.push((
            (from + 1) * 2,
            format!(
                "j{i}\t16\tchr1\t{}\t60\t{aligned}M{clip}S\t*\t0\t0\t{seq}\t{q}\tRG:Z:rg",
                from + 1
            ),
        ));
        let at = RANDOM_AT + 20;
        let seq = format!(
            "{junk}{}",
            std::str::from_utf8(&g[at..at + aligned]).unwrap()
        );
        recs.push((
            (at + 1) * 2,
            format!(
                "k{i}\t0\tchr1\t{}\t60\t{clip}S{aligned}M\t*\t0\t0\t{seq}\t{q}\tRG:Z:rg",
                at + 1
            ),
        ));
    }
    recs.sort_by_key(|r| r.0);
    let mut s = format!("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:{LEN}\n@RG\tID:rg\tSM:s\n");
    for (_, r) in recs {
        s.push_str(&r);
        s.push('\n');
    }
    (s, carriers)
}

struct Data {
    dir: tempfile::TempDir,
    g: Vec<u8>,
    fasta: std::path::PathBuf,
    bed: std::path::PathBuf,
    bam: std::path::PathBuf,
    carriers: [usize; 2],
}

fn data() -> Data {
    let dir = tempfile::tempdir().unwrap();
    let g = reference();
    let fasta = write_fasta(
        dir.path(),
        "ref.fa",
        &[("chr1", std::str::from_utf8(&g).unwrap())],
    );
    let bed = dir.path().join("t.bed");
    std::fs::write(&bed, "chr1\t500\t2500\n").unwrap();
    let (text, carriers) = sam(&g);
    let bam = sam_to_bam(dir.path(), "clips", &text);
    Data {
        dir,
        g,
        fasta,
        bed,
        bam,
        carriers,
    }
}

fn call(d: &Data, threads: &str) -> Vec<Vec<String>> {
    call_records(
        d.dir.path(),
        (&d.bam, &d.fasta, &d.bed),
        &["--threads", threads],
    )
    .0
}

/// The two events as VCF (1-based anchor, REF, ALT): left-aligned, the
/// base before each event as anchor.
fn expected(d: &Data) -> [(String, String, String); 2] {
    let g = |from: usize, to: usize| String::from_utf8(d.g[from..to].to_vec()).unwrap();
    let ((del, n), (dup, l)) = (DEL, DUP);
    [
        (del.to_string(), g(del - 1, del + n), g(del - 1, del)),
        (dup.to_string(), g(dup - 1, dup), g(dup - 1, dup + l)),
    ]
}

fn key(r: &[String]) -> (String, String, String) {
    (r[1].clone(), r[3].clone(), r[4].clone())
}

/// Event `i` (0 deletion, 1 duplication) is one PASS record, its alt
/// molecules those of the carrier fragments: all but one carry it as soft
/// clips, so without the realignment it is not called at all.
fn called_from_clipped_reads(i: usize) {
    let d = data();
    let records = call(&d, "1");
    let want = &expected(&d)[i];
    let hits: Vec<&Vec<String>> = records.iter().filter(|r| key(r) == *want).collect();
    assert_eq!(hits.len(), 1, "{want:?} in {records:?}");
    let r = hits[0];
    assert_eq!(r[6], "PASS", "{r:?}");
    // Every 8th fragment; each counted once, a few lost where both mates
    // clip too little of the event to tell.
    let carriers = d.carriers[i];
    let ad = format_field(r, "AD");
    let alt: usize = ad.split(',').nth(1).unwrap().parse().unwrap();
    assert!(carriers >= 25, "{carriers}");
    assert!(
        alt * 10 >= carriers * 8 && alt <= carriers,
        "AD {ad} of {carriers} carriers: {r:?}"
    );
}

#[test]
fn a_32_bp_deletion_carried_by_clipped_reads_is_one_pass_record() {
    called_from_clipped_reads(0);
}

#[test]
fn an_18_bp_duplication_carried_by_clipped_reads_is_one_pass_record() {
    called_from_clipped_reads(1);
}

/// 40 adapter read-through clips and 80 random clips give no record: the
/// call holds the two events and nothing else.
#[test]
fn adapter_and_random_clips_are_no_evidence() {
    let d = data();
    let got: Vec<_> = call(&d, "1").iter().map(|r| key(r)).collect();
    assert_eq!(got, expected(&d));
}

#[test]
fn one_and_two_threads_give_the_same_records() {
    let d = data();
    assert_eq!(call(&d, "2"), call(&d, "1"));
}
