//! UMI mode against simulated truth.
//!
//! Realistic reads: one `ctdna simulate` run with dual UMIs, PCR families
//! (mean 6 copies), PCR errors shared within families, oxoG damage on one
//! strand, sequencing errors and 2% UMI sequencing errors; called once
//! counting fragments (`--no-umi`) and once per tier. No paralog targets or
//! recurrent artifact sites: mismapping and artifacts carried by the
//! molecules are not what consensus corrects. Figures measured when the
//! tests were written are beside the assertions.
//!
//! Exact reads: a second run with every error source off
//! (`--no-seq-errors`, no PCR errors, damage, slippage or UMI errors), so
//! each read shows its molecule; with the base filters off, the molecule
//! and duplex counts must equal the simulator's, variant by variant.

use ctdna::simulate::score::{score, Score, ScoreOptions, VarType};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

struct Sim {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ctdna"))
}

fn simulate(args: &[&str]) -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim");
    let o = bin()
        .args(["simulate", "--quiet"])
        .args(args)
        .arg("--out-dir")
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Sim { _dir: dir, path }
}

/// The realistic simulation.
fn sim() -> &'static Path {
    static SIM: OnceLock<Sim> = OnceLock::new();
    &SIM.get_or_init(|| {
        simulate(&[
            "--seed",
            "7",
            "--targets",
            "30",
            "--depth",
            "2000",
            "--family-size",
            "6",
            "--duplex",
            "--paralog-targets",
            "0",
            "--umi-error-rate",
            "0.02",
            // Recurrent artifacts are in the molecules themselves (what a
            // panel of normals removes); consensus cannot see them.
            "--artifact-sites",
            "0",
            "--pcr-error-rate",
            "0.0002",
            "--vaf",
            "0.005,0.01,0.02",
            "--snvs-per-vaf",
            "10",
            "--indels-per-vaf",
            "2",
        ])
    })
    .path
}

/// The simulation without errors: every read shows its molecule exactly.
/// Smaller families than the realistic one (mean 3 copies) leave many
/// molecules with one strand or one template: every tier occurs.
fn exact_sim() -> &'static Path {
    static SIM: OnceLock<Sim> = OnceLock::new();
    &SIM.get_or_init(|| {
        simulate(&[
            "--seed",
            "11",
            "--targets",
            "30",
            "--depth",
            "1500",
            "--family-size",
            "3",
            "--duplex",
            "--paralog-targets",
            "0",
            "--artifact-sites",
            "0",
            "--no-seq-errors",
            "--pcr-error-rate",
            "0",
            "--oxog-rate",
            "0",
            "--hp-indel-rate",
            "0",
            "--umi-error-rate",
            "0",
            "--vaf",
            "0.005,0.01,0.02",
            "--snvs-per-vaf",
            "10",
            "--indels-per-vaf",
            "4",
        ])
    })
    .path
}

/// Call the realistic simulation with `extra` options; the VCF and metrics paths.
fn call(name: &str, extra: &[&str]) -> (PathBuf, PathBuf) {
    call_in(sim(), name, extra)
}

fn call_in(d: &Path, name: &str, extra: &[&str]) -> (PathBuf, PathBuf) {
    let vcf = d.join(format!("{name}.vcf.gz"));
    let metrics = d.join(format!("{name}.json"));
    let threads: &[&str] = if extra.contains(&"--threads") {
        &[]
    } else {
        &["--threads", "2"]
    };
    let o = bin()
        .args(["call", "--quiet", "--bam"])
        .arg(d.join("sample.bam"))
        .arg("-r")
        .arg(d.join("ref.fa"))
        .arg("-t")
        .arg(d.join("targets.bed"))
        .args(extra)
        .args(threads)
        .arg("-o")
        .arg(&vcf)
        .arg("--metrics")
        .arg(&metrics)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (vcf, metrics)
}

fn scored(vcf: &Path) -> Score {
    let d = sim();
    let opts = ScoreOptions::from_sim_dir(d).unwrap();
    score(vcf, &d.join("truth.vcf.gz"), &opts).unwrap()
}

