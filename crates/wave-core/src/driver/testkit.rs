//! Test fixtures for the driver: hand-built waves classified by the real role rules, scripted
//! agent replies turned into summaries by the real marker grammar, and a harness that plays
//! the engine's part (launch, observe, collect records).

use std::collections::BTreeMap;

use super::{
    AgentObservation, DriverInput, DriverRecord, PreviousRun, Step, WaveDriver, WaveOutcome,
};
use crate::config::{resolve_agent_executor, Config, ExecutorRequest, LaneConfig, Threshold};
use crate::contract::{EvalSelection, EvalTarget};
use crate::gates::ResolvedEvalTarget;
use crate::markers::{build_summary, AgentSummary, SummaryContext};
use crate::validate::{AgentRoles, ValidatedAgent};
use crate::wave::{ComponentTargets, ExitContractDecl, WaveAgent, WaveDefinition};

pub(super) const MET: &str =
    "[wave-proof] completion=contract durability=none proof=unit state=met\n[wave-doc-delta] state=owned";
pub(super) const GAP: &str =
    "[wave-proof] completion=contract durability=none proof=unit state=gap detail=tests-missing\n[wave-doc-delta] state=owned";
pub(super) const A8_READY: &str =
    "[wave-integration] state=ready-for-doc-closure claims=1 conflicts=0 blockers=0";
pub(super) const A8_MORE: &str =
    "[wave-integration] state=needs-more-work claims=1 conflicts=1 blockers=1 detail=conflict";
pub(super) const A9_CLOSED: &str = "[wave-doc-closure] state=closed";
pub(super) const A0_GATE: &str =
    "[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=pass";
pub(super) const E0_OK: &str = "[wave-eval] state=satisfied targets=1 benchmarks=1 regressions=0 target_ids=latency benchmark_ids=p95";
pub(super) const SEC_CLEAR: &str = "[wave-security] state=clear findings=0 approvals=0";
pub(super) const DESIGN_READY: &str =
    "[wave-design] state=ready-for-implementation decisions=1 assumptions=0 open_questions=0";

/// An agent with owned paths and capabilities.
pub(super) fn agent(id: &str, owned: &[&str], capabilities: &[&str]) -> WaveAgent {
    WaveAgent {
        agent_id: id.into(),
        title: format!("Agent {id}"),
        slug: format!("1-{}", id.to_lowercase()),
        prompt: format!("Prompt of {id}"),
        prompt_overlay: String::new(),
        role_prompt_paths: Vec::new(),
        context7_config: None,
        exit_contract: None,
        executor_config: None,
        components: Vec::new(),
        capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
        skills: Vec::new(),
        deliverables: Vec::new(),
        proof_artifacts: Vec::new(),
        owned_paths: owned.iter().map(|p| p.to_string()).collect(),
        component_targets: ComponentTargets::default(),
    }
}

/// An implementation agent with exit contract `contract/none/unit/owned`.
pub(super) fn implementer(id: &str) -> WaveAgent {
    let mut a = agent(id, &[&format!("src/{}.rs", id.to_lowercase())], &[]);
    a.exit_contract = Some(contract("contract"));
    a
}

/// An exit contract with this completion and `none/unit/owned`.
pub(super) fn contract(completion: &str) -> ExitContractDecl {
    ExitContractDecl {
        completion: Some(completion.into()),
        durability: Some("none".into()),
        proof: Some("unit".into()),
        doc_impact: Some("owned".into()),
    }
}

pub(super) fn a8() -> WaveAgent {
    agent("A8", &["docs/plans/integration.md"], &[])
}
pub(super) fn a9() -> WaveAgent {
    agent("A9", &["docs/plans/current-state.md"], &[])
}
pub(super) fn a0() -> WaveAgent {
    agent("A0", &["docs/plans/waves/reviews/wave-1-cont-qa.md"], &[])
}
pub(super) fn e0() -> WaveAgent {
    agent("E0", &["docs/plans/waves/reviews/wave-1-cont-eval.md"], &[])
}
pub(super) fn security(id: &str) -> WaveAgent {
    agent(
        id,
        &["docs/plans/waves/reviews/wave-1-security.md"],
        &["security-review"],
    )
}
pub(super) fn designer(id: &str, hybrid: bool) -> WaveAgent {
    let mut owned = vec!["docs/plans/waves/design/wave-1-design.md"];
    if hybrid {
        owned.push("src/design_impl.rs");
    }
    let mut a = agent(id, &owned, &["design"]);
    if hybrid {
        a.exit_contract = Some(contract("contract"));
    }
    a
}

/// One scripted agent reply.
#[derive(Debug, Clone)]
pub(super) struct Reply {
    pub exit: Option<i32>,
    pub timed_out: bool,
    pub log: String,
    pub report: Option<String>,
    pub report_exists: bool,
    pub matrix: Option<BTreeMap<String, String>>,
}

