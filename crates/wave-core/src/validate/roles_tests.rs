//! Tests of role classification.

use super::*;
use crate::validate::testkit::{agent, wave_of};

fn roles() -> RolesConfig {
    RolesConfig::default()
}

#[test]
fn report_path_patterns() {
    assert!(is_cont_qa_report_path(
        "docs/plans/waves/reviews/wave-1-cont-qa.md"
    ));
    assert!(is_cont_qa_report_path("notes/Cont_QA-summary.TXT"));
    assert!(!is_cont_qa_report_path("src/review.rs"));
    assert!(is_cont_eval_report_path("docs/evals/wave-1-eval.md"));
    assert!(!is_cont_eval_report_path("src/evaluator.rs"));
    assert!(is_security_report_path("docs/security/wave-2-review.md"));
    assert!(is_design_report_path("docs/plans/decision-lineage.txt"));
    assert!(is_design_report_path("docs/handoff/api.md"));
    assert!(!is_design_report_path("src/design.rs"));
}

#[test]
fn security_and_design_detection() {
    let r = roles();
    let by_suffix = agent(
        "S1",
        &["docs/s.md"],
        &["docs/agents/custom/wave-security-role.md"],
    );
    assert!(is_security_reviewer(&by_suffix, &r));
    let mut by_capability = agent("S2", &["docs/s.md"], &[]);
    by_capability.capabilities = vec![" Security-Review ".into()];
    assert!(is_security_reviewer(&by_capability, &r));
    let mut configured = r.clone();
    configured.design_role_prompt_path = "docs/agents/ux.md".into();
    let design = agent("D1", &["docs/design/packet.md"], &["docs/agents/ux.md"]);
    assert!(is_design_agent(&design, &configured));
    assert!(!is_design_agent(&design, &r));
    assert!(is_docs_only_design_agent(&design, &configured));
    let hybrid = agent(
        "D2",
        &["docs/design/packet.md", "src/ui.rs"],
        &["docs/agents/wave-design-role.md"],
    );
    assert!(is_hybrid_design_agent(&hybrid, &r));
    assert!(is_implementation_owning(&hybrid, &r));
    assert_eq!(runtime_role(&hybrid, &r), RuntimeRole::Design);
}

#[test]
fn cont_eval_kinds_and_implementation_owning() {
    let r = roles();
    let report_only = agent("E0", &["docs/evals/wave-1-eval.md"], &[]);
    assert!(is_cont_eval_report_only(&report_only, &r));
    assert!(!is_implementation_owning(&report_only, &r));
    let owning = agent("E0", &["docs/evals/wave-1-eval.md", "bench/run.sh"], &[]);
    assert!(is_cont_eval_implementation_owning(&owning, &r));
    assert!(is_implementation_owning(&owning, &r));
    // Without owned paths the cont-EVAL agent is report-only.
    assert!(is_cont_eval_report_only(&agent("E0", &[], &[]), &r));
    for id in ["A0", "A8", "A9"] {
        assert!(!is_implementation_owning(&agent(id, &["x.rs"], &[]), &r));
    }
    assert!(is_implementation_owning(&agent("A7", &["x.rs"], &[]), &r));
}

#[test]
fn report_paths_and_agent_roles() {
    let r = roles();
    let wave = wave_of(vec![
        agent(
            "A0",
            &[
                "docs/status.md",
                "docs/plans/waves/reviews/wave-1-cont-qa.md",
            ],
            &[],
        ),
        agent("E0", &["bench/x.sh"], &[]),
        agent(
            "S1",
            &["docs/notes.md", "docs/security/review.md"],
            &["docs/agents/wave-security-role.md"],
        ),
        agent("A1", &["src/"], &[]),
    ]);
    assert_eq!(
        cont_qa_report_path(&wave, &r),
        Some("docs/plans/waves/reviews/wave-1-cont-qa.md")
    );
    // No eval-looking path: the first owned path.
    assert_eq!(cont_eval_report_path(&wave, &r), Some("bench/x.sh"));
    let all = AgentRoles::classify_wave(&wave, &r);
    assert_eq!(all[0].runtime_role, RuntimeRole::ContQa);
    assert_eq!(all[0].closure_roles, [ClosureRole::ContQa]);
    assert_eq!(all[1].cont_eval, Some(ContEvalKind::ImplementationOwning));
    assert!(all[1].implementation_owning);
    assert!(all[2].security_reviewer);
    assert_eq!(
        all[2].report_path.as_deref(),
        Some("docs/security/review.md")
    );
    assert_eq!(all[2].runtime_role, RuntimeRole::Security);
    assert!(all[3].implementation_owning);
    assert_eq!(all[3].report_path, None);
}

#[test]
fn closure_overlap_and_runtime_roles() {
    let r = roles();
    let overlap = agent(
        "E0",
        &["docs/evals/e.md"],
        &["docs/agents/wave-security-role.md"],
    );
    assert_eq!(
        closure_roles(&overlap, &r),
        [ClosureRole::ContEval, ClosureRole::SecurityReview]
    );
    let mut infra = agent("A3", &["x"], &[]);
    infra.capabilities = vec!["infra-k8s".into()];
    assert_eq!(runtime_role(&infra, &r), RuntimeRole::Infra);
    let mut deploy = agent("A4", &["x"], &[]);
    deploy.title = "Deploy the API".into();
    assert_eq!(runtime_role(&deploy, &r), RuntimeRole::Deploy);
    let mut research = agent("A5", &["x"], &[]);
    research.title = "Researcher notes".into();
    assert_eq!(runtime_role(&research, &r), RuntimeRole::Implementation);
}