fn sensitivity_at(s: &Score, vaf: f64) -> f64 {
    let rows: Vec<_> = s
        .rows
        .iter()
        .filter(|b| b.var_type == VarType::Snv && (b.vaf - vaf).abs() < 1e-9)
        .collect();
    let tp: usize = rows.iter().map(|b| b.tp).sum();
    let truth: usize = rows.iter().map(|b| b.truth).sum();
    tp as f64 / truth.max(1) as f64
}

/// Fragments of this BAM (no duplicate marks) count every PCR copy, and a
/// PCR error once per copy: the measured dispersion of the error counts
/// keeps those out of the calls (docs/model.md §2a), and UMI consensus,
/// where each family is one molecule, has none to begin with.
#[test]
fn consensus_and_dispersion_keep_pcr_errors_out_without_losing_sensitivity() {
    let (frag_vcf, _) = call("fragments", &["--no-umi"]);
    let (umi_vcf, _) = call("every", &[]);
    let frag = scored(&frag_vcf);
    let umi = scored(&umi_vcf);
    eprintln!("fragments:\n{frag}\nevery UMI molecule:\n{umi}");
    // Measured: fragments 1 FP PASS (7 with one rate and no dispersion),
    // UMI molecules 0.
    assert!(frag.fp <= 2, "{frag}");
    assert_eq!(umi.fp, 0, "{umi}");
    // Measured: SNV sensitivity at 0.5% VAF 0.9 (fragments), 1.0 (UMI).
    assert!(
        sensitivity_at(&umi, 0.005) >= sensitivity_at(&frag, 0.005),
        "{frag}\n{umi}"
    );
    let (dup_vcf, _) = call("duplex", &["--min-tier", "duplex"]);
    let dup = scored(&dup_vcf);
    eprintln!("duplex:\n{dup}");
    // Measured: duplex tier 0 FP, SNV sensitivity at 0.5% VAF 1.0.
    assert_eq!(dup.fp, 0, "{dup}");
}

#[test]
fn umi_mode_output_is_the_same_for_any_thread_count() {
    let (one, _) = call("threads1", &["--threads", "1", "--min-tier", "raw"]);
    let (three, _) = call("threads3", &["--threads", "3", "--min-tier", "raw"]);
    let text = |p: &Path| {
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "gzip -dc '{}' | grep -v '^##commandLine'",
                p.display()
            ))
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let (a, b) = (text(&one), text(&three));
    assert!(a.contains("FAM:DUP"));
    assert_eq!(a, b);
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn umis_with_a_sequencing_error_join_their_family() {
    let (_, metrics) = call("families", &[]);
    let m = json(&metrics);
    let families = m["samples"][0]["umi"]["families"].as_f64().unwrap();
    let manifest = json(&sim().join("manifest.json"));
    let molecules = manifest["summary"]["molecules"].as_f64().unwrap();
    // 2% of reads carry a UMI error; unmerged they would add ~10% families.
    // Measured: 128526 families for 128446 simulated molecules (+0.06%).
    eprintln!("families {families}, molecules {molecules}");
    assert!(
        (families - molecules).abs() <= 0.02 * molecules,
        "families {families} vs simulated molecules {molecules}"
    );
}

