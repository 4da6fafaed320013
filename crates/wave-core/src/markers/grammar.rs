//! The v0.9.1 marker grammar: typed markers and their strict single-line parsers.
//!
//! Each `[wave-*]` kind has a fixed field order; tags, keys and values match case-insensitively
//! (values are normalised to lower case); fields are separated by whitespace; a trailing
//! `detail=` swallows the rest of the line and `paths=` runs lazily up to an optional
//! ` detail=`. The parsers here take one marker line (already extracted and normalised by
//! [`super::extract`]) and return `None` when it does not match the grammar.

use serde::{Deserialize, Serialize};

use super::text::{
    find_all_ci, js_trim, skip_ws, skip_ws1, strip_prefix_ci, take_digits, take_run,
};
use crate::contract::{Completion, DocImpact, Durability, ProofLevel};

pub(crate) use crate::vocab::string_enum as keyword_enum;

keyword_enum! {
    /// `state=` of `[wave-proof]` and `[wave-component]`.
    MetState { /** Met. */ Met => "met", /** Gap. */ Gap => "gap" }
}
keyword_enum! {
    /// `state=` of `[wave-doc-closure]`.
    DocClosureState {
        /** Shared-plan delta closed. */ Closed => "closed",
        /** Nothing needed changing. */ NoChange => "no-change",
        /** Still open. */ Delta => "delta",
    }
}
keyword_enum! {
    /// `state=` of `[wave-integration]`.
    IntegrationState {
        /** Ready for documentation closure. */ ReadyForDocClosure => "ready-for-doc-closure",
        /** Needs more work. */ NeedsMoreWork => "needs-more-work",
    }
}
keyword_enum! {
    /// `state=` of `[wave-eval]`.
    EvalState {
        /** Targets satisfied. */ Satisfied => "satisfied",
        /** Needs more work. */ NeedsMoreWork => "needs-more-work",
        /** Blocked. */ Blocked => "blocked",
    }
}
keyword_enum! {
    /// `state=` of `[wave-security]`.
    SecurityState {
        /** Clear. */ Clear => "clear",
        /** Advisory concerns. */ Concerns => "concerns",
        /** Blocked. */ Blocked => "blocked",
    }
}
keyword_enum! {
    /// `state=` of `[wave-design]`.
    DesignState {
        /** Ready for implementation. */ ReadyForImplementation => "ready-for-implementation",
        /** Needs clarification. */ NeedsClarification => "needs-clarification",
        /** Blocked. */ Blocked => "blocked",
    }
}
keyword_enum! {
    /// One dimension value of `[wave-gate]`.
    GateValue {
        /** Pass. */ Pass => "pass",
        /** Concerns. */ Concerns => "concerns",
        /** Blocked. */ Blocked => "blocked",
    }
}
keyword_enum! {
    /// `kind=` of `[wave-gap]`.
    GapKind {
        /** Architecture. */ Architecture => "architecture",
        /** Integration. */ Integration => "integration",
        /** Durability. */ Durability => "durability",
        /** Operations. */ Ops => "ops",
        /** Documentation. */ Docs => "docs",
    }
}
keyword_enum! {
    /// A cont-QA verdict after normalisation (`hold` → concerns, `fail` → blocked).
    Verdict {
        /** Pass. */ Pass => "pass",
        /** Concerns (also `hold`). */ Concerns => "concerns",
        /** Blocked (also `fail`). */ Blocked => "blocked",
    }
}

impl Verdict {
    /// Parses a raw verdict word (`pass|concerns|blocked|hold|fail`, any ASCII case).
    pub fn from_word(word: &str) -> Option<Self> {
        if word.eq_ignore_ascii_case("hold") {
            Some(Verdict::Concerns)
        } else if word.eq_ignore_ascii_case("fail") {
            Some(Verdict::Blocked)
        } else {
            Self::parse_ci(word)
        }
    }
}

