//! Benchmark: how long `wave launch` takes to drain N running agents after SIGTERM (N = 1,
//! 10, 50): from the signal to the launcher's exit (143), with every agent's outcome recorded.
//!
//! Run with `cargo bench -p wave-cli --bench drain` (optionally `-- --sizes 1,10`). Each agent
//! is a `local` executor held open for 120 s, so all N are running when the signal arrives;
//! the floor is SIGTERM to N `sleep` processes and waiting for them. Figures go to
//! docs/benchmarks.md.

#[path = "support/sizes.rs"]
mod sizes;
#[path = "support/wide.rs"]
mod wide;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use wide::wide_repo;

fn running_agents(state: &std::path::Path) -> usize {
    let Ok(dir) = std::fs::read_dir(state.join("status")) else {
        return 0;
    };
    dir.flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".runtime.json"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|t| {
            t.contains("\"terminalDisposition\": \"running\"") && t.contains("executorPid\": ")
        })
        .count()
}

fn sample(wave: &str, n: usize) -> (Duration, Duration, i32) {
    let repo = wide_repo(wave, n);
    let state = repo.path().join(".tmp/main-wave-launcher");
    let mut child = Command::new(wave)
        .arg("--repo-root")
        .arg(repo.path())
        .args([
            "launch",
            "--agent-launch-stagger-ms",
            "0",
            "--max-concurrent-agents",
            &n.to_string(),
        ])
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", "120000")
        .env("WAVE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while running_agents(&state) < n {
        assert!(Instant::now() < deadline, "agents never all ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    let signalled = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    let drain = signalled.elapsed();

    // Floor: SIGTERM to n sleeps and wait for all of them.
    let mut sleeps: Vec<_> = (0..n)
        .map(|_| Command::new("sleep").arg("120").spawn().unwrap())
        .collect();
    let t = Instant::now();
    for s in &sleeps {
        let _ = kill(Pid::from_raw(s.id() as i32), Signal::SIGTERM);
    }
    for s in &mut sleeps {
        let _ = s.wait();
    }
    let floor = t.elapsed();
    let _ = Command::new("pkill")
        .args(["-9", "-f", &repo.path().to_string_lossy()])
        .status();
    (drain, floor, status.code().unwrap_or(-1))
}

fn main() {
    let wave = env!("CARGO_BIN_EXE_wave");
    let sizes = sizes::sizes(&[1, 10, 50]);
    for n in sizes {
        let mut drains = Vec::new();
        let mut floors = Vec::new();
        for _ in 0..3 {
            let (drain, floor, code) = sample(wave, n);
            assert_eq!(code, 143, "a drained launcher exits 143");
            drains.push(drain);
            floors.push(floor);
        }
        drains.sort();
        floors.sort();
        println!(
            "drain N={n}: SIGTERM -> exit 143 median {:.1} ms [{:.1}-{:.1}] (3 samples); floor SIGTERM+wait of {n} sleeps {:.2} ms",
            drains[1].as_secs_f64() * 1e3,
            drains[0].as_secs_f64() * 1e3,
            drains[2].as_secs_f64() * 1e3,
            floors[1].as_secs_f64() * 1e3
        );
    }
}
