//! Static per-agent facts of a wave, reuse by prompt hash and attempt selection (launcher §4.2,
//! §4.3 step 1).
//!
//! Owns: [`implementation_spec`] (what an implementation-owning agent promised, from the wave
//! file), the classification the driver needs per agent ([`AgentFacts`]), the per-agent latest
//! run ([`AgentRun`]), "proven" (an agent whose latest run satisfies its own validators) and the
//! selection of an attempt ([`Selection`]).

use std::collections::BTreeMap;

use super::sweep::ClosureStage;
use crate::gates::{
    validate_design, validate_implementation, ImplementationSpec, ProofArtifactRequirement, RoleRun,
};
use crate::markers::{AgentSummary, MetState};
use crate::validate::roles::DesignKind;
use crate::validate::ValidatedAgent;
use crate::wave::{WaveAgent, WaveDefinition};

/// What an agent promised in its wave file, as the implementation gate reads it: the exit
/// contract (when it validates), components with their promoted levels, deliverables and proof
/// artifacts.
pub fn implementation_spec(agent: &WaveAgent) -> ImplementationSpec {
    ImplementationSpec {
        agent_id: agent.agent_id.clone(),
        exit_contract: agent
            .exit_contract
            .as_ref()
            .and_then(|decl| decl.validate().ok()),
        components: agent.components.clone(),
        component_targets: agent
            .component_targets
            .0
            .iter()
            .filter_map(|(id, level)| {
                let level = crate::contract::Maturity::parse(level.as_deref()?)?;
                Some((id.clone(), level))
            })
            .collect(),
        deliverables: agent.deliverables.clone(),
        proof_artifacts: agent
            .proof_artifacts
            .iter()
            .map(|a| ProofArtifactRequirement {
                path: a.path.clone(),
                required_for: a.required_for.clone(),
            })
            .collect(),
    }
}

/// The driver's view of one agent.
#[derive(Debug, Clone)]
pub(super) struct AgentFacts {
    pub id: String,
    /// The closure stage the agent runs in (closure agents only).
    pub stage: Option<ClosureStage>,
    pub design: Option<DesignKind>,
    pub implementation_owning: bool,
    pub proof_centric: bool,
    pub spec: ImplementationSpec,
}

impl AgentFacts {
    pub fn new(wave_agent: Option<&WaveAgent>, validated: &ValidatedAgent) -> Self {
        let roles = &validated.roles;
        let spec = match wave_agent {
            Some(agent) => implementation_spec(agent),
            None => ImplementationSpec {
                agent_id: roles.agent_id.clone(),
                ..ImplementationSpec::default()
            },
        };
        AgentFacts {
            id: roles.agent_id.clone(),
            stage: roles
                .closure_roles
                .first()
                .map(|role| ClosureStage::from_role(*role)),
            design: roles.design,
            implementation_owning: roles.implementation_owning,
            proof_centric: roles.proof_centric,
            spec,
        }
    }

    pub fn is_closure(&self) -> bool {
        self.stage.is_some()
    }

    pub fn is_docs_only_design(&self) -> bool {
        self.design == Some(DesignKind::DocsOnly)
    }

    /// An implementation run: not a closure agent, not a docs-only design steward.
    pub fn is_implementation_run(&self) -> bool {
        !self.is_closure() && !self.is_docs_only_design()
    }
}

/// The latest known run of an agent: a previous status file it was reused from, or an
/// observation made by this driver.
#[derive(Debug, Clone, Default)]
pub(super) struct AgentRun {
    pub summary: Option<AgentSummary>,
    pub report_exists: bool,
    pub matrix_levels: Option<BTreeMap<String, String>>,
    /// Finished with status code 0 (not timed out).
    pub exit_ok: bool,
    /// Ran in implementation mode (or was reused), so a hybrid design steward's implementation
    /// half counts.
    pub implementation_pass: bool,
}

impl AgentRun {
    pub fn role_run<'a>(&'a self, agent_id: &'a str) -> RoleRun<'a> {
        RoleRun {
            agent_id,
            summary: self.summary.as_ref(),
            report_exists: self.report_exists,
        }
    }
}

/// Whether the design half of a design steward is satisfied by `run`.
pub(super) fn design_proven(facts: &AgentFacts, run: Option<&AgentRun>) -> bool {
    let Some(run) = run else { return false };
    run.exit_ok && validate_design(&run.role_run(&facts.id)).ok
}

