//! SAM/BAM flag bits (SAM spec section 1.4, the FLAG field), one name per
//! flag, for every module that reads or writes records.
//!
//! Kept one floor below evidence and simulate so a flag is spelled once:
//! the reads the simulator writes and the reads evidence filters agree by
//! construction.

/// The template has more than one segment (paired-end).
pub const PAIRED: u16 = 0x1;
/// Each segment is properly aligned according to the aligner.
pub const PROPER_PAIR: u16 = 0x2;
/// This segment is unmapped.
pub const UNMAPPED: u16 = 0x4;
/// The next segment (the mate) is unmapped.
pub const MATE_UNMAPPED: u16 = 0x8;
/// This segment is reverse-complemented (on the reverse strand).
pub const REVERSE: u16 = 0x10;
/// The mate is reverse-complemented.
pub const MATE_REVERSE: u16 = 0x20;
/// The first segment of the template (read 1).
pub const READ1: u16 = 0x40;
/// The last segment of the template (read 2).
pub const READ2: u16 = 0x80;
/// A secondary alignment.
pub const SECONDARY: u16 = 0x100;
/// Not passing platform or vendor quality checks.
pub const QC_FAIL: u16 = 0x200;
/// A PCR or optical duplicate.
pub const DUPLICATE: u16 = 0x400;
/// A supplementary alignment (part of a chimeric alignment).
pub const SUPPLEMENTARY: u16 = 0x800;

/// Whether a read with `flags` is read 1 of its template: an unpaired read
/// (neither [`READ1`] nor [`READ2`]) counts as read 1, so its orientation
/// is its strand.
#[inline]
pub fn is_read1(flags: u16) -> bool {
    flags & READ1 != 0 || flags & READ2 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_distinct_single_bits() {
        let all = [
            PAIRED,
            PROPER_PAIR,
            UNMAPPED,
            MATE_UNMAPPED,
            REVERSE,
            MATE_REVERSE,
            READ1,
            READ2,
            SECONDARY,
            QC_FAIL,
            DUPLICATE,
            SUPPLEMENTARY,
        ];
        for (i, f) in all.iter().enumerate() {
            assert_eq!(f.count_ones(), 1);
            assert_eq!(*f, 1 << i, "in SAM spec order");
        }
    }

    #[test]
    fn unpaired_reads_count_as_read1() {
        assert!(is_read1(0));
        assert!(is_read1(PAIRED | READ1));
        assert!(!is_read1(PAIRED | READ2));
    }
}
