//! Tests of the per-type scorer on hand-made truth and calls.

use super::*;
use crate::simulate::score::test_vcf::write;
use crate::simulate::score::{score, VarType};

#[test]
fn types_by_normalised_alleles() {
    assert_eq!(FineType::of(b"A", b"G"), FineType::Snv);
    assert_eq!(FineType::of(b"GT", b"AA"), FineType::Mnv);
    assert_eq!(FineType::of(b"GCA", b"TCG"), FineType::Mnv);
    let ins = |n: usize| format!("A{}", "G".repeat(n));
    let del = ins;
    let t = |r: String, a: String| FineType::of(r.as_bytes(), a.as_bytes());
    assert_eq!(t("A".into(), ins(8)), FineType::Ins);
    assert_eq!(t("A".into(), ins(9)), FineType::LongIns);
    assert_eq!(t(del(9), "A".into()), FineType::Del);
    assert_eq!(t(del(10), "A".into()), FineType::LongDel);
}

#[test]
fn a_split_mnv_is_missed_and_its_snv_calls_are_not_fp() {
    let d = tempfile::tempdir().unwrap();
    let del18 = format!("A{}", "C".repeat(18));
    let ins12 = format!("T{}", "G".repeat(12));
    let truth = write(
        d.path(),
        "truth.vcf",
        &format!(
            "chr1\t100\tm1\tGT\tAA\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=5\n\
             chr1\t200\tm2\tGCA\tTCG\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=4\n\
             chr1\t300\tm3\tCC\tTT\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=2\n\
             chr1\t400\td1\t{del18}\tA\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=6\n\
             chr1\t500\ti1\tT\t{ins12}\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=6\n"
        ),
    );
    // m1 as one record (TP); m2 split into its two SNVs (missed, "split",
    // neither call an FP); m3 not called; the long deletion called 3 bp
    // short (missed, an FP); the duplication exact (TP); an unrelated SNV
    // next to m2 with a base the MNV does not have is an FP.
    let short_del = format!("A{}", "C".repeat(15));
    let calls = write(
        d.path(),
        "calls.vcf",
        &format!(
            "chr1\t100\t.\tGT\tAA\t50\tPASS\t.\n\
             chr1\t200\t.\tG\tT\t50\tPASS\t.\n\
             chr1\t202\t.\tA\tG\t50\tPASS\t.\n\
             chr1\t201\t.\tC\tA\t50\tPASS\t.\n\
             chr1\t400\t.\t{short_del}\tA\t50\tPASS\t.\n\
             chr1\t500\t.\tT\t{ins12}\t50\tPASS\t.\n"
        ),
    );
    let opts = ScoreOptions {
        depth: 1000.0,
        min_alt: 3,
        targets: None,
        unfiltered_is_pass: false,
    };
    let s = score_types(&calls, &truth, &opts).unwrap();
    let row = |t: FineType| s.rows.iter().find(|r| r.fine_type == t).unwrap();
    let mnv = row(FineType::Mnv);
    assert_eq!((mnv.truth, mnv.tp, mnv.split, mnv.filtered), (3, 1, 1, 0));
    assert!((mnv.limit - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(
        (row(FineType::LongDel).tp, row(FineType::LongDel).truth),
        (0, 1)
    );
    assert_eq!(
        (row(FineType::LongIns).tp, row(FineType::LongIns).truth),
        (1, 1)
    );
    assert_eq!(s.split_calls, 2);
    assert_eq!(s.fp, 2, "{:?}", s.fp_sites);
    assert_eq!(s.pooled(FineType::Mnv, 0.01), (1, 3));
    let table = s.to_string();
    assert!(
        table.contains("long del") && table.contains("split"),
        "{table}"
    );
    // The bin table agrees: MNVs are their own type, split calls not FP.
    let b = score(&calls, &truth, &opts).unwrap();
    let m = b.rows.iter().find(|r| r.var_type == VarType::Mnv).unwrap();
    assert_eq!((m.truth, m.tp), (3, 1));
    assert_eq!((b.fp, b.split), (2, 2));
}
