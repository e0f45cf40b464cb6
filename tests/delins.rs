//! Delins (issue 21, point 2): a deletion with a substitution beside it on
//! the same molecules is one record. A BAM built here (single-end reads
//! from every start, both strands, 0.1% random errors) carries at 2% an
//! EGFR-exon-19-like delins: 19 reference bases replaced by one, written
//! as an aligner does, half the reads with the mismatch before the 18 bp
//! deletion and half with it after; a lone SNV two bases before it on
//! other molecules, and a lone 18 bp deletion elsewhere. The delins must be
//! one `TYPE=complex` PASS record, parsimonious (bcftools norm leaves it),
//! with no PASS record for its deletion or substitution; the lone SNV and
//! deletion keep theirs; one thread or two give the same VCF.

mod common;
use common::*;
use ctdna::testing::{random_sequence, sam_to_bam, write_fasta};
use std::path::Path;

const LEN: usize = 1500;
const READ: usize = 100;
const PER_START: usize = 20;
/// 1-based first replaced base of the delins, and how many it replaces.
const DELINS: usize = 600;
const REPLACED: usize = 19;
/// 1-based position of the lone SNV beside the delins (other molecules).
const BESIDE: usize = DELINS - 2;
/// 1-based anchor of a lone 18 bp deletion (no substitution).
const DELETION: usize = 900;
const DELETED: usize = 18;
/// Every `EVERY`-th read covering a site carries its event (~2%).
const EVERY: usize = 49;

/// The delins' replacing base: neither its first nor its last reference
/// base (so REF/ALT are parsimonious).
fn replacing(r: &[u8]) -> u8 {
    let (first, last) = (r[DELINS - 1], r[DELINS + REPLACED - 2]);
    *b"ACGT".iter().find(|&&b| b != first && b != last).unwrap()
}

/// One read from 1-based `start`: sequence and CIGAR. A read that carries
/// an event has it at least 10 bases from both ends; `late` puts a
/// delins' mismatch after its deletion instead of before.
fn read(r: &[u8], start: usize, event: Option<usize>, late: bool) -> (Vec<u8>, String) {
    let plain = || (r[start - 1..start - 1 + READ].to_vec(), format!("{READ}M"));
    match event {
        Some(DELINS) => {
            let x = replacing(r);
            let mut hap = r[start - 1..DELINS - 1].to_vec();
            hap.push(x);
            hap.extend_from_slice(&r[DELINS - 1 + REPLACED..]);
            hap.truncate(READ);
            let del = REPLACED - 1;
            let before = DELINS - start + usize::from(!late);
            (hap, format!("{before}M{del}D{}M", READ - before))
        }
        Some(DELETION) => {
            let mut hap = r[start - 1..DELETION].to_vec();
            hap.extend_from_slice(&r[DELETION + DELETED..]);
            hap.truncate(READ);
            let before = DELETION + 1 - start;
            (hap, format!("{before}M{DELETED}D{}M", READ - before))
        }
        _ => plain(),
    }
}

fn sam(r: &[u8]) -> String {
    let mut s = format!("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:{LEN}\n@RG\tID:rg\tSM:s\n");
    let mut rng = Lcg(11);
    let mut seen = [0usize; 3];
    let mut i = 0usize;
    for start in 200..LEN - READ - 200 {
        for copy in 0..PER_START {
            i += 1;
            let inside = |p: usize, span: usize| start + 10 <= p && p + span + 10 <= start + READ;
            let mut event = None;
            let mut late = false;
            let mut snv = false;
            for (k, (site, span)) in [(DELINS, REPLACED), (BESIDE, 1), (DELETION, DELETED)]
                .into_iter()
                .enumerate()
            {
                if !inside(site, span) {
                    continue;
                }
                seen[k] += 1;
                let n = seen[k];
                match k {
                    0 if n.is_multiple_of(EVERY) => {
                        event = Some(DELINS);
                        late = (n / EVERY).is_multiple_of(2);
                    }
                    1 => snv = n % EVERY == EVERY / 2,
                    2 if n.is_multiple_of(EVERY) => event = Some(DELETION),
                    _ => {}
                }
            }
            let (mut seq, cigar) = read(r, start, event, late);
            if snv && event.is_none() {
                seq[BESIDE - start] = next_base(r[BESIDE - 1]);
            }
            for b in seq.iter_mut() {
                if rng.next().is_multiple_of(1000) {
                    *b = next_base(*b);
                }
            }
            s.push_str(&format!(
                "r{i}\t{}\tchr1\t{start}\t60\t{cigar}\t*\t0\t0\t{}\t{}\tRG:Z:rg\n",
                if copy % 2 == 1 { 16 } else { 0 },
                String::from_utf8(seq).unwrap(),
                "I".repeat(READ)
            ));
        }
    }
    s
}

struct Run {
    reference: Vec<u8>,
    records: Vec<Vec<String>>,
}

fn call(dir: &Path, extra: &[&str]) -> Run {
    let r = random_sequence(LEN, 23).into_bytes();
    let fasta = write_fasta(dir, "ref.fa", &[("chr1", std::str::from_utf8(&r).unwrap())]);
    let bed = dir.join("t.bed");
    std::fs::write(&bed, "chr1\t300\t1200\n").unwrap();
    let bam = sam_to_bam(dir, "s", &sam(&r));
    let (records, _) = call_records(dir, (&bam, &fasta, &bed), extra);
    Run {
        reference: r,
        records,
    }
}

