//! Starting an agent's runner, adopting one that is already running (a resumed launcher), and
//! learning when it ends.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use wave_core::ids::{LaneId, WaveNumber};
use wave_core::launch_spec::agent_script;
use wave_runtime::{ExecCommand, RunnerPayload, RuntimeRecord};
use wave_store::StoreError;

use super::{now_iso, LaunchError, LaunchOptions};
use crate::prepare::PreparedAgent;

/// Writes the agent's files and payload, clears its previous status, and starts its runner.
#[allow(clippy::too_many_arguments)]
fn start_agent(
    repo_root: &Path,
    prepared: &PreparedAgent,
    budget_minutes: Option<u32>,
    attempt: u32,
    prompt_hash: &str,
    lane: &LaneId,
    options: &LaunchOptions,
    done: mpsc::Sender<String>,
) -> Result<(), LaunchError> {
    // The watcher thread exists before the runner does: a thread the kernel refuses (EAGAIN
    // under `pids.max`, which counts threads) is then a refused start, retried like one,
    // never a runner nobody watches.
    // (Container agents are watched through the engine instead.)
    let watcher = match options.container {
        Some(_) => None,
        None => Some(Watcher::start(prepared.agent_id.to_string(), done.clone())?),
    };
    for file in &prepared.writes {
        wave_store::write_bytes_atomic_relaxed(&file.path, &file.contents)?;
    }
    for stale in [&prepared.files.status, &prepared.files.runtime] {
        match std::fs::remove_file(stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::Io {
                    op: "remove",
                    path: stale.clone(),
                    source: e,
                }
                .into());
            }
            _ => {}
        }
    }
    let log = prepared.files.log.to_string_lossy().into_owned();
    let script = agent_script(
        &prepared.spec,
        &repo_root.to_string_lossy(),
        lane.as_str(),
        prepared.agent_id.as_str(),
        &log,
        options.rate_limit,
    );
    let budget = budget_minutes.map(|m| Duration::from_secs(u64::from(m) * 60));
    let timeout = budget.map_or(options.agent_timeout, |b| b.min(options.agent_timeout));
    let payload = RunnerPayload {
        schema_version: wave_runtime::payload::PAYLOAD_SCHEMA_VERSION,
        run_id: options.run_id,
        lane: lane.clone(),
        wave_number: WaveNumber::from(prepared.wave),
        attempt,
        agent_id: prepared.agent_id.clone(),
        session_name: None,
        executor_id: prepared.executor_id().as_str().to_string(),
        prompt_hash: Some(prompt_hash.to_string()),
        orchestrator_id: Some(options.orchestrator_id.clone()),
        repo_root: repo_root.to_path_buf(),
        command: ExecCommand::Shell(script),
        log_path: prepared.files.log.clone(),
        status_path: prepared.files.status.clone(),
        runtime_path: Some(prepared.files.runtime.clone()),
        env: {
            let mut env = options.agent_context.clone();
            env.insert(wave_core::env::WAVE_WAVE.into(), prepared.wave.to_string());
            env.insert(
                wave_core::env::WAVE_AGENT_ID.into(),
                prepared.agent_id.to_string(),
            );
            env.insert(wave_core::env::WAVE_ATTEMPT.into(), attempt.to_string());
            env
        },
        pass_env: options.secrets.0.keys().cloned().collect(),
        grace_ms: wave_runtime::payload::DEFAULT_GRACE_MS,
        timeout_ms: Some(timeout.as_millis() as u64),
        heartbeat_ms: wave_runtime::payload::DEFAULT_HEARTBEAT_MS,
        slots: options
            .slot_dir
            .clone()
            .map(|dir| wave_runtime::slots::SlotPool {
                dir,
                count: u32::try_from(options.max_concurrent_agents.max(1)).unwrap_or(u32::MAX),
            }),
    };
    let payload_path = prepared.overlay_dir.join("runner-payload.json");
    wave_runtime::write_payload(&payload_path, &payload)?;
    let secrets: Vec<(String, String)> = options
        .secrets
        .0
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(backend) = &options.container {
        let ExecCommand::Shell(script) = payload.command.clone() else {
            unreachable!("launcher payloads are shell scripts")
        };
        return backend.start(prepared, &payload, script, &secrets, done);
    }
    wave_store::write_json_atomic_relaxed(
        &prepared.files.runtime,
        &RuntimeRecord::launching(&payload, &now_iso()),
    )?;
    let runner =
        wave_runtime::spawn_detached_with_env(&payload_path, &options.wave_binary, &secrets)?;
    if let Some(watcher) = watcher {
        watcher.watch(payload, runner.start_time_ticks.map(|t| (runner.pid, t)));
    }
    Ok(())
}

/// How an agent of the current step got going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Started {
    /// A new runner was spawned.
    Spawned,
    /// A resumed launcher found the agent already running (or already finished) in this
    /// attempt and re-attached to it instead of starting it again.
    Adopted,
}

