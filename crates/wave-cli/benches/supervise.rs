//! Benchmark of the supervision surface: latency of `wave submit`, `wave status` and
//! `wave wait` (on a terminal run), submit-to-terminal time of the 4-agent starter wave beyond
//! the agents' own time, and the daemon's RSS idle and while 50 agents run.
//!
//! Run with `cargo bench -p wave-cli --bench supervise`. Agents are the built-in `local`
//! executor held open by its delay knob, so the starter wave's critical path of agent time is
//! 4 × `DELAY_MS` (A1, then A8, A9, A0 one after another). Figures go to docs/benchmarks.md.

#[path = "support/rusage.rs"]
mod rusage;
#[path = "support/wide.rs"]
mod wide;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusage::wait4;
use wide::wide_repo;

const RUNS: usize = 30;
const DELAY_MS: u64 = 200;
const SUP: &str = ".tmp/main-wave-launcher/control/supervisor";

fn wave_in(wave: &str, root: &Path) -> Command {
    let mut cmd = Command::new(wave);
    cmd.arg("--repo-root").arg(root);
    cmd
}

fn init(wave: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(wave_in(wave, dir.path())
        .arg("init")
        .output()
        .unwrap()
        .status
        .success());
    dir
}

// Children are reaped by `wait4` (to read their rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn measure(label: &str, mut make: impl FnMut() -> Command) {
    let mut samples = Vec::with_capacity(RUNS);
    let mut peak = 0i64;
    for _ in 0..RUNS {
        let mut cmd = make();
        let start = Instant::now();
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (status, rss) = wait4(child.id() as i32);
        samples.push(start.elapsed());
        assert_eq!(status, 0, "{label} failed");
        peak = peak.max(rss);
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{label:<40} median {:>7.2} ms [min {:.2} – max {:.2}], n={RUNS}; peak RSS {:.1} MiB",
        ms(samples[RUNS / 2]),
        ms(samples[0]),
        ms(samples[RUNS - 1]),
        peak as f64 / 1024.0
    );
}

fn submit(wave: &str, root: &Path, extra: &[&str]) -> String {
    let out = wave_in(wave, root)
        .args(["submit", "--agent-launch-stagger-ms", "0", "--json"])
        .args(extra)
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", DELAY_MS.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runId"].as_str().unwrap().to_string()
}

fn daemon(wave: &str, root: &Path, delay_ms: u64) -> Child {
    wave_in(wave, root)
        .args(["supervise"])
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", delay_ms.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_done(wave: &str, root: &Path, run: &str) {
    let out = wave_in(wave, root)
        .args(["wait", "--run-id", run, "--timeout-seconds", "120"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn vm_kib(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn latencies(wave: &str) {
    let repo = init(wave);
    let root = repo.path().to_path_buf();
    measure("floor: spawn `true`", || Command::new("true"));
    measure("wave submit --no-daemon (starter)", || {
        let mut c = wave_in(wave, &root);
        c.args(["submit", "--no-daemon", "--agent-launch-stagger-ms", "0"]);
        c
    });
    // One finished run to observe.
    let mut d = daemon(wave, &root, 0);
    let run = submit(wave, &root, &[]);
    wait_done(wave, &root, &run);
    measure("wave status (terminal run)", || {
        let mut c = wave_in(wave, &root);
        c.args(["status", "--run-id", &run]);
        c
    });
    measure("wave status --json (terminal run)", || {
        let mut c = wave_in(wave, &root);
        c.args(["status", "--run-id", &run, "--json"]);
        c
    });
    measure("wave wait (terminal run)", || {
        let mut c = wave_in(wave, &root);
        c.args(["wait", "--run-id", &run]);
        c
    });
    let _ = d.kill();
    let _ = d.wait();
}

fn submit_to_terminal(wave: &str) {
    // A fresh workspace per sample: a repeated submit would reuse A1 (same prompt hash) and
    // shorten the agents' critical path.
    let agent_time = Duration::from_millis(4 * DELAY_MS);
    let mut samples = Vec::new();
    let mut rss = (0, 0);
    for _ in 0..7 {
        let repo = init(wave);
        let root = repo.path();
        let mut d = daemon(wave, root, DELAY_MS);
        let lock = root.join(SUP).join("daemon.lock");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !lock.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let start = Instant::now();
        let run = submit(wave, root, &[]);
        wait_done(wave, root, &run);
        samples.push(start.elapsed().saturating_sub(agent_time));
        rss = (vm_kib(d.id(), "VmRSS:"), vm_kib(d.id(), "VmHWM:"));
        let _ = d.kill();
        let _ = d.wait();
    }
    samples.sort();
    println!(
        "submit → terminal, 4-agent starter wave, beyond 4×{DELAY_MS} ms of agent time: median {:.0} ms [min {:.0} – max {:.0}], n={}",
        samples[samples.len() / 2].as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
        samples.len()
    );
    println!(
        "daemon RSS after a run: VmRSS {:.1} MiB, VmHWM {:.1} MiB",
        rss.0 as f64 / 1024.0,
        rss.1 as f64 / 1024.0
    );
}

fn daemon_rss_with_agents(wave: &str, n: usize) {
    let repo = wide_repo(wave, n);
    let root = repo.path();
    let mut d = daemon(wave, root, 4000);
    // Idle: lease held, nothing queued.
    let lock = root.join(SUP).join("daemon.lock");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !lock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "daemon idle: VmRSS {:.1} MiB",
        vm_kib(d.id(), "VmRSS:") as f64 / 1024.0
    );
    let run = wave_in(wave, root)
        .args([
            "submit",
            "--agent-launch-stagger-ms",
            "0",
            "--max-concurrent-agents",
            &n.to_string(),
            "--json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let run = v["runId"].as_str().unwrap().to_string();
    let agents = root.join(SUP).join("runs").join(&run).join("agents");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut peak = 0;
    loop {
        let running = std::fs::read_dir(&agents)
            .map(|d| {
                d.flatten()
                    .filter(|e| {
                        std::fs::read_to_string(e.path())
                            .is_ok_and(|t| t.contains("\"terminalDisposition\": \"running\""))
                    })
                    .count()
            })
            .unwrap_or(0);
        peak = peak.max(vm_kib(d.id(), "VmRSS:"));
        if running >= n || Instant::now() > deadline {
            println!(
                "daemon with {running} agents running: VmRSS {:.1} MiB (peak sampled {:.1} MiB)",
                vm_kib(d.id(), "VmRSS:") as f64 / 1024.0,
                peak as f64 / 1024.0
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = d.kill();
    let _ = d.wait();
    let _ = Command::new("pkill")
        .args(["-9", "-f", &root.to_string_lossy()])
        .status();
}

fn main() {
    let wave = env!("CARGO_BIN_EXE_wave");
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --benches` builds this; only `cargo bench` runs it.
    }
    latencies(wave);
    submit_to_terminal(wave);
    daemon_rss_with_agents(wave, 50);
}
