//! Coordination records (`coordination/wave-<n>.jsonl`): the append-only log agents and the
//! launcher write requests, blockers, claims, evidence and human records to.
//!
//! Semantics (launcher §4.9, upstream v0.9.1): every line is a full normalized record; a later
//! record with the same `id` merges over the earlier one (keeping the first `createdAt`), after
//! ordering by `updatedAt` then `id` ([`materialize`]). A record blocks the wave
//! ([`CoordinationRecord::is_blocking`]) when its status is open (`open`, `acknowledged`,
//! `in_progress`), `blocking` is not false and its severity is not `stale`/`advisory`.
//! Defaults when a field is absent: `blocking` true for request, blocker,
//! clarification-request, human-escalation and human-feedback; severity `advisory` when not
//! blocking, `hard` for human records, `closure-critical` for requests, `hard`/`soft` for
//! blockers by priority (high/urgent → hard), else `advisory`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::control_plane::spelled_enum;
use super::{js, RecordError};

spelled_enum! {
    /// `kind` of a coordination record.
    CoordinationKind {
        /** `request`. */ Request => "request",
        /** `ack`. */ Ack => "ack",
        /** `claim`. */ Claim => "claim",
        /** `evidence`. */ Evidence => "evidence",
        /** `decision`. */ Decision => "decision",
        /** `blocker`. */ Blocker => "blocker",
        /** `handoff`. */ Handoff => "handoff",
        /** `clarification-request`. */ ClarificationRequest => "clarification-request",
        /** `orchestrator-guidance`. */ OrchestratorGuidance => "orchestrator-guidance",
        /** `resolved-by-policy`. */ ResolvedByPolicy => "resolved-by-policy",
        /** `human-escalation`. */ HumanEscalation => "human-escalation",
        /** `human-feedback`. */ HumanFeedback => "human-feedback",
        /** `integration-summary`. */ IntegrationSummary => "integration-summary",
    }
}

spelled_enum! {
    /// `status` of a coordination record.
    CoordinationStatus {
        /** `open`. */ Open => "open",
        /** `acknowledged`. */ Acknowledged => "acknowledged",
        /** `in_progress`. */ InProgress => "in_progress",
        /** `resolved`. */ Resolved => "resolved",
        /** `closed`. */ Closed => "closed",
        /** `superseded`. */ Superseded => "superseded",
        /** `cancelled`. */ Cancelled => "cancelled",
    }
}

spelled_enum! {
    /// `priority` of a coordination record.
    CoordinationPriority {
        /** `low`. */ Low => "low",
        /** `normal`. */ Normal => "normal",
        /** `high`. */ High => "high",
        /** `urgent`. */ Urgent => "urgent",
    }
}

spelled_enum! {
    /// `confidence` of a coordination record.
    CoordinationConfidence {
        /** `low`. */ Low => "low",
        /** `medium`. */ Medium => "medium",
        /** `high`. */ High => "high",
    }
}

spelled_enum! {
    /// `blockerSeverity` of a coordination record.
    BlockerSeverity {
        /** `hard`. */ Hard => "hard",
        /** `soft`. */ Soft => "soft",
        /** `stale`: never blocks. */ Stale => "stale",
        /** `advisory`: never blocks. */ Advisory => "advisory",
        /** `proof-critical`. */ ProofCritical => "proof-critical",
        /** `closure-critical`. */ ClosureCritical => "closure-critical",
    }
}

spelled_enum! {
    /// Closure stage keys (in sweep order), as used in closure-gap record ids.
    ClosureStageKey {
        /** cont-EVAL. */ ContEval => "cont-eval",
        /** Security review. */ SecurityReview => "security-review",
        /** Integration. */ Integration => "integration",
        /** Documentation. */ Documentation => "documentation",
        /** cont-QA. */ ContQa => "cont-qa",
    }
}

impl CoordinationStatus {
    /// `open`, `acknowledged` or `in_progress`.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CoordinationStatus::Open
                | CoordinationStatus::Acknowledged
                | CoordinationStatus::InProgress
        )
    }
}

