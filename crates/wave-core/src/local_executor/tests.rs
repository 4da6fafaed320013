//! Role tests: real prompts from `prompt::compile`, planned by the local executor, its output
//! fed through `markers::build_summary` and the matching gate validator.

use std::collections::BTreeMap;

use super::*;
use crate::contract::{
    Completion, DocImpact, Durability, EvalSelection, EvalTarget, ExitContract, Maturity,
    ProofLevel,
};
use crate::gates::{
    apply_closure_proof_gap, validate_cont_eval, validate_cont_qa, validate_design,
    validate_documentation, validate_implementation, validate_integration, validate_security,
    ContEvalInput, GateStatus, ImplementationSpec, ResolvedEvalTarget, RoleRun,
};
use crate::markers::{build_summary, parse_marker, AgentSummary, DeliverableState, SummaryContext};
use crate::prompt::{self, Duties, PromptEvalTarget, PromptInputs, RoleIds};

/// An agent's compile inputs, owned.
struct Fx {
    agent_id: &'static str,
    duties: Duties,
    contract: Option<ExitContract>,
    components: Vec<(String, Option<Maturity>)>,
    deliverables: Vec<String>,
    design_packets: Vec<String>,
    eval: Vec<(&'static str, EvalSelection, Vec<String>)>,
    skills: Option<(Vec<String>, String)>,
    cont_qa_id: &'static str,
    agent_prompt: String,
}

fn fx(agent_id: &'static str, duties: Duties, owned: &[&str]) -> Fx {
    let bullets: Vec<String> = owned.iter().map(|p| format!("- {p}")).collect();
    Fx {
        agent_id,
        duties,
        contract: None,
        components: Vec::new(),
        deliverables: Vec::new(),
        design_packets: Vec::new(),
        eval: Vec::new(),
        skills: None,
        cont_qa_id: "A0",
        agent_prompt: format!(
            "Standing role text.\n\nDo the work.\n\nFile ownership (only touch these paths):\n{}\n",
            bullets.join("\n")
        ),
    }
}

impl Fx {
    fn compile(&self) -> String {
        let targets: Vec<PromptEvalTarget<'_>> = self
            .eval
            .iter()
            .map(|(id, selection, benchmarks)| PromptEvalTarget {
                id,
                selection: *selection,
                benchmark_family: (*selection == EvalSelection::Delegated).then_some("fam"),
                benchmarks,
                objective: "keep it fast",
                threshold: "p95<10ms",
            })
            .collect();
        prompt::compile(&PromptInputs {
            working_dir: "/repo",
            lane: "main",
            wave: 3,
            agent_id: self.agent_id,
            title: "Some Work",
            roles: RoleIds {
                cont_qa: self.cont_qa_id,
                cont_eval: "E0",
                integration: "A8",
                documentation: "A9",
            },
            executor_id: "local",
            message_board: ("/repo/.tmp/b.md", ".tmp/b.md"),
            duties: self.duties,
            shared_plan_docs: &["docs/plans/current-state.md".to_string()],
            exit_contract: self.contract,
            promotions: &[],
            benchmark_catalog: Some("docs/evals/benchmark-catalog.json"),
            eval_targets: &targets,
            components: &self.components,
            deliverables: &self.deliverables,
            design_packets: &self.design_packets,
            proof_artifacts: &[],
            skills: self
                .skills
                .as_ref()
                .map(|(ids, text)| (ids.as_slice(), text.as_str())),
            context7: None,
            agent_prompt: &self.agent_prompt,
        })
    }

