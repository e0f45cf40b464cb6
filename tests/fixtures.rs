//! `ctdna count` against other tools' test fixtures with known answers.
//!
//! Sources, licences and every adaptation are listed in
//! `test-data/fixtures/README.md`. Expected numbers come from the fixtures'
//! own expected outputs (samtools 1.16.1 / bcftools 1.16), never from ctdna.
//!
//! What is comparable with samtools mpileup:
//! - per-base forward/reverse counts of A/C/G/T: exactly, with ctdna's
//!   filters set to samtools' (see [`samtools_opts`]);
//! - depth: ctdna's depth is the number of molecules with a usable A/C/G/T
//!   base. samtools' depth column also counts `*` deletion placeholders,
//!   `>` reference skips and N bases, so ctdna's depth is compared with the
//!   number of A/C/G/T bases samtools shows, not with its depth column. (In
//!   these expected outputs a base dropped by `-Q` is not in samtools'
//!   depth column either, e.g. 32.out at 17:567.)
//! - indels: ctdna reports them left-aligned with the anchor base, samtools
//!   where the CIGAR put them; the tests left-align samtools' events
//!   ([`left_align_events`]) and remove pads (`*`) from its insertions.

mod fixture_support;

use fixture_support::*;
use std::collections::BTreeMap;

/// ctdna options equivalent to `samtools mpileup` with `-Q min_bq`, `-q 0`,
/// no overlap detection (`-x`) and its default of skipping anomalous pairs
/// (undone with `-A` by dropping `--drop-improper`). samtools has no
/// read-end, mismatch or supplementary filters, so those are switched off.
fn samtools_opts(min_bq: u8) -> Vec<String> {
    [
        "--min-mapq",
        "0",
        "--min-bq",
        &min_bq.to_string(),
        "--min-dist-end",
        "0",
        "--max-mismatch-per-100",
        "1000",
        "--keep-supplementary",
        "--overlap",
        "independent",
        "--drop-improper",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn with<'a>(base: &'a [String], extra: &[&'a str], drop: &[&str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < base.len() {
        let a = base[i].as_str();
        if drop.contains(&a) {
            // Drop the option and, when it takes one, its value.
            i += if base.get(i + 1).is_some_and(|n| !n.starts_with("--")) {
                2
            } else {
                1
            };
            continue;
        }
        v.push(a);
        i += 1;
    }
    v.extend_from_slice(extra);
    v
}

fn st(rel: &str) -> String {
    format!("samtools-1.16.1/{rel}")
}

fn at(s: &BTreeMap<(String, u64), Site>, chrom: &str, pos: u64) -> Site {
    s.get(&(chrom.to_string(), pos))
        .cloned()
        .unwrap_or_default()
}

// ---------------------------------------------------------------- overlap50

/// samtools 23.out (overlap detection on) vs ctdna's fragment merging.
///
/// The two mates of `foo2` overlap over 17:528-577. samtools' overlap
/// detection gives one mate the summed quality and zeroes the other's, which
/// `-Q 13` then drops (depth 1 there); ctdna merges the pair into one
/// molecule. Both give one observation per position there.
#[test]
fn overlap50_merged_mates_count_once() {
    let case = case_from_sam(
        &st("overlap50.sam"),
        &st("mpileup.ref.fa"),
        HeaderFix::default(),
    );
    let bed = "17\t470\t630\n";
    let opts = samtools_opts(13);
    let rows = run_count(
        &case,
        bed,
        &with(&opts, &["--overlap", "merge"], &["--overlap"]),
    );
    let ours = sites(&rows);
    let exp = read_pileup_counts(&st("counts/23.counts.tsv"));
    for (key, e) in &exp {
        let o = at(&ours, &key.0, key.1);
        let pos = key.1;
        // samtools: 1 shown base everywhere; ctdna: one molecule everywhere.
        assert_eq!(o.depth, e.bases(), "17:{pos} depth");
        let total = |c: [u32; 4], d: [u32; 4]| -> [u32; 4] {
            [c[0] + d[0], c[1] + d[1], c[2] + d[2], c[3] + d[3]]
        };
        assert_eq!(total(o.fwd, o.rev), total(e.fwd, e.rev), "17:{pos} bases");
        if pos == 567 {
            // By design: ctdna drops the forward mate's Q7 base before
            // merging, so the molecule is the reverse mate's base alone;
            // samtools first sums the two qualities (7+36) and shows the
            // forward mate's base. Same base, same depth, other strand.
            assert_eq!((o.fwd, o.rev), ([0, 0, 0, 0], [0, 1, 0, 0]));
            assert_eq!((e.fwd, e.rev), ([0, 1, 0, 0], [0, 0, 0, 0]));
        } else {
            // A merged molecule takes read 1's strand (forward here), as
            // samtools keeps read 1's base.
            assert_eq!((o.fwd, o.rev), (e.fwd, e.rev), "17:{pos} strands");
        }
    }
    assert_eq!(exp.len(), 150);
    // The overlap itself: one molecule, not two.
    assert_eq!(at(&ours, "17", 550).depth, 1);
    // 17:617 is the reverse mate's Q7 base: nobody counts it.
    assert_eq!(at(&ours, "17", 617).depth, 0);
}

/// samtools 24.out (`-x`): both mates counted, depth 2 over the overlap.
#[test]
fn overlap50_independent_mates_match_samtools_x() {
    let case = case_from_sam(
        &st("overlap50.sam"),
        &st("mpileup.ref.fa"),
        HeaderFix::default(),
    );
    let rows = run_count(&case, "17\t470\t630\n", &with(&samtools_opts(13), &[], &[]));
    let ours = sites(&rows);
    let exp = read_pileup_counts(&st("counts/24.counts.tsv"));
    assert_eq!(assert_bases_match("24.out", &ours, &exp), 150);
    assert_eq!(at(&ours, "17", 550).depth, 2);
    assert_eq!(at(&ours, "17", 567).depth, 1);
}

/// samtools `test/dat/mpileup.out.5` on `overlap.bam`: a pair whose mates
/// overlap, MAPQ 255, no base qualities (QUAL `*`), one mate spliced
/// (`92M59125N9M`). samtools' overlap detection shows one base, `g` from
/// read 1 (reverse). ctdna merges the pair: one molecule, read 1's strand.
/// Adapted (see the README): coordinates shifted by -128,800,000 onto a
/// 200 kb all-N `chr3` written here, as the fixture has no reference.
#[test]
fn spliced_overlapping_pair_without_qualities_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let reference = all_n_reference(dir.path(), "chr3", 200_000);
    let bam = bam_from_sam(
        &fixture(&st("overlap.shifted.sam")),
        &reference,
        dir.path(),
        "input",
        HeaderFix::default(),
    );
    let expected = std::fs::read_to_string(fixture(&st("expected/mpileup.out.5"))).unwrap();
    let f: Vec<&str> = expected.trim().split('\t').collect();
    assert_eq!(f[..5], ["chr3", "128814202", "N", "1", "g"]);
    let pos = 128_814_202 - 128_800_000;
    let bed = format!("chr3\t{}\t{}\n", pos - 1, pos);
    // ctdna's defaults: MAPQ 255 passes --min-mapq 20, missing qualities
    // count as Q30 and pass --min-bq 20.
    let merged = sites(&run_count_on(&bam, &reference, dir.path(), &bed, &[]));
    let s = at(&merged, "chr3", pos);
    assert_eq!(
        (s.depth, s.fwd, s.rev),
        (1, [0; 4], [0, 0, 1, 0]),
        "one reverse G"
    );
    let both = sites(&run_count_on(
        &bam,
        &reference,
        dir.path(),
        &bed,
        &["--overlap", "independent"],
    ));
    let s = at(&both, "chr3", pos);
    assert_eq!((s.depth, s.fwd, s.rev), (2, [0, 0, 1, 0], [0, 0, 1, 0]));
}

