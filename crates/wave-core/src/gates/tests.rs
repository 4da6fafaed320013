//! Gate tests: every status code, built from real marker text through `build_summary`.

use std::collections::BTreeMap;

use super::*;
use crate::contract::{
    Completion, ComponentPromotion, DocImpact, Durability, EvalSelection, EvalTarget, ExitContract,
    Maturity, ProofLevel,
};
use crate::markers::{
    build_summary, AgentSummary, DeliverableState, ProofArtifactState, SummaryContext,
    TerminationReason,
};

const MET: &str =
    "[wave-proof] completion=integrated durability=durable proof=integration state=met";
const DELTA: &str = "[wave-doc-delta] state=owned";

fn summary(log: &str) -> AgentSummary {
    build_summary(log, None, SummaryContext::default())
}

fn summary_with_report(log: &str, report: Option<&str>, report_path: Option<&str>) -> AgentSummary {
    let context = SummaryContext {
        report_path: report_path.map(str::to_string),
        ..SummaryContext::default()
    };
    build_summary(log, report, context)
}

fn contract() -> ExitContract {
    ExitContract {
        completion: Completion::Integrated,
        durability: Durability::Durable,
        proof: ProofLevel::Integration,
        doc_impact: DocImpact::Owned,
    }
}

fn spec() -> ImplementationSpec {
    ImplementationSpec {
        agent_id: "A1".into(),
        exit_contract: Some(contract()),
        ..ImplementationSpec::default()
    }
}

fn code(spec: &ImplementationSpec, log: &str) -> GateStatus {
    validate_implementation(spec, Some(&summary(log))).status_code
}

#[test]
fn implementation_contract_codes() {
    let s = spec();
    assert_eq!(code(&s, &format!("{MET}\n{DELTA}")), GateStatus::Pass);
    assert_eq!(
        validate_implementation(&s, None).status_code,
        GateStatus::MissingSummary
    );
    assert_eq!(code(&s, DELTA), GateStatus::MissingWaveProof);
    assert_eq!(
        code(&s, "[wave-proof] state=met completion=live"),
        GateStatus::InvalidWaveProofFormat
    );
    let gap = validate_implementation(
        &s,
        Some(&summary(
            "[wave-proof] completion=live durability=durable proof=live state=gap detail=flaky",
        )),
    );
    assert_eq!((gap.status_code, gap.ok), (GateStatus::WaveProofGap, false));
    assert!(gap.detail.contains("flaky"));
    assert_eq!(gap.agent_id.as_deref(), Some("A1"));
    assert_eq!(
        code(
            &s,
            "[wave-proof] completion=contract durability=durable proof=live state=met"
        ),
        GateStatus::CompletionGap
    );
    assert_eq!(
        code(
            &s,
            &format!(
                "[wave-proof] completion=live durability=durable proof=live state=met\n{DELTA}"
            )
        ),
        GateStatus::Pass
    );
    assert_eq!(
        code(
            &s,
            "[wave-proof] completion=live durability=ephemeral proof=live state=met"
        ),
        GateStatus::DurabilityGap
    );
    assert_eq!(
        code(
            &s,
            "[wave-proof] completion=live durability=durable proof=unit state=met"
        ),
        GateStatus::ProofLevelGap
    );
    assert_eq!(code(&s, MET), GateStatus::MissingDocDelta);
    assert_eq!(
        code(&s, &format!("{MET}\n[wave-doc-delta] paths=a state=owned")),
        GateStatus::InvalidDocDeltaFormat
    );
    assert_eq!(
        code(&s, &format!("{MET}\n[wave-doc-delta] state=none")),
        GateStatus::DocImpactGap
    );
    let none = ImplementationSpec {
        exit_contract: None,
        ..spec()
    };
    assert_eq!(
        validate_implementation(&none, None).status_code,
        GateStatus::Pass
    );
}

#[test]
fn missing_marker_detail_carries_termination_hint() {
    let result = validate_implementation(&spec(), Some(&summary("Error: Reached max turns (5)")));
    assert_eq!(result.status_code, GateStatus::MissingWaveProof);
    assert!(result
        .detail
        .ends_with("Termination: Reached max turns (5)"));
}

