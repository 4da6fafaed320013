//! Container smoke: `compose.yaml` runs `wave supervise` as PID 1 from the supervisor image
//! (built here from the test binary with `images/build-supervisor.sh`); a run submitted with
//! `compose exec` completes, and its status is still readable after the service restarts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{docker_available, wave_bin, TestRepo};

/// `docker compose` when the plugin exists, else `docker-compose` (v1).
fn compose_cmd() -> Vec<String> {
    let plugin = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if plugin {
        vec!["docker".into(), "compose".into()]
    } else {
        vec!["docker-compose".into()]
    }
}

struct Project {
    dir: PathBuf,
    name: String,
    image: String,
    base: Vec<String>,
}

impl Project {
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.base[0]);
        cmd.args(&self.base[1..])
            .args(["-p", &self.name, "-f", "compose.yaml"])
            .args(args)
            .current_dir(&self.dir)
            .env("WAVE_IMAGE", &self.image);
        cmd.output().expect("run compose")
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "compose {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = self.run(&["down", "-v", "--timeout", "5"]);
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.image])
            .output();
    }
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

#[test]
fn compose_up_runs_the_demo_wave_and_the_status_survives_a_restart() {
    if !docker_available("compose_up_runs_the_demo_wave_and_the_status_survives_a_restart") {
        return;
    }
    for tool in ["/bin/bash-static", "/bin/busybox"] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: apt-get install bash-static busybox-static (.ci/run does)"
        );
    }
    let tag = format!("wave-supervisor:it-{}", std::process::id());
    let build = Command::new("bash")
        .arg(repo_file("images/build-supervisor.sh"))
        .arg(wave_bin())
        .arg(&tag)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "image build failed: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let repo = TestRepo::initialised();
    std::fs::copy(repo_file("compose.yaml"), repo.path("compose.yaml")).unwrap();
    // The agents run as uid 65532 and write into the bind-mounted repository.
    let chown = Command::new("chown")
        .args(["-R", "65532:65532"])
        .arg(repo.root())
        .status()
        .unwrap();
    assert!(chown.success());
    let project = Project {
        dir: repo.root().to_path_buf(),
        name: format!("waveit{}", std::process::id()),
        image: tag,
        base: compose_cmd(),
    };
    project.ok(&["up", "-d"]);
    let submitted = until_ok(
        &project,
        &[
            "exec",
            "-T",
            "wave",
            "wave",
            "submit",
            "--agent-launch-stagger-ms",
            "0",
            "--json",
        ],
    );
    let v: Value = serde_json::from_slice(&submitted.stdout).expect("submit JSON");
    let run = v["runId"].as_str().unwrap().to_string();
    project.ok(&[
        "exec",
        "-T",
        "wave",
        "wave",
        "wait",
        "--run-id",
        &run,
        "--timeout-seconds",
        "120",
    ]);
    project.ok(&["restart", "--timeout", "5", "wave"]);
    let status = until_ok(
        &project,
        &[
            "exec", "-T", "wave", "wave", "status", "--run-id", &run, "--json",
        ],
    );
    let state: Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    assert_eq!(state["status"], "completed", "{state:#}");
    assert_eq!(state["exitCode"], 0);
    // The daemon in the restarted container serves the lane again (a new lease epoch).
    let after = until_ok(
        &project,
        &[
            "exec",
            "-T",
            "wave",
            "wave",
            "submit",
            "--wait",
            "--agent-launch-stagger-ms",
            "0",
        ],
    );
    assert!(String::from_utf8_lossy(&after.stdout).contains("status=completed"));
}

/// Retries a compose command until it succeeds (the container may still be starting).
fn until_ok(project: &Project, args: &[&str]) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = project.run(args);
        if out.status.success() {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "compose {args:?} kept failing: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(200));
    }
}
