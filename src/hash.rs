//! FNV-1a, 64-bit: the crate's one non-cryptographic hash.
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
