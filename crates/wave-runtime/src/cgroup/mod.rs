//! Reading the process's cgroup limits (cpu quota, cpuset, memory, pids) on cgroup v1, v2 and
//! hybrid hosts, over an injected filesystem root.
//!
//! Entry point: [`CgroupFs::read_limits`]. [`CgroupFs`] holds the root every path is read under
//! (`/` in production, a temp dir in tests), so the whole module runs against a fake
//! cgroupfs. For each controller it finds the process's cgroup in `/proc/self/cgroup`, maps it
//! through `/proc/self/mountinfo` to a directory — stripping the mount's own root from the
//! path, which is what makes a container that shares the host's cgroup namespace (Docker 20.10
//! on cgroup v1: `/proc/self/cgroup` says `/docker/<id>` while the controller is mounted at
//! `/sys/fs/cgroup/<ctrl>` with root `/docker/<id>`) read its own limits — and then reads the
//! limit files of that directory and of every ancestor up to the mount point: the tightest
//! limit wins, as the kernel enforces it.
//!
//! A controller v1 mounts is read from its v1 hierarchy ([`v1`]); otherwise from the unified v2
//! hierarchy ([`v2`]). A missing file, directory or hierarchy means "no limit" for that term; a
//! file that exists but does not parse is an error naming it.
//!
//! Caveats: ancestors above the mount's root are invisible from inside a container, so a limit
//! set there (a parent slice, a Kubernetes pod cgroup mounted away) is not seen; the kernel
//! still enforces it. Pids counts are tasks (threads included), as the pids controller counts
//! them.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
pub use wave_core::plan::concurrency::CpuQuota;

mod mounts;
pub mod v1;
pub mod v2;

#[cfg(test)]
mod tests;

use mounts::{CgroupLine, Mount};

/// A failed cgroup read. Messages are lower case and name the file.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// A file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A file's content is not what the kernel writes there.
    #[error("cannot parse {}: expected {expected}, got {value:?}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Its (trimmed) content.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// Which cgroup hierarchies the process sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CgroupVersion {
    /// No cgroup filesystem is mounted (or `/proc/self/cgroup` is missing).
    None,
    /// Only v1 controller hierarchies (a v2 mount without controllers may exist beside them).
    V1,
    /// Only the unified v2 hierarchy.
    V2,
    /// v1 hierarchies and a v2 hierarchy with controllers.
    Hybrid,
}

/// The pids limit of the tightest level: its `pids.max` and `pids.current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PidsLimit {
    /// `pids.max`.
    pub max: u64,
    /// `pids.current` at the same level (0 when the file is missing).
    pub current: u64,
}

/// The directory one controller was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerDir {
    /// `cpu`, `cpuset`, `memory` or `pids`.
    pub controller: &'static str,
    /// `v1` or `v2`.
    pub version: &'static str,
    /// The process's cgroup directory, as seen in this mount namespace (without the injected
    /// root).
    pub dir: PathBuf,
}

/// The limits that apply to the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CgroupLimits {
    /// The hierarchies seen.
    pub version: CgroupVersion,
    /// The tightest CFS quota over the ancestors.
    pub cpu_quota: Option<CpuQuota>,
    /// CPUs in the effective cpuset.
    pub cpuset_cpus: Option<u32>,
    /// The tightest memory limit over the ancestors, in bytes.
    pub memory_max: Option<u64>,
    /// The tightest pids limit (least headroom) over the ancestors.
    pub pids: Option<PidsLimit>,
    /// Where each controller was read.
    pub dirs: Vec<ControllerDir>,
}

/// A cgroup filesystem view rooted at an injected path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupFs {
    root: PathBuf,
}

/// Memory limits at or above this are "no limit" (v1 writes `PAGE_COUNTER_MAX` pages, about
/// 2^63; nobody has 4 EiB).
pub const UNLIMITED_BYTES: u64 = 1 << 62;

/// One controller's place: the process's cgroup directory and the mount point (the topmost
/// ancestor visible), both under the injected root.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Location {
    v2: bool,
    dir: PathBuf,
    top: PathBuf,
}

impl Location {
    /// The cgroup directory and its ancestors up to the mount point, innermost first.
    fn levels(&self) -> impl Iterator<Item = &Path> {
        self.dir
            .ancestors()
            .take_while(move |p| p.starts_with(&self.top))
    }
}

impl CgroupFs {
    /// A view of the real filesystem (root `/`).
    pub fn host() -> Self {
        Self::new("/")
    }

