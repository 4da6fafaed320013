//! The closure-role part of `validateWaveDefinition` (launcher §1.5/§1.6 rules 1, 4, 10, 11),
//! in upstream's order: cont-QA import and report, cont-EVAL import/report/eval targets,
//! security reviewers, design stewards, closure-role overlap, integration steward,
//! documentation steward, Context7 defaults, runtime mix.

use super::catalog::parse_benchmark_catalog;
use super::resolve::ValidatedAgent;
use super::roles::{
    closure_roles, cont_eval_report_path, cont_qa_report_path, design_report_path, is_design_agent,
    is_hybrid_design_agent, is_security_reviewer, security_report_path, ClosureRole,
};
use super::rules::required_documentation_paths;
use super::InputFiles;
use crate::config::{ExecutorId, LaneConfig};
use crate::wave::{WaveAgent, WaveDefinition};

fn imports(agent: &WaveAgent, path: &str) -> bool {
    agent.role_prompt_paths.iter().any(|p| p == path)
}

/// Upstream's `validateWaveRuntimeMixAssignments` detail (`None` when within targets).
pub fn runtime_mix_violation(lane: &LaneConfig, executors: &[ExecutorId]) -> Option<String> {
    let targets = &lane.runtime_policy.runtime_mix_targets;
    if targets.is_empty() {
        return None;
    }
    let mut counts: Vec<(ExecutorId, u32)> = Vec::new();
    for id in executors {
        match counts.iter_mut().find(|(e, _)| e == id) {
            Some(entry) => entry.1 += 1,
            None => counts.push((*id, 1)),
        }
    }
    let violations: Vec<String> = counts
        .iter()
        .filter_map(|(id, count)| {
            let target = targets.get(id)?;
            (count > target).then(|| format!("{}={count} exceeds target {target}", id.as_str()))
        })
        .collect();
    (!violations.is_empty()).then(|| violations.join("; "))
}

pub(crate) fn closure_violations(
    wave: &WaveDefinition,
    lane: &LaneConfig,
    inputs: &dyn InputFiles,
    agents: &[ValidatedAgent],
    cont_eval: Option<&WaveAgent>,
    errors: &mut Vec<String>,
) {
    let roles = &lane.roles;
    let n = wave.wave;
    let qa_id = &roles.cont_qa_agent_id;
    let eval_id = &roles.cont_eval_agent_id;

    let qa_prompt = &roles.cont_qa_role_prompt_path;
    if !wave.agent(qa_id).is_some_and(|a| imports(a, qa_prompt)) {
        errors.push(format!("Agent {qa_id} must import {qa_prompt}"));
    }
    if cont_qa_report_path(wave, roles).is_none() {
        errors.push(format!("Agent {qa_id} must own a cont-QA report path"));
    }
    if let Some(eval) = cont_eval {
        let eval_prompt = &roles.cont_eval_role_prompt_path;
        if !imports(eval, eval_prompt) {
            errors.push(format!("Agent {eval_id} must import {eval_prompt}"));
        }
        if cont_eval_report_path(wave, roles).is_none() {
            errors.push(format!("Agent {eval_id} must own a cont-EVAL report path"));
        }
        if wave.eval_targets.is_empty() {
            errors.push(format!(
                "Wave {n} must declare a ## Eval targets section when {eval_id} is present"
            ));
        } else {
            let path = &lane.benchmark_catalog_path;
            let checked = parse_benchmark_catalog(inputs.read(path).as_deref(), path)
                .and_then(|catalog| catalog.check_eval_targets(&wave.eval_targets));
            if let Err(e) = checked {
                errors.push(e.message);
            }
        }
    } else if !wave.eval_targets.is_empty() {
        errors.push(format!(
            "Wave {n} declares ## Eval targets but does not include Agent {eval_id}"
        ));
    }

    let security_prompt = &roles.security_role_prompt_path;
    for agent in wave
        .agents
        .iter()
        .filter(|a| is_security_reviewer(a, roles))
    {
        let id = &agent.agent_id;
        if !imports(agent, security_prompt) {
            errors.push(format!(
                "Security reviewer {id} must import {security_prompt}"
            ));
        }
        if security_report_path(agent).is_none() {
            errors.push(format!(
                "Security reviewer {id} must own a security review report path"
            ));
        }
    }
    let design_prompt = &roles.design_role_prompt_path;
    for agent in wave.agents.iter().filter(|a| is_design_agent(a, roles)) {
        let id = &agent.agent_id;
        if !imports(agent, design_prompt) {
            errors.push(format!("Design agent {id} must import {design_prompt}"));
        }
        if design_report_path(agent).is_none() {
            errors.push(format!("Design agent {id} must own a design packet path"));
        }
        if !is_hybrid_design_agent(agent, roles) && !agent.components.is_empty() {
            errors.push(format!(
                "Design agent {id} must stay docs/spec-only unless it explicitly owns implementation files"
            ));
        }
    }
    for agent in &wave.agents {
        let held = closure_roles(agent, roles);
        if held.len() > 1 {
            let labels: Vec<&str> = held.iter().map(|r: &ClosureRole| r.label()).collect();
            errors.push(format!(
                "Agent {} must not overlap closure roles ({})",
                agent.agent_id,
                labels.join(", ")
            ));
        }
    }

    let v = &lane.validation;
    if v.require_integration_steward_from_wave.applies_to(n) {
        let prompt = &roles.integration_role_prompt_path;
        let stewards = wave.agents.iter().filter(|a| imports(a, prompt)).count();
        if stewards != 1 {
            errors.push(format!(
                "Wave {n} must include exactly one integration steward importing {prompt}"
            ));
        }
    }
    let docs_rule = v.require_documentation_steward_from_wave.applies_to(n)
        || v.require_component_promotions_from_wave.applies_to(n);
    if docs_rule {
        let prompt = &roles.documentation_role_prompt_path;
        let stewards: Vec<&WaveAgent> = wave.agents.iter().filter(|a| imports(a, prompt)).collect();
        if let [steward] = stewards.as_slice() {
            let required = required_documentation_paths(n, lane);
            let missing: Vec<&str> = required
                .iter()
                .filter(|p| !steward.owned_paths.contains(p))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                errors.push(format!(
                    "Documentation steward {} must own {}",
                    steward.agent_id,
                    missing.join(", ")
                ));
            }
            let others: Vec<&str> = wave
                .agents
                .iter()
                .filter(|a| a.agent_id != steward.agent_id)
                .filter(|a| a.owned_paths.iter().any(|p| required.contains(p)))
                .map(|a| a.agent_id.as_str())
                .collect();
            if !others.is_empty() {
                errors.push(format!(
                    "Shared plan docs must be owned only by {} (also owned by {})",
                    steward.agent_id,
                    others.join(", ")
                ));
            }
        } else {
            errors.push(format!(
                "Wave {n} must include exactly one documentation steward importing {prompt}"
            ));
        }
    }
    if let Some(from) = v.require_context7_declarations_from_wave.from_wave() {
        if n >= from && wave.context7_defaults.is_none() {
            errors.push(format!(
                "Waves {from} and later must declare a ## Context7 defaults section"
            ));
        }
    }
    let executors: Vec<ExecutorId> = agents.iter().map(|a| a.executor.id).collect();
    if let Some(detail) = runtime_mix_violation(lane, &executors) {
        errors.push(format!(
            "Wave {n} exceeds lane runtime mix targets ({detail})"
        ));
    }
}
