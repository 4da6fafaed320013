//! `wave submit`'s engine half: write a pending run and make sure a daemon serves the lane.
//!
//! The CLI validates the launcher flags and the waves before calling [`submit`], so nothing
//! invalid is ever queued.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wave_core::ids::RunId;
use wave_core::paths::SupervisorPaths;
use wave_core::records::supervisor::{Submission, SupervisorRunState};
use wave_core::timefmt::iso8601_millis;
use wave_runtime::DetachedProcess;

use super::lease::{now_ms, random_u32, DaemonHealth, Identity, LeaseFiles};
use super::{tree, SupervisorError};

/// A queued run.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The new run.
    pub run_id: RunId,
    /// Its `state.json`.
    pub state_path: PathBuf,
    /// The daemon that serves it.
    pub daemon: EnsuredDaemon,
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
    // The values first: a daemon may claim the run the moment it appears.
    super::secrets::write(tree, run_id, &super::secrets::collect_from_env())?;
    let run = match tree::submit(tree, run_id, &state) {
        Ok(run) => run,
        Err(err) => {
            super::secrets::remove(tree, run_id);
            return Err(err);
        }
    };
    let daemon = if start_daemon {
        match ensure_daemon(tree, who, repo_root, wave_binary) {
            Ok(daemon) => daemon,
            Err(err) => {
                // Nothing serves the lane and none could be started: take the run back
                // rather than leave it pending forever (a daemon that came up meanwhile would
                // have been reported as serving).
                let _ = std::fs::remove_dir_all(run.dir());
                let _ = wave_store::sync_dir(&tree.runs_dir());
                super::secrets::remove(tree, run_id);
                return Err(err);
            }
        }
    } else {
        EnsuredDaemon::NotAsked
    };
    Ok(Submitted {
        run_id,
        state_path: run.state(),
        daemon,
    })
}

/// What [`ensure_daemon`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnsuredDaemon {
    /// `--no-daemon`: nothing checked.
    NotAsked,
    /// A live daemon already serves the lane.
    Serving {
        /// Its pid.
        pid: i32,
    },
    /// A daemon was started and took the lease.
    Started {
        /// Its pid.
        pid: i32,
        /// The stalled holder it superseded, if the lane's lock was held by one.
        superseded: Option<DaemonHealth>,
    },
}

/// How long a freshly started daemon gets to take the lease before `submit` gives up on it.
pub const DAEMON_START_TIMEOUT: Duration = Duration::from_secs(10);

/// Makes sure a live daemon serves the root: nothing to do when one does; otherwise starts
/// `wave supervise` detached (output in `control/supervisor/daemon.log`) and waits until a
/// daemon — it, or one started concurrently — holds a fresh lease. A daemon that dies before
/// serving is an error carrying the end of its log.
///
/// Liveness is the kernel lock's: a crashed daemon's leftover lease record does not count, and
/// a holder that stopped renewing (SIGSTOP, hung) is superseded by the new daemon.
pub fn ensure_daemon(
    tree: &SupervisorPaths,
    who: &Identity,
    repo_root: &Path,
    wave_binary: &Path,
) -> Result<EnsuredDaemon, SupervisorError> {
    let files = LeaseFiles::new(tree.root());
    let before = files.health()?;
    if let DaemonHealth::Serving { pid, .. } = before {
        return Ok(EnsuredDaemon::Serving { pid });
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
    wave_store::refuse_symlink(&log)?;
    // The daemon's output goes there: an unusable log is named as such, not as a spawn error.
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&log)
        .map_err(|source| SupervisorError::Io {
            op: "open the daemon log",
            path: log.clone(),
            source,
        })?;
    let spawned = wave_runtime::spawn_detached_process(&DetachedProcess {
        program: wave_binary,
        args: &args,
        cwd: repo_root,
        env: &[],
        log: Some(&log),
    })?;
    let deadline = Instant::now() + DAEMON_START_TIMEOUT;
    loop {
        if let DaemonHealth::Serving { pid, .. } = files.health()? {
            let superseded = match before {
                DaemonHealth::Stalled { .. } => Some(before),
                _ => None,
            };
            return Ok(if pid == spawned.pid {
                EnsuredDaemon::Started { pid, superseded }
            } else {
                EnsuredDaemon::Serving { pid }
            });
        }
        let alive = wave_runtime::is_alive(spawned.pid, spawned.start_time_ticks.unwrap_or(0));
        if !alive || Instant::now() >= deadline {
            return Err(SupervisorError::DaemonDidNotStart {
                pid: spawned.pid,
                log: log.clone(),
                tail: log_tail(&log),
            });
        }
        let _ = wave_runtime::wait_for_exit(
            spawned.pid,
            spawned.start_time_ticks.unwrap_or(0),
            Instant::now() + Duration::from_millis(5),
        );
    }
}

/// The last non-empty line of a log (for error messages).
fn log_tail(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text[text.len().saturating_sub(4096)..]).into_owned();
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(empty log)")
        .trim()
        .to_string()
}