    /// A view rooted at `root` (tests: a temp dir holding `proc/self/…` and `sys/fs/cgroup/…`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        CgroupFs { root: root.into() }
    }

    /// `path` (absolute in the process's view) under the injected root.
    fn under_root(&self, path: &Path) -> PathBuf {
        self.root.join(path.strip_prefix("/").unwrap_or(path))
    }

    /// Reads every limit that applies to the calling process.
    pub fn read_limits(&self) -> Result<CgroupLimits, CgroupError> {
        let cgroup_text = read_optional(&self.under_root(Path::new("/proc/self/cgroup")))?;
        let mountinfo = read_optional(&self.under_root(Path::new("/proc/self/mountinfo")))?;
        let lines = mounts::parse_proc_cgroup(cgroup_text.as_deref().unwrap_or(""));
        let mounts = mounts::parse_mountinfo(mountinfo.as_deref().unwrap_or(""));
        let mut limits = CgroupLimits {
            version: self.version(&mounts),
            cpu_quota: None,
            cpuset_cpus: None,
            memory_max: None,
            pids: None,
            dirs: Vec::new(),
        };
        for controller in ["cpu", "cpuset", "memory", "pids"] {
            let Some(loc) = self.locate(controller, &lines, &mounts) else {
                continue;
            };
            limits.dirs.push(ControllerDir {
                controller,
                version: if loc.v2 { "v2" } else { "v1" },
                dir: Path::new("/").join(loc.dir.strip_prefix(&self.root).unwrap_or(&loc.dir)),
            });
            match controller {
                "cpu" => limits.cpu_quota = tightest_quota(&loc)?,
                "cpuset" => {
                    limits.cpuset_cpus = if loc.v2 {
                        v2::cpuset_cpus(&loc.dir)?
                    } else {
                        v1::cpuset_cpus(&loc.dir)?
                    }
                }
                "memory" => limits.memory_max = tightest_memory(&loc)?,
                _ => limits.pids = tightest_pids(&loc)?,
            }
        }
        Ok(limits)
    }

    /// The host's online CPUs (`/sys/devices/system/cpu/online`), if readable.
    pub fn host_cpus(&self) -> Option<u32> {
        let path = self.under_root(Path::new("/sys/devices/system/cpu/online"));
        let text = std::fs::read_to_string(path).ok()?;
        parse_cpu_list(text.trim()).filter(|&n| n > 0)
    }

    /// The host's memory (`MemTotal` of `/proc/meminfo`), in bytes, if readable.
    pub fn host_memory_bytes(&self) -> Option<u64> {
        let text = std::fs::read_to_string(self.under_root(Path::new("/proc/meminfo"))).ok()?;
        let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line
            .trim_start_matches("MemTotal:")
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib.saturating_mul(1024))
    }

    /// Tasks (threads) of the calling process (`Threads:` of `/proc/self/status`), if readable.
    pub fn own_tasks(&self) -> Option<u64> {
        let text = std::fs::read_to_string(self.under_root(Path::new("/proc/self/status"))).ok()?;
        let line = text.lines().find(|l| l.starts_with("Threads:"))?;
        line.trim_start_matches("Threads:").trim().parse().ok()
    }

    fn version(&self, mounts: &[Mount]) -> CgroupVersion {
        let v1 = mounts.iter().any(|m| m.fstype == "cgroup");
        let v2_with_controllers = mounts.iter().filter(|m| m.fstype == "cgroup2").any(|m| {
            let path = self.under_root(&m.mount_point).join("cgroup.controllers");
            std::fs::read_to_string(path).is_ok_and(|t| !t.trim().is_empty())
        });
        let v2 = mounts.iter().any(|m| m.fstype == "cgroup2");
        match (v1, v2_with_controllers, v2) {
            (true, true, _) => CgroupVersion::Hybrid,
            (true, false, _) => CgroupVersion::V1,
            (false, _, true) => CgroupVersion::V2,
            (false, _, false) => CgroupVersion::None,
        }
    }

    /// Finds `controller`'s directory: its v1 hierarchy if one is mounted, else the v2 one.
    fn locate(&self, controller: &str, lines: &[CgroupLine], mounts: &[Mount]) -> Option<Location> {
        let v1 = mounts
            .iter()
            .find(|m| m.fstype == "cgroup" && m.super_options.iter().any(|o| o == controller));
        let (mount, line, v2) = match v1 {
            Some(mount) => {
                let line = lines
                    .iter()
                    .find(|l| l.controllers.iter().any(|c| c == controller));
                (mount, line, false)
            }
            None => {
                let mount = mounts.iter().find(|m| m.fstype == "cgroup2")?;
                let line = lines
                    .iter()
                    .find(|l| l.hierarchy == 0 && l.controllers.is_empty());
                (mount, line, true)
            }
        };
        let top = self.under_root(&mount.mount_point);
        let rel = line.map_or_else(PathBuf::new, |l| relative_to_mount(&l.path, &mount.root));
        let dir = top.join(rel);
        // A path that does not exist here (another namespace's view) falls back to the mount.
        let dir = if dir.is_dir() { dir } else { top.clone() };
        Some(Location { v2, dir, top })
    }
}

