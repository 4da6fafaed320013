//! `launcher-progress.json` (the launcher's progress journal under a supervisor run,
//! supervisor §3.7) and the relaunch plan file `status/relaunch-plan-wave-<n>.json`
//! (launcher §4.7).
//!
//! Both are read leniently like upstream: a missing file is the caller's `None`; an unparseable
//! progress file reads as all defaults with `finalized: false`; numbers that are not finite
//! fall back to defaults (a null wave/attempt number reads as 0, as upstream's `Number(null)`
//! does); id lists are trimmed and de-duplicated.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::js;

/// The phases the launcher writes, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LauncherPhase {
    /// `starting` (wave and attempt 0).
    Starting,
    /// `wave-started` (attempt 0).
    WaveStarted,
    /// `attempt-starting`.
    AttemptStarting,
    /// `attempt-running` (rewritten after each launch).
    AttemptRunning,
    /// `attempt-succeeded`.
    AttemptSucceeded,
    /// `attempt-failed`.
    AttemptFailed,
    /// `waiting-shared-component`.
    WaitingSharedComponent,
    /// `wave-completed` (`resumeFromPhase: completed`).
    WaveCompleted,
    /// `retry-queued` (attempt + 1).
    RetryQueued,
    /// `recovery-queued` (before exit 43).
    RecoveryQueued,
    /// `completed` (final, exit 0).
    Completed,
    /// `failed` (final).
    Failed,
}

impl LauncherPhase {
    /// Every phase in order.
    pub const ALL: [LauncherPhase; 12] = [
        LauncherPhase::Starting,
        LauncherPhase::WaveStarted,
        LauncherPhase::AttemptStarting,
        LauncherPhase::AttemptRunning,
        LauncherPhase::AttemptSucceeded,
        LauncherPhase::AttemptFailed,
        LauncherPhase::WaitingSharedComponent,
        LauncherPhase::WaveCompleted,
        LauncherPhase::RetryQueued,
        LauncherPhase::RecoveryQueued,
        LauncherPhase::Completed,
        LauncherPhase::Failed,
    ];

    /// The upstream spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LauncherPhase::Starting => "starting",
            LauncherPhase::WaveStarted => "wave-started",
            LauncherPhase::AttemptStarting => "attempt-starting",
            LauncherPhase::AttemptRunning => "attempt-running",
            LauncherPhase::AttemptSucceeded => "attempt-succeeded",
            LauncherPhase::AttemptFailed => "attempt-failed",
            LauncherPhase::WaitingSharedComponent => "waiting-shared-component",
            LauncherPhase::WaveCompleted => "wave-completed",
            LauncherPhase::RetryQueued => "retry-queued",
            LauncherPhase::RecoveryQueued => "recovery-queued",
            LauncherPhase::Completed => "completed",
            LauncherPhase::Failed => "failed",
        }
    }

    /// Parses a spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text.trim())
    }
}

/// One forwarded closure gap, as exposed by relaunch plans and launcher progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ForwardedClosureGap {
    /// Stage key (`cont-eval`, `security-review`, `integration`, `documentation`, `cont-qa`).
    pub stage_key: String,
    /// The agent whose stage found the gap.
    pub agent_id: String,
    /// Attempt number.
    pub attempt: Option<u32>,
    /// Gate detail.
    pub detail: String,
    /// `agent:<id>` targets.
    pub targets: Vec<String>,
    /// Whether a later attempt resolved it.
    pub resolved: bool,
}

