//! A run's passed-through credentials: the submitting client's values of the executors'
//! credential variables (and `WAVE_PASS_ENV`'s names), so a run's agents use the key the
//! client had when it submitted — not the one the daemon was started with.
//!
//! The values live in exactly one file per run, `<secrets dir>/<runId>.json`, created 0600 in
//! a 0700 directory (default `control/supervisor/secrets/`; `WAVE_SECRETS_DIR` moves it, e.g.
//! to a tmpfs). Nothing else holds a value: not `request.json`, not `state.json`, not a runner
//! payload (payloads carry the names, as `passEnv`). A resumed launcher reads the file again, so
//! agents it starts after a crash get the same values. The daemon removes the file when the
//! run is terminal, and prune removes what is left.

use std::collections::BTreeMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use wave_core::ids::RunId;
use wave_core::paths::SupervisorPaths;
use wave_store::StoreError;

/// The directory holding the runs' secret files.
pub fn secrets_dir(tree: &SupervisorPaths) -> PathBuf {
    match std::env::var_os(wave_core::env::WAVE_SECRETS_DIR).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => tree.root().join("secrets"),
    }
}

/// The secret file of `run`.
pub fn secrets_path(tree: &SupervisorPaths, run: RunId) -> PathBuf {
    secrets_dir(tree).join(format!("{run}.json"))
}

/// The values to pass for a submit made now: every pass-through name set in this process's
/// environment.
pub fn collect_from_env() -> BTreeMap<String, String> {
    let extra = std::env::var(wave_core::env::WAVE_PASS_ENV).ok();
    wave_core::env::pass_env_names(extra.as_deref())
        .into_iter()
        .filter_map(|name| std::env::var(&name).ok().map(|v| (name, v)))
        .collect()
}

/// Writes `values` for `run` (0600 in a 0700 directory). Nothing is written for no values.
pub fn write(
    tree: &SupervisorPaths,
    run: RunId,
    values: &BTreeMap<String, String>,
) -> Result<(), StoreError> {
    if values.is_empty() {
        return Ok(());
    }
    let dir = secrets_dir(tree);
    if !dir.is_dir() {
        if let Some(parent) = dir.parent() {
            wave_store::create_dir_all_durable(parent)?;
        }
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(StoreError::Io {
                    op: "create directory",
                    path: dir,
                    source,
                })
            }
        }
    }
    let bytes = serde_json::to_vec(values).map_err(|source| StoreError::Serialize {
        path: secrets_path(tree, run),
        source,
    })?;
    wave_store::write_bytes_atomic_with_mode(&secrets_path(tree, run), &bytes, 0o600)
}

/// The values of `run` (empty when it has none).
pub fn read(tree: &SupervisorPaths, run: RunId) -> BTreeMap<String, String> {
    std::fs::read(secrets_path(tree, run))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Removes the values of `run` (a run that ended, or was pruned).
pub fn remove(tree: &SupervisorPaths, run: RunId) {
    let _ = std::fs::remove_file(secrets_path(tree, run));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn values_round_trip_owner_only_and_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let tree = SupervisorPaths::at_root(dir.path());
        let run: RunId = "run-1-0000abcd".parse().unwrap();
        let values = BTreeMap::from([("OPENAI_API_KEY".to_string(), "sk-1".to_string())]);
        write(&tree, run, &values).unwrap();
        let path = secrets_path(&tree, run);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        assert_eq!(read(&tree, run), values);
        remove(&tree, run);
        assert!(read(&tree, run).is_empty());
        write(&tree, run, &BTreeMap::new()).unwrap();
        assert!(!path.exists(), "nothing written for no values");
    }
}
