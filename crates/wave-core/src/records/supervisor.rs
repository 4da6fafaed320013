//! The supervisor's records: a run's `state.json`, its `events.jsonl` lines, the daemon lease
//! (`daemon.lock`), and the pure rules the daemon applies to them — resume arguments, the
//! active wave, and the reconciliation decision table.
//!
//! Field names and spellings are upstream v0.9.1's (upstream-supervisor §3) so runbooks and
//! tools keep working. Additions are marked: `schemaVersion`, `epoch` (the fencing epoch of the
//! daemon that wrote the state), `launcherStartTicks` (pid-reuse guard) and `daemonLog`.
//!
//! Deliberate differences from upstream (§9): terminal states are sticky (a completed run never
//! becomes failed or vice versa); an unknown wave stays unknown (`null` is not wave 0, W12); a
//! lost launcher is resumed at once even when agents are still live, because the resumed
//! launcher re-attaches to them instead of killing and restarting them (W7).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::vocab::string_enum;

/// `state.json`'s schema version (an addition; upstream has none).
pub const SUPERVISOR_STATE_SCHEMA_VERSION: u32 = 1;

/// Default automatic launcher resumes per run (upstream: 1).
pub const DEFAULT_RESUME_LIMIT: u32 = 2;

string_enum! {
    /// A run's `status`. Anything else reads as `pending`, as upstream.
    RunStatus {
        /// Submitted, not yet claimed.
        Pending => "pending",
        /// A launcher is (or was last seen) working on it.
        Running => "running",
        /// The launcher exited 0.
        Completed => "completed",
        /// The launcher exited non-zero, or was lost with nothing to resume.
        Failed => "failed",
    }
}

impl RunStatus {
    /// `completed` or `failed`.
    pub fn is_terminal(self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Failed)
    }
}

string_enum! {
    /// A run's `terminalDisposition`.
    RunDisposition {
        /// Submitted.
        Pending => "pending",
        /// Running with a live launcher.
        Running => "running",
        /// Done, exit 0.
        Completed => "completed",
        /// Done, non-zero.
        Failed => "failed",
        /// The launcher is gone but agents are live (a resumed launcher re-attaches).
        LauncherLostAgentsRunning => "launcher-lost-agents-running",
        /// Addition: a drain (SIGTERM to the supervisor or launcher) stopped the run's agents
        /// and recorded each one's outcome; the run is not over and resumes on the next start
        /// (`status` stays `running`).
        Interrupted => "interrupted",
        /// The launcher is gone and nothing could be resumed.
        LauncherLostBeforeStatus => "launcher-lost-before-status",
    }
}

string_enum! {
    /// A run's `recoveryState`.
    RecoveryState {
        /// Submitted.
        Pending => "pending",
        /// Fresh start, live launcher, or launcher status present.
        Healthy => "healthy",
        /// The launcher was restarted with resume arguments.
        Resuming => "resuming",
        /// The launcher is gone, agents are live.
        Degraded => "degraded",
        /// The terminal state came from the finalized progress journal.
        RecoveredFromProgress => "recovered-from-progress",
        /// Nothing to recover.
        Failed => "failed",
    }
}

string_enum! {
    /// A run's `resumeAction`.
    ResumeAction {
        /// The launcher was restarted for the current wave.
        ResumeCurrentWave => "resume-current-wave",
        /// Live agents are waited for (and re-attached by the resumed launcher).
        WaitForLiveAgents => "wait-for-live-agents",
    }
}

/// One `agentRuntimeSummary` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentRuntimeSummary {
    /// The agent.
    pub agent_id: String,
    /// First present of executor pid, pid, runner pid.
    pub pid: Option<i32>,
    /// The executor's process group.
    pub pgid: Option<i32>,
    /// The runner.
    pub runner_pid: Option<i32>,
    /// The executor.
    pub executor_pid: Option<i32>,
    /// Last runner heartbeat.
    pub last_heartbeat_at: Option<String>,
    /// The executor's exit code once known.
    pub exit_code: Option<i32>,
    /// `launching`, `running`, `completed`, `failed` or `terminated`.
    pub terminal_disposition: Option<String>,
    /// Always `process` here.
    pub session_backend: String,
    /// Always `log-tail` here.
    pub attach_mode: String,
}

