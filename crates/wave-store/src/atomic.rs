//! Atomic whole-file replacement: temp file in the same directory, write, fsync, rename, fsync
//! of the directory.
//!
//! Unlike upstream's `writeJsonAtomic` (no fsync at all), a completed call survives a power cut,
//! and a failed call never leaves a partial file at the target nor a temp file behind.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::dirs::{create_dir_all_durable, parent_of, sync_dir};
use crate::error::{Result, StoreError};

/// Mode of files created by [`write_bytes_atomic`] (before the umask), as upstream's Node writes.
const DEFAULT_MODE: u32 = 0o666;

/// Distinguishes temp files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Serialises `value` as 2-space pretty JSON with a trailing newline (upstream's format) and
/// replaces `path` atomically. Serialisation happens before any file is touched.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| StoreError::Serialize {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    write_bytes_atomic(path, &bytes)
}

/// Replaces `path` with `bytes` atomically, creating missing parent directories.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_bytes_atomic_with_mode(path, bytes, DEFAULT_MODE)
}

/// Replaces `path` with `bytes` atomically — readers see the old or the new file, never a mix —
/// but without the fsyncs, so after a power cut the file may be old or empty.
///
/// For files that are regenerated on every launch (compiled prompts, previews, overlay and
/// payload files, summaries): on a busy disk the two fsyncs of [`write_bytes_atomic`] cost
/// milliseconds per file, which dominated the time to launch an agent.
pub fn write_bytes_atomic_relaxed(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, bytes, DEFAULT_MODE, false)
}

/// [`write_json_atomic`] without the fsyncs (see [`write_bytes_atomic_relaxed`]).
pub fn write_json_atomic_relaxed<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| StoreError::Serialize {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes, DEFAULT_MODE, false)
}

/// As [`write_bytes_atomic`], creating the file with permission bits `mode` (before the umask),
/// e.g. `0o600` for files that may hold secrets.
pub fn write_bytes_atomic_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    write_atomic(path, bytes, mode, true)
}

fn write_atomic(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> Result<()> {
    let op = "write atomically";
    let Some(file_name) = path.file_name() else {
        return Err(StoreError::InvalidPath {
            op,
            path: path.to_path_buf(),
            reason: "expected a path ending in a file name",
        });
    };
    let dir = parent_of(path);
    create_dir_all_durable(dir)?;

    let mut temp = TempFile::create(dir, &file_name.to_string_lossy(), mode)?;
    temp.file
        .write_all(bytes)
        .map_err(|e| StoreError::io("write temp file", &temp.path, e))?;
    if durable {
        temp.file
            .sync_all()
            .map_err(|e| StoreError::io("fsync temp file", &temp.path, e))?;
    }
    fs::rename(&temp.path, path).map_err(|e| StoreError::io("rename temp file onto", path, e))?;
    temp.committed = true;
    if durable {
        sync_dir(dir)?;
    }
    Ok(())
}

/// A temp file that unlinks itself unless it was renamed into place.
struct TempFile {
    file: fs::File,
    path: PathBuf,
    committed: bool,
}

impl TempFile {
    /// Creates `<dir>/.<name>.tmp.<pid>.<n>` exclusively, skipping names left by dead writers.
    fn create(dir: &Path, name: &str, mode: u32) -> Result<Self> {
        let pid = std::process::id();
        loop {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".{name}.tmp.{pid}.{n}"));
            let opened = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&path);
            match opened {
                Ok(file) => {
                    return Ok(TempFile {
                        file,
                        path,
                        committed: false,
                    })
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(err) => return Err(StoreError::io("create temp file", path, err)),
            }
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the error that got us here is the one worth reporting.
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;

    use serde::ser::Error as _;

    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_pretty_json_with_newline_and_leaves_no_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("deep/dir/state.json");
        let value = BTreeMap::from([("a", 1), ("b", 2)]);
        write_json_atomic(&path, &value).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "{\n  \"a\": 1,\n  \"b\": 2\n}\n"
        );
        assert_eq!(names(path.parent().unwrap()), vec!["state.json"]);
        // Overwrite replaces the whole content.
        write_json_atomic(&path, &[1]).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "[\n  1\n]\n");
        assert_eq!(names(path.parent().unwrap()), vec!["state.json"]);
    }

    struct Unserializable;

    impl Serialize for Unserializable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> std::result::Result<S::Ok, S::Error> {
            Err(S::Error::custom("refused on purpose"))
        }
    }

    #[test]
    fn serialization_failure_touches_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state.json");
        fs::write(&path, b"old").unwrap();
        let err = write_json_atomic(&path, &Unserializable).unwrap_err();
        assert!(matches!(err, StoreError::Serialize { .. }));
        assert!(
            err.to_string().starts_with("cannot serialize json for "),
            "{err}"
        );
        assert!(err.to_string().contains("state.json"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(names(tmp.path()), vec!["state.json"]);
    }

    #[test]
    fn failed_rename_removes_the_temp_file() {
        let tmp = tempfile::tempdir().unwrap();
        // A non-empty directory at the target makes rename(2) fail after the temp is written.
        let path = tmp.path().join("target");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("keep"), b"x").unwrap();
        let err = write_bytes_atomic(&path, b"data").unwrap_err();
        assert!(
            err.to_string().starts_with("cannot rename temp file onto "),
            "{err}"
        );
        assert_eq!(names(tmp.path()), vec!["target"]);
    }

    #[test]
    fn mode_is_applied() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("secret.json");
        write_bytes_atomic_with_mode(&path, b"{}", 0o600).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn rejects_paths_without_file_name() {
        let err = write_bytes_atomic(Path::new("/"), b"x").unwrap_err();
        assert!(matches!(err, StoreError::InvalidPath { .. }), "{err}");
    }
}
