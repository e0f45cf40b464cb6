//! MNVs (issue 21, point 1): substitutions close together on the same
//! molecules are one record. A BAM built here (single-end reads from every
//! start, both strands, 0.1% random errors) carries at 2%: an adjacent
//! dinucleotide, two substitutions one base apart, a lone SNV, and an MNV
//! whose first base also occurs alone on other molecules. Each MNV must be
//! one `TYPE=mnv` PASS record with no PASS SNV record for its parts, the
//! lone SNVs must keep theirs, and the VCF must be normalised as bcftools
//! sees it.

mod common;
use common::*;
use ctdna::testing::{random_sequence, sam_to_bam, write_fasta};
use std::path::Path;

const LEN: usize = 1500;
const READ: usize = 100;
const PER_START: usize = 20;
/// 1-based positions of what is planted.
const ADJACENT: usize = 600;
const GAPPED: usize = 900;
const SHARED: usize = 750;
const LONE: usize = 1100;

/// Every 49th read covering a site carries its event (strands alternate); at `SHARED` the MNV
/// is on reads 49, 98, ... and the lone SNV of its first base on reads
/// 24, 73, ... At `ADJACENT` one MNV read in four reads its first base at
/// Q2: that read shows only the second as a usable substitution (the
/// MNV's molecules that leak into an SNV of its part).
fn sam(r: &[u8]) -> String {
    let mut s = format!("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:{LEN}\n@RG\tID:rg\tSM:s\n");
    let mut rng = Lcg(7);
    let mut seen = [0usize; 4];
    let mut i = 0usize;
    for start in 200..LEN - READ - 200 {
        for copy in 0..PER_START {
            i += 1;
            let mut seq = r[start - 1..start - 1 + READ].to_vec();
            let mut q = vec![b'I'; READ];
            for b in seq.iter_mut() {
                if rng.next().is_multiple_of(1000) {
                    *b = next_base(*b);
                }
            }
            let covers = |p: usize, len: usize| start <= p && p + len <= start + READ;
            let mut set = |p: usize| seq[p - start] = next_base(r[p - 1]);
            for (k, &(site, len)) in [(ADJACENT, 2), (GAPPED, 3), (SHARED, 2), (LONE, 1)]
                .iter()
                .enumerate()
            {
                if !covers(site, len) {
                    continue;
                }
                seen[k] += 1;
                if seen[k].is_multiple_of(49) {
                    set(site);
                    set(site + len - 1);
                    if site == ADJACENT && seen[k].is_multiple_of(4 * 49) {
                        q[site - start] = b'#';
                    }
                } else if site == SHARED && seen[k] % 49 == 24 {
                    set(site);
                }
            }
            s.push_str(&format!(
                "r{i}\t{}\tchr1\t{start}\t60\t{READ}M\t*\t0\t0\t{}\t{}\tRG:Z:rg\n",
                if copy % 2 == 1 { 16 } else { 0 },
                String::from_utf8(seq).unwrap(),
                String::from_utf8(q).unwrap()
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
    let r = random_sequence(LEN, 21).into_bytes();
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
    /// PASS records starting at `pos` (1-based) as (REF, ALT, INFO).
    fn pass_at(&self, pos: usize) -> Vec<(String, String, String)> {
        self.records
            .iter()
            .filter(|f| f[1] == pos.to_string() && f[6] == "PASS")
            .map(|f| (f[3].clone(), f[4].clone(), f[7].clone()))
            .collect()
    }

    /// The expected MNV at `pos` of `len` bases (first and last changed).
    fn mnv(&self, pos: usize, len: usize) -> (String, String) {
        let refs = &self.reference[pos - 1..pos - 1 + len];
        let mut alt = refs.to_vec();
        alt[0] = next_base(alt[0]);
        alt[len - 1] = next_base(alt[len - 1]);
        (
            String::from_utf8(refs.to_vec()).unwrap(),
            String::from_utf8(alt).unwrap(),
        )
    }

    fn assert_one_mnv(&self, pos: usize, len: usize) {
        let (r, a) = self.mnv(pos, len);
        let here = self.pass_at(pos);
        assert!(
            here.iter()
                .any(|(rr, aa, info)| *rr == r && *aa == a && info.contains("TYPE=mnv")),
            "no PASS MNV {r}>{a} at {pos}: {here:?} {:?}",
            self.records
                .iter()
                .filter(|f| f[1].parse::<usize>().unwrap().abs_diff(pos) < 4)
                .collect::<Vec<_>>()
        );
        for p in pos..pos + len {
            let snvs: Vec<_> = self
                .pass_at(p)
                .into_iter()
                .filter(|(rr, _, _)| rr.len() == 1)
                .collect();
            assert!(
                snvs.is_empty(),
                "a part of the MNV at {pos} passed on its own: {p} {snvs:?}"
            );
        }
    }
}

#[test]
fn substitutions_on_the_same_molecules_are_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let run = call(dir.path(), &[]);
    run.assert_one_mnv(ADJACENT, 2);
    run.assert_one_mnv(GAPPED, 3);
    // The MNV's molecules whose first base was Q2 show its second alone.
    let leaked = run
        .records
        .iter()
        .find(|f| f[1] == (ADJACENT + 1).to_string() && f[3].len() == 1)
        .unwrap_or_else(|| panic!("no SNV record for the leaked second base"));
    assert!(leaked[6].contains("MnvPart"), "{leaked:?}");
    // The first base of this MNV also occurs alone: that SNV keeps its
    // own record, with its own molecules only (about 2%, not 4%).
    let (r, a) = run.mnv(SHARED, 2);
    let shared = run.pass_at(SHARED);
    assert!(
        shared.iter().any(|(rr, aa, _)| *rr == r && *aa == a),
        "{shared:?}"
    );
    let snv = shared.iter().find(|(rr, _, _)| rr.len() == 1);
    let near: Vec<_> = run
        .records
        .iter()
        .filter(|f| f[1] == SHARED.to_string())
        .collect();
    let (_, _, info) = snv.unwrap_or_else(|| panic!("no PASS SNV at {SHARED}: {near:?}"));
    assert!(info.contains("TYPE=snv"), "{info}");
    let af: f64 = info
        .split(';')
        .find_map(|kv| kv.strip_prefix("AF="))
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.01..0.03).contains(&af), "the lone SNV's AF {af}");
    let lone = run.pass_at(LONE);
    assert!(
        lone.iter()
            .any(|(rr, aa, info)| rr.len() == 1 && aa.len() == 1 && info.contains("TYPE=snv")),
        "{lone:?}"
    );
    // Nothing else passes: the random errors are background.
    let others: Vec<_> = run
        .records
        .iter()
        .filter(|f| f[6] == "PASS")
        .filter(|f| {
            ![ADJACENT, GAPPED, SHARED, LONE]
                .map(|p| p.to_string())
                .contains(&f[1])
        })
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

#[test]
fn with_a_window_of_one_base_the_parts_are_snvs_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let run = call(dir.path(), &["--mnv-window", "1"]);
    assert!(run.records.iter().all(|f| !f[7].contains("TYPE=mnv")));
    for p in [ADJACENT, ADJACENT + 1, GAPPED, GAPPED + 2] {
        assert_eq!(run.pass_at(p).len(), 1, "SNV at {p}");
    }
}

/// `bcftools norm -c e -f ref.fa` (check REF, left-align, split nothing)
/// leaves every record as it is: the alleles written are normalised.
#[test]
fn records_are_normalised_as_bcftools_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let run = call(dir.path(), &[]);
    assert!(run.records.iter().any(|f| f[7].contains("TYPE=mnv")));
    let fa = dir.path().join("ref.fa");
    ctdna::reference::Reference::open(&fa).unwrap();
    let Some(after) = bcftools_normed(&fa, &dir.path().join("out.vcf")) else {
        return;
    };
    let key = |f: &Vec<String>| (f[1].clone(), f[3].clone(), f[4].clone());
    let before: Vec<_> = run.records.iter().map(key).collect();
    assert_eq!(before, after);
}

