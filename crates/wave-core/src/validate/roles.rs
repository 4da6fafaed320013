//! Role classification of wave agents (launcher §1.5).
//!
//! Owns the decisions upstream v0.9.1 spreads over `role-helpers.mjs` and `wave-files.mjs`:
//! closure roles by configured id (cont-QA, cont-EVAL, integration, documentation); security
//! reviewers and design stewards detected from role prompts and capabilities; report-only vs
//! implementation-owning cont-EVAL; docs-only vs hybrid design; the implementation-owning
//! predicate; report-path rules; closure-role overlap; and the runtime role. [`AgentRoles`]
//! bundles them per agent for the launcher.

use serde::Serialize;

use super::js::{clean_path, report_name_matches};
use crate::config::{RolesConfig, RuntimeRole};
use crate::wave::{
    WaveAgent, WaveDefinition, DEFAULT_DESIGN_ROLE_PROMPT_PATH, DEFAULT_SECURITY_ROLE_PROMPT_PATH,
};

/// `(^|/)(reviews?|.*cont[-_]?qa).*\.(md|txt)$`, case-insensitive.
pub fn is_cont_qa_report_path(path: &str) -> bool {
    report_name_matches(path, &["review"], true)
        || report_name_matches(path, &["contqa", "cont-qa", "cont_qa"], false)
}

/// `(^|/)(reviews?|.*cont[-_]?eval|.*eval).*\.(md|txt)$`, case-insensitive.
pub fn is_cont_eval_report_path(path: &str) -> bool {
    report_name_matches(path, &["review"], true) || report_name_matches(path, &["eval"], false)
}

/// A `.md`/`.txt` path containing `security`, case-insensitive.
pub fn is_security_report_path(path: &str) -> bool {
    report_name_matches(path, &["security"], false)
}

/// A `.md`/`.txt` path containing `design`, `handoff` or `decision-lineage`, case-insensitive.
pub fn is_design_report_path(path: &str) -> bool {
    report_name_matches(path, &["design", "handoff", "decision-lineage"], false)
}

fn role_prompt_matches(path: &str, configured: &str, default: &str, suffix: &str) -> bool {
    let path = clean_path(path);
    path == clean_path(configured) || path == default || path.ends_with(suffix)
}

/// Whether a role prompt path is the security role: the configured path, the default path, or
/// any path ending `/wave-security-role.md`.
pub fn is_security_role_prompt_path(path: &str, configured: &str) -> bool {
    role_prompt_matches(
        path,
        configured,
        DEFAULT_SECURITY_ROLE_PROMPT_PATH,
        "/wave-security-role.md",
    )
}

/// Whether a role prompt path is the design role (configured, default, or `/wave-design-role.md`).
pub fn is_design_role_prompt_path(path: &str, configured: &str) -> bool {
    role_prompt_matches(
        path,
        configured,
        DEFAULT_DESIGN_ROLE_PROMPT_PATH,
        "/wave-design-role.md",
    )
}

fn has_capability(agent: &WaveAgent, capability: &str) -> bool {
    agent
        .capabilities
        .iter()
        .any(|c| c.trim().to_lowercase() == capability)
}

fn owned_paths(agent: &WaveAgent) -> impl Iterator<Item = String> + '_ {
    agent
        .owned_paths
        .iter()
        .map(|p| clean_path(p))
        .filter(|p| !p.is_empty())
}

/// A security reviewer: imports the security role prompt or has capability `security-review`.
pub fn is_security_reviewer(agent: &WaveAgent, roles: &RolesConfig) -> bool {
    agent
        .role_prompt_paths
        .iter()
        .any(|p| is_security_role_prompt_path(p, &roles.security_role_prompt_path))
        || has_capability(agent, "security-review")
}

/// A design steward: imports the design role prompt or has capability `design`.
pub fn is_design_agent(agent: &WaveAgent, roles: &RolesConfig) -> bool {
    agent
        .role_prompt_paths
        .iter()
        .any(|p| is_design_role_prompt_path(p, &roles.design_role_prompt_path))
        || has_capability(agent, "design")
}

