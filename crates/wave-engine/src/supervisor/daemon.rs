//! `wave supervise`: the daemon of one supervisor root.
//!
//! One pass: renew the lease; scan the run tree (corrupt or foreign entries are reported once
//! and skipped); reconcile every `running` run by [`decide`]; claim `pending` runs in FIFO
//! order up to `max_concurrent_runs`, starting one launcher each; prune old terminal runs.
//! Between passes the daemon sleeps until something happens — a new run directory (inotify on
//! `runs/`), a launcher's exit (one pidfd waiter thread per launcher), a signal — or at the
//! latest after the poll interval, the fallback that also catches what inotify cannot see.
//!
//! Adoption: at start-up every `running` run is stamped with this daemon's id and epoch, and
//! reconciled like any other. A run whose launcher died is resumed at once with upstream's
//! resume arguments plus `--resume-control-state`; the resumed launcher re-attaches to the
//! agents still running instead of starting them again (see `launch::agents`). Resumes are
//! bounded (`resume_limit`); then live agents are waited for, and the run fails as
//! `launcher-lost-before-status`.
//!
//! Every write to a run (state and events) happens inside [`Lease::fenced`], and so does every
//! launcher spawn: a superseded daemon neither writes nor starts anything.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wave_core::ids::RunId;
use wave_core::paths::{RunPaths, SupervisorPaths};
use wave_core::records::supervisor::{
    active_wave, decide, resume_args, AgentRuntimeSummary, DaemonLease, Decision, ReconcileFacts,
    RecoveryState, ResumeAction, RunDisposition, RunStatus, SupervisorRunState,
};
use wave_core::records::LauncherProgress;
use wave_core::timefmt::iso8601_millis;
use wave_runtime::{DetachedProcess, RuntimeRecord};

use super::lease::{now_ms, Acquire, Identity, Lease};
use super::tree::{self, FoundRun};
use super::SupervisorError;

/// The environment variable naming the run a launcher serves.
pub const RUN_ID_ENV: &str = "WAVE_SUPERVISOR_RUN_ID";
/// The environment variable naming the launcher's `launcher-status.json`.
pub const STATUS_FILE_ENV: &str = "WAVE_SUPERVISOR_STATUS_FILE";
/// Consecutive failed launcher spawns after which a run is failed.
pub const MAX_SPAWN_FAILURES: u32 = 5;

/// How the daemon runs.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// The repository root (launchers run there).
    pub repo_root: PathBuf,
    /// The supervisor root served.
    pub who: Identity,
    /// Longest sleep between passes.
    pub poll: Duration,
    /// Lease time (renewed every pass; at least 3 × poll).
    pub lease: Duration,
    /// Drain the queue, then exit.
    pub once: bool,
    /// Wait for the lease instead of exiting when another daemon holds it.
    pub standby: bool,
    /// Runs with a launcher at once.
    pub max_concurrent_runs: usize,
    /// Automatic launcher resumes per run.
    pub resume_limit: u32,
    /// The `wave` binary launchers run.
    pub wave_binary: PathBuf,
    /// Remove terminal runs older than this.
    pub prune_older_than: Option<Duration>,
    /// Exit after this long with nothing running or pending (daemons that `wave submit`
    /// starts use it; a later submit starts a new one).
    pub idle_exit: Option<Duration>,
    /// How long a drain (SIGTERM) waits for launchers to stop their agents.
    pub drain_timeout: Duration,
    /// The process's init duties; its stop request (a signal) starts the drain.
    pub init: Option<wave_runtime::init::Init>,
}

/// How the daemon ended.
#[derive(Debug)]
pub enum DaemonExit {
    /// Another live daemon holds the lease.
    AlreadyRunning(Option<DaemonLease>),
    /// `--once`: nothing left running or pending. `worst_exit` is the highest exit code of the
    /// runs this daemon saw end (0 when all completed; 1 for a run lost or never started).
    Drained {
        /// The worst run's exit code.
        worst_exit: i32,
    },
    /// A termination signal asked it to stop.
    Stopped,
    /// Nothing to do for the idle time.
    Idle,
    /// A termination signal drained the running runs (recorded as interrupted).
    Interrupted(nix::sys::signal::Signal),
}

