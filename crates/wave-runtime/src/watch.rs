//! Watching an agent to its end — the agent a launcher just started, or one a resumed launcher
//! finds already running — including the case where its runner died first.
//!
//! Normally the runner writes the status file and exits, and [`watch_agent`] returns when the
//! runner's pidfd fires. When the runner was killed, the executor keeps running (it leads its
//! own process group and no terminal ties it to the runner). The watcher then waits for the
//! executor itself, reads the exit code the agent script left in its side file
//! ([`crate::exit_file_for`]), and writes the final runtime record, the log line and the status
//! file the runner could not: the executor runs exactly once, and no outcome is lost. With no
//! side file (the script itself was killed) the record is marked `failed` and no status is
//! written, so the launcher sees a run that ended without status.

use std::time::{Duration, Instant};

use crate::error::RunnerError;
use crate::payload::RunnerPayload;
use crate::procfs::is_alive;
use crate::record::{
    exit_file_for, read_exit_file, read_runtime_record, read_status_if_present, RuntimeRecord,
    StatusRecord, TerminalDisposition,
};
use crate::runner::{append_line, now_iso};
use crate::wait::{wait_for_exit, WaitOutcome};

/// How a watched agent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchOutcome {
    /// The runner finished and wrote the status file.
    Finished,
    /// The runner was gone; the watcher finished the agent from its exit-code side file.
    FinishedAfterRunnerLoss {
        /// The executor's exit code.
        code: i32,
    },
    /// Runner and executor are gone and nothing recorded the exit code.
    Lost,
}

/// True when the record's executor is still that process.
pub fn executor_is_alive(record: &RuntimeRecord) -> bool {
    match (record.executor_pid, record.executor_start_ticks) {
        (Some(pid), Some(ticks)) => is_alive(pid, ticks),
        _ => false,
    }
}

/// Waits until the agent of `payload` has ended (see the module docs). `runner` is the runner's
/// pid and start time when known (a fresh spawn); otherwise they are read from the record.
pub fn watch_agent(
    payload: &RunnerPayload,
    runner: Option<(i32, u64)>,
) -> Result<WatchOutcome, RunnerError> {
    let far = Instant::now() + Duration::from_secs(60 * 60 * 24 * 365);
    let record = || {
        payload
            .runtime_path
            .as_deref()
            .and_then(|p| read_runtime_record(p).ok().flatten())
    };
    let runner = runner.or_else(|| {
        let r = record()?;
        Some((r.runner_pid?, r.runner_start_ticks?))
    });
    if let Some((pid, ticks)) = runner {
        wait_for_exit(pid, ticks, far)?;
    }
    if read_status_if_present(&payload.status_path)?.is_some() {
        return Ok(WatchOutcome::Finished);
    }
    // The runner ended without a status: it was killed. Wait for the executor it left.
    let Some(mut rec) = record() else {
        return Ok(WatchOutcome::Lost);
    };
    if let (Some(pid), Some(ticks)) = (rec.executor_pid, rec.executor_start_ticks) {
        // The runner enforced the timeout; without it, the watcher does (from now, leniently).
        let deadline = payload
            .timeout_ms
            .map_or(far, |ms| Instant::now() + Duration::from_millis(ms));
        if wait_for_exit(pid, ticks, deadline)? == WaitOutcome::TimedOut {
            crate::terminate(&rec, Duration::from_millis(payload.grace_ms))?;
        }
    }
    // A runner killed between its status write and its exit leaves a status: done.
    if read_status_if_present(&payload.status_path)?.is_some() {
        return Ok(WatchOutcome::Finished);
    }
    let now = now_iso();
    rec.completed_at = Some(now.clone());
    rec.last_heartbeat_at = now.clone();
    let Some(code) = read_exit_file(&exit_file_for(&payload.status_path)) else {
        rec.terminal_disposition = TerminalDisposition::Failed;
        rec.exit_reason = Some("runner-lost".into());
        if let Some(path) = &payload.runtime_path {
            wave_store::write_json_atomic(path, &rec)?;
        }
        return Ok(WatchOutcome::Lost);
    };
    rec.exit_code = Some(code);
    rec.exit_reason = Some(if code == 0 { "completed" } else { "failed" }.into());
    rec.terminal_disposition = if code == 0 {
        TerminalDisposition::Completed
    } else {
        TerminalDisposition::Failed
    };
    if let Some(path) = &payload.runtime_path {
        wave_store::write_json_atomic(path, &rec)?;
    }
    append_line(
        &payload.log_path,
        &format!(
            "[{}-wave-launcher] {} finished with code {code} (adopted after its runner was lost)",
            payload.lane,
            payload.display_name()
        ),
    )?;
    let status = StatusRecord {
        code,
        prompt_hash: payload.prompt_hash.clone(),
        orchestrator_id: payload.orchestrator_id.clone(),
        attempt: payload.attempt,
        completed_at: now,
    };
    wave_store::write_json_atomic(&payload.status_path, &status)?;
    Ok(WatchOutcome::FinishedAfterRunnerLoss { code })
}
