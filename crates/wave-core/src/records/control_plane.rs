//! Control-plane lifecycle events (`control-plane/wave-<n>.jsonl`): one JSON object per line,
//! `{recordVersion: 1, id, lane, wave, runKind, runId, entityType, entityId, action, source,
//! actor, recordedAt, attempt, data}`.
//!
//! Constructors cover what the launcher writes about runs: `wave_run`
//! started/completed/failed/blocked, `attempt` running/completed/failed, `agent_run`
//! started/completed/failed/timed_out and `gate` evaluated, with upstream's entity ids
//! (`wave-<n>`, `wave-<n>-attempt-<a>`, `wave-<n>-attempt-<a>-agent-<id>`,
//! `wave-<n>-attempt-<a>-gate`), `source`/`actor` values and `data` keys. Record ids are
//! `ctrl-<entityType>-<8 hex digits>`; the caller supplies the random token.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{js, RecordError};

/// `source`/`actor` upstream gives run lifecycle events.
pub const SUPERVISOR_ACTOR: &str = "session-supervisor";
/// `source`/`actor` of gate events.
pub const LAUNCHER_ACTOR: &str = "launcher";

pub(crate) use crate::vocab::string_enum as spelled_enum;

spelled_enum! {
    /// `entityType` of a control-plane event.
    EntityType {
        /** `task`. */ Task => "task",
        /** `proof_bundle`. */ ProofBundle => "proof_bundle",
        /** `rerun_request`. */ RerunRequest => "rerun_request",
        /** `attempt`. */ Attempt => "attempt",
        /** `human_input`. */ HumanInput => "human_input",
        /** `contradiction`. */ Contradiction => "contradiction",
        /** `fact`. */ Fact => "fact",
        /** `wave_run`. */ WaveRun => "wave_run",
        /** `agent_run`. */ AgentRun => "agent_run",
        /** `wave_signal`. */ WaveSignal => "wave_signal",
        /** `agent_signal`. */ AgentSignal => "agent_signal",
        /** `coordination_record`. */ CoordinationRecord => "coordination_record",
        /** `gate`. */ Gate => "gate",
        /** `artifact`. */ Artifact => "artifact",
    }
}

spelled_enum! {
    /// `runKind` of a control-plane event.
    RunKind {
        /** `roadmap`: a lane's numbered waves. */ Roadmap => "roadmap",
        /** `adhoc`. */ Adhoc => "adhoc",
        /** `benchmark`. */ Benchmark => "benchmark",
        /** `service`. */ Service => "service",
        /** `unknown`. */ Unknown => "unknown",
    }
}

spelled_enum! {
    /// `action` of a `wave_run` event.
    WaveRunAction {
        /** The wave started. */ Started => "started",
        /** The wave completed. */ Completed => "completed",
        /** The wave failed. */ Failed => "failed",
        /** The wave is blocked (recovery queued). */ Blocked => "blocked",
    }
}

spelled_enum! {
    /// `action` (and `data.state`) of an `attempt` event.
    AttemptAction {
        /** The attempt is running. */ Running => "running",
        /** The attempt completed. */ Completed => "completed",
        /** The attempt failed. */ Failed => "failed",
    }
}

spelled_enum! {
    /// `action` of an `agent_run` event.
    AgentRunAction {
        /** Launched. */ Started => "started",
        /** Exited with code 0. */ Completed => "completed",
        /** Exited non-zero (or no status). */ Failed => "failed",
        /** Killed at its deadline. */ TimedOut => "timed_out",
    }
}

/// The lane-level fields every event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlPlaneContext {
    /// Lane.
    pub lane: String,
    /// Run kind (`roadmap` for lane waves).
    pub run_kind: RunKind,
    /// Ad-hoc run id, if any.
    pub run_id: Option<String>,
}

/// One control-plane event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlaneRecord {
    /// Always 1.
    pub record_version: u32,
    /// `ctrl-<entityType>-<hex>`.
    pub id: String,
    /// Lane.
    pub lane: String,
    /// Wave number.
    pub wave: u32,
    /// Run kind.
    pub run_kind: RunKind,
    /// Ad-hoc run id.
    pub run_id: Option<String>,
    /// Entity type.
    pub entity_type: EntityType,
    /// Entity id.
    pub entity_id: String,
    /// Action (lower-case).
    pub action: String,
    /// Source.
    pub source: String,
    /// Actor.
    pub actor: String,
    /// When (ISO-8601).
    pub recorded_at: String,
    /// Attempt number, when the event belongs to one.
    pub attempt: Option<u32>,
    /// Event payload.
    pub data: Map<String, Value>,
}

/// Upstream's record id: `ctrl-<entityType>-<token as 8 hex digits>`.
pub fn record_id(entity_type: EntityType, token: u32) -> String {
    format!("ctrl-{}-{token:08x}", entity_type.as_str())
}

