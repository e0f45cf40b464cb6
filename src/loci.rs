//! Known loci (`call --known` hotspots, `mrd --tumor-variants`): VCF records
//! → checked REF/ALT pairs → normalised alleles (trimmed, indels
//! left-aligned with [`RefWindow::left_align_deletion`] /
//! [`RefWindow::left_align_insertion`], as the evidence engine counts them)
//! → the targets their anchors need counted.
//!
//! Positions are 0-based (`pos0`); VCF's 1-based POS is converted on reading.

use crate::reference::{RefWindow, Reference};
use crate::regions::Target;
use crate::{Error, Result};
use rust_htslib::faidx;
use std::path::Path;

/// A known locus (hotspot, tumor-informed site): one REF/ALT pair from a VCF.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct KnownLocus {
    pub rid: usize,
    /// 0-based position of the first REF base.
    pub pos0: u64,
    pub ref_allele: Vec<u8>,
    pub alt_allele: Vec<u8>,
}

impl KnownLocus {
    /// Contig name, 1-based position, REF and ALT joined by the three
    /// separators: `[":", " ", ">"]` gives `chr1:100 A>G` (messages),
    /// `["\t", "\t", "\t"]` a table's first columns.
    pub fn joined(&self, reference: &Reference, sep: [&str; 3]) -> String {
        format!(
            "{}{}{}{}{}{}{}",
            reference.contigs[self.rid].name,
            sep[0],
            self.pos0 + 1,
            sep[1],
            String::from_utf8_lossy(&self.ref_allele),
            sep[2],
            String::from_utf8_lossy(&self.alt_allele)
        )
    }
}

/// One data line of a known-loci VCF, checked: its loci (one per ALT, in
/// ALT order, not yet normalised), its INFO column for readers that need
/// more than the alleles (mrd's weights), and its 1-based line for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownRecord {
    pub line: usize,
    pub loci: Vec<KnownLocus>,
    pub info: Option<String>,
}

/// Read the data lines of a VCF (plain or bgzipped), in file order. Each
/// gives one locus per ALT; contigs not in the reference, malformed POS or
/// REF, a REF past the contig's end or unlike the reference there, ALT
/// equal to REF or missing (`.`) and symbolic ALTs are errors naming the
/// line. `option` (`--known`, `--tumor-variants`) is the command-line
/// option that named the file, for messages.
pub fn read_records(path: &Path, reference: &Reference, option: &str) -> Result<Vec<KnownRecord>> {
    let reader = crate::bgzf_in::open(path).map_err(|e| {
        Error::bad_input(
            path,
            format!("cannot open ({e})"),
            format!("give a VCF or bgzipped VCF with {option}"),
        )
    })?;
    let mut out = Vec::new();
    crate::text::for_each_line(path, std::io::BufReader::new(reader), |line, text| {
        if !(text.starts_with('#') || text.trim().is_empty()) {
            out.push(parse_record(path, line, text, reference)?);
        }
        Ok(())
    })?;
    check_ref_bases(path, &out, reference, option)?;
    Ok(out)
}

/// Every record's REF against the reference, so that a file made for
/// another build is refused naming its line (normalisation checks again).
fn check_ref_bases(
    path: &Path,
    records: &[KnownRecord],
    reference: &Reference,
    option: &str,
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let fasta = reference.reader()?;
    for rec in records {
        let Some(k) = rec.loci.first() else { continue };
        let contig = &reference.contigs[k.rid];
        let end = k.pos0 + k.ref_allele.len() as u64;
        let here = RefWindow::fetch(&fasta, contig, k.pos0, end)?.seq;
        if here != k.ref_allele {
            return Err(Error::BadLine {
                path: path.to_path_buf(),
                line: rec.line,
                msg: format!(
                    "REF {} at {}:{} does not match the reference {} there ({}): are the {option} variants from another genome build? Give variants called against this reference",
                    String::from_utf8_lossy(&k.ref_allele),
                    contig.name,
                    k.pos0 + 1,
                    reference.path.display(),
                    String::from_utf8_lossy(&here)
                ),
            });
        }
    }
    Ok(())
}

