//! The closure sweep's fixed stage order and each stage's gate (launcher §4.4, §4.5).
//!
//! Owns [`ClosureStage`] (order, upstream stage keys, gate names, which stages are required) and
//! the evaluation of one stage once all its agents have been observed. The stepping itself
//! (one agent at a time, stop on a hard failure, continue past a forwarded gap) lives in the
//! driver.
//!
//! Caveat: the integration stage judges the A8 marker only. Upstream also requires a derived
//! integration summary and no open blocking contradictions in the coordination log; there is
//! no coordination log in this port yet, so those two checks are not made.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::plan::{AgentFacts, AgentRun};
use crate::config::RolesConfig;
use crate::contract::ComponentPromotion;
use crate::gates::{
    apply_closure_proof_gap, component_matrix_gate, cont_eval_gate, cont_qa_gate,
    documentation_gate, integration_gate, security_gate, validate_implementation, ContEvalInput,
    GateResult, GateStatus, ResolvedEvalTarget, RoleRun,
};
use crate::validate::roles::ClosureRole;

/// A closure stage, in the sweep's fixed order (the derived `Ord` is that order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClosureStage {
    /// cont-EVAL (E0).
    ContEval,
    /// Security reviewers.
    SecurityReview,
    /// Integration steward (A8).
    Integration,
    /// Documentation steward (A9) and the component-matrix check.
    Documentation,
    /// cont-QA (A0).
    ContQa,
}

impl ClosureStage {
    /// Every stage, in sweep order.
    pub const ORDER: [ClosureStage; 5] = [
        ClosureStage::ContEval,
        ClosureStage::SecurityReview,
        ClosureStage::Integration,
        ClosureStage::Documentation,
        ClosureStage::ContQa,
    ];

    /// Upstream's stage key (`cont-eval`, `security-review`, `integration`, `documentation`,
    /// `cont-qa`), used in forwarded-gap record ids.
    pub fn key(self) -> &'static str {
        match self {
            ClosureStage::ContEval => "cont-eval",
            ClosureStage::SecurityReview => "security-review",
            ClosureStage::Integration => "integration",
            ClosureStage::Documentation => "documentation",
            ClosureStage::ContQa => "cont-qa",
        }
    }

    /// Upstream's gate-snapshot key of the stage's gate (`contEvalGate`, `securityGate`,
    /// `integrationBarrier`, `documentationGate`, `contQaGate`).
    pub fn gate_name(self) -> &'static str {
        match self {
            ClosureStage::ContEval => "contEvalGate",
            ClosureStage::SecurityReview => "securityGate",
            ClosureStage::Integration => "integrationBarrier",
            ClosureStage::Documentation => "documentationGate",
            ClosureStage::ContQa => "contQaGate",
        }
    }

    /// The stage a closure role runs in.
    pub fn from_role(role: ClosureRole) -> Self {
        match role {
            ClosureRole::ContEval => ClosureStage::ContEval,
            ClosureRole::SecurityReview => ClosureStage::SecurityReview,
            ClosureRole::Integration => ClosureStage::Integration,
            ClosureRole::Documentation => ClosureStage::Documentation,
            ClosureRole::ContQa => ClosureStage::ContQa,
        }
    }

    /// The agent id a `missing-closure-run` failure is attributed to (upstream: the configured
    /// role id, `security` for the security stage).
    pub fn owner_id(self, roles: &RolesConfig) -> String {
        match self {
            ClosureStage::ContEval => roles.cont_eval_agent_id.clone(),
            ClosureStage::SecurityReview => "security".into(),
            ClosureStage::Integration => roles.integration_agent_id.clone(),
            ClosureStage::Documentation => roles.documentation_agent_id.clone(),
            ClosureStage::ContQa => roles.cont_qa_agent_id.clone(),
        }
    }

    /// Upstream's label, used in details.
    pub fn label(self) -> &'static str {
        match self {
            ClosureStage::ContEval => "cont-EVAL gate",
            ClosureStage::SecurityReview => "Security review",
            ClosureStage::Integration => "Integration gate",
            ClosureStage::Documentation => "Documentation closure",
            ClosureStage::ContQa => "cont-QA gate",
        }
    }
}

