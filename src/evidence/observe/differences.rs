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

/// A reference window as 4-bit BAM base codes ([`bam_code`]), made once
/// per batch so reads compare code with code.
#[derive(Debug, Clone, Default)]
pub struct RefCodes {
    start: i64,
    codes: Vec<u8>,
}

impl RefCodes {
    pub fn of(window: &RefWindow) -> Self {
        RefCodes {
            start: window.start as i64,
            codes: window.seq.iter().map(|&b| bam_code(b)).collect(),
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
    /// any quality; see [`Chunk::count`]).
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
        // The read's codes a byte each, a chunk at a time, then compared
        // with the reference over the whole chunk (codes past the block are
        // 0, never a substitution) in a loop without lookups, branches or
        // a tail: the compiler vectorises it.
        let (mut n, mut s) = (0u32, 0u32);
        let mut chunk = Chunk::default();
        for (c, (reference, quals)) in reference.chunks(CHUNK).zip(quals.chunks(CHUNK)).enumerate()
        {
            let len = reference.len();
            unpack_codes(self.enc, q0 + c * CHUNK, &mut chunk.codes[..len]);
            chunk.codes[len..].fill(0);
            chunk.reference[..len].copy_from_slice(reference);
            chunk.quals[..len].copy_from_slice(quals);
            let [a, b] = chunk.count(floor);
            n += a;
            s += b;
        }
        [n, s]
    }
}

/// Bases compared a chunk at a time (held unpacked on the stack).
pub(super) const CHUNK: usize = 64;

/// The 4-bit codes of `out.len()` bases from query position `q` of the
/// packed sequence `enc`, a byte each.
#[inline]
pub(super) fn unpack_codes(enc: &[u8], q: usize, out: &mut [u8]) {
    let mut k = 0;
    if q & 1 == 1 && !out.is_empty() {
        out[0] = enc[q >> 1] & 0xf;
        k = 1;
    }
    let bytes = &enc[(q + k) >> 1..];
    let pairs = (out.len() - k) / 2;
    for (d, &b) in out[k..k + 2 * pairs].chunks_exact_mut(2).zip(bytes) {
        d[0] = b >> 4;
        d[1] = b & 0xf;
    }
    if k + 2 * pairs < out.len() {
        out[k + 2 * pairs] = bytes[pairs] >> 4;
    }
}

/// A read's base (4-bit code `b`) against the reference's (code `r`): a
/// substitution when both are A/C/G/T (one bit set; 0 is no base) and
/// they differ. No branches: it runs in vectorised loops.
#[inline(always)]
fn is_substitution(b: u8, r: u8) -> bool {
    (b != r) & (r != 0) & is_base(b)
}

/// Is 4-bit code `b` one of A, C, G, T (one bit set)? No branches.
#[inline(always)]
pub(super) fn is_base(b: u8) -> bool {
    (b != 0) & (b & b.wrapping_sub(1) == 0)
}

/// 4-bit BAM code of an upper-case reference base (A 1, C 2, G 4, T 8; 0
/// for anything else), without a lookup (it runs in vectorised loops).
#[inline(always)]
pub(super) fn bam_code(base: u8) -> u8 {
    u8::from(base == b'A')
        | u8::from(base == b'C') << 1
        | u8::from(base == b'G') << 2
        | u8::from(base == b'T') << 3
}

/// The substitutions of up to [`CHUNK`] aligned bases, the read's from
/// query position `q` of its packed sequence `enc` against the upper-case
/// reference bases `reference`: bit `k` set when base `k` is one. The
/// bases are compared as bytes in loops without lookups or branches
/// (vectorised), and the 0/1 bytes gathered eight at a time into bits.
pub(super) fn substitution_bits(enc: &[u8], q: usize, reference: &[u8]) -> u64 {
    let n = reference.len().min(CHUNK);
    let mut codes = [0u8; CHUNK];
    unpack_codes(enc, q, &mut codes[..n]);
    let mut refs = [0u8; CHUNK];
    for (d, &r) in refs.iter_mut().zip(&reference[..n]) {
        *d = bam_code(r);
    }
    let mut subs = [0u8; CHUNK];
    for ((s, &b), &r) in subs.iter_mut().zip(&codes).zip(&refs) {
        *s = u8::from(is_substitution(b, r));
    }
    // Bytes of 0 or 1: the multiply moves byte i's bit to bit 56 + i, with
    // no carries between the partial products.
    let mut bits = 0u64;
    for (i, eight) in subs.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(eight.try_into().expect("8 bytes"));
        bits |= (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    bits
}

/// One chunk of an aligned block: the read's codes, the reference's and
/// the qualities, a byte each.
struct Chunk {
    codes: [u8; CHUNK],
    reference: [u8; CHUNK],
    quals: [u8; CHUNK],
}

impl Default for Chunk {
    fn default() -> Self {
        Chunk {
            codes: [0; CHUNK],
            reference: [0; CHUNK],
            quals: [0; CHUNK],
        }
    }
}

impl Chunk {
    /// Mismatches and substitutions of the chunk. A base is a
    /// substitution when the read's base (a 4-bit code) is A/C/G/T (one bit
    /// set), the reference's is too, and they differ; a mismatch when its
    /// base quality is also at least `floor`. A code of 0 is never one.
    #[inline]
    fn count(&self, floor: u8) -> [u32; 2] {
        // At most CHUNK (< 256) of each: byte sums.
        let (mut n, mut s) = (0u8, 0u8);
        for i in 0..CHUNK {
            let (b, r, q) = (self.codes[i], self.reference[i], self.quals[i]);
            let sub = is_substitution(b, r);
            n += u8::from(sub & (q >= floor));
            s += u8::from(sub);
        }
        [u32::from(n), u32::from(s)]
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

    #[test]
    fn long_blocks_count_as_base_by_base() {
        // Blocks longer than a chunk, at odd and even query offsets, with
        // Ns, low qualities and a reference with an N and a window edge:
        // each count against a base-by-base comparison.
        let mut rng = crate::rng::Rng::new(7);
        let pick =
            |rng: &mut crate::rng::Rng, from: &[u8]| from[rng.below(from.len() as u64) as usize];
        let mut reference: Vec<u8> = (0..400).map(|_| pick(&mut rng, b"ACGT")).collect();
        reference[150] = b'N';
        let w = window(std::str::from_utf8(&reference).unwrap(), 1000);
        for trial in 0..40 {
            let clip = (trial % 3) as u32;
            let len = 60 + rng.below(140) as usize;
            let start = 960 + rng.below(400) as i64;
            let seq: Vec<u8> = (0..len).map(|_| pick(&mut rng, b"ACGTACGTACGTN")).collect();
            let quals: Vec<u8> = (0..len).map(|_| pick(&mut rng, &[2, 12, 25, 37])).collect();
            let mut cigar = vec![Cigar::Match(len as u32 - clip)];
            if clip > 0 {
                cigar.insert(0, Cigar::SoftClip(clip));
            }
            let r = read(start, cigar, &seq, &quals, None);
            let (mut n, mut subs) = (0, 0);
            for (i, (&b, &q)) in seq.iter().zip(&quals).enumerate().skip(clip as usize) {
                let p = start + (i - clip as usize) as i64;
                let in_window = (1000..1400).contains(&p);
                if in_window && b != b'N' && w.base(p) != b'N' && w.base(p) != b {
                    subs += 1;
                    n += u32::from(q >= 20);
                }
            }
            let d = differences(&r, &RefCodes::of(&w), 20);
            assert_eq!((d.events, d.substitutions), (n, subs), "trial {trial}");
        }
    }

    /// The 4-bit codes of the four upper-case bases; 0 for any other byte.
    fn code_of(b: u8) -> u8 {
        match b {
            b'A' => 1,
            b'C' => 2,
            b'G' => 4,
            b'T' => 8,
            _ => 0,
        }
    }

    #[test]
    fn bam_code_is_the_table() {
        for b in 0..=255u8 {
            assert_eq!(bam_code(b), code_of(b), "byte {b}");
        }
    }

    #[test]
    fn substitution_bits_are_the_substituted_bases() {
        // Every pair of read code and reference byte that matters, at odd
        // and even query offsets and chunk lengths up to a full chunk.
        let refs = b"ACGTNacgtACGTACGTTTGCAAGCTAGCTAGGATCCGATCGANNACGTACGTGGCCAATTCGAT";
        let mut rng = crate::rng::Rng::new(3);
        for trial in 0..200 {
            let len = 1 + rng.below(CHUNK as u64) as usize;
            let q = rng.below(7) as usize;
            let codes: Vec<u8> = (0..q + len).map(|_| rng.below(16) as u8).collect();
            let mut enc = vec![0u8; (q + len).div_ceil(2)];
            for (i, &c) in codes.iter().enumerate() {
                enc[i / 2] |= if i % 2 == 0 { c << 4 } else { c };
            }
            let reference = &refs[trial % 3..trial % 3 + len];
            let want = (0..len).fold(0u64, |bits, k| {
                let (b, r) = (codes[q + k], code_of(reference[k]));
                let sub = b.is_power_of_two() && r != 0 && b != r;
                bits | u64::from(sub) << k
            });
            assert_eq!(substitution_bits(&enc, q, reference), want, "trial {trial}");
        }
    }

    #[test]
    fn unpacked_codes_are_the_packed_halves() {
        let enc: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        for q in 0..9 {
            for len in 0..=(2 * enc.len() - q).min(70) {
                let mut out = vec![0xee; len];
                unpack_codes(&enc, q, &mut out);
                let want: Vec<u8> = (q..q + len)
                    .map(|i| (enc[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf)
                    .collect();
                assert_eq!(out, want, "q {q} len {len}");
            }
        }
    }
}
