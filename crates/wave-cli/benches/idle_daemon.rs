//! Benchmark: an idle daemon's CPU time with 0 and with 1000 finished runs in its lane.
//!
//! Run with `cargo bench -p wave-cli --bench idle_daemon`. Each case starts `wave supervise`
//! with its default fallback poll (2 s) over a lane holding N terminal runs, lets it settle for
//! 2 s, then reads its user+system CPU ticks from `/proc/<pid>/stat` over 20 s. Terminal runs
//! should cost nothing per pass (they are not re-read). Figures go to docs/benchmarks.md.

use std::process::{Command, Stdio};
use std::time::Duration;

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after "pid (comm) ".
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn case(wave: &str, n: u32) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    assert!(Command::new(wave)
        .arg("--repo-root")
        .arg(root)
        .arg("init")
        .output()
        .unwrap()
        .status
        .success());
    let runs = root.join(".tmp/main-wave-launcher/control/supervisor/runs");
    for i in 0..n {
        let id = format!("run-17954653{i:05}-{i:08x}");
        let state = serde_json::json!({
            "runId": id, "project": "default", "lane": "main", "adhocRunId": null,
            "status": "completed", "exitCode": 0, "terminalDisposition": "completed",
            "launcherArgs": [], "submittedAt": "2026-11-24T10:00:00.000Z",
            "completedAt": "2026-11-24T10:01:00.000Z"
        });
        std::fs::create_dir_all(runs.join(&id)).unwrap();
        std::fs::write(runs.join(&id).join("state.json"), state.to_string()).unwrap();
    }
    let mut daemon = Command::new(wave)
        .arg("--repo-root")
        .arg(root)
        .arg("supervise")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let before = cpu_ticks(daemon.id());
    std::thread::sleep(Duration::from_secs(20));
    let after = cpu_ticks(daemon.id());
    let _ = daemon.kill();
    let _ = daemon.wait();
    let hz = 100.0; // USER_HZ on Linux
    (after - before) as f64 / hz * 1000.0 / 20.0
}

fn main() {
    let wave = env!("CARGO_BIN_EXE_wave");
    for n in [0, 1000] {
        let ms_per_s = case(wave, n);
        println!(
            "idle daemon, {n} finished runs: {ms_per_s:.2} ms CPU per second ({:.3} % of a core)",
            ms_per_s / 10.0
        );
    }
}
