//! `--agent-runtime container` against the real engine: each agent in its own sibling
//! container (labels, user, limits, security visible in `docker inspect`), real exit codes and
//! OOM kills recorded, no Docker socket and no capabilities inside, a killed launcher's
//! containers adopted by the relaunch (no agent twice), a drain that stops containers, and no
//! container left behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    assert_success, docker, docker_available, executor_runs, stderr, stdout, until,
    SupervisorImage, TestRepo,
};

/// The agent image (bash + busybox, built from the test binary) and cleanup of every container
/// of the test's repositories.
struct Lab {
    image: String,
    repos: Vec<PathBuf>,
    _built: SupervisorImage,
}

impl Lab {
    fn new(test: &str) -> Lab {
        let built = SupervisorImage::build(&format!("wave-agents-it-{test}"));
        Lab {
            image: built.0.clone(),
            repos: Vec::new(),
            _built: built,
        }
    }

    /// A starter repository whose agents run in containers of this lab's image.
    fn repo(&mut self) -> TestRepo {
        let repo = TestRepo::initialised();
        self.repos.push(repo.root().to_path_buf());
        repo
    }

    fn args<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "launch",
            "--agent-launch-stagger-ms",
            "0",
            "--agent-runtime",
            "container",
            "--agent-image",
            &self.image,
            "--agent-network",
            "none",
        ];
        args.extend_from_slice(extra);
        args
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for repo in &self.repos {
            for c in containers(repo, "") {
                let _ = docker(&["rm", "-f", &c]);
            }
        }
    }
}

/// Wave agent containers (of `agent`, or all) that mount the repository `root` (tests run in
/// parallel: each only ever touches its own).
fn containers(root: &Path, agent: &str) -> Vec<String> {
    let mut args = vec!["ps", "-aq", "--filter", "label=wave.lane=main"];
    let filter = format!("label=wave.agent-id={agent}");
    if !agent.is_empty() {
        args.extend(["--filter", &filter]);
    }
    let out = docker(&args);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|id| {
            let mounts = docker(&["inspect", "-f", "{{range .Mounts}}{{.Source}} {{end}}", id]);
            String::from_utf8_lossy(&mounts.stdout)
                .split_whitespace()
                .any(|m| Path::new(m) == root)
        })
        .collect()
}

fn counts(repo: &TestRepo) -> BTreeMap<String, usize> {
    executor_runs(&repo.path("count.txt"))
}

fn status_code(repo: &TestRepo, slug: &str) -> Option<i64> {
    let text = std::fs::read_to_string(repo.path(&format!(
        ".tmp/main-wave-launcher/status/wave-0-{slug}.status"
    )))
    .ok()?;
    serde_json::from_str::<Value>(&text).ok()?["code"].as_i64()
}

fn our_container(repo: &TestRepo, agent: &str) -> Option<Value> {
    let ids = containers(repo.root(), agent);
    ids.iter().find_map(|id| {
        let out = docker(&["inspect", id]);
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        let c = v.get(0)?.clone();
        let binds = c["HostConfig"]["Binds"].to_string() + &c["Mounts"].to_string();
        binds
            .contains(&repo.root().to_string_lossy().to_string())
            .then_some(c)
    })
}

/// A1's runtime record says its container was started.
fn a1_started(repo: &TestRepo) -> bool {
    std::fs::read_to_string(repo.path(".tmp/main-wave-launcher/status/wave-0-0-a1.runtime.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|r| {
            r["sessionBackend"] == "container" && r["terminalDisposition"] == "running"
        })
}