impl CoordinationKind {
    /// Whether records of this kind block by default.
    pub fn blocks_by_default(self) -> bool {
        matches!(
            self,
            CoordinationKind::Request
                | CoordinationKind::Blocker
                | CoordinationKind::ClarificationRequest
                | CoordinationKind::HumanEscalation
                | CoordinationKind::HumanFeedback
        )
    }
}

/// The default severity of a record without an explicit one.
pub fn default_severity(
    kind: CoordinationKind,
    priority: CoordinationPriority,
    blocking: bool,
) -> BlockerSeverity {
    use CoordinationKind as K;
    if !blocking {
        return BlockerSeverity::Advisory;
    }
    match kind {
        K::HumanEscalation | K::HumanFeedback => BlockerSeverity::Hard,
        K::Request | K::ClarificationRequest => BlockerSeverity::ClosureCritical,
        K::Blocker => match priority {
            CoordinationPriority::High | CoordinationPriority::Urgent => BlockerSeverity::Hard,
            _ => BlockerSeverity::Soft,
        },
        _ => BlockerSeverity::Advisory,
    }
}

/// One normalized coordination record (upstream's full field set, in its order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoordinationRecord {
    /// Always 1.
    pub record_version: u32,
    /// Record id (merge key).
    pub id: String,
    /// Kind.
    pub kind: CoordinationKind,
    /// Wave number.
    pub wave: u32,
    /// Lane.
    pub lane: String,
    /// Author (`launcher` for launcher records).
    pub agent_id: String,
    /// Targets (`agent:<id>`, `capability:<name>`).
    pub targets: Vec<String>,
    /// Status.
    pub status: CoordinationStatus,
    /// Priority.
    pub priority: CoordinationPriority,
    /// Whether it may block.
    pub blocking: bool,
    /// Severity.
    pub blocker_severity: BlockerSeverity,
    /// Artifact references (paths).
    pub artifact_refs: Vec<String>,
    /// Record ids it depends on.
    pub depends_on: Vec<String>,
    /// Closure condition (e.g. `clarification:<id>`), empty when none.
    pub closure_condition: String,
    /// Creation time.
    pub created_at: String,
    /// Last update time.
    pub updated_at: String,
    /// Confidence.
    pub confidence: CoordinationConfidence,
    /// One-line summary.
    pub summary: String,
    /// Detail.
    pub detail: String,
    /// Attempt, if any.
    pub attempt: Option<i64>,
    /// Source (`launcher` default).
    pub source: String,
    /// Executor id, empty when none.
    pub executor_id: String,
    /// Project, empty when none.
    pub project: String,
    /// Requesting lane (cross-lane dependencies).
    pub requester_lane: String,
    /// Owning lane.
    pub owner_lane: String,
    /// Requesting project.
    pub requester_project: String,
    /// Owning project.
    pub owner_project: String,
    /// Requesting wave.
    pub requester_wave: Option<i64>,
    /// Owning wave.
    pub owner_wave: Option<i64>,
    /// Whether the dependency is required.
    pub required: bool,
}

impl CoordinationRecord {
    /// A record with upstream's defaults for `kind` (status `open`, or `resolved` for
    /// `resolved-by-policy`; priority `normal`; confidence `medium`; default blocking and
    /// severity; `updatedAt = createdAt`; source `launcher`).
    pub fn new(
        id: impl Into<String>,
        kind: CoordinationKind,
        lane: impl Into<String>,
        wave: u32,
        agent_id: impl Into<String>,
        created_at: impl Into<String>,
    ) -> Self {
        let created_at = created_at.into();
        let priority = CoordinationPriority::Normal;
        let blocking = kind.blocks_by_default();
        CoordinationRecord {
            record_version: 1,
            id: id.into(),
            kind,
            wave,
            lane: lane.into(),
            agent_id: agent_id.into(),
            targets: Vec::new(),
            status: if kind == CoordinationKind::ResolvedByPolicy {
                CoordinationStatus::Resolved
            } else {
                CoordinationStatus::Open
            },
            priority,
            blocking,
            blocker_severity: default_severity(kind, priority, blocking),
            artifact_refs: Vec::new(),
            depends_on: Vec::new(),
            closure_condition: String::new(),
            updated_at: created_at.clone(),
            created_at,
            confidence: CoordinationConfidence::Medium,
            summary: String::new(),
            detail: String::new(),
            attempt: None,
            source: "launcher".to_owned(),
            executor_id: String::new(),
            project: String::new(),
            requester_lane: String::new(),
            owner_lane: String::new(),
            requester_project: String::new(),
            owner_project: String::new(),
            requester_wave: None,
            owner_wave: None,
            required: false,
        }
    }

