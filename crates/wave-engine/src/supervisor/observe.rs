//! The read side: `wave status`, `wave wait`, `wave attach`. Nothing here writes.
//!
//! Upstream's readers reconcile and rewrite `state.json` (racing the daemon, W3). Here only the
//! daemon writes; a reader *derives* instead: when the state is not terminal yet but the
//! launcher's `launcher-status.json` is there, the view reports the outcome it implies and says
//! so (`derivedFrom: launcher-status`). It also reports the daemon's health from the lease, so
//! a run whose daemon is gone is visible as such (W9).
//!
//! Waiting is event-driven (W11): inotify on the run directory wakes `wait` within milliseconds
//! of the daemon's atomic state write; a 1 s re-read is the fallback where inotify is missing.
//! `attach` follows an agent's log the same way and returns once the agent has ended.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use serde_json::{json, Value};
use wave_core::ids::{AgentId, RunId};
use wave_core::paths::{RunPaths, SupervisorPaths};
use wave_core::records::supervisor::{RunDisposition, RunStatus, SupervisorRunState};
use wave_runtime::RuntimeRecord;

use super::lease::{now_ms, DaemonHealth, LeaseFiles};
use super::SupervisorError;

/// Characters of a finished agent's log `attach` prints (upstream's figure).
pub const TERMINAL_TAIL_CHARS: usize = 12_000;
/// Lines of a live agent's log `attach` prints before following.
pub const LIVE_TAIL_LINES: usize = 200;

/// A run as a reader sees it.
#[derive(Debug, Clone)]
pub struct RunView {
    /// The state (with a derived outcome applied, if any).
    pub state: SupervisorRunState,
    /// `launcher-status` when the outcome was derived from the launcher's status file.
    pub derived_from: Option<&'static str>,
    /// The lease record's view of the daemon, if there is one.
    pub daemon: Option<Value>,
}

impl RunView {
    /// The `--json` document: the state, plus `daemon` and (if derived) `derivedFrom`.
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(&self.state).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("daemon".into(), self.daemon.clone().unwrap_or(Value::Null));
            if let Some(from) = self.derived_from {
                map.insert("derivedFrom".into(), Value::String(from.into()));
            }
        }
        value
    }
}

/// Reads run `run_id` of `tree` (never writes).
pub fn read_run(tree: &SupervisorPaths, run_id: RunId) -> Result<RunView, SupervisorError> {
    let paths = tree.run(run_id);
    let text = match std::fs::read_to_string(paths.state()) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SupervisorError::RunNotFound {
                run_id: run_id.to_string(),
            })
        }
        Err(source) => {
            return Err(SupervisorError::Io {
                op: "read",
                path: paths.state(),
                source,
            })
        }
    };
    let state = SupervisorRunState::parse(&text).ok_or_else(|| SupervisorError::Corrupt {
        path: paths.state(),
    })?;
    Ok(view_of(tree, &paths, state))
}

/// The reader's view of a parsed state: the launcher's own status applied when the daemon has
/// not recorded the end yet.
fn view_of(tree: &SupervisorPaths, paths: &RunPaths, mut state: SupervisorRunState) -> RunView {
    let mut derived_from = None;
    if !state.is_terminal() {
        // Exit 32 (another launcher held the lane) is not an end: the daemon requeues the run.
        let requeued =
            |code: &Option<i64>| *code == Some(i64::from(wave_core::gates::EXIT_LOCK_HELD));
        if let Some(code) = launcher_exit(paths).filter(|c| !requeued(c)) {
            let completed = code == Some(0);
            state.status = if completed {
                RunStatus::Completed
            } else {
                RunStatus::Failed
            };
            state.terminal_disposition = Some(if completed {
                RunDisposition::Completed
            } else {
                RunDisposition::Failed
            });
            state.exit_code = code;
            if state.completed_at.is_none() {
                state.completed_at = launcher_completed_at(paths);
            }
            derived_from = Some("launcher-status");
        }
    }
    RunView {
        state,
        derived_from,
        daemon: daemon_health(tree),
    }
}

