//! Exclusive advisory locks on a file with `flock(2)`.
//!
//! A lock belongs to the open file description, so a second `open` of the same file — in this
//! process or another — is refused while the lock is held. It is released when the [`FileLock`]
//! is dropped and, because the kernel closes the descriptor, when the holding process dies for
//! any reason. Acquisition never blocks without a bound: [`FileLock::try_acquire`] returns at
//! once and [`FileLock::acquire_with_deadline`] retries with a short back-off until its deadline.
//!
//! Lock files are never deleted: removing one while it is held would let a second holder lock a
//! fresh file under the same name. The holder may record diagnostics in the file
//! ([`FileLock::write_holder`]); they are informative only, never decide ownership, and are
//! emptied on a clean release.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use serde::Serialize;

use crate::dirs::{create_dir_all_durable, parent_of};
use crate::error::{Result, StoreError};

/// First retry delay of [`FileLock::acquire_with_deadline`].
const BACKOFF_START: Duration = Duration::from_millis(1);
/// Longest retry delay of [`FileLock::acquire_with_deadline`].
const BACKOFF_MAX: Duration = Duration::from_millis(25);
/// Most bytes of holder information quoted in a timeout error.
const HOLDER_QUOTE_MAX: usize = 200;

/// A held exclusive lock on a file; released on drop.
#[derive(Debug)]
pub struct FileLock {
    file: Flock<File>,
    path: PathBuf,
}

impl FileLock {
    /// Tries once to lock `path` (creating it and its parent directories if missing).
    /// `Ok(None)` when another open file description holds the lock.
    pub fn try_acquire(path: &Path) -> Result<Option<FileLock>> {
        create_dir_all_durable(parent_of(path))?;
        // The file may be replaced between open and lock (someone deleted it); then the lock
        // we got guards nothing, so start over on the new file.
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .open(path)
                .map_err(|e| StoreError::io("open lock file", path, e))?;
            let locked = match lock_nonblocking(file, path)? {
                Some(locked) => locked,
                None => return Ok(None),
            };
            if same_file(&locked, path)? {
                return Ok(Some(FileLock {
                    file: locked,
                    path: path.to_path_buf(),
                }));
            }
        }
    }

    /// Locks `path`, retrying with a short back-off (1 ms doubling to 25 ms) until `timeout`
    /// has passed; then fails with [`StoreError::LockTimeout`] quoting the holder information.
    /// Tries at least once, even with a zero timeout.
    pub fn acquire_with_deadline(path: &Path, timeout: Duration) -> Result<FileLock> {
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        let mut delay = BACKOFF_START;
        loop {
            if let Some(lock) = Self::try_acquire(path)? {
                return Ok(lock);
            }
            let now = Instant::now();
            let remaining = match deadline {
                Some(deadline) if deadline > now => deadline - now,
                Some(_) => {
                    return Err(StoreError::LockTimeout {
                        path: path.to_path_buf(),
                        waited: now - start,
                        holder: read_holder_quote(path),
                    })
                }
                // A timeout too large to represent: wait in back-off steps indefinitely.
                None => BACKOFF_MAX,
            };
            std::thread::sleep(delay.min(remaining));
            delay = (delay * 2).min(BACKOFF_MAX);
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the lock file's content with `holder` as one JSON line (e.g. pid, start time),
    /// for diagnostics in [`StoreError::LockTimeout`] and by operators.
    pub fn write_holder<T: Serialize + ?Sized>(&self, holder: &T) -> Result<()> {
        let mut bytes = serde_json::to_vec(holder).map_err(|source| StoreError::Serialize {
            path: self.path.clone(),
            source,
        })?;
        bytes.push(b'\n');
        self.file
            .set_len(0)
            .map_err(|e| StoreError::io("truncate lock file", &self.path, e))?;
        self.file
            .write_all_at(&bytes, 0)
            .map_err(|e| StoreError::io("write holder into lock file", &self.path, e))
    }

    /// Releases the lock now (dropping does the same).
    pub fn release(self) {
        drop(self);
    }
}

impl Drop for FileLock {
    /// Empties the holder information while still holding the lock, so a released lock file
    /// never names a holder; the inner `Flock` then unlocks. (After a crash the kernel unlocks
    /// and the last holder's information stays, which is what a post-mortem wants.)
    fn drop(&mut self) {
        // Best effort: failing to clear diagnostics must not keep the lock.
        let _ = self.file.set_len(0);
    }
}

/// One non-blocking `flock(LOCK_EX)`; `None` when held elsewhere.
fn lock_nonblocking(mut file: File, path: &Path) -> Result<Option<Flock<File>>> {
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => return Ok(Some(locked)),
            Err((_, Errno::EWOULDBLOCK)) => return Ok(None),
            Err((returned, Errno::EINTR)) => file = returned,
            Err((_, errno)) => {
                return Err(StoreError::io("lock", path, std::io::Error::from(errno)))
            }
        }
    }
}