/// Truth INFO/DUPALT (molecules carrying the alt with reads of both
/// strands over it) vs FORMAT/DUP, per SNV.
#[test]
fn duplex_alt_counts_match_the_simulated_duplex_molecules() {
    let (vcf, _) = call("dupcount", &["--min-tier", "raw"]);
    let calls = read_vcf(&vcf);
    let truth = read_vcf(&sim().join("truth.vcf.gz"));
    let (mut want, mut got, mut sites) = (0u64, 0u64, 0);
    for t in truth
        .iter()
        .filter(|t| t.info.contains("SOMATIC") && t.r.len() == 1 && t.a.len() == 1)
    {
        let dupalt: u64 = field(&t.info, "DUPALT").parse().unwrap();
        let Some(c) = calls
            .iter()
            .find(|c| c.chrom == t.chrom && c.pos == t.pos && c.a == t.a)
        else {
            continue;
        };
        let keys: Vec<&str> = c.format.split(':').collect();
        let vals: Vec<&str> = c.sample.split(':').collect();
        let dup: u64 = vals[keys.iter().position(|k| *k == "DUP").unwrap()]
            .parse()
            .unwrap();
        eprintln!("{}:{} DUPALT {dupalt} DUP {dup}", t.chrom, t.pos);
        want += dupalt;
        got += dup;
        sites += 1;
        // No molecule can be a duplex alt that the truth does not have.
        assert!(
            dup <= dupalt,
            "{}:{}: DUP {dup} > DUPALT {dupalt}",
            t.chrom,
            t.pos
        );
    }
    assert!(sites >= 25, "{sites} SNVs called");
    // Measured: 602 counted of 634 simulated (95%), never more than the
    // truth at any site. 597 before a template whose overlapping mates
    // disagree stopped voting (the 5 below whose read's mate showed the
    // alt are counted now). Where the 37 went (per molecule, by instrumenting
    // the consensus): 23 have no usable base on either strand (the SNV is
    // within 3 bp of the molecule's ends, --min-dist-end: 16 by distance
    // alone, 7 with bases below --min-bq too); 4 lose one strand's only
    // bases to --min-bq; 8 have a strand split by a wrong base in some
    // reads (5 sequencing errors, the read's mate showing the alt), and 2
    // a strand whose consensus is another base (a PCR error early in the
    // family; oxoG damage). None is lost to grouping: no molecule's reads
    // were split over families or merged with another molecule's. The
    // exact-reads test below asserts equality.
    eprintln!("duplex alt: {got} counted, {want} simulated");
    assert!(got as f64 >= 0.9 * want as f64, "{got} of {want}");
}

/// Alt molecules reaching the test at the somatic indels, `--min-tier raw`
/// (every molecule): FORMAT/AD alt against the truth's MOLALT. Inserted
/// bases below `--min-bq` are masked, as aligned bases are left out, so a
/// sequencing error in one of them no longer splits a family or a pair of
/// mates.
#[test]
fn indel_alt_molecules_reach_the_test() {
    let truth_path = sim().join("truth.vcf.gz");
    let (vcf, _) = call(
        "indel-reach",
        &["--min-tier", "raw", "--known", truth_path.to_str().unwrap()],
    );
    let calls = read_vcf(&vcf);
    let (mut ins, mut del) = ([0u64; 2], [0u64; 2]);
    for t in read_vcf(&truth_path)
        .iter()
        .filter(|t| t.info.contains("SOMATIC") && t.r.len() != t.a.len())
    {
        let molalt: u64 = field(&t.info, "MOLALT").parse().unwrap();
        let c = calls
            .iter()
            .find(|c| c.chrom == t.chrom && c.pos == t.pos && c.r == t.r && c.a == t.a)
            .unwrap_or_else(|| panic!("no record at known {}:{}", t.chrom, t.pos));
        let ad: u64 = c
            .sample_field("AD")
            .split(',')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        eprintln!(
            "{}:{} {}>{} MOLALT {molalt} AD {ad}",
            t.chrom, t.pos, t.r, t.a
        );
        assert!(
            ad <= molalt,
            "{}:{}: AD {ad} > MOLALT {molalt}",
            t.chrom,
            t.pos
        );
        let sums = if t.a.len() > t.r.len() {
            &mut ins
        } else {
            &mut del
        };
        sums[0] += ad;
        sums[1] += molalt;
    }
    eprintln!("insertions {ins:?}, deletions {del:?}");
    // Measured: insertions 83 of 85 alt molecules (60 when a wrong
    // inserted base at any quality split its family, 80 when mates voted
    // apart), deletions 32 of 32.
    assert!(ins[0] * 100 >= 90 * ins[1], "insertions {ins:?}");
    assert!(del[0] * 100 >= 90 * del[1], "deletions {del:?}");
}

