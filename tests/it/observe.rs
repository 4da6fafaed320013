//! `wave status`, `wave wait`, `wave attach` on hand-written and real run trees: upstream's
//! text and fields, read-only behaviour, exit codes, event-driven waiting, log following.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{assert_success, stderr, stdout, TestRepo};

const SUP: &str = ".tmp/main-wave-launcher/control/supervisor";
const RUN: &str = "run-1795465381487-711a29a1";

fn state(status: &str, extra: &str) -> String {
    let mut v: Value = serde_json::from_str(&format!(
        r#"{{"runId":"{RUN}","project":"default","lane":"main","adhocRunId":null,"status":"{status}",
        "launcherPid":null,"exitCode":null,"terminalDisposition":"{status}","recoveryState":"healthy",
        "resumeAction":null,"launcherArgs":[],"submittedAt":"2026-11-24T10:00:00.000Z"}}"#
    ))
    .unwrap();
    let more: Value =
        serde_json::from_str(&format!("{{{}}}", extra.trim_start_matches(','))).unwrap();
    for (k, val) in more.as_object().unwrap() {
        v[k] = val.clone();
    }
    v.to_string()
}

fn repo_with(state_json: &str) -> TestRepo {
    let repo = TestRepo::initialised();
    repo.write(&format!("{SUP}/runs/{RUN}/state.json"), state_json);
    repo
}

fn mtime_and_bytes(repo: &TestRepo) -> (std::time::SystemTime, String) {
    let path = repo.path(&format!("{SUP}/runs/{RUN}/state.json"));
    (
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        std::fs::read_to_string(&path).unwrap(),
    )
}

#[test]
fn status_prints_upstreams_line_and_json_and_never_writes() {
    let repo = repo_with(&state(
        "running",
        r#","terminalDisposition":"launcher-lost-agents-running","recoveryState":"degraded","resumeAction":"wait-for-live-agents""#,
    ));
    let before = mtime_and_bytes(&repo);
    let out = repo.wave(&["status", "--run-id", RUN]);
    assert_success(&out, "status");
    assert_eq!(
        stdout(&out).trim(),
        format!("run_id={RUN} status=running lane=main project=default pid=none exit_code=n/a terminal_disposition=launcher-lost-agents-running recovery_state=degraded resume_action=wait-for-live-agents")
    );
    let out = repo.wave(&["status", "--run-id", RUN, "--json"]);
    assert_success(&out, "status --json");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["recoveryState"], "degraded");
    assert_eq!(v["resumeAction"], "wait-for-live-agents");
    assert!(v.get("agentRuntimeSummary").is_some());
    assert_eq!(v["daemon"], Value::Null);
    let _ = repo.wave(&["wait", "--run-id", RUN, "--timeout-seconds", "0"]);
    let _ = repo.wave(&["attach", "--run-id", RUN, "--dashboard"]);
    assert_eq!(
        mtime_and_bytes(&repo),
        before,
        "readers must not write state.json"
    );
}

