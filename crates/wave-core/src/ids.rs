//! Validated identifiers of Wave: projects, lanes, waves, agents, agent slugs and run ids.
//!
//! Every id is checked once, when it is built, and is then carried as its own type, so code that
//! joins an id into a path never re-checks it. Each string id accepts exactly the grammar upstream
//! Wave v0.9.1 produces, and none of them can form a path component that leaves its directory
//! (`.`, `..`, `/`, NUL and the empty string are all refused).
//!
//! Two entry points exist for the ids that upstream *normalises* (project, lane, ad-hoc run):
//! - strict parsing ([`std::str::FromStr`], [`TryFrom<String>`], serde) accepts only the canonical
//!   form, which is what state files hold;
//! - `normalize` applies upstream's sanitiser (lower-case, other characters collapsed to `-`,
//!   dashes trimmed) to user input such as `--lane Main` before checking the grammar.
//!
//! String ids serialise as plain JSON strings; [`WaveNumber`] as a JSON number, as upstream writes it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(test)]
mod tests;

/// Longest accepted project id, lane or ad-hoc run id, in bytes.
///
/// Upstream has no limit; this one keeps every derived file name (`<lane>-wave-launcher`,
/// `<agentId>.runtime.json`, …) under the 255-byte name limit of Linux file systems.
pub const MAX_NAME_ID_LEN: usize = 128;

/// Longest accepted agent id, in bytes (upstream has no limit; see [`MAX_NAME_ID_LEN`]).
pub const MAX_AGENT_ID_LEN: usize = 128;

/// Longest agent slug: upstream truncates slugs to 48 characters.
pub const MAX_SLUG_LEN: usize = 48;

/// The kind of id an [`IdError`] is about, named in its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// [`ProjectId`].
    Project,
    /// [`LaneId`].
    Lane,
    /// [`WaveNumber`].
    Wave,
    /// [`AgentId`].
    Agent,
    /// [`AgentSlug`].
    AgentSlug,
    /// [`RunId`].
    Run,
    /// [`AdhocRunId`].
    AdhocRun,
}

impl IdKind {
    /// Lower-case name used in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Project => "project id",
            IdKind::Lane => "lane",
            IdKind::Wave => "wave number",
            IdKind::Agent => "agent id",
            IdKind::AgentSlug => "agent slug",
            IdKind::Run => "run id",
            IdKind::AdhocRun => "ad-hoc run id",
        }
    }

    /// The accepted grammar, as shown in error messages.
    pub fn expected(self) -> &'static str {
        match self {
            IdKind::Project | IdKind::Lane => {
                "lower-case letters, digits, '_' and '-', starting with a letter or digit"
            }
            IdKind::Wave => "a decimal number from 0 to 4294967295",
            IdKind::Agent => {
                "text without line breaks, control characters, '/', '\\' or ':', not '.' or '..'"
            }
            IdKind::AgentSlug => {
                "1 to 48 lower-case letters, digits and '-', starting with a letter or digit"
            }
            IdKind::Run => "run-<milliseconds>-<8 lower-case hex digits>",
            IdKind::AdhocRun => {
                "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit"
            }
        }
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a valid id. The message names the id kind and the accepted grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Nothing left after trimming.
    #[error("{kind} is empty; expected {}", kind.expected())]
    Empty {
        /// Which id.
        kind: IdKind,
    },
    /// Longer than the limit for its kind.
    #[error("{kind} {value:?} is {len} bytes long; expected at most {max}")]
    TooLong {
        /// Which id.
        kind: IdKind,
        /// The rejected input.
        value: String,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Outside the grammar of its kind.
    #[error("{kind} {value:?} is invalid; expected {}", kind.expected())]
    Invalid {
        /// Which id.
        kind: IdKind,
        /// The rejected input.
        value: String,
    },
}

impl IdError {
    /// Which id kind failed.
    pub fn kind(&self) -> IdKind {
        match self {
            IdError::Empty { kind }
            | IdError::TooLong { kind, .. }
            | IdError::Invalid { kind, .. } => *kind,
        }
    }

    fn invalid(kind: IdKind, value: &str) -> Self {
        IdError::Invalid {
            kind,
            value: value.to_string(),
        }
    }
}