/// samtools `mp1_ends.out`: `mpileup.1.bam` (569 real paired reads over
/// 17:1-4200) with samtools' defaults: overlap detection on, `-Q 13`,
/// anomalous pairs skipped. samtools keeps one mate's base where two agree
/// (its quality raised, the other's zeroed); ctdna merges the fragment. So
/// at every one of the 4,101 positions the number of molecules per base
/// must be equal; only the strand may differ (ctdna gives a merged molecule
/// read 1's strand, samtools keeps whichever mate it chose).
#[test]
fn real_pairs_merged_like_samtools_overlap_detection() {
    let case = case_from_sam(
        &st("mpileup.1.sam.gz"),
        &st("mpileup.ref.fa"),
        HeaderFix::default(),
    );
    let opts = samtools_opts(13);
    let rows = run_count(
        &case,
        "17\t0\t4200\n",
        &with(&opts, &["--overlap", "merge"], &["--overlap"]),
    );
    let ours = sites(&rows);
    let exp = read_pileup_counts(&st("counts/mp1_ends.counts.tsv"));
    assert_eq!(exp.len(), 4101);
    let independent = sites(&run_count(&case, "17\t0\t4200\n", &with(&opts, &[], &[])));
    let mut strand_differs = 0;
    for (key, e) in &exp {
        let o = at(&ours, &key.0, key.1);
        let totals =
            |f: [u32; 4], r: [u32; 4]| [f[0] + r[0], f[1] + r[1], f[2] + r[2], f[3] + r[3]];
        assert_eq!(
            totals(o.fwd, o.rev),
            totals(e.fwd, e.rev),
            "17:{} molecules per base",
            key.1
        );
        assert_eq!(o.depth, e.bases(), "17:{} depth", key.1);
        strand_differs += usize::from((o.fwd, o.rev) != (e.fwd, e.rev));
    }
    // The fixture does exercise merging: counted per read, depth is higher.
    let overlapped = independent
        .iter()
        .filter(|(k, s)| s.depth > at(&ours, &k.0, k.1).depth)
        .count();
    assert!(
        overlapped > 100,
        "{overlapped} positions with overlapping mates"
    );
    assert!(
        strand_differs < exp.len() / 10,
        "{strand_differs} strand differences"
    );
    for (key, o) in &ours {
        if !exp.contains_key(key) {
            assert_eq!(o.depth, 0, "17:{}", key.1);
        }
    }
}

// ---------------------------------------------------------------- anomalous

/// 26.out: samtools skips the improper pair `foo2` by default (depth 2);
/// 27.out: `-A` keeps it (depth 4). `--drop-improper` is ctdna's switch.
#[test]
fn anomalous_pairs_follow_drop_improper() {
    let case = case_from_sam(
        &st("anomalous.sam"),
        &st("mpileup.ref.fa"),
        HeaderFix::default(),
    );
    let bed = "17\t470\t630\n";
    let opts = samtools_opts(0);
    let dropped = sites(&run_count(&case, bed, &with(&opts, &[], &[])));
    let e26 = read_pileup_counts(&st("counts/26.counts.tsv"));
    assert_eq!(assert_bases_match("26.out", &dropped, &e26), 100);
    assert_eq!(at(&dropped, "17", 500).depth, 2);

    let kept = sites(&run_count(
        &case,
        bed,
        &with(&opts, &[], &["--drop-improper"]),
    ));
    let e27 = read_pileup_counts(&st("counts/27.counts.tsv"));
    assert_eq!(assert_bases_match("27.out", &kept, &e27), 100);
    assert_eq!(at(&kept, "17", 500).depth, 4);

    // ctdna's default mode merges each fully overlapping pair into one
    // molecule (samtools has no fragment-level equivalent): 2 fragments.
    let merged = sites(&run_count(
        &case,
        bed,
        &with(
            &opts,
            &["--overlap", "merge"],
            &["--drop-improper", "--overlap"],
        ),
    ));
    assert_eq!(at(&merged, "17", 500).depth, 2);
}

