//! What the launcher appends to the lane's logs: control-plane lifecycle records
//! (`control-plane/wave-<n>.jsonl`) and closure-gap blockers (`coordination/wave-<n>.jsonl`).

use std::path::Path;

use serde_json::json;
use wave_core::driver::DriverRecord;
use wave_core::timefmt::iso8601_millis;

use super::{now_iso, now_ms, LaunchError, LaunchOptions};

/// Appends one control-plane record (`control-plane/wave-<n>.jsonl`).
#[allow(clippy::too_many_arguments)]
pub(super) fn append_control(
    path: &Path,
    lane: &str,
    wave: u32,
    attempt: u32,
    entity_type: &str,
    entity_id: &str,
    action: &str,
    data: serde_json::Value,
    options: &LaunchOptions,
) -> Result<(), LaunchError> {
    let at = now_ms();
    let record = json!({
        "recordVersion": 1,
        "id": format!("{entity_type}-{lane}-{wave}-{entity_id}-{action}-{at}"),
        "lane": lane,
        "wave": wave,
        "runKind": if options.run_id.is_some() { "supervised" } else { "roadmap" },
        "runId": options.run_id.map(|r| r.to_string()),
        "entityType": entity_type,
        "entityId": entity_id,
        "action": action,
        "source": "launcher",
        "actor": options.orchestrator_id,
        "recordedAt": iso8601_millis(at),
        "attempt": attempt,
        "data": data,
    });
    wave_store::append_jsonl(path, &record, wave_store::AppendSync::Buffered)?;
    Ok(())
}

/// Persists the driver's records: lifecycle events to the control plane, forwarded closure gaps
/// as closure-critical blockers to the coordination log.
pub(super) fn persist(
    records: &[DriverRecord],
    control_plane: &Path,
    coordination: &Path,
    lane: &str,
    wave: u32,
    options: &LaunchOptions,
) -> Result<(), LaunchError> {
    for record in records {
        match record {
            DriverRecord::AttemptStarted { attempt, agent_ids } => append_control(
                control_plane,
                lane,
                wave,
                *attempt,
                "attempt",
                &attempt.to_string(),
                "running",
                json!({"agentIds": agent_ids}),
                options,
            )?,
            DriverRecord::AgentReused { agent_id } => append_control(
                control_plane,
                lane,
                wave,
                0,
                "agent_run",
                agent_id,
                "reused",
                json!({}),
                options,
            )?,
            DriverRecord::GateEvaluated {
                attempt,
                gate,
                result,
            } => append_control(
                control_plane,
                lane,
                wave,
                *attempt,
                "gate",
                gate,
                "evaluated",
                serde_json::to_value(result).unwrap_or_default(),
                options,
            )?,
            DriverRecord::AttemptFinished { attempt, failures } => {
                let action = if failures.is_empty() {
                    "completed"
                } else {
                    "failed"
                };
                append_control(
                    control_plane,
                    lane,
                    wave,
                    *attempt,
                    "attempt",
                    &attempt.to_string(),
                    action,
                    json!({"failures": failures}),
                    options,
                )?
            }
            DriverRecord::RetryPlanned {
                next_attempt,
                agent_ids,
                reason,
            } => append_control(
                control_plane,
                lane,
                wave,
                *next_attempt,
                "attempt",
                &next_attempt.to_string(),
                "retry_planned",
                json!({"agentIds": agent_ids, "reason": reason}),
                options,
            )?,
            DriverRecord::ClosureGapForwarded {
                attempt,
                stage_key,
                agent_id,
                detail,
                targets,
            } => {
                let now = now_iso();
                let blocker = json!({
                    "id": format!("wave-{wave}-closure-gap-{stage_key}-{agent_id}-attempt-{attempt}"),
                    "lane": lane,
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
                wave_store::append_jsonl(coordination, &blocker, wave_store::AppendSync::Fsync)?;
                append_control(
                    control_plane,
                    lane,
                    wave,
                    *attempt,
                    "gate",
                    stage_key,
                    "closure_gap_forwarded",
                    json!({"agentId": agent_id, "detail": detail, "targets": targets}),
                    options,
                )?;
            }
        }
    }
    Ok(())
}
