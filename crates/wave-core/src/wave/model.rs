//! The parsed wave data model.
//!
//! Owns the serde shapes of a parsed wave and its agents. Field names are upstream's (camelCase,
//! as in `waves.manifest.json`) wherever upstream's manifest holds the same data; values are kept
//! as upstream's parser keeps them (e.g. exit contracts and promotion levels stay as written and
//! are checked by post-parse validation, not by the parser).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::contract::{
    Completion, ComponentPromotion, DocImpact, Durability, EvalTarget, ExitContract, Maturity,
    ProofLevel,
};

/// One parsed wave file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaveDefinition {
    /// Wave number, from the file name (`wave-01.md` → 1).
    pub wave: u32,
    /// The wave file, repo-relative.
    pub file: String,
    /// `**Commit message**: \`…\`` text, verbatim.
    pub commit_message: Option<String>,
    /// `## Deploy environments` entries.
    pub deploy_environments: Vec<DeployEnvironment>,
    /// `## Eval targets` entries.
    pub eval_targets: Vec<EvalTarget>,
    /// `## Context7 defaults` (null when absent or empty).
    pub context7_defaults: Option<Context7Config>,
    /// `## Component promotions` entries, in file order.
    pub component_promotions: Vec<WaveComponentPromotion>,
    /// `## Agent <id>: <title>` blocks, in file order.
    pub agents: Vec<WaveAgent>,
}

impl WaveDefinition {
    /// The agent with this id, if any (first one; duplicates are a validation error).
    pub fn agent(&self, agent_id: &str) -> Option<&WaveAgent> {
        self.agents.iter().find(|agent| agent.agent_id == agent_id)
    }
}

/// One `## Agent <id>: <title>` block with its derived fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaveAgent {
    /// Agent id: header text up to the first `:`, trimmed (may contain spaces).
    pub agent_id: String,
    /// Title after the `:`, trimmed.
    pub title: String,
    /// `slugify("<wave>-<agentId>")`.
    pub slug: String,
    /// Composed prompt: each role prompt's standing prompt, then the local prompt, joined with a
    /// blank line. What the agent receives and what the prompt hash covers.
    pub prompt: String,
    /// The local `### Prompt` fence content, trimmed.
    pub prompt_overlay: String,
    /// `### Role prompts` paths (quotes stripped, de-duplicated, in order).
    pub role_prompt_paths: Vec<String>,
    /// `### Context7` (null when absent or empty).
    pub context7_config: Option<Context7Config>,
    /// `### Exit contract` as written (null when absent or without known keys).
    pub exit_contract: Option<ExitContractDecl>,
    /// `### Executor` raw settings in file order (null when the section is absent or empty).
    pub executor_config: Option<Vec<ExecutorSetting>>,
    /// `### Components` ids.
    pub components: Vec<String>,
    /// `### Capabilities` ids, plus `design` / `security-review` when the matching role prompt
    /// is imported (as upstream's parser adds them).
    pub capabilities: Vec<String>,
    /// `### Skills` ids (lower-cased).
    pub skills: Vec<String>,
    /// `### Deliverables` repo-relative file paths.
    pub deliverables: Vec<String>,
    /// `### Proof artifacts`.
    pub proof_artifacts: Vec<ProofArtifact>,
    /// Paths after `File ownership` in the local prompt (a trailing `/` owns a directory).
    pub owned_paths: Vec<String>,
    /// For each component, the level declared in `## Component promotions` (or null).
    pub component_targets: ComponentTargets,
}

impl WaveAgent {
    /// Whether the agent is proof-centric (launcher §1.4): a component target ≥ `pilot-live`,
    /// or a proof artifact whose `required-for` is empty or reaches `pilot-live`.
    pub fn is_proof_centric(&self) -> bool {
        let by_target = self
            .component_targets
            .0
            .iter()
            .filter_map(|(_, level)| level.as_deref().and_then(Maturity::parse))
            .any(Maturity::is_proof_centric);
        by_target
            || self.proof_artifacts.iter().any(|artifact| {
                artifact.required_for.is_empty()
                    || artifact
                        .required_for
                        .iter()
                        .any(|level| level.is_proof_centric())
            })
    }

    /// Whether the agent imports `role_prompt_path` (exact, after upstream's path cleaning).
    pub fn imports_role_prompt(&self, role_prompt_path: &str) -> bool {
        let wanted = clean_role_path(role_prompt_path);
        self.role_prompt_paths
            .iter()
            .any(|path| clean_role_path(path) == wanted)
    }
}

pub(crate) fn clean_role_path(path: &str) -> String {
    super::text::js_trim(path).replace('\\', "/")
}

/// A `## Deploy environments` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployEnvironment {
    /// Environment id, lower-cased.
    pub id: String,
    /// Deploy kind, lower-cased.
    pub kind: String,
    /// Marked `default` (or the first entry when none is marked).
    pub is_default: bool,
    /// Text in parentheses, trimmed.
    pub notes: Option<String>,
}

/// A `### Context7` section or the wave's `## Context7 defaults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Context7Config {
    /// Bundle id (wrapping quotes removed).
    pub bundle: Option<String>,
    /// Query, compacted to one line of at most 280 UTF-16 units.
    pub query: Option<String>,
}

