//! Design, cont-EVAL, security, integration, documentation and cont-QA gates, and the
//! forwarded proof-gap trigger of the closure sweep.

use std::collections::BTreeSet;

use super::status::{GateResult, GateStatus};
use crate::contract::{EvalSelection, EvalTarget};
use crate::markers::{
    AgentSummary, DesignState, DocClosureState, EvalState, GateValue, IntegrationState, MetState,
    SecurityState, Verdict,
};

/// One role agent's run as the gates see it: id, summary and whether its report / packet file
/// exists (the caller checks the file system).
#[derive(Debug, Clone, Copy)]
pub struct RoleRun<'a> {
    /// Agent id.
    pub agent_id: &'a str,
    /// Its execution summary (`None` when absent).
    pub summary: Option<&'a AgentSummary>,
    /// Whether `summary.report_path` names an existing file.
    pub report_exists: bool,
}

fn with_termination(detail: String, summary: Option<&AgentSummary>) -> String {
    let Some(summary) = summary else {
        return detail;
    };
    let hint = if summary.termination_hint.trim().is_empty() {
        summary.termination_reason.map(|r| r.as_str()).unwrap_or("")
    } else {
        summary.termination_hint.trim()
    };
    if hint.is_empty() {
        detail
    } else {
        format!("{detail} Termination: {hint}")
    }
}

fn or_default(detail: &str, fallback: impl FnOnce() -> String) -> String {
    if detail.is_empty() {
        fallback()
    } else {
        detail.to_string()
    }
}

fn report_path(run: &RoleRun<'_>) -> Option<String> {
    run.summary.and_then(|s| s.report_path.clone())
}

/// Design steward validator: `missing-wave-design`, `missing-design-packet`, `design-blocked`,
/// `design-needs-clarification`.
pub fn validate_design(run: &RoleRun<'_>) -> GateResult {
    let id = run.agent_id;
    let Some(design) = run.summary.and_then(|s| s.design.as_ref()) else {
        let detail = with_termination(
            format!("{id} printed no [wave-design] marker."),
            run.summary,
        );
        return GateResult::fail(GateStatus::MissingWaveDesign, Some(id), detail);
    };
    match report_path(run) {
        None => {
            return GateResult::fail(
                GateStatus::MissingDesignPacket,
                Some(id),
                format!("{id} has no design packet path."),
            )
        }
        Some(path) if !run.report_exists => {
            return GateResult::fail(
                GateStatus::MissingDesignPacket,
                Some(id),
                format!("Design packet {path} does not exist."),
            )
        }
        Some(_) => {}
    }
    match design.state {
        DesignState::Blocked => GateResult::fail(
            GateStatus::DesignBlocked,
            Some(id),
            or_default(&design.detail, || {
                format!("{id} reported the design blocked.")
            }),
        ),
        DesignState::NeedsClarification => GateResult::fail(
            GateStatus::DesignNeedsClarification,
            Some(id),
            or_default(&design.detail, || {
                format!("{id} needs clarification before implementation.")
            }),
        ),
        DesignState::ReadyForImplementation => GateResult::pass(
            Some(id),
            or_default(&design.detail, || {
                "The design packet is ready for implementation.".into()
            }),
        ),
    }
}

/// Design gate over every design steward: first failure, else pass.
pub fn design_gate(runs: &[RoleRun<'_>]) -> GateResult {
    runs.iter()
        .map(validate_design)
        .find(|r| !r.ok)
        .unwrap_or_else(|| {
            GateResult::pass(
                None,
                "Design packets are ready (or the wave has no design steward).",
            )
        })
}

/// An eval target with the benchmarks the catalog allows for it (pinned: its own list;
/// delegated: every benchmark of its family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedEvalTarget {
    /// The declared target.
    pub target: EvalTarget,
    /// Allowed benchmark ids.
    pub allowed_benchmarks: Vec<String>,
}

