//! Tests: control-plane events, coordination records (shape, merge, blocking rule), launcher
//! progress and relaunch plans.

use serde_json::{json, Map, Value};

use super::control_plane::{
    record_id, AgentRunAction, AgentRunFinish, AgentRunPaths, AttemptAction, ControlPlaneContext,
    ControlPlaneRecord, EntityType, RunKind, WaveRunAction,
};
use super::coordination::{
    closure_gap_blocker, materialize, parse_iso_millis, repair_request, BlockerSeverity,
    ClosureStageKey, CoordinationKind, CoordinationPriority, CoordinationRecord,
    CoordinationStatus, RepairReason,
};
use super::progress::{LauncherPhase, LauncherProgress, RelaunchPlan};
use super::RecordError;

fn ctx() -> ControlPlaneContext {
    ControlPlaneContext {
        lane: "main".to_owned(),
        run_kind: RunKind::Roadmap,
        run_id: None,
    }
}

fn keys(value: &Value) -> Vec<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

const ENVELOPE_KEYS: [&str; 14] = [
    "recordVersion",
    "id",
    "lane",
    "wave",
    "runKind",
    "runId",
    "entityType",
    "entityId",
    "action",
    "source",
    "actor",
    "recordedAt",
    "attempt",
    "data",
];

#[test]
fn control_plane_shapes_match_upstream() {
    let mut extra = Map::new();
    extra.insert("agentIds".to_owned(), json!(["A1", "A0"]));
    extra.insert("runVariant".to_owned(), json!("live"));
    let started = ControlPlaneRecord::wave_run(&ctx(), 4, WaveRunAction::Started, "T", 0xab, extra);
    // Shape of an upstream `wave_run started` line (values ours).
    let expected = json!({
        "recordVersion": 1, "id": "ctrl-wave_run-000000ab", "lane": "main", "wave": 4,
        "runKind": "roadmap", "runId": null, "entityType": "wave_run", "entityId": "wave-4",
        "action": "started", "source": "session-supervisor", "actor": "session-supervisor",
        "recordedAt": "T", "attempt": null,
        "data": {"waveId": "wave-4", "waveNumber": 4, "updatedAt": "T", "agentIds": ["A1", "A0"], "runVariant": "live"}
    });
    let line = started.to_line();
    let value: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(value, expected);
    assert_eq!(keys(&value), ENVELOPE_KEYS);
    assert_eq!(ControlPlaneRecord::parse_line(&line).unwrap(), started);

    let ids = vec!["A1".to_owned()];
    let attempt = ControlPlaneRecord::attempt(
        &ctx(),
        4,
        2,
        AttemptAction::Running,
        &ids,
        Some("Launching A1."),
        Some("C"),
        "T",
        1,
    );
    let value = serde_json::to_value(&attempt).unwrap();
    assert_eq!(value["entityId"], "wave-4-attempt-2");
    assert_eq!(value["attempt"], 2);
    assert_eq!(
        keys(&value["data"]),
        [
            "attemptId",
            "attemptNumber",
            "state",
            "selectedAgentIds",
            "detail",
            "updatedAt",
            "createdAt"
        ]
    );

    let paths = AgentRunPaths {
        session_name: Some("s".to_owned()),
        executor_id: Some("local".to_owned()),
        prompt_path: Some("p".to_owned()),
        status_path: Some("st".to_owned()),
        log_path: Some("l".to_owned()),
    };
    let run = ControlPlaneRecord::agent_run_started(&ctx(), 4, 2, "A1", &paths, "T", 2);
    let value = serde_json::to_value(&run).unwrap();
    assert_eq!(value["entityId"], "wave-4-attempt-2-agent-A1");
    assert_eq!(
        keys(&value["data"]),
        [
            "agentId",
            "attemptNumber",
            "sessionName",
            "executorId",
            "promptPath",
            "statusPath",
            "logPath",
            "startedAt"
        ]
    );
    let finish = AgentRunFinish {
        exit_code: Some(0),
        completed_at: Some("D".to_owned()),
        prompt_hash: Some("h".to_owned()),
        ..AgentRunFinish::default()
    };
    let done = ControlPlaneRecord::agent_run_finished(&ctx(), 4, 2, "A1", &paths, &finish, "T", 3);
    let value = serde_json::to_value(&done).unwrap();
    assert_eq!(value["action"], "completed");
    assert_eq!(
        keys(&value["data"]),
        [
            "agentId",
            "attemptNumber",
            "exitCode",
            "completedAt",
            "promptHash",
            "executorId",
            "statusCode",
            "detail",
            "logPath",
            "statusPath"
        ]
    );

    let gate =
        ControlPlaneRecord::gate_evaluated(&ctx(), 4, 2, Some("tr"), json!({}), json!({}), "T", 4);
    let value = serde_json::to_value(&gate).unwrap();
    assert_eq!(
        (value["source"].as_str(), value["actor"].as_str()),
        (Some("launcher"), Some("launcher"))
    );
    assert_eq!(value["entityId"], "wave-4-attempt-2-gate");
    assert_eq!(value["action"], "evaluated");
    assert_eq!(
        keys(&value["data"]),
        [
            "attemptNumber",
            "traceDir",
            "gateSnapshot",
            "qualitySummary"
        ]
    );
}