/// `[wave-proof] completion=… durability=… proof=… state=… [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofMarker {
    /// `completion=`.
    pub completion: Completion,
    /// `durability=`.
    pub durability: Durability,
    /// `proof=`.
    pub proof: ProofLevel,
    /// `state=`.
    pub state: MetState,
    /// `detail=` (trimmed; empty when absent).
    pub detail: String,
}

/// `[wave-doc-delta] state=… [paths=…] [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocDeltaMarker {
    /// `state=`.
    pub state: DocImpact,
    /// `paths=` split on commas, trimmed, empties dropped.
    pub paths: Vec<String>,
    /// `detail=`.
    pub detail: String,
}

/// `[wave-doc-closure] state=… [paths=…] [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocClosureMarker {
    /// `state=`.
    pub state: DocClosureState,
    /// `paths=`.
    pub paths: Vec<String>,
    /// `detail=`.
    pub detail: String,
}

/// `[wave-integration] state=… claims=<n> conflicts=<n> blockers=<n> [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationMarker {
    /// `state=`.
    pub state: IntegrationState,
    /// `claims=`.
    pub claims: u64,
    /// `conflicts=`.
    pub conflicts: u64,
    /// `blockers=`.
    pub blockers: u64,
    /// `detail=`.
    pub detail: String,
}

/// `[wave-eval] state=… targets=<n> benchmarks=<n> regressions=<n> [target_ids=…]
/// [benchmark_ids=…] [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvalMarker {
    /// `state=`.
    pub state: EvalState,
    /// `targets=`.
    pub targets: u64,
    /// `benchmarks=`.
    pub benchmarks: u64,
    /// `regressions=`.
    pub regressions: u64,
    /// `target_ids=`, lower-cased.
    pub target_ids: Vec<String>,
    /// `benchmark_ids=`, lower-cased.
    pub benchmark_ids: Vec<String>,
    /// `detail=`.
    pub detail: String,
}

/// `[wave-security] state=… findings=<n> approvals=<n> [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityMarker {
    /// `state=`.
    pub state: SecurityState,
    /// `findings=`.
    pub findings: u64,
    /// `approvals=`.
    pub approvals: u64,
    /// `detail=`.
    pub detail: String,
}

/// `[wave-design] state=… decisions=<n> assumptions=<n> open_questions=<n> [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DesignMarker {
    /// `state=`.
    pub state: DesignState,
    /// `decisions=`.
    pub decisions: u64,
    /// `assumptions=`.
    pub assumptions: u64,
    /// `open_questions=`.
    pub open_questions: u64,
    /// `detail=`.
    pub detail: String,
}

/// `[wave-gate] architecture=… integration=… durability=… live=… docs=… [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GateMarker {
    /// `architecture=`.
    pub architecture: GateValue,
    /// `integration=`.
    pub integration: GateValue,
    /// `durability=`.
    pub durability: GateValue,
    /// `live=`.
    pub live: GateValue,
    /// `docs=`.
    pub docs: GateValue,
    /// `detail=`.
    pub detail: String,
}

impl GateMarker {
    /// The five dimensions in upstream's checking order, with their names.
    pub fn dimensions(&self) -> [(&'static str, GateValue); 5] {
        [
            ("architecture", self.architecture),
            ("integration", self.integration),
            ("durability", self.durability),
            ("live", self.live),
            ("docs", self.docs),
        ]
    }
}

/// `[wave-gap] kind=… [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GapMarker {
    /// `kind=`.
    pub kind: GapKind,
    /// `detail=`.
    pub detail: String,
}

/// `[wave-component] component=<id> level=<level> state=… [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentMarker {
    /// `component=`, lower-cased.
    pub component_id: String,
    /// `level=`, lower-cased; any `[a-z0-9._-]+` token (not checked against the ladder here).
    pub level: String,
    /// `state=`.
    pub state: MetState,
    /// `detail=`.
    pub detail: String,
}

/// `[wave-verdict] <pass|concerns|blocked|hold|fail> [detail=…]` (log form of the verdict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerdictMarker {
    /// Normalised verdict.
    pub verdict: Verdict,
    /// `detail=`.
    pub detail: String,
}

