//! Benchmark: `wave image build` (the native, Docker-free builder) beside `docker build` of
//! `images/supervisor/Dockerfile` (what `images/build-supervisor.sh` runs) with the same
//! binary and the same static toolset.
//!
//! Run with `cargo bench -p wave-cli --bench image_build` (bench profile build of `wave`; it is
//! also the binary put into the images). Reported: wall time (median of `RUNS`), the builder's
//! peak RSS (`wait4`), and the size of what would be shipped: the archive file for the native
//! builder, `docker save | gzip -6` for the Dockerfile build (Docker's own layers are not
//! compressed until pushed). The Docker rows are skipped when no engine answers. Figures go to
//! docs/benchmarks.md.

#[path = "support/rusage.rs"]
mod rusage;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn median(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    )
}

// The child is reaped by `wait4` (to read its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn native(wave: &str, format: &str, out: &Path, load: Option<&str>) {
    let mut samples = Vec::new();
    let mut peak = 0i64;
    for _ in 0..RUNS {
        let mut cmd = Command::new(wave);
        cmd.args(["image", "build", "--format", format, "--output"])
            .arg(out)
            .env("SOURCE_DATE_EPOCH", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(tag) = load {
            cmd.args(["--load", "--tag", tag]);
        }
        let start = Instant::now();
        let child = cmd.spawn().expect("spawn wave image build");
        let (status, rss) = rusage::wait4(child.id() as i32);
        samples.push(start.elapsed());
        assert_eq!(status, 0, "wave image build exited {status}");
        peak = peak.max(rss);
    }
    let size = std::fs::metadata(out).expect("archive").len();
    let (med, min, max) = median(samples);
    let what = match load {
        Some(_) => format!("wave image build --format {format} --load"),
        None => format!("wave image build --format {format}"),
    };
    println!(
        "{what:<44} median {med:>8.0} ms [{min:.0} – {max:.0}], n={RUNS}; peak RSS {:.1} MiB; archive {:.2} MiB",
        peak as f64 / 1024.0,
        size as f64 / (1024.0 * 1024.0)
    );
}

fn docker_ok() -> bool {
    Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn dockerfile_build(wave: &str, dir: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ctx = dir.join("ctx");
    std::fs::create_dir_all(&ctx).expect("context");
    std::fs::copy(
        repo.join("images/supervisor/Dockerfile"),
        ctx.join("Dockerfile"),
    )
    .expect("Dockerfile");
    std::fs::copy(wave, ctx.join("wave")).expect("wave");
    std::fs::copy("/bin/bash-static", ctx.join("bash")).expect("bash-static");
    std::fs::copy("/bin/busybox", ctx.join("busybox")).expect("busybox");
    let tag = format!("wave-bench-dockerfile:{}", std::process::id());
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = Command::new("docker")
            .args([
                "build",
                "--quiet",
                "--no-cache",
                "--label",
                "wave.test=1",
                "--tag",
                &tag,
            ])
            .arg(&ctx)
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .expect("docker build");
        samples.push(start.elapsed());
        assert!(
            out.status.success(),
            "docker build: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (med, min, max) = median(samples);
    let gz = dir.join("dockerfile.tar.gz");
    let save = Command::new("sh")
        .arg("-c")
        .arg(format!("docker save {tag} | gzip -6 > {}", gz.display()))
        .status()
        .expect("docker save");
    assert!(save.success(), "docker save | gzip");
    let size = std::fs::metadata(&gz).expect("saved").len();
    println!(
        "{:<44} median {med:>8.0} ms [{min:.0} – {max:.0}], n={RUNS}; docker save | gzip -6: {:.2} MiB",
        "docker build images/supervisor/Dockerfile",
        size as f64 / (1024.0 * 1024.0)
    );
    let _ = Command::new("docker")
        .args(["image", "rm", "--force", &tag])
        .output();
}

fn main() {
    let wave = env!("CARGO_BIN_EXE_wave");
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = std::fs::metadata(wave).expect("wave").len();
    println!(
        "wave binary: {:.2} MiB ({wave})",
        binary as f64 / (1024.0 * 1024.0)
    );
    native(wave, "oci", &dir.path().join("oci.tar"), None);
    native(wave, "docker", &dir.path().join("docker.tar"), None);
    if !docker_ok() {
        println!("SKIP the Docker rows: no Docker engine");
        return;
    }
    let tag = format!("wave-bench-native:{}", std::process::id());
    native(wave, "docker", &dir.path().join("docker.tar"), Some(&tag));
    let _ = Command::new("docker")
        .args(["image", "rm", "--force", &tag])
        .output();
    dockerfile_build(wave, dir.path());
}