    /// Whether the record blocks the wave: open status, `blocking` not false, and a severity
    /// other than `stale`/`advisory`.
    pub fn is_blocking(&self) -> bool {
        self.status.is_open()
            && self.blocking
            && !matches!(
                self.blocker_severity,
                BlockerSeverity::Stale | BlockerSeverity::Advisory
            )
    }

    /// Whether it blocks with a hard severity (`hard`, `proof-critical`, `closure-critical`).
    pub fn is_hard_blocker(&self) -> bool {
        self.is_blocking()
            && matches!(
                self.blocker_severity,
                BlockerSeverity::Hard
                    | BlockerSeverity::ProofCritical
                    | BlockerSeverity::ClosureCritical
            )
    }

    /// The JSONL line (compact JSON, no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Parses and normalizes one JSONL line like upstream's reader: enums are lower-cased and
    /// must be known, `lane`, `wave` and `agentId` are required, absent fields take the
    /// defaults of [`CoordinationRecord::new`]; `now` stands in for a missing `createdAt`.
    pub fn parse_line(line: &str, now: &str) -> Result<Self, RecordError> {
        let map = super::parse_object(line, WHAT)?;
        Self::from_object(&map, now)
    }

    /// Normalizes a parsed object (see [`CoordinationRecord::parse_line`]).
    pub fn from_object(map: &Map<String, Value>, now: &str) -> Result<Self, RecordError> {
        let kind_text = js::text(map, "kind").unwrap_or_default();
        let kind = vocab(
            &kind_text,
            "kind",
            CoordinationKind::parse,
            CoordinationKind::ALL,
            CoordinationKind::as_str,
        )?;
        let required = |field: &'static str| {
            js::text(map, field).ok_or(RecordError::MissingField { what: WHAT, field })
        };
        let lane = required("lane")?;
        let agent_id = required("agentId")?;
        let wave = map
            .get("wave")
            .and_then(js::non_negative)
            .ok_or(RecordError::MissingField {
                what: WHAT,
                field: "wave",
            })?;
        let created_at = js::text(map, "createdAt").unwrap_or_else(|| now.to_owned());
        let id = js::text(map, "id").unwrap_or_default();
        let mut record = CoordinationRecord::new(id, kind, lane, wave, agent_id, created_at);
        if let Some(text) = js::text(map, "status") {
            record.status = vocab(
                &text,
                "status",
                CoordinationStatus::parse,
                CoordinationStatus::ALL,
                CoordinationStatus::as_str,
            )?;
        }
        if let Some(text) = js::text(map, "priority") {
            record.priority = vocab(
                &text,
                "priority",
                CoordinationPriority::parse,
                CoordinationPriority::ALL,
                CoordinationPriority::as_str,
            )?;
        }
        if let Some(text) = js::text(map, "confidence") {
            record.confidence = vocab(
                &text,
                "confidence",
                CoordinationConfidence::parse,
                CoordinationConfidence::ALL,
                CoordinationConfidence::as_str,
            )?;
        }
        record.blocking = optional_bool(map.get("blocking")).unwrap_or(kind.blocks_by_default());
        record.blocker_severity = match js::text(map, "blockerSeverity") {
            Some(text) => vocab(
                &text,
                "blockerSeverity",
                BlockerSeverity::parse,
                BlockerSeverity::ALL,
                BlockerSeverity::as_str,
            )?,
            None => default_severity(kind, record.priority, record.blocking),
        };
        if let Some(updated) = js::text(map, "updatedAt") {
            record.updated_at = updated;
        }
        record.targets = js::string_set(map, "targets");
        record.artifact_refs = js::string_set(map, "artifactRefs");
        record.depends_on = js::string_set(map, "dependsOn");
        let text = |key: &str| js::text(map, key).unwrap_or_default();
        record.closure_condition = text("closureCondition");
        record.summary = text("summary");
        record.detail = text("detail");
        record.source = js::text(map, "source").unwrap_or_else(|| "launcher".to_owned());
        record.executor_id = text("executorId");
        record.project = text("project");
        record.requester_lane = text("requesterLane");
        record.owner_lane = text("ownerLane");
        record.requester_project = text("requesterProject");
        record.owner_project = text("ownerProject");
        let int = |key: &str| js::text(map, key).and_then(|t| js::parse_int_prefix(&t));
        record.attempt = int("attempt");
        record.requester_wave = int("requesterWave");
        record.owner_wave = int("ownerWave");
        record.required = truthy(map.get("required"));
        Ok(record)
    }

    /// Parses a whole log; the first bad line is an error naming its (1-based) line number.
    /// Blank lines are skipped.
    pub fn parse_log(text: &str, now: &str) -> Result<Vec<Self>, RecordError> {
        let mut out = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let record = Self::parse_line(line, now).map_err(|err| RecordError::AtLine {
                line: index + 1,
                source: Box::new(err),
            })?;
            out.push(record);
        }
        Ok(out)
    }
}

