//! Reads held between being read and being walked: a read waiting for its
//! overlapping mate, and in UMI mode every read of the window until its
//! family is complete. Both rooms grow with depth (the mate room holds
//! depth x (fragment - read length) reads per worker, and all of a pile's
//! first mates at a hotspot), so each read is kept compact.
//!
//! Parked as an htslib record, a 150 bp read took ~1.2 kB: the 128-byte
//! `Record`, a data buffer htslib rounds up to a power of two (512 bytes),
//! and the map's spare capacity for 128-byte values. Parked here it keeps
//! its alignment core and its name, CIGAR and 4-bit bases as BAM stores
//! them, with qualities packed to 2 or 4 bits through a palette of the
//! values the store has seen (binned Illumina qualities have 3-8 values;
//! reads with values beyond 16 keep bytes), and no aux fields: ~200 bytes
//! with its slab entry. Parking and restoring copy bytes and look
//! qualities up in tables; no base is decoded, and the restored record is
//! walked like the original.

use crate::sam::READ1;
use rust_htslib::bam::Record;
use rust_htslib::htslib::bam1_core_t;

/// Index of a parked read in its [`ParkedReads`].
pub type ParkedId = u32;

/// Quality values a palette can hold (4-bit indices).
const PALETTE_MAX: usize = 16;
const UNSEEN: u8 = u8::MAX;

/// One parked read: the core, then `bytes` = name (with its NUL padding),
/// CIGAR (little-endian u32s), 4-bit bases, qualities at `qual_bits` a
/// value.
struct Parked {
    core: bam1_core_t,
    bytes: Box<[u8]>,
    qual_bits: u8,
    /// What the parker knew of the read: fewer than two substitutions
    /// (see `observe::walk_read`).
    few_substitutions: bool,
}

/// The quality values seen so far, in order of first sight: a value's
/// index never changes, so reads packed while the palette was small stay
/// readable after it grows.
struct QualPalette {
    /// Index of each quality value, `UNSEEN` if not in the palette.
    index: [u8; 256],
    values: Vec<u8>,
    /// Packed byte to its qualities, at 2 and at 4 bits a value (rebuilt
    /// when a value is added: at most `PALETTE_MAX` times).
    decode2: Box<[[u8; 4]; 256]>,
    decode4: Box<[[u8; 2]; 256]>,
}

impl Default for QualPalette {
    fn default() -> Self {
        QualPalette {
            index: [UNSEEN; 256],
            values: Vec::with_capacity(PALETTE_MAX),
            decode2: Box::new([[0; 4]; 256]),
            decode4: Box::new([[0; 2]; 256]),
        }
    }
}

impl QualPalette {
    /// Bits a value in use: 2 while the palette has at most 4 values.
    fn width(&self) -> u8 {
        if self.values.len() <= 4 {
            2
        } else {
            4
        }
    }

    /// Append `quals` packed through the palette, low bits first, and
    /// return the bits a value used: 2 or 4, or 8 (bytes copied) when a
    /// value does not fit in a full palette.
    fn pack(&mut self, quals: &[u8], out: &mut Vec<u8>) -> u8 {
        let start = out.len();
        let bits = self.width();
        // An unseen value's index (`UNSEEN`) has bits above any index.
        if self.pack_at(quals, bits, out) < 1 << bits {
            return bits;
        }
        out.truncate(start);
        if !self.add_values(quals) {
            out.extend_from_slice(quals);
            return 8;
        }
        let bits = self.width();
        self.pack_at(quals, bits, out);
        bits
    }

    /// Pack at `bits` (2 or 4); the OR of the indices used.
    fn pack_at(&self, quals: &[u8], bits: u8, out: &mut Vec<u8>) -> u8 {
        let index = &self.index;
        let per_byte = usize::from(8 / bits);
        let start = out.len();
        out.resize(start + quals.len().div_ceil(per_byte), 0);
        let dst = &mut out[start..];
        let mut used = 0u8;
        let whole = quals.len() / per_byte;
        if bits == 2 {
            for (o, c) in dst.iter_mut().zip(quals.chunks_exact(4)) {
                let (a, b) = (index[usize::from(c[0])], index[usize::from(c[1])]);
                let (x, y) = (index[usize::from(c[2])], index[usize::from(c[3])]);
                used |= a | b | x | y;
                *o = a | b << 2 | x << 4 | y << 6;
            }
        } else {
            for (o, c) in dst.iter_mut().zip(quals.chunks_exact(2)) {
                let (a, b) = (index[usize::from(c[0])], index[usize::from(c[1])]);
                used |= a | b;
                *o = a | b << 4;
            }
        }
        for (k, &q) in quals[whole * per_byte..].iter().enumerate() {
            let i = index[usize::from(q)];
            used |= i;
            dst[whole] |= i << (k as u8 * bits);
        }
        used
    }

