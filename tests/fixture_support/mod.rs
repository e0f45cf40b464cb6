//! Helpers for `tests/fixtures.rs`: build indexed BAMs from fixture SAM text,
//! run `ctdna count`, and read the reference tools' expected counts.
//!
//! Nothing here shells out: `cargo test` needs no samtools.

#![allow(dead_code)]

use rust_htslib::bam::{self, Read};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Index of a base in A, C, G, T order.
pub fn base_index(b: u8) -> Option<usize> {
    match b.to_ascii_uppercase() {
        b'A' => Some(0),
        b'C' => Some(1),
        b'G' => Some(2),
        b'T' => Some(3),
        _ => None,
    }
}

/// A file under `test-data/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test-data/fixtures")
        .join(rel)
}

/// Text of a plain or bgzipped file.
pub fn read_text(path: &Path) -> String {
    let mut r = rust_htslib::bgzf::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut s = String::new();
    r.read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    s
}

/// Contig names and lengths of a FASTA (plain or bgzipped).
pub fn fasta_lengths(path: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for line in read_text(path).lines() {
        if let Some(h) = line.strip_prefix('>') {
            let name = h.split_whitespace().next().unwrap_or_default();
            out.push((name.to_string(), 0));
        } else if let Some(last) = out.last_mut() {
            last.1 += line.trim_end().len() as u64;
        }
    }
    out
}

/// A scratch folder holding one reference and one indexed alignment file.
pub struct Case {
    pub dir: tempfile::TempDir,
    pub reference: PathBuf,
    pub bam: PathBuf,
}

/// Copy `src` into `dir` (and its `.fai`/`.gzi` when present) and return the copy.
pub fn copy_in(src: &Path, dir: &Path) -> PathBuf {
    let dst = dir.join(src.file_name().unwrap());
    std::fs::copy(src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    for ext in ["fai", "gzi", "bai", "crai"] {
        let side = PathBuf::from(format!("{}.{ext}", src.display()));
        if side.exists() {
            std::fs::copy(&side, format!("{}.{ext}", dst.display())).unwrap();
        }
    }
    dst
}

/// Header adaptations applied to fixture SAM text before it becomes a BAM.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderFix {
    /// Rewrite `@HD SO:unsorted` to `SO:coordinate`. Only for files whose
    /// records are in fact in coordinate order (checked).
    pub declare_sorted: bool,
}

/// Build `dir/name.bam` (+ `.bai`) from fixture SAM text (plain or bgzipped).
///
/// `@SQ LN` of every contig present in `fasta` is set to the FASTA's length
/// (the fixtures were cut from larger genomes, and ctdna refuses a BAM whose
/// contig lengths disagree with the reference); `M5`/`UR` tags of those
/// lines are dropped because they described the original sequence.
pub fn bam_from_sam(sam: &Path, fasta: &Path, dir: &Path, name: &str, fix: HeaderFix) -> PathBuf {
    let lengths = fasta_lengths(fasta);
    let text = read_text(sam);
    let mut fixed = String::with_capacity(text.len());
    let mut last: Option<(String, i64)> = None;
    for line in text.lines() {
        if line.starts_with("@SQ") {
            let sn = line
                .split('\t')
                .find_map(|f| f.strip_prefix("SN:"))
                .unwrap_or_default();
            if let Some((_, len)) = lengths.iter().find(|(n, _)| n == sn) {
                let fields: Vec<String> = line
                    .split('\t')
                    .filter(|f| !f.starts_with("M5:") && !f.starts_with("UR:"))
                    .map(|f| {
                        if f.starts_with("LN:") {
                            format!("LN:{len}")
                        } else {
                            f.to_string()
                        }
                    })
                    .collect();
                fixed.push_str(&fields.join("\t"));
                fixed.push('\n');
                continue;
            }
        } else if line.starts_with("@HD") && fix.declare_sorted {
            fixed.push_str(&line.replace("SO:unsorted", "SO:coordinate"));
            fixed.push('\n');
            continue;
        } else if !line.starts_with('@') && fix.declare_sorted {
            let f: Vec<&str> = line.split('\t').collect();
            let key = (f[2].to_string(), f[3].parse::<i64>().unwrap());
            if let Some(prev) = &last {
                // Unmapped reads ('*') sort last; mapped ones by position.
                assert!(
                    key.0 == "*" || prev.0 != key.0 || prev.1 <= key.1,
                    "{}: records are not in coordinate order; SO cannot be fixed",
                    sam.display()
                );
            }
            last = Some(key);
        }
        fixed.push_str(line);
        fixed.push('\n');
    }
    let sam_out = dir.join(format!("{name}.sam"));
    std::fs::write(&sam_out, fixed).unwrap();
    let bam_out = dir.join(format!("{name}.bam"));
    {
        let mut reader = bam::Reader::from_path(&sam_out).unwrap();
        let header = bam::Header::from_template(reader.header());
        let mut writer = bam::Writer::from_path(&bam_out, &header, bam::Format::Bam).unwrap();
        let mut rec = bam::Record::new();
        while let Some(r) = reader.read(&mut rec) {
            r.unwrap();
            writer.write(&rec).unwrap();
        }
    }
    bam::index::build(&bam_out, None, bam::index::Type::Bai, 1).unwrap();
    bam_out
}

