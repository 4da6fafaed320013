//! Translating a path inside the supervisor's own container into a mount for a sibling.
//!
//! A supervisor running in a container talks to the host's engine, so a path it sees
//! (`/workspace/.tmp/x`) means nothing to the engine. [`SelfMounts`] is the supervisor's own
//! mount table (from inspecting itself, see `DockerClient::self_mounts`); [`SelfMounts::translate`]
//! finds the mount holding a path (longest destination prefix, by whole components) and says
//! how a sibling gets the same path:
//!
//! - a **bind** mount: the host path is the mount's source plus the rest of the path, so the
//!   sibling can bind exactly that sub-directory;
//! - a **named volume**: volumes can only be mounted whole (sub-paths need API 1.45), so the
//!   sibling mounts the whole volume at the same destination and finds the path at the same
//!   place.
//!
//! Either way the sibling sees the path at the same absolute location as the supervisor, so
//! paths written into files (logs, status) stay valid in both.
//!
//! Container-id candidates for self-detection are read from `/proc/self/cgroup` (cgroup v1
//! `…/docker/<64 hex>`), `/proc/self/mountinfo` (`…/containers/<64 hex>/…`, the engine's
//! `hostname`/`resolv.conf` binds, which also works on cgroup v2) and the hostname (Docker's
//! default hostname is the 12-digit short id).

use std::path::{Path, PathBuf};

use crate::spec::{normalize, MountSpec};

/// Where a mount of the supervisor's container comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountSource {
    /// A bind mount of this path on the engine's host.
    HostPath(PathBuf),
    /// A named volume.
    Volume(String),
}

/// One mount of the supervisor's container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfMount {
    /// Its source.
    pub source: MountSource,
    /// Where it is mounted in the supervisor's container.
    pub destination: PathBuf,
    /// Mounted read-write.
    pub read_write: bool,
}

/// The supervisor container's own mounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfMounts {
    /// The supervisor container's id.
    pub container_id: String,
    /// Its bind and volume mounts (tmpfs and others are left out: a sibling cannot share them).
    pub mounts: Vec<SelfMount>,
}

/// A path of the supervisor's container, as a sibling can mount it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslatedPath {
    /// The mount holding the path.
    pub source: MountSource,
    /// That mount's destination in the supervisor's container.
    pub destination: PathBuf,
    /// The path below the destination (empty for the destination itself).
    pub rest: PathBuf,
}

impl TranslatedPath {
    /// The mount that gives a sibling this path at `path_in_self` (the normalised path that
    /// was translated): for a bind, the host sub-directory bound at that path; for a volume,
    /// the whole volume at the supervisor's destination.
    pub fn sibling_mount(&self, read_only: bool) -> MountSpec {
        match &self.source {
            MountSource::HostPath(host) => MountSpec::Bind {
                host_path: join_rest(host, &self.rest),
                target: join_rest(&self.destination, &self.rest),
                read_only,
            },
            MountSource::Volume(name) => MountSpec::Volume {
                name: name.clone(),
                target: self.destination.clone(),
                read_only,
            },
        }
    }

    /// The host path for a bind source; `None` for a volume.
    pub fn host_path(&self) -> Option<PathBuf> {
        match &self.source {
            MountSource::HostPath(host) => Some(join_rest(host, &self.rest)),
            MountSource::Volume(_) => None,
        }
    }
}

fn join_rest(base: &Path, rest: &Path) -> PathBuf {
    if rest.as_os_str().is_empty() {
        base.to_path_buf()
    } else {
        base.join(rest)
    }
}

impl SelfMounts {
    /// The mount holding `container_path` (absolute; `.`/`..` are resolved lexically) by the
    /// longest destination that is a whole-component prefix; `None` when no mount holds it (the
    /// path is in the container's own filesystem and a sibling cannot see it).
    pub fn translate(&self, container_path: &Path) -> Option<TranslatedPath> {
        if !container_path.is_absolute() {
            return None;
        }
        let path = normalize(container_path);
        let mount = self
            .mounts
            .iter()
            .filter(|m| path.starts_with(normalize(&m.destination)))
            .max_by_key(|m| normalize(&m.destination).components().count())?;
        let destination = normalize(&mount.destination);
        let rest = path
            .strip_prefix(&destination)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Some(TranslatedPath {
            source: mount.source.clone(),
            destination,
            rest,
        })
    }
}

