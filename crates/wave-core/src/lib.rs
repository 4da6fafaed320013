//! Pure domain model of Wave, compatible with upstream Wave v0.9.1.
//!
//! This crate reads a user's Wave repository the way upstream does — `wave.config.json`, the
//! wave markdown files, role prompts — and holds the pure decisions made over them: marker
//! extraction and grammar, gate evaluation, ids and the on-disk state layout. It does no process
//! spawning, no sleeping and no Docker; the only IO is reading the repository's input files in
//! the loaders (`config::load`, the wave-file discovery), which take their root as a parameter.

pub mod config;
pub mod contract;
pub mod driver;
pub mod env;
pub mod gates;
pub mod ids;
pub mod launch_spec;
pub mod local_executor;
pub mod markers;
pub mod paths;
pub mod plan;
pub mod prompt;
pub mod records;
pub mod timefmt;
pub mod validate;
mod vocab;
pub mod wave;