/// Inputs of the cont-EVAL validator.
#[derive(Debug, Clone, Copy)]
pub struct ContEvalInput<'a> {
    /// The cont-EVAL run.
    pub run: RoleRun<'a>,
    /// Live (strict) mode: report required, contract checks on.
    pub strict: bool,
    /// The wave's eval targets resolved against the benchmark catalog.
    pub targets: &'a [ResolvedEvalTarget],
}

fn sorted_unique<'a>(items: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// cont-EVAL validator with every check of launcher §4.4, in upstream's order.
pub fn validate_cont_eval(input: &ContEvalInput<'_>) -> GateResult {
    let run = &input.run;
    let id = run.agent_id;
    let fail = |status, detail: String| GateResult::fail(status, Some(id), detail);
    let Some(eval) = run.summary.and_then(|s| s.eval.as_ref()) else {
        let detail = with_termination(format!("{id} printed no [wave-eval] marker."), run.summary);
        return fail(GateStatus::MissingWaveEval, detail);
    };
    let path = report_path(run);
    if input.strict && path.is_none() {
        return fail(
            GateStatus::MissingContEvalReport,
            format!("{id} has no cont-EVAL report path."),
        );
    }
    match eval.state {
        EvalState::Satisfied => {}
        EvalState::Blocked => {
            return fail(
                GateStatus::ContEvalBlocked,
                or_default(&eval.detail, || format!("{id} reported blocked.")),
            )
        }
        EvalState::NeedsMoreWork => {
            return fail(
                GateStatus::ContEvalNeedsMoreWork,
                or_default(&eval.detail, || format!("{id} reported needs-more-work.")),
            )
        }
    }
    if let Some(path) = &path {
        if !run.report_exists {
            return fail(
                GateStatus::MissingContEvalReport,
                format!("cont-EVAL report {path} does not exist."),
            );
        }
    }
    if input.strict {
        if input.targets.is_empty() {
            return fail(
                GateStatus::MissingContEvalContract,
                format!("The wave declares no eval targets for {id}."),
            );
        }
        let expected = sorted_unique(input.targets.iter().map(|t| &t.target.id));
        let actual = sorted_unique(&eval.target_ids);
        if actual.is_empty() {
            return fail(
                GateStatus::MissingContEvalTargetIds,
                format!("{id}'s [wave-eval] marker lists no target_ids."),
            );
        }
        if eval.targets != actual.len() as u64 {
            return fail(
                GateStatus::ContEvalTargetCountMismatch,
                format!(
                    "targets={} but target_ids lists {}.",
                    eval.targets,
                    actual.len()
                ),
            );
        }
        if actual != expected {
            return fail(
                GateStatus::ContEvalTargetMismatch,
                format!(
                    "target_ids must equal the declared eval targets ({}).",
                    expected.join(", ")
                ),
            );
        }
        let benchmarks = sorted_unique(&eval.benchmark_ids);
        if benchmarks.is_empty() {
            return fail(
                GateStatus::MissingContEvalBenchmarks,
                format!("{id}'s [wave-eval] marker lists no benchmark_ids."),
            );
        }
        if eval.benchmarks != benchmarks.len() as u64 {
            return fail(
                GateStatus::ContEvalBenchmarkCountMismatch,
                format!(
                    "benchmarks={} but benchmark_ids lists {}.",
                    eval.benchmarks,
                    benchmarks.len()
                ),
            );
        }
        if eval.regressions > 0 {
            return fail(
                GateStatus::ContEvalRegressions,
                or_default(&eval.detail, || {
                    format!("{id} reported {} unresolved regressions.", eval.regressions)
                }),
            );
        }
        let allowed: BTreeSet<&str> = input
            .targets
            .iter()
            .flat_map(|t| t.allowed_benchmarks.iter().map(String::as_str))
            .collect();
        if let Some(stray) = benchmarks.iter().find(|b| !allowed.contains(b.as_str())) {
            return fail(
                GateStatus::ContEvalBenchmarkMismatch,
                format!("Benchmark {stray} is not allowed by any eval target."),
            );
        }
        let chosen: BTreeSet<&str> = benchmarks.iter().map(String::as_str).collect();
        for resolved in input.targets {
            let target = &resolved.target;
            match target.selection {
                EvalSelection::Pinned => {
                    let missing: Vec<&str> = target
                        .benchmarks
                        .iter()
                        .map(String::as_str)
                        .filter(|b| !chosen.contains(b))
                        .collect();
                    if !missing.is_empty() {
                        return fail(
                            GateStatus::ContEvalBenchmarkMismatch,
                            format!(
                                "Target {} pins benchmarks that were not run: {}.",
                                target.id,
                                missing.join(", ")
                            ),
                        );
                    }
                }
                EvalSelection::Delegated => {
                    if !resolved
                        .allowed_benchmarks
                        .iter()
                        .any(|b| chosen.contains(b.as_str()))
                    {
                        return fail(
                            GateStatus::ContEvalBenchmarkMismatch,
                            format!(
                                "Target {} needs at least one benchmark of family {}.",
                                target.id,
                                target.benchmark_family.as_deref().unwrap_or("?")
                            ),
                        );
                    }
                }
            }
        }
    }
    GateResult::pass(
        Some(id),
        or_default(&eval.detail, || "cont-EVAL targets are satisfied.".into()),
    )
}

