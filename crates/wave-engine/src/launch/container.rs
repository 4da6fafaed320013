//! Sibling-container agents (`--agent-runtime container`): each agent runs in its own container
//! through the Docker API ([`wave_docker`]), instead of a detached runner process.
//!
//! The container runs the **same agent script** as process mode (`bash -c`, rate-limit loop,
//! exit-code side file), in the same working directory and with the same absolute paths: the
//! repository is mounted at its own path (translated through the supervisor's own mounts when
//! the launcher itself runs in a container), so prompts, logs and status paths are unchanged and
//! the script writes the agent's log on the shared mount itself. The launcher waits on the
//! engine (`wait`), then writes what a runner would: the final log line, the runtime record
//! and — last, durably — the status file with the container's exit code (an OOM kill is
//! recorded as such), and removes the container.
//!
//! Security: `cap_drop: ALL`, `no-new-privileges`, the launcher's own uid:gid, network and
//! limits from the settings; the Docker socket is never mounted. Labels (`wave.run-id`,
//! `wave.agent-id`, `wave.attempt`, `wave.lane`, `wave.project`, `wave.owner`) let a resumed
//! launcher **adopt** the containers of its run and let a launcher reap, at start, containers
//! whose owner is gone and whose run is not active (never by name).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use wave_docker::{
    AgentContainerSpec, AgentLabels, ContainerState, DockerClient, DockerError, Limits,
    MountSource, MountSpec, Owner, TmpfsSpec,
};
use wave_runtime::{RunnerPayload, RuntimeRecord, StatusRecord, TerminalDisposition};

use super::{now_iso, LaunchError};
use crate::prepare::PreparedAgent;

/// Our addition to the design's labels: which repository an agent container works on (a hash
/// of its root), so launchers of different repositories sharing one engine never reap or adopt
/// each other's containers.
pub const LABEL_REPO: &str = "wave.repo";

/// The `wave.repo` value of a repository.
pub fn repo_label(repo_root: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(repo_root.as_os_str().as_encoded_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The run label of agents launched outside a supervisor run: `unsupervised-<hash>` of the
/// repository root, so plain launches of different repositories on one engine never share a
/// container name or adopt each other's containers.
pub fn unsupervised_run_label(repo_root: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(repo_root.as_os_str().as_encoded_bytes());
    format!(
        "unsupervised-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5]
    )
}

/// How agent containers are made (`--agent-image`, `--agent-network`, `--agent-memory-mib`,
/// `--agent-cpus`, `--agent-pids-limit`, `--agent-read-only`, `--pull`).
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSettings {
    /// The image every agent runs in (must hold `bash`, the executor and, for `local` agents,
    /// `wave` at the launcher's path or mounted there).
    pub image: String,
    /// Network mode (`none`, `bridge`, a network name).
    pub network: String,
    /// Memory limit (swap limited to the same figure).
    pub memory_bytes: Option<i64>,
    /// CPU limit, in billionths of a CPU.
    pub nano_cpus: Option<i64>,
    /// Process limit.
    pub pids_limit: Option<i64>,
    /// Read-only root filesystem with a `/tmp` tmpfs.
    pub read_only_rootfs: bool,
    /// Pull a missing image instead of failing.
    pub pull: bool,
}

/// Where agents run.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum AgentRuntime {
    /// A detached `wave agent-runner` process per agent (the default).
    #[default]
    Process,
    /// A sibling container per agent.
    Container(ContainerSettings),
}

impl AgentRuntime {
    /// `process` or `container`, as runtime records say.
    pub fn name(&self) -> &'static str {
        match self {
            AgentRuntime::Process => "process",
            AgentRuntime::Container(_) => "container",
        }
    }
}

/// A connected container backend for one launcher.
pub struct ContainerBackend {
    client: Arc<DockerClient>,
    settings: ContainerSettings,
    mounts: Vec<MountSpec>,
    user: String,
    lane: String,
    project: String,
    /// Agents a drain asked to stop (their outcome is "interrupted", not a failure).
    stopping: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for ContainerBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerBackend")
            .field("image", &self.settings.image)
            .field("mounts", &self.mounts)
            .finish_non_exhaustive()
    }
}

/// The default grace between SIGTERM and SIGKILL for an agent container.
const STOP_GRACE: Duration = Duration::from_secs(1);

