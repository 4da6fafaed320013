//! `wave health` follows the daemon (0 serving, 1 stopped) and `wave runs` lists a lane's runs.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{assert_success, stdout, TestRepo};

#[test]
fn health_follows_the_daemon_and_runs_lists_the_lanes_runs() {
    let repo = TestRepo::initialised();
    let out = repo.wave(&["health"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("unhealthy"));
    let out = repo.wave(&["runs", "--json"]);
    assert_success(&out, "runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["runs"], serde_json::json!([]));

    let mut ids = Vec::new();
    for _ in 0..2 {
        let out = repo.wave(&[
            "submit",
            "--agent-launch-stagger-ms",
            "0",
            "--no-daemon",
            "--json",
        ]);
        assert_success(&out, "submit");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        ids.push(v["runId"].as_str().unwrap().to_string());
    }
    let mut daemon = repo
        .command(&["supervise", "--poll-ms", "100"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = repo.wave(&["health", "--json"]);
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["healthy"], true);
            assert_eq!(v["daemon"]["state"], "serving");
            assert_eq!(v["daemon"]["pid"], daemon.id());
            break;
        }
        assert!(Instant::now() < deadline, "health never turned 0");
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(20));
    }
    for id in &ids {
        assert_success(
            &repo.wave(&["wait", "--run-id", id, "--timeout-seconds", "60"]),
            "wait",
        );
    }
    let out = repo.wave(&["runs", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&str> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut got = listed.clone();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected, "every run listed once");
    for r in v["runs"].as_array().unwrap() {
        assert_eq!(r["status"], "completed", "{r}");
        assert_eq!(r["exitCode"], 0);
        assert!(r["submittedAt"].is_string() && r["completedAt"].is_string());
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    daemon.wait().unwrap();
    let out = repo.wave(&["health"]);
    assert_eq!(out.status.code(), Some(1), "a stopped daemon is unhealthy");
}
