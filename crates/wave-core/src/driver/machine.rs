//! The driver's state transitions: construction (reuse, initial selection), fan-out, the gates
//! after it, the closure sweep, and the end of an attempt (retry or outcome).

use std::collections::{BTreeMap, BTreeSet};

use super::plan::{self, AgentFacts, AgentRun, Selection};
use super::retry::{self, ResumeFrom};
use super::sweep::{self, ClosureStage, StageContext};
use super::{
    AgentObservation, Ctx, DesignExecutionMode, DriverInput, DriverRecord, Failure, FailureCode,
    FanOut, ForwardedGap, Phase, Step, Sweep, WaveDriver, WaveOutcome, WaveStatus,
};
use crate::gates::{
    component_gate, design_gate, is_forwardable, validate_implementation, ComponentAgent,
    ComponentGateInput, GateResult, GateStatus, RoleRun,
};

/// The wait failure of an observation, if any: timed out → `timeout-no-status`, no status →
/// `missing-status`, non-zero code → the code.
fn wait_failure(obs: &AgentObservation) -> Option<Failure> {
    let id = &obs.agent_id;
    let (code, detail) = if obs.timed_out {
        (
            FailureCode::Gate(GateStatus::TimeoutNoStatus),
            format!("{id} timed out before writing a status."),
        )
    } else {
        match obs.exit_code {
            None => (
                FailureCode::Gate(GateStatus::MissingStatus),
                format!("{id} finished without a status."),
            ),
            Some(0) => return None,
            Some(code) => (
                FailureCode::ExitCode(code),
                format!("{id} exited with code {code}."),
            ),
        }
    };
    Some(Failure {
        agent_id: Some(id.clone()),
        status_code: code,
        detail,
    })
}

impl WaveDriver {
    /// Classifies the agents, decides reuse and selects the first attempt.
    pub fn new(input: DriverInput<'_>) -> WaveDriver {
        let agents: Vec<AgentFacts> = input
            .agents
            .iter()
            .map(|validated| {
                AgentFacts::new(
                    plan::wave_agent(input.wave, &validated.roles.agent_id),
                    validated,
                )
            })
            .collect();
        let ctx = Ctx {
            wave: input.wave.wave,
            roles: input.lane.roles.clone(),
            promotions_from: input.lane.validation.require_component_promotions_from_wave,
            promotions: input
                .wave
                .component_promotions
                .iter()
                .filter_map(|p| p.to_promotion())
                .collect(),
            eval_targets: input.eval_targets,
            agents,
            max_attempts: input.max_attempts.max(1),
        };
        let mut driver = WaveDriver {
            ctx,
            attempt: input.first_attempt.max(1),
            runs: BTreeMap::new(),
            reused: BTreeSet::new(),
            passed_stages: BTreeSet::new(),
            phase: Phase::Done(WaveOutcome {
                status: WaveStatus::Failed,
                exit_code: 1,
                attempts: 0,
                failures: Vec::new(),
                forwarded_gaps: Vec::new(),
            }),
            records: Vec::new(),
        };
        for (index, facts) in driver.ctx.agents.iter().enumerate() {
            let Some(Some(previous)) = input.previous.get(index) else {
                continue;
            };
            let run = AgentRun {
                summary: previous.summary.clone(),
                report_exists: previous.report_exists,
                matrix_levels: None,
                exit_ok: previous.code == 0,
                implementation_pass: true,
            };
            let same_hash = input
                .prompt_hashes
                .get(index)
                .is_some_and(|hash| *hash == previous.prompt_hash);
            if plan::reusable(facts, &run, same_hash) {
                driver.reused.insert(facts.id.clone());
                driver.runs.insert(facts.id.clone(), run);
                driver.records.push(DriverRecord::AgentReused {
                    agent_id: facts.id.clone(),
                });
            }
        }
        let selection = plan::initial_selection(&driver.ctx.agents, &driver.reused);
        driver.start_attempt(selection);
        driver
    }

    /// What to do next. Returns each [`Step::Launch`] once; [`Step::Wait`] until the launched
    /// agents are observed; [`Step::Done`] (repeatedly) once the wave is over.
    pub fn next_step(&mut self) -> Step {
        let attempt = self.attempt;
        match &mut self.phase {
            Phase::FanOut(fan_out) if !fan_out.launched => {
                fan_out.launched = true;
                Step::Launch {
                    attempt,
                    agent_ids: fan_out.ids.clone(),
                    fan_out: true,
                }
            }
            Phase::Sweep(sweep) if !sweep.launched => match &sweep.current {
                Some(id) => {
                    sweep.launched = true;
                    Step::Launch {
                        attempt,
                        agent_ids: vec![id.clone()],
                        fan_out: false,
                    }
                }
                None => Step::Wait,
            },
            Phase::FanOut(_) | Phase::Sweep(_) => Step::Wait,
            Phase::Done(outcome) => Step::Done(outcome.clone()),
        }
    }

