//! Derived concurrency, end to end: `wave doctor` prints the figure and its deciding term, an
//! override wins, `wave launch` logs it, and — in real containers under `--cpus`,
//! `--cpuset-cpus`, `--memory` and `--pids-limit` — a wide wave never runs more agents at once
//! than `wave doctor --json` said, reaches exactly that many, and completes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{assert_success, docker_available, stderr, wave_bin, TestRepo};

/// `repo`'s starter wave (from `wave init`) with its single implementation agent replaced by
/// `n` of them, written back.
fn widen(repo: &TestRepo, n: usize) {
    let starter = repo.read("docs/plans/waves/wave-0.md");
    let start = starter.find("## Agent A1:").expect("starter has A1");
    let end = starter.find("## Agent A8:").expect("starter has A8");
    // Implementation agents A1…A7, then A10…: 8 and 9 are the closure agents' ids.
    let ids = (1..).filter(|i| *i != 8 && *i != 9).take(n);
    let agents: String = ids
        .map(|i| {
            format!(
                "## Agent A{i}: Implementation {i}\n\n### Executor\n\n- id: local\n\n\
                 ### Deliverables\n\n- src/a{i}.md\n\n### Exit contract\n\n\
                 - completion: contract\n- durability: none\n- proof: unit\n- doc-impact: owned\n\n\
                 ### Prompt\n\n```text\nPrimary goal:\n- Write src/a{i}.md.\n\n\
                 File ownership (only touch these paths):\n- src/a{i}.md\n```\n\n"
            )
        })
        .collect();
    let wide = format!("{}{agents}{}", &starter[..start], &starter[end..]);
    repo.write("docs/plans/waves/wave-0.md", &wide);
}

/// The most agents whose runtime records' `[startedAt, completedAt]` overlap (an end at the
/// same millisecond as a start does not overlap it).
fn max_overlap(repo: &TestRepo) -> usize {
    let dir = repo.path(".tmp/main-wave-launcher/status");
    let mut events: Vec<(String, i32)> = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".runtime.json") {
            continue;
        }
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let (Some(start), Some(end)) = (r["startedAt"].as_str(), r["completedAt"].as_str()) else {
            panic!("{} has no start or end: {r:#}", path.display());
        };
        // ISO-8601 UTC with milliseconds: string order is time order.
        events.push((start.to_string(), 1));
        events.push((end.to_string(), -1));
    }
    events.sort();
    let (mut now, mut max) = (0i32, 0i32);
    for (_, delta) in events {
        now += delta;
        max = max.max(now);
    }
    usize::try_from(max).unwrap()
}

#[test]
fn doctor_prints_the_terms_and_an_override_wins() {
    let repo = TestRepo::initialised();
    let out = repo.wave(&["doctor"]);
    assert_success(&out, "wave doctor");
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "limits: cpu: host ",
        "limits: memory: ",
        "limits: pids: ",
        "limits: max concurrent agents: ",
        "(decided by ",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }

    let json = repo.wave(&["doctor", "--json"]);
    assert_success(&json, "wave doctor --json");
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let limits = &v["limits"];
    let n = limits["maxConcurrentAgents"].as_u64().unwrap();
    assert!(n >= 1, "{limits:#}");
    let by = limits["decidedBy"].as_str().unwrap();
    assert!(["cpu", "memory", "pids"].contains(&by), "{limits:#}");
    assert_eq!(
        limits[by]["agents"].as_u64().unwrap().max(1),
        n,
        "{limits:#}"
    );
    assert_eq!(limits["cpu"]["agentsPerCpu"], 4);
    assert_eq!(limits["memory"]["perAgentBytes"], 32 << 20, "local budget");
    assert_eq!(limits["pids"]["perAgent"], 6, "local budget");
    assert_eq!(limits["executors"], serde_json::json!(["local"]));

    let out = repo
        .command(&["doctor", "--json"])
        .env("WAVE_MAX_CONCURRENT_AGENTS", "3")
        .env("WAVE_AGENT_PIDS", "10")
        .output()
        .unwrap();
    assert_success(&out, "doctor with an override");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["limits"]["maxConcurrentAgents"], 3);
    assert_eq!(v["limits"]["decidedBy"], "override");
    assert_eq!(v["limits"]["override"], 3);
    assert_eq!(v["limits"]["pids"]["perAgent"], 10);

    let out = repo.wave(&["doctor", "--agents-per-cpu", "0"]);
    assert_eq!(out.status.code(), Some(2), "clap rejects 0");
    assert!(
        stderr(&out).contains("--agents-per-cpu"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn launch_logs_the_figure_once_and_runs_within_it() {
    let repo = TestRepo::initialised();
    widen(&repo, 6);
    let out = repo
        .command(&["launch", "--agent-launch-stagger-ms", "0"])
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", "600")
        .env("WAVE_MAX_CONCURRENT_AGENTS", "2")
        .output()
        .unwrap();
    assert_success(&out, "wave launch");
    let err = stderr(&out);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("max concurrent agents"))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("2 (decided by override)"), "{err}");
    assert_eq!(max_overlap(&repo), 2);
}

// ---- Docker matrix -------------------------------------------------------------------------

/// The supervisor image built from the test binary, and the containers started from it; all
/// removed on drop.
struct Lab {
    image: String,
    tag: &'static str,
    containers: Vec<String>,
}

