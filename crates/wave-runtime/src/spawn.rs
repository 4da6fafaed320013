//! Starting a runner fully detached from the launcher.
//!
//! `<runner_exe> agent-runner --payload-file <P>` is started by a double fork (see
//! `sys::detach_on_spawn`): the runner is in its own session and process group (pid = pgid =
//! sid), has `/dev/null` on stdin/stdout/stderr (it writes to the agent log itself), inherits no
//! descriptor beyond those three, and is not the launcher's child. Killing the launcher — even
//! with SIGKILL, or by signalling the launcher's process group or session — does not reach it.
//!
//! Reaping: the short-lived intermediate child is reaped here; the runner itself is re-parented
//! to the nearest child subreaper (`wave supervise`) or init, which must reap it. Callers wait
//! with [`crate::wait_for_exit`], never `waitpid`.
//!
//! The environment is inherited from the caller: that is how secrets reach the agent without
//! being written to the payload (see [`crate::payload`]).

use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::fcntl::OFlag;
use nix::unistd::pipe2;

use crate::backoff::retry_spawn;
use crate::error::RunnerError;
use crate::payload::{read_payload, write_payload, RunnerPayload};
use crate::procfs::start_time_ticks;
use crate::record::RuntimeRecord;
use crate::runner::now_iso;
use crate::sys::detach_on_spawn;

/// The runner subcommand: `<runner_exe> agent-runner --payload-file <P>`.
pub const RUNNER_SUBCOMMAND: &str = "agent-runner";

/// The runner's payload flag.
pub const PAYLOAD_FLAG: &str = "--payload-file";

/// A runner started by [`spawn_detached`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpawnedRunner {
    /// The runner's pid.
    pub pid: i32,
    /// Its process group (= pid; it leads a new session).
    pub pgid: i32,
    /// Its start time (`/proc/<pid>/stat` field 22) for [`crate::is_alive`] and
    /// [`crate::wait_for_exit`]; `None` when the runner had already exited and been reaped when
    /// it was read — its status file then tells the outcome.
    pub start_time_ticks: Option<u64>,
}

/// Parses the runner's arguments (after the subcommand): exactly `--payload-file <P>`.
pub fn parse_runner_args<I: IntoIterator<Item = String>>(args: I) -> Result<PathBuf, String> {
    let mut args = args.into_iter();
    let mut payload = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            PAYLOAD_FLAG => match args.next() {
                Some(p) if !p.trim().is_empty() => payload = Some(PathBuf::from(p)),
                _ => return Err(format!("{PAYLOAD_FLAG} needs a path")),
            },
            "--" => {}
            other => return Err(format!("unknown agent-runner argument: {other}")),
        }
    }
    payload.ok_or_else(|| format!("{PAYLOAD_FLAG} is required"))
}

/// The launcher's side of a launch, before [`spawn_detached`]: writes the payload (mode
/// `0600`), deletes a stale status file (its presence would mean "finished"), and writes the
/// initial `launching` runtime record — the launcher's only write to that record.
///
/// A previous run's processes must already be stopped (see [`crate::terminate`]).
pub fn prepare_launch(payload_path: &Path, payload: &RunnerPayload) -> Result<(), RunnerError> {
    write_payload(payload_path, payload)?;
    match std::fs::remove_file(&payload.status_path) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            return Err(RunnerError::io(
                "remove stale status",
                &payload.status_path,
                err,
            ))
        }
    }
    if let Some(runtime) = &payload.runtime_path {
        wave_store::write_json_atomic_relaxed(
            runtime,
            &RuntimeRecord::launching(payload, &now_iso()),
        )?;
    }
    Ok(())
}

/// Validates the payload at `payload_path`, then starts `<runner_exe> agent-runner
/// --payload-file <payload_path>` detached. Transient failures (`EAGAIN`, `EMFILE`, `ENFILE`,
/// `ENOMEM`) are retried with [`crate::Backoff::SPAWN`]. Returns once the runner has exec'd.
pub fn spawn_detached(
    payload_path: &Path,
    runner_exe: &Path,
) -> Result<SpawnedRunner, RunnerError> {
    spawn_detached_with_env(payload_path, runner_exe, &[])
}