impl ContainerBackend {
    /// Connects to the engine and checks everything before any agent starts: the engine
    /// answers with API ≥ 1.41, the image is there (or `--pull` fetched it), the repository
    /// (and the `wave` binary, on a host) can be mounted at the same paths.
    pub fn connect(
        settings: &ContainerSettings,
        repo_root: &Path,
        wave_binary: &Path,
        lane: &str,
        project: &str,
    ) -> Result<Self, LaunchError> {
        let client = DockerClient::connect().map_err(docker)?;
        if !client.image_exists(&settings.image).map_err(docker)? {
            if settings.pull {
                client.pull(&settings.image).map_err(docker)?;
            } else {
                return Err(docker(DockerError::ImageMissing(settings.image.clone())));
            }
        }
        let mounts = match client.self_mounts().map_err(docker)? {
            Some(own) => {
                // In a container: give siblings the same sources the supervisor sees.
                let mut mounts: Vec<MountSpec> = own
                    .mounts
                    .iter()
                    .filter(|m| {
                        m.destination.starts_with(repo_root)
                            || repo_root.starts_with(&m.destination)
                    })
                    .map(|m| match &m.source {
                        MountSource::HostPath(host) => MountSpec::Bind {
                            host_path: host.clone(),
                            target: m.destination.clone(),
                            read_only: !m.read_write,
                        },
                        MountSource::Volume(name) => MountSpec::Volume {
                            name: name.clone(),
                            target: m.destination.clone(),
                            read_only: !m.read_write,
                        },
                    })
                    .collect();
                if own.translate(repo_root).is_none() {
                    return Err(LaunchError::Container(format!(
                        "--agent-runtime container: the repository {} is not on a mount of this container, so sibling agents cannot see it",
                        repo_root.display()
                    )));
                }
                mounts.sort_by_key(|m| m.target().components().count());
                mounts
            }
            None => vec![
                MountSpec::Bind {
                    host_path: repo_root.to_path_buf(),
                    target: repo_root.to_path_buf(),
                    read_only: false,
                },
                // `local` agents run `wave local-executor` at the launcher's own path.
                MountSpec::Bind {
                    host_path: wave_binary.to_path_buf(),
                    target: wave_binary.to_path_buf(),
                    read_only: true,
                },
            ],
        };
        Ok(ContainerBackend {
            client: Arc::new(client),
            settings: settings.clone(),
            mounts,
            user: format!("{}:{}", nix::unistd::getuid(), nix::unistd::getgid()),
            lane: lane.to_string(),
            project: project.to_string(),
            stopping: Arc::new(Mutex::new(HashSet::new())),
        })
    }

    fn run_label(payload: &RunnerPayload) -> String {
        payload.run_id.map_or_else(
            || unsupervised_run_label(&payload.repo_root),
            |r| r.to_string(),
        )
    }

    /// Removes containers of this lane whose owner is gone and whose run is not active
    /// (`active(run label)`), after their outcome is on disk; returns how many.
    pub fn reap(&self, repo_root: &Path, active: impl Fn(&str) -> bool) -> usize {
        let client = &self.client;
        let repo = repo_label(repo_root);
        let listed = client.list_by_labels(&[
            (wave_docker::labels::LABEL_LANE, self.lane.as_str()),
            (wave_docker::labels::LABEL_PROJECT, self.project.as_str()),
            (LABEL_REPO, repo.as_str()),
        ]);
        let candidates = match listed {
            Ok(c) => c,
            Err(err) => {
                tracing::warn!("listing agent containers to reap failed: {err}");
                return 0;
            }
        };
        let owner_alive = |owner: &str| {
            !matches!(
                client.owner_liveness(owner),
                Ok(wave_docker::OwnerLiveness::Dead)
            )
        };
        let mut removed = 0;
        for c in candidates {
            if wave_docker::reap::should_reap(&c, &active, &owner_alive)
                && client.remove(&c.id).is_ok()
            {
                tracing::info!(container = %c.name, "reaped an orphaned agent container");
                removed += 1;
            }
        }
        removed
    }

