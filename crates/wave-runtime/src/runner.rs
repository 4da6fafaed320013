//! The runner process itself (`wave agent-runner --payload-file P`): runs one executor command,
//! heartbeats its runtime record, forwards termination, and records the real exit code.
//!
//! Single-threaded and synchronous (no async runtime) to stay small: one `poll` on a signalfd
//! with a timeout drives everything.
//!
//! - **Signals.** SIGTERM, SIGINT, SIGHUP and SIGCHLD are blocked and read from a signalfd, so
//!   none can interrupt a file write. The first SIGTERM/SIGINT/SIGHUP forwards SIGTERM to the
//!   executor's process group and arms SIGKILL after `graceMs`; a second one sends SIGKILL at
//!   once (upstream's runner died on a second SIGTERM without writing status). Those signals
//!   are reset to their default disposition first (an inherited `SIG_IGN` would hide them, and
//!   an ignored SIGCHLD would lose the exit code); the executor starts with an empty mask.
//! - **Reaping.** The runner is a child subreaper, so orphaned grandchildren are re-parented to
//!   it. It reaps with `waitpid(-1, WNOHANG)`; the executor is its only tracked child and its
//!   status is taken from whichever call returns its pid, so no exit code is lost.
//! - **Leftovers.** When the executor exits, processes it left in its group get SIGTERM, then
//!   SIGKILL after `graceMs`, before the status is written: a finished agent holds no processes.
//! - **Order on exit.** Final runtime record, then the log line
//!   `[<lane>-wave-launcher] <name> finished with code <c>`, then the status file, atomically and
//!   last.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags};
use nix::sys::signal::{killpg, SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{getpid, getsid, Pid};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use wave_core::timefmt::iso8601_millis;

use crate::backoff::retry_spawn;
use crate::error::RunnerError;
use crate::payload::{read_payload, ExecCommand, RunnerPayload};
use crate::procfs::{group_members, start_time_ticks};
use crate::record::{RuntimeRecord, StatusRecord, TerminalDisposition};
use crate::wait::poll_timeout_until;

/// The current time as upstream formats it.
pub fn now_iso() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    iso8601_millis(ms)
}

/// Runs the agent described by the payload at `payload_path` to completion and returns the
/// executor's exit code (128 + N for signal N), which the caller may use as its own exit code.
///
/// Any error after the payload was read is also recorded before it is returned: a
/// `[wave-agent-runner] <error>` log line, a `failed` runtime record, and a status file (code
/// 127/126 when the program is missing/not executable, else 1) unless one exists.
pub fn run_agent(payload_path: &Path) -> Result<i32, RunnerError> {
    let payload = read_payload(payload_path)?;
    let mut run = Run::new(payload);
    match run.execute() {
        Ok(code) => Ok(code),
        Err(err) => {
            run.record_failure(&err);
            Err(err)
        }
    }
}

/// Why the runner stopped the executor.
#[derive(Debug, Clone, Copy)]
enum StopReason {
    Signal(Signal),
    Timeout,
}

impl StopReason {
    fn as_reason(self) -> String {
        match self {
            StopReason::Signal(sig) => sig.as_str().to_ascii_lowercase(),
            StopReason::Timeout => "timeout".into(),
        }
    }
}

struct Run {
    payload: RunnerPayload,
    record: RuntimeRecord,
}

/// Maps a wait status to an exit code: the code itself, or 128 + the signal number.
fn exit_code_of(status: WaitStatus) -> Option<i32> {
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, sig, _) => Some(128 + sig as i32),
        _ => None,
    }
}

pub(crate) fn append_line(path: &Path, line: &str) -> Result<(), RunnerError> {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line.trim_end());
    text.push('\n');
    if let Some(dir) = path.parent() {
        wave_store::create_dir_all_durable(dir)?;
    }
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| RunnerError::io("append to log", path, e))
}

impl Run {
    fn new(payload: RunnerPayload) -> Self {
        let now = now_iso();
        let record = RuntimeRecord::launching(&payload, &now);
        Run { payload, record }
    }

    fn write_record(&self) -> Result<(), RunnerError> {
        match &self.payload.runtime_path {
            Some(path) => Ok(wave_store::write_json_atomic_relaxed(path, &self.record)?),
            None => Ok(()),
        }
    }

    fn log(&self, line: &str) -> Result<(), RunnerError> {
        append_line(&self.payload.log_path, line)
    }

