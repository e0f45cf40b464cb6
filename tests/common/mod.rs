//! Shared fixtures for the integration tests: a small synthetic data set
//! built from text, and a runner for the binary.
#![allow(dead_code)]

use ctdna::testing::{random_sequence, sam_to_bam, write_fasta};
use std::path::{Path, PathBuf};
use std::process::Output;

/// A spiked variant: 1-based position on chr1 and the alt base.
pub struct Spike {
    pub pos1: usize,
    pub alt: char,
    /// Every `every`-th fragment covering it carries it.
    pub every: usize,
}

/// Paths of a generated data set.
pub struct DataSet {
    pub dir: tempfile::TempDir,
    pub reference: PathBuf,
    pub bed: PathBuf,
    pub bam: PathBuf,
    pub chr1: String,
}

pub const CHR1_LEN: usize = 6000;
pub const CHR2_LEN: usize = 1000;

fn alt_for(reference: &str, pos1: usize) -> char {
    match &reference[pos1 - 1..pos1] {
        "A" => 'G',
        "C" => 'T',
        "G" => 'A',
        _ => 'C',
    }
}

/// Spikes at fixed positions: 10% and 5% SNVs.
pub fn default_spikes(chr1: &str) -> Vec<Spike> {
    vec![
        Spike {
            pos1: 1500,
            alt: alt_for(chr1, 1500),
            every: 10,
        },
        Spike {
            pos1: 3200,
            alt: alt_for(chr1, 3200),
            every: 20,
        },
    ]
}

/// Fragments of 150 bp starting every `step` bases on chr1 (and chr2), read
/// as 2x100 pairs (mates overlap by 50), qualities 37 (`F`), SM "tumour".
pub fn sam_text(
    chr1: &str,
    chr2: &str,
    spikes: &[Spike],
    step: usize,
    sq_chr1_len: usize,
    so: &str,
) -> String {
    let mut s = format!(
        "@HD\tVN:1.6\tSO:{so}\n@SQ\tSN:chr1\tLN:{sq_chr1_len}\n@SQ\tSN:chr2\tLN:{CHR2_LEN}\n@RG\tID:rg1\tSM:tumour\n"
    );
    let q = "F".repeat(100);
    for (contig, seq) in [("chr1", chr1), ("chr2", chr2)] {
        let mut recs: Vec<(usize, String)> = Vec::new();
        let mut frag = 0usize;
        let mut start = 1;
        while start + 150 <= seq.len() {
            let mut bases: Vec<u8> = seq.as_bytes()[start - 1..start - 1 + 150].to_vec();
            if contig == "chr1" {
                for sp in spikes {
                    if sp.pos1 >= start && sp.pos1 < start + 150 && frag.is_multiple_of(sp.every) {
                        bases[sp.pos1 - start] = sp.alt as u8;
                    }
                }
            }
            let r1 = String::from_utf8(bases[..100].to_vec()).unwrap();
            let r2 = String::from_utf8(bases[50..].to_vec()).unwrap();
            let name = format!("{contig}_f{frag}");
            let m2 = start + 50;
            recs.push((
                start,
                format!(
                    "{name}\t99\t{contig}\t{start}\t60\t100M\t=\t{m2}\t150\t{r1}\t{q}\tRG:Z:rg1"
                ),
            ));
            recs.push((
                m2,
                format!(
                    "{name}\t147\t{contig}\t{m2}\t60\t100M\t=\t{start}\t-150\t{r2}\t{q}\tRG:Z:rg1"
                ),
            ));
            frag += 1;
            start += step;
        }
        recs.sort_by_key(|r| r.0);
        for (_, r) in recs {
            s.push_str(&r);
            s.push('\n');
        }
    }
    s
}

impl DataSet {
    /// `ctdna <command> --bam <bam> -r <reference> -t <panel>` of this data set.
    pub fn args(&self, command: &'static str) -> Vec<&str> {
        vec![
            command,
            "--bam",
            s(&self.bam),
            "-r",
            s(&self.reference),
            "-t",
            s(&self.bed),
        ]
    }

    /// Run [`DataSet::args`] followed by `extra`.
    pub fn run(&self, command: &'static str, extra: &[&str]) -> Output {
        let mut args = self.args(command);
        args.extend_from_slice(extra);
        ctdna(&args)
    }
}

/// Build the default data set: chr1 6 kb, chr2 1 kb, targets on both.
pub fn dataset(step: usize) -> DataSet {
    let dir = tempfile::tempdir().unwrap();
    let chr1 = random_sequence(CHR1_LEN, 11);
    let chr2 = random_sequence(CHR2_LEN, 12);
    let reference = write_fasta(dir.path(), "ref.fa", &[("chr1", &chr1), ("chr2", &chr2)]);
    let bed = dir.path().join("panel.bed");
    std::fs::write(
        &bed,
        "track name=panel\nchr1\t1000\t2000\nchr1\t1900\t3500\nchr2\t200\t800\n",
    )
    .unwrap();
    let spikes = default_spikes(&chr1);
    let bam = sam_to_bam(
        dir.path(),
        "tumour",
        &sam_text(&chr1, &chr2, &spikes, step, CHR1_LEN, "coordinate"),
    );
    DataSet {
        dir,
        reference,
        bed,
        bam,
        chr1,
    }
}

