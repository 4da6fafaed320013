//! The per-agent status record (`status/wave-<n>-<slug>.status`), written when the agent's shell
//! exits; its presence is what "agent finished" means.
//!
//! Shape: `{code, promptHash, orchestratorId, attempt, completedAt}`. Reading is lenient like
//! upstream's: a bare integer (legacy file) is accepted; an empty or unparseable file, or one
//! whose `code` is not an integer, is "no status" (`None`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::js;

/// `wave-<n>-<slug>.status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRecord {
    /// Exit code of the agent's shell (signals map to 128 + n).
    pub code: i64,
    /// Prompt fingerprint the run was launched with.
    pub prompt_hash: Option<String>,
    /// Orchestrator id of the launcher that started it.
    pub orchestrator_id: Option<String>,
    /// Launcher attempt number.
    pub attempt: Option<u32>,
    /// When the shell exited (ISO-8601).
    pub completed_at: Option<String>,
}

impl StatusRecord {
    /// Reads a status file's text; `None` means "no status".
    pub fn parse(text: &str) -> Option<StatusRecord> {
        let raw = text.trim();
        if raw.is_empty() {
            return None;
        }
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => {
                let code = match map.get("code")? {
                    Value::Number(n) => n.as_i64().or_else(|| {
                        n.as_f64()
                            .filter(|f| f.is_finite())
                            .map(|f| f.trunc() as i64)
                    }),
                    Value::String(s) => js::parse_int_prefix(s),
                    _ => None,
                }?;
                Some(StatusRecord {
                    code,
                    prompt_hash: js::string(&map, "promptHash"),
                    orchestrator_id: js::string(&map, "orchestratorId"),
                    attempt: map.get("attempt").and_then(js::non_negative),
                    completed_at: js::string(&map, "completedAt"),
                })
            }
            // A legacy bare integer; `parseInt` semantics (e.g. `143 terminated`).
            _ => js::parse_int_prefix(raw).map(StatusRecord::legacy),
        }
    }

    /// A legacy record: only the code.
    pub fn legacy(code: i64) -> StatusRecord {
        StatusRecord {
            code,
            prompt_hash: None,
            orchestrator_id: None,
            attempt: None,
            completed_at: None,
        }
    }

    /// The file text (pretty JSON, trailing newline).
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }
}
