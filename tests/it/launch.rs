//! Live `wave launch` of real waves with the built-in `local` executor and real detached runners.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{assert_success, stderr, stdout, TestRepo};

const STATE: &str = ".tmp/main-wave-launcher";

/// Polls `probe` until it returns `Ok`, or panics after `limit` with the last observation.
fn eventually<T>(limit: Duration, what: &str, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        let last = match probe() {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; last seen: {last}"
        );
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn status_code(repo: &TestRepo, slug: &str) -> Option<i64> {
    let text =
        std::fs::read_to_string(repo.path(&format!("{STATE}/status/wave-0-{slug}.status"))).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()?["code"].as_i64()
}

/// `(entityType, agent id or else entityId, action)` of every control-plane record of wave 0,
/// in order.
fn control_plane(repo: &TestRepo) -> Vec<(String, String, String)> {
    repo.read(&format!("{STATE}/control-plane/wave-0.jsonl"))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("control-plane JSON line");
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let agent = v["data"]["agentId"].as_str().map(str::to_owned);
            (
                s("entityType"),
                agent.unwrap_or_else(|| s("entityId")),
                s("action"),
            )
        })
        .collect()
}

fn position(events: &[(String, String, String)], agent: &str, action: &str) -> usize {
    events
        .iter()
        .position(|(t, id, a)| t == "agent_run" && id == agent && a == action)
        .unwrap_or_else(|| panic!("no agent_run {agent} {action} in {events:#?}"))
}

fn launch(repo: &TestRepo, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["launch", "--agent-launch-stagger-ms", "0"];
    args.extend_from_slice(extra);
    repo.wave(&args)
}

#[test]
fn starter_wave_completes_with_closure_agents_one_at_a_time() {
    let repo = TestRepo::initialised();
    let out = launch(&repo, &[]);
    assert_success(&out, "wave launch");
    for slug in ["0-a1", "0-a8", "0-a9", "0-a0"] {
        assert_eq!(status_code(&repo, slug), Some(0), "{slug}");
        assert!(repo
            .path(&format!("{STATE}/status/wave-0-{slug}.summary.json"))
            .is_file());
    }
    let events = control_plane(&repo);
    // A1 finishes before the sweep; each closure agent starts only after the previous ended.
    assert!(position(&events, "A1", "completed") < position(&events, "A8", "started"));
    assert!(position(&events, "A8", "completed") < position(&events, "A9", "started"));
    assert!(position(&events, "A9", "completed") < position(&events, "A0", "started"));
    assert!(repo
        .read("docs/plans/waves/reviews/wave-0-cont-qa.md")
        .contains("Verdict: PASS"));
    assert!(
        !repo.path(&format!("{STATE}/launcher.lock")).exists(),
        "lock released and removed"
    );
    assert!(
        stdout(&out).contains("wave 0: Completed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_executor_exiting_3_is_recorded_as_3_and_fails_the_wave() {
    let repo = TestRepo::initialised();
    let out = repo
        .command(&[
            "launch",
            "--agent-launch-stagger-ms",
            "0",
            "--max-retries-per-wave",
            "0",
        ])
        .env("WAVE_LOCAL_EXECUTOR_FAIL_AGENTS", "A1:3")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        status_code(&repo, "0-a1"),
        Some(3),
        "upstream v0.9.1 records 0 here"
    );
    assert_eq!(
        status_code(&repo, "0-a8"),
        None,
        "no closure agent after a failed implementation"
    );
}

#[test]
fn a_closure_gap_at_a8_is_forwarded_and_later_stages_still_run() {
    let repo = TestRepo::initialised();
    let out = repo
        .command(&[
            "launch",
            "--agent-launch-stagger-ms",
            "0",
            "--max-retries-per-wave",
            "0",
        ])
        .env("WAVE_LOCAL_EXECUTOR_FAIL_AGENTS", "A8")
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(0),
        "a forwarded gap never lets the wave complete"
    );
    assert_eq!(status_code(&repo, "0-a9"), Some(0), "A9 still ran");
    assert_eq!(status_code(&repo, "0-a0"), Some(0), "A0 still ran");
    let coordination = repo.read(&format!("{STATE}/coordination/wave-0.jsonl"));
    let blocker: serde_json::Value = coordination
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["id"] == "wave-0-closure-gap-integration-A8-attempt-1")
        .unwrap_or_else(|| panic!("no closure-gap blocker in {coordination}"));
    assert_eq!(blocker["blockerSeverity"], "closure-critical");
    assert_eq!(
        blocker["targets"],
        serde_json::json!(["agent:A9", "agent:A0"])
    );
}

