//! Benchmark: one live wave of N `local` agents (+ A8, A9, A0) for N = 1, 10, 50, 200, with
//! `--agent-launch-stagger-ms 0`, against the floor of spawning N `true` processes.
//!
//! Run with `cargo bench -p wave-cli --bench wave_launch` (optionally `-- --sizes 1,10`). Every
//! agent is held open `DELAY_MS` by the local executor's delay knob, so the wave's critical
//! path of agent time is 4 × `DELAY_MS` (the fan-out, then A8, A9 and A0 one after another);
//! "overhead" is the wall time beyond that. While agents run, the bench samples each runner's
//! VmHWM from `/proc/<runnerPid>/status` (pids from the runtime records) and its USS (private
//! clean + dirty pages, `/proc/<pid>/smaps_rollup`): RSS also counts the binary's text pages,
//! which every runner shares through the page cache, so USS is what one more runner costs. The
//! launcher's peak RSS is its `wait4` rusage. Figures go to docs/benchmarks.md.

use std::path::Path;
#[path = "support/rusage.rs"]
mod rusage;
#[path = "support/sizes.rs"]
mod sizes;
#[path = "support/wide.rs"]
mod wide;

use rusage::wait4;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wide::wide_repo;

const DELAY_MS: u64 = 300;

fn vm_hwm_kib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix("VmHWM:")?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// Private (unshared) memory of a process: `Private_Clean + Private_Dirty` in KiB.
fn uss_kib(pid: i32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| -> Option<u64> {
        rollup.lines().find_map(|l| {
            l.strip_prefix(name)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
    };
    Some(field("Private_Clean:")? + field("Private_Dirty:")?)
}

/// Peak VmHWM and USS among the runners seen alive so far (runtime records name their pids).
fn sample_runners(
    state: &Path,
    peak: &mut u64,
    uss_peak: &mut u64,
    seen: &mut std::collections::BTreeSet<i32>,
) {
    let Ok(entries) = std::fs::read_dir(state.join("status")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".runtime.json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(record) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if let Some(pid) = record["runnerPid"].as_i64() {
            if let Some(kib) = vm_hwm_kib(pid as i32) {
                seen.insert(pid as i32);
                *peak = (*peak).max(kib);
                *uss_peak = (*uss_peak).max(uss_kib(pid as i32).unwrap_or(0));
            }
        }
    }
}

// The launcher child is reaped by `wait4` (for its rusage); `true` children by `wait`.
#[allow(clippy::zombie_processes)]
fn run_size(wave: &str, n: usize) {
    // Floor: spawn n `true` processes concurrently and wait for all.
    let start = Instant::now();
    let mut children: Vec<_> = (0..n)
        .map(|_| Command::new("true").spawn().unwrap())
        .collect();
    for c in &mut children {
        c.wait().unwrap();
    }
    let floor = start.elapsed();

    let dir = wide_repo(wave, n);
    let state = dir.path().join(".tmp/main-wave-launcher");
    let start = Instant::now();
    let child = Command::new(wave)
        .arg("--repo-root")
        .arg(dir.path())
        .args([
            "launch",
            "--agent-launch-stagger-ms",
            "0",
            "--max-concurrent-agents",
        ])
        .arg(n.max(1).to_string())
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", DELAY_MS.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let mut runner_peak = 0;
    let mut runner_uss = 0;
    let mut seen = std::collections::BTreeSet::new();
    // Sample runners until the launcher exits (WNOHANG peek via /proc).
    while Path::new(&format!("/proc/{pid}/stat")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
    {
        sample_runners(&state, &mut runner_peak, &mut runner_uss, &mut seen);
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, launcher_rss) = wait4(pid);
    let wall = start.elapsed();
    assert_eq!(code, 0, "wave of {n} agents failed");
    let agent_time = Duration::from_millis(4 * DELAY_MS);
    println!(
        "N={n:>3}: wall {:>8.1} ms, overhead beyond agents {:>7.1} ms ({:.2} ms/agent); launcher peak RSS {:.1} MiB; \
         runner peak RSS {:.2} MiB, USS {:.2} MiB (sampled {} runners); floor spawn {n}×true {:.1} ms",
        wall.as_secs_f64() * 1e3,
        (wall.saturating_sub(agent_time)).as_secs_f64() * 1e3,
        wall.saturating_sub(agent_time).as_secs_f64() * 1e3 / (n + 3) as f64,
        launcher_rss as f64 / 1024.0,
        runner_peak as f64 / 1024.0,
        runner_uss as f64 / 1024.0,
        seen.len(),
        floor.as_secs_f64() * 1e3,
    );
}

fn main() {
    let wave = env!("CARGO_BIN_EXE_wave");
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        return; // `cargo test --benches` builds this; only `cargo bench` runs it.
    }
    let sizes = sizes::sizes(&[1, 10, 50, 200]);
    for n in sizes {
        run_size(wave, n);
    }
}
