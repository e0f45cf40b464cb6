//! `ctdna simulate --mnvs-per-vaf / --long-indels-per-vaf` (issue 21): the
//! truth is normalised, reads carry long indels as an aligner would
//! (in the CIGAR far from the read ends, soft-clipped near them), an MNV's
//! substitutions travel together on its molecules, and the scorer wants an
//! MNV as one record.

use ctdna::simulate::genome::Genome;
use ctdna::simulate::panel::place_targets;
use ctdna::simulate::params::SimParams;
use ctdna::simulate::reads::SimRead;
use ctdna::simulate::sample::{simulate_sample, SampleKind};
use ctdna::simulate::score::types::{score_types, FineType};
use ctdna::simulate::score::ScoreOptions;
use ctdna::simulate::variants::{self, Kind, Variant};
use rust_htslib::bam::record::Cigar;
use std::collections::BTreeMap;
use std::process::Command;

/// MNVs and long indels at two VAFs on a small panel; with `exact`, every
/// error source off so each read shows its molecule.
fn params(exact: bool) -> SimParams {
    let p = SimParams {
        seed: 21,
        targets: 12,
        target_min_len: 300,
        target_max_len: 400,
        vafs: vec![0.1, 0.3],
        snvs_per_vaf: 1,
        indels_per_vaf: 1,
        mnvs_per_vaf: 4,
        long_indels_per_vaf: 6,
        depth: 150,
        family_size: 1.5,
        paralog_targets: 0,
        ..SimParams::default()
    };
    if !exact {
        return p;
    }
    SimParams {
        no_seq_errors: true,
        pcr_error_rate: 0.0,
        oxog_rate: 0.0,
        hp_indel_rate: 0.0,
        artifact_sites: 0,
        ..p
    }
}

fn truth_and_reads(p: &SimParams) -> (Genome, Vec<Variant>, Vec<SimRead>) {
    let g = Genome::generate(p).unwrap();
    let t = place_targets(p, &g).unwrap();
    let v = variants::generate(p, &g, &t).unwrap();
    let reads = simulate_sample(p, &g, &t, &v, SampleKind::Tumor).reads;
    (g, v, reads)
}