impl Reply {
    pub fn ok(log: &str) -> Self {
        Reply {
            exit: Some(0),
            timed_out: false,
            log: log.into(),
            report: None,
            report_exists: false,
            matrix: None,
        }
    }
    pub fn report(mut self, text: &str) -> Self {
        self.report = Some(text.into());
        self.report_exists = true;
        self
    }
    pub fn exit(mut self, code: Option<i32>) -> Self {
        self.exit = code;
        self
    }
    pub fn timeout(mut self) -> Self {
        self.exit = Some(143);
        self.timed_out = true;
        self
    }
    pub fn matrix(mut self, levels: &[(&str, &str)]) -> Self {
        self.matrix = Some(
            levels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }
}

/// The reply of an agent that does everything right, by id convention (A0/A8/A9/E0, `S*`
/// security reviewers, `D*` design stewards — hybrids also print implementation markers).
pub(super) fn good(id: &str) -> Reply {
    match id {
        "A0" => Reply::ok(A0_GATE).report("# Review\nVerdict: PASS\n"),
        "A8" => Reply::ok(A8_READY),
        "A9" => Reply::ok(A9_CLOSED),
        "E0" => Reply::ok(E0_OK).report("eval report"),
        s if s.starts_with('S') => Reply::ok(SEC_CLEAR).report("security report"),
        d if d.starts_with('D') => Reply::ok(&format!("{DESIGN_READY}\n{MET}")).report("packet"),
        _ => Reply::ok(MET),
    }
}

/// A wave, its lane and the driver inputs.
#[derive(Debug, Clone)]
pub(super) struct Kit {
    pub lane: LaneConfig,
    pub wave: WaveDefinition,
    pub max_attempts: u32,
    pub hashes: BTreeMap<String, String>,
    pub previous: BTreeMap<String, PreviousRun>,
    pub eval_targets: Vec<ResolvedEvalTarget>,
    pub first_attempt: u32,
}

impl Kit {
    /// A wave with these agents; promotions rule off, 2 attempts.
    pub fn new(agents: Vec<WaveAgent>) -> Self {
        let mut lane = Config::default()
            .resolve_lane(None, None, &|_| false)
            .expect("default lane");
        lane.validation.require_component_promotions_from_wave = Threshold::Disabled;
        Kit {
            lane,
            wave: WaveDefinition {
                wave: 1,
                file: "docs/plans/waves/wave-1.md".into(),
                commit_message: None,
                deploy_environments: Vec::new(),
                eval_targets: Vec::new(),
                context7_defaults: None,
                component_promotions: Vec::new(),
                agents,
            },
            max_attempts: 2,
            hashes: BTreeMap::new(),
            previous: BTreeMap::new(),
            eval_targets: Vec::new(),
            first_attempt: 1,
        }
    }

    /// A1 (exit contract), A8, A9, A0.
    pub fn standard() -> Self {
        Kit::new(vec![implementer("A1"), a8(), a9(), a0()])
    }

    /// Declares eval target `latency` pinned to benchmark `p95`.
    pub fn with_eval_target(mut self) -> Self {
        let target = EvalTarget {
            id: "latency".into(),
            selection: EvalSelection::Pinned,
            benchmark_family: None,
            benchmarks: vec!["p95".into()],
            objective: "fast".into(),
            threshold: "p95 < 1s".into(),
        };
        self.wave.eval_targets = vec![target.clone()];
        self.eval_targets = vec![ResolvedEvalTarget {
            target,
            allowed_benchmarks: vec!["p95".into()],
        }];
        self
    }

    pub fn starting_at_attempt(mut self, n: u32) -> Self {
        self.first_attempt = n;
        self
    }

    pub fn attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    pub fn validated(&self) -> Vec<ValidatedAgent> {
        self.wave
            .agents
            .iter()
            .map(|a| {
                let roles = AgentRoles::classify(&self.wave, a, &self.lane.roles);
                let executor = resolve_agent_executor(
                    &self.lane,
                    &ExecutorRequest {
                        agent_id: &a.agent_id,
                        overrides: None,
                        role: roles.runtime_role,
                        proof_centric: roles.proof_centric,
                        cli_executor: None,
                        cli_codex_sandbox: None,
                    },
                )
                .expect("executor");
                ValidatedAgent {
                    roles,
                    executor_overrides: None,
                    executor,
                    skills: Vec::new(),
                    context7_bundle: None,
                }
            })
            .collect()
    }

    pub fn hash(&self, id: &str) -> String {
        self.hashes
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("hash-{id}"))
    }

    /// A previous run of `id` with code 0, the current hash and `reply`'s summary.
    pub fn previously(mut self, id: &str, reply: Reply) -> Self {
        let summary = self.summary(id, &reply);
        self.previous.insert(
            id.into(),
            PreviousRun {
                code: reply.exit.unwrap_or(0),
                prompt_hash: self.hash(id),
                summary: Some(summary),
                report_exists: reply.report_exists,
            },
        );
        self
    }

