//! The daemon lease of a supervisor root: one daemon per project/lane/ad-hoc tree, fenced.
//!
//! Three files under `control/supervisor/`:
//! - `daemon.flock` — a kernel `flock` the daemon holds for its lifetime; the kernel releases it
//!   when the daemon dies for any reason, so a crashed daemon is replaced at once;
//! - `daemon.lock` — the lease record ([`DaemonLease`], upstream's fields plus `epoch`), always
//!   replaced atomically, renewed every pass;
//! - `daemon.fence` — a short-held `flock` around every check-and-write of the lease and of
//!   run state.
//!
//! A daemon that is alive but stalled (stopped, swapped out) past its lease can be superseded
//! although it still holds the kernel lock: the newcomer bumps the **epoch** in the lease
//! record. Every write a daemon makes goes through [`Lease::fenced`], which re-reads the record
//! under the fence lock and refuses to write unless the epoch is still its own — so a
//! superseded daemon, once resumed, cannot write a single byte of run state; it notices on its
//! next renewal and exits, releasing the kernel lock to its successor.
//!
//! A daemon stopped *inside* a fenced section keeps the fence lock. A newcomer that waited
//! [`FENCE_TIMEOUT`] for it while the lease record is expired breaks the fence: it renames a
//! fresh file over `daemon.fence` and locks that. Residual risk, as with any lease without
//! storage-side fencing: the stopped daemon, once resumed, completes the one write it was in
//! the middle of; its next fenced section sees the new epoch and it exits. Renewals are written
//! without fsync (the kernel lock and expiry, not the record's durability, decide liveness), so
//! the fenced section of an idle daemon lasts microseconds.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wave_core::records::supervisor::DaemonLease;
use wave_core::timefmt::iso8601_millis;
use wave_store::FileLock;

use super::SupervisorError;

/// Longest wait for the fence lock.
pub const FENCE_TIMEOUT: Duration = Duration::from_secs(2);

/// Who a daemon serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Project id.
    pub project: String,
    /// Lane.
    pub lane: String,
    /// Ad-hoc run, if any.
    pub adhoc_run_id: Option<String>,
}

/// The lease files of a supervisor root.
#[derive(Debug, Clone)]
pub struct LeaseFiles {
    root: PathBuf,
}

impl LeaseFiles {
    /// The lease files under `root` (`control/supervisor/`).
    pub fn new(root: &Path) -> Self {
        LeaseFiles {
            root: root.to_path_buf(),
        }
    }
    /// `daemon.lock`.
    pub fn record(&self) -> PathBuf {
        self.root.join("daemon.lock")
    }
    fn kernel(&self) -> PathBuf {
        self.root.join("daemon.flock")
    }
    fn fence(&self) -> PathBuf {
        self.root.join("daemon.fence")
    }