/// `launcher-progress.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LauncherProgress {
    /// Supervisor run id.
    pub run_id: Option<String>,
    /// Current wave (0 before the first wave).
    pub wave_number: Option<i64>,
    /// Current attempt (0 before the first attempt).
    pub attempt_number: Option<i64>,
    /// Phase spelling (see [`LauncherPhase`]).
    pub phase: Option<String>,
    /// Agents selected for the attempt.
    pub selected_agent_ids: Vec<String>,
    /// Agents launched so far.
    pub launched_agent_ids: Vec<String>,
    /// Agents finished so far.
    pub completed_agent_ids: Vec<String>,
    /// Phase a resume starts from.
    pub resume_from_phase: Option<String>,
    /// Forwarded closure gaps (kept verbatim).
    pub forwarded_closure_gaps: Vec<Value>,
    /// Summary of the last gate snapshot.
    pub gate_snapshot_summary: Option<Map<String, Value>>,
    /// Whether the launcher finished (true only when strictly `true`).
    pub finalized: bool,
    /// `completed` / `failed` when finalized.
    pub final_disposition: Option<String>,
    /// Launcher exit code when finalized.
    pub exit_code: Option<i64>,
    /// Last write time.
    pub updated_at: String,
}

fn finite_number(value: Option<&Value>) -> Option<i64> {
    match value {
        // `Number(null)` is 0 upstream.
        Some(Value::Null) => Some(0),
        Some(Value::Bool(b)) => Some(i64::from(*b)),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Some(Value::String(s)) if s.trim().is_empty() => Some(0),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64),
        _ => None,
    }
}

impl LauncherProgress {
    /// A fresh journal.
    pub fn new(run_id: Option<String>, updated_at: impl Into<String>) -> Self {
        LauncherProgress {
            run_id,
            wave_number: None,
            attempt_number: None,
            phase: None,
            selected_agent_ids: Vec::new(),
            launched_agent_ids: Vec::new(),
            completed_agent_ids: Vec::new(),
            resume_from_phase: None,
            forwarded_closure_gaps: Vec::new(),
            gate_snapshot_summary: None,
            finalized: false,
            final_disposition: None,
            exit_code: None,
            updated_at: updated_at.into(),
        }
    }

    /// Reads the file text leniently; `now` stands in for a missing `updatedAt`.
    pub fn parse(text: &str, default_run_id: Option<&str>, now: &str) -> Self {
        let empty = Map::new();
        let parsed = serde_json::from_str::<Value>(text).ok();
        let source = parsed.as_ref().and_then(Value::as_object).unwrap_or(&empty);
        let text_or = |key: &str| js::text(source, key);
        LauncherProgress {
            run_id: text_or("runId").or_else(|| default_run_id.map(str::to_owned)),
            wave_number: finite_number(source.get("waveNumber")),
            attempt_number: finite_number(source.get("attemptNumber")),
            phase: text_or("phase"),
            selected_agent_ids: js::string_set(source, "selectedAgentIds"),
            launched_agent_ids: js::string_set(source, "launchedAgentIds"),
            completed_agent_ids: js::string_set(source, "completedAgentIds"),
            resume_from_phase: text_or("resumeFromPhase"),
            forwarded_closure_gaps: match source.get("forwardedClosureGaps") {
                Some(Value::Array(items)) => items.clone(),
                _ => Vec::new(),
            },
            gate_snapshot_summary: js::object(source, "gateSnapshotSummary"),
            finalized: source.get("finalized") == Some(&Value::Bool(true)),
            final_disposition: text_or("finalDisposition"),
            exit_code: source.get("exitCode").and_then(Value::as_i64),
            updated_at: text_or("updatedAt").unwrap_or_else(|| now.to_owned()),
        }
    }

    /// Sets the phase.
    pub fn set_phase(&mut self, phase: LauncherPhase) {
        self.phase = Some(phase.as_str().to_owned());
    }

    /// Trims and de-duplicates the id lists (upstream normalizes on every write).
    pub fn normalize(&mut self) {
        for list in [
            &mut self.selected_agent_ids,
            &mut self.launched_agent_ids,
            &mut self.completed_agent_ids,
        ] {
            let mut out: Vec<String> = Vec::new();
            for id in list.iter().map(|s| s.trim().to_owned()) {
                if !id.is_empty() && !out.contains(&id) {
                    out.push(id);
                }
            }
            *list = out;
        }
    }

    /// The file text (pretty JSON, trailing newline).
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }
}