// ---------------------------------------------------------------- 1read

/// 29/30.out: `-q 61` drops the MAPQ-60 read, `-q 60` keeps it (>=).
/// 31/32.out: its Q7 base at 17:567 is kept with `-Q 7`, dropped with `-Q 8`.
#[test]
fn one_read_mapq_and_base_quality_thresholds() {
    let case = case_from_sam(
        &st("1read.sam"),
        &st("mpileup.ref.fa"),
        HeaderFix::default(),
    );
    let bed = "17\t470\t630\n";
    let opts = samtools_opts(13);

    let q61 = sites(&run_count(
        &case,
        bed,
        &with(&opts, &["--min-mapq", "61"], &["--min-mapq"]),
    ));
    assert!(read_pileup_counts(&st("counts/29.counts.tsv")).is_empty());
    assert!(
        q61.values().all(|s| s.depth == 0),
        "MAPQ 60 < 61 is dropped"
    );

    let q60 = sites(&run_count(
        &case,
        bed,
        &with(&opts, &["--min-mapq", "60"], &["--min-mapq"]),
    ));
    let e30 = read_pileup_counts(&st("counts/30.counts.tsv"));
    assert_eq!(assert_bases_match("30.out", &q60, &e30), 100);
    assert_eq!(at(&q60, "17", 500).depth, 1);

    let bq7 = sites(&run_count(
        &case,
        bed,
        &with(&opts, &["--min-bq", "7"], &["--min-bq"]),
    ));
    let e31 = read_pileup_counts(&st("counts/31.counts.tsv"));
    assert_eq!(assert_bases_match("31.out", &bq7, &e31), 100);
    assert_eq!(at(&bq7, "17", 567).depth, 1, "BQ 7 is kept at --min-bq 7");

    let bq8 = sites(&run_count(
        &case,
        bed,
        &with(&opts, &["--min-bq", "8"], &["--min-bq"]),
    ));
    let e32 = read_pileup_counts(&st("counts/32.counts.tsv"));
    assert_eq!(assert_bases_match("32.out", &bq8, &e32), 100);
    assert_eq!(
        at(&bq8, "17", 567).depth,
        0,
        "BQ 7 is dropped at --min-bq 8"
    );
}

// ---------------------------------------------------------------- unmapped

/// 2/3.out are empty: files of unmapped reads give no pileup. 4.out: the
/// mapped reads of `ce#unmap2` counted, its unmapped reads never.
#[test]
fn unmapped_reads_are_never_counted() {
    let fa = st("ce.CHROMOSOME_I_1-300.fa");
    let bed = "CHROMOSOME_I\t0\t300\n";
    let opts = samtools_opts(0);
    // ce#unmap has no @SQ at all (ctdna warns and reports zero depth);
    // ce#unmap1 has @SQ lines but only unmapped reads.
    for (sam, expected) in [
        ("ce#unmap.sam", "counts/2.counts.tsv"),
        ("ce#unmap1.sam", "counts/3.counts.tsv"),
    ] {
        let case = case_from_sam(
            &st(sam),
            &fa,
            HeaderFix {
                declare_sorted: true,
            },
        );
        let ours = sites(&run_count(&case, bed, &with(&opts, &[], &[])));
        let exp = read_pileup_counts(&st(expected));
        assert!(exp.is_empty());
        assert_eq!(ours.len(), 300, "{sam}: a REF row per target position");
        assert_eq!(assert_bases_match(sam, &ours, &exp), 0);
    }
    let case = case_from_sam(
        &st("ce#unmap2.sam"),
        &fa,
        HeaderFix {
            declare_sorted: true,
        },
    );
    let ours = sites(&run_count(&case, bed, &with(&opts, &[], &[])));
    let exp = read_pileup_counts(&st("counts/4.counts.tsv"));
    assert_eq!(assert_bases_match("4.out", &ours, &exp), 101);
    assert_eq!(at(&ours, "CHROMOSOME_I", 3).depth, 10);
    // The 1 bp deletion of the first read (27M1D73M from position 2).
    assert_eq!(at(&ours, "CHROMOSOME_I", 28).del.get("A"), Some(&1));
}

// ---------------------------------------------------------------- minimal records

/// samtools 9.out: `xx#minimal` holds records with SEQ `*` (one with
/// `5H0I10M0D5H`: ten aligned bases and no sequence) and zero-length CIGAR
/// operations. samtools shows the ten positions as `n`; ctdna must not fail
/// (it used to index the empty sequence and panic) and counts no allele.
#[test]
fn records_without_sequence_count_nothing() {
    let case = case_from_sam(&st("xx#minimal.sam"), &st("xx.fa"), HeaderFix::default());
    let bed = whole_reference_bed(&case);
    let ours = sites(&run_count(&case, &bed, &with(&samtools_opts(0), &[], &[])));
    let exp = read_pileup_counts(&st("counts/9.counts.tsv"));
    assert_eq!(
        exp.values().map(|e| e.depth).sum::<u32>(),
        10,
        "samtools: ten `n`"
    );
    assert_eq!(assert_bases_match("9.out", &ours, &exp), 10);
    assert!(ours.values().all(|s| s.depth == 0 && s.del_span == 0));
}

