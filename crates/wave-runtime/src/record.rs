//! The runtime record (`*.runtime.json`) and the status file (`*.status`) of one agent run.
//!
//! One writer per file: the launcher writes the initial `launching` record
//! ([`RuntimeRecord::launching`]) *before* it spawns the runner and never again; from then on
//! only the runner writes the record (upstream's launcher rewrote it after spawning, racing the
//! runner). The status file is written once, atomically and last: its presence means "the agent
//! finished", so every other file (log line, final record) is complete when it appears.
//!
//! Field names follow upstream v0.9.1 (`lastHeartbeatAt`, `terminalDisposition`, …); the start
//! times (`runnerStartTicks`, `executorStartTicks`) and `sid` are additions that let a reader
//! tell a live runner from a process reusing its pid.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wave_core::ids::{AgentId, LaneId, RunId, WaveNumber};

use crate::error::RunnerError;
use crate::payload::RunnerPayload;

/// Where a run stands (upstream's `terminalDisposition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TerminalDisposition {
    /// Written by the launcher before the runner starts, and by the runner before the executor.
    Launching,
    /// The executor is running.
    Running,
    /// The executor exited 0.
    Completed,
    /// The executor exited non-zero or died of a signal nobody asked for, or the runner failed.
    Failed,
    /// The executor was stopped on request (signal to the runner, `terminate`, or timeout).
    Terminated,
}

impl TerminalDisposition {
    /// True for `completed`, `failed` and `terminated`.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Terminated)
    }
}

/// The runtime record (camelCase JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeRecord {
    /// The supervisor run, if any.
    pub run_id: Option<RunId>,
    /// The lane.
    pub lane: Option<LaneId>,
    /// The wave.
    pub wave_number: Option<WaveNumber>,
    /// The wave attempt.
    pub attempt: u32,
    /// The agent.
    pub agent_id: Option<AgentId>,
    /// Display name (upstream `sessionName`).
    pub session_name: Option<String>,
    /// Always null (no tmux sessions for agents).
    pub tmux_session_name: Option<String>,
    /// Always `process`.
    pub session_backend: String,
    /// Always `log-tail`.
    pub attach_mode: String,
    /// The runner's pid.
    pub runner_pid: Option<i32>,
    /// The runner's start time (`/proc/<pid>/stat` field 22), for pid-reuse checks.
    #[serde(default)]
    pub runner_start_ticks: Option<u64>,
    /// The runner's session id; the executor's process group lives in this session.
    #[serde(default)]
    pub sid: Option<i32>,
    /// The executor's pid (leader of its own process group).
    pub executor_pid: Option<i32>,
    /// The executor's start time, for pid-reuse checks.
    #[serde(default)]
    pub executor_start_ticks: Option<u64>,
    /// Same as `executorPid` (upstream keeps both).
    pub pid: Option<i32>,
    /// The executor's process group id (= `executorPid`).
    pub pgid: Option<i32>,
    /// When the record was first written (ISO-8601, UTC, milliseconds).
    pub started_at: String,
    /// The last heartbeat.
    pub last_heartbeat_at: String,
    /// When the executor's end was recorded.
    #[serde(default)]
    pub completed_at: Option<String>,
    /// Absolute status file.
    pub status_path: PathBuf,
    /// Absolute log file.
    pub log_path: PathBuf,
    /// The executor's exit code (128 + N for signal N).
    pub exit_code: Option<i32>,
    /// `completed`, `failed`, a lower-case signal name (`sigterm`), `timeout`, or an error.
    pub exit_reason: Option<String>,
    /// Where the run stands.
    pub terminal_disposition: TerminalDisposition,
}

impl RuntimeRecord {
    /// The record the launcher writes before spawning the runner: `launching`, no pids.
    pub fn launching(payload: &RunnerPayload, now: &str) -> Self {
        RuntimeRecord {
            run_id: payload.run_id,
            lane: Some(payload.lane.clone()),
            wave_number: Some(payload.wave_number),
            attempt: payload.attempt,
            agent_id: Some(payload.agent_id.clone()),
            session_name: payload.session_name.clone(),
            tmux_session_name: None,
            session_backend: "process".into(),
            attach_mode: "log-tail".into(),
            runner_pid: None,
            runner_start_ticks: None,
            sid: None,
            executor_pid: None,
            executor_start_ticks: None,
            pid: None,
            pgid: None,
            started_at: now.into(),
            last_heartbeat_at: now.into(),
            completed_at: None,
            status_path: payload.status_path.clone(),
            log_path: payload.log_path.clone(),
            exit_code: None,
            exit_reason: None,
            terminal_disposition: TerminalDisposition::Launching,
        }
    }
}

