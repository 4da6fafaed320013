//! Closure sweep tests: stage order with optional roles, security semantics, stage stops and
//! their retries (the fixed defect 3), forwarded gaps, cont-QA verdict exit codes, missing
//! closure runs and the component-matrix check (launcher §7 items 4, 7–10).

use super::testkit::*;
use super::*;
use crate::wave::WaveComponentPromotion;

fn s(items: &[&str]) -> Vec<String> {
    items.iter().map(|i| i.to_string()).collect()
}

fn full_kit() -> Kit {
    Kit::new(vec![
        implementer("A1"),
        e0(),
        security("S1"),
        a8(),
        a9(),
        a0(),
    ])
    .with_eval_target()
}

#[test]
fn optional_roles_run_in_the_fixed_order() {
    let played = full_kit().run(&mut script(|_, _| None));
    assert_eq!(
        played.order(),
        s(&["1:[A1]", "1:E0", "1:S1", "1:A8", "1:A9", "1:A0"])
    );
    assert_eq!(played.outcome.status, WaveStatus::Completed);
}

#[test]
fn security_only_is_optional_without_a_reviewer() {
    let kit = Kit::new(vec![implementer("A1"), e0(), a8(), a9(), a0()]).with_eval_target();
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(
        played.order(),
        s(&["1:[A1]", "1:E0", "1:A8", "1:A9", "1:A0"])
    );
    assert_eq!(played.outcome.status, WaveStatus::Completed);
}

#[test]
fn cont_eval_failure_stops_before_security() {
    let kit = full_kit().attempts(1);
    let more = "[wave-eval] state=needs-more-work targets=1 benchmarks=1 regressions=0";
    let played = kit.run(&mut script(|id, _| {
        (id == "E0").then(|| Reply::ok(more).report("r"))
    }));
    assert_eq!(played.order(), s(&["1:[A1]", "1:E0"]));
    assert_eq!(played.codes(), s(&["cont-eval-needs-more-work"]));
    let wrong = "[wave-eval] state=satisfied targets=1 benchmarks=1 regressions=0 target_ids=speed benchmark_ids=p95";
    let played = kit.run(&mut script(|id, _| {
        (id == "E0").then(|| Reply::ok(wrong).report("r"))
    }));
    assert_eq!(played.codes(), s(&["cont-eval-target-mismatch"]));
}

#[test]
fn security_blocked_stops_before_integration() {
    let kit = full_kit().attempts(1);
    let blocked = "[wave-security] state=blocked findings=2 approvals=0";
    let played = kit.run(&mut script(|id, _| {
        (id == "S1").then(|| Reply::ok(blocked).report("r"))
    }));
    assert_eq!(played.order(), s(&["1:[A1]", "1:E0", "1:S1"]));
    assert_eq!(played.codes(), s(&["security-blocked"]));
    assert_eq!(played.outcome.exit_code, 1);
}

#[test]
fn security_concerns_pass_and_clear_with_findings_is_invalid() {
    let kit = full_kit().attempts(1);
    let concerns = "[wave-security] state=concerns findings=1 approvals=0";
    let played = kit.run(&mut script(|id, _| {
        (id == "S1").then(|| Reply::ok(concerns).report("r"))
    }));
    assert_eq!(played.outcome.status, WaveStatus::Completed);
    let security = played
        .records
        .iter()
        .find_map(|r| match r {
            DriverRecord::GateEvaluated { gate, result, .. } if gate == "securityGate" => {
                Some(result.clone())
            }
            _ => None,
        })
        .expect("security gate");
    assert!(security.ok);
    assert_eq!(security.status_code, GateStatus::SecurityConcerns);

    let clear = "[wave-security] state=clear findings=1 approvals=0";
    let played = kit.run(&mut script(|id, _| {
        (id == "S1").then(|| Reply::ok(clear).report("r"))
    }));
    assert_eq!(played.codes(), s(&["invalid-security-clear-state"]));
    assert_eq!(played.order(), s(&["1:[A1]", "1:E0", "1:S1"]));
}

