//! Concurrency slots held by the runners themselves.
//!
//! A pool is a directory of `slot-<i>.lock` files, `count` of them. A runner takes one slot —
//! an exclusive `flock` — before it starts its executor and keeps it until it exits. Because
//! the kernel drops the lock when the holding process dies, however it dies, a crash can never
//! leak a slot; and because every runner of the pool (any launcher, any run) competes for the
//! same files, the bound holds across launchers, resumed launchers and supervisor runs.
//!
//! The lock descriptor is close-on-exec, so the executor does not inherit (and cannot pin) it.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wave_store::FileLock;

use crate::error::RunnerError;

/// A pool of concurrency slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotPool {
    /// The directory of `slot-<i>.lock` files.
    pub dir: PathBuf,
    /// How many agents may run at once.
    pub count: u32,
}

/// A held slot; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct Slot {
    /// The slot number.
    pub index: u32,
    _lock: FileLock,
}

impl SlotPool {
    /// Takes a free slot if there is one, starting the search at `start` (spreads contention).
    pub fn try_take(&self, start: u32) -> Result<Option<Slot>, RunnerError> {
        let count = self.count.max(1);
        for k in 0..count {
            let index = (start + k) % count;
            let path = self.dir.join(format!("slot-{index}.lock"));
            if let Some(lock) = FileLock::try_acquire(&path)? {
                return Ok(Some(Slot { index, _lock: lock }));
            }
        }
        Ok(None)
    }

    /// Takes a slot, retrying every `pause` while `keep_waiting()` says so; `None` when the
    /// wait was abandoned.
    pub fn take(
        &self,
        start: u32,
        pause: Duration,
        mut keep_waiting: impl FnMut(Duration) -> bool,
    ) -> Result<Option<Slot>, RunnerError> {
        loop {
            if let Some(slot) = self.try_take(start)? {
                return Ok(Some(slot));
            }
            if !keep_waiting(pause) {
                return Ok(None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_exclusive_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let pool = SlotPool {
            dir: dir.path().to_path_buf(),
            count: 2,
        };
        let a = pool.try_take(0).unwrap().unwrap();
        let b = pool.try_take(0).unwrap().unwrap();
        assert_ne!(a.index, b.index);
        assert!(pool.try_take(1).unwrap().is_none());
        let mut waits = 0;
        assert!(pool
            .take(0, Duration::ZERO, |_| {
                waits += 1;
                waits < 3
            })
            .unwrap()
            .is_none());
        drop(a);
        assert!(pool.try_take(1).unwrap().is_some());
    }
}