/// `runs/<runId>/state.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupervisorRunState {
    /// Addition: the schema version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// The run id (also the directory name).
    pub run_id: String,
    /// The project.
    pub project: String,
    /// The lane.
    pub lane: String,
    /// The ad-hoc run, if any.
    #[serde(default)]
    pub adhoc_run_id: Option<String>,
    /// Where the run stands.
    #[serde(default = "pending", deserialize_with = "lenient_status")]
    pub status: RunStatus,
    /// Queue order key.
    #[serde(default)]
    pub submitted_at: Option<String>,
    /// Last write.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The launcher's arguments (replaced by the resume arguments on resume).
    #[serde(default)]
    pub launcher_args: Vec<String>,
    /// The launcher's pid.
    #[serde(default)]
    pub launcher_pid: Option<i32>,
    /// Addition: the launcher's start time (`/proc/<pid>/stat` field 22), for pid-reuse checks.
    #[serde(default)]
    pub launcher_start_ticks: Option<u64>,
    /// The launcher's exit code once known.
    #[serde(default)]
    pub exit_code: Option<i64>,
    /// The wave being run.
    #[serde(default)]
    pub active_wave: Option<i64>,
    /// See [`RunDisposition`].
    #[serde(default, deserialize_with = "lenient_opt")]
    pub terminal_disposition: Option<RunDisposition>,
    /// One entry per agent runtime record.
    #[serde(default)]
    pub agent_runtime_summary: Vec<AgentRuntimeSummary>,
    /// Always `process`.
    #[serde(default = "process")]
    pub session_backend: String,
    /// See [`RecoveryState`].
    #[serde(default, deserialize_with = "lenient_opt")]
    pub recovery_state: Option<RecoveryState>,
    /// See [`ResumeAction`].
    #[serde(default, deserialize_with = "lenient_opt")]
    pub resume_action: Option<ResumeAction>,
    /// Automatic launcher restarts so far.
    #[serde(default)]
    pub resume_attempts: u32,
    /// First launcher start.
    #[serde(default)]
    pub started_at: Option<String>,
    /// The daemon that started or last adopted the run.
    #[serde(default)]
    pub supervisor_id: Option<String>,
    /// Informational: the writing daemon's lease expiry.
    #[serde(default)]
    pub lease_expires_at: Option<String>,
    /// Addition: the fencing epoch of the daemon that wrote this state.
    #[serde(default)]
    pub epoch: Option<u64>,
    /// `launcher-status.json`.
    #[serde(default)]
    pub launcher_status_path: Option<String>,
    /// `launcher.log`.
    #[serde(default)]
    pub launcher_log_path: Option<String>,
    /// When the run ended.
    #[serde(default)]
    pub completed_at: Option<String>,
    /// Human-readable explanation of the latest decision (cleared when it no longer applies).
    #[serde(default)]
    pub detail: Option<String>,
    /// Fields written by other tools, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn schema_version() -> u32 {
    SUPERVISOR_STATE_SCHEMA_VERSION
}
fn pending() -> RunStatus {
    RunStatus::Pending
}
fn process() -> String {
    "process".into()
}

fn lenient_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<RunStatus, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(value
        .as_str()
        .and_then(RunStatus::parse_ci)
        .unwrap_or(RunStatus::Pending))
}

fn lenient_opt<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

/// Who is submitting: the fields `wave submit` fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The run id.
    pub run_id: String,
    /// The project.
    pub project: String,
    /// The lane.
    pub lane: String,
    /// The ad-hoc run.
    pub adhoc_run_id: Option<String>,
    /// The launcher arguments, verbatim.
    pub launcher_args: Vec<String>,
    /// Submission time.
    pub submitted_at: String,
}