/// Any gating marker parsed from one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// `[wave-proof]`.
    Proof(ProofMarker),
    /// `[wave-doc-delta]`.
    DocDelta(DocDeltaMarker),
    /// `[wave-doc-closure]`.
    DocClosure(DocClosureMarker),
    /// `[wave-integration]`.
    Integration(IntegrationMarker),
    /// `[wave-eval]`.
    Eval(EvalMarker),
    /// `[wave-security]`.
    Security(SecurityMarker),
    /// `[wave-design]`.
    Design(DesignMarker),
    /// `[wave-gate]`.
    Gate(GateMarker),
    /// `[wave-gap]`.
    Gap(GapMarker),
    /// `[wave-component]`.
    Component(ComponentMarker),
    /// `[wave-verdict]`.
    Verdict(VerdictMarker),
}

/// The marker kinds whose grammar failures are diagnosed (upstream's diagnostics buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MarkerKind {
    /// `[wave-proof]`.
    Proof,
    /// `[wave-doc-delta]`.
    DocDelta,
    /// `[wave-doc-closure]`.
    DocClosure,
    /// `[wave-integration]`.
    Integration,
    /// `[wave-eval]`.
    Eval,
    /// `[wave-security]`.
    Security,
    /// `[wave-design]`.
    Design,
    /// `[wave-gate]`.
    Gate,
    /// `[wave-gap]`.
    Gap,
    /// `[wave-component]`.
    Component,
}

impl MarkerKind {
    /// Every diagnosed kind.
    pub const ALL: [MarkerKind; 10] = [
        MarkerKind::Proof,
        MarkerKind::DocDelta,
        MarkerKind::DocClosure,
        MarkerKind::Integration,
        MarkerKind::Eval,
        MarkerKind::Security,
        MarkerKind::Design,
        MarkerKind::Gate,
        MarkerKind::Gap,
        MarkerKind::Component,
    ];

    /// The kind for a `[wave-<tag>` tag (case-insensitive); `None` for undiagnosed tags such as
    /// `verdict` or `phase`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.tag().eq_ignore_ascii_case(tag))
    }

    /// The tag as written after `[wave-`.
    pub fn tag(self) -> &'static str {
        match self {
            MarkerKind::Proof => "proof",
            MarkerKind::DocDelta => "doc-delta",
            MarkerKind::DocClosure => "doc-closure",
            MarkerKind::Integration => "integration",
            MarkerKind::Eval => "eval",
            MarkerKind::Security => "security",
            MarkerKind::Design => "design",
            MarkerKind::Gate => "gate",
            MarkerKind::Gap => "gap",
            MarkerKind::Component => "component",
        }
    }

    /// Whether `line` satisfies this kind's strict grammar.
    pub fn accepts(self, line: &str) -> bool {
        matches!(parse_marker(line), Some(marker) if marker.kind() == Some(self))
    }
}

impl Marker {
    /// The diagnosed kind of this marker (`None` for `[wave-verdict]`).
    pub fn kind(&self) -> Option<MarkerKind> {
        Some(match self {
            Marker::Proof(_) => MarkerKind::Proof,
            Marker::DocDelta(_) => MarkerKind::DocDelta,
            Marker::DocClosure(_) => MarkerKind::DocClosure,
            Marker::Integration(_) => MarkerKind::Integration,
            Marker::Eval(_) => MarkerKind::Eval,
            Marker::Security(_) => MarkerKind::Security,
            Marker::Design(_) => MarkerKind::Design,
            Marker::Gate(_) => MarkerKind::Gate,
            Marker::Gap(_) => MarkerKind::Gap,
            Marker::Component(_) => MarkerKind::Component,
            Marker::Verdict(_) => return None,
        })
    }
}

