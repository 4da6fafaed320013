//! The per-agent execution summary (`wave-<n>-<slug>.summary.json`) and its pure builder.
//!
//! [`build_summary`] takes the log text, the optional report text and the facts only the caller
//! can know (ids, status record fields, deliverable and proof-artifact presence) and returns the
//! same JSON shape as upstream v0.9.1 (camelCase field names).

use serde::{Deserialize, Serialize};

use super::extract::{collect_candidates, Candidate, LOG_WINDOW};
use super::grammar::{
    parse_marker, ComponentMarker, DesignMarker, DocClosureMarker, DocDeltaMarker, EvalMarker,
    GapMarker, GateMarker, IntegrationMarker, Marker, MarkerKind, ProofMarker, SecurityMarker,
};
use super::text::{find_all_ci, find_ci, js_trim, split_js_lines, tail_utf16, take_digits};
use super::verdict::{parse_log_verdict, parse_report_verdict, resolve_verdict, VerdictRecord};

/// How many rejected lines each diagnostics bucket keeps.
pub const MAX_REJECTED_SAMPLES: usize = 3;

/// Presence record of one declared deliverable (computed by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverableState {
    /// Repository-relative path as declared.
    pub path: String,
    /// Whether the file exists.
    pub exists: bool,
    /// Modification time (ISO-8601) when it exists.
    pub modified_at: Option<String>,
}

/// Presence record of one declared proof artifact (computed by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofArtifactState {
    /// Repository-relative path as declared.
    pub path: String,
    /// Declared kind, if any.
    pub kind: Option<String>,
    /// Maturity levels the artifact is required for (upstream spellings).
    pub required_for: Vec<String>,
    /// Whether the file exists.
    pub exists: bool,
    /// Modification time (ISO-8601) when it exists.
    pub modified_at: Option<String>,
}

/// One rejected marker line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedSample {
    /// The trimmed raw line.
    pub line: String,
    /// For component markers, the `component=` id seen on the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
}

/// Counts for one marker kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindDiagnostics {
    /// Candidate lines of this kind.
    pub raw_count: u64,
    /// Of those, lines that satisfied the grammar.
    pub accepted_count: u64,
    /// Up to [`MAX_REJECTED_SAMPLES`] lines that did not.
    pub rejected_samples: Vec<RejectedSample>,
}

impl KindDiagnostics {
    /// Raw marker text was seen but none of it was accepted.
    pub fn all_rejected(&self) -> bool {
        self.raw_count > 0 && self.accepted_count == 0
    }
}

/// Counts for `[wave-component]`, plus every component id seen on a candidate line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentDiagnostics {
    /// The shared counters.
    #[serde(flatten)]
    pub counts: KindDiagnostics,
    /// Sorted, de-duplicated component ids seen on component candidate lines.
    pub seen_component_ids: Vec<String>,
}

/// `structuredSignalDiagnostics`: per-kind acceptance counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalDiagnostics {
    /// `[wave-proof]`.
    pub proof: KindDiagnostics,
    /// `[wave-doc-delta]`.
    pub doc_delta: KindDiagnostics,
    /// `[wave-doc-closure]`.
    pub doc_closure: KindDiagnostics,
    /// `[wave-integration]`.
    pub integration: KindDiagnostics,
    /// `[wave-eval]`.
    pub eval: KindDiagnostics,
    /// `[wave-security]`.
    pub security: KindDiagnostics,
    /// `[wave-design]`.
    pub design: KindDiagnostics,
    /// `[wave-gate]`.
    pub gate: KindDiagnostics,
    /// `[wave-gap]`.
    pub gap: KindDiagnostics,
    /// `[wave-component]`.
    pub component: ComponentDiagnostics,
}

impl SignalDiagnostics {
    /// The bucket of `kind`.
    pub fn bucket(&self, kind: MarkerKind) -> &KindDiagnostics {
        match kind {
            MarkerKind::Proof => &self.proof,
            MarkerKind::DocDelta => &self.doc_delta,
            MarkerKind::DocClosure => &self.doc_closure,
            MarkerKind::Integration => &self.integration,
            MarkerKind::Eval => &self.eval,
            MarkerKind::Security => &self.security,
            MarkerKind::Design => &self.design,
            MarkerKind::Gate => &self.gate,
            MarkerKind::Gap => &self.gap,
            MarkerKind::Component => &self.component.counts,
        }
    }

