//! A wave agent's `### Executor` block: upstream v0.9.1's key whitelist and value parsing.
//!
//! The wave parser calls [`ExecutorOverrides::apply_setting`] once per `- key: value` bullet;
//! a later bullet for the same key replaces the earlier one (upstream collects the bullets in an
//! object). Errors carry the key and value; [`ExecutorSettingError::message`] renders upstream's
//! exact message given the agent label (`agent A1`) and the wave file.

use serde::Serialize;
use serde_json::Value;

use super::executor::{
    Budget, ClaudeEffort, ClaudeOutputFormat, ClaudePatch, CodexPatch, CodexSandbox, ExecutorId,
    OpencodeFormat, OpencodePatch, RetryPolicy,
};
use super::value::parse_bool_text;

/// Every key an `### Executor` bullet may use, in upstream's order.
pub const EXECUTOR_SETTING_KEYS: &[&str] = &[
    "id",
    "profile",
    "model",
    "fallbacks",
    "tags",
    "retry-policy",
    "allow-fallback-on-retry",
    "budget.turns",
    "budget.minutes",
    "codex.command",
    "codex.sandbox",
    "codex.profile_name",
    "codex.config",
    "codex.search",
    "codex.images",
    "codex.add_dirs",
    "codex.json",
    "codex.ephemeral",
    "claude.command",
    "claude.agent",
    "claude.permission_mode",
    "claude.permission_prompt_tool",
    "claude.effort",
    "claude.max_turns",
    "claude.mcp_config",
    "claude.settings",
    "claude.settings_json",
    "claude.hooks_json",
    "claude.allowed_http_hook_urls",
    "claude.output_format",
    "claude.allowed_tools",
    "claude.disallowed_tools",
    "opencode.command",
    "opencode.agent",
    "opencode.attach",
    "opencode.files",
    "opencode.format",
    "opencode.steps",
    "opencode.instructions",
    "opencode.permission",
    "opencode.config_json",
];

/// What a wave agent's `### Executor` block sets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorOverrides {
    /// `id`.
    pub id: Option<ExecutorId>,
    /// `profile` (lower-cased).
    pub profile: Option<String>,
    /// `model`.
    pub model: Option<String>,
    /// `fallbacks` (comma-separated).
    pub fallbacks: Vec<ExecutorId>,
    /// `tags` (comma-separated).
    pub tags: Vec<String>,
    /// `budget.turns` / `budget.minutes`.
    pub budget: Option<Budget>,
    /// `retry-policy`.
    pub retry_policy: Option<RetryPolicy>,
    /// `allow-fallback-on-retry`.
    pub allow_fallback_on_retry: Option<bool>,
    /// `codex.*` keys (`None` when the block has none).
    pub codex: Option<CodexPatch>,
    /// `claude.*` keys.
    pub claude: Option<ClaudePatch>,
    /// `opencode.*` keys.
    pub opencode: Option<OpencodePatch>,
}

/// A rejected `### Executor` bullet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutorSettingError {
    /// The key is not in [`EXECUTOR_SETTING_KEYS`].
    #[error("Unsupported Executor setting \"{key}\"")]
    Unsupported {
        /// The key as written.
        key: String,
    },
    /// The value is empty after stripping quotes.
    #[error("Empty Executor setting \"{key}\"")]
    Empty {
        /// The key.
        key: String,
    },
    /// `id` or a `fallbacks` entry is not an executor.
    #[error("{key} must be one of: codex, claude, opencode, local (got: {value})")]
    InvalidExecutor {
        /// `id` or `fallbacks[<i>]`.
        key: String,
        /// The rejected (lower-cased) value.
        value: String,
    },
    /// `retry-policy` is neither `sticky` nor `fallback-allowed`.
    #[error("Invalid retry-policy \"{value}\"; expected sticky or fallback-allowed")]
    InvalidRetryPolicy {
        /// The rejected value.
        value: String,
    },
    /// A boolean key with a value outside `true/false/1/0/yes/no/on/off`.
    #[error("Invalid {key} \"{value}\" (expected a boolean)")]
    InvalidBoolean {
        /// The key.
        key: String,
        /// The rejected value.
        value: String,
    },
    /// An integer key whose value is not a positive integer.
    #[error("Invalid {key} \"{value}\" (expected a positive integer)")]
    InvalidInteger {
        /// The key.
        key: String,
        /// The rejected value.
        value: String,
    },
    /// A JSON key whose value does not parse.
    #[error("Invalid JSON for {key}: {detail}")]
    InvalidJson {
        /// The key.
        key: String,
        /// The parser's message.
        detail: String,
    },
    /// A JSON-object key whose value parses to something else.
    #[error("Invalid JSON object for {key}")]
    NotJsonObject {
        /// The key.
        key: String,
    },
    /// An enum-valued key (`codex.sandbox`, `claude.effort`, `claude.output_format`,
    /// `opencode.format`) with a value outside its vocabulary.
    #[error("Invalid {key} \"{value}\"; expected {expected}")]
    InvalidChoice {
        /// The key.
        key: String,
        /// The rejected value.
        value: String,
        /// The accepted values.
        expected: &'static str,
    },
}

