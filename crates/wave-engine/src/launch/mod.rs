//! Live `wave launch`: runs the selected waves of a lane with detached agent runners.
//!
//! Owns the IO around the pure [`WaveDriver`]: it takes the lane lock (`launcher.lock`, a kernel
//! `flock`, so a crashed launcher never leaves a stale lock), writes the manifest, prepares every
//! agent of a wave up front (prompt, preview, overlays), and then executes the driver's steps —
//! starting runners (`wave agent-runner`, detached in their own session) with the launch stagger
//! and a concurrency bound, learning of each runner's end through a pidfd (one small waiter
//! thread per running agent, so the launcher reacts within milliseconds instead of polling),
//! turning the agent's log and report into a summary, and feeding it back to the driver.
//!
//! Crashes: runners outlive a killed launcher by design (they finish and write their status). A
//! relaunch reuses agents whose status file proves they completed with the current prompt; a
//! launcher resumed by the supervisor (`--resume-control-state` with `WAVE_SUPERVISOR_RUN_ID`)
//! continues the journal's attempt and re-attaches to that attempt's agents that are still
//! running or already finished ([`agents`]), so no executor runs twice in one attempt.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use wave_core::config::ExecutorId;
use wave_core::driver::{
    AgentObservation, DriverInput, PreviousRun, Step, WaveDriver, WaveOutcome, WaveStatus,
};
use wave_core::gates::ResolvedEvalTarget;
use wave_core::ids::{LaneId, RunId, WaveNumber};
use wave_core::launch_spec::RateLimitPolicy;
use wave_core::markers::{
    build_summary, AgentSummary, DeliverableState, ProofArtifactState, SummaryContext,
};
use wave_core::paths::{LanePaths, RunVariant};
use wave_core::records::control_plane::AgentRunFinish;
use wave_core::records::{LauncherPhase, LauncherProgress};
use wave_core::timefmt::iso8601_millis;
use wave_store::{FileLock, StoreError};

use crate::dry_run::{lane_paths, manifest_file, select_waves, DryRunError};
use crate::lane::{LoadedLane, PlannedWave, RepoFiles};
use crate::manifest::InventoryError;
use crate::prepare::{json_bytes, prepare_agent, PrepareError, PreparedAgent};

mod agents;
pub mod container;
pub mod drain;
mod pressure;
mod records;

use agents::{start_or_adopt, Started};
use records::{AgentStart, WaveLog};

/// How to run the lane.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// First wave (inclusive).
    pub start_wave: u32,
    /// Last wave (inclusive), default the lane's last.
    pub end_wave: Option<u32>,
    /// Per-agent limit (`--timeout-minutes`, or `--agent-timeout-seconds`); an agent's
    /// `budget.minutes` can lower it.
    pub agent_timeout: Duration,
    /// `--max-retries-per-wave`.
    pub max_retries_per_wave: u32,
    /// `--agent-rate-limit-*`.
    pub rate_limit: RateLimitPolicy,
    /// `--agent-launch-stagger-ms`: pause between launches of a fan-out.
    pub stagger: Duration,
    /// Most agents running at once.
    pub max_concurrent_agents: usize,
    /// Recorded in status files and exported to executors.
    pub orchestrator_id: String,
    /// `--manifest-out`.
    pub manifest_out: Option<PathBuf>,
    /// The `wave` binary (runs `agent-runner` and `local-executor`).
    pub wave_binary: PathBuf,
    /// The supervisor run this launcher serves (`WAVE_SUPERVISOR_RUN_ID`).
    pub run_id: Option<RunId>,
    /// `--state-file` (default `<state>/run-state.json`).
    pub state_file: Option<PathBuf>,
    /// `--auto-next`: start at the lowest wave not completed in the run state.
    pub auto_next: bool,
    /// `--resume-control-state` (a supervisor resuming a lost launcher): continue the
    /// journal's attempt and re-attach to this run's agents that are still running or already
    /// finished in it, instead of starting them again.
    pub resume: bool,
    /// Directory of the concurrency slots runners hold (`max_concurrent_agents` of them);
    /// `None` uses `<orchestratorStateDir>/slots`, shared by every launcher of the repository.
    pub slot_dir: Option<PathBuf>,
    /// The process's init duties: a stop request drains the running agents (see [`drain`]).
    pub init: Option<wave_runtime::init::Init>,
    /// `--drain-timeout`: how long a drain waits for stopped agents before killing them.
    pub drain_timeout: Duration,
    /// The agent context every agent's environment gets (`WAVE_RUN_ID`, `WAVE_PROJECT`,
    /// `WAVE_LANE`, `WAVE_REPO_ROOT`; the launcher fills it; per-agent names are added at
    /// start).
    pub agent_context: BTreeMap<String, String>,
    /// The run's passed-through credential values (supervised runs; read from the run's
    /// secret file, never written anywhere else).
    pub secrets: Secrets,
    /// Where agents run (`--agent-runtime`).
    pub agent_runtime: container::AgentRuntime,
    /// The connected container backend (set by [`run`] for `--agent-runtime container`).
    pub container: Option<std::sync::Arc<container::ContainerBackend>>,
}