/// Known loci and `mrd` take MNVs: a known MNV is tested (KNOWN) and
/// counted on its molecules (given padded with a reference base); `mrd`
/// counts its alt molecules at the tumour variant.
#[test]
fn known_loci_and_mrd_take_mnvs() {
    let dir = tempfile::tempdir().unwrap();
    let run = call(dir.path(), &[]);
    let (r, a) = run.mnv(GAPPED, 3);
    // Padded by one reference base on the left, as some tools write it.
    let pad = (run.reference[GAPPED - 2] as char).to_string();
    let known = chr1_vcf(
        dir.path(),
        "known.vcf",
        &[(GAPPED - 1, pad.clone() + &r, pad + &a)],
    );
    let d = dir.path();
    let (records, err) = call_records(
        d,
        (&d.join("s.bam"), &d.join("ref.fa"), &d.join("t.bed")),
        &["--known", s(&known)],
    );
    assert!(!err.contains("skipped"), "{err}");
    let rec = records
        .iter()
        .find(|f| f[1] == GAPPED.to_string() && f[3] == r && f[4] == a)
        .unwrap_or_else(|| panic!("no record for the known MNV: {records:?}"));
    assert!(
        rec[7].contains("KNOWN") && rec[7].contains("TYPE=mnv"),
        "{rec:?}"
    );
    assert_eq!(rec[6], "PASS");

    let tumor = chr1_vcf(
        d,
        "tumor.vcf",
        &[(ADJACENT, run.mnv(ADJACENT, 2).0, run.mnv(ADJACENT, 2).1)],
    );
    let (alt, table) = mrd_alt_molecules(d, &tumor);
    // 2% of ~1,840 molecules carry it.
    assert!((25..=50).contains(&alt), "{table}");
}