/// The cgroup path relative to the mount: the mount's root is stripped (a container sharing
/// the host's cgroup namespace sees `/docker/<id>` under a mount whose root is `/docker/<id>`).
/// A path outside the mount's root cannot be mapped and yields the mount point itself.
fn relative_to_mount(cgroup_path: &Path, mount_root: &Path) -> PathBuf {
    match cgroup_path.strip_prefix(mount_root) {
        Ok(rel) => rel.to_path_buf(),
        Err(_) => PathBuf::new(),
    }
}

fn tightest_quota(loc: &Location) -> Result<Option<CpuQuota>, CgroupError> {
    let mut best: Option<(u64, CpuQuota)> = None;
    for level in loc.levels() {
        let quota = if loc.v2 {
            v2::cpu_quota(level)?
        } else {
            v1::cpu_quota(level)?
        };
        if let Some(q) = quota {
            let m = q.millicores().unwrap_or(u64::MAX);
            if best.is_none_or(|(b, _)| m < b) {
                best = Some((m, q));
            }
        }
    }
    Ok(best.map(|(_, q)| q))
}

fn tightest_memory(loc: &Location) -> Result<Option<u64>, CgroupError> {
    let mut best: Option<u64> = None;
    for level in loc.levels() {
        let limit = if loc.v2 {
            v2::memory_max(level)?
        } else {
            v1::memory_max(level)?
        };
        if let Some(l) = limit.filter(|&l| l < UNLIMITED_BYTES) {
            best = Some(best.map_or(l, |b| b.min(l)));
        }
    }
    Ok(best)
}

fn tightest_pids(loc: &Location) -> Result<Option<PidsLimit>, CgroupError> {
    let mut best: Option<PidsLimit> = None;
    for level in loc.levels() {
        // Same file names and formats on v1 and v2.
        if let Some(limit) = v2::pids(level)? {
            let headroom = |p: &PidsLimit| p.max.saturating_sub(p.current);
            if best.as_ref().is_none_or(|b| headroom(&limit) < headroom(b)) {
                best = Some(limit);
            }
        }
    }
    Ok(best)
}

/// Reads a file that may be missing (`None`); other errors name the file.
fn read_optional(path: &Path) -> Result<Option<String>, CgroupError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => Ok(None),
        Err(source) => Err(CgroupError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads and trims a file that may be missing.
fn read_value(path: &Path) -> Result<Option<String>, CgroupError> {
    Ok(read_optional(path)?.map(|t| t.trim().to_string()))
}

fn parse_error(path: &Path, value: &str, expected: &'static str) -> CgroupError {
    CgroupError::Parse {
        path: path.to_path_buf(),
        value: value.to_string(),
        expected,
    }
}

/// Reads a `max`-or-number file (`memory.max`, `pids.max`): `None` when missing, `Some(None)`
/// for `max`.
fn read_max_or_number(path: &Path) -> Result<Option<Option<u64>>, CgroupError> {
    let Some(text) = read_value(path)? else {
        return Ok(None);
    };
    if text == "max" {
        return Ok(Some(None));
    }
    text.parse::<u64>()
        .map(|n| Some(Some(n)))
        .map_err(|_| parse_error(path, &text, "\"max\" or a number"))
}

/// Counts the CPUs of a kernel cpu list (`0-3,5,7-8`); `None` if it does not parse. An empty
/// list is 0 CPUs.
pub fn parse_cpu_list(text: &str) -> Option<u32> {
    let mut count: u32 = 0;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let n = match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                b.checked_sub(a)?.checked_add(1)?
            }
            None => {
                part.parse::<u32>().ok()?;
                1
            }
        };
        count = count.checked_add(n)?;
    }
    Some(count)
}

/// Reads a cpu-list file: `None` when missing or empty.
fn read_cpu_list(path: &Path) -> Result<Option<u32>, CgroupError> {
    let Some(text) = read_value(path)? else {
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(None);
    }
    parse_cpu_list(&text)
        .map(Some)
        .ok_or_else(|| parse_error(path, &text, "a cpu list such as 0-3,5"))
}
