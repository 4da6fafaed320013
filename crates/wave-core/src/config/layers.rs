//! The per-layer sections that merge top level → project → lane: `paths`, `roles`,
//! `validation`, `runtimePolicy`, `skills`, `capabilityRouting`.
//!
//! Each `*Layer` type is what one layer writes (every field optional); each resolved type holds
//! upstream v0.9.1's defaults and is built by applying layers in order. Where upstream resets a
//! present-but-falsy key to the default (`"roles": {"contQaAgentId": ""}` → `A0`), the layer
//! stores the default, so a later layer overrides an earlier one exactly as upstream's object
//! spread does.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::executor::{executor_id, executor_id_list, ExecutorId};
use super::value::{
    as_object, has, is_falsy, join, opt_repo_path, opt_string, repo_path, scalar_text,
    string_array, value_int,
};
use super::ConfigError;

/// Default `validation.requiredPromptReferences`.
pub const DEFAULT_REQUIRED_PROMPT_REFERENCES: [&str; 2] = [
    "docs/reference/repository-guidance.md",
    "docs/research/agent-context-sources.md",
];

/// Runtime roles a `skills.byRole` key may name.
pub const SKILL_ROLES: [&str; 10] = [
    "design",
    "implementation",
    "integration",
    "documentation",
    "cont-qa",
    "cont-eval",
    "security",
    "infra",
    "deploy",
    "research",
];

/// Path keys of `paths.*` (and the flat lane overrides of the same names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathsLayer {
    /// `docsDir` (for a lane: the lane's docs dir).
    pub docs_dir: Option<String>,
    /// `stateRoot`.
    pub state_root: Option<String>,
    /// `orchestratorStateDir`.
    pub orchestrator_state_dir: Option<String>,
    /// `terminalsPath`.
    pub terminals_path: Option<String>,
    /// `context7BundleIndexPath`.
    pub context7_bundle_index_path: Option<String>,
    /// `benchmarkCatalogPath`.
    pub benchmark_catalog_path: Option<String>,
    /// `componentCutoverMatrixDocPath`.
    pub component_cutover_matrix_doc_path: Option<String>,
    /// `componentCutoverMatrixJsonPath`.
    pub component_cutover_matrix_json_path: Option<String>,
}

impl PathsLayer {
    /// Reads the path keys of `obj` (falsy values are unset, as upstream's `||` chains).
    pub(crate) fn parse(obj: &Map<String, Value>, path: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            docs_dir: opt_repo_path(obj, "docsDir", path)?,
            state_root: opt_repo_path(obj, "stateRoot", path)?,
            orchestrator_state_dir: opt_repo_path(obj, "orchestratorStateDir", path)?,
            terminals_path: opt_repo_path(obj, "terminalsPath", path)?,
            context7_bundle_index_path: opt_repo_path(obj, "context7BundleIndexPath", path)?,
            benchmark_catalog_path: opt_repo_path(obj, "benchmarkCatalogPath", path)?,
            component_cutover_matrix_doc_path: opt_repo_path(
                obj,
                "componentCutoverMatrixDocPath",
                path,
            )?,
            component_cutover_matrix_json_path: opt_repo_path(
                obj,
                "componentCutoverMatrixJsonPath",
                path,
            )?,
        })
    }
}

