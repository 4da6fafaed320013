//! `wave submit`'s engine half: write a pending run and make sure a daemon serves the lane.
//!
//! The CLI validates the launcher flags and the waves before calling [`submit`], so nothing
//! invalid is ever queued.

use std::path::{Path, PathBuf};

use wave_core::ids::RunId;
use wave_core::paths::SupervisorPaths;
use wave_core::records::supervisor::{Submission, SupervisorRunState};
use wave_core::timefmt::iso8601_millis;
use wave_runtime::DetachedProcess;

use super::lease::{now_ms, random_u32, Identity, LeaseFiles};
use super::{tree, SupervisorError};

/// A queued run.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The new run.
    pub run_id: RunId,
    /// Its `state.json`.
    pub state_path: PathBuf,
    /// The pid of the daemon this submission started, if it had to start one.
    pub daemon_pid: Option<i32>,
}

/// Queues a run with `launcher_args` (kept verbatim) and starts a daemon if none serves the
/// root (`start_daemon`).
pub fn submit(
    tree: &SupervisorPaths,
    repo_root: &Path,
    who: &Identity,
    launcher_args: Vec<String>,
    wave_binary: &Path,
    start_daemon: bool,
) -> Result<Submitted, SupervisorError> {
    let now = now_ms();
    let run_id = RunId::from_parts(now, random_u32());
    let state = SupervisorRunState::submitted(Submission {
        run_id: run_id.to_string(),
        project: who.project.clone(),
        lane: who.lane.clone(),
        adhoc_run_id: who.adhoc_run_id.clone(),
        launcher_args,
        submitted_at: iso8601_millis(now),
    });
    let run = tree::submit(tree, run_id, &state)?;
    let daemon_pid = if start_daemon {
        ensure_daemon(tree, who, repo_root, wave_binary)?
    } else {
        None
    };
    Ok(Submitted {
        run_id,
        state_path: run.state(),
        daemon_pid,
    })
}

/// Starts `wave supervise` for the root, detached, unless a daemon already serves it. Its
/// output goes to `control/supervisor/daemon.log`.
pub fn ensure_daemon(
    tree: &SupervisorPaths,
    who: &Identity,
    repo_root: &Path,
    wave_binary: &Path,
) -> Result<Option<i32>, SupervisorError> {
    if LeaseFiles::new(tree.root()).daemon_is_serving()? {
        return Ok(None);
    }
    let mut args = vec![
        "--repo-root".to_string(),
        repo_root.to_string_lossy().into_owned(),
        "supervise".to_string(),
        "--project".to_string(),
        who.project.clone(),
        "--lane".to_string(),
        who.lane.clone(),
        "--idle-exit".to_string(),
        "10m".to_string(),
    ];
    if let Some(adhoc) = &who.adhoc_run_id {
        args.push("--adhoc-run".into());
        args.push(adhoc.clone());
    }
    let log = tree.root().join("daemon.log");
    let spawned = wave_runtime::spawn_detached_process(&DetachedProcess {
        program: wave_binary,
        args: &args,
        cwd: repo_root,
        env: &[],
        log: Some(&log),
    })?;
    Ok(Some(spawned.pid))
}
