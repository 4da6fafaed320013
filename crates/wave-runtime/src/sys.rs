//! The crate's only `unsafe` code: raw system calls that `nix` 0.29 does not wrap
//! (`pidfd_open`, `close_range`) and the `pre_exec` hook that detaches a runner.
//!
//! Caveats: code in a `pre_exec` hook runs in the forked child of a possibly multi-threaded
//! parent, so it must only make async-signal-safe calls (no allocation, no locks). The hook here
//! calls only `fork`, `setsid`, `syscall(close_range)`, `write` and `_exit`; the executor's
//! hook only `sigprocmask` and `signal`.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Opens a pidfd for `pid` (Linux ≥ 5.3). Unlike `waitpid`, this works for processes that are
/// not our children; the fd polls readable once the process has exited (zombie or reaped).
pub(crate) fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1; no memory is shared.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this fd to us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Makes `cmd` start its program as a grandchild in a new session (double fork):
///
/// 1. std forks the *intermediate* child and runs this hook in it;
/// 2. the hook forks again; the intermediate writes the grandchild's pid (4 native-endian bytes)
///    to `pid_pipe` and `_exit(0)`s, so the caller reaps it at once and is never the runner's
///    parent (the runner is re-parented to the nearest subreaper or init, which reaps it);
/// 3. the grandchild calls `setsid` (pid = pgid = sid), marks every inherited descriptor ≥ 3
///    close-on-exec, and returns to std, which execs the program.
///
/// std's exec-error pipe is inherited by the grandchild, so `spawn` still reports an exec
/// failure of the grandchild, and returns only once the grandchild has exec'd.
pub(crate) fn detach_on_spawn(cmd: &mut Command, pid_pipe: RawFd) {
    let hook = move || -> io::Result<()> {
        // SAFETY: fork is async-signal-safe; the child continues in this single-threaded copy.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid > 0 {
            let bytes = pid.to_ne_bytes();
            // SAFETY: write and _exit are async-signal-safe; `bytes` outlives the call. A short
            // or failed write is seen by the parent as a missing pid.
            unsafe {
                libc::write(pid_pipe, bytes.as_ptr().cast(), bytes.len());
                libc::_exit(0);
            }
        }
        // SAFETY: setsid is async-signal-safe; the grandchild is not a group leader, so it
        // succeeds unless the kernel refuses, which is reported through std's error pipe.
        if unsafe { libc::setsid() } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags on our own descriptors.
        // Kernels older than 5.11 return an error, which is ignored: std opens its own
        // descriptors close-on-exec, so only descriptors leaked by other code stay inherited.
        unsafe {
            libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
        }
        Ok(())
    };
    // SAFETY: the hook only makes async-signal-safe calls (see above) and captures a plain fd.
    unsafe {
        cmd.pre_exec(hook);
    }
}

/// Sets `signals` to their default disposition in this process (a runner may inherit `SIG_IGN`
/// for SIGINT or SIGCHLD from its launcher: an ignored signal never reaches a signalfd, and an
/// ignored SIGCHLD makes the kernel reap children so their exit codes are lost).
pub(crate) fn reset_to_default(signals: &[libc::c_int]) -> io::Result<()> {
    for &sig in signals {
        // SAFETY: installing SIG_DFL runs no handler code; the signals are blocked by the
        // caller, so the default action cannot fire before the signalfd reads them.
        if unsafe { libc::signal(sig, libc::SIG_DFL) } == libc::SIG_ERR {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Restores the default SIGPIPE action in this process (Rust starts with it ignored, which makes
/// `println!` panic on a closed pipe): a reader whose stdout goes away (`wave status | head`)
/// then ends quietly, as `cat` does.
pub fn default_sigpipe() {
    // SAFETY: installing SIG_DFL runs no handler code and touches only this signal's action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Highest capability number the kernel may know (CAP_CHECKPOINT_RESTORE is 40 in 5.9; the
/// drop loop stops at the first EINVAL, so a larger bound is harmless).
const CAP_LAST_GUESS: libc::c_ulong = 63;

/// Makes `cmd`'s child drop privileges before it execs: `no_new_privs`, every capability not in
/// `keep` removed from the bounding set, the ambient set cleared and the inheritable set reduced
/// to `keep`. After the exec the executor has no effective capability beyond `keep`, even as
/// root, and can never gain one (setuid binaries and file capabilities are inert). A process
/// without `CAP_SETPCAP` cannot shrink its bounding set; it has no effective capabilities to
/// lose either, and `no_new_privs` still applies.
pub(crate) fn drop_privileges_on_spawn(cmd: &mut Command, keep: u64) {
    let hook = move || -> io::Result<()> {
        // SAFETY: prctl and capget/capset are raw syscalls on this thread's own credentials,
        // async-signal-safe, with stack-local arguments.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            for cap in 0..=CAP_LAST_GUESS {
                if keep & (1u64 << cap) != 0 {
                    continue;
                }
                if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                    match io::Error::last_os_error().raw_os_error() {
                        Some(libc::EINVAL) => break,
                        Some(libc::EPERM) => break,
                        _ => return Err(io::Error::last_os_error()),
                    }
                }
            }
            // Ambient capabilities would survive the exec of an unprivileged file.
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
                0,
                0,
                0,
            );
            let mut header = CapHeader {
                version: LINUX_CAPABILITY_VERSION_3,
                pid: 0,
            };
            let mut data = [CapData::default(); 2];
            if libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) == 0 {
                data[0].inheritable &= keep as u32;
                data[1].inheritable &= (keep >> 32) as u32;
                libc::syscall(libc::SYS_capset, &mut header, data.as_ptr());
            }
        }
        Ok(())
    };
    // SAFETY: the hook only makes async-signal-safe system calls and captures a `u64`.
    unsafe {
        cmd.pre_exec(hook);
    }
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Makes `cmd`'s child start with an empty signal mask and default SIGPIPE. std's
/// `posix_spawn` path keeps the parent's mask, and the runner blocks TERM/INT/HUP/CHLD.
pub(crate) fn unblock_signals_on_spawn(cmd: &mut Command) {
    let hook = || -> io::Result<()> {
        // SAFETY: sigemptyset/sigprocmask/signal are async-signal-safe and touch only the
        // child's own signal state; `set` is a local.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            if libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
        Ok(())
    };
    // SAFETY: the hook only makes async-signal-safe calls (see above) and captures nothing.
    unsafe {
        cmd.pre_exec(hook);
    }
}