/// samtools 10.out (`-Q0 -x`): `xx#triplet`, three segments of one template
/// named `a1` on `xx` (flags 67, 35, 147) and two on `yy`; counted per read.
#[test]
fn three_segment_template_counted_per_read_matches_samtools_x() {
    let case = case_from_sam(&st("xx#triplet.sam"), &st("xx.fa"), HeaderFix::default());
    let bed = whole_reference_bed(&case);
    let ours = sites(&run_count(&case, &bed, &with(&samtools_opts(0), &[], &[])));
    let exp = read_pileup_counts(&st("counts/10.counts.tsv"));
    assert_eq!(assert_bases_match("10.out", &ours, &exp), 40);
    assert_eq!(at(&ours, "xx", 15).depth, 3);
}

// ---------------------------------------------------------------- clips, pads, ref skips

/// Indel events must agree too, after left-aligning samtools' events and
/// removing its pads. `not_counted` lists insertions (chrom, pos, seq) that
/// samtools shows once but ctdna does not count by design (explained at
/// each call). Reports every mismatch at once.
fn assert_indels_match(
    label: &str,
    ours: &BTreeMap<(String, u64), Site>,
    expected: &BTreeMap<(String, u64), Pileup>,
    fasta: &str,
    not_counted: &[(&str, u64, &str)],
) {
    let seqs = fasta_seqs(&fixture(fasta));
    let base = |c: &str, p: u64| seqs[c].get(p as usize - 1).copied().unwrap_or(b'N');
    let mut aligned = left_align_events(expected, &base);
    for (chrom, pos, seq) in not_counted {
        let e = aligned
            .get_mut(&(chrom.to_string(), *pos))
            .expect("listed event exists");
        let n = e.ins.get_mut(*seq).expect("listed insertion exists");
        *n -= 1;
        if *n == 0 {
            e.ins.remove(*seq);
        }
    }
    let mut bad = Vec::new();
    let keys: std::collections::BTreeSet<_> = aligned.keys().chain(ours.keys()).cloned().collect();
    for key in keys {
        let o = at(ours, &key.0, key.1);
        let e = aligned.get(&key).cloned().unwrap_or_default();
        if o.ins != e.ins || o.del != e.del {
            bad.push(format!(
                "{}:{} ctdna ins {:?} del {:?} / samtools ins {:?} del {:?}",
                key.0, key.1, o.ins, o.del, e.ins, e.del
            ));
        }
    }
    assert!(bad.is_empty(), "{label} indels differ:\n{}", bad.join("\n"));
}

/// 5.out: soft clips, hard clips and a ref skip (`c1#clip`).
#[test]
fn clips_and_ref_skip_match_samtools() {
    let case = case_from_sam(&st("c1#clip.sam"), &st("c1.fa"), HeaderFix::default());
    let bed = whole_reference_bed(&case);
    let ours = sites(&run_count(&case, &bed, &with(&samtools_opts(0), &[], &[])));
    let exp = read_pileup_counts(&st("counts/5.counts.tsv"));
    assert_eq!(assert_bases_match("5.out", &ours, &exp), 10);
    // c1:4-7: samtools' depth 7 includes the 3M4N3M read's `>` skip; ctdna's
    // depth counts bases only.
    assert_eq!(
        (at(&ours, "c1", 5).depth, exp[&("c1".to_string(), 5)].depth),
        (6, 7)
    );
    // c1:5 `+2NN`: an insertion of N bases is not an allele for ctdna.
    assert!(at(&ours, "c1", 5).ins.is_empty());
    assert_indels_match("5.out", &ours, &exp, &st("c1.fa"), &[]);
}

/// 6/7/8.out: padded alignments (`P` operations) of `c1#pad1-3`.
#[test]
fn padded_alignments_match_samtools() {
    for (sam, counts) in [
        ("c1#pad1.sam", "counts/6.counts.tsv"),
        ("c1#pad2.sam", "counts/7.counts.tsv"),
        ("c1#pad3.sam", "counts/8.counts.tsv"),
    ] {
        let case = case_from_sam(&st(sam), &st("c1.fa"), HeaderFix::default());
        let bed = whole_reference_bed(&case);
        let ours = sites(&run_count(&case, &bed, &with(&samtools_opts(0), &[], &[])));
        let exp = read_pileup_counts(&st(counts));
        assert!(assert_bases_match(sam, &ours, &exp) > 0);
        // c1#pad2 read s8 (`5D2P2I2P5D`) has no aligned base at all: samtools
        // shows its `TA` insertion at c1:5, ctdna does not count an indel
        // that no aligned base of its read anchors.
        let unanchored: &[(&str, u64, &str)] = if sam == "c1#pad2.sam" {
            &[("c1", 5, "TA")]
        } else {
            &[]
        };
        assert_indels_match(sam, &ours, &exp, &st("c1.fa"), unanchored);
    }
}

/// htslib's pileup cases (`mp_*.sam` + `mp.fa`, expected from samtools).
#[test]
fn mp_cigar_cases_match_samtools() {
    for name in ["mp_D", "mp_DI", "mp_I", "mp_ID", "mp_N", "mp_N2", "mp_P"] {
        let case = case_from_sam(
            &st(&format!("{name}.sam")),
            &st("mp.fa"),
            HeaderFix::default(),
        );
        let bed = whole_reference_bed(&case);
        let ours = sites(&run_count(&case, &bed, &with(&samtools_opts(0), &[], &[])));
        let exp = read_pileup_counts(&st(&format!("counts/{name}.counts.tsv")));
        assert!(assert_bases_match(name, &ours, &exp) > 0);
        // mp_DI reads s3 (`2D2I9M`) and s5 (`2D1P1I9M`) start with a
        // deletion: samtools anchors their insertions on a deletion
        // placeholder at z:3; ctdna counts no indel before a read's first
        // aligned base (as for leading insertions, which samtools cannot
        // show either).
        let unanchored: &[(&str, u64, &str)] = if name == "mp_DI" {
            &[("z", 3, "A"), ("z", 3, "AA")]
        } else {
            &[]
        };
        assert_indels_match(name, &ours, &exp, &st("mp.fa"), unanchored);
    }
}

