//! Resolving one wave agent's executor: id, model, merged vendor settings, fallbacks, retry
//! policy and budget, with upstream v0.9.1's precedence (launcher reference §2.6).

use serde::Serialize;

use super::executor::{
    Budget, ClaudeSettings, CodexSandbox, CodexSettings, ExecutorId, OpencodeSettings, RetryPolicy,
};
use super::layers::RolesConfig;
use super::overrides::ExecutorOverrides;
use super::resolve::LaneConfig;
use super::value::string_enum;

string_enum! {
    /// The runtime role of an agent (keys of `defaultExecutorByRole` and `skills.byRole`).
    RuntimeRole {
        /// An implementation agent (the fallback).
        Implementation => "implementation",
        /// The cont-QA closure agent.
        ContQa => "cont-qa",
        /// The cont-EVAL agent.
        ContEval => "cont-eval",
        /// The integration steward.
        Integration => "integration",
        /// The documentation steward.
        Documentation => "documentation",
        /// A design steward.
        Design => "design",
        /// A security reviewer.
        Security => "security",
        /// Infrastructure work.
        Infra => "infra",
        /// Deployment work.
        Deploy => "deploy",
        /// Research work.
        Research => "research",
    }
}

fn has_word(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

impl RuntimeRole {
    /// Upstream's role inference: closure ids first, then design, security, then a capability
    /// prefix or a title word `infra`, `deploy`, `research`; else implementation. Whether the
    /// agent is a design steward or security reviewer is decided by the wave model (from its
    /// role prompts and capabilities) and passed in.
    pub fn infer(
        agent_id: &str,
        roles: &RolesConfig,
        is_design: bool,
        is_security: bool,
        capabilities: &[String],
        title: &str,
    ) -> RuntimeRole {
        if agent_id == roles.cont_qa_agent_id {
            return RuntimeRole::ContQa;
        }
        if agent_id == roles.cont_eval_agent_id {
            return RuntimeRole::ContEval;
        }
        if agent_id == roles.integration_agent_id {
            return RuntimeRole::Integration;
        }
        if agent_id == roles.documentation_agent_id {
            return RuntimeRole::Documentation;
        }
        if is_design {
            return RuntimeRole::Design;
        }
        if is_security {
            return RuntimeRole::Security;
        }
        let title = title.trim().to_lowercase();
        let caps: Vec<String> = capabilities
            .iter()
            .map(|c| c.trim().to_lowercase())
            .collect();
        for (word, role) in [
            ("infra", RuntimeRole::Infra),
            ("deploy", RuntimeRole::Deploy),
            ("research", RuntimeRole::Research),
        ] {
            if caps.iter().any(|c| c.starts_with(word)) || has_word(&title, word) {
                return role;
            }
        }
        RuntimeRole::Implementation
    }
}

string_enum! {
    /// Which rule chose the executor (upstream's `selectedBy`).
    SelectedBy {
        /// The agent's `id`.
        AgentId => "agent-id",
        /// The agent's profile's `id`.
        AgentProfile => "agent-profile",
        /// `runtimePolicy.defaultExecutorByRole`.
        LaneRoleDefault => "lane-role-default",
        /// `--executor`.
        CliDefault => "cli-default",
        /// `executors.default`.
        LaneDefault => "lane-default",
    }
}

/// The inputs of [`resolve_agent_executor`] besides the lane.
#[derive(Debug, Clone, Copy)]
pub struct ExecutorRequest<'a> {
    /// Agent id (for error messages).
    pub agent_id: &'a str,
    /// The agent's `### Executor` block (`None` when it has none).
    pub overrides: Option<&'a ExecutorOverrides>,
    /// The agent's runtime role.
    pub role: RuntimeRole,
    /// Whether the agent (or its wave) is proof-centric: decides the default retry policy.
    pub proof_centric: bool,
    /// `--executor`.
    pub cli_executor: Option<ExecutorId>,
    /// `--codex-sandbox`.
    pub cli_codex_sandbox: Option<CodexSandbox>,
}

/// An agent's resolved executor.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedExecutor {
    /// The executor to run.
    pub id: ExecutorId,
    /// Model: agent → profile → the claude/opencode section's model.
    pub model: Option<String>,
    /// The runtime role used.
    pub role: RuntimeRole,
    /// Profile name, if any.
    pub profile: Option<String>,
    /// Which rule chose `id`.
    pub selected_by: SelectedBy,
    /// Executors a retry may fall back to (empty when fallback is not allowed).
    pub fallbacks: Vec<ExecutorId>,
    /// Profile ∪ agent tags.
    pub tags: Vec<String>,
    /// Effective retry policy.
    pub retry_policy: RetryPolicy,
    /// Whether a retry may switch executor.
    pub allow_fallback_on_retry: bool,
    /// Budget (`None` when neither turns nor minutes is set).
    pub budget: Option<Budget>,
    /// Merged codex settings.
    pub codex: CodexSettings,
    /// Merged claude settings.
    pub claude: ClaudeSettings,
    /// Merged opencode settings.
    pub opencode: OpencodeSettings,
}