macro_rules! roles {
    ($($(#[$m:meta])* $field:ident : $key:literal = $default:literal, path = $is_path:literal;)+) => {
        /// One layer of `roles`.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct RolesLayer {
            $($(#[$m])* pub $field: Option<String>,)+
        }

        /// Resolved `roles`: closure agent ids and role prompt paths.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct RolesConfig {
            $($(#[$m])* pub $field: String,)+
        }

        impl Default for RolesConfig {
            fn default() -> Self {
                Self { $($field: $default.to_string(),)+ }
            }
        }

        impl RolesConfig {
            /// Applies a layer on top.
            pub fn apply(&mut self, layer: &RolesLayer) {
                $(if let Some(value) = &layer.$field { self.$field = value.clone(); })+
            }
        }

        impl RolesLayer {
            /// Reads a `roles` object; legacy evaluator keys are errors.
            pub(crate) fn parse(value: Option<&Value>, path: &str) -> Result<Self, ConfigError> {
                let Some(obj) = as_object(value) else { return Ok(Self::default()) };
                for (legacy, renamed) in [
                    ("evaluatorAgentId", "contQaAgentId"),
                    ("evaluatorRolePromptPath", "contQaRolePromptPath"),
                ] {
                    if obj.contains_key(legacy) {
                        return Err(ConfigError::Renamed {
                            at: path.to_string(),
                            old: format!("roles.{legacy}"),
                            new: format!("roles.{renamed}"),
                        });
                    }
                }
                let mut layer = Self::default();
                $(
                    if has(obj, $key) {
                        let text = opt_string(obj, $key, path)?.unwrap_or_else(|| $default.to_string());
                        layer.$field = Some(if $is_path { repo_path(&text, &join(path, $key))? } else { text });
                    }
                )+
                Ok(layer)
            }
        }
    };
}

roles! {
    /// Directory role prompts must live in.
    role_prompt_dir: "rolePromptDir" = "docs/agents", path = true;
    /// cont-QA agent id.
    cont_qa_agent_id: "contQaAgentId" = "A0", path = false;
    /// cont-EVAL agent id.
    cont_eval_agent_id: "contEvalAgentId" = "E0", path = false;
    /// Integration steward id.
    integration_agent_id: "integrationAgentId" = "A8", path = false;
    /// Documentation steward id.
    documentation_agent_id: "documentationAgentId" = "A9", path = false;
    /// cont-QA role prompt.
    cont_qa_role_prompt_path: "contQaRolePromptPath" = "docs/agents/wave-cont-qa-role.md", path = true;
    /// cont-EVAL role prompt.
    cont_eval_role_prompt_path: "contEvalRolePromptPath" = "docs/agents/wave-cont-eval-role.md", path = true;
    /// Integration role prompt.
    integration_role_prompt_path: "integrationRolePromptPath" = "docs/agents/wave-integration-role.md", path = true;
    /// Documentation role prompt.
    documentation_role_prompt_path: "documentationRolePromptPath" = "docs/agents/wave-documentation-role.md", path = true;
    /// Security role prompt.
    security_role_prompt_path: "securityRolePromptPath" = "docs/agents/wave-security-role.md", path = true;
    /// Design role prompt.
    design_role_prompt_path: "designRolePromptPath" = "docs/agents/wave-design-role.md", path = true;
}

/// A validation threshold as one layer writes it: absent, JSON `null` (disables the rule), or a
/// wave number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum ThresholdSetting {
    /// The key is absent: inherit (ultimately the default).
    #[default]
    Absent,
    /// The key is `null`: the rule is disabled.
    Disabled,
    /// The rule applies from this wave on.
    FromWave(u32),
}

/// A resolved validation threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Threshold {
    /// The rule never applies (`null`).
    Disabled,
    /// The rule applies to waves `>=` this number.
    FromWave(u32),
}

impl Threshold {
    /// Whether the rule applies to `wave`.
    pub fn applies_to(self, wave: u32) -> bool {
        matches!(self, Threshold::FromWave(from) if wave >= from)
    }

    /// The wave number, `None` when disabled.
    pub fn from_wave(self) -> Option<u32> {
        match self {
            Threshold::Disabled => None,
            Threshold::FromWave(n) => Some(n),
        }
    }

    fn apply(&mut self, setting: ThresholdSetting) {
        match setting {
            ThresholdSetting::Absent => {}
            ThresholdSetting::Disabled => *self = Threshold::Disabled,
            ThresholdSetting::FromWave(n) => *self = Threshold::FromWave(n),
        }
    }
}

fn threshold(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<ThresholdSetting, ConfigError> {
    match obj.get(key) {
        None => Ok(ThresholdSetting::Absent),
        Some(Value::Null) => Ok(ThresholdSetting::Disabled),
        Some(value) => value_int(value)
            .filter(|n| *n >= 0)
            .and_then(|n| u32::try_from(n).ok())
            .map(ThresholdSetting::FromWave)
            .ok_or_else(|| {
                ConfigError::invalid(
                    join(path, key),
                    format!(
                        "Invalid wave threshold: {} (expected a non-negative integer or null)",
                        super::value::display_value(value)
                    ),
                )
            }),
    }
}

/// One layer of `validation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationLayer {
    /// `requiredPromptReferences` (a present non-list resets to the default list).
    pub required_prompt_references: Option<Vec<String>>,
    /// `requireDocumentationStewardFromWave`.
    pub require_documentation_steward_from_wave: ThresholdSetting,
    /// `requireContext7DeclarationsFromWave`.
    pub require_context7_declarations_from_wave: ThresholdSetting,
    /// `requireExitContractsFromWave`.
    pub require_exit_contracts_from_wave: ThresholdSetting,
    /// `requireIntegrationStewardFromWave`.
    pub require_integration_steward_from_wave: ThresholdSetting,
    /// `requireComponentPromotionsFromWave`.
    pub require_component_promotions_from_wave: ThresholdSetting,
    /// `requireAgentComponentsFromWave`.
    pub require_agent_components_from_wave: ThresholdSetting,
}

impl ValidationLayer {
    /// Reads a `validation` object.
    pub(crate) fn parse(value: Option<&Value>, path: &str) -> Result<Self, ConfigError> {
        let Some(obj) = as_object(value) else {
            return Ok(Self::default());
        };
        let refs = match obj.get("requiredPromptReferences") {
            None => None,
            Some(v) => Some(
                string_array(v, &join(path, "requiredPromptReferences"))?.unwrap_or_else(|| {
                    DEFAULT_REQUIRED_PROMPT_REFERENCES
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                }),
            ),
        };
        Ok(Self {
            required_prompt_references: refs,
            require_documentation_steward_from_wave: threshold(
                obj,
                "requireDocumentationStewardFromWave",
                path,
            )?,
            require_context7_declarations_from_wave: threshold(
                obj,
                "requireContext7DeclarationsFromWave",
                path,
            )?,
            require_exit_contracts_from_wave: threshold(obj, "requireExitContractsFromWave", path)?,
            require_integration_steward_from_wave: threshold(
                obj,
                "requireIntegrationStewardFromWave",
                path,
            )?,
            require_component_promotions_from_wave: threshold(
                obj,
                "requireComponentPromotionsFromWave",
                path,
            )?,
            require_agent_components_from_wave: threshold(
                obj,
                "requireAgentComponentsFromWave",
                path,
            )?,
        })
    }
}

/// Resolved `validation`: authoring thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationConfig {
    /// Strings every composed prompt must contain (`[]` disables).
    pub required_prompt_references: Vec<String>,
    /// Doc steward rule (default wave 0).
    pub require_documentation_steward_from_wave: Threshold,
    /// Context7 declarations (default wave 6).
    pub require_context7_declarations_from_wave: Threshold,
    /// Exit contracts (default wave 6).
    pub require_exit_contracts_from_wave: Threshold,
    /// Integration steward (default disabled).
    pub require_integration_steward_from_wave: Threshold,
    /// Component promotions (default wave 0).
    pub require_component_promotions_from_wave: Threshold,
    /// Agent components (default wave 0).
    pub require_agent_components_from_wave: Threshold,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        Self {
            required_prompt_references: DEFAULT_REQUIRED_PROMPT_REFERENCES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            require_documentation_steward_from_wave: Threshold::FromWave(0),
            require_context7_declarations_from_wave: Threshold::FromWave(6),
            require_exit_contracts_from_wave: Threshold::FromWave(6),
            require_integration_steward_from_wave: Threshold::Disabled,
            require_component_promotions_from_wave: Threshold::FromWave(0),
            require_agent_components_from_wave: Threshold::FromWave(0),
        }
    }
}