#[test]
fn container_agents_run_the_starter_wave_with_labels_limits_and_no_privileges() {
    let test = "container_agents_run_the_starter_wave_with_labels_limits_and_no_privileges";
    if !docker_available(test) {
        return;
    }
    let mut lab = Lab::new("starter");
    let repo = lab.repo();
    let probe = repo.path("probe");
    std::fs::create_dir(&probe).unwrap();
    let args = lab.args(&["--agent-memory-mib", "256", "--agent-pids-limit", "64"]);
    let child = repo
        .command(&args)
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", "4000")
        .env("WAVE_LOCAL_EXECUTOR_COUNT_FILE", repo.path("count.txt"))
        .env("WAVE_LOCAL_EXECUTOR_PROBE_DIR", &probe)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let c = until(Duration::from_secs(60), "A1's container", || {
        our_container(&repo, "A1")
    });
    let labels = &c["Config"]["Labels"];
    assert_eq!(labels["wave.agent-id"], "A1", "{labels}");
    assert_eq!(labels["wave.attempt"], "1");
    assert_eq!(labels["wave.lane"], "main");
    assert_eq!(labels["wave.project"], "default");
    assert!(
        labels["wave.run-id"]
            .as_str()
            .unwrap()
            .starts_with("unsupervised-"),
        "{labels}"
    );
    assert!(labels["wave.owner"]
        .as_str()
        .unwrap()
        .contains(&format!(":{}:", child.id())));
    let uid = nix::unistd::getuid();
    assert_eq!(
        c["Config"]["User"],
        format!("{uid}:{}", nix::unistd::getgid())
    );
    let host = &c["HostConfig"];
    assert_eq!(host["Memory"], 256 * 1024 * 1024);
    assert_eq!(host["MemorySwap"], 256 * 1024 * 1024);
    assert_eq!(host["PidsLimit"], 64);
    assert_eq!(host["CapDrop"], serde_json::json!(["ALL"]));
    assert!(host["SecurityOpt"]
        .to_string()
        .contains("no-new-privileges"));
    assert_eq!(host["NetworkMode"], "none");
    assert!(!host["Binds"].to_string().contains("docker.sock"));

    let out = child.wait_with_output().unwrap();
    assert_success(&out, "container launch");
    let counts = counts(&repo);
    for agent in ["A1", "A8", "A9", "A0"] {
        assert_eq!(counts.get(agent), Some(&1), "{agent}: {counts:?}");
    }
    let status = std::fs::read_to_string(probe.join("A1.status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(field("CapEff:"), "0000000000000000");
    assert_eq!(field("CapBnd:"), "0000000000000000");
    assert_eq!(field("NoNewPrivs:"), "1");
    let files = std::fs::read_to_string(probe.join("A1.files")).unwrap();
    assert!(files.contains("docker.sock=absent"), "{files}");
    let env = std::fs::read_to_string(probe.join("A1.env")).unwrap();
    assert!(
        env.contains("WAVE_AGENT_ID=A1") && env.contains("WAVE_LANE=main"),
        "{env}"
    );
    assert!(
        !env.lines().any(|l| l.starts_with("CARGO_")),
        "the launcher's environment leaked into the container: {env}"
    );
    let record: Value =
        serde_json::from_str(&repo.read(".tmp/main-wave-launcher/status/wave-0-0-a1.runtime.json"))
            .unwrap();
    assert_eq!(record["sessionBackend"], "container");
    assert_eq!(containers(repo.root(), "").len(), 0, "containers left");
}

#[test]
fn container_exit_codes_and_oom_kills_are_recorded() {
    let test = "container_exit_codes_and_oom_kills_are_recorded";
    if !docker_available(test) {
        return;
    }
    let mut lab = Lab::new("codes");
    // Exit 3 from the executor is the agent's status code 3.
    let repo = lab.repo();
    let out = repo
        .command(&lab.args(&["--max-retries-per-wave", "0"]))
        .env("WAVE_LOCAL_EXECUTOR_FAIL_AGENTS", "A1:3")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(status_code(&repo, "0-a1"), Some(3));

    // An executor over the memory limit is OOM-killed, and recorded so. The kernel's OOM
    // killer is a machine-wide event (on the development sandbox every OOM kill coincided with
    // the whole session being torn down), so this part runs only with WAVE_TEST_OOM=1.
    if std::env::var("WAVE_TEST_OOM").as_deref() != Ok("1") {
        eprintln!("SKIP the OOM half of {test}: set WAVE_TEST_OOM=1 to trigger the OOM killer");
        return;
    }
    let repo = lab.repo();
    let hog = repo.path("hog.sh");
    std::fs::write(
        &hog,
        "#!/bin/bash\nx=$(head -c 134217728 /dev/zero | tr '\\0' x)\necho ${#x}\n",
    )
    .unwrap();
    std::fs::set_permissions(&hog, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut config: Value = serde_json::from_str(&repo.read("wave.config.json")).unwrap();
    config["executors"] = serde_json::json!({"codex": {"command": hog}});
    repo.write("wave.config.json", &config.to_string());
    let wave = repo.read("docs/plans/waves/wave-0.md").replacen(
        "### Executor\n\n- id: local",
        "### Executor\n\n- id: codex",
        1,
    );
    repo.write("docs/plans/waves/wave-0.md", &wave);
    let out = repo
        .command(&lab.args(&["--max-retries-per-wave", "0", "--agent-memory-mib", "16"]))
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(status_code(&repo, "0-a1"), Some(137), "{}", stderr(&out));
    let record: Value =
        serde_json::from_str(&repo.read(".tmp/main-wave-launcher/status/wave-0-0-a1.runtime.json"))
            .unwrap();
    assert_eq!(record["exitReason"], "oom-killed", "{record:#}");
    let log = repo.read(".tmp/main-wave-launcher/logs/wave-0-0-a1.log");
    assert!(log.contains("OOM-killed"), "{log}");
}

#[test]
fn a_killed_launchers_containers_are_adopted_and_a_drain_stops_them() {
    let test = "a_killed_launchers_containers_are_adopted_and_a_drain_stops_them";
    if !docker_available(test) {
        return;
    }
    let mut lab = Lab::new("crash");
    let repo = lab.repo();
    let launch = |delay: &str| {
        let mut cmd = repo.command(&lab.args(&[]));
        cmd.env("WAVE_LOCAL_EXECUTOR_DELAY_MS", delay)
            .env("WAVE_LOCAL_EXECUTOR_COUNT_FILE", repo.path("count.txt"));
        cmd
    };
    // SIGKILL the launcher while A1's container runs; the relaunch adopts it.
    let mut first = launch("4000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    until(
        Duration::from_secs(60),
        "A1 running in its container",
        || a1_started(&repo).then_some(()),
    );
    first.kill().unwrap();
    first.wait().unwrap();
    let out = launch("0").output().unwrap();
    assert_success(&out, "the relaunch");
    let counts = counts(&repo);
    for agent in ["A1", "A8", "A9", "A0"] {
        assert_eq!(
            counts.get(agent),
            Some(&1),
            "{agent}: {counts:?}\nrelaunch stderr:\n{}",
            stderr(&out)
        );
    }
    assert!(our_container(&repo, "A1").is_none(), "no container left");

    // SIGTERM drains: the running container is stopped and recorded, exit 143.
    let repo = lab.repo();
    let mut cmd = repo.command(&lab.args(&[]));
    cmd.env("WAVE_LOCAL_EXECUTOR_DELAY_MS", "30000");
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    until(Duration::from_secs(60), "A1 running", || {
        a1_started(&repo).then_some(())
    });
    let started = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(stderr(&out).contains("A1 interrupted"), "{}", stderr(&out));
    assert!(
        our_container(&repo, "A1").is_none(),
        "the stopped container is removed"
    );
}

#[test]
fn a_missing_agent_image_is_one_line_before_anything_is_queued_or_started() {
    let test = "a_missing_agent_image_is_one_line_before_anything_is_queued_or_started";
    if !docker_available(test) {
        return;
    }
    let repo = TestRepo::initialised();
    let image = "wave-it-no-such-image:missing";
    let out = repo.wave(&[
        "submit",
        "--no-daemon",
        "--agent-runtime",
        "container",
        "--agent-image",
        image,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(image) && err.lines().count() == 1, "{err}");
    assert!(!repo.path(".tmp").exists(), "nothing queued");
    let out = repo.wave(&[
        "launch",
        "--agent-runtime",
        "container",
        "--agent-image",
        image,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(image), "{}", stderr(&out));
    assert!(
        !repo.path(".tmp/main-wave-launcher/status").exists(),
        "nothing started"
    );
    let out = repo.wave(&["launch", "--agent-runtime", "container"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--agent-image"), "{}", stderr(&out));
    let out = repo
        .command(&["doctor"])
        .env("WAVE_AGENT_RUNTIME", "container")
        .env("WAVE_AGENT_IMAGE", image)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(image), "{}", stderr(&out));
}
