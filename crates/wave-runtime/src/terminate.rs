//! Stopping an agent from outside its runner: SIGTERM, a grace period, then SIGKILL.
//!
//! Targets come from the runtime record. Nothing is signalled unless it is verified to still be
//! the recorded process:
//! - the runner only when `(runnerPid, runnerStartTicks)` still matches;
//! - the executor's process group only while it has live members in the runner's session
//!   (`pgid` + `sid`), so a recycled group id elsewhere is never hit.
//!
//! The runner is told too (SIGTERM), so it records `terminated` with the executor's real exit
//! status and writes the status file. If the runner is already dead, the group is still stopped
//! but no status file is written; the caller records the failure.

use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

use crate::error::RunnerError;
use crate::procfs::{group_members, is_alive};
use crate::record::RuntimeRecord;

/// What [`terminate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminateOutcome {
    /// Neither the runner nor any member of the executor's group was alive.
    NotRunning,
    /// SIGTERM was enough: the group was empty within the grace period.
    Terminated,
    /// The group was still populated after the grace period and got SIGKILL.
    Killed,
}

/// The executor's group and session from a record, when both are known.
fn group_of(record: &RuntimeRecord) -> Option<(i32, i32)> {
    let pgid = record.pgid.filter(|&p| p > 1)?;
    let sid = record.sid.or(record.runner_pid).filter(|&s| s > 1)?;
    Some((pgid, sid))
}

/// Sends `signal` to the group if it still has live members in our session. Returns whether it
/// was sent.
fn signal_group(group: Option<(i32, i32)>, signal: Signal) -> Result<bool, RunnerError> {
    let Some((pgid, sid)) = group else {
        return Ok(false);
    };
    if group_members(pgid, sid).is_empty() {
        return Ok(false);
    }
    match killpg(Pid::from_raw(pgid), signal) {
        Ok(()) => Ok(true),
        Err(Errno::ESRCH) => Ok(false),
        Err(err) => Err(RunnerError::process("signal process group", -pgid, err)),
    }
}

/// Polls until the group has no live member or `deadline`; true when it emptied.
pub(crate) fn wait_group_empty(pgid: i32, sid: i32, deadline: Instant) -> bool {
    let mut pause = Duration::from_millis(1);
    loop {
        if group_members(pgid, sid).is_empty() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

/// Stops the agent described by `record`: SIGTERM to the runner and to the executor's process
/// group (grandchildren included), then SIGKILL to the group if it still has members after
/// `grace`. Returns after the group is empty (SIGKILL'd processes in uninterruptible sleep may
/// take a moment; the wait after SIGKILL is bounded by another `grace`, at least 1 s).
pub fn terminate(record: &RuntimeRecord, grace: Duration) -> Result<TerminateOutcome, RunnerError> {
    let group = group_of(record);
    let runner = match (record.runner_pid, record.runner_start_ticks) {
        (Some(pid), Some(ticks)) if pid > 1 && is_alive(pid, ticks) => Some(pid),
        _ => None,
    };
    let mut signalled = false;
    if let Some(pid) = runner {
        match kill(Pid::from_raw(pid), Signal::SIGTERM) {
            Ok(()) => signalled = true,
            Err(Errno::ESRCH) => {}
            Err(err) => return Err(RunnerError::process("signal runner", pid, err)),
        }
    }
    let group_signalled = signal_group(group, Signal::SIGTERM)?;
    if !signalled && !group_signalled {
        return Ok(TerminateOutcome::NotRunning);
    }
    let Some((pgid, sid)) = group else {
        return Ok(TerminateOutcome::Terminated);
    };
    if wait_group_empty(pgid, sid, Instant::now() + grace) {
        return Ok(TerminateOutcome::Terminated);
    }
    if !signal_group(group, Signal::SIGKILL)? {
        return Ok(TerminateOutcome::Terminated);
    }
    wait_group_empty(
        pgid,
        sid,
        Instant::now() + grace.max(Duration::from_secs(1)),
    );
    Ok(TerminateOutcome::Killed)
}