fn component_spec() -> ImplementationSpec {
    let mut s = spec();
    s.components = vec!["core".into()];
    s.component_targets = BTreeMap::from([("core".to_string(), Maturity::RepoLanded)]);
    s
}

#[test]
fn owned_component_codes() {
    let s = component_spec();
    let base = format!("{MET}\n{DELTA}\n");
    assert_eq!(
        code(
            &s,
            &format!("{base}[wave-component] component=core level=repo-landed state=met")
        ),
        GateStatus::Pass
    );
    assert_eq!(code(&s, &base), GateStatus::MissingWaveComponent);
    assert_eq!(
        code(
            &s,
            &format!("{base}[wave-component] component=other level=repo-landed state=met")
        ),
        GateStatus::MissingWaveComponent
    );
    assert_eq!(
        code(
            &s,
            &format!("{base}[wave-component] level=repo-landed component=core state=met")
        ),
        GateStatus::InvalidWaveComponentFormat
    );
    assert_eq!(
        code(
            &s,
            &format!("{base}[wave-component] component=core level=pilot-live state=met")
        ),
        GateStatus::ComponentLevelMismatch
    );
    assert_eq!(
        code(
            &s,
            &format!("{base}[wave-component] component=core level=repo-landed state=gap")
        ),
        GateStatus::ComponentGap
    );
}

#[test]
fn deliverable_and_proof_artifact_codes() {
    let mut s = spec();
    s.deliverables = vec!["src/a.rs".into()];
    let log = format!("{MET}\n{DELTA}");
    let mut sum = summary(&log);
    assert_eq!(
        validate_implementation(&s, Some(&sum)).status_code,
        GateStatus::MissingDeliverableSummary
    );
    sum.deliverables = vec![DeliverableState {
        path: "src/a.rs".into(),
        exists: false,
        modified_at: None,
    }];
    assert_eq!(
        validate_implementation(&s, Some(&sum)).status_code,
        GateStatus::MissingDeliverable
    );
    sum.deliverables[0].exists = true;
    assert_eq!(
        validate_implementation(&s, Some(&sum)).status_code,
        GateStatus::Pass
    );

    s.proof_artifacts = vec![ProofArtifactRequirement {
        path: "proof.json".into(),
        required_for: vec![],
    }];
    assert_eq!(
        validate_implementation(&s, Some(&sum)).status_code,
        GateStatus::MissingProofArtifactSummary
    );
    sum.proof_artifacts = vec![ProofArtifactState {
        path: "proof.json".into(),
        kind: None,
        required_for: vec![],
        exists: false,
        modified_at: None,
    }];
    assert_eq!(
        validate_implementation(&s, Some(&sum)).status_code,
        GateStatus::MissingProofArtifact
    );
    // Not required below its level.
    s.components = vec!["core".into()];
    s.component_targets = BTreeMap::from([("core".to_string(), Maturity::RepoLanded)]);
    s.proof_artifacts[0].required_for = vec![Maturity::PilotLive];
    let log = format!("{log}\n[wave-component] component=core level=repo-landed state=met");
    let mut sum2 = summary(&log);
    sum2.deliverables = sum.deliverables.clone();
    assert_eq!(
        validate_implementation(&s, Some(&sum2)).status_code,
        GateStatus::Pass
    );
}

#[test]
fn implementation_gate_reports_first_failure() {
    let (a, b) = (
        spec(),
        ImplementationSpec {
            agent_id: "A2".into(),
            ..spec()
        },
    );
    let ok = summary(&format!("{MET}\n{DELTA}"));
    let bad = summary(MET);
    let result = implementation_gate([(&a, Some(&ok)), (&b, Some(&bad))]);
    assert_eq!(
        (result.status_code, result.agent_id.as_deref()),
        (GateStatus::MissingDocDelta, Some("A2"))
    );
    assert!(implementation_gate([(&a, Some(&ok))]).ok);
}

