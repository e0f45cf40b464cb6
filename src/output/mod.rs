//! stage output
