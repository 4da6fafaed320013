//! Bounded, jittered exponential back-off for transient spawn failures (upstream defect 5: one
//! `EAGAIN` crashed the daemon).
//!
//! The type is pure: the caller injects the sleeper and the random source, so the schedule is
//! unit-tested without sleeping.

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A retry schedule: retry `n` (0-based) waits `min(max, base · 2ⁿ)` scaled by a random factor
/// in `[½, 1]` ("equal jitter"), for at most `max_attempts` attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry, before jitter.
    pub base: Duration,
    /// Upper bound of any one delay.
    pub max: Duration,
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
}

impl Backoff {
    /// The schedule used for spawning runners and executors: 25 ms doubling up to 1 s, six
    /// attempts, so at most about 1.6 s of waiting before the error is reported.
    pub const SPAWN: Backoff = Backoff {
        base: Duration::from_millis(25),
        max: Duration::from_secs(1),
        max_attempts: 6,
    };

    /// The delay before retry `retry` (0-based) given a random draw `random`.
    pub fn delay(&self, retry: u32, random: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        let full = self.base.saturating_mul(factor).min(self.max);
        let half = full / 2;
        // random / 2^32 of the other half.
        let extra_nanos = (half.as_nanos() * u128::from(random)) >> 32;
        half + Duration::from_nanos(extra_nanos as u64)
    }

    /// Runs `op` until it succeeds, fails with an error `is_transient` rejects, or
    /// `max_attempts` is reached. Returns the value, or the last error and the attempts made.
    pub fn retry<T>(
        &self,
        mut op: impl FnMut() -> io::Result<T>,
        is_transient: impl Fn(&io::Error) -> bool,
        sleep: &mut dyn FnMut(Duration),
        random: &mut dyn FnMut() -> u32,
    ) -> Result<T, (io::Error, u32)> {
        let attempts = self.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match op() {
                Ok(value) => return Ok(value),
                Err(err) if attempt < attempts && is_transient(&err) => {
                    sleep(self.delay(attempt - 1, random()));
                }
                Err(err) => return Err((err, attempt)),
            }
        }
    }
}

/// True for the errors worth retrying when starting a process: `EAGAIN` (process or thread
/// limit), `EMFILE`/`ENFILE` (descriptor limits) and `ENOMEM`.
pub fn is_transient_spawn_error(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EAGAIN | libc::EMFILE | libc::ENFILE | libc::ENOMEM)
    )
}

/// A small xorshift generator for jitter (not for anything security related).
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeds from the clock and the pid, so concurrent launchers draw different delays.
    pub fn from_entropy() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Jitter((nanos ^ (u64::from(std::process::id()) << 32)) | 1)
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 32) as u32
    }
}

/// Runs `op` under [`Backoff::SPAWN`] with real sleeps, retrying [`is_transient_spawn_error`].
pub(crate) fn retry_spawn<T>(op: impl FnMut() -> io::Result<T>) -> Result<T, (io::Error, u32)> {
    let mut jitter = Jitter::from_entropy();
    Backoff::SPAWN.retry(
        op,
        is_transient_spawn_error,
        &mut std::thread::sleep,
        &mut || jitter.next_u32(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff {
        base: Duration::from_millis(100),
        max: Duration::from_millis(1000),
        max_attempts: 4,
    };

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_in_the_upper_half() {
        assert_eq!(B.delay(0, 0), Duration::from_millis(50));
        assert!(B.delay(0, u32::MAX) <= Duration::from_millis(100));
        assert!(B.delay(0, u32::MAX) > Duration::from_millis(99));
        assert_eq!(B.delay(1, 0), Duration::from_millis(100));
        assert_eq!(B.delay(3, 0), Duration::from_millis(400));
        assert_eq!(B.delay(4, 0), Duration::from_millis(500));
        assert_eq!(B.delay(40, 0), Duration::from_millis(500));
        assert!(B.delay(40, u32::MAX) <= Duration::from_millis(1000));
    }

    fn eagain() -> io::Error {
        io::Error::from_raw_os_error(libc::EAGAIN)
    }

    #[test]
    fn retries_transient_errors_then_succeeds() {
        let mut slept = Vec::new();
        let mut calls = 0;
        let out = B.retry(
            || {
                calls += 1;
                if calls < 3 {
                    Err(eagain())
                } else {
                    Ok(calls)
                }
            },
            is_transient_spawn_error,
            &mut |d| slept.push(d),
            &mut || 0,
        );
        assert_eq!(out.unwrap(), 3);
        assert_eq!(
            slept,
            vec![Duration::from_millis(50), Duration::from_millis(100)]
        );
    }

    #[test]
    fn gives_up_after_max_attempts_with_the_last_error() {
        let mut slept = 0;
        let (err, attempts) = B
            .retry(
                || -> io::Result<()> { Err(eagain()) },
                is_transient_spawn_error,
                &mut |_| slept += 1,
                &mut || 7,
            )
            .unwrap_err();
        assert_eq!(attempts, 4);
        assert_eq!(slept, 3);
        assert_eq!(err.raw_os_error(), Some(libc::EAGAIN));
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        let mut slept = 0;
        let (err, attempts) = B
            .retry(
                || -> io::Result<()> { Err(io::Error::from_raw_os_error(libc::ENOENT)) },
                is_transient_spawn_error,
                &mut |_| slept += 1,
                &mut || 0,
            )
            .unwrap_err();
        assert_eq!((attempts, slept), (1, 0));
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        for code in [libc::EMFILE, libc::ENFILE, libc::ENOMEM, libc::EAGAIN] {
            assert!(is_transient_spawn_error(&io::Error::from_raw_os_error(
                code
            )));
        }
    }

    #[test]
    fn jitter_varies() {
        let mut j = Jitter(1);
        let a = j.next_u32();
        assert_ne!(a, j.next_u32());
    }
}