#[test]
fn component_gate_codes() {
    let promotions = vec![ComponentPromotion {
        component: "core".into(),
        target_level: Maturity::RepoLanded,
    }];
    let a1 = component_spec();
    let a2 = ImplementationSpec {
        agent_id: "A2".into(),
        ..component_spec()
    };
    let done = summary(&format!(
        "{MET}\n{DELTA}\n[wave-component] component=core level=repo-landed state=met"
    ));
    let pending = summary(&format!("{MET}\n{DELTA}"));
    let agents = [
        ComponentAgent {
            spec: &a1,
            summary: Some(&done),
            implementation_owning: true,
        },
        ComponentAgent {
            spec: &a2,
            summary: Some(&pending),
            implementation_owning: true,
        },
    ];
    let input = ComponentGateInput {
        wave: 1,
        require_from_wave: Some(0),
        promotions: &promotions,
        agents: &agents,
    };
    let r = component_gate(&input);
    assert_eq!(
        (r.status_code, r.agent_id.as_deref()),
        (GateStatus::SharedComponentSiblingPending, Some("A2"))
    );

    let only_pending = [agents[1]];
    let r = component_gate(&ComponentGateInput {
        agents: &only_pending,
        ..input
    });
    assert_eq!(
        (r.status_code, r.agent_id.as_deref()),
        (GateStatus::ComponentPromotionGap, Some("A2"))
    );
    // Rule inactive for this wave.
    let r = component_gate(&ComponentGateInput {
        agents: &only_pending,
        require_from_wave: Some(5),
        ..input
    });
    assert_eq!(r.status_code, GateStatus::Pass);
    // No promotions while implementation agents exist.
    let r = component_gate(&ComponentGateInput {
        promotions: &[],
        agents: &only_pending,
        ..input
    });
    assert_eq!(r.status_code, GateStatus::MissingComponentPromotions);
    let only_done = [agents[0]];
    assert!(
        component_gate(&ComponentGateInput {
            agents: &only_done,
            ..input
        })
        .ok
    );
}

#[test]
fn component_matrix_codes() {
    let promotions = vec![ComponentPromotion {
        component: "core".into(),
        target_level: Maturity::PilotLive,
    }];
    let stale = BTreeMap::from([("core".to_string(), "repo-landed".to_string())]);
    let r = component_matrix_gate(&promotions, &stale, Some("A9"));
    assert_eq!(
        (r.status_code, r.agent_id.as_deref()),
        (GateStatus::ComponentCurrentLevelStale, Some("A9"))
    );
    let fresh = BTreeMap::from([("core".to_string(), "pilot-live".to_string())]);
    assert!(component_matrix_gate(&promotions, &fresh, Some("A9")).ok);
    assert_eq!(
        component_matrix_gate(&promotions, &BTreeMap::new(), None).status_code,
        GateStatus::UnknownComponent
    );
}

fn run<'a>(id: &'a str, summary: Option<&'a AgentSummary>, report_exists: bool) -> RoleRun<'a> {
    RoleRun {
        agent_id: id,
        summary,
        report_exists,
    }
}

#[test]
fn design_codes() {
    let ready =
        "[wave-design] state=ready-for-implementation decisions=1 assumptions=0 open_questions=0";
    let s = summary_with_report(ready, None, Some("docs/design.md"));
    assert!(validate_design(&run("D1", Some(&s), true)).ok);
    assert_eq!(
        validate_design(&run("D1", None, true)).status_code,
        GateStatus::MissingWaveDesign
    );
    assert_eq!(
        validate_design(&run("D1", Some(&s), false)).status_code,
        GateStatus::MissingDesignPacket
    );
    let no_path = summary(ready);
    assert_eq!(
        validate_design(&run("D1", Some(&no_path), true)).status_code,
        GateStatus::MissingDesignPacket
    );
    let blocked = summary_with_report(
        "[wave-design] state=blocked decisions=0 assumptions=0 open_questions=2",
        None,
        Some("d.md"),
    );
    assert_eq!(
        validate_design(&run("D1", Some(&blocked), true)).status_code,
        GateStatus::DesignBlocked
    );
    let clarify = summary_with_report(
        "[wave-design] state=needs-clarification decisions=0 assumptions=0 open_questions=2",
        None,
        Some("d.md"),
    );
    let r = design_gate(&[run("D1", Some(&s), true), run("D2", Some(&clarify), true)]);
    assert_eq!(
        (r.status_code, r.agent_id.as_deref()),
        (GateStatus::DesignNeedsClarification, Some("D2"))
    );
    assert!(design_gate(&[]).ok);
}

