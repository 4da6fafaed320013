//! Launch-time resolution of a parsed wave's agents (launcher §1.7), done before the rules run
//! because the rules need it: the `### Executor` block, the executor (unknown profile), the
//! skill bundles (`<skills.dir>/<id>/skill.json` + `SKILL.md`) and the Context7 bundle.
//!
//! Upstream throws the first of these errors, in this order per wave: every agent's executor,
//! then every agent's skills, then every agent's Context7 bundle. Executor commands on `PATH`
//! are the engine's check, not this module's.

use serde::Serialize;

use super::context7::Context7BundleIndex;
use super::roles::AgentRoles;
use super::{InputFiles, ValidateOptions};
use crate::config::{
    resolve_agent_executor, ExecutorOverrides, ExecutorRequest, LaneConfig, ResolvedExecutor,
};
use crate::wave::{effective_executor_settings, WaveAgent, WaveDefinition};

/// One agent after resolution and validation: what the launcher runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatedAgent {
    /// Role classification.
    pub roles: AgentRoles,
    /// The agent's `### Executor` block as typed overrides (`None` without one).
    pub executor_overrides: Option<ExecutorOverrides>,
    /// The resolved executor.
    pub executor: ResolvedExecutor,
    /// Skill ids to attach (configured for role/runtime/deploy kind, then the agent's own).
    /// Configured skills whose manifest activation excludes the agent are not filtered here.
    pub skills: Vec<String>,
    /// The Context7 bundle id selected (`None` when no bundle index was given).
    pub context7_bundle: Option<String>,
}

/// A wave that passed validation, with its agents resolved, in file order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatedWave {
    /// Wave number.
    pub wave: u32,
    /// Wave file, repo-relative.
    pub file: String,
    /// Agents in file order.
    pub agents: Vec<ValidatedAgent>,
}

/// Builds the typed `### Executor` overrides of an agent from its raw bullets.
pub fn executor_overrides(
    agent: &WaveAgent,
    file: &str,
) -> Result<Option<ExecutorOverrides>, String> {
    let Some(settings) = &agent.executor_config else {
        return Ok(None);
    };
    let mut overrides = ExecutorOverrides::default();
    for setting in effective_executor_settings(settings) {
        overrides
            .apply_setting(&setting.key, &setting.value)
            .map_err(|e| e.message(&format!("agent {}", agent.agent_id), file))?;
    }
    Ok(Some(overrides))
}

/// The deploy kind of the wave's default environment (drives `skills.byDeployKind`).
fn default_deploy_kind(wave: &WaveDefinition) -> Option<&str> {
    wave.deploy_environments
        .iter()
        .find(|e| e.is_default)
        .or_else(|| wave.deploy_environments.first())
        .map(|e| e.kind.as_str())
        .filter(|k| !k.is_empty())
}

fn push_unique(out: &mut Vec<String>, ids: &[String]) {
    for id in ids {
        let id = id.trim().to_lowercase();
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
}

/// Checks one skill bundle the way upstream's loader does up to its manifest id.
fn check_skill_bundle(lane: &LaneConfig, inputs: &dyn InputFiles, id: &str) -> Result<(), String> {
    let dir = lane.skills.dir.trim_end_matches('/');
    let bundle = format!("{dir}/{id}");
    if !inputs.exists(&bundle) {
        return Err(format!("Missing skill bundle \"{id}\" in {dir}"));
    }
    let manifest_path = format!("{bundle}/skill.json");
    let Some(text) = inputs.read(&manifest_path) else {
        return Err(format!("skill manifest not found: {manifest_path}"));
    };
    let manifest: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("Invalid skill manifest JSON at {manifest_path}: {e}"))?;
    let Some(manifest) = manifest.as_object() else {
        return Err(format!(
            "skill manifest must be a JSON object: {manifest_path}"
        ));
    };
    let declared = super::js::text_or_empty(manifest.get("id")).to_lowercase();
    if !declared.is_empty() && declared != id {
        return Err(format!(
            "Skill manifest id mismatch for {id}: expected \"{id}\""
        ));
    }
    if !inputs.exists(&format!("{bundle}/SKILL.md")) {
        return Err(format!("Missing SKILL.md for skill \"{id}\""));
    }
    Ok(())
}

/// Resolves every agent of `wave`; the first resolution error, as upstream throws it.
pub(crate) fn resolve_wave(
    wave: &WaveDefinition,
    lane: &LaneConfig,
    inputs: &dyn InputFiles,
    context7: Option<&Context7BundleIndex>,
    options: &ValidateOptions,
) -> Result<Vec<ValidatedAgent>, String> {
    let mut agents = Vec::with_capacity(wave.agents.len());
    for agent in &wave.agents {
        let roles = AgentRoles::classify(wave, agent, &lane.roles);
        let overrides = executor_overrides(agent, &wave.file)?;
        let request = ExecutorRequest {
            agent_id: &agent.agent_id,
            overrides: overrides.as_ref(),
            role: roles.runtime_role,
            proof_centric: roles.proof_centric,
            cli_executor: options.cli_executor,
            cli_codex_sandbox: options.cli_codex_sandbox,
        };
        let executor = resolve_agent_executor(lane, &request).map_err(|e| e.to_string())?;
        agents.push(ValidatedAgent {
            roles,
            executor_overrides: overrides,
            executor,
            skills: Vec::new(),
            context7_bundle: None,
        });
    }
    let deploy_kind = default_deploy_kind(wave);
    let skills = &lane.skills;
    for (agent, resolved) in wave.agents.iter().zip(agents.iter_mut()) {
        let mut ids = Vec::new();
        push_unique(&mut ids, &skills.base);
        let role = resolved.executor.role.as_str();
        let runtime = resolved.executor.id.as_str();
        for (map, key) in [
            (&skills.by_role, Some(role)),
            (&skills.by_runtime, Some(runtime)),
            (&skills.by_deploy_kind, deploy_kind),
        ] {
            if let Some(list) = key.and_then(|k| map.get(k)) {
                push_unique(&mut ids, list);
            }
        }
        push_unique(&mut ids, &agent.skills);
        for id in &ids {
            check_skill_bundle(lane, inputs, id)?;
        }
        resolved.skills = ids;
    }
    if let Some(index) = context7 {
        for (agent, resolved) in wave.agents.iter().zip(agents.iter_mut()) {
            let bundle = index
                .select_bundle(
                    &lane.lane,
                    wave.context7_defaults.as_ref(),
                    agent.context7_config.as_ref(),
                    &agent.agent_id,
                )
                .map_err(|e| e.to_string())?;
            resolved.context7_bundle = Some(bundle.to_string());
        }
    }
    Ok(agents)
}