    /// Starts the agent's container (removing a stale one of the same attempt first) and
    /// watches it; sends the agent id on `done` when its outcome is recorded.
    pub fn start(
        &self,
        prepared: &PreparedAgent,
        payload: &RunnerPayload,
        script: String,
        extra_env: &[(String, String)],
        done: mpsc::Sender<String>,
    ) -> Result<(), LaunchError> {
        let run = Self::run_label(payload);
        let agent = payload.agent_id.to_string();
        match self.client.find_agent(&run, &agent, payload.attempt) {
            // The same agent attempt is still running (a relaunch that could not tell): wait
            // for it rather than start a second executor beside it.
            Ok(Some(live)) if live.state == "running" => {
                tracing::info!(agent = %agent, container = %live.name, "adopting a running agent container");
                let mut record = RuntimeRecord::launching(payload, &now_iso());
                record.session_backend = "container".into();
                record.session_name = Some(live.name.clone());
                record.terminal_disposition = TerminalDisposition::Running;
                wave_store::write_json_atomic_relaxed(&prepared.files.runtime, &record)?;
                self.watch(live.id, payload.clone(), record, done);
                return Ok(());
            }
            Ok(Some(stale)) => {
                let _ = self.client.remove(&stale.id);
            }
            Ok(None) => {}
            Err(err) => return Err(docker(err)),
        }
        let labels = AgentLabels {
            run_id: run.clone(),
            agent_id: agent.clone(),
            attempt: payload.attempt,
            wave: payload.wave_number.get(),
            lane: self.lane.clone(),
            project: self.project.clone(),
            owner: Owner::current().map(|o| o.to_string()).map_err(|e| {
                LaunchError::Container(format!("read this process's start time: {e}"))
            })?,
        };
        let name = wave_docker::container_name(
            &self.lane,
            &run,
            payload.wave_number.get(),
            payload.attempt,
            &agent,
        );
        let mut spec = AgentContainerSpec::new(name, self.settings.image.clone(), labels);
        spec.extra_labels = vec![(LABEL_REPO.to_string(), repo_label(&payload.repo_root))];
        spec.entrypoint = Some(Vec::new());
        spec.cmd = vec!["bash".into(), "-c".into(), script];
        spec.working_dir = Some(payload.repo_root.clone());
        spec.user = Some(self.user.clone());
        spec.mounts = self.mounts.clone();
        spec.network_mode = self.settings.network.clone();
        spec.read_only_rootfs = self.settings.read_only_rootfs;
        if spec.read_only_rootfs {
            spec.tmpfs = vec![TmpfsSpec::tmp(None)];
        }
        spec.limits = Limits {
            nano_cpus: self.settings.nano_cpus,
            memory_bytes: self.settings.memory_bytes,
            memory_swap_bytes: None,
            pids_limit: self.settings.pids_limit,
        };
        spec.env = container_env(payload, extra_env);
        let id = self.client.create_and_start(&spec).map_err(docker)?;
        let mut record = RuntimeRecord::launching(payload, &now_iso());
        record.session_backend = "container".into();
        record.session_name = Some(spec.name.clone());
        record.terminal_disposition = TerminalDisposition::Running;
        wave_store::write_json_atomic_relaxed(&prepared.files.runtime, &record)?;
        self.watch(id.as_str().to_string(), payload.clone(), record, done);
        Ok(())
    }

    /// A resumed launcher's adoption: the container of this agent's attempt, running or
    /// exited, is watched (its outcome recorded) instead of starting the agent again.
    pub fn adopt(&self, payload: &RunnerPayload, done: mpsc::Sender<String>) -> bool {
        let run = Self::run_label(payload);
        let agent = payload.agent_id.to_string();
        let found = match self.client.find_agent(&run, &agent, payload.attempt) {
            Ok(Some(found)) => found,
            Ok(None) => return false,
            Err(err) => {
                tracing::warn!(agent = %agent, "looking for the agent's container failed: {err}");
                return false;
            }
        };
        let record = wave_runtime::read_runtime_record(
            payload
                .runtime_path
                .as_deref()
                .unwrap_or(Path::new("/nonexistent")),
        )
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            let mut r = RuntimeRecord::launching(payload, &now_iso());
            r.session_backend = "container".into();
            r
        });
        self.watch(found.id, payload.clone(), record, done);
        true
    }

    /// Asks the agent's container to stop (a drain): SIGTERM, SIGKILL after a second. Its
    /// watcher records the outcome as interrupted.
    pub fn stop(&self, payload: &RunnerPayload) {
        let run = Self::run_label(payload);
        let agent = payload.agent_id.to_string();
        if let Ok(mut s) = self.stopping.lock() {
            s.insert(agent.clone());
        }
        if let Ok(Some(found)) = self.client.find_agent(&run, &agent, payload.attempt) {
            let _ = self.client.stop(&found.id, STOP_GRACE);
        }
    }

    fn watch(
        &self,
        id: String,
        payload: RunnerPayload,
        mut record: RuntimeRecord,
        done: mpsc::Sender<String>,
    ) {
        let client = self.client.clone();
        let stopping = self.stopping.clone();
        std::thread::spawn(move || {
            let timeout = Duration::from_millis(payload.timeout_ms.unwrap_or(u64::MAX / 4));
            let mut reason = None;
            let exit = match client.wait(&id, timeout) {
                Ok(exit) => Some(exit),
                Err(DockerError::Timeout { .. }) => {
                    reason = Some("timeout".to_string());
                    let _ = client.stop(&id, STOP_GRACE);
                    client.wait(&id, Duration::from_secs(30)).ok()
                }
                Err(_) => match client.inspect_state(&id) {
                    Ok(ContainerState::Exited(exit)) => Some(exit),
                    _ => None,
                },
            };
            let agent = payload.agent_id.to_string();
            let stopped = stopping.lock().is_ok_and(|s| s.contains(&agent));
            let code = exit.map_or(1, |e| i32::try_from(e.code).unwrap_or(1));
            let oom = exit.is_some_and(|e| e.oom_killed);
            let exit_reason = match (oom, stopped, reason) {
                (true, _, _) => "oom-killed".to_string(),
                (false, true, _) => "sigterm".to_string(),
                (false, false, Some(r)) => r,
                _ if code == 0 => "completed".to_string(),
                _ => "failed".to_string(),
            };
            record.terminal_disposition = if stopped || exit_reason == "timeout" {
                TerminalDisposition::Terminated
            } else if code == 0 {
                TerminalDisposition::Completed
            } else {
                TerminalDisposition::Failed
            };
            let _ = finish(&payload, &mut record, code, &exit_reason);
            let _ = client.remove(&id);
            let _ = done.send(agent);
        });
    }
}