impl SupervisorRunState {
    /// The initial state `wave submit` writes (to `request.json` and `state.json`).
    pub fn submitted(s: Submission) -> Self {
        let active_wave = initial_active_wave(&s.launcher_args);
        SupervisorRunState {
            schema_version: SUPERVISOR_STATE_SCHEMA_VERSION,
            run_id: s.run_id,
            project: s.project,
            lane: s.lane,
            adhoc_run_id: s.adhoc_run_id,
            status: RunStatus::Pending,
            submitted_at: Some(s.submitted_at.clone()),
            updated_at: Some(s.submitted_at),
            launcher_args: s.launcher_args,
            launcher_pid: None,
            launcher_start_ticks: None,
            exit_code: None,
            active_wave,
            terminal_disposition: Some(RunDisposition::Pending),
            agent_runtime_summary: Vec::new(),
            session_backend: process(),
            recovery_state: Some(RecoveryState::Pending),
            resume_action: None,
            resume_attempts: 0,
            started_at: None,
            supervisor_id: None,
            lease_expires_at: None,
            epoch: None,
            launcher_status_path: None,
            launcher_log_path: None,
            completed_at: None,
            detail: None,
            extra: Map::new(),
        }
    }

    /// Parses `state.json` text; `None` when it is not a JSON object with a `runId`.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        text.push('\n');
        text
    }

    /// True once the run is `completed` or `failed` (sticky).
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// `wave status`'s one-line text.
    pub fn status_line(&self) -> String {
        format!(
            "run_id={} status={} lane={} project={} pid={} exit_code={} terminal_disposition={} recovery_state={} resume_action={}",
            self.run_id,
            self.status,
            self.lane,
            self.project,
            self.launcher_pid.filter(|p| *p != 0).map_or("none".into(), |p| p.to_string()),
            self.exit_code.map_or("n/a".into(), |c| c.to_string()),
            self.terminal_disposition.map_or("unknown", |d| d.as_str()),
            self.recovery_state.map_or("unknown", |d| d.as_str()),
            self.resume_action.map_or("none", |d| d.as_str()),
        )
    }
}

/// `daemon.lock`: the lease record (upstream fields plus `epoch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonLease {
    /// `supervisor-<pid>-<8 hex>`.
    pub supervisor_id: String,
    /// The daemon's pid.
    pub pid: i32,
    /// Project.
    pub project: String,
    /// Lane.
    pub lane: String,
    /// Ad-hoc run.
    #[serde(default)]
    pub adhoc_run_id: Option<String>,
    /// When this daemon took the lease.
    pub acquired_at: String,
    /// Last renewal.
    pub heartbeat_at: String,
    /// Renewal + lease time; past it, another daemon may take the lease over.
    pub lease_expires_at: String,
    /// Addition: the fencing epoch, bumped by every takeover.
    #[serde(default)]
    pub epoch: u64,
    /// Addition: milliseconds since the epoch of `leaseExpiresAt` (exact comparisons).
    #[serde(default)]
    pub lease_expires_ms: u64,
}

/// One `events.jsonl` line: `recordedAt` first, then `type` and the event's fields.
pub fn event_line(recorded_at: &str, kind: &str, fields: Value) -> Value {
    let mut map = Map::new();
    map.insert("recordedAt".into(), Value::String(recorded_at.into()));
    map.insert("type".into(), Value::String(kind.into()));
    if let Value::Object(more) = fields {
        map.extend(more);
    }
    Value::Object(map)
}

/// The value of `--flag V` or `--flag=V` in launcher arguments (the last one wins).
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let mut found = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == flag {
            found = iter.next().map(String::as_str);
        } else if let Some(v) = arg.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            found = Some(v);
        }
    }
    found
}

fn flag_number(args: &[String], flag: &str) -> Option<i64> {
    flag_value(args, flag).and_then(|v| v.trim().parse().ok())
}

/// `activeWave` at submit: `--start-wave` (upstream consults `--end-wave` only when equal).
pub fn initial_active_wave(args: &[String]) -> Option<i64> {
    if args.iter().any(|a| a == "--auto-next") {
        return None;
    }
    Some(flag_number(args, "--start-wave").unwrap_or(0))
}

/// Upstream §4.9: the active wave of a running/failed run, or of a completed one.
pub fn active_wave(
    state: &SupervisorRunState,
    journal_wave: Option<i64>,
    completed: bool,
) -> Option<i64> {
    if let Some(w) = journal_wave {
        return Some(w);
    }
    let args = &state.launcher_args;
    let auto_next = args.iter().any(|a| a == "--auto-next");
    if completed && !auto_next {
        if let Some(end) = flag_number(args, "--end-wave") {
            return Some(end);
        }
    }
    state
        .active_wave
        .or_else(|| flag_number(args, "--start-wave"))
}