/// A fixture SAM with its reference, ready for `ctdna count`.
pub fn case_from_sam(sam: &str, fasta: &str, fix: HeaderFix) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let reference = copy_in(&fixture(fasta), dir.path());
    let bam = bam_from_sam(&fixture(sam), &reference, dir.path(), "input", fix);
    Case {
        dir,
        reference,
        bam,
    }
}

/// A BED covering every contig of the case's reference.
pub fn whole_reference_bed(case: &Case) -> String {
    fasta_lengths(&case.reference)
        .iter()
        .map(|(n, l)| format!("{n}\t0\t{l}\n"))
        .collect()
}

/// One `ctdna count` row.
#[derive(Debug, Clone)]
pub struct Row {
    pub chrom: String,
    pub pos: u64,
    pub ref_allele: String,
    pub alt: String,
    pub kind: String,
    pub depth: u32,
    pub count: u32,
    pub fwd: u32,
    pub rev: u32,
    pub mean_bq: f64,
    pub mean_mq: f64,
    pub del_span: u32,
}

/// Run `ctdna count` on `case` over `bed` with extra options; panics with
/// ctdna's stderr when it fails.
pub fn run_count(case: &Case, bed: &str, opts: &[&str]) -> Vec<Row> {
    run_count_on(&case.bam, &case.reference, case.dir.path(), bed, opts)
}

pub fn run_count_on(
    bam: &Path,
    reference: &Path,
    dir: &Path,
    bed: &str,
    opts: &[&str],
) -> Vec<Row> {
    let bed_path = dir.join("targets.bed");
    std::fs::write(&bed_path, bed).unwrap();
    let out = dir.join("counts.tsv");
    let res = Command::new(env!("CARGO_BIN_EXE_ctdna"))
        .arg("count")
        .arg("--bam")
        .arg(bam)
        .arg("-r")
        .arg(reference)
        .arg("-t")
        .arg(&bed_path)
        .arg("-o")
        .arg(&out)
        .args(opts)
        .output()
        .expect("run ctdna");
    assert!(
        res.status.success(),
        "ctdna count {opts:?} failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    parse_rows(&std::fs::read_to_string(&out).unwrap())
}

pub fn parse_rows(text: &str) -> Vec<Row> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (c_chrom, c_pos, c_ref, c_alt, c_type) = (
        col("chrom"),
        col("pos"),
        col("ref"),
        col("alt"),
        col("type"),
    );
    let (c_bq, c_mq) = (col("mean_bq"), col("mean_mq"));
    let (c_depth, c_count, c_fwd, c_rev, c_del) = (
        col("depth"),
        col("count"),
        col("fwd"),
        col("rev"),
        col("del_span"),
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let n = |i: usize| f[i].parse::<u32>().unwrap();
            Row {
                chrom: f[c_chrom].to_string(),
                pos: f[c_pos].parse().unwrap(),
                ref_allele: f[c_ref].to_string(),
                alt: f[c_alt].to_string(),
                kind: f[c_type].to_string(),
                depth: n(c_depth),
                count: n(c_count),
                fwd: n(c_fwd),
                rev: n(c_rev),
                mean_bq: f[c_bq].parse().unwrap(),
                mean_mq: f[c_mq].parse().unwrap(),
                del_span: n(c_del),
            }
        })
        .collect()
}

