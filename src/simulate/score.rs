//! Scoring calls against truth.
