//! The wave driver: upstream v0.9.1's attempt loop and closure sweep (launcher §4.2–§4.7) as a
//! pure, sans-IO state machine.
//!
//! The engine builds a [`WaveDriver`] from the validated wave, the current prompt hashes and
//! the previous status files, then loops: [`WaveDriver::next_step`] says what to start
//! ([`Step::Launch`]), to wait ([`Step::Wait`]) or that the wave is over ([`Step::Done`]); each
//! finished (or timed-out) agent is reported with [`WaveDriver::observe`]; the events to persist
//! come out of [`WaveDriver::take_records`]. No IO, no clock, no sleeping: stagger, timeouts,
//! log reading and report-file checks are the engine's, and arrive here as observations.
//!
//! Decisions made here:
//! - **reuse** by prompt hash (§4.2): non-closure agents with a previous code 0 and the same
//!   hash are pre-completed (design stewards and proof-centric agents also need their previous
//!   summary to validate); closure agents never are;
//! - **selection** (§4.2): unreusable design stewards first (a design pass that consumes an
//!   attempt), else the unreusable implementation runs, else a closure-only attempt;
//! - **attempts** (§4.3): fan-out, wait failures (`timeout-no-status`, `missing-status`, a
//!   non-zero exit code — upstream's `statusCode` is then the code itself, e.g. `"3"`), the
//!   implementation and component gates, then the closure sweep;
//! - **closure sweep** (§4.4, §4.5): cont-EVAL → security → integration → documentation →
//!   cont-QA, one agent at a time, each stage gated; a required stage without a run fails with
//!   `missing-closure-run`; a hard failure stops the sweep; a forwarded `wave-proof-gap` (a
//!   closure agent's final `[wave-proof] … state=gap`) is recorded as a closure-critical
//!   blocker ([`DriverRecord::ClosureGapForwarded`]) targeting every later stage's agents, the
//!   sweep continues, and the wave cannot complete;
//! - **retries and outcome** (§4.6, §4.7, see [`retry`]).
//!
//! Deliberate differences from upstream v0.9.1 (DESIGN §6): a failed closure stage is retried
//! **with every later stage**; stages that passed in an earlier attempt are not required again
//! in a closure-only retry; timeouts and closure-only retries never crash; closure agents only
//! ever run inside the sweep (upstream's retry fan-out could start them concurrently with
//! implementation agents); a forwarded gap stays among the attempt's failures even when a later
//! stage fails hard; a design pass is offered to hybrid design stewards too, which then also
//! run an implementation pass (upstream launched a hybrid alone and failed the wave on the
//! never-launched implementation agents).
//!
//! Out of scope (no coordination CLI yet): helper-assignment and dependency barriers,
//! clarification and human-feedback barriers, executor fallback on retry, operator retry
//! overrides, shared-component continuation without consuming an attempt, the integration
//! summary / contradiction checks, infra gate.

mod machine;
mod plan;
mod retry;
mod sweep;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_closure;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Serialize, Serializer};

use crate::config::{LaneConfig, RolesConfig, Threshold};
use crate::contract::ComponentPromotion;
use crate::gates::{GateResult, GateStatus, ResolvedEvalTarget};
use crate::markers::AgentSummary;
use crate::validate::ValidatedAgent;
use crate::wave::WaveDefinition;

pub use plan::implementation_spec;
pub use sweep::ClosureStage;

use plan::{AgentFacts, AgentRun};

/// Everything the driver needs to run one wave.
#[derive(Debug, Clone)]
pub struct DriverInput<'a> {
    /// The lane's resolved config (role ids, validation thresholds).
    pub lane: &'a LaneConfig,
    /// The parsed wave.
    pub wave: &'a WaveDefinition,
    /// The validated agents, in the same order as `wave.agents`.
    pub agents: &'a [ValidatedAgent],
    /// Per agent, same order: the current prompt fingerprint.
    pub prompt_hashes: Vec<String>,
    /// Per agent, same order: the existing status file (and summary), for reuse.
    pub previous: Vec<Option<PreviousRun>>,
    /// `--max-retries-per-wave` + 1 (0 is treated as 1).
    pub max_attempts: u32,
    /// The wave's eval targets resolved against the benchmark catalog.
    pub eval_targets: Vec<ResolvedEvalTarget>,
    /// The number of the first attempt (1, or the journal's attempt when a resumed launcher
    /// continues an interrupted attempt; attempts left = `max_attempts` − this + 1).
    pub first_attempt: u32,
}