fn eval_targets() -> Vec<ResolvedEvalTarget> {
    vec![
        ResolvedEvalTarget {
            target: EvalTarget {
                id: "latency".into(),
                selection: EvalSelection::Pinned,
                benchmark_family: None,
                benchmarks: vec!["p95".into()],
                objective: "fast".into(),
                threshold: "<100ms".into(),
            },
            allowed_benchmarks: vec!["p95".into()],
        },
        ResolvedEvalTarget {
            target: EvalTarget {
                id: "quality".into(),
                selection: EvalSelection::Delegated,
                benchmark_family: Some("qa".into()),
                benchmarks: vec![],
                objective: "good".into(),
                threshold: "none".into(),
            },
            allowed_benchmarks: vec!["qa-1".into(), "qa-2".into()],
        },
    ]
}

fn eval_code(
    marker: &str,
    report_path: Option<&str>,
    report_exists: bool,
    strict: bool,
    targets: &[ResolvedEvalTarget],
) -> GateStatus {
    let s = summary_with_report(marker, None, report_path);
    let input = ContEvalInput {
        run: run("E0", Some(&s), report_exists),
        strict,
        targets,
    };
    validate_cont_eval(&input).status_code
}

#[test]
fn cont_eval_codes() {
    let t = eval_targets();
    let good = "[wave-eval] state=satisfied targets=2 benchmarks=2 regressions=0 target_ids=latency,quality benchmark_ids=p95,qa-1";
    let rp = Some("docs/eval.md");
    assert_eq!(eval_code(good, rp, true, true, &t), GateStatus::Pass);
    assert_eq!(
        eval_code("nothing", rp, true, true, &t),
        GateStatus::MissingWaveEval
    );
    assert_eq!(
        eval_code(good, None, true, true, &t),
        GateStatus::MissingContEvalReport
    );
    assert_eq!(eval_code(good, None, false, false, &t), GateStatus::Pass);
    assert_eq!(
        eval_code(good, rp, false, true, &t),
        GateStatus::MissingContEvalReport
    );
    assert_eq!(
        eval_code(
            "[wave-eval] state=blocked targets=0 benchmarks=0 regressions=0",
            rp,
            true,
            true,
            &t
        ),
        GateStatus::ContEvalBlocked
    );
    assert_eq!(
        eval_code(
            "[wave-eval] state=needs-more-work targets=0 benchmarks=0 regressions=0",
            rp,
            true,
            true,
            &t
        ),
        GateStatus::ContEvalNeedsMoreWork
    );
    assert_eq!(
        eval_code(good, rp, true, true, &[]),
        GateStatus::MissingContEvalContract
    );
    let cases = [
        ("[wave-eval] state=satisfied targets=2 benchmarks=2 regressions=0", GateStatus::MissingContEvalTargetIds),
        (
            "[wave-eval] state=satisfied targets=3 benchmarks=2 regressions=0 target_ids=latency,quality",
            GateStatus::ContEvalTargetCountMismatch,
        ),
        (
            "[wave-eval] state=satisfied targets=2 benchmarks=2 regressions=0 target_ids=latency,speed",
            GateStatus::ContEvalTargetMismatch,
        ),
        (
            "[wave-eval] state=satisfied targets=2 benchmarks=2 regressions=0 target_ids=latency,quality",
            GateStatus::MissingContEvalBenchmarks,
        ),
        (
            "[wave-eval] state=satisfied targets=2 benchmarks=3 regressions=0 target_ids=latency,quality benchmark_ids=p95,qa-1",
            GateStatus::ContEvalBenchmarkCountMismatch,
        ),
        (
            "[wave-eval] state=satisfied targets=2 benchmarks=2 regressions=1 target_ids=latency,quality benchmark_ids=p95,qa-1",
            GateStatus::ContEvalRegressions,
        ),
        (
            "[wave-eval] state=satisfied targets=2 benchmarks=2 regressions=0 target_ids=latency,quality benchmark_ids=p95,other",
            GateStatus::ContEvalBenchmarkMismatch,
        ),
        (
            "[wave-eval] state=satisfied targets=2 benchmarks=1 regressions=0 target_ids=latency,quality benchmark_ids=qa-1",
            GateStatus::ContEvalBenchmarkMismatch,
        ),
        (
            "[wave-eval] state=satisfied targets=2 benchmarks=1 regressions=0 target_ids=LATENCY,quality benchmark_ids=P95",
            GateStatus::ContEvalBenchmarkMismatch,
        ),
    ];
    for (marker, expected) in cases {
        assert_eq!(eval_code(marker, rp, true, true, &t), expected, "{marker}");
    }
    assert!(cont_eval_gate(None).ok);
}

