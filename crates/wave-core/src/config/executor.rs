//! Executor vocabularies, per-executor settings and profiles (`executors.*` of the config).
//!
//! Owns the typed settings of the three CLI runtimes (`codex`, `claude`, `opencode`), their
//! *patches* (the same fields, each optional: what one config layer, profile or wave agent sets),
//! `executors.profiles.<name>`, and reading all of them from JSON with upstream v0.9.1's
//! defaults and error decisions. Merging the layers happens in [`super::resolve`] and
//! [`super::agent`].

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::value::{
    as_object, bool_value, has, is_falsy, join, json_object, opt_positive_int, opt_string,
    string_array, string_or_array,
};
pub use super::vocab::{
    ClaudeEffort, ClaudeOutputFormat, ClaudePromptMode, CodexSandbox, ExecutorId, OpencodeFormat,
    RetryPolicy,
};
use super::ConfigError;

/// Generates a resolved settings struct and its patch (every field optional, `None` = not set).
macro_rules! settings_pair {
    (
        $(#[$smeta:meta])* $settings:ident,
        $(#[$pmeta:meta])* $patch:ident {
            $($(#[$fmeta:meta])* $field:ident : $ty:ty),+ $(,)?
        }
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $settings {
            $($(#[$fmeta])* pub $field: $ty,)+
        }

        $(#[$pmeta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $patch {
            $($(#[$fmeta])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)+
        }

        impl $settings {
            /// Replaces every field the patch sets (a config layer "replaces per field").
            pub fn apply(&mut self, patch: &$patch) {
                $(if let Some(value) = &patch.$field { self.$field = value.clone(); })+
            }
        }

        impl $patch {
            /// Whether the patch sets nothing.
            pub fn is_empty(&self) -> bool {
                true $(&& self.$field.is_none())+
            }
        }
    };
}

settings_pair! {
    /// Resolved `executors.codex` settings.
    CodexSettings,
    /// Codex settings set by one layer, profile or agent.
    CodexPatch {
        /// Command to run (`codex`).
        command: String,
        /// Sandbox mode (`danger-full-access`).
        sandbox: CodexSandbox,
        /// `--profile` name.
        profile_name: Option<String>,
        /// `-c key=value` entries.
        config: Vec<String>,
        /// `--search`.
        search: bool,
        /// `--image` paths.
        images: Vec<String>,
        /// `--add-dir` paths.
        add_dirs: Vec<String>,
        /// `--json`.
        json: bool,
        /// `--ephemeral`.
        ephemeral: bool,
    }
}

settings_pair! {
    /// Resolved `executors.claude` settings.
    ClaudeSettings,
    /// Claude settings set by one layer, profile or agent.
    ClaudePatch {
        /// Command to run (`claude`).
        command: String,
        /// `--model`.
        model: Option<String>,
        /// `--agent`.
        agent: Option<String>,
        /// Append or replace the system prompt.
        append_system_prompt_mode: ClaudePromptMode,
        /// `--permission-mode`.
        permission_mode: Option<String>,
        /// `--permission-prompt-tool`.
        permission_prompt_tool: Option<String>,
        /// `--effort`.
        effort: Option<ClaudeEffort>,
        /// `--max-turns` (a hard turn limit).
        max_turns: Option<u32>,
        /// `--mcp-config` entries.
        mcp_config: Vec<String>,
        /// `--strict-mcp-config`.
        strict_mcp_config: bool,
        /// Path of a settings JSON file.
        settings: Option<String>,
        /// Inline settings overlay.
        settings_json: Option<Map<String, Value>>,
        /// Inline hooks overlay.
        hooks_json: Option<Map<String, Value>>,
        /// URLs HTTP hooks may call.
        allowed_http_hook_urls: Vec<String>,
        /// `--output-format`.
        output_format: ClaudeOutputFormat,
        /// `--allowedTools`.
        allowed_tools: Vec<String>,
        /// `--disallowedTools`.
        disallowed_tools: Vec<String>,
    }
}

settings_pair! {
    /// Resolved `executors.opencode` settings.
    OpencodeSettings,
    /// OpenCode settings set by one layer, profile or agent.
    OpencodePatch {
        /// Command to run (`opencode`).
        command: String,
        /// `--model`.
        model: Option<String>,
        /// `--agent`.
        agent: Option<String>,
        /// `--attach` URL.
        attach: Option<String>,
        /// `--file` entries.
        files: Vec<String>,
        /// `--format`.
        format: OpencodeFormat,
        /// Agent `steps` (a hard turn limit).
        steps: Option<u32>,
        /// Extra instruction files.
        instructions: Vec<String>,
        /// Agent `permission` JSON (any JSON from a wave file; an object from config).
        permission: Option<Value>,
        /// Base `opencode.json` content.
        config_json: Option<Map<String, Value>>,
    }
}

impl Default for CodexSettings {
    fn default() -> Self {
        Self {
            command: "codex".into(),
            sandbox: CodexSandbox::DangerFullAccess,
            profile_name: None,
            config: Vec::new(),
            search: false,
            images: Vec::new(),
            add_dirs: Vec::new(),
            json: false,
            ephemeral: false,
        }
    }
}

impl Default for ClaudeSettings {
    fn default() -> Self {
        Self {
            command: "claude".into(),
            model: None,
            agent: None,
            append_system_prompt_mode: ClaudePromptMode::Append,
            permission_mode: None,
            permission_prompt_tool: None,
            effort: None,
            max_turns: None,
            mcp_config: Vec::new(),
            strict_mcp_config: false,
            settings: None,
            settings_json: None,
            hooks_json: None,
            allowed_http_hook_urls: Vec::new(),
            output_format: ClaudeOutputFormat::Text,
            allowed_tools: Vec::new(),
            disallowed_tools: Vec::new(),
        }
    }
}

impl Default for OpencodeSettings {
    fn default() -> Self {
        Self {
            command: "opencode".into(),
            model: None,
            agent: None,
            attach: None,
            files: Vec::new(),
            format: OpencodeFormat::Default,
            steps: None,
            instructions: Vec::new(),
            permission: None,
            config_json: None,
        }
    }
}

/// `budget` of a profile or agent: advisory turns and a wall-clock cap in minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    /// Advisory turn budget (never becomes a CLI flag).
    pub turns: Option<u32>,
    /// Per-agent wall-clock cap in minutes.
    pub minutes: Option<u32>,
}

/// `executors.profiles.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorProfile {
    /// Executor the profile selects.
    pub id: Option<ExecutorId>,
    /// Model the profile selects.
    pub model: Option<String>,
    /// Fallback executors.
    pub fallbacks: Vec<ExecutorId>,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// Budget (`None` when neither turns nor minutes is set).
    pub budget: Option<Budget>,
    /// Codex settings of the profile (`None` when the profile has no `codex` object).
    pub codex: Option<CodexPatch>,
    /// Claude settings of the profile.
    pub claude: Option<ClaudePatch>,
    /// OpenCode settings of the profile.
    pub opencode: Option<OpencodePatch>,
}

impl ExecutorProfile {
    /// Upstream re-normalizes top-level and project-level profiles once per merge step, and its
    /// boolean normalizer turns the first pass's `null` into `false`; so in v0.9.1 a profile
    /// defined above the lane that has a `codex` (or `claude`) object sets `search`, `json`,
    /// `ephemeral` (`strictMcpConfig`) to `false` unless it sets them itself, overriding the
    /// lane's `executors.codex.search: true`. Lane-level profiles are normalized once and keep
    /// them unset. This reproduces that so command lines match upstream.
    pub(crate) fn with_renormalized_booleans(mut self) -> Self {
        if let Some(codex) = self.codex.as_mut() {
            codex.search.get_or_insert(false);
            codex.json.get_or_insert(false);
            codex.ephemeral.get_or_insert(false);
        }
        if let Some(claude) = self.claude.as_mut() {
            claude.strict_mcp_config.get_or_insert(false);
        }
        self
    }
}

/// One layer of `executors` (top level, project or lane), as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorsLayer {
    /// `executors.default` when the layer has the key.
    pub default: Option<ExecutorId>,
    /// Profiles by lower-cased name.
    pub profiles: BTreeMap<String, ExecutorProfile>,
    /// Codex keys the layer sets.
    pub codex: CodexPatch,
    /// Claude keys the layer sets.
    pub claude: ClaudePatch,
    /// OpenCode keys the layer sets.
    pub opencode: OpencodePatch,
}

/// Resolved `executors` of a lane.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorsConfig {
    /// Default executor (`codex`).
    pub default: ExecutorId,
    /// Profiles by lower-cased name.
    pub profiles: BTreeMap<String, ExecutorProfile>,
    /// Codex settings.
    pub codex: CodexSettings,
    /// Claude settings.
    pub claude: ClaudeSettings,
    /// OpenCode settings.
    pub opencode: OpencodeSettings,
}

impl Default for ExecutorsConfig {
    fn default() -> Self {
        Self {
            default: ExecutorId::Codex,
            profiles: BTreeMap::new(),
            codex: CodexSettings::default(),
            claude: ClaudeSettings::default(),
            opencode: OpencodeSettings::default(),
        }
    }
}

fn one_of<T>(
    parsed: Option<T>,
    path: &str,
    value: &Value,
    expected: String,
) -> Result<T, ConfigError> {
    parsed.ok_or_else(|| {
        let got = super::value::display_value(value);
        let got = if got.trim().is_empty() {
            "empty".to_string()
        } else {
            got.trim().to_lowercase()
        };
        ConfigError::invalid(path, format!("expected one of {expected} (got: {got})"))
    })
}

/// Parses an executor id as upstream's `normalizeExecutorMode`.
pub(crate) fn executor_id(value: &Value, path: &str) -> Result<ExecutorId, ConfigError> {
    let text = super::value::scalar_text(value).unwrap_or_default();
    one_of(
        ExecutorId::parse(&text),
        path,
        value,
        ExecutorId::expected(),
    )
}

/// Upstream's `normalizeExecutorModeArray`: a list or a comma-separated string of executor ids.
pub(crate) fn executor_id_list(value: &Value, path: &str) -> Result<Vec<ExecutorId>, ConfigError> {
    let entries: Vec<Value> = match value {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) if s.is_empty() => return Ok(Vec::new()),
        Value::Array(items) => items.clone(),
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.into()))
            .collect(),
        other => vec![other.clone()],
    };
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| executor_id(entry, &format!("{path}[{index}]")))
        .collect()
}