/// Everything ctdna reported at one position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub ref_base: String,
    pub depth: u32,
    /// Molecules per base (A, C, G, T) on the forward / reverse strand.
    pub fwd: [u32; 4],
    pub rev: [u32; 4],
    /// Inserted sequences (after the anchor) and their counts.
    pub ins: BTreeMap<String, u32>,
    /// Deleted sequences (after the anchor) and their counts.
    pub del: BTreeMap<String, u32>,
    pub del_span: u32,
}

/// ctdna rows grouped by (chrom, pos).
pub fn sites(rows: &[Row]) -> BTreeMap<(String, u64), Site> {
    let mut out: BTreeMap<(String, u64), Site> = BTreeMap::new();
    for r in rows {
        let s = out.entry((r.chrom.clone(), r.pos)).or_default();
        s.depth = r.depth;
        s.del_span = r.del_span;
        match r.kind.as_str() {
            "REF" => {
                s.ref_base = r.ref_allele.clone();
                if let Some(b) = base_index(r.ref_allele.as_bytes()[0]) {
                    s.fwd[b] = r.fwd;
                    s.rev[b] = r.rev;
                }
            }
            "SNV" => {
                let b = base_index(r.alt.as_bytes()[0]).expect("SNV alt is a base");
                s.fwd[b] = r.fwd;
                s.rev[b] = r.rev;
            }
            "INS" => {
                s.ins.insert(r.alt[1..].to_string(), r.count);
            }
            "DEL" => {
                s.del.insert(r.ref_allele[1..].to_string(), r.count);
            }
            // An MNV's or delins' bases and indel are counted on their own
            // rows too; the comparisons here are per base and per indel.
            "MNV" | "DELINS" => {}
            k => panic!("unknown row type {k}"),
        }
    }
    out
}

/// One position of a samtools expectation (`counts_from_expected/N.counts.tsv`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pileup {
    pub ref_base: String,
    /// samtools' depth column (see [`Pileup::bases`] for what is comparable).
    pub depth: u32,
    pub fwd: [u32; 4],
    pub rev: [u32; 4],
    pub ins: BTreeMap<String, u32>,
    pub del: BTreeMap<String, u32>,
}

impl Pileup {
    /// Reads showing A/C/G/T here: the part of samtools' depth that ctdna's
    /// depth also counts (samtools adds `*` deletion placeholders, `>` ref
    /// skips and N bases).
    pub fn bases(&self) -> u32 {
        self.fwd.iter().chain(self.rev.iter()).sum()
    }
}

fn events(field: &str) -> BTreeMap<String, u32> {
    let mut m = BTreeMap::new();
    if field == "." || field.is_empty() {
        return m;
    }
    for ev in field.split(';') {
        let (seq, n) = ev.rsplit_once(':').expect("SEQ:count");
        *m.entry(seq.to_ascii_uppercase()).or_insert(0) += n.parse::<u32>().unwrap();
    }
    m
}

/// Read a samtools `counts_from_expected` table.
pub fn read_pileup_counts(rel: &str) -> BTreeMap<(String, u64), Pileup> {
    let text = std::fs::read_to_string(fixture(rel)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let mut out = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split('\t').collect();
        let n = |name: &str| f[col(name)].parse::<u32>().unwrap();
        let p = Pileup {
            ref_base: f[col("ref")].to_string(),
            depth: n("depth"),
            fwd: [n("A"), n("C"), n("G"), n("T")],
            rev: [n("a"), n("c"), n("g"), n("t")],
            ins: events(f[col("ins_events")]),
            del: events(f[col("del_events")]),
        };
        out.insert(
            (f[col("chrom")].to_string(), f[col("pos")].parse().unwrap()),
            p,
        );
    }
    out
}

