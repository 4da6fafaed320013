//! The detached runner with real processes: exit codes, signals, a killed launcher, heartbeats,
//! timeouts, secrets passed by inheritance, and spawn failures.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{poll_until, runner_exe, Fixture, PATIENCE};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{getsid, Pid};
use wave_runtime::procfs::{group_members, read_stat};
use wave_runtime::{
    is_alive, spawn_detached, wait_for_exit, ExecCommand, RunnerError, TerminalDisposition,
    WaitOutcome,
};

#[test]
fn exit_code_3_is_recorded_with_output_and_final_line() {
    let fx = Fixture::shell(
        "echo \"cwd=$(pwd) mode=$WAVE_EXECUTOR_MODE orch=$WAVE_ORCHESTRATOR_ID\"; \
         echo oops >&2; exit 3",
    );
    let runner = fx.spawn();
    assert_eq!(runner.pid, runner.pgid);
    // Detached: own session, and not our child.
    if let Some(stat) = read_stat(runner.pid).unwrap() {
        assert_ne!(stat.ppid, std::process::id() as i32);
        assert_eq!(stat.session, runner.pid);
    }
    let status = fx.wait_done(&runner);
    assert_eq!(status.code, 3, "upstream records 0 here");
    assert_eq!(status.prompt_hash.as_deref(), Some("hash-1"));
    assert_eq!(status.orchestrator_id.as_deref(), Some("orch-1"));
    assert_eq!(status.attempt, 1);
    assert!(status.completed_at.ends_with('Z'), "{status:?}");

    let record = fx.record().unwrap();
    assert_eq!(record.terminal_disposition, TerminalDisposition::Failed);
    assert_eq!(record.exit_code, Some(3));
    assert_eq!(record.exit_reason.as_deref(), Some("failed"));
    assert_eq!(record.runner_pid, Some(runner.pid));
    assert_eq!(record.runner_start_ticks, runner.start_time_ticks);
    assert_eq!(record.sid, Some(runner.pid));
    assert_eq!(record.pgid, record.executor_pid);
    assert_eq!(record.pid, record.executor_pid);
    assert!(record.executor_start_ticks.is_some());
    assert_eq!(record.wave_number, Some(0.into()));
    assert!(record.completed_at.is_some());

    let log = fx.log();
    let repo = fx.payload.repo_root.display();
    assert!(
        log.contains(&format!("cwd={repo} mode=local orch=orch-1\n")),
        "{log}"
    );
    assert!(log.contains("oops\n"), "{log}");
    assert!(
        log.ends_with("[main-wave-launcher] A1 finished with code 3\n"),
        "{log}"
    );
}

#[test]
fn success_is_completed() {
    let mut fx = Fixture::with_command(ExecCommand::Argv(vec!["true".into()]));
    fx.payload.session_name = Some("wave0-a1".into());
    let status = fx.wait_done(&fx.spawn());
    assert_eq!(status.code, 0);
    let record = fx.record().unwrap();
    assert_eq!(record.terminal_disposition, TerminalDisposition::Completed);
    assert_eq!(record.exit_reason.as_deref(), Some("completed"));
    assert!(fx
        .log()
        .ends_with("[main-wave-launcher] wave0-a1 finished with code 0\n"));
}

#[test]
fn executor_killed_by_sigkill_records_137() {
    let fx = Fixture::shell("kill -KILL $$");
    let status = fx.wait_done(&fx.spawn());
    assert_eq!(status.code, 137);
    let record = fx.record().unwrap();
    assert_eq!(record.exit_code, Some(137));
    assert_eq!(record.exit_reason.as_deref(), Some("sigkill"));
    // Nobody asked for it: a failure, not a termination.
    assert_eq!(record.terminal_disposition, TerminalDisposition::Failed);
}