#[test]
fn agent_run_finish_actions() {
    let mut finish = AgentRunFinish {
        exit_code: Some(0),
        ..AgentRunFinish::default()
    };
    assert_eq!(finish.action(), AgentRunAction::Completed);
    finish.exit_code = Some(1);
    assert_eq!(finish.action(), AgentRunAction::Failed);
    finish.exit_code = None;
    assert_eq!(finish.action(), AgentRunAction::Failed);
    finish.failure_code = Some("timeout-no-status".to_owned());
    assert_eq!(finish.action(), AgentRunAction::TimedOut);
    assert_eq!(
        record_id(EntityType::AgentRun, u32::MAX),
        "ctrl-agent_run-ffffffff"
    );
}

#[test]
fn control_plane_parse_rejects_bad_lines() {
    assert!(matches!(
        ControlPlaneRecord::parse_line("{"),
        Err(RecordError::InvalidJson { .. })
    ));
    let bad_entity = r#"{"lane":"main","wave":0,"entityType":"nope","entityId":"x","action":"a"}"#;
    assert!(matches!(
        ControlPlaneRecord::parse_line(bad_entity),
        Err(RecordError::InvalidValue {
            field: "entityType",
            ..
        })
    ));
    let no_lane = r#"{"wave":0,"entityType":"gate","entityId":"x","action":"a"}"#;
    assert!(matches!(
        ControlPlaneRecord::parse_line(no_lane),
        Err(RecordError::MissingField { field: "lane", .. })
    ));
    let upper =
        r#"{"lane":"main","wave":"2","entityType":"GATE","entityId":"x","action":"Evaluated"}"#;
    let parsed = ControlPlaneRecord::parse_line(upper).unwrap();
    assert_eq!(
        (parsed.wave, parsed.entity_type, parsed.action.as_str()),
        (2, EntityType::Gate, "evaluated")
    );
    assert_eq!(parsed.source, "launcher");
    assert_eq!(parsed.run_kind, RunKind::Roadmap);
}

/// Shape of an upstream launcher seed record line (values ours).
const SEED_LINE: &str = r#"{"recordVersion":1,"id":"wave-0-agent-A1-request","kind":"request","wave":0,"lane":"main","agentId":"launcher","targets":["agent:A1"],"status":"open","priority":"normal","blocking":true,"blockerSeverity":"closure-critical","artifactRefs":["src/a.md"],"dependsOn":[],"closureCondition":"","createdAt":"2030-01-01T00:00:00.000Z","updatedAt":"2030-01-01T00:00:00.000Z","confidence":"medium","summary":"s","detail":"d","attempt":null,"source":"launcher","executorId":"","project":"","requesterLane":"","ownerLane":"","requesterProject":"","ownerProject":"","requesterWave":null,"ownerWave":null,"required":false}"#;

#[test]
fn coordination_record_round_trips_upstream_line() {
    let record = CoordinationRecord::parse_line(SEED_LINE, "NOW").unwrap();
    assert_eq!(record.kind, CoordinationKind::Request);
    assert!(record.is_blocking());
    assert_eq!(record.to_line(), SEED_LINE);
}

