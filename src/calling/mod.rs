//! stage calling
