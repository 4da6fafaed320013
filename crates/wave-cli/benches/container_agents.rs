//! Benchmark: per-agent overhead of sibling-container agents (`--agent-runtime container`) vs
//! process agents, for a wave of N `local` agents (+ A8, A9, A0), N = 1, 10, 50, and the floor
//! of N concurrent `docker run --rm` of the same image.
//!
//! Run with `cargo bench -p wave-cli --bench container_agents` (optionally `-- --sizes 1,10`);
//! needs a Docker engine, `bash-static` and `busybox-static`. Agents are held open 300 ms; the
//! critical path of agent time is 4 × 300 ms, and *overhead* is the wall time beyond it.

#[path = "support/sizes.rs"]
mod sizes;
#[path = "support/wide.rs"]
mod wide;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wide::wide_repo;

const DELAY_MS: u64 = 300;

fn launch(wave: &str, n: usize, container: Option<&str>) -> Duration {
    let repo = wide_repo(wave, n);
    let mut cmd = Command::new(wave);
    cmd.arg("--repo-root")
        .arg(repo.path())
        .args([
            "launch",
            "--agent-launch-stagger-ms",
            "0",
            "--max-concurrent-agents",
            &n.to_string(),
        ])
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", DELAY_MS.to_string())
        .env("WAVE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(image) = container {
        cmd.args([
            "--agent-runtime",
            "container",
            "--agent-image",
            image,
            "--agent-network",
            "none",
        ]);
    }
    let started = Instant::now();
    let status = cmd.status().unwrap();
    let took = started.elapsed();
    assert!(status.success(), "launch failed (container: {container:?})");
    took
}

fn floor(image: &str, n: usize) -> Duration {
    let started = Instant::now();
    let children: Vec<_> = (0..n)
        .map(|_| {
            Command::new("docker")
                .args([
                    "run",
                    "--rm",
                    "--network",
                    "none",
                    "--entrypoint",
                    "/bin/true",
                    image,
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        let _ = c.wait();
    }
    started.elapsed()
}

fn main() {
    let wave = env!("CARGO_BIN_EXE_wave");
    let sizes = sizes::sizes(&[1, 10, 50]);
    let image = format!("wave-bench-agents:{}", std::process::id());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../images/build-supervisor.sh"
    );
    let built = Command::new("bash")
        .args([script, wave, &image])
        .output()
        .unwrap();
    assert!(built.status.success(), "image build failed");
    let agent_time = Duration::from_millis(4 * DELAY_MS);
    for n in sizes {
        let process = launch(wave, n, None);
        let container = launch(wave, n, Some(&image));
        let floor = floor(&image, n);
        let per = |d: Duration| d.saturating_sub(agent_time).as_secs_f64() * 1e3 / (n + 3) as f64;
        println!(
            "N={n}: process {:.0} ms ({:.1} ms/agent over agent time), container {:.0} ms ({:.1} ms/agent); floor {n} concurrent `docker run --rm` {:.0} ms",
            process.as_secs_f64() * 1e3,
            per(process),
            container.as_secs_f64() * 1e3,
            per(container),
            floor.as_secs_f64() * 1e3
        );
    }
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();
}