impl ValidationConfig {
    /// Applies a layer on top (absent keys inherit, `null` disables).
    pub fn apply(&mut self, layer: &ValidationLayer) {
        if let Some(refs) = &layer.required_prompt_references {
            self.required_prompt_references = refs.clone();
        }
        self.require_documentation_steward_from_wave
            .apply(layer.require_documentation_steward_from_wave);
        self.require_context7_declarations_from_wave
            .apply(layer.require_context7_declarations_from_wave);
        self.require_exit_contracts_from_wave
            .apply(layer.require_exit_contracts_from_wave);
        self.require_integration_steward_from_wave
            .apply(layer.require_integration_steward_from_wave);
        self.require_component_promotions_from_wave
            .apply(layer.require_component_promotions_from_wave);
        self.require_agent_components_from_wave
            .apply(layer.require_agent_components_from_wave);
    }
}

/// One layer of `runtimePolicy` (each key replaces the whole value below it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePolicyLayer {
    /// `runtimeMixTargets`.
    pub runtime_mix_targets: Option<BTreeMap<ExecutorId, u32>>,
    /// `defaultExecutorByRole`.
    pub default_executor_by_role: Option<BTreeMap<String, ExecutorId>>,
    /// `fallbackExecutorOrder`.
    pub fallback_executor_order: Option<Vec<ExecutorId>>,
}

