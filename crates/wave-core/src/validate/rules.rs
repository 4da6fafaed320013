//! The post-parse rules of upstream's `validateWaveDefinition` (launcher §1.6), in upstream's
//! order, each violation with upstream's message text verbatim.
//!
//! [`wave_violations`] returns every violation of one wave; the caller joins them into
//! `Invalid wave <n> (<file>): <msg>; <msg>; …`.

use std::collections::BTreeMap;

use super::js::is_repo_contained;
use super::matrix::{parse_component_matrix, ComponentMatrix};
use super::resolve::ValidatedAgent;
use super::roles::{is_cont_eval_implementation_owning, is_implementation_owning};
use super::InputFiles;
use crate::config::{ExecutorId, LaneConfig};
use crate::ids::{AgentId, AgentSlug, WaveNumber};
use crate::wave::WaveDefinition;

/// Upstream's `isAllowedRolePromptPath`: inside the repo, under `<dir>/`, ending `.md`.
fn allowed_role_prompt_path(path: &str, dir: &str) -> bool {
    let dir = dir.replace('\\', "/");
    let dir = dir.trim_end_matches('/');
    is_repo_contained(path)
        && path.replace('\\', "/").starts_with(&format!("{dir}/"))
        && path.to_ascii_lowercase().ends_with(".md")
}

/// The lane's component cutover matrix, read and parsed at most once per [`super::Validator`]
/// (upstream re-reads it for every wave; parsing it per wave dominated validation time).
#[derive(Debug, Default)]
pub(crate) struct MatrixCache(std::cell::OnceCell<Result<ComponentMatrix, String>>);