    fn bucket_mut(&mut self, kind: MarkerKind) -> &mut KindDiagnostics {
        match kind {
            MarkerKind::Proof => &mut self.proof,
            MarkerKind::DocDelta => &mut self.doc_delta,
            MarkerKind::DocClosure => &mut self.doc_closure,
            MarkerKind::Integration => &mut self.integration,
            MarkerKind::Eval => &mut self.eval,
            MarkerKind::Security => &mut self.security,
            MarkerKind::Design => &mut self.design,
            MarkerKind::Gate => &mut self.gate,
            MarkerKind::Gap => &mut self.gap,
            MarkerKind::Component => &mut self.component.counts,
        }
    }
}

/// Why an agent run ended, as far as its log or status record tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TerminationReason {
    /// `Reached max turns (N)` in the log.
    #[serde(rename = "max-turns")]
    MaxTurns,
    /// `timed out…` in the log.
    #[serde(rename = "timeout")]
    Timeout,
    /// The status record carried a detail/message/error/reason.
    #[serde(rename = "status-detail")]
    StatusDetail,
    /// The status record carried a non-zero exit code.
    #[serde(rename = "exit-code")]
    ExitCode,
}

impl TerminationReason {
    /// The upstream spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TerminationReason::MaxTurns => "max-turns",
            TerminationReason::Timeout => "timeout",
            TerminationReason::StatusDetail => "status-detail",
            TerminationReason::ExitCode => "exit-code",
        }
    }
}

/// The facts about a run that are not in its log: ids, status record fields and file presence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryContext {
    /// Agent id.
    pub agent_id: Option<String>,
    /// `promptHash` of the status record.
    pub prompt_hash: Option<String>,
    /// `code` of the status record.
    pub exit_code: Option<i64>,
    /// `completedAt` of the status record.
    pub completed_at: Option<String>,
    /// detail/message/error/reason of the status record, whichever is set first.
    pub status_detail: Option<String>,
    /// Whether the agent ran on the codex executor (changes the max-turns hint).
    pub codex_executor: bool,
    /// Declared deliverables with presence.
    pub deliverables: Vec<DeliverableState>,
    /// Declared proof artifacts with presence.
    pub proof_artifacts: Vec<ProofArtifactState>,
    /// Repository-relative log path.
    pub log_path: String,
    /// Repository-relative report path, for roles that own a report.
    pub report_path: Option<String>,
}

/// `wave-<n>-<slug>.summary.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSummary {
    /// Agent id.
    pub agent_id: Option<String>,
    /// Prompt hash of the run.
    pub prompt_hash: Option<String>,
    /// Exit code of the run.
    pub exit_code: Option<i64>,
    /// Completion timestamp.
    pub completed_at: Option<String>,
    /// Last accepted `[wave-proof]`.
    pub proof: Option<ProofMarker>,
    /// Last accepted `[wave-doc-delta]`.
    pub doc_delta: Option<DocDeltaMarker>,
    /// Last accepted `[wave-doc-closure]`.
    pub doc_closure: Option<DocClosureMarker>,
    /// Last accepted `[wave-integration]`.
    pub integration: Option<IntegrationMarker>,
    /// Last accepted `[wave-eval]`.
    pub eval: Option<EvalMarker>,
    /// Last accepted `[wave-security]`.
    pub security: Option<SecurityMarker>,
    /// Last accepted `[wave-design]`.
    pub design: Option<DesignMarker>,
    /// Last accepted `[wave-gate]`.
    pub gate: Option<GateMarker>,
    /// Last accepted `[wave-component]` per component id, in order of first appearance.
    pub components: Vec<ComponentMarker>,
    /// Every accepted `[wave-gap]`.
    pub gaps: Vec<GapMarker>,
    /// Deliverable presence.
    pub deliverables: Vec<DeliverableState>,
    /// Proof artifact presence.
    pub proof_artifacts: Vec<ProofArtifactState>,
    /// Report verdict, else log verdict.
    pub verdict: Option<VerdictRecord>,
    /// Per-kind acceptance counts.
    pub structured_signal_diagnostics: SignalDiagnostics,
    /// Why the run ended, when detectable.
    pub termination_reason: Option<TerminationReason>,
    /// Human hint for the termination (empty when none).
    pub termination_hint: String,
    /// `N` of `Reached max turns (N)`.
    pub termination_observed_turn_limit: Option<u64>,
    /// Repository-relative log path.
    pub log_path: String,
    /// Repository-relative report path.
    pub report_path: Option<String>,
}