#[test]
fn coordination_defaults_follow_kind_and_priority() {
    let parse = |line: &str| CoordinationRecord::parse_line(line, "NOW").unwrap();
    let blocker =
        parse(r#"{"kind":"blocker","lane":"main","wave":1,"agentId":"A1","priority":"urgent"}"#);
    assert_eq!(
        (blocker.blocking, blocker.blocker_severity),
        (true, BlockerSeverity::Hard)
    );
    assert_eq!(
        (blocker.created_at.as_str(), blocker.updated_at.as_str()),
        ("NOW", "NOW")
    );
    let soft = parse(r#"{"kind":"blocker","lane":"main","wave":1,"agentId":"A1"}"#);
    assert_eq!(soft.blocker_severity, BlockerSeverity::Soft);
    let claim = parse(r#"{"kind":"claim","lane":"main","wave":1,"agentId":"A1"}"#);
    assert_eq!(
        (claim.blocking, claim.blocker_severity),
        (false, BlockerSeverity::Advisory)
    );
    assert!(!claim.is_blocking());
    let human = parse(
        r#"{"kind":"human-feedback","lane":"main","wave":1,"agentId":"A1","blocking":"yes"}"#,
    );
    assert_eq!(human.blocker_severity, BlockerSeverity::Hard);
    assert!(human.is_hard_blocker());
    let policy = parse(r#"{"kind":"resolved-by-policy","lane":"main","wave":1,"agentId":"A1"}"#);
    assert_eq!(policy.status, CoordinationStatus::Resolved);
    let not_blocking =
        parse(r#"{"kind":"request","lane":"main","wave":1,"agentId":"A1","blocking":false}"#);
    assert_eq!(not_blocking.blocker_severity, BlockerSeverity::Advisory);

    let bad = CoordinationRecord::parse_line(
        r#"{"kind":"memo","lane":"main","wave":1,"agentId":"A1"}"#,
        "NOW",
    );
    assert!(matches!(
        bad,
        Err(RecordError::InvalidValue { field: "kind", .. })
    ));
    let log = format!("{SEED_LINE}\n\n{{\"kind\":\"request\"}}\n");
    match CoordinationRecord::parse_log(&log, "NOW") {
        Err(RecordError::AtLine { line, .. }) => assert_eq!(line, 3),
        other => panic!("expected a line error, got {other:?}"),
    }
}

#[test]
fn blocking_rule() {
    let mut record = CoordinationRecord::new("r", CoordinationKind::Blocker, "main", 0, "A1", "T");
    assert!(record.is_blocking());
    for status in [
        CoordinationStatus::Acknowledged,
        CoordinationStatus::InProgress,
    ] {
        record.status = status;
        assert!(record.is_blocking());
    }
    for status in [
        CoordinationStatus::Resolved,
        CoordinationStatus::Closed,
        CoordinationStatus::Superseded,
        CoordinationStatus::Cancelled,
    ] {
        record.status = status;
        assert!(!record.is_blocking());
    }
    record.status = CoordinationStatus::Open;
    for severity in [BlockerSeverity::Stale, BlockerSeverity::Advisory] {
        record.blocker_severity = severity;
        assert!(!record.is_blocking());
    }
    record.blocker_severity = BlockerSeverity::ProofCritical;
    assert!(record.is_blocking());
    record.blocking = false;
    assert!(!record.is_blocking());
}

#[test]
fn materialize_merges_by_id_later_wins() {
    let mut first = CoordinationRecord::new(
        "b1",
        CoordinationKind::Blocker,
        "main",
        0,
        "A1",
        "2030-01-01T00:00:01.000Z",
    );
    first.summary = "open".to_owned();
    let mut other = CoordinationRecord::new(
        "a0",
        CoordinationKind::Claim,
        "main",
        0,
        "A2",
        "2030-01-01T00:00:02.000Z",
    );
    other.summary = "claim".to_owned();
    let mut resolved = first.clone();
    resolved.status = CoordinationStatus::Resolved;
    resolved.created_at = "2030-01-01T00:00:09.000Z".to_owned();
    resolved.updated_at = "2030-01-01T00:00:03.000Z".to_owned();
    // File order is not time order: the resolution is appended before an older line.
    let mut stale_copy = first.clone();
    stale_copy.summary = "older".to_owned();
    stale_copy.created_at = "2030-01-01T00:00:00.400Z".to_owned();
    stale_copy.updated_at = "2030-01-01T00:00:00.500Z".to_owned();
    let latest = materialize(&[first.clone(), resolved, other.clone(), stale_copy]);
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[0].id, "a0");
    let b1 = &latest[1];
    assert_eq!(b1.status, CoordinationStatus::Resolved);
    assert_eq!(b1.summary, "open");
    // The createdAt of the earliest (by updatedAt) record of the id is kept.
    assert_eq!(b1.created_at, "2030-01-01T00:00:00.400Z");
    assert!(!b1.is_blocking());
    assert!(materialize(&[]).is_empty());
}

#[test]
fn iso_timestamps_parse() {
    assert_eq!(parse_iso_millis("1970-01-01T00:00:00.000Z"), Some(0));
    assert_eq!(parse_iso_millis("1970-01-02"), Some(86_400_000));
    assert_eq!(parse_iso_millis("1970-01-01T01:00:00+01:00"), Some(0));
    assert_eq!(
        parse_iso_millis("2026-11-23T22:28:14.427Z"),
        Some(1_795_472_894_427)
    );
    assert_eq!(
        parse_iso_millis("2026-11-23T22:28:14.4Z"),
        Some(1_795_472_894_400)
    );
    for bad in [
        "",
        "T",
        "2026-13-01",
        "yesterday",
        "2026-11-23T22",
        "2026-11-23T22:28:14Zjunk",
        "é2026-01-01",
    ] {
        assert_eq!(parse_iso_millis(bad), None, "{bad}");
    }
}

#[test]
fn closure_gap_blocker_shape() {
    let targets = vec!["A9".to_owned(), "A0".to_owned(), "A0".to_owned()];
    let record = closure_gap_blocker(
        "main",
        0,
        ClosureStageKey::Integration,
        "A8",
        1,
        " gap detail ",
        Some(".tmp/main-wave-launcher/logs/wave-0-0-a8.log"),
        &targets,
        "T",
    );
    assert_eq!(record.id, "wave-0-closure-gap-integration-A8-attempt-1");
    assert_eq!(record.kind, CoordinationKind::Blocker);
    assert_eq!(record.status, CoordinationStatus::Open);
    assert_eq!(record.priority, CoordinationPriority::High);
    assert!(record.blocking);
    assert_eq!(record.blocker_severity, BlockerSeverity::ClosureCritical);
    assert_eq!(record.detail, "gap detail");
    assert_eq!(record.agent_id, "A8");
    assert_eq!(record.targets, vec!["agent:A9", "agent:A0"]);
    assert_eq!(
        record.artifact_refs,
        vec![".tmp/main-wave-launcher/logs/wave-0-0-a8.log"]
    );
    assert_eq!(record.attempt, Some(1));
    assert!(record.is_hard_blocker());
    let reparsed = CoordinationRecord::parse_line(&record.to_line(), "X").unwrap();
    assert_eq!(reparsed, record);
    let id = closure_gap_blocker(
        "main",
        2,
        ClosureStageKey::SecurityReview,
        "S1",
        0,
        "d",
        None,
        &[],
        "T",
    )
    .id;
    assert_eq!(id, "wave-2-closure-gap-security-review-S1-attempt-1");
}

#[test]
fn repair_request_shape() {
    let reason = RepairReason {
        code: "timeout-no-status".to_owned(),
        detail: None,
    };
    let record = repair_request("main", 3, 2, "A1", Some(&reason), "T");
    assert_eq!(record.id, "repair-wave-3-attempt-2-A1");
    assert_eq!(record.agent_id, "launcher");
    assert_eq!(record.kind, CoordinationKind::Request);
    assert_eq!(record.targets, vec!["agent:A1"]);
    assert_eq!(record.priority, CoordinationPriority::Normal);
    assert!(!record.blocking);
    assert_eq!(record.blocker_severity, BlockerSeverity::Soft);
    assert_eq!(record.source, "launcher");
    assert!(!record.is_blocking());
    assert!(record.summary.contains("timeout-no-status"));
    assert!(!repair_request("main", 3, 2, "A1", None, "T")
        .summary
        .is_empty());
}

#[test]
fn launcher_progress_lenient_read_and_shape() {
    let text = r#"{"runId":" r1 ","waveNumber":null,"attemptNumber":"2","phase":"attempt-running",
        "selectedAgentIds":["A1"," A1","","A2"],"forwardedClosureGaps":[{"stageKey":"integration"}],
        "gateSnapshotSummary":[1],"finalized":"true","exitCode":1.5,"updatedAt":"U"}"#;
    let progress = LauncherProgress::parse(text, None, "NOW");
    assert_eq!(progress.run_id.as_deref(), Some("r1"));
    assert_eq!(progress.wave_number, Some(0));
    assert_eq!(progress.attempt_number, Some(2));
    assert_eq!(progress.selected_agent_ids, vec!["A1", "A2"]);
    assert_eq!(progress.forwarded_closure_gaps.len(), 1);
    assert_eq!(progress.gate_snapshot_summary, None);
    assert!(!progress.finalized);
    assert_eq!(progress.exit_code, None);
    let value: Value = serde_json::from_str(&progress.to_json_pretty()).unwrap();
    assert_eq!(
        keys(&value),
        [
            "runId",
            "waveNumber",
            "attemptNumber",
            "phase",
            "selectedAgentIds",
            "launchedAgentIds",
            "completedAgentIds",
            "resumeFromPhase",
            "forwardedClosureGaps",
            "gateSnapshotSummary",
            "finalized",
            "finalDisposition",
            "exitCode",
            "updatedAt"
        ]
    );
    let corrupt = LauncherProgress::parse("{oops", Some("r2"), "NOW");
    assert_eq!(corrupt.run_id.as_deref(), Some("r2"));
    assert!(!corrupt.finalized);
    assert_eq!(corrupt.updated_at, "NOW");

    let mut fresh = LauncherProgress::new(Some("r".to_owned()), "T");
    fresh.set_phase(LauncherPhase::RecoveryQueued);
    fresh.launched_agent_ids = vec![" A1".to_owned(), "A1".to_owned()];
    fresh.normalize();
    assert_eq!(fresh.launched_agent_ids, vec!["A1"]);
    assert_eq!(fresh.phase.as_deref(), Some("recovery-queued"));
    for phase in LauncherPhase::ALL {
        assert_eq!(LauncherPhase::parse(phase.as_str()), Some(phase));
    }
}

#[test]
fn relaunch_plan_shape_and_read() {
    let mut plan = RelaunchPlan::new(0, 2, "T");
    plan.selected_agent_ids = vec!["A8".to_owned()];
    plan.resume_from_phase = Some("integrating".to_owned());
    let value: Value = serde_json::from_str(&plan.to_json_pretty()).unwrap();
    assert_eq!(value["kind"], "wave-relaunch-plan");
    assert_eq!(value["schemaVersion"], 1);
    assert_eq!(
        keys(&value),
        [
            "schemaVersion",
            "kind",
            "wave",
            "attempt",
            "phase",
            "selectedAgentIds",
            "resumeFromPhase",
            "invalidatedAgentIds",
            "reusableAgentIds",
            "reusableProofBundleIds",
            "forwardedClosureGaps",
            "reasonBuckets",
            "executorStates",
            "fallbackHistory",
            "createdAt"
        ]
    );
    assert_eq!(RelaunchPlan::parse(&plan.to_json_pretty(), "X"), Some(plan));
    let read = RelaunchPlan::parse(
        r#"{"wave":"3","forwardedClosureGaps":[{"stageKey":"cont-qa","agentId":"A0","attempt":1,"detail":"d","targets":[],"resolved":false},7],"reasonBuckets":[]}"#,
        "NOW",
    )
    .unwrap();
    assert_eq!(read.wave, Some(3));
    assert_eq!(read.forwarded_closure_gaps.len(), 1);
    assert_eq!(read.forwarded_closure_gaps[0].stage_key, "cont-qa");
    assert!(read.reason_buckets.is_empty());
    assert_eq!(read.created_at, "NOW");
    assert_eq!(RelaunchPlan::parse("[]", "NOW"), None);
}
