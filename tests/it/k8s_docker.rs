//! A stand-in for a cluster: the container spec `wave k8s render` gives a wave's pod, run in
//! Docker with the same restrictions — the rendered command as the entrypoint's arguments (no
//! shell), the rendered working directory, environment and uid/gid, a read-only root
//! filesystem with a tmpfs on /tmp (the pod's emptyDir), every capability dropped, no new
//! privileges, and a volume on /workspace prepared for uid 65532 (the pod's claim). The
//! starter wave completes with exit 0, and the next Job's init container (`wave k8s
//! wait-wave`) then finds it recorded completed.
//!
//! The image is a FROM-scratch stand-in built like `images/build-supervisor.sh` does (static
//! `wave` + bash-static + busybox). Every container, volume and image is labelled
//! `wave.test=1` and removed by a drop guard. What Docker cannot show: scheduling, the Job's
//! retries and podFailurePolicy, and ordering between real Jobs (docs/kubernetes.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{assert_success, docker_available, stdout, wave_bin, TestRepo};

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("run docker")
}

/// Removes what the test created, also when it fails.
struct Cleanup {
    image: String,
    volume: String,
    containers: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = docker(&["rm", "--force", "--volumes", c]);
        }
        let _ = docker(&["volume", "rm", "--force", &self.volume]);
        let _ = docker(&["image", "rm", "--force", &self.image]);
    }
}

/// Builds the stand-in image from the supervisor image definition, labelled.
fn build_image(tag: &str) {
    let context = tempfile::tempdir().expect("build context");
    std::fs::copy(
        repo_file("images/supervisor/Dockerfile"),
        context.path().join("Dockerfile"),
    )
    .unwrap();
    std::fs::copy(wave_bin(), context.path().join("wave")).unwrap();
    std::fs::copy("/bin/bash-static", context.path().join("bash")).unwrap();
    std::fs::copy("/bin/busybox", context.path().join("busybox")).unwrap();
    let ctx = context.path().to_str().unwrap();
    let out = docker(&[
        "build",
        "--quiet",
        "--label",
        "wave.test=1",
        "--tag",
        tag,
        ctx,
    ]);
    assert_success(&out, "docker build of the stand-in image");
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn k8s_rendered_pod_spec_runs_the_starter_wave_in_docker() {
    let test = "k8s_rendered_pod_spec_runs_the_starter_wave_in_docker";
    if !docker_available(test) {
        return;
    }
    for tool in ["/bin/bash-static", "/bin/busybox"] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: apt-get install bash-static busybox-static (.ci/run does)"
        );
    }
    let pid = std::process::id();
    let mut cleanup = Cleanup {
        image: format!("wave-it-k8s:{pid}"),
        volume: format!("wave-it-k8s-{pid}"),
        containers: Vec::new(),
    };
    build_image(&cleanup.image);

    let repo = TestRepo::initialised();
    let out = repo.wave(&["k8s", "render", "--wave", "0", "--image", &cleanup.image]);
    assert_success(&out, "wave k8s render");
    let docs = crate::k8s::documents(&stdout(&out));
    let pod = &docs[0]["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["image"], cleanup.image.as_str());

    // The claim: a volume holding the repository, owned by the pod's fsGroup/uid.
    let volume = cleanup.volume.clone();
    assert_success(
        &docker(&["volume", "create", "--label", "wave.test=1", &volume]),
        "docker volume create",
    );
    let prep = format!("wave-it-k8s-prep-{pid}");
    cleanup.containers.push(prep.clone());
    let src = format!("{}:/src:ro", repo.root().display());
    let dst = format!("{volume}:/workspace");
    assert_success(
        &docker(&[
            "run", "--name", &prep, "--label", "wave.test=1", "--network", "none", "--user",
            "0:0", "--entrypoint", "/bin/busybox", "-v", &src, "-v", &dst, &cleanup.image,
            "sh", "-c",
            "cp -a /src/. /workspace/ && mkdir -p /workspace/.tmp /workspace/.wave && chown -R 65532:65532 /workspace",
        ]),
        "prepare the workspace volume",
    );

    // The pod's container, translated flag by flag.
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(strings(&security["capabilities"]["drop"]), ["ALL"]);
    let user = format!("{}:{}", security["runAsUser"], security["runAsGroup"]);
    assert_eq!(user, "65532:65532");
    let mounts = container["volumeMounts"].as_array().unwrap();
    assert!(mounts
        .iter()
        .any(|m| m["mountPath"] == "/tmp" && m["name"] == "tmp"));
    assert!(pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["name"] == "tmp" && v["emptyDir"].is_object()));
    let command = strings(&container["command"]);
    let name = format!("wave-it-k8s-wave-{pid}");
    cleanup.containers.push(name.clone());
    let mut args: Vec<String> = [
        "run",
        "--name",
        &name,
        "--label",
        "wave.test=1",
        "--network",
        "none",
        "--user",
        &user,
        "--read-only",
        "--tmpfs",
        "/tmp:rw,nosuid,nodev,mode=1777",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "-v",
        &dst,
        "--workdir",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(container["workingDir"].as_str().unwrap().to_string());
    for var in container["env"].as_array().unwrap() {
        args.push("--env".into());
        args.push(format!(
            "{}={}",
            var["name"].as_str().unwrap(),
            var["value"].as_str().unwrap()
        ));
    }
    args.extend([
        "--entrypoint".into(),
        command[0].clone(),
        cleanup.image.clone(),
    ]);
    args.extend(command[1..].iter().cloned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = docker(&refs);
    assert_success(&run, "the rendered wave container");

    // The next Job's init container finds wave 0 recorded completed.
    let wait = format!("wave-it-k8s-wait-{pid}");
    cleanup.containers.push(wait.clone());
    let check = docker(&[
        "run",
        "--name",
        &wait,
        "--label",
        "wave.test=1",
        "--network",
        "none",
        "--user",
        &user,
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "-v",
        &dst,
        "--workdir",
        "/workspace",
        "--env",
        "WAVE_REPO_ROOT=/workspace",
        "--entrypoint",
        "wave",
        &cleanup.image,
        "k8s",
        "wait-wave",
        "--wave",
        "0",
        "--lane",
        "main",
        "--timeout-seconds",
        "0",
    ]);
    assert_success(&check, "wave k8s wait-wave in a container");
}