impl Run {
    /// PASS records as (POS, REF, ALT, INFO).
    fn passing(&self) -> Vec<(usize, String, String, String)> {
        self.records
            .iter()
            .filter(|f| f[6] == "PASS")
            .map(|f| {
                (
                    f[1].parse().unwrap(),
                    f[3].clone(),
                    f[4].clone(),
                    f[7].clone(),
                )
            })
            .collect()
    }

    /// The delins as VCF REF and ALT.
    fn delins(&self) -> (String, String) {
        let refs = &self.reference[DELINS - 1..DELINS - 1 + REPLACED];
        (
            String::from_utf8(refs.to_vec()).unwrap(),
            (replacing(&self.reference) as char).to_string(),
        )
    }
}

#[test]
fn a_deletion_with_a_substitution_beside_it_is_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let run = call(dir.path(), &[]);
    let (r, a) = run.delins();
    let pass = run.passing();
    let near: Vec<_> = pass
        .iter()
        .filter(|(p, ..)| (DELINS - 5..DELINS + REPLACED + 5).contains(p))
        .collect();
    // The delins, and the lone SNV two bases before it: nothing else (no
    // deletion, no SNV of the delins' substitution, written before or
    // after the deletion).
    let delins: Vec<_> = near.iter().filter(|(p, ..)| *p == DELINS).collect();
    assert!(
        delins.len() == 1 && delins[0].1 == r && delins[0].2 == a,
        "want one PASS {r}>{a} at {DELINS}: {near:?}"
    );
    assert!(delins[0].3.contains("TYPE=complex"), "{:?}", delins[0]);
    let beside: Vec<_> = near.iter().filter(|(p, ..)| *p == BESIDE).collect();
    assert!(
        beside.len() == 1 && beside[0].3.contains("TYPE=snv"),
        "the lone SNV beside the delins: {near:?}"
    );
    assert_eq!(near.len(), 2, "{near:?}");
    // The lone deletion keeps its own record.
    assert!(
        pass.iter().any(|(p, rr, aa, info)| *p == DELETION
            && rr.len() == DELETED + 1
            && aa.len() == 1
            && info.contains("TYPE=del")),
        "{pass:?}"
    );
}

/// With `--mnv-window 1` nothing is joined: the delins is its deletion and
/// SNV, as before.
#[test]
fn with_a_window_of_one_base_the_delins_is_its_parts() {
    let dir = tempfile::tempdir().unwrap();
    let run = call(dir.path(), &["--mnv-window", "1"]);
    assert!(run.records.iter().all(|f| !f[7].contains("TYPE=complex")));
    assert!(run
        .passing()
        .iter()
        .any(|(p, rr, _, _)| (DELINS - 1..DELINS + 1).contains(p) && rr.len() > 1));
}

#[test]
fn one_thread_or_two_give_the_same_records() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = call(d1.path(), &["--threads", "1"]).records;
    let two = call(d2.path(), &["--threads", "2"]).records;
    assert!(one.iter().any(|f| f[7].contains("TYPE=complex")));
    assert_eq!(one, two);
}

/// `bcftools norm -c e -f ref.fa` leaves every record as it is.
#[test]
fn the_delins_is_normalised_as_bcftools_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = call(dir.path(), &[]);
    assert!(run.records.iter().any(|f| f[7].contains("TYPE=complex")));
    let fa = dir.path().join("ref.fa");
    ctdna::reference::Reference::open(&fa).unwrap();
    let Some(after) = bcftools_normed(&fa, &dir.path().join("out.vcf")) else {
        return;
    };
    let key = |f: &Vec<String>| (f[1].clone(), f[3].clone(), f[4].clone());
    let before: Vec<_> = run.records.iter().map(key).collect();
    assert_eq!(before, after);
}

/// Known loci and `mrd` take a delins: given padded with the reference
/// base before it (as some tools write it), it is tested (KNOWN, one PASS
/// record) and `mrd` counts its molecules (~2% of ~1,700).
#[test]
fn known_loci_and_mrd_take_a_delins() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = call(d, &[]);
    let (r, a) = run.delins();
    let pad = (run.reference[DELINS - 2] as char).to_string();
    let known = chr1_vcf(d, "known.vcf", &[(DELINS - 1, pad.clone() + &r, pad + &a)]);
    let (records, err) = call_records(
        d,
        (&d.join("s.bam"), &d.join("ref.fa"), &d.join("t.bed")),
        &["--known", s(&known)],
    );
    assert!(!err.contains("skipped"), "{err}");
    let rec = records
        .iter()
        .find(|f| f[1] == DELINS.to_string() && f[3] == r && f[4] == a)
        .unwrap_or_else(|| panic!("no record for the known delins: {records:?}"));
    assert!(
        rec[7].contains("KNOWN") && rec[7].contains("TYPE=complex"),
        "{rec:?}"
    );
    assert_eq!(rec[6], "PASS");

    let tumor = chr1_vcf(d, "tumor.vcf", &[(DELINS, r, a)]);
    let (alt, table) = mrd_alt_molecules(d, &tumor);
    assert!((20..=50).contains(&alt), "{table}");
}
