//! `wave submit` and `wave supervise` end to end: real daemons, real launchers, real runners,
//! the built-in `local` executor held open by its delay knob, and SIGKILL at several points of
//! a four-agent wave (the crash matrix).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use crate::support::{assert_success, stderr, stdout, TestRepo};

const SUP: &str = ".tmp/main-wave-launcher/control/supervisor";

/// Polls `probe` until it returns `Some`, or panics after `limit` naming `what`.
fn until<T>(limit: Duration, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A repository with the starter wave (A1, then A8 → A9 → A0), agents held open `delay_ms`
/// each and counted in `count.txt`; kills every process it started when dropped.
struct Lab {
    repo: TestRepo,
    delay_ms: u64,
    daemons: Vec<Child>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for d in &mut self.daemons {
            let _ = d.kill();
            let _ = d.wait();
        }
        // Launchers, runners and executors of this repository (their argv names it).
        let _ = Command::new("pkill")
            .args(["-9", "-f", &self.repo.root().to_string_lossy()])
            .status();
    }
}

impl Lab {
    fn new(delay_ms: u64) -> Lab {
        Lab {
            repo: TestRepo::initialised(),
            delay_ms,
            daemons: Vec::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.repo.command(args);
        cmd.env("WAVE_LOCAL_EXECUTOR_DELAY_MS", self.delay_ms.to_string())
            .env(
                "WAVE_LOCAL_EXECUTOR_COUNT_FILE",
                self.repo.path("count.txt"),
            );
        cmd
    }

    /// Queues the starter wave without starting a daemon; returns the run id.
    fn submit(&self) -> String {
        let out = self
            .command(&[
                "submit",
                "--agent-launch-stagger-ms",
                "0",
                "--no-daemon",
                "--json",
            ])
            .output()
            .unwrap();
        assert_success(&out, "wave submit");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["runId"].as_str().unwrap().to_string()
    }

    /// Starts `wave supervise` (fast poll, short lease) with stderr in `daemon-<n>.err`.
    fn daemon(&mut self, extra: &[&str]) -> u32 {
        let log = std::fs::File::create(
            self.repo
                .path(&format!("daemon-{}.err", self.daemons.len())),
        )
        .unwrap();
        let mut args = vec!["supervise", "--poll-ms", "100", "--lease-ms", "600"];
        args.extend_from_slice(extra);
        let child = self
            .command(&args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let pid = child.id();
        self.daemons.push(child);
        pid
    }

    fn daemon_err(&self, n: usize) -> String {
        std::fs::read_to_string(self.repo.path(&format!("daemon-{n}.err"))).unwrap_or_default()
    }

    fn state(&self, run: &str) -> Value {
        serde_json::from_str(&self.repo.read(&format!("{SUP}/runs/{run}/state.json"))).unwrap()
    }

    fn events(&self, run: &str) -> Vec<Value> {
        self.repo
            .read(&format!("{SUP}/runs/{run}/events.jsonl"))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn lease(&self) -> Option<Value> {
        serde_json::from_str(
            &std::fs::read_to_string(self.repo.path(&format!("{SUP}/daemon.lock"))).ok()?,
        )
        .ok()
    }

    fn runtime(&self, run: &str, agent: &str) -> Option<Value> {
        let text = std::fs::read_to_string(
            self.repo
                .path(&format!("{SUP}/runs/{run}/agents/{agent}.runtime.json")),
        )
        .ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Waits until `agent`'s executor is running in `run`; returns its runtime record.
    fn running(&self, run: &str, agent: &str) -> Value {
        until(Duration::from_secs(30), &format!("{agent} running"), || {
            self.runtime(run, agent)
                .filter(|r| r["terminalDisposition"] == "running" && r["executorPid"].is_i64())
        })
    }

    fn terminal(&self, run: &str) -> Value {
        until(Duration::from_secs(60), "a terminal run state", || {
            let s = self.state(run);
            matches!(s["status"].as_str(), Some("completed" | "failed")).then_some(s)
        })
    }

    /// How many times each agent's executor ran.
    fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for line in std::fs::read_to_string(self.repo.path("count.txt"))
            .unwrap_or_default()
            .lines()
        {
            let agent = line.split_whitespace().nth(1).unwrap_or("?").to_string();
            *out.entry(agent).or_default() += 1;
        }
        out
    }

    fn assert_each_ran_once(&self) {
        let counts = self.counts();
        for agent in ["A1", "A8", "A9", "A0"] {
            assert_eq!(
                counts.get(agent),
                Some(&1),
                "{agent} executor runs: {counts:?}"
            );
        }
    }
}

fn sigkill(pid: i64) {
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).expect("kill -9");
}

fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn submit_starts_a_daemon_that_runs_the_wave_to_completion() {
    let lab = Lab::new(0);
    let out = lab
        .command(&["submit", "--agent-launch-stagger-ms", "0", "--json"])
        .output()
        .unwrap();
    assert_success(&out, "wave submit");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = v["runId"].as_str().unwrap().to_string();
    assert!(run.starts_with("run-"), "{v}");
    assert_eq!(v["project"], "default");
    assert_eq!(v["lane"], "main");
    assert_eq!(v["adhocRunId"], Value::Null);
    assert_eq!(
        v["statePath"],
        format!("{SUP}/runs/{run}/state.json"),
        "statePath is repo-relative"
    );
    let state = lab.terminal(&run);
    assert_eq!(state["status"], "completed", "{state:#}");
    assert_eq!(state["exitCode"], 0);
    assert_eq!(state["terminalDisposition"], "completed");
    assert_eq!(state["recoveryState"], "healthy");
    assert_eq!(
        state["launcherArgs"],
        serde_json::json!(["--agent-launch-stagger-ms", "0"]),
        "launcher args are kept verbatim"
    );
    assert_eq!(state["agentRuntimeSummary"].as_array().unwrap().len(), 4);
    assert_eq!(
        types(&lab.events(&run)),
        [
            "submitted",
            "daemon-claimed",
            "launcher-started",
            "launcher-status-reconciled"
        ]
    );
    let request: Value =
        serde_json::from_str(&lab.repo.read(&format!("{SUP}/runs/{run}/request.json"))).unwrap();
    assert_eq!(request["status"], "pending");
    let status: Value = serde_json::from_str(
        &lab.repo
            .read(&format!("{SUP}/runs/{run}/launcher-status.json")),
    )
    .unwrap();
    assert_eq!(status["exitCode"], 0);
    assert!(lab
        .repo
        .read(&format!("{SUP}/runs/{run}/launcher.log"))
        .contains("wave 0"));
}

#[test]
fn submit_rejects_bad_flags_and_bad_waves_before_queueing_anything() {
    let lab = Lab::new(0);
    let out = lab
        .command(&["submit", "--start-wave", "7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = lab
        .command(&["submit", "--agent-rate-limit-max-delay-seconds", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--agent-rate-limit-max-delay-seconds"));
    let wave = lab.repo.path("docs/plans/waves/wave-0.md");
    let text = std::fs::read_to_string(&wave).unwrap();
    std::fs::write(&wave, text.replace("## Agent A0", "## Agent Z0")).unwrap();
    let out = lab.command(&["submit"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("wave-0.md"), "{}", stderr(&out));
    assert!(
        !lab.repo.path(&format!("{SUP}/runs")).exists(),
        "nothing may be queued"
    );
}

#[test]
fn supervise_once_drains_an_empty_queue_and_a_second_daemon_defers_to_the_first() {
    let mut lab = Lab::new(0);
    let out = lab.command(&["supervise", "--once"]).output().unwrap();
    assert_success(&out, "supervise --once");
    let lease = lab.lease().expect("lease record");
    assert!(
        lease["leaseExpiresMs"].as_u64().unwrap() <= now_ms(),
        "a drained daemon releases its lease: {lease}"
    );
    let pid = lab.daemon(&[]);
    until(Duration::from_secs(10), "the first daemon's lease", || {
        lab.lease().filter(|l| l["pid"] == pid)
    });
    let out = lab.command(&["supervise", "--once"]).output().unwrap();
    assert_success(&out, "second daemon");
    assert!(
        stdout(&out).contains("daemon already running for default/main"),
        "{}",
        stdout(&out)
    );
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn killing_the_launcher_mid_agent_resumes_it_and_adopts_the_live_agent() {
    let mut lab = Lab::new(1500);
    let run = lab.submit();
    lab.daemon(&[]);
    lab.running(&run, "A1");
    let launcher = lab.state(&run)["launcherPid"].as_i64().unwrap();
    sigkill(launcher);
    let state = lab.terminal(&run);
    assert_eq!(state["status"], "completed", "{state:#}");
    assert_eq!(state["resumeAttempts"], 1);
    let events = lab.events(&run);
    assert!(events
        .iter()
        .any(|e| e["type"] == "launcher-started" && e["resumed"] == true));
    assert!(events.iter().any(
        |e| e["type"] == "agent-runtime-adopted" && e["agentIds"] == serde_json::json!(["A1"])
    ));
    lab.assert_each_ran_once();
    let control = lab
        .repo
        .read(".tmp/main-wave-launcher/control-plane/wave-0.jsonl");
    assert!(
        control.contains("\"adopted\""),
        "A1 was re-attached, not restarted"
    );
}

#[test]
fn killing_the_launcher_during_the_closure_sweep_keeps_every_agent_to_one_run() {
    let mut lab = Lab::new(700);
    let run = lab.submit();
    lab.daemon(&[]);
    lab.running(&run, "A9");
    sigkill(lab.state(&run)["launcherPid"].as_i64().unwrap());
    let state = lab.terminal(&run);
    assert_eq!(state["status"], "completed", "{state:#}");
    lab.assert_each_ran_once();
}

#[test]
fn killing_the_daemon_leaves_the_run_to_a_new_daemon_that_adopts_it() {
    let mut lab = Lab::new(1000);
    let run = lab.submit();
    lab.daemon(&[]);
    lab.running(&run, "A1");
    let first = lab.state(&run)["supervisorId"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = lab.daemons[0].kill();
    let _ = lab.daemons[0].wait();
    lab.daemon(&[]);
    let state = lab.terminal(&run);
    assert_eq!(state["status"], "completed", "{state:#}");
    assert_ne!(state["supervisorId"], first.as_str());
    assert_eq!(
        state["resumeAttempts"], 0,
        "the launcher survived the daemon"
    );
    assert!(types(&lab.events(&run)).contains(&"daemon-adopted".to_string()));
    lab.assert_each_ran_once();
}

#[test]
fn killing_daemon_and_launcher_together_resumes_under_a_new_daemon() {
    let mut lab = Lab::new(1500);
    let run = lab.submit();
    lab.daemon(&[]);
    lab.running(&run, "A1");
    let launcher = lab.state(&run)["launcherPid"].as_i64().unwrap();
    let _ = lab.daemons[0].kill();
    sigkill(launcher);
    let _ = lab.daemons[0].wait();
    lab.daemon(&[]);
    let state = lab.terminal(&run);
    assert_eq!(state["status"], "completed", "{state:#}");
    assert_eq!(state["resumeAttempts"], 1);
    lab.assert_each_ran_once();
}

#[test]
fn killing_a_runner_lets_its_executor_finish_and_the_status_is_not_lost() {
    let mut lab = Lab::new(1500);
    let run = lab.submit();
    lab.daemon(&[]);
    let record = lab.running(&run, "A1");
    sigkill(record["runnerPid"].as_i64().unwrap());
    let state = lab.terminal(&run);
    assert_eq!(state["status"], "completed", "{state:#}");
    lab.assert_each_ran_once();
    let status: Value = serde_json::from_str(
        &lab.repo
            .read(".tmp/main-wave-launcher/status/wave-0-0-a1.status"),
    )
    .unwrap();
    assert_eq!(status["code"], 0);
    assert!(lab
        .repo
        .read(".tmp/main-wave-launcher/logs/wave-0-0-a1.log")
        .contains("adopted after its runner was lost"));
}

#[test]
fn two_daemons_one_lease_handover_on_death_and_a_stopped_holder_is_fenced() {
    let mut lab = Lab::new(0);
    let a = lab.daemon(&["--standby"]);
    until(Duration::from_secs(10), "daemon A's lease", || {
        lab.lease().filter(|l| l["pid"] == a)
    });
    let b = lab.daemon(&["--standby"]);
    // B waits while A renews: two renewals later A still holds the lease.
    let beat = lab.lease().unwrap()["heartbeatAt"].clone();
    until(Duration::from_secs(10), "two renewals by A", || {
        let l = lab.lease()?;
        (l["heartbeatAt"] != beat && l["pid"] == a).then_some(())
    });
    let beat = lab.lease().unwrap()["heartbeatAt"].clone();
    until(Duration::from_secs(10), "another renewal by A", || {
        let l = lab.lease()?;
        (l["heartbeatAt"] != beat && l["pid"] == a).then_some(())
    });
    // Killing A hands the lease to B within the lease time.
    let killed = Instant::now();
    let _ = lab.daemons[0].kill();
    let _ = lab.daemons[0].wait();
    let lease = until(Duration::from_secs(10), "B to take over", || {
        lab.lease().filter(|l| l["pid"] == b)
    });
    assert!(
        killed.elapsed() < Duration::from_millis(1500),
        "{:?}",
        killed.elapsed()
    );
    assert_eq!(lease["epoch"], 2);

    // A third daemon (C) stands by; B is stopped; C takes over by lease expiry.
    let c = lab.daemon(&["--standby"]);
    kill(Pid::from_raw(b as i32), Signal::SIGSTOP).unwrap();
    let lease = until(
        Duration::from_secs(10),
        "C to take over from stopped B",
        || lab.lease().filter(|l| l["pid"] == c),
    );
    assert_eq!(lease["epoch"], 3);
    let run = lab.submit();
    let state = until(Duration::from_secs(30), "C to finish the run", || {
        let s = lab.state(&run);
        (s["status"] == "completed").then_some(s)
    });
    assert_eq!(state["supervisorId"], lease["supervisorId"]);
    kill(Pid::from_raw(b as i32), Signal::SIGCONT).unwrap();
    // Bounded: a resumed holder that never notices its takeover fails the test, not the suite.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = lab.daemons[1].try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let wchan = std::fs::read_to_string(format!("/proc/{b}/wchan")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{b}/stat")).unwrap_or_default();
            panic!(
                "the resumed holder did not exit within 30 s (wchan {wchan:?}, stat {stat:?}): {}",
                lab.daemon_err(1)
            );
        }
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(3), "{}", lab.daemon_err(1));
    assert!(
        lab.daemon_err(1).contains("taken over"),
        "{}",
        lab.daemon_err(1)
    );
    // Nothing B could have written: every event of the run names C.
    for e in lab.events(&run) {
        if let Some(id) = e.get("supervisorId") {
            assert_eq!(id, &lease["supervisorId"], "{e}");
        }
    }
    assert_eq!(lab.lease().unwrap()["pid"], c);
}

#[test]
fn fifty_concurrent_submits_make_fifty_runs_that_all_complete() {
    let lab = Lab::new(0);
    let children: Vec<Child> = (0..50)
        .map(|_| {
            lab.command(&["submit", "--agent-launch-stagger-ms", "0", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut runs = std::collections::BTreeSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_success(&out, "concurrent submit");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        runs.insert(v["runId"].as_str().unwrap().to_string());
    }
    assert_eq!(runs.len(), 50, "run ids must be distinct");
    let deadline = Instant::now() + Duration::from_secs(240);
    for run in &runs {
        let left = deadline.saturating_duration_since(Instant::now());
        let state = until(left, &format!("{run} to finish"), || {
            let s = lab.state(run);
            matches!(s["status"].as_str(), Some("completed" | "failed")).then_some(s)
        });
        assert_eq!(state["status"], "completed", "{state:#}");
    }
}

/// A pids cgroup (v1 or v2) we may create, or `None` (the test then says why it skips).
fn pids_cgroup(name: &str) -> Option<PathBuf> {
    for base in ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"] {
        let dir = PathBuf::from(base).join(name);
        if std::fs::create_dir(&dir).is_ok() {
            if dir.join("pids.max").exists() {
                return Some(dir);
            }
            let _ = std::fs::remove_dir(&dir);
        }
    }
    None
}

#[test]
fn a_launcher_spawn_failure_from_a_tight_pids_cgroup_is_retried_not_fatal() {
    let Some(cgroup) = pids_cgroup(&format!("wave-it-{}", std::process::id())) else {
        eprintln!("SKIP: no writable pids cgroup on this machine");
        return;
    };
    let mut lab = Lab::new(0);
    let pid = lab.daemon(&[]);
    until(Duration::from_secs(10), "the daemon's lease", || {
        lab.lease().filter(|l| l["pid"] == pid)
    });
    std::fs::write(cgroup.join("cgroup.procs"), pid.to_string()).unwrap();
    let current = std::fs::read_to_string(cgroup.join("pids.current")).unwrap();
    // No room for one more process: the launcher's fork fails with EAGAIN.
    std::fs::write(cgroup.join("pids.max"), current.trim()).unwrap();
    let run = lab.submit();
    until(Duration::from_secs(30), "a reported spawn failure", || {
        lab.daemon_err(0)
            .contains("launcher spawn failed")
            .then_some(())
    });
    assert_eq!(lab.state(&run)["status"], "pending");
    std::fs::write(cgroup.join("pids.max"), "max").unwrap();
    let state = lab.terminal(&run);
    assert_eq!(state["status"], "completed", "{state:#}");
    drop(lab);
    let _ = std::fs::remove_dir(&cgroup);
}

#[test]
fn corrupt_and_foreign_entries_are_reported_and_skipped() {
    let lab = Lab::new(0);
    let run = lab.submit();
    lab.repo
        .write(&format!("{SUP}/runs/not-a-run/state.json"), "{}");
    lab.repo.write(
        &format!("{SUP}/runs/run-1-deadbeef/state.json"),
        "{\"runId\": tor",
    );
    let out = lab
        .command(&["supervise", "--once", "--poll-ms", "50"])
        .output()
        .unwrap();
    assert_success(&out, "supervise --once");
    assert_eq!(lab.state(&run)["status"], "completed");
    let err = stderr(&out);
    assert!(err.contains("not-a-run"), "{err}");
    assert!(err.contains("run-1-deadbeef"), "{err}");
    // Prune: the terminal run goes, the foreign entries stay untouched.
    let out = lab
        .command(&["supervise", "--once", "--prune-older-than", "0s"])
        .output()
        .unwrap();
    assert_success(&out, "supervise --once --prune-older-than 0s");
    assert!(!lab.repo.path(&format!("{SUP}/runs/{run}")).exists());
    assert!(lab.repo.path(&format!("{SUP}/runs/not-a-run")).exists());
    let bad = lab
        .command(&["supervise", "--once", "--prune-older-than", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--prune-older-than"));
}

#[test]
fn an_idle_daemon_finishes_its_work_then_exits_and_releases_the_lease() {
    let lab = Lab::new(0);
    let run = lab.submit();
    let started = Instant::now();
    let out = lab
        .command(&["supervise", "--idle-exit", "1s", "--poll-ms", "100"])
        .output()
        .unwrap();
    assert_success(&out, "supervise --idle-exit 1s");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(lab.state(&run)["status"], "completed");
    assert!(stderr(&out).contains("idle; exiting"), "{}", stderr(&out));
    let lease = lab.lease().unwrap();
    assert!(lease["leaseExpiresMs"].as_u64().unwrap() <= now_ms());
}