impl ExecutorSettingError {
    /// Upstream's exact message for an agent `label` (`agent A1`) in wave file `file`.
    pub fn message(&self, label: &str, file: &str) -> String {
        match self {
            Self::Unsupported { key } => {
                format!("Unsupported Executor setting \"{key}\" in {label} ({file})")
            }
            Self::Empty { key } => format!("Empty Executor setting \"{key}\" in {label} ({file})"),
            Self::InvalidExecutor { key, value } => format!(
                "{label}.{key} must be one of: codex, claude, opencode, local (got: {value})"
            ),
            Self::InvalidRetryPolicy { value } => format!(
                "Invalid {label}.retry-policy \"{value}\" in {file}; expected sticky or fallback-allowed"
            ),
            Self::InvalidBoolean { key, value } | Self::InvalidInteger { key, value } => {
                format!("Invalid {label}.{key} \"{value}\" in {file}")
            }
            Self::InvalidJson { key, detail } => {
                format!("Invalid JSON for {label}.{key} in {file}: {detail}")
            }
            Self::NotJsonObject { key } => format!("Invalid JSON object for {label}.{key} in {file}"),
            Self::InvalidChoice { key, value, expected } => match key.as_str() {
                "codex.sandbox" => format!(
                    "{label}.codex.sandbox must be one of: read-only, workspace-write, danger-full-access (got: {})",
                    value.to_lowercase()
                ),
                "claude.effort" => {
                    format!("{label}.claude.effort must be one of: low, medium, high, max")
                }
                _ => format!("Invalid {label}.{key} \"{value}\" in {file}; expected {expected}"),
            },
        }
    }
}

/// Upstream's `cleanExecutorValue`: trim, then drop one leading and one trailing quote or
/// backtick.
fn clean(value: &str) -> String {
    let trimmed = value.trim();
    let trimmed = trimmed.strip_prefix(['"', '\'', '`']).unwrap_or(trimmed);
    trimmed
        .strip_suffix(['"', '\'', '`'])
        .unwrap_or(trimmed)
        .to_string()
}

fn csv(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(clean)
        .filter(|entry| !entry.is_empty())
        .collect()
}

fn boolean(key: &str, value: &str) -> Result<bool, ExecutorSettingError> {
    parse_bool_text(value).ok_or_else(|| ExecutorSettingError::InvalidBoolean {
        key: key.into(),
        value: value.into(),
    })
}

fn positive(key: &str, value: &str) -> Result<u32, ExecutorSettingError> {
    super::value::js_parse_int(value)
        .filter(|n| *n > 0)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| ExecutorSettingError::InvalidInteger {
            key: key.into(),
            value: value.into(),
        })
}

fn json(key: &str, value: &str) -> Result<Value, ExecutorSettingError> {
    serde_json::from_str(value).map_err(|err| ExecutorSettingError::InvalidJson {
        key: key.into(),
        detail: err.to_string(),
    })
}

fn json_object(
    key: &str,
    value: &str,
) -> Result<serde_json::Map<String, Value>, ExecutorSettingError> {
    match json(key, value)? {
        Value::Object(map) => Ok(map),
        _ => Err(ExecutorSettingError::NotJsonObject { key: key.into() }),
    }
}

fn choice<T>(
    key: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    expected: &'static str,
) -> Result<T, ExecutorSettingError> {
    parse(value).ok_or_else(|| ExecutorSettingError::InvalidChoice {
        key: key.into(),
        value: value.into(),
        expected,
    })
}

fn executor(key: String, value: &str) -> Result<ExecutorId, ExecutorSettingError> {
    ExecutorId::parse(value).ok_or_else(|| {
        let got = value.trim().to_lowercase();
        ExecutorSettingError::InvalidExecutor {
            key,
            value: if got.is_empty() { "empty".into() } else { got },
        }
    })
}