#[test]
fn wait_exit_codes_follow_the_outcome_and_a_timeout_is_124() {
    let repo = repo_with(&state("failed", r#","exitCode":3"#));
    let out = repo.wave(&["wait", "--run-id", RUN]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let repo = repo_with(&state("completed", r#","exitCode":0"#));
    assert_eq!(repo.wave(&["wait", "--run-id", RUN]).status.code(), Some(0));
    let repo = repo_with(&state("running", ""));
    let out = repo.wave(&["wait", "--run-id", RUN, "--timeout-seconds", "1"]);
    assert_eq!(out.status.code(), Some(124));
    assert!(stdout(&out).contains("status=running"));
    // The launcher's own status file is enough to tell the outcome (derived, not written).
    repo.write(
        &format!("{SUP}/runs/{RUN}/launcher-status.json"),
        r#"{"exitCode":5,"completedAt":"2026-11-24T10:01:00.000Z"}"#,
    );
    let out = repo.wave(&["wait", "--run-id", RUN, "--json"]);
    assert_eq!(out.status.code(), Some(5));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["derivedFrom"], "launcher-status");
    assert!(repo
        .read(&format!("{SUP}/runs/{RUN}/state.json"))
        .contains("\"running\""));
}

#[test]
fn wait_returns_promptly_after_the_terminal_state_is_written() {
    let repo = repo_with(&state("running", ""));
    let mut child = repo
        .command(&["wait", "--run-id", RUN, "--timeout-seconds", "60"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Give `wait` time to read the running state and start watching.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline
        && !std::fs::read_to_string(format!("/proc/{}/stat", child.id()))
            .is_ok_and(|s| s.contains(") S "))
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let path = repo.path(&format!("{SUP}/runs/{RUN}/state.json"));
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, state("completed", r#","exitCode":0"#)).unwrap();
    let written = Instant::now();
    std::fs::rename(&tmp, &path).unwrap();
    let status = child.wait().unwrap();
    let took = written.elapsed();
    assert!(status.success());
    assert!(
        took < Duration::from_millis(500),
        "wait took {took:?} after the write"
    );
}

#[test]
fn attach_prints_a_finished_agents_log_and_rejects_unknowns() {
    let repo = repo_with(&state("completed", r#","exitCode":0"#));
    // attach prints only logs of the lane's logs/ directory.
    let log = repo.path(".tmp/main-wave-launcher/logs/agent.log");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(&log, "line one\nline two\n").unwrap();
    let status = repo.path("agent.status");
    std::fs::write(&status, r#"{"code":0,"attempt":1,"completedAt":"x"}"#).unwrap();
    repo.write(
        &format!("{SUP}/runs/{RUN}/agents/A1.runtime.json"),
        &format!(
            r#"{{"runId":"{RUN}","lane":"main","waveNumber":0,"attempt":1,"agentId":"A1","sessionName":null,
            "tmuxSessionName":null,"sessionBackend":"process","attachMode":"log-tail","runnerPid":null,
            "executorPid":null,"pid":null,"pgid":null,"startedAt":"x","lastHeartbeatAt":"x",
            "statusPath":"{}","logPath":"{}","exitCode":0,"exitReason":"completed","terminalDisposition":"completed"}}"#,
            status.display(),
            log.display()
        ),
    );
    let out = repo.wave(&["attach", "--run-id", RUN, "--agent", "A1"]);
    assert_success(&out, "attach");
    assert_eq!(stdout(&out), "line one\nline two\n");
    let out = repo.wave(&["attach", "--run-id", RUN, "--agent", "A7"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("No runtime record found for agent A7."));
    let out = repo.wave(&["attach", "--run-id", RUN]);
    assert!(stderr(&out).contains("Specify exactly one of --agent <id> or --dashboard"));
    let out = repo.wave(&["status", "--run-id", "run-1795465381487-00000000"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Run run-1795465381487-00000000 not found."));
    let out = repo.wave(&["status", "--run-id", "../../etc"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--run-id"), "{}", stderr(&out));
    let dash = repo.wave(&["attach", "--run-id", RUN, "--dashboard"]);
    assert_success(&dash, "dashboard");
    assert!(stdout(&dash).contains("A1"), "{}", stdout(&dash));
}

#[test]
fn attach_follows_a_live_agent_until_it_ends() {
    let repo = TestRepo::initialised();
    let out = repo
        .command(&["submit", "--agent-launch-stagger-ms", "0", "--json"])
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", "1500")
        .output()
        .unwrap();
    assert_success(&out, "submit");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = v["runId"].as_str().unwrap().to_string();
    let record = repo.path(&format!("{SUP}/runs/{run}/agents/A1.runtime.json"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&record).is_ok_and(|t| t.contains("\"running\"")) {
        assert!(Instant::now() < deadline, "A1 never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = repo.wave(&["attach", "--run-id", &run, "--agent", "A1"]);
    assert_success(&out, "attach --agent A1");
    assert!(
        stdout(&out).contains("finished with code 0"),
        "attach returns once the agent has ended, with its last line: {}",
        stdout(&out)
    );
    let out = repo.wave(&["wait", "--run-id", &run, "--timeout-seconds", "60"]);
    assert_success(&out, "wait");
    let _ = std::process::Command::new("pkill")
        .args(["-9", "-f", &repo.root().to_string_lossy()])
        .status();
}
