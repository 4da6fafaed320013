//! Benchmark: `wave k8s render` wall time and peak RSS on the starter workspace, and how fast
//! `wave k8s wait-wave` returns once the wave is recorded completed (the wake latency of the
//! init container that orders the Jobs).
//!
//! Run with `cargo bench -p wave-cli --bench k8s`. Figures go to docs/benchmarks.md.

#[path = "support/rusage.rs"]
mod rusage;

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rusage::wait4;

const RUNS: usize = 30;

fn report(label: &str, mut samples: Vec<Duration>, peak_kib: Option<i64>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rss = peak_kib.map_or_else(String::new, |k| {
        format!("; peak RSS {:.1} MiB", k as f64 / 1024.0)
    });
    println!(
        "{label:<40} median {:>7.2} ms [min {:.2} – max {:.2}], n={}{rss}",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}

// The child is reaped by `wait4` (to read its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn measure(label: &str, wave: &str, root: &Path, args: &[&str]) {
    let mut samples = Vec::with_capacity(RUNS);
    let mut peak = 0i64;
    for _ in 0..RUNS {
        let start = Instant::now();
        let child = Command::new(wave)
            .arg("--repo-root")
            .arg(root)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let (status, rss) = wait4(child.id() as i32);
        samples.push(start.elapsed());
        assert_eq!(status, 0, "{label} exited {status}");
        peak = peak.max(rss);
    }
    report(label, samples, Some(peak));
}

/// From the atomic rename of a run-state.json recording wave 0 to the waiter's exit.
fn wake_latency(wave: &str, root: &Path) {
    let state_dir = root.join(".tmp/main-wave-launcher");
    std::fs::create_dir_all(&state_dir).unwrap();
    let state = state_dir.join("run-state.json");
    let tmp = state_dir.join("run-state.json.tmp");
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let _ = std::fs::remove_file(&state);
        let mut child = Command::new(wave)
            .arg("--repo-root")
            .arg(root)
            .args(["k8s", "wait-wave", "--wave", "0", "--timeout-seconds", "30"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wait-wave");
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        assert!(line.starts_with("[wave] waiting"), "{line}");
        std::fs::write(
            &tmp,
            r#"{"schemaVersion":2,"kind":"wave-run-state","completedWaves":[0],"waves":{},"history":[]}"#,
        )
        .unwrap();
        let start = Instant::now();
        std::fs::rename(&tmp, &state).unwrap();
        let status = child.wait().unwrap();
        samples.push(start.elapsed());
        assert!(status.success(), "wait-wave exited {status:?}");
    }
    report("wait-wave: recorded completed -> exit", samples, None);
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
    let root = repo.path();
    measure(
        "wave k8s render (starter, 1 Job)",
        wave,
        root,
        &["k8s", "render"],
    );
    measure(
        "wave k8s render --with-base",
        wave,
        root,
        &["k8s", "render", "--with-base"],
    );
    wake_latency(wave, root);
}
