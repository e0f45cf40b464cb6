//! Whole-pipeline unit tests: determinism, realised VAFs, alignment truth.

use super::genome::Genome;
use super::panel::place_targets;
use super::params::SimParams;
use super::reads::count_mismatches;
use super::sample::{simulate_sample, SampleKind};
use super::variants::{self, Kind};
use rust_htslib::bam::record::Cigar;

fn small() -> SimParams {
    SimParams {
        contigs: 2,
        contig_len: 40_000,
        dup_segments: 1,
        targets: 6,
        vafs: vec![0.02, 0.1, 0.3],
        snvs_per_vaf: 3,
        indels_per_vaf: 2,
        germline_snvs: 3,
        germline_indels: 1,
        depth: 300,
        ..SimParams::default()
    }
}

#[test]
fn same_seed_gives_identical_files_and_other_seed_differs() {
    let p = small();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    super::simulate(&p, a.path()).unwrap();
    super::simulate(&p, b.path()).unwrap();
    super::simulate(
        &SimParams {
            seed: 2,
            ..p.clone()
        },
        c.path(),
    )
    .unwrap();
    for f in [
        "ref.fa",
        "ref.fa.fai",
        "targets.bed",
        "negatives.bed",
        "truth.vcf.gz",
        "truth.vcf.gz.tbi",
        "sample.bam",
        "sample.bam.bai",
        "manifest.json",
    ] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(x == y, "{f} differs between two runs with the same seed");
    }
    let x = std::fs::read(a.path().join("truth.vcf.gz")).unwrap();
    let z = std::fs::read(c.path().join("truth.vcf.gz")).unwrap();
    assert_ne!(x, z);
}

#[test]
fn realised_vafs_are_within_binomial_noise() {
    let p = SimParams {
        depth: 1500,
        family_size: 1.0,
        ..small()
    };
    let g = Genome::generate(&p).unwrap();
    let t = place_targets(&p, &g).unwrap();
    let v = variants::generate(&p, &g, &t).unwrap();
    let s = simulate_sample(&p, &g, &t, &v, SampleKind::Tumor);
    for vaf in p.vafs.iter().copied().chain([0.5, 1.0]) {
        let (n, k) = v
            .iter()
            .zip(&s.variant_counts)
            .filter(|(x, _)| x.vaf == vaf)
            .fold((0u32, 0u32), |a, (_, c)| (a.0 + c.0, a.1 + c.1));
        assert!(n > 1000, "vaf {vaf}: only {n} molecules");
        let (n, k) = (f64::from(n), f64::from(k));
        let sd = (n * vaf * (1.0 - vaf)).sqrt().max(1.0);
        assert!((k - n * vaf).abs() < 4.0 * sd, "vaf {vaf}: {k} of {n}");
    }
    // Unique-molecule depth is what was asked for (within 15%).
    for c in &s.variant_counts {
        assert!((f64::from(c.0) - 1500.0).abs() < 225.0, "depth {}", c.0);
    }
    let normal = simulate_sample(&p, &g, &t, &v, SampleKind::Normal(1));
    for (x, c) in v.iter().zip(&normal.variant_counts) {
        if x.is_somatic() {
            assert_eq!(c.1, 0, "somatic variant in a normal");
        }
    }
}

