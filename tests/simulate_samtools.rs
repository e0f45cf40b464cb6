//! Independent check of the simulator: `samtools mpileup` allele counts at
//! the truth positions match the simulated VAFs within binomial noise.
//! Runs only when `samtools` is on PATH (CI installs it); skips otherwise.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn samtools_available() -> bool {
    Command::new("samtools")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

struct Truth {
    contig: String,
    pos: u64,
    r: String,
    a: String,
    vaf: f64,
}

fn read_truth(dir: &Path) -> Vec<Truth> {
    use std::io::Read;
    // BGZF decompression only (htslib); the parsing is plain text here.
    let mut r = rust_htslib::bgzf::Reader::from_path(dir.join("truth.vcf.gz")).unwrap();
    let mut text = String::new();
    r.read_to_string(&mut text).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let vaf = f[7]
                .split(';')
                .find_map(|kv| kv.strip_prefix("VAF="))
                .unwrap()
                .parse()
                .unwrap();
            Truth {
                contig: f[0].into(),
                pos: f[1].parse().unwrap(),
                r: f[3].into(),
                a: f[4].into(),
                vaf,
            }
        })
        .collect()
}

/// (depth, alt count) at a truth site from one mpileup line's base column.
fn count(bases: &str, t: &Truth) -> (u64, u64) {
    let b = bases.as_bytes();
    let (mut depth, mut alt, mut i) = (0u64, 0u64, 0usize);
    let snv = t.r.len() == 1 && t.a.len() == 1;
    let want_indel = if t.a.len() > t.r.len() {
        format!("+{}{}", t.a.len() - 1, &t.a[1..])
    } else {
        format!("-{}{}", t.r.len() - 1, &t.r[1..])
    }
    .to_ascii_uppercase();
    while i < b.len() {
        match b[i] {
            b'^' => i += 2,
            b'$' => i += 1,
            b'+' | b'-' => {
                let start = i;
                i += 1;
                let mut n = 0usize;
                while i < b.len() && b[i].is_ascii_digit() {
                    n = n * 10 + usize::from(b[i] - b'0');
                    i += 1;
                }
                let ev = bases[start..i + n].to_ascii_uppercase();
                i += n;
                if !snv && ev == want_indel {
                    alt += 1;
                }
            }
            c => {
                depth += 1;
                if snv && c.to_ascii_uppercase() == t.a.as_bytes()[0] {
                    alt += 1;
                }
                i += 1;
            }
        }
    }
    (depth, alt)
}

#[test]
fn mpileup_allele_fractions_match_simulated_vafs() {
    if !samtools_available() {
        eprintln!("SKIP mpileup_allele_fractions_match_simulated_vafs: samtools is not on PATH");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let out = d.path().to_str().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_ctdna"))
        .args([
            "simulate",
            "--out-dir",
            out,
            "--seed",
            "11",
            "--quiet",
            "--contigs",
            "2",
            "--contig-len",
            "40000",
            "--targets",
            "8",
            "--vaf",
            "0.02,0.05,0.1,0.3",
            "--snvs-per-vaf",
            "4",
            "--indels-per-vaf",
            "2",
            "--depth",
            "800",
            "--mark-duplicates",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let truth = read_truth(d.path());
    assert!(!truth.is_empty());
    let bed: String = truth
        .iter()
        .map(|t| format!("{}\t{}\t{}\n", t.contig, t.pos - 1, t.pos))
        .collect();
    std::fs::write(d.path().join("sites.bed"), bed).unwrap();
    // Defaults: duplicates, secondary, QC-fail dropped; overlapping mates
    // counted once; bases below Q13 dropped. -B: no BAQ.
    let o = Command::new("samtools")
        .current_dir(d.path())
        .args([
            "mpileup",
            "-B",
            "-q",
            "0",
            "-Q",
            "13",
            "-d",
            "1000000",
            "-f",
            "ref.fa",
            "-l",
            "sites.bed",
            "sample.bam",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pile = String::from_utf8_lossy(&o.stdout).into_owned();
    let by_pos: BTreeMap<(String, u64), String> = pile
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            ((f[0].to_string(), f[1].parse().unwrap()), f[4].to_string())
        })
        .collect();
    // Aggregate per (VAF, SNV/indel) and compare with a binomial (4 sd).
    let mut bins: BTreeMap<(u64, bool), (u64, u64)> = BTreeMap::new();
    for t in &truth {
        let bases = by_pos
            .get(&(t.contig.clone(), t.pos))
            .expect("truth site missing in pileup");
        let (n, k) = count(bases, t);
        assert!(n > 400, "{}:{} depth {n}", t.contig, t.pos);
        let e = bins
            .entry(((t.vaf * 1e4).round() as u64, t.r.len() == t.a.len()))
            .or_default();
        e.0 += n;
        e.1 += k;
    }
    let mut report = String::new();
    for ((v, snv), (n, k)) in &bins {
        let vaf = *v as f64 / 1e4;
        let (nf, kf) = (*n as f64, *k as f64);
        let sd = (nf * vaf * (1.0 - vaf)).sqrt().max(1.0);
        report.push_str(&format!("vaf {vaf} snv {snv}: {k}/{n} = {:.4}\n", kf / nf));
        // Indels lose a few alt reads where the event sits at a read end
        // (soft-clipped, not shown by mpileup): allow 10% relative shortfall.
        let expect = if *snv { nf * vaf } else { nf * vaf * 0.95 };
        let tol = 4.0 * sd + if *snv { 0.0 } else { 0.05 * nf * vaf };
        assert!((kf - expect).abs() < tol, "{report}");
    }
    eprintln!("{report}");
}