/// Why an agent's executor cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentExecutorError {
    /// The agent names a profile the lane does not define.
    #[error("Agent {agent_id} references unknown executor profile \"{profile}\"")]
    UnknownProfile {
        /// Agent id.
        agent_id: String,
        /// The profile name (lower-cased).
        profile: String,
    },
}

/// Ordered union of string lists, trimmed, empty entries dropped.
fn union<'a>(lists: impl IntoIterator<Item = &'a [String]>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in lists.into_iter().flatten() {
        let item = item.trim();
        if !item.is_empty() && !out.iter().any(|x| x == item) {
            out.push(item.to_string());
        }
    }
    out
}

fn union_ids(lists: [&[ExecutorId]; 2]) -> Vec<ExecutorId> {
    let mut out = Vec::new();
    for id in lists.into_iter().flatten() {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

fn list<'a, P>(
    patch: Option<&'a P>,
    get: impl Fn(&'a P) -> &'a Option<Vec<String>>,
) -> &'a [String] {
    patch.and_then(|p| get(p).as_deref()).unwrap_or(&[])
}

/// Resolves an agent's executor against its lane.
///
/// Id: agent `id` → profile `id` → lane `defaultExecutorByRole[role]` → `--executor` →
/// `executors.default`. Settings: lane section ← profile ← agent, later scalars win, list keys
/// unioned. `--codex-sandbox` applies only when neither agent nor profile sets a sandbox and the
/// executor is codex. Fallback: explicit `allow-fallback-on-retry`, else `retry-policy != sticky`
/// when set, else "not proof-centric"; when allowed, profile ∪ agent fallbacks, or if none the
/// lane's `fallbackExecutorOrder` without the primary.
pub fn resolve_agent_executor(
    lane: &LaneConfig,
    request: &ExecutorRequest<'_>,
) -> Result<ResolvedExecutor, AgentExecutorError> {
    let agent = request.overrides;
    let profile_name = agent.and_then(|a| a.profile.clone());
    let profile = match &profile_name {
        Some(name) => Some(lane.executors.profiles.get(name).ok_or_else(|| {
            AgentExecutorError::UnknownProfile {
                agent_id: request.agent_id.to_string(),
                profile: name.clone(),
            }
        })?),
        None => None,
    };
    let role_default = lane
        .runtime_policy
        .default_executor_by_role
        .get(request.role.as_str())
        .copied();
    let (id, selected_by) = if let Some(id) = agent.and_then(|a| a.id) {
        (id, SelectedBy::AgentId)
    } else if let Some(id) = profile.and_then(|p| p.id) {
        (id, SelectedBy::AgentProfile)
    } else if let Some(id) = role_default {
        (id, SelectedBy::LaneRoleDefault)
    } else if let Some(id) = request.cli_executor {
        (id, SelectedBy::CliDefault)
    } else {
        (lane.executors.default, SelectedBy::LaneDefault)
    };

    let model = agent
        .and_then(|a| a.model.clone())
        .or_else(|| profile.and_then(|p| p.model.clone()))
        .or_else(|| match id {
            ExecutorId::Claude => lane.executors.claude.model.clone(),
            ExecutorId::Opencode => lane.executors.opencode.model.clone(),
            _ => None,
        });

    let explicit_fallbacks = union_ids([
        profile.map(|p| p.fallbacks.as_slice()).unwrap_or(&[]),
        agent.map(|a| a.fallbacks.as_slice()).unwrap_or(&[]),
    ]);
    // v0.9.1 reads neither `retryPolicy` nor `allowFallbackOnRetry` from profiles.
    let retry_explicit = agent.and_then(|a| a.retry_policy);
    let allow_fallback_on_retry = agent
        .and_then(|a| a.allow_fallback_on_retry)
        .or_else(|| retry_explicit.map(|p| p != RetryPolicy::Sticky))
        .unwrap_or(!request.proof_centric);
    let retry_policy = retry_explicit.unwrap_or(if allow_fallback_on_retry {
        RetryPolicy::FallbackAllowed
    } else {
        RetryPolicy::Sticky
    });
    let fallbacks = if !allow_fallback_on_retry {
        Vec::new()
    } else if !explicit_fallbacks.is_empty() {
        explicit_fallbacks
    } else {
        lane.runtime_policy
            .fallback_executor_order
            .iter()
            .copied()
            .filter(|candidate| *candidate != id)
            .collect()
    };

    let tags = union([
        profile.map(|p| p.tags.as_slice()).unwrap_or(&[]),
        agent.map(|a| a.tags.as_slice()).unwrap_or(&[]),
    ]);
    let agent_budget = agent.and_then(|a| a.budget);
    let profile_budget = profile.and_then(|p| p.budget);
    let turns = agent_budget
        .and_then(|b| b.turns)
        .or(profile_budget.and_then(|b| b.turns));
    let minutes = agent_budget
        .and_then(|b| b.minutes)
        .or(profile_budget.and_then(|b| b.minutes));
    let budget = (turns.is_some() || minutes.is_some()).then_some(Budget { turns, minutes });

    // Codex.
    let lane_codex = &lane.executors.codex;
    let profile_codex = profile.and_then(|p| p.codex.as_ref());
    let agent_codex = agent.and_then(|a| a.codex.as_ref());
    let mut codex = lane_codex.clone();
    for patch in [profile_codex, agent_codex].into_iter().flatten() {
        codex.apply(patch);
    }
    codex.config = union([
        lane_codex.config.as_slice(),
        list(profile_codex, |p| &p.config),
        list(agent_codex, |p| &p.config),
    ]);
    codex.images = union([
        lane_codex.images.as_slice(),
        list(profile_codex, |p| &p.images),
        list(agent_codex, |p| &p.images),
    ]);
    codex.add_dirs = union([
        lane_codex.add_dirs.as_slice(),
        list(profile_codex, |p| &p.add_dirs),
        list(agent_codex, |p| &p.add_dirs),
    ]);
    codex.sandbox = agent_codex
        .and_then(|p| p.sandbox)
        .or_else(|| profile_codex.and_then(|p| p.sandbox))
        .unwrap_or(if id == ExecutorId::Codex {
            request.cli_codex_sandbox.unwrap_or(lane_codex.sandbox)
        } else {
            lane_codex.sandbox
        });

    // Claude.
    let lane_claude = &lane.executors.claude;
    let profile_claude = profile.and_then(|p| p.claude.as_ref());
    let agent_claude = agent.and_then(|a| a.claude.as_ref());
    let mut claude = lane_claude.clone();
    for patch in [profile_claude, agent_claude].into_iter().flatten() {
        claude.apply(patch);
    }
    claude.mcp_config = union([
        lane_claude.mcp_config.as_slice(),
        list(profile_claude, |p| &p.mcp_config),
        list(agent_claude, |p| &p.mcp_config),
    ]);
    claude.allowed_tools = union([
        lane_claude.allowed_tools.as_slice(),
        list(profile_claude, |p| &p.allowed_tools),
        list(agent_claude, |p| &p.allowed_tools),
    ]);
    claude.disallowed_tools = union([
        lane_claude.disallowed_tools.as_slice(),
        list(profile_claude, |p| &p.disallowed_tools),
        list(agent_claude, |p| &p.disallowed_tools),
    ]);
    claude.allowed_http_hook_urls = union([
        lane_claude.allowed_http_hook_urls.as_slice(),
        list(profile_claude, |p| &p.allowed_http_hook_urls),
        list(agent_claude, |p| &p.allowed_http_hook_urls),
    ]);
    claude.model = if id == ExecutorId::Claude {
        model.clone().or_else(|| lane_claude.model.clone())
    } else {
        lane_claude.model.clone()
    };

    // OpenCode.
    let lane_opencode = &lane.executors.opencode;
    let profile_opencode = profile.and_then(|p| p.opencode.as_ref());
    let agent_opencode = agent.and_then(|a| a.opencode.as_ref());
    let mut opencode = lane_opencode.clone();
    for patch in [profile_opencode, agent_opencode].into_iter().flatten() {
        opencode.apply(patch);
    }
    opencode.instructions = union([
        lane_opencode.instructions.as_slice(),
        list(profile_opencode, |p| &p.instructions),
        list(agent_opencode, |p| &p.instructions),
    ]);
    opencode.files = union([
        lane_opencode.files.as_slice(),
        list(profile_opencode, |p| &p.files),
        list(agent_opencode, |p| &p.files),
    ]);
    opencode.model = if id == ExecutorId::Opencode {
        model.clone().or_else(|| lane_opencode.model.clone())
    } else {
        lane_opencode.model.clone()
    };

    Ok(ResolvedExecutor {
        id,
        model,
        role: request.role,
        profile: profile_name,
        selected_by,
        fallbacks,
        tags,
        retry_policy,
        allow_fallback_on_retry,
        budget,
        codex,
        claude,
        opencode,
    })
}
