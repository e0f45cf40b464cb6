//! FNV-1a, 64-bit: the crate's one non-cryptographic hash of byte
//! strings; and [`WordHasher`], for maps keyed by a few integers.
//!
//! It keys the maps where reads wait for their mate (by read name), the
//! consensus votes on inserted sequences, and identifies a panel in the
//! PoN header (`fnv1a64`). Short keys hash fast with it and its value is
//! fixed by its definition, which the PoN header relies on: a PoN built by
//! one version is checked against the panel by another.

/// FNV-1a 64-bit offset basis.
const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64-bit prime.
const PRIME: u64 = 0x0100_0000_01b3;

/// An FNV-1a 64-bit hash fed in pieces: the same value as [`fnv1a64`] of
/// the pieces joined.
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a64(u64);

impl Default for Fnv1a64 {
    fn default() -> Self {
        Fnv1a64(OFFSET_BASIS)
    }
}

impl Fnv1a64 {
    /// Feed `bytes`.
    #[inline]
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    /// The hash of everything fed so far.
    #[inline]
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// FNV-1a 64-bit hash of `bytes`.
#[inline]
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a64::default();
    h.write(bytes);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // From the FNV reference test suite (fnv1a64 of "", "a", "foobar").
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn pieces_hash_as_their_concatenation() {
        let mut h = Fnv1a64::default();
        h.write(b"chr1\t10\t");
        h.write(b"");
        h.write(b"20\n");
        assert_eq!(h.finish(), fnv1a64(b"chr1\t10\t20\n"));
    }
}

/// A multiply-rotate hash fed a 64-bit word at a time, for `HashMap`s keyed
/// by integers and tuples of them that are only looked up, never iterated
/// (so its values cannot reach the output): std's SipHash, built against
/// chosen collisions a run's own keys cannot make, cost about as much as
/// the work per lookup in the LoD memo and the UMI family window.
#[derive(Default)]
pub struct WordHasher(u64);

/// A map keyed through [`WordHasher`].
pub type WordMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<WordHasher>>;

impl WordHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0 ^ word)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
}

impl std::hash::Hasher for WordHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }
    #[inline]
    fn write_u8(&mut self, x: u8) {
        self.mix(u64::from(x));
    }
    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.mix(u64::from(x));
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.mix(x);
    }
    #[inline]
    fn write_i64(&mut self, x: i64) {
        self.mix(x as u64);
    }
    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.mix(x as u64);
    }
}
