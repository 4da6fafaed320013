//! The crate's error type: every variant names the file or pid and the operation that failed.

use std::io;
use std::path::PathBuf;

use wave_store::StoreError;

/// A failed runner operation. Messages are lower case and name the path or pid.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// A durable read or write of a payload, record or status file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The payload file parsed but breaks a rule (relative path, secret-looking env value, …).
    #[error("invalid runner payload {}: {reason}", path.display())]
    InvalidPayload {
        /// The payload file (or `<memory>` before it is written).
        path: PathBuf,
        /// The broken rule.
        reason: String,
    },
    /// A file operation outside `wave-store` failed (the agent log, `/proc`).
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A process-level system call failed.
    #[error("cannot {op} (pid {pid}): {source}")]
    Process {
        /// What was being done, e.g. `"open pidfd for"`.
        op: &'static str,
        /// The pid (or negated process group) concerned; 0 for the calling process.
        pid: i32,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Starting a program failed, after retrying transient errors.
    #[error("cannot spawn {} after {attempts} attempt(s): {source}", program.display())]
    Spawn {
        /// The program that was started.
        program: PathBuf,
        /// How many times it was tried.
        attempts: u32,
        /// The last OS error.
        #[source]
        source: io::Error,
    },
}

impl RunnerError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        RunnerError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn process(op: &'static str, pid: i32, source: impl Into<io::Error>) -> Self {
        RunnerError::Process {
            op,
            pid,
            source: source.into(),
        }
    }
}