    pub fn report_path(&self, id: &str) -> Option<String> {
        let agent = self.wave.agent(id)?;
        AgentRoles::classify(&self.wave, agent, &self.lane.roles).report_path
    }

    pub fn summary(&self, id: &str, reply: &Reply) -> AgentSummary {
        build_summary(
            &reply.log,
            reply.report.as_deref(),
            SummaryContext {
                agent_id: Some(id.into()),
                exit_code: reply.exit.map(i64::from),
                report_path: self.report_path(id),
                log_path: format!(".tmp/main-wave-launcher/logs/wave-1-{id}.log"),
                ..SummaryContext::default()
            },
        )
    }

    pub fn driver(&self) -> WaveDriver {
        let agents = self.validated();
        WaveDriver::new(DriverInput {
            lane: &self.lane,
            wave: &self.wave,
            agents: &agents,
            prompt_hashes: self
                .wave
                .agents
                .iter()
                .map(|a| self.hash(&a.agent_id))
                .collect(),
            previous: self
                .wave
                .agents
                .iter()
                .map(|a| self.previous.get(&a.agent_id).cloned())
                .collect(),
            max_attempts: self.max_attempts,
            eval_targets: self.eval_targets.clone(),
            first_attempt: self.first_attempt,
        })
    }

    pub fn observation(&self, id: &str, attempt: u32, reply: &Reply) -> AgentObservation {
        AgentObservation {
            agent_id: id.into(),
            attempt,
            exit_code: reply.exit,
            timed_out: reply.timed_out,
            summary: self.summary(id, reply),
            report_exists: reply.report_exists,
            matrix_levels: reply.matrix.clone(),
        }
    }

    /// Runs the wave to the end, answering each launch with `script(agent, attempt)`.
    pub fn run(&self, script: &mut dyn FnMut(&str, u32) -> Reply) -> Played {
        let mut driver = self.driver();
        let mut launches = Vec::new();
        let mut records = driver.take_records();
        for _ in 0..500 {
            match driver.next_step() {
                Step::Launch {
                    attempt,
                    agent_ids,
                    fan_out,
                } => {
                    assert_eq!(
                        driver.next_step(),
                        Step::Wait,
                        "launched agents are running"
                    );
                    if !fan_out {
                        assert_eq!(agent_ids.len(), 1, "a sweep launches one agent");
                    }
                    launches.push(Launch {
                        attempt,
                        ids: agent_ids.clone(),
                        fan_out,
                    });
                    for id in &agent_ids {
                        let reply = script(id, attempt);
                        driver.observe(self.observation(id, attempt, &reply));
                    }
                }
                Step::Wait => panic!("driver waits with nothing running"),
                Step::Done(outcome) => {
                    assert_eq!(driver.next_step(), Step::Done(outcome.clone()));
                    records.extend(driver.take_records());
                    return Played {
                        launches,
                        records,
                        outcome,
                    };
                }
            }
            records.extend(driver.take_records());
        }
        panic!("the wave did not end");
    }
}

/// One launch step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Launch {
    pub attempt: u32,
    pub ids: Vec<String>,
    pub fan_out: bool,
}

/// A played wave.
#[derive(Debug, Clone)]
pub(super) struct Played {
    pub launches: Vec<Launch>,
    pub records: Vec<DriverRecord>,
    pub outcome: WaveOutcome,
}

impl Played {
    /// Launches as `attempt:id` (fan-outs as `attempt:[a,b]`).
    pub fn order(&self) -> Vec<String> {
        self.launches
            .iter()
            .map(|l| {
                if l.fan_out {
                    format!("{}:[{}]", l.attempt, l.ids.join(","))
                } else {
                    format!("{}:{}", l.attempt, l.ids.join(","))
                }
            })
            .collect()
    }

    /// Failure codes of the outcome.
    pub fn codes(&self) -> Vec<String> {
        self.outcome
            .failures
            .iter()
            .map(|f| f.status_code.to_string())
            .collect()
    }

    /// Every `RetryPlanned` record's agent ids.
    pub fn retries(&self) -> Vec<Vec<String>> {
        self.records
            .iter()
            .filter_map(|r| match r {
                DriverRecord::RetryPlanned { agent_ids, .. } => Some(agent_ids.clone()),
                _ => None,
            })
            .collect()
    }
}

/// `good` for every agent except the overrides, which may depend on the attempt.
pub(super) fn script(
    overrides: impl Fn(&str, u32) -> Option<Reply>,
) -> impl FnMut(&str, u32) -> Reply {
    move |id, attempt| overrides(id, attempt).unwrap_or_else(|| good(id))
}
