//! Tests: `run-state.json` reading, transitions, reconciliation and `--auto-next`.

use serde_json::{json, Value};

use super::reconcile::{AgentFacts, SummaryFailure, WaveFacts};
use super::run_state::{
    auto_next_start, BlockedReason, RunState, RunStateError, RunStateEvidence, Transition,
    WaveState,
};
use super::status::StatusRecord;

/// Shape of a `run-state.json` upstream v0.9.1 wrote after a blocked → completed run (values
/// ours, evidence trimmed to one status file).
const UPSTREAM_SHAPE: &str = r#"{
  "schemaVersion": 2,
  "kind": "wave-run-state",
  "completedWaves": [
    0
  ],
  "lastUpdatedAt": "2030-01-01T00:00:09.000Z",
  "waves": {
    "0": {
      "wave": 0,
      "currentState": "completed",
      "lastTransitionAt": "2030-01-01T00:00:08.000Z",
      "lastSource": "live-launcher",
      "lastReasonCode": "wave-complete",
      "lastDetail": "done",
      "lastEvidence": {
        "waveFileHash": "h0",
        "traceDir": ".tmp/main-wave-launcher/traces/wave-0/attempt-1",
        "statusFiles": [
          {
            "agentId": "A1",
            "path": ".tmp/main-wave-launcher/status/wave-0-0-a1.status",
            "promptHash": "p1",
            "code": 0,
            "completedAt": "2030-01-01T00:00:05.000Z",
            "sha256": "s1"
          }
        ],
        "summaryFiles": [
          {
            "agentId": "A1",
            "path": ".tmp/main-wave-launcher/status/wave-0-0-a1.summary.json",
            "sha256": "s2"
          }
        ],
        "coordinationLogSha256": "c",
        "assignmentsSha256": "a",
        "dependencySnapshotSha256": "d",
        "gateSnapshotSha256": "g",
        "blockedReasons": []
      }
    }
  },
  "history": [
    {
      "seq": 1,
      "at": "2030-01-01T00:00:01.000Z",
      "wave": 0,
      "fromState": null,
      "toState": "blocked",
      "source": "status-reconcile",
      "reasonCode": "missing-status",
      "detail": "none yet",
      "evidence": null
    },
    {
      "seq": 2,
      "at": "2030-01-01T00:00:08.000Z",
      "wave": 0,
      "fromState": "blocked",
      "toState": "completed",
      "source": "live-launcher",
      "reasonCode": "wave-complete",
      "detail": "done",
      "evidence": null
    }
  ]
}
"#;

#[test]
fn upstream_file_round_trips_byte_for_byte() {
    let state = RunState::parse(UPSTREAM_SHAPE).unwrap();
    assert_eq!(state.completed_waves, vec![0]);
    assert_eq!(state.waves[&0].current_state, WaveState::Completed);
    assert_eq!(state.history.len(), 2);
    assert_eq!(state.to_json_pretty(), UPSTREAM_SHAPE);
    // The typed evidence serializes to the same keys as upstream's.
    let evidence: RunStateEvidence = serde_json::from_value(Value::Object(
        state.waves[&0].last_evidence.clone().unwrap(),
    ))
    .unwrap();
    assert_eq!(
        Value::Object(evidence.to_map()),
        Value::Object(state.waves[&0].last_evidence.clone().unwrap())
    );
}

#[test]
fn legacy_and_lenient_files_load() {
    let state =
        RunState::parse(r#"{"completedWaves":[2,"0",-1,"x",2],"lastUpdatedAt":"t"}"#).unwrap();
    assert_eq!(state.completed_waves, vec![0, 2]);
    assert_eq!(
        state.waves[&2].last_source.as_deref(),
        Some("legacy-run-state")
    );
    assert_eq!(state.waves[&2].last_transition_at.as_deref(), Some("t"));

    // Explicit entries override the legacy list; no currentState means completed.
    let state = RunState::parse(
        r#"{"completedWaves":[1],"waves":{"1":{"currentState":"BLOCKED"},"4":{"updatedAt":"u"},"x":{}},
            "history":[{"wave":1,"toState":"blocked"},{"seq":7},"junk"]}"#,
    )
    .unwrap();
    assert_eq!(state.completed_waves, vec![4]);
    assert_eq!(state.waves[&1].current_state, WaveState::Blocked);
    assert_eq!(state.waves[&4].last_transition_at.as_deref(), Some("u"));
    assert_eq!(state.history.len(), 1);
    assert_eq!(state.history[0].seq, 1);
}

#[test]
fn corrupt_files_are_typed_errors_and_fresh_is_available() {
    assert!(matches!(
        RunState::parse("{\"schemaVersion\": 2,"),
        Err(RunStateError::Corrupt { .. })
    ));
    assert_eq!(RunState::parse("[1,2]"), Err(RunStateError::NotAnObject));
    assert_eq!(RunState::parse("").unwrap(), RunState::new());
    assert_eq!(RunState::parse("null").unwrap(), RunState::new());
    let fresh = RunState::new().to_json_pretty();
    assert_eq!(
        serde_json::from_str::<Value>(&fresh).unwrap(),
        json!({"schemaVersion": 2, "kind": "wave-run-state", "completedWaves": [], "waves": {}, "history": []})
    );
}

