//! Retry planning between attempts and the classification of a wave that ends with failures
//! (launcher §4.6, §4.7), with upstream's closure-retry defect fixed.
//!
//! Where the next attempt resumes:
//! - a design-phase failure: the design stewards whose design is not proven (a design pass);
//! - an implementation-phase failure (wait failure in the fan-out, implementation or component
//!   gate): every implementation run not proven by its latest run (upstream's
//!   `invalidatedAgentIds`), else the failures' own non-closure agents;
//! - a closure-stage failure (hard gate failure, wait failure, `missing-closure-run`) or a
//!   forwarded gap: the closure agents of the earliest failing stage **and of every later
//!   stage** (upstream v0.9.1 relaunched only the failed stage, defect 3 of launcher §4.10).
//!
//! Left out: executor fallback, helper/dependency/clarification/human-feedback targets and
//! operator retry overrides (steps 1–7 of §4.7) — there is no coordination log yet.

use std::collections::BTreeMap;

use super::plan::{
    closure_ids, unproven_design_agents, unproven_implementation_runs, AgentFacts, AgentRun,
    Selection,
};
use super::sweep::ClosureStage;
use super::{Failure, WaveStatus};
use crate::gates::{failed_wave_exit_code, FailureFacts, EXIT_BLOCKED};

/// Where an attempt failed, which decides where the next one resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum ResumeFrom {
    /// The design pass.
    Design,
    /// The implementation fan-out or the implementation / component gates.
    Implementation,
    /// A closure stage.
    Closure(ClosureStage),
}

impl ResumeFrom {
    /// Upstream's resume phase name.
    pub fn phase(self) -> &'static str {
        match self {
            ResumeFrom::Design => "design",
            ResumeFrom::Implementation => "implementation",
            ResumeFrom::Closure(ClosureStage::ContEval) => "cont-eval",
            ResumeFrom::Closure(ClosureStage::SecurityReview) => "security-review",
            ResumeFrom::Closure(ClosureStage::Integration) => "integrating",
            ResumeFrom::Closure(ClosureStage::Documentation) => "docs-closure",
            ResumeFrom::Closure(ClosureStage::ContQa) => "cont-qa-closure",
        }
    }
}

/// The next attempt's selection, or `None` when nothing can be relaunched.
pub(super) fn plan_retry(
    agents: &[AgentFacts],
    runs: &BTreeMap<String, AgentRun>,
    from: ResumeFrom,
    failures: &[Failure],
) -> Option<Selection> {
    match from {
        ResumeFrom::Closure(stage) => {
            let ids: Vec<String> = ClosureStage::ORDER
                .iter()
                .filter(|s| **s >= stage)
                .flat_map(|s| {
                    agents
                        .iter()
                        .filter(move |a| a.stage == Some(*s))
                        .map(|a| a.id.clone())
                })
                .collect();
            (!ids.is_empty()).then_some(Selection::ClosureOnly(ids))
        }
        ResumeFrom::Design | ResumeFrom::Implementation => {
            let design = unproven_design_agents(agents, runs);
            if !design.is_empty() {
                return Some(Selection::DesignPass(design));
            }
            let implementation = unproven_implementation_runs(agents, runs);
            if !implementation.is_empty() {
                return Some(Selection::Implementation(implementation));
            }
            let named: Vec<String> = agents
                .iter()
                .filter(|a| !a.is_closure())
                .filter(|a| {
                    failures
                        .iter()
                        .any(|f| f.agent_id.as_deref() == Some(&a.id))
                })
                .map(|a| a.id.clone())
                .collect();
            if !named.is_empty() {
                return Some(Selection::Implementation(named));
            }
            let closure = closure_ids(agents);
            let closure_named = failures
                .iter()
                .any(|f| f.agent_id.as_ref().is_some_and(|id| closure.contains(id)));
            closure_named.then_some(Selection::ClosureOnly(closure))
        }
    }
}

/// Status and exit code of a wave whose last attempt failed with `failures` (launcher §4.6):
/// every failure recoverable → recovery queued (43); else failed with 42 when every code is a
/// cont-QA verdict code, else 1. The failed agent's summary supplies termination facts.
pub(super) fn classify_failed(
    failures: &[Failure],
    runs: &BTreeMap<String, AgentRun>,
) -> (WaveStatus, i32) {
    let codes: Vec<String> = failures.iter().map(|f| f.status_code.to_string()).collect();
    let facts: Vec<FailureFacts<'_>> = failures
        .iter()
        .zip(&codes)
        .map(|(failure, code)| {
            let summary = failure
                .agent_id
                .as_ref()
                .and_then(|id| runs.get(id))
                .and_then(|run| run.summary.as_ref());
            FailureFacts {
                status_code: code,
                detail: &failure.detail,
                termination_reason: summary.and_then(|s| s.termination_reason),
                termination_hint: summary.map(|s| s.termination_hint.as_str()).unwrap_or(""),
            }
        })
        .collect();
    let exit = failed_wave_exit_code(&facts);
    if exit == EXIT_BLOCKED {
        (WaveStatus::RecoveryQueued, exit)
    } else {
        (WaveStatus::Failed, exit)
    }
}
