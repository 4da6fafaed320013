//! Agent markers: extraction from logs, the v0.9.1 marker grammar, verdicts and the per-agent
//! execution summary.
//!
//! Everything here is a pure function over strings and caller-supplied facts; reading the log,
//! report and deliverable files is the caller's job. Entry points: [`build_summary`] (the
//! `summary.json` of a run), [`parse_signals`] (just the markers), [`parse_marker`] (one line),
//! [`parse_dashboard_signals`] (non-gating progress markers).

pub mod dashboard;
pub mod extract;
pub mod grammar;
pub mod summary;
pub(crate) mod text;
pub mod verdict;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use dashboard::{
    parse_dashboard_signals, DashboardSignals, DeploySignal, DeployState, InfraSignal,
};
pub use extract::{collect_candidates, Candidate, LOG_WINDOW};
pub use grammar::{
    parse_marker, ComponentMarker, DesignMarker, DesignState, DocClosureMarker, DocClosureState,
    DocDeltaMarker, EvalMarker, EvalState, GapKind, GapMarker, GateMarker, GateValue,
    IntegrationMarker, IntegrationState, Marker, MarkerKind, MetState, ProofMarker, SecurityMarker,
    SecurityState, Verdict, VerdictMarker,
};
pub use summary::{
    build_summary, detect_termination, parse_signals, AgentSummary, DeliverableState,
    KindDiagnostics, ParsedSignals, ProofArtifactState, SignalDiagnostics, SummaryContext,
    Termination, TerminationReason,
};
pub use text::tail_utf16;
pub use verdict::{parse_log_verdict, parse_report_verdict, VerdictRecord};
