//! `run-state.json` (schema 2): the lane's record of which waves are complete, how each wave got
//! into its current state, and the append-only transition history.
//!
//! Reading is lenient in the way upstream's reader is (files written by upstream v0.9.1, including
//! legacy files holding only `completedWaves`, load unchanged); a file that is not JSON at all is
//! a typed [`RunStateError`], and [`RunState::new`] starts fresh. Writing goes through
//! [`RunState::apply_transition`] (identical consecutive transitions are not re-appended) and
//! [`RunState::to_json_pretty`] after [`RunState::stamp`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::js;

/// `schemaVersion` of `run-state.json`.
pub const RUN_STATE_SCHEMA_VERSION: u32 = 2;
/// `kind` of `run-state.json`.
pub const RUN_STATE_KIND: &str = "wave-run-state";
/// `lastSource` upstream gives entries imported from a legacy `completedWaves`-only file.
pub const LEGACY_SOURCE: &str = "legacy-run-state";

/// A wave's `currentState` (and a history entry's `fromState`/`toState`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum WaveState {
    /// `completed`: proven complete.
    Completed,
    /// `completed_with_drift`: was complete; only the prompt fingerprint changed since.
    CompletedWithDrift,
    /// `blocked`: not provably complete (never run, failed, or open barriers).
    Blocked,
    /// Any other spelling found in a file (kept, lower-cased, so it round-trips).
    Other(String),
}

impl WaveState {
    /// The upstream spelling.
    pub fn as_str(&self) -> &str {
        match self {
            WaveState::Completed => "completed",
            WaveState::CompletedWithDrift => "completed_with_drift",
            WaveState::Blocked => "blocked",
            WaveState::Other(text) => text,
        }
    }

    /// Whether the state counts towards `completedWaves`.
    pub fn is_completed(&self) -> bool {
        matches!(self, WaveState::Completed | WaveState::CompletedWithDrift)
    }
}

impl From<String> for WaveState {
    fn from(text: String) -> Self {
        let lower = text.trim().to_lowercase();
        match lower.as_str() {
            "completed" => WaveState::Completed,
            "completed_with_drift" => WaveState::CompletedWithDrift,
            "blocked" => WaveState::Blocked,
            _ => WaveState::Other(lower),
        }
    }
}

impl From<WaveState> for String {
    fn from(state: WaveState) -> Self {
        state.as_str().to_owned()
    }
}

/// `waves["<n>"]`: where one wave stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaveEntry {
    /// Wave number.
    pub wave: u32,
    /// Current state.
    pub current_state: WaveState,
    /// When the last transition happened (ISO-8601).
    pub last_transition_at: Option<String>,
    /// Who recorded it (`live-launcher`, `status-reconcile`, …).
    pub last_source: Option<String>,
    /// Why (`wave-complete`, `missing-status`, …).
    pub last_reason_code: Option<String>,
    /// Human detail (may be empty).
    pub last_detail: String,
    /// Evidence object of the last transition.
    pub last_evidence: Option<Map<String, Value>>,
}

/// One `history[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// 1-based sequence number (max + 1 on append).
    pub seq: u64,
    /// When (ISO-8601).
    pub at: String,
    /// Wave number.
    pub wave: u32,
    /// State before (null for a wave's first transition).
    pub from_state: Option<WaveState>,
    /// State after.
    pub to_state: Option<WaveState>,
    /// Who recorded it.
    pub source: Option<String>,
    /// Why.
    pub reason_code: Option<String>,
    /// Human detail.
    pub detail: String,
    /// Evidence object.
    pub evidence: Option<Map<String, Value>>,
}

/// The whole `run-state.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    /// Always 2.
    pub schema_version: u32,
    /// Always `wave-run-state`.
    pub kind: String,
    /// Sorted numbers of the waves whose state is completed (with or without drift).
    pub completed_waves: Vec<u32>,
    /// When the file was last written (omitted when never stamped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_at: Option<String>,
    /// Per-wave entries, keyed by wave number (serialized as `"<n>"`).
    pub waves: BTreeMap<u32, WaveEntry>,
    /// Transition history, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// Why an existing `run-state.json` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunStateError {
    /// The file is not JSON (truncated or overwritten); start fresh with [`RunState::new`].
    #[error("run-state.json is corrupt (not valid JSON): {message}")]
    Corrupt {
        /// The JSON parser's message.
        message: String,
    },
    /// The file is JSON but not an object.
    #[error("run-state.json is not a JSON object")]
    NotAnObject,
}

/// A transition to record for one wave.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// Wave number.
    pub wave: u32,
    /// New state.
    pub to_state: WaveState,
    /// Who records it (`live-launcher`, `status-reconcile`).
    pub source: String,
    /// Why (`wave-complete`, `missing-status`, …).
    pub reason_code: String,
    /// Human detail (trimmed when stored).
    pub detail: String,
    /// Evidence object, if any.
    pub evidence: Option<Map<String, Value>>,
    /// When (ISO-8601).
    pub at: String,
}