    fn execute(&mut self) -> Result<i32, RunnerError> {
        let mut mask = SigSet::empty();
        for sig in [
            Signal::SIGTERM,
            Signal::SIGINT,
            Signal::SIGHUP,
            Signal::SIGCHLD,
        ] {
            mask.add(sig);
        }
        mask.thread_block()
            .map_err(|e| RunnerError::process("block signals in", 0, e))?;
        crate::sys::reset_to_default(&[libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGCHLD])
            .map_err(|e| RunnerError::process("reset signal dispositions in", 0, e))?;
        let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
            .map_err(|e| RunnerError::process("open signalfd in", 0, e))?;
        // Best effort: without it, orphaned grandchildren go to init and are still killed with
        // the group, just not reaped here.
        let _ = nix::sys::prctl::set_child_subreaper(true);

        let me = getpid().as_raw();
        self.record.runner_pid = Some(me);
        self.record.runner_start_ticks = start_time_ticks(me)?;
        self.record.sid = getsid(None).ok().map(Pid::as_raw);
        self.write_record()?;

        for name in &self.payload.pass_env {
            if std::env::var_os(name).is_none() {
                self.log(&format!(
                    "[wave-agent-runner] warning: passEnv variable {name} is not set"
                ))?;
            }
        }

        // Hold a concurrency slot for as long as this process lives (see `crate::slots`).
        let _slot = match self.payload.slots.clone() {
            Some(pool) => match self.take_slot(&pool, &sfd)? {
                Ok(slot) => Some(slot),
                Err(sig) => {
                    // Stopped while queued: nothing ran.
                    let code = 128 + sig as i32;
                    self.record.terminal_disposition = TerminalDisposition::Terminated;
                    self.record.exit_code = Some(code);
                    self.record.exit_reason = Some(sig.as_str().to_ascii_lowercase());
                    self.write_final(code)?;
                    return Ok(code);
                }
            },
            None => None,
        };
        let exec_pid = self.spawn_executor()?;
        self.record.executor_pid = Some(exec_pid);
        self.record.pid = Some(exec_pid);
        self.record.pgid = Some(exec_pid);
        self.record.executor_start_ticks = start_time_ticks(exec_pid)?;
        self.record.terminal_disposition = TerminalDisposition::Running;
        self.record.last_heartbeat_at = now_iso();
        self.write_record()?;

        let (status, stop) = self.supervise(&sfd, exec_pid)?;
        self.clean_up_group(&sfd, exec_pid);
        self.finish(status, stop)
    }

    /// Waits for a free slot of `pool`, or for a stop signal (returned as `Err`).
    fn take_slot(
        &self,
        pool: &crate::slots::SlotPool,
        sfd: &SignalFd,
    ) -> Result<Result<crate::slots::Slot, Signal>, RunnerError> {
        let mut stop = None;
        let start = std::process::id() % pool.count.max(1);
        let slot = pool.take(start, Duration::from_millis(25), |pause| {
            let mut fds = [PollFd::new(sfd.as_fd(), PollFlags::POLLIN)];
            let _ = poll(&mut fds, poll_timeout_until(Instant::now() + pause));
            while let Ok(Some(info)) = sfd.read_signal() {
                match Signal::try_from(info.ssi_signo as i32) {
                    Ok(Signal::SIGCHLD) | Err(_) => {}
                    Ok(sig) => stop = Some(sig),
                }
            }
            stop.is_none()
        })?;
        Ok(match (slot, stop) {
            (Some(slot), _) => Ok(slot),
            (None, sig) => Err(sig.unwrap_or(Signal::SIGTERM)),
        })
    }