#[test]
fn integration_needs_more_work_stops_and_the_retry_reruns_a8_a9_a0() {
    let kit = Kit::standard();
    let played = kit.run(&mut script(|id, attempt| {
        (id == "A8" && attempt == 1).then(|| Reply::ok(A8_MORE))
    }));
    assert_eq!(
        played.order(),
        s(&["1:[A1]", "1:A8", "2:A8", "2:A9", "2:A0"])
    );
    assert_eq!(played.retries(), vec![s(&["A8", "A9", "A0"])]);
    assert_eq!(played.outcome.status, WaveStatus::Completed);
    assert!(played.records.iter().any(|r| matches!(
        r,
        DriverRecord::AttemptStarted { attempt: 2, agent_ids } if *agent_ids == s(&["A8", "A9", "A0"])
    )));

    // Still failing: the failure is the attempt's, exit 1.
    let played = kit.run(&mut script(|id, _| {
        (id == "A8").then(|| Reply::ok(A8_MORE))
    }));
    assert_eq!(played.order(), s(&["1:[A1]", "1:A8", "2:A8"]));
    assert_eq!(played.codes(), s(&["integration-needs-more-work"]));
    assert_eq!(played.outcome.exit_code, 1);
}

#[test]
fn documentation_failure_reruns_a9_and_a0_without_requiring_passed_stages() {
    let kit = full_kit();
    let delta = "[wave-doc-closure] state=delta paths=docs/x.md";
    let played = kit.run(&mut script(|id, attempt| {
        (id == "A9" && attempt == 1).then(|| Reply::ok(delta))
    }));
    assert_eq!(
        played.order(),
        s(&["1:[A1]", "1:E0", "1:S1", "1:A8", "1:A9", "2:A9", "2:A0"])
    );
    assert_eq!(played.outcome.status, WaveStatus::Completed);
    assert_eq!(played.outcome.attempts, 2);
}

#[test]
fn forwarded_gap_at_integration_still_runs_later_stages() {
    let kit = Kit::standard().attempts(1);
    let a8_gap = format!(
        "{A8_READY}\n[wave-proof] completion=contract durability=none proof=unit state=gap detail=no-e2e"
    );
    let played = kit.run(&mut script(|id, _| {
        (id == "A8").then(|| Reply::ok(&a8_gap))
    }));
    assert_eq!(played.order(), s(&["1:[A1]", "1:A8", "1:A9", "1:A0"]));
    let forwarded: Vec<&DriverRecord> = played
        .records
        .iter()
        .filter(|r| matches!(r, DriverRecord::ClosureGapForwarded { .. }))
        .collect();
    assert_eq!(forwarded.len(), 1);
    let DriverRecord::ClosureGapForwarded {
        attempt,
        stage_key,
        agent_id,
        detail,
        targets,
    } = forwarded[0]
    else {
        unreachable!()
    };
    assert_eq!(
        (*attempt, stage_key.as_str(), agent_id.as_str()),
        (1, "integration", "A8")
    );
    assert!(detail.contains("no-e2e"), "{detail}");
    assert_eq!(*targets, s(&["agent:A9", "agent:A0"]));
    assert_eq!(
        closure_gap_record_id(1, stage_key, agent_id, *attempt),
        "wave-1-closure-gap-integration-A8-attempt-1"
    );
    assert_ne!(played.outcome.status, WaveStatus::Completed);
    assert_ne!(played.outcome.exit_code, 0);
    assert_eq!(played.codes(), s(&["wave-proof-gap"]));
    assert_eq!(played.outcome.forwarded_gaps.len(), 1);
    assert_eq!(
        played.outcome.forwarded_gaps[0].targets,
        s(&["agent:A9", "agent:A0"])
    );
}

