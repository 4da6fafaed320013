//! The crate's error type: every variant names the path and the operation that failed.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Result alias for this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A failed store operation. Messages are lower case and name the path.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An operating-system call failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `"create temp file for"`, `"rename into place"`.
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A value could not be serialised to JSON; nothing was written.
    #[error("cannot serialize json for {}: {source}", path.display())]
    Serialize {
        /// The file that would have been written.
        path: PathBuf,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A file that was expected to exist does not.
    #[error("cannot read {}: file does not exist", path.display())]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// A file exists but is not JSON of the expected shape (torn, truncated or foreign).
    #[error("cannot parse {}: expected json of the expected shape: {source}", path.display())]
    Corrupt {
        /// The unreadable file.
        path: PathBuf,
        /// The serde error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The path cannot be used for the operation (e.g. it has no file name).
    #[error("cannot {op} {}: {reason}", path.display())]
    InvalidPath {
        /// What was being done.
        op: &'static str,
        /// The offending path.
        path: PathBuf,
        /// What was expected.
        reason: &'static str,
    },
    /// A write accepted fewer bytes than the record holds (disk full or a quota); the file may
    /// end with a partial line.
    #[error("cannot append to {}: short write ({written} of {expected} bytes)", path.display())]
    ShortWrite {
        /// The file appended to.
        path: PathBuf,
        /// Bytes the kernel accepted.
        written: usize,
        /// Bytes in the record.
        expected: usize,
    },
    /// A path inside the state tree is a symbolic link; writing through it could land outside
    /// the repository, so nothing is written.
    #[error("refusing to write through {}: it is a symbolic link (state files stay inside the repository)", path.display())]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// The lock stayed held by someone else until the deadline.
    #[error(
        "cannot lock {}: held by another process (holder: {}); gave up after {} ms",
        path.display(),
        holder.as_deref().unwrap_or("unknown"),
        waited.as_millis()
    )]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long acquisition was retried.
        waited: Duration,
        /// The holder information found in the lock file, if any (diagnostics only).
        holder: Option<String>,
    },
}

impl StoreError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StoreError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// True when the error is [`StoreError::Missing`].
    pub fn is_missing(&self) -> bool {
        matches!(self, StoreError::Missing { .. })
    }
}