// ---------------------------------------------------------------- bcftools indel AD

fn bc(rel: &str) -> String {
    format!("bcftools-1.16/{rel}")
}

/// ctdna options equivalent to bcftools mpileup's read filters (MAPQ 0,
/// anomalous pairs skipped, supplementary kept) with each read counted.
fn bcftools_opts(min_bq: u8) -> Vec<String> {
    samtools_opts(min_bq)
}

/// ctdna's count of the indel a bcftools record describes, after both are
/// normalised (ctdna already reports left-aligned VCF alleles).
fn indel_count(rows: &[Row], rec: &VcfRecord, alt: &str, seq: &[u8]) -> (u32, u32) {
    let base = |p: u64| seq[p as usize - 1];
    let (pos, r, a) = normalise(rec.pos, &rec.ref_allele, alt, &base);
    let row = rows
        .iter()
        .find(|x| x.chrom == rec.chrom && x.pos == pos && x.ref_allele == r && x.alt == a);
    row.map_or((0, 0), |x| (x.count, x.depth + x.del_span))
}

/// bcftools `indel-AD.1`/`indel-AD.2` (`-a AD`, default filters).
///
/// What is comparable:
/// - `DP` of the non-indel records is the raw depth (no base-quality
///   filter): ctdna's depth with `--min-bq 0`, position by position;
/// - `IDV` is the number of reads whose CIGAR carries the indel (again no
///   base-quality filter): ctdna's indel count with `--min-bq 0`;
/// - `AD` of an indel comes from bcftools' local realignment of every read
///   (soft-clipped reads can support it, reads ambiguous within a repeat
///   support neither allele), while ctdna counts CIGAR events. Where the
///   reads are unambiguous the two agree (000000F:655, 11:75 alt AD 6); the
///   others are checked to be within the realignment's reach. The ref AD
///   (e.g. 14 at 11:75) counts reads spanning the whole repeat and has no
///   ctdna counterpart: ctdna's REF row counts the anchor base.
#[test]
fn bcftools_indel_ad_depths_and_raw_indel_reads() {
    for (n, contig) in [(1, "000000F"), (2, "11")] {
        let fa = bc(&format!("indel-AD.{n}.fa"));
        let case = case_from_sam(&bc(&format!("indel-AD.{n}.sam")), &fa, HeaderFix::default());
        let seq = fasta_seqs(&fixture(&fa)).remove(contig).unwrap();
        let bed = whole_reference_bed(&case);
        let raw = run_count(&case, &bed, &with(&bcftools_opts(0), &[], &[]));
        let raw_sites = sites(&raw);
        let q13 = run_count(&case, &bed, &with(&bcftools_opts(13), &[], &[]));
        let recs = read_vcf(&fixture(&bc(&format!("indel-AD.{n}.out"))));
        let (mut depths, mut past_end) = (0, 0);
        let mut indels = Vec::new();
        for rec in &recs {
            if rec.pos as usize > seq.len() {
                // A read overhangs the contig end; bcftools reports its
                // bases there (REF N), ctdna's targets stop at the contig end.
                past_end += 1;
            } else if rec.is_indel() {
                let (count, _) = indel_count(&raw, rec, &rec.alts[0], &seq);
                assert_eq!(count, rec.info_u32("IDV"), "{}:{} IDV", rec.chrom, rec.pos);
                let (count13, _) = indel_count(&q13, rec, &rec.alts[0], &seq);
                indels.push((rec.pos, rec.ad[1], count13));
            } else {
                let s = at(&raw_sites, &rec.chrom, rec.pos);
                assert_eq!(s.depth, rec.info_u32("DP"), "{}:{} DP", rec.chrom, rec.pos);
                depths += 1;
            }
        }
        if n == 1 {
            assert_eq!((depths, past_end), (295, 2));
            // (pos, bcftools alt AD, ctdna count at BQ 13)
            assert_eq!(
                indels,
                [(537, 57, 56), (538, 61, 54), (655, 6, 6), (658, 3, 2)]
            );
        } else {
            assert_eq!((depths, past_end), (1, 0));
            assert_eq!(indels, [(75, 6, 6)]);
            let ins = q13.iter().find(|r| r.pos == 75 && r.kind == "INS").unwrap();
            assert_eq!((ins.ref_allele.as_str(), ins.alt.as_str()), ("G", "GTAAAA"));
            assert_eq!(ins.depth, 68, "DP=68");
        }
    }
}

