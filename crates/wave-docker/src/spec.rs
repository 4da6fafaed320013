//! What one agent container is: [`AgentContainerSpec`] (image, argv, env, user, mounts, limits,
//! labels) and its pure translation into the engine's create request.
//!
//! The security settings are not options: every agent container drops all capabilities, runs
//! with `no-new-privileges`, has no init process injected, is not auto-removed (its exit code
//! must survive until the launcher reads it), and never gets a Docker socket mounted —
//! [`AgentContainerSpec::validate`] refuses a bind or target that is, or contains, a Docker
//! socket path.
//!
//! Names are deterministic ([`container_name`]) so a resumed launcher can find the container
//! of an attempt by name as well as by labels; reaping never goes by name (see `reap`).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountTypeEnum};

use crate::error::DockerError;
use crate::labels::AgentLabels;

/// Docker socket paths an agent container must never see. A bind of any of these, of a file
/// named `docker.sock`, or of a directory containing one of these paths (`/`, `/var`, `/run`,
/// `/var/run`) is refused.
pub const DOCKER_SOCKET_PATHS: &[&str] = &["/var/run/docker.sock", "/run/docker.sock"];

/// Default network mode: no network at all. Agents that call an LLM API need a network; the
/// caller then sets e.g. `bridge`.
pub const DEFAULT_NETWORK_MODE: &str = "none";

/// A container id as the engine returns it (64 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerId(pub String);

impl ContainerId {
    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ContainerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One mount of an agent container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountSpec {
    /// A host path (as the *engine* sees it: on Docker Desktop or in a supervisor container
    /// this is not the caller's path — see `self_mounts`). The source must exist.
    Bind {
        /// Absolute path on the engine's host.
        host_path: PathBuf,
        /// Absolute path inside the agent container.
        target: PathBuf,
        /// Mount read-only.
        read_only: bool,
    },
    /// A named volume, mounted whole: volume sub-paths need API 1.45 and are not supported.
    Volume {
        /// The volume's name.
        name: String,
        /// Absolute path inside the agent container.
        target: PathBuf,
        /// Mount read-only.
        read_only: bool,
    },
}

impl MountSpec {
    /// The path inside the container.
    pub fn target(&self) -> &Path {
        match self {
            Self::Bind { target, .. } | Self::Volume { target, .. } => target,
        }
    }
}

/// A tmpfs mount (e.g. `/tmp` of a read-only root filesystem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmpfsSpec {
    /// Absolute path inside the container.
    pub target: PathBuf,
    /// Mount options, e.g. `rw,nosuid,nodev,mode=1777,size=268435456`.
    pub options: String,
}

impl TmpfsSpec {
    /// A world-writable, sticky `/tmp` (`rw,nosuid,nodev,mode=1777`) of at most `size_bytes`.
    pub fn tmp(size_bytes: Option<u64>) -> Self {
        let mut options = "rw,nosuid,nodev,mode=1777".to_string();
        if let Some(size) = size_bytes {
            options.push_str(&format!(",size={size}"));
        }
        Self {
            target: PathBuf::from("/tmp"),
            options,
        }
    }
}

/// Resource limits of one agent container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// CPU limit in billionths of a CPU (`1_500_000_000` = 1.5 CPUs).
    pub nano_cpus: Option<i64>,
    /// Memory limit in bytes.
    pub memory_bytes: Option<i64>,
    /// Memory + swap limit in bytes; `None` means equal to `memory_bytes` (no swap).
    pub memory_swap_bytes: Option<i64>,
    /// Maximum number of processes/threads.
    pub pids_limit: Option<i64>,
}

/// Everything needed to create one agent container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentContainerSpec {
    /// Container name, from [`container_name`].
    pub name: String,
    /// Image reference; must already be present (see `DockerClient::image_exists`).
    pub image: String,
    /// The command (argv), run without a shell unless `argv[0]` is one. Empty: the image's.
    pub cmd: Vec<String>,
    /// Entrypoint override; `None` keeps the image's, `Some(vec![])` clears it.
    pub entrypoint: Option<Vec<String>>,
    /// Environment variables. They are stored in the container's config and visible to
    /// anyone with access to the engine.
    pub env: Vec<(String, String)>,
    /// Absolute working directory; `None` keeps the image's.
    pub working_dir: Option<PathBuf>,
    /// `uid:gid` (numeric recommended: the image needs no passwd entry); `None` keeps the image's.
    pub user: Option<String>,
    /// Bind and volume mounts.
    pub mounts: Vec<MountSpec>,
    /// tmpfs mounts.
    pub tmpfs: Vec<TmpfsSpec>,
    /// Labels: the wave labels of the agent.
    pub labels: AgentLabels,
    /// More labels (e.g. `wave.test=1`); they must not override a wave label.
    pub extra_labels: Vec<(String, String)>,
    /// Resource limits.
    pub limits: Limits,
    /// Mount the root filesystem read-only (add a `/tmp` tmpfs with [`TmpfsSpec::tmp`]).
    pub read_only_rootfs: bool,
    /// Network mode (`none`, `bridge`, `host`, `container:<id>`, a network name).
    pub network_mode: String,
}