#[test]
fn a_second_launcher_on_the_lane_exits_32() {
    let repo = TestRepo::initialised();
    let mut first = repo
        .command(&["launch", "--agent-launch-stagger-ms", "0"])
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", "60000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = repo.path(&format!("{STATE}/launcher.lock"));
    eventually(Duration::from_secs(20), "the first launcher's lock", || {
        let text = std::fs::read_to_string(&lock).map_err(|e| e.to_string())?;
        text.contains("\"pid\"").then_some(()).ok_or(text)
    });
    let second = launch(&repo, &[]);
    assert_eq!(second.status.code(), Some(32), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("launcher.lock"),
        "{}",
        stderr(&second)
    );
    let _ = first.kill();
    let _ = first.wait();
    kill_runners(&repo);
}

#[test]
fn kill_9_of_the_launcher_leaves_runners_to_finish_and_record_status() {
    let repo = TestRepo::initialised();
    let release = repo.path("release");
    // The fake codex blocks until the test creates `release`, then exits 0 with valid markers.
    let bin = repo.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let codex = bin.join("codex");
    std::fs::write(
        &codex,
        format!(
            "#!/bin/bash\ncat > /dev/null\nwhile [ ! -e '{}' ]; do sleep 0.05; done\n\
             mkdir -p src && echo done > src/hello.md\n\
             echo '[wave-proof] completion=contract durability=none proof=unit state=met detail=fake'\n\
             echo '[wave-doc-delta] state=owned paths=src/hello.md detail=fake'\n",
            release.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&codex, std::fs::Permissions::from_mode(0o755)).unwrap();
    let wave = repo.read("docs/plans/waves/wave-0.md").replacen(
        "### Executor\n\n- id: local",
        "### Executor\n\n- id: codex",
        1,
    );
    repo.write("docs/plans/waves/wave-0.md", &wave);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let mut launcher = repo
        .command(&["launch", "--agent-launch-stagger-ms", "0"])
        .env("PATH", &path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let runtime = repo.path(&format!("{STATE}/status/wave-0-0-a1.runtime.json"));
    let runner_pid = eventually(
        Duration::from_secs(20),
        "A1's runner to start the executor",
        || {
            let text = std::fs::read_to_string(&runtime).map_err(|e| e.to_string())?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            match (v["terminalDisposition"].as_str(), v["runnerPid"].as_i64()) {
                (Some("running"), Some(pid)) => Ok(pid),
                _ => Err(text),
            }
        },
    );
    Command::new("kill")
        .args(["-9", &launcher.id().to_string()])
        .status()
        .unwrap();
    let _ = launcher.wait();
    assert!(
        Path::new(&format!("/proc/{runner_pid}")).exists(),
        "the runner outlived the launcher"
    );

    std::fs::write(&release, "").unwrap();
    eventually(Duration::from_secs(20), "A1's status file", || {
        status_code(&repo, "0-a1").ok_or_else(|| "no status".to_string())
    });
    assert_eq!(status_code(&repo, "0-a1"), Some(0));
    eventually(Duration::from_secs(20), "the runner to exit", || {
        let alive = std::fs::read_to_string(format!("/proc/{runner_pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false);
        if alive {
            Err(format!("runner {runner_pid} still alive"))
        } else {
            Ok(())
        }
    });
    let log = repo.read(&format!("{STATE}/logs/wave-0-0-a1.log"));
    assert!(log.contains("[wave-proof] completion=contract"), "{log}");
    assert!(log.contains("finished with code 0"), "{log}");

    // A relaunch reuses A1 (same prompt, code 0) and runs only the closure agents.
    let out = repo
        .command(&["launch", "--agent-launch-stagger-ms", "0"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_success(&out, "relaunch after the crash");
    let events = control_plane(&repo);
    let a1_starts = events
        .iter()
        .filter(|(t, id, a)| t == "agent_run" && id == "A1" && a == "started")
        .count();
    assert_eq!(a1_starts, 1, "A1 ran exactly once: {events:#?}");
}

#[test]
fn a_timeout_kills_the_agent_and_queues_recovery_with_exit_43() {
    let repo = TestRepo::initialised();
    let out = repo
        .command(&[
            "launch",
            "--agent-launch-stagger-ms",
            "0",
            "--max-retries-per-wave",
            "0",
            "--agent-timeout-seconds",
            "1",
        ])
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", "60000")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(43),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let code = status_code(&repo, "0-a1").expect("status written after the kill");
    assert!(code == 143 || code == 137, "killed by the timeout: {code}");
    // The recovery is queued as upstream queues it: a one-shot retry override selecting A1,
    // announced by a rerun request that the `wave_run blocked` event names.
    let request: serde_json::Value =
        serde_json::from_str(&repo.read(&format!("{STATE}/control/retry-override-wave-0.json")))
            .unwrap();
    assert_eq!(request["kind"], "wave-retry-override");
    assert_eq!(request["selectedAgentIds"], serde_json::json!(["A1"]));
    assert_eq!(request["applyOnce"], true);
    let control = repo.read(&format!("{STATE}/control-plane/wave-0.jsonl"));
    let blocked = control
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["entityType"] == "wave_run" && v["action"] == "blocked")
        .expect("wave_run blocked");
    assert_eq!(blocked["data"]["rerunRequestId"], request["requestId"]);
    assert_eq!(blocked["data"]["recoverable"], true);
}

/// Kills any runner still alive in `repo` (after a test that leaves agents running).
fn kill_runners(repo: &TestRepo) {
    let Ok(entries) = std::fs::read_dir(repo.path(&format!("{STATE}/status"))) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        // Never -0 or -1 (`kill -KILL -1` is every process this user may signal).
        if let Some(pgid) = v["pgid"].as_i64().filter(|&p| p > 1) {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{pgid}")])
                .status();
        }
        if let Some(pid) = v["runnerPid"].as_i64().filter(|&p| p > 1) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

#[test]
fn run_state_envelopes_reconcile_and_auto_next() {
    let repo = TestRepo::initialised();
    // Before any run: reconciliation records the never-run wave as blocked and starts nothing.
    let out = repo.wave(&["launch", "--reconcile-status"]);
    assert_success(&out, "--reconcile-status");
    assert!(
        stdout(&out).contains("wave 0 blocked: missing-status"),
        "{}",
        stdout(&out)
    );
    assert!(!repo
        .path(&format!("{STATE}/status/wave-0-0-a1.status"))
        .exists());

    assert_success(&launch(&repo, &["--auto-next"]), "launch --auto-next");
    let state: serde_json::Value =
        serde_json::from_str(&repo.read(&format!("{STATE}/run-state.json"))).unwrap();
    assert_eq!(state["schemaVersion"], 2);
    assert_eq!(state["kind"], "wave-run-state");
    assert_eq!(state["completedWaves"], serde_json::json!([0]));
    assert_eq!(state["waves"]["0"]["currentState"], "completed");
    let history = state["history"].as_array().unwrap();
    assert!(
        history
            .iter()
            .any(|h| h["source"] == "live-launcher" && h["reasonCode"] == "wave-complete"),
        "{history:#?}"
    );

    for agent in ["A1", "A8", "A9", "A0"] {
        let envelope: serde_json::Value = serde_json::from_str(
            &repo.read(&format!("{STATE}/results/wave-0/attempt-1/{agent}.json")),
        )
        .unwrap();
        assert_eq!(envelope["schemaVersion"], 2, "{agent}");
        assert_eq!(envelope["agentId"], agent);
    }

    let out = launch(&repo, &["--auto-next"]);
    assert_success(&out, "launch --auto-next with nothing left");
    assert!(
        stdout(&out).contains("All known waves are already marked complete"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_supervised_launch_keeps_the_progress_journal() {
    let repo = TestRepo::initialised();
    let run_id = "run-1795469121722-0000abcd";
    let out = repo
        .command(&["launch", "--agent-launch-stagger-ms", "0"])
        .env("WAVE_SUPERVISOR_RUN_ID", run_id)
        .output()
        .unwrap();
    assert_success(&out, "supervised launch");
    let journal: serde_json::Value = serde_json::from_str(&repo.read(&format!(
        "{STATE}/control/supervisor/runs/{run_id}/launcher-progress.json"
    )))
    .unwrap();
    assert_eq!(journal["runId"], run_id);
    assert_eq!(journal["waveNumber"], 0);
    assert_eq!(journal["attemptNumber"], 1);
    assert_eq!(journal["finalized"], true);
    assert_eq!(journal["finalDisposition"], "completed");
    assert_eq!(journal["exitCode"], 0);
    assert_eq!(journal["phase"], "completed");
    assert_eq!(
        journal["completedAgentIds"],
        serde_json::json!(["A1", "A8", "A9", "A0"])
    );
    // Runtime records live in the run's tree (upstream's layout) and name the run.
    let runtime: serde_json::Value = serde_json::from_str(&repo.read(&format!(
        "{STATE}/control/supervisor/runs/{run_id}/agents/A1.runtime.json"
    )))
    .unwrap();
    assert_eq!(runtime["runId"], run_id);
    assert!(!repo
        .path(&format!("{STATE}/status/wave-0-0-a1.runtime.json"))
        .exists());

    let bad = repo
        .command(&["launch"])
        .env("WAVE_SUPERVISOR_RUN_ID", "../../etc")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("WAVE_SUPERVISOR_RUN_ID"),
        "{}",
        stderr(&bad)
    );
}