/// An agent's previous run, from its status file and summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreviousRun {
    /// `code` of the status file.
    pub code: i32,
    /// `promptHash` of the status file.
    pub prompt_hash: String,
    /// The run's summary, if one was written.
    pub summary: Option<AgentSummary>,
    /// Whether the agent's report / design packet exists now (design stewards are reused only
    /// when their packet exists).
    pub report_exists: bool,
}

/// What the engine should do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Start these agents for `attempt`. `fan_out`: start all (stagger between them,
    /// concurrency bound); otherwise exactly one closure agent — the sweep runs them one at a
    /// time.
    Launch {
        /// The attempt number (1-based).
        attempt: u32,
        /// Agents to start, in wave order.
        agent_ids: Vec<String>,
        /// Whether this is a fan-out (else one closure agent).
        fan_out: bool,
    },
    /// Agents are running; wait for observations.
    Wait,
    /// The wave is over.
    Done(WaveOutcome),
}

/// How a design steward runs in a launch (upstream's `designExecutionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesignExecutionMode {
    /// The design pass, before implementation.
    DesignPass,
    /// A hybrid steward's implementation pass.
    ImplementationPass,
}

/// One launched agent finished, or timed out.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentObservation {
    /// The agent.
    pub agent_id: String,
    /// The attempt it was launched for (observations of other attempts are ignored).
    pub attempt: u32,
    /// `None`: no status (the runner died); `Some(code)`: the real exit code.
    pub exit_code: Option<i32>,
    /// The engine killed it at its deadline.
    pub timed_out: bool,
    /// Built by the engine from the agent's log (+ report text).
    pub summary: AgentSummary,
    /// The role's report file / design packet exists.
    pub report_exists: bool,
    /// Component matrix `currentLevel` per component, read when this agent finished (read by
    /// the documentation stage's matrix check).
    pub matrix_levels: Option<BTreeMap<String, String>>,
}

/// A failure's status code: a gate status, or a wait failure's raw exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureCode {
    /// A gate status code (including `timeout-no-status`, `missing-status`).
    Gate(GateStatus),
    /// The agent exited with this non-zero code (upstream's `statusCode` is the code's decimal
    /// text).
    ExitCode(i32),
    /// A design pass passed on the last attempt, so implementation never ran
    /// (`attempts-exhausted`, this port's code).
    AttemptsExhausted,
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureCode::Gate(status) => f.write_str(status.as_str()),
            FailureCode::ExitCode(code) => write!(f, "{code}"),
            FailureCode::AttemptsExhausted => f.write_str("attempts-exhausted"),
        }
    }
}

impl Serialize for FailureCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One failure of an attempt: upstream's `{ agentId, statusCode, detail }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// The agent it is attributed to, if any.
    pub agent_id: Option<String>,
    /// The status code.
    pub status_code: FailureCode,
    /// Human-readable explanation.
    pub detail: String,
}

impl Failure {
    /// A failure from a failing gate result.
    pub fn from_gate(result: &GateResult) -> Self {
        Failure {
            agent_id: result.agent_id.clone(),
            status_code: FailureCode::Gate(result.status_code),
            detail: result.detail.clone(),
        }
    }
}

/// A closure gap forwarded to later stages (upstream's `forwardedClosureGaps[]` entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardedGap {
    /// Stage key (`integration`, …).
    pub stage_key: String,
    /// The agent that reported the gap.
    pub agent_id: String,
    /// The attempt.
    pub attempt: u32,
    /// The gate detail.
    pub detail: String,
    /// `agent:<id>` for every agent of the later stages.
    pub targets: Vec<String>,
}

/// Upstream's coordination record id of a forwarded closure gap:
/// `wave-<n>-closure-gap-<stageKey>-<agentId>-attempt-<a>`.
pub fn closure_gap_record_id(wave: u32, stage_key: &str, agent_id: &str, attempt: u32) -> String {
    format!("wave-{wave}-closure-gap-{stage_key}-{agent_id}-attempt-{attempt}")
}

