//! `wave supervise` and `wave launch` as a container's PID 1, in real containers: orphans are
//! reaped (no zombies), `docker stop` drains within the budget and ends with 143 (a Job can
//! tell an interruption from a failure), the interruption is recorded, and `docker start`
//! finishes the run without re-running agents that had finished.

use std::collections::BTreeMap;
use std::process::Command;

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{docker, docker_available, executor_runs, until, SupervisorImage, TestRepo};

const SUP: &str = ".tmp/main-wave-launcher/control/supervisor";

/// The supervisor image built from the test binary, and the containers started from it; all
/// removed on drop.
struct Lab {
    image: String,
    tag: &'static str,
    containers: Vec<String>,
    _built: SupervisorImage,
}

impl Lab {
    fn new(test: &'static str) -> Lab {
        let built = SupervisorImage::build(&format!("wave-init-it-{test}"));
        Lab {
            image: built.0.clone(),
            tag: test,
            containers: Vec::new(),
            _built: built,
        }
    }

    /// `docker run -d` of the image with the repository at /workspace; returns the name.
    fn run(&mut self, repo: &TestRepo, delay_ms: u64, args: &[&str]) -> String {
        let name = format!(
            "wave-init-it-{}-{}-{}",
            std::process::id(),
            self.tag,
            self.containers.len()
        );
        let out = docker(
            &[
                &["run", "-d", "--label", "wave.test=1", "--name", &name][..],
                &["-v", &format!("{}:/workspace", repo.root().display())],
                &["-e", &format!("WAVE_LOCAL_EXECUTOR_DELAY_MS={delay_ms}")],
                &["-e", "WAVE_LOCAL_EXECUTOR_COUNT_FILE=/workspace/count.txt"],
                &["--network", "none", &self.image],
                args,
            ]
            .concat(),
        );
        assert!(out.status.success(), "docker run: {}", text(&out.stderr));
        self.containers.push(name.clone());
        name
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = docker(&["rm", "-f", c]);
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn counts(repo: &TestRepo) -> BTreeMap<String, usize> {
    executor_runs(&repo.path("count.txt"))
}

/// A repository the image's user (65532) can write.
fn workspace() -> TestRepo {
    let repo = TestRepo::initialised();
    let chown = Command::new("chown")
        .args(["-R", "65532:65532"])
        .arg(repo.root())
        .status()
        .unwrap();
    assert!(chown.success());
    repo
}

fn zombies(container: &str) -> usize {
    let out = docker(&[
        "exec",
        container,
        "sh",
        "-c",
        "cat /proc/[0-9]*/stat 2>/dev/null | grep -c ') Z ' || true",
    ]);
    text(&out.stdout).trim().parse().unwrap_or(usize::MAX)
}

fn exit_code(container: &str) -> i64 {
    let out = docker(&["inspect", "-f", "{{.State.ExitCode}}", container]);
    text(&out.stdout).trim().parse().unwrap_or(-1)
}

/// Leaves `n` orphans behind through `docker exec` (each `sh -c 'sleep 0 &'` exits at once,
/// so its child is re-parented to the container's PID 1).
fn orphans(container: &str, n: usize) {
    let script = format!("i=0; while [ $i -lt {n} ]; do sh -c 'sleep 0 &'; i=$((i+1)); done");
    let out = docker(&["exec", container, "sh", "-c", &script]);
    assert!(out.status.success(), "orphans: {}", text(&out.stderr));
}

fn stop_timed(container: &str) -> Duration {
    let started = Instant::now();
    let out = docker(&["stop", "-t", "10", container]);
    assert!(out.status.success(), "docker stop: {}", text(&out.stderr));
    started.elapsed()
}

#[test]
fn supervise_as_pid1_reaps_drains_on_docker_stop_and_finishes_on_start() {
    let test = "supervise_as_pid1_reaps_drains_on_docker_stop_and_finishes_on_start";
    if !docker_available(test) {
        return;
    }
    let mut lab = Lab::new("sup");
    let repo = workspace();
    let c = lab.run(&repo, 2500, &["supervise", "--poll-ms", "100"]);
    let submitted = until(Duration::from_secs(30), "submit", || {
        let out = docker(&[
            "exec",
            &c,
            "wave",
            "submit",
            "--agent-launch-stagger-ms",
            "0",
            "--json",
        ]);
        out.status.success().then_some(out)
    });
    let v: Value = serde_json::from_slice(&submitted.stdout).unwrap();
    let run = v["runId"].as_str().unwrap().to_string();
    orphans(&c, 1000);
    until(Duration::from_secs(10), "no zombies", || {
        (zombies(&c) == 0).then_some(())
    });
    // A1 done, A8 running.
    until(Duration::from_secs(60), "A8 running", || {
        let rec =
            std::fs::read_to_string(repo.path(&format!("{SUP}/runs/{run}/agents/A8.runtime.json")))
                .ok()?;
        let r: Value = serde_json::from_str(&rec).ok()?;
        (r["terminalDisposition"] == "running" && r["executorPid"].is_i64()).then_some(())
    });
    let took = stop_timed(&c);
    assert_eq!(exit_code(&c), 143, "a drained supervisor exits 143");
    assert!(took < Duration::from_secs(9), "drain took {took:?}");
    let state: Value =
        serde_json::from_str(&repo.read(&format!("{SUP}/runs/{run}/state.json"))).unwrap();
    assert_eq!(state["status"], "running", "{state:#}");
    assert_eq!(state["terminalDisposition"], "interrupted", "{state:#}");
    assert_eq!(state["resumeAction"], "resume-current-wave");
    let events = repo.read(&format!("{SUP}/runs/{run}/events.jsonl"));
    let interrupted: Value = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["type"] == "interrupted")
        .expect("an interrupted event");
    let a8 = interrupted["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agentId"] == "A8")
        .cloned()
        .expect("A8's outcome is recorded");
    assert_eq!(a8["interrupted"], true, "{interrupted}");
    assert_eq!(a8["exitCode"], 143, "{interrupted}");
    // PID 1 without a terminal logs JSON lines carrying the run id.
    let logs = docker(&["logs", &c]);
    let json_lines: Vec<Value> = text(&logs.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    assert!(
        json_lines
            .iter()
            .any(|l| l["run_id"] == run.as_str() && l["message"] == "interrupted"),
        "docker logs: {}",
        text(&logs.stderr)
    );

    assert!(docker(&["start", &c]).status.success());
    let done = until(Duration::from_secs(90), "the run to end", || {
        let s: Value = serde_json::from_str(
            &std::fs::read_to_string(repo.path(&format!("{SUP}/runs/{run}/state.json"))).ok()?,
        )
        .ok()?;
        matches!(s["status"].as_str(), Some("completed" | "failed")).then_some(s)
    });
    assert_eq!(done["status"], "completed", "{done:#}");
    let counts = counts(&repo);
    assert_eq!(
        counts.get("A1"),
        Some(&1),
        "A1 finished before the stop: {counts:?}"
    );
    assert_eq!(
        counts.get("A8"),
        Some(&2),
        "A8 was interrupted once: {counts:?}"
    );
    assert_eq!(counts.get("A9"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("A0"), Some(&1), "{counts:?}");
}

#[test]
fn launch_as_pid1_reaps_drains_on_docker_stop_and_finishes_on_start() {
    let test = "launch_as_pid1_reaps_drains_on_docker_stop_and_finishes_on_start";
    if !docker_available(test) {
        return;
    }
    let mut lab = Lab::new("launch");
    let repo = workspace();
    let c = lab.run(&repo, 4000, &["launch", "--agent-launch-stagger-ms", "0"]);
    until(Duration::from_secs(30), "A1 running", || {
        let rec = std::fs::read_to_string(
            repo.path(".tmp/main-wave-launcher/status/wave-0-0-a1.runtime.json"),
        )
        .ok()
        .or_else(|| find_runtime(&repo, "a1"))?;
        let r: Value = serde_json::from_str(&rec).ok()?;
        (r["terminalDisposition"] == "running" && r["executorPid"].is_i64()).then_some(())
    });
    orphans(&c, 1000);
    until(Duration::from_secs(10), "no zombies", || {
        (zombies(&c) == 0).then_some(())
    });
    let took = stop_timed(&c);
    assert_eq!(exit_code(&c), 143, "a drained launcher exits 143");
    assert!(took < Duration::from_secs(9), "drain took {took:?}");
    let logs = docker(&["logs", &c]);
    let all = format!("{}{}", text(&logs.stdout), text(&logs.stderr));
    assert!(all.contains("interrupted by SIGTERM"), "{all}");
    assert!(all.contains("A1 interrupted (exit 143)"), "{all}");

    assert!(docker(&["start", &c]).status.success());
    let waited = docker(&["wait", &c]);
    assert_eq!(
        text(&waited.stdout).trim(),
        "0",
        "the restarted launch completes"
    );
    let counts = counts(&repo);
    for agent in ["A8", "A9", "A0"] {
        assert_eq!(counts.get(agent), Some(&1), "{agent}: {counts:?}");
    }
}

/// A lane runtime record whose name mentions `slug`.
fn find_runtime(repo: &TestRepo, slug: &str) -> Option<String> {
    for dir in ["status", "control"] {
        let base = repo.path(&format!(".tmp/main-wave-launcher/{dir}"));
        for entry in std::fs::read_dir(base).ok()?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.contains(slug) && name.ends_with("runtime.json") {
                return std::fs::read_to_string(entry.path()).ok();
            }
        }
    }
    None
}

#[test]
fn agents_of_a_root_supervisor_have_no_capabilities_and_a_documented_environment() {
    let test = "agents_of_a_root_supervisor_have_no_capabilities_and_a_documented_environment";
    if !docker_available(test) {
        return;
    }
    let lab = Lab::new("caps");
    let repo = TestRepo::initialised();
    std::fs::create_dir(repo.path("probe")).unwrap();
    // Root with Docker's default capability set, and a variable agents must not see.
    let out = docker(&[
        "run",
        "--rm",
        "--label",
        "wave.test=1",
        "--user",
        "0:0",
        "--network",
        "none",
        "-e",
        "SUPERVISOR_ONLY_SECRET=do-not-leak",
        "-e",
        "WAVE_LOCAL_EXECUTOR_PROBE_DIR=/workspace/probe",
        "-v",
        &format!("{}:/workspace", repo.root().display()),
        &lab.image,
        "launch",
        "--agent-launch-stagger-ms",
        "0",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status = std::fs::read_to_string(repo.path("probe/A1.status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        field("Uid:").split_whitespace().next(),
        Some("0"),
        "{status}"
    );
    assert_eq!(field("CapEff:"), "0000000000000000");
    assert_eq!(field("CapBnd:"), "0000000000000000");
    assert_eq!(field("CapPrm:"), "0000000000000000");
    assert_eq!(field("NoNewPrivs:"), "1");
    let env = std::fs::read_to_string(repo.path("probe/A1.env")).unwrap();
    let names: Vec<&str> = env.lines().filter_map(|l| l.split('=').next()).collect();
    assert!(!names.contains(&"SUPERVISOR_ONLY_SECRET"), "{names:?}");
    // Only the documented base, WAVE_* and what bash itself sets.
    let documented = |n: &str| {
        ["PATH", "HOME", "HOSTNAME", "PWD", "OLDPWD", "SHLVL", "_"].contains(&n)
            || n.starts_with("WAVE_")
            || n.starts_with("LC_")
            || ["LANG", "TERM", "TZ", "USER", "SHELL", "TMPDIR"].contains(&n)
    };
    let extra: Vec<&&str> = names.iter().filter(|n| !documented(n)).collect();
    assert!(
        extra.is_empty(),
        "undocumented variables reached the agent: {extra:?}"
    );
}