/// cont-EVAL gate: pass when the wave has no cont-EVAL agent.
pub fn cont_eval_gate(input: Option<&ContEvalInput<'_>>) -> GateResult {
    input
        .map(validate_cont_eval)
        .unwrap_or_else(|| GateResult::pass(None, "The wave has no cont-EVAL agent."))
}

/// Security reviewer validator. `concerns` passes with the advisory status `security-concerns`.
pub fn validate_security(run: &RoleRun<'_>) -> GateResult {
    let id = run.agent_id;
    let Some(security) = run.summary.and_then(|s| s.security.as_ref()) else {
        let detail = with_termination(
            format!("{id} printed no [wave-security] marker."),
            run.summary,
        );
        return GateResult::fail(GateStatus::MissingWaveSecurity, Some(id), detail);
    };
    match report_path(run) {
        None => {
            return GateResult::fail(
                GateStatus::MissingSecurityReport,
                Some(id),
                format!("{id} has no security report path."),
            )
        }
        Some(path) if !run.report_exists => {
            return GateResult::fail(
                GateStatus::MissingSecurityReport,
                Some(id),
                format!("Security report {path} does not exist."),
            )
        }
        Some(_) => {}
    }
    match security.state {
        SecurityState::Clear if security.findings > 0 || security.approvals > 0 => {
            GateResult::fail(
                GateStatus::InvalidSecurityClearState,
                Some(id),
                format!(
                    "{id} reported clear with {} findings and {} approvals still open.",
                    security.findings, security.approvals
                ),
            )
        }
        SecurityState::Blocked => GateResult::fail(
            GateStatus::SecurityBlocked,
            Some(id),
            or_default(&security.detail, || {
                format!("{id} reported the security review blocked.")
            }),
        ),
        SecurityState::Concerns => GateResult::with(
            true,
            GateStatus::SecurityConcerns,
            Some(id),
            or_default(&security.detail, || "Advisory security concerns.".into()),
        ),
        SecurityState::Clear => GateResult::pass(
            Some(id),
            or_default(&security.detail, || "Security review is clear.".into()),
        ),
    }
}