/// The container's environment: the agent context and executor settings of the payload, the
/// exit-code side file, the run's passed-through credentials, and the `local` executor's test
/// knobs from the launcher's environment. Nothing else of the launcher's environment leaks in.
fn container_env(payload: &RunnerPayload, extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = payload
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    env.push((
        "WAVE_AGENT_EXIT_FILE".into(),
        wave_runtime::exit_file_for(&payload.status_path)
            .to_string_lossy()
            .into_owned(),
    ));
    env.push(("WAVE_EXECUTOR_MODE".into(), payload.executor_id.clone()));
    env.push((
        "WAVE_ORCHESTRATOR_ID".into(),
        payload.orchestrator_id.clone().unwrap_or_default(),
    ));
    env.extend(extra.iter().cloned());
    env.extend(std::env::vars().filter(|(k, _)| k.starts_with("WAVE_LOCAL_EXECUTOR_")));
    env
}

/// Writes what a runner writes at the end: the final log line, the record, then the status
/// file (last, durably).
fn finish(
    payload: &RunnerPayload,
    record: &mut RuntimeRecord,
    code: i32,
    reason: &str,
) -> Result<(), LaunchError> {
    let now = now_iso();
    record.exit_code = Some(code);
    record.exit_reason = Some(reason.to_string());
    record.completed_at = Some(now.clone());
    record.last_heartbeat_at = now.clone();
    if let Some(path) = &payload.runtime_path {
        wave_store::write_json_atomic_relaxed(path, record)?;
    }
    let line = format!(
        "[{}-wave-launcher] {} finished with code {code}{}\n",
        payload.lane,
        payload.display_name(),
        if reason == "oom-killed" {
            " (OOM-killed)"
        } else {
            ""
        }
    );
    if let Ok(mut log) = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&payload.log_path)
    {
        let _ = std::io::Write::write_all(&mut log, line.as_bytes());
    }
    let status = StatusRecord {
        code,
        prompt_hash: payload.prompt_hash.clone(),
        orchestrator_id: payload.orchestrator_id.clone(),
        attempt: payload.attempt,
        completed_at: now,
    };
    wave_store::write_json_atomic(&payload.status_path, &status)?;
    Ok(())
}

fn docker(err: DockerError) -> LaunchError {
    LaunchError::Container(err.to_string())
}

/// Checks, before anything is queued or started, that agent containers can run: the engine
/// answers with API ≥ 1.41, the image is there, the repository can be mounted. Returns a
/// one-line summary (`engine API 1.41; image I; mounts /repo, …`).
pub fn preflight(
    settings: &ContainerSettings,
    repo_root: &Path,
    wave_binary: &Path,
) -> Result<String, LaunchError> {
    let backend = ContainerBackend::connect(settings, repo_root, wave_binary, "main", "default")?;
    Ok(format!(
        "docker engine API {}; image {} present; agent mounts {}",
        backend.client.api_version(),
        settings.image,
        mount_targets(&backend)
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The paths the backend mounts (for `wave doctor` and docs).
pub fn mount_targets(backend: &ContainerBackend) -> Vec<PathBuf> {
    backend
        .mounts
        .iter()
        .map(|m| m.target().to_path_buf())
        .collect()
}