fn data_lines(vcf: &str) -> Vec<String> {
    vcf.lines()
        .filter(|l| !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[test]
fn truth_has_every_kind_and_bcftools_norm_changes_nothing() {
    let p = params(false);
    let d = tempfile::tempdir().unwrap();
    ctdna::simulate::simulate(&p, d.path()).unwrap();
    let g = Genome::generate(&p).unwrap();
    let t = place_targets(&p, &g).unwrap();
    let v = variants::generate(&p, &g, &t).unwrap();
    let som = |k: Kind| v.iter().filter(move |x| x.is_somatic() && x.kind() == k);
    let mnv_lens: Vec<usize> = som(Kind::Mnv).map(|x| x.ref_allele.len()).collect();
    assert_eq!(mnv_lens.len(), 8);
    assert!(
        mnv_lens.contains(&2) && mnv_lens.contains(&3),
        "{mnv_lens:?}"
    );
    for x in som(Kind::Mnv) {
        let n = x.ref_allele.len();
        assert!(x.ref_allele[0] != x.alt[0] && x.ref_allele[n - 1] != x.alt[n - 1]);
        if n == 3 {
            assert_eq!(x.ref_allele[1], x.alt[1], "middle base unchanged");
        }
    }
    let del_lens: Vec<usize> = som(Kind::Del)
        .map(|x| x.ref_allele.len() - 1)
        .filter(|&l| l >= 15)
        .collect();
    assert!(
        del_lens.contains(&15) && del_lens.contains(&18),
        "{del_lens:?}"
    );
    // Insertions of 9-30 bp duplicate the bases after the anchor.
    let dups: Vec<&Variant> = som(Kind::Ins).filter(|x| x.alt.len() >= 10).collect();
    assert_eq!(dups.len(), 6);
    for x in dups {
        let seq = &g.contigs[x.tid].seq;
        let after = &seq[x.pos0 as usize + 1..x.pos0 as usize + x.alt.len()];
        assert_eq!(&x.alt[1..], after, "a tandem duplication");
        assert!((10..=31).contains(&x.alt.len()));
    }

    let truth = d.path().join("truth.vcf.gz");
    let out = Command::new("bcftools")
        .args(["norm", "-c", "e", "-f"])
        .arg(d.path().join("ref.fa"))
        .arg(&truth)
        .output();
    let Ok(out) = out else {
        eprintln!("SKIPPED the bcftools check: bcftools not found");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let zcat = Command::new("bcftools")
        .arg("view")
        .arg(&truth)
        .output()
        .unwrap();
    let before = data_lines(&String::from_utf8_lossy(&zcat.stdout));
    assert_eq!(before.len(), v.len());
    assert_eq!(data_lines(&String::from_utf8_lossy(&out.stdout)), before);
    // Nothing realigned either (bcftools' own count).
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}/0/0/0", v.len())), "{stderr}");
}

/// Aligned (M) bases before and after the first `op` of `cigar`.
fn sides(cigar: &[Cigar], is_op: impl Fn(&Cigar) -> bool) -> Option<(u32, u32)> {
    let i = cigar.iter().position(is_op)?;
    let m = |ops: &[Cigar]| {
        ops.iter()
            .map(|c| if let Cigar::Match(n) = c { *n } else { 0 })
            .sum::<u32>()
    };
    Some((m(&cigar[..i]), m(&cigar[i + 1..])))
}

#[test]
fn an_18bp_deletion_is_in_the_cigar_far_from_read_ends_and_clipped_near_them() {
    let (_, v, reads) = truth_and_reads(&params(true));
    let dels: Vec<&Variant> = v
        .iter()
        .filter(|x| x.kind() == Kind::Del && x.ref_allele.len() == 19)
        .collect();
    assert!(dels.len() >= 2);
    let (mut in_cigar, mut clipped) = (0, 0);
    for x in dels {
        let (anchor, after) = (x.pos0 as i64, x.end() as i64);
        for r in reads.iter().filter(|r| r.tid as usize == x.tid) {
            // Reads that saw the anchor and the base after the event.
            if r.read_span.0 > anchor || r.read_span.1 <= after {
                continue;
            }
            if let Some((left, right)) = sides(&r.cigar, |c| *c == Cigar::Del(18)) {
                // Kept only with >= 20 aligned bases on each side (bwa's scores).
                assert!(left >= 20 && right >= 20, "{:?}", r.cigar);
                in_cigar += 1;
                continue;
            }
            let has_clip = |c: Option<&Cigar>| matches!(c, Some(Cigar::SoftClip(_)));
            // A carrier near its end: aligned up to the event, the rest in SEQ as S.
            let right_clip = has_clip(r.cigar.last()) && (r.end - (anchor + 1)).abs() <= 3;
            let left_clip = has_clip(r.cigar.first()) && (r.pos - after).abs() <= 3;
            if right_clip || left_clip {
                let len: u32 = r.cigar.iter().map(|c| c.len()).sum::<u32>();
                assert_eq!(r.seq.len() as u32, len - deleted(&r.cigar));
                let s = match (right_clip, r.cigar.first(), r.cigar.last()) {
                    (true, _, Some(c)) | (false, Some(c), _) => c.len(),
                    _ => unreachable!(),
                };
                assert!(
                    s <= 22,
                    "a short side of {s} would keep the D: {:?}",
                    r.cigar
                );
                clipped += 1;
            }
        }
    }
    assert!(
        in_cigar >= 20 && clipped >= 5,
        "{in_cigar} in the CIGAR, {clipped} clipped"
    );
}

fn deleted(cigar: &[Cigar]) -> u32 {
    cigar
        .iter()
        .map(|c| if let Cigar::Del(n) = c { *n } else { 0 })
        .sum()
}

/// The read's base at reference position `pos0`, if aligned there.
fn base_at(r: &SimRead, pos0: i64) -> Option<u8> {
    let (mut rp, mut qi) = (r.pos, 0usize);
    for c in &r.cigar {
        match *c {
            Cigar::Match(n) => {
                if pos0 >= rp && pos0 < rp + i64::from(n) {
                    return r.seq.get(qi + (pos0 - rp) as usize).copied();
                }
                rp += i64::from(n);
                qi += n as usize;
            }
            Cigar::Ins(n) | Cigar::SoftClip(n) => qi += n as usize,
            Cigar::Del(n) => rp += i64::from(n),
            _ => {}
        }
    }
    None
}

#[test]
fn an_mnvs_substitutions_are_on_the_same_molecules() {
    let (_, v, reads) = truth_and_reads(&params(true));
    let mut checked = 0;
    for x in v.iter().filter(|x| x.kind() == Kind::Mnv) {
        let changed: Vec<usize> = (0..x.alt.len())
            .filter(|&i| x.alt[i] != x.ref_allele[i])
            .collect();
        // Molecule (qname up to the copy) -> does each changed base show ALT?
        let mut by_molecule: BTreeMap<String, Vec<bool>> = BTreeMap::new();
        for r in reads.iter().filter(|r| r.tid as usize == x.tid) {
            let bases: Option<Vec<u8>> = changed
                .iter()
                .map(|&i| base_at(r, x.pos0 as i64 + i as i64))
                .collect();
            let Some(bases) = bases else { continue };
            let alt: Vec<bool> = changed
                .iter()
                .zip(&bases)
                .map(|(&i, &b)| b == x.alt[i])
                .collect();
            let molecule = r.qname.rsplit_once('c').unwrap().0.to_string();
            let seen = by_molecule.entry(molecule).or_insert_with(|| alt.clone());
            assert_eq!(*seen, alt, "one molecule, two haplotypes at {}", x.pos0);
        }
        let carriers = by_molecule
            .values()
            .filter(|a| a.iter().all(|&b| b))
            .count();
        let partial = by_molecule
            .values()
            .filter(|a| a.iter().any(|&b| b) && !a.iter().all(|&b| b))
            .count();
        assert_eq!(partial, 0, "every carrier shows all substitutions");
        assert!(carriers >= 3, "{carriers} carriers at {}", x.pos0);
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn the_scorer_counts_a_split_mnv_as_missed_and_its_snvs_not_as_fp() {
    let p = params(false);
    let d = tempfile::tempdir().unwrap();
    ctdna::simulate::simulate(&p, d.path()).unwrap();
    let truth = d.path().join("truth.vcf.gz");
    let out = Command::new("bcftools").arg("view").arg(&truth).output();
    let Ok(out) = out else {
        eprintln!("SKIPPED: bcftools not found to read the truth");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // Calls: every truth record as PASS, except MNVs written as their SNVs.
    let mut calls = String::new();
    let mut mnvs = 0;
    for l in text.lines() {
        if l.starts_with('#') {
            calls.push_str(l);
            calls.push('\n');
            continue;
        }
        let f: Vec<&str> = l.split('\t').collect();
        let (pos, r, a) = (
            f[1].parse::<i64>().unwrap(),
            f[3].as_bytes(),
            f[4].as_bytes(),
        );
        if r.len() > 1 && r.len() == a.len() {
            mnvs += 1;
            for i in (0..r.len()).filter(|&i| r[i] != a[i]) {
                let (rb, ab) = (r[i] as char, a[i] as char);
                calls.push_str(&format!(
                    "{}\t{}\t.\t{rb}\t{ab}\t50\tPASS\t.\n",
                    f[0],
                    pos + i as i64
                ));
            }
        } else {
            calls.push_str(&format!(
                "{}\t{pos}\t.\t{}\t{}\t50\tPASS\t.\n",
                f[0], f[3], f[4]
            ));
        }
    }
    let path = d.path().join("calls.vcf");
    std::fs::write(&path, calls).unwrap();
    let opts = ScoreOptions::from_sim_dir(d.path()).unwrap();
    let s = score_types(&path, &truth, &opts).unwrap();
    eprintln!("{s}");
    let (tp, n) = s.pooled(FineType::Mnv, 0.0);
    assert_eq!((tp, n), (0, mnvs), "split MNVs are missed");
    let split: usize = s.rows.iter().map(|r| r.split).sum();
    assert_eq!(split, mnvs);
    assert!(s.split_calls >= 2 * mnvs);
    assert_eq!(s.fp, 0, "{:?}", s.fp_sites);
    for t in [FineType::LongIns, FineType::LongDel, FineType::Snv] {
        let (tp, n) = s.pooled(t, 0.0);
        assert!(n > 0 && tp == n, "{t:?}: {tp}/{n}");
    }
}

#[test]
fn clipped_parts_that_map_alone_carry_an_sa_tag_pointing_at_their_bases() {
    use rust_htslib::bam::{self, record::Aux, Read as _};
    let p = params(false);
    let d = tempfile::tempdir().unwrap();
    ctdna::simulate::simulate(&p, d.path()).unwrap();
    let g = Genome::generate(&p).unwrap();
    let mut reader = bam::Reader::from_path(d.path().join("sample.bam")).unwrap();
    let (mut tagged, mut clipped) = (0, 0);
    for rec in reader.records() {
        let rec = rec.unwrap();
        let cigar = rec.cigar();
        let clips = cigar
            .iter()
            .any(|c| matches!(c, Cigar::SoftClip(n) if *n >= 30));
        clipped += usize::from(clips);
        let Ok(Aux::String(sa)) = rec.aux(b"SA") else {
            continue;
        };
        tagged += 1;
        // The primary may have run straight on into a few of those bases.
        let any_clip = cigar.iter().any(|c| matches!(c, Cigar::SoftClip(_)));
        assert!(any_clip, "an SA tag on a read without a clip: {sa}");
        // contig,pos,strand,CIGAR,MAPQ,NM; with the read's own strand.
        let f: Vec<&str> = sa.trim_end_matches(';').split(',').collect();
        assert_eq!(f.len(), 6, "{sa}");
        let tid = g.contigs.iter().position(|c| c.name == f[0]).unwrap();
        assert_eq!(tid as i32, rec.tid());
        assert_eq!(f[2], if rec.is_reverse() { "-" } else { "+" });
        let sa_cigar = rust_htslib::bam::record::CigarString::try_from(f[3]).unwrap();
        let (lead, m) = match sa_cigar.0.as_slice() {
            [Cigar::SoftClip(s), Cigar::Match(m), ..] => (*s as usize, *m as usize),
            [Cigar::Match(m), ..] => (0, *m as usize),
            other => panic!("{other:?}"),
        };
        assert!(m >= 30, "{sa}");
        let seq = rec.seq().as_bytes();
        let pos0 = f[1].parse::<usize>().unwrap() - 1;
        let reference = &g.contigs[tid].seq[pos0..pos0 + m];
        let mismatches = seq[lead..lead + m]
            .iter()
            .zip(reference)
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(mismatches.to_string(), f[5], "{sa}");
        assert!(mismatches * 10 <= m, "{sa}");
    }
    assert!(
        tagged >= 5 && tagged < clipped,
        "{tagged} SA tags, {clipped} long clips"
    );
}