impl MatrixCache {
    /// The parsed matrix, or the error message upstream reports for it.
    pub(crate) fn get(
        &self,
        lane: &LaneConfig,
        inputs: &dyn InputFiles,
    ) -> Result<&ComponentMatrix, &String> {
        self.0
            .get_or_init(|| {
                let path = &lane.component_cutover_matrix_json_path;
                parse_component_matrix(inputs.read(path).as_deref(), path)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
    }
}

/// The docs the documentation steward must own in `wave`: the shared plan docs, plus the
/// matrix `.md`/`.json` when the component-promotion rule is active (deduplicated).
pub fn required_documentation_paths(wave: u32, lane: &LaneConfig) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |p: &str| {
        if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    };
    lane.shared_plan_docs.iter().for_each(|p| add(p));
    if lane
        .validation
        .require_component_promotions_from_wave
        .applies_to(wave)
    {
        add(&lane.component_cutover_matrix_doc_path);
        add(&lane.component_cutover_matrix_json_path);
    }
    out
}

fn threshold_text(from: Option<u32>) -> String {
    from.map(|n| n.to_string()).unwrap_or_default()
}

/// Every violation of `wave`, in upstream's order. `agents` are the resolved agents, in the
/// wave's agent order.
/// Agent ids that cannot name files: an id `wave` refuses ([`AgentId`] rules: no `/`, `\`,
/// `:`, control or bidirectional-format characters, not `.`/`..`), and pairs of distinct ids
/// whose per-agent files would be the same (`A1` and `a1` share the slug `0-a1`, so one's
/// prompt, status and log would be the other's). Messages in upstream's style.
fn agent_file_name_violations(wave: &WaveDefinition) -> Vec<String> {
    let mut errors = Vec::new();
    let mut seen: Vec<(String, &str)> = Vec::new();
    for a in &wave.agents {
        let id = match a.agent_id.parse::<AgentId>() {
            Ok(id) => id,
            Err(_) => {
                errors.push(format!(
                    "agent id {:?} cannot name a file (no '/', '\\', ':', control or bidirectional characters, not '.' or '..')",
                    a.agent_id
                ));
                continue;
            }
        };
        let slug = AgentSlug::new(WaveNumber(wave.wave), &id).to_string();
        let key = id.as_str().to_lowercase();
        if let Some((_, other)) = seen
            .iter()
            .find(|(s, other)| (*s == slug || other.to_lowercase() == key) && *other != a.agent_id)
        {
            errors.push(format!(
                "agent ids {other} and {} map to the same files (slug {slug}); rename one",
                a.agent_id
            ));
            continue;
        }
        seen.push((slug, &a.agent_id));
    }
    errors
}

pub(crate) fn wave_violations(
    wave: &WaveDefinition,
    lane: &LaneConfig,
    inputs: &dyn InputFiles,
    agents: &[ValidatedAgent],
    matrix_cache: &MatrixCache,
) -> Vec<String> {
    let roles = &lane.roles;
    let v = &lane.validation;
    let n = wave.wave;
    let (qa_id, eval_id) = (&roles.cont_qa_agent_id, &roles.cont_eval_agent_id);
    let docs_id = &roles.documentation_agent_id;
    let promotion_rule = v.require_component_promotions_from_wave.applies_to(n);
    let components_rule = v.require_agent_components_from_wave.applies_to(n);
    let mut errors: Vec<String> = Vec::new();

    // Declared promotions: a JavaScript Map, so a repeated id keeps its first position.
    let mut promoted: Vec<(&str, &str)> = Vec::new();
    for p in &wave.component_promotions {
        match promoted.iter_mut().find(|(id, _)| *id == p.component_id) {
            Some(entry) => entry.1 = &p.target_level,
            None => promoted.push((&p.component_id, &p.target_level)),
        }
    }
    let promoted_level = |id: &str| promoted.iter().find(|(c, _)| *c == id).map(|(_, l)| *l);
    let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();

    let mut matrix: Option<&ComponentMatrix> = None;
    if promotion_rule || !promoted.is_empty() || components_rule {
        match matrix_cache.get(lane, inputs) {
            Ok(m) => matrix = Some(m),
            Err(e) => errors.push(e.clone()),
        }
    }

    if wave.agents.is_empty() {
        errors.push("must declare at least one agent".into());
    }
    let mut duplicates: Vec<&str> = Vec::new();
    for (i, a) in wave.agents.iter().enumerate() {
        let first = wave.agents.iter().position(|b| b.agent_id == a.agent_id);
        if first != Some(i) && !duplicates.contains(&a.agent_id.as_str()) {
            duplicates.push(&a.agent_id);
        }
    }
    if !duplicates.is_empty() {
        errors.push(format!(
            "must not repeat agent ids ({})",
            duplicates.join(", ")
        ));
    }
    errors.extend(agent_file_name_violations(wave));
    let cont_eval = wave.agent(eval_id);
    let cont_eval_owning = cont_eval.is_some_and(|a| is_cont_eval_implementation_owning(a, roles));
    let any_implementation = wave
        .agents
        .iter()
        .any(|a| is_implementation_owning(a, roles));
    if wave.agent(qa_id).is_none() {
        errors.push(format!(
            "must include Agent {qa_id} as the cont-QA closure role"
        ));
    }
    if promotion_rule && promoted.is_empty() && any_implementation {
        errors.push(format!(
            "Wave {n} must declare a ## Component promotions section in waves {} and later",
            threshold_text(v.require_component_promotions_from_wave.from_wave())
        ));
    }

    if let Some(m) = matrix {
        let jp = &m.json_path;
        for (id, level) in &promoted {
            let Some(component) = m.component(id) else {
                errors.push(format!(
                    "Wave {n} references unknown component \"{id}\" from {jp}"
                ));
                continue;
            };
            let Some(order) = m.level_order(level) else {
                errors.push(format!(
                    "Wave {n} uses invalid component level \"{level}\" for {id}"
                ));
                continue;
            };
            match component.promotions.iter().find(|p| p.wave == u64::from(n)) {
                None => errors.push(format!(
                    "Component \"{id}\" is missing a wave {n} promotion entry in {jp}"
                )),
                Some(p) if p.target != *level => errors.push(format!(
                    "Wave {n} promotes {id} to {level}, but {jp} declares {}",
                    p.target
                )),
                Some(_) if m.level_order(&component.current_level).is_some_and(|c| order < c) => {
                    errors.push(format!(
                        "Wave {n} promotes {id} to {level}, but {jp} already records currentLevel {}",
                        component.current_level
                    ))
                }
                Some(_) => {}
            }
        }
        for component in &m.components {
            for p in component
                .promotions
                .iter()
                .filter(|p| p.wave == u64::from(n))
            {
                if promoted_level(&component.id) != Some(p.target.as_str()) {
                    errors.push(format!(
                        "Wave {n} must declare component promotion {}: {} to match {jp}",
                        component.id, p.target
                    ));
                }
            }
        }
    }

    let context7_from = v.require_context7_declarations_from_wave.from_wave();
    let exit_from = v.require_exit_contracts_from_wave.from_wave();
    for (index, agent) in wave.agents.iter().enumerate() {
        let id = &agent.agent_id;
        if agent.owned_paths.is_empty() {
            errors.push(format!("Agent {id} must declare at least one owned path"));
            continue;
        }
        let unsafe_paths: Vec<&str> = agent
            .owned_paths
            .iter()
            .filter(|p| !is_repo_contained(p))
            .map(String::as_str)
            .collect();
        if !unsafe_paths.is_empty() {
            errors.push(format!(
                "Agent {id} has non-repo-owned paths ({})",
                unsafe_paths.join(", ")
            ));
        }
        let bad_roles: Vec<&str> = agent
            .role_prompt_paths
            .iter()
            .filter(|p| !allowed_role_prompt_path(p, &roles.role_prompt_dir))
            .map(String::as_str)
            .collect();
        if !bad_roles.is_empty() {
            errors.push(format!(
                "Agent {id} has invalid role prompt paths ({})",
                bad_roles.join(", ")
            ));
        }
        let overrides = agents
            .get(index)
            .and_then(|a| a.executor_overrides.as_ref());
        if let Some(o) = overrides {
            let vendors = o.vendor_sections();
            let has = |e: ExecutorId| vendors.contains(&e);
            let (codex, claude, opencode) = (
                has(ExecutorId::Codex),
                has(ExecutorId::Claude),
                has(ExecutorId::Opencode),
            );
            match o.id {
                Some(ExecutorId::Claude) if codex || opencode => errors.push(format!(
                    "Agent {id} declares executor=claude but includes non-Claude overrides"
                )),
                Some(ExecutorId::Opencode) if codex || claude => errors.push(format!(
                    "Agent {id} declares executor=opencode but includes non-OpenCode overrides"
                )),
                Some(ExecutorId::Codex) if claude || opencode => errors.push(format!(
                    "Agent {id} declares executor=codex but includes non-Codex overrides"
                )),
                Some(ExecutorId::Local) if codex || claude || opencode => errors.push(format!(
                    "Agent {id} declares executor=local but includes vendor overrides"
                )),
                _ => {}
            }
        }
        if let Some(from) = context7_from.filter(|f| n >= *f) {
            if agent.context7_config.is_none() {
                errors.push(format!(
                    "Agent {id} must declare a ### Context7 section in waves {from} and later"
                ));
            }
        }
        let owning = is_implementation_owning(agent, roles);
        if !owning {
            if !agent.components.is_empty() {
                errors.push(format!(
                    "Agent {id} must not declare a ### Components section"
                ));
            }
        } else {
            if components_rule && agent.components.is_empty() {
                errors.push(format!(
                    "Agent {id} must declare a ### Components section in waves {} and later",
                    threshold_text(v.require_agent_components_from_wave.from_wave())
                ));
            }
            for component in &agent.components {
                if let Some(m) = matrix {
                    if m.component(component).is_none() {
                        errors.push(format!(
                            "Agent {id} references unknown component \"{component}\" from {}",
                            m.json_path
                        ));
                        continue;
                    }
                }
                if promoted_level(component).is_none() {
                    errors.push(format!(
                        "Agent {id} declares component \"{component}\" that is not promoted in wave {n}"
                    ));
                    continue;
                }
                let list = owners.entry(component.as_str()).or_default();
                if !list.contains(&id.as_str()) {
                    list.push(id);
                }
            }
        }
        if let Some(from) = exit_from.filter(|f| n >= *f) {
            if owning {
                match &agent.exit_contract {
                    None => errors.push(format!(
                        "Agent {id} must declare a ### Exit contract section in waves {from} and later"
                    )),
                    Some(contract) => {
                        if let Err(shape) = contract.validate() {
                            errors.push(format!(
                                "Agent {id} has invalid exit contract ({})",
                                shape.join(", ")
                            ));
                        }
                    }
                }
            }
        }
        let proof_centric = agent.is_proof_centric();
        if proof_centric && agent.proof_artifacts.is_empty() && owning {
            errors.push(format!(
                "Agent {id} must declare a ### Proof artifacts section when it targets pilot-live or above"
            ));
        }
        let declared_local = overrides.and_then(|o| o.id) == Some(ExecutorId::Local);
        let resolved_local = agents.get(index).map(|a| a.executor.id) == Some(ExecutorId::Local);
        if proof_centric && (declared_local || resolved_local) {
            errors.push(format!(
                "Agent {id} must not use executor=local when it carries proof-centric validation artifacts"
            ));
        }
    }

    for agent in &wave.agents {
        for reference in &v.required_prompt_references {
            if !agent.prompt.contains(reference.as_str()) {
                errors.push(format!(
                    "Agent {} must reference {reference}",
                    agent.agent_id
                ));
            }
        }
    }

    super::rules_closure::closure_violations(wave, lane, inputs, agents, cont_eval, &mut errors);

    let mut unowned: Vec<&str> = Vec::new();
    for (component, _) in &promoted {
        if owners.get(component).is_none_or(Vec::is_empty) {
            unowned.push(component);
        }
    }
    for component in unowned {
        let mut required = vec![qa_id.as_str()];
        if !cont_eval_owning {
            required.push(eval_id);
        }
        required.push(docs_id);
        errors.push(format!(
            "Wave {n} must assign promoted component \"{component}\" to at least one non-{} agent",
            required.join("/")
        ));
    }
    errors
}
