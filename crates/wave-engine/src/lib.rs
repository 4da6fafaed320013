//! The Wave launcher and (later) supervisor, written against the pure model of `wave-core`.
//!
//! Modules: [`manifest`] (the lane's `waves.manifest.json`), `scaffold` (`wave init`).

pub mod manifest;