fn mix_targets(value: &Value, path: &str) -> Result<BTreeMap<ExecutorId, u32>, ConfigError> {
    let mut out = BTreeMap::new();
    let Some(obj) = value.as_object() else {
        return Ok(out);
    };
    for (key, count) in obj {
        let field = join(path, key);
        let id = executor_id(&Value::String(key.clone()), &field)?;
        let count = value_int(count)
            .filter(|n| *n >= 0)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| ConfigError::invalid(field.clone(), "must be a non-negative integer"))?;
        out.insert(id, count);
    }
    Ok(out)
}

fn executor_by_role(
    value: &Value,
    path: &str,
) -> Result<BTreeMap<String, ExecutorId>, ConfigError> {
    let mut out = BTreeMap::new();
    let Some(obj) = value.as_object() else {
        return Ok(out);
    };
    for (role, id) in obj {
        let normalized = role.trim().to_lowercase();
        if normalized == "evaluator" {
            return Err(ConfigError::Renamed {
                at: path.to_string(),
                old: "defaultExecutorByRole.evaluator".into(),
                new: "defaultExecutorByRole.cont-qa".into(),
            });
        }
        out.insert(normalized, executor_id(id, &join(path, role))?);
    }
    Ok(out)
}

impl RuntimePolicyLayer {
    /// Reads the three policy keys of `obj`. With `truthy_only`, a falsy key is ignored (the lane
    /// shorthand keys); otherwise a present key of any value replaces (a non-object → empty).
    pub(crate) fn parse_keys(
        obj: &Map<String, Value>,
        path: &str,
        truthy_only: bool,
    ) -> Result<Self, ConfigError> {
        let get = |key: &str| obj.get(key).filter(|v| !(truthy_only && is_falsy(v)));
        Ok(Self {
            runtime_mix_targets: get("runtimeMixTargets")
                .map(|v| mix_targets(v, &join(path, "runtimeMixTargets")))
                .transpose()?,
            default_executor_by_role: get("defaultExecutorByRole")
                .map(|v| executor_by_role(v, &join(path, "defaultExecutorByRole")))
                .transpose()?,
            fallback_executor_order: get("fallbackExecutorOrder")
                .map(|v| executor_id_list(v, &join(path, "fallbackExecutorOrder")))
                .transpose()?,
        })
    }

    /// Reads a `runtimePolicy` object.
    pub(crate) fn parse(value: Option<&Value>, path: &str) -> Result<Self, ConfigError> {
        match as_object(value) {
            Some(obj) => Self::parse_keys(obj, path, false),
            None => Ok(Self::default()),
        }
    }