fn merge(mut base: Map<String, Value>, extra: Map<String, Value>) -> Map<String, Value> {
    for (key, value) in extra {
        base.insert(key, value);
    }
    base
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl ControlPlaneRecord {
    #[allow(clippy::too_many_arguments)]
    fn build(
        ctx: &ControlPlaneContext,
        wave: u32,
        entity_type: EntityType,
        entity_id: String,
        action: &str,
        actor: &str,
        attempt: Option<u32>,
        recorded_at: &str,
        token: u32,
        data: Map<String, Value>,
    ) -> Self {
        ControlPlaneRecord {
            record_version: 1,
            id: record_id(entity_type, token),
            lane: ctx.lane.clone(),
            wave,
            run_kind: ctx.run_kind,
            run_id: ctx.run_id.clone(),
            entity_type,
            entity_id,
            action: action.to_owned(),
            source: actor.to_owned(),
            actor: actor.to_owned(),
            recorded_at: recorded_at.to_owned(),
            attempt,
            data,
        }
    }

    /// A `wave_run` event. `data` = `{waveId, waveNumber, updatedAt}` then `extra` (upstream
    /// passes `agentIds, runVariant` when started; `attempts, traceDir, gateSnapshot` when
    /// completed; plus `failures` (and `recoverable, rerunRequestId` when blocked)).
    pub fn wave_run(
        ctx: &ControlPlaneContext,
        wave: u32,
        action: WaveRunAction,
        recorded_at: &str,
        token: u32,
        extra: Map<String, Value>,
    ) -> Self {
        let data = merge(
            object(json!({
                "waveId": format!("wave-{wave}"),
                "waveNumber": wave,
                "updatedAt": recorded_at,
            })),
            extra,
        );
        Self::build(
            ctx,
            wave,
            EntityType::WaveRun,
            format!("wave-{wave}"),
            action.as_str(),
            SUPERVISOR_ACTOR,
            None,
            recorded_at,
            token,
            data,
        )
    }

    /// An `attempt` event: `data` = `{attemptId, attemptNumber, state, selectedAgentIds,
    /// detail, updatedAt[, createdAt]}`.
    #[allow(clippy::too_many_arguments)]
    pub fn attempt(
        ctx: &ControlPlaneContext,
        wave: u32,
        attempt: u32,
        action: AttemptAction,
        selected_agent_ids: &[String],
        detail: Option<&str>,
        created_at: Option<&str>,
        recorded_at: &str,
        token: u32,
    ) -> Self {
        let id = format!("wave-{wave}-attempt-{attempt}");
        let mut data = object(json!({
            "attemptId": id,
            "attemptNumber": attempt,
            "state": action.as_str(),
            "selectedAgentIds": selected_agent_ids,
            "detail": detail,
            "updatedAt": recorded_at,
        }));
        if let Some(created_at) = created_at {
            data.insert("createdAt".to_owned(), Value::String(created_at.to_owned()));
        }
        Self::build(
            ctx,
            wave,
            EntityType::Attempt,
            id,
            action.as_str(),
            SUPERVISOR_ACTOR,
            Some(attempt),
            recorded_at,
            token,
            data,
        )
    }

    /// An `agent_run started` event: `data` = `{agentId, attemptNumber, sessionName,
    /// executorId, promptPath, statusPath, logPath, startedAt}`.
    #[allow(clippy::too_many_arguments)]
    pub fn agent_run_started(
        ctx: &ControlPlaneContext,
        wave: u32,
        attempt: u32,
        agent_id: &str,
        run: &AgentRunPaths,
        recorded_at: &str,
        token: u32,
    ) -> Self {
        let data = object(json!({
            "agentId": agent_id,
            "attemptNumber": attempt,
            "sessionName": run.session_name,
            "executorId": run.executor_id,
            "promptPath": run.prompt_path,
            "statusPath": run.status_path,
            "logPath": run.log_path,
            "startedAt": recorded_at,
        }));
        Self::build(
            ctx,
            wave,
            EntityType::AgentRun,
            format!("wave-{wave}-attempt-{attempt}-agent-{agent_id}"),
            AgentRunAction::Started.as_str(),
            SUPERVISOR_ACTOR,
            Some(attempt),
            recorded_at,
            token,
            data,
        )
    }

    /// An `agent_run` completion event (`completed`, `failed` or `timed_out`, see
    /// [`AgentRunFinish::action`]): `data` = `{agentId, attemptNumber, exitCode, completedAt,
    /// promptHash, executorId, statusCode, detail, logPath, statusPath}`.
    #[allow(clippy::too_many_arguments)]
    pub fn agent_run_finished(
        ctx: &ControlPlaneContext,
        wave: u32,
        attempt: u32,
        agent_id: &str,
        run: &AgentRunPaths,
        finish: &AgentRunFinish,
        recorded_at: &str,
        token: u32,
    ) -> Self {
        let data = object(json!({
            "agentId": agent_id,
            "attemptNumber": attempt,
            "exitCode": finish.exit_code,
            "completedAt": finish.completed_at.as_deref().unwrap_or(recorded_at),
            "promptHash": finish.prompt_hash,
            "executorId": run.executor_id,
            "statusCode": finish.failure_code,
            "detail": finish.failure_detail,
            "logPath": run.log_path,
            "statusPath": run.status_path,
        }));
        Self::build(
            ctx,
            wave,
            EntityType::AgentRun,
            format!("wave-{wave}-attempt-{attempt}-agent-{agent_id}"),
            finish.action().as_str(),
            SUPERVISOR_ACTOR,
            Some(attempt),
            recorded_at,
            token,
            data,
        )
    }

    /// A `gate evaluated` event (source and actor `launcher`): `data` = `{attemptNumber,
    /// traceDir, gateSnapshot, qualitySummary}`.
    #[allow(clippy::too_many_arguments)]
    pub fn gate_evaluated(
        ctx: &ControlPlaneContext,
        wave: u32,
        attempt: u32,
        trace_dir: Option<&str>,
        gate_snapshot: Value,
        quality_summary: Value,
        recorded_at: &str,
        token: u32,
    ) -> Self {
        let data = object(json!({
            "attemptNumber": attempt,
            "traceDir": trace_dir,
            "gateSnapshot": gate_snapshot,
            "qualitySummary": quality_summary,
        }));
        Self::build(
            ctx,
            wave,
            EntityType::Gate,
            format!("wave-{wave}-attempt-{attempt}-gate"),
            "evaluated",
            LAUNCHER_ACTOR,
            Some(attempt),
            recorded_at,
            token,
            data,
        )
    }

    /// The JSONL line (compact JSON, no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Parses one JSONL line with upstream's normalization (lower-cased entity type and action,
    /// `source` defaulting to `launcher`, unknown `runKind` is an error like upstream's).
    pub fn parse_line(line: &str) -> Result<Self, RecordError> {
        const WHAT: &str = "control-plane event";
        let map = super::parse_object(line, WHAT)?;
        let entity_text = js::text(&map, "entityType").unwrap_or_default();
        let entity_type =
            EntityType::parse(&entity_text).ok_or_else(|| RecordError::InvalidValue {
                what: WHAT,
                field: "entityType",
                value: entity_text.clone(),
                allowed: super::allowed(EntityType::ALL, EntityType::as_str),
            })?;
        let kind_text = js::text(&map, "runKind").unwrap_or_else(|| "roadmap".to_owned());
        let run_kind = RunKind::parse(&kind_text).ok_or_else(|| RecordError::InvalidValue {
            what: WHAT,
            field: "runKind",
            value: kind_text.clone(),
            allowed: super::allowed(RunKind::ALL, RunKind::as_str),
        })?;
        let required = |field: &'static str| {
            js::text(&map, field).ok_or(RecordError::MissingField { what: WHAT, field })
        };
        let lane = required("lane")?;
        let entity_id = required("entityId")?;
        let action = required("action")?.to_lowercase();
        let wave = map
            .get("wave")
            .and_then(js::non_negative)
            .ok_or(RecordError::MissingField {
                what: WHAT,
                field: "wave",
            })?;
        Ok(ControlPlaneRecord {
            record_version: 1,
            id: js::text(&map, "id").unwrap_or_default(),
            lane,
            wave,
            run_kind,
            run_id: js::text(&map, "runId"),
            entity_type,
            entity_id,
            action,
            source: js::text(&map, "source").unwrap_or_else(|| LAUNCHER_ACTOR.to_owned()),
            actor: js::text(&map, "actor").unwrap_or_default(),
            recorded_at: js::text(&map, "recordedAt").unwrap_or_default(),
            attempt: map.get("attempt").and_then(js::non_negative),
            data: js::object(&map, "data").unwrap_or_default(),
        })
    }
}

