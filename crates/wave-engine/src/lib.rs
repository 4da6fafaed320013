//! The Wave launcher and (later) supervisor, written against the pure model of `wave-core`.
//!
//! Modules: [`lane`] (loading and validating a lane), [`dry_run`] (`wave launch --dry-run`),
//! [`doctor`] (`wave doctor`), [`manifest`] (`waves.manifest.json`), [`scaffold`] (`wave init`).

pub mod doctor;
pub mod dry_run;
pub mod lane;
pub mod local_executor;
pub mod manifest;
pub mod scaffold;