#[test]
fn forwarded_gap_retry_reruns_the_gap_stage_and_every_later_stage() {
    let kit = full_kit();
    let a8_gap = format!(
        "{A8_READY}\n[wave-proof] completion=contract durability=none proof=unit state=gap"
    );
    let played = kit.run(&mut script(|id, attempt| {
        (id == "A8" && attempt == 1).then(|| Reply::ok(&a8_gap))
    }));
    assert_eq!(
        played.order(),
        s(&["1:[A1]", "1:E0", "1:S1", "1:A8", "1:A9", "1:A0", "2:A8", "2:A9", "2:A0"])
    );
    assert_eq!(played.outcome.status, WaveStatus::Completed);
}

#[test]
fn forwarded_gap_and_a_later_hard_failure_are_both_failures() {
    let kit = Kit::standard().attempts(1);
    let a8_gap = format!(
        "{A8_READY}\n[wave-proof] completion=contract durability=none proof=unit state=gap"
    );
    let played = kit.run(&mut script(|id, _| match id {
        "A8" => Some(Reply::ok(&a8_gap)),
        "A9" => Some(Reply::ok("[wave-doc-closure] state=delta")),
        _ => None,
    }));
    assert_eq!(played.order(), s(&["1:[A1]", "1:A8", "1:A9"]));
    assert_eq!(played.codes(), s(&["wave-proof-gap", "doc-closure-open"]));
    assert_eq!(played.outcome.exit_code, 1);
}

#[test]
fn cont_qa_blocked_only_exits_42() {
    let kit = Kit::standard();
    let played = kit.run(&mut script(|id, _| {
        (id == "A0").then(|| Reply::ok(A0_GATE).report("Verdict: BLOCKED\n"))
    }));
    assert_eq!(
        played.order(),
        s(&["1:[A1]", "1:A8", "1:A9", "1:A0", "2:A0"])
    );
    assert_eq!(played.codes(), s(&["cont-qa-blocked"]));
    assert_eq!(
        (played.outcome.status, played.outcome.exit_code),
        (WaveStatus::Failed, 42)
    );
}

#[test]
fn docs_concerns_exits_1_and_report_verdict_wins() {
    let kit = Kit::standard().attempts(1);
    let concerns =
        "[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=concerns";
    let played = kit.run(&mut script(|id, _| {
        (id == "A0").then(|| Reply::ok(concerns).report("Verdict: PASS\n"))
    }));
    assert_eq!(played.codes(), s(&["gate-docs-concerns"]));
    assert_eq!(played.outcome.exit_code, 1);

    let log = format!("{A0_GATE}\n[wave-verdict] blocked");
    let played = kit.run(&mut script(|id, _| {
        (id == "A0").then(|| Reply::ok(&log).report("Verdict: PASS"))
    }));
    assert_eq!(played.outcome.status, WaveStatus::Completed);
    let played = kit.run(&mut script(|id, _| {
        (id == "A0").then(|| Reply::ok(A0_GATE).report("Verdict: HOLD"))
    }));
    assert_eq!(played.codes(), s(&["cont-qa-concerns"]));
    assert_eq!(played.outcome.exit_code, 42);
}

#[test]
fn required_stage_without_an_agent_is_a_missing_closure_run() {
    let kit = Kit::new(vec![implementer("A1"), a9(), a0()]).attempts(1);
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(played.order(), s(&["1:[A1]"]));
    assert_eq!(played.codes(), s(&["missing-closure-run"]));
    assert_eq!(played.outcome.failures[0].agent_id.as_deref(), Some("A8"));
}

#[test]
fn closure_wait_failure_ends_the_sweep() {
    let kit = Kit::standard().attempts(1);
    let played = kit.run(&mut script(|id, _| {
        (id == "A8").then(|| good("A8").exit(Some(3)))
    }));
    assert_eq!(played.order(), s(&["1:[A1]", "1:A8"]));
    assert_eq!(played.codes(), s(&["3"]));
    assert_eq!(played.outcome.exit_code, 1);
}