/// `{code, detail}` of a reason a wave is not complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedReason {
    /// Reason code (`missing-status`, `nonzero-status`, `prompt-hash-mismatch`, …).
    pub code: String,
    /// Human detail.
    pub detail: String,
}

impl BlockedReason {
    /// A reason from its parts.
    pub fn new(code: impl Into<String>, detail: impl Into<String>) -> Self {
        BlockedReason {
            code: code.into(),
            detail: detail.into(),
        }
    }
}

/// One `statusFiles[]` item of [`RunStateEvidence`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusFileEvidence {
    /// Agent id.
    pub agent_id: Option<String>,
    /// Repo-relative status file path.
    pub path: Option<String>,
    /// `promptHash` of the status record.
    pub prompt_hash: Option<String>,
    /// `code` of the status record.
    pub code: Option<i64>,
    /// `completedAt` of the status record.
    pub completed_at: Option<String>,
    /// sha256 of the status file.
    pub sha256: Option<String>,
}

/// One `summaryFiles[]` item of [`RunStateEvidence`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryFileEvidence {
    /// Agent id.
    pub agent_id: Option<String>,
    /// Repo-relative summary path.
    pub path: Option<String>,
    /// sha256 of the summary file.
    pub sha256: Option<String>,
}

/// The evidence object upstream attaches to transitions: file hashes (computed by the engine)
/// and the blocked reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStateEvidence {
    /// sha256 of the wave markdown file.
    pub wave_file_hash: Option<String>,
    /// Repo-relative trace directory of the attempt, if any.
    pub trace_dir: Option<String>,
    /// Status files present.
    pub status_files: Vec<StatusFileEvidence>,
    /// Summary files present.
    pub summary_files: Vec<SummaryFileEvidence>,
    /// sha256 of `coordination/wave-<n>.jsonl`.
    pub coordination_log_sha256: Option<String>,
    /// sha256 of `assignments/wave-<n>.json`.
    pub assignments_sha256: Option<String>,
    /// sha256 of `dependencies/wave-<n>.json`.
    pub dependency_snapshot_sha256: Option<String>,
    /// sha256 of the gate snapshot JSON.
    pub gate_snapshot_sha256: Option<String>,
    /// Why the wave is not complete (empty when it is).
    pub blocked_reasons: Vec<BlockedReason>,
}

impl RunStateEvidence {
    /// The evidence as a JSON object (upstream's key order).
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

impl Default for RunState {
    fn default() -> Self {
        Self::new()
    }
}

impl RunState {
    /// A fresh, empty run state.
    pub fn new() -> Self {
        RunState {
            schema_version: RUN_STATE_SCHEMA_VERSION,
            kind: RUN_STATE_KIND.to_owned(),
            completed_waves: Vec::new(),
            last_updated_at: None,
            waves: BTreeMap::new(),
            history: Vec::new(),
        }
    }

    /// Reads a `run-state.json` text. Empty text is a fresh state; text that is not JSON, or not
    /// an object, is an error (the caller may report it and start fresh with [`RunState::new`]).
    pub fn parse(text: &str) -> Result<Self, RunStateError> {
        if text.trim().is_empty() {
            return Ok(Self::new());
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Self::from_object(&map)),
            Ok(Value::Null) => Ok(Self::new()),
            Ok(_) => Err(RunStateError::NotAnObject),
            Err(err) => Err(RunStateError::Corrupt {
                message: err.to_string(),
            }),
        }
    }

    /// Normalizes a parsed object the way upstream's reader does: `completedWaves` of a legacy
    /// file become `completed` entries (source `legacy-run-state`) that explicit `waves` entries
    /// override; entries without `currentState` count as `completed`; history entries without a
    /// usable wave are dropped; `completedWaves` is recomputed from the entries.
    pub fn from_object(source: &Map<String, Value>) -> Self {
        let last_updated_at = js::string(source, "lastUpdatedAt");
        let mut waves = BTreeMap::new();
        if let Some(Value::Array(items)) = source.get("completedWaves") {
            for wave in items.iter().filter_map(js::non_negative) {
                waves.insert(
                    wave,
                    WaveEntry {
                        wave,
                        current_state: WaveState::Completed,
                        last_transition_at: last_updated_at.clone(),
                        last_source: Some(LEGACY_SOURCE.to_owned()),
                        last_reason_code: Some("legacy-completed-wave".to_owned()),
                        last_detail: "Imported from a legacy completedWaves list.".to_owned(),
                        last_evidence: None,
                    },
                );
            }
        }
        if let Some(Value::Object(raw_waves)) = source.get("waves") {
            for (key, raw) in raw_waves {
                let Some(wave) = js::non_negative(&Value::String(key.clone())) else {
                    continue;
                };
                waves.insert(wave, wave_entry_from(raw, wave));
            }
        }
        let mut history = Vec::new();
        if let Some(Value::Array(items)) = source.get("history") {
            for (index, raw) in items.iter().enumerate() {
                if let Some(entry) = history_entry_from(raw, index as u64 + 1, &last_updated_at) {
                    history.push(entry);
                }
            }
        }
        let mut state = RunState {
            last_updated_at,
            waves,
            history,
            ..Self::new()
        };
        state.recompute_completed();
        state
    }