impl AgentContainerSpec {
    /// A spec with the fixed defaults: no mounts, no limits, network `none`, writable root.
    pub fn new(name: impl Into<String>, image: impl Into<String>, labels: AgentLabels) -> Self {
        Self {
            name: name.into(),
            image: image.into(),
            cmd: Vec::new(),
            entrypoint: None,
            env: Vec::new(),
            working_dir: None,
            user: None,
            mounts: Vec::new(),
            tmpfs: Vec::new(),
            labels,
            extra_labels: Vec::new(),
            limits: Limits::default(),
            read_only_rootfs: false,
            network_mode: DEFAULT_NETWORK_MODE.to_string(),
        }
    }

    /// Checks the spec; the error names the field and what was expected.
    pub fn validate(&self) -> Result<(), DockerError> {
        let bad = |field: String, reason: &str| DockerError::InvalidSpec {
            field,
            reason: reason.to_string(),
        };
        if !valid_container_name(&self.name) {
            return Err(bad(
                "name".into(),
                "expected [a-zA-Z0-9][a-zA-Z0-9_.-]* (use container_name())",
            ));
        }
        if self.image.trim().is_empty() {
            return Err(bad("image".into(), "expected an image reference"));
        }
        for (i, (k, _)) in self.env.iter().enumerate() {
            if k.is_empty() || k.contains(['=', '\0']) {
                return Err(bad(
                    format!("env[{i}]"),
                    "expected a name without '=' or NUL",
                ));
            }
        }
        if let Some(dir) = &self.working_dir {
            if !dir.is_absolute() {
                return Err(bad("working_dir".into(), "expected an absolute path"));
            }
        }
        if let Some(user) = &self.user {
            if user.trim().is_empty() || user.contains(char::is_whitespace) {
                return Err(bad("user".into(), "expected uid:gid"));
            }
        }
        for (i, m) in self.mounts.iter().enumerate() {
            let target = m.target();
            if !target.is_absolute() {
                return Err(bad(
                    format!("mounts[{i}].target"),
                    "expected an absolute path",
                ));
            }
            if exposes_docker_socket(target) {
                return Err(bad(
                    format!("mounts[{i}].target"),
                    "an agent container never gets the Docker socket",
                ));
            }
            match m {
                MountSpec::Bind { host_path, .. } => {
                    if !host_path.is_absolute() {
                        return Err(bad(
                            format!("mounts[{i}].host_path"),
                            "expected an absolute path",
                        ));
                    }
                    if exposes_docker_socket(host_path) {
                        return Err(bad(
                            format!("mounts[{i}].host_path"),
                            "an agent container never gets the Docker socket",
                        ));
                    }
                }
                MountSpec::Volume { name, .. } => {
                    if name.is_empty() || name.contains('/') {
                        return Err(bad(format!("mounts[{i}].name"), "expected a volume name"));
                    }
                }
            }
        }
        for (i, t) in self.tmpfs.iter().enumerate() {
            if !t.target.is_absolute() {
                return Err(bad(
                    format!("tmpfs[{i}].target"),
                    "expected an absolute path",
                ));
            }
        }
        for (k, _) in &self.extra_labels {
            if k.starts_with(crate::labels::LABEL_PREFIX) && self.labels.contains_key(k) {
                return Err(bad(
                    format!("extra_labels.{k}"),
                    "must not override a wave label",
                ));
            }
        }
        if self.network_mode.trim().is_empty() {
            return Err(bad(
                "network_mode".into(),
                "expected none, bridge, or a network",
            ));
        }
        Ok(())
    }

