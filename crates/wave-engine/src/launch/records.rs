//! What the launcher writes about a wave's run besides agent files: control-plane lifecycle
//! events (`control-plane/wave-<n>.jsonl`, built with [`ControlPlaneRecord`]'s upstream-shaped
//! constructors), closure-gap blockers (`coordination/wave-<n>.jsonl`), the relaunch plan
//! (`status/relaunch-plan-wave-<n>.json`) and, when a wave is queued for recovery, the one-shot
//! retry override (`control/retry-override-wave-<n>.json`) with its `rerun_request` event.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use wave_core::driver::{DriverRecord, Failure, WaveOutcome, WaveStatus};
use wave_core::ids::WaveNumber;
use wave_core::paths::LanePaths;
use wave_core::records::control_plane::{
    record_id, AgentRunFinish, AgentRunPaths, AttemptAction, ControlPlaneContext,
    ControlPlaneRecord, EntityType, RunKind, WaveRunAction, LAUNCHER_ACTOR,
};
use wave_core::records::RelaunchPlan;

use super::{now_iso, LaunchError};
use crate::prepare::PreparedAgent;

/// How an agent's run began, for its `agent_run` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AgentStart {
    /// A runner was spawned (`started`).
    Spawned,
    /// A resumed launcher re-attached to this attempt's live or finished runner (`adopted`, an
    /// extension of upstream's vocabulary).
    Adopted,
}

/// The lane's wave logs, with the state of the attempt being recorded.
pub(super) struct WaveLog {
    control_plane: PathBuf,
    coordination: PathBuf,
    relaunch_plan: PathBuf,
    retry_override: PathBuf,
    repo_root: PathBuf,
    ctx: ControlPlaneContext,
    wave: u32,
    rng: u32,
    /// Gate results of the attempt in progress, keyed by upstream's gate-snapshot names.
    snapshot: Map<String, Value>,
    /// The last evaluated attempt's snapshot (for `wave_run completed`).
    last_snapshot: Value,
    /// Agents selected for the attempt in progress.
    selected: Vec<String>,
    /// Why the attempt in progress was planned (a retry's reason).
    pending_detail: Option<String>,
    attempt_created_at: Option<String>,
}

impl WaveLog {
    pub(super) fn new(repo_root: &Path, paths: &LanePaths, lane: &str, wave: u32) -> Self {
        let number = WaveNumber::from(wave);
        WaveLog {
            control_plane: paths.control_plane_log(number),
            coordination: paths.coordination_log(number),
            relaunch_plan: paths.relaunch_plan(number),
            retry_override: paths.retry_override(number),
            repo_root: repo_root.to_path_buf(),
            ctx: ControlPlaneContext {
                lane: lane.to_owned(),
                run_kind: RunKind::Roadmap,
                run_id: None,
            },
            wave,
            rng: crate::supervisor::lease::random_u32() | 1,
            snapshot: Map::new(),
            last_snapshot: Value::Null,
            selected: Vec::new(),
            pending_detail: None,
            attempt_created_at: None,
        }
    }

