//! Spawn pressure: what the launcher does when the kernel refuses to start an agent's runner
//! for a transient reason (`EAGAIN` under `pids.max`, descriptor or memory limits).
//!
//! Pressure throttles, it does not fail the run:
//! - [`start_patiently`] retries a refused start with a jittered back-off for up to
//!   [`START_PATIENCE`] (60 s) in all — on top of the runtime's own short retries — and gives up
//!   early only when a stop was requested;
//! - when it still cannot start and other agents of the wave are running, the start loop puts
//!   the agent back at the head of its queue and [`Throttle`] lowers the concurrency bound to
//!   what is running now, so the next start is tried only when an agent has ended (and freed
//!   its tasks);
//! - only when nothing is running and the start still fails does the wave fail. Every other
//!   start failure (a permanent error) first stops the running agents of the wave and records
//!   them ([`super::drain`]), so no agent outlives its run's record.
//!
//! The back-off is pure ([`wave_runtime::Backoff`]); tests drive time through the injected
//! sleeper and clock.

use std::time::{Duration, Instant};

use wave_runtime::{is_transient_spawn_error, Backoff, Jitter, RunnerError};

use super::LaunchError;

/// How long one agent start may wait out transient refusals before the launcher lowers its
/// concurrency (or, with nothing running, fails the wave).
pub const START_PATIENCE: Duration = Duration::from_secs(60);

/// The delays between start attempts under pressure: 100 ms doubling to 1 s, with jitter (the
/// attempt count is bounded by [`START_PATIENCE`], not by the schedule). Short enough that a
/// stop request is noticed within about a second.
const PRESSURE_BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(100),
    max: Duration::from_secs(1),
    max_attempts: u32::MAX,
};

/// Why [`start_patiently`] gave up.
#[derive(Debug)]
pub(super) enum StartFailure {
    /// The kernel kept refusing for a transient reason for the whole patience (or until a stop
    /// was requested); `waited` is how long was spent waiting.
    Pressure {
        /// The last error.
        error: LaunchError,
        /// Time spent retrying.
        waited: Duration,
    },
    /// A permanent error: retrying cannot help.
    Failed(LaunchError),
}

/// True for a start refused by the kernel for a transient reason.
pub(super) fn is_pressure(error: &LaunchError) -> bool {
    matches!(
        error,
        LaunchError::Runner(RunnerError::Spawn { source, .. }) if is_transient_spawn_error(source)
    )
}

/// Runs `start` until it succeeds, fails permanently, or transient refusals have lasted
/// `patience` (measured by `elapsed`) or `stop()` says to stop waiting.
pub(super) fn start_with<T>(
    mut start: impl FnMut() -> Result<T, LaunchError>,
    patience: Duration,
    stop: &dyn Fn() -> bool,
    sleep: &mut dyn FnMut(Duration),
    elapsed: &mut dyn FnMut() -> Duration,
    random: &mut dyn FnMut() -> u32,
) -> Result<T, StartFailure> {
    let mut retry = 0u32;
    loop {
        match start() {
            Ok(value) => return Ok(value),
            Err(error) if is_pressure(&error) => {
                let waited = elapsed();
                let delay = PRESSURE_BACKOFF.delay(retry, random());
                if waited + delay > patience || stop() {
                    return Err(StartFailure::Pressure { error, waited });
                }
                sleep(delay);
                retry = retry.saturating_add(1);
            }
            Err(error) => return Err(StartFailure::Failed(error)),
        }
    }
}

/// [`start_with`] with real time and [`START_PATIENCE`].
pub(super) fn start_patiently<T>(
    start: impl FnMut() -> Result<T, LaunchError>,
    stop: &dyn Fn() -> bool,
) -> Result<T, StartFailure> {
    let began = Instant::now();
    let mut jitter = Jitter::from_entropy();
    start_with(
        start,
        START_PATIENCE,
        stop,
        &mut std::thread::sleep,
        &mut || began.elapsed(),
        &mut || jitter.next_u32(),
    )
}