/// What wakes the daemon between passes.
#[derive(Debug)]
pub enum Wake {
    /// Something changed under `runs/`.
    RunsChanged,
    /// A launcher exited.
    LauncherExited(RunId),
    /// A child exited (reap it).
    Child,
    /// SIGTERM or SIGINT.
    Stop,
}

/// The daemon's state across passes.
struct Daemon<'a> {
    tree: &'a SupervisorPaths,
    opts: &'a DaemonOptions,
    lease: Lease,
    wake: mpsc::Sender<Wake>,
    watched: HashSet<(RunId, i32)>,
    reported: HashSet<PathBuf>,
    spawn_failures: HashMap<RunId, u32>,
    worst_exit: i32,
    /// Runs seen terminal: never opened again.
    terminal: HashSet<RunId>,
    pruned_at: Option<Instant>,
}

/// How often a daemon with `--prune-older-than` looks at its terminal runs.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Runs the daemon until it drains (`once`), is stopped (a [`Wake::Stop`] on `wake_rx`), or
/// loses its lease. `wake_tx`/`wake_rx` are the daemon's wake-up channel; the caller may feed
/// signals into it.
pub fn supervise(
    tree: &SupervisorPaths,
    opts: &DaemonOptions,
    wake_tx: mpsc::Sender<Wake>,
    wake_rx: &mpsc::Receiver<Wake>,
) -> Result<DaemonExit, SupervisorError> {
    loop {
        let exit = serve(tree, opts, wake_tx.clone(), wake_rx)?;
        if !matches!(exit, DaemonExit::Idle) {
            return Ok(exit);
        }
        // The lease is released. A run submitted meanwhile either is seen here, or its
        // submitter saw no daemon and started one; either way nobody is stranded.
        let (runs, _) = tree::scan(tree);
        if !runs.iter().any(|r| !r.state.is_terminal()) {
            tracing::info!("idle; exiting");
            return Ok(DaemonExit::Idle);
        }
    }
}

/// One tenure: acquire the lease, serve until drained, stopped, idle or superseded, release.
fn serve(
    tree: &SupervisorPaths,
    opts: &DaemonOptions,
    wake_tx: mpsc::Sender<Wake>,
    wake_rx: &mpsc::Receiver<Wake>,
) -> Result<DaemonExit, SupervisorError> {
    let lease_time = opts.lease.max(opts.poll * 3);
    let lease = loop {
        match Lease::acquire(tree.root(), &opts.who, lease_time)? {
            Acquire::Acquired(lease) => break lease,
            Acquire::Held(holder) if !opts.standby => {
                return Ok(DaemonExit::AlreadyRunning(holder))
            }
            Acquire::Held(_) => {
                // Standby: try again soon; a dead holder's kernel lock frees at once, a stalled
                // holder's lease after `lease_time`.
                match wake_rx.recv_timeout(opts.poll.min(lease_time / 4)) {
                    Ok(Wake::Stop) => return Ok(DaemonExit::Stopped),
                    _ => continue,
                }
            }
        }
    };
    tracing::info!(
        supervisor_id = %lease.record().supervisor_id,
        epoch = lease.record().epoch,
        project = %opts.who.project,
        lane = %opts.who.lane,
        "serving {}/{}",
        opts.who.project,
        opts.who.lane
    );
    watch_runs_dir(tree, wake_tx.clone());
    let mut daemon = Daemon {
        tree,
        opts,
        lease,
        wake: wake_tx,
        watched: HashSet::new(),
        reported: HashSet::new(),
        spawn_failures: HashMap::new(),
        worst_exit: 0,
        terminal: HashSet::new(),
        pruned_at: None,
    };
    let result = daemon.run(wake_rx);
    let Daemon { lease, .. } = daemon;
    match &result {
        Err(SupervisorError::Superseded { .. }) => {
            tracing::warn!("stopping: {}", result.as_ref().unwrap_err());
            drop(lease);
        }
        _ => lease.release(),
    }
    result
}

mod drain;