fn enum_field<T>(
    value: &Value,
    path: &str,
    parse: fn(&str) -> Option<T>,
    expected: String,
) -> Result<T, ConfigError> {
    let text = super::value::scalar_text(value)
        .ok_or_else(|| ConfigError::invalid(path, format!("expected one of {expected}")))?;
    one_of(parse(&text), path, value, expected)
}

/// Whether a layer is read as a config section (present keys reset to defaults when falsy) or as
/// a profile sub-object (falsy means "not set").
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Section,
    Profile,
}

/// Reads an optional-string field: `Some(None)` for a present-but-empty key of a section.
fn nullable_string(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    mode: Mode,
) -> Result<Option<Option<String>>, ConfigError> {
    if !has(obj, key) {
        return Ok(None);
    }
    let text = opt_string(obj, key, path)?;
    Ok(match mode {
        Mode::Section => Some(text),
        Mode::Profile => text.map(Some),
    })
}

fn command(
    obj: &Map<String, Value>,
    path: &str,
    mode: Mode,
    default: &str,
) -> Result<Option<String>, ConfigError> {
    if !has(obj, "command") {
        return Ok(None);
    }
    let text = opt_string(obj, "command", path)?;
    Ok(match mode {
        Mode::Section => Some(text.unwrap_or_else(|| default.to_string())),
        Mode::Profile => text,
    })
}