/// Builds the diagnostics from the candidates.
pub fn diagnose(candidates: &[Candidate]) -> SignalDiagnostics {
    let mut diagnostics = SignalDiagnostics::default();
    let mut seen = Vec::new();
    for candidate in candidates {
        let Some(kind) = candidate.kind else {
            continue;
        };
        if kind == MarkerKind::Component {
            if let Some(id) = &candidate.component_id {
                seen.push(id.clone());
            }
        }
        // Accepted when the line up to its first line terminator satisfies the grammar.
        let first_segment = split_js_lines(&candidate.canonical_line)
            .next()
            .unwrap_or("");
        let bucket = diagnostics.bucket_mut(kind);
        bucket.raw_count += 1;
        if kind.accepts(first_segment) {
            bucket.accepted_count += 1;
        } else if bucket.rejected_samples.len() < MAX_REJECTED_SAMPLES {
            bucket.rejected_samples.push(RejectedSample {
                line: candidate.raw_line.clone(),
                component_id: (kind == MarkerKind::Component)
                    .then(|| candidate.component_id.clone())
                    .flatten(),
            });
        }
    }
    seen.sort();
    seen.dedup();
    diagnostics.component.seen_component_ids = seen;
    diagnostics
}

/// The typed markers of a log window, folded with "last accepted wins".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedSignals {
    /// Last `[wave-proof]`.
    pub proof: Option<ProofMarker>,
    /// Last `[wave-doc-delta]`.
    pub doc_delta: Option<DocDeltaMarker>,
    /// Last `[wave-doc-closure]`.
    pub doc_closure: Option<DocClosureMarker>,
    /// Last `[wave-integration]`.
    pub integration: Option<IntegrationMarker>,
    /// Last `[wave-eval]`.
    pub eval: Option<EvalMarker>,
    /// Last `[wave-security]`.
    pub security: Option<SecurityMarker>,
    /// Last `[wave-design]`.
    pub design: Option<DesignMarker>,
    /// Last `[wave-gate]`.
    pub gate: Option<GateMarker>,
    /// Last per component id, in order of first appearance.
    pub components: Vec<ComponentMarker>,
    /// All gaps.
    pub gaps: Vec<GapMarker>,
    /// Last `[wave-verdict]`.
    pub log_verdict: Option<VerdictRecord>,
    /// Diagnostics.
    pub diagnostics: SignalDiagnostics,
}

/// Extracts and parses every marker of `log` (the 60 000-unit window is applied here).
pub fn parse_signals(log: &str) -> ParsedSignals {
    let window = tail_utf16(log, LOG_WINDOW);
    let candidates = collect_candidates(&window);
    let mut parsed = ParsedSignals {
        diagnostics: diagnose(&candidates),
        ..ParsedSignals::default()
    };
    // Upstream joins the canonical lines and runs multiline patterns over them, so a line
    // terminator inside a canonical line (possible only for backtick-wrapped markers) acts as
    // a line break.
    let segments = || {
        candidates
            .iter()
            .flat_map(|c| split_js_lines(&c.canonical_line))
    };
    for segment in segments() {
        match parse_marker(segment) {
            Some(Marker::Proof(m)) => parsed.proof = Some(m),
            Some(Marker::DocDelta(m)) => parsed.doc_delta = Some(m),
            Some(Marker::DocClosure(m)) => parsed.doc_closure = Some(m),
            Some(Marker::Integration(m)) => parsed.integration = Some(m),
            Some(Marker::Eval(m)) => parsed.eval = Some(m),
            Some(Marker::Security(m)) => parsed.security = Some(m),
            Some(Marker::Design(m)) => parsed.design = Some(m),
            Some(Marker::Gate(m)) => parsed.gate = Some(m),
            Some(Marker::Gap(m)) => parsed.gaps.push(m),
            Some(Marker::Component(m)) => {
                match parsed
                    .components
                    .iter_mut()
                    .find(|c| c.component_id == m.component_id)
                {
                    Some(slot) => *slot = m,
                    None => parsed.components.push(m),
                }
            }
            Some(Marker::Verdict(_)) | None => {}
        }
    }
    parsed.log_verdict = parse_log_verdict(segments());
    parsed
}