/// bcftools `mpileup-SCR` (`-a INFO/SCR,FMT/SCR`): soft-clipped reads, a
/// duplicate, a mate with PNEXT far outside the contig. Its `DP` (raw depth,
/// no base-quality filter, duplicates and anomalous pairs skipped, clipped
/// bases not counted) equals ctdna's depth at `--min-bq 0` everywhere.
/// (`SCR`, the number of soft-clipped reads, has no ctdna counterpart.)
#[test]
fn bcftools_soft_clipped_reads_depth() {
    // Used as a BAM: htslib's SAM parser rejects that PNEXT in text form.
    let dir = tempfile::tempdir().unwrap();
    let reference = copy_in(&fixture(&bc("mpileup-SCR.fa")), dir.path());
    let bam = copy_in(&fixture(&bc("mpileup-SCR.bam")), dir.path());
    let bed = "1\t0\t150\n";
    let opts = bcftools_opts(0);
    let ours = sites(&run_count_on(
        &bam,
        &reference,
        dir.path(),
        bed,
        &with(&opts, &[], &[]),
    ));
    let recs: Vec<VcfRecord> = read_vcf(&fixture(&bc("mpileup-SCR.out")))
        .into_iter()
        .filter(|r| !r.is_indel())
        .collect();
    assert_eq!(recs.len(), 86);
    for rec in &recs {
        let s = at(&ours, &rec.chrom, rec.pos);
        assert_eq!(s.depth, rec.info_u32("DP"), "{}:{} DP", rec.chrom, rec.pos);
    }
}

// ---------------------------------------------------------------- CRAM

/// bcftools' `indel-AD.2.cram` (the CRAM twin of `indel-AD.2.sam`, decoded
/// with the external reference `indel-AD.2.fa`): same counts as the BAM,
/// and the expected 11:75 insertion (alt AD 6 of DP 68).
#[test]
fn cram_with_external_reference_counts_like_its_bam() {
    let fa = bc("indel-AD.2.fa");
    let case = case_from_sam(&bc("indel-AD.2.sam"), &fa, HeaderFix::default());
    let cram = copy_in(&fixture(&bc("indel-AD.2.cram")), case.dir.path());
    let bed = whole_reference_bed(&case);
    let opts = bcftools_opts(13);
    let from_bam = run_count(&case, &bed, &with(&opts, &[], &[]));
    let from_cram = run_count_on(
        &cram,
        &case.reference,
        case.dir.path(),
        &bed,
        &with(&opts, &[], &[]),
    );
    assert_eq!(from_bam.len(), from_cram.len());
    assert_eq!(sites(&from_bam), sites(&from_cram));
    let ins = from_cram
        .iter()
        .find(|r| r.pos == 75 && r.kind == "INS")
        .unwrap();
    assert_eq!((ins.alt.as_str(), ins.count, ins.depth), ("GTAAAA", 6, 68));
}

// ---------------------------------------------------------------- depth cap

/// samtools 47.out: `-d 8500` caps the 9,000 reads of `deep.sam` at 8,500.
/// ctdna has no depth cap: all 9,000 are counted.
#[test]
fn no_depth_cap_on_deep_pileup() {
    let case = case_from_sam(
        &st("deep.sam.gz"),
        &st("mpileup.ref.fa"),
        HeaderFix::default(),
    );
    let capped: u32 = std::fs::read_to_string(fixture(&st("expected/47.out")))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(capped, 8500);
    // QUAL is `*` (no qualities); all reads share one name and have no mate
    // coordinates, so no mate merging applies.
    let rows = run_count(
        &case,
        "17\t800\t820\n",
        &with(&samtools_opts(0), &["--overlap", "merge"], &["--overlap"]),
    );
    let s = at(&sites(&rows), "17", 810);
    assert_eq!(s.depth, 9000);
    assert!(s.depth > capped);
    assert_eq!(s.fwd[2], 9000, "all G, forward");
}

// ---------------------------------------------------------------- bam-readcount

/// An all-N FASTA with one contig, written into `dir` (for fixtures that
/// come without their reference).
fn all_n_reference(dir: &std::path::Path, contig: &str, len: usize) -> std::path::PathBuf {
    let path = dir.join(format!("{contig}_N.fa"));
    let mut fa = format!(">{contig}\n");
    for start in (0..len).step_by(80) {
        fa.push_str(&"N".repeat(80.min(len - start)));
        fa.push('\n');
    }
    std::fs::write(&path, fa).unwrap();
    path
}