/// True when `path` still names the file `locked` was opened from.
fn same_file(locked: &File, path: &Path) -> Result<bool> {
    let held = locked
        .metadata()
        .map_err(|e| StoreError::io("inspect lock file", path, e))?;
    match fs::metadata(path) {
        Ok(named) => Ok(named.dev() == held.dev() && named.ino() == held.ino()),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
        Err(err) => Err(StoreError::io("inspect lock file", path, err)),
    }
}

/// The first line of the lock file, trimmed and shortened, if there is any.
fn read_holder_quote(path: &Path) -> Option<String> {
    let mut text = String::new();
    File::open(path)
        .ok()?
        .take(HOLDER_QUOTE_MAX as u64 * 4)
        .read_to_string(&mut text)
        .ok()?;
    let line = text.lines().next()?.trim();
    if line.is_empty() {
        return None;
    }
    let quoted: String = line.chars().take(HOLDER_QUOTE_MAX).collect();
    Some(quoted)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn second_open_file_description_is_refused_until_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("control/supervisor/daemon.lock");
        let held = FileLock::try_acquire(&path)
            .unwrap()
            .expect("first acquire");
        assert_eq!(held.path(), path);
        assert!(FileLock::try_acquire(&path).unwrap().is_none());
        drop(held);
        let again = FileLock::try_acquire(&path)
            .unwrap()
            .expect("free after drop");
        again.release();
        assert!(FileLock::try_acquire(&path).unwrap().is_some());
    }

    #[test]
    fn deadline_expires_with_holder_in_message() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("launcher.lock");
        let held = FileLock::try_acquire(&path).unwrap().unwrap();
        held.write_holder(&json!({"pid": 4242})).unwrap();
        let started = Instant::now();
        let err = FileLock::acquire_with_deadline(&path, Duration::from_millis(30)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert!(matches!(err, StoreError::LockTimeout { .. }));
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("cannot lock {}: held by", path.display())),
            "{msg}"
        );
        assert!(msg.contains("{\"pid\":4242}"), "{msg}");
        // Zero timeout still tries once.
        assert!(FileLock::acquire_with_deadline(&path, Duration::ZERO).is_err());
        drop(held);
        assert!(FileLock::acquire_with_deadline(&path, Duration::ZERO).is_ok());
    }

    #[test]
    fn waiter_gets_the_lock_once_released() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("launcher.lock");
        let held = FileLock::try_acquire(&path).unwrap().unwrap();
        std::thread::scope(|scope| {
            let waiter =
                scope.spawn(|| FileLock::acquire_with_deadline(&path, Duration::from_secs(30)));
            drop(held);
            let lock = waiter.join().unwrap().expect("acquired after release");
            lock.write_holder(&json!({"pid": std::process::id()}))
                .unwrap();
            let text = fs::read_to_string(&path).unwrap();
            assert_eq!(text, format!("{{\"pid\":{}}}\n", std::process::id()));
        });
        // A clean release leaves no holder behind.
        assert_eq!(fs::read_to_string(&path).unwrap(), "");
    }

    #[test]
    fn replaced_lock_file_is_relocked() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.lock");
        let held = FileLock::try_acquire(&path).unwrap().unwrap();
        // Someone removes the held file: a new acquirer gets a lock on the new file, and the
        // inode check guarantees it holds the file the name now points at.
        fs::remove_file(&path).unwrap();
        let second = FileLock::try_acquire(&path).unwrap().expect("fresh file");
        assert!(same_file(&second.file, &path).unwrap());
        drop(held);
    }
}