/// An event for the engine to persist (control-plane / coordination JSONL), in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DriverRecord {
    /// An attempt starts; `agent_ids` are the agents it will run (fan-out, then sweep).
    AttemptStarted {
        /// Attempt number.
        attempt: u32,
        /// Agents selected.
        agent_ids: Vec<String>,
    },
    /// An agent is pre-completed by prompt hash and will not run.
    AgentReused {
        /// The agent.
        agent_id: String,
    },
    /// A gate was evaluated (`gate` is upstream's gate-snapshot key).
    GateEvaluated {
        /// Attempt number.
        attempt: u32,
        /// Gate name (`implementationGate`, `contQaGate`, …).
        gate: String,
        /// The result.
        result: GateResult,
    },
    /// An attempt ended (no failures: it passed, or it was a passing design pass).
    AttemptFinished {
        /// Attempt number.
        attempt: u32,
        /// Its failures.
        failures: Vec<Failure>,
    },
    /// A closure stage's proof gap was forwarded: append the closure-critical blocker
    /// ([`closure_gap_record_id`]).
    ClosureGapForwarded {
        /// Attempt number.
        attempt: u32,
        /// Stage key.
        stage_key: String,
        /// The agent that reported the gap.
        agent_id: String,
        /// Gate detail.
        detail: String,
        /// `agent:<id>` for every later-stage agent.
        targets: Vec<String>,
    },
    /// The next attempt will relaunch these agents.
    RetryPlanned {
        /// The next attempt.
        next_attempt: u32,
        /// Agents to relaunch.
        agent_ids: Vec<String>,
        /// Why (failure codes and resume phase).
        reason: String,
    },
}

/// How the wave ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaveStatus {
    /// Every gate passed (exit 0).
    Completed,
    /// Failures on the last attempt, not all recoverable (exit 1, or 42 for cont-QA only).
    Failed,
    /// Every failure of the last attempt recoverable (timeouts, missing status, rate limits,
    /// max turns): recovery queued (exit 43).
    RecoveryQueued,
    /// Failures before the last attempt but nothing can be relaunched (exit 43).
    Blocked,
}

/// The end of a wave.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaveOutcome {
    /// Status.
    pub status: WaveStatus,
    /// Launcher exit code: 0, 1, 42 or 43.
    pub exit_code: i32,
    /// Attempts used.
    pub attempts: u32,
    /// Failures of the last attempt.
    pub failures: Vec<Failure>,
    /// Closure gaps forwarded in the last attempt.
    pub forwarded_gaps: Vec<ForwardedGap>,
}

/// Static facts of the wave.
#[derive(Debug, Clone)]
struct Ctx {
    wave: u32,
    roles: RolesConfig,
    promotions_from: Threshold,
    promotions: Vec<ComponentPromotion>,
    eval_targets: Vec<ResolvedEvalTarget>,
    agents: Vec<AgentFacts>,
    max_attempts: u32,
}

#[derive(Debug, Clone)]
struct FanOut {
    ids: Vec<String>,
    design_pass: bool,
    launched: bool,
    waiting: BTreeSet<String>,
    failures: Vec<Failure>,
}

#[derive(Debug, Clone)]
struct Sweep {
    /// Closure agents selected for this sweep.
    selected: Vec<String>,
    stage_index: usize,
    /// Next agent to run within the stage.
    position: usize,
    /// The agent handed out (or to hand out) and not yet observed.
    current: Option<String>,
    launched: bool,
    forwarded: Vec<(ClosureStage, Failure, ForwardedGap)>,
}

#[derive(Debug, Clone)]
enum Phase {
    FanOut(FanOut),
    Sweep(Sweep),
    Done(WaveOutcome),
}

/// The attempt loop of one wave. See the module docs.
#[derive(Debug, Clone)]
pub struct WaveDriver {
    ctx: Ctx,
    attempt: u32,
    runs: BTreeMap<String, AgentRun>,
    reused: BTreeSet<String>,
    passed_stages: BTreeSet<ClosureStage>,
    phase: Phase,
    records: Vec<DriverRecord>,
}