    /// Reports a launched agent's end. Observations of agents not running in the current
    /// attempt (or observed twice) are ignored.
    pub fn observe(&mut self, obs: AgentObservation) {
        if obs.attempt != self.attempt {
            return;
        }
        match &mut self.phase {
            Phase::FanOut(fan_out) => {
                if !fan_out.launched || !fan_out.waiting.remove(&obs.agent_id) {
                    return;
                }
                if let Some(failure) = wait_failure(&obs) {
                    fan_out.failures.push(failure);
                }
                let design_pass = fan_out.design_pass;
                let done = fan_out.waiting.is_empty();
                self.store(&obs, !design_pass);
                if done {
                    self.finish_fan_out();
                }
            }
            Phase::Sweep(sweep) => {
                if !sweep.launched || sweep.current.as_deref() != Some(obs.agent_id.as_str()) {
                    return;
                }
                sweep.current = None;
                sweep.launched = false;
                sweep.position += 1;
                self.store(&obs, false);
                match wait_failure(&obs) {
                    Some(failure) => self.end_sweep(Some(failure)),
                    None => self.advance_sweep(),
                }
            }
            Phase::Done(_) => {}
        }
    }

    /// Drains the records produced since the last call, in order.
    pub fn take_records(&mut self) -> Vec<DriverRecord> {
        std::mem::take(&mut self.records)
    }

    /// The current attempt number.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Agents pre-completed by prompt hash.
    pub fn reused_agent_ids(&self) -> Vec<String> {
        self.reused.iter().cloned().collect()
    }

    /// How a design steward runs in the current launch (`None` for other agents): a design
    /// pass, or a hybrid's implementation pass.
    pub fn design_execution_mode(&self, agent_id: &str) -> Option<DesignExecutionMode> {
        let facts = self.facts(agent_id)?;
        facts.design?;
        Some(match &self.phase {
            Phase::FanOut(fan_out) if fan_out.design_pass => DesignExecutionMode::DesignPass,
            _ => DesignExecutionMode::ImplementationPass,
        })
    }

    fn facts(&self, agent_id: &str) -> Option<&AgentFacts> {
        self.ctx.agents.iter().find(|a| a.id == agent_id)
    }

    fn store(&mut self, obs: &AgentObservation, implementation_pass: bool) {
        let run = AgentRun {
            summary: Some(obs.summary.clone()),
            report_exists: obs.report_exists,
            matrix_levels: obs.matrix_levels.clone(),
            exit_ok: !obs.timed_out && obs.exit_code == Some(0),
            implementation_pass,
        };
        self.runs.insert(obs.agent_id.clone(), run);
    }

    fn gate(&mut self, gate: &str, result: &GateResult) {
        self.records.push(DriverRecord::GateEvaluated {
            attempt: self.attempt,
            gate: gate.into(),
            result: result.clone(),
        });
    }

    fn start_attempt(&mut self, selection: Selection) {
        let closure = plan::closure_ids(&self.ctx.agents);
        let (ids, phase) = match selection {
            Selection::DesignPass(ids) => (ids.clone(), Some((ids, true))),
            Selection::Implementation(ids) => {
                let mut all = ids.clone();
                all.extend(closure.iter().cloned());
                (all, Some((ids, false)))
            }
            Selection::ClosureOnly(ids) => (ids, None),
        };
        self.records.push(DriverRecord::AttemptStarted {
            attempt: self.attempt,
            agent_ids: ids.clone(),
        });
        match phase {
            Some((fan_ids, design_pass)) => {
                self.phase = Phase::FanOut(FanOut {
                    waiting: fan_ids.iter().cloned().collect(),
                    ids: fan_ids,
                    design_pass,
                    launched: false,
                    failures: Vec::new(),
                });
            }
            None => self.pre_sweep_gates(ids),
        }
    }