const WHAT: &str = "coordination record";

fn vocab<T: Copy>(
    text: &str,
    field: &'static str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    as_str: fn(T) -> &'static str,
) -> Result<T, RecordError> {
    parse(text).ok_or_else(|| RecordError::InvalidValue {
        what: WHAT,
        field,
        value: text.to_owned(),
        allowed: super::allowed(all, as_str),
    })
}

fn optional_bool(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "1" | "true" | "yes" | "y" | "on" => Some(true),
            "0" | "false" | "no" | "n" | "off" => Some(false),
            _ => Some(true),
        },
        other => Some(truthy(Some(other))),
    }
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// Materializes a log: orders by `updatedAt` (then `id`), merges records with the same id
/// (later fields win, the first `createdAt` is kept) and returns the latest record per id in
/// the same order. Unparseable `updatedAt` values sort first.
pub fn materialize(records: &[CoordinationRecord]) -> Vec<CoordinationRecord> {
    let mut ordered: Vec<&CoordinationRecord> = records.iter().collect();
    ordered.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    let mut latest: Vec<CoordinationRecord> = Vec::new();
    for record in ordered {
        if let Some(existing) = latest.iter_mut().find(|r| r.id == record.id) {
            let created_at = existing.created_at.clone();
            *existing = record.clone();
            existing.created_at = created_at;
        } else {
            latest.push(record.clone());
        }
    }
    latest.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    latest
}

fn sort_key(record: &CoordinationRecord) -> (i64, &str) {
    (
        parse_iso_millis(&record.updated_at).unwrap_or(i64::MIN),
        record.id.as_str(),
    )
}