/// Parse `samtools mpileup` text output (one sample) into per-position
/// counts. Handles `^Q` read starts, `$` ends, `.`/`,` matches, `*`/`#`
/// deletion placeholders, `>`/`<` ref skips and `+N`/`-N` indels.
pub fn parse_mpileup(text: &str) -> BTreeMap<(String, u64), Pileup> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 5 {
            continue;
        }
        let ref_base = f[2].as_bytes()[0].to_ascii_uppercase();
        let mut p = Pileup {
            ref_base: f[2].to_string(),
            depth: f[3].parse().unwrap(),
            ..Default::default()
        };
        let s = f[4].as_bytes();
        let mut i = 0;
        while i < s.len() {
            let c = s[i];
            i += 1;
            match c {
                b'^' => i += 1,
                b'$' | b'*' | b'#' | b'>' | b'<' => {}
                b'+' | b'-' => {
                    let start = i;
                    while s[i].is_ascii_digit() {
                        i += 1;
                    }
                    let n: usize = std::str::from_utf8(&s[start..i]).unwrap().parse().unwrap();
                    let seq = String::from_utf8(s[i..i + n].to_ascii_uppercase()).unwrap();
                    i += n;
                    let m = if c == b'+' { &mut p.ins } else { &mut p.del };
                    *m.entry(seq).or_insert(0) += 1;
                }
                b'.' | b',' => {
                    if let Some(b) = base_index(ref_base) {
                        if c == b'.' {
                            p.fwd[b] += 1;
                        } else {
                            p.rev[b] += 1;
                        }
                    }
                }
                _ => {
                    if let Some(b) = base_index(c) {
                        if c.is_ascii_uppercase() {
                            p.fwd[b] += 1;
                        } else {
                            p.rev[b] += 1;
                        }
                    }
                }
            }
        }
        out.insert((f[0].to_string(), f[1].parse().unwrap()), p);
    }
    out
}

/// Compare ctdna's per-base counts with a samtools pileup: at every position
/// samtools printed, forward/reverse A/C/G/T counts must match and ctdna's
/// depth must equal the reads samtools shows with a base; at every other
/// position ctdna must have nothing. Returns the positions compared.
pub fn assert_bases_match(
    label: &str,
    ours: &BTreeMap<(String, u64), Site>,
    expected: &BTreeMap<(String, u64), Pileup>,
) -> usize {
    let mut compared = 0;
    for (key, e) in expected {
        let o = ours.get(key).cloned().unwrap_or_default();
        assert_eq!(
            (o.fwd, o.rev),
            (e.fwd, e.rev),
            "{label} {}:{}: forward/reverse A,C,G,T (ctdna left, samtools right)",
            key.0,
            key.1
        );
        assert_eq!(
            o.depth,
            e.bases(),
            "{label} {}:{}: depth (ctdna) vs reads with a base (samtools)",
            key.0,
            key.1
        );
        compared += 1;
    }
    for (key, o) in ours {
        if !expected.contains_key(key) {
            assert_eq!(
                (o.depth, o.ins.len(), o.del.len()),
                (0, 0, 0),
                "{label} {}:{}: ctdna saw reads where samtools printed nothing",
                key.0,
                key.1
            );
        }
    }
    compared
}

/// samtools' insertion events as ctdna reports them: pads (`*`) removed,
/// insertions holding a non-ACGT base dropped (ctdna never counts `N`).
pub fn comparable_insertions(e: &Pileup) -> BTreeMap<String, u32> {
    let mut m = BTreeMap::new();
    for (seq, n) in &e.ins {
        let s: String = seq.chars().filter(|&c| c != '*').collect();
        if !s.is_empty() && s.bytes().all(|b| base_index(b).is_some()) {
            *m.entry(s).or_insert(0) += n;
        }
    }
    m
}

/// Reference sequences of a FASTA, upper-cased, by contig name.
pub fn fasta_seqs(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut cur = String::new();
    for line in read_text(path).lines() {
        if let Some(h) = line.strip_prefix('>') {
            cur = h.split_whitespace().next().unwrap_or_default().to_string();
            out.insert(cur.clone(), Vec::new());
        } else if let Some(s) = out.get_mut(&cur) {
            s.extend(line.trim_end().bytes().map(|b| b.to_ascii_uppercase()));
        }
    }
    out
}

