//! What a raw BAM CIGAR says in sums: its operation codes, the reference
//! span it covers and where its soft clips end (for the distance to a read end).

// Operation codes of a raw CIGAR entry (`len << 4 | op`), SAM spec 1.4.6.
pub(super) const MATCH: u32 = 0;
pub(super) const INS: u32 = 1;
pub(super) const DEL: u32 = 2;
pub(super) const REF_SKIP: u32 = 3;
pub(super) const SOFT_CLIP: u32 = 4;
const HARD_CLIP: u32 = 5;
pub(super) const EQUAL: u32 = 7;
pub(super) const DIFF: u32 = 8;

/// A soft or hard clip (a raw CIGAR entry).
#[inline]
pub fn is_clip(c: u32) -> bool {
    matches!(c & 0xf, SOFT_CLIP | HARD_CLIP)
}

/// Reference bases covered by a CIGAR (M, D, N, =, X).
pub fn reference_span(cigar: &[u32]) -> i64 {
    cigar
        .iter()
        .filter(|&&c| matches!(c & 0xf, MATCH | DEL | REF_SKIP | EQUAL | DIFF))
        .map(|&c| i64::from(c >> 4))
        .sum()
}

/// Query positions of the first and last aligned (non-soft-clipped) base.
pub(super) fn aligned_query_range(cigar: &[u32], seq_len: usize) -> (usize, usize) {
    let lead = soft_clipped(cigar.iter());
    let trail = soft_clipped(cigar.iter().rev());
    (lead, seq_len.saturating_sub(trail + 1))
}

/// Soft-clipped bases among the clips that `ops` starts with.
fn soft_clipped<'a>(ops: impl Iterator<Item = &'a u32>) -> usize {
    ops.take_while(|&&c| is_clip(c))
        .filter(|&&c| c & 0xf == SOFT_CLIP)
        .map(|&c| (c >> 4) as usize)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_range_skips_soft_and_hard_clips() {
        let c = |op: u32, n: u32| (n << 4) | op;
        assert_eq!(
            aligned_query_range(&[c(5, 3), c(4, 2), c(0, 10), c(4, 4)], 16),
            (2, 11)
        );
        assert_eq!(aligned_query_range(&[c(0, 10)], 10), (0, 9));
    }
}
