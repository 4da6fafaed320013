//! The runner payload: everything a detached runner needs, written by the launcher to
//! `executors/wave-<n>/<slug>/runner-payload.json` before it spawns the runner.
//!
//! Secrets never enter this file (fix for upstream defect 7, which wrote leased credentials into
//! the payload in plain text). The runner inherits its environment from the process that
//! spawned it, and the executor inherits the runner's; the payload only *names* the variables
//! the agent needs (`passEnv`) so the runner can report a missing one. Plain `env` entries are
//! for non-secret settings (`OPENCODE_CONFIG`, …); [`RunnerPayload::validate`] refuses names that
//! look like credentials there. The file is also created with mode `0600`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wave_core::ids::{AgentId, LaneId, RunId, WaveNumber};

use crate::error::RunnerError;

/// Payload format version written by this crate.
pub const PAYLOAD_SCHEMA_VERSION: u32 = 1;

/// Upstream's runtime heartbeat interval (`AGENT_RUNTIME_HEARTBEAT_INTERVAL_MS`).
pub const DEFAULT_HEARTBEAT_MS: u64 = 10_000;

/// Upstream's termination grace period (`terminateAgentProcessRuntime` `graceMs`).
pub const DEFAULT_GRACE_MS: u64 = 1_000;

/// What the runner executes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExecCommand {
    /// A script run as `bash -c <script>` (upstream runs `bash -lc`; a login shell is not used
    /// here so the container's profile cannot change the agent's environment or output).
    Shell(String),
    /// A program and its arguments, executed directly (`argv[0]` is looked up in `PATH`).
    Argv(Vec<String>),
}

/// The runner payload (camelCase JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunnerPayload {
    /// [`PAYLOAD_SCHEMA_VERSION`].
    #[serde(default = "default_schema")]
    pub schema_version: u32,
    /// The supervisor run, when the launcher runs for one.
    #[serde(default)]
    pub run_id: Option<RunId>,
    /// The lane; names the log line `[<lane>-wave-launcher] …`.
    pub lane: LaneId,
    /// The wave (0 stays 0, unlike upstream's `Number(x) || null`).
    pub wave_number: WaveNumber,
    /// The wave attempt, from 1.
    pub attempt: u32,
    /// The agent.
    pub agent_id: AgentId,
    /// A display name for the log line; defaults to the agent id.
    #[serde(default)]
    pub session_name: Option<String>,
    /// The executor (`codex`, `claude`, `opencode`, `local`); exported as `WAVE_EXECUTOR_MODE`.
    pub executor_id: String,
    /// The prompt fingerprint, copied into the status file.
    #[serde(default)]
    pub prompt_hash: Option<String>,
    /// The orchestrator id, copied into the status file and exported as `WAVE_ORCHESTRATOR_ID`.
    #[serde(default)]
    pub orchestrator_id: Option<String>,
    /// Absolute working directory of the executor.
    pub repo_root: PathBuf,
    /// What to run.
    pub command: ExecCommand,
    /// Absolute agent log; executor stdout and stderr are appended to it.
    pub log_path: PathBuf,
    /// Absolute status file, written last and atomically when the agent has finished.
    pub status_path: PathBuf,
    /// Absolute runtime record; `None` for a direct launch without one.
    #[serde(default)]
    pub runtime_path: Option<PathBuf>,
    /// Non-secret variables added to the executor's environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Names of variables (typically secrets) the executor needs from the inherited environment.
    #[serde(default)]
    pub pass_env: Vec<String>,
    /// Time between SIGTERM and SIGKILL when the runner stops the executor's process group.
    #[serde(default = "default_grace")]
    pub grace_ms: u64,
    /// Optional run-time limit of the executor; when it passes the runner terminates it.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Interval between runtime-record heartbeats.
    #[serde(default = "default_heartbeat")]
    pub heartbeat_ms: u64,
    /// The concurrency slots the runner must hold one of while its executor runs.
    #[serde(default)]
    pub slots: Option<crate::slots::SlotPool>,
}

fn default_schema() -> u32 {
    PAYLOAD_SCHEMA_VERSION
}
fn default_grace() -> u64 {
    DEFAULT_GRACE_MS
}
fn default_heartbeat() -> u64 {
    DEFAULT_HEARTBEAT_MS
}

/// Variable-name segments (split on `_`) that mark a credential.
const SECRET_SEGMENTS: &[&str] = &[
    "KEY",
    "APIKEY",
    "TOKEN",
    "SECRET",
    "SECRETS",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "CREDENTIAL",
    "CREDENTIALS",
    "AUTH",
    "PAT",
    "COOKIE",
    "SESSION",
];

/// True when an environment variable name looks like it holds a credential
/// (`OPENAI_API_KEY`, `GITHUB_TOKEN`, `DB_PASSWORD`, …).
pub fn looks_secret(name: &str) -> bool {
    name.to_ascii_uppercase()
        .split('_')
        .any(|seg| SECRET_SEGMENTS.contains(&seg))
}

fn valid_env_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['=', '\0'])
}

impl RunnerPayload {
    /// The name used in the final log line: the session name, else the agent id.
    pub fn display_name(&self) -> &str {
        self.session_name
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(self.agent_id.as_str())
    }