/// The agent files a resumed launcher may adopt: its runtime record says it belongs to this
/// supervisor run, wave and attempt, and it was started with the same prompt.
fn adoptable(
    prepared: &PreparedAgent,
    attempt: u32,
    prompt_hash: &str,
    options: &LaunchOptions,
) -> Option<RunnerPayload> {
    let record = wave_runtime::read_runtime_record(&prepared.files.runtime)
        .ok()
        .flatten()?;
    let payload =
        wave_runtime::read_payload(&prepared.overlay_dir.join("runner-payload.json")).ok()?;
    let live = record.runner_is_alive() || wave_runtime::executor_is_alive(&record);
    let same_agent = record.wave_number == Some(WaveNumber::from(prepared.wave))
        && payload.prompt_hash.as_deref() == Some(prompt_hash)
        && payload.runtime_path.as_deref() == Some(prepared.files.runtime.as_path());
    // An agent a drain stopped ran only part of its work: it runs again, once, on resume.
    if !same_agent || super::drain::was_stopped_by_signal(&record) {
        return None;
    }
    let Some(run_id) = options.run_id.filter(|_| options.resume) else {
        // A plain relaunch (a killed foreground launcher, `docker start` of a Job's container):
        // a runner still working on the same prompt outside any supervisor run is waited for,
        // never started a second time beside it.
        let plain = options.run_id.is_none() && record.run_id.is_none() && payload.run_id.is_none();
        return (plain && live).then_some(payload);
    };
    let same = record.run_id == Some(run_id)
        && record.attempt == attempt
        && payload.run_id == Some(run_id)
        && payload.attempt == attempt;
    if !same {
        return None;
    }
    let finished = wave_runtime::read_status_if_present(&prepared.files.status)
        .ok()
        .flatten()
        .is_some_and(|s| s.attempt == attempt && s.prompt_hash.as_deref() == Some(prompt_hash));
    let exit_file = wave_runtime::exit_file_for(&prepared.files.status).exists();
    (finished || live || exit_file).then_some(payload)
}

/// The payload of an agent whose container a relaunch may adopt: same wave, prompt and attempt
/// in this supervisor run (resumed launcher), or an unsupervised relaunch of the same agent,
/// and no outcome recorded yet.
fn container_adoptable(
    prepared: &PreparedAgent,
    attempt: u32,
    prompt_hash: &str,
    options: &LaunchOptions,
) -> Option<RunnerPayload> {
    let payload =
        wave_runtime::read_payload(&prepared.overlay_dir.join("runner-payload.json")).ok()?;
    let same = payload.wave_number == WaveNumber::from(prepared.wave)
        && payload.prompt_hash.as_deref() == Some(prompt_hash)
        && payload.run_id == options.run_id
        && (options.run_id.is_none() || (options.resume && payload.attempt == attempt));
    let finished = wave_runtime::read_status_if_present(&prepared.files.status)
        .ok()
        .flatten()
        .is_some_and(|s| s.attempt == payload.attempt);
    (same && !finished).then_some(payload)
}

/// Starts the agent — or, in a resumed launcher, re-attaches to the run of it that is already
/// going (or already finished) in this attempt — and sends its id on `done` when it ends.
#[allow(clippy::too_many_arguments)]
pub(super) fn start_or_adopt(
    repo_root: &Path,
    prepared: &PreparedAgent,
    budget_minutes: Option<u32>,
    attempt: u32,
    prompt_hash: &str,
    lane: &LaneId,
    options: &LaunchOptions,
    done: mpsc::Sender<String>,
) -> Result<Started, LaunchError> {
    if let Some(backend) = &options.container {
        // A container of this agent's attempt (running, or exited with its outcome not yet
        // recorded) is adopted by its labels.
        match container_adoptable(prepared, attempt, prompt_hash, options) {
            Some(payload) => {
                if backend.adopt(&payload, done.clone()) {
                    return Ok(Started::Adopted);
                }
                tracing::info!(agent = %prepared.agent_id, "no container of this attempt to adopt");
            }
            None => {
                tracing::info!(agent = %prepared.agent_id, "not adoptable: starting a container")
            }
        }
    }
    if let Some(payload) = adoptable(prepared, attempt, prompt_hash, options) {
        Watcher::start(prepared.agent_id.to_string(), done)?.watch(payload, None);
        return Ok(Started::Adopted);
    }
    // Whatever an older record still runs (a previous attempt, a crashed launcher) is stopped
    // before the agent starts again, so two executors never share the agent's files.
    if let Ok(Some(old)) = wave_runtime::read_runtime_record(&prepared.files.runtime) {
        if old.runner_is_alive() || wave_runtime::executor_is_alive(&old) {
            wave_runtime::terminate(
                &old,
                Duration::from_millis(wave_runtime::payload::DEFAULT_GRACE_MS),
            )?;
        }
    }
    start_agent(
        repo_root,
        prepared,
        budget_minutes,
        attempt,
        prompt_hash,
        lane,
        options,
        done,
    )?;
    Ok(Started::Spawned)
}

/// An agent's watcher: a small thread that waits for the agent to end (pidfd waits, see
/// [`wave_runtime::watch_agent`]) and then sends its id on `done`. It is started before the
/// runner and told what to watch afterwards; dropped untold (the start failed), it ends
/// without a word.
struct Watcher {
    what: mpsc::Sender<(RunnerPayload, Option<(i32, u64)>)>,
}

impl Watcher {
    /// Starts the thread; a refusal is reported like a refused process start, so spawn
    /// pressure handling ([`super::pressure`]) retries it.
    fn start(id: String, done: mpsc::Sender<String>) -> Result<Watcher, LaunchError> {
        let (what, told) = mpsc::channel::<(RunnerPayload, Option<(i32, u64)>)>();
        std::thread::Builder::new()
            .name(format!("watch-{id}"))
            .spawn(move || {
                let Ok((payload, runner)) = told.recv() else {
                    return;
                };
                let _ = wave_runtime::watch_agent(&payload, runner);
                let _ = done.send(id);
            })
            .map_err(|source| {
                LaunchError::Runner(wave_runtime::RunnerError::Spawn {
                    program: PathBuf::from("the launcher's watcher thread"),
                    attempts: 1,
                    source,
                })
            })?;
        Ok(Watcher { what })
    }

    /// Hands the thread the agent to watch.
    fn watch(self, payload: RunnerPayload, runner: Option<(i32, u64)>) {
        let _ = self.what.send((payload, runner));
    }
}