/// With exact reads and no base filters, every truth variant (somatic and
/// germline, SNVs and indels) gets FORMAT/DUP = truth DUPALT and alt
/// molecules (AD, all tiers) = MOLALT; at SNVs, molecules with a base
/// (FAM, and DP) = MOLDP. Any grouping, mate pairing, strand pairing or
/// consensus error shows as a mismatch.
#[test]
fn exact_reads_give_exactly_the_simulated_molecule_and_duplex_counts() {
    let d = exact_sim();
    let truth_path = d.join("truth.vcf.gz");
    let known = truth_path.to_str().unwrap();
    let (vcf, _) = call_in(
        d,
        "exact",
        &[
            "--min-tier",
            "raw",
            "--min-bq",
            "0",
            "--min-dist-end",
            "0",
            // Every truth variant gets a record, whatever its counts.
            "--known",
            known,
        ],
    );
    let calls = read_vcf(&vcf);
    let truth = read_vcf(&truth_path);
    let mut wrong = Vec::new();
    let (mut dupalt_sum, mut molalt_sum, mut indels) = (0u64, 0u64, 0);
    for t in &truth {
        let c = calls
            .iter()
            .find(|c| c.chrom == t.chrom && c.pos == t.pos && c.r == t.r && c.a == t.a)
            .unwrap_or_else(|| panic!("no record for truth {}:{} {}>{}", t.chrom, t.pos, t.r, t.a));
        let n = |s: &str| -> u64 { s.parse().unwrap() };
        let (dupalt, molalt, moldp) = (
            n(field(&t.info, "DUPALT")),
            n(field(&t.info, "MOLALT")),
            n(field(&t.info, "MOLDP")),
        );
        let (dup, fam, dp) = (
            n(c.sample_field("DUP")),
            n(c.sample_field("FAM")),
            n(c.sample_field("DP")),
        );
        let ad: Vec<u64> = c.sample_field("AD").split(',').map(n).collect();
        let snv = t.r.len() == 1 && t.a.len() == 1;
        indels += usize::from(!snv);
        dupalt_sum += dupalt;
        molalt_sum += molalt;
        let site = format!("{}:{} {}>{}", t.chrom, t.pos, t.r, t.a);
        eprintln!(
            "{site} DUPALT {dupalt} DUP {dup} MOLALT {molalt} AD {ad:?} MOLDP {moldp} FAM {fam}"
        );
        if dup != dupalt {
            wrong.push(format!("{site}: DUP {dup} != DUPALT {dupalt}"));
        }
        if ad.get(1) != Some(&molalt) {
            wrong.push(format!("{site}: AD {ad:?} alt != MOLALT {molalt}"));
        }
        if snv && (fam != moldp || dp != moldp) {
            wrong.push(format!("{site}: FAM {fam} / DP {dp} != MOLDP {moldp}"));
        }
    }
    // The data must exercise what is tested: indels, duplex molecules, and
    // alt molecules that are not duplex (one strand sequenced).
    assert!(
        truth.len() >= 40 && indels >= 10,
        "{} truth variants",
        truth.len()
    );
    assert!(
        dupalt_sum > 0 && molalt_sum > dupalt_sum,
        "{dupalt_sum} {molalt_sum}"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

struct Rec {
    chrom: String,
    pos: String,
    r: String,
    a: String,
    info: String,
    format: String,
    sample: String,
}

impl Rec {
    /// A FORMAT field of the (only) sample.
    fn sample_field(&self, key: &str) -> &str {
        self.format
            .split(':')
            .zip(self.sample.split(':'))
            .find_map(|(k, v)| (k == key).then_some(v))
            .unwrap_or_else(|| panic!("no FORMAT/{key} at {}:{}", self.chrom, self.pos))
    }
}

fn field<'a>(info: &'a str, key: &str) -> &'a str {
    info.split(';')
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or("0")
}

fn read_vcf(path: &Path) -> Vec<Rec> {
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -dc '{}'", path.display()))
        .output()
        .unwrap();
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Rec {
                chrom: f[0].into(),
                pos: f[1].into(),
                r: f[3].into(),
                a: f[4].into(),
                info: f[7].into(),
                format: f.get(8).copied().unwrap_or("").into(),
                sample: f.get(9).copied().unwrap_or("").into(),
            }
        })
        .collect()
}