impl Lab {
    /// Builds the image; `tag` keeps names apart between tests running in parallel.
    fn new(tag: &'static str) -> Lab {
        for tool in ["/bin/bash-static", "/bin/busybox"] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: apt-get install bash-static busybox-static (.ci/run does)"
            );
        }
        let image = format!("wave-limits-it:{}-{tag}", std::process::id());
        let build = Command::new("bash")
            .arg(repo_file("images/build-supervisor.sh"))
            .arg(wave_bin())
            .arg(&image)
            .output()
            .unwrap();
        assert!(
            build.status.success(),
            "image build failed: {}",
            String::from_utf8_lossy(&build.stderr)
        );
        Lab {
            image,
            tag,
            containers: Vec::new(),
        }
    }

    /// `docker run` (in the foreground) of the image with `limits`, the repository at
    /// /workspace and `args`; returns the output once the container has exited.
    fn run(&mut self, repo: &TestRepo, limits: &[&str], env: &[&str], args: &[&str]) -> Output {
        let name = format!(
            "wave-limits-it-{}-{}-{}",
            std::process::id(),
            self.tag,
            self.containers.len()
        );
        self.containers.push(name.clone());
        let envs: Vec<String> = env
            .iter()
            .flat_map(|e| ["-e".into(), e.to_string()])
            .collect();
        let envs: Vec<&str> = envs.iter().map(String::as_str).collect();
        docker(
            &[
                &["run", "--label", "wave.test=1", "--name", &name][..],
                limits,
                &envs,
                &["-v", &format!("{}:/workspace", repo.root().display())],
                &["--network", "none", &self.image],
                args,
            ]
            .concat(),
        )
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = docker(&["rm", "-f", c]);
        }
        let _ = docker(&["rmi", "-f", &self.image]);
    }
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().expect("docker")
}

/// A repository with a 12-agent wave that the image's user (65532) can write.
fn wide_workspace() -> TestRepo {
    let repo = TestRepo::initialised();
    widen(&repo, 12);
    let chown = Command::new("chown")
        .args(["-R", "65532:65532"])
        .arg(repo.root())
        .status()
        .unwrap();
    assert!(chown.success());
    repo
}

#[test]
fn container_limits_set_the_figure_and_the_launch_keeps_to_it() {
    let test = "container_limits_set_the_figure_and_the_launch_keeps_to_it";
    if !docker_available(test) {
        return;
    }
    let mut lab = Lab::new("matrix");
    let cases: [&[&str]; 6] = [
        &["--cpus", "0.5"],
        &["--cpus", "1.5"],
        &["--cpuset-cpus", "0"],
        &["--memory", "256m"],
        &["--pids-limit", "24"],
        &["--pids-limit", "64"],
    ];
    let mut table = Vec::new();
    for limits in cases {
        let repo = wide_workspace();
        let doctor = lab.run(&repo, limits, &[], &["doctor", "--json"]);
        assert_success(&doctor, &format!("doctor under {limits:?}"));
        let v: Value = serde_json::from_slice(&doctor.stdout).unwrap();
        let figure = v["limits"]["maxConcurrentAgents"].as_u64().unwrap() as usize;
        let by = v["limits"]["decidedBy"].as_str().unwrap().to_string();
        assert!(
            (1..12).contains(&figure),
            "{limits:?}: a figure the wave can fill: {:#}",
            v["limits"]
        );
        let launch = lab.run(
            &repo,
            limits,
            // Long enough that a full round of agents overlaps even on a loaded machine.
            &["WAVE_LOCAL_EXECUTOR_DELAY_MS=2000"],
            &["launch", "--agent-launch-stagger-ms", "0"],
        );
        assert_success(&launch, &format!("launch under {limits:?}"));
        assert!(
            stderr(&launch).contains(&format!(
                "max concurrent agents: {figure} (decided by {by})"
            )),
            "{limits:?}: the launcher derives the doctor's figure: {}",
            stderr(&launch)
        );
        let seen = max_overlap(&repo);
        assert_eq!(
            seen, figure,
            "{limits:?}: most agents at once vs doctor's figure ({by}): {:#}",
            v["limits"]
        );
        table.push(format!("{limits:?}: {figure} by {by}"));
    }
    eprintln!("{test}: {}", table.join("; "));
    // Expected figures on any host with at least 2 CPUs and 1 GiB of memory.
    assert!(table[0].contains(": 2 by cpu"), "{table:?}");
    assert!(table[2].contains(": 4 by cpu"), "{table:?}");
    assert!(table[3].contains(": 6 by memory"), "{table:?}");
    assert!(table[4].contains(": 2 by pids"), "{table:?}");
}

#[test]
fn pids_pressure_beyond_the_figure_throttles_and_the_run_completes() {
    let test = "pids_pressure_beyond_the_figure_throttles_and_the_run_completes";
    if !docker_available(test) {
        return;
    }
    let mut lab = Lab::new("pressure");
    let repo = wide_workspace();
    // The override asks for 12 agents where about 4 fit: starts are refused with EAGAIN
    // (threads count too), which must slow the launch down, not crash or fail it.
    let launch = lab.run(
        &repo,
        &["--pids-limit", "30"],
        &["WAVE_LOCAL_EXECUTOR_DELAY_MS=1500"],
        &[
            "launch",
            "--agent-launch-stagger-ms",
            "0",
            "--max-concurrent-agents",
            "12",
            "--max-retries-per-wave",
            "3",
        ],
    );
    let err = stderr(&launch);
    assert!(!err.contains("panicked"), "{err}");
    assert_success(&launch, "launch under pids pressure");
    assert!(max_overlap(&repo) <= 12);
}