/// [`spawn_detached`] with variables added to the runner's environment (a run's passed-through
/// credentials: values the payload must never hold). They reach the executor through the
/// payload's `passEnv` names.
pub fn spawn_detached_with_env(
    payload_path: &Path,
    runner_exe: &Path,
    env: &[(String, String)],
) -> Result<SpawnedRunner, RunnerError> {
    read_payload(payload_path)?;
    let payload_arg = std::path::absolute(payload_path)
        .map_err(|e| RunnerError::io("resolve", payload_path, e))?;
    let pid = retry_spawn(|| spawn_once(&payload_arg, runner_exe, env)).map_err(
        |(source, attempts)| RunnerError::Spawn {
            program: runner_exe.to_path_buf(),
            attempts,
            source,
        },
    )?;
    Ok(SpawnedRunner {
        pid,
        pgid: pid,
        start_time_ticks: start_time_ticks(pid)?,
    })
}

fn spawn_once(payload: &Path, runner_exe: &Path, env: &[(String, String)]) -> std::io::Result<i32> {
    let mut cmd = Command::new(runner_exe);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.arg(RUNNER_SUBCOMMAND)
        .arg(PAYLOAD_FLAG)
        .arg(payload)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    fork_detached(cmd)
}

/// A process to start detached with [`spawn_detached_process`] (launchers, daemons).
#[derive(Debug, Clone)]
pub struct DetachedProcess<'a> {
    /// The program.
    pub program: &'a Path,
    /// Its arguments.
    pub args: &'a [String],
    /// Working directory.
    pub cwd: &'a Path,
    /// Extra environment variables (the rest is inherited).
    pub env: &'a [(String, String)],
    /// File that receives stdout and stderr (appended; created if missing); `/dev/null` when
    /// `None`.
    pub log: Option<&'a Path>,
}

/// Starts `process` like a runner: double fork, own session, not the caller's child, stdin on
/// `/dev/null`, output appended to `log`. Transient spawn failures are retried with
/// [`crate::Backoff::SPAWN`]. The caller waits with [`crate::wait_for_exit`].
pub fn spawn_detached_process(process: &DetachedProcess<'_>) -> Result<SpawnedRunner, RunnerError> {
    let spawn = || -> std::io::Result<i32> {
        let mut cmd = Command::new(process.program);
        cmd.args(process.args)
            .current_dir(process.cwd)
            .envs(process.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        match process.log {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(path)?;
                cmd.stdout(file.try_clone()?).stderr(file);
            }
            None => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        crate::sys::unblock_signals_on_spawn(&mut cmd);
        fork_detached(cmd)
    };
    let pid = retry_spawn(spawn).map_err(|(source, attempts)| RunnerError::Spawn {
        program: process.program.to_path_buf(),
        attempts,
        source,
    })?;
    Ok(SpawnedRunner {
        pid,
        pgid: pid,
        start_time_ticks: start_time_ticks(pid)?,
    })
}

/// Spawns `cmd` through the double fork of `sys::detach_on_spawn`; returns the grandchild's pid.
fn fork_detached(mut cmd: Command) -> std::io::Result<i32> {
    let (read_end, write_end) = pipe2(OFlag::O_CLOEXEC)?;
    detach_on_spawn(&mut cmd, write_end.as_raw_fd());
    let spawned = cmd.spawn();
    // Close our write end so the read below ends at the intermediate's exit.
    drop(write_end);
    let mut intermediate = spawned?;
    // The intermediate exits right after writing the pid; reap it so no zombie is left. An
    // init reaper (`crate::init`) may have reaped it first: its status carries nothing we need.
    let status = match intermediate.wait() {
        Ok(status) => status.to_string(),
        Err(err) if err.raw_os_error() == Some(libc::ECHILD) => "reaped by init".to_string(),
        Err(err) => return Err(err),
    };
    let mut bytes = [0u8; 4];
    let mut file = File::from(read_end);
    match file.read_exact(&mut bytes) {
        Ok(()) => Ok(i32::from_ne_bytes(bytes)),
        Err(err) => Err(std::io::Error::other(format!(
            "detaching fork reported no runner pid ({status}): {err}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn runner_args_accept_only_the_payload_flag() {
        assert_eq!(
            parse_runner_args(args(&["--payload-file", "/p.json"])).unwrap(),
            PathBuf::from("/p.json")
        );
        assert!(parse_runner_args(args(&[]))
            .unwrap_err()
            .contains("required"));
        assert!(parse_runner_args(args(&["--payload-file"])).is_err());
        assert!(parse_runner_args(args(&["--x"]))
            .unwrap_err()
            .contains("unknown"));
    }
}
