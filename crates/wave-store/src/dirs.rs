//! Directory helpers: durable creation of parent directories and directory fsync.

use std::fs::{self, File};
use std::io;
use std::path::Path;

use crate::error::{Result, StoreError};

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Flushes a directory's entries (new names, renames) to stable storage with `fsync(2)`.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let handle = File::open(dir).map_err(|e| StoreError::io("open directory", dir, e))?;
    handle
        .sync_all()
        .map_err(|e| StoreError::io("fsync directory", dir, e))
}

/// Creates `dir` and any missing ancestors, fsyncing each new directory's parent so the new
/// entries survive a crash. Succeeds when `dir` already exists; fails when a component exists
/// and is not a directory.
pub fn create_dir_all_durable(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut current = dir;
    loop {
        match fs::metadata(current) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(StoreError::InvalidPath {
                    op: "create directory",
                    path: current.to_path_buf(),
                    reason: "a file that is not a directory is in the way",
                })
            }
            // ENOTDIR: an ancestor is a file; walking up reports it below.
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                missing.push(current);
                match current.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => current = parent,
                    _ => break,
                }
            }
            Err(err) => return Err(StoreError::io("inspect directory", current, err)),
        }
    }
    for new_dir in missing.into_iter().rev() {
        match fs::create_dir(new_dir) {
            Ok(()) => sync_dir(parent_of(new_dir))?,
            // Another writer created it in between: fine if it is a directory.
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && new_dir.is_dir() => {}
            Err(err) => return Err(StoreError::io("create directory", new_dir, err)),
        }
    }
    Ok(())
}

/// Fails with [`StoreError::Symlink`] when `path` itself is a symbolic link (a missing path is
/// fine).
pub fn refuse_symlink(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(StoreError::Symlink {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Fails with [`StoreError::Symlink`] when `path` or any directory between `root` and it is a
/// symbolic link. `root` itself (the repository) may be a link; components outside it are not
/// checked. Paths not under `root` are checked component by component from their parent.
pub fn refuse_symlinks_below(root: &Path, path: &Path) -> Result<()> {
    let rest = path.strip_prefix(root).unwrap_or(path);
    let mut current = if path.starts_with(root) {
        root.to_path_buf()
    } else {
        std::path::PathBuf::new()
    };
    for part in rest.components() {
        current.push(part);
        if matches!(part, std::path::Component::Normal(_)) {
            refuse_symlink(&current)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_below_the_root_are_refused_and_the_root_itself_may_be_one() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::create_dir_all(real.join(".tmp/lane")).unwrap();
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
        let root = tmp.path().join("link");
        refuse_symlinks_below(&root, &root.join(".tmp/lane/status/x.json")).unwrap();
        std::os::unix::fs::symlink(&outside, real.join(".tmp/lane/status")).unwrap();
        let err = refuse_symlinks_below(&root, &root.join(".tmp/lane/status/x.json")).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(err.to_string().contains("status"), "{err}");
    }

    #[test]
    fn creates_nested_dirs_and_tolerates_existing() {
        let tmp = tempfile::tempdir().unwrap();
        let nested = tmp.path().join("a/b/c");
        create_dir_all_durable(&nested).unwrap();
        assert!(nested.is_dir());
        create_dir_all_durable(&nested).unwrap();
        sync_dir(&nested).unwrap();
    }

    #[test]
    fn refuses_a_file_in_the_way() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        fs::write(&file, b"x").unwrap();
        let err = create_dir_all_durable(&file.join("sub")).unwrap_err();
        assert!(err.to_string().contains("is not a directory"), "{err}");
    }
}
