//! The `images/wave` Dockerfile builds from scratch around the static binary and runs.

use std::process::Command;

use crate::support::{assert_success, docker_available, stdout, wave_bin};

#[test]
fn scratch_image_builds_and_runs_doctor_help() {
    if !docker_available("scratch_image_builds_and_runs_doctor_help") {
        return;
    }
    let context = tempfile::tempdir().expect("build context");
    let dockerfile = concat!(env!("CARGO_MANIFEST_DIR"), "/../../images/wave/Dockerfile");
    std::fs::copy(dockerfile, context.path().join("Dockerfile")).expect("copy Dockerfile");
    std::fs::copy(wave_bin(), context.path().join("wave")).expect("copy wave binary");

    let tag = format!("wave-it-scratch:{}", std::process::id());
    let build = Command::new("docker")
        .args(["build", "--quiet", "--tag", &tag])
        .arg(context.path())
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("spawn docker build");
    assert_success(&build, "docker build of images/wave");

    let run = Command::new("docker")
        .args(["run", "--rm", "--network", "none", &tag, "doctor", "--help"])
        .output()
        .expect("spawn docker run");
    let _ = Command::new("docker")
        .args(["image", "rm", "--force", &tag])
        .output();
    assert_success(&run, "docker run <image> doctor --help");
    let help = stdout(&run);
    assert!(
        help.contains("Usage: wave doctor"),
        "unexpected help output:\n{help}"
    );
}