/// Every readable run of the lane, oldest first (unreadable entries are skipped, as the daemon
/// skips them).
pub fn list_runs(tree: &SupervisorPaths) -> Vec<RunView> {
    let (runs, _) = super::tree::scan(tree);
    let mut views: Vec<RunView> = runs
        .into_iter()
        .map(|r| view_of(tree, &r.paths, r.state))
        .collect();
    views.sort_by(|a, b| {
        (a.state.submitted_at.as_deref(), a.state.run_id.as_str())
            .cmp(&(b.state.submitted_at.as_deref(), b.state.run_id.as_str()))
    });
    views
}

/// One run's entry in `wave runs --json` (and `wave control status`): the `state.json` fields
/// an operator needs to find and judge a run.
pub fn run_summary(view: &RunView) -> Value {
    let s = &view.state;
    json!({
        "runId": s.run_id,
        "status": s.status.as_str(),
        "terminalDisposition": s.terminal_disposition.map(|d| d.as_str()),
        "submittedAt": s.submitted_at,
        "startedAt": s.started_at,
        "completedAt": s.completed_at,
        "exitCode": s.exit_code,
        "activeWave": s.active_wave,
        "launcherArgs": s.launcher_args,
        "derivedFrom": view.derived_from,
    })
}

fn launcher_completed_at(paths: &RunPaths) -> Option<String> {
    let text = std::fs::read_to_string(paths.launcher_status()).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value["completedAt"].as_str().map(str::to_owned)
}

fn launcher_exit(paths: &RunPaths) -> Option<Option<i64>> {
    let text = std::fs::read_to_string(paths.launcher_status()).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    Some(value.as_object()?.get("exitCode").and_then(Value::as_i64))
}

fn daemon_health(tree: &SupervisorPaths) -> Option<Value> {
    let lease = LeaseFiles::new(tree.root()).read()?;
    let pid_alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(lease.pid), None).is_ok();
    Some(json!({
        "supervisorId": lease.supervisor_id,
        "pid": lease.pid,
        "epoch": lease.epoch,
        "leaseExpiresAt": lease.lease_expires_at,
        "alive": pid_alive && lease.lease_expires_ms > now_ms(),
    }))
}

/// How [`wait_terminal`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEnd {
    /// The run is terminal.
    Terminal,
    /// The timeout passed with the run still going.
    TimedOut,
    /// No daemon serves the lane (twice in a row, a fallback tick apart) and the caller chose
    /// not to keep waiting.
    NoDaemon(DaemonHealth),
}

/// Waits until the run is terminal or `timeout` passes; returns the last view and how the wait
/// ended. A zero timeout reads once. Never touches the run.
///
/// Every fallback tick (1 s) of a run that is not terminal, the daemon's health is checked by
/// its kernel lock; when no daemon serves the lane on two ticks in a row, `on_no_daemon` is
/// asked whether to keep waiting (it may start a daemon and say yes).
pub fn wait_terminal(
    tree: &SupervisorPaths,
    run_id: RunId,
    timeout: Duration,
    mut on_no_daemon: impl FnMut(DaemonHealth) -> bool,
) -> Result<(RunView, WaitEnd), SupervisorError> {
    let deadline = Instant::now()
        .checked_add(timeout)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(u32::MAX.into()));
    let dir = tree.run(run_id).dir().to_path_buf();
    let watch = watcher(&[(
        &dir,
        AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_CREATE,
    )]);
    let files = LeaseFiles::new(tree.root());
    let mut next_health_check = Instant::now() + HEALTH_TICK;
    let mut unserved_ticks = 0;
    loop {
        let view = read_run(tree, run_id)?;
        if view.state.is_terminal() {
            return Ok((view, WaitEnd::Terminal));
        }
        let now = Instant::now();
        let left = deadline.saturating_duration_since(now);
        if left.is_zero() {
            return Ok((view, WaitEnd::TimedOut));
        }
        if now >= next_health_check {
            next_health_check = now + HEALTH_TICK;
            match files.health() {
                Ok(DaemonHealth::Serving { .. }) => unserved_ticks = 0,
                Ok(health) => {
                    unserved_ticks += 1;
                    if unserved_ticks >= 2 {
                        unserved_ticks = 0;
                        if !on_no_daemon(health) {
                            return Ok((view, WaitEnd::NoDaemon(health)));
                        }
                    }
                }
                Err(_) => {}
            }
        }
        let until_check = next_health_check.saturating_duration_since(Instant::now());
        pause(
            watch.as_ref(),
            left.min(until_check).max(Duration::from_millis(1)),
        );
    }
}