/// Parses one marker line (no line terminators inside) against the v0.9.1 grammar.
pub fn parse_marker(line: &str) -> Option<Marker> {
    let body = strip_prefix_ci(line, "[wave-")?;
    let tag_end = body.find(']')?;
    let tag = &body[..tag_end];
    let rest = skip_ws(&body[tag_end + 1..]);
    let lowered = tag.to_ascii_lowercase();
    match lowered.as_str() {
        "proof" => parse_proof(rest).map(Marker::Proof),
        "doc-delta" => parse_doc_delta(rest).map(Marker::DocDelta),
        "doc-closure" => parse_doc_closure(rest).map(Marker::DocClosure),
        "integration" => parse_integration(rest).map(Marker::Integration),
        "eval" => parse_eval(rest).map(Marker::Eval),
        "security" => parse_security(rest).map(Marker::Security),
        "design" => parse_design(rest).map(Marker::Design),
        "gate" => parse_gate(rest).map(Marker::Gate),
        "gap" => parse_gap(rest).map(Marker::Gap),
        "component" => parse_component(rest).map(Marker::Component),
        "verdict" => parse_verdict(rest).map(Marker::Verdict),
        _ => None,
    }
}

/// `key=<keyword>` at the start of `text`.
fn keyword_field<'a, T>(
    text: &'a str,
    key: &str,
    parse: impl Fn(&str) -> Option<T>,
    words: &[&str],
) -> Option<(T, &'a str)> {
    let rest = strip_prefix_ci(text, key)?;
    // Upstream's alternations have no word that is a prefix of another, so at most one fits.
    words.iter().find_map(|word| {
        let after = strip_prefix_ci(rest, word)?;
        Some((parse(word)?, after))
    })
}

/// `\s+key=<keyword>`.
fn next_keyword<'a, T>(
    text: &'a str,
    key: &str,
    parse: impl Fn(&str) -> Option<T>,
    words: &[&str],
) -> Option<(T, &'a str)> {
    keyword_field(skip_ws1(text)?, key, parse, words)
}

/// `\s+key=\d+`.
fn next_number<'a>(text: &'a str, key: &str) -> Option<(u64, &'a str)> {
    take_digits(strip_prefix_ci(skip_ws1(text)?, key)?)
}

/// `\s*(?:detail=(.*))?$` → the trimmed detail (empty when absent).
fn detail_tail(text: &str) -> Option<String> {
    let rest = skip_ws(text);
    if rest.is_empty() {
        return Some(String::new());
    }
    strip_prefix_ci(rest, "detail=").map(|detail| js_trim(detail).to_string())
}

fn split_list(text: &str, lower: bool) -> Vec<String> {
    js_trim(text)
        .split(',')
        .map(js_trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            if lower {
                item.to_lowercase()
            } else {
                item.to_string()
            }
        })
        .collect()
}

fn words<T: Copy>(all: &[T], spell: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| spell(*v)).collect()
}

fn parse_proof(text: &str) -> Option<ProofMarker> {
    let (completion, rest) = keyword_field(
        text,
        "completion=",
        |w| Completion::parse(&w.to_ascii_lowercase()),
        &words(Completion::ALL, Completion::as_str),
    )?;
    let (durability, rest) = next_keyword(
        rest,
        "durability=",
        |w| Durability::parse(&w.to_ascii_lowercase()),
        &words(Durability::ALL, Durability::as_str),
    )?;
    let (proof, rest) = next_keyword(
        rest,
        "proof=",
        |w| ProofLevel::parse(&w.to_ascii_lowercase()),
        &words(ProofLevel::ALL, ProofLevel::as_str),
    )?;
    let (state, rest) = next_keyword(
        rest,
        "state=",
        MetState::parse_ci,
        &words(MetState::ALL, MetState::as_str),
    )?;
    let detail = detail_tail(rest)?;
    Some(ProofMarker {
        completion,
        durability,
        proof,
        state,
        detail,
    })
}

