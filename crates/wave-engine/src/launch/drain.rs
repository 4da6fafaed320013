//! The launcher's graceful drain: what happens to a wave's running agents when the launcher
//! is asked to stop (SIGTERM/SIGINT/SIGHUP through [`wave_runtime::init`]).
//!
//! Nothing new starts; every running agent's runner gets SIGTERM (it stops its executor's
//! process group and records the signal exit code as the agent's status, as it does for a
//! timeout); the launcher waits for them up to the drain budget, then kills what is left
//! (runner and group) and waits briefly for their watchers. Every agent's outcome is then
//! recorded in the control plane, and the launch ends with [`LaunchError::Interrupted`]: the
//! wave is not decided, so `run-state.json` is untouched and the supervisor resumes the run on
//! its next start, re-running only the interrupted agents.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use wave_core::records::control_plane::AgentRunFinish;

use super::records::WaveLog;
use super::{LaunchError, Running};
use crate::prepare::PreparedAgent;

/// The message a stop hook sends on a wave's completion channel to wake its loop.
pub(super) const STOP_TOKEN: &str = "\u{0}stop";

/// The default drain budget: below Docker's 10 s stop timeout.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(8);

/// How long to wait, after killing stragglers, for their watchers to report.
const AFTER_KILL: Duration = Duration::from_secs(2);

/// One agent's recorded outcome after a drain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrainedAgent {
    /// The agent id.
    pub agent_id: String,
    /// Its exit code (`None` when nothing recorded one).
    pub exit_code: Option<i32>,
    /// Whether the drain stopped it (false: it ended on its own during the drain).
    pub interrupted: bool,
}

/// Stops the running agents and records their outcomes (see the module docs).
pub(super) fn drain(
    running: &mut HashMap<String, Running>,
    prepared: &[PreparedAgent],
    rx: &mpsc::Receiver<String>,
    budget: Duration,
    log: &mut WaveLog,
    container: Option<&std::sync::Arc<super::container::ContainerBackend>>,
) -> Result<Vec<DrainedAgent>, LaunchError> {
    let started = Instant::now();
    let mut signalled: Vec<String> = Vec::new();
    if let Some(backend) = container {
        // Container agents: `docker stop` each (in parallel); their watchers record them.
        for (id, run) in running.iter() {
            let overlay = &prepared[run.prepared_index].overlay_dir;
            if let Ok(payload) = wave_runtime::read_payload(&overlay.join("runner-payload.json")) {
                let backend = backend.clone();
                std::thread::spawn(move || backend.stop(&payload));
                signalled.push(id.clone());
            }
        }
    }
    for (id, run) in running.iter().filter(|_| container.is_none()) {
        let Ok(Some(record)) =
            wave_runtime::read_runtime_record(&prepared[run.prepared_index].files.runtime)
        else {
            continue;
        };
        let runner_alive = record.runner_is_alive();
        // Never 0 or 1: kill(0) is our own group, killpg(1) is every process.
        if runner_alive {
            if let Some(pid) = record.runner_pid.filter(|&p| p > 1) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
        } else if wave_runtime::executor_is_alive(&record) {
            if let Some(pgid) = record.pgid.filter(|&p| p > 1) {
                let _ = nix::sys::signal::killpg(Pid::from_raw(pgid), Signal::SIGTERM);
            }
        }
        signalled.push(id.clone());
    }
    let mut finished: Vec<(String, Running)> = Vec::new();
    let deadline = started + budget;
    let mut killed = false;
    while !running.is_empty() {
        let now = Instant::now();
        if now >= deadline && !killed {
            for run in running.values() {
                if let Ok(Some(record)) =
                    wave_runtime::read_runtime_record(&prepared[run.prepared_index].files.runtime)
                {
                    let _ = wave_runtime::terminate(&record, Duration::from_millis(100));
                }
            }
            killed = true;
        }
        let limit = if killed {
            deadline + AFTER_KILL
        } else {
            deadline
        };
        match rx.recv_timeout(limit.saturating_duration_since(Instant::now())) {
            Ok(id) if id == STOP_TOKEN => {}
            Ok(id) => {
                if let Some(run) = running.remove(&id) {
                    finished.push((id, run));
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) if killed => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Whatever never reported is recorded without a code.
    finished.extend(running.drain());
    let mut out = Vec::new();
    for (id, run) in finished {
        let agent = &prepared[run.prepared_index];
        let status = wave_runtime::read_status_if_present(&agent.files.status)
            .ok()
            .flatten();
        let exit_code = status.as_ref().map(|s| s.code);
        let record = wave_runtime::read_runtime_record(&agent.files.runtime)
            .ok()
            .flatten();
        let interrupted = record.as_ref().is_some_and(was_stopped_by_signal)
            || (signalled.contains(&id) && exit_code.is_none_or(|c| c > 128));
        log.agent_finished(
            run.attempt,
            agent,
            &AgentRunFinish {
                exit_code: exit_code.map(i64::from),
                completed_at: None,
                prompt_hash: None,
                failure_code: interrupted.then(|| "interrupted".to_string()),
                failure_detail: interrupted
                    .then(|| "stopped by the launcher's drain; runs again on resume".to_string()),
            },
        )?;
        out.push(DrainedAgent {
            agent_id: id,
            exit_code,
            interrupted,
        });
    }
    out.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
    Ok(out)
}

/// Whether a runtime record says its agent was stopped by a signal sent to its runner (a
/// drain), as opposed to finishing, failing or timing out: such an agent runs again on resume.
pub fn was_stopped_by_signal(record: &wave_runtime::RuntimeRecord) -> bool {
    record.terminal_disposition == wave_runtime::TerminalDisposition::Terminated
        && record
            .exit_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("sig"))
}