/// How often a waiter checks that a daemon still serves the lane.
pub const HEALTH_TICK: Duration = Duration::from_secs(1);

fn watcher(targets: &[(&Path, AddWatchFlags)]) -> Option<Inotify> {
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).ok()?;
    for (path, flags) in targets {
        inotify.add_watch(*path, *flags).ok()?;
    }
    Some(inotify)
}

/// Sleeps until the watcher fires or `max` passes (plain sleep without a watcher), draining the
/// events it read. Shared by the readers here and `wave k8s wait-wave`.
pub(crate) fn pause(watch: Option<&Inotify>, max: Duration) {
    match watch {
        Some(inotify) => {
            let ms = u16::try_from(max.as_millis()).unwrap_or(u16::MAX);
            let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
            let _ = poll(&mut fds, PollTimeout::from(ms));
            while let Ok(events) = inotify.read_events() {
                if events.is_empty() {
                    break;
                }
            }
        }
        None => std::thread::sleep(max),
    }
}

/// An agent's runtime record in run `run_id`.
pub fn agent_record(
    tree: &SupervisorPaths,
    run_id: RunId,
    agent: &AgentId,
) -> Result<RuntimeRecord, SupervisorError> {
    let run = tree.run(run_id);
    if !run.state().exists() {
        return Err(SupervisorError::RunNotFound {
            run_id: run_id.to_string(),
        });
    }
    match wave_runtime::read_runtime_record(&run.agent_runtime(agent)) {
        Ok(Some(record)) => Ok(record),
        _ => Err(SupervisorError::NoRuntimeRecord {
            agent: agent.to_string(),
        }),
    }
}

fn agent_ended(record_path: &Path, status_path: &Path) -> bool {
    if wave_runtime::read_status_if_present(status_path)
        .ok()
        .flatten()
        .is_some()
    {
        return true;
    }
    match wave_runtime::read_runtime_record(record_path)
        .ok()
        .flatten()
    {
        // Not the record's disposition: the runner writes it before its final log line and
        // the status file last, so only the status (or nothing left alive) means the log is
        // complete.
        Some(r) => !r.runner_is_alive() && !wave_runtime::executor_is_alive(&r),
        None => true,
    }
}

