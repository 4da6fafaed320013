//! Agent container lifecycle on [`DockerClient`]: create, start, wait, inspect, stop, kill,
//! remove, list by labels, log streaming, self-inspection and orphan reaping.
//!
//! Idempotence where a retry or a race makes it natural: starting a running container, stopping
//! or killing a stopped one, and removing a missing one all succeed.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use bollard::models::{ContainerStateStatusEnum, MountPointTypeEnum};
use bollard::query_parameters::{
    CreateContainerOptions, InspectContainerOptions, KillContainerOptions, ListContainersOptions,
    LogsOptions, RemoveContainerOptions, StartContainerOptions, StopContainerOptions,
    WaitContainerOptions,
};
use futures_util::StreamExt;

use crate::client::DockerClient;
use crate::error::{map_bollard, one_line, DockerError};
use crate::labels::{
    Owner, LABEL_AGENT_ID, LABEL_ATTEMPT, LABEL_LANE, LABEL_OWNER, LABEL_PROJECT, LABEL_RUN_ID,
};
use crate::reap::{should_reap, ContainerSummary};
use crate::selfmount::{container_id_candidates, MountSource, SelfMount, SelfMounts};
use crate::spec::{AgentContainerSpec, ContainerId};

/// How a container ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerExit {
    /// The main process's exit code (128 + N when it died of signal N).
    pub code: i64,
    /// The kernel's OOM killer killed a process of the container.
    pub oom_killed: bool,
}

/// Whether the process named in a `wave.owner` label still runs, as far as can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerLiveness {
    /// It runs (same host, same pid, same start time).
    Alive,
    /// It is gone: same host and its pid is dead or reused, or its host was a container that
    /// no longer runs.
    Dead,
    /// It cannot be told from here (another host, or a container that still runs).
    Unknown,
}

/// Where a container stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// Created, never started.
    Created,
    /// Running (also paused or restarting).
    Running,
    /// Ended (also `dead` or being removed).
    Exited(ContainerExit),
    /// No such container.
    Missing,
}

