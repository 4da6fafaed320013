//! Waiting for a process that is not our child: `pidfd_open` + `poll`, with a `/proc` polling
//! fallback for kernels without pidfds.
//!
//! A launcher — possibly a different launcher process than the one that spawned the runner,
//! after a crash — waits for a runner this way; it never reaps the runner (its parent, a
//! subreaper or init, does). A pidfd becomes readable when the process exits, whether or not it
//! has been reaped yet, so the wait returns within milliseconds of the exit. Pid reuse is ruled
//! out by checking the start time *after* opening the pidfd: if it still matches, the pidfd is
//! bound to the recorded process.

use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::error::RunnerError;
use crate::procfs::is_alive;
use crate::sys::pidfd_open;

/// How [`wait_for_exit`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The process has exited (or was already gone, or the pid now names another process).
    Exited,
    /// The deadline passed while the process was still running.
    TimedOut,
}

/// Poll-timeout for the time left until `deadline` (rounded up to whole milliseconds).
pub(crate) fn poll_timeout_until(deadline: Instant) -> PollTimeout {
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = left.as_micros().div_ceil(1000);
    PollTimeout::try_from(ms.min(i32::MAX as u128) as i32).unwrap_or(PollTimeout::MAX)
}

/// Waits until the process `pid` that started at `start_time_ticks` exits, or `deadline`.
pub fn wait_for_exit(
    pid: i32,
    start_time_ticks: u64,
    deadline: Instant,
) -> Result<WaitOutcome, RunnerError> {
    let pidfd = match pidfd_open(pid) {
        Ok(fd) => fd,
        Err(err) if err.raw_os_error() == Some(libc::ESRCH) => return Ok(WaitOutcome::Exited),
        Err(err) if err.raw_os_error() == Some(libc::ENOSYS) => {
            return Ok(poll_proc(pid, start_time_ticks, deadline))
        }
        Err(err) => return Err(RunnerError::process("open pidfd for", pid, err)),
    };
    if !is_alive(pid, start_time_ticks) {
        return Ok(WaitOutcome::Exited);
    }
    loop {
        let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, poll_timeout_until(deadline)) {
            Ok(0) if Instant::now() >= deadline => return Ok(WaitOutcome::TimedOut),
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => return Ok(WaitOutcome::Exited),
            Err(err) => {
                return Err(RunnerError::process(
                    "poll pidfd of",
                    pid,
                    io::Error::from(err),
                ))
            }
        }
    }
}

/// Fallback for kernels without `pidfd_open`: re-reads `/proc` with a growing interval
/// (1 ms doubling to 50 ms).
fn poll_proc(pid: i32, start_time_ticks: u64, deadline: Instant) -> WaitOutcome {
    let mut pause = Duration::from_millis(1);
    loop {
        if !is_alive(pid, start_time_ticks) {
            return WaitOutcome::Exited;
        }
        let now = Instant::now();
        if now >= deadline {
            return WaitOutcome::TimedOut;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gone_or_mismatched_processes_count_as_exited() {
        let me = std::process::id() as i32;
        let ticks = crate::procfs::start_time_ticks(me).unwrap().unwrap();
        let soon = Instant::now() + Duration::from_millis(20);
        assert_eq!(
            wait_for_exit(me, ticks + 1, soon).unwrap(),
            WaitOutcome::Exited
        );
        assert_eq!(
            wait_for_exit(me, ticks, soon).unwrap(),
            WaitOutcome::TimedOut
        );
        assert_eq!(poll_proc(me, ticks + 1, soon), WaitOutcome::Exited);
        assert_eq!(poll_proc(me, ticks, soon), WaitOutcome::TimedOut);
    }
}