#[test]
fn security_codes() {
    let rp = Some("docs/security-review.md");
    let clear = summary_with_report(
        "[wave-security] state=clear findings=0 approvals=0",
        None,
        rp,
    );
    assert_eq!(
        validate_security(&run("A7", Some(&clear), true)).status_code,
        GateStatus::Pass
    );
    assert_eq!(
        validate_security(&run("A7", None, true)).status_code,
        GateStatus::MissingWaveSecurity
    );
    assert_eq!(
        validate_security(&run("A7", Some(&clear), false)).status_code,
        GateStatus::MissingSecurityReport
    );
    let no_path = summary("[wave-security] state=clear findings=0 approvals=0");
    assert_eq!(
        validate_security(&run("A7", Some(&no_path), true)).status_code,
        GateStatus::MissingSecurityReport
    );
    let bad_clear = summary_with_report(
        "[wave-security] state=clear findings=1 approvals=0",
        None,
        rp,
    );
    assert_eq!(
        validate_security(&run("A7", Some(&bad_clear), true)).status_code,
        GateStatus::InvalidSecurityClearState
    );
    let blocked = summary_with_report(
        "[wave-security] state=blocked findings=2 approvals=0",
        None,
        rp,
    );
    assert_eq!(
        validate_security(&run("A7", Some(&blocked), true)).status_code,
        GateStatus::SecurityBlocked
    );
    let concerns = summary_with_report(
        "[wave-security] state=concerns findings=1 approvals=0",
        None,
        rp,
    );
    let r = security_gate(&[
        run("A7", Some(&clear), true),
        run("A6", Some(&concerns), true),
    ]);
    assert_eq!(
        (r.ok, r.status_code, r.agent_id),
        (true, GateStatus::SecurityConcerns, None)
    );
    assert!(r.detail.contains("A6"));
    let r = security_gate(&[
        run("A6", Some(&concerns), true),
        run("A7", Some(&blocked), true),
    ]);
    assert_eq!((r.ok, r.status_code), (false, GateStatus::SecurityBlocked));
    assert_eq!(security_gate(&[]).status_code, GateStatus::Pass);
}

#[test]
fn integration_and_documentation_codes() {
    let ready =
        summary("[wave-integration] state=ready-for-doc-closure claims=1 conflicts=0 blockers=0");
    let more = summary(
        "[wave-integration] state=needs-more-work claims=1 conflicts=1 blockers=1 detail=conflict",
    );
    assert!(integration_gate(Some(("A8", Some(&ready))), "A8", true).ok);
    let r = integration_gate(Some(("A8", Some(&more))), "A8", true);
    assert_eq!(
        (r.status_code, r.detail.as_str()),
        (GateStatus::IntegrationNeedsMoreWork, "conflict")
    );
    assert_eq!(
        validate_integration("A8", None).status_code,
        GateStatus::MissingWaveIntegration
    );
    assert_eq!(
        integration_gate(None, "A8", true).status_code,
        GateStatus::MissingIntegration
    );
    assert!(integration_gate(None, "A8", false).ok);

    assert_eq!(
        documentation_gate(Some(("A9", Some(&summary("x"))))).status_code,
        GateStatus::MissingDocClosure
    );
    let open = summary("[wave-doc-closure] state=delta paths=docs/plan.md");
    assert_eq!(
        documentation_gate(Some(("A9", Some(&open)))).status_code,
        GateStatus::DocClosureOpen
    );
    assert!(
        documentation_gate(Some((
            "A9",
            Some(&summary("[wave-doc-closure] state=closed"))
        )))
        .ok
    );
    assert!(
        documentation_gate(Some((
            "A9",
            Some(&summary("[wave-doc-closure] state=no-change"))
        )))
        .ok
    );
    assert!(documentation_gate(None).ok);
}