impl RuntimeRecord {
    /// True when the recorded runner is still that process (pid and start time match); false
    /// for records without a start time (e.g. written by upstream).
    pub fn runner_is_alive(&self) -> bool {
        match (self.runner_pid, self.runner_start_ticks) {
            (Some(pid), Some(ticks)) => crate::procfs::is_alive(pid, ticks),
            _ => false,
        }
    }
}

/// The exit-code side file of an agent (`<status>.exit`): the agent script writes the
/// executor's exit code there before exiting (`WAVE_AGENT_EXIT_FILE`), so an agent whose runner
/// died can still be finished by whoever adopts it.
pub fn exit_file_for(status_path: &Path) -> PathBuf {
    let mut name = status_path.as_os_str().to_owned();
    name.push(".exit");
    PathBuf::from(name)
}

/// Reads an exit-code side file; `None` when missing or not an integer.
pub fn read_exit_file(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Reads a runtime record; `Ok(None)` when the file does not exist.
pub fn read_runtime_record(path: &Path) -> Result<Option<RuntimeRecord>, RunnerError> {
    Ok(wave_store::read_json_if_exists(path)?)
}

/// The status file: `{code, promptHash, orchestratorId, attempt, completedAt}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRecord {
    /// The executor's real exit code; 128 + N when it died of signal N.
    pub code: i32,
    /// The prompt fingerprint the agent ran with.
    #[serde(default)]
    pub prompt_hash: Option<String>,
    /// The orchestrator id.
    #[serde(default)]
    pub orchestrator_id: Option<String>,
    /// The wave attempt (1 when a legacy file does not say).
    #[serde(default = "one")]
    pub attempt: u32,
    /// When the agent finished (empty in legacy files).
    #[serde(default)]
    pub completed_at: String,
}

fn one() -> u32 {
    1
}

/// Parses status-file text as upstream's readers do: the JSON object, or a legacy bare integer.
/// Empty or unparseable text, or a non-integer `code`, is "no status" (`None`).
pub fn parse_status(text: &str) -> Option<StatusRecord> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    if let Ok(code) = trimmed.parse::<i32>() {
        return Some(StatusRecord {
            code,
            prompt_hash: None,
            orchestrator_id: None,
            attempt: 1,
            completed_at: String::new(),
        });
    }
    serde_json::from_str(trimmed).ok()
}

/// Reads the status file at `path`; `Ok(None)` when it is missing or holds no valid status.
pub fn read_status_if_present(path: &Path) -> Result<Option<StatusRecord>, RunnerError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(parse_status(&text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(RunnerError::io("read status file", path, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_accepts_json_and_legacy_integers_only() {
        let s = parse_status(
            r#"{"code":3,"promptHash":"h","orchestratorId":null,"attempt":2,"completedAt":"t"}"#,
        )
        .unwrap();
        assert_eq!(
            (s.code, s.attempt, s.prompt_hash.as_deref()),
            (3, 2, Some("h"))
        );
        assert_eq!(parse_status(" 137\n").unwrap().code, 137);
        assert_eq!(parse_status(""), None);
        assert_eq!(parse_status("{\"code\":\"3\"}"), None);
        assert_eq!(parse_status("{\"code\":"), None);
    }

    #[test]
    fn disposition_serialises_lower_case() {
        assert_eq!(
            serde_json::to_string(&TerminalDisposition::Terminated).unwrap(),
            "\"terminated\""
        );
        assert!(!TerminalDisposition::Running.is_terminal());
        assert!(TerminalDisposition::Failed.is_terminal());
    }

    #[test]
    fn missing_status_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_status_if_present(&dir.path().join("x")).unwrap(), None);
        assert_eq!(read_runtime_record(&dir.path().join("y")).unwrap(), None);
    }
}
