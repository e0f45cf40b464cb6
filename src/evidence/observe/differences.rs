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
    /// Aligned A/C/G/T bases that differ from a reference A/C/G/T, at any
    /// quality: with fewer than two, the walk has no MNV to look for
    /// (`walk::walk_read`).
    pub substitutions: u32,
}

/// A reference window as 4-bit BAM base codes (A 1, C 2, G 4, T 8; 0 for
/// anything else), made once per batch so reads compare code with code.
#[derive(Debug, Clone, Default)]
pub struct RefCodes {
    start: i64,
    codes: Vec<u8>,
}

/// 4-bit BAM code of an upper-case reference base (0: not A/C/G/T).
pub(super) const BAM_CODE: [u8; 256] = {
    let mut c = [0u8; 256];
    c[b'A' as usize] = 1;
    c[b'C' as usize] = 2;
    c[b'G' as usize] = 4;
    c[b'T' as usize] = 8;
    c
};

impl RefCodes {
    pub fn of(window: &RefWindow) -> Self {
        RefCodes {
            start: window.start as i64,
            codes: window
                .seq
                .iter()
                .map(|&b| BAM_CODE[usize::from(b)])
                .collect(),
        }
    }
}

/// Compare `rec` base by base with the reference given to this run (as
/// `codes`), not with the BAM's NM tag, which may be missing, stale or
/// computed against another reference. A mismatch counts when the read's
/// base is at least `min_bq` (a low-quality base is a sequencing error,
/// not a sign of a misplaced read) and both bases are A/C/G/T; positions
/// outside the window are not compared.
pub fn differences(rec: &Record, codes: &RefCodes, min_bq: u8) -> Differences {
    let seq = rec.seq();
    let read = ReadBases {
        enc: seq.encoded,
        quals: rec.qual(),
        len: seq.len(),
    };
    // QUAL `*` (0xff): no qualities, every base counts.
    let floor = if read.quals.first() == Some(&0xff) {
        0
    } else {
        min_bq
    };
    let mut d = Differences::default();
    let (mut rpos, mut q) = (rec.pos(), 0usize);
    for &c in rec.raw_cigar() {
        let len = (c >> 4) as usize;
        match c & 0xf {
            MATCH | EQUAL | DIFF => {
                d.aligned += len as u32;
                let [n, s] = read.mismatches(codes, (rpos, q, len), floor);
                d.events += n;
                d.substitutions += s;
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

/// One base against the reference: a substitution when the read's base (a
/// 4-bit code) is A/C/G/T (one bit set), the reference's is too, and they
/// differ; a mismatch when its base quality is also at least `floor`.
#[inline(always)]
fn mismatch(base: u8, reference: u8, bq: u8, floor: u8) -> [u32; 2] {
    let one_base = base != 0 && base & base.wrapping_sub(1) == 0;
    let sub = (base != reference) & (reference != 0) & one_base;
    [u32::from(sub & (bq >= floor)), u32::from(sub)]
}

/// A read's packed bases and qualities.
struct ReadBases<'a> {
    enc: &'a [u8],
    quals: &'a [u8],
    len: usize,
}

impl ReadBases<'_> {
    /// Mismatches of one aligned block of `len` bases at reference `rpos`,
    /// query `q`, over its part inside the window and the sequence: a read
    /// base of A/C/G/T (a code with one bit set) at quality >= `floor`
    /// against a reference A/C/G/T of another code; and substitutions (at
    /// any quality; see [`mismatch`]).
    #[inline]
    fn mismatches(
        &self,
        codes: &RefCodes,
        (rpos, q, len): (i64, usize, usize),
        floor: u8,
    ) -> [u32; 2] {
        let end = codes.start + codes.codes.len() as i64;
        let lo = rpos.max(codes.start);
        let hi = (rpos + len as i64)
            .min(end)
            .min(rpos + self.len.saturating_sub(q) as i64);
        if lo >= hi {
            return [0; 2];
        }
        let reference = &codes.codes[(lo - codes.start) as usize..(hi - codes.start) as usize];
        let q0 = q + (lo - rpos) as usize;
        let Some(quals) = self.quals.get(q0..q0 + reference.len()) else {
            return [0; 2];
        };
        // Two bases per byte: an odd first base alone, then whole bytes.
        let (mut n, mut s) = (0u32, 0u32);
        let mut add = |[a, b]: [u32; 2]| {
            n += a;
            s += b;
        };
        let (mut reference, mut quals, mut qi) = (reference, quals, q0);
        if qi & 1 == 1 {
            add(mismatch(
                self.enc[qi >> 1] & 0xf,
                reference[0],
                quals[0],
                floor,
            ));
            (reference, quals, qi) = (&reference[1..], &quals[1..], qi + 1);
        }
        let bytes = &self.enc[qi >> 1..];
        let pairs = reference
            .chunks_exact(2)
            .zip(quals.chunks_exact(2))
            .zip(bytes);
        for ((r, bq), &b) in pairs {
            add(mismatch(b >> 4, r[0], bq[0], floor));
            add(mismatch(b & 0xf, r[1], bq[1], floor));
        }
        if reference.len() % 2 == 1 {
            let last = reference.len() - 1;
            add(mismatch(
                bytes[last / 2] >> 4,
                reference[last],
                quals[last],
                floor,
            ));
        }
        [n, s]
    }
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
            let d = differences(&r, &RefCodes::of(&w), 20);
            assert_eq!(
                d,
                Differences {
                    aligned: 13,
                    events: 4,
                    substitutions: 2
                },
                "NM {nm:?}"
            );
        }
        // A mismatch below the base-quality floor is a sequencing error.
        let mut quals = [30; 16];
        quals[3] = 5;
        let r = read(100, cigar, seq, &quals, None);
        let d = differences(&r, &RefCodes::of(&w), 20);
        assert_eq!(d.events, 3);
        // It is still a substitution (an MNV may hold it).
        assert_eq!(d.substitutions, 2);
    }

    #[test]
    fn bases_outside_the_window_and_n_are_not_compared() {
        let w = window("ACGTACGTAC", 100);
        // Starts 2 before the window: those two bases are not compared.
        let r = read(98, vec![Cigar::Match(6)], b"GGAGNA", &[30; 6], None);
        // Window ACGT vs read AGNA: C>G mismatch counts, N does not, T>A counts.
        assert_eq!(
            differences(&r, &RefCodes::of(&w), 20),
            Differences {
                aligned: 6,
                events: 2,
                substitutions: 2
            }
        );
        // Odd and even offsets into the packed bases, odd block lengths:
        // a 7-base read from each start, against the window base by base.
        let bases = b"GTCAGTCAGTCAGTCAGT";
        for start in 96..104i64 {
            let seq = &bases[(start - 96) as usize..(start - 89) as usize];
            let r = read(start, vec![Cigar::Match(7)], seq, &[30; 7], None);
            let expect = (0..7)
                .filter(|&i| {
                    let p = start + i as i64;
                    (100..110).contains(&p) && w.base(p) != seq[i]
                })
                .count() as u32;
            assert_eq!(
                differences(&r, &RefCodes::of(&w), 20).events,
                expect,
                "start {start}"
            );
        }
        // A read longer than its window part, starting at an odd offset of
        // its own sequence (soft clip of 3).
        let r = read(
            100,
            vec![Cigar::SoftClip(3), Cigar::Match(5)],
            b"GGGACGTT",
            &[30; 8],
            None,
        );
        assert_eq!(differences(&r, &RefCodes::of(&w), 20).events, 1);
    }
}
