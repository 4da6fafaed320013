//! Benchmark: how long an agent container takes to start, print and exit through the API,
//! next to `docker run --rm` of the same image and settings through the CLI.
//!
//! Run with `cargo bench -p wave-docker --bench container_start` (needs a Docker engine; the
//! FROM-scratch test image is built first and removed at exit). Per sample, through
//! `DockerClient`: create → start → first output line (read with `logs_follow`), then → exit
//! (`wait`), then remove; and create → start → exit for a silent command. Through the CLI:
//! spawn `docker run --rm …` → first stdout line → process exit (which includes the removal).
//! Prints medians and ranges; figures go to docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{docker_available, test_image, Case};

const SAMPLES: usize = 15;
const LONG: Duration = Duration::from_secs(60);

/// Remembers when the first complete line arrived.
struct FirstLine {
    start: Instant,
    at: Option<Duration>,
}

impl Write for FirstLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.at.is_none() && buf.contains(&b'\n') {
            self.at = Some(self.start.elapsed());
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's resident set size in KiB (`VmRSS` of `/proc/self/status`).
fn vm_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name:<44} median {:>7.1} ms  [{:.1}–{:.1}]  n={}",
        ms(v[v.len() / 2]),
        ms(v[0]),
        ms(v[v.len() - 1]),
        v.len()
    );
}

fn main() {
    if !docker_available("container_start bench") {
        return;
    }
    let image = test_image();
    let rss_before = vm_rss_kib();
    let case = Case::new("bench");
    let rss_connected = vm_rss_kib();
    let docker = &case.docker;
    let (mut api_first, mut api_exit, mut api_remove, mut api_silent) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut cli_first, mut cli_exit) = (Vec::new(), Vec::new());
    let (mut api_create, mut api_start) = (Vec::new(), Vec::new());
    let user = "65532:65532";
    for i in 0..SAMPLES {
        // API: create → start → first line → exit → remove.
        let mut spec = case.spec(&format!("P{i}"), "echo ready");
        spec.user = Some(user.into());
        let t = Instant::now();
        let id = docker.create_agent(&spec).unwrap();
        api_create.push(t.elapsed());
        docker.start(id.as_str()).unwrap();
        api_start.push(t.elapsed());
        let mut first = FirstLine { start: t, at: None };
        docker.logs_follow(id.as_str(), &mut first, LONG).unwrap();
        let exit = docker.wait(id.as_str(), LONG).unwrap();
        let exited = t.elapsed();
        assert_eq!(exit.code, 0);
        docker.remove(id.as_str()).unwrap();
        api_first.push(first.at.expect("the agent printed a line"));
        api_exit.push(exited);
        api_remove.push(t.elapsed());

        // API, silent command: create → start → exit.
        let mut spec = case.spec(&format!("S{i}"), "true");
        spec.user = Some(user.into());
        let t = Instant::now();
        let id = docker.create_agent(&spec).unwrap();
        docker.start(id.as_str()).unwrap();
        docker.wait(id.as_str(), LONG).unwrap();
        api_silent.push(t.elapsed());
        docker.remove(id.as_str()).unwrap();

        // CLI: docker run --rm with the same settings.
        let t = Instant::now();
        let mut child = Command::new("docker")
            .args(["run", "--rm", "--cap-drop", "ALL", "--security-opt"])
            .args(["no-new-privileges", "--network", "none", "--user", user])
            .args(["--label", "wave.test=1", "--label"])
            .arg(format!("wave.test.case={}", case.id))
            .args([image, "bash", "-c", "echo ready"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        cli_first.push(t.elapsed());
        assert!(child.wait().unwrap().success());
        cli_exit.push(t.elapsed());
        assert_eq!(line, "ready\n");
    }
    println!(
        "engine API {} via {}",
        docker.api_version(),
        docker.endpoint()
    );
    println!(
        "VmRSS: {rss_before} KiB before connect, {rss_connected} KiB connected, {} KiB after {} samples",
        vm_rss_kib(),
        SAMPLES
    );
    summary("API create (returns id)", api_create);
    summary("API create→start (start returns)", api_start);
    summary("API create→start→first line", api_first);
    summary("API create→start→exit (wait)", api_exit);
    summary("API create→…→exit→removed", api_remove);
    summary("API create→start→exit, silent `true`", api_silent);
    summary("CLI docker run --rm → first line", cli_first);
    summary("CLI docker run --rm → exit (incl. removal)", cli_exit);
}