/// Small PCR families (1 + Poisson(1) copies: 37% of molecules read once),
/// dual UMIs, realistic errors and a simulated normal from the same genome;
/// no recurrent artifact sites (those need a panel of normals).
fn singleton_sim() -> &'static Path {
    static SIM: OnceLock<Sim> = OnceLock::new();
    &SIM.get_or_init(|| {
        simulate(&[
            "--seed",
            "23",
            "--targets",
            "25",
            "--depth",
            "1500",
            "--family-size",
            "2",
            "--duplex",
            "--paralog-targets",
            "0",
            "--artifact-sites",
            "0",
            "--vaf",
            "0.005,0.01,0.02",
            "--snvs-per-vaf",
            "10",
            "--indels-per-vaf",
            "3",
            "--normals",
            "1",
        ])
    })
    .path
}

/// A folder beside simulation `d` where its `normal_1.bam` is
/// `sample.bam`, with the reference and targets, for `call_in`.
fn normal_as_sample(d: &Path) -> PathBuf {
    let normal = d.join("normal");
    std::fs::create_dir_all(&normal).unwrap();
    for f in ["ref.fa", "ref.fa.fai", "targets.bed"] {
        std::fs::copy(d.join(f), normal.join(f)).unwrap();
    }
    for f in ["bam", "bam.bai"] {
        let from = d.join(format!("normal_1.{f}"));
        std::fs::copy(from, normal.join(format!("sample.{f}"))).unwrap();
    }
    normal
}

/// Alt molecules of the truth's somatic SNVs that reached the test (AD alt
/// of the call, 0 where nothing was written) and simulated (MOLALT).
fn alt_molecules_reaching_the_test(d: &Path, vcf: &Path) -> (u64, u64) {
    let calls = read_vcf(vcf);
    let truth = read_vcf(&d.join("truth.vcf.gz"));
    let (mut got, mut want) = (0, 0);
    for t in truth
        .iter()
        .filter(|t| t.info.contains("SOMATIC") && t.r.len() == 1 && t.a.len() == 1)
    {
        want += field(&t.info, "MOLALT").parse::<u64>().unwrap();
        if let Some(c) = calls
            .iter()
            .find(|c| c.chrom == t.chrom && c.pos == t.pos && c.a == t.a)
        {
            let ad = c.sample_field("AD");
            got += ad.split(',').nth(1).unwrap().parse::<u64>().unwrap();
        }
    }
    (got, want)
}

#[test]
fn every_molecule_reaches_the_test_and_a_normal_stays_clean() {
    let d = singleton_sim();
    let (all, _) = call_in(d, "every", &[]);
    let (single, _) = call_in(d, "single-floor", &["--min-tier", "single"]);
    let (got, want) = alt_molecules_reaching_the_test(d, &all);
    let (got_single, _) = alt_molecules_reaching_the_test(d, &single);
    eprintln!(
        "alt molecules at SNVs: {got} (every molecule), {got_single} (--min-tier single) of {want}"
    );
    // Single-read families are a third of the molecules: the floor loses
    // them. Measured: 521 (every molecule) and 322 (--min-tier single) of
    // 540 simulated alt molecules; SNV sensitivity at 0.5% 9/10 and 8/10.
    assert!(got as f64 >= 0.9 * want as f64, "{got} of {want}");
    assert!(
        got_single as f64 <= 0.8 * want as f64,
        "{got_single} of {want}"
    );
    // Per-class counts add up to AD's alt molecules.
    for c in read_vcf(&all)
        .iter()
        .filter(|c| c.sample_field("FT") == "PASS")
    {
        let amc: u64 = c
            .sample_field("AMC")
            .split(',')
            .map(|x| x.parse::<u64>().unwrap())
            .sum();
        let alt: u64 = c
            .sample_field("AD")
            .split(',')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(amc, alt, "{}:{}", c.chrom, c.pos);
    }
    // Sensitivity does not drop for the singletons' noise.
    let opts = ScoreOptions::from_sim_dir(d).unwrap();
    let truth = d.join("truth.vcf.gz");
    let (every, floor) = (
        score(&all, &truth, &opts).unwrap(),
        score(&single, &truth, &opts).unwrap(),
    );
    eprintln!("every molecule:\n{every}\n--min-tier single:\n{floor}");
    assert!(every.fp == 0, "{every}");
    for vaf in [0.005, 0.01] {
        assert!(
            sensitivity_at(&every, vaf) >= sensitivity_at(&floor, vaf),
            "{every}\n{floor}"
        );
    }
    // The normal from the same genome, called the same way: no PASS call
    // but its germline variants.
    let normal = normal_as_sample(d);
    let (nvcf, _) = call_in(&normal, "normal", &[]);
    let germline: Vec<(String, String)> = read_vcf(&truth)
        .into_iter()
        .filter(|t| !t.info.contains("SOMATIC"))
        .map(|t| (t.chrom, t.pos))
        .collect();
    let fp: Vec<String> = read_vcf(&nvcf)
        .iter()
        .filter(|c| {
            c.sample_field("FT") == "PASS" && !germline.contains(&(c.chrom.clone(), c.pos.clone()))
        })
        .map(|c| format!("{}:{} {}>{}", c.chrom, c.pos, c.r, c.a))
        .collect();
    assert!(fp.is_empty(), "PASS calls on a normal: {fp:?}");
}