/// Termination detected from a log window and status record facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Termination {
    /// Reason, if any.
    pub reason: Option<TerminationReason>,
    /// Hint text (empty when none).
    pub hint: String,
    /// Observed turn limit for max-turns.
    pub observed_turn_limit: Option<u64>,
}

/// Upstream's termination detection: `Reached max turns (N)` first, then `timed out` (with an
/// optional ` after …` up to a period or newline), then the status detail, then a non-zero exit
/// code. Matching is case-insensitive; the first occurrence in the text counts.
pub fn detect_termination(
    log: &str,
    codex_executor: bool,
    status_detail: Option<&str>,
    exit_code: Option<i64>,
) -> Termination {
    const MAX_TURNS: &str = "reached max turns (";
    for at in find_all_ci(log, MAX_TURNS) {
        let after = &log[at + MAX_TURNS.len()..];
        if let Some((limit, rest)) = take_digits(after) {
            if rest.starts_with(')') {
                let matched = &log[at..log.len() - rest.len() + 1];
                let mut hint = js_trim(matched).to_string();
                if codex_executor {
                    hint.push_str(
                        ". The codex executor is launched without a turn-limit flag; the limit \
                         came from the executor itself (see launch-preview.json limits).",
                    );
                }
                return Termination {
                    reason: Some(TerminationReason::MaxTurns),
                    hint,
                    observed_turn_limit: Some(limit),
                };
            }
        }
    }
    if let Some(at) = find_ci(log, "timed out") {
        let mut end = at + "timed out".len();
        if let Some(after) = super::text::strip_prefix_ci(&log[end..], " after ") {
            let run = after.find(['\n', '.']).unwrap_or(after.len());
            if run > 0 {
                end += " after ".len() + run;
            }
        }
        return Termination {
            reason: Some(TerminationReason::Timeout),
            hint: js_trim(&log[at..end]).to_string(),
            observed_turn_limit: None,
        };
    }
    if let Some(detail) = status_detail.map(js_trim).filter(|d| !d.is_empty()) {
        return Termination {
            reason: Some(TerminationReason::StatusDetail),
            hint: detail.to_string(),
            observed_turn_limit: None,
        };
    }
    match exit_code {
        Some(code) if code != 0 => Termination {
            reason: Some(TerminationReason::ExitCode),
            hint: format!("Exit code {code}."),
            observed_turn_limit: None,
        },
        _ => Termination::default(),
    }
}

/// Builds the execution summary of one run from its log text, its report text (for roles that
/// own a report) and the caller-supplied context. Both texts are windowed to their last
/// 60 000 UTF-16 units here; pass whole files.
pub fn build_summary(log: &str, report: Option<&str>, context: SummaryContext) -> AgentSummary {
    let window = tail_utf16(log, LOG_WINDOW);
    let signals = parse_signals(&window);
    let report_verdict =
        report.and_then(|text| parse_report_verdict(&tail_utf16(text, LOG_WINDOW)));
    let termination = detect_termination(
        &window,
        context.codex_executor,
        context.status_detail.as_deref(),
        context.exit_code,
    );
    AgentSummary {
        agent_id: context.agent_id,
        prompt_hash: context.prompt_hash,
        exit_code: context.exit_code,
        completed_at: context.completed_at,
        proof: signals.proof,
        doc_delta: signals.doc_delta,
        doc_closure: signals.doc_closure,
        integration: signals.integration,
        eval: signals.eval,
        security: signals.security,
        design: signals.design,
        gate: signals.gate,
        components: signals.components,
        gaps: signals.gaps,
        deliverables: context.deliverables,
        proof_artifacts: context.proof_artifacts,
        verdict: resolve_verdict(report_verdict, signals.log_verdict),
        structured_signal_diagnostics: signals.diagnostics,
        termination_reason: termination.reason,
        termination_hint: termination.hint,
        termination_observed_turn_limit: termination.observed_turn_limit,
        log_path: context.log_path,
        report_path: context.report_path,
    }
}