    fn spawn_executor(&self) -> Result<i32, RunnerError> {
        let log_path = &self.payload.log_path;
        if let Some(dir) = log_path.parent() {
            wave_store::create_dir_all_durable(dir)?;
        }
        let log = OpenOptions::new()
            .append(true)
            .create(true)
            .open(log_path)
            .map_err(|e| RunnerError::io("open log", log_path, e))?;
        let (program, args): (&str, &[String]) = match &self.payload.command {
            ExecCommand::Shell(script) => ("bash", std::slice::from_ref(script)),
            ExecCommand::Argv(argv) => (&argv[0], &argv[1..]),
        };
        let exit_file = crate::record::exit_file_for(&self.payload.status_path);
        match std::fs::remove_file(&exit_file) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(RunnerError::io("remove stale exit file", &exit_file, e))
            }
            _ => {}
        }
        // Validated by the launcher (`wave launch` refuses an unknown name); nothing is kept
        // here when the list does not parse.
        let keep_caps = crate::privilege::keep_mask(
            std::env::var(crate::privilege::AGENT_CAPS_ENV)
                .ok()
                .as_deref(),
        )
        .unwrap_or(0);
        let spawn = || -> io::Result<i32> {
            let mut cmd = Command::new(program);
            if matches!(self.payload.command, ExecCommand::Shell(_)) {
                cmd.arg("-c");
            }
            cmd.args(args).current_dir(&self.payload.repo_root);
            // Least privilege (crate::privilege): a documented environment, no capabilities.
            if std::env::var(crate::privilege::AGENT_ENV_ENV).as_deref() != Ok("inherit") {
                let names = wave_core::env::pass_env_names(
                    std::env::var(wave_core::env::WAVE_PASS_ENV).ok().as_deref(),
                );
                cmd.env_clear().envs(std::env::vars().filter(|(k, _)| {
                    crate::privilege::allowed_in_agent_env(k, &self.payload.pass_env, &names)
                }));
            }
            cmd.envs(&self.payload.env)
                .env(
                    "WAVE_ORCHESTRATOR_ID",
                    self.payload.orchestrator_id.as_deref().unwrap_or(""),
                )
                .env("WAVE_EXECUTOR_MODE", &self.payload.executor_id)
                .env("WAVE_AGENT_EXIT_FILE", &exit_file)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log.try_clone()?)
                .process_group(0);
            crate::sys::unblock_signals_on_spawn(&mut cmd);
            crate::sys::drop_privileges_on_spawn(&mut cmd, keep_caps);
            Ok(cmd.spawn()?.id() as i32)
        };
        retry_spawn(spawn).map_err(|(source, attempts)| RunnerError::Spawn {
            program: program.into(),
            attempts,
            source,
        })
    }

    /// Reaps every exited child; returns the executor's status if it was among them.
    fn reap(exec_pid: i32) -> Option<WaitStatus> {
        let mut found = None;
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return found,
                Ok(status) if status.pid() == Some(Pid::from_raw(exec_pid)) => {
                    if exit_code_of(status).is_some() {
                        found = Some(status);
                    }
                }
                Ok(_) | Err(Errno::EINTR) => {}
                Err(_) => return found,
            }
        }
    }

    /// Waits for the executor while heartbeating and handling signals and the timeout.
    fn supervise(
        &mut self,
        sfd: &SignalFd,
        exec_pid: i32,
    ) -> Result<(WaitStatus, Option<StopReason>), RunnerError> {
        let heartbeat = Duration::from_millis(self.payload.heartbeat_ms);
        let grace = Duration::from_millis(self.payload.grace_ms);
        let started = Instant::now();
        let timeout_at = self
            .payload
            .timeout_ms
            .map(|ms| started + Duration::from_millis(ms));
        let mut next_heartbeat = started + heartbeat;
        let mut stop: Option<StopReason> = None;
        let mut kill_at: Option<Instant> = None;
        let group = Pid::from_raw(exec_pid);
        loop {
            if let Some(status) = Self::reap(exec_pid) {
                return Ok((status, stop));
            }
            let now = Instant::now();
            if now >= next_heartbeat {
                self.record.last_heartbeat_at = now_iso();
                // A failed heartbeat is not worth killing the agent for; the next may succeed.
                let _ = self.write_record();
                next_heartbeat = now + heartbeat;
            }
            if stop.is_none() && timeout_at.is_some_and(|t| now >= t) {
                stop = Some(StopReason::Timeout);
                let _ = killpg(group, Signal::SIGTERM);
                kill_at = Some(now + grace);
            }
            if kill_at.is_some_and(|k| now >= k) {
                let _ = killpg(group, Signal::SIGKILL);
                kill_at = None;
            }
            let mut wake = next_heartbeat;
            if stop.is_none() {
                wake = wake.min(timeout_at.unwrap_or(wake));
            }
            wake = wake.min(kill_at.unwrap_or(wake));
            let mut fds = [PollFd::new(sfd.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, poll_timeout_until(wake)) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(RunnerError::process("poll signalfd in", 0, e)),
            }
            while let Ok(Some(info)) = sfd.read_signal() {
                let Ok(sig) = Signal::try_from(info.ssi_signo as i32) else {
                    continue;
                };
                if sig == Signal::SIGCHLD {
                    continue;
                }
                if stop.is_none() {
                    stop = Some(StopReason::Signal(sig));
                    let _ = killpg(group, Signal::SIGTERM);
                    kill_at = Some(Instant::now() + grace);
                } else {
                    let _ = killpg(group, Signal::SIGKILL);
                    kill_at = None;
                }
            }
        }
    }

    /// Stops processes the executor left in its group: SIGTERM, then SIGKILL after the grace
    /// period, reaping re-parented orphans meanwhile. Bounded by twice the grace period + 1 s.
    fn clean_up_group(&self, sfd: &SignalFd, pgid: i32) {
        let Some(sid) = self.record.sid else { return };
        let left = group_members(pgid, sid).len();
        if left == 0 {
            return;
        }
        let _ = self.log(&format!(
            "[wave-agent-runner] stopping {left} process(es) left in group {pgid}"
        ));
        let grace = Duration::from_millis(self.payload.grace_ms);
        let group = Pid::from_raw(pgid);
        let _ = killpg(group, Signal::SIGTERM);
        let mut kill_at = Some(Instant::now() + grace);
        let give_up = Instant::now() + grace * 2 + Duration::from_secs(1);
        loop {
            Self::reap(pgid);
            if group_members(pgid, sid).is_empty() {
                return;
            }
            let now = Instant::now();
            if kill_at.is_some_and(|k| now >= k) {
                let _ = killpg(group, Signal::SIGKILL);
                kill_at = None;
            }
            if now >= give_up {
                return;
            }
            // Members may not be our children (no SIGCHLD), so wake at least every 10 ms.
            let wake = (now + Duration::from_millis(10)).min(kill_at.unwrap_or(give_up));
            let mut fds = [PollFd::new(sfd.as_fd(), PollFlags::POLLIN)];
            let _ = poll(&mut fds, poll_timeout_until(wake));
            while let Ok(Some(_)) = sfd.read_signal() {}
        }
    }

    fn finish(&mut self, status: WaitStatus, stop: Option<StopReason>) -> Result<i32, RunnerError> {
        let code = exit_code_of(status).unwrap_or(1);
        let reason = match (stop, status) {
            (Some(stop), _) => stop.as_reason(),
            (None, WaitStatus::Signaled(_, sig, _)) => sig.as_str().to_ascii_lowercase(),
            (None, _) if code == 0 => "completed".into(),
            (None, _) => "failed".into(),
        };
        self.record.terminal_disposition = match stop {
            Some(_) => TerminalDisposition::Terminated,
            None if code == 0 => TerminalDisposition::Completed,
            None => TerminalDisposition::Failed,
        };
        self.record.exit_code = Some(code);
        self.record.exit_reason = Some(reason);
        self.write_final(code)?;
        Ok(code)
    }

    /// Final record, log line, then the status file (last).
    fn write_final(&mut self, code: i32) -> Result<(), RunnerError> {
        let now = now_iso();
        self.record.completed_at = Some(now.clone());
        self.record.last_heartbeat_at = now.clone();
        self.write_record()?;
        self.log(&format!(
            "[{}-wave-launcher] {} finished with code {code}",
            self.payload.lane,
            self.payload.display_name()
        ))?;
        let status = StatusRecord {
            code,
            prompt_hash: self.payload.prompt_hash.clone(),
            orchestrator_id: self.payload.orchestrator_id.clone(),
            attempt: self.payload.attempt,
            completed_at: now,
        };
        wave_store::write_json_atomic(&self.payload.status_path, &status)?;
        Ok(())
    }

    /// Records a runner failure (best effort: the original error is what gets reported).
    fn record_failure(&mut self, err: &RunnerError) {
        // The status file must mean "nothing runs any more".
        if let Some(pgid) = self.record.pgid.filter(|&p| p > 1) {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
        let code = match err {
            RunnerError::Spawn { source, .. } if source.kind() == io::ErrorKind::NotFound => 127,
            RunnerError::Spawn { source, .. }
                if source.kind() == io::ErrorKind::PermissionDenied =>
            {
                126
            }
            _ => 1,
        };
        let _ = self.log(&format!("[wave-agent-runner] {err}"));
        self.record.terminal_disposition = TerminalDisposition::Failed;
        self.record.exit_code = Some(code);
        self.record.exit_reason = Some(err.to_string());
        let now = now_iso();
        self.record.completed_at = Some(now.clone());
        self.record.last_heartbeat_at = now.clone();
        let _ = self.write_record();
        if !self.payload.status_path.exists() {
            let status = StatusRecord {
                code,
                prompt_hash: self.payload.prompt_hash.clone(),
                orchestrator_id: self.payload.orchestrator_id.clone(),
                attempt: self.payload.attempt,
                completed_at: now,
            };
            let _ = wave_store::write_json_atomic(&self.payload.status_path, &status);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        let pid = Pid::from_raw(10);
        assert_eq!(exit_code_of(WaitStatus::Exited(pid, 3)), Some(3));
        assert_eq!(
            exit_code_of(WaitStatus::Signaled(pid, Signal::SIGKILL, false)),
            Some(137)
        );
        assert_eq!(
            exit_code_of(WaitStatus::Signaled(pid, Signal::SIGTERM, true)),
            Some(143)
        );
        assert_eq!(exit_code_of(WaitStatus::StillAlive), None);
        assert_eq!(StopReason::Signal(Signal::SIGINT).as_reason(), "sigint");
    }
}
