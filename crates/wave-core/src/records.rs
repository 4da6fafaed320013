//! The launcher's persistent records as pure, typed models, with upstream v0.9.1's field names
//! and enum spellings so upstream tools and runbooks can read what the port writes.
//!
//! Owned here:
//! - [`run_state`]: `run-state.json` (schema 2), its transitions and `--auto-next`;
//! - [`reconcile`]: the status-reconciliation rule over per-wave facts;
//! - [`status`]: the per-agent `.status` record;
//! - [`envelope`]: result envelopes (schema 2) synthesized from a summary, and their validity;
//! - [`control_plane`]: control-plane JSONL lifecycle events;
//! - [`coordination`]: coordination JSONL records, their merge and blocking rule;
//! - [`progress`]: `launcher-progress.json` and the relaunch plan file;
//! - [`fingerprint`]: the prompt fingerprint stored as `promptHash`.
//!
//! Everything is pure: no file IO and no clock. Timestamps and random id tokens are inputs
//! (format timestamps with [`crate::timefmt::iso8601_millis`]); file hashes and gate results are
//! computed by the engine and passed in as facts.

pub mod control_plane;
pub mod coordination;
pub mod envelope;
pub mod fingerprint;
pub mod progress;
pub mod reconcile;
pub mod run_state;
pub mod status;
pub mod supervisor;

#[cfg(test)]
mod tests_envelope;
#[cfg(test)]
mod tests_logs;
#[cfg(test)]
mod tests_run_state;

pub use control_plane::{
    AgentRunAction, AttemptAction, ControlPlaneContext, ControlPlaneRecord, EntityType, RunKind,
    WaveRunAction,
};
pub use coordination::{
    closure_gap_blocker, materialize, repair_request, BlockerSeverity, ClosureStageKey,
    CoordinationConfidence, CoordinationKind, CoordinationPriority, CoordinationRecord,
    CoordinationStatus, RepairReason,
};
pub use envelope::{validate_envelope, EnvelopeRole, EnvelopeValidation, ResultEnvelope};
pub use fingerprint::{prompt_fingerprint, FingerprintInput, SkillsFingerprint};
pub use progress::{ForwardedClosureGap, LauncherPhase, LauncherProgress, RelaunchPlan};
pub use reconcile::{AgentFacts, BlockedWave, Reconciliation, SummaryFailure, WaveFacts};
pub use run_state::{
    auto_next_start, BlockedReason, HistoryEntry, RunState, RunStateError, RunStateEvidence,
    Transition, WaveEntry, WaveState,
};
pub use status::StatusRecord;

/// Errors reading one JSON record (a line of a JSONL log, or a small JSON file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The text is not JSON.
    #[error("{what}: not valid JSON: {message}")]
    InvalidJson {
        /// What was being read.
        what: &'static str,
        /// The parser's message.
        message: String,
    },
    /// The JSON is not an object.
    #[error("{what}: expected a JSON object")]
    NotAnObject {
        /// What was being read.
        what: &'static str,
    },
    /// A required field is missing or empty.
    #[error("{what}: `{field}` is required")]
    MissingField {
        /// What was being read.
        what: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A field holds a value outside its vocabulary.
    #[error("{what}: `{field}` must be one of {allowed} (got `{value}`)")]
    InvalidValue {
        /// What was being read.
        what: &'static str,
        /// The field.
        field: &'static str,
        /// The value found.
        value: String,
        /// The allowed spellings, comma-separated.
        allowed: String,
    },
    /// A line of a JSONL log failed; `line` is 1-based.
    #[error("line {line}: {source}")]
    AtLine {
        /// 1-based line number.
        line: usize,
        /// The error on that line.
        source: Box<RecordError>,
    },
}

/// Parses `text` as a JSON object.
pub(crate) fn parse_object(
    text: &str,
    what: &'static str,
) -> Result<serde_json::Map<String, serde_json::Value>, RecordError> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(RecordError::NotAnObject { what }),
        Err(err) => Err(RecordError::InvalidJson {
            what,
            message: err.to_string(),
        }),
    }
}

/// JSON helpers shared by the lenient readers (JavaScript-like coercions).
pub(crate) mod js {
    use serde_json::{Map, Value};

    /// `typeof v === "string" ? v : None`.
    pub fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
        map.get(key).and_then(Value::as_str).map(str::to_owned)
    }

    /// `String(v ?? "").trim() || None`.
    pub fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
        let value = map.get(key)?;
        let raw = match value {
            Value::Null => return None,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        let trimmed = raw.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    /// `Number.parseInt(String(v), 10)` for non-negative integers that fit `u32`.
    pub fn non_negative(value: &Value) -> Option<u32> {
        match value {
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    u32::try_from(u).ok()
                } else {
                    n.as_f64()
                        .filter(|f| f.is_finite() && *f >= 0.0 && *f < f64::from(u32::MAX))
                        .map(|f| f.trunc() as u32)
                }
            }
            Value::String(s) => parse_int_prefix(s).and_then(|i| u32::try_from(i).ok()),
            _ => None,
        }
    }

    /// `Number.parseInt(s, 10)`: optional sign then leading digits, after trimming.
    pub fn parse_int_prefix(s: &str) -> Option<i64> {
        let t = s.trim();
        let (neg, digits) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let end = digits
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(digits.len());
        let n: i64 = digits[..end].parse().ok()?;
        Some(if neg { -n } else { n })
    }

    /// Trimmed, non-empty, de-duplicated strings of an array (else empty).
    pub fn string_set(map: &Map<String, Value>, key: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(Value::Array(items)) = map.get(key) {
            for item in items {
                let text = match item {
                    Value::String(s) => s.trim().to_owned(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                if !text.is_empty() && !out.contains(&text) {
                    out.push(text);
                }
            }
        }
        out
    }

    /// The object under `key`, if it is one.
    pub fn object(map: &Map<String, Value>, key: &str) -> Option<Map<String, Value>> {
        map.get(key).and_then(Value::as_object).cloned()
    }
}

/// Joins the upstream spellings of a vocabulary for error messages.
pub(crate) fn allowed<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> String {
    all.iter()
        .map(|v| as_str(*v))
        .collect::<Vec<_>>()
        .join(", ")
}
