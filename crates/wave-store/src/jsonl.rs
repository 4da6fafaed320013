//! Append-only JSON Lines files (`events.jsonl`, coordination and control-plane logs).
//!
//! Each record is serialised to one compact line (JSON escapes every newline inside strings) and
//! handed to the kernel in a single `write(2)` on an `O_APPEND` descriptor. On a local file
//! system the kernel serialises such writes per file, so records of concurrent appenders —
//! threads or processes — never interleave within a line.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dirs::{create_dir_all_durable, parent_of};
use crate::error::{Result, StoreError};

/// Whether an append is flushed to stable storage before returning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppendSync {
    /// Leave the data in the page cache (survives a process crash, not a power cut).
    #[default]
    Buffered,
    /// `fdatasync(2)` after each record.
    Fsync,
}

/// An open JSONL file for repeated appends.
#[derive(Debug)]
pub struct JsonlAppender {
    file: File,
    path: PathBuf,
    sync: AppendSync,
}

impl JsonlAppender {
    /// Opens (creating it and its parent directories if needed) `path` for appending.
    pub fn open(path: &Path, sync: AppendSync) -> Result<Self> {
        create_dir_all_durable(parent_of(path))?;
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| StoreError::io("open for append", path, e))?;
        Ok(JsonlAppender {
            file,
            path: path.to_path_buf(),
            sync,
        })
    }

    /// The file appended to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `value` as one line. Serialisation happens first: on a serialisation error
    /// nothing is written.
    pub fn append<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let mut line = serde_json::to_vec(value).map_err(|source| StoreError::Serialize {
            path: self.path.clone(),
            source,
        })?;
        line.push(b'\n');
        self.append_line(&line)
    }

    /// Writes one complete line (must end in `\n`) with a single `write(2)`.
    fn append_line(&mut self, line: &[u8]) -> Result<()> {
        let written = loop {
            match self.file.write(line) {
                Ok(n) => break n,
                // Nothing was written, so retrying keeps the record whole.
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => return Err(StoreError::io("append to", &self.path, err)),
            }
        };
        if written != line.len() {
            return Err(StoreError::ShortWrite {
                path: self.path.clone(),
                written,
                expected: line.len(),
            });
        }
        if self.sync == AppendSync::Fsync {
            self.file
                .sync_data()
                .map_err(|e| StoreError::io("fsync", &self.path, e))?;
        }
        Ok(())
    }
}

/// Appends `value` as one JSON line to `path` (opening and closing it); see [`JsonlAppender`].
pub fn append_jsonl<T: Serialize + ?Sized>(path: &Path, value: &T, sync: AppendSync) -> Result<()> {
    JsonlAppender::open(path, sync)?.append(value)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use serde_json::json;

    use super::*;

    #[test]
    fn appends_one_compact_line_per_record() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("runs/r/events.jsonl");
        append_jsonl(
            &path,
            &json!({"type": "a", "text": "two\nlines"}),
            AppendSync::Buffered,
        )
        .unwrap();
        append_jsonl(&path, &json!({"type": "b"}), AppendSync::Fsync).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"type\":\"a\",\"text\":\"two\\nlines\"}\n{\"type\":\"b\"}\n"
        );
    }

    #[test]
    fn serialization_error_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("e.jsonl");
        let bad: std::collections::HashMap<Vec<u8>, u8> = [(vec![1], 1)].into_iter().collect();
        let err = append_jsonl(&path, &bad, AppendSync::Buffered).unwrap_err();
        assert!(matches!(err, StoreError::Serialize { .. }), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"");
    }

    #[test]
    fn threads_never_interleave() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("events.jsonl");
        let threads = 8;
        let per_thread = 200;
        // Records well above PIPE_BUF (4 KiB) so atomicity is not an accident of small writes.
        let filler = "x".repeat(16 * 1024);
        std::thread::scope(|scope| {
            for t in 0..threads {
                let path = &path;
                let filler = &filler;
                scope.spawn(move || {
                    let mut out = JsonlAppender::open(path, AppendSync::Buffered).unwrap();
                    for i in 0..per_thread {
                        out.append(&json!({"t": t, "i": i, "pad": filler})).unwrap();
                    }
                });
            }
        });
        let text = fs::read_to_string(&path).unwrap();
        let mut seen = vec![vec![false; per_thread]; threads];
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("whole line");
            let t = v["t"].as_u64().unwrap() as usize;
            let i = v["i"].as_u64().unwrap() as usize;
            assert!(!seen[t][i], "duplicate record");
            seen[t][i] = true;
            assert_eq!(v["pad"].as_str().unwrap().len(), filler.len());
        }
        assert!(seen.iter().flatten().all(|&s| s), "records missing");
    }
}
