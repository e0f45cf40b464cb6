//! stage model