/// The launcher's concurrency bound, lowered under spawn pressure for the rest of the wave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Throttle {
    lowered: Option<usize>,
}

impl Throttle {
    /// The bound to apply: the configured one, or the lowered one (at least 1).
    pub(super) fn limit(&self, configured: usize) -> usize {
        self.lowered
            .map_or(configured, |l| l.min(configured))
            .max(1)
    }

    /// A start failed under pressure while `running` agents run: allow no more than that.
    pub(super) fn lower_to(&mut self, running: usize) {
        self.lowered = Some(self.lowered.map_or(running, |l| l.min(running)).max(1));
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::path::PathBuf;

    use super::*;

    fn refused(code: i32) -> LaunchError {
        LaunchError::Runner(RunnerError::Spawn {
            program: PathBuf::from("/bin/wave"),
            attempts: 6,
            source: std::io::Error::from_raw_os_error(code),
        })
    }

    /// Runs `start_with` on virtual time: `elapsed` is the sum of the sleeps.
    fn run(
        mut start: impl FnMut() -> Result<u32, LaunchError>,
        stop_after: Option<u32>,
    ) -> (Result<u32, StartFailure>, Duration, u32) {
        let slept = Cell::new(Duration::ZERO);
        let calls = Cell::new(0u32);
        let stop = || stop_after.is_some_and(|n| calls.get() >= n);
        let out = start_with(
            || {
                calls.set(calls.get() + 1);
                start()
            },
            START_PATIENCE,
            &stop,
            &mut |d| slept.set(slept.get() + d),
            &mut || slept.get(),
            &mut || u32::MAX,
        );
        (out, slept.get(), calls.get())
    }

    #[test]
    fn transient_refusals_are_waited_out() {
        let mut n = 0;
        let (out, slept, calls) = run(
            || {
                n += 1;
                if n < 5 {
                    Err(refused(nix::libc::EAGAIN))
                } else {
                    Ok(n)
                }
            },
            None,
        );
        assert_eq!(out.unwrap(), 5);
        assert_eq!(calls, 5);
        // 100 + 200 + 400 + 800 ms at the top of the jitter range.
        assert!(slept <= Duration::from_millis(1500), "{slept:?}");
    }

    #[test]
    fn pressure_gives_up_after_the_patience_without_exceeding_it() {
        let (out, slept, calls) = run(|| Err(refused(nix::libc::EAGAIN)), None);
        match out {
            Err(StartFailure::Pressure { error, waited }) => {
                assert!(is_pressure(&error));
                assert_eq!(waited, slept);
            }
            other => panic!("expected pressure, got {other:?}"),
        }
        assert!(slept <= START_PATIENCE, "{slept:?}");
        assert!(
            slept >= START_PATIENCE - Duration::from_secs(1),
            "{slept:?}"
        );
        // 1.5 s of doubling, then about one attempt a second.
        assert!((55..70).contains(&calls), "{calls}");
    }

    #[test]
    fn a_stop_request_ends_the_wait() {
        let (out, _, calls) = run(|| Err(refused(nix::libc::EMFILE)), Some(3));
        assert!(matches!(out, Err(StartFailure::Pressure { .. })));
        assert_eq!(calls, 3);
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        let (out, slept, calls) = run(|| Err(refused(nix::libc::ENOENT)), None);
        assert!(matches!(out, Err(StartFailure::Failed(_))));
        assert_eq!((slept, calls), (Duration::ZERO, 1));
        assert!(!is_pressure(&LaunchError::Stalled { wave: 1 }));
    }

    #[test]
    fn throttle_only_goes_down_and_never_below_one() {
        let mut t = Throttle::default();
        assert_eq!(t.limit(8), 8);
        assert_eq!(t, Throttle::default());
        t.lower_to(5);
        assert_eq!(t.limit(8), 5);
        assert_eq!(t.limit(3), 3);
        t.lower_to(6);
        assert_eq!(t.limit(8), 5, "never raised within the wave");
        t.lower_to(0);
        assert_eq!(t.limit(8), 1);
    }
}