/// Implements the string-newtype plumbing: accessors, `Display`, `AsRef<str>`, `FromStr`,
/// `TryFrom<String>`, `TryFrom<&str>` and serde (plain string out, validated string in).
/// The type must have an associated `fn validate(&str) -> Result<String, IdError>` returning the
/// canonical stored form.
macro_rules! string_id {
    ($name:ident) => {
        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<std::path::Path> for $name {
            fn as_ref(&self) -> &std::path::Path {
                std::path::Path::new(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::validate(text).map($name)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(text: String) -> Result<Self, IdError> {
                text.parse()
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(text: &str) -> Result<Self, IdError> {
                text.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Checks the shared grammar of project ids and lanes (and, with `allow_dot`, ad-hoc run ids):
/// first byte `[a-z0-9]`, then `[a-z0-9_-]` (plus `.`), at most [`MAX_NAME_ID_LEN`] bytes.
fn check_name(kind: IdKind, text: &str, allow_dot: bool) -> Result<String, IdError> {
    if text.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if text.len() > MAX_NAME_ID_LEN {
        return Err(IdError::TooLong {
            kind,
            value: text.to_string(),
            len: text.len(),
            max: MAX_NAME_ID_LEN,
        });
    }
    let bytes = text.as_bytes();
    let first_ok = bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit();
    let rest_ok = bytes.iter().all(|&b| {
        b.is_ascii_lowercase()
            || b.is_ascii_digit()
            || b == b'_'
            || b == b'-'
            || (allow_dot && b == b'.')
    });
    if first_ok && rest_ok {
        Ok(text.to_string())
    } else {
        Err(IdError::invalid(kind, text))
    }
}

/// Upstream's sanitiser for project ids, lanes and ad-hoc run ids: trim, lower-case, every run of
/// characters outside the allowed set becomes one `-`, runs of `-` collapse, edge dashes go.
fn sanitize_name(raw: &str, allow_dot: bool) -> String {
    let lowered = raw.trim().to_lowercase();
    let mut out = String::with_capacity(lowered.len());
    for ch in lowered.chars() {
        let keep =
            ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || (allow_dot && ch == '.');
        if keep {
            out.push(ch);
        } else if !out.ends_with('-') {
            // Disallowed characters and literal dashes alike collapse into one dash.
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Sanitises `raw` as upstream does and checks the result; an `Invalid` error quotes `raw`.
fn normalized_name(kind: IdKind, raw: &str, allow_dot: bool) -> Result<String, IdError> {
    check_name(kind, &sanitize_name(raw, allow_dot), allow_dot).map_err(|err| match err {
        IdError::Invalid { kind, .. } => IdError::invalid(kind, raw),
        other => other,
    })
}

/// A project id: the key of `projects` in `wave.config.json`, or `default` for the implicit project.
///
/// Grammar `[a-z0-9][a-z0-9_-]*` (upstream's `sanitizeProjectId`), at most [`MAX_NAME_ID_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProjectId(String);

string_id!(ProjectId);

impl ProjectId {
    /// Id of the implicit project when the config names no `defaultProject`.
    pub const DEFAULT: &'static str = "default";

    /// The implicit project's default id, `default`.
    pub fn default_project() -> Self {
        ProjectId(Self::DEFAULT.to_string())
    }

    /// Normalises user input the way upstream does (`" My Proj "` → `my-proj`), then validates.
    pub fn normalize(raw: &str) -> Result<Self, IdError> {
        normalized_name(IdKind::Project, raw, false).map(ProjectId)
    }

    fn validate(text: &str) -> Result<String, IdError> {
        check_name(IdKind::Project, text, false)
    }
}

/// A lane name (`main`, `release-2`, …), part of the state directory `<lane>-wave-launcher`.
///
/// Grammar `[a-z0-9][a-z0-9_-]*` (upstream's `sanitizeLaneName`), at most [`MAX_NAME_ID_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LaneId(String);

string_id!(LaneId);

impl LaneId {
    /// Upstream's default lane name.
    pub const MAIN: &'static str = "main";

    /// The default lane, `main`.
    pub fn main() -> Self {
        LaneId(Self::MAIN.to_string())
    }

    /// Normalises user input the way upstream does (`"Main Lane"` → `main-lane`), then validates.
    pub fn normalize(raw: &str) -> Result<Self, IdError> {
        normalized_name(IdKind::Lane, raw, false).map(LaneId)
    }

    fn validate(text: &str) -> Result<String, IdError> {
        check_name(IdKind::Lane, text, false)
    }
}

/// An ad-hoc run id (`--adhoc-run`), e.g. `adhoc-20260101120000-a1b2c3`.
///
/// Grammar `[a-z0-9][a-z0-9._-]*` (upstream's `sanitizeAdhocRunId`), at most [`MAX_NAME_ID_LEN`]
/// bytes. Dots are allowed but, as the first byte is a letter or digit, never form `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AdhocRunId(String);

string_id!(AdhocRunId);

impl AdhocRunId {
    /// The id upstream generates: `adhoc-<YYYYMMDDhhmmss>-<6 hex>` from a UTC timestamp (digits
    /// only, e.g. `20260101120000`) and three random bytes. Pure: the caller supplies both.
    pub fn from_parts(utc_stamp: &str, random: [u8; 3]) -> Result<Self, IdError> {
        let [a, b, c] = random;
        let raw = format!("adhoc-{utc_stamp}-{a:02x}{b:02x}{c:02x}");
        Self::validate(&raw).map(AdhocRunId)
    }

    /// Normalises user input the way upstream does (`"My Run"` → `my-run`), then validates.
    pub fn normalize(raw: &str) -> Result<Self, IdError> {
        normalized_name(IdKind::AdhocRun, raw, true).map(AdhocRunId)
    }

    fn validate(text: &str) -> Result<String, IdError> {
        check_name(IdKind::AdhocRun, text, true)
    }
}

/// An agent id as written in `## Agent <id>: <title>` (`A1`, `E0`, `A 7`, …).
///
/// Upstream takes everything between `## Agent ` and the first `:`, trimmed, so ids may hold
/// spaces. Parsing trims surrounding whitespace and refuses the empty string, control characters
/// (line breaks, NUL), `/`, `\`, `:` and the names `.` and `..`, at most [`MAX_AGENT_ID_LEN`]
/// bytes. Upstream joins the id verbatim into a few file names (`results/…/<id>.json`,
/// `inboxes/wave-<n>/<id>.md`, `agents/<id>.runtime.json`); these rules keep that safe.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId(String);

string_id!(AgentId);

impl AgentId {
    fn validate(text: &str) -> Result<String, IdError> {
        let kind = IdKind::Agent;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(IdError::Empty { kind });
        }
        if trimmed.len() > MAX_AGENT_ID_LEN {
            return Err(IdError::TooLong {
                kind,
                value: trimmed.to_string(),
                len: trimmed.len(),
                max: MAX_AGENT_ID_LEN,
            });
        }
        let bad_char = trimmed
            .chars()
            .any(|ch| ch.is_control() || is_format_char(ch) || matches!(ch, '/' | '\\' | ':'));
        if bad_char || trimmed == "." || trimmed == ".." {
            return Err(IdError::invalid(kind, text));
        }
        Ok(trimmed.to_string())
    }
}

/// Invisible formatting characters that make an id display as another: line/paragraph
/// separators, bidirectional controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069),
/// zero-width characters and the byte-order mark.
fn is_format_char(ch: char) -> bool {
    matches!(ch,
        '\u{2028}' | '\u{2029}' | '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A wave number, from `wave-<n>.md` (leading zeros allowed on input: `wave-01.md` is wave 1).
///
/// Displays without leading zeros; serialises as a JSON number, as upstream's records hold it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct WaveNumber(pub u32);

impl WaveNumber {
    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for WaveNumber {
    fn from(n: u32) -> Self {
        WaveNumber(n)
    }
}

impl fmt::Display for WaveNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for WaveNumber {
    type Err = IdError;
    /// Parses ASCII decimal digits only (no sign, no spaces); leading zeros are accepted.
    fn from_str(text: &str) -> Result<Self, IdError> {
        let kind = IdKind::Wave;
        if text.is_empty() {
            return Err(IdError::Empty { kind });
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::invalid(kind, text));
        }
        text.parse::<u32>()
            .map(WaveNumber)
            .map_err(|_| IdError::invalid(kind, text))
    }
}

impl TryFrom<String> for WaveNumber {
    type Error = IdError;
    fn try_from(text: String) -> Result<Self, IdError> {
        text.parse()
    }
}

/// The file-name slug of an agent: lower-cased `<wave>-<agentId>`, each run of characters outside
/// `[a-z0-9]` replaced by one `-`, edge dashes trimmed, then cut to 48 characters (a cut may leave
/// a trailing dash, as upstream's does). Per-agent files are named `wave-<n>-<slug>.*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentSlug(String);

string_id!(AgentSlug);

impl AgentSlug {
    /// Upstream's `slugify("<wave>-<agentId>")`, e.g. wave 0, agent `A1` → `0-a1`.
    pub fn new(wave: WaveNumber, agent: &AgentId) -> Self {
        let lowered = format!("{wave}-{agent}").to_lowercase();
        let mut slug = String::with_capacity(lowered.len());
        for ch in lowered.chars() {
            if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
                slug.push(ch);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let trimmed = slug.trim_end_matches('-');
        // Only ASCII remains, so byte and character counts agree.
        let cut = &trimmed[..trimmed.len().min(MAX_SLUG_LEN)];
        // The wave's digits always lead, so the slug is never empty.
        AgentSlug(cut.to_string())
    }

    /// The slug upstream gives the resident orchestrator: `<wave>-resident-orchestrator`.
    pub fn resident_orchestrator(wave: WaveNumber) -> Self {
        AgentSlug(format!("{wave}-resident-orchestrator"))
    }

    fn validate(text: &str) -> Result<String, IdError> {
        let kind = IdKind::AgentSlug;
        if text.is_empty() {
            return Err(IdError::Empty { kind });
        }
        if text.len() > MAX_SLUG_LEN {
            return Err(IdError::TooLong {
                kind,
                value: text.to_string(),
                len: text.len(),
                max: MAX_SLUG_LEN,
            });
        }
        let bytes = text.as_bytes();
        let first_ok = bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit();
        let rest_ok = bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if first_ok && rest_ok {
            Ok(text.to_string())
        } else {
            Err(IdError::invalid(kind, text))
        }
    }
}

/// A supervisor run id, `run-<ms since the Unix epoch>-<8 lower-case hex>`, e.g.
/// `run-1795465381487-711a29a1`; names the directory `control/supervisor/runs/<runId>/`.
///
/// Parsing is strict: decimal milliseconds without leading zeros, exactly eight lower-case hex
/// digits, so every accepted string is the display of exactly one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId {
    millis: u64,
    random: u32,
}

impl RunId {
    /// Builds the id from its parts; the caller supplies the clock and four random bytes.
    pub fn from_parts(millis: u64, random: u32) -> Self {
        RunId { millis, random }
    }

    /// Milliseconds since the Unix epoch at submission.
    pub fn millis(self) -> u64 {
        self.millis
    }

    /// The random suffix.
    pub fn random(self) -> u32 {
        self.random
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "run-{}-{:08x}", self.millis, self.random)
    }
}

impl FromStr for RunId {
    type Err = IdError;
    fn from_str(text: &str) -> Result<Self, IdError> {
        let kind = IdKind::Run;
        if text.is_empty() {
            return Err(IdError::Empty { kind });
        }
        let invalid = || IdError::invalid(kind, text);
        let rest = text.strip_prefix("run-").ok_or_else(invalid)?;
        let (millis, random) = rest.split_once('-').ok_or_else(invalid)?;
        let millis_ok = !millis.is_empty()
            && millis.bytes().all(|b| b.is_ascii_digit())
            && (millis == "0" || !millis.starts_with('0'));
        let random_ok = random.len() == 8
            && random
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !millis_ok || !random_ok {
            return Err(invalid());
        }
        let millis = millis.parse::<u64>().map_err(|_| invalid())?;
        let random = u32::from_str_radix(random, 16).map_err(|_| invalid())?;
        Ok(RunId { millis, random })
    }
}

impl TryFrom<String> for RunId {
    type Error = IdError;
    fn try_from(text: String) -> Result<Self, IdError> {
        text.parse()
    }
}

impl TryFrom<&str> for RunId {
    type Error = IdError;
    fn try_from(text: &str) -> Result<Self, IdError> {
        text.parse()
    }
}

impl Serialize for RunId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RunId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