impl Daemon<'_> {
    fn run(&mut self, wake_rx: &mpsc::Receiver<Wake>) -> Result<DaemonExit, SupervisorError> {
        self.adopt()?;
        let mut busy_at = Instant::now();
        loop {
            self.lease.renew()?;
            reap_children();
            let (runs, problems) = tree::scan_skipping(self.tree, &self.terminal);
            self.terminal.extend(
                runs.iter()
                    .filter(|r| r.state.is_terminal())
                    .map(|r| r.run_id),
            );
            for problem in problems {
                if self.reported.insert(problem.path.clone()) {
                    tracing::warn!(
                        path = %problem.path.display(),
                        "skipping {}: {}",
                        problem.path.display(),
                        problem.detail
                    );
                }
            }
            let mut running = 0usize;
            for run in runs.iter().filter(|r| r.state.status == RunStatus::Running) {
                match self.reconcile(run) {
                    Ok(true) => running += 1,
                    Ok(false) => {}
                    Err(err @ SupervisorError::Superseded { .. }) => return Err(err),
                    Err(err) => {
                        tracing::error!(run_id = %run.run_id, "run {}: {err}", run.run_id);
                        running += 1;
                    }
                }
            }
            let mut pending = 0usize;
            for run in runs.iter().filter(|r| r.state.status == RunStatus::Pending) {
                if running >= self.opts.max_concurrent_runs.max(1) {
                    pending += 1;
                    continue;
                }
                match self.claim(run) {
                    Ok(true) => running += 1,
                    Ok(false) => pending += 1,
                    Err(err @ SupervisorError::Superseded { .. }) => return Err(err),
                    Err(err) => {
                        tracing::error!(run_id = %run.run_id, "run {}: {err}", run.run_id);
                        pending += 1;
                    }
                }
            }
            if let Some(age) = self.opts.prune_older_than {
                // Terminal runs are not re-read each pass; pruning looks at them at most once
                // a minute.
                if self.pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                    self.pruned_at = Some(Instant::now());
                    let (all, _) = tree::scan(self.tree);
                    self.prune(&all, age);
                }
            }
            if self.opts.once && running == 0 && pending == 0 {
                return Ok(DaemonExit::Drained {
                    worst_exit: self.worst_exit,
                });
            }
            if running > 0 || pending > 0 {
                busy_at = Instant::now();
            }
            let mut deadline = Instant::now() + self.opts.poll;
            if let Some(idle) = self.opts.idle_exit {
                if busy_at.elapsed() >= idle {
                    return Ok(DaemonExit::Idle);
                }
                deadline = deadline.min(busy_at + idle);
            }
            // Sleep until woken; coalesce a burst of wake-ups into one pass.
            let mut first = true;
            loop {
                let wait = if first {
                    deadline.saturating_duration_since(Instant::now())
                } else {
                    Duration::ZERO
                };
                first = false;
                match wake_rx.recv_timeout(wait) {
                    Ok(Wake::Stop) => {
                        let signal = self
                            .opts
                            .init
                            .as_ref()
                            .and_then(|i| i.stop_signal())
                            .unwrap_or(nix::sys::signal::Signal::SIGTERM);
                        return self.drain(wake_rx, signal);
                    }
                    Ok(Wake::LauncherExited(id)) => {
                        self.watched.retain(|(run, _)| *run != id);
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
    }

    fn now(&self) -> String {
        iso8601_millis(now_ms())
    }

    fn stamp(&self, state: &mut SupervisorRunState) {
        let record = self.lease.record();
        state.supervisor_id = Some(record.supervisor_id.clone());
        state.lease_expires_at = Some(record.lease_expires_at.clone());
        state.epoch = Some(record.epoch);
        state.updated_at = Some(self.now());
    }

    /// Stamps `state`, then appends the event and writes the state in one fenced section.
    fn commit(
        &mut self,
        paths: &RunPaths,
        state: &mut SupervisorRunState,
        kind: &str,
        fields: Value,
    ) -> Result<(), SupervisorError> {
        self.stamp(state);
        tracing::info!(run_id = %state.run_id, event = kind, status = state.status.as_str(), "{kind}");
        let state = &*state;
        self.lease.fenced(|| {
            tree::append_event(paths, kind, fields)?;
            tree::write_state(paths, state)
        })?;
        if state.is_terminal() {
            // Nothing of the run needs its passed-through values any more.
            if let Ok(run) = state.run_id.parse() {
                super::secrets::remove(self.tree, run);
            }
        }
        Ok(())
    }

    /// Start-up: stamp every running run with this daemon's id (and say so in its events).
    fn adopt(&mut self) -> Result<(), SupervisorError> {
        let (runs, _) = tree::scan(self.tree);
        for run in runs
            .into_iter()
            .filter(|r| r.state.status == RunStatus::Running)
        {
            let mut state = run.state.clone();
            let fields = json!({
                "runId": state.run_id,
                "supervisorId": self.lease.record().supervisor_id,
            });
            self.commit(&run.paths, &mut state, "daemon-adopted", fields)?;
        }
        Ok(())
    }

    /// Claims a pending run and starts its launcher; false when the spawn failed (retried on
    /// the next pass, and the run failed after [`MAX_SPAWN_FAILURES`]).
    fn claim(&mut self, run: &FoundRun) -> Result<bool, SupervisorError> {
        // A daemon killed between starting a launcher and recording it leaves the run pending
        // with that launcher running (or already done): adopt it instead of starting a second.
        if let Some((pid, ticks)) = orphan_launcher(&run.paths) {
            let mut state = run.state.clone();
            state.status = RunStatus::Running;
            state.terminal_disposition = Some(RunDisposition::Running);
            state.launcher_pid = pid;
            state.launcher_start_ticks = ticks;
            if state.started_at.is_none() {
                state.started_at = Some(self.now());
            }
            let fields = json!({"runId": state.run_id, "launcherPid": pid});
            self.commit(&run.paths, &mut state, "launcher-adopted", fields)?;
            return Ok(true);
        }
        let supervisor_id = self.lease.record().supervisor_id.clone();
        let paths = run.paths.clone();
        if !self.spawn_failures.contains_key(&run.run_id) {
            self.lease.fenced(|| {
                tree::append_event(
                    &paths,
                    "daemon-claimed",
                    json!({"runId": run.state.run_id, "supervisorId": supervisor_id}),
                )
            })?;
        }
        let mut state = run.state.clone();
        state.recovery_state = Some(RecoveryState::Healthy);
        state.resume_action = None;
        let args = state.launcher_args.clone();
        self.start_launcher(run.run_id, &run.paths, state, args, false)
    }

    /// Starts a launcher for the run (inside the fence) and records it; false when the spawn
    /// failed.
    fn start_launcher(
        &mut self,
        run_id: RunId,
        paths: &RunPaths,
        mut state: SupervisorRunState,
        args: Vec<String>,
        resumed: bool,
    ) -> Result<bool, SupervisorError> {
        // A drain's interruption is not a failure: its resume is free.
        let was_interrupted = state.terminal_disposition == Some(RunDisposition::Interrupted);
        let repo = self.opts.repo_root.to_string_lossy().into_owned();
        let mut argv = vec!["--repo-root".to_string(), repo, "launch".to_string()];
        argv.extend(args.iter().cloned());
        let status_path = paths.launcher_status();
        let launcher_drain = self
            .opts
            .drain_timeout
            .saturating_sub(Duration::from_secs(1));
        let env = vec![
            (
                wave_core::env::WAVE_DRAIN_TIMEOUT.to_string(),
                launcher_drain.as_secs().to_string(),
            ),
            (RUN_ID_ENV.to_string(), run_id.to_string()),
            (
                STATUS_FILE_ENV.to_string(),
                status_path.to_string_lossy().into_owned(),
            ),
        ];
        let log_path = paths.launcher_log();
        let now = self.now();
        let record = self.lease.record().clone();
        let binary = self.opts.wave_binary.clone();
        let cwd = self.opts.repo_root.clone();
        let spawned = self.lease.fenced(|| {
            match std::fs::remove_file(&status_path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(SupervisorError::Io {
                        op: "remove",
                        path: status_path.clone(),
                        source: e,
                    })
                }
                _ => {}
            }
            let spawned = match wave_runtime::spawn_detached_process(&DetachedProcess {
                program: &binary,
                args: &argv,
                cwd: &cwd,
                env: &env,
                log: Some(&log_path),
            }) {
                Ok(spawned) => spawned,
                Err(err) => return Ok(Err(err)),
            };
            tracing::info!(
                run_id = %state.run_id,
                launcher_pid = spawned.pid,
                resumed,
                "launcher-started"
            );
            tree::append_event(
                paths,
                "launcher-started",
                json!({
                    "runId": state.run_id,
                    "launcherPid": spawned.pid,
                    "launcherStartTicks": spawned.start_time_ticks,
                    "resumed": resumed
                }),
            )?;
            state.status = RunStatus::Running;
            state.terminal_disposition = Some(RunDisposition::Running);
            state.session_backend = "process".into();
            if state.started_at.is_none() {
                state.started_at = Some(now.clone());
            }
            state.updated_at = Some(now.clone());
            state.supervisor_id = Some(record.supervisor_id.clone());
            state.lease_expires_at = Some(record.lease_expires_at.clone());
            state.epoch = Some(record.epoch);
            state.launcher_pid = Some(spawned.pid);
            state.launcher_start_ticks = spawned.start_time_ticks;
            state.launcher_status_path = Some(status_path.to_string_lossy().into_owned());
            state.launcher_log_path = Some(log_path.to_string_lossy().into_owned());
            if resumed && !was_interrupted {
                state.resume_attempts += 1;
            }
            if resumed {
                state.launcher_args = args.clone();
            }
            tree::write_state(paths, &state)?;
            Ok(Ok(spawned))
        })?;
        match spawned {
            Ok(spawned) => {
                self.spawn_failures.remove(&run_id);
                if let Some(ticks) = spawned.start_time_ticks {
                    self.watch_launcher(run_id, spawned.pid, ticks);
                }
                Ok(true)
            }
            Err(err) => {
                let failures = self.spawn_failures.entry(run_id).or_insert(0);
                *failures += 1;
                let failures = *failures;
                tracing::error!(
                    run_id = %run_id,
                    failures,
                    "launcher spawn failed ({failures}/{MAX_SPAWN_FAILURES}): {err}"
                );
                if failures >= MAX_SPAWN_FAILURES {
                    let mut failed = state.clone();
                    failed.status = RunStatus::Failed;
                    failed.terminal_disposition = Some(RunDisposition::Failed);
                    failed.recovery_state = Some(RecoveryState::Failed);
                    failed.detail = Some(format!("The launcher could not be started: {err}"));
                    failed.completed_at = Some(self.now());
                    self.worst_exit = self.worst_exit.max(1);
                    let fields = json!({"runId": failed.run_id, "detail": failed.detail});
                    self.commit(paths, &mut failed, "launcher-spawn-failed", fields)?;
                }
                Ok(false)
            }
        }
    }

    fn watch_launcher(&mut self, run_id: RunId, pid: i32, ticks: u64) {
        if !self.watched.insert((run_id, pid)) {
            return;
        }
        let wake = self.wake.clone();
        std::thread::spawn(move || {
            let far = Instant::now() + Duration::from_secs(60 * 60 * 24 * 365);
            let _ = wave_runtime::wait_for_exit(pid, ticks, far);
            let _ = wake.send(Wake::LauncherExited(run_id));
        });
    }

    /// Applies the decision table to a running run; true while it stays running.
    fn reconcile(&mut self, run: &FoundRun) -> Result<bool, SupervisorError> {
        let paths = &run.paths;
        let journal = Journal::read(paths);
        let records = runtime_records(paths);
        let live: Vec<String> = records
            .iter()
            .filter(|(_, r)| r.runner_is_alive() || wave_runtime::executor_is_alive(r))
            .map(|(id, _)| id.clone())
            .collect();
        let launcher_alive = match (run.state.launcher_pid, run.state.launcher_start_ticks) {
            (Some(pid), Some(ticks)) => wave_runtime::is_alive(pid, ticks),
            _ => false,
        };
        let facts = ReconcileFacts {
            launcher_status: read_launcher_status(paths),
            launcher_alive,
            journal_final: journal.final_outcome(),
            live_agents: live,
            resume_args: resume_args(
                &run.state.launcher_args,
                journal.wave.or(run.state.active_wave),
            ),
            resumes_left: run.state.resume_attempts < self.opts.resume_limit
                || run.state.terminal_disposition == Some(RunDisposition::Interrupted),
        };
        let mut state = run.state.clone();
        state.agent_runtime_summary = records.iter().map(|(id, r)| summarize(id, r)).collect();
        let decision = decide(&facts);
        match decision {
            Decision::Finish {
                exit_code: Some(code),
                from_journal: false,
            } if code == i64::from(wave_core::gates::EXIT_LOCK_HELD) => {
                // A launcher outside the supervisor holds the lane: wait for it, not fail.
                state.status = RunStatus::Pending;
                state.terminal_disposition = Some(RunDisposition::Pending);
                state.launcher_pid = None;
                state.launcher_start_ticks = None;
                state.detail = Some(
                    "Another launcher held the lane lock (exit 32); the run went back to the queue."
                        .into(),
                );
                let fields = json!({"runId": state.run_id, "exitCode": code});
                self.commit(paths, &mut state, "requeued-lane-locked", fields)?;
                Ok(false)
            }
            Decision::Finish {
                exit_code,
                from_journal,
            } => {
                let completed = exit_code == Some(0);
                if !completed {
                    let code = exit_code.and_then(|c| i32::try_from(c).ok()).unwrap_or(1);
                    self.worst_exit = self.worst_exit.max(code.max(1));
                }
                state.status = if completed {
                    RunStatus::Completed
                } else {
                    RunStatus::Failed
                };
                state.exit_code = exit_code;
                state.terminal_disposition = Some(if completed {
                    RunDisposition::Completed
                } else {
                    RunDisposition::Failed
                });
                state.completed_at = Some(if from_journal {
                    journal.updated_at.clone().unwrap_or_else(|| self.now())
                } else {
                    read_launcher_completed_at(paths).unwrap_or_else(|| self.now())
                });
                state.recovery_state = Some(if from_journal {
                    RecoveryState::RecoveredFromProgress
                } else {
                    RecoveryState::Healthy
                });
                state.resume_action = None;
                state.active_wave = active_wave(&run.state, journal.wave, completed);
                state.detail = from_journal.then(|| {
                    "The launcher exited without launcher-status.json; the outcome comes from its finalized progress journal.".to_string()
                });
                let mut event = json!({"runId": state.run_id, "exitCode": exit_code});
                if from_journal {
                    event["source"] = Value::String("progress-journal".into());
                }
                self.commit(paths, &mut state, "launcher-status-reconciled", event)?;
                Ok(false)
            }
            Decision::KeepRunning => {
                if let (Some(pid), Some(ticks)) =
                    (run.state.launcher_pid, run.state.launcher_start_ticks)
                {
                    self.watch_launcher(run.run_id, pid, ticks);
                }
                state.terminal_disposition = Some(RunDisposition::Running);
                if state.recovery_state != Some(RecoveryState::Resuming) {
                    state.recovery_state = Some(RecoveryState::Healthy);
                    state.resume_action = None;
                }
                state.active_wave = journal.wave.or(state.active_wave);
                self.write_if_changed(&run.state, state, paths)?;
                Ok(true)
            }
            Decision::Resume { args, live_agents } => {
                if !live_agents.is_empty() {
                    let id = state.run_id.clone();
                    self.lease.fenced(|| {
                        tree::append_event(
                            paths,
                            "agent-runtime-adopted",
                            json!({"runId": id, "agentIds": live_agents}),
                        )
                    })?;
                }
                state.recovery_state = Some(RecoveryState::Resuming);
                state.resume_action = Some(ResumeAction::ResumeCurrentWave);
                state.active_wave = journal.wave.or(state.active_wave);
                state.detail = Some(if live_agents.is_empty() {
                    "The launcher was lost; resumed the current wave from its journal.".to_string()
                } else {
                    format!(
                        "The launcher was lost; resumed it, re-attaching to live agents {}.",
                        live_agents.join(", ")
                    )
                });
                self.start_launcher(run.run_id, paths, state, args, true)?;
                Ok(true)
            }
            Decision::WaitForLiveAgents { live_agents } => {
                let first = run.state.terminal_disposition
                    != Some(RunDisposition::LauncherLostAgentsRunning);
                state.terminal_disposition = Some(RunDisposition::LauncherLostAgentsRunning);
                state.recovery_state = Some(RecoveryState::Degraded);
                state.resume_action = Some(ResumeAction::WaitForLiveAgents);
                state.detail =
                    Some("Launcher exited while agent runtime work is still live.".into());
                if first {
                    let id = state.run_id.clone();
                    self.lease.fenced(|| {
                        tree::append_event(
                            paths,
                            "agent-runtime-adopted",
                            json!({"runId": id, "agentIds": live_agents}),
                        )
                    })?;
                }
                self.write_if_changed(&run.state, state, paths)?;
                Ok(true)
            }
            Decision::Lost => {
                self.worst_exit = self.worst_exit.max(1);
                state.status = RunStatus::Failed;
                state.exit_code = None;
                state.terminal_disposition = Some(RunDisposition::LauncherLostBeforeStatus);
                state.recovery_state = Some(RecoveryState::Failed);
                state.resume_action = None;
                state.completed_at = Some(self.now());
                state.detail = Some("Launcher exited before writing supervisor status.".into());
                let fields = json!({"runId": state.run_id, "launcherPid": run.state.launcher_pid});
                self.commit(paths, &mut state, "failed-before-status", fields)?;
                Ok(false)
            }
        }
    }

    /// Writes `next` unless only the stamp would change.
    fn write_if_changed(
        &mut self,
        before: &SupervisorRunState,
        mut next: SupervisorRunState,
        paths: &RunPaths,
    ) -> Result<(), SupervisorError> {
        let mut same = before.clone();
        same.agent_runtime_summary = next.agent_runtime_summary.clone();
        let unchanged = same == next
            && before.supervisor_id.as_deref() == Some(self.lease.record().supervisor_id.as_str());
        let summary_same = before.agent_runtime_summary == next.agent_runtime_summary;
        if unchanged && summary_same {
            return Ok(());
        }
        self.stamp(&mut next);
        self.lease.fenced(|| tree::write_state(paths, &next))
    }

    fn prune(&mut self, runs: &[FoundRun], age: Duration) {
        let cutoff = now_ms().saturating_sub(age.as_millis() as u64);
        for run in runs.iter().filter(|r| tree::terminal_before(r, cutoff)) {
            let dir = run.paths.dir().to_path_buf();
            let result = self.lease.fenced(|| {
                std::fs::remove_dir_all(&dir).map_err(|source| SupervisorError::Io {
                    op: "remove",
                    path: dir.clone(),
                    source,
                })
            });
            match result {
                Ok(()) => {
                    self.terminal.remove(&run.run_id);
                    super::secrets::remove(self.tree, run.run_id);
                    tracing::info!(run_id = %run.run_id, "pruned");
                }
                Err(err) => {
                    tracing::warn!(run_id = %run.run_id, "prune failed: {err}");
                }
            }
        }
    }
}

/// What the launcher journal says, read without upstream's `null → 0` (W12).
#[derive(Debug, Default)]
struct Journal {
    wave: Option<i64>,
    finalized: bool,
    disposition: Option<String>,
    exit_code: Option<i64>,
    updated_at: Option<String>,
}

impl Journal {
    fn read(paths: &RunPaths) -> Journal {
        let Ok(text) = std::fs::read_to_string(paths.launcher_progress()) else {
            return Journal::default();
        };
        let raw: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let progress = LauncherProgress::parse(&text, None, "");
        Journal {
            wave: raw.get("waveNumber").and_then(Value::as_i64),
            finalized: progress.finalized,
            disposition: progress.final_disposition,
            exit_code: progress.exit_code,
            updated_at: Some(progress.updated_at).filter(|s| !s.is_empty()),
        }
    }

    fn final_outcome(&self) -> Option<(bool, Option<i64>)> {
        if !self.finalized {
            return None;
        }
        match self.disposition.as_deref() {
            Some("completed") => Some((true, self.exit_code)),
            Some("failed") => Some((false, self.exit_code)),
            _ => None,
        }
    }
}

/// The launcher a pending run already has: its `launcher-status.json` exists (it ran and ended),
/// or the last `launcher-started` event names a live process. `None`: nothing ran for it.
fn orphan_launcher(paths: &RunPaths) -> Option<(Option<i32>, Option<u64>)> {
    let events = std::fs::read_to_string(paths.events()).unwrap_or_default();
    let started = events
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["type"] == "launcher-started");
    let pid = started
        .as_ref()
        .and_then(|e| e["launcherPid"].as_i64())
        .and_then(|p| i32::try_from(p).ok());
    let ticks = started
        .as_ref()
        .and_then(|e| e["launcherStartTicks"].as_u64());
    // A status of 32 (lane locked) is what requeued the run: it is not an outcome to adopt.
    let lock_held = Some(i64::from(wave_core::gates::EXIT_LOCK_HELD));
    if read_launcher_status(paths).is_some_and(|code| code != lock_held) {
        return Some((pid, ticks));
    }
    match (pid, ticks) {
        (Some(p), Some(t)) if wave_runtime::is_alive(p, t) => Some((Some(p), Some(t))),
        _ => None,
    }
}