/// Security gate over every reviewer: first failure; else `security-concerns` (ok) when any
/// reviewer had concerns; else pass.
pub fn security_gate(runs: &[RoleRun<'_>]) -> GateResult {
    let mut concerns = Vec::new();
    for run in runs {
        let result = validate_security(run);
        if !result.ok {
            return result;
        }
        if result.status_code == GateStatus::SecurityConcerns {
            concerns.push(run.agent_id);
        }
    }
    if concerns.is_empty() {
        GateResult::pass(
            None,
            "Security review is clear (or the wave has no reviewer).",
        )
    } else {
        GateResult::with(
            true,
            GateStatus::SecurityConcerns,
            None,
            format!("Advisory security concerns from {}.", concerns.join(", ")),
        )
    }
}

/// Integration steward validator (marker part): `missing-wave-integration`,
/// `integration-needs-more-work`.
pub fn validate_integration(agent_id: &str, summary: Option<&AgentSummary>) -> GateResult {
    let Some(integration) = summary.and_then(|s| s.integration.as_ref()) else {
        let detail = with_termination(
            format!("{agent_id} printed no [wave-integration] marker."),
            summary,
        );
        return GateResult::fail(GateStatus::MissingWaveIntegration, Some(agent_id), detail);
    };
    match integration.state {
        IntegrationState::ReadyForDocClosure => GateResult::pass(
            Some(agent_id),
            or_default(&integration.detail, || {
                "Integration is ready for documentation closure.".into()
            }),
        ),
        IntegrationState::NeedsMoreWork => GateResult::fail(
            GateStatus::IntegrationNeedsMoreWork,
            Some(agent_id),
            or_default(&integration.detail, || {
                format!("{agent_id} reported needs-more-work.")
            }),
        ),
    }
}

/// Integration gate: without an integration run, `missing-integration` when `required`, else pass.
pub fn integration_gate(
    run: Option<(&str, Option<&AgentSummary>)>,
    required_id: &str,
    required: bool,
) -> GateResult {
    match run {
        Some((id, summary)) => validate_integration(id, summary),
        None if required => GateResult::fail(
            GateStatus::MissingIntegration,
            Some(required_id),
            format!("The wave requires integration steward {required_id}, which is absent."),
        ),
        None => GateResult::pass(None, "The wave has no integration steward."),
    }
}

/// Documentation steward validator: `missing-doc-closure`, `doc-closure-open`.
pub fn validate_documentation(agent_id: &str, summary: Option<&AgentSummary>) -> GateResult {
    let Some(closure) = summary.and_then(|s| s.doc_closure.as_ref()) else {
        let detail = with_termination(
            format!("{agent_id} printed no [wave-doc-closure] marker."),
            summary,
        );
        return GateResult::fail(GateStatus::MissingDocClosure, Some(agent_id), detail);
    };
    match closure.state {
        DocClosureState::Delta => GateResult::fail(
            GateStatus::DocClosureOpen,
            Some(agent_id),
            or_default(&closure.detail, || {
                format!("{agent_id} still reports an open shared-plan delta.")
            }),
        ),
        DocClosureState::Closed => {
            GateResult::pass(Some(agent_id), "Shared-plan documentation delta closed.")
        }
        DocClosureState::NoChange => GateResult::pass(
            Some(agent_id),
            "No shared-plan documentation change needed.",
        ),
    }
}

/// Documentation gate: pass when the wave has no documentation steward run.
pub fn documentation_gate(run: Option<(&str, Option<&AgentSummary>)>) -> GateResult {
    match run {
        Some((id, summary)) => validate_documentation(id, summary),
        None => GateResult::pass(None, "The wave has no documentation steward."),
    }
}

fn gate_dimension_status(dimension: &str, value: GateValue) -> Option<GateStatus> {
    use GateStatus::*;
    Some(match (dimension, value) {
        (_, GateValue::Pass) => return None,
        ("architecture", GateValue::Concerns) => GateArchitectureConcerns,
        ("architecture", _) => GateArchitectureBlocked,
        ("integration", GateValue::Concerns) => GateIntegrationConcerns,
        ("integration", _) => GateIntegrationBlocked,
        ("durability", GateValue::Concerns) => GateDurabilityConcerns,
        ("durability", _) => GateDurabilityBlocked,
        ("live", GateValue::Concerns) => GateLiveConcerns,
        ("live", _) => GateLiveBlocked,
        (_, GateValue::Concerns) => GateDocsConcerns,
        (_, _) => GateDocsBlocked,
    })
}

/// cont-QA validator: `missing-wave-gate`, (strict) `missing-cont-qa-report`,
/// `missing-cont-qa-verdict`, `cont-qa-<verdict>`, `gate-<dimension>-<value>`.
pub fn validate_cont_qa(run: &RoleRun<'_>, strict: bool) -> GateResult {
    let id = run.agent_id;
    let Some(summary) = run.summary else {
        return GateResult::fail(
            GateStatus::MissingWaveGate,
            Some(id),
            format!("{id} printed no [wave-gate] marker."),
        );
    };
    let Some(gate) = &summary.gate else {
        let detail = with_termination(
            format!("{id} printed no [wave-gate] marker."),
            Some(summary),
        );
        return GateResult::fail(GateStatus::MissingWaveGate, Some(id), detail);
    };
    if strict {
        match &summary.report_path {
            None => {
                return GateResult::fail(
                    GateStatus::MissingContQaReport,
                    Some(id),
                    format!("{id} has no cont-QA report path."),
                )
            }
            Some(path) if !run.report_exists => {
                return GateResult::fail(
                    GateStatus::MissingContQaReport,
                    Some(id),
                    format!("cont-QA report {path} does not exist."),
                )
            }
            Some(_) => {}
        }
    }
    let Some(verdict) = &summary.verdict else {
        let detail = with_termination(
            format!("{id} gave no Verdict line and no [wave-verdict] marker."),
            Some(summary),
        );
        return GateResult::fail(GateStatus::MissingContQaVerdict, Some(id), detail);
    };
    let verdict_status = match verdict.verdict {
        Verdict::Pass => None,
        Verdict::Concerns => Some(GateStatus::ContQaConcerns),
        Verdict::Blocked => Some(GateStatus::ContQaBlocked),
    };
    if let Some(status) = verdict_status {
        return GateResult::fail(
            status,
            Some(id),
            or_default(&verdict.detail, || {
                format!("cont-QA verdict: {}.", verdict.verdict)
            }),
        );
    }
    for (dimension, value) in gate.dimensions() {
        if let Some(status) = gate_dimension_status(dimension, value) {
            return GateResult::fail(
                status,
                Some(id),
                or_default(&gate.detail, || {
                    format!("The final gate reports {dimension}={value}.")
                }),
            );
        }
    }
    let detail = if verdict.detail.is_empty() {
        gate.detail.clone()
    } else {
        verdict.detail.clone()
    };
    GateResult::pass(
        Some(id),
        or_default(&detail, || "cont-QA gate passed.".into()),
    )
}

/// cont-QA gate: `missing-cont-qa` when the wave has no cont-QA run.
pub fn cont_qa_gate(run: Option<&RoleRun<'_>>, cont_qa_agent_id: &str, strict: bool) -> GateResult {
    match run {
        Some(run) => validate_cont_qa(run, strict),
        None => GateResult::fail(
            GateStatus::MissingContQa,
            Some(cont_qa_agent_id),
            format!("cont-QA agent {cont_qa_agent_id} is absent."),
        ),
    }
}

/// This project's forwarded-gap trigger (DESIGN §4): after a closure stage's own gate, if that
/// gate did not fail hard, the first of the stage's agents whose final `[wave-proof]` reports
/// `state=gap` turns the stage result into a forwardable `wave-proof-gap`. A hard failure of
/// the stage gate wins (it stops the sweep regardless).
pub fn apply_closure_proof_gap<'a>(
    stage_gate: GateResult,
    stage_agents: impl IntoIterator<Item = (&'a str, Option<&'a AgentSummary>)>,
) -> GateResult {
    if !stage_gate.ok {
        return stage_gate;
    }
    for (id, summary) in stage_agents {
        if let Some(proof) = summary.and_then(|s| s.proof.as_ref()) {
            if proof.state == MetState::Gap {
                let detail = if proof.detail.is_empty() {
                    format!("{id} reported a proof gap.")
                } else {
                    format!("{id} reported a proof gap: {}", proof.detail)
                };
                return GateResult::fail(GateStatus::WaveProofGap, Some(id), detail);
            }
        }
    }
    stage_gate
}