    /// Checks the rules the runner relies on; `path` only labels the error.
    pub fn validate(&self, path: &Path) -> Result<(), RunnerError> {
        let fail = |reason: String| RunnerError::InvalidPayload {
            path: path.to_path_buf(),
            reason,
        };
        if self.schema_version != PAYLOAD_SCHEMA_VERSION {
            return Err(fail(format!(
                "unsupported schemaVersion {} (expected {PAYLOAD_SCHEMA_VERSION})",
                self.schema_version
            )));
        }
        let mut paths = vec![
            ("repoRoot", &self.repo_root),
            ("logPath", &self.log_path),
            ("statusPath", &self.status_path),
        ];
        if let Some(runtime) = &self.runtime_path {
            paths.push(("runtimePath", runtime));
        }
        for (field, p) in paths {
            if !p.is_absolute() {
                return Err(fail(format!(
                    "{field} must be absolute, got {}",
                    p.display()
                )));
            }
        }
        match &self.command {
            ExecCommand::Shell(script) if script.trim().is_empty() => {
                return Err(fail("command.shell is empty".into()))
            }
            ExecCommand::Argv(argv) if argv.first().is_none_or(|a| a.is_empty()) => {
                return Err(fail("command.argv is empty".into()))
            }
            _ => {}
        }
        for name in self.env.keys() {
            if !valid_env_name(name) {
                return Err(fail(format!("env name {name:?} is not a variable name")));
            }
            if looks_secret(name) {
                return Err(fail(format!(
                    "env {name} looks like a secret; list it in passEnv and let the runner \
                     inherit it instead of writing its value to the payload"
                )));
            }
        }
        if let Some(name) = self.pass_env.iter().find(|n| !valid_env_name(n)) {
            return Err(fail(format!(
                "passEnv name {name:?} is not a variable name"
            )));
        }
        if self.attempt == 0 {
            return Err(fail("attempt must be at least 1".into()));
        }
        if self.heartbeat_ms == 0 {
            return Err(fail("heartbeatMs must be positive".into()));
        }
        Ok(())
    }
}

/// Validates `payload` and writes it atomically to `path` with mode `0600`.
pub fn write_payload(path: &Path, payload: &RunnerPayload) -> Result<(), RunnerError> {
    payload.validate(path)?;
    let mut bytes =
        serde_json::to_vec_pretty(payload).map_err(|source| wave_store::StoreError::Serialize {
            path: path.to_path_buf(),
            source,
        })?;
    bytes.push(b'\n');
    wave_store::write_bytes_atomic_with_mode(path, &bytes, 0o600)?;
    Ok(())
}

/// Reads and validates the payload at `path`.
pub fn read_payload(path: &Path) -> Result<RunnerPayload, RunnerError> {
    let payload: RunnerPayload = wave_store::read_json(path)?;
    payload.validate(path)?;
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> RunnerPayload {
        RunnerPayload {
            schema_version: PAYLOAD_SCHEMA_VERSION,
            run_id: None,
            lane: "main".parse().unwrap(),
            wave_number: WaveNumber(0),
            attempt: 1,
            agent_id: "A1".parse().unwrap(),
            session_name: None,
            executor_id: "local".into(),
            prompt_hash: Some("abc".into()),
            orchestrator_id: Some("orch".into()),
            repo_root: "/repo".into(),
            command: ExecCommand::Shell("exit 0".into()),
            log_path: "/s/logs/wave-0-0-a1.log".into(),
            status_path: "/s/status/wave-0-0-a1.status".into(),
            runtime_path: Some("/s/status/wave-0-0-a1.runtime.json".into()),
            env: BTreeMap::from([("OPENCODE_CONFIG".into(), "/x.json".into())]),
            pass_env: vec!["OPENAI_API_KEY".into()],
            grace_ms: DEFAULT_GRACE_MS,
            timeout_ms: None,
            heartbeat_ms: DEFAULT_HEARTBEAT_MS,
            slots: None,
        }
    }

    #[test]
    fn round_trips_camel_case_json_with_defaults() {
        let p = sample();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["command"], serde_json::json!({"shell": "exit 0"}));
        assert_eq!(json["waveNumber"], 0);
        assert_eq!(json["passEnv"][0], "OPENAI_API_KEY");
        let back: RunnerPayload = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
        let minimal = serde_json::json!({
            "lane": "main", "waveNumber": 2, "attempt": 1, "agentId": "A1",
            "executorId": "local", "repoRoot": "/r", "command": {"argv": ["true"]},
            "logPath": "/l", "statusPath": "/s"
        });
        let p: RunnerPayload = serde_json::from_value(minimal).unwrap();
        assert_eq!((p.grace_ms, p.heartbeat_ms), (1000, 10_000));
        p.validate(Path::new("p.json")).unwrap();
        assert_eq!(p.display_name(), "A1");
    }

    #[test]
    fn refuses_secret_values_and_relative_paths() {
        let mut p = sample();
        p.env.insert("OPENAI_API_KEY".into(), "sk-live".into());
        let err = p.validate(Path::new("p.json")).unwrap_err().to_string();
        assert!(err.contains("OPENAI_API_KEY looks like a secret"), "{err}");
        let mut p = sample();
        p.log_path = "logs/x.log".into();
        let err = p.validate(Path::new("p.json")).unwrap_err().to_string();
        assert!(err.contains("logPath must be absolute"), "{err}");
        let mut p = sample();
        p.command = ExecCommand::Argv(vec![]);
        assert!(p.validate(Path::new("p.json")).is_err());
    }

    #[test]
    fn secret_detection_is_by_name_segment() {
        for s in [
            "GITHUB_TOKEN",
            "OPENAI_API_KEY",
            "db_password",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(looks_secret(s), "{s}");
        }
        for s in [
            "OPENCODE_CONFIG",
            "MONKEY",
            "PATH",
            "KEYBOARD_LAYOUT",
            "WAVE_EXECUTOR_MODE",
        ] {
            assert!(!looks_secret(s), "{s}");
        }
    }

    #[test]
    fn written_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runner-payload.json");
        write_payload(&path, &sample()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_payload(&path).unwrap(), sample());
    }
}