    /// The engine's create request for this spec (call [`Self::validate`] first).
    pub fn to_create_body(&self) -> ContainerCreateBody {
        let mut labels: HashMap<String, String> = self.labels.to_pairs().into_iter().collect();
        for (k, v) in &self.extra_labels {
            labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let mounts = self
            .mounts
            .iter()
            .map(|m| match m {
                MountSpec::Bind {
                    host_path,
                    target,
                    read_only,
                } => Mount {
                    typ: Some(MountTypeEnum::BIND),
                    source: Some(host_path.to_string_lossy().into_owned()),
                    target: Some(target.to_string_lossy().into_owned()),
                    read_only: Some(*read_only),
                    ..Default::default()
                },
                MountSpec::Volume {
                    name,
                    target,
                    read_only,
                } => Mount {
                    typ: Some(MountTypeEnum::VOLUME),
                    source: Some(name.clone()),
                    target: Some(target.to_string_lossy().into_owned()),
                    read_only: Some(*read_only),
                    ..Default::default()
                },
            })
            .collect::<Vec<_>>();
        let tmpfs = self
            .tmpfs
            .iter()
            .map(|t| (t.target.to_string_lossy().into_owned(), t.options.clone()))
            .collect::<HashMap<_, _>>();
        let l = self.limits;
        let host_config = HostConfig {
            nano_cpus: l.nano_cpus,
            memory: l.memory_bytes,
            memory_swap: l.memory_swap_bytes.or(l.memory_bytes),
            pids_limit: l.pids_limit,
            cap_drop: Some(vec!["ALL".to_string()]),
            security_opt: Some(vec!["no-new-privileges".to_string()]),
            readonly_rootfs: Some(self.read_only_rootfs),
            init: Some(false),
            auto_remove: Some(false),
            privileged: Some(false),
            network_mode: Some(self.network_mode.clone()),
            mounts: (!mounts.is_empty()).then_some(mounts),
            tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
            ..Default::default()
        };
        ContainerCreateBody {
            image: Some(self.image.clone()),
            cmd: (!self.cmd.is_empty()).then(|| self.cmd.clone()),
            entrypoint: self.entrypoint.clone(),
            env: Some(self.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            working_dir: self
                .working_dir
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
            user: self.user.clone(),
            labels: Some(labels),
            attach_stdin: Some(false),
            attach_stdout: Some(false),
            attach_stderr: Some(false),
            open_stdin: Some(false),
            tty: Some(false),
            host_config: Some(host_config),
            ..Default::default()
        }
    }
}

/// True when `path` is a Docker socket path, a file named `docker.sock`, or a directory that
/// contains one of [`DOCKER_SOCKET_PATHS`] (lexically, after removing `.` and `..`).
pub fn exposes_docker_socket(path: &Path) -> bool {
    let norm = normalize(path);
    if norm.file_name().is_some_and(|n| n == "docker.sock") {
        return true;
    }
    DOCKER_SOCKET_PATHS
        .iter()
        .any(|sock| Path::new(sock).starts_with(&norm))
}

/// `path` with `.` removed and `..` applied lexically (never above the root).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    if path.is_absolute() && out.as_os_str().is_empty() {
        out.push("/");
    }
    out
}

/// True for a valid Docker container name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most 253 bytes.
pub fn valid_container_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && name.len() <= 253
}

/// Longest name [`container_name`] produces.
pub const MAX_NAME_LEN: usize = 128;

/// The deterministic name of an agent container:
/// `wave-<lane>-<run>-w<wave>-a<attempt>-<agent>`, where `run` is the run id (or a hash that
/// identifies the launch when there is no run). Characters Docker refuses become `-`; a name
/// longer than [`MAX_NAME_LEN`] is cut and ends with a hash of the full name, so two different
/// inputs still give different names.
pub fn container_name(lane: &str, run: &str, wave: u32, attempt: u32, agent: &str) -> String {
    let raw = format!("wave-{lane}-{run}-w{wave}-a{attempt}-{agent}");
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.len() > MAX_NAME_LEN || name != raw {
        // Sanitising can make two inputs equal (`a/b` and `a-b`): a hash of the raw input
        // keeps them apart.
        let hash = format!("{:016x}", fnv1a(raw.as_bytes()));
        name.truncate(MAX_NAME_LEN - hash.len() - 1);
        name.push('-');
        name.push_str(&hash);
    }
    name
}

