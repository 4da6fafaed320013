//! Benchmark: wall time and peak RSS of short `wave` commands on the starter workspace, beside
//! the floor of spawning `true`.
//!
//! Run with `cargo bench -p wave-cli --bench cli_latency` (it uses the bench profile's build of
//! `wave`). Each command runs `RUNS` times; the peak RSS is the child's `ru_maxrss` from
//! `wait4`. Figures go to docs/benchmarks.md.

#[path = "support/rusage.rs"]
mod rusage;

use rusage::wait4;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 30;

// The child is reaped by `wait4` (to read its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn measure(label: &str, mut make: impl FnMut() -> Command) {
    let mut samples = Vec::with_capacity(RUNS);
    let mut peak_kib = 0i64;
    for _ in 0..RUNS {
        let mut cmd = make();
        let start = Instant::now();
        let child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let pid = child.id() as i32;
        let (status, rss) = wait4(pid);
        samples.push(start.elapsed());
        assert!(status == 0, "{label} exited {status}");
        peak_kib = peak_kib.max(rss);
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<32} median {:>7.2} ms [min {:.2} – max {:.2}], n={RUNS}; peak RSS {:.1} MiB",
        ms(samples[RUNS / 2]),
        ms(samples[0]),
        ms(samples[RUNS - 1]),
        peak_kib as f64 / 1024.0
    );
}

fn main() {
    let wave = env!("CARGO_BIN_EXE_wave");
    let repo = tempfile::tempdir().expect("temp repo");
    let init = Command::new(wave)
        .arg("--repo-root")
        .arg(repo.path())
        .arg("init")
        .output()
        .expect("init");
    assert!(init.status.success(), "wave init failed");
    let root = repo.path().to_path_buf();

    measure("floor: spawn `true`", || Command::new("true"));
    measure("wave --version", || {
        let mut c = Command::new(wave);
        c.arg("--version");
        c
    });
    measure("wave doctor (starter)", || {
        let mut c = Command::new(wave);
        c.arg("--repo-root").arg(&root).arg("doctor");
        c
    });
    measure("wave launch --dry-run (starter)", || {
        let mut c = Command::new(wave);
        c.arg("--repo-root")
            .arg(&root)
            .args(["launch", "--dry-run"]);
        c
    });
}
