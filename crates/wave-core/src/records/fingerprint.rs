//! The prompt fingerprint stored as `promptHash` in status records and compared on reuse and
//! reconciliation (launcher §4.2).
//!
//! It covers everything that changes what an agent would be asked to do or how it would run:
//! the composed prompt, the Context7 selection hash, the exit contract, deliverables, proof
//! artifacts, components and component targets, the whole resolved executor, and the resolved
//! skills (ids, role, runtime, deploy kind, skill prompt hash). The value is the lowercase hex
//! sha256 of a canonical JSON document of those fields: object keys sorted recursively, compact
//! separators, so it is stable across runs, platforms and map orderings. It is deliberately not
//! byte-equal to upstream's Node hash (reference §6): a Rust run treats Node status files as
//! stale, and reconciliation keeps already-completed waves as `completed_with_drift`.

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::config::ResolvedExecutor;
use crate::wave::{ComponentTargets, ExitContractDecl, ProofArtifact, WaveAgent};

/// The resolved skills part of the fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillsFingerprint {
    /// Resolved skill ids, in resolution order.
    pub ids: Vec<String>,
    /// Role the skills were resolved for.
    pub role: Option<String>,
    /// Runtime (executor id) they were resolved for.
    pub runtime: Option<String>,
    /// Deploy kind, if any.
    pub deploy_kind: Option<String>,
    /// Hash of the skills' prompt text.
    pub prompt_hash: Option<String>,
}

/// Everything the fingerprint covers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FingerprintInput<'a> {
    /// The composed prompt.
    pub prompt: &'a str,
    /// Context7 selection hash (empty when none).
    pub context7_selection_hash: &'a str,
    /// Exit contract as declared.
    pub exit_contract: Option<&'a ExitContractDecl>,
    /// Deliverables.
    pub deliverables: &'a [String],
    /// Proof artifacts.
    pub proof_artifacts: &'a [ProofArtifact],
    /// Components.
    pub components: &'a [String],
    /// Component targets.
    pub component_targets: &'a ComponentTargets,
    /// Resolved executor.
    pub executor_resolved: Option<&'a ResolvedExecutor>,
    /// Resolved skills.
    pub skills_resolved: Option<&'a SkillsFingerprint>,
}

impl<'a> FingerprintInput<'a> {
    /// The fingerprint input of a parsed agent with its launch-time resolutions.
    pub fn from_agent(
        agent: &'a WaveAgent,
        context7_selection_hash: &'a str,
        executor: Option<&'a ResolvedExecutor>,
        skills: Option<&'a SkillsFingerprint>,
    ) -> Self {
        FingerprintInput {
            prompt: &agent.prompt,
            context7_selection_hash,
            exit_contract: agent.exit_contract.as_ref(),
            deliverables: &agent.deliverables,
            proof_artifacts: &agent.proof_artifacts,
            components: &agent.components,
            component_targets: &agent.component_targets,
            executor_resolved: executor,
            skills_resolved: skills,
        }
    }
}

/// The fingerprint: sha256 hex of the canonical JSON of `input`.
pub fn prompt_fingerprint(input: &FingerprintInput<'_>) -> String {
    let value = serde_json::to_value(input).unwrap_or(Value::Null);
    sha256_hex(canonical_json(&value).as_bytes())
}

/// Compact JSON with object keys sorted recursively (byte order of the key strings).
pub fn canonical_json(value: &Value) -> String {
    let sorted = sort_keys(value);
    serde_json::to_string(&sorted).unwrap_or_default()
}

fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for key in keys {
                if let Some(inner) = map.get(key) {
                    out.insert(key.clone(), sort_keys(inner));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}
