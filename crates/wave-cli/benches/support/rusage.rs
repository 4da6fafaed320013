//! Shared by the CLI benchmarks: reap a child with `wait4` to read its peak RSS.

/// Waits for child `pid`; returns (exit code or 128 + signal, peak RSS in KiB).
pub fn wait4(pid: i32) -> (i32, i64) {
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<nix::libc::rusage>::zeroed();
    // SAFETY: `usage` and `status` are valid out-pointers; wait4 only writes to them. The child
    // is ours and is waited for exactly once.
    #[allow(unsafe_code)]
    let rc = unsafe { nix::libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(rc, pid, "wait4 failed");
    // SAFETY: wait4 succeeded, so it filled `usage`.
    #[allow(unsafe_code)]
    let usage = unsafe { usage.assume_init() };
    let code = if nix::libc::WIFEXITED(status) {
        nix::libc::WEXITSTATUS(status)
    } else {
        128 + nix::libc::WTERMSIG(status)
    };
    (code, usage.ru_maxrss)
}