/// A `## Component promotions` entry as upstream parses it: the level is any
/// `[a-z0-9._-]+` word; whether it is a real level is checked against the component matrix
/// after parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaveComponentPromotion {
    /// Component id (`[a-z0-9][a-z0-9._-]*`).
    pub component_id: String,
    /// Target level, as written.
    pub target_level: String,
}

impl WaveComponentPromotion {
    /// The target as a built-in maturity level, if it is one.
    pub fn maturity(&self) -> Option<Maturity> {
        Maturity::parse(&self.target_level)
    }

    /// The shared [`ComponentPromotion`], when the level is a built-in maturity level.
    pub fn to_promotion(&self) -> Option<ComponentPromotion> {
        Some(ComponentPromotion {
            component: self.component_id.clone(),
            target_level: self.maturity()?,
        })
    }
}

/// `### Exit contract` as written: each dimension's text (null when not given). Upstream
/// validates the values only in post-parse validation; [`ExitContractDecl::validate`] does that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitContractDecl {
    /// `completion:` value.
    pub completion: Option<String>,
    /// `durability:` value.
    pub durability: Option<String>,
    /// `proof:` value.
    pub proof: Option<String>,
    /// `doc-impact:` (or `docImpact:`) value.
    pub doc_impact: Option<String>,
}

impl ExitContractDecl {
    /// The typed contract, or upstream's shape errors (`completion must be one of …`), which
    /// upstream reports as `Agent <id> has invalid exit contract (<errors joined by ", ">)`.
    pub fn validate(&self) -> Result<ExitContract, Vec<String>> {
        fn check<T>(
            value: &Option<String>,
            name: &str,
            parse: fn(&str) -> Option<T>,
            expected: String,
            errors: &mut Vec<String>,
        ) -> Option<T> {
            let parsed = value.as_deref().and_then(parse);
            if parsed.is_none() {
                errors.push(format!("{name} must be one of {expected}"));
            }
            parsed
        }
        let mut errors = Vec::new();
        let completion = check(
            &self.completion,
            "completion",
            Completion::parse,
            Completion::expected(),
            &mut errors,
        );
        let durability = check(
            &self.durability,
            "durability",
            Durability::parse,
            Durability::expected(),
            &mut errors,
        );
        let proof = check(
            &self.proof,
            "proof",
            ProofLevel::parse,
            ProofLevel::expected(),
            &mut errors,
        );
        let doc_impact = check(
            &self.doc_impact,
            "doc-impact",
            DocImpact::parse,
            DocImpact::expected(),
            &mut errors,
        );
        match (completion, durability, proof, doc_impact) {
            (Some(completion), Some(durability), Some(proof), Some(doc_impact)) => {
                Ok(ExitContract {
                    completion,
                    durability,
                    proof,
                    doc_impact,
                })
            }
            _ => Err(errors),
        }
    }
}

/// One `### Executor` bullet: key and value with surrounding quotes/backticks removed (as
/// upstream's normaliser sees the value), and its 1-based line in the wave file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorSetting {
    /// Setting key, e.g. `profile`, `codex.search`.
    pub key: String,
    /// Setting value (never empty).
    pub value: String,
    /// Line of the bullet in the wave file.
    pub line: u32,
}

/// The settings upstream's executor normaliser iterates, in its order: a JavaScript object
/// built from the bullets, so a repeated key keeps its first position and its last value, and
/// array-index keys (`0`, `12`, …) come first in numeric order.
pub fn effective_executor_settings(settings: &[ExecutorSetting]) -> Vec<&ExecutorSetting> {
    fn array_index(key: &str) -> Option<u32> {
        let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
        if !canonical || !key.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        key.parse::<u32>().ok().filter(|n| *n != u32::MAX)
    }
    let mut seen = HashSet::new();
    let mut ordered: Vec<&ExecutorSetting> = Vec::new();
    for setting in settings {
        if seen.insert(setting.key.as_str()) {
            let last = settings
                .iter()
                .rev()
                .find(|other| other.key == setting.key)
                .unwrap_or(setting);
            ordered.push(last);
        }
    }
    let (mut indices, named): (Vec<_>, Vec<_>) = ordered
        .into_iter()
        .partition(|s| array_index(&s.key).is_some());
    indices.sort_by_key(|s| array_index(&s.key));
    indices.extend(named);
    indices
}

/// A `### Proof artifacts` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofArtifact {
    /// Repo-relative file path.
    pub path: String,
    /// `kind:` field (null for bare paths).
    pub kind: Option<String>,
    /// `required-for:` levels (empty: required whenever the agent runs).
    pub required_for: Vec<Maturity>,
}

/// `componentTargets`: component id → declared promotion level (or null), in the agent's
/// component order; serialised as a JSON object like upstream's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentTargets(pub Vec<(String, Option<String>)>);

impl ComponentTargets {
    /// The declared level for `component`, if the agent lists it and the wave promotes it.
    pub fn get(&self, component: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(id, _)| id == component)
            .and_then(|(_, level)| level.as_deref())
    }
}

impl Serialize for ComponentTargets {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (id, level) in &self.0 {
            map.serialize_entry(id, level)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ComponentTargets {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ComponentTargets;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of component id to level or null")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Option<String>>()? {
                    entries.push(entry);
                }
                Ok(ComponentTargets(entries))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}
