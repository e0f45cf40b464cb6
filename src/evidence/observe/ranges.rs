//! The reference intervals where a walk keeps observations (the shards of
//! a batch), kept sorted so that each lookup is a binary search.

/// Sorted, disjoint half-open reference intervals where observations are
/// kept (the shards of a batch).
#[derive(Debug, Clone, Default)]
pub struct Ranges(pub Vec<(i64, i64)>);

impl Ranges {
    /// The ranges of a batch's shards (`[start, end)`, sorted, disjoint).
    pub fn of(shards: &[(u64, u64)]) -> Ranges {
        Ranges(shards.iter().map(|&(s, e)| (s as i64, e as i64)).collect())
    }

    /// Index of the first range whose end is after `pos`.
    #[inline]
    pub fn first_ending_after(&self, pos: i64) -> usize {
        self.0.partition_point(|&(_, e)| e <= pos)
    }

    /// Is `pos` inside a range?
    #[inline]
    pub fn contains(&self, pos: i64) -> bool {
        self.0
            .get(self.first_ending_after(pos))
            .is_some_and(|&(s, _)| s <= pos)
    }

    /// Does `[start, end)` overlap a range?
    #[inline]
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        self.0
            .get(self.first_ending_after(start))
            .is_some_and(|&(s, _)| s < end)
    }
}