/// `status/relaunch-plan-wave-<n>.json` (`schemaVersion: 1`, `kind: wave-relaunch-plan`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelaunchPlan {
    /// Always 1.
    pub schema_version: u32,
    /// Always `wave-relaunch-plan`.
    pub kind: String,
    /// Wave number.
    pub wave: Option<i64>,
    /// The attempt the plan is for.
    pub attempt: Option<i64>,
    /// Planner phase, if any.
    pub phase: Option<String>,
    /// Agents to relaunch.
    pub selected_agent_ids: Vec<String>,
    /// Phase to resume from (`design`, `implementation`, `cont-eval`, `security-review`,
    /// `integrating`, `docs-closure`, `cont-qa-closure`).
    pub resume_from_phase: Option<String>,
    /// Agents whose earlier proof no longer counts.
    pub invalidated_agent_ids: Vec<String>,
    /// Agents whose earlier proof is reused.
    pub reusable_agent_ids: Vec<String>,
    /// Reusable proof bundle ids.
    pub reusable_proof_bundle_ids: Vec<String>,
    /// Forwarded closure gaps.
    pub forwarded_closure_gaps: Vec<ForwardedClosureGap>,
    /// Reason buckets.
    pub reason_buckets: Map<String, Value>,
    /// Per-agent executor states.
    pub executor_states: Map<String, Value>,
    /// Per-agent executor fallback history.
    pub fallback_history: Map<String, Value>,
    /// Creation time.
    pub created_at: String,
}

impl RelaunchPlan {
    /// An empty plan for `wave`.
    pub fn new(wave: u32, attempt: u32, created_at: impl Into<String>) -> Self {
        RelaunchPlan {
            schema_version: 1,
            kind: "wave-relaunch-plan".to_owned(),
            wave: Some(i64::from(wave)),
            attempt: Some(i64::from(attempt)),
            phase: None,
            selected_agent_ids: Vec::new(),
            resume_from_phase: None,
            invalidated_agent_ids: Vec::new(),
            reusable_agent_ids: Vec::new(),
            reusable_proof_bundle_ids: Vec::new(),
            forwarded_closure_gaps: Vec::new(),
            reason_buckets: Map::new(),
            executor_states: Map::new(),
            fallback_history: Map::new(),
            created_at: created_at.into(),
        }
    }

    /// Reads a plan leniently; `None` when the text is not a JSON object. Gap entries that are
    /// not objects are dropped.
    pub fn parse(text: &str, now: &str) -> Option<Self> {
        let parsed = serde_json::from_str::<Value>(text).ok()?;
        let source = parsed.as_object()?;
        let int = |key: &str| js::text(source, key).and_then(|t| js::parse_int_prefix(&t));
        let obj = |key: &str| js::object(source, key).unwrap_or_default();
        Some(RelaunchPlan {
            schema_version: 1,
            kind: "wave-relaunch-plan".to_owned(),
            wave: int("wave"),
            attempt: int("attempt"),
            phase: js::text(source, "phase"),
            selected_agent_ids: js::string_set(source, "selectedAgentIds"),
            resume_from_phase: js::text(source, "resumeFromPhase"),
            invalidated_agent_ids: js::string_set(source, "invalidatedAgentIds"),
            reusable_agent_ids: js::string_set(source, "reusableAgentIds"),
            reusable_proof_bundle_ids: js::string_set(source, "reusableProofBundleIds"),
            forwarded_closure_gaps: match source.get("forwardedClosureGaps") {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter(|v| v.is_object())
                    .filter_map(|v| serde_json::from_value(v.clone()).ok())
                    .collect(),
                _ => Vec::new(),
            },
            reason_buckets: obj("reasonBuckets"),
            executor_states: obj("executorStates"),
            fallback_history: obj("fallbackHistory"),
            created_at: js::text(source, "createdAt").unwrap_or_else(|| now.to_owned()),
        })
    }

    /// The file text (pretty JSON, trailing newline).
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }
}