/// Whether a stage must have a run (launcher §4.4): integration, documentation and cont-QA
/// always; cont-EVAL when the wave has the cont-EVAL agent; security when it has a reviewer.
pub(super) fn stage_required(stage: ClosureStage, agents: &[AgentFacts]) -> bool {
    match stage {
        ClosureStage::ContEval | ClosureStage::SecurityReview => {
            agents.iter().any(|a| a.stage == Some(stage))
        }
        ClosureStage::Integration | ClosureStage::Documentation | ClosureStage::ContQa => true,
    }
}

/// The `missing-closure-run` failure of a required stage without a run.
pub(super) fn missing_closure_run(stage: ClosureStage, roles: &RolesConfig) -> GateResult {
    let owner = stage.owner_id(roles);
    GateResult::fail(
        GateStatus::MissingClosureRun,
        Some(&owner),
        format!(
            "{} is required for this wave but no matching closure run was provided.",
            stage.label()
        ),
    )
}

/// What a stage gate reads besides the agents' runs.
pub(super) struct StageContext<'a> {
    pub agents: &'a [AgentFacts],
    pub runs: &'a BTreeMap<String, AgentRun>,
    pub roles: &'a RolesConfig,
    pub promotions: &'a [ComponentPromotion],
    pub eval_targets: &'a [ResolvedEvalTarget],
}

/// Evaluates a stage after every one of `stage_ids` was observed, then applies the forwarded
/// proof-gap trigger (a stage agent's final `[wave-proof] state=gap`).
pub(super) fn evaluate_stage(
    ctx: &StageContext<'_>,
    stage: ClosureStage,
    stage_ids: &[String],
) -> GateResult {
    let empty = AgentRun::default();
    let run_of = |id: &str| ctx.runs.get(id).unwrap_or(&empty);
    let role_runs: Vec<RoleRun<'_>> = stage_ids
        .iter()
        .map(|id| run_of(id).role_run(id.as_str()))
        .collect();
    let gate = match stage {
        ClosureStage::ContEval => match role_runs.first() {
            Some(run) => {
                let gate = cont_eval_gate(Some(&ContEvalInput {
                    run: *run,
                    strict: true,
                    targets: ctx.eval_targets,
                }));
                // An implementation-owning E0 is also held to its exit contract.
                let facts = ctx.agents.iter().find(|a| a.id == run.agent_id);
                match facts {
                    Some(facts) if gate.ok && facts.implementation_owning => {
                        let own = validate_implementation(&facts.spec, run.summary);
                        if own.ok {
                            gate
                        } else {
                            own
                        }
                    }
                    _ => gate,
                }
            }
            None => cont_eval_gate(None),
        },
        ClosureStage::SecurityReview => security_gate(&role_runs),
        ClosureStage::Integration => match role_runs.first() {
            Some(run) => integration_gate(Some((run.agent_id, run.summary)), run.agent_id, true),
            None => missing_closure_run(stage, ctx.roles),
        },
        ClosureStage::Documentation => match role_runs.first() {
            Some(run) => {
                let docs = documentation_gate(Some((run.agent_id, run.summary)));
                if !docs.ok {
                    docs
                } else {
                    let levels = run_of(run.agent_id)
                        .matrix_levels
                        .clone()
                        .unwrap_or_default();
                    let matrix = component_matrix_gate(ctx.promotions, &levels, Some(run.agent_id));
                    if matrix.ok {
                        docs
                    } else {
                        matrix
                    }
                }
            }
            None => missing_closure_run(stage, ctx.roles),
        },
        ClosureStage::ContQa => match role_runs.first() {
            Some(run) => cont_qa_gate(Some(run), run.agent_id, true),
            None => missing_closure_run(stage, ctx.roles),
        },
    };
    apply_closure_proof_gap(gate, role_runs.iter().map(|r| (r.agent_id, r.summary)))
}
