//! Wave outcome classification: forwardable closure gaps, the failure exit code (1 or 42) and
//! the recoverable failures that queue a recovery (exit 43).

use serde::{Deserialize, Serialize};

use super::status::GateStatus;
use crate::markers::TerminationReason;

/// Launcher exit code: generic failure.
pub const EXIT_FAILED: i32 = 1;
/// Launcher exit code: the lane lock is held by another live launcher.
pub const EXIT_LOCK_HELD: i32 = 32;
/// Launcher exit code: every failure is a cont-QA verdict failure.
pub const EXIT_CONT_QA: i32 = 42;
/// Launcher exit code: blocked, recovery queued or retry impossible.
pub const EXIT_BLOCKED: i32 = 43;

/// Whether a closure-stage gate status lets the sweep continue (the gap is forwarded to later
/// stages but still fails the wave). Only `wave-proof-gap` is forwardable.
pub fn is_forwardable(status: GateStatus) -> bool {
    status == GateStatus::WaveProofGap
}

/// [`is_forwardable`] over a raw status string.
pub fn is_forwardable_code(status: &str) -> bool {
    status == GateStatus::WaveProofGap.as_str()
}

/// Exit code for a wave that failed on its last attempt with these failure status codes:
/// 42 when there is at least one failure and every code starts with `cont-qa-` or is
/// `missing-cont-qa-verdict`, else 1.
pub fn failure_exit_code<'a>(codes: impl IntoIterator<Item = &'a str>) -> i32 {
    let mut any = false;
    for code in codes {
        any = true;
        if !(code.starts_with("cont-qa-") || code == GateStatus::MissingContQaVerdict.as_str()) {
            return EXIT_FAILED;
        }
    }
    if any {
        EXIT_CONT_QA
    } else {
        EXIT_FAILED
    }
}

/// Why a failure counts as recoverable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecoveryReason {
    /// Status code `timeout-no-status`.
    #[serde(rename = "timeout-no-status")]
    TimeoutNoStatus,
    /// Status code `timed_out`.
    #[serde(rename = "timed_out")]
    TimedOut,
    /// Status code `missing-status`.
    #[serde(rename = "missing-status")]
    MissingStatus,
    /// Summary termination reason `timeout`.
    #[serde(rename = "timeout")]
    Timeout,
    /// Summary termination reason `max-turns`.
    #[serde(rename = "max-turns")]
    MaxTurns,
    /// "rate limit" or "429 too many requests" in the detail or termination hint.
    #[serde(rename = "rate-limit")]
    RateLimit,
}

impl RecoveryReason {
    /// Upstream's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryReason::TimeoutNoStatus => "timeout-no-status",
            RecoveryReason::TimedOut => "timed_out",
            RecoveryReason::MissingStatus => "missing-status",
            RecoveryReason::Timeout => "timeout",
            RecoveryReason::MaxTurns => "max-turns",
            RecoveryReason::RateLimit => "rate-limit",
        }
    }
}

/// One failure as the recovery classifier sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailureFacts<'a> {
    /// The failure's status code.
    pub status_code: &'a str,
    /// The failure's detail.
    pub detail: &'a str,
    /// The failed agent's summary termination reason, if any.
    pub termination_reason: Option<TerminationReason>,
    /// The failed agent's summary termination hint.
    pub termination_hint: &'a str,
}

/// Upstream's recoverable classification, in its order: status code (trimmed, lower-cased)
/// `timeout-no-status` / `timed_out` / `missing-status`; then termination `timeout` /
/// `max-turns`; then rate-limit text in `detail + " " + hint` (case-insensitive).
pub fn recoverable_reason(failure: &FailureFacts<'_>) -> Option<RecoveryReason> {
    let code = failure.status_code.trim().to_lowercase();
    match code.as_str() {
        "timeout-no-status" => return Some(RecoveryReason::TimeoutNoStatus),
        "timed_out" => return Some(RecoveryReason::TimedOut),
        "missing-status" => return Some(RecoveryReason::MissingStatus),
        _ => {}
    }
    match failure.termination_reason {
        Some(TerminationReason::Timeout) => return Some(RecoveryReason::Timeout),
        Some(TerminationReason::MaxTurns) => return Some(RecoveryReason::MaxTurns),
        _ => {}
    }
    let text = format!("{} {}", failure.detail, failure.termination_hint).to_lowercase();
    (text.contains("rate limit") || text.contains("429 too many requests"))
        .then_some(RecoveryReason::RateLimit)
}

/// Exit code of a wave whose last attempt failed: 43 when there is at least one failure and
/// every failure is recoverable (recovery queued), else [`failure_exit_code`].
pub fn failed_wave_exit_code(failures: &[FailureFacts<'_>]) -> i32 {
    if !failures.is_empty() && failures.iter().all(|f| recoverable_reason(f).is_some()) {
        EXIT_BLOCKED
    } else {
        failure_exit_code(failures.iter().map(|f| f.status_code))
    }
}
