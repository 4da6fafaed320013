//! `terminate`, `is_alive` and the pid-reuse guard with real process groups.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{poll_until, Fixture, PATIENCE};
use wave_runtime::procfs::group_members;
use wave_runtime::{
    is_alive, start_time_ticks, terminate, wait_for_exit, RuntimeRecord, TerminalDisposition,
    TerminateOutcome, WaitOutcome,
};

/// Waits until the executor's group has at least `n` live members and returns the record.
fn wait_members(fx: &Fixture, n: usize) -> RuntimeRecord {
    let record = fx.wait_running();
    let (pgid, sid) = (record.pgid.unwrap(), record.sid.unwrap());
    poll_until(
        &format!("{n} live processes in group {pgid}"),
        PATIENCE,
        || {
            let members = group_members(pgid, sid);
            if members.len() >= n {
                Ok(())
            } else {
                Err(format!("members {members:?}"))
            }
        },
    );
    record
}

#[test]
fn term_then_kill_stops_a_group_that_ignores_term_including_grandchildren() {
    let mut fx = Fixture::shell("trap '' TERM; sleep 1000 & sleep 1000 & wait");
    // Keep the runner's own escalation out of the way: terminate() must do the SIGKILL.
    fx.payload.grace_ms = 600_000;
    let runner = fx.spawn();
    let record = wait_members(&fx, 3);
    let (pgid, sid) = (record.pgid.unwrap(), record.sid.unwrap());

    let outcome = terminate(&record, Duration::from_millis(200)).unwrap();
    assert_eq!(outcome, TerminateOutcome::Killed);
    assert_eq!(group_members(pgid, sid), Vec::<i32>::new());

    let status = fx.wait_done(&runner);
    assert_eq!(status.code, 137);
    let record = fx.record().unwrap();
    assert_eq!(record.terminal_disposition, TerminalDisposition::Terminated);
    assert_eq!(record.exit_reason.as_deref(), Some("sigterm"));
}

#[test]
fn term_is_enough_for_a_group_that_honours_it() {
    let fx = Fixture::shell("sleep 1000 & wait");
    let runner = fx.spawn();
    let record = wait_members(&fx, 2);
    let outcome = terminate(&record, PATIENCE).unwrap();
    assert_eq!(outcome, TerminateOutcome::Terminated);
    let status = fx.wait_done(&runner);
    assert_eq!(status.code, 143);
    assert_eq!(
        fx.record().unwrap().terminal_disposition,
        TerminalDisposition::Terminated
    );
    // Nothing left to stop afterwards.
    assert_eq!(
        terminate(&fx.record().unwrap(), PATIENCE).unwrap(),
        TerminateOutcome::NotRunning
    );
}

#[test]
fn a_wrong_start_time_is_never_alive_nor_signalled() {
    let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
    let pid = child.id() as i32;
    let ticks = start_time_ticks(pid).unwrap().unwrap();
    assert!(is_alive(pid, ticks));
    assert!(!is_alive(pid, ticks + 1), "a reused pid looked alive");
    let far = Instant::now() + PATIENCE;
    assert_eq!(
        wait_for_exit(pid, ticks + 1, far).unwrap(),
        WaitOutcome::Exited
    );

    // A stale record whose pids now name this unrelated process: nothing is signalled.
    let fx = Fixture::shell("exit 0");
    let mut stale = RuntimeRecord::launching(&fx.payload, "2026-01-01T00:00:00.000Z");
    stale.runner_pid = Some(pid);
    stale.runner_start_ticks = Some(ticks + 1);
    stale.executor_pid = Some(pid);
    stale.pid = Some(pid);
    stale.pgid = Some(pid);
    stale.sid = Some(i32::MAX - 1);
    assert_eq!(
        terminate(&stale, Duration::from_millis(10)).unwrap(),
        TerminateOutcome::NotRunning
    );
    assert!(is_alive(pid, ticks), "terminate hit an unrelated process");

    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!is_alive(pid, ticks));
}