/// PCR copies counted as molecules (`--no-umi` on a BAM without duplicate
/// marks): every PCR error is counted once per copy. The background
/// measures that as the classes' dispersion and the test takes errors in
/// clusters, so a normal gets no PASS call; in UMI mode, where each family
/// is one molecule, the classes are not dispersed.
#[test]
fn pcr_copies_counted_as_molecules_are_dispersion_not_evidence() {
    let d = simulate(&[
        "--seed",
        "29",
        "--targets",
        "15",
        "--depth",
        "1500",
        "--family-size",
        "4",
        "--duplex",
        "--paralog-targets",
        "0",
        "--artifact-sites",
        "0",
        "--vaf",
        "0.01",
        "--snvs-per-vaf",
        "3",
        "--indels-per-vaf",
        "1",
        "--normals",
        "1",
    ]);
    let normal = normal_as_sample(&d.path);
    let dispersion = |metrics: &Path, class: &str| -> f64 {
        let j = json(metrics);
        let classes = j["samples"][0]["error_rates"]["molecule_classes"]
            .as_array()
            .unwrap()
            .clone();
        classes.iter().find(|c| c["class"] == class).unwrap()["dispersion"]
            .as_f64()
            .unwrap()
    };
    let (frag, frag_metrics) = call_in(&normal, "fragments", &["--no-umi"]);
    let (umi, umi_metrics) = call_in(&normal, "umi", &[]);
    let germline: Vec<(String, String)> = read_vcf(&d.path.join("truth.vcf.gz"))
        .into_iter()
        .map(|t| (t.chrom, t.pos))
        .collect();
    let pass = |vcf: &Path| -> Vec<String> {
        read_vcf(vcf)
            .iter()
            .filter(|c| {
                c.sample_field("FT") == "PASS"
                    && !germline.contains(&(c.chrom.clone(), c.pos.clone()))
            })
            .map(|c| format!("{}:{} {}>{}", c.chrom, c.pos, c.r, c.a))
            .collect()
    };
    // Measured: pair 2.1, read 1.3 (fragments); every UMI class 1.0-1.05.
    // Without the dispersion the fragment call had 7 PASS calls on this
    // normal (3 with one rate for every molecule).
    let (pair, read) = (
        dispersion(&frag_metrics, "pair"),
        dispersion(&frag_metrics, "read"),
    );
    eprintln!("fragments: pair {pair:.2}, read {read:.2}");
    assert!(pair > 1.5, "pair dispersion {pair}");
    for class in ["read", "pair", "family", "duplex"] {
        let phi = dispersion(&umi_metrics, class);
        assert!(phi < 1.2, "UMI {class} dispersion {phi}");
    }
    assert!(
        pass(&frag).is_empty(),
        "PASS calls on a normal: {:?}",
        pass(&frag)
    );
    assert!(
        pass(&umi).is_empty(),
        "PASS calls on a normal: {:?}",
        pass(&umi)
    );
}