const GATE_PASS: &str =
    "[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=pass";

fn qa(log: &str, report: Option<&str>, report_exists: bool, strict: bool) -> GateResult {
    let s = summary_with_report(
        log,
        report,
        report.map(|_| "docs/reviews/wave-0-cont-qa.md"),
    );
    validate_cont_qa(&run("A0", Some(&s), report_exists), strict)
}

#[test]
fn cont_qa_codes() {
    assert_eq!(
        qa(GATE_PASS, Some("Verdict: PASS"), true, true).status_code,
        GateStatus::Pass
    );
    assert_eq!(
        qa("[wave-verdict] pass", Some("Verdict: PASS"), true, true).status_code,
        GateStatus::MissingWaveGate
    );
    assert_eq!(
        qa(GATE_PASS, Some("Verdict: PASS"), false, true).status_code,
        GateStatus::MissingContQaReport
    );
    assert_eq!(
        qa(GATE_PASS, None, false, true).status_code,
        GateStatus::MissingContQaReport
    );
    assert_eq!(
        qa(GATE_PASS, Some("no verdict"), true, true).status_code,
        GateStatus::MissingContQaVerdict
    );
    assert_eq!(
        qa(GATE_PASS, Some("Verdict: BLOCKED"), true, true).status_code,
        GateStatus::ContQaBlocked
    );
    assert_eq!(
        qa(GATE_PASS, Some("Verdict: HOLD"), true, true).status_code,
        GateStatus::ContQaConcerns
    );
    assert_eq!(
        qa(GATE_PASS, Some("Verdict: FAIL"), true, true).status_code,
        GateStatus::ContQaBlocked
    );
    // Report verdict overrides a contradicting log verdict.
    let log = format!("{GATE_PASS}\n[wave-verdict] pass");
    assert_eq!(
        qa(&log, Some("Verdict: BLOCKED"), true, true).status_code,
        GateStatus::ContQaBlocked
    );
    // Compat (non-strict) mode reads the log verdict without a report.
    assert_eq!(qa(&log, None, false, false).status_code, GateStatus::Pass);
    let dims = ["architecture", "integration", "durability", "live", "docs"];
    for (index, dim) in dims.iter().enumerate() {
        for value in ["concerns", "blocked"] {
            let mut values = ["pass"; 5];
            values[index] = value;
            let marker = format!(
                "[wave-gate] architecture={} integration={} durability={} live={} docs={}",
                values[0], values[1], values[2], values[3], values[4]
            );
            let r = qa(&marker, Some("Verdict: PASS"), true, true);
            assert_eq!(r.status_code.as_str(), format!("gate-{dim}-{value}"));
        }
    }
    assert_eq!(
        cont_qa_gate(None, "A0", true).status_code,
        GateStatus::MissingContQa
    );
    assert_eq!(
        validate_cont_qa(&run("A0", None, false), true).status_code,
        GateStatus::MissingWaveGate
    );
}