    /// Record-id token: xorshift over a kernel-random seed.
    fn token(&mut self) -> u32 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }

    /// An event outside the upstream constructors' set (no attempt; `source` = `actor`).
    fn event(
        &mut self,
        entity_type: EntityType,
        entity_id: String,
        action: &str,
        actor: &str,
        at: &str,
        data: Value,
    ) -> ControlPlaneRecord {
        ControlPlaneRecord {
            record_version: 1,
            id: record_id(entity_type, self.token()),
            lane: self.ctx.lane.clone(),
            wave: self.wave,
            run_kind: self.ctx.run_kind,
            run_id: self.ctx.run_id.clone(),
            entity_type,
            entity_id,
            action: action.to_owned(),
            source: actor.to_owned(),
            actor: actor.to_owned(),
            recorded_at: at.to_owned(),
            attempt: None,
            data: object(data),
        }
    }

    fn append(&self, record: &ControlPlaneRecord) -> Result<(), LaunchError> {
        wave_store::append_jsonl(
            &self.control_plane,
            record,
            wave_store::AppendSync::Buffered,
        )?;
        Ok(())
    }

    fn relative(&self, path: &Path) -> Option<String> {
        Some(
            path.strip_prefix(&self.repo_root)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned(),
        )
    }

    fn run_paths(&self, prepared: &PreparedAgent) -> AgentRunPaths {
        AgentRunPaths {
            session_name: None,
            executor_id: Some(prepared.executor_id().as_str().to_owned()),
            prompt_path: self.relative(&prepared.files.prompt),
            status_path: self.relative(&prepared.files.status),
            log_path: self.relative(&prepared.files.log),
        }
    }

    /// Start of the wave: `wave_run started`; a relaunch plan left by an earlier launcher is
    /// discarded unless the launch resumes control state.
    pub(super) fn wave_started(
        &mut self,
        agent_ids: &[String],
        keep_relaunch_plan: bool,
    ) -> Result<(), LaunchError> {
        if !keep_relaunch_plan {
            remove_if_present(&self.relaunch_plan)?;
        }
        let at = now_iso();
        let token = self.token();
        let extra = object(json!({"agentIds": agent_ids, "runVariant": "live"}));
        self.append(&ControlPlaneRecord::wave_run(
            &self.ctx,
            self.wave,
            WaveRunAction::Started,
            &at,
            token,
            extra,
        ))
    }

    /// An agent's runner started (or was adopted).
    pub(super) fn agent_started(
        &mut self,
        attempt: u32,
        prepared: &PreparedAgent,
        how: AgentStart,
    ) -> Result<(), LaunchError> {
        let at = now_iso();
        let token = self.token();
        let mut record = ControlPlaneRecord::agent_run_started(
            &self.ctx,
            self.wave,
            attempt,
            prepared.agent_id.as_str(),
            &self.run_paths(prepared),
            &at,
            token,
        );
        if how == AgentStart::Adopted {
            record.action = "adopted".to_owned();
        }
        self.append(&record)
    }

    /// An agent's run ended: `agent_run completed`, `failed` or `timed_out`.
    pub(super) fn agent_finished(
        &mut self,
        attempt: u32,
        prepared: &PreparedAgent,
        finish: &AgentRunFinish,
    ) -> Result<(), LaunchError> {
        let at = now_iso();
        let token = self.token();
        self.append(&ControlPlaneRecord::agent_run_finished(
            &self.ctx,
            self.wave,
            attempt,
            prepared.agent_id.as_str(),
            &self.run_paths(prepared),
            finish,
            &at,
            token,
        ))
    }

    /// Persists the driver's records: attempts, one `gate evaluated` snapshot per attempt,
    /// reuse, the relaunch plan of a planned retry and forwarded closure gaps (as
    /// closure-critical blockers in the coordination log).
    pub(super) fn persist(&mut self, records: &[DriverRecord]) -> Result<(), LaunchError> {
        for record in records {
            match record {
                DriverRecord::AttemptStarted { attempt, agent_ids } => {
                    let at = now_iso();
                    self.selected = agent_ids.clone();
                    self.snapshot = Map::new();
                    self.attempt_created_at = Some(at.clone());
                    let token = self.token();
                    let detail = self.pending_detail.take();
                    self.append(&ControlPlaneRecord::attempt(
                        &self.ctx,
                        self.wave,
                        *attempt,
                        AttemptAction::Running,
                        agent_ids,
                        detail.as_deref(),
                        Some(&at),
                        &at,
                        token,
                    ))?;
                }
                DriverRecord::AgentReused { agent_id } => {
                    // Not an upstream event: the agent's earlier run is reused, nothing starts.
                    let at = now_iso();
                    let reused = self.event(
                        EntityType::AgentRun,
                        format!("wave-{}-agent-{agent_id}", self.wave),
                        "reused",
                        LAUNCHER_ACTOR,
                        &at,
                        json!({"agentId": agent_id, "reusedAt": at}),
                    );
                    self.append(&reused)?;
                }
                DriverRecord::GateEvaluated { gate, result, .. } => {
                    let value = serde_json::to_value(result).unwrap_or(Value::Null);
                    self.snapshot.insert(gate.clone(), value);
                }
                DriverRecord::AttemptFinished { attempt, failures } => {
                    self.attempt_finished(*attempt, failures)?
                }
                DriverRecord::RetryPlanned {
                    next_attempt,
                    agent_ids,
                    reason,
                } => {
                    self.pending_detail = Some(reason.clone());
                    let mut plan = RelaunchPlan::new(self.wave, *next_attempt, now_iso());
                    plan.selected_agent_ids = agent_ids.clone();
                    plan.resume_from_phase = reason
                        .split("resume from ")
                        .nth(1)
                        .map(|p| p.trim().to_owned());
                    wave_store::write_bytes_atomic(
                        &self.relaunch_plan,
                        plan.to_json_pretty().as_bytes(),
                    )?;
                }
                DriverRecord::ClosureGapForwarded {
                    attempt,
                    stage_key,
                    agent_id,
                    detail,
                    targets,
                } => self.closure_gap(*attempt, stage_key, agent_id, detail, targets)?,
            }
        }
        Ok(())
    }

    fn attempt_finished(&mut self, attempt: u32, failures: &[Failure]) -> Result<(), LaunchError> {
        let at = now_iso();
        let first = failures.first();
        let mut snapshot = std::mem::take(&mut self.snapshot);
        snapshot.insert(
            "overall".to_owned(),
            json!({
                "ok": failures.is_empty(),
                "agentId": first.and_then(|f| f.agent_id.clone()),
                "statusCode": first.map_or_else(|| "pass".to_owned(), |f| f.status_code.to_string()),
                "detail": first.map_or_else(
                    || "All gates passed.".to_owned(),
                    |f| f.detail.clone(),
                ),
            }),
        );
        let snapshot = Value::Object(snapshot);
        let token = self.token();
        self.append(&ControlPlaneRecord::gate_evaluated(
            &self.ctx,
            self.wave,
            attempt,
            None,
            snapshot.clone(),
            Value::Null,
            &at,
            token,
        ))?;
        self.last_snapshot = snapshot;
        let (action, detail) = if failures.is_empty() {
            (AttemptAction::Completed, None)
        } else {
            (AttemptAction::Failed, Some(failure_list(failures)))
        };
        let token = self.token();
        let mut record = ControlPlaneRecord::attempt(
            &self.ctx,
            self.wave,
            attempt,
            action,
            &self.selected,
            detail.as_deref(),
            self.attempt_created_at.as_deref(),
            &at,
            token,
        );
        record
            .data
            .insert("failures".to_owned(), failures_json(failures));
        self.append(&record)
    }

    fn closure_gap(
        &mut self,
        attempt: u32,
        stage_key: &str,
        agent_id: &str,
        detail: &str,
        targets: &[String],
    ) -> Result<(), LaunchError> {
        let now = now_iso();
        let wave = self.wave;
        let blocker = json!({
            "id": format!("wave-{wave}-closure-gap-{stage_key}-{agent_id}-attempt-{attempt}"),
            "lane": self.ctx.lane,
            "wave": wave,
            "agentId": agent_id,
            "kind": "blocker",
            "status": "open",
            "priority": "high",
            "blocking": true,
            "blockerSeverity": "closure-critical",
            "summary": format!("{stage_key} closure gap forwarded by {agent_id}"),
            "detail": detail,
            "targets": targets,
            "artifactRefs": [],
            "source": "launcher",
            "createdAt": now,
            "updatedAt": now,
            "attempt": attempt,
        });
        wave_store::append_jsonl(&self.coordination, &blocker, wave_store::AppendSync::Fsync)?;
        Ok(())
    }

    /// End of the wave: `wave_run completed|failed|blocked`. A completed wave clears its
    /// relaunch plan; a wave queued for recovery gets a one-shot retry override selecting its
    /// failed agents, announced by a `rerun_request requested` event.
    pub(super) fn wave_finished(&mut self, outcome: &WaveOutcome) -> Result<(), LaunchError> {
        let at = now_iso();
        let failures = failures_json(&outcome.failures);
        let (action, extra) = match outcome.status {
            WaveStatus::Completed => {
                remove_if_present(&self.relaunch_plan)?;
                (
                    WaveRunAction::Completed,
                    json!({"attempts": outcome.attempts, "traceDir": null,
                           "gateSnapshot": self.last_snapshot}),
                )
            }
            WaveStatus::RecoveryQueued => {
                let request_id = self.queue_recovery(outcome, &at)?;
                (
                    WaveRunAction::Blocked,
                    json!({"attempts": outcome.attempts, "traceDir": null,
                           "gateSnapshot": self.last_snapshot, "recoverable": true,
                           "rerunRequestId": request_id, "failures": failures}),
                )
            }
            WaveStatus::Blocked => (
                WaveRunAction::Blocked,
                json!({"attempts": outcome.attempts, "recoverable": false, "failures": failures}),
            ),
            WaveStatus::Failed => (
                WaveRunAction::Failed,
                json!({"attempts": outcome.attempts, "traceDir": null,
                       "gateSnapshot": self.last_snapshot, "failures": failures}),
            ),
        };
        let token = self.token();
        self.append(&ControlPlaneRecord::wave_run(
            &self.ctx,
            self.wave,
            action,
            &at,
            token,
            object(extra),
        ))
    }

    fn queue_recovery(&mut self, outcome: &WaveOutcome, at: &str) -> Result<String, LaunchError> {
        let wave = self.wave;
        let request_id = format!("rerun-wave-{wave}-{}", super::now_ms());
        let mut agents: Vec<String> = outcome
            .failures
            .iter()
            .filter_map(|f| f.agent_id.clone())
            .collect();
        agents.dedup();
        let reason = format!(
            "Auto recovery queued after recoverable execution issue(s): {}.",
            failure_list(&outcome.failures)
        );
        let request = json!({
            "requestId": request_id,
            "state": "active",
            "selectedAgentIds": agents,
            "resumeCursor": null,
            "reuseAttemptIds": [],
            "reuseProofBundleIds": [],
            "reuseDerivedSummaries": true,
            "invalidateComponentIds": [],
            "clearReusableAgentIds": agents,
            "preserveReusableAgentIds": [],
            "requestedBy": "launcher-recovery",
            "reason": reason,
            "applyOnce": true,
            "createdAt": at,
        });
        let mut event = self.event(
            EntityType::RerunRequest,
            request_id.clone(),
            "requested",
            "launcher-recovery",
            at,
            request,
        );
        event.source = "operator".to_owned();
        self.append(&event)?;
        let override_file = json!({
            "schemaVersion": 1,
            "kind": "wave-retry-override",
            "lane": self.ctx.lane,
            "wave": wave,
            "selectedAgentIds": agents,
            "reuseAttemptIds": [],
            "reuseProofBundleIds": [],
            "reuseDerivedSummaries": true,
            "invalidateComponentIds": [],
            "clearReusableAgentIds": agents,
            "preserveReusableAgentIds": [],
            "resumePhase": null,
            "requestedBy": "launcher-recovery",
            "reason": reason,
            "applyOnce": true,
            "createdAt": at,
            "requestId": request_id,
        });
        wave_store::write_json_atomic(&self.retry_override, &override_file)?;
        Ok(request_id)
    }
}

