//! Regression tests for the defects adversarial testing found (one test per defect, named after
//! it): a crashed daemon replaced by the next client, agent ids that would share files, one
//! validation path for submit and launch, no partial runs, no panics on closed pipes or huge
//! numbers, no writes through symbolic links, owner-only state.

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use crate::support::{assert_success, stderr, stdout, TestRepo};

const SUP: &str = ".tmp/main-wave-launcher/control/supervisor";

fn submit_json(repo: &TestRepo, extra: &[&str]) -> String {
    let mut args = vec!["submit", "--agent-launch-stagger-ms", "0", "--json"];
    args.extend_from_slice(extra);
    let out = repo.wave(&args);
    assert_success(&out, "wave submit");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runId"].as_str().unwrap().to_string()
}

fn lease_pid(repo: &TestRepo) -> i32 {
    let v: Value = serde_json::from_str(&repo.read(&format!("{SUP}/daemon.lock"))).unwrap();
    v["pid"].as_i64().unwrap() as i32
}

fn runs(repo: &TestRepo) -> Vec<String> {
    std::fs::read_dir(repo.path(&format!("{SUP}/runs")))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn defect_1_a_crashed_daemon_is_replaced_by_the_next_submit() {
    let repo = TestRepo::initialised();
    let first = submit_json(&repo, &[]);
    let out = repo.wave(&["wait", "--run-id", &first, "--timeout-seconds", "60"]);
    assert_success(&out, "first run");
    let pid = lease_pid(&repo);
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    // Its lease record still looks fresh; the kernel lock is what counts.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{pid}/stat")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = submit_json(&repo, &[]);
    let out = repo.wave(&["wait", "--run-id", &second, "--timeout-seconds", "60"]);
    assert_success(&out, "a run submitted after the daemon's crash completes");
    assert_ne!(lease_pid(&repo), pid, "a new daemon serves the lane");
}

#[test]
fn defect_1_and_4_wait_starts_a_daemon_when_none_serves_the_lane() {
    let repo = TestRepo::initialised();
    let run = submit_json(&repo, &["--no-daemon"]);
    let out = repo.wave(&["wait", "--run-id", &run, "--timeout-seconds", "60"]);
    assert_success(&out, "wait on a run nobody serves");
    assert!(
        stderr(&out).contains("started a new daemon"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn defect_4_wait_exits_69_when_no_daemon_can_start() {
    let repo = TestRepo::initialised();
    let run = submit_json(&repo, &["--no-daemon"]);
    std::fs::create_dir(repo.path(&format!("{SUP}/daemon.log"))).unwrap();
    let out = repo.wave(&["wait", "--run-id", &run, "--timeout-seconds", "60"]);
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no daemon serves lane main"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn defect_4_a_submit_that_cannot_start_a_daemon_leaves_no_run_behind() {
    let repo = TestRepo::initialised();
    std::fs::create_dir_all(repo.path(&format!("{SUP}/daemon.log"))).unwrap();
    let out = repo.wave(&["submit", "--agent-launch-stagger-ms", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("daemon.log"), "{}", stderr(&out));
    assert_eq!(runs(&repo), Vec::<String>::new(), "no run stays queued");
}

fn rename_agent(repo: &TestRepo, from: &str, to: &str) {
    let path = "docs/plans/waves/wave-0.md";
    let text = repo
        .read(path)
        .replace(&format!("## Agent {from}:"), &format!("## Agent {to}:"));
    repo.write(path, &text);
}

#[test]
fn defect_2_agent_ids_differing_only_in_case_are_rejected_everywhere() {
    let repo = TestRepo::initialised();
    rename_agent(&repo, "A1", "a8");
    for args in [
        vec!["doctor"],
        vec!["launch", "--dry-run"],
        vec!["launch", "--agent-launch-stagger-ms", "0"],
        vec!["submit", "--no-daemon"],
    ] {
        let out = repo.wave(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            all.contains("agent ids a8 and A8 map to the same files"),
            "{args:?}: {all}"
        );
    }
    assert!(!repo.path(".tmp").exists(), "nothing was written");
}

#[test]
fn defect_3_submit_rejects_the_agent_ids_launch_rejects() {
    for bad in ["A/1", "../../etc", "A\u{202E}1"] {
        let repo = TestRepo::initialised();
        rename_agent(&repo, "A1", bad);
        let out = repo.wave(&["submit", "--no-daemon"]);
        assert_eq!(out.status.code(), Some(1), "{bad:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("cannot name a file"),
            "{bad:?}: {}",
            stderr(&out)
        );
        assert!(!repo.path(".tmp").exists(), "{bad:?}: nothing queued");
    }
}

#[test]
fn defect_6_a_closed_stdout_ends_readers_quietly_and_numbers_are_range_checked() {
    let repo = TestRepo::initialised();
    let run = submit_json(&repo, &[]);
    let out = repo.wave(&["wait", "--run-id", &run, "--timeout-seconds", "60"]);
    assert_success(&out, "run");
    let mut child = repo
        .command(&["status", "--run-id", &run, "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
    let out = repo.wave(&[
        "wait",
        "--run-id",
        &run,
        "--timeout-seconds",
        "18446744073709551615",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--timeout-seconds"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn defect_7_state_is_not_written_through_symlinks() {
    let repo = TestRepo::initialised();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path(".tmp/main-wave-launcher")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path(".tmp/main-wave-launcher/status"))
        .unwrap();
    let out = repo.wave(&["launch", "--agent-launch-stagger-ms", "0"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "nothing written outside the repository"
    );
}

#[test]
fn defect_11_the_state_tree_is_owner_only() {
    let repo = TestRepo::initialised();
    let out = repo.wave(&["launch", "--agent-launch-stagger-ms", "0"]);
    assert_success(&out, "launch");
    let mode = |rel: &str| {
        std::fs::metadata(repo.path(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(".tmp"), 0o700);
    assert_eq!(mode(".tmp/main-wave-launcher"), 0o700);
    // Everything else lives under the 0700 lane directory: no other user can reach it.
    let other = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "cat"])
        .arg(repo.path(".tmp/main-wave-launcher/run-state.json"))
        .output();
    if let Ok(out) = other {
        assert!(!out.status.success(), "another user read the run state");
    }
}

#[test]
fn defect_10_a_manual_relaunch_adopts_a_live_agent_instead_of_running_it_twice() {
    let repo = TestRepo::initialised();
    let count = repo.path("count.txt");
    let launch = |delay: &str| {
        let mut cmd = repo.command(&["launch", "--agent-launch-stagger-ms", "0"]);
        cmd.env("WAVE_LOCAL_EXECUTOR_DELAY_MS", delay)
            .env("WAVE_LOCAL_EXECUTOR_COUNT_FILE", &count);
        cmd
    };
    let mut first = launch("3000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let record = repo.path(".tmp/main-wave-launcher/status/wave-0-0-a1.runtime.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running = std::fs::read_to_string(&record)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|r| r["terminalDisposition"] == "running" && r["executorPid"].is_i64());
        if running {
            break;
        }
        assert!(Instant::now() < deadline, "A1 never ran");
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(10));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let out = launch("0").output().unwrap();
    assert_success(&out, "the relaunch completes");
    let runs = std::fs::read_to_string(&count).unwrap();
    let a1 = runs
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("A1"))
        .count();
    assert_eq!(a1, 1, "A1's executor ran once: {runs}");
}

fn files_containing(dir: &std::path::Path, needle: &str, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_containing(&path, needle, out);
        } else if std::fs::read(&path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
            out.push(path);
        }
    }
}

#[test]
fn defect_5_agents_get_the_submitters_credentials_not_the_daemons() {
    let repo = TestRepo::initialised();
    let probe = repo.path("probe");
    std::fs::create_dir(&probe).unwrap();
    let submit = |key: &str| {
        let out = repo
            .command(&["submit", "--agent-launch-stagger-ms", "0", "--json"])
            .env("WAVE_PASS_ENV", "DEMO_API_KEY")
            .env("DEMO_API_KEY", key)
            .env("WAVE_LOCAL_EXECUTOR_PROBE_DIR", &probe)
            .output()
            .unwrap();
        assert_success(&out, "submit");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["runId"].as_str().unwrap().to_string()
    };
    // The first submit starts the daemon with the old key in its environment.
    let first = submit("old-key-1111");
    assert_success(
        &repo.wave(&["wait", "--run-id", &first, "--timeout-seconds", "60"]),
        "first run",
    );
    let second = submit("rotated-key-2222");
    assert_success(
        &repo.wave(&["wait", "--run-id", &second, "--timeout-seconds", "60"]),
        "second run",
    );
    // A1 is reused from the first run (same prompt); closure agents always run.
    let env = std::fs::read_to_string(probe.join("A0.env")).unwrap();
    assert!(
        env.lines().any(|l| l == "DEMO_API_KEY=rotated-key-2222"),
        "the agent saw: {}",
        env.lines()
            .filter(|l| l.starts_with("DEMO_"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The run's secret file goes once the daemon records the end (`wait` may have returned on
    // the launcher's own status a moment earlier); then no file of the state tree holds it.
    let secret_file = repo.path(&format!("{SUP}/secrets/{second}.json"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while secret_file.exists() {
        assert!(
            Instant::now() < deadline,
            "the secret file outlived its run"
        );
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut leaks = Vec::new();
    files_containing(&repo.path(".tmp"), "rotated-key-2222", &mut leaks);
    assert_eq!(leaks, Vec::<std::path::PathBuf>::new());
    let secrets = repo.path(&format!("{SUP}/secrets"));
    assert_eq!(
        std::fs::metadata(&secrets).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn defect_9_an_idle_daemon_opens_no_state_of_a_terminal_run() {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let repo = TestRepo::initialised();
    let mut dirs = Vec::new();
    for i in 0..200u32 {
        let id = format!("run-17954653{i:05}-{i:08x}");
        let state = serde_json::json!({
            "runId": id, "project": "default", "lane": "main", "adhocRunId": null,
            "status": "completed", "exitCode": 0, "terminalDisposition": "completed",
            "launcherArgs": [], "submittedAt": "2026-11-24T10:00:00.000Z",
            "completedAt": "2026-11-24T10:01:00.000Z"
        });
        repo.write(&format!("{SUP}/runs/{id}/state.json"), &state.to_string());
        dirs.push(repo.path(&format!("{SUP}/runs/{id}")));
    }
    let mut daemon = repo
        .command(&["supervise", "--poll-ms", "20"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let it serve a few passes, then count opens over many fallback passes.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !repo.wave(&["health"]).status.success() {
        assert!(Instant::now() < deadline, "daemon never served");
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(10));
    }
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).unwrap();
    for dir in &dirs {
        inotify.add_watch(dir, AddWatchFlags::IN_OPEN).unwrap();
    }
    // 25 fallback passes at 20 ms.
    let until = Instant::now() + Duration::from_millis(500);
    let mut opens = 0;
    while Instant::now() < until {
        if let Ok(events) = inotify.read_events() {
            opens += events.len();
        }
        // The poll interval of this measurement loop, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(10));
    }
    if let Ok(events) = inotify.read_events() {
        opens += events.len();
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(opens, 0, "terminal runs' files opened by idle passes");
}

/// Runs `cmd` with a watchdog: a command that hangs is killed and the test fails.
fn bounded(mut cmd: std::process::Command, limit: Duration) -> std::process::Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
            panic!("command hung for {limit:?}");
        }
    }
}

#[test]
fn defect_8_edge_cases_config_fifo_broken_config_tampered_log_corrupt_run_state() {
    // A FIFO as the config is refused at once, not read forever.
    let repo = TestRepo::initialised();
    std::fs::remove_file(repo.path("wave.config.json")).unwrap();
    nix::unistd::mkfifo(
        &repo.path("wave.config.json"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    for args in [
        vec!["doctor"],
        vec!["submit", "--no-daemon"],
        vec!["launch", "--dry-run"],
    ] {
        let out = bounded(repo.command(&args), Duration::from_secs(20));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("expected a regular file")
                || stdout(&out).contains("expected a regular file"),
            "{args:?}: {}",
            stderr(&out)
        );
    }

    // A broken config: submit warns exactly as launch does.
    let repo = TestRepo::initialised();
    repo.write("wave.config.json", "{ broken");
    let launch = repo.wave(&["launch", "--dry-run"]);
    let submit = repo.wave(&["submit", "--no-daemon"]);
    let warning = |out: &std::process::Output| {
        stderr(out)
            .lines()
            .find(|l| l.contains("warning: wave.config.json"))
            .map(str::to_owned)
    };
    assert!(warning(&launch).is_some(), "{}", stderr(&launch));
    assert_eq!(warning(&submit), warning(&launch));

    // attach prints only logs of the lane's logs/ directory.
    let repo = TestRepo::initialised();
    let run = submit_json(&repo, &[]);
    assert_success(
        &repo.wave(&["wait", "--run-id", &run, "--timeout-seconds", "60"]),
        "run",
    );
    let record = repo.path(&format!("{SUP}/runs/{run}/agents/A1.runtime.json"));
    let mut r: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    r["logPath"] = Value::String("/etc/passwd".into());
    std::fs::write(&record, r.to_string()).unwrap();
    let out = repo.wave(&["attach", "--run-id", &run, "--agent", "A1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stdout(&out).contains("root:"), "printed /etc/passwd");
    assert!(
        stderr(&out).contains("refusing to print"),
        "{}",
        stderr(&out)
    );

    // A corrupt run-state.json is moved aside and rebuilt by --reconcile-status.
    let state = repo.path(".tmp/main-wave-launcher/run-state.json");
    std::fs::write(&state, "{ not json").unwrap();
    let out = repo.wave(&["launch", "--reconcile-status"]);
    assert_success(&out, "reconcile-status");
    let rebuilt: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert!(rebuilt.is_object());
    let aside = std::fs::read_dir(state.parent().unwrap())
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().contains("corrupt"));
    assert!(aside, "the corrupt file is kept aside");
}

#[test]
fn an_unwritable_repository_is_reported_before_any_agent_starts() {
    let repo = TestRepo::initialised();
    // The repository belongs to root (0755); the commands run as nobody.
    let as_nobody = |args: &[&str]| {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(crate::support::wave_bin())
            .args(args)
            .current_dir(repo.root())
            .env_remove("WAVE_REPO_ROOT")
            .output()
            .unwrap()
    };
    for args in [
        vec!["doctor"],
        vec!["submit", "--no-daemon"],
        vec!["launch", "--agent-launch-stagger-ms", "0"],
    ] {
        let out = as_nobody(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(all.contains("not writable"), "{args:?}: {all}");
    }
    assert!(!repo.path(".tmp").exists(), "nothing written");
}

#[test]
fn supervise_once_exits_with_the_worst_run_it_drove() {
    let repo = TestRepo::initialised();
    let out = repo
        .command(&[
            "submit",
            "--no-daemon",
            "--agent-launch-stagger-ms",
            "0",
            "--max-retries-per-wave",
            "0",
        ])
        .output()
        .unwrap();
    assert_success(&out, "submit");
    let out = repo
        .command(&["supervise", "--once", "--poll-ms", "50"])
        .env("WAVE_LOCAL_EXECUTOR_FAIL_AGENTS", "A1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed run makes --once exit non-zero"
    );
    let out = repo
        .command(&["submit", "--no-daemon", "--agent-launch-stagger-ms", "0"])
        .output()
        .unwrap();
    assert_success(&out, "submit");
    let out = repo.wave(&["supervise", "--once", "--poll-ms", "50"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