#[test]
fn closure_proof_gap_is_forwardable() {
    let ready = summary(
        "[wave-integration] state=ready-for-doc-closure claims=0 conflicts=0 blockers=0\n\
         [wave-proof] completion=contract durability=none proof=unit state=gap detail=no live proof",
    );
    let stage = integration_gate(Some(("A8", Some(&ready))), "A8", true);
    assert!(stage.ok);
    let r = apply_closure_proof_gap(stage, [("A8", Some(&ready))]);
    assert_eq!(
        (r.ok, r.status_code, r.agent_id.as_deref()),
        (false, GateStatus::WaveProofGap, Some("A8"))
    );
    assert!(is_forwardable(r.status_code));
    assert!(is_forwardable_code("wave-proof-gap"));
    // A hard failure wins over the gap.
    let more = summary(
        "[wave-integration] state=needs-more-work claims=0 conflicts=0 blockers=0\n\
         [wave-proof] completion=contract durability=none proof=unit state=gap",
    );
    let r = apply_closure_proof_gap(
        integration_gate(Some(("A8", Some(&more))), "A8", true),
        [("A8", Some(&more))],
    );
    assert_eq!(r.status_code, GateStatus::IntegrationNeedsMoreWork);
    assert!(!is_forwardable(r.status_code));
    // A met proof leaves the stage result alone.
    let met = summary(&format!("[wave-doc-closure] state=closed\n{MET}"));
    let stage = documentation_gate(Some(("A9", Some(&met))));
    assert_eq!(
        apply_closure_proof_gap(stage.clone(), [("A9", Some(&met))]),
        stage
    );
    for status in GateStatus::ALL {
        assert_eq!(is_forwardable(*status), *status == GateStatus::WaveProofGap);
    }
}

#[test]
fn exit_code_classification() {
    assert_eq!(failure_exit_code(["cont-qa-blocked"]), 42);
    assert_eq!(
        failure_exit_code(["cont-qa-concerns", "missing-cont-qa-verdict"]),
        42
    );
    assert_eq!(
        failure_exit_code(["cont-qa-blocked", "gate-docs-concerns"]),
        1
    );
    assert_eq!(failure_exit_code(["wave-proof-gap"]), 1);
    assert_eq!(failure_exit_code(std::iter::empty()), 1);
}

#[test]
fn recoverable_classification() {
    let f = |code, detail, reason, hint| FailureFacts {
        status_code: code,
        detail,
        termination_reason: reason,
        termination_hint: hint,
    };
    assert_eq!(
        recoverable_reason(&f(" Timeout-No-Status ", "", None, "")),
        Some(RecoveryReason::TimeoutNoStatus)
    );
    assert_eq!(
        recoverable_reason(&f("timed_out", "", None, "")),
        Some(RecoveryReason::TimedOut)
    );
    assert_eq!(
        recoverable_reason(&f("missing-status", "", None, "")),
        Some(RecoveryReason::MissingStatus)
    );
    assert_eq!(
        recoverable_reason(&f(
            "missing-wave-proof",
            "",
            Some(TerminationReason::Timeout),
            ""
        )),
        Some(RecoveryReason::Timeout)
    );
    assert_eq!(
        recoverable_reason(&f(
            "missing-wave-proof",
            "",
            Some(TerminationReason::MaxTurns),
            ""
        )),
        Some(RecoveryReason::MaxTurns)
    );
    assert_eq!(
        recoverable_reason(&f("x", "Hit a Rate Limit", None, "")),
        Some(RecoveryReason::RateLimit)
    );
    assert_eq!(
        recoverable_reason(&f("x", "", None, "429 Too Many Requests")),
        Some(RecoveryReason::RateLimit)
    );
    assert_eq!(
        recoverable_reason(&f(
            "x",
            "boom",
            Some(TerminationReason::ExitCode),
            "Exit code 1."
        )),
        None
    );
    let timeouts = [
        f("timeout-no-status", "", None, ""),
        f("x", "rate limit", None, ""),
    ];
    assert_eq!(failed_wave_exit_code(&timeouts), 43);
    let mixed = [
        f("timeout-no-status", "", None, ""),
        f("cont-qa-blocked", "", None, ""),
    ];
    assert_eq!(failed_wave_exit_code(&mixed), 1);
    assert_eq!(
        failed_wave_exit_code(&[f("cont-qa-blocked", "", None, "")]),
        42
    );
}

#[test]
fn status_codes_round_trip_as_upstream_strings() {
    for status in GateStatus::ALL {
        assert_eq!(GateStatus::parse(status.as_str()), Some(*status));
        let json = serde_json::to_value(status).unwrap();
        assert_eq!(json, serde_json::Value::String(status.as_str().to_string()));
    }
    let result = GateResult::fail(GateStatus::WaveProofGap, Some("A8"), "d");
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ok": false, "statusCode": "wave-proof-gap", "detail": "d", "agentId": "A8"})
    );
}