    /// Add the values of `quals` not seen yet; false if they do not fit.
    fn add_values(&mut self, quals: &[u8]) -> bool {
        let mut fits = true;
        for &q in quals {
            if self.index[usize::from(q)] == UNSEEN {
                if self.values.len() == PALETTE_MAX {
                    fits = false;
                    break;
                }
                self.index[usize::from(q)] = self.values.len() as u8;
                self.values.push(q);
            }
        }
        // The values added before the palette filled are in it now: later
        // reads may use them, so the tables must know them either way.
        let mut table = [0u8; PALETTE_MAX];
        table[..self.values.len()].copy_from_slice(&self.values);
        for (byte, (d2, d4)) in self
            .decode2
            .iter_mut()
            .zip(self.decode4.iter_mut())
            .enumerate()
        {
            for (k, q) in d2.iter_mut().enumerate() {
                *q = table[(byte >> (2 * k)) & 3];
            }
            for (k, q) in d4.iter_mut().enumerate() {
                *q = table[(byte >> (4 * k)) & 15];
            }
        }
        fits
    }

    /// Append `n` qualities unpacked from `packed` (at `bits` a value).
    fn unpack(&self, packed: &[u8], bits: u8, n: usize, out: &mut Vec<u8>) {
        let start = out.len();
        let per_byte = usize::from(8 / bits);
        // Whole packed bytes into a sized buffer (no growth checks per
        // byte), then the values past the last whole one dropped.
        out.resize(start + packed.len() * per_byte, 0);
        let dst = &mut out[start..];
        if bits == 2 {
            for (d, &b) in dst.chunks_exact_mut(4).zip(packed) {
                d.copy_from_slice(&self.decode2[usize::from(b)]);
            }
        } else {
            for (d, &b) in dst.chunks_exact_mut(2).zip(packed) {
                d.copy_from_slice(&self.decode4[usize::from(b)]);
            }
        }
        out.truncate(start + n);
    }
}

/// A slab of parked reads: ids are reused once a read is taken back.
#[derive(Default)]
pub struct ParkedReads {
    reads: Vec<Parked>,
    free: Vec<ParkedId>,
    palette: QualPalette,
    scratch: Vec<u8>,
}

impl ParkedReads {
    /// Park a copy of `rec` (without its aux fields).
    pub fn park(&mut self, rec: &Record) -> ParkedId {
        self.park_read(rec, false)
    }

    /// [`ParkedReads::park`], with whether the read has fewer than two
    /// substitutions (given back by [`ParkedReads::take`]).
    pub fn park_read(&mut self, rec: &Record, few_substitutions: bool) -> ParkedId {
        let core = rec.inner().core;
        let name = rec.qname();
        let name_len = usize::from(core.l_qname);
        let cigar = rec.raw_cigar();
        let seq = rec.seq().encoded;
        let quals = rec.qual();
        // Sized for the palette's width now (exact unless this read adds
        // values).
        let packed_quals = (quals.len() * usize::from(self.palette.width())).div_ceil(8);
        let mut bytes = Vec::with_capacity(name_len + 4 * cigar.len() + seq.len() + packed_quals);
        bytes.extend_from_slice(name);
        bytes.resize(name_len, 0);
        for op in cigar {
            bytes.extend_from_slice(&op.to_le_bytes());
        }
        bytes.extend_from_slice(seq);
        let qual_bits = self.palette.pack(quals, &mut bytes);
        let parked = Parked {
            core,
            bytes: bytes.into_boxed_slice(),
            qual_bits,
            few_substitutions,
        };
        match self.free.pop() {
            Some(id) => {
                self.reads[id as usize] = parked;
                id
            }
            None => {
                self.reads.push(parked);
                (self.reads.len() - 1) as ParkedId
            }
        }
    }

    /// Restore parked read `id` into `into` (aux fields empty) and free
    /// its place; whether it was parked as having fewer than two
    /// substitutions.
    pub fn take(&mut self, id: ParkedId, into: &mut Record) -> bool {
        let p = &mut self.reads[id as usize];
        let bytes = std::mem::take(&mut p.bytes);
        let core = p.core;
        let n = core.l_qseq.max(0) as usize;
        let head = usize::from(core.l_qname) + 4 * core.n_cigar as usize + n.div_ceil(2);
        if p.qual_bits == 8 {
            // Stored as BAM lays it out: no assembly needed.
            into.set_data(&bytes);
        } else {
            self.scratch.clear();
            self.scratch.extend_from_slice(&bytes[..head]);
            self.palette
                .unpack(&bytes[head..], p.qual_bits, n, &mut self.scratch);
            into.set_data(&self.scratch);
        }
        into.inner_mut().core = core;
        self.free.push(id);
        p.few_substitutions
    }

    /// Whether `rec`, read at `pos`, is the mate of parked read `id`: the
    /// other segment of its template (same name), at the position `id` gave
    /// for its mate. (A same-name read that is not, a supplementary or a
    /// third segment, is counted on its own.)
    pub fn is_mate(&self, id: ParkedId, rec: &Record, pos: i64) -> bool {
        (self.flags(id) & READ1) != (rec.flags() & READ1)
            && self.mpos(id) == pos
            && self.qname(id) == rec.qname()
    }

