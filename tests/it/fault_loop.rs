//! Fault loop: 30 iterations, each SIGKILLs the daemon, the launcher or a runner of a live run
//! at a varying point, then recovers only through a new `wave submit` (which must notice the
//! dead daemon and start one). Every run completes and no executor runs twice.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use crate::support::{assert_success, TestRepo};

const SUP: &str = ".tmp/main-wave-launcher/control/supervisor";
const DELAY_MS: u64 = 250;

fn submit(repo: &TestRepo) -> String {
    let out = repo
        .command(&["submit", "--agent-launch-stagger-ms", "0", "--json"])
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", DELAY_MS.to_string())
        .env("WAVE_LOCAL_EXECUTOR_COUNT_FILE", repo.path("count.txt"))
        .output()
        .unwrap();
    assert_success(&out, "submit");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runId"].as_str().unwrap().to_string()
}

fn read_json(path: std::path::PathBuf) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn alive(pid: i64) -> bool {
    pid > 1
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

/// The pid of the chosen victim in `run`, if it is alive now.
fn victim(repo: &TestRepo, run: &str, which: usize) -> Option<(&'static str, i64)> {
    match which {
        0 => {
            let lease = read_json(repo.path(&format!("{SUP}/daemon.lock")))?;
            Some(("daemon", lease["pid"].as_i64()?))
        }
        1 => {
            let state = read_json(repo.path(&format!("{SUP}/runs/{run}/state.json")))?;
            Some(("launcher", state["launcherPid"].as_i64()?))
        }
        _ => {
            let dir = std::fs::read_dir(repo.path(&format!("{SUP}/runs/{run}/agents"))).ok()?;
            dir.flatten().find_map(|e| {
                let r = read_json(e.path())?;
                let pid = r["runnerPid"].as_i64()?;
                (r["terminalDisposition"] == "running" && alive(pid)).then_some(("runner", pid))
            })
        }
    }
    .filter(|(_, pid)| alive(*pid))
}

fn counts(repo: &TestRepo) -> BTreeMap<String, usize> {
    crate::support::executor_runs(&repo.path("count.txt"))
}

#[test]
fn thirty_random_sigkills_recover_through_a_new_submit() {
    let mut killed = BTreeMap::<&str, usize>::new();
    for i in 0..30usize {
        let repo = TestRepo::initialised();
        let first = submit(&repo);
        // A varying point of the 4-agent run (~4 x 250 ms), and a varying victim.
        let at = Instant::now() + Duration::from_millis(((i * 389) % 1100) as u64);
        let which = i % 3;
        let mut hit = None;
        while Instant::now() < at + Duration::from_millis(800) {
            if Instant::now() >= at {
                if let Some((name, pid)) = victim(&repo, &first, which) {
                    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                    hit = Some(name);
                    break;
                }
            }
            // The poll interval of this fault injector, not a synchronisation sleep.
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Some(name) = hit {
            *killed.entry(name).or_default() += 1;
        }
        // Recovery only through a new submit (which starts a daemon if the old one died).
        let second = submit(&repo);
        for run in [&first, &second] {
            // A waiter that finds no daemon starts one with its own environment: give it the
            // executor knobs too.
            let out = repo
                .command(&["wait", "--run-id", run, "--timeout-seconds", "90"])
                .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", DELAY_MS.to_string())
                .env("WAVE_LOCAL_EXECUTOR_COUNT_FILE", repo.path("count.txt"))
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "iteration {i} ({hit:?}): run {run}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let counts = counts(&repo);
        let story = || {
            [&first, &second]
                .iter()
                .map(|run| {
                    let dir = repo.path(&format!("{SUP}/runs/{run}"));
                    format!(
                        "{run} events:\n{}\nlauncher.log:\n{}",
                        std::fs::read_to_string(dir.join("events.jsonl")).unwrap_or_default(),
                        std::fs::read_to_string(dir.join("launcher.log")).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
                + &std::fs::read_to_string(repo.path("count.txt")).unwrap_or_default()
        };
        // A1 ran once (the second run reuses it); each closure agent once per run.
        assert_eq!(
            counts.get("A1"),
            Some(&1),
            "iteration {i} ({hit:?}): {counts:?}\n{}",
            story()
        );
        for agent in ["A8", "A9", "A0"] {
            assert_eq!(
                counts.get(agent),
                Some(&2),
                "iteration {i} ({hit:?}): {counts:?}\n{}",
                story()
            );
        }
    }
    assert!(
        killed.values().sum::<usize>() >= 20,
        "too few kills landed: {killed:?}"
    );
}
