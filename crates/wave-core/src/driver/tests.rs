//! Driver tests: happy path, implementation side, reuse, wait failures, attempts and design
//! pass (launcher §7 items 3, 5, 6, 12, 14, 16 and the exit-code behaviour).

use super::testkit::*;
use super::*;

fn s(items: &[&str]) -> Vec<String> {
    items.iter().map(|i| i.to_string()).collect()
}

#[test]
fn happy_path_runs_implementation_then_closure_one_at_a_time() {
    let kit = Kit::standard();
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(played.order(), s(&["1:[A1]", "1:A8", "1:A9", "1:A0"]));
    assert_eq!(played.outcome.status, WaveStatus::Completed);
    assert_eq!(played.outcome.exit_code, 0);
    assert_eq!(played.outcome.attempts, 1);
    assert!(played.outcome.failures.is_empty());
    assert_eq!(
        played.records.first(),
        Some(&DriverRecord::AttemptStarted {
            attempt: 1,
            agent_ids: s(&["A1", "A8", "A9", "A0"]),
        })
    );
    let gates: Vec<&str> = played
        .records
        .iter()
        .filter_map(|r| match r {
            DriverRecord::GateEvaluated { gate, result, .. } => {
                assert!(result.ok, "{gate}: {result:?}");
                Some(gate.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        gates,
        [
            "implementationGate",
            "componentGate",
            "integrationBarrier",
            "documentationGate",
            "contQaGate"
        ]
    );
    assert_eq!(
        played.records.last(),
        Some(&DriverRecord::AttemptFinished {
            attempt: 1,
            failures: Vec::new()
        })
    );
}

#[test]
fn closure_agent_starts_only_after_the_previous_one_is_observed() {
    let kit = Kit::standard();
    let mut driver = kit.driver();
    let Step::Launch {
        agent_ids, fan_out, ..
    } = driver.next_step()
    else {
        panic!("fan-out expected");
    };
    assert_eq!((agent_ids, fan_out), (s(&["A1"]), true));
    assert_eq!(driver.next_step(), Step::Wait);
    driver.observe(kit.observation("A1", 1, &good("A1")));
    assert_eq!(
        driver.next_step(),
        Step::Launch {
            attempt: 1,
            agent_ids: s(&["A8"]),
            fan_out: false
        }
    );
    // Not launched yet, wrong attempt, unknown: all ignored.
    driver.observe(kit.observation("A9", 1, &good("A9")));
    driver.observe(kit.observation("A8", 2, &good("A8")));
    driver.observe(kit.observation("Z9", 1, &good("A8")));
    assert_eq!(driver.next_step(), Step::Wait);
    driver.observe(kit.observation("A8", 1, &good("A8")));
    driver.observe(kit.observation("A8", 1, &good("A8")));
    assert_eq!(
        driver.next_step(),
        Step::Launch {
            attempt: 1,
            agent_ids: s(&["A9"]),
            fan_out: false
        }
    );
}

#[test]
fn fan_out_waits_for_every_agent() {
    let kit = Kit::new(vec![
        implementer("A1"),
        implementer("A2"),
        implementer("A3"),
        a8(),
        a9(),
        a0(),
    ]);
    let mut driver = kit.driver();
    let Step::Launch { agent_ids, .. } = driver.next_step() else {
        panic!("fan-out expected");
    };
    assert_eq!(agent_ids, s(&["A1", "A2", "A3"]));
    driver.observe(kit.observation("A2", 1, &good("A2")));
    driver.observe(kit.observation("A1", 1, &good("A1")));
    assert_eq!(driver.next_step(), Step::Wait);
    driver.observe(kit.observation("A3", 1, &good("A3")));
    assert!(matches!(
        driver.next_step(),
        Step::Launch { fan_out: false, .. }
    ));
}

#[test]
fn implementation_gap_stops_before_closure_and_the_retry_reruns_the_gap_agent() {
    let kit = Kit::standard();
    let played = kit.run(&mut script(|id, _| (id == "A1").then(|| Reply::ok(GAP))));
    assert_eq!(played.order(), s(&["1:[A1]", "2:[A1]"]));
    assert_eq!(played.retries(), vec![s(&["A1"])]);
    assert_eq!(played.codes(), s(&["wave-proof-gap"]));
    assert_eq!(played.outcome.failures[0].agent_id.as_deref(), Some("A1"));
    assert_eq!(
        (played.outcome.status, played.outcome.exit_code),
        (WaveStatus::Failed, 1)
    );
    assert_eq!(played.outcome.attempts, 2);

    // Fixed on the retry: the closure sweep follows.
    let played = kit.run(&mut script(|id, attempt| {
        (id == "A1" && attempt == 1).then(|| Reply::ok(GAP))
    }));
    assert_eq!(
        played.order(),
        s(&["1:[A1]", "2:[A1]", "2:A8", "2:A9", "2:A0"])
    );
    assert_eq!(played.outcome.status, WaveStatus::Completed);
    assert_eq!(played.outcome.attempts, 2);
}

#[test]
fn retry_reruns_only_unproven_implementation_agents() {
    let kit = Kit::new(vec![implementer("A1"), implementer("A2"), a8(), a9(), a0()]);
    let played = kit.run(&mut script(|id, attempt| {
        (id == "A2" && attempt == 1).then(|| Reply::ok(GAP))
    }));
    assert_eq!(
        played.order(),
        s(&["1:[A1,A2]", "2:[A2]", "2:A8", "2:A9", "2:A0"])
    );
    assert_eq!(played.outcome.status, WaveStatus::Completed);
}

#[test]
fn exit_contract_ordering() {
    let mut kit = Kit::standard().attempts(1);
    kit.wave.agents[0].exit_contract = Some(contract("integrated"));
    let low = "[wave-proof] completion=contract durability=none proof=unit state=met\n[wave-doc-delta] state=owned";
    let played = kit.run(&mut script(|id, _| (id == "A1").then(|| Reply::ok(low))));
    assert_eq!(played.codes(), s(&["completion-gap"]));
    assert_eq!(played.order(), s(&["1:[A1]"]));
    let high = "[wave-proof] completion=live durability=none proof=unit state=met\n[wave-doc-delta] state=owned";
    let played = kit.run(&mut script(|id, _| (id == "A1").then(|| Reply::ok(high))));
    assert_eq!(played.outcome.status, WaveStatus::Completed);
}

#[test]
fn relaunching_a_completed_wave_runs_only_the_closure_agents() {
    let kit = Kit::standard()
        .previously("A1", good("A1"))
        .previously("A8", good("A8"))
        .previously("A9", good("A9"))
        .previously("A0", good("A0"));
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(played.order(), s(&["1:A8", "1:A9", "1:A0"]));
    assert_eq!(played.outcome.status, WaveStatus::Completed);
    assert!(played.records.contains(&DriverRecord::AgentReused {
        agent_id: "A1".into()
    }));
    let reused = played
        .records
        .iter()
        .filter(|r| matches!(r, DriverRecord::AgentReused { .. }))
        .count();
    assert_eq!(reused, 1, "closure agents are never reused");
}

#[test]
fn a_changed_prompt_hash_or_failed_previous_run_reruns_the_agent() {
    let mut kit = Kit::standard().previously("A1", good("A1"));
    kit.hashes.insert("A1".into(), "changed".into());
    assert_eq!(kit.run(&mut script(|_, _| None)).order()[0], "1:[A1]");

    let kit = Kit::standard().previously("A1", good("A1").exit(Some(1)));
    assert_eq!(kit.run(&mut script(|_, _| None)).order()[0], "1:[A1]");
}

#[test]
fn reused_agent_with_a_bad_summary_is_rerun_by_the_retry() {
    // Not proof-centric, so reuse does not validate the summary; the implementation gate does.
    let kit = Kit::standard().previously("A1", Reply::ok(GAP));
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(played.order(), s(&["2:[A1]", "2:A8", "2:A9", "2:A0"]));
    assert_eq!(played.outcome.status, WaveStatus::Completed);
}

#[test]
fn proof_centric_agent_is_reused_only_with_a_valid_summary() {
    let mut kit = Kit::standard();
    kit.wave.agents[0].proof_artifacts = vec![crate::wave::ProofArtifact {
        path: "proof/a1.json".into(),
        kind: None,
        required_for: Vec::new(),
    }];
    let bad = kit.clone().previously("A1", Reply::ok(GAP));
    assert_eq!(bad.driver().reused_agent_ids(), Vec::<String>::new());
    let good_kit = kit.clone().previously("A1", good("A1"));
    // The summary has no presence record for the proof artifact: still not reusable.
    assert_eq!(good_kit.driver().reused_agent_ids(), Vec::<String>::new());
    let mut kit = kit.previously("A1", good("A1"));
    if let Some(prev) = kit.previous.get_mut("A1") {
        if let Some(summary) = prev.summary.as_mut() {
            summary.proof_artifacts = vec![crate::markers::ProofArtifactState {
                path: "proof/a1.json".into(),
                kind: None,
                required_for: Vec::new(),
                exists: true,
                modified_at: None,
            }];
        }
    }
    assert_eq!(kit.driver().reused_agent_ids(), s(&["A1"]));
}

#[test]
fn timeout_on_the_last_attempt_queues_recovery() {
    let kit = Kit::standard();
    let played = kit.run(&mut script(|id, _| {
        (id == "A1").then(|| Reply::ok("").timeout())
    }));
    assert_eq!(played.order(), s(&["1:[A1]", "2:[A1]"]));
    assert_eq!(played.codes(), s(&["timeout-no-status"]));
    assert_eq!(played.outcome.status, WaveStatus::RecoveryQueued);
    assert_eq!(played.outcome.exit_code, 43);
}

#[test]
fn missing_status_is_recoverable_too() {
    let kit = Kit::standard().attempts(1);
    let played = kit.run(&mut script(|id, _| {
        (id == "A1").then(|| Reply::ok(MET).exit(None))
    }));
    assert_eq!(played.codes(), s(&["missing-status"]));
    assert_eq!(played.outcome.exit_code, 43);
}

#[test]
fn closure_timeout_then_closure_only_retry_does_not_crash() {
    let kit = Kit::standard();
    let played = kit.run(&mut script(|id, attempt| {
        (id == "A9" && attempt == 1).then(|| Reply::ok("").timeout())
    }));
    assert_eq!(
        played.order(),
        s(&["1:[A1]", "1:A8", "1:A9", "2:A9", "2:A0"])
    );
    assert_eq!(played.outcome.status, WaveStatus::Completed);

    let played = kit.run(&mut script(|id, _| {
        (id == "A9").then(|| Reply::ok("").timeout())
    }));
    assert_eq!(played.outcome.status, WaveStatus::RecoveryQueued);
    assert_eq!(played.outcome.exit_code, 43);
}

#[test]
fn non_zero_exit_code_with_valid_markers_is_a_wait_failure() {
    let kit = Kit::standard();
    let played = kit.run(&mut script(|id, _| {
        (id == "A1").then(|| good("A1").exit(Some(3)))
    }));
    assert_eq!(played.order(), s(&["1:[A1]", "2:[A1]"]));
    assert_eq!(played.codes(), s(&["3"]));
    assert_eq!(
        played.outcome.failures[0].status_code,
        FailureCode::ExitCode(3)
    );
    assert_eq!(
        (played.outcome.status, played.outcome.exit_code),
        (WaveStatus::Failed, 1)
    );
    let json = serde_json::to_value(&played.outcome.failures[0]).expect("json");
    assert_eq!(json["statusCode"], "3");
}

#[test]
fn max_turns_termination_is_recoverable() {
    let kit = Kit::standard().attempts(1);
    let log = "Reached max turns (40)";
    let played = kit.run(&mut script(|id, _| {
        (id == "A1").then(|| Reply::ok(log).exit(Some(1)))
    }));
    assert_eq!(played.codes(), s(&["1"]));
    assert_eq!(played.outcome.status, WaveStatus::RecoveryQueued);
    assert_eq!(played.outcome.exit_code, 43);
}

#[test]
fn max_attempts_are_respected() {
    for max in [1, 3] {
        let kit = Kit::standard().attempts(max);
        let played = kit.run(&mut script(|id, _| (id == "A1").then(|| Reply::ok(GAP))));
        assert_eq!(played.launches.len() as u32, max);
        assert_eq!(played.outcome.attempts, max);
        assert_eq!(played.retries().len() as u32, max - 1);
    }
    // 0 behaves as 1.
    let played = Kit::standard()
        .attempts(0)
        .run(&mut script(|id, _| (id == "A1").then(|| Reply::ok(GAP))));
    assert_eq!(played.outcome.attempts, 1);
}

#[test]
fn design_pass_consumes_an_attempt_then_implementation_starts() {
    let kit = Kit::new(vec![
        designer("D1", false),
        implementer("A1"),
        a8(),
        a9(),
        a0(),
    ]);
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(
        played.order(),
        s(&["1:[D1]", "2:[A1]", "2:A8", "2:A9", "2:A0"])
    );
    assert_eq!(played.outcome.status, WaveStatus::Completed);
    assert!(played.records.contains(&DriverRecord::AttemptFinished {
        attempt: 1,
        failures: Vec::new()
    }));
}

#[test]
fn design_needs_clarification_blocks_implementation() {
    let kit = Kit::new(vec![
        designer("D1", false),
        implementer("A1"),
        a8(),
        a9(),
        a0(),
    ]);
    let unclear =
        "[wave-design] state=needs-clarification decisions=0 assumptions=1 open_questions=2";
    let played = kit.run(&mut script(|id, _| {
        (id == "D1").then(|| Reply::ok(unclear).report("p"))
    }));
    assert_eq!(played.order(), s(&["1:[D1]", "2:[D1]"]));
    assert_eq!(played.codes(), s(&["design-needs-clarification"]));
    assert_eq!(played.outcome.exit_code, 1);
    // Packet missing.
    let played = kit.run(&mut script(|id, _| {
        (id == "D1").then(|| Reply::ok(DESIGN_READY))
    }));
    assert_eq!(played.codes(), s(&["missing-design-packet"]));
}

#[test]
fn design_pass_on_the_last_attempt_exhausts_the_attempts() {
    let kit = Kit::new(vec![
        designer("D1", false),
        implementer("A1"),
        a8(),
        a9(),
        a0(),
    ])
    .attempts(1);
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(played.order(), s(&["1:[D1]"]));
    assert_eq!(played.codes(), s(&["attempts-exhausted"]));
    assert_eq!(played.outcome.status, WaveStatus::Failed);
}

#[test]
fn hybrid_design_steward_runs_a_design_pass_then_an_implementation_pass() {
    let kit = Kit::new(vec![
        designer("D1", true),
        implementer("A1"),
        a8(),
        a9(),
        a0(),
    ]);
    let mut driver = kit.driver();
    assert!(
        matches!(driver.next_step(), Step::Launch { ref agent_ids, .. } if *agent_ids == s(&["D1"]))
    );
    assert_eq!(
        driver.design_execution_mode("D1"),
        Some(DesignExecutionMode::DesignPass)
    );
    assert_eq!(driver.design_execution_mode("A1"), None);
    driver.observe(kit.observation("D1", 1, &Reply::ok(DESIGN_READY).report("p")));
    assert_eq!(
        driver.next_step(),
        Step::Launch {
            attempt: 2,
            agent_ids: s(&["D1", "A1"]),
            fan_out: true
        }
    );
    assert_eq!(
        driver.design_execution_mode("D1"),
        Some(DesignExecutionMode::ImplementationPass)
    );
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(played.outcome.status, WaveStatus::Completed);
}

#[test]
fn reused_design_steward_skips_the_design_pass() {
    let kit = Kit::new(vec![
        designer("D1", false),
        implementer("A1"),
        a8(),
        a9(),
        a0(),
    ])
    .previously("D1", good("D1"));
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(played.order(), s(&["1:[A1]", "1:A8", "1:A9", "1:A0"]));
    // Without the packet the design steward is not reused.
    let mut kit = kit;
    if let Some(prev) = kit.previous.get_mut("D1") {
        prev.report_exists = false;
    }
    assert_eq!(kit.run(&mut script(|_, _| None)).order()[0], "1:[D1]");
}

#[test]
fn component_promotions_and_blocked_when_nothing_can_be_relaunched() {
    let mut kit = Kit::standard();
    kit.lane.validation.require_component_promotions_from_wave =
        crate::config::Threshold::FromWave(0);
    let played = kit.run(&mut script(|_, _| None));
    assert_eq!(played.codes(), s(&["missing-component-promotions"]));
    assert_eq!(played.outcome.status, WaveStatus::Blocked);
    assert_eq!(played.outcome.exit_code, 43);
    assert_eq!(played.outcome.attempts, 1);
}

#[test]
fn records_serialize_with_upstream_codes() {
    let kit = Kit::standard().attempts(1);
    let played = kit.run(&mut script(|id, _| (id == "A1").then(|| Reply::ok(GAP))));
    let json = serde_json::to_value(&played.records).expect("json");
    let finished = json
        .as_array()
        .and_then(|a| a.iter().find(|r| r["kind"] == "attempt-finished"))
        .expect("attempt-finished");
    assert_eq!(finished["failures"][0]["statusCode"], "wave-proof-gap");
    assert_eq!(finished["failures"][0]["agentId"], "A1");
    let outcome = serde_json::to_value(&played.outcome).expect("json");
    assert_eq!(outcome["status"], "failed");
    assert_eq!(outcome["exitCode"], 1);
}

#[test]
fn a_resumed_driver_continues_at_its_first_attempt_with_the_attempts_left() {
    // Attempt 2 of 2: a failure there is final, as it would have been without the crash.
    let kit = Kit::standard().starting_at_attempt(2);
    let played = kit.run(&mut script(|id, _| {
        (id == "A8").then(|| Reply::ok(A8_MORE))
    }));
    assert_eq!(played.order()[0], "2:[A1]");
    assert_eq!(played.outcome.attempts, 2);
    assert_eq!(played.outcome.status, WaveStatus::Failed);
    let fresh = Kit::standard().starting_at_attempt(1);
    let played = fresh.run(&mut script(|_, _| None));
    assert_eq!(played.order(), s(&["1:[A1]", "1:A8", "1:A9", "1:A0"]));
}