#[test]
fn cigars_nm_flags_and_mates_are_consistent() {
    let p = SimParams {
        duplex: true,
        mark_duplicates: true,
        ..small()
    };
    let g = Genome::generate(&p).unwrap();
    let t = place_targets(&p, &g).unwrap();
    let v = variants::generate(&p, &g, &t).unwrap();
    let s = simulate_sample(&p, &g, &t, &v, SampleKind::Tumor);
    let mut by_name: std::collections::BTreeMap<&str, Vec<&super::reads::SimRead>> =
        Default::default();
    let mut indel_ops = 0;
    let mut dups = 0;
    for r in &s.reads {
        let reference = &g.contigs[r.tid as usize].seq;
        let qlen: u32 = r
            .cigar
            .iter()
            .map(|c| match c {
                Cigar::Match(l) | Cigar::Ins(l) | Cigar::SoftClip(l) => *l,
                _ => 0,
            })
            .sum();
        let rlen: u32 = r
            .cigar
            .iter()
            .map(|c| match c {
                Cigar::Match(l) | Cigar::Del(l) => *l,
                _ => 0,
            })
            .sum();
        assert_eq!(qlen as usize, r.seq.len(), "{}", r.qname);
        assert_eq!(r.pos + i64::from(rlen), r.end, "{}", r.qname);
        assert!(r.seq.len() <= p.read_len as usize + 1);
        let indels: u32 = r
            .cigar
            .iter()
            .map(|c| match c {
                Cigar::Ins(l) | Cigar::Del(l) => *l,
                _ => 0,
            })
            .sum();
        indel_ops += usize::from(indels > 0);
        assert_eq!(
            count_mismatches(&r.seq, &r.cigar, r.pos, reference) + indels,
            r.nm,
            "{}",
            r.qname
        );
        assert!(matches!(
            r.cigar.first(),
            Some(Cigar::Match(_) | Cigar::SoftClip(_))
        ));
        assert!(r.flags & 0x3 == 0x3 && (r.flags & 0x40 != 0) != (r.flags & 0x80 != 0));
        let rx = r.umi.as_deref().unwrap();
        assert_eq!(rx.len(), 2 * p.umi_len + 1);
        dups += usize::from(r.flags & 0x400 != 0);
        assert_eq!(r.flags & 0x400 != 0, !r.qname.ends_with("c0"));
        by_name.entry(r.qname.as_str()).or_default().push(r);
    }
    assert!(dups > 0);
    assert!(indel_ops > 0);
    // Streamed in coordinate order (paralog-target reads merged in).
    assert!(s
        .reads
        .windows(2)
        .all(|w| (w[0].tid, w[0].pos) <= (w[1].tid, w[1].pos)));
    assert!(s.reads.iter().any(|r| r.mapq < 60));
    for (name, pair) in by_name {
        assert_eq!(pair.len(), 2, "{name}");
        let (a, b) = (pair[0], pair[1]);
        assert_eq!((a.mpos, b.mpos), (b.pos, a.pos), "{name}");
        assert_eq!(a.tlen, -b.tlen, "{name}");
        assert_ne!(a.flags & 0x10, b.flags & 0x10, "{name}");
        assert_eq!(a.flags & 0x10 != 0, b.flags & 0x20 != 0, "{name}");
        assert_eq!(a.umi, b.umi);
    }
    // Every somatic indel carried by molecules shows as a CIGAR I/D at its anchor.
    for (x, c) in v.iter().zip(&s.variant_counts) {
        if x.kind() == Kind::Snv || c.1 == 0 {
            continue;
        }
        let anchor_end = x.pos0 as i64 + 1;
        let seen = s.reads.iter().any(|r| {
            let mut rp = r.pos;
            r.cigar.iter().any(|op| match *op {
                Cigar::Match(l) => {
                    rp += i64::from(l);
                    false
                }
                Cigar::Del(l) => {
                    let hit = x.kind() == Kind::Del
                        && rp == anchor_end
                        && l as usize == x.ref_allele.len() - 1;
                    rp += i64::from(l);
                    hit
                }
                Cigar::Ins(l) => {
                    x.kind() == Kind::Ins && rp == anchor_end && l as usize == x.alt.len() - 1
                }
                _ => false,
            })
        });
        assert!(seen, "indel at {} never in a CIGAR", x.pos0 + 1);
    }
}

#[test]
fn short_fragments_give_trimmed_reads() {
    let p = SimParams {
        frag_min: 60,
        frag_mode: 100,
        read_len: 150,
        depth: 100,
        ..small()
    };
    let g = Genome::generate(&p).unwrap();
    let t = place_targets(&p, &g).unwrap();
    let v = variants::generate(&p, &g, &t).unwrap();
    let s = simulate_sample(&p, &g, &t, &v, SampleKind::Tumor);
    let short = s.reads.iter().filter(|r| r.seq.len() < 140).count();
    assert!(short > s.reads.len() / 4, "{short} of {}", s.reads.len());
    // Trimmed pairs cover the same fragment: same start and end.
    for r in s
        .reads
        .iter()
        .filter(|r| r.seq.len() < 100 && r.cigar.len() == 1 && r.tlen > 0)
    {
        assert_eq!(r.pos, r.mpos, "{}", r.qname);
    }
}

/// The read base aligned to 0-based reference `pos`, if any.
fn base_at(r: &super::reads::SimRead, pos: u64) -> Option<u8> {
    let (mut rp, mut qp) = (r.pos as u64, 0usize);
    for c in &r.cigar {
        match *c {
            Cigar::Match(n) | Cigar::Equal(n) | Cigar::Diff(n) => {
                if pos >= rp && pos < rp + u64::from(n) {
                    return Some(r.seq[qp + (pos - rp) as usize]);
                }
                rp += u64::from(n);
                qp += n as usize;
            }
            Cigar::Ins(n) | Cigar::SoftClip(n) => qp += n as usize,
            Cigar::Del(n) | Cigar::RefSkip(n) => rp += u64::from(n),
            _ => {}
        }
    }
    None
}

