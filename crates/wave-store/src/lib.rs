//! Durable files for Wave state: atomic JSON writes, JSONL appends and advisory locks.
//!
//! Knows nothing of wave semantics; every function names the path it failed on.
//!
//! - [`write_json_atomic`] / [`write_bytes_atomic`]: temp file beside the target, write, fsync,
//!   rename, fsync of the directory; a reader sees the old content or the new, never a mix.
//! - [`append_jsonl`] / [`JsonlAppender`]: one record per line, one `write(2)` per record on an
//!   `O_APPEND` descriptor, so concurrent appenders never interleave inside a line.
//! - [`read_json`] / [`read_json_if_exists`]: typed reads that tell a missing file from a corrupt one.
//! - [`FileLock`]: an exclusive `flock(2)` lock with non-blocking and deadline-bounded acquisition,
//!   released on drop and by the kernel when the holding process dies.

mod atomic;
mod dirs;
mod error;
mod jsonl;
mod lock;
mod read;

pub use atomic::{
    write_bytes_atomic, write_bytes_atomic_relaxed, write_bytes_atomic_with_mode,
    write_json_atomic, write_json_atomic_relaxed,
};
pub use dirs::{create_dir_all_durable, refuse_symlink, refuse_symlinks_below, sync_dir};
pub use error::{Result, StoreError};
pub use jsonl::{append_jsonl, AppendSync, JsonlAppender};
pub use lock::FileLock;
pub use read::{read_json, read_json_if_exists};