fn list(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    either: bool,
) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(value) = obj.get(key) else {
        return Ok(None);
    };
    let field = join(path, key);
    if either {
        string_or_array(value, &field).map(Some)
    } else {
        Ok(Some(string_array(value, &field)?.unwrap_or_default()))
    }
}

fn boolean(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<bool>, ConfigError> {
    obj.get(key)
        .map(|v| bool_value(v, &join(path, key)))
        .transpose()
}

fn positive(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    mode: Mode,
) -> Result<Option<Option<u32>>, ConfigError> {
    if !has(obj, key) {
        return Ok(None);
    }
    let value = opt_positive_int(obj, key, path)?;
    Ok(match mode {
        Mode::Section => Some(value),
        Mode::Profile => value.map(Some),
    })
}

fn object(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    mode: Mode,
) -> Result<Option<Option<Map<String, Value>>>, ConfigError> {
    let Some(value) = obj.get(key) else {
        return Ok(None);
    };
    let parsed = json_object(value, &join(path, key))?;
    Ok(match mode {
        Mode::Section => Some(parsed),
        Mode::Profile => parsed.map(Some),
    })
}

/// An enum field: a section resets a falsy value to `default`; a profile leaves it unset.
fn choice<T: Copy>(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    mode: Mode,
    default: Option<T>,
    parse: fn(&str) -> Option<T>,
    expected: String,
) -> Result<Option<T>, ConfigError> {
    let Some(value) = obj.get(key) else {
        return Ok(None);
    };
    if is_falsy(value) {
        return Ok(match mode {
            Mode::Section => default,
            Mode::Profile => None,
        });
    }
    enum_field(value, &join(path, key), parse, expected).map(Some)
}

fn parse_codex(
    obj: &Map<String, Value>,
    path: &str,
    mode: Mode,
) -> Result<CodexPatch, ConfigError> {
    Ok(CodexPatch {
        command: command(obj, path, mode, "codex")?,
        sandbox: choice(
            obj,
            "sandbox",
            path,
            mode,
            Some(CodexSandbox::DangerFullAccess),
            CodexSandbox::parse,
            CodexSandbox::expected(),
        )?,
        profile_name: nullable_string(obj, "profileName", path, mode)?,
        config: list(obj, "config", path, true)?,
        search: boolean(obj, "search", path)?,
        images: list(obj, "images", path, true)?,
        add_dirs: list(obj, "addDirs", path, true)?,
        json: boolean(obj, "json", path)?,
        ephemeral: boolean(obj, "ephemeral", path)?,
    })
}

fn parse_claude(
    obj: &Map<String, Value>,
    path: &str,
    mode: Mode,
) -> Result<ClaudePatch, ConfigError> {
    let section = mode == Mode::Section;
    let effort = match obj.get("effort") {
        None => None,
        Some(value) => {
            let text = super::value::scalar_text(value).unwrap_or_else(|| "object".into());
            let parsed = if text.trim().is_empty() {
                None
            } else {
                Some(enum_field(
                    value,
                    &join(path, "effort"),
                    ClaudeEffort::parse,
                    ClaudeEffort::expected(),
                )?)
            };
            match mode {
                Mode::Section => Some(parsed),
                Mode::Profile => parsed.map(Some),
            }
        }
    };
    Ok(ClaudePatch {
        command: command(obj, path, mode, "claude")?,
        // Profiles carry no `model` / `appendSystemPromptMode` in v0.9.1 (the profile's own
        // `model` is read at the profile's top level).
        model: if section {
            nullable_string(obj, "model", path, mode)?
        } else {
            None
        },
        agent: nullable_string(obj, "agent", path, mode)?,
        append_system_prompt_mode: if section {
            choice(
                obj,
                "appendSystemPromptMode",
                path,
                mode,
                Some(ClaudePromptMode::Append),
                ClaudePromptMode::parse,
                ClaudePromptMode::expected(),
            )?
        } else {
            None
        },
        permission_mode: nullable_string(obj, "permissionMode", path, mode)?,
        permission_prompt_tool: nullable_string(obj, "permissionPromptTool", path, mode)?,
        effort,
        max_turns: positive(obj, "maxTurns", path, mode)?,
        mcp_config: list(obj, "mcpConfig", path, true)?,
        strict_mcp_config: boolean(obj, "strictMcpConfig", path)?,
        settings: nullable_string(obj, "settings", path, mode)?,
        settings_json: object(obj, "settingsJson", path, mode)?,
        hooks_json: object(obj, "hooksJson", path, mode)?,
        allowed_http_hook_urls: list(obj, "allowedHttpHookUrls", path, true)?,
        output_format: choice(
            obj,
            "outputFormat",
            path,
            mode,
            Some(ClaudeOutputFormat::Text),
            ClaudeOutputFormat::parse,
            ClaudeOutputFormat::expected(),
        )?,
        allowed_tools: list(obj, "allowedTools", path, false)?,
        disallowed_tools: list(obj, "disallowedTools", path, false)?,
    })
}

fn parse_opencode(
    obj: &Map<String, Value>,
    path: &str,
    mode: Mode,
) -> Result<OpencodePatch, ConfigError> {
    let section = mode == Mode::Section;
    Ok(OpencodePatch {
        command: command(obj, path, mode, "opencode")?,
        model: if section {
            nullable_string(obj, "model", path, mode)?
        } else {
            None
        },
        agent: nullable_string(obj, "agent", path, mode)?,
        attach: nullable_string(obj, "attach", path, mode)?,
        files: list(obj, "files", path, true)?,
        format: choice(
            obj,
            "format",
            path,
            mode,
            Some(OpencodeFormat::Default),
            OpencodeFormat::parse,
            OpencodeFormat::expected(),
        )?,
        steps: positive(obj, "steps", path, mode)?,
        instructions: list(obj, "instructions", path, false)?,
        permission: object(obj, "permission", path, mode)?.map(|o| o.map(Value::Object)),
        config_json: object(obj, "configJson", path, mode)?,
    })
}

type SectionParser<T> = fn(&Map<String, Value>, &str, Mode) -> Result<T, ConfigError>;

/// Reads a profile's vendor sub-object: falsy → none; an object → its patch. Upstream reads any
/// other truthy value as an object without keys; this port reports it.
fn profile_section<T>(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    parse: SectionParser<T>,
) -> Result<Option<T>, ConfigError> {
    let field = join(path, key);
    match obj.get(key) {
        None => Ok(None),
        Some(value) if is_falsy(value) => Ok(None),
        Some(Value::Object(section)) => parse(section, &field, Mode::Profile).map(Some),
        Some(_) => Err(ConfigError::invalid(field, "expected an object")),
    }
}

/// Reads `executors.profiles.<name>` (path is the profile's JSON path).
pub(crate) fn parse_profile(value: &Value, path: &str) -> Result<ExecutorProfile, ConfigError> {
    let Value::Object(obj) = value else {
        return Err(ConfigError::invalid(path, "must be an object"));
    };
    let id = match obj.get("id") {
        Some(v) if !matches!(v, Value::Null) && v.as_str() != Some("") => {
            Some(executor_id(v, &join(path, "id"))?)
        }
        _ => None,
    };
    let budget = match as_object(obj.get("budget")) {
        Some(b) => {
            let bpath = join(path, "budget");
            let turns = opt_positive_int(b, "turns", &bpath)?;
            let minutes = opt_positive_int(b, "minutes", &bpath)?;
            (turns.is_some() || minutes.is_some()).then_some(Budget { turns, minutes })
        }
        None => None,
    };
    Ok(ExecutorProfile {
        id,
        model: opt_string(obj, "model", path)?,
        fallbacks: match obj.get("fallbacks") {
            Some(v) => executor_id_list(v, &join(path, "fallbacks"))?,
            None => Vec::new(),
        },
        tags: match obj.get("tags") {
            Some(v) => string_array(v, &join(path, "tags"))?.unwrap_or_default(),
            None => Vec::new(),
        },
        budget,
        codex: profile_section(obj, "codex", path, parse_codex)?,
        claude: profile_section(obj, "claude", path, parse_claude)?,
        opencode: profile_section(obj, "opencode", path, parse_opencode)?,
    })
}

/// Reads one `executors` layer (path is its JSON path, e.g. `lanes.main.executors`). A
/// non-object layer or vendor section is ignored, as upstream does.
pub(crate) fn parse_executors_layer(
    value: Option<&Value>,
    path: &str,
) -> Result<ExecutorsLayer, ConfigError> {
    let Some(obj) = as_object(value) else {
        return Ok(ExecutorsLayer::default());
    };
    let default = match obj.get("default") {
        None => None,
        Some(v) if is_falsy(v) => Some(ExecutorId::Codex),
        Some(v) => Some(executor_id(v, &join(path, "default"))?),
    };
    let mut profiles = BTreeMap::new();
    if let Some(raw) = as_object(obj.get("profiles")) {
        let ppath = join(path, "profiles");
        for (name, profile) in raw {
            let parsed = parse_profile(profile, &join(&ppath, name))?;
            profiles.insert(name.trim().to_lowercase(), parsed);
        }
    }
    let empty = Map::new();
    let section = |key: &str| as_object(obj.get(key)).unwrap_or(&empty);
    Ok(ExecutorsLayer {
        default,
        profiles,
        codex: parse_codex(section("codex"), &join(path, "codex"), Mode::Section)?,
        claude: parse_claude(section("claude"), &join(path, "claude"), Mode::Section)?,
        opencode: parse_opencode(section("opencode"), &join(path, "opencode"), Mode::Section)?,
    })
}

impl ExecutorsConfig {
    /// Applies one layer on top: `default` and each vendor field replace, profiles replace by
    /// name. `renormalized` marks layers above the lane (see
    /// [`ExecutorProfile::with_renormalized_booleans`]).
    pub(crate) fn apply_layer(&mut self, layer: &ExecutorsLayer, renormalized: bool) {
        if let Some(default) = layer.default {
            self.default = default;
        }
        for (name, profile) in &layer.profiles {
            let profile = if renormalized {
                profile.clone().with_renormalized_booleans()
            } else {
                profile.clone()
            };
            self.profiles.insert(name.clone(), profile);
        }
        self.codex.apply(&layer.codex);
        self.claude.apply(&layer.claude);
        self.opencode.apply(&layer.opencode);
    }
}
