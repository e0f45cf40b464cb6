//! How far a read is from the reference it is counted against: the events
//! the mismatch filter judges (docs/filters.md, "Read filters").

use super::cigar::{DEL, DIFF, EQUAL, INS, MATCH, REF_SKIP, SOFT_CLIP};
use crate::reference::RefWindow;
use rust_htslib::bam::Record;

/// A read's aligned bases and its differences from the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Differences {
    /// Aligned (M/=/X) bases.
    pub aligned: u32,
    /// Mismatched aligned bases at base quality >= the floor, plus one
    /// event per insertion or deletion (a true 10 bp deletion is one
    /// difference, not ten).
    pub events: u32,
}

/// Compare `rec` base by base with `window`, the reference given to this
/// run (not the BAM's NM tag, which may be missing, stale or computed
/// against another reference). A mismatch counts when the read's base is
/// at least `min_bq` (a low-quality base is a sequencing error, not a sign
/// of a misplaced read) and both bases are A/C/G/T; positions outside the
/// window are not compared.
pub fn differences(rec: &Record, window: &RefWindow, min_bq: u8) -> Differences {
    let seq = rec.seq();
    let quals = rec.qual();
    let mut d = Differences::default();
    let (mut rpos, mut q) = (rec.pos(), 0usize);
    for &c in rec.raw_cigar() {
        let len = (c >> 4) as usize;
        match c & 0xf {
            MATCH | EQUAL | DIFF => {
                d.aligned += len as u32;
                for i in 0..len.min(seq.len().saturating_sub(q)) {
                    let ref_base = window.base(rpos + i as i64);
                    let base = seq[q + i];
                    // QUAL `*` (0xff): no qualities, every base counts.
                    let good = quals.get(q + i).is_some_and(|&b| b == 0xff || b >= min_bq);
                    d.events +=
                        u32::from(good && is_acgt(base) && is_acgt(ref_base) && base != ref_base);
                }
                rpos += len as i64;
                q += len;
            }
            INS => {
                d.events += 1;
                q += len;
            }
            DEL => {
                d.events += 1;
                rpos += len as i64;
            }
            REF_SKIP => rpos += len as i64,
            SOFT_CLIP => q += len,
            _ => {}
        }
    }
    d
}

#[inline]
fn is_acgt(b: u8) -> bool {
    matches!(b, b'A' | b'C' | b'G' | b'T')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::window;
    use rust_htslib::bam::record::{Cigar, CigarString};

    fn read(pos: i64, cigar: Vec<Cigar>, seq: &[u8], quals: &[u8], nm: Option<u8>) -> Record {
        let mut rec = Record::new();
        rec.set(b"r", Some(&CigarString(cigar)), seq, quals);
        rec.set_pos(pos);
        if let Some(nm) = nm {
            rec.push_aux(b"NM", rust_htslib::bam::record::Aux::U8(nm))
                .unwrap();
        }
        rec
    }

    #[test]
    fn counts_against_the_given_reference_not_the_nm_tag() {
        let w = window("ACGTACGTACGTACGTACGT", 100);
        // Two mismatches (at Q30), one deletion, one insertion; a stale NM
        // of 0 and a missing one give the same answer.
        let cigar = vec![
            Cigar::SoftClip(2),
            Cigar::Match(6),
            Cigar::Del(2),
            Cigar::Match(4),
            Cigar::Ins(1),
            Cigar::Match(3),
        ];
        //            clip  ACGTAC -> AGGTAA   (2 mismatches)
        //                  [del GT] ACGT      insertion T  ACG
        let seq = b"TTAGGTAAACGTTACG";
        for nm in [Some(0), None, Some(9)] {
            let r = read(100, cigar.clone(), seq, &[30; 16], nm);
            let d = differences(&r, &w, 20);
            assert_eq!(
                d,
                Differences {
                    aligned: 13,
                    events: 4
                },
                "NM {nm:?}"
            );
        }
        // A mismatch below the base-quality floor is a sequencing error.
        let mut quals = [30; 16];
        quals[3] = 5;
        let r = read(100, cigar, seq, &quals, None);
        assert_eq!(differences(&r, &w, 20).events, 3);
    }

    #[test]
    fn bases_outside_the_window_and_n_are_not_compared() {
        let w = window("ACGTACGTAC", 100);
        // Starts 2 before the window: those two bases are not compared.
        let r = read(98, vec![Cigar::Match(6)], b"GGAGNA", &[30; 6], None);
        // Window ACGT vs read AGNA: C>G mismatch counts, N does not, T>A counts.
        assert_eq!(
            differences(&r, &w, 20),
            Differences {
                aligned: 6,
                events: 2
            }
        );
    }
}
