//! Candidate marker lines: which lines of an agent log count as markers at all.
//!
//! Implements upstream's extraction rules over a log window: trimmed lines, one stripped list
//! marker, `[wave-<tag>` lines, lines that are one backtick-wrapped marker, fences that count only
//! when they hold nothing but markers (an unterminated fence at the end is read leniently), and
//! JSON lines whose `text` / `aggregated_output` strings are scanned recursively as log text.
//! The grammar of each kind is applied later, in [`super::summary`].

use serde_json::Value;

use super::grammar::{is_component_char, MarkerKind};
use super::text::{js_trim, skip_ws1, split_lines, strip_prefix_ci, take_run};

/// Characters of log tail that marker extraction sees (UTF-16 code units, like upstream).
pub const LOG_WINDOW: usize = 60_000;

/// Depth limit for JSON strings that themselves hold JSON lines. Real nesting is logarithmic in
/// the window size (each level must escape the previous one), so this never cuts real input.
const MAX_EMBED_DEPTH: usize = 32;

/// A line accepted as a marker candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The trimmed line as it appeared (list prefix and backticks still on).
    pub raw_line: String,
    /// The marker text itself (`[wave-…`), list prefix and backticks removed.
    pub canonical_line: String,
    /// Diagnosed kind from the tag, if it is one of the ten gating kinds.
    pub kind: Option<MarkerKind>,
    /// First `component=<id>` on the line (lower-cased), for component diagnostics.
    pub component_id: Option<String>,
}

/// Collects the marker candidates of `text` in order. Apply [`super::text::tail_utf16`] with
/// [`LOG_WINDOW`] first to get upstream's view of a log file.
pub fn collect_candidates(text: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    collect_into(text, &mut out, 0);
    out
}

fn collect_into(text: &str, out: &mut Vec<Candidate>, depth: usize) {
    let mut fence: Option<Vec<&str>> = None;
    for raw_line in split_lines(text) {
        if depth < MAX_EMBED_DEPTH {
            for embedded in embedded_texts(raw_line) {
                collect_into(&embedded, out, depth + 1);
            }
        }
        let trimmed = js_trim(raw_line);
        if trimmed.starts_with("```") {
            match fence.take() {
                None => fence = Some(Vec::new()),
                Some(lines) => append_fence(&lines, out, true),
            }
            continue;
        }
        if let Some(lines) = fence.as_mut() {
            if !trimmed.is_empty() {
                lines.push(raw_line);
            }
            continue;
        }
        if let Some(candidate) = parse_candidate(raw_line) {
            out.push(candidate);
        }
    }
    if let Some(lines) = fence {
        append_fence(&lines, out, false);
    }
}

/// Adds a fence's candidates; with `require_all`, only when every line is a candidate.
fn append_fence(lines: &[&str], out: &mut Vec<Candidate>, require_all: bool) {
    let mut parsed = Vec::with_capacity(lines.len());
    for line in lines {
        match parse_candidate(line) {
            Some(candidate) => parsed.push(candidate),
            None if require_all => return,
            None => {}
        }
    }
    out.extend(parsed);
}

/// Strings under `text` / `aggregated_output` keys of a JSON object/array line, in document order
/// (an object's own keys first, then nested values).
fn embedded_texts(line: &str) -> Vec<String> {
    let trimmed = js_trim(line);
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return Vec::new();
    }
    let Ok(value) = serde_json::from_str::<Value>(trimmed) else {
        return Vec::new();
    };
    let mut texts = Vec::new();
    collect_json_texts(&value, &mut texts);
    texts.retain(|text| !text.is_empty());
    texts
}

fn collect_json_texts(value: &Value, texts: &mut Vec<String>) {
    match value {
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_json_texts(item, texts)),
        Value::Object(map) => {
            for key in ["text", "aggregated_output"] {
                if let Some(Value::String(text)) = map.get(key) {
                    texts.push(text.clone());
                }
            }
            for nested in map.values() {
                if nested.is_object() || nested.is_array() {
                    collect_json_texts(nested, texts);
                }
            }
        }
        _ => {}
    }
}

/// `^(?:[-*+]|\d+\.)\s+` removed, then trimmed again.
fn strip_list_prefix(line: &str) -> &str {
    let after_marker = if let Some(rest) = line.strip_prefix(['-', '*', '+']) {
        Some(rest)
    } else {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0)
            .then(|| line[digits..].strip_prefix('.'))
            .flatten()
    };
    match after_marker.and_then(skip_ws1) {
        Some(rest) => js_trim(rest),
        None => line,
    }
}

/// The tag of a line starting with `[wave-<tag>` followed by `]`, whitespace, `=` or the end,
/// and the text after that delimiter.
fn wave_tag(line: &str) -> Option<(&str, &str)> {
    let body = strip_prefix_ci(line, "[wave-")?;
    let (tag, rest) = take_run(body, |c| c.is_ascii_alphanumeric() || c == '-')?;
    let mut chars = rest.chars();
    match chars.next() {
        None => Some((tag, "")),
        Some(c) if c == ']' || c == '=' || super::text::is_js_space(c) => {
            Some((tag, chars.as_str()))
        }
        Some(_) => None,
    }
}

/// Upstream's candidate normalisation: the canonical marker text, or `None`.
fn normalize(trimmed: &str) -> Option<&str> {
    let line = strip_list_prefix(trimmed);
    if let Some((_, after)) = wave_tag(line) {
        // `.*$` without the multiline flag: no line terminator may follow the delimiter.
        if !after.contains(super::text::is_js_line_terminator) {
            return Some(line);
        }
    }
    // Backtick-wrapped marker (this check is case-sensitive upstream).
    let inner = line.strip_prefix('`')?.strip_suffix('`')?;
    let after_tag = inner.strip_prefix("[wave-")?;
    (!after_tag.is_empty() && !inner.contains('`')).then(|| js_trim(inner))
}

/// Turns one raw line into a candidate, if it is one.
pub fn parse_candidate(raw: &str) -> Option<Candidate> {
    let raw_line = js_trim(raw);
    if raw_line.is_empty() {
        return None;
    }
    let canonical = normalize(raw_line)?;
    let (tag, _) = wave_tag(canonical)?;
    Some(Candidate {
        raw_line: raw_line.to_string(),
        canonical_line: canonical.to_string(),
        kind: MarkerKind::from_tag(tag),
        component_id: first_component_id(canonical),
    })
}

/// `\bcomponent=([a-z0-9._-]+)` (case-insensitive), lower-cased.
fn first_component_id(line: &str) -> Option<String> {
    super::text::find_all_ci(line, "component=")
        .into_iter()
        .filter(|&at| {
            line[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        })
        .find_map(|at| take_run(&line[at + "component=".len()..], is_component_char))
        .map(|(id, _)| id.to_ascii_lowercase())
}