#[test]
fn artifact_sites_show_in_every_sample_at_their_rate() {
    let p = SimParams {
        depth: 3000,
        family_size: 1.0,
        artifact_sites: 3,
        ..small()
    };
    let g = Genome::generate(&p).unwrap();
    let t = place_targets(&p, &g).unwrap();
    let v = variants::generate(&p, &g, &t).unwrap();
    let sites = super::artifacts::generate(&p, &g, &t, &v).unwrap();
    assert_eq!(sites.len(), 3);
    for a in &sites {
        assert!(v
            .iter()
            .all(|x| x.tid != a.tid || a.pos0 + 15 <= x.pos0 || a.pos0 >= x.end() + 15));
        assert!(a.rate >= 0.002 && a.rate <= 0.01);
    }
    let tumour_rates = super::artifacts::sample_rates(&p, &sites, "sample");
    let normal_rates = super::artifacts::sample_rates(&p, &sites, "normal1");
    assert_ne!(tumour_rates, normal_rates);
    for kind in [SampleKind::Tumor, SampleKind::Normal(1)] {
        let rates = if kind == SampleKind::Tumor {
            &tumour_rates
        } else {
            &normal_rates
        };
        let s = simulate_sample(&p, &g, &t, &v, kind);
        for (a, &rate) in sites.iter().zip(rates) {
            assert!(rate >= 0.5 * a.rate && rate <= 1.5 * a.rate);
            // Read 1 of every pair (one pair per molecule here) covering the site.
            let (mut n, mut k) = (0u32, 0u32);
            for r in s
                .reads
                .iter()
                .filter(|r| r.tid as usize == a.tid && r.flags & 0x40 != 0)
            {
                if let Some(b) = base_at(r, a.pos0) {
                    n += 1;
                    k += u32::from(b == a.alt);
                }
            }
            // Expected alt reads plus sequencing errors to that base (< 1%/3).
            let expect = f64::from(n) * rate;
            let sd = expect.sqrt().max(1.0);
            assert!(n > 1000, "{n}");
            assert!(
                f64::from(k) > expect - 4.0 * sd
                    && f64::from(k) < expect + 4.0 * sd + 0.004 * f64::from(n),
                "{kind:?} site {}:{} rate {rate}: {k} of {n}",
                a.tid,
                a.pos0
            );
        }
    }
}

/// `--no-seq-errors` reads are the same reads (positions, CIGARs,
/// qualities), each base as it is on its PCR copy: with every other error
/// source off, a read differs from the reference only at the variants its
/// molecule carries, and with errors the same reads show errors again.
#[test]
fn without_sequencing_errors_reads_match_their_molecule() {
    let quiet = SimParams {
        pcr_error_rate: 0.0,
        oxog_rate: 0.0,
        hp_indel_rate: 0.0,
        germline_snvs: 0,
        germline_indels: 0,
        snvs_per_vaf: 0,
        indels_per_vaf: 0,
        artifact_sites: 0,
        paralog_targets: 0,
        ..small()
    };
    let exact = SimParams {
        no_seq_errors: true,
        ..quiet.clone()
    };
    let g = Genome::generate(&exact).unwrap();
    let t = place_targets(&exact, &g).unwrap();
    let v = variants::generate(&exact, &g, &t).unwrap();
    assert!(v.is_empty());
    let a = simulate_sample(&exact, &g, &t, &v, SampleKind::Tumor);
    let b = simulate_sample(&quiet, &g, &t, &v, SampleKind::Tumor);
    assert_eq!(a.reads.len(), b.reads.len());
    let mut errors = 0;
    for (x, y) in a.reads.iter().zip(&b.reads) {
        assert_eq!(
            (&x.qname, x.pos, &x.cigar, &x.qual),
            (&y.qname, y.pos, &y.cigar, &y.qual)
        );
        // No variants, no PCR errors, damage or slippage: the reference.
        let reference = &g.contigs[x.tid as usize].seq;
        assert_eq!(count_mismatches(&x.seq, &x.cigar, x.pos, reference), 0);
        assert_eq!(x.nm, 0);
        errors += y.nm;
    }
    assert!(errors > 100, "the same reads with errors show {errors}");
}