impl DockerClient {
    /// Creates (does not start) the agent container of `spec`. Errors:
    /// [`DockerError::InvalidSpec`] (checked before any call), [`DockerError::ImageMissing`],
    /// [`DockerError::Api`] with status 409 when the name is taken.
    pub fn create_agent(&self, spec: &AgentContainerSpec) -> Result<ContainerId, DockerError> {
        spec.validate()?;
        let options = CreateContainerOptions {
            name: Some(spec.name.clone()),
            ..Default::default()
        };
        let body = spec.to_create_body();
        match self.call_raw(
            "create",
            &spec.name,
            self.call_timeout,
            self.docker.create_container(Some(options), body),
        )? {
            Ok(resp) => Ok(ContainerId(resp.id)),
            // 404 is also the answer for a missing network: only "No such image" is the image.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                message,
            }) => Err(if message.to_ascii_lowercase().contains("no such image") {
                DockerError::ImageMissing(spec.image.clone())
            } else {
                DockerError::Api {
                    op: "create".into(),
                    status: 404,
                    message: one_line(&message),
                }
            }),
            Err(e) => Err(map_bollard(e, "create", &spec.name, &self.endpoint)),
        }
    }

    /// [`Self::create_agent`] then [`Self::start`]; when the start fails the container is
    /// removed again (best effort) before the start's error is returned, so a failed start
    /// leaves nothing behind.
    pub fn create_and_start(&self, spec: &AgentContainerSpec) -> Result<ContainerId, DockerError> {
        let id = self.create_agent(spec)?;
        if let Err(e) = self.start(id.as_str()) {
            let _ = self.remove(id.as_str());
            return Err(e);
        }
        Ok(id)
    }

    /// Starts a created container (a running one is left alone).
    pub fn start(&self, id: &str) -> Result<(), DockerError> {
        let r = self.call(
            "start",
            id,
            self.call_timeout,
            self.docker
                .start_container(id, None::<StartContainerOptions>),
        );
        ok_if_status(r, &[304])
    }

    /// Waits until the container is not running, at most `deadline`, then reads its exit code
    /// and OOM flag. A container that was created but never started is an error
    /// ([`DockerError::NotStarted`]), never an exit code: start it (or adopt it) first.
    pub fn wait(&self, id: &str, deadline: Duration) -> Result<ContainerExit, DockerError> {
        let docker = &self.docker;
        let code = self.call("wait", id, deadline, async move {
            let options = WaitContainerOptions {
                condition: "not-running".into(),
            };
            let mut stream = docker.wait_container(id, Some(options));
            match stream.next().await {
                Some(Ok(r)) => Ok(Some(r.status_code)),
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
                    Ok(Some(code))
                }
                Some(Err(e)) => Err(e),
                None => Ok(None),
            }
        })?;
        match self.inspect_state(id)? {
            ContainerState::Exited(exit) => Ok(exit),
            ContainerState::Missing => Err(DockerError::NotFound {
                op: "wait".into(),
                id: id.to_string(),
            }),
            ContainerState::Created => Err(DockerError::NotStarted { id: id.to_string() }),
            // Restarted in between (not by us: agent containers have no restart policy).
            _ => Ok(ContainerExit {
                code: code.unwrap_or(-1),
                oom_killed: false,
            }),
        }
    }

    /// The container's state; [`ContainerState::Missing`] when it does not exist.
    pub fn inspect_state(&self, id: &str) -> Result<ContainerState, DockerError> {
        let info = match self.call(
            "inspect",
            id,
            self.call_timeout,
            self.docker
                .inspect_container(id, None::<InspectContainerOptions>),
        ) {
            Ok(info) => info,
            Err(e) if e.is_not_found() => return Ok(ContainerState::Missing),
            Err(e) => return Err(e),
        };
        let state = info.state.unwrap_or_default();
        let exit = ContainerExit {
            code: state.exit_code.unwrap_or(-1),
            oom_killed: state.oom_killed.unwrap_or(false),
        };
        Ok(match state.status {
            Some(ContainerStateStatusEnum::CREATED) => ContainerState::Created,
            Some(
                ContainerStateStatusEnum::RUNNING
                | ContainerStateStatusEnum::PAUSED
                | ContainerStateStatusEnum::RESTARTING,
            ) => ContainerState::Running,
            _ if state.running == Some(true) => ContainerState::Running,
            _ => ContainerState::Exited(exit),
        })
    }

    /// The engine's full inspect document (for checks and diagnostics).
    pub fn inspect_raw(&self, id: &str) -> Result<serde_json::Value, DockerError> {
        let info = self.call(
            "inspect",
            id,
            self.call_timeout,
            self.docker
                .inspect_container(id, None::<InspectContainerOptions>),
        )?;
        serde_json::to_value(info).map_err(|e| DockerError::Api {
            op: "inspect".into(),
            status: 0,
            message: e.to_string(),
        })
    }

    /// Stops the container: its stop signal (SIGTERM), then SIGKILL after `grace` (rounded up to
    /// whole seconds, as the engine counts). The deadline is `grace` plus the call deadline.
    /// A stopped container is left alone.
    pub fn stop(&self, id: &str, grace: Duration) -> Result<(), DockerError> {
        let secs = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
        let options = StopContainerOptions {
            t: Some(i32::try_from(secs).unwrap_or(i32::MAX)),
            signal: None,
        };
        let r = self.call(
            "stop",
            id,
            grace + self.call_timeout,
            self.docker.stop_container(id, Some(options)),
        );
        ok_if_status(r, &[304])
    }

    /// Sends `signal` (`SIGTERM`, `KILL`, `9`, …) to the container's main process; a container
    /// that is not running is left alone.
    pub fn kill(&self, id: &str, signal: &str) -> Result<(), DockerError> {
        let options = KillContainerOptions {
            signal: signal.to_string(),
        };
        let r = self.call(
            "kill",
            id,
            self.call_timeout,
            self.docker.kill_container(id, Some(options)),
        );
        ok_if_status(r, &[409])
    }

    /// Removes the container (killing it if it runs) with its anonymous volumes; a missing
    /// container (or one already being removed) counts as removed.
    pub fn remove(&self, id: &str) -> Result<(), DockerError> {
        let options = RemoveContainerOptions {
            force: true,
            v: true,
            link: false,
        };
        match self.call(
            "remove",
            id,
            self.call_timeout,
            self.docker.remove_container(id, Some(options)),
        ) {
            Err(e) if e.is_not_found() => Ok(()),
            r => ok_if_status(r, &[409]),
        }
    }

    /// Every container (running or not) carrying all the `(key, value)` labels; an empty value
    /// matches any value of the key.
    pub fn list_by_labels(
        &self,
        labels: &[(&str, &str)],
    ) -> Result<Vec<ContainerSummary>, DockerError> {
        let filter = labels
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    (*k).to_string()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>();
        let options = ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([("label".to_string(), filter)])),
            ..Default::default()
        };
        let list = self.call(
            "list",
            "",
            self.call_timeout,
            self.docker.list_containers(Some(options)),
        )?;
        Ok(list
            .into_iter()
            .map(|c| ContainerSummary {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            })
            .collect())
    }

    /// The container of one agent attempt of a run (by labels `wave.run-id`, `wave.agent-id`,
    /// `wave.attempt`), for a resumed launcher that adopts instead of starting again. With
    /// several matches (which [`container_name`](crate::container_name) makes impossible for
    /// containers this crate created), the first the engine lists.
    pub fn find_agent(
        &self,
        run_id: &str,
        agent_id: &str,
        attempt: u32,
    ) -> Result<Option<ContainerSummary>, DockerError> {
        let attempt = attempt.to_string();
        Ok(self
            .list_by_labels(&[
                (LABEL_RUN_ID, run_id),
                (LABEL_AGENT_ID, agent_id),
                (LABEL_ATTEMPT, attempt.as_str()),
            ])?
            .into_iter()
            .next())
    }

    /// Copies the container's stdout and stderr (interleaved as the engine has them) to `out`
    /// from the start, following until the container exits or `deadline` passes; returns the
    /// bytes written. Agents write their log file themselves; this is for diagnostics and
    /// images whose command only prints.
    pub fn logs_follow(
        &self,
        id: &str,
        out: &mut dyn Write,
        deadline: Duration,
    ) -> Result<u64, DockerError> {
        let docker = &self.docker;
        let mut written = 0_u64;
        let write_failed = |e: std::io::Error| bollard::errors::Error::IOError { err: e };
        let written_ref = &mut written;
        self.call("logs", id, deadline, async move {
            let options = LogsOptions {
                follow: true,
                stdout: true,
                stderr: true,
                ..Default::default()
            };
            let mut stream = docker.logs(id, Some(options));
            while let Some(item) = stream.next().await {
                let bytes = item?.into_bytes();
                out.write_all(&bytes).map_err(write_failed)?;
                out.flush().map_err(write_failed)?;
                *written_ref += bytes.len() as u64;
            }
            Ok(())
        })?;
        Ok(written)
    }

    /// The mounts of the container this process runs in, or `None` when it does not run in a
    /// container this engine knows (on the host, or under another engine). See
    /// [`crate::selfmount`] for how the container is recognised and how to translate paths.
    pub fn self_mounts(&self) -> Result<Option<SelfMounts>, DockerError> {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let candidates = container_id_candidates(
            &read("/proc/self/cgroup"),
            &read("/proc/self/mountinfo"),
            &read("/proc/sys/kernel/hostname"),
        );
        for candidate in candidates {
            let info = match self.call(
                "inspect",
                &candidate,
                self.call_timeout,
                self.docker
                    .inspect_container(&candidate, None::<InspectContainerOptions>),
            ) {
                Ok(info) => info,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            let mounts = info
                .mounts
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| {
                    let source = match m.typ? {
                        MountPointTypeEnum::BIND => MountSource::HostPath(m.source?.into()),
                        MountPointTypeEnum::VOLUME => MountSource::Volume(m.name?),
                        _ => return None,
                    };
                    Some(SelfMount {
                        source,
                        destination: m.destination?.into(),
                        read_write: m.rw.unwrap_or(false),
                    })
                })
                .collect();
            return Ok(Some(SelfMounts {
                container_id: info.id.unwrap_or(candidate),
                mounts,
            }));
        }
        Ok(None)
    }

    /// Whether the owner `<host>:<pid>:<starttime>` still runs. On this host: by pid and start
    /// time. Elsewhere, when the host is a container's default hostname (its 12-digit short id):
    /// [`OwnerLiveness::Dead`] when that container is gone, exited, or never started (a
    /// supervisor container that was recreated or removed), [`OwnerLiveness::Unknown`] while it
    /// runs. Otherwise unknown. A reaper treats only `Dead` as gone.
    pub fn owner_liveness(&self, owner: &str) -> Result<OwnerLiveness, DockerError> {
        let Some(owner) = Owner::parse(owner) else {
            return Ok(OwnerLiveness::Unknown);
        };
        match owner.is_alive_here() {
            Some(true) => return Ok(OwnerLiveness::Alive),
            Some(false) => return Ok(OwnerLiveness::Dead),
            None => {}
        }
        if !(owner.host.len() == 12 && owner.host.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Ok(OwnerLiveness::Unknown);
        }
        Ok(match self.inspect_state(&owner.host)? {
            ContainerState::Running => OwnerLiveness::Unknown,
            ContainerState::Missing | ContainerState::Exited(_) | ContainerState::Created => {
                OwnerLiveness::Dead
            }
        })
    }

    /// Removes the wave containers of `lane` and `project` whose owner is gone (`owner_alive`
    /// of their `wave.owner` is false) **and** whose run is not active (`is_active_run` of
    /// their `wave.run-id` is false); running ones are killed first. Selection is by labels
    /// only, never by name. Returns what was removed.
    pub fn reap_orphans(
        &self,
        lane: &str,
        project: &str,
        is_active_run: impl Fn(&str) -> bool,
        owner_alive: impl Fn(&str) -> bool,
    ) -> Result<Vec<ContainerSummary>, DockerError> {
        let candidates = self.list_by_labels(&[
            (LABEL_LANE, lane),
            (LABEL_PROJECT, project),
            (LABEL_RUN_ID, ""),
            (LABEL_OWNER, ""),
        ])?;
        let mut removed = Vec::new();
        for c in candidates {
            if should_reap(&c, &is_active_run, &owner_alive) {
                self.remove(&c.id)?;
                removed.push(c);
            }
        }
        Ok(removed)
    }
}

/// `r`, with an engine answer of one of `statuses` counted as success.
fn ok_if_status(r: Result<(), DockerError>, statuses: &[u16]) -> Result<(), DockerError> {
    match r {
        Err(DockerError::Api { status, .. }) if statuses.contains(&status) => Ok(()),
        other => other,
    }
}