    /// `self` with every key `over` sets replaced.
    pub(crate) fn overlay(&self, over: &RuntimePolicyLayer) -> RuntimePolicyLayer {
        RuntimePolicyLayer {
            runtime_mix_targets: over
                .runtime_mix_targets
                .clone()
                .or_else(|| self.runtime_mix_targets.clone()),
            default_executor_by_role: over
                .default_executor_by_role
                .clone()
                .or_else(|| self.default_executor_by_role.clone()),
            fallback_executor_order: over
                .fallback_executor_order
                .clone()
                .or_else(|| self.fallback_executor_order.clone()),
        }
    }
}

/// Resolved `runtimePolicy` of a lane.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePolicy {
    /// Maximum agents per wave for each executor.
    pub runtime_mix_targets: BTreeMap<ExecutorId, u32>,
    /// Executor by runtime role (lower-cased role names).
    pub default_executor_by_role: BTreeMap<String, ExecutorId>,
    /// Fallback order used when an agent declares no fallbacks.
    pub fallback_executor_order: Vec<ExecutorId>,
}

impl RuntimePolicy {
    /// Applies a layer on top.
    pub fn apply(&mut self, layer: &RuntimePolicyLayer) {
        if let Some(v) = &layer.runtime_mix_targets {
            self.runtime_mix_targets = v.clone();
        }
        if let Some(v) = &layer.default_executor_by_role {
            self.default_executor_by_role = v.clone();
        }
        if let Some(v) = &layer.fallback_executor_order {
            self.fallback_executor_order = v.clone();
        }
    }
}

/// One layer of `skills`, normalized (ids lower-cased).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillsLayer {
    /// `dir` when the layer has the key.
    pub dir: Option<String>,
    /// `base` skill ids.
    pub base: Vec<String>,
    /// `byRole` (keys from [`SKILL_ROLES`]).
    pub by_role: BTreeMap<String, Vec<String>>,
    /// `byRuntime` (keys are executor ids).
    pub by_runtime: BTreeMap<String, Vec<String>>,
    /// `byDeployKind`.
    pub by_deploy_kind: BTreeMap<String, Vec<String>>,
}

fn skill_id(value: &Value, path: &str) -> Result<String, ConfigError> {
    let text = scalar_text(value).unwrap_or_default().trim().to_lowercase();
    let valid = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(text)
    } else {
        Err(ConfigError::invalid(
            path,
            "must match /^[a-z0-9][a-z0-9._-]*$/",
        ))
    }
}

fn skill_ids(value: Option<&Value>, path: &str) -> Result<Vec<String>, ConfigError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            let mut out: Vec<String> = Vec::new();
            for (index, item) in items.iter().enumerate() {
                let id = skill_id(item, &format!("{path}[{index}]"))?;
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            Ok(out)
        }
        Some(_) => Err(ConfigError::invalid(path, "must be an array")),
    }
}

fn skill_map(
    value: Option<&Value>,
    path: &str,
    allowed: Option<&[&str]>,
) -> Result<BTreeMap<String, Vec<String>>, ConfigError> {
    let mut out = BTreeMap::new();
    let Some(obj) = as_object(value) else {
        return Ok(out);
    };
    for (key, ids) in obj {
        let normalized = key.trim().to_lowercase();
        if normalized.is_empty() {
            return Err(ConfigError::invalid(path, "keys must be non-empty"));
        }
        if allowed.is_some_and(|list| !list.contains(&normalized.as_str())) {
            return Err(ConfigError::invalid(
                join(path, key),
                "is not a supported selector key",
            ));
        }
        out.insert(normalized, skill_ids(Some(ids), &join(path, key))?);
    }
    Ok(out)
}

