//! Status reconciliation (launcher §4.9): rebuilds each wave's `run-state.json` entry from what
//! its status files prove, over plain facts the engine gathers (status records, the expected
//! prompt fingerprint, each summary's role-validator outcome, wave-level barriers, file hashes).
//!
//! Rule: a wave is complete iff no reason is found. Per agent, in wave order: no status file →
//! `missing-status` (one reason naming all such agents, after the per-agent reasons); non-zero
//! code → `nonzero-status` (nothing else checked for it); else prompt-hash drift
//! (`prompt-hash-missing` / `prompt-hash-mismatch`) and every failing role validator. Wave-level
//! reasons (component promotions, matrix, open clarifications, helper assignments,
//! dependencies) follow. Reasons are de-duplicated by code and detail. Outcome per wave:
//! `completed` (`status-reconcile-complete`); else `completed_with_drift`
//! (`status-reconcile-completed-with-drift`) when the wave was completed by an authoritative
//! source (not the legacy import) and every reason is prompt drift; else `blocked` with the
//! first reason's code.

use serde_json::{Map, Value};

use super::run_state::{BlockedReason, RunState, RunStateEvidence, Transition, WaveState};
use super::status::StatusRecord;

/// `source` of reconciliation transitions.
pub const RECONCILE_SOURCE: &str = "status-reconcile";

/// A role validator that failed for an agent's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryFailure {
    /// Reason code by validator: `invalid-cont-qa-summary`, `invalid-cont-eval-summary`,
    /// `invalid-cont-eval-implementation-summary`, `invalid-security-summary`,
    /// `invalid-integration-summary`, `invalid-documentation-summary`,
    /// `invalid-implementation-summary`.
    pub reason_code: String,
    /// The validator's status code (e.g. `missing-wave-gate`).
    pub status_code: String,
    /// The validator's detail.
    pub detail: String,
}

/// What the engine knows about one agent of a wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFacts {
    /// Agent id.
    pub agent_id: String,
    /// Repo-relative status file path (for details).
    pub status_path: String,
    /// The status record, if a readable one exists.
    pub status: Option<StatusRecord>,
    /// The current prompt fingerprint of the agent.
    pub expected_prompt_hash: String,
    /// Role validators that failed on its summary (only consulted when the code is 0).
    pub summary_failures: Vec<SummaryFailure>,
}

/// What the engine knows about one wave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WaveFacts {
    /// Wave number.
    pub wave: u32,
    /// Agents in wave order.
    pub agents: Vec<AgentFacts>,
    /// Wave-level reasons in upstream's order (`component-promotions-invalid`,
    /// `component-matrix-invalid`, `open-clarification`, `open-clarification-request`,
    /// `open-human-escalation`, `open-human-feedback`, `helper-assignment-unresolved` /
    /// `helper-assignment-open`, `dependency-assignment-unresolved`, `dependency-open`).
    pub wave_reasons: Vec<BlockedReason>,
    /// File hashes for the evidence (its `blockedReasons` is filled in here).
    pub evidence: RunStateEvidence,
}

/// A wave recorded as `blocked`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedWave {
    /// Wave number.
    pub wave: u32,
    /// Why, in order.
    pub reasons: Vec<BlockedReason>,
}

/// What a reconciliation did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reconciliation {
    /// Waves proven complete by their status files.
    pub completed_from_status: Vec<u32>,
    /// Waves kept as `completed_with_drift`.
    pub preserved_with_drift: Vec<u32>,
    /// Waves recorded as `blocked`.
    pub blocked: Vec<BlockedWave>,
    /// Completed waves that were not completed before.
    pub newly_completed: Vec<u32>,
    /// How many transitions were appended (identical ones are not).
    pub transitions_appended: usize,
}

/// The reasons a wave is not complete (empty when it is), in upstream's order.
pub fn wave_reasons(facts: &WaveFacts) -> Vec<BlockedReason> {
    let mut reasons = Vec::new();
    let mut missing = Vec::new();
    for agent in &facts.agents {
        let Some(status) = &agent.status else {
            missing.push(agent.agent_id.as_str());
            continue;
        };
        if status.code != 0 {
            push_reason(
                &mut reasons,
                "nonzero-status",
                format!(
                    "{} exited with code {} ({}).",
                    agent.agent_id, status.code, agent.status_path
                ),
            );
            continue;
        }
        let actual = status.prompt_hash.as_deref().map(str::trim).unwrap_or("");
        if actual.is_empty() {
            push_reason(
                &mut reasons,
                "prompt-hash-missing",
                format!(
                    "{}: {} has no promptHash to compare with the current prompt fingerprint.",
                    agent.agent_id, agent.status_path
                ),
            );
        } else if actual != agent.expected_prompt_hash {
            push_reason(
                &mut reasons,
                "prompt-hash-mismatch",
                format!(
                    "{}: the promptHash in {} differs from the current prompt fingerprint.",
                    agent.agent_id, agent.status_path
                ),
            );
        }
        for failure in &agent.summary_failures {
            push_reason(
                &mut reasons,
                &failure.reason_code,
                format!(
                    "{}: {}: {}",
                    agent.agent_id, failure.status_code, failure.detail
                ),
            );
        }
    }
    if !missing.is_empty() {
        push_reason(
            &mut reasons,
            "missing-status",
            format!("No status file for {}.", missing.join(", ")),
        );
    }
    for reason in &facts.wave_reasons {
        push_reason(&mut reasons, &reason.code, reason.detail.clone());
    }
    reasons
}

