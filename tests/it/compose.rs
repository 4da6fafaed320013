//! `compose.yaml` as a new user meets it: a fresh clone (compose.yaml + examples/starter), the
//! image from `wave image build --load`, a `.env` with the host user's uid:gid — once for a
//! non-root user whose uid is not 65532 and once for root — then `up -d`, healthy, the demo wave
//! completes through `compose exec … submit --wait`, the hardened settings are in effect,
//! and `restart` keeps the run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{docker_available, wave_bin};

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
    dir: tempfile::TempDir,
    name: String,
    base: Vec<String>,
}

impl Project {
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.base[0]);
        cmd.args(&self.base[1..])
            .args(["-p", &self.name])
            .args(args)
            .current_dir(self.dir.path());
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

    fn container(&self) -> String {
        let out = self.ok(&["ps", "-q", "wave"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn inspect(&self) -> Value {
        let out = Command::new("docker")
            .args(["inspect", &self.container()])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()[0].clone()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = self.run(&["down", "-v", "--timeout", "10"]);
        // Files the containers wrote as other uids: root (the test) removes them.
        let _ = Command::new("rm").arg("-rf").arg(self.dir.path()).status();
    }
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
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

fn fresh_clone(uid: u32, image: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo_file("compose.yaml"), dir.path().join("compose.yaml")).unwrap();
    let copy = Command::new("cp")
        .arg("-r")
        .arg(repo_file("examples"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(copy.success());
    // The clone belongs to the host user the supervisor runs as.
    let own = Command::new("chown")
        .args(["-R", &format!("{uid}:{uid}")])
        .arg(dir.path().join("examples"))
        .status()
        .unwrap();
    assert!(own.success());
    std::fs::write(
        dir.path().join(".env"),
        format!("WAVE_UID={uid}\nWAVE_GID={uid}\nWAVE_IMAGE={image}\n"),
    )
    .unwrap();
    dir
}

fn run_case(uid: u32, image: &str) {
    let project = Project {
        dir: fresh_clone(uid, image),
        name: format!("waveit{}u{uid}", std::process::id()),
        base: compose_cmd(),
    };
    project.ok(&["up", "-d"]);
    // Healthy: `wave health` as the HEALTHCHECK (a daemon holds a fresh lease).
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let state = project.inspect();
        if state["State"]["Health"]["Status"] == "healthy" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "uid {uid}: never healthy: {:#}\n{}",
            state["State"],
            String::from_utf8_lossy(&project.run(&["logs", "--tail", "50"]).stdout)
        );
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(250));
    }
    let c = project.inspect();
    assert_eq!(c["Config"]["User"], format!("{uid}:{uid}"));
    assert_eq!(c["HostConfig"]["CapDrop"], serde_json::json!(["ALL"]));
    assert_eq!(c["HostConfig"]["ReadonlyRootfs"], true);
    assert!(c["HostConfig"]["SecurityOpt"]
        .to_string()
        .contains("no-new-privileges"));
    assert_eq!(c["HostConfig"]["PidsLimit"], 512);

    let out = until_ok(
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
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("status=completed"), "uid {uid}: {text}");
    let run = text
        .lines()
        .find_map(|l| l.strip_prefix("run_id="))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    // The agents wrote the workspace as the host user.
    let hello = project.dir.path().join("examples/starter/src/hello.md");
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&hello).unwrap());
    assert_eq!(owner, uid, "agent output belongs to the host user");

    project.ok(&["restart", "wave"]);
    let out = until_ok(&project, &["exec", "-T", "wave", "wave", "runs", "--json"]);
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["runId"] == run.as_str())
        .cloned()
        .expect("the run survives the restart");
    assert_eq!(found["status"], "completed", "{found}");
}

#[test]
fn compose_up_from_a_fresh_clone_runs_the_demo_as_the_host_user_and_as_root() {
    if !docker_available("compose_up_from_a_fresh_clone_runs_the_demo_as_the_host_user_and_as_root")
    {
        return;
    }
    for tool in ["/bin/bash-static", "/bin/busybox"] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: apt-get install bash-static busybox-static (.ci/run does)"
        );
    }
    let image = format!("wave-compose-it:{}", std::process::id());
    let build = Command::new(wave_bin())
        .args(["image", "build", "--load", "--tag", &image])
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "wave image build --load: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    struct Image(String);
    impl Drop for Image {
        fn drop(&mut self) {
            let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
        }
    }
    let _image = Image(image.clone());
    run_case(1234, &image);
    run_case(0, &image);
}