/// `wave attach --agent`: the log's last [`TERMINAL_TAIL_CHARS`] characters when the agent has
/// ended; otherwise its last [`LIVE_TAIL_LINES`] lines, then everything appended until the
/// agent ends.
pub fn attach_agent(
    tree: &SupervisorPaths,
    run_id: RunId,
    agent: &AgentId,
    out: &mut dyn Write,
) -> Result<(), SupervisorError> {
    let record = agent_record(tree, run_id, agent)?;
    let record_path = tree.run(run_id).agent_runtime(agent);
    let log = record.log_path.clone();
    // A runtime record is a file anyone with write access to the state could edit: only logs
    // of this lane's log directory are ever printed.
    let logs_dir = tree
        .root()
        .parent()
        .and_then(Path::parent)
        .map(|state| state.join("logs"));
    let inside = match (
        logs_dir.and_then(|d| d.canonicalize().ok()),
        log.canonicalize(),
    ) {
        (Some(dir), Ok(file)) => file.starts_with(dir),
        // Not written yet: judge the path as recorded.
        (Some(dir), Err(_)) => log.parent().and_then(|p| p.canonicalize().ok()) == Some(dir),
        _ => false,
    };
    if !inside {
        return Err(SupervisorError::LogOutsideLane { path: log });
    }
    let io = |source, path: &PathBuf| SupervisorError::Io {
        op: "follow",
        path: path.clone(),
        source,
    };
    if agent_ended(&record_path, &record.status_path) {
        let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap_or_default()).into_owned();
        let tail: String = {
            let chars: Vec<char> = text.chars().collect();
            chars[chars.len().saturating_sub(TERMINAL_TAIL_CHARS)..]
                .iter()
                .collect()
        };
        out.write_all(tail.as_bytes()).map_err(|e| io(e, &log))?;
        if !tail.is_empty() && !tail.ends_with('\n') {
            out.write_all(b"\n").map_err(|e| io(e, &log))?;
        }
        return Ok(());
    }
    let bytes = std::fs::read(&log).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines.len().saturating_sub(LIVE_TAIL_LINES);
    out.write_all(lines[start..].concat().as_bytes())
        .map_err(|e| io(e, &log))?;
    let mut offset = bytes.len() as u64;
    let status_dir = record
        .status_path
        .parent()
        .unwrap_or(Path::new("/"))
        .to_path_buf();
    let log_dir = log.parent().unwrap_or(Path::new("/")).to_path_buf();
    let watch = watcher(&[
        (
            &log_dir,
            AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_CREATE,
        ),
        (
            &status_dir,
            AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CREATE,
        ),
    ]);
    loop {
        let ended = agent_ended(&record_path, &record.status_path);
        if let Ok(mut file) = std::fs::File::open(&log) {
            if file.seek(SeekFrom::Start(offset)).is_ok() {
                let mut more = Vec::new();
                if file.read_to_end(&mut more).is_ok() && !more.is_empty() {
                    offset += more.len() as u64;
                    out.write_all(&more).map_err(|e| io(e, &log))?;
                    out.flush().map_err(|e| io(e, &log))?;
                }
            }
        }
        if ended {
            return Ok(());
        }
        pause(watch.as_ref(), Duration::from_millis(250));
    }
}

/// `wave attach --dashboard`: a plain-text rendering of the run (no tmux).
pub fn dashboard(tree: &SupervisorPaths, run_id: RunId) -> Result<String, SupervisorError> {
    let view = read_run(tree, run_id)?;
    let run = tree.run(run_id);
    let s = &view.state;
    let mut text = format!("{}\n", s.status_line());
    let daemon = match &view.daemon {
        Some(d) => format!(
            "daemon: {} pid={} {} (lease until {})",
            d["supervisorId"].as_str().unwrap_or("?"),
            d["pid"],
            if d["alive"] == true { "alive" } else { "gone" },
            d["leaseExpiresAt"].as_str().unwrap_or("?")
        ),
        None => "daemon: none".into(),
    };
    text.push_str(&daemon);
    text.push('\n');
    if let Ok(journal) = std::fs::read_to_string(run.launcher_progress()) {
        let j: Value = serde_json::from_str(&journal).unwrap_or(Value::Null);
        text.push_str(&format!(
            "launcher: phase={} wave={} attempt={} completed=[{}]\n",
            j["phase"].as_str().unwrap_or("-"),
            j["waveNumber"],
            j["attemptNumber"],
            j["completedAgentIds"]
                .as_array()
                .map(|a| a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        ));
    }
    if let Some(detail) = &s.detail {
        text.push_str(&format!("detail: {detail}\n"));
    }
    text.push_str("agents:\n");
    let mut any = false;
    if let Ok(entries) = std::fs::read_dir(run.agents_dir()) {
        let mut names: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        names.sort();
        for path in names {
            let Ok(Some(r)) = wave_runtime::read_runtime_record(&path) else {
                continue;
            };
            any = true;
            let id = r.agent_id.as_ref().map_or("?".into(), |a| a.to_string());
            let disposition = serde_json::to_value(r.terminal_disposition)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            text.push_str(&format!(
                "  {id:<6} {disposition:<11} attempt={} pid={} exit={} heartbeat={}\n",
                r.attempt,
                r.executor_pid.map_or("-".into(), |p| p.to_string()),
                r.exit_code.map_or("-".into(), |c| c.to_string()),
                r.last_heartbeat_at
            ));
        }
    }
    if !any {
        text.push_str("  (none yet)\n");
    }
    Ok(text)
}
