//! Init duties for every long-running `wave` entrypoint (`supervise`, `launch`): what a
//! container's PID 1 owes its children, and a subreaper's duties otherwise.
//!
//! [`Init::install`] blocks SIGTERM, SIGINT, SIGHUP and SIGCHLD in the calling thread (call it
//! before any other thread starts, so every thread inherits the mask; children get an empty
//! mask from the spawn hooks), makes the process a child subreaper unless it is PID 1 already,
//! and starts one signal thread that
//! - reaps every exited child with `waitpid(-1, WNOHANG)` on SIGCHLD — orphans re-parented to
//!   us (an agent's `setsid … &` grandchildren, `docker exec` leftovers) never stay zombies.
//!   This is the one place that waits for arbitrary children: the rest of `wave` observes its
//!   runners and launchers through pidfds (which report an exit whoever reaps it) and the only
//!   direct `wait` (the double fork's intermediate) tolerates having been reaped here;
//! - turns the first SIGTERM/SIGINT/SIGHUP into a stop request: [`Init::stop_requested`] turns
//!   true and every registered [`StopHook`] runs once, so loops blocked on a channel wake at
//!   once and begin their drain.
//!
//! Model: tini's reaping loop and containerd's shim reaper (one owner of all waits).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use nix::sys::signal::{SigSet, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// A callback run once when a stop is requested.
pub type StopHook = Box<dyn Fn() + Send + 'static>;

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    signal: AtomicI32,
    hooks: Mutex<Vec<(u64, StopHook)>>,
    next_hook: std::sync::atomic::AtomicU64,
    reaped: std::sync::atomic::AtomicU64,
}

/// The installed init duties of this process (cheap to clone).
#[derive(Clone)]
pub struct Init {
    shared: Arc<Shared>,
    pid1: bool,
}

impl std::fmt::Debug for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Init")
            .field("pid1", &self.pid1)
            .field("stop_requested", &self.stop_requested())
            .finish()
    }
}

/// Removes its hook when dropped.
pub struct HookGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        if let Ok(mut hooks) = self.shared.hooks.lock() {
            hooks.retain(|(id, _)| *id != self.id);
        }
    }
}

/// The signals the init thread owns.
const OWNED: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGCHLD,
];

impl Init {
    /// Installs the init duties (see the module docs). Call once, early, from the main thread.
    pub fn install() -> std::io::Result<Init> {
        let pid1 = std::process::id() == 1;
        if !pid1 {
            // Best effort: without it orphans go to the real init, which reaps them.
            let _ = nix::sys::prctl::set_child_subreaper(true);
        }
        let mut set = SigSet::empty();
        for sig in OWNED {
            set.add(sig);
        }
        set.thread_block().map_err(std::io::Error::from)?;
        let shared = Arc::new(Shared::default());
        let init = Init {
            shared: shared.clone(),
            pid1,
        };
        std::thread::Builder::new()
            .name("wave-init".into())
            .spawn(move || loop {
                let Ok(sig) = set.wait() else { return };
                if sig == Signal::SIGCHLD {
                    let n = reap_all();
                    shared.reaped.fetch_add(n, Ordering::Relaxed);
                    continue;
                }
                if !shared.stop.swap(true, Ordering::SeqCst) {
                    shared.signal.store(sig as i32, Ordering::SeqCst);
                    if let Ok(hooks) = shared.hooks.lock() {
                        for (_, hook) in hooks.iter() {
                            hook();
                        }
                    }
                }
            })?;
        Ok(init)
    }

    /// Whether this process is PID 1 (of its PID namespace).
    pub fn is_pid1(&self) -> bool {
        self.pid1
    }

    /// True once a termination signal arrived.
    pub fn stop_requested(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    /// The signal that requested the stop.
    pub fn stop_signal(&self) -> Option<Signal> {
        let raw = self.shared.signal.load(Ordering::SeqCst);
        (raw != 0).then(|| Signal::try_from(raw).ok()).flatten()
    }

    /// Children reaped so far.
    pub fn reaped(&self) -> u64 {
        self.shared.reaped.load(Ordering::Relaxed)
    }

    /// Runs `hook` when a stop is requested (at once if one already was); the hook is removed
    /// when the guard drops.
    pub fn on_stop(&self, hook: StopHook) -> HookGuard {
        let id = self.shared.next_hook.fetch_add(1, Ordering::SeqCst);
        if self.stop_requested() {
            hook();
        }
        if let Ok(mut hooks) = self.shared.hooks.lock() {
            hooks.push((id, hook));
        }
        HookGuard {
            shared: self.shared.clone(),
            id,
        }
    }

    /// Requests a stop as a signal would (tests, and commands that stop themselves).
    pub fn request_stop(&self, sig: Signal) {
        if !self.shared.stop.swap(true, Ordering::SeqCst) {
            self.shared.signal.store(sig as i32, Ordering::SeqCst);
            if let Ok(hooks) = self.shared.hooks.lock() {
                for (_, hook) in hooks.iter() {
                    hook();
                }
            }
        }
    }
}

/// The exit code of a process that ends because of `sig`: 128 + N, as shells report it.
pub fn signal_exit_code(sig: Signal) -> i32 {
    128 + sig as i32
}

/// Reaps every exited child without blocking; returns how many.
pub fn reap_all() -> u64 {
    let mut n = 0;
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(_) => return n,
            Ok(_) => n += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_codes_are_128_plus_n() {
        assert_eq!(signal_exit_code(Signal::SIGTERM), 143);
        assert_eq!(signal_exit_code(Signal::SIGINT), 130);
        assert_eq!(signal_exit_code(Signal::SIGKILL), 137);
    }
}