fn complete(wave: u32, at: &str) -> Transition {
    Transition {
        wave,
        to_state: WaveState::Completed,
        source: "live-launcher".to_owned(),
        reason_code: "wave-complete".to_owned(),
        detail: format!(" Wave {wave} completed. "),
        evidence: None,
        at: at.to_owned(),
    }
}

#[test]
fn transitions_dedupe_and_keep_completed_sorted() {
    let mut state = RunState::new();
    assert!(state.apply_transition(complete(3, "t1")));
    assert!(
        !state.apply_transition(complete(3, "t2")),
        "identical transition re-appended"
    );
    assert!(state.apply_transition(complete(1, "t3")));
    assert_eq!(state.completed_waves, vec![1, 3]);
    assert_eq!(
        state.history.iter().map(|h| h.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(state.history[0].detail, "Wave 3 completed.");
    assert_eq!(state.waves[&3].last_transition_at.as_deref(), Some("t1"));

    let mut blocked = complete(3, "t4");
    blocked.to_state = WaveState::Blocked;
    blocked.reason_code = "missing-status".to_owned();
    assert!(state.apply_transition(blocked));
    assert_eq!(state.completed_waves, vec![1]);
    let last = state.history.last().unwrap();
    assert_eq!(
        (last.seq, last.from_state.clone()),
        (3, Some(WaveState::Completed))
    );

    // A different evidence object is a new transition.
    let mut with_evidence = complete(1, "t5");
    with_evidence.evidence = Some(RunStateEvidence::default().to_map());
    assert!(state.apply_transition(with_evidence));
    state.stamp("t6");
    assert_eq!(state.last_updated_at.as_deref(), Some("t6"));
    let reparsed = RunState::parse(&state.to_json_pretty()).unwrap();
    assert_eq!(reparsed, state);
}

fn ok_agent(id: &str, hash: &str, completed_at: &str) -> AgentFacts {
    AgentFacts {
        agent_id: id.to_owned(),
        status_path: format!(
            ".tmp/main-wave-launcher/status/wave-0-0-{}.status",
            id.to_lowercase()
        ),
        status: Some(StatusRecord {
            code: 0,
            prompt_hash: Some(hash.to_owned()),
            orchestrator_id: None,
            attempt: Some(1),
            completed_at: Some(completed_at.to_owned()),
        }),
        expected_prompt_hash: hash.to_owned(),
        summary_failures: Vec::new(),
    }
}

fn wave(n: u32, agents: Vec<AgentFacts>) -> WaveFacts {
    WaveFacts {
        wave: n,
        agents,
        ..WaveFacts::default()
    }
}

fn never_run(id: &str) -> AgentFacts {
    AgentFacts {
        status: None,
        ..ok_agent(id, "h", "")
    }
}

#[test]
fn reconcile_all_complete_and_never_run() {
    let mut state = RunState::new();
    let facts = vec![
        wave(
            0,
            vec![
                ok_agent("A1", "h1", "2030-01-01T00:00:05.000Z"),
                ok_agent("A0", "h0", "x"),
            ],
        ),
        wave(1, vec![never_run("A1"), never_run("A0")]),
    ];
    let result = state.reconcile(&facts, "NOW");
    assert_eq!(result.completed_from_status, vec![0]);
    assert_eq!(result.newly_completed, vec![0]);
    assert_eq!(result.blocked.len(), 1);
    assert_eq!(result.blocked[0].reasons[0].code, "missing-status");
    assert_eq!(state.completed_waves, vec![0]);

    let w0 = &state.waves[&0];
    assert_eq!(
        w0.last_reason_code.as_deref(),
        Some("status-reconcile-complete")
    );
    assert_eq!(w0.last_source.as_deref(), Some("status-reconcile"));
    assert_eq!(
        w0.last_transition_at.as_deref(),
        Some("2030-01-01T00:00:05.000Z")
    );
    let w1 = &state.waves[&1];
    assert_eq!(w1.current_state, WaveState::Blocked);
    assert_eq!(w1.last_reason_code.as_deref(), Some("missing-status"));
    assert_eq!(w1.last_transition_at.as_deref(), Some("NOW"));
    assert!(w1.last_detail.contains("A1, A0"));
    let evidence = w1.last_evidence.as_ref().unwrap();
    assert_eq!(evidence["blockedReasons"][0]["code"], "missing-status");
    assert_eq!(state.history[1].from_state, None);

    // Reconciling the same facts again appends nothing.
    let again = state.reconcile(&facts, "LATER");
    assert_eq!(again.transitions_appended, 0);
    assert_eq!(state.history.len(), 2);
}

#[test]
fn reconcile_preserves_completed_waves_with_only_prompt_drift() {
    let mut state = RunState::new();
    state.apply_transition(complete(0, "t0"));
    let mut drifted = ok_agent("A1", "old", "t1");
    drifted.expected_prompt_hash = "new".to_owned();
    let mut missing_hash = ok_agent("A0", "h", "t1");
    missing_hash.status.as_mut().unwrap().prompt_hash = None;
    let result = state.reconcile(&[wave(0, vec![drifted, missing_hash])], "NOW");
    assert_eq!(result.preserved_with_drift, vec![0]);
    assert!(result.blocked.is_empty());
    assert_eq!(state.completed_waves, vec![0]);
    let entry = &state.waves[&0];
    assert_eq!(entry.current_state, WaveState::CompletedWithDrift);
    assert_eq!(
        entry.last_reason_code.as_deref(),
        Some("status-reconcile-completed-with-drift")
    );
    let preserved = &entry.last_evidence.as_ref().unwrap()["preservedCompletion"];
    assert_eq!(preserved["preserved"], true);
    assert_eq!(preserved["preservedFromState"], "completed");
    assert_eq!(preserved["preservedFromSource"], "live-launcher");
    assert_eq!(preserved["preservedFromReasonCode"], "wave-complete");
    let codes: Vec<&str> = preserved["driftReasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["prompt-hash-mismatch", "prompt-hash-missing"]);
    assert!(preserved["previousEvidence"].is_null());
    // A second reconcile keeps it with drift (the entry is still an authoritative completion).
    let mut drifted = ok_agent("A1", "old", "t1");
    drifted.expected_prompt_hash = "new".to_owned();
    state.reconcile(&[wave(0, vec![drifted])], "NOW");
    assert_eq!(state.waves[&0].current_state, WaveState::CompletedWithDrift);
}

#[test]
fn drift_does_not_preserve_legacy_or_never_completed_waves() {
    let mut drifted = ok_agent("A1", "old", "t1");
    drifted.expected_prompt_hash = "new".to_owned();
    let mut legacy = RunState::parse(r#"{"completedWaves":[0]}"#).unwrap();
    legacy.reconcile(&[wave(0, vec![drifted.clone()])], "NOW");
    assert_eq!(legacy.waves[&0].current_state, WaveState::Blocked);
    assert_eq!(
        legacy.waves[&0].last_reason_code.as_deref(),
        Some("prompt-hash-mismatch")
    );
    assert!(legacy.completed_waves.is_empty());

    let mut fresh = RunState::new();
    fresh.reconcile(&[wave(0, vec![drifted])], "NOW");
    assert_eq!(fresh.waves[&0].current_state, WaveState::Blocked);
}

#[test]
fn failing_summary_and_nonzero_status_block_with_reasons() {
    let mut state = RunState::new();
    state.apply_transition(complete(0, "t0"));
    let mut bad_summary = ok_agent("A0", "h", "t1");
    bad_summary.summary_failures.push(SummaryFailure {
        reason_code: "invalid-cont-qa-summary".to_owned(),
        status_code: "missing-wave-gate".to_owned(),
        detail: "no gate marker".to_owned(),
    });
    let mut nonzero = ok_agent("A1", "other", "t1");
    nonzero.status.as_mut().unwrap().code = 3;
    nonzero.expected_prompt_hash = "drift-ignored-when-nonzero".to_owned();
    let mut facts = wave(0, vec![nonzero, bad_summary, never_run("A9")]);
    facts.wave_reasons = vec![
        BlockedReason::new("open-clarification", "Open clarification: c1."),
        BlockedReason::new("open-clarification", "Open clarification: c1."),
        BlockedReason::new("", "dropped"),
    ];
    let result = state.reconcile(&[facts], "NOW");
    let codes: Vec<&str> = result.blocked[0]
        .reasons
        .iter()
        .map(|r| r.code.as_str())
        .collect();
    assert_eq!(
        codes,
        vec![
            "nonzero-status",
            "invalid-cont-qa-summary",
            "missing-status",
            "open-clarification"
        ]
    );
    assert_eq!(
        result.blocked[0].reasons[1].detail,
        "A0: missing-wave-gate: no gate marker"
    );
    let entry = &state.waves[&0];
    assert_eq!(entry.current_state, WaveState::Blocked);
    assert_eq!(entry.last_reason_code.as_deref(), Some("nonzero-status"));
    assert!(state.completed_waves.is_empty());
}

#[test]
fn auto_next_picks_lowest_incomplete() {
    let mut state = RunState::new();
    assert_eq!(auto_next_start(&state, &[2, 0, 1]), Some(0));
    state.apply_transition(complete(0, "t"));
    state.apply_transition(complete(2, "t"));
    assert_eq!(auto_next_start(&state, &[2, 0, 1]), Some(1));
    state.apply_transition(complete(1, "t"));
    assert_eq!(auto_next_start(&state, &[2, 0, 1]), None);
    assert_eq!(auto_next_start(&state, &[]), None);
}