/// Whether every promoted component the agent owns has a `met` marker at its promoted level.
fn owned_components_met(facts: &AgentFacts, summary: Option<&AgentSummary>) -> bool {
    facts
        .spec
        .components
        .iter()
        .filter_map(|c| facts.spec.component_targets.get(c).map(|level| (c, level)))
        .all(|(component, level)| {
            summary.is_some_and(|s| {
                s.components.iter().any(|m| {
                    &m.component_id == component
                        && m.state == MetState::Met
                        && m.level == level.as_str()
                })
            })
        })
}

/// Whether an implementation run's latest run satisfies its own validators (launcher §4.7:
/// agents not yet proven are the ones an implementation-phase retry relaunches).
pub(super) fn implementation_proven(facts: &AgentFacts, run: Option<&AgentRun>) -> bool {
    let Some(run) = run else { return false };
    if !run.exit_ok {
        return false;
    }
    if facts.design.is_some() && !design_proven(facts, Some(run)) {
        return false;
    }
    if facts.implementation_owning {
        if facts.design.is_some() && !run.implementation_pass {
            return false;
        }
        let summary = run.summary.as_ref();
        if !validate_implementation(&facts.spec, summary).ok {
            return false;
        }
        if !owned_components_met(facts, summary) {
            return false;
        }
    }
    true
}

/// Reuse rule of launcher §4.2 for one agent: not a closure agent, previous status code 0 with
/// the same prompt hash, and (design stewards) the design summary validates, (hybrids and
/// proof-centric agents) the implementation summary validates.
pub(super) fn reusable(facts: &AgentFacts, run: &AgentRun, same_hash: bool) -> bool {
    if facts.is_closure() || !same_hash || !run.exit_ok {
        return false;
    }
    if facts.design.is_some() && !design_proven(facts, Some(run)) {
        return false;
    }
    let needs_implementation = facts.design == Some(DesignKind::Hybrid) || facts.proof_centric;
    if needs_implementation
        && facts.implementation_owning
        && !validate_implementation(&facts.spec, run.summary.as_ref()).ok
    {
        return false;
    }
    true
}

/// What an attempt runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Selection {
    /// Design stewards only, in design-pass mode; consumes the attempt when it passes.
    DesignPass(Vec<String>),
    /// Implementation fan-out, then the gates and a closure sweep over every closure agent.
    Implementation(Vec<String>),
    /// A closure sweep over exactly these closure agents.
    ClosureOnly(Vec<String>),
}

/// Every closure agent of the wave, in wave order.
pub(super) fn closure_ids(agents: &[AgentFacts]) -> Vec<String> {
    agents
        .iter()
        .filter(|a| a.is_closure())
        .map(|a| a.id.clone())
        .collect()
}

/// Implementation runs that still need a run: not proven by their latest run.
pub(super) fn unproven_implementation_runs(
    agents: &[AgentFacts],
    runs: &BTreeMap<String, AgentRun>,
) -> Vec<String> {
    agents
        .iter()
        .filter(|a| a.is_implementation_run() && !implementation_proven(a, runs.get(&a.id)))
        .map(|a| a.id.clone())
        .collect()
}

/// Design stewards whose design half is not proven by their latest run.
pub(super) fn unproven_design_agents(
    agents: &[AgentFacts],
    runs: &BTreeMap<String, AgentRun>,
) -> Vec<String> {
    agents
        .iter()
        .filter(|a| a.design.is_some() && !a.is_closure() && !design_proven(a, runs.get(&a.id)))
        .map(|a| a.id.clone())
        .collect()
}

/// Initial selection (launcher §4.2): design stewards that could not be reused, else the
/// implementation runs that could not be reused, else (all implementation work reused) every
/// closure agent.
pub(super) fn initial_selection(
    agents: &[AgentFacts],
    reused: &std::collections::BTreeSet<String>,
) -> Selection {
    let pending = |pred: &dyn Fn(&AgentFacts) -> bool| -> Vec<String> {
        agents
            .iter()
            .filter(|a| !reused.contains(&a.id) && pred(a))
            .map(|a| a.id.clone())
            .collect()
    };
    let design = pending(&|a| a.design.is_some() && !a.is_closure());
    if !design.is_empty() {
        return Selection::DesignPass(design);
    }
    let implementation = pending(&|a| a.is_implementation_run());
    if !implementation.is_empty() {
        return Selection::Implementation(implementation);
    }
    Selection::ClosureOnly(closure_ids(agents))
}

/// The wave agent with this id, if any.
pub(super) fn wave_agent<'w>(wave: &'w WaveDefinition, id: &str) -> Option<&'w WaveAgent> {
    wave.agent(id)
}
