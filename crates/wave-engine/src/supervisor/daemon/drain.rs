//! The daemon's graceful drain on SIGTERM/SIGINT/SIGHUP (`docker stop` of a supervisor that is
//! PID 1): stop claiming, ask every live launcher to drain its agents (SIGTERM; a launcher
//! gets one second less than the daemon's budget), wait for them within the budget, kill what
//! is left (launcher, then each agent's runner and process group), and record every affected
//! run as **interrupted and resumable**: `status` stays `running` (upstream's enum),
//! `terminalDisposition: "interrupted"`, `resumeAction: "resume-current-wave"`, and an
//! `interrupted` event listing each agent's recorded outcome. The next daemon resumes those
//! runs without spending their resume budget; agents that finished are adopted, interrupted
//! ones run again.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::json;
use wave_core::records::supervisor::{RecoveryState, ResumeAction, RunDisposition, RunStatus};

use super::{reap_children, runtime_records, summarize, Daemon, DaemonExit, Wake};
use crate::supervisor::tree;
use crate::supervisor::SupervisorError;

impl Daemon<'_> {
    /// Drains (see the module docs) and returns [`DaemonExit::Interrupted`].
    pub(super) fn drain(
        &mut self,
        wake_rx: &mpsc::Receiver<Wake>,
        signal: Signal,
    ) -> Result<DaemonExit, SupervisorError> {
        let started = Instant::now();
        let (runs, _) = tree::scan(self.tree);
        let active: Vec<_> = runs
            .into_iter()
            .filter(|r| r.state.status == RunStatus::Running)
            .collect();
        let mut launchers = Vec::new();
        for run in &active {
            if let (Some(pid), Some(ticks)) =
                (run.state.launcher_pid, run.state.launcher_start_ticks)
            {
                if pid > 1 && wave_runtime::is_alive(pid, ticks) {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
                    launchers.push((pid, ticks));
                }
            }
        }
        tracing::warn!(
            signal = signal.as_str(),
            runs = active.len(),
            launchers = launchers.len(),
            budget_ms = self.opts.drain_timeout.as_millis() as u64,
            "{signal}: draining {} run(s)",
            active.len()
        );
        let deadline = started + self.opts.drain_timeout;
        loop {
            reap_children();
            launchers.retain(|(pid, ticks)| wave_runtime::is_alive(*pid, *ticks));
            if launchers.is_empty() || Instant::now() >= deadline {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let _ = wake_rx.recv_timeout(left.min(Duration::from_millis(50)));
        }
        for (pid, ticks) in &launchers {
            if *pid > 1 && wave_runtime::is_alive(*pid, *ticks) {
                let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
            }
        }
        for run in &active {
            // Whatever a killed launcher left running is stopped here, and recorded below.
            for (_, record) in runtime_records(&run.paths) {
                if record.runner_is_alive() || wave_runtime::executor_is_alive(&record) {
                    let _ = wave_runtime::terminate(&record, Duration::from_millis(200));
                }
            }
        }
        reap_children();
        for run in &active {
            let records = runtime_records(&run.paths);
            let mut state = run.state.clone();
            state.agent_runtime_summary = records.iter().map(|(id, r)| summarize(id, r)).collect();
            state.terminal_disposition = Some(RunDisposition::Interrupted);
            state.resume_action = Some(ResumeAction::ResumeCurrentWave);
            state.recovery_state = Some(RecoveryState::Resuming);
            state.detail = Some(format!(
                "Interrupted by {signal}: the supervisor drained its agents; the run resumes when a daemon starts again."
            ));
            let agents: Vec<_> = records
                .iter()
                .map(|(id, r)| {
                    json!({
                        "agentId": id,
                        "exitCode": r.exit_code,
                        "exitReason": r.exit_reason,
                        "interrupted": crate::launch::drain::was_stopped_by_signal(r)
                            || r.exit_code.is_none(),
                    })
                })
                .collect();
            let fields = json!({
                "runId": state.run_id,
                "signal": signal.as_str(),
                "agents": agents,
                "drainMs": started.elapsed().as_millis() as u64,
            });
            tracing::warn!(run_id = %run.run_id, "run interrupted: {fields}");
            self.commit(&run.paths, &mut state, "interrupted", fields)?;
        }
        tracing::warn!(
            drain_ms = started.elapsed().as_millis() as u64,
            "drained; exiting with {}",
            wave_runtime::init::signal_exit_code(signal)
        );
        Ok(DaemonExit::Interrupted(signal))
    }
}