/// A hybrid design steward: a design agent owning any path that is not a design packet.
pub fn is_hybrid_design_agent(agent: &WaveAgent, roles: &RolesConfig) -> bool {
    is_design_agent(agent, roles) && owned_paths(agent).any(|p| !is_design_report_path(&p))
}

/// A docs-only design steward (design agent, not hybrid).
pub fn is_docs_only_design_agent(agent: &WaveAgent, roles: &RolesConfig) -> bool {
    is_design_agent(agent, roles) && !is_hybrid_design_agent(agent, roles)
}

/// The cont-EVAL agent owning any path that is not an eval report: also implementation-owning.
pub fn is_cont_eval_implementation_owning(agent: &WaveAgent, roles: &RolesConfig) -> bool {
    agent.agent_id == roles.cont_eval_agent_id
        && owned_paths(agent).any(|p| !is_cont_eval_report_path(&p))
}

/// The cont-EVAL agent owning report paths only.
pub fn is_cont_eval_report_only(agent: &WaveAgent, roles: &RolesConfig) -> bool {
    agent.agent_id == roles.cont_eval_agent_id && !is_cont_eval_implementation_owning(agent, roles)
}

/// Implementation-owning: not cont-QA/integration/documentation, not report-only cont-EVAL,
/// not docs-only design, not a security reviewer.
pub fn is_implementation_owning(agent: &WaveAgent, roles: &RolesConfig) -> bool {
    let id = agent.agent_id.as_str();
    id != roles.cont_qa_agent_id
        && id != roles.integration_agent_id
        && id != roles.documentation_agent_id
        && !is_cont_eval_report_only(agent, roles)
        && !is_docs_only_design_agent(agent, roles)
        && !is_security_reviewer(agent, roles)
}

fn first_report_path<'w>(
    wave: &'w WaveDefinition,
    agent_id: &str,
    matches: fn(&str) -> bool,
) -> Option<&'w str> {
    let agent = wave.agent(agent_id)?;
    agent
        .owned_paths
        .iter()
        .find(|p| matches(p))
        .or_else(|| agent.owned_paths.first())
        .map(String::as_str)
}

/// The cont-QA report: the agent's first owned path that looks like a review / cont-QA report,
/// else its first owned path (`None` without a cont-QA agent or owned paths).
pub fn cont_qa_report_path<'w>(wave: &'w WaveDefinition, roles: &RolesConfig) -> Option<&'w str> {
    first_report_path(wave, &roles.cont_qa_agent_id, is_cont_qa_report_path)
}

/// The cont-EVAL report, by the same rule with the eval-report pattern.
pub fn cont_eval_report_path<'w>(wave: &'w WaveDefinition, roles: &RolesConfig) -> Option<&'w str> {
    first_report_path(wave, &roles.cont_eval_agent_id, is_cont_eval_report_path)
}

/// A security reviewer's report: its first owned security `.md`/`.txt` path (cleaned).
pub fn security_report_path(agent: &WaveAgent) -> Option<String> {
    owned_paths(agent).find(|p| is_security_report_path(p))
}

/// A design steward's packet: its first owned design/handoff/decision-lineage path (cleaned).
pub fn design_report_path(agent: &WaveAgent) -> Option<String> {
    owned_paths(agent).find(|p| is_design_report_path(p))
}

/// A closure role an agent holds (upstream's closure role keys, in its order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClosureRole {
    /// The cont-EVAL agent.
    ContEval,
    /// A security reviewer.
    SecurityReview,
    /// The integration steward.
    Integration,
    /// The documentation steward.
    Documentation,
    /// The cont-QA agent.
    ContQa,
}

impl ClosureRole {
    /// Upstream's label in the closure-overlap message.
    pub fn label(self) -> &'static str {
        match self {
            ClosureRole::ContEval => "cont-EVAL",
            ClosureRole::SecurityReview => "security review",
            ClosureRole::Integration => "integration steward",
            ClosureRole::Documentation => "documentation steward",
            ClosureRole::ContQa => "cont-QA",
        }
    }
}

