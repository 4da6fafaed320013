//! `wave.config.json`: the typed model, the loader, lane resolution and executor settings.
//!
//! Reads a user's config exactly as upstream Wave v0.9.1 does (launcher reference §2):
//!
//! - [`load`] / [`Config::from_json_text`] — a missing or unparsable file means all defaults
//!   (upstream is silent about an unparsable one; here a [`ConfigWarning`] says so), legacy
//!   evaluator keys are errors, unknown keys (and `waveControl`, `planner`) are ignored;
//! - [`Config::resolve_lane`] — project, lane, paths, roles, validation thresholds, executors,
//!   runtime policy, skills and capability routing merged top level → project → lane into a
//!   [`LaneConfig`];
//! - [`ExecutorOverrides::apply_setting`] — one `### Executor` bullet of a wave agent;
//! - [`resolve_agent_executor`] — the executor, settings, fallbacks and budget of one agent.
//!
//! The only IO is [`load`] reading the file; everything else takes its inputs as values (the
//! legacy waves-dir rule takes a directory-existence closure).

mod agent;
mod executor;
mod layers;
mod model;
mod overrides;
mod resolve;
mod value;
mod vocab;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use agent::{
    resolve_agent_executor, AgentExecutorError, ExecutorRequest, ResolvedExecutor, RuntimeRole,
    SelectedBy,
};
pub use executor::{
    Budget, ClaudeEffort, ClaudeOutputFormat, ClaudePatch, ClaudePromptMode, ClaudeSettings,
    CodexPatch, CodexSandbox, CodexSettings, ExecutorId, ExecutorProfile, ExecutorsConfig,
    ExecutorsLayer, OpencodeFormat, OpencodePatch, OpencodeSettings, RetryPolicy,
};
pub use layers::{
    CapabilityRouting, PathsLayer, RolesConfig, RolesLayer, RuntimePolicy, RuntimePolicyLayer,
    SkillsConfig, SkillsLayer, Threshold, ThresholdSetting, ValidationConfig, ValidationLayer,
    DEFAULT_REQUIRED_PROMPT_REFERENCES, SKILL_ROLES,
};
pub use model::{Config, LaneOverrides, ProjectConfig, RepoMode, Sections};
pub use overrides::{ExecutorOverrides, ExecutorSettingError, EXECUTOR_SETTING_KEYS};
pub use resolve::LaneConfig;

/// File name of the config at the repository root.
pub const CONFIG_FILE_NAME: &str = "wave.config.json";

/// An error in `wave.config.json` or in resolving a project/lane from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A known field has a value of the wrong type or outside its vocabulary.
    #[error("wave.config.json: {path}: {message}")]
    Invalid {
        /// JSON path of the field (`executors.codex.sandbox`).
        path: String,
        /// What was expected (and what was found).
        message: String,
    },
    /// A legacy key that upstream renamed (a hard error there too).
    #[error("wave.config.json: {at}: {old} was renamed to {new}")]
    Renamed {
        /// JSON path of the object holding the key.
        at: String,
        /// The legacy key, as upstream names it (`roles.evaluatorAgentId`).
        old: String,
        /// Its replacement (`roles.contQaAgentId`).
        new: String,
    },
    /// `wave.config.json` is not a regular file (a FIFO, a device, a directory) or is too large
    /// to be a config; reading it could hang or exhaust memory, so nothing is read.
    #[error("wave.config.json: expected a regular file of at most {max} bytes, found {found}")]
    NotAConfigFile {
        /// What was found (`a FIFO`, `a directory`, `a 20971520-byte file`).
        found: String,
        /// The size limit.
        max: u64,
    },
    /// `repoMode` is neither `single-repo` nor `multi-lane`.
    #[error("Unsupported repoMode in wave.config.json: {0} (expected single-repo or multi-lane)")]
    UnsupportedRepoMode(String),
    /// A lane name (config key, `defaultLane` or `--lane`) that sanitizes to nothing usable.
    #[error("Invalid lane: {0}")]
    InvalidLane(String),
    /// A project id (config key, `defaultProject` or `--project`) that sanitizes to nothing.
    #[error("Invalid project id: {0}")]
    InvalidProjectId(String),
    /// `--project` (or `defaultProject`) names no configured project.
    #[error("Unknown project: {0}")]
    UnknownProject(String),
}

impl ConfigError {
    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Why a present `wave.config.json` was ignored (upstream falls back to defaults silently).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigWarning {
    /// The file is not valid JSON.
    #[error("wave.config.json is not valid JSON ({0}); using the default configuration")]
    Unparsable(String),
    /// The file could not be read (permissions, not UTF-8, …).
    #[error("wave.config.json could not be read ({0}); using the default configuration")]
    Unreadable(String),
    /// The document is JSON but not an object (e.g. an array).
    #[error("wave.config.json is not a JSON object; using the default configuration")]
    NotAnObject,
}

/// A loaded config plus the warning to print, if the file was present but ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The config (all defaults when the file was missing or ignored).
    pub config: Config,
    /// Set when a present file was ignored.
    pub warning: Option<ConfigWarning>,
}

impl Config {
    /// Parses the text of `wave.config.json` (see [`load`] for the missing-file case).
    pub fn from_json_text(text: &str) -> Result<Loaded, ConfigError> {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => {
                // `null` is read as `{}` by upstream without any oddity worth a warning.
                let warning =
                    (!value.is_object() && !value.is_null()).then_some(ConfigWarning::NotAnObject);
                Ok(Loaded {
                    config: Config::from_value(&value)?,
                    warning,
                })
            }
            Err(err) => Ok(Loaded {
                config: Config::default(),
                warning: Some(ConfigWarning::Unparsable(err.to_string())),
            }),
        }
    }
}

/// The largest `wave.config.json` read (8 MiB; real configs are a few KiB).
pub const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;

/// Loads `<repo_root>/wave.config.json`. A missing file means all defaults without a warning.
pub fn load(repo_root: &Path) -> Result<Loaded, ConfigError> {
    let path = repo_root.join(CONFIG_FILE_NAME);
    if let Ok(meta) = std::fs::metadata(&path) {
        let kind = meta.file_type();
        let found = if kind.is_dir() {
            Some("a directory".to_string())
        } else if !kind.is_file() {
            Some("a FIFO, socket or device".to_string())
        } else if meta.len() > MAX_CONFIG_BYTES {
            Some(format!("a {}-byte file", meta.len()))
        } else {
            None
        };
        if let Some(found) = found {
            return Err(ConfigError::NotAConfigFile {
                found,
                max: MAX_CONFIG_BYTES,
            });
        }
    }
    match std::fs::read_to_string(&path) {
        Ok(text) => Config::from_json_text(&text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Loaded {
            config: Config::default(),
            warning: None,
        }),
        Err(err) => Ok(Loaded {
            config: Config::default(),
            warning: Some(ConfigWarning::Unreadable(err.to_string())),
        }),
    }
}
