//! Sibling-container agents through the Docker Engine API, behind a small synchronous API.
//!
//! All async code (bollard, tokio) stays inside [`DockerClient`], which owns a current-thread
//! runtime and puts a deadline on every call; callers are plain threads. The pieces:
//!
//! - [`client`]: connecting (`DOCKER_HOST` or `/var/run/docker.sock`), API version negotiation
//!   (at least 1.41, Docker 20.10), images (`image_exists`, `pull` only when asked);
//! - [`spec`]: [`AgentContainerSpec`] — name, image, argv, env, user, mounts, limits, labels —
//!   with the fixed security settings (`cap_drop: ALL`, `no-new-privileges`, no Docker socket);
//! - [`labels`]: the `wave.*` labels and the owner identity `<host>:<pid>:<starttime>`;
//! - [`containers`]: create, start, wait (exit code + OOM flag), inspect, stop, kill, remove,
//!   list by labels, log streaming, self-inspection, orphan reaping;
//! - [`selfmount`]: translating a path of the supervisor's own container into a mount for a
//!   sibling;
//! - [`reap`]: the rule deciding which leftover containers are removed.
//!
//! A typical agent run:
//!
//! ```no_run
//! use std::time::Duration;
//! use wave_docker::{container_name, AgentContainerSpec, AgentLabels, DockerClient, Owner};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let docker = DockerClient::connect()?;
//! let labels = AgentLabels {
//!     run_id: "run-1".into(), agent_id: "A1".into(), attempt: 1, wave: 3,
//!     lane: "main".into(), project: "default".into(), owner: Owner::current()?.to_string(),
//! };
//! let mut spec = AgentContainerSpec::new(
//!     container_name("main", "run-1", 3, 1, "A1"), "wave-agent:dev", labels);
//! spec.cmd = vec!["bash".into(), "-c".into(), "exit 3".into()];
//! spec.user = Some("65532:65532".into());
//! let id = docker.create_agent(&spec)?;
//! docker.start(id.as_str())?;
//! let exit = docker.wait(id.as_str(), Duration::from_secs(3600))?;
//! assert_eq!(exit.code, 3);
//! docker.remove(id.as_str())?;
//! # Ok(()) }
//! ```

pub mod client;
pub mod containers;
pub mod error;
pub mod labels;
pub mod reap;
pub mod selfmount;
pub mod spec;

pub use client::{ClientConfig, DockerClient, EngineVersion};
pub use containers::{ContainerExit, ContainerState, OwnerLiveness};
pub use error::{DockerError, MIN_API_VERSION};
pub use labels::{AgentLabels, Owner};
pub use reap::ContainerSummary;
pub use selfmount::{MountSource, SelfMount, SelfMounts, TranslatedPath};
pub use spec::{container_name, AgentContainerSpec, ContainerId, Limits, MountSpec, TmpfsSpec};