fn read_launcher_status(paths: &RunPaths) -> Option<Option<i64>> {
    let text = std::fs::read_to_string(paths.launcher_status()).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    let object = value.as_object()?;
    Some(object.get("exitCode").and_then(Value::as_i64))
}

fn read_launcher_completed_at(paths: &RunPaths) -> Option<String> {
    let text = std::fs::read_to_string(paths.launcher_status()).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value.get("completedAt")?.as_str().map(str::to_owned)
}

/// Every parseable `agents/<id>.runtime.json` of the run, by agent id.
fn runtime_records(paths: &RunPaths) -> Vec<(String, RuntimeRecord)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(paths.agents_dir()) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(".runtime.json") else {
            continue;
        };
        if let Ok(Some(record)) = wave_runtime::read_runtime_record(&entry.path()) {
            out.push((id.to_string(), record));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn summarize(id: &str, r: &RuntimeRecord) -> AgentRuntimeSummary {
    AgentRuntimeSummary {
        agent_id: id.to_string(),
        pid: r.executor_pid.or(r.pid).or(r.runner_pid),
        pgid: r.pgid,
        runner_pid: r.runner_pid,
        executor_pid: r.executor_pid,
        last_heartbeat_at: Some(r.last_heartbeat_at.clone()),
        exit_code: r.exit_code,
        terminal_disposition: serde_json::to_value(r.terminal_disposition)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned)),
        session_backend: r.session_backend.clone(),
        attach_mode: r.attach_mode.clone(),
    }
}

/// Wakes the daemon when entries appear or vanish under `runs/` (inotify). Without inotify the
/// poll interval is the fallback.
fn watch_runs_dir(tree: &SupervisorPaths, wake: mpsc::Sender<Wake>) {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let dir = tree.runs_dir();
    if wave_store::create_dir_all_durable(&dir).is_err() {
        return;
    }
    let Ok(inotify) = Inotify::init(InitFlags::IN_CLOEXEC) else {
        return;
    };
    let flags = AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_DELETE;
    if inotify.add_watch(&dir, flags).is_err() {
        return;
    }
    std::thread::spawn(move || loop {
        match inotify.read_events() {
            Ok(_) => {
                if wake.send(Wake::RunsChanged).is_err() {
                    return;
                }
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return,
        }
    });
}

/// Reaps exited children without blocking: launchers and runners re-parented to the daemon
/// (it is PID 1 in a container, or a child subreaper).
pub fn reap_children() {
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(_) => return,
            Ok(_) => {}
        }
    }
}