/// FNV-1a, 64 bit: a stable hash with no dependency (not for security).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> AgentLabels {
        AgentLabels {
            run_id: "run-1".into(),
            agent_id: "A1".into(),
            attempt: 2,
            wave: 3,
            lane: "main".into(),
            project: "default".into(),
            owner: "host:10:20".into(),
        }
    }

    fn spec() -> AgentContainerSpec {
        AgentContainerSpec::new(
            container_name("main", "run-1", 3, 2, "A1"),
            "img:dev",
            labels(),
        )
    }

    #[test]
    fn names_are_deterministic_and_valid() {
        assert_eq!(
            container_name("main", "r1", 3, 1, "A1"),
            "wave-main-r1-w3-a1-A1"
        );
        let odd = container_name("lane/x", "r 1", 0, 1, "Ä");
        assert!(valid_container_name(&odd), "{odd}");
        assert_ne!(odd, container_name("lane-x", "r-1", 0, 1, "-"));
        let long = container_name(&"l".repeat(300), "r", 1, 1, "a");
        assert_eq!(long.len(), MAX_NAME_LEN);
        assert!(valid_container_name(&long));
        assert_ne!(long, container_name(&"l".repeat(301), "r", 1, 1, "a"));
    }

    #[test]
    fn docker_socket_mounts_are_refused() {
        for p in [
            "/var/run/docker.sock",
            "/run/docker.sock",
            "/var/run",
            "/run/",
            "/var",
            "/",
            "/home/u/.docker/run/docker.sock",
            "/var/run/../run/docker.sock",
        ] {
            assert!(exposes_docker_socket(Path::new(p)), "{p}");
            let mut s = spec();
            s.mounts.push(MountSpec::Bind {
                host_path: p.into(),
                target: "/x".into(),
                read_only: true,
            });
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains("mounts[0].host_path"), "{err}");
            let mut s = spec();
            s.mounts.push(MountSpec::Volume {
                name: "v".into(),
                target: p.into(),
                read_only: false,
            });
            assert!(s.validate().is_err(), "{p}");
        }
        for p in ["/workspace", "/var/lib/x", "/runner", "/tmp/docker.socket"] {
            assert!(!exposes_docker_socket(Path::new(p)), "{p}");
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let mut s = spec();
        s.env.push(("A=B".into(), "x".into()));
        assert!(s.validate().unwrap_err().to_string().contains("env[0]"));
        let mut s = spec();
        s.working_dir = Some("rel".into());
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("working_dir"));
        let mut s = spec();
        s.name = "-bad".into();
        assert!(s.validate().unwrap_err().to_string().contains("name"));
        let mut s = spec();
        s.extra_labels.push(("wave.run-id".into(), "other".into()));
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("wave.run-id"));
        let mut s = spec();
        s.mounts.push(MountSpec::Bind {
            host_path: "rel".into(),
            target: "/w".into(),
            read_only: false,
        });
        assert!(s.validate().is_err());
        spec().validate().unwrap();
    }

    #[test]
    fn create_body_carries_the_fixed_security_settings() {
        let mut s = spec();
        s.limits = Limits {
            nano_cpus: Some(500_000_000),
            memory_bytes: Some(64 << 20),
            memory_swap_bytes: None,
            pids_limit: Some(64),
        };
        s.user = Some("1000:1000".into());
        s.tmpfs.push(TmpfsSpec::tmp(Some(1 << 20)));
        s.read_only_rootfs = true;
        s.extra_labels.push(("wave.test".into(), "1".into()));
        s.mounts.push(MountSpec::Volume {
            name: "state".into(),
            target: "/workspace/.tmp".into(),
            read_only: false,
        });
        let body = s.to_create_body();
        let hc = body.host_config.unwrap();
        assert_eq!(hc.cap_drop, Some(vec!["ALL".to_string()]));
        assert_eq!(hc.security_opt, Some(vec!["no-new-privileges".to_string()]));
        assert_eq!(hc.memory_swap, Some(64 << 20));
        assert_eq!(hc.pids_limit, Some(64));
        assert_eq!(hc.init, Some(false));
        assert_eq!(hc.auto_remove, Some(false));
        assert_eq!(hc.network_mode.as_deref(), Some("none"));
        assert_eq!(hc.readonly_rootfs, Some(true));
        assert_eq!(
            hc.tmpfs.unwrap()["/tmp"],
            "rw,nosuid,nodev,mode=1777,size=1048576"
        );
        let m = &hc.mounts.unwrap()[0];
        assert_eq!(m.typ, Some(MountTypeEnum::VOLUME));
        assert_eq!(m.source.as_deref(), Some("state"));
        let labels = body.labels.unwrap();
        assert_eq!(labels["wave.agent-id"], "A1");
        assert_eq!(labels["wave.attempt"], "2");
        assert_eq!(labels["wave.test"], "1");
        assert_eq!(body.user.as_deref(), Some("1000:1000"));
    }
}