impl SkillsLayer {
    /// Reads a `skills` object. `skills.byRole.evaluator` is a legacy error.
    pub(crate) fn parse(value: Option<&Value>, path: &str) -> Result<Self, ConfigError> {
        let Some(obj) = as_object(value) else {
            return Ok(Self::default());
        };
        if let Some(by_role) = as_object(obj.get("byRole")) {
            if by_role
                .keys()
                .any(|k| k.trim().eq_ignore_ascii_case("evaluator"))
            {
                return Err(ConfigError::Renamed {
                    at: path.to_string(),
                    old: "skills.byRole.evaluator".into(),
                    new: "skills.byRole.cont-qa".into(),
                });
            }
        }
        let dir = if has(obj, "dir") {
            let text = opt_string(obj, "dir", path)?.unwrap_or_else(|| "skills".into());
            Some(repo_path(&text, &join(path, "dir"))?)
        } else {
            None
        };
        let runtimes: Vec<&str> = ExecutorId::ALL.iter().map(|e| e.as_str()).collect();
        Ok(Self {
            dir,
            base: skill_ids(obj.get("base"), &join(path, "base"))?,
            by_role: skill_map(obj.get("byRole"), &join(path, "byRole"), Some(&SKILL_ROLES))?,
            by_runtime: skill_map(
                obj.get("byRuntime"),
                &join(path, "byRuntime"),
                Some(&runtimes),
            )?,
            by_deploy_kind: skill_map(obj.get("byDeployKind"), &join(path, "byDeployKind"), None)?,
        })
    }
}

/// Resolved `skills` of a lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillsConfig {
    /// Skill bundle directory (`skills`).
    pub dir: String,
    /// Skills every agent gets.
    pub base: Vec<String>,
    /// Skills by runtime role.
    pub by_role: BTreeMap<String, Vec<String>>,
    /// Skills by executor.
    pub by_runtime: BTreeMap<String, Vec<String>>,
    /// Skills by deploy kind.
    pub by_deploy_kind: BTreeMap<String, Vec<String>>,
}

impl Default for SkillsConfig {
    fn default() -> Self {
        Self {
            dir: "skills".into(),
            base: Vec::new(),
            by_role: BTreeMap::new(),
            by_runtime: BTreeMap::new(),
            by_deploy_kind: BTreeMap::new(),
        }
    }
}

fn union_into(target: &mut Vec<String>, extra: &[String]) {
    for item in extra {
        if !target.contains(item) {
            target.push(item.clone());
        }
    }
}

fn merge_map(target: &mut BTreeMap<String, Vec<String>>, extra: &BTreeMap<String, Vec<String>>) {
    for (key, ids) in extra {
        union_into(target.entry(key.clone()).or_default(), ids);
    }
}

impl SkillsConfig {
    /// Applies a layer: `dir` replaces when set, lists and maps are unioned (base first).
    pub fn apply(&mut self, layer: &SkillsLayer) {
        if let Some(dir) = &layer.dir {
            self.dir = dir.clone();
        }
        union_into(&mut self.base, &layer.base);
        merge_map(&mut self.by_role, &layer.by_role);
        merge_map(&mut self.by_runtime, &layer.by_runtime);
        merge_map(&mut self.by_deploy_kind, &layer.by_deploy_kind);
    }
}

/// `capabilityRouting`: preferred helper agents by capability.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityRouting {
    /// Capability (lower-cased) → agent ids in preference order.
    pub preferred_agents: BTreeMap<String, Vec<String>>,
}

impl CapabilityRouting {
    /// Reads a layer: `Some` when the object has a `preferredAgents` key (which then replaces the
    /// whole map below it, as upstream's object spread does).
    pub(crate) fn parse_layer(
        value: Option<&Value>,
        path: &str,
    ) -> Result<Option<Self>, ConfigError> {
        let Some(obj) = as_object(value) else {
            return Ok(None);
        };
        let Some(preferred) = obj.get("preferredAgents") else {
            return Ok(None);
        };
        let mut out = BTreeMap::new();
        if let Some(map) = preferred.as_object() {
            let ppath = join(path, "preferredAgents");
            for (capability, agents) in map {
                let ids = string_array(agents, &join(&ppath, capability))?.unwrap_or_default();
                out.insert(capability.trim().to_lowercase(), ids);
            }
        }
        Ok(Some(Self {
            preferred_agents: out,
        }))
    }
}