/// Container-id candidates for the current process, most specific first: full ids from
/// `cgroup` and `mountinfo` text, then a 12-hex-digit `hostname`.
pub fn container_id_candidates(cgroup: &str, mountinfo: &str, hostname: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |id: &str| {
        if !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    };
    for line in cgroup.lines() {
        // `4:memory:/docker/<id>` or `0::/system.slice/docker-<id>.scope`.
        if let Some(path) = line.splitn(3, ':').nth(2) {
            for seg in path.split('/') {
                let seg = seg.strip_prefix("docker-").unwrap_or(seg);
                let seg = seg.strip_suffix(".scope").unwrap_or(seg);
                if is_hex(seg, 64) {
                    push(seg);
                }
            }
        }
    }
    for line in mountinfo.lines() {
        // The engine binds `/var/lib/docker/containers/<id>/hostname` etc. into the container.
        let mut segs = line.split([' ', '/']);
        while let Some(seg) = segs.next() {
            if seg == "containers" {
                if let Some(id) = segs.next() {
                    if is_hex(id, 64) {
                        push(id);
                    }
                }
            }
        }
    }
    let host = hostname.trim();
    if is_hex(host, 12) {
        push(host);
    }
    out
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mounts() -> SelfMounts {
        SelfMounts {
            container_id: "c".into(),
            mounts: vec![
                SelfMount {
                    source: MountSource::HostPath("/home/u/repo".into()),
                    destination: "/workspace".into(),
                    read_write: true,
                },
                SelfMount {
                    source: MountSource::Volume("wave-tmp".into()),
                    destination: "/workspace/.tmp".into(),
                    read_write: true,
                },
                SelfMount {
                    source: MountSource::HostPath("/srv/cache".into()),
                    destination: "/cache/".into(),
                    read_write: false,
                },
            ],
        }
    }

    #[test]
    fn bind_paths_become_host_paths_with_the_rest() {
        let t = mounts()
            .translate(Path::new("/workspace/src/lib.rs"))
            .unwrap();
        assert_eq!(t.host_path().unwrap(), Path::new("/home/u/repo/src/lib.rs"));
        assert_eq!(
            t.sibling_mount(false),
            MountSpec::Bind {
                host_path: "/home/u/repo/src/lib.rs".into(),
                target: "/workspace/src/lib.rs".into(),
                read_only: false
            }
        );
        let root = mounts().translate(Path::new("/workspace")).unwrap();
        assert_eq!(root.rest, PathBuf::new());
        assert_eq!(root.host_path().unwrap(), Path::new("/home/u/repo"));
        let c = mounts().translate(Path::new("/cache/./a/../b")).unwrap();
        assert_eq!(c.host_path().unwrap(), Path::new("/srv/cache/b"));
    }

    #[test]
    fn longest_prefix_wins_and_volumes_mount_whole() {
        let t = mounts()
            .translate(Path::new("/workspace/.tmp/main-wave-launcher/logs"))
            .unwrap();
        assert_eq!(t.source, MountSource::Volume("wave-tmp".into()));
        assert_eq!(t.rest, Path::new("main-wave-launcher/logs"));
        assert_eq!(t.host_path(), None);
        assert_eq!(
            t.sibling_mount(false),
            MountSpec::Volume {
                name: "wave-tmp".into(),
                target: "/workspace/.tmp".into(),
                read_only: false
            }
        );
    }

    #[test]
    fn prefixes_match_whole_components_only() {
        let t = mounts().translate(Path::new("/workspace/.tmpx/a")).unwrap();
        assert_eq!(t.source, MountSource::HostPath("/home/u/repo".into()));
        assert_eq!(mounts().translate(Path::new("/workspacefoo")), None);
        assert_eq!(mounts().translate(Path::new("/etc/passwd")), None);
        assert_eq!(mounts().translate(Path::new("relative")), None);
        assert_eq!(mounts().translate(Path::new("/workspace/../etc")), None);
    }

    #[test]
    fn container_ids_come_from_cgroup_mountinfo_and_hostname() {
        let id = "0123456789abcdef".repeat(4);
        let cg = format!("12:memory:/docker/{id}\n0::/\n");
        assert_eq!(container_id_candidates(&cg, "", "vm"), vec![id.clone()]);
        let v2 = format!("0::/system.slice/docker-{id}.scope\n");
        assert_eq!(container_id_candidates(&v2, "", ""), vec![id.clone()]);
        let mi = format!(
            "612 590 0:44 /containers/{id}/hostname /etc/hostname rw - ext4 /dev/sda1 rw\n"
        );
        assert_eq!(
            container_id_candidates("0::/\n", &mi, "0123456789ab\n"),
            vec![id, "0123456789ab".to_string()]
        );
        assert!(container_id_candidates("0::/\n", "", "my-host").is_empty());
        assert!(container_id_candidates(
            "4:memory:/process_api/5e4bc221e9706a941a68b4d137871bef\n",
            "",
            "vm"
        )
        .is_empty());
    }
}
