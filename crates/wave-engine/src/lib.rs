//! The Wave launcher and supervisor, written against the pure model of `wave-core`.
//!
//! Modules: [`lane`] (loading and validating a lane), [`prepare`] (one agent's prompt, launch
//! spec and overlays), [`dry_run`] (`wave launch --dry-run`), [`doctor`] (`wave doctor`),
//! [`manifest`] (`waves.manifest.json`), [`scaffold`] (`wave init`), [`local_executor`] (the
//! built-in `local` executor's IO), [`launch`] (the live launcher), [`supervisor`] (`wave submit`
//! and the `wave supervise` daemon), [`wave_wait`] (`wave k8s wait-wave`: wait until a wave is
//! recorded completed).

pub mod doctor;
pub mod dry_run;
pub mod lane;
pub mod launch;
pub mod limits;
pub mod local_executor;
pub mod manifest;
pub mod prepare;
pub mod run_state;
pub mod scaffold;
pub mod state_guard;
pub mod supervisor;
pub mod wave_wait;
