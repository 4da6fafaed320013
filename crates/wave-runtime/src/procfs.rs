//! Facts about processes read from `/proc`: start time, state, process group and session, and
//! peak memory.
//!
//! Pid reuse: a pid names a process only until that process is reaped; afterwards the kernel may
//! hand the number to an unrelated process. The pair *(pid, start time)* — field 22 of
//! `/proc/<pid>/stat`, in clock ticks since boot — does not repeat, so every liveness check in
//! this crate compares both. A zombie (exited, not yet reaped by its parent) counts as not alive.

use std::fs;
use std::io;
use std::path::PathBuf;

use crate::error::RunnerError;

/// The fields of `/proc/<pid>/stat` this crate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Field 3: `R`, `S`, `D`, `Z` (zombie), `X` (dead), `T`, …
    pub state: char,
    /// Field 4: the parent pid.
    pub ppid: i32,
    /// Field 5: the process group id.
    pub pgrp: i32,
    /// Field 6: the session id.
    pub session: i32,
    /// Field 22: start time in clock ticks after boot.
    pub start_ticks: u64,
}

impl ProcStat {
    /// True for a process that has exited (zombie or dead) but may not have been reaped.
    pub fn has_exited(&self) -> bool {
        matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// Parses the text of `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may
/// itself hold spaces and parentheses, so fields are counted after the **last** `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    // After ')' the first field is field 3 (state).
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    let session = fields.next()?.parse().ok()?;
    // Fields 7..=21 are skipped (15 fields), then field 22.
    let start_ticks = fields.nth(15)?.parse().ok()?;
    Some(ProcStat {
        state,
        ppid,
        pgrp,
        session,
        start_ticks,
    })
}

/// Reads `/proc/<pid>/stat`; `Ok(None)` when no such process exists (any more).
pub fn read_stat(pid: i32) -> Result<Option<ProcStat>, RunnerError> {
    if pid <= 0 {
        return Ok(None);
    }
    let path = PathBuf::from(format!("/proc/{pid}/stat"));
    match fs::read_to_string(&path) {
        Ok(text) => Ok(parse_stat(&text)),
        // ESRCH can surface while the process is being torn down.
        Err(err) if err.kind() == io::ErrorKind::NotFound || err.raw_os_error() == Some(3) => {
            Ok(None)
        }
        Err(err) => Err(RunnerError::io("read", path, err)),
    }
}

/// The start time (clock ticks after boot) of `pid`, or `None` when it does not exist.
pub fn start_time_ticks(pid: i32) -> Result<Option<u64>, RunnerError> {
    Ok(read_stat(pid)?.map(|stat| stat.start_ticks))
}

/// True when `pid` exists, has not exited, and started at `start_time_ticks` — i.e. it is still
/// the process that was recorded, not a later process that reuses the number.
pub fn is_alive(pid: i32, start_time_ticks: u64) -> bool {
    match read_stat(pid) {
        Ok(Some(stat)) => stat.start_ticks == start_time_ticks && !stat.has_exited(),
        _ => false,
    }
}

/// The pids of live (non-zombie) processes whose process group is `pgid` and whose session is
/// `sid`. Requiring the session guards against a reused group id: a recycled `pgid` belongs to
/// a group in another session unless our session still exists, in which case it is ours.
pub fn group_members(pgid: i32, sid: i32) -> Vec<i32> {
    // Fast path: signal 0 to the group tells whether any process (even a zombie) is in it, in
    // one syscall. Only a group that still has members needs the scan of /proc, which costs
    // milliseconds per call on a busy machine and ran after every executor exit.
    if pgid > 0
        && nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), None)
            == Err(nix::errno::Errno::ESRCH)
    {
        return Vec::new();
    }
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut members = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if let Ok(Some(stat)) = read_stat(pid) {
            if stat.pgrp == pgid && stat.session == sid && !stat.has_exited() {
                members.push(pid);
            }
        }
    }
    members
}

/// Peak resident set size (`VmHWM`) of `pid` in KiB, when readable.
pub fn peak_rss_kib(pid: i32) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_ascii_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_after_the_last_parenthesis() {
        let text = "4242 (we ird) (name)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    987654 1000000 200 18446744073709551615\n";
        let stat = parse_stat(text).unwrap();
        assert_eq!(
            stat,
            ProcStat {
                state: 'S',
                ppid: 1,
                pgrp: 4242,
                session: 4242,
                start_ticks: 987_654,
            }
        );
        assert!(!stat.has_exited());
    }

    #[test]
    fn rejects_truncated_text() {
        assert_eq!(parse_stat("12 (x) S 1 2 3"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_process_is_alive_only_with_its_start_time() {
        let me = std::process::id() as i32;
        let stat = read_stat(me).unwrap().unwrap();
        assert!(is_alive(me, stat.start_ticks));
        assert!(!is_alive(me, stat.start_ticks + 1));
        assert_eq!(read_stat(-1).unwrap(), None);
        assert!(peak_rss_kib(me).unwrap() > 0);
    }
}
