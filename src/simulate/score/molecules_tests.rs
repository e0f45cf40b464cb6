//! Tests of the molecule-level scorer on hand-made truth, calls and counts.

use super::*;

use crate::simulate::score::test_vcf::HEADER;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const TRUTH: &str = "chr1\t100\ts1\tA\tG\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=5\n\
chr1\t200\ts2\tC\tT\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=2\n\
chr1\t300\ts3\tCAA\tC\t.\tPASS\tVAF=0.01;SOMATIC;MOLALT=3\n\
chr1\t400\ts4\tG\tA\t.\tPASS\tVAF=0.05;SOMATIC;MOLALT=0\n\
chr1\t500\tg1\tT\tC\t.\tPASS\tVAF=0.5;MOLALT=400\n";

/// A `ctdna count` table in UMI mode (17 columns), with a second sample
/// whose rows must be ignored, and the deletion written with an extra
/// shared base (matched after normalisation).
const COUNTS: &str = "sample\tchrom\tpos\tref\talt\ttype\tdepth\tcount\tfwd\trev\tf1r2\tf2r1\tmean_bq\tmean_mq\tmean_dist\tdel_span\ttier\n\
t\tchr1\t100\tA\t.\tREF\t900\t896\t0\t0\t0\t0\t0\t0\t0\t0\tsingle\n\
t\tchr1\t100\tA\tG\tSNV\t900\t4\t0\t0\t0\t0\t0\t0\t0\t0\tsingle\n\
t\tchr1\t100\tA\tT\tSNV\t900\t1\t0\t0\t0\t0\t0\t0\t0\t0\tsingle\n\
t\tchr1\t200\tC\tT\tSNV\t900\t1\t0\t0\t0\t0\t0\t0\t0\t0\tsingle\n\
t\tchr1\t300\tCAAG\tCG\tDEL\t900\t3\t0\t0\t0\t0\t0\t0\t0\t0\tsingle\n\
other\tchr1\t100\tA\tG\tSNV\t900\t99\t0\t0\t0\t0\t0\t0\t0\t0\tsingle\n";

#[test]
fn bins_limits_alt_fraction_and_fp_per_100kb() {
    let d = tempfile::tempdir().unwrap();
    let truth = write(d.path(), "truth.vcf", &format!("{HEADER}{TRUTH}"));
    // s1 and s3 PASS, s2 not written, germline PASS (not an FP), one FP
    // inside the targets and one outside.
    let calls = write(
        d.path(),
        "calls.vcf",
        &format!(
            "{HEADER}chr1\t100\t.\tA\tG\t50\tPASS\t.\n\
             chr1\t300\t.\tCAA\tC\t50\tPASS\t.\n\
             chr1\t500\t.\tT\tC\t50\tPASS\t.\n\
             chr1\t600\t.\tA\tT\t50\tPASS\t.\n\
             chr1\t900\t.\tA\tT\t50\tPASS\t.\n"
        ),
    );
    let counts = write(d.path(), "counts.tsv", COUNTS);
    let bed = write(d.path(), "t.bed", "chr1\t50\t700\n");
    let s = score_molecules(&calls, &truth, Some(&counts), Some(&bed)).unwrap();
    let row = |t: VarType, vaf: f64| s.rows.iter().find(|r| r.var_type == t && r.vaf == vaf);
    let snv = row(VarType::Snv, 0.01).unwrap();
    assert_eq!((snv.truth, snv.tp), (2, 1));
    assert_eq!((snv.limit_k2, snv.limit_k3), (1.0, 0.5));
    // 4 + 1 counted of 5 + 2 simulated: the other sample's 99 and the
    // non-truth A>T are not counted.
    assert_eq!((snv.alt_counted, snv.alt_simulated), (Some(5), 7));
    assert!((snv.alt_fraction - 5.0 / 7.0).abs() < 1e-12);
    let indel = row(VarType::Indel, 0.01).unwrap();
    assert_eq!(
        (indel.tp, indel.alt_counted, indel.alt_simulated),
        (1, Some(3), 3)
    );
    assert_eq!((indel.limit_k3, indel.alt_fraction), (1.0, 1.0));
    let none = row(VarType::Snv, 0.05).unwrap();
    assert_eq!(
        (none.tp, none.limit_k2, none.alt_counted),
        (0, 0.0, Some(0))
    );
    assert!(none.alt_fraction.is_nan(), "no alt molecule simulated");
    assert_eq!(s.rows.len(), 3, "germline truth is not a somatic bin");
    assert_eq!((s.fp, s.target_bp), (1, 650));
    assert!((s.fp_per_100kb - 1e5 / 650.0).abs() < 1e-9);
    assert_eq!(s.pooled(VarType::Snv, 0.0), (1, 3, 5, 7));
    let table = s.to_string();
    assert!(
        table.contains("reach") && table.contains("chr1:600 A>T"),
        "{table}"
    );

    // Without a count table the fraction is unknown, the rest unchanged.
    let s2 = score_molecules(&calls, &truth, None, Some(&bed)).unwrap();
    assert!(s2
        .rows
        .iter()
        .all(|r| r.alt_counted.is_none() && r.alt_fraction.is_nan()));
    assert_eq!(s2.rows[0].tp, s.rows[0].tp);
}

#[test]
fn normals_count_every_pass_call_but_germline_ones() {
    let d = tempfile::tempdir().unwrap();
    let truth = write(d.path(), "truth.vcf", &format!("{HEADER}{TRUTH}"));
    // Germline PASS (fine), a somatic truth allele PASS (a normal has none:
    // an FP), an FP, and a filtered record (not PASS).
    let calls = write(
        d.path(),
        "normal.vcf",
        &format!(
            "{HEADER}chr1\t100\t.\tA\tG\t50\tPASS\t.\n\
             chr1\t500\t.\tT\tC\t50\tPASS\t.\n\
             chr1\t600\t.\tA\tT\t50\tPASS\t.\n\
             chr1\t700\t.\tA\tC\t5\tLowAltCount\t.\n"
        ),
    );
    assert_eq!(non_germline_pass(&calls, &truth).unwrap(), 2);
}

#[test]
fn count_tables_need_their_columns() {
    let d = tempfile::tempdir().unwrap();
    let bad = write(d.path(), "bad.tsv", "chrom\tpos\n");
    let e = read_count_alts(&bad).unwrap_err().to_string();
    assert!(e.contains("no `sample` column"), "{e}");
}
