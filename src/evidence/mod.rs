//! stage evidence
