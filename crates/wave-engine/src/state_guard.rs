//! The lane's state tree is private and stays inside the repository.
//!
//! [`prepare_state_tree`] runs before a command writes a lane's state (launch, dry run,
//! submit, supervise): it refuses a state tree with a symbolic link anywhere below the
//! repository root (`.tmp`, the lane directory, `status/`, `prompts/`, the supervisor tree,
//! `daemon.log` …), so nothing is ever written or appended outside the repository, and it
//! creates the state root and the lane's directory owner-only (0700), tightening them when
//! they already exist with wider modes. Agent output (logs, results, prompts) can carry
//! tokens; a 0700 directory keeps every file under it private whatever the file's own mode.
//! Set `WAVE_STATE_DIR_MODE` (octal, e.g. `750`) to choose another mode for these directories.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use wave_core::paths::LanePaths;
use wave_store::StoreError;

/// The environment variable that overrides the state directories' mode.
pub const STATE_DIR_MODE_ENV: &str = wave_core::env::WAVE_STATE_DIR_MODE;

/// The default mode of the state root and the lane's state directory.
pub const DEFAULT_STATE_DIR_MODE: u32 = 0o700;

/// The mode for state directories: [`STATE_DIR_MODE_ENV`] when it is a valid octal mode, else
/// [`DEFAULT_STATE_DIR_MODE`].
pub fn state_dir_mode() -> u32 {
    std::env::var(STATE_DIR_MODE_ENV)
        .ok()
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .filter(|m| *m <= 0o777 && m & 0o700 == 0o700)
        .unwrap_or(DEFAULT_STATE_DIR_MODE)
}

/// The files and directories of a lane that must not be symbolic links.
fn guarded(paths: &LanePaths) -> Vec<PathBuf> {
    let mut out = vec![
        paths.state_dir().to_path_buf(),
        paths.orchestrator_state_dir().to_path_buf(),
        paths.run_state(),
        paths.launcher_lock(),
    ];
    out.extend(paths.launcher_startup_dirs());
    let supervisor = paths.supervisor();
    out.push(supervisor.root().to_path_buf());
    out.push(supervisor.runs_dir());
    out.push(supervisor.root().join("daemon.log"));
    out.push(supervisor.root().join("daemon.lock"));
    out
}

/// Refuses symbolic links in the lane's state tree and makes its roots owner-only (see the
/// module docs). Creates the state root and the lane directory when missing.
pub fn prepare_state_tree(paths: &LanePaths) -> Result<(), StoreError> {
    let root = paths.repo_root();
    for path in guarded(paths) {
        wave_store::refuse_symlinks_below(root, &path)?;
    }
    // Agents write into the repository and the launcher into the state tree: say so now,
    // rather than let every agent fail later.
    check_writable(root)?;
    let mode = state_dir_mode();
    let state_root = state_root(paths);
    for dir in [state_root.as_path(), paths.base_state_dir()] {
        ensure_private_dir(dir, mode)?;
    }
    check_writable(paths.base_state_dir())?;
    Ok(())
}

/// Fails with a clear error when this process cannot create files in `dir`.
pub fn check_writable(dir: &Path) -> Result<(), StoreError> {
    let probe = dir.join(format!(".wave-write-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(source)
            if source.kind() == std::io::ErrorKind::PermissionDenied
                || source.raw_os_error() == Some(libc_erofs()) =>
        {
            Err(StoreError::InvalidPath {
                op: "write into",
                path: dir.to_path_buf(),
                reason: not_writable_reason(),
            })
        }
        Err(_) => Ok(()),
    }
}

fn libc_erofs() -> i32 {
    30 // EROFS on Linux
}

fn not_writable_reason() -> &'static str {
    "not writable by this process's uid (run as the directory's owner: compose sets WAVE_UID/WAVE_GID in .env; see docs/deployment.md)"
}

/// The repository's state root (`paths.stateRoot`, `.tmp` by default): the first directory
/// under the repository root on the way to the lane's state directory.
fn state_root(paths: &LanePaths) -> PathBuf {
    let root = paths.repo_root();
    match paths.base_state_dir().strip_prefix(root) {
        Ok(rel) => match rel.components().next() {
            Some(first) => root.join(first),
            None => paths.base_state_dir().to_path_buf(),
        },
        Err(_) => paths.base_state_dir().to_path_buf(),
    }
}

fn ensure_private_dir(dir: &Path, mode: u32) -> Result<(), StoreError> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            if meta.permissions().mode() & 0o777 != mode {
                // Only the owner (or root) may chmod; another user's directory keeps its mode.
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode));
            }
            Ok(())
        }
        Ok(_) => Err(StoreError::InvalidPath {
            op: "create directory",
            path: dir.to_path_buf(),
            reason: "a file that is not a directory is in the way",
        }),
        Err(_) => {
            if let Some(parent) = dir.parent() {
                wave_store::create_dir_all_durable(parent)?;
            }
            match std::fs::DirBuilder::new().mode(mode).create(dir) {
                Ok(()) => {
                    // The umask may have narrowed the mode further; set it exactly.
                    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode));
                    wave_store::sync_dir(dir.parent().unwrap_or(Path::new("/")))
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
                Err(source) => Err(StoreError::Io {
                    op: "create directory",
                    path: dir.to_path_buf(),
                    source,
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wave_core::ids::{LaneId, ProjectId};
    use wave_core::paths::{LaneLocation, ProjectScope};

    fn lane(root: &Path) -> LanePaths {
        LanePaths::new(LaneLocation::new(
            root,
            ProjectScope::Implicit(ProjectId::normalize("default").unwrap()),
            LaneId::normalize("main").unwrap(),
        ))
    }

    #[test]
    fn creates_the_state_root_and_lane_dir_owner_only_and_tightens_existing_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".tmp")).unwrap();
        std::fs::set_permissions(
            dir.path().join(".tmp"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let paths = lane(dir.path());
        prepare_state_tree(&paths).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join(".tmp")), 0o700);
        assert_eq!(mode(paths.base_state_dir()), 0o700);
    }

    #[test]
    fn a_symlinked_status_dir_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let paths = lane(dir.path());
        std::fs::create_dir_all(paths.state_dir()).unwrap();
        std::os::unix::fs::symlink(outside.path(), paths.status_dir()).unwrap();
        let err = prepare_state_tree(&paths).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }
}
