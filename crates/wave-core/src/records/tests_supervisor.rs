//! Tests of the supervisor records and rules: state round trips, upstream's resume-argument
//! examples (upstream-supervisor §4.5), active-wave resolution (§4.9) and the decision table.

use super::*;

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn submitted(launcher_args: &[&str]) -> SupervisorRunState {
    SupervisorRunState::submitted(Submission {
        run_id: "run-1795465381487-711a29a1".into(),
        project: "default".into(),
        lane: "main".into(),
        adhoc_run_id: None,
        launcher_args: args(launcher_args),
        submitted_at: "2026-11-24T10:00:00.000Z".into(),
    })
}

#[test]
fn the_submitted_state_has_upstreams_fields_and_round_trips() {
    let state = submitted(&["--lane", "main", "--start-wave", "2"]);
    let json: Value = serde_json::from_str(&state.to_json_pretty()).unwrap();
    for key in [
        "runId",
        "project",
        "lane",
        "adhocRunId",
        "status",
        "submittedAt",
        "updatedAt",
        "launcherArgs",
        "launcherPid",
        "exitCode",
        "activeWave",
        "terminalDisposition",
        "agentRuntimeSummary",
        "sessionBackend",
        "recoveryState",
        "resumeAction",
        "resumeAttempts",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["status"], "pending");
    assert_eq!(json["terminalDisposition"], "pending");
    assert_eq!(json["recoveryState"], "pending");
    assert_eq!(json["activeWave"], 2);
    assert_eq!(
        SupervisorRunState::parse(&state.to_json_pretty()).unwrap(),
        state
    );
}

#[test]
fn unknown_status_reads_as_pending_and_foreign_fields_survive() {
    let text = r#"{"runId":"run-1-00000000","project":"p","lane":"main","status":"weird",
        "recoveryState":"nonsense","custom":{"a":1}}"#;
    let state = SupervisorRunState::parse(text).unwrap();
    assert_eq!(state.status, RunStatus::Pending);
    assert_eq!(state.recovery_state, None);
    let again: Value = serde_json::from_str(&state.to_json_pretty()).unwrap();
    assert_eq!(again["custom"]["a"], 1);
    assert!(SupervisorRunState::parse("[1,2]").is_none());
    assert!(SupervisorRunState::parse("{\"runId\":").is_none());
}

#[test]
fn status_line_matches_upstreams_format() {
    let mut state = submitted(&[]);
    assert_eq!(
        state.status_line(),
        "run_id=run-1795465381487-711a29a1 status=pending lane=main project=default pid=none exit_code=n/a terminal_disposition=pending recovery_state=pending resume_action=none"
    );
    state.exit_code = Some(0);
    state.launcher_pid = Some(42);
    assert!(state.status_line().contains("pid=42 exit_code=0"));
}

#[test]
fn resume_args_follow_upstreams_examples() {
    assert_eq!(
        resume_args(
            &args(&[
                "--project",
                "P",
                "--lane",
                "L",
                "--start-wave",
                "1",
                "--end-wave",
                "1",
                "--no-dashboard"
            ]),
            Some(1)
        )
        .unwrap(),
        args(&[
            "--project",
            "P",
            "--lane",
            "L",
            "--no-dashboard",
            "--start-wave",
            "1",
            "--end-wave",
            "1",
            "--resume-control-state"
        ])
    );
    assert_eq!(
        resume_args(
            &args(&[
                "--dry-run",
                "--no-dashboard",
                "--start-wave",
                "1",
                "--end-wave",
                "3"
            ]),
            Some(2)
        )
        .unwrap(),
        args(&[
            "--dry-run",
            "--no-dashboard",
            "--start-wave",
            "2",
            "--end-wave",
            "3",
            "--resume-control-state"
        ])
    );
    assert_eq!(
        resume_args(
            &args(&["--dry-run", "--no-dashboard", "--auto-next"]),
            Some(4)
        )
        .unwrap(),
        args(&[
            "--dry-run",
            "--no-dashboard",
            "--auto-next",
            "--resume-control-state"
        ])
    );
    // Past the range: no resume.
    assert_eq!(
        resume_args(&args(&["--start-wave", "1", "--end-wave", "1"]), Some(2)),
        None
    );
    // Unknown wave: the original start is kept (upstream would use wave 0).
    assert_eq!(
        resume_args(&args(&["--start-wave=3", "--resume-control-state"]), None).unwrap(),
        args(&["--start-wave", "3", "--resume-control-state"])
    );
}

#[test]
fn active_wave_prefers_the_journal_then_the_range_end_for_completed_runs() {
    let state = submitted(&["--start-wave", "1", "--end-wave", "3"]);
    assert_eq!(active_wave(&state, Some(2), false), Some(2));
    assert_eq!(active_wave(&state, None, true), Some(3));
    assert_eq!(active_wave(&state, None, false), Some(1));
    let auto = submitted(&["--auto-next"]);
    assert_eq!(auto.active_wave, None);
    assert_eq!(active_wave(&auto, None, true), None);
}

#[test]
fn the_decision_table_prefers_launcher_status_then_liveness_then_the_journal() {
    let mut facts = ReconcileFacts {
        launcher_status: Some(Some(3)),
        launcher_alive: true,
        journal_final: Some((true, Some(0))),
        ..Default::default()
    };
    assert_eq!(
        decide(&facts),
        Decision::Finish {
            exit_code: Some(3),
            from_journal: false
        }
    );
    facts.launcher_status = None;
    assert_eq!(decide(&facts), Decision::KeepRunning);
    facts.launcher_alive = false;
    assert_eq!(
        decide(&facts),
        Decision::Finish {
            exit_code: Some(0),
            from_journal: true
        }
    );
}

#[test]
fn a_lost_launcher_is_resumed_with_live_agents_until_resumes_run_out() {
    let mut facts = ReconcileFacts {
        live_agents: vec!["A1".into()],
        resume_args: Some(args(&["--start-wave", "0", "--resume-control-state"])),
        resumes_left: true,
        ..Default::default()
    };
    assert!(matches!(
        decide(&facts),
        Decision::Resume { ref live_agents, .. } if live_agents == &["A1".to_string()]
    ));
    facts.resumes_left = false;
    assert_eq!(
        decide(&facts),
        Decision::WaitForLiveAgents {
            live_agents: vec!["A1".into()]
        }
    );
    facts.live_agents.clear();
    assert_eq!(decide(&facts), Decision::Lost);
    facts.resumes_left = true;
    facts.resume_args = None;
    assert_eq!(decide(&facts), Decision::Lost);
}

#[test]
fn event_lines_start_with_recorded_at() {
    let line = event_line(
        "2026-11-24T10:00:00.000Z",
        "submitted",
        serde_json::json!({"runId": "r"}),
    );
    let text = serde_json::to_string(&line).unwrap();
    assert!(text.starts_with("{\"recordedAt\":\"2026-11-24T10:00:00.000Z\",\"type\":\"submitted\""));
}