#[test]
fn runner_survives_a_sigkilled_launcher_and_leaves_nothing_running() {
    // `sleep` is left behind in the executor's group; the runner must stop it.
    let fx = Fixture::shell("sleep 1000 & read x < \"$GO\"; exit 5");
    wave_runtime::write_payload(&fx.payload_path, &fx.payload).unwrap();
    let mut launcher = Command::new(runner_exe())
        .arg("spawn-and-hold")
        .arg(&fx.payload_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(launcher.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let mut parts = line.split_whitespace().map(|s| s.parse::<u64>().unwrap());
    let (pid, ticks) = (parts.next().unwrap() as i32, parts.next().unwrap());
    let record = fx.wait_running();
    assert_eq!(record.runner_pid, Some(pid));

    kill(Pid::from_raw(launcher.id() as i32), Signal::SIGKILL).unwrap();
    let exit = launcher.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&exit),
        Some(9)
    );
    assert!(is_alive(pid, ticks), "runner died with its launcher");
    assert!(fx.status().is_none());

    fx.release();
    assert_eq!(
        wait_for_exit(pid, ticks, Instant::now() + PATIENCE).unwrap(),
        WaitOutcome::Exited
    );
    let status = fx.status().expect("status after runner exit");
    assert_eq!(status.code, 5);
    let pgid = record.pgid.unwrap();
    let sid = record.sid.unwrap();
    assert_eq!(
        group_members(pgid, sid),
        Vec::<i32>::new(),
        "group not empty"
    );
    assert!(!is_alive(pid, ticks));
    let log = fx.log();
    assert!(
        log.contains("stopping 1 process(es) left in group"),
        "{log}"
    );
}

#[test]
fn wait_for_exit_returns_once_the_runner_is_done_and_status_is_there() {
    let fx = Fixture::shell("read x < \"$GO\"; exit 0");
    let runner = fx.spawn();
    let ticks = runner.start_time_ticks.unwrap();
    let soon = Instant::now() + Duration::from_millis(100);
    assert_eq!(
        wait_for_exit(runner.pid, ticks, soon).unwrap(),
        WaitOutcome::TimedOut
    );
    assert!(fx.status().is_none());
    fx.release();
    let outcome = wait_for_exit(runner.pid, ticks, Instant::now() + PATIENCE).unwrap();
    assert_eq!(outcome, WaitOutcome::Exited);
    // Status is written before the runner exits: observed right away, no polling.
    assert_eq!(fx.status().map(|s| s.code), Some(0));
    assert_eq!(
        fx.record().unwrap().terminal_disposition,
        TerminalDisposition::Completed
    );
}

#[test]
fn sigterm_to_the_runner_is_forwarded_and_recorded_as_terminated() {
    let fx = Fixture::shell("read x < \"$GO\"");
    let runner = fx.spawn();
    fx.wait_running();
    kill(Pid::from_raw(runner.pid), Signal::SIGTERM).unwrap();
    let status = fx.wait_done(&runner);
    assert_eq!(status.code, 143);
    let record = fx.record().unwrap();
    assert_eq!(record.terminal_disposition, TerminalDisposition::Terminated);
    assert_eq!(record.exit_reason.as_deref(), Some("sigterm"));
}

#[test]
fn timeout_terminates_the_executor() {
    let mut fx = Fixture::shell("sleep 1000");
    fx.payload.timeout_ms = Some(50);
    let status = fx.wait_done(&fx.spawn());
    assert_eq!(status.code, 143);
    let record = fx.record().unwrap();
    assert_eq!(record.terminal_disposition, TerminalDisposition::Terminated);
    assert_eq!(record.exit_reason.as_deref(), Some("timeout"));
}

#[test]
fn heartbeat_refreshes_the_runtime_record() {
    let mut fx = Fixture::shell("read x < \"$GO\"");
    fx.payload.heartbeat_ms = 20;
    let runner = fx.spawn();
    let first = fx.wait_running();
    poll_until("a later heartbeat", PATIENCE, || match fx.record() {
        Some(r) if r.last_heartbeat_at > first.last_heartbeat_at => Ok(()),
        other => Err(format!("{other:?}")),
    });
    assert_eq!(
        fx.record().unwrap().terminal_disposition,
        TerminalDisposition::Running
    );
    fx.release();
    assert_eq!(fx.wait_done(&runner).code, 0);
}