    /// Locks the fence; when its holder kept it for [`FENCE_TIMEOUT`] while the lease is
    /// expired (the holder is stopped or hung mid-section), replaces the fence file and locks
    /// the new one.
    fn lock_fence_or_break(&self) -> Result<FileLock, SupervisorError> {
        match FileLock::acquire_with_deadline(&self.fence(), FENCE_TIMEOUT) {
            Ok(lock) => Ok(lock),
            Err(wave_store::StoreError::LockTimeout { .. })
                if self.read().is_none_or(|c| c.lease_expires_ms <= now_ms()) =>
            {
                let fresh = self
                    .root
                    .join(format!("daemon.fence.{}", std::process::id()));
                std::fs::write(&fresh, b"").map_err(|e| io_error("create", &fresh, e))?;
                std::fs::rename(&fresh, self.fence())
                    .map_err(|e| io_error("replace", &self.fence(), e))?;
                Ok(FileLock::acquire_with_deadline(
                    &self.fence(),
                    FENCE_TIMEOUT,
                )?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The current lease record, if readable.
    pub fn read(&self) -> Option<DaemonLease> {
        let text = std::fs::read_to_string(self.record()).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// How the daemon of this root is doing, decided by the kernel lock first: a free lock
    /// means no daemon, whatever the record says (a `kill -9`ed daemon leaves a fresh-looking
    /// record behind); a held lock with a lapsed lease means a stalled holder.
    pub fn health(&self) -> Result<DaemonHealth, SupervisorError> {
        if let Some(lock) = FileLock::try_acquire(&self.kernel())? {
            lock.release();
            return Ok(DaemonHealth::Absent);
        }
        let now = now_ms();
        Ok(match self.read() {
            Some(lease) if lease.lease_expires_ms > now => DaemonHealth::Serving {
                pid: lease.pid,
                epoch: lease.epoch,
            },
            Some(lease) => DaemonHealth::Stalled {
                pid: Some(lease.pid),
                lapsed_ms: now - lease.lease_expires_ms,
            },
            None => DaemonHealth::Stalled {
                pid: None,
                lapsed_ms: 0,
            },
        })
    }

    /// True when a live daemon serves this root ([`DaemonHealth::Serving`]).
    pub fn daemon_is_serving(&self) -> Result<bool, SupervisorError> {
        Ok(matches!(self.health()?, DaemonHealth::Serving { .. }))
    }
}

/// The state of a root's daemon, as [`LeaseFiles::health`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonHealth {
    /// A daemon holds the kernel lock and a fresh lease.
    Serving {
        /// Its pid (from the lease record).
        pid: i32,
        /// Its lease epoch.
        epoch: u64,
    },
    /// A process holds the kernel lock but has let the lease lapse (stopped, hung): a new
    /// daemon can take over by expiry.
    Stalled {
        /// The holder's pid, when the record names one.
        pid: Option<i32>,
        /// How long ago the lease lapsed.
        lapsed_ms: u64,
    },
    /// Nobody holds the kernel lock.
    Absent,
}

impl DaemonHealth {
    /// One line for users: `daemon pid 41 serving (epoch 3)`, `… has not renewed its lease for
    /// 12.0 s`, `no daemon`.
    pub fn describe(&self) -> String {
        match self {
            DaemonHealth::Serving { pid, epoch } => {
                format!("daemon pid {pid} serving (epoch {epoch})")
            }
            DaemonHealth::Stalled { pid, lapsed_ms } => format!(
                "daemon pid {} holds the lane lock but has not renewed its lease for {:.1} s (stopped or hung)",
                pid.map_or("?".into(), |p| p.to_string()),
                *lapsed_ms as f64 / 1000.0
            ),
            DaemonHealth::Absent => "no daemon holds the lane lock".into(),
        }
    }
}

fn io_error(op: &'static str, path: &Path, source: std::io::Error) -> SupervisorError {
    SupervisorError::from(wave_store::StoreError::Io {
        op,
        path: path.to_path_buf(),
        source,
    })
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A held lease.
#[derive(Debug)]
pub struct Lease {
    files: LeaseFiles,
    record: DaemonLease,
    kernel: Option<FileLock>,
    lease_time: Duration,
}

/// The result of [`Lease::acquire`].
#[derive(Debug)]
pub enum Acquire {
    /// This process now holds the lease.
    Acquired(Lease),
    /// A live daemon holds it.
    Held(Option<DaemonLease>),
}

impl Lease {
    /// Takes the lease if no live daemon holds it: at once when the kernel lock is free; by
    /// expiry (bumping the epoch) when its holder has not renewed for `lease_time`.
    pub fn acquire(
        root: &Path,
        who: &Identity,
        lease_time: Duration,
    ) -> Result<Acquire, SupervisorError> {
        let files = LeaseFiles::new(root);
        let kernel = FileLock::try_acquire(&files.kernel())?;
        let fence = files.lock_fence_or_break()?;
        let current = files.read();
        let now = now_ms();
        if kernel.is_none() {
            if let Some(c) = &current {
                if c.lease_expires_ms > now {
                    return Ok(Acquire::Held(current));
                }
            }
        }
        let pid = std::process::id() as i32;
        let at = iso8601_millis(now);
        let expires = now + lease_time.as_millis() as u64;
        let record = DaemonLease {
            supervisor_id: format!("supervisor-{pid}-{:08x}", random_u32()),
            pid,
            project: who.project.clone(),
            lane: who.lane.clone(),
            adhoc_run_id: who.adhoc_run_id.clone(),
            acquired_at: at.clone(),
            heartbeat_at: at,
            lease_expires_at: iso8601_millis(expires),
            epoch: current.as_ref().map_or(0, |c| c.epoch) + 1,
            lease_expires_ms: expires,
        };
        wave_store::write_json_atomic(&files.record(), &record)?;
        fence.release();
        Ok(Acquire::Acquired(Lease {
            files,
            record,
            kernel,
            lease_time,
        }))
    }

    /// The lease record as last written.
    pub fn record(&self) -> &DaemonLease {
        &self.record
    }

    /// Runs `write` under the fence lock if this daemon still holds the lease; else
    /// [`SupervisorError::Superseded`] and `write` does not run.
    pub fn fenced<T>(
        &mut self,
        write: impl FnOnce() -> Result<T, SupervisorError>,
    ) -> Result<T, SupervisorError> {
        let fence = FileLock::acquire_with_deadline(&self.files.fence(), FENCE_TIMEOUT)?;
        self.check_current()?;
        let out = write();
        fence.release();
        out
    }

    fn check_current(&self) -> Result<(), SupervisorError> {
        match self.files.read() {
            Some(c)
                if c.epoch == self.record.epoch && c.supervisor_id == self.record.supervisor_id =>
            {
                Ok(())
            }
            other => Err(SupervisorError::Superseded {
                by: other.map(|c| format!("{} (epoch {})", c.supervisor_id, c.epoch)),
            }),
        }
    }

    /// Renews the lease (and picks up the kernel lock if it became free).
    pub fn renew(&mut self) -> Result<(), SupervisorError> {
        if self.kernel.is_none() {
            self.kernel = FileLock::try_acquire(&self.files.kernel())?;
        }
        let now = now_ms();
        let mut next = self.record.clone();
        next.heartbeat_at = iso8601_millis(now);
        next.lease_expires_ms = now + self.lease_time.as_millis() as u64;
        next.lease_expires_at = iso8601_millis(next.lease_expires_ms);
        let path = self.files.record();
        self.fenced(|| Ok(wave_store::write_json_atomic_relaxed(&path, &next)?))?;
        self.record = next;
        Ok(())
    }

    /// Gives the lease up: the record is marked expired (its epoch stays, so epochs only grow)
    /// and the kernel lock is released.
    pub fn release(mut self) {
        let now = now_ms();
        let mut last = self.record.clone();
        last.lease_expires_ms = now;
        last.lease_expires_at = iso8601_millis(now);
        let path = self.files.record();
        let _ = self.fenced(|| Ok(wave_store::write_json_atomic(&path, &last)?));
        if let Some(kernel) = self.kernel.take() {
            kernel.release();
        }
    }
}

/// Four random bytes from the kernel (falls back to time and pid).
pub fn random_u32() -> u32 {
    let mut buf = [0u8; 4];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut buf))
        .is_ok()
    {
        return u32::from_ne_bytes(buf);
    }
    (now_ms() as u32) ^ std::process::id().rotate_left(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Identity {
        Identity {
            project: "default".into(),
            lane: "main".into(),
            adhoc_run_id: None,
        }
    }

    #[test]
    fn a_holder_stopped_inside_its_fenced_section_does_not_block_takeover_forever() {
        let dir = tempfile::tempdir().unwrap();
        let Acquire::Acquired(first) =
            Lease::acquire(dir.path(), &who(), Duration::from_millis(50)).unwrap()
        else {
            panic!("first claimant must acquire");
        };
        let files = LeaseFiles::new(dir.path());
        // The holder is frozen mid-section: it keeps the fence, its lease lapses.
        let frozen_fence = FileLock::try_acquire(&files.fence()).unwrap().unwrap();
        let mut stale = files.read().unwrap();
        stale.lease_expires_ms = now_ms() - 1;
        wave_store::write_json_atomic(&files.record(), &stale).unwrap();
        let Acquire::Acquired(second) =
            Lease::acquire(dir.path(), &who(), Duration::from_secs(5)).unwrap()
        else {
            panic!("a lapsed holder's fence is broken");
        };
        assert_eq!(second.record().epoch, 2);
        drop(frozen_fence);
        drop(first);
        // While the lease is fresh, a held fence is waited for, never broken.
        let held = FileLock::try_acquire(&files.fence()).unwrap().unwrap();
        let err = Lease::acquire(dir.path(), &who(), Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("daemon.fence"), "{err}");
        drop(held);
    }

    #[test]
    fn a_second_claimant_sees_the_lease_held_until_it_expires_then_supersedes_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let Acquire::Acquired(mut first) =
            Lease::acquire(dir.path(), &who(), Duration::from_millis(50)).unwrap()
        else {
            panic!("first claimant must acquire");
        };
        assert_eq!(first.record().epoch, 1);
        first.renew().unwrap();
        // The kernel lock is held by `first` (another open file description), and the lease
        // is fresh: held.
        let second = Lease::acquire(dir.path(), &who(), Duration::from_millis(50)).unwrap();
        assert!(matches!(second, Acquire::Held(Some(_))));
        // Let the lease lapse without renewal (a stalled holder).
        let files = LeaseFiles::new(dir.path());
        let mut stale = files.read().unwrap();
        stale.lease_expires_ms = now_ms() - 1;
        wave_store::write_json_atomic(&files.record(), &stale).unwrap();
        let Acquire::Acquired(mut second) =
            Lease::acquire(dir.path(), &who(), Duration::from_secs(5)).unwrap()
        else {
            panic!("an expired lease must be taken over");
        };
        assert_eq!(second.record().epoch, 2);
        // The superseded holder can no longer write.
        let mut wrote = false;
        let err = first
            .fenced(|| {
                wrote = true;
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(err, SupervisorError::Superseded { .. }), "{err}");
        assert!(!wrote);
        assert!(first.renew().is_err());
        second.renew().unwrap();
        drop(first);
        // With the old holder gone, the successor picks up the kernel lock on renewal.
        second.renew().unwrap();
        assert!(second.kernel.is_some());
        second.release();
        assert!(!files.daemon_is_serving().unwrap());
        // Epochs only grow across releases.
        let Acquire::Acquired(third) =
            Lease::acquire(dir.path(), &who(), Duration::from_secs(5)).unwrap()
        else {
            panic!("a released lease is free");
        };
        assert_eq!(third.record().epoch, 3);
    }
}