fn push_reason(reasons: &mut Vec<BlockedReason>, code: &str, detail: String) {
    let code = code.trim();
    let detail = detail.trim();
    if code.is_empty() || detail.is_empty() {
        return;
    }
    if reasons.iter().any(|r| r.code == code && r.detail == detail) {
        return;
    }
    reasons.push(BlockedReason::new(code, detail));
}

fn is_prompt_drift(code: &str) -> bool {
    code == "prompt-hash-mismatch" || code == "prompt-hash-missing"
}

impl RunState {
    /// Reconciles every wave in `waves` from its facts and records one `status-reconcile`
    /// transition per wave (deduplicated). `now` is used as the transition time when no status
    /// record of the wave carries a `completedAt`.
    pub fn reconcile(&mut self, waves: &[WaveFacts], now: &str) -> Reconciliation {
        let before = self.clone();
        let mut result = Reconciliation::default();
        for facts in waves {
            let reasons = wave_reasons(facts);
            let previous = before.waves.get(&facts.wave);
            let authoritative = previous.is_some_and(|entry| {
                let source = entry.last_source.as_deref().unwrap_or("").trim();
                entry.current_state.is_completed()
                    && !source.is_empty()
                    && !source.eq_ignore_ascii_case(super::run_state::LEGACY_SOURCE)
            });
            let only_drift =
                !reasons.is_empty() && reasons.iter().all(|r| is_prompt_drift(&r.code));
            let mut evidence = facts.evidence.clone();
            evidence.blocked_reasons = reasons.clone();
            let mut evidence = evidence.to_map();
            let (to_state, reason_code, detail) = if reasons.is_empty() {
                result.completed_from_status.push(facts.wave);
                (
                    WaveState::Completed,
                    "status-reconcile-complete".to_owned(),
                    format!("Wave {}: status files prove it complete.", facts.wave),
                )
            } else if authoritative && only_drift {
                result.preserved_with_drift.push(facts.wave);
                if let Some(entry) = previous {
                    evidence.insert(
                        "preservedCompletion".to_owned(),
                        preserved_completion(entry, &reasons),
                    );
                }
                (
                    WaveState::CompletedWithDrift,
                    "status-reconcile-completed-with-drift".to_owned(),
                    format!(
                        "Wave {} kept as completed despite prompt drift: {}",
                        facts.wave,
                        join_details(&reasons)
                    ),
                )
            } else {
                result.blocked.push(super::reconcile::BlockedWave {
                    wave: facts.wave,
                    reasons: reasons.clone(),
                });
                (
                    WaveState::Blocked,
                    reasons[0].code.clone(),
                    join_details(&reasons),
                )
            };
            let at = facts
                .agents
                .iter()
                .filter_map(|a| a.status.as_ref()?.completed_at.clone())
                .find(|at| !at.is_empty())
                .unwrap_or_else(|| now.to_owned());
            let appended = self.apply_transition(Transition {
                wave: facts.wave,
                to_state,
                source: RECONCILE_SOURCE.to_owned(),
                reason_code,
                detail,
                evidence: Some(evidence),
                at,
            });
            if appended {
                result.transitions_appended += 1;
            }
        }
        result.newly_completed = self
            .completed_waves
            .iter()
            .copied()
            .filter(|wave| !before.is_completed(*wave))
            .collect();
        result
    }
}

fn join_details(reasons: &[BlockedReason]) -> String {
    reasons
        .iter()
        .map(|r| r.detail.as_str())
        .filter(|d| !d.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn preserved_completion(entry: &super::run_state::WaveEntry, reasons: &[BlockedReason]) -> Value {
    let mut map = Map::new();
    map.insert("preserved".to_owned(), Value::Bool(true));
    map.insert(
        "preservedFromState".to_owned(),
        Value::String(entry.current_state.as_str().to_owned()),
    );
    map.insert(
        "preservedFromSource".to_owned(),
        entry.last_source.clone().map_or(Value::Null, Value::String),
    );
    map.insert(
        "preservedFromReasonCode".to_owned(),
        entry
            .last_reason_code
            .clone()
            .map_or(Value::Null, Value::String),
    );
    let drift: Vec<Value> = reasons
        .iter()
        .filter(|r| is_prompt_drift(&r.code))
        .map(|r| serde_json::json!({"code": r.code, "detail": r.detail}))
        .collect();
    map.insert("driftReasons".to_owned(), Value::Array(drift));
    map.insert(
        "previousEvidence".to_owned(),
        entry
            .last_evidence
            .clone()
            .map_or(Value::Null, Value::Object),
    );
    Value::Object(map)
}