    /// The most reads parked at once so far.
    pub fn high_water(&self) -> usize {
        self.reads.len()
    }

    /// The read's name (without NUL padding).
    pub fn qname(&self, id: ParkedId) -> &[u8] {
        let p = &self.reads[id as usize];
        let padded = &p.bytes[..usize::from(p.core.l_qname)];
        let len = padded.iter().position(|&b| b == 0).unwrap_or(padded.len());
        &padded[..len]
    }

    pub fn flags(&self, id: ParkedId) -> u16 {
        self.reads[id as usize].core.flag
    }

    /// 0-based leftmost position of the read's mate.
    pub fn mpos(&self, id: ParkedId) -> i64 {
        self.reads[id as usize].core.mpos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sam::{MATE_REVERSE, PAIRED, PROPER_PAIR};
    use rust_htslib::bam::record::{Cigar, CigarString};

    fn record(name: &[u8], seq: &[u8], quals: &[u8], cigar: Vec<Cigar>) -> Record {
        let mut r = Record::new();
        r.set(name, Some(&CigarString(cigar)), seq, quals);
        r.set_pos(1234);
        r.set_mpos(1300);
        r.set_tid(2);
        r.set_mtid(2);
        r.set_mapq(37);
        r.set_flags(PAIRED | PROPER_PAIR | MATE_REVERSE | READ1);
        r.set_insert_size(210);
        r.push_aux(b"NM", rust_htslib::bam::record::Aux::I32(1))
            .unwrap();
        r
    }

    fn same_read(a: &Record, b: &Record) {
        assert_eq!(a.qname(), b.qname());
        assert_eq!(a.raw_cigar(), b.raw_cigar());
        assert_eq!(a.seq().as_bytes(), b.seq().as_bytes());
        assert_eq!(a.qual(), b.qual());
        assert_eq!(
            (a.pos(), a.mpos(), a.tid(), a.mtid(), a.mapq(), a.flags()),
            (b.pos(), b.mpos(), b.tid(), b.mtid(), b.mapq(), b.flags())
        );
        assert_eq!(a.insert_size(), b.insert_size());
    }

    #[test]
    fn reads_come_back_as_parked_at_every_palette_width() {
        let mut store = ParkedReads::default();
        let cigar = || {
            vec![
                Cigar::SoftClip(2),
                Cigar::Match(5),
                Cigar::Del(1),
                Cigar::Match(2),
            ]
        };
        // Two values (2 bits), then up to 16 (4 bits), then more (bytes);
        // odd lengths leave part of the last packed byte and base unused.
        let reads = [
            ("a", "ACGTNACGT", [37, 12, 37, 37, 12, 12, 37, 37, 12]),
            ("bb/1", "TTGCAGGTA", [2, 5, 8, 11, 14, 17, 20, 23, 26]),
            ("ccc", "GATTACAGA", [30, 31, 32, 33, 34, 35, 36, 38, 39]),
            // Values that entered the palette with the read that filled
            // it (30-34): packed at 4 bits.
            ("dddd", "CCGGTTAAC", [34, 33, 32, 31, 30, 2, 37, 12, 26]),
        ]
        .map(|(name, seq, quals)| record(name.as_bytes(), seq.as_bytes(), &quals, cigar()));
        let ids: Vec<ParkedId> = reads.iter().map(|r| store.park(r)).collect();
        assert_eq!(store.reads[ids[0] as usize].qual_bits, 2);
        assert_eq!(store.reads[ids[1] as usize].qual_bits, 4);
        assert_eq!(store.reads[ids[2] as usize].qual_bits, 8);
        assert_eq!(store.reads[ids[3] as usize].qual_bits, 4);
        // A read packed while the palette was small reads back after it grew.
        let mut out = Record::new();
        for (r, &id) in reads.iter().zip(&ids).rev() {
            assert_eq!(store.qname(id), r.qname());
            assert_eq!(store.mpos(id), 1300);
            assert_eq!(store.flags(id), r.flags());
            store.take(id, &mut out);
            same_read(r, &out);
            assert!(out.aux(b"NM").is_err(), "aux fields are not parked");
        }
        // Freed places are reused.
        let again = store.park(&reads[0]);
        assert!(ids.contains(&again));
        assert_eq!(store.reads.len(), 4);
    }

    #[test]
    fn a_restored_record_can_be_parked_again_and_missing_qualities_survive() {
        let mut store = ParkedReads::default();
        let r = record(b"q", b"ACGTACG", &[255; 7], vec![Cigar::Match(7)]);
        let id = store.park(&r);
        let mut out = Record::new();
        store.take(id, &mut out);
        same_read(&r, &out);
        let id = store.park(&out);
        let mut twice = Record::new();
        store.take(id, &mut twice);
        same_read(&r, &twice);
    }
}