impl ExecutorOverrides {
    /// Applies one `- key: value` bullet. `value` is the text after the colon as written; quotes
    /// and backticks around it are stripped here, as upstream does (it cleans twice: once when
    /// reading the bullet, once when normalizing).
    pub fn apply_setting(&mut self, key: &str, value: &str) -> Result<(), ExecutorSettingError> {
        if !EXECUTOR_SETTING_KEYS.contains(&key) {
            return Err(ExecutorSettingError::Unsupported { key: key.into() });
        }
        let value = clean(&clean(value));
        if value.is_empty() {
            return Err(ExecutorSettingError::Empty { key: key.into() });
        }
        let v = value.as_str();
        match key {
            "id" => self.id = Some(executor("id".into(), v)?),
            "profile" => self.profile = Some(v.to_lowercase()),
            "model" => self.model = Some(value.clone()),
            "fallbacks" => {
                self.fallbacks = csv(v)
                    .iter()
                    .enumerate()
                    .map(|(i, entry)| executor(format!("fallbacks[{i}]"), entry))
                    .collect::<Result<_, _>>()?;
            }
            "tags" => self.tags = csv(v),
            "retry-policy" => {
                self.retry_policy = Some(match v.to_lowercase().as_str() {
                    "sticky" => RetryPolicy::Sticky,
                    "fallback-allowed" => RetryPolicy::FallbackAllowed,
                    _ => {
                        return Err(ExecutorSettingError::InvalidRetryPolicy {
                            value: value.clone(),
                        })
                    }
                });
            }
            "allow-fallback-on-retry" => self.allow_fallback_on_retry = Some(boolean(key, v)?),
            "budget.turns" => {
                self.budget.get_or_insert_with(Budget::default).turns = Some(positive(key, v)?)
            }
            "budget.minutes" => {
                self.budget.get_or_insert_with(Budget::default).minutes = Some(positive(key, v)?)
            }
            _ => {
                if let Some(field) = key.strip_prefix("codex.") {
                    self.apply_codex(key, field, v)?;
                } else if let Some(field) = key.strip_prefix("claude.") {
                    self.apply_claude(key, field, v)?;
                } else if let Some(field) = key.strip_prefix("opencode.") {
                    self.apply_opencode(key, field, v)?;
                }
            }
        }
        Ok(())
    }

    fn apply_codex(&mut self, key: &str, field: &str, v: &str) -> Result<(), ExecutorSettingError> {
        let codex = self.codex.get_or_insert_with(CodexPatch::default);
        match field {
            "command" => codex.command = Some(v.into()),
            "sandbox" => {
                codex.sandbox = Some(choice(
                    key,
                    v,
                    CodexSandbox::parse,
                    "read-only, workspace-write, or danger-full-access",
                )?)
            }
            "profile_name" => codex.profile_name = Some(Some(v.into())),
            "config" => codex.config = Some(csv(v)),
            "search" => codex.search = Some(boolean(key, v)?),
            "images" => codex.images = Some(csv(v)),
            "add_dirs" => codex.add_dirs = Some(csv(v)),
            "json" => codex.json = Some(boolean(key, v)?),
            _ => codex.ephemeral = Some(boolean(key, v)?),
        }
        Ok(())
    }

    fn apply_claude(
        &mut self,
        key: &str,
        field: &str,
        v: &str,
    ) -> Result<(), ExecutorSettingError> {
        let claude = self.claude.get_or_insert_with(ClaudePatch::default);
        match field {
            "command" => claude.command = Some(v.into()),
            "agent" => claude.agent = Some(Some(v.into())),
            "permission_mode" => claude.permission_mode = Some(Some(v.into())),
            "permission_prompt_tool" => claude.permission_prompt_tool = Some(Some(v.into())),
            "effort" => {
                claude.effort = Some(Some(choice(
                    key,
                    v,
                    ClaudeEffort::parse,
                    "low, medium, high, or max",
                )?))
            }
            "max_turns" => claude.max_turns = Some(Some(positive(key, v)?)),
            "mcp_config" => claude.mcp_config = Some(csv(v)),
            "settings" => claude.settings = Some(Some(v.into())),
            "settings_json" => claude.settings_json = Some(Some(json_object(key, v)?)),
            "hooks_json" => claude.hooks_json = Some(Some(json_object(key, v)?)),
            "allowed_http_hook_urls" => claude.allowed_http_hook_urls = Some(csv(v)),
            "output_format" => {
                claude.output_format = Some(choice(
                    key,
                    v,
                    ClaudeOutputFormat::parse,
                    "text, json, or stream-json",
                )?)
            }
            "allowed_tools" => claude.allowed_tools = Some(csv(v)),
            _ => claude.disallowed_tools = Some(csv(v)),
        }
        Ok(())
    }

    fn apply_opencode(
        &mut self,
        key: &str,
        field: &str,
        v: &str,
    ) -> Result<(), ExecutorSettingError> {
        let opencode = self.opencode.get_or_insert_with(OpencodePatch::default);
        match field {
            "command" => opencode.command = Some(v.into()),
            "agent" => opencode.agent = Some(Some(v.into())),
            "attach" => opencode.attach = Some(Some(v.into())),
            "files" => opencode.files = Some(csv(v)),
            "format" => {
                opencode.format = Some(choice(key, v, OpencodeFormat::parse, "default or json")?)
            }
            "steps" => opencode.steps = Some(Some(positive(key, v)?)),
            "instructions" => opencode.instructions = Some(csv(v)),
            "permission" => opencode.permission = Some(Some(json(key, v)?)),
            _ => opencode.config_json = Some(Some(json_object(key, v)?)),
        }
        Ok(())
    }

    /// Which vendor sections the block sets (for the "overrides must match the id" rule).
    pub fn vendor_sections(&self) -> Vec<ExecutorId> {
        let mut out = Vec::new();
        if self.codex.is_some() {
            out.push(ExecutorId::Codex);
        }
        if self.claude.is_some() {
            out.push(ExecutorId::Claude);
        }
        if self.opencode.is_some() {
            out.push(ExecutorId::Opencode);
        }
        out
    }
}