    /// Recomputes `completedWaves` from the entries (sorted, unique).
    pub fn recompute_completed(&mut self) {
        self.completed_waves = self
            .waves
            .values()
            .filter(|entry| entry.current_state.is_completed())
            .map(|entry| entry.wave)
            .collect();
    }

    /// Whether `wave` counts as completed.
    pub fn is_completed(&self, wave: u32) -> bool {
        self.completed_waves.contains(&wave)
    }

    /// Records a transition. Returns `false` (and changes nothing) when the wave's current entry
    /// already has the same state, source, reason, detail and evidence.
    pub fn apply_transition(&mut self, transition: Transition) -> bool {
        let detail = transition.detail.trim().to_owned();
        let previous = self.waves.get(&transition.wave);
        if let Some(entry) = previous {
            if entry.current_state == transition.to_state
                && entry.last_source.as_deref() == Some(transition.source.as_str())
                && entry.last_reason_code.as_deref() == Some(transition.reason_code.as_str())
                && entry.last_detail == detail
                && entry.last_evidence == transition.evidence
            {
                return false;
            }
        }
        let from_state = previous.map(|entry| entry.current_state.clone());
        let seq = self.history.iter().map(|h| h.seq).max().unwrap_or(0) + 1;
        self.history.push(HistoryEntry {
            seq,
            at: transition.at.clone(),
            wave: transition.wave,
            from_state,
            to_state: Some(transition.to_state.clone()),
            source: Some(transition.source.clone()),
            reason_code: Some(transition.reason_code.clone()),
            detail: detail.clone(),
            evidence: transition.evidence.clone(),
        });
        self.waves.insert(
            transition.wave,
            WaveEntry {
                wave: transition.wave,
                current_state: transition.to_state,
                last_transition_at: Some(transition.at),
                last_source: Some(transition.source),
                last_reason_code: Some(transition.reason_code),
                last_detail: detail,
                last_evidence: transition.evidence,
            },
        );
        self.recompute_completed();
        true
    }

    /// Prepares for writing: `lastUpdatedAt = written_at`, `completedWaves` recomputed.
    pub fn stamp(&mut self, written_at: impl Into<String>) {
        self.last_updated_at = Some(written_at.into());
        self.schema_version = RUN_STATE_SCHEMA_VERSION;
        self.kind = RUN_STATE_KIND.to_owned();
        self.recompute_completed();
    }

    /// The file text: pretty JSON with two-space indentation and a trailing newline.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }
}

/// `--auto-next`: the lowest of `wave_numbers` not in `completedWaves` (none when all are).
pub fn auto_next_start(state: &RunState, wave_numbers: &[u32]) -> Option<u32> {
    let mut sorted = wave_numbers.to_vec();
    sorted.sort_unstable();
    sorted.into_iter().find(|wave| !state.is_completed(*wave))
}

fn wave_entry_from(raw: &Value, wave: u32) -> WaveEntry {
    let empty = Map::new();
    let source = raw.as_object().unwrap_or(&empty);
    let state_text = source
        .get("currentState")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "completed".to_owned());
    WaveEntry {
        wave,
        current_state: WaveState::from(state_text),
        last_transition_at: js::string(source, "lastTransitionAt")
            .or_else(|| js::string(source, "updatedAt"))
            .or_else(|| js::string(source, "completedAt")),
        last_source: js::string(source, "lastSource"),
        last_reason_code: js::string(source, "lastReasonCode"),
        last_detail: js::string(source, "lastDetail").unwrap_or_default(),
        last_evidence: js::object(source, "lastEvidence"),
    }
}

fn history_entry_from(
    raw: &Value,
    seq_fallback: u64,
    last_updated_at: &Option<String>,
) -> Option<HistoryEntry> {
    let empty = Map::new();
    let source = raw.as_object().unwrap_or(&empty);
    let wave = source.get("wave").and_then(js::non_negative)?;
    let state = |key: &str| js::string(source, key).map(WaveState::from);
    Some(HistoryEntry {
        seq: source
            .get("seq")
            .and_then(js::non_negative)
            .map_or(seq_fallback, u64::from),
        at: js::string(source, "at")
            .or_else(|| last_updated_at.clone())
            .unwrap_or_default(),
        wave,
        from_state: state("fromState"),
        to_state: state("toState"),
        source: js::string(source, "source"),
        reason_code: js::string(source, "reasonCode"),
        detail: js::string(source, "detail").unwrap_or_default(),
        evidence: js::object(source, "evidence"),
    })
}