/// Milliseconds since the epoch of `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]` (no zone = UTC).
pub fn parse_iso_millis(text: &str) -> Option<i64> {
    let t = text.trim();
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let year = num(t.get(0..4)?)?;
    if t.get(4..5)? != "-" || t.get(7..8)? != "-" {
        return None;
    }
    let month = num(t.get(5..7)?)?;
    let day = num(t.get(8..10)?)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut rest = t.get(10..)?;
    let (mut hour, mut minute, mut second, mut millis, mut offset_min) = (0, 0, 0, 0, 0);
    if let Some(time) = rest.strip_prefix('T') {
        hour = num(time.get(0..2)?)?;
        if time.get(2..3)? != ":" {
            return None;
        }
        minute = num(time.get(3..5)?)?;
        rest = time.get(5..)?;
        if let Some(sec) = rest.strip_prefix(':') {
            second = num(sec.get(0..2)?)?;
            rest = sec.get(2..)?;
            if let Some(frac) = rest.strip_prefix('.') {
                let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
                let padded = format!("{:0<3}", frac.get(..digits.min(3))?);
                millis = num(&padded)?;
                rest = frac.get(digits..)?;
            }
        }
        if hour > 24 || minute > 59 || second > 59 {
            return None;
        }
        if rest == "Z" || rest.is_empty() {
            rest = "";
        } else {
            let sign = match rest.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let oh = num(rest.get(1..3)?)?;
            let om = num(rest.get(rest.len().checked_sub(2)?..)?)?;
            offset_min = sign * (oh * 60 + om);
            rest = "";
        }
    }
    if !rest.is_empty() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((((days * 24 + hour) * 60 + minute - offset_min) * 60 + second) * 1000 + millis)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The forwarded closure-gap blocker (launcher §4.5): id
/// `wave-<n>-closure-gap-<stageKey>-<agentId>-attempt-<a>`, kind `blocker`, status `open`,
/// priority `high`, blocking, severity `closure-critical`, `detail` = the gate detail,
/// `artifactRefs` = the log path, `targets` = `agent:<id>` for every later-stage agent.
#[allow(clippy::too_many_arguments)]
pub fn closure_gap_blocker(
    lane: &str,
    wave: u32,
    stage: ClosureStageKey,
    agent_id: &str,
    attempt: u32,
    detail: &str,
    log_path: Option<&str>,
    later_stage_agent_ids: &[String],
    now: &str,
) -> CoordinationRecord {
    let attempt = attempt.max(1);
    let mut record = CoordinationRecord::new(
        format!(
            "wave-{wave}-closure-gap-{}-{agent_id}-attempt-{attempt}",
            stage.as_str()
        ),
        CoordinationKind::Blocker,
        lane,
        wave,
        agent_id,
        now,
    );
    record.priority = CoordinationPriority::High;
    record.blocking = true;
    record.blocker_severity = BlockerSeverity::ClosureCritical;
    record.summary = format!(
        "Closure stage {} found a proof gap; later closure stages were told and still run.",
        stage.as_str()
    );
    record.detail = detail.trim().to_owned();
    record.artifact_refs = log_path
        .filter(|p| !p.trim().is_empty())
        .map(|p| vec![p.trim().to_owned()])
        .unwrap_or_default();
    record.targets = dedupe(later_stage_agent_ids.iter().map(|id| format!("agent:{id}")));
    record.attempt = Some(i64::from(attempt));
    record
}

/// Why an agent is relaunched, for [`repair_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReason {
    /// The failure's recovery reason, else its status code.
    pub code: String,
    /// The failure's detail, if any.
    pub detail: Option<String>,
}

/// The non-blocking repair request appended for each relaunched agent (launcher §4.7): id
/// `repair-wave-<n>-attempt-<a>-<id>`, author `launcher`, kind `request`, target
/// `agent:<id>`, priority `normal`, status `open`, `blocking: false`, severity `soft`.
pub fn repair_request(
    lane: &str,
    wave: u32,
    attempt: u32,
    agent_id: &str,
    reason: Option<&RepairReason>,
    now: &str,
) -> CoordinationRecord {
    let mut record = CoordinationRecord::new(
        format!("repair-wave-{wave}-attempt-{attempt}-{agent_id}"),
        CoordinationKind::Request,
        lane,
        wave,
        "launcher",
        now,
    );
    record.targets = vec![format!("agent:{agent_id}")];
    record.blocking = false;
    record.blocker_severity = BlockerSeverity::Soft;
    let keep =
        "Continue the bounded follow-up; proof already produced by other agents stays reusable.";
    match reason {
        Some(reason) => {
            record.summary = format!("Repair {agent_id} ({})", reason.code);
            record.detail = match reason
                .detail
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
            {
                Some(detail) => format!("Relaunching {agent_id} after {}: {detail}", reason.code),
                None => format!("Relaunching {agent_id} after {}. {keep}", reason.code),
            };
        }
        None => {
            record.summary = format!("Repair {agent_id} (targeted follow-up)");
            record.detail = format!("Relaunching {agent_id}. {keep}");
        }
    }
    record
}

fn dedupe(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