/// Move samtools' indel events (reported where the CIGAR put them) to their
/// left-aligned VCF anchor, the representation ctdna reports. `base(chrom,
/// p)` is the reference base at 1-based `p`.
pub fn left_align_events(
    expected: &BTreeMap<(String, u64), Pileup>,
    base: &dyn Fn(&str, u64) -> u8,
) -> BTreeMap<(String, u64), Pileup> {
    let mut out = expected.clone();
    for p in out.values_mut() {
        p.ins.clear();
        p.del.clear();
    }
    for ((chrom, pos), p) in expected {
        let base = |p1: u64| base(chrom, p1);
        for (seq, n) in comparable_insertions(p) {
            let (mut at, mut s) = (*pos, seq.into_bytes());
            while at > 1 && base(at) == s[s.len() - 1] {
                s.rotate_right(1);
                at -= 1;
            }
            let e = out.entry((chrom.clone(), at)).or_default();
            *e.ins.entry(String::from_utf8(s).unwrap()).or_insert(0) += n;
        }
        for (seq, n) in &p.del {
            let len = seq.len() as u64;
            let mut at = *pos;
            while at > 1 && base(at) == base(at + len) {
                at -= 1;
            }
            let moved: String = (at + 1..=at + len).map(|i| base(i) as char).collect();
            let e = out.entry((chrom.clone(), at)).or_default();
            *e.del.entry(moved).or_insert(0) += n;
        }
    }
    out
}

/// One record of a bcftools mpileup VCF (single sample).
#[derive(Debug, Clone)]
pub struct VcfRecord {
    pub chrom: String,
    pub pos: u64,
    pub ref_allele: String,
    pub alts: Vec<String>,
    pub info: BTreeMap<String, String>,
    /// FORMAT/AD of the sample, when present.
    pub ad: Vec<u32>,
    /// FORMAT/GT of the sample, when present.
    pub gt: String,
}

impl VcfRecord {
    pub fn is_indel(&self) -> bool {
        self.info.contains_key("INDEL")
    }
    pub fn info_u32(&self, key: &str) -> u32 {
        self.info[key].parse().unwrap()
    }
    /// Two different alleles in GT.
    pub fn is_het(&self) -> bool {
        let a: Vec<&str> = self.gt.split(['/', '|']).collect();
        a.len() == 2 && a[0] != a[1]
    }
}

/// Records of a (plain or bgzipped) VCF.
pub fn read_vcf(path: &Path) -> Vec<VcfRecord> {
    read_text(path)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let info = f[7]
                .split(';')
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv.to_string(), String::new()),
                })
                .collect();
            let format_field = |key: &str| -> Option<String> {
                let (fmt, sample) = (f.get(8)?, f.get(9)?);
                fmt.split(':')
                    .zip(sample.split(':'))
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.to_string())
            };
            let ad = format_field("AD")
                .map(|v| v.split(',').map(|n| n.parse().unwrap()).collect())
                .unwrap_or_default();
            let gt = format_field("GT").unwrap_or_default();
            VcfRecord {
                chrom: f[0].to_string(),
                pos: f[1].parse().unwrap(),
                ref_allele: f[3].to_ascii_uppercase(),
                alts: f[4].split(',').map(|a| a.to_ascii_uppercase()).collect(),
                info,
                ad,
                gt,
            }
        })
        .collect()
}

/// VCF normalisation of one REF/ALT pair against the contig `seq`: trim the
/// common suffix, then the common prefix down to one anchor base, then shift
/// left while the allele is in a repeat. `base(p)` is the reference base at
/// 1-based `p`. Returns (pos, ref, alt), 1-based.
pub fn normalise(pos: u64, r: &str, a: &str, base: &dyn Fn(u64) -> u8) -> (u64, String, String) {
    let (mut r, mut a) = (r.as_bytes().to_vec(), a.as_bytes().to_vec());
    let mut pos = pos + ctdna::loci::trim_alleles(&mut r, &mut a) as u64;
    // An indel `x S` can move one base left when the last base of S is x.
    while pos > 1 && r.len() != a.len() && r.len().min(a.len()) == 1 {
        let long = if r.len() > a.len() { &mut r } else { &mut a };
        if long.last() != long.first() {
            break;
        }
        let before = base(pos - 1);
        long.pop();
        long.insert(0, before);
        let short = if r.len() > a.len() { &mut a } else { &mut r };
        short[0] = before;
        pos -= 1;
    }
    (
        pos,
        String::from_utf8(r).unwrap(),
        String::from_utf8(a).unwrap(),
    )
}

/// Reference bases `[start0, end0)` of `chrom` from an indexed FASTA (plain
/// or bgzipped), upper-cased.
pub fn fetch_ref(fasta: &Path, chrom: &str, start0: usize, end0: usize) -> Vec<u8> {
    let r = rust_htslib::faidx::Reader::from_path(fasta).unwrap();
    r.fetch_seq(chrom, start0, end0 - 1)
        .unwrap()
        .to_ascii_uppercase()
}