/// One VCF data line (`line` is its 1-based number) → its checked loci.
fn parse_record(
    path: &Path,
    line: usize,
    text: &str,
    reference: &Reference,
) -> Result<KnownRecord> {
    let bad = |msg: String| Error::BadLine {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let f: Vec<&str> = text.split('\t').collect();
    if f.len() < 5 {
        return Err(bad(
            "a VCF record needs at least CHROM POS ID REF ALT".into()
        ));
    }
    let rid = reference
        .contig_index(f[0])
        .ok_or_else(|| bad(format!("contig '{}' is not in the reference", f[0])))?;
    let pos: u64 = f[1]
        .parse()
        .ok()
        .filter(|&p| p >= 1)
        .ok_or_else(|| bad(format!("POS '{}' is not a 1-based position", f[1])))?;
    let ref_allele = f[3].to_ascii_uppercase().into_bytes();
    if ref_allele.is_empty() || !ref_allele.iter().all(|b| b"ACGTN".contains(b)) {
        return Err(bad(format!("REF '{}' is not a base sequence", f[3])));
    }
    if pos - 1 + ref_allele.len() as u64 > reference.contigs[rid].len {
        return Err(bad(format!(
            "{}:{} is past the end of the contig",
            f[0], pos
        )));
    }
    let mut loci = Vec::new();
    for alt_text in f[4].split(',') {
        let alt = alt_text.to_ascii_uppercase().into_bytes();
        if alt == b"." {
            return Err(bad(
                "ALT is '.' (no alternate allele): not a variant to look for; remove the record"
                    .into(),
            ));
        }
        if alt == ref_allele {
            return Err(bad(format!(
                "ALT '{alt_text}' equals REF '{}': not a variant to look for; remove the record or fix its ALT",
                f[3]
            )));
        }
        if alt.is_empty() || !alt.iter().all(|b| b"ACGT".contains(b)) {
            return Err(bad(format!(
                "ALT '{}' is not a base sequence (symbolic and '*' alleles are not supported)",
                String::from_utf8_lossy(&alt)
            )));
        }
        loci.push(KnownLocus {
            rid,
            pos0: pos - 1,
            ref_allele: ref_allele.clone(),
            alt_allele: alt,
        });
    }
    Ok(KnownRecord {
        line,
        loci,
        info: f.get(7).map(|s| s.to_string()),
    })
}

/// Read known loci from a VCF (plain or bgzipped; see [`read_records`]),
/// sorted and without repeats. Multi-allelic records give one locus per ALT.
pub fn read_known(path: &Path, reference: &Reference) -> Result<Vec<KnownLocus>> {
    let mut out: Vec<KnownLocus> = read_records(path, reference, "--known")?
        .into_iter()
        .flat_map(|r| r.loci)
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Trim the bases a REF/ALT pair shares: the common suffix, then the
/// common prefix, keeping at least one base in each. Returns how many
/// leading bases were removed (the position moves right by as many).
pub fn trim_alleles(r: &mut Vec<u8>, a: &mut Vec<u8>) -> usize {
    while r.len() > 1 && a.len() > 1 && r.last() == a.last() {
        r.pop();
        a.pop();
    }
    let lead = r
        .iter()
        .zip(a.iter())
        .take_while(|(x, y)| x == y)
        .count()
        .min(r.len() - 1)
        .min(a.len() - 1);
    r.drain(..lead);
    a.drain(..lead);
    lead
}

/// Reference bases fetched on each side of a known locus to left-align it
/// in: an indel in a longer repeat stops at the window's start.
const NORMALIZE_PAD: u64 = 300;

/// Normalises known loci one at a time against one open reference reader.
pub struct Normalizer<'a> {
    reference: &'a Reference,
    fasta: faidx::Reader,
}

impl<'a> Normalizer<'a> {
    /// Open a reader on `reference`.
    pub fn new(reference: &'a Reference) -> Result<Self> {
        Ok(Normalizer {
            reference,
            fasta: reference.reader()?,
        })
    }

    /// Normalise `k` like the evidence engine does (trim shared bases,
    /// left-align indels) so that it meets the counted alleles at one
    /// anchor. REF must match the reference (an error otherwise). Complex
    /// alleles other than a delins are not supported yet: `None`, with a
    /// warning.
    pub fn normalize(&self, k: &KnownLocus) -> Result<Option<KnownLocus>> {
        let contig = &self.reference.contigs[k.rid];
        let w = RefWindow::fetch(
            &self.fasta,
            contig,
            k.pos0.saturating_sub(NORMALIZE_PAD),
            k.pos0 + k.ref_allele.len() as u64 + NORMALIZE_PAD,
        )?;
        let here: Vec<u8> = (0..k.ref_allele.len())
            .map(|i| w.base((k.pos0 + i as u64) as i64))
            .collect();
        // Checked against the file's line on reading (`read_records`).
        if here != k.ref_allele {
            return Err(Error::bad_input(
                &self.reference.path,
                format!(
                    "REF {} at {}:{} does not match the reference ({})",
                    String::from_utf8_lossy(&k.ref_allele),
                    contig.name,
                    k.pos0 + 1,
                    String::from_utf8_lossy(&here)
                ),
                "use known loci made for this reference build",
            ));
        }
        let norm = normalize_alleles(&w, k.pos0, &k.ref_allele, &k.alt_allele);
        if norm.is_none() {
            log::warn!(
                "known locus {}:{} {}>{} is a complex allele (REF and ALT of different lengths sharing their first base, more than one base each once trimmed), which ctdna does not test yet; skipped",
                contig.name,
                k.pos0 + 1,
                String::from_utf8_lossy(&k.ref_allele),
                String::from_utf8_lossy(&k.alt_allele)
            );
        }
        Ok(norm.map(|(pos0, ref_allele, alt_allele)| KnownLocus {
            rid: k.rid,
            pos0,
            ref_allele,
            alt_allele,
        }))
    }
}

/// The normalised `(pos0, REF, ALT)` of a REF/ALT pair at `pos0` in `w`:
/// SNVs and MNVs trimmed (an MNV's first and last bases differ from the
/// reference); insertions and deletions trimmed to their anchor base and
/// left-aligned; a delins (lengths differ, first bases differ once
/// trimmed) trimmed, as the engine keys it; `None` for other complex
/// alleles.
fn normalize_alleles(
    w: &RefWindow,
    pos0: u64,
    ref_allele: &[u8],
    alt_allele: &[u8],
) -> Option<(u64, Vec<u8>, Vec<u8>)> {
    let (mut r, mut a) = (ref_allele.to_vec(), alt_allele.to_vec());
    let pos0 = pos0 + trim_alleles(&mut r, &mut a) as u64;
    if r.len() == a.len() {
        Some((pos0, r, a))
    } else if r.len() == 1 && a[0] == r[0] {
        let mut seq = a[1..].to_vec();
        let anchor = w.left_align_insertion(pos0 as i64, &mut seq) as u64;
        let base = w.base(anchor as i64);
        Some((anchor, vec![base], [vec![base], seq].concat()))
    } else if a.len() == 1 && r[0] == a[0] {
        let anchor = w.left_align_deletion(pos0 as i64, r.len() as i64 - 1) as u64;
        let del: Vec<u8> = (0..r.len())
            .map(|i| w.base((anchor + i as u64) as i64))
            .collect();
        Some((anchor, del, vec![w.base(anchor as i64)]))
    } else if r[0] != a[0] {
        Some((pos0, r, a))
    } else {
        None
    }
}

/// Normalise known loci (see [`Normalizer::normalize`]), sorted and without
/// repeats; complex alleles are skipped with a warning.
pub fn normalize_known(known: Vec<KnownLocus>, reference: &Reference) -> Result<Vec<KnownLocus>> {
    let normalizer = Normalizer::new(reference)?;
    let mut out = Vec::with_capacity(known.len());
    for k in &known {
        out.extend(normalizer.normalize(k)?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The span each known locus needs counted: its (normalised) anchor, or
/// every base of an MNV or delins (its molecules must be read across it),
/// widened by `pad` bases on each side (clipped to the contig).
pub fn known_targets(known: &[KnownLocus], reference: &Reference, pad: u64) -> Vec<Target> {
    known
        .iter()
        .map(|k| {
            let replaced = k.ref_allele.len() == k.alt_allele.len()
                || k.ref_allele.first() != k.alt_allele.first();
            let span = if replaced {
                k.ref_allele.len() as u64
            } else {
                1
            };
            let end = k.pos0 + span;
            Target {
                rid: k.rid,
                contig: reference.contigs[k.rid].name.clone(),
                start: k.pos0.saturating_sub(pad),
                end: (end + pad).min(reference.contigs[k.rid].len.max(end)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::write_fasta;

    fn reference(dir: &Path) -> Reference {
        //                      1234567890123456789012345
        let fa = write_fasta(dir, "ref.fa", &[("c1", "GCTAAAAATGCACACAGTTCGATCG")]);
        Reference::open(&fa).unwrap()
    }

    fn vcf(dir: &Path, body: &str) -> std::path::PathBuf {
        let p = dir.join("k.vcf");
        std::fs::write(
            &p,
            format!("##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n{body}"),
        )
        .unwrap();
        p
    }

    fn locus(pos0: u64, r: &str, a: &str) -> KnownLocus {
        KnownLocus {
            rid: 0,
            pos0,
            ref_allele: r.into(),
            alt_allele: a.into(),
        }
    }

    #[test]
    fn records_give_one_locus_per_alt_with_their_line_and_info() {
        let dir = tempfile::tempdir().unwrap();
        let r = reference(dir.path());
        let p = vcf(
            dir.path(),
            "c1\t2\t.\tc\tA,t\t.\tPASS\tCCF=1\nc1\t1\t.\tG\tA\n",
        );
        let recs = read_records(&p, &r, "--known").unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].line, 3);
        assert_eq!(recs[0].loci, vec![locus(1, "C", "A"), locus(1, "C", "T")]);
        assert_eq!(recs[0].info.as_deref(), Some("CCF=1"));
        assert_eq!(recs[1].info, None);
        // read_known: sorted, repeats dropped.
        let p = vcf(
            dir.path(),
            "c1\t2\t.\tC\tT\nc1\t1\t.\tG\tA\nc1\t2\t.\tC\tT\n",
        );
        assert_eq!(
            read_known(&p, &r).unwrap(),
            vec![locus(0, "G", "A"), locus(1, "C", "T")]
        );
    }

    #[test]
    fn bad_records_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let r = reference(dir.path());
        for (body, want) in [
            ("c1\t2\t.\tC\n", "at least CHROM POS ID REF ALT"),
            ("c9\t2\t.\tC\tT\n", "'c9'"),
            ("c1\t0\t.\tC\tT\n", "POS '0'"),
            ("c1\t2\t.\tC?\tT\n", "REF 'C?'"),
            ("c1\t25\t.\tGA\tG\n", "past the end"),
            ("c1\t2\t.\tC\t<DEL>\n", "symbolic"),
            ("c1\t2\t.\tC\tc\n", "ALT 'c' equals REF"),
            ("c1\t4\t.\tAA\tT,AA\n", "ALT 'AA' equals REF"),
            ("c1\t2\t.\tC\t.\n", "ALT is '.'"),
            (
                "c1\t2\t.\tG\tT\n",
                "REF G at c1:2 does not match the reference",
            ),
        ] {
            let e = read_known(&vcf(dir.path(), body), &r)
                .unwrap_err()
                .to_string();
            assert!(e.contains(":3:") && e.contains(want), "{body}: {e}");
        }
    }

    #[test]
    fn a_ref_mismatch_names_the_option_that_gave_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let r = reference(dir.path());
        let p = vcf(dir.path(), "c1\t1\t.\tG\tA\nc1\t3\t.\tA\tC\n");
        let e = read_records(&p, &r, "--tumor-variants").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let m = e.to_string();
        assert!(
            m.contains("k.vcf:4:") && m.contains("--tumor-variants"),
            "{m}"
        );
        assert!(!m.contains("--known"), "{m}");
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_contig() {
        let dir = tempfile::tempdir().unwrap();
        let r = reference(dir.path());
        let p = dir.path().join("bom.vcf");
        std::fs::write(&p, b"\xEF\xBB\xBFc1\t1\t.\tG\tA\n").unwrap();
        assert_eq!(read_known(&p, &r).unwrap(), vec![locus(0, "G", "A")]);
    }

    #[test]
    fn random_bytes_are_bad_input_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let r = reference(dir.path());
        let p = dir.path().join("noise.vcf");
        std::fs::write(&p, b"##fileformat=VCFv4.3\n\x93\xff\x00\x12\xc3(\n").unwrap();
        let e = read_known(&p, &r).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().contains("noise.vcf:2: not text"), "{e}");
    }

    #[test]
    fn trimming_keeps_one_base_and_counts_the_leading_ones() {
        let trim = |r: &str, a: &str| {
            let (mut r, mut a) = (r.as_bytes().to_vec(), a.as_bytes().to_vec());
            let lead = trim_alleles(&mut r, &mut a);
            (
                lead,
                String::from_utf8(r).unwrap(),
                String::from_utf8(a).unwrap(),
            )
        };
        // Suffix first: a deletion keeps its anchor base.
        assert_eq!(trim("CAAT", "CAT"), (0, "CA".into(), "C".into()));
        assert_eq!(trim("GTC", "GAC"), (1, "T".into(), "A".into()));
        assert_eq!(trim("ACGT", "ACGTT"), (2, "G".into(), "GT".into()));
    }

    #[test]
    fn indels_are_left_aligned_and_mnvs_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let r = reference(dir.path());
        let norm = |k: Vec<KnownLocus>| normalize_known(k, &r).unwrap();
        // Deleting the last A of the run (after pos0 6) → anchored on the T
        // before the run (pos0 2).
        assert_eq!(norm(vec![locus(6, "AA", "A")]), vec![locus(2, "TA", "T")]);
        // Inserting CA after the last AC of the repeat → after the G (pos0 9).
        assert_eq!(
            norm(vec![locus(14, "C", "CAC")]),
            vec![locus(9, "G", "GCA")]
        );
        // Padded SNV, an MNV, a padded MNV, a delins, a padded delins, a
        // complex allele (skipped) and a repeat once normalised.
        assert_eq!(
            norm(vec![
                locus(0, "GC", "GA"),
                locus(0, "GC", "AA"),
                locus(0, "GCT", "GAA"),
                locus(0, "GC", "ATT"),
                locus(0, "GCTA", "GG"),
                locus(0, "GCTA", "GCG"),
                locus(1, "C", "A")
            ]),
            vec![
                locus(0, "GC", "AA"),
                locus(0, "GC", "ATT"),
                locus(1, "C", "A"),
                locus(1, "CT", "AA"),
                locus(1, "CTA", "G"),
                locus(2, "TA", "G")
            ]
        );
        let e = normalize_known(vec![locus(0, "A", "C")], &r).unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
    }

    #[test]
    fn targets_are_anchors_padded_and_clipped_to_the_contig() {
        let dir = tempfile::tempdir().unwrap();
        let r = reference(dir.path());
        let k = [locus(2, "T", "A"), locus(24, "G", "C")];
        let span = |t: Vec<Target>| t.iter().map(|t| (t.start, t.end)).collect::<Vec<_>>();
        assert_eq!(span(known_targets(&k, &r, 0)), vec![(2, 3), (24, 25)]);
        assert_eq!(span(known_targets(&k, &r, 5)), vec![(0, 8), (19, 25)]);
    }
}
