//! Shared fixtures for the runner's integration tests: a payload in a temp state directory, a
//! fifo the executor blocks on until the test releases it, and deadline-bounded polling that
//! reports the last observed state when it gives up. No test sleeps to synchronise.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::stat::Mode;
use tempfile::TempDir;
use wave_runtime::payload::{DEFAULT_GRACE_MS, PAYLOAD_SCHEMA_VERSION};
use wave_runtime::{
    prepare_launch, read_runtime_record, read_status_if_present, spawn_detached, wait_for_exit,
    ExecCommand, RunnerPayload, RuntimeRecord, SpawnedRunner, StatusRecord, WaitOutcome,
};

/// Generous bound for anything that should happen "soon" on a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The test runner executable (calls `run_agent`).
pub fn runner_exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_wave-runner-test"))
}

/// Re-runs `probe` until it returns `Ok` or `timeout` passes; on timeout panics with `what` and
/// the last `Err` (the observed state).
pub fn poll_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match probe() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last observed: {last}")
            }
            Err(_) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
        }
    }
}

/// A payload under a temp directory: `repo/`, `state/{logs,status,executors}`, fifo `go`.
pub struct Fixture {
    pub dir: TempDir,
    pub payload: RunnerPayload,
    pub payload_path: PathBuf,
    pub fifo: PathBuf,
}

impl Fixture {
    /// A fixture running `script` with `bash -c`; `$GO` names the fifo.
    pub fn shell(script: &str) -> Self {
        Self::with_command(ExecCommand::Shell(script.into()))
    }

    pub fn with_command(command: ExecCommand) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let repo = root.join("repo");
        fs::create_dir_all(&repo).unwrap();
        let fifo = root.join("go");
        nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o600)).unwrap();
        let state = root.join("state");
        let payload = RunnerPayload {
            schema_version: PAYLOAD_SCHEMA_VERSION,
            run_id: None,
            lane: "main".parse().unwrap(),
            wave_number: 0.into(),
            attempt: 1,
            agent_id: "A1".parse().unwrap(),
            session_name: None,
            executor_id: "local".into(),
            prompt_hash: Some("hash-1".into()),
            orchestrator_id: Some("orch-1".into()),
            repo_root: repo,
            command,
            log_path: state.join("logs/wave-0-0-a1.log"),
            status_path: state.join("status/wave-0-0-a1.status"),
            runtime_path: Some(state.join("status/wave-0-0-a1.runtime.json")),
            env: BTreeMap::from([("GO".into(), fifo.display().to_string())]),
            pass_env: Vec::new(),
            grace_ms: DEFAULT_GRACE_MS,
            timeout_ms: None,
            heartbeat_ms: 10_000,
            slots: None,
        };
        let payload_path = state.join("executors/wave-0/0-a1/runner-payload.json");
        Fixture {
            dir,
            payload,
            payload_path,
            fifo,
        }
    }

    /// Prepares the launch (payload, launching record) and spawns a detached runner for it.
    pub fn spawn(&self) -> SpawnedRunner {
        prepare_launch(&self.payload_path, &self.payload).unwrap();
        spawn_detached(&self.payload_path, runner_exe()).unwrap()
    }

    pub fn status(&self) -> Option<StatusRecord> {
        read_status_if_present(&self.payload.status_path).unwrap()
    }

    pub fn record(&self) -> Option<RuntimeRecord> {
        read_runtime_record(self.payload.runtime_path.as_ref().unwrap()).unwrap()
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.payload.log_path).unwrap_or_default()
    }

    /// Waits until the runtime record shows a running executor and returns it.
    pub fn wait_running(&self) -> RuntimeRecord {
        poll_until(
            "a running executor in the runtime record",
            PATIENCE,
            || match self.record() {
                Some(r) if r.executor_pid.is_some() => Ok(r),
                other => Err(format!("{other:?}")),
            },
        )
    }

    /// Lets an executor blocked in `read x < "$GO"` continue (waits for it to open the fifo).
    pub fn release(&self) {
        let mut fifo = poll_until("the executor to open the fifo", PATIENCE, || {
            OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.fifo)
                .map_err(|e| format!("{e}; log: {:?}", self.log()))
        });
        fifo.write_all(b"go\n").unwrap();
    }

    /// Waits for the runner to exit (it is not our child) and returns the status it wrote.
    pub fn wait_done(&self, runner: &SpawnedRunner) -> StatusRecord {
        let ticks = runner.start_time_ticks.expect("runner start time");
        let outcome = wait_for_exit(runner.pid, ticks, Instant::now() + PATIENCE).unwrap();
        assert_eq!(
            outcome,
            WaitOutcome::Exited,
            "runner still running; record: {:?}; log: {:?}",
            self.record(),
            self.log()
        );
        self.status().unwrap_or_else(|| {
            panic!(
                "runner exited without status; record: {:?}; log: {:?}",
                self.record(),
                self.log()
            )
        })
    }
}