/// Upstream §4.5: the arguments of a resumed launcher — the original arguments without
/// `--start-wave`, `--end-wave`, `--auto-next` and `--resume-control-state`, then either
/// `--auto-next [--end-wave E]` or `--start-wave W [--end-wave E]`, then
/// `--resume-control-state`. `None` when the wave is past the range. Unlike upstream an unknown
/// wave is not wave 0 (W12): the original range is kept.
pub fn resume_args(original: &[String], wave: Option<i64>) -> Option<Vec<String>> {
    let auto_next = original.iter().any(|a| a == "--auto-next");
    let start = flag_number(original, "--start-wave");
    let end = flag_number(original, "--end-wave");
    if let (Some(w), Some(e)) = (wave, end) {
        if e < w {
            return None;
        }
    }
    let mut out = Vec::with_capacity(original.len() + 4);
    let mut iter = original.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--start-wave" | "--end-wave" => {
                iter.next();
            }
            "--auto-next" | "--resume-control-state" => {}
            a if a.starts_with("--start-wave=") || a.starts_with("--end-wave=") => {}
            _ => out.push(arg.clone()),
        }
    }
    if auto_next {
        out.push("--auto-next".into());
    } else if let Some(w) = wave.or(start) {
        out.push("--start-wave".into());
        out.push(w.to_string());
    }
    if let Some(e) = end {
        out.push("--end-wave".into());
        out.push(e.to_string());
    }
    out.push("--resume-control-state".into());
    Some(out)
}

/// What the daemon knows about a running run when it reconciles it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileFacts {
    /// `launcher-status.json`'s exit code, when the file parses (`Some(None)`: no integer).
    pub launcher_status: Option<Option<i64>>,
    /// The launcher process is alive (pid and start time match).
    pub launcher_alive: bool,
    /// The journal is finalized: its disposition is `completed` (true) or `failed` (false), and
    /// its exit code.
    pub journal_final: Option<(bool, Option<i64>)>,
    /// Agents whose runtime records show live work.
    pub live_agents: Vec<String>,
    /// Resume arguments could be built.
    pub resume_args: Option<Vec<String>>,
    /// Resumes left.
    pub resumes_left: bool,
}

/// The daemon's decision for a `running` run (upstream §4.4 with one writer, sticky outcomes,
/// and adoption instead of waiting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The launcher wrote its status: the run ends with this code.
    Finish {
        /// Exit code (`None`: the file had none; the run fails).
        exit_code: Option<i64>,
        /// Taken from the finalized journal rather than the launcher status.
        from_journal: bool,
    },
    /// The launcher is alive: keep running.
    KeepRunning,
    /// The launcher is gone: start a resumed launcher with these arguments; it re-attaches to
    /// the listed live agents.
    Resume {
        /// The resumed launcher's arguments.
        args: Vec<String>,
        /// Agents still live (re-attached, not restarted).
        live_agents: Vec<String>,
    },
    /// The launcher is gone, agents are live, and no resume is left: wait for them.
    WaitForLiveAgents {
        /// Agents still live.
        live_agents: Vec<String>,
    },
    /// The launcher is gone and nothing can be resumed.
    Lost,
}

/// The decision table.
pub fn decide(facts: &ReconcileFacts) -> Decision {
    if let Some(code) = facts.launcher_status {
        return Decision::Finish {
            exit_code: code,
            from_journal: false,
        };
    }
    if facts.launcher_alive {
        return Decision::KeepRunning;
    }
    if let Some((completed, code)) = facts.journal_final {
        return Decision::Finish {
            exit_code: code.or(if completed { Some(0) } else { None }),
            from_journal: true,
        };
    }
    if facts.resumes_left {
        if let Some(args) = &facts.resume_args {
            return Decision::Resume {
                args: args.clone(),
                live_agents: facts.live_agents.clone(),
            };
        }
    }
    if !facts.live_agents.is_empty() {
        return Decision::WaitForLiveAgents {
            live_agents: facts.live_agents.clone(),
        };
    }
    Decision::Lost
}

#[cfg(test)]
#[path = "tests_supervisor.rs"]
mod tests;