    fn finish_fan_out(&mut self) {
        let Phase::FanOut(fan_out) = &mut self.phase else {
            return;
        };
        let failures = std::mem::take(&mut fan_out.failures);
        let design_pass = fan_out.design_pass;
        if !failures.is_empty() {
            let from = if design_pass {
                ResumeFrom::Design
            } else {
                ResumeFrom::Implementation
            };
            return self.finish_attempt(failures, Vec::new(), from);
        }
        if design_pass {
            let design_ids: Vec<String> = self
                .ctx
                .agents
                .iter()
                .filter(|a| a.design.is_some() && !a.is_closure())
                .map(|a| a.id.clone())
                .collect();
            let empty = AgentRun::default();
            let runs: Vec<RoleRun<'_>> = design_ids
                .iter()
                .map(|id| self.runs.get(id).unwrap_or(&empty).role_run(id))
                .collect();
            let result = design_gate(&runs);
            self.gate("designGate", &result);
            if !result.ok {
                return self.finish_attempt(
                    vec![Failure::from_gate(&result)],
                    Vec::new(),
                    ResumeFrom::Design,
                );
            }
            let next = plan::unproven_implementation_runs(&self.ctx.agents, &self.runs);
            if !next.is_empty() {
                // The design pass consumes the attempt (launcher §4.3 step 5).
                self.records.push(DriverRecord::AttemptFinished {
                    attempt: self.attempt,
                    failures: Vec::new(),
                });
                if self.attempt >= self.ctx.max_attempts {
                    let failure = Failure {
                        agent_id: None,
                        status_code: FailureCode::AttemptsExhausted,
                        detail: format!(
                            "The design pass used the last attempt; implementation agents {} never ran.",
                            next.join(", ")
                        ),
                    };
                    return self.done(WaveStatus::Failed, 1, vec![failure], Vec::new());
                }
                self.attempt += 1;
                return self.start_attempt(Selection::Implementation(next));
            }
        }
        let closure = plan::closure_ids(&self.ctx.agents);
        self.pre_sweep_gates(closure);
    }

    /// Implementation and component gates over every implementation-owning non-closure agent's
    /// latest run, then the closure sweep over `closure_ids`.
    fn pre_sweep_gates(&mut self, closure_ids: Vec<String>) {
        let empty = AgentRun::default();
        let mut implementation =
            GateResult::pass(None, "Every implementation exit contract is satisfied.");
        for facts in self
            .ctx
            .agents
            .iter()
            .filter(|a| a.implementation_owning && !a.is_closure())
        {
            let run = self.runs.get(&facts.id).unwrap_or(&empty);
            let result = validate_implementation(&facts.spec, run.summary.as_ref());
            if !result.ok {
                implementation = result;
                break;
            }
        }
        self.gate("implementationGate", &implementation);
        if !implementation.ok {
            let failure = Failure::from_gate(&implementation);
            return self.finish_attempt(vec![failure], Vec::new(), ResumeFrom::Implementation);
        }
        let component_agents: Vec<ComponentAgent<'_>> = self
            .ctx
            .agents
            .iter()
            .map(|facts| ComponentAgent {
                spec: &facts.spec,
                summary: self.runs.get(&facts.id).and_then(|r| r.summary.as_ref()),
                implementation_owning: facts.implementation_owning && !facts.is_closure(),
            })
            .collect();
        let component = component_gate(&ComponentGateInput {
            wave: self.ctx.wave,
            require_from_wave: self.ctx.promotions_from.from_wave(),
            promotions: &self.ctx.promotions,
            agents: &component_agents,
        });
        self.gate("componentGate", &component);
        if !component.ok {
            let failure = Failure::from_gate(&component);
            return self.finish_attempt(vec![failure], Vec::new(), ResumeFrom::Implementation);
        }
        self.phase = Phase::Sweep(Sweep {
            selected: closure_ids,
            stage_index: 0,
            position: 0,
            current: None,
            launched: false,
            forwarded: Vec::new(),
        });
        self.advance_sweep();
    }

    fn stage_ids(&self, stage: ClosureStage, selected: &[String]) -> Vec<String> {
        self.ctx
            .agents
            .iter()
            .filter(|a| a.stage == Some(stage) && selected.contains(&a.id))
            .map(|a| a.id.clone())
            .collect()
    }

    /// Moves the sweep forward until an agent must run or the sweep ends.
    fn advance_sweep(&mut self) {
        loop {
            let Phase::Sweep(sweep) = &self.phase else {
                return;
            };
            let Some(stage) = ClosureStage::ORDER.get(sweep.stage_index).copied() else {
                return self.end_sweep(None);
            };
            let ids = self.stage_ids(stage, &sweep.selected);
            let position = sweep.position;
            if ids.is_empty() {
                if sweep::stage_required(stage, &self.ctx.agents)
                    && !self.passed_stages.contains(&stage)
                {
                    let result = sweep::missing_closure_run(stage, &self.ctx.roles);
                    self.gate(stage.gate_name(), &result);
                    return self.end_sweep(Some(Failure::from_gate(&result)));
                }
            } else if let Some(next) = ids.get(position) {
                if let Phase::Sweep(sweep) = &mut self.phase {
                    sweep.current = Some(next.clone());
                    sweep.launched = false;
                }
                return;
            } else {
                let result = sweep::evaluate_stage(
                    &StageContext {
                        agents: &self.ctx.agents,
                        runs: &self.runs,
                        roles: &self.ctx.roles,
                        promotions: &self.ctx.promotions,
                        eval_targets: &self.ctx.eval_targets,
                    },
                    stage,
                    &ids,
                );
                self.gate(stage.gate_name(), &result);
                if result.ok {
                    self.passed_stages.insert(stage);
                } else if is_forwardable(result.status_code) {
                    self.forward_gap(stage, &result);
                } else {
                    return self.end_sweep(Some(Failure::from_gate(&result)));
                }
            }
            if let Phase::Sweep(sweep) = &mut self.phase {
                sweep.stage_index += 1;
                sweep.position = 0;
            }
        }
    }

