//! A simulated read's columns placed on the reference as an aligner
//! writes them: position, CIGAR (soft clips at the ends), NM, and the
//! supplementary parts of a clipped event (`SA`). Shared by the read
//! builder (`reads`) and the aligner-like clipping (`clip`).

use super::fragments::Col;
use rust_htslib::bam::record::Cigar;

/// A clipped part that maps on its own: the short side of a clipped
/// event, contiguous on the reference. Written as the read's `SA` tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Supplementary {
    /// 0-based position of its first aligned base.
    pub pos: i64,
    /// CIGAR over the whole read (the rest soft-clipped).
    pub cigar: Vec<Cigar>,
    /// Mismatches in the aligned part.
    pub nm: u32,
}

/// A column slice placed on the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned {
    /// 0-based leftmost aligned position.
    pub pos: i64,
    /// 0-based end (exclusive).
    pub end: i64,
    /// CIGAR (M/I/D, S at the ends).
    pub cigar: Vec<Cigar>,
    /// Read bases, reference-forward.
    pub bases: Vec<u8>,
    /// Mismatches + inserted + deleted bases.
    pub nm: u32,
    /// Base qualities (empty until sequenced).
    pub qual: Vec<u8>,
    /// Reference span of the aligned columns before any clip at an event.
    pub read_span: (i64, i64),
    /// Clipped parts that align on their own (the `SA` tag).
    pub supplementary: Vec<Supplementary>,
}

/// Alignment of a column slice. Insertions
/// before the first / after the last aligned base become soft clips and
/// deletions there are dropped. None if no base is aligned.
pub fn align(cols: &[Col], reference: &[u8]) -> Option<Aligned> {
    let first = cols.iter().position(|c| matches!(c, Col::M { .. }))?;
    let last = cols.iter().rposition(|c| matches!(c, Col::M { .. }))?;
    let read_span = match (cols[first], cols[last]) {
        (Col::M { r: a, .. }, Col::M { r: b, .. }) => (i64::from(a), i64::from(b) + 1),
        _ => (0, 0),
    };
    let bases: Vec<u8> = cols.iter().filter_map(|c| c.base()).collect();
    let lead = cols[..first].iter().filter(|c| c.base().is_some()).count() as u32;
    let trail = cols[last + 1..]
        .iter()
        .filter(|c| c.base().is_some())
        .count() as u32;
    let mut cigar: Vec<Cigar> = Vec::new();
    let mut push = |op: Cigar| {
        let merged = match (cigar.last_mut(), op) {
            (Some(Cigar::Match(n)), Cigar::Match(m)) => {
                *n += m;
                true
            }
            (Some(Cigar::Ins(n)), Cigar::Ins(m)) => {
                *n += m;
                true
            }
            (Some(Cigar::Del(n)), Cigar::Del(m)) => {
                *n += m;
                true
            }
            _ => false,
        };
        if !merged {
            cigar.push(op);
        }
    };
    if lead > 0 {
        push(Cigar::SoftClip(lead));
    }
    let mut nm = 0;
    let mut pos = 0i64;
    let mut end = 0i64;
    for (k, c) in cols[first..=last].iter().enumerate() {
        match *c {
            Col::M { r, b } => {
                if k == 0 {
                    pos = i64::from(r);
                }
                end = i64::from(r) + 1;
                if reference.get(r as usize) != Some(&b) {
                    nm += 1;
                }
                push(Cigar::Match(1));
            }
            Col::I { .. } => {
                nm += 1;
                push(Cigar::Ins(1));
            }
            Col::D { .. } => {
                nm += 1;
                push(Cigar::Del(1));
            }
        }
    }
    if trail > 0 {
        push(Cigar::SoftClip(trail));
    }
    Some(Aligned {
        pos,
        end,
        cigar,
        bases,
        nm,
        qual: Vec::new(),
        read_span,
        supplementary: Vec::new(),
    })
}