/// Credential values for the runners' environment; `Debug` prints the names only.
#[derive(Clone, Default)]
pub struct Secrets(pub BTreeMap<String, String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// One wave's result.
#[derive(Debug, Clone)]
pub struct WaveReport {
    /// Wave number.
    pub wave: u32,
    /// What the driver decided.
    pub outcome: WaveOutcome,
}

/// The launch's result.
#[derive(Debug, Clone)]
pub struct LaunchReport {
    /// Exit code: 0, or the first failing wave's 1 / 42 / 43.
    pub exit_code: i32,
    /// Waves run, in order (the first wave that does not complete ends the launch).
    pub waves: Vec<WaveReport>,
    /// The state directory.
    pub state_dir: PathBuf,
    /// With `--auto-next` and nothing left to run: the run-state file that says so.
    pub nothing_to_run: Option<PathBuf>,
}

/// Why a launch could not run to a decision.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// Another live launcher holds the lane (exit 32).
    #[error("another launcher holds the lane lock {path}{}", holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    LaneLocked {
        /// The lock file.
        path: PathBuf,
        /// What the holder wrote into it.
        holder: Option<String>,
    },
    /// Range, validation or layout errors.
    #[error(transparent)]
    Plan(#[from] DryRunError),
    /// An agent could not be prepared.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// Hashing the docs tree failed.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// A state file could not be written or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `run-state.json` could not be read or written.
    #[error(transparent)]
    RunState(#[from] crate::run_state::RunStateFileError),
    /// Starting or observing a runner failed.
    #[error(transparent)]
    Runner(#[from] wave_runtime::RunnerError),
    /// A stop request drained the running agents; the wave is undecided and resumable.
    #[error("wave {wave}: interrupted by {signal}; {}", describe_drained(agents))]
    Interrupted {
        /// The wave.
        wave: u32,
        /// The signal that asked for the stop.
        signal: String,
        /// The exit code to end with (128 + the signal).
        code: i32,
        /// Each agent that was running, with its recorded outcome.
        agents: Vec<drain::DrainedAgent>,
    },
    /// The container backend cannot run agents (engine unreachable, API too old, image
    /// missing, repository not mountable, a failed create).
    #[error("{0}")]
    Container(String),
    /// The driver asked to wait while nothing was running (a bug, reported instead of hanging).
    #[error("wave {wave}: the driver is waiting but no agent is running")]
    Stalled {
        /// The wave.
        wave: u32,
    },
}

impl LaunchError {
    /// The exit code upstream uses for this error (32 for the lane lock, else 1).
    pub fn exit_code(&self) -> i32 {
        match self {
            LaunchError::LaneLocked { .. } => wave_core::gates::EXIT_LOCK_HELD,
            LaunchError::Interrupted { code, .. } => *code,
            _ => 1,
        }
    }
}

/// The lane-wide part of the agent context (see [`wave_core::env`]).
fn agent_context(
    repo_root: &Path,
    loaded: &LoadedLane,
    run_id: Option<RunId>,
) -> BTreeMap<String, String> {
    use wave_core::env;
    BTreeMap::from([
        (
            env::WAVE_RUN_ID.to_string(),
            run_id.map(|r| r.to_string()).unwrap_or_default(),
        ),
        (
            env::WAVE_PROJECT.to_string(),
            loaded.lane.project_id.clone(),
        ),
        (env::WAVE_LANE.to_string(), loaded.lane.lane.clone()),
        (
            env::WAVE_REPO_ROOT.to_string(),
            repo_root.to_string_lossy().into_owned(),
        ),
    ])
}

fn describe_drained(agents: &[drain::DrainedAgent]) -> String {
    if agents.is_empty() {
        return "no agent was running".into();
    }
    let parts: Vec<String> = agents
        .iter()
        .map(|a| {
            format!(
                "{} {} (exit {})",
                a.agent_id,
                if a.interrupted {
                    "interrupted"
                } else {
                    "finished"
                },
                a.exit_code.map_or("-".into(), |c| c.to_string())
            )
        })
        .collect();
    format!("agents: {}", parts.join(", "))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn now_iso() -> String {
    iso8601_millis(now_ms())
}

/// Runs the selected waves of `loaded`.
pub fn run(
    repo_root: &Path,
    loaded: &LoadedLane,
    options: &LaunchOptions,
) -> Result<LaunchReport, LaunchError> {
    // Validate the whole lane and the range before anything is written.
    select_waves(loaded, options.start_wave, options.end_wave)?;
    let paths = lane_paths(repo_root, &loaded.lane, RunVariant::Live)?;
    let options = &LaunchOptions {
        slot_dir: Some(
            options
                .slot_dir
                .clone()
                .unwrap_or_else(|| paths.orchestrator_state_dir().join("slots")),
        ),
        agent_context: agent_context(repo_root, loaded, options.run_id),
        container: match &options.agent_runtime {
            container::AgentRuntime::Process => None,
            container::AgentRuntime::Container(settings) => {
                let backend = container::ContainerBackend::connect(
                    settings,
                    repo_root,
                    &options.wave_binary,
                    &loaded.lane.lane,
                    &loaded.lane.project_id,
                )?;
                // Containers of a gone owner whose run is over or unknown are removed; those of
                // this run (or, unsupervised, of this lane) are adopted as their agents come up.
                let tree = paths.supervisor();
                let ours = options.run_id.map_or_else(
                    || container::unsupervised_run_label(repo_root),
                    |r| r.to_string(),
                );
                backend.reap(repo_root, |run| {
                    run == ours
                        || run
                            .parse::<RunId>()
                            .ok()
                            .and_then(|id| crate::supervisor::observe::read_run(&tree, id).ok())
                            .is_some_and(|v| !v.state.is_terminal())
                });
                Some(std::sync::Arc::new(backend))
            }
        },
        secrets: match options.run_id {
            Some(run) => Secrets(crate::supervisor::secrets::read(&paths.supervisor(), run)),
            None => Secrets::default(),
        },
        ..options.clone()
    };
    crate::state_guard::prepare_state_tree(&paths)?;
    for dir in paths.launcher_startup_dirs() {
        wave_store::create_dir_all_durable(&dir)?;
    }
    let lock_path = paths.launcher_lock();
    let Some(lock) = FileLock::try_acquire(&lock_path)? else {
        let holder = std::fs::read_to_string(&lock_path)
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        return Err(LaunchError::LaneLocked {
            path: lock_path,
            holder,
        });
    };
    lock.write_holder(&json!({
        "pid": std::process::id(),
        "argv": std::env::args().collect::<Vec<_>>(),
        "startedAt": now_iso(),
        "orchestratorId": options.orchestrator_id,
    }))?;

    let state_file = options
        .state_file
        .clone()
        .unwrap_or_else(|| paths.run_state());
    let mut run_state = crate::run_state::load(&state_file)?;
    let now = now_iso();
    crate::run_state::reconcile(repo_root, &paths, loaded, &mut run_state, &now);
    crate::run_state::save(&state_file, &mut run_state, &now)?;
    let mut start = options.start_wave;
    if options.auto_next {
        let numbers: Vec<u32> = loaded.waves.iter().map(|w| w.definition.wave).collect();
        match wave_core::records::run_state::auto_next_start(&run_state, &numbers) {
            Some(next) => start = next,
            None => {
                let _ = std::fs::remove_file(&lock_path);
                lock.release();
                return Ok(LaunchReport {
                    exit_code: 0,
                    waves: Vec::new(),
                    state_dir: paths.state_dir().to_path_buf(),
                    nothing_to_run: Some(state_file),
                });
            }
        }
    }
    let selected = select_waves(loaded, start, options.end_wave)?;

    let manifest_path = options
        .manifest_out
        .clone()
        .unwrap_or_else(|| paths.waves_manifest());
    let (manifest, _) = manifest_file(repo_root, loaded, manifest_path, now_ms())?;
    wave_store::write_bytes_atomic_relaxed(&manifest.path, &manifest.contents)?;

    let mut journal = Journal::open(&paths, options.run_id, options.resume);
    // Where a resumed launcher picks up: the journal's wave and attempt.
    let resume_point = journal
        .as_ref()
        .filter(|_| options.resume)
        .and_then(|j| Some((j.progress.wave_number?, j.progress.attempt_number?)));
    Journal::update(&mut journal, |p| p.set_phase(LauncherPhase::Starting))?;
    let mut reports = Vec::new();
    let mut exit_code = 0;
    for wave in selected {
        let number = i64::from(wave.definition.wave);
        let first_attempt = match resume_point {
            Some((w, a)) if w == number && a >= 1 => u32::try_from(a).unwrap_or(1),
            _ => 1,
        };
        Journal::update(&mut journal, |p| {
            p.wave_number = Some(number);
            if first_attempt == 1 {
                p.attempt_number = Some(0);
                p.selected_agent_ids.clear();
                p.launched_agent_ids.clear();
                p.completed_agent_ids.clear();
            }
            p.set_phase(LauncherPhase::WaveStarted);
        })?;
        let outcome = run_wave(
            repo_root,
            &paths,
            loaded,
            wave,
            options,
            first_attempt,
            &mut journal,
        )?;
        let forwarded: Vec<serde_json::Value> = outcome
            .forwarded_gaps
            .iter()
            .filter_map(|g| serde_json::to_value(g).ok())
            .collect();
        Journal::update(&mut journal, |p| {
            p.forwarded_closure_gaps = forwarded;
            p.set_phase(match outcome.status {
                WaveStatus::Completed => LauncherPhase::WaveCompleted,
                WaveStatus::RecoveryQueued | WaveStatus::Blocked => LauncherPhase::RecoveryQueued,
                WaveStatus::Failed => LauncherPhase::Failed,
            });
            if outcome.status == WaveStatus::Completed {
                p.resume_from_phase = Some("completed".into());
            }
        })?;
        let done = outcome.status == WaveStatus::Completed;
        if done {
            let at = now_iso();
            crate::run_state::record_completed(
                &mut run_state,
                wave.definition.wave,
                outcome.attempts,
                &at,
            );
            crate::run_state::save(&state_file, &mut run_state, &at)?;
        }
        if !done {
            exit_code = outcome.exit_code;
        }
        reports.push(WaveReport {
            wave: wave.definition.wave,
            outcome,
        });
        if !done {
            break;
        }
    }
    Journal::update(&mut journal, |p| {
        p.finalized = true;
        p.final_disposition = Some(
            if exit_code == 0 {
                "completed"
            } else {
                "failed"
            }
            .into(),
        );
        p.exit_code = Some(i64::from(exit_code));
        if exit_code == 0 {
            p.set_phase(LauncherPhase::Completed);
        }
    })?;
    // Removed while still held, as upstream removes its lock on exit; a launcher that opened the
    // old file meanwhile notices (FileLock re-checks the path after locking) and retries.
    let _ = std::fs::remove_file(&lock_path);
    lock.release();
    Ok(LaunchReport {
        exit_code,
        waves: reports,
        state_dir: paths.state_dir().to_path_buf(),
        nothing_to_run: None,
    })
}

/// `launcher-progress.json` of the supervisor run this launcher serves (only with
/// `WAVE_SUPERVISOR_RUN_ID`): where the launch stands, so a supervisor can resume it.
struct Journal {
    path: PathBuf,
    progress: LauncherProgress,
}

impl Journal {
    fn open(paths: &LanePaths, run_id: Option<RunId>, resume: bool) -> Option<Journal> {
        let run_id = run_id?;
        let path = paths.supervisor().run(run_id).launcher_progress();
        let id = run_id.to_string();
        let progress = match std::fs::read_to_string(&path) {
            Ok(text) if resume => {
                let mut p = LauncherProgress::parse(&text, Some(&id), &now_iso());
                p.finalized = false;
                p.final_disposition = None;
                p.exit_code = None;
                p
            }
            _ => LauncherProgress::new(Some(id), now_iso()),
        };
        Some(Journal { path, progress })
    }

    /// Applies `change` and writes the journal durably (a resumed launcher reads it).
    fn update(
        journal: &mut Option<Journal>,
        change: impl FnOnce(&mut LauncherProgress),
    ) -> Result<(), LaunchError> {
        let Some(j) = journal else { return Ok(()) };
        change(&mut j.progress);
        j.progress.updated_at = now_iso();
        j.progress.normalize();
        wave_store::write_bytes_atomic(&j.path, j.progress.to_json_pretty().as_bytes())?;
        Ok(())
    }
}

/// Drains the wave's running agents after a stop request and builds the error that ends the
/// launch.
fn interrupted(
    init: &wave_runtime::init::Init,
    wave: u32,
    running: &mut HashMap<String, Running>,
    prepared: &[PreparedAgent],
    rx: &mpsc::Receiver<String>,
    options: &LaunchOptions,
    log: &mut WaveLog,
) -> LaunchError {
    let signal = init
        .stop_signal()
        .unwrap_or(nix::sys::signal::Signal::SIGTERM);
    match drain::drain(
        running,
        prepared,
        rx,
        options.drain_timeout,
        log,
        options.container.as_ref(),
    ) {
        Ok(agents) => LaunchError::Interrupted {
            wave,
            signal: signal.as_str().to_string(),
            code: wave_runtime::init::signal_exit_code(signal),
            agents,
        },
        Err(err) => err,
    }
}

/// A started agent.
struct Running {
    prepared_index: usize,
    attempt: u32,
}

/// Runs one wave to the driver's decision.
fn run_wave(
    repo_root: &Path,
    paths: &LanePaths,
    loaded: &LoadedLane,
    wave: &PlannedWave,
    options: &LaunchOptions,
    first_attempt: u32,
    journal: &mut Option<Journal>,
) -> Result<WaveOutcome, LaunchError> {
    let files = RepoFiles::new(repo_root);
    let def = &wave.definition;
    let _span = tracing::info_span!(
        "wave",
        run_id = options.run_id.map(|r| r.to_string()),
        lane = %loaded.lane.lane,
        wave = def.wave
    )
    .entered();
    let mut prepared = Vec::with_capacity(wave.agents.len());
    for agent in &wave.agents {
        let mut agent_files = prepare_agent(
            repo_root,
            paths,
            loaded,
            wave,
            agent,
            &files,
            &options.wave_binary,
        )?;
        // Supervised: runtime records live in the run's tree (`agents/<id>.runtime.json`).
        if let Some(run) = options.run_id {
            agent_files.files.runtime = paths
                .supervisor()
                .run(run)
                .agent_runtime(&agent_files.agent_id);
        }
        prepared.push(agent_files);
    }
    let prompt_hashes: Vec<String> = wave
        .agents
        .iter()
        .map(crate::run_state::fingerprint)
        .collect();
    // A queued recovery (retry override) names agents whose earlier runs must not be reused;
    // it applies once.
    let not_reusable = records::take_retry_override(paths, def.wave)?;
    let previous: Vec<Option<PreviousRun>> = prepared
        .iter()
        .zip(&wave.agents)
        .map(|(p, a)| {
            if not_reusable.iter().any(|id| id == p.agent_id.as_str()) {
                return None;
            }
            previous_run(repo_root, p, a, &files)
        })
        .collect();
    let resolved: Vec<_> = wave.agents.iter().map(|a| a.resolved.clone()).collect();
    let eval_targets = resolved_eval_targets(loaded, def, &files);
    let mut driver = WaveDriver::new(DriverInput {
        lane: &loaded.lane,
        wave: def,
        agents: &resolved,
        prompt_hashes: prompt_hashes.clone(),
        previous,
        max_attempts: options.max_retries_per_wave.saturating_add(1),
        eval_targets,
        first_attempt,
    });
    let index_of: HashMap<String, usize> = prepared
        .iter()
        .enumerate()
        .map(|(i, p)| (p.agent_id.to_string(), i))
        .collect();
    let mut log = WaveLog::new(repo_root, paths, &loaded.lane.lane, def.wave);
    let agent_ids: Vec<String> = prepared.iter().map(|p| p.agent_id.to_string()).collect();
    log.wave_started(&agent_ids, options.resume)?;
    let lane_id: LaneId = loaded.lane.lane.parse().map_err(DryRunError::from)?;

    let (tx, rx) = mpsc::channel::<String>();
    let _stop_hook = options.init.as_ref().map(|init| {
        let tx = tx.clone();
        init.on_stop(Box::new(move || {
            let _ = tx.send(drain::STOP_TOKEN.to_string());
        }))
    });
    let mut running: HashMap<String, Running> = HashMap::new();
    let mut queue: VecDeque<(u32, String, bool)> = VecDeque::new();
    let mut last_fan_out_launch: Option<Instant> = None;
    let mut throttle = pressure::Throttle::default();
    loop {
        match driver.next_step() {
            Step::Done(outcome) => {
                tracing::info!(
                    status = ?outcome.status,
                    attempts = outcome.attempts,
                    exit_code = outcome.exit_code,
                    "wave decided"
                );
                log.persist(&driver.take_records())?;
                log.wave_finished(&outcome)?;
                return Ok(outcome);
            }
            Step::Launch {
                attempt,
                agent_ids,
                fan_out,
            } => {
                let ids = agent_ids.clone();
                Journal::update(journal, |p| {
                    if p.attempt_number != Some(i64::from(attempt)) {
                        p.selected_agent_ids.clear();
                        p.launched_agent_ids.clear();
                        p.completed_agent_ids.clear();
                    }
                    p.attempt_number = Some(i64::from(attempt));
                    p.selected_agent_ids.extend(ids.iter().cloned());
                    p.launched_agent_ids.extend(ids);
                    p.set_phase(LauncherPhase::AttemptRunning);
                })?;
                queue.extend(agent_ids.into_iter().map(|id| (attempt, id, fan_out)));
            }
            Step::Wait => {}
        }
        log.persist(&driver.take_records())?;
        if let Some(init) = options.init.as_ref().filter(|i| i.stop_requested()) {
            return Err(interrupted(
                init,
                def.wave,
                &mut running,
                &prepared,
                &rx,
                options,
                &mut log,
            ));
        }
        // Start what the concurrency bound allows (lowered under spawn pressure, see
        // [`pressure`]); the stagger separates fan-out launches only.
        while running.len() < throttle.limit(options.max_concurrent_agents) {
            let Some((attempt, id, fan_out)) = queue.pop_front() else {
                break;
            };
            let Some(&index) = index_of.get(&id) else {
                continue;
            };
            if fan_out {
                if let Some(last) = last_fan_out_launch {
                    let wait = options.stagger.saturating_sub(last.elapsed());
                    if !wait.is_zero() {
                        std::thread::sleep(wait);
                    }
                }
            }
            let agent = &wave.agents[index];
            let stop = || options.init.as_ref().is_some_and(|i| i.stop_requested());
            let start = || {
                start_or_adopt(
                    repo_root,
                    &prepared[index],
                    agent.resolved.executor.budget.and_then(|b| b.minutes),
                    attempt,
                    &prompt_hashes[index],
                    &lane_id,
                    options,
                    tx.clone(),
                )
            };
            let started = match pressure::start_patiently(start, &stop) {
                Ok(started) => started,
                Err(pressure::StartFailure::Pressure { error, waited }) if !running.is_empty() => {
                    throttle.lower_to(running.len());
                    tracing::warn!(
                        "wave {}: cannot start {id} after {:.1} s ({error}); running at most {} agents until one ends",
                        def.wave,
                        waited.as_secs_f64(),
                        running.len()
                    );
                    queue.push_front((attempt, id, fan_out));
                    break;
                }
                Err(pressure::StartFailure::Pressure { error, .. })
                | Err(pressure::StartFailure::Failed(error)) => {
                    // No agent outlives its run's record: stop and record the running ones.
                    if !running.is_empty() {
                        drain::drain(
                            &mut running,
                            &prepared,
                            &rx,
                            options.drain_timeout,
                            &mut log,
                            options.container.as_ref(),
                        )?;
                    }
                    return Err(error);
                }
            };
            let how = match started {
                Started::Spawned => AgentStart::Spawned,
                Started::Adopted => AgentStart::Adopted,
            };
            log.agent_started(attempt, &prepared[index], how)?;
            tracing::info!(agent = %id, attempt, adopted = matches!(how, AgentStart::Adopted), "agent started");
            if fan_out {
                // Measured from the recorded start, so `agent_run started` events of a
                // fan-out are at least the stagger apart, as upstream's are.
                last_fan_out_launch = Some(Instant::now());
            }
            running.insert(
                id,
                Running {
                    prepared_index: index,
                    attempt,
                },
            );
        }
        if running.is_empty() {
            return Err(LaunchError::Stalled { wave: def.wave });
        }
        let Ok(finished) = rx.recv() else {
            return Err(LaunchError::Stalled { wave: def.wave });
        };
        if finished == drain::STOP_TOKEN {
            if let Some(init) = &options.init {
                return Err(interrupted(
                    init,
                    def.wave,
                    &mut running,
                    &prepared,
                    &rx,
                    options,
                    &mut log,
                ));
            }
            continue;
        }
        let Some(run) = running.remove(&finished) else {
            continue;
        };
        let agent = &wave.agents[run.prepared_index];
        let obs = observe(
            repo_root,
            &prepared[run.prepared_index],
            agent,
            run.attempt,
            &prompt_hashes[run.prepared_index],
            loaded,
            &files,
        )?;
        let failure_code = match (obs.timed_out, obs.exit_code) {
            (true, _) => Some("timeout-no-status"),
            (false, None) => Some("missing-status"),
            (false, Some(_)) => None,
        };
        log.agent_finished(
            run.attempt,
            &prepared[run.prepared_index],
            &AgentRunFinish {
                exit_code: obs.exit_code.map(i64::from),
                completed_at: None,
                prompt_hash: Some(prompt_hashes[run.prepared_index].clone()),
                failure_code: failure_code.map(str::to_owned),
                failure_detail: None,
            },
        )?;
        tracing::info!(
            agent = %finished,
            attempt = run.attempt,
            exit_code = obs.exit_code,
            "agent finished"
        );
        Journal::update(journal, |p| p.completed_agent_ids.push(finished.clone()))?;
        driver.observe(obs);
    }
}

/// The existing status of an agent, for reuse by prompt hash. A run whose summary is missing
/// (its launcher died before summarising it) is summarised now from its log.
fn previous_run(
    repo_root: &Path,
    prepared: &PreparedAgent,
    agent: &crate::lane::PlannedAgent,
    files: &RepoFiles,
) -> Option<PreviousRun> {
    let status = wave_runtime::read_status_if_present(&prepared.files.status)
        .ok()
        .flatten()?;
    let prompt_hash = status.prompt_hash.clone().unwrap_or_default();
    let stored: Option<AgentSummary> = std::fs::read(&prepared.files.summary)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let (summary, report_exists) = match stored {
        Some(summary) => {
            let exists = agent
                .resolved
                .roles
                .report_path
                .as_ref()
                .is_some_and(|p| repo_root.join(p).is_file());
            (Some(summary), exists)
        }
        None => match summarize(repo_root, prepared, agent, &prompt_hash, files) {
            Ok(f) => (Some(f.summary), f.report_exists),
            Err(_) => (None, false),
        },
    };
    Some(PreviousRun {
        code: status.code,
        prompt_hash,
        summary,
        report_exists,
    })
}

/// The wave's eval targets with the benchmarks each may use (catalog-resolved).
fn resolved_eval_targets(
    loaded: &LoadedLane,
    def: &wave_core::wave::WaveDefinition,
    files: &RepoFiles,
) -> Vec<ResolvedEvalTarget> {
    if def.eval_targets.is_empty() {
        return Vec::new();
    }
    let path = &loaded.lane.benchmark_catalog_path;
    let catalog = wave_core::validate::catalog::parse_benchmark_catalog(
        files.read_text(Path::new(path)).as_deref(),
        path,
    )
    .ok();
    def.eval_targets
        .iter()
        .map(|t| ResolvedEvalTarget {
            target: t.clone(),
            allowed_benchmarks: catalog
                .as_ref()
                .map_or_else(|| t.benchmarks.clone(), |c| c.allowed_benchmarks(t)),
        })
        .collect()
}

/// What an agent's durable artifacts (status, runtime record, log, report) say about its run.
struct Finished {
    status: Option<wave_runtime::StatusRecord>,
    timed_out: bool,
    summary: AgentSummary,
    report_exists: bool,
}

/// Builds an agent's summary from its status file, runtime record, log and report, and writes
/// `status/…summary.json`. Used when a runner ends, and for reuse when a previous launcher died
/// before summarising a run its runner completed.
fn summarize(
    repo_root: &Path,
    prepared: &PreparedAgent,
    agent: &crate::lane::PlannedAgent,
    prompt_hash: &str,
    files: &RepoFiles,
) -> Result<Finished, LaunchError> {
    let status = wave_runtime::read_status_if_present(&prepared.files.status)?;
    let runtime = wave_runtime::read_runtime_record(&prepared.files.runtime)
        .ok()
        .flatten();
    let timed_out = runtime.as_ref().and_then(|r| r.exit_reason.as_deref()) == Some("timeout");
    let log = std::fs::read(&prepared.files.log)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let roles = &agent.resolved.roles;
    let report_text = roles
        .report_path
        .as_ref()
        .and_then(|p| files.read_text(Path::new(p)));
    let report_exists = roles
        .report_path
        .as_ref()
        .is_some_and(|p| repo_root.join(p).is_file());
    let rel = |p: &Path| {
        p.strip_prefix(repo_root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let presence = |path: &str| {
        let meta = std::fs::metadata(repo_root.join(path)).ok();
        let modified_at = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| iso8601_millis(d.as_millis() as u64));
        (meta.is_some(), modified_at)
    };
    let def = &agent.agent;
    let context = SummaryContext {
        agent_id: Some(def.agent_id.clone()),
        prompt_hash: status
            .as_ref()
            .and_then(|s| s.prompt_hash.clone())
            .or_else(|| Some(prompt_hash.to_string())),
        exit_code: status.as_ref().map(|s| i64::from(s.code)),
        completed_at: status.as_ref().map(|s| s.completed_at.clone()),
        status_detail: timed_out.then(|| "timed out".to_string()),
        codex_executor: agent.resolved.executor.id == ExecutorId::Codex,
        deliverables: def
            .deliverables
            .iter()
            .map(|path| {
                let (exists, modified_at) = presence(path);
                DeliverableState {
                    path: path.clone(),
                    exists,
                    modified_at,
                }
            })
            .collect(),
        proof_artifacts: def
            .proof_artifacts
            .iter()
            .map(|a| {
                let (exists, modified_at) = presence(&a.path);
                ProofArtifactState {
                    path: a.path.clone(),
                    kind: a.kind.clone(),
                    required_for: a
                        .required_for
                        .iter()
                        .map(|l| l.as_str().to_string())
                        .collect(),
                    exists,
                    modified_at,
                }
            })
            .collect(),
        log_path: rel(&prepared.files.log),
        report_path: roles.report_path.clone(),
    };
    let summary = build_summary(&log, report_text.as_deref(), context);
    wave_store::write_bytes_atomic_relaxed(&prepared.files.summary, &json_bytes(&summary))?;
    Ok(Finished {
        status,
        timed_out,
        summary,
        report_exists,
    })
}

/// Reads what a finished agent left behind and builds the driver's observation.
fn observe(
    repo_root: &Path,
    prepared: &PreparedAgent,
    agent: &crate::lane::PlannedAgent,
    attempt: u32,
    prompt_hash: &str,
    loaded: &LoadedLane,
    files: &RepoFiles,
) -> Result<AgentObservation, LaunchError> {
    let finished = summarize(repo_root, prepared, agent, prompt_hash, files)?;
    write_envelope(repo_root, prepared, agent, attempt, &finished, loaded)?;
    let is_doc_steward = agent.agent.agent_id == loaded.lane.roles.documentation_agent_id;
    let matrix_levels = is_doc_steward
        .then(|| matrix_levels(loaded, files))
        .flatten();
    Ok(AgentObservation {
        agent_id: agent.agent.agent_id.clone(),
        attempt,
        exit_code: finished.status.map(|s| s.code),
        timed_out: finished.timed_out,
        summary: finished.summary,
        report_exists: finished.report_exists,
        matrix_levels,
    })
}

/// Writes the result envelope `results/wave-<n>/attempt-<a>/<agentId>.json` (schema 2),
/// synthesised from the summary as upstream's launcher does.
fn write_envelope(
    repo_root: &Path,
    prepared: &PreparedAgent,
    agent: &crate::lane::PlannedAgent,
    attempt: u32,
    finished: &Finished,
    loaded: &LoadedLane,
) -> Result<(), LaunchError> {
    let paths = lane_paths(repo_root, &loaded.lane, RunVariant::Live)?;
    let now = now_iso();
    let envelope = wave_core::records::ResultEnvelope::from_summary(
        &finished.summary,
        &wave_core::records::envelope::EnvelopeContext {
            agent_id: &agent.agent.agent_id,
            wave_number: prepared.wave,
            attempt: Some(attempt),
            exit_code: finished.status.as_ref().map(|s| i64::from(s.code)),
            fallback_completed_at: &now,
        },
    );
    let path = paths.result_envelope(WaveNumber::from(prepared.wave), attempt, &prepared.agent_id);
    wave_store::write_json_atomic_relaxed(&path, &envelope.to_value())?;
    Ok(())
}

/// The component matrix's `currentLevel` per component, as the documentation gate reads it.
fn matrix_levels(loaded: &LoadedLane, files: &RepoFiles) -> Option<BTreeMap<String, String>> {
    let path = &loaded.lane.component_cutover_matrix_json_path;
    let matrix = wave_core::validate::matrix::parse_component_matrix(
        files.read_text(Path::new(path)).as_deref(),
        path,
    )
    .ok()?;
    Some(
        matrix
            .components
            .into_iter()
            .map(|c| (c.id, c.current_level))
            .collect(),
    )
}
