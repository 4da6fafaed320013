//! Role classification and post-parse wave validation (upstream's `validateWaveDefinition`).
//!
//! Placeholder while the modules land.

mod js;

pub mod catalog;
pub mod context7;
pub mod matrix;
