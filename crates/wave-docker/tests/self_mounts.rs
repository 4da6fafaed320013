//! Self-inspection against the real engine: on the host `self_mounts` finds no container; inside
//! a supervisor-like container (this very test binary, static, run in the test image with the
//! Docker socket, a bind-mounted directory and a named volume) it finds its own mounts and
//! translates paths into what a sibling must mount.

mod common;

use std::process::Command;

use common::{docker_available, shared_dir, test_image, Case, TestVolume};
use wave_docker::{DockerClient, MountSpec};

const PROBE_ENV: &str = "WAVE_DOCKER_SELF_PROBE";
const PROBE_TEST: &str = "self_mounts_translate_paths_inside_a_supervisor_container";

/// The in-container half: prints what `self_mounts` found, one `PROBE …` line per fact.
fn probe() {
    let docker = DockerClient::connect().expect("connect from inside the container");
    let Some(mounts) = docker.self_mounts().expect("self_mounts") else {
        println!("PROBE none");
        return;
    };
    println!("PROBE container {}", mounts.container_id);
    for path in ["/workspace/sub/file", "/state/x/y", "/etc/passwd"] {
        match mounts
            .translate(path.as_ref())
            .map(|t| t.sibling_mount(false))
        {
            Some(MountSpec::Bind {
                host_path, target, ..
            }) => println!(
                "PROBE {path} bind {} {}",
                host_path.display(),
                target.display()
            ),
            Some(MountSpec::Volume { name, target, .. }) => {
                println!("PROBE {path} volume {name} {}", target.display())
            }
            None => println!("PROBE {path} unmounted"),
        }
    }
}

#[test]
fn self_mounts_translate_paths_inside_a_supervisor_container() {
    if std::env::var(PROBE_ENV).as_deref() == Ok("1") {
        probe();
        return;
    }
    if !docker_available(PROBE_TEST) {
        return;
    }
    let case = Case::new("selfmounts");
    if !std::path::Path::new("/.dockerenv").exists() {
        assert_eq!(
            case.docker.self_mounts().unwrap(),
            None,
            "the host is no container"
        );
    }
    let workspace = shared_dir();
    let volume = TestVolume::create(&case);

    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new("docker");
    cmd.args(["run", "--name"])
        .arg(format!("wave-docker-selfprobe-{}", case.id));
    for (k, v) in case.test_labels() {
        cmd.args(["--label", &format!("{k}={v}")]);
    }
    let out = cmd
        .args(["--network", "none", "-e", &format!("{PROBE_ENV}=1")])
        .args(["-v", "/var/run/docker.sock:/var/run/docker.sock"])
        .args(["-v", &format!("{}:/probe:ro", exe.display())])
        .args(["-v", &format!("{}:/workspace", workspace.path().display())])
        .args(["-v", &format!("{}:/state", volume.name)])
        .args([test_image(), "/probe", "--exact", PROBE_TEST])
        .args(["--nocapture", "--test-threads=1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "probe failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // libtest prints `test <name> ... ` without a newline before a --nocapture test's output.
    let lines: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.find("PROBE ").map(|at| &l[at..]))
        .collect();
    assert!(lines[0].starts_with("PROBE container "), "{lines:?}");
    let ws = workspace.path().display();
    assert_eq!(
        &lines[1..],
        [
            format!("PROBE /workspace/sub/file bind {ws}/sub/file /workspace/sub/file").as_str(),
            format!("PROBE /state/x/y volume {} /state", volume.name).as_str(),
            "PROBE /etc/passwd unmounted",
        ]
    );
}
