//! One class's error tally and the shrinkage every rate of the background
//! uses: the floor of the model's rates (`context`, `run_length`).

/// Prior weight (molecule-positions) pulling a class toward its kind's rate.
pub const PRIOR_WEIGHT: f64 = 10_000.0;
/// Smallest rate ever used (keeps p-values finite at perfect sites).
pub const MIN_RATE: f64 = 1e-7;

/// Alt molecules and opportunities (molecule-positions) of a class.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    pub alt: u64,
    pub depth: u64,
}

impl Tally {
    pub(super) fn add(&mut self, alt: u64, depth: u64) {
        self.alt += alt;
        self.depth += depth;
    }
    pub(super) fn raw(&self) -> f64 {
        if self.depth == 0 {
            0.0
        } else {
            self.alt as f64 / self.depth as f64
        }
    }
}

/// `(alt + W prior) / (depth + W)`: a tally shrunk toward `prior` with
/// [`PRIOR_WEIGHT`] molecule-positions, never below [`MIN_RATE`].
pub fn shrunk_toward(c: Tally, prior: f64) -> f64 {
    ((c.alt as f64 + PRIOR_WEIGHT * prior) / (c.depth as f64 + PRIOR_WEIGHT)).max(MIN_RATE)
}