/// Reads `control/retry-override-wave-<n>.json` and, when it applies once (the default),
/// removes it: the agents whose reuse it clears (`clearReusableAgentIds`, else
/// `selectedAgentIds`). No file, no agents.
pub(super) fn take_retry_override(
    paths: &LanePaths,
    wave: u32,
) -> Result<Vec<String>, LaunchError> {
    let path = paths.retry_override(WaveNumber::from(wave));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let ids = |key: &str| -> Vec<String> {
        value[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::trim).filter(|s| !s.is_empty()))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut agents = ids("clearReusableAgentIds");
    if agents.is_empty() {
        agents = ids("selectedAgentIds");
    }
    if value["applyOnce"] != Value::Bool(false) {
        remove_if_present(&path)?;
    }
    Ok(agents)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn failures_json(failures: &[Failure]) -> Value {
    Value::Array(
        failures
            .iter()
            .map(|f| {
                json!({
                    "agentId": f.agent_id,
                    "statusCode": f.status_code.to_string(),
                    "detail": f.detail,
                })
            })
            .collect(),
    )
}

/// `A1:wave-proof-gap, A8:integration-needs-more-work` (upstream's attempt detail).
fn failure_list(failures: &[Failure]) -> String {
    failures
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f.agent_id.as_deref().unwrap_or("wave"),
                f.status_code
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn remove_if_present(path: &Path) -> Result<(), LaunchError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(LaunchError::from(wave_store::StoreError::Io {
            op: "remove",
            path: path.to_path_buf(),
            source,
        })),
    }
}