    fn plan(&self) -> Plan {
        plan(&self.compile(), &Knobs::default())
    }
}

/// Runs the plan "as if" the IO layer had created every planned file: returns the summary
/// built from the printed markers and the role report's contents.
fn summarize(plan: &Plan, report_path: Option<&str>) -> AgentSummary {
    for line in &plan.markers {
        assert!(
            parse_marker(line).is_some(),
            "marker rejected by grammar: {line}"
        );
    }
    let mut log = vec!["[local-executor] noise before markers".to_string()];
    log.extend(plan.markers.iter().cloned());
    let report = report_path.and_then(|p| plan.files.iter().find(|f| f.path == p));
    let context = SummaryContext {
        agent_id: Some(plan.facts.agent_id.clone()),
        report_path: report_path.map(str::to_string),
        deliverables: plan
            .files
            .iter()
            .map(|f| DeliverableState {
                path: f.path.clone(),
                exists: true,
                modified_at: None,
            })
            .collect(),
        ..SummaryContext::default()
    };
    build_summary(
        &log.join("\n"),
        report.map(|f| f.contents.as_str()),
        context,
    )
}

fn run<'a>(id: &'a str, summary: &'a AgentSummary) -> RoleRun<'a> {
    RoleRun {
        agent_id: id,
        summary: Some(summary),
        report_exists: true,
    }
}

fn paths(plan: &Plan) -> Vec<(&str, PlaceholderKind)> {
    plan.files
        .iter()
        .map(|f| (f.path.as_str(), f.kind))
        .collect()
}

fn strict_contract() -> ExitContract {
    ExitContract {
        completion: Completion::Integrated,
        durability: Durability::Durable,
        proof: ProofLevel::Integration,
        doc_impact: DocImpact::SharedPlan,
    }
}

fn implementation_duties() -> Duties {
    Duties {
        implementation: true,
        ..Duties::default()
    }
}

#[test]
fn implementation_meets_a_strict_contract_and_its_components() {
    let mut f = fx(
        "A1",
        implementation_duties(),
        &["src/parser.rs", "docs/parser.md", "src/"],
    );
    f.contract = Some(strict_contract());
    f.components = vec![
        ("parser".into(), Some(Maturity::BaselineProved)),
        ("cli".into(), None),
    ];
    f.deliverables = vec!["src/parser.rs".into(), "docs/parser.md".into()];
    let plan = f.plan();
    assert_eq!(plan.role, Role::Implementation);
    assert_eq!(
        paths(&plan),
        [
            ("src/parser.rs", PlaceholderKind::Stub),
            ("docs/parser.md", PlaceholderKind::Document)
        ]
    );
    let d = plan::DETAIL_OK;
    assert_eq!(
        plan.markers,
        [
            format!("[wave-proof] completion=integrated durability=durable proof=integration state=met detail={d}"),
            format!("[wave-doc-delta] state=shared-plan paths=docs/parser.md detail={d}"),
            format!("[wave-component] component=parser level=baseline-proved state=met detail={d}"),
            format!("[wave-component] component=cli level=repo-landed state=met detail={d}"),
        ]
    );
    let summary = summarize(&plan, None);
    let spec = ImplementationSpec {
        agent_id: "A1".into(),
        exit_contract: Some(strict_contract()),
        components: vec!["parser".into(), "cli".into()],
        component_targets: BTreeMap::from([
            ("parser".into(), Maturity::BaselineProved),
            ("cli".into(), Maturity::RepoLanded),
        ]),
        deliverables: f.deliverables.clone(),
        proof_artifacts: Vec::new(),
    };
    let result = validate_implementation(&spec, Some(&summary));
    assert_eq!(result.status_code, GateStatus::Pass, "{result:?}");
}

#[test]
fn implementation_without_contract_uses_upstream_defaults_and_owned_files() {
    let f = fx(
        "A2",
        implementation_duties(),
        &["`src/a.rs`", "src/dir/", "Makefile", "../x.md"],
    );
    let plan = f.plan();
    assert_eq!(paths(&plan), [("src/a.rs", PlaceholderKind::Stub)]);
    assert!(plan.markers[0]
        .starts_with("[wave-proof] completion=contract durability=none proof=unit state=met"));
    assert!(plan.markers[1].starts_with("[wave-doc-delta] state=owned detail="));
    let empty = fx("A2", implementation_duties(), &[]).plan();
    assert!(empty.files.is_empty());
    assert!(empty.markers[1].starts_with("[wave-doc-delta] state=none detail="));
}

#[test]
fn unsafe_explicit_deliverables_are_skipped_not_created() {
    let mut f = fx("A1", implementation_duties(), &["src/"]);
    f.deliverables = vec!["src/ok.rs".into(), "../escape.rs".into(), "/abs.rs".into()];
    let plan = f.plan();
    assert_eq!(paths(&plan), [("src/ok.rs", PlaceholderKind::Stub)]);
    let skipped: Vec<&str> = plan.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(skipped, ["../escape.rs", "/abs.rs"]);
}

#[test]
fn security_reviewer_prints_wave_security_upstream_gap() {
    let duties = Duties {
        security: true,
        ..Duties::default()
    };
    let report = "docs/plans/waves/reviews/wave-3-security-review.md";
    let plan = fx("A7", duties, &[report]).plan();
    assert_eq!(plan.role, Role::SecurityReviewer);
    assert_eq!(paths(&plan), [(report, PlaceholderKind::SecurityReport)]);
    assert_eq!(
        plan.markers,
        [format!(
            "[wave-security] state=clear findings=0 approvals=0 detail={}",
            plan::DETAIL_OK
        )]
    );
    assert!(!plan.markers.iter().any(|m| m.starts_with("[wave-proof]")));
    let summary = summarize(&plan, Some(report));
    assert!(summary.security.is_some());
    let result = validate_security(&run("A7", &summary));
    assert_eq!(result.status_code, GateStatus::Pass, "{result:?}");
}

fn design_wave_doc_steward(skills: Option<(Vec<String>, String)>) -> Plan {
    let duties = Duties {
        documentation: true,
        ..Duties::default()
    };
    let mut f = fx("A9", duties, &["docs/plans/current-state.md"]);
    f.design_packets = vec!["docs/plans/waves/design/wave-3-D1.md".into()];
    f.skills = skills;
    // Upstream's trigger words, in the agent's own prompt: never read as a duty.
    f.agent_prompt = format!(
        "Read the wave design first; it ends with `[wave-design] state=<ready-for-implementation|blocked>`.\n{}",
        f.agent_prompt
    );
    f.plan()
}

#[test]
fn documentation_steward_in_a_design_wave_prints_doc_closure_upstream_gap() {
    let plan = design_wave_doc_steward(None);
    assert!(
        plan.facts.design_packets.len() == 1,
        "the prompt lists the packet"
    );
    assert_eq!(plan.role, Role::Documentation);
    assert_eq!(
        plan.markers,
        [format!(
            "[wave-doc-closure] state=no-change detail={}",
            plan::DETAIL_OK
        )]
    );
    let summary = summarize(&plan, None);
    assert!(summary.design.is_none());
    assert_eq!(
        validate_documentation("A9", Some(&summary)).status_code,
        GateStatus::Pass
    );
    // Skill text about wave design and its marker is fenced and never read as a duty.
    let skill = "Wave design stewards print `[wave-design] state=<ready-for-implementation|…>`.";
    let plan = design_wave_doc_steward(Some((vec!["wave-design".into()], skill.into())));
    assert_eq!(plan.role, Role::Documentation);
}

#[test]
fn design_steward_writes_the_packet_and_passes_the_design_gate() {
    let duties = Duties {
        design: Some(false),
        ..Duties::default()
    };
    let packet = "docs/plans/waves/design/wave-3-D1.md";
    let plan = fx("D1", duties, &[packet]).plan();
    assert_eq!(
        plan.role,
        Role::DesignSteward {
            implementation_pass: false
        }
    );
    assert_eq!(paths(&plan), [(packet, PlaceholderKind::DesignPacket)]);
    assert_eq!(plan.markers.len(), 1);
    assert!(plan.markers[0].starts_with(
        "[wave-design] state=ready-for-implementation decisions=1 assumptions=0 open_questions=0"
    ));
    let summary = summarize(&plan, Some(packet));
    let result = validate_design(&run("D1", &summary));
    assert_eq!(result.status_code, GateStatus::Pass, "{result:?}");
}

#[test]
fn hybrid_design_steward_also_meets_its_contract() {
    let duties = Duties {
        design: Some(true),
        implementation: true,
        ..Duties::default()
    };
    let packet = "docs/plans/waves/design/wave-3-D1.md";
    let mut f = fx("D1", duties, &[packet, "src/api.rs"]);
    f.contract = Some(strict_contract());
    f.deliverables = vec!["src/api.rs".into()];
    let plan = f.plan();
    assert_eq!(
        plan.role,
        Role::DesignSteward {
            implementation_pass: true
        }
    );
    assert_eq!(
        paths(&plan),
        [
            ("src/api.rs", PlaceholderKind::Stub),
            (packet, PlaceholderKind::DesignPacket)
        ]
    );
    let kinds: Vec<&str> = plan
        .markers
        .iter()
        .map(|m| &m[..m.find(']').unwrap() + 1])
        .collect();
    assert_eq!(kinds, ["[wave-design]", "[wave-proof]", "[wave-doc-delta]"]);
    let summary = summarize(&plan, Some(packet));
    assert_eq!(
        validate_design(&run("D1", &summary)).status_code,
        GateStatus::Pass
    );
    let spec = ImplementationSpec {
        agent_id: "D1".into(),
        exit_contract: Some(strict_contract()),
        deliverables: vec!["src/api.rs".into()],
        ..ImplementationSpec::default()
    };
    let result = validate_implementation(&spec, Some(&summary));
    assert_eq!(result.status_code, GateStatus::Pass, "{result:?}");
}

#[test]
fn cont_qa_writes_a_passing_report_and_gate() {
    let duties = Duties {
        cont_qa: true,
        ..Duties::default()
    };
    let report = "docs/plans/waves/reviews/wave-3-cont-qa.md";
    let plan = fx("A0", duties, &["docs/notes.md", report]).plan();
    assert_eq!(plan.role, Role::ContQa);
    assert_eq!(
        paths(&plan),
        [
            ("docs/notes.md", PlaceholderKind::Document),
            (report, PlaceholderKind::ContQaReport)
        ]
    );
    assert!(plan.files[1].contents.trim_end().ends_with("Verdict: PASS"));
    assert_eq!(plan.markers.len(), 2);
    assert!(plan.markers[0].starts_with(
        "[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=pass detail="
    ));
    assert!(plan.markers[1].starts_with("[wave-verdict] pass"));
    let summary = summarize(&plan, Some(report));
    let result = validate_cont_qa(&run("A0", &summary), true);
    assert_eq!(result.status_code, GateStatus::Pass, "{result:?}");
}

#[test]
fn custom_closure_ids_come_from_the_role_model() {
    let mut f = fx("Q4", Duties::default(), &["docs/reviews/q.md"]);
    f.cont_qa_id = "Q4";
    let plan = f.plan();
    assert_eq!(plan.facts.role_ids.cont_qa, "Q4");
    assert_eq!(plan.role, Role::ContQa);
}

fn eval_fixture(owns_files: bool) -> Fx {
    let duties = Duties {
        cont_eval: Some(owns_files),
        implementation: owns_files,
        ..Duties::default()
    };
    let mut owned = vec!["docs/evals/wave-3-cont-eval.md"];
    if owns_files {
        owned.push("tools/bench.sh");
    }
    let mut f = fx("E0", duties, &owned);
    f.eval = vec![
        (
            "latency",
            EvalSelection::Pinned,
            vec!["b-one".into(), "B-two".into()],
        ),
        (
            "quality",
            EvalSelection::Delegated,
            vec!["x1".into(), "b-one".into()],
        ),
    ];
    f
}

fn resolved_targets() -> Vec<ResolvedEvalTarget> {
    let target = |id: &str, selection, benchmarks: &[&str], family: Option<&str>| {
        let list: Vec<String> = benchmarks.iter().map(|b| b.to_string()).collect();
        ResolvedEvalTarget {
            target: EvalTarget {
                id: id.into(),
                selection,
                benchmark_family: family.map(str::to_string),
                benchmarks: if family.is_some() {
                    Vec::new()
                } else {
                    list.clone()
                },
                objective: "o".into(),
                threshold: "t".into(),
            },
            allowed_benchmarks: list,
        }
    };
    vec![
        target("latency", EvalSelection::Pinned, &["b-one", "b-two"], None),
        target(
            "quality",
            EvalSelection::Delegated,
            &["x1", "b-one"],
            Some("fam"),
        ),
    ]
}

#[test]
fn cont_eval_counts_match_the_declared_targets() {
    let plan = eval_fixture(false).plan();
    assert_eq!(plan.role, Role::ContEval { owns_files: false });
    let report = "docs/evals/wave-3-cont-eval.md";
    assert_eq!(paths(&plan), [(report, PlaceholderKind::ContEvalReport)]);
    assert_eq!(
        plan.markers,
        [format!(
            "[wave-eval] state=satisfied targets=2 benchmarks=3 regressions=0 target_ids=latency,quality benchmark_ids=b-one,b-two,x1 detail={}",
            plan::DETAIL_OK
        )]
    );
    let summary = summarize(&plan, Some(report));
    let targets = resolved_targets();
    let input = ContEvalInput {
        run: run("E0", &summary),
        strict: true,
        targets: &targets,
    };
    let result = validate_cont_eval(&input);
    assert_eq!(result.status_code, GateStatus::Pass, "{result:?}");
}

#[test]
fn implementation_owning_cont_eval_adds_implementation_markers() {
    let plan = eval_fixture(true).plan();
    assert_eq!(plan.role, Role::ContEval { owns_files: true });
    let kinds: Vec<&str> = plan
        .markers
        .iter()
        .map(|m| &m[..m.find(']').unwrap() + 1])
        .collect();
    assert_eq!(kinds, ["[wave-eval]", "[wave-proof]", "[wave-doc-delta]"]);
    assert!(paths(&plan).contains(&("tools/bench.sh", PlaceholderKind::Stub)));
    let summary = summarize(&plan, Some("docs/evals/wave-3-cont-eval.md"));
    let spec = ImplementationSpec {
        agent_id: "E0".into(),
        exit_contract: Some(ExitContract {
            completion: Completion::Contract,
            durability: Durability::None,
            proof: ProofLevel::Unit,
            doc_impact: DocImpact::Owned,
        }),
        ..ImplementationSpec::default()
    };
    assert_eq!(
        validate_implementation(&spec, Some(&summary)).status_code,
        GateStatus::Pass
    );
}

#[test]
fn integration_steward_is_ready_for_doc_closure() {
    let plan = fx(
        "A8",
        Duties::default(),
        &["docs/plans/waves/reviews/wave-3-integration.md"],
    )
    .plan();
    assert_eq!(plan.role, Role::Integration);
    assert_eq!(
        plan.markers,
        [format!(
            "[wave-integration] state=ready-for-doc-closure claims=0 conflicts=0 blockers=0 detail={}",
            plan::DETAIL_OK
        )]
    );
    let summary = summarize(&plan, None);
    assert_eq!(
        validate_integration("A8", Some(&summary)).status_code,
        GateStatus::Pass
    );
}

fn fail_knobs(value: &str) -> Knobs {
    Knobs::from_lookup(|k| (k == knobs::FAIL_AGENTS_VAR).then(|| value.to_string())).unwrap()
}

#[test]
fn fail_agents_report_gaps() {
    let mut f = fx("A1", implementation_duties(), &["src/a.rs"]);
    f.contract = Some(strict_contract());
    f.components = vec![("parser".into(), None)];
    let plan = plan::plan(&f.compile(), &fail_knobs("A1:3"));
    assert!(plan.injected_gap);
    assert_eq!(plan.exit_code, 3);
    assert!(plan.markers[0].contains(" state=gap detail=local-executor-injected-gap"));
    assert!(plan.markers[2].contains(" state=gap "));
    let summary = summarize(&plan, None);
    let spec = ImplementationSpec {
        agent_id: "A1".into(),
        exit_contract: Some(strict_contract()),
        ..ImplementationSpec::default()
    };
    assert_eq!(
        validate_implementation(&spec, Some(&summary)).status_code,
        GateStatus::WaveProofGap
    );
    // A closure agent keeps its role marker and adds the forwardable proof gap.
    let a8 = fx("A8", Duties::default(), &[]).compile();
    let plan = plan::plan(&a8, &fail_knobs("a8"));
    assert_eq!(plan.exit_code, 0);
    let summary = summarize(&plan, None);
    let stage = validate_integration("A8", Some(&summary));
    assert!(stage.ok);
    let forwarded = apply_closure_proof_gap(stage, [("A8", Some(&summary))]);
    assert_eq!(forwarded.status_code, GateStatus::WaveProofGap);
    // Other agents are unaffected.
    let other = plan::plan(&a8, &fail_knobs("A1"));
    assert!(!other.injected_gap);
    assert!(!other.markers.iter().any(|m| m.contains("state=gap")));
}

#[test]
fn knobs_flow_into_the_plan() {
    let knobs = Knobs::from_lookup(|k| match k {
        knobs::DELAY_MS_VAR => Some("250".into()),
        knobs::EXIT_CODE_VAR => Some("4".into()),
        _ => None,
    })
    .unwrap();
    let plan = plan::plan(&fx("A1", implementation_duties(), &[]).compile(), &knobs);
    assert_eq!(plan.delay, Some(std::time::Duration::from_millis(250)));
    assert_eq!(plan.exit_code, 4);
    assert_eq!(plan.count_line(42), "3 A1 42");
}

#[test]
fn a_prompt_without_an_executor_line_does_nothing() {
    let plan = plan::plan("File ownership:\n- src/a.rs\n", &Knobs::default());
    assert_eq!(plan.role, Role::Unknown);
    assert!(plan.files.is_empty() && plan.markers.is_empty());
    assert_eq!(plan.count_line(7), "? ? 7");
}
