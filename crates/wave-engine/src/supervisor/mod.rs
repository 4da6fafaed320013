//! The supervisor: `wave submit` queues runs, `wave supervise` (the daemon) runs them.
//!
//! - [`lease`] — one daemon per supervisor root, with a kernel lock and an epoch that fences
//!   every write;
//! - [`tree`] — the run tree (`runs/<runId>/{request,state}.json`, `events.jsonl`): atomic
//!   submission, scanning that reports and skips corrupt or foreign entries;
//! - [`submit`] — validating nothing itself (the CLI validates flags and waves first), it
//!   writes a run and makes sure a daemon serves the lane;
//! - [`daemon`] — claim, launch, reconcile and resume runs; adopt a dead daemon's runs;
//! - [`observe`] — the read side (`status`, `wait`, `attach`), which never writes.
//!
//! The only writer of a run's `state.json` after submission is the daemon holding the lease.
//! Launchers run as detached processes (their own session), so a daemon crash leaves them
//! running; they record their end in `launcher-status.json` themselves.

pub mod daemon;
pub mod lease;
pub mod observe;
pub mod secrets;
pub mod submit;
pub mod tree;

use std::path::PathBuf;

/// Why a supervisor operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// A file could not be read or written.
    #[error(transparent)]
    Store(#[from] wave_store::StoreError),
    /// A process could not be started or observed.
    #[error(transparent)]
    Runner(#[from] wave_runtime::RunnerError),
    /// Another daemon took the lease over; this one must stop writing.
    #[error("the supervisor lease was taken over by {}", by.as_deref().unwrap_or("another daemon"))]
    Superseded {
        /// The new holder.
        by: Option<String>,
    },
    /// No such run.
    #[error("Run {run_id} not found.")]
    RunNotFound {
        /// The run id asked for.
        run_id: String,
    },
    /// `state.json` is not a supervisor run state.
    #[error("{}: not a supervisor run state (corrupt JSON or no runId)", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
    },
    /// The agent has no runtime record in the run.
    #[error("No runtime record found for agent {agent}.")]
    NoRuntimeRecord {
        /// The agent id.
        agent: String,
    },
    /// `submit` started a daemon for the lane but it exited (or never took the lease).
    #[error("could not start the lane's supervisor daemon (pid {pid}): {tail} (see {})", log.display())]
    DaemonDidNotStart {
        /// The daemon's pid.
        pid: i32,
        /// Its log.
        log: PathBuf,
        /// The last line of its log.
        tail: String,
    },
    /// A runtime record names a log outside the lane's `logs/` directory (tampered state).
    #[error("refusing to print {}: not a log of this lane's logs/ directory", path.display())]
    LogOutsideLane {
        /// The log path the record names.
        path: PathBuf,
    },
    /// A run directory or file could not be listed or read.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was attempted.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}