/// Paths and ids of one agent run, as recorded in `agent_run` events (repo-relative paths).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentRunPaths {
    /// Terminal/session name, if any.
    pub session_name: Option<String>,
    /// Executor id.
    pub executor_id: Option<String>,
    /// Compiled prompt path.
    pub prompt_path: Option<String>,
    /// Status file path.
    pub status_path: Option<String>,
    /// Log path.
    pub log_path: Option<String>,
}

/// How an agent run ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentRunFinish {
    /// `code` of the status record (None when there is none).
    pub exit_code: Option<i64>,
    /// `completedAt` of the status record.
    pub completed_at: Option<String>,
    /// `promptHash` of the status record (or the launch's).
    pub prompt_hash: Option<String>,
    /// Wait-failure status code (`timeout-no-status`, `missing-status`, …), if any.
    pub failure_code: Option<String>,
    /// Wait-failure detail.
    pub failure_detail: Option<String>,
}

impl AgentRunFinish {
    /// `timed_out` for `timeout-no-status`/`timed_out` failures, else `completed` when the code
    /// is 0, else `failed`.
    pub fn action(&self) -> AgentRunAction {
        match self.failure_code.as_deref() {
            Some("timeout-no-status" | "timed_out") => AgentRunAction::TimedOut,
            _ if self.exit_code == Some(0) => AgentRunAction::Completed,
            _ => AgentRunAction::Failed,
        }
    }
}