/// A small simulated library with UMI families (`ctdna simulate`: 6
/// targets at 400 molecules, mean 3 read pairs per molecule, dual UMIs), so
/// that `call`, `count` and `pon` run in UMI mode on it. Files in `sim`:
/// `sample.bam`, `ref.fa`, `targets.bed`, `truth.vcf.gz`, `manifest.json`.
pub struct UmiData {
    _dir: tempfile::TempDir,
    pub sim: PathBuf,
}

impl UmiData {
    pub fn simulate() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sim = dir.path().join("sim");
        let p = ctdna::simulate::params::SimParams {
            seed: 5,
            contigs: 1,
            contig_len: 40_000,
            dup_segments: 0,
            paralog_targets: 0,
            targets: 6,
            target_min_len: 200,
            target_max_len: 300,
            depth: 400,
            family_size: 3.0,
            duplex: true,
            vafs: vec![0.02, 0.05],
            snvs_per_vaf: 3,
            indels_per_vaf: 1,
            bam_compression: 1,
            ..Default::default()
        };
        ctdna::simulate::simulate(&p, &sim).unwrap();
        UmiData { _dir: dir, sim }
    }

    /// A file of the simulation, as a string.
    pub fn path(&self, f: &str) -> String {
        self.sim.join(f).display().to_string()
    }

    /// `call` on the simulated sample, without `-o`.
    pub fn call(&self) -> Vec<String> {
        ["call", "--quiet", "--bam", &self.path("sample.bam"), "-r"]
            .iter()
            .map(|x| x.to_string())
            .chain([self.path("ref.fa"), "-t".into(), self.path("targets.bed")])
            .collect()
    }
}

/// `ctdna call --bam bam -r fasta -t bed -o <dir>/out.vcf` plus `extra`,
/// which must succeed: the VCF's records, split into fields, and stderr.
pub fn call_records(
    dir: &Path,
    (bam, fasta, bed): (&Path, &Path, &Path),
    extra: &[&str],
) -> (Vec<Vec<String>>, String) {
    let out = dir.join("out.vcf");
    let mut args = vec![
        "call",
        "--bam",
        s(bam),
        "-r",
        s(fasta),
        "-t",
        s(bed),
        "-o",
        s(&out),
    ];
    args.extend_from_slice(extra);
    let o = ctdna(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let records = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').map(String::from).collect())
        .collect();
    (records, stderr(&o))
}

/// The first sample's value of FORMAT `key` in a VCF record.
pub fn format_field<'a>(record: &'a [String], key: &str) -> &'a str {
    let i = record[8].split(':').position(|k| k == key).unwrap();
    record[9].split(':').nth(i).unwrap()
}

/// Run the binary with arguments.
pub fn ctdna(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ctdna"))
        .args(args)
        .output()
        .expect("run ctdna")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// `&str`s of `Strings`, for [`ctdna`].
pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Files in a folder (names), sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// The `(POS, REF, ALT)` of a VCF's records after `bcftools norm -c e -f
/// fa` (check REF, left-align, split nothing); `None`, with a printed
/// reason, when bcftools is not installed.
pub fn bcftools_normed(fa: &Path, vcf: &Path) -> Option<Vec<(String, String, String)>> {
    let o = match std::process::Command::new("bcftools")
        .args(["norm", "-c", "e", "-f", s(fa), s(vcf)])
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            eprintln!("SKIP: bcftools not installed (apt-get install bcftools)");
            return None;
        }
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let keys = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[1].to_string(), f[3].to_string(), f[4].to_string())
        })
        .collect();
    Some(keys)
}

/// A VCF of `(pos, REF, ALT)` records on a 1,500-base chr1.
pub fn chr1_vcf(dir: &Path, name: &str, records: &[(usize, String, String)]) -> PathBuf {
    let mut text = String::from("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1500>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    for (pos, r, a) in records {
        text.push_str(&format!("chr1\t{pos}\t.\t{r}\t{a}\t.\t.\t.\n"));
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The base after `b` in A, C, G, T (cycling): a substitution.
pub fn next_base(b: u8) -> u8 {
    match b {
        b'A' => b'C',
        b'C' => b'G',
        b'G' => b'T',
        _ => b'A',
    }
}

/// A tiny deterministic generator for a test's random errors.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// `ctdna mrd` of `dir/s.bam` (reference `dir/ref.fa`) at the loci of
/// `tumor`: its TSV row's alt molecules, and the table for messages.
pub fn mrd_alt_molecules(dir: &Path, tumor: &Path) -> (u32, String) {
    let tsv = dir.join("mrd.tsv");
    let o = ctdna(&[
        "mrd",
        "--bam",
        s(&dir.join("s.bam")),
        "-r",
        s(&dir.join("ref.fa")),
        "--tumor-variants",
        s(tumor),
        "-o",
        s(&dir.join("mrd.json")),
        "--tsv",
        s(&tsv),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = std::fs::read_to_string(&tsv).unwrap();
    let mut lines = table.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let row: Vec<&str> = lines
        .next()
        .unwrap_or_else(|| panic!("{table}"))
        .split('\t')
        .collect();
    let alt = row[header.iter().position(|h| *h == "alt_molecules").unwrap()];
    (alt.parse().unwrap(), table)
}