#[test]
fn documentation_stage_checks_the_component_matrix() {
    let mut kit = Kit::standard().attempts(1);
    kit.wave.component_promotions = vec![WaveComponentPromotion {
        component_id: "parser".into(),
        target_level: "repo-landed".into(),
    }];
    kit.wave.agents[0].components = vec!["parser".into()];
    kit.wave.agents[0].component_targets =
        crate::wave::ComponentTargets(vec![("parser".into(), Some("repo-landed".into()))]);
    let a1 = format!("{MET}\n[wave-component] component=parser level=repo-landed state=met");
    let stale = kit.run(&mut script(|id, _| match id {
        "A1" => Some(Reply::ok(&a1)),
        "A9" => Some(Reply::ok(A9_CLOSED).matrix(&[("parser", "inventoried")])),
        _ => None,
    }));
    assert_eq!(stale.codes(), s(&["component-current-level-stale"]));
    assert_eq!(stale.outcome.failures[0].agent_id.as_deref(), Some("A9"));
    assert_eq!(stale.order(), s(&["1:[A1]", "1:A8", "1:A9"]));

    let fresh = kit.run(&mut script(|id, _| match id {
        "A1" => Some(Reply::ok(&a1)),
        "A9" => Some(Reply::ok(A9_CLOSED).matrix(&[("parser", "repo-landed")])),
        _ => None,
    }));
    assert_eq!(fresh.outcome.status, WaveStatus::Completed);

    // A1 without its component marker fails the implementation gate before closure.
    let missing = kit.run(&mut script(|_, _| None));
    assert_eq!(missing.codes(), s(&["missing-wave-component"]));
}

#[test]
fn closure_only_first_attempt_then_retry() {
    let kit = Kit::standard().previously("A1", good("A1"));
    let played = kit.run(&mut script(|id, attempt| {
        (id == "A0" && attempt == 1).then(|| Reply::ok(A0_GATE).report("Verdict: CONCERNS"))
    }));
    assert_eq!(played.order(), s(&["1:A8", "1:A9", "1:A0", "2:A0"]));
    assert_eq!(played.outcome.status, WaveStatus::Completed);
}

#[test]
fn every_security_reviewer_runs_one_at_a_time() {
    let kit = Kit::new(vec![
        implementer("A1"),
        security("S1"),
        security("S2"),
        a8(),
        a9(),
        a0(),
    ]);
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(
        played.order(),
        s(&["1:[A1]", "1:S1", "1:S2", "1:A8", "1:A9", "1:A0"])
    );
    let blocked = "[wave-security] state=blocked findings=1 approvals=0";
    let played = kit.attempts(1).run(&mut script(|id, _| {
        (id == "S2").then(|| Reply::ok(blocked).report("r"))
    }));
    assert_eq!(played.order(), s(&["1:[A1]", "1:S1", "1:S2"]));
    assert_eq!(played.codes(), s(&["security-blocked"]));
    assert_eq!(played.outcome.failures[0].agent_id.as_deref(), Some("S2"));
}

#[test]
fn implementation_owning_cont_eval_is_held_to_its_exit_contract() {
    let mut kit = full_kit().attempts(1);
    let e0 = kit
        .wave
        .agents
        .iter_mut()
        .find(|a| a.agent_id == "E0")
        .expect("E0");
    e0.owned_paths.push("src/bench.rs".into());
    e0.exit_contract = Some(contract("contract"));
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(played.codes(), s(&["missing-wave-proof"]));
    assert_eq!(played.order(), s(&["1:[A1]", "1:E0"]));
    let with_proof = format!("{E0_OK}\n{MET}");
    let played = kit.run(&mut script(|id, _| {
        (id == "E0").then(|| Reply::ok(&with_proof).report("r"))
    }));
    assert_eq!(played.outcome.status, WaveStatus::Completed);
}