/// bam-readcount `test-data` (`expected_all_lib`, default options: MAPQ 0,
/// BQ 0, every read counted): per-base counts, strands, mean base and
/// mapping quality, and the `+A` insertion at two sites of real chr21 reads.
/// Adapted (see the README): its b37 chr21 reference is not distributed,
/// so coordinates are shifted by -10,400,000 onto an all-N contig `21` of
/// 10 kb written here. With an N reference every base is an "SNV" row and
/// the insertion's anchor is `N`; the counts are what is compared.
#[test]
fn bam_readcount_per_base_counts_and_means() {
    let dir = tempfile::tempdir().unwrap();
    let reference = all_n_reference(dir.path(), "21", 10_000);
    let bam = bam_from_sam(
        &fixture("bam-readcount/test.shifted.sam.gz"),
        &reference,
        dir.path(),
        "input",
        HeaderFix::default(),
    );
    let expected = std::fs::read_to_string(fixture("bam-readcount/expected_all_lib")).unwrap();
    const SHIFT: u64 = 10_400_000;
    let bed: String = expected
        .lines()
        .map(|l| {
            let pos: u64 = l.split('\t').nth(1).unwrap().parse().unwrap();
            format!("21\t{}\t{}\n", pos - SHIFT - 1, pos - SHIFT)
        })
        .collect();
    let base_opts = samtools_opts(0);
    // bam-readcount has no pair filter: improper pairs are counted.
    let opts = with(&base_opts, &["--keep-duplicates"], &["--drop-improper"]);
    let rows = run_count_on(&bam, &reference, dir.path(), &bed, &opts);
    let mut checked = 0;
    for line in expected.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let pos = f[1].parse::<u64>().unwrap() - SHIFT;
        let depth: u32 = f[3].parse().unwrap();
        for entry in &f[4..] {
            let v: Vec<&str> = entry.split(':').collect();
            let (allele, count): (&str, u32) = (v[0], v[1].parse().unwrap());
            let (mapq, bq, plus, minus) = (
                v[2],
                v[3],
                v[5].parse::<u32>().unwrap(),
                v[6].parse::<u32>().unwrap(),
            );
            let row = rows.iter().find(|r| {
                r.pos == pos
                    && match allele.strip_prefix('+') {
                        Some(ins) => r.kind == "INS" && r.alt[1..] == *ins,
                        None => r.kind == "SNV" && r.alt == allele,
                    }
            });
            let Some(row) = row else {
                // '=' and N (and unseen bases) have no row; bam-readcount says 0.
                assert_eq!(count, 0, "{pos} {allele}");
                continue;
            };
            assert_eq!(
                (row.count, row.fwd, row.rev),
                (count, plus, minus),
                "{pos} {allele}"
            );
            assert_eq!(row.depth, depth, "{pos} depth");
            assert_eq!(
                format!("{:.2}", row.mean_mq),
                mapq,
                "{pos} {allele} mean MAPQ"
            );
            if row.kind == "SNV" {
                // bam-readcount gives no base quality for indels (0.00).
                assert_eq!(format!("{:.2}", row.mean_bq), bq, "{pos} {allele} mean BQ");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 5, "A, G, +A at the first site; C, T at the second");
}

// ---------------------------------------------------------------- non-ACGT reference

/// lofreq3 `bugs/bug18-ignore-nonACGT-in-ref`: a reference `ACGTRYSWN-`
/// (IUPAC codes, N and a dash) under one read of ten Ts. The fixture's
/// expectation is only that nothing breaks on such bases: ctdna counts the
/// read's base at every position (depth 1), and since no non-ACGT reference
/// base can match a read base, their REF rows count 0.
#[test]
fn non_acgt_reference_bases_do_not_break_counting() {
    let case = case_from_sam(
        "lofreq3/bug18.alignments.sam",
        "lofreq3/bug18.ref.fa",
        HeaderFix::default(),
    );
    let rows = run_count(&case, "ref\t0\t10\n", &["--min-dist-end", "0"]);
    let ours = sites(&rows);
    assert_eq!(ours.len(), 10);
    for (i, b) in "ACGTRYSWN-".bytes().enumerate() {
        let s = at(&ours, "ref", i as u64 + 1);
        assert_eq!(
            s.ref_base.as_bytes(),
            [b],
            "REF column keeps the FASTA base"
        );
        assert_eq!((s.depth, s.fwd), (1, [0, 0, 0, 1]), "ref:{}", i + 1);
        let ref_row = rows
            .iter()
            .find(|r| r.pos == i as u64 + 1 && r.kind == "REF")
            .unwrap();
        assert_eq!(ref_row.count, u32::from(b == b'T'));
    }
}

// ---------------------------------------------------------------- GIAB

fn giab(rel: &str) -> String {
    format!("nucleus-giab-chr20/{rel}")
}

const GIAB_FASTA: &str = "ucsc.hg19.chr20.unittest.fasta.gz";

/// The nucleus GIAB slice: NA12878 reads over chr20:9,999,912-10,001,997 and
/// the GIAB truth VCF. With ctdna's default filters (merged mates, MAPQ 20,
/// BQ 20, 3 bp from read ends) every truth variant under the reads is seen:
/// het SNVs at about half the molecules (observed 0.30-0.55), hom SNVs in
/// (nearly) all, and the hom insertion `10001436 A>AAGGCT` in the
/// left-aligned form ctdna reports (reads ending in or soft-clipping the
/// 5 bp insertion do not show it, so its fraction is lower).
#[test]
fn giab_truth_variants_seen_at_their_observed_vaf() {
    let dir = tempfile::tempdir().unwrap();
    let reference = copy_in(&fixture(&giab(GIAB_FASTA)), dir.path());
    let bam = copy_in(&fixture(&giab("NA12878_small.bam")), dir.path());
    let truth = read_vcf(&fixture(&giab("test_nist.b37_chr20_100kbp_at_10mb.vcf.gz")));
    let window = fetch_ref(&reference, "chr20", 9_990_000, 10_020_000);
    let base = |p: u64| window[p as usize - 1 - 9_990_000];
    // Truth records under the reads (the BAM covers ~2 kb of the 100 kb truth).
    let under: Vec<&VcfRecord> = truth
        .iter()
        .filter(|r| (9_999_912..10_002_000).contains(&r.pos))
        .collect();
    assert_eq!(under.len(), 14);
    let bed: String = under
        .iter()
        .map(|r| {
            format!(
                "chr20\t{}\t{}\n",
                r.pos - 1,
                r.pos - 1 + r.ref_allele.len() as u64
            )
        })
        .collect();
    let rows = run_count_on(&bam, &reference, dir.path(), &bed, &[]);
    let mut seen = Vec::new();
    for rec in under {
        let het = rec.is_het();
        let (pos, r, a) = normalise(rec.pos, &rec.ref_allele, &rec.alts[0], &base);
        let row = rows
            .iter()
            .find(|x| x.pos == pos && x.ref_allele == r && x.alt == a)
            .unwrap_or_else(|| panic!("truth {pos} {r}>{a} not seen"));
        let vaf = f64::from(row.count) / f64::from(row.depth);
        assert!(row.depth >= 20, "{pos}: depth {}", row.depth);
        match (het, r.len() == a.len()) {
            (true, _) => assert!((0.25..=0.6).contains(&vaf), "het {pos} {r}>{a}: VAF {vaf}"),
            (false, true) => assert!(vaf >= 0.95, "hom SNV {pos}: VAF {vaf}"),
            (false, false) => assert!(vaf >= 0.6, "hom indel {pos}: VAF {vaf}"),
        }
        seen.push((pos, het, r.len() == a.len()));
    }
    let hets = seen.iter().filter(|s| s.1).count();
    let hom_snvs = seen.iter().filter(|s| !s.1 && s.2).count();
    assert_eq!((hets, hom_snvs, seen.len()), (5, 8, 14));
    let ins = rows
        .iter()
        .find(|x| x.kind == "INS" && x.pos == 10_001_436)
        .unwrap();
    assert_eq!((ins.ref_allele.as_str(), ins.alt.as_str()), ("A", "AAGGCT"));
}

// ---------------------------------------------------------------- live samtools

/// `samtools --version` works.
fn samtools_available() -> bool {
    std::process::Command::new("samtools")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Run `samtools mpileup -B -x -Q min_bq -q 0` (no BAQ, no overlap
/// detection, default flag filters and anomalous-pair skipping) on `bam`.
fn live_mpileup(
    bam: &std::path::Path,
    reference: &std::path::Path,
    region: &str,
    min_bq: u8,
) -> String {
    let out = std::process::Command::new("samtools")
        .args([
            "mpileup",
            "-B",
            "-x",
            "-q",
            "0",
            "-Q",
            &min_bq.to_string(),
            "-r",
            region,
            "-f",
        ])
        .arg(reference)
        .arg(bam)
        .output()
        .expect("run samtools");
    assert!(
        out.status.success(),
        "samtools mpileup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// When samtools is on PATH: live `samtools mpileup` against
/// `ctdna count --overlap independent` with matching filters, on the
/// overlapping pair of `overlap50`, bcftools' `indel-AD.1` (pairs, indels,
/// duplicates, low base qualities) and the GIAB NA12878 slice. Per position:
/// forward/reverse A/C/G/T, depth (ctdna's vs samtools' A/C/G/T bases), and
/// indels after left-alignment.
#[test]
fn live_samtools_mpileup_agrees_with_independent_counts() {
    if !samtools_available() {
        eprintln!(
            "SKIPPED live_samtools_mpileup_agrees_with_independent_counts: samtools is not on PATH"
        );
        return;
    }
    // (sam or bam, fasta, region, BED, min BQ)
    let overlap = case_from_sam(
        &st("overlap50.sam"),
        &st("mpileup.ref.fa"),
        HeaderFix::default(),
    );
    let indel = case_from_sam(
        &bc("indel-AD.1.sam"),
        &bc("indel-AD.1.fa"),
        HeaderFix::default(),
    );
    let giab_dir = tempfile::tempdir().unwrap();
    let giab_ref = copy_in(&fixture(&giab(GIAB_FASTA)), giab_dir.path());
    let giab_bam = copy_in(&fixture(&giab("NA12878_small.bam")), giab_dir.path());
    // The bundled simulated test data (issue: ctdna's counts with overlap
    // handling off agree with samtools on test-data/).
    let td_dir = tempfile::tempdir().unwrap();
    let td = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-data");
    let (td_bam, td_ref) = (td.join("sample.bam"), td.join("ref.fa"));
    let runs: [(
        &std::path::Path,
        &std::path::Path,
        &std::path::Path,
        &str,
        &str,
    ); 4] = [
        (
            &overlap.bam,
            &overlap.reference,
            overlap.dir.path(),
            "17:1-4200",
            "17\t0\t4200\n",
        ),
        (
            &indel.bam,
            &indel.reference,
            indel.dir.path(),
            "000000F:1-686",
            "000000F\t0\t686\n",
        ),
        (
            &giab_bam,
            &giab_ref,
            giab_dir.path(),
            "chr20:9999900-10002100",
            "chr20\t9999899\t10002100\n",
        ),
        (
            &td_bam,
            &td_ref,
            td_dir.path(),
            "chr2:4850-5100",
            "chr2\t4849\t5100\n",
        ),
    ];
    for (bam, reference, dir, region, bed) in runs {
        for min_bq in [0u8, 13, 20] {
            let label = format!("{region} -Q {min_bq}");
            let exp = parse_mpileup(&live_mpileup(bam, reference, region, min_bq));
            assert!(!exp.is_empty(), "{label}: samtools printed nothing");
            let ours = sites(&run_count_on(
                bam,
                reference,
                dir,
                bed,
                &with(&samtools_opts(min_bq), &[], &[]),
            ));
            let n = assert_bases_match(&label, &ours, &exp);
            assert!(n > 50, "{label}: only {n} positions compared");
            if min_bq > 0 {
                // Indel qualities differ by design: samtools filters an indel
                // by its anchor base's quality; ctdna by the weaker base
                // flanking a deletion, the mean quality of inserted bases.
                continue;
            }
            let (chrom, start) = region.split_once(':').unwrap();
            let start: usize = start.split('-').next().unwrap().parse().unwrap();
            let window = fetch_ref(
                reference,
                chrom,
                start - 1,
                start - 1 + 4200.min(bed_len(bed)),
            );
            let base = |_: &str, p: u64| window.get(p as usize - start).copied().unwrap_or(b'N');
            let aligned = left_align_events(&exp, &base);
            for (key, e) in &aligned {
                let o = at(&ours, &key.0, key.1);
                assert_eq!(
                    (&o.ins, &o.del),
                    (&e.ins, &e.del),
                    "{label} {}:{} indels",
                    key.0,
                    key.1
                );
            }
        }
    }
}

fn bed_len(bed: &str) -> usize {
    let f: Vec<&str> = bed.trim().split('\t').collect();
    f[2].parse::<usize>().unwrap() - f[1].parse::<usize>().unwrap()
}