    fn forward_gap(&mut self, stage: ClosureStage, result: &GateResult) {
        let Phase::Sweep(sweep) = &self.phase else {
            return;
        };
        let targets: Vec<String> = ClosureStage::ORDER
            .iter()
            .filter(|s| **s > stage)
            .flat_map(|s| self.stage_ids(*s, &sweep.selected))
            .map(|id| format!("agent:{id}"))
            .collect();
        let agent_id = result.agent_id.clone().unwrap_or_default();
        let gap = ForwardedGap {
            stage_key: stage.key().into(),
            agent_id: agent_id.clone(),
            attempt: self.attempt,
            detail: result.detail.clone(),
            targets: targets.clone(),
        };
        self.records.push(DriverRecord::ClosureGapForwarded {
            attempt: self.attempt,
            stage_key: gap.stage_key.clone(),
            agent_id,
            detail: gap.detail.clone(),
            targets,
        });
        self.passed_stages.remove(&stage);
        if let Phase::Sweep(sweep) = &mut self.phase {
            sweep
                .forwarded
                .push((stage, Failure::from_gate(result), gap));
        }
    }

    /// Ends the sweep: with a hard failure (of the current stage), or after the last stage.
    fn end_sweep(&mut self, hard: Option<Failure>) {
        let Phase::Sweep(sweep) = &mut self.phase else {
            return;
        };
        let stage = ClosureStage::ORDER
            .get(sweep.stage_index)
            .copied()
            .unwrap_or(ClosureStage::ContQa);
        let forwarded = std::mem::take(&mut sweep.forwarded);
        let mut from = hard.as_ref().map(|_| ResumeFrom::Closure(stage));
        let mut failures = Vec::new();
        let mut gaps = Vec::new();
        for (gap_stage, failure, gap) in forwarded {
            let gap_from = ResumeFrom::Closure(gap_stage);
            from = Some(from.map_or(gap_from, |f| f.min(gap_from)));
            failures.push(failure);
            gaps.push(gap);
        }
        if let Some(hard) = hard {
            self.passed_stages.remove(&stage);
            failures.push(hard);
        }
        match from {
            Some(from) => self.finish_attempt(failures, gaps, from),
            None => self.finish_attempt(Vec::new(), Vec::new(), ResumeFrom::Implementation),
        }
    }

    fn done(
        &mut self,
        status: WaveStatus,
        exit_code: i32,
        failures: Vec<Failure>,
        forwarded_gaps: Vec<ForwardedGap>,
    ) {
        self.phase = Phase::Done(WaveOutcome {
            status,
            exit_code,
            attempts: self.attempt,
            failures,
            forwarded_gaps,
        });
    }

    /// Records the attempt's end, then completes the wave, ends it, or plans the next attempt.
    fn finish_attempt(
        &mut self,
        failures: Vec<Failure>,
        gaps: Vec<ForwardedGap>,
        from: ResumeFrom,
    ) {
        self.records.push(DriverRecord::AttemptFinished {
            attempt: self.attempt,
            failures: failures.clone(),
        });
        if failures.is_empty() {
            return self.done(WaveStatus::Completed, 0, failures, gaps);
        }
        if self.attempt >= self.ctx.max_attempts {
            let (status, exit) = retry::classify_failed(&failures, &self.runs);
            return self.done(status, exit, failures, gaps);
        }
        let Some(selection) = retry::plan_retry(&self.ctx.agents, &self.runs, from, &failures)
        else {
            return self.done(
                WaveStatus::Blocked,
                crate::gates::EXIT_BLOCKED,
                failures,
                gaps,
            );
        };
        let agent_ids = match &selection {
            Selection::DesignPass(ids)
            | Selection::Implementation(ids)
            | Selection::ClosureOnly(ids) => ids.clone(),
        };
        let codes: Vec<String> = failures
            .iter()
            .map(|f| match &f.agent_id {
                Some(id) => format!("{id}:{}", f.status_code),
                None => format!("wave:{}", f.status_code),
            })
            .collect();
        self.records.push(DriverRecord::RetryPlanned {
            next_attempt: self.attempt + 1,
            agent_ids,
            reason: format!("{}; resume from {}", codes.join(", "), from.phase()),
        });
        self.attempt += 1;
        self.start_attempt(selection);
    }
}