/// `(?:\s+paths=([^\n]*?))?(?:\s+detail=(.*))?$` → (paths text, detail text).
fn paths_then_detail(text: &str) -> Option<(Option<&str>, Option<&str>)> {
    if let Some(paths) = skip_ws1(text).and_then(|t| strip_prefix_ci(t, "paths=")) {
        // Lazy: the first position followed by a whitespace run and `detail=` ends the paths.
        let mut index = 0;
        while index < paths.len() {
            let here = &paths[index..];
            let after_ws = skip_ws(here);
            let ws_len = here.len() - after_ws.len();
            if ws_len > 0 {
                if let Some(detail) = strip_prefix_ci(after_ws, "detail=") {
                    return Some((Some(&paths[..index]), Some(detail)));
                }
                index += ws_len;
            } else {
                index += here.chars().next().map_or(1, char::len_utf8);
            }
        }
        return Some((Some(paths), None));
    }
    if let Some(detail) = skip_ws1(text).and_then(|t| strip_prefix_ci(t, "detail=")) {
        return Some((None, Some(detail)));
    }
    text.is_empty().then_some((None, None))
}

fn parse_doc_delta(text: &str) -> Option<DocDeltaMarker> {
    let (state, rest) = keyword_field(
        text,
        "state=",
        |w| DocImpact::parse(&w.to_ascii_lowercase()),
        &words(DocImpact::ALL, DocImpact::as_str),
    )?;
    let (paths, detail) = paths_then_detail(rest)?;
    Some(DocDeltaMarker {
        state,
        paths: split_list(paths.unwrap_or(""), false),
        detail: js_trim(detail.unwrap_or("")).to_string(),
    })
}

fn parse_doc_closure(text: &str) -> Option<DocClosureMarker> {
    let (state, rest) = keyword_field(
        text,
        "state=",
        DocClosureState::parse_ci,
        &words(DocClosureState::ALL, DocClosureState::as_str),
    )?;
    let (paths, detail) = paths_then_detail(rest)?;
    Some(DocClosureMarker {
        state,
        paths: split_list(paths.unwrap_or(""), false),
        detail: js_trim(detail.unwrap_or("")).to_string(),
    })
}

fn parse_integration(text: &str) -> Option<IntegrationMarker> {
    let (state, rest) = keyword_field(
        text,
        "state=",
        IntegrationState::parse_ci,
        &words(IntegrationState::ALL, IntegrationState::as_str),
    )?;
    let (claims, rest) = next_number(rest, "claims=")?;
    let (conflicts, rest) = next_number(rest, "conflicts=")?;
    let (blockers, rest) = next_number(rest, "blockers=")?;
    Some(IntegrationMarker {
        state,
        claims,
        conflicts,
        blockers,
        detail: detail_tail(rest)?,
    })
}

/// `(?:\s+key=([^\s]+))?` followed by the continuation `next`, with the regex's backtracking:
/// the token is taken greedily; if the continuation then fails, shorter tokens are tried, and
/// only a shorter token followed directly by `detail=` can succeed.
fn optional_token<'a, R>(
    text: &'a str,
    key: &str,
    next: &dyn Fn(&'a str) -> Option<R>,
) -> Option<(Option<&'a str>, R)> {
    if let Some(value) = skip_ws1(text).and_then(|t| strip_prefix_ci(t, key)) {
        let end = value.find(super::text::is_js_space).unwrap_or(value.len());
        if end > 0 {
            if let Some(result) = next(&value[end..]) {
                return Some((Some(&value[..end]), result));
            }
            let token = &value[..end];
            for offset in find_all_ci(token, "detail=").into_iter().rev() {
                if offset == 0 {
                    continue;
                }
                if let Some(result) = next(&value[offset..]) {
                    return Some((Some(&value[..offset]), result));
                }
            }
        }
    }
    next(text).map(|result| (None, result))
}