#[test]
fn secrets_reach_the_executor_by_inheritance_not_through_the_payload() {
    let mut fx = Fixture::shell("echo \"token=$WAVE_TEST_TOKEN\"");
    fx.payload.pass_env = vec!["WAVE_TEST_TOKEN".into(), "WAVE_TEST_ABSENT_TOKEN".into()];
    wave_runtime::write_payload(&fx.payload_path, &fx.payload).unwrap();
    let out = Command::new(runner_exe())
        .args(["agent-runner", "--payload-file"])
        .arg(&fx.payload_path)
        .env("WAVE_TEST_TOKEN", "s3cret-value")
        .env_remove("WAVE_TEST_ABSENT_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let payload_text = std::fs::read_to_string(&fx.payload_path).unwrap();
    assert!(!payload_text.contains("s3cret"), "{payload_text}");
    let log = fx.log();
    assert!(log.contains("token=s3cret-value\n"), "{log}");
    assert!(
        log.contains("warning: passEnv variable WAVE_TEST_ABSENT_TOKEN is not set"),
        "{log}"
    );

    // A secret-looking value is refused before anything is written or spawned.
    let mut bad = fx.payload.clone();
    bad.env.insert("GITHUB_TOKEN".into(), "ghp_x".into());
    let err = wave_runtime::write_payload(&fx.payload_path, &bad).unwrap_err();
    assert!(matches!(err, RunnerError::InvalidPayload { .. }), "{err}");
}

#[test]
fn a_missing_program_is_recorded_as_127() {
    let fx = Fixture::with_command(ExecCommand::Argv(vec!["/nonexistent/agent-cli".into()]));
    let status = fx.wait_done(&fx.spawn());
    assert_eq!(status.code, 127);
    let record = fx.record().unwrap();
    assert_eq!(record.terminal_disposition, TerminalDisposition::Failed);
    let log = fx.log();
    assert!(
        log.contains("[wave-agent-runner] cannot spawn /nonexistent/agent-cli"),
        "{log}"
    );
}

#[test]
fn spawn_refuses_an_invalid_payload_without_starting_anything() {
    let fx = Fixture::shell("exit 0");
    std::fs::create_dir_all(fx.payload_path.parent().unwrap()).unwrap();
    std::fs::write(&fx.payload_path, b"{\"lane\": 1}").unwrap();
    let err = spawn_detached(&fx.payload_path, runner_exe()).unwrap_err();
    assert!(err.to_string().contains("runner-payload.json"), "{err}");
    assert!(fx.record().is_none());
}

#[test]
fn prepare_launch_clears_a_stale_status_and_writes_launching() {
    let fx = Fixture::shell("exit 0");
    let status = &fx.payload.status_path;
    std::fs::create_dir_all(status.parent().unwrap()).unwrap();
    std::fs::write(status, b"0\n").unwrap();
    wave_runtime::prepare_launch(&fx.payload_path, &fx.payload).unwrap();
    assert!(fx.status().is_none());
    let record = fx.record().unwrap();
    assert_eq!(record.terminal_disposition, TerminalDisposition::Launching);
    assert_eq!(record.runner_pid, None);
    assert!(!record.runner_is_alive());
}

#[test]
fn runner_session_is_not_the_test_session() {
    let fx = Fixture::shell("read x < \"$GO\"");
    let runner = fx.spawn();
    let record = fx.wait_running();
    assert!(record.runner_is_alive());
    let ours = getsid(None).unwrap().as_raw();
    assert_ne!(record.sid, Some(ours));
    fx.release();
    fx.wait_done(&runner);
}

#[test]
fn a_runner_waits_for_a_concurrency_slot_and_a_dead_holder_never_leaks_one() {
    let mut fx = Fixture::shell("echo ran");
    let pool = wave_runtime::slots::SlotPool {
        dir: fx.dir.path().join("slots"),
        count: 1,
    };
    fx.payload.slots = Some(pool.clone());
    // Another holder has the only slot: the runner must queue without starting the executor.
    let held = pool.try_take(0).unwrap().expect("the only slot");
    let runner = fx.spawn();
    let queued = poll_until("the runner to record itself", PATIENCE, || {
        match fx.record() {
            Some(r) if r.runner_pid.is_some() => Ok(r),
            other => Err(format!("{other:?}")),
        }
    });
    assert_eq!(queued.executor_pid, None);
    assert!(fx.status().is_none());
    drop(held);
    let status = fx.wait_done(&runner);
    assert_eq!(status.code, 0);
    assert!(fx.log().contains("ran"));
    // The runner has exited, so its slot is free again.
    assert!(pool.try_take(0).unwrap().is_some());
}