/// The closure roles an agent holds, in upstream's order (more than one is a validation error).
pub fn closure_roles(agent: &WaveAgent, roles: &RolesConfig) -> Vec<ClosureRole> {
    let id = agent.agent_id.as_str();
    let mut out = Vec::new();
    if id == roles.cont_eval_agent_id {
        out.push(ClosureRole::ContEval);
    }
    if is_security_reviewer(agent, roles) {
        out.push(ClosureRole::SecurityReview);
    }
    if id == roles.integration_agent_id {
        out.push(ClosureRole::Integration);
    }
    if id == roles.documentation_agent_id {
        out.push(ClosureRole::Documentation);
    }
    if id == roles.cont_qa_agent_id {
        out.push(ClosureRole::ContQa);
    }
    out
}

/// The runtime role (keys of `defaultExecutorByRole` / `skills.byRole`).
pub fn runtime_role(agent: &WaveAgent, roles: &RolesConfig) -> RuntimeRole {
    RuntimeRole::infer(
        &agent.agent_id,
        roles,
        is_design_agent(agent, roles),
        is_security_reviewer(agent, roles),
        &agent.capabilities,
        &agent.title,
    )
}

/// Which kind of cont-EVAL agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContEvalKind {
    /// Owns eval reports only.
    ReportOnly,
    /// Also owns non-report paths: implementation-owning too.
    ImplementationOwning,
}

/// Which kind of design steward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesignKind {
    /// Owns design packets only.
    DocsOnly,
    /// Also owns implementation files.
    Hybrid,
}

/// Everything the launcher needs to know about one agent's roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentRoles {
    /// Agent id.
    pub agent_id: String,
    /// Runtime role.
    pub runtime_role: RuntimeRole,
    /// Closure roles held (normally zero or one).
    pub closure_roles: Vec<ClosureRole>,
    /// Set for the cont-EVAL agent.
    pub cont_eval: Option<ContEvalKind>,
    /// Set for a design steward.
    pub design: Option<DesignKind>,
    /// Whether the agent is a security reviewer.
    pub security_reviewer: bool,
    /// Whether the agent owns implementation work (gets exit contracts, components, proof).
    pub implementation_owning: bool,
    /// Whether the agent is proof-centric (launcher §1.4).
    pub proof_centric: bool,
    /// The report the agent's gate reads: the cont-QA/cont-EVAL report, the design packet or
    /// the security report (repo-relative), if any.
    pub report_path: Option<String>,
}

impl AgentRoles {
    /// Classifies `agent` of `wave`.
    pub fn classify(wave: &WaveDefinition, agent: &WaveAgent, roles: &RolesConfig) -> Self {
        let id = agent.agent_id.as_str();
        let design = is_design_agent(agent, roles).then(|| {
            if is_hybrid_design_agent(agent, roles) {
                DesignKind::Hybrid
            } else {
                DesignKind::DocsOnly
            }
        });
        let cont_eval = (id == roles.cont_eval_agent_id).then(|| {
            if is_cont_eval_implementation_owning(agent, roles) {
                ContEvalKind::ImplementationOwning
            } else {
                ContEvalKind::ReportOnly
            }
        });
        let security_reviewer = is_security_reviewer(agent, roles);
        let report_path = if id == roles.cont_qa_agent_id {
            cont_qa_report_path(wave, roles).map(str::to_string)
        } else if id == roles.cont_eval_agent_id {
            cont_eval_report_path(wave, roles).map(str::to_string)
        } else {
            design.and_then(|_| design_report_path(agent)).or_else(|| {
                security_reviewer
                    .then(|| security_report_path(agent))
                    .flatten()
            })
        };
        AgentRoles {
            agent_id: agent.agent_id.clone(),
            runtime_role: runtime_role(agent, roles),
            closure_roles: closure_roles(agent, roles),
            cont_eval,
            design,
            security_reviewer,
            implementation_owning: is_implementation_owning(agent, roles),
            proof_centric: agent.is_proof_centric(),
            report_path,
        }
    }

    /// Classifies every agent of `wave`, in file order.
    pub fn classify_wave(wave: &WaveDefinition, roles: &RolesConfig) -> Vec<AgentRoles> {
        wave.agents
            .iter()
            .map(|agent| AgentRoles::classify(wave, agent, roles))
            .collect()
    }
}

#[cfg(test)]
#[path = "roles_tests.rs"]
mod tests;