fn parse_eval(text: &str) -> Option<EvalMarker> {
    let (state, rest) = keyword_field(
        text,
        "state=",
        EvalState::parse_ci,
        &words(EvalState::ALL, EvalState::as_str),
    )?;
    let (targets, rest) = next_number(rest, "targets=")?;
    let (benchmarks, rest) = next_number(rest, "benchmarks=")?;
    let (regressions, rest) = next_number(rest, "regressions=")?;
    let after_benchmarks = |t: &str| detail_tail(t);
    let after_targets = |t| optional_token(t, "benchmark_ids=", &after_benchmarks);
    let (target_ids, (benchmark_ids, detail)) =
        optional_token(rest, "target_ids=", &after_targets)?;
    Some(EvalMarker {
        state,
        targets,
        benchmarks,
        regressions,
        target_ids: split_list(target_ids.unwrap_or(""), true),
        benchmark_ids: split_list(benchmark_ids.unwrap_or(""), true),
        detail,
    })
}

fn parse_security(text: &str) -> Option<SecurityMarker> {
    let (state, rest) = keyword_field(
        text,
        "state=",
        SecurityState::parse_ci,
        &words(SecurityState::ALL, SecurityState::as_str),
    )?;
    let (findings, rest) = next_number(rest, "findings=")?;
    let (approvals, rest) = next_number(rest, "approvals=")?;
    Some(SecurityMarker {
        state,
        findings,
        approvals,
        detail: detail_tail(rest)?,
    })
}

fn parse_design(text: &str) -> Option<DesignMarker> {
    let (state, rest) = keyword_field(
        text,
        "state=",
        DesignState::parse_ci,
        &words(DesignState::ALL, DesignState::as_str),
    )?;
    let (decisions, rest) = next_number(rest, "decisions=")?;
    let (assumptions, rest) = next_number(rest, "assumptions=")?;
    let (open_questions, rest) = next_number(rest, "open_questions=")?;
    Some(DesignMarker {
        state,
        decisions,
        assumptions,
        open_questions,
        detail: detail_tail(rest)?,
    })
}

fn parse_gate(text: &str) -> Option<GateMarker> {
    let values = words(GateValue::ALL, GateValue::as_str);
    let (architecture, rest) = keyword_field(text, "architecture=", GateValue::parse_ci, &values)?;
    let (integration, rest) = next_keyword(rest, "integration=", GateValue::parse_ci, &values)?;
    let (durability, rest) = next_keyword(rest, "durability=", GateValue::parse_ci, &values)?;
    let (live, rest) = next_keyword(rest, "live=", GateValue::parse_ci, &values)?;
    let (docs, rest) = next_keyword(rest, "docs=", GateValue::parse_ci, &values)?;
    Some(GateMarker {
        architecture,
        integration,
        durability,
        live,
        docs,
        detail: detail_tail(rest)?,
    })
}

fn parse_gap(text: &str) -> Option<GapMarker> {
    let (kind, rest) = keyword_field(
        text,
        "kind=",
        GapKind::parse_ci,
        &words(GapKind::ALL, GapKind::as_str),
    )?;
    Some(GapMarker {
        kind,
        detail: detail_tail(rest)?,
    })
}

/// `[a-z0-9._-]` under the `i` flag.
pub(crate) fn is_component_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

fn parse_component(text: &str) -> Option<ComponentMarker> {
    let (component_id, rest) = take_run(strip_prefix_ci(text, "component=")?, is_component_char)?;
    let rest = strip_prefix_ci(skip_ws1(rest)?, "level=")?;
    let (level, rest) = take_run(rest, is_component_char)?;
    let (state, rest) = next_keyword(
        rest,
        "state=",
        MetState::parse_ci,
        &words(MetState::ALL, MetState::as_str),
    )?;
    Some(ComponentMarker {
        component_id: component_id.to_ascii_lowercase(),
        level: level.to_ascii_lowercase(),
        state,
        detail: detail_tail(rest)?,
    })
}

fn parse_verdict(text: &str) -> Option<VerdictMarker> {
    let word = ["pass", "concerns", "blocked", "hold", "fail"]
        .into_iter()
        .find(|w| strip_prefix_ci(text, w).is_some())?;
    let rest = &text[word.len()..];
    Some(VerdictMarker {
        verdict: Verdict::from_word(word)?,
        detail: detail_tail(rest)?,
    })
}
