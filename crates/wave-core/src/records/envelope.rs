//! Result envelopes (schema 2) at `results/wave-<n>/attempt-<a>/<agentId>.json`, synthesized by
//! the launcher from an agent's [`AgentSummary`] (agents never write them), and their validity.
//!
//! Synthesis follows upstream v0.9.1 (checked against envelopes it wrote): the role is inferred
//! from which markers the summary holds (integration, design, doc-closure, eval, security,
//! gate/verdict, else implementation; summaries carry no deploy marker); `proof.state` maps
//! `met → satisfied`, `gap → partial`, absent → `not_applicable`; empty strings become null; the
//! `implementation` section is present on every synthesized envelope (upstream adds it whenever
//! the summary has a components list, which is always); the `documentation` section is built
//! from `docDelta` when the summary has one (upstream quirk), else from `docClosure`;
//! `_synthesizedFromLegacy: true`.
//!
//! Validity ([`validate_envelope`], over raw JSON so any file can be judged): schemaVersion 2,
//! non-empty `agentId` equal to the expected agent, an inferable role, that role's section is an
//! object, and a `proof` object.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::markers::{AgentSummary, MetState};

/// `schemaVersion` of result envelopes.
pub const ENVELOPE_SCHEMA_VERSION: u32 = 2;

/// `role` of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EnvelopeRole {
    /// `design`.
    #[serde(rename = "design")]
    Design,
    /// `implementation`.
    #[serde(rename = "implementation")]
    Implementation,
    /// `integration`.
    #[serde(rename = "integration")]
    Integration,
    /// `documentation`.
    #[serde(rename = "documentation")]
    Documentation,
    /// `cont-qa`.
    #[serde(rename = "cont-qa")]
    ContQa,
    /// `cont-eval`.
    #[serde(rename = "cont-eval")]
    ContEval,
    /// `security`.
    #[serde(rename = "security")]
    Security,
    /// `deploy`.
    #[serde(rename = "deploy")]
    Deploy,
}

impl EnvelopeRole {
    /// Every role, in upstream's listed order.
    pub const ALL: [EnvelopeRole; 8] = [
        EnvelopeRole::Design,
        EnvelopeRole::Implementation,
        EnvelopeRole::Integration,
        EnvelopeRole::Documentation,
        EnvelopeRole::ContQa,
        EnvelopeRole::ContEval,
        EnvelopeRole::Security,
        EnvelopeRole::Deploy,
    ];

    /// The upstream spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EnvelopeRole::Design => "design",
            EnvelopeRole::Implementation => "implementation",
            EnvelopeRole::Integration => "integration",
            EnvelopeRole::Documentation => "documentation",
            EnvelopeRole::ContQa => "cont-qa",
            EnvelopeRole::ContEval => "cont-eval",
            EnvelopeRole::Security => "security",
            EnvelopeRole::Deploy => "deploy",
        }
    }

    /// Parses a spelling (trimmed, any case).
    pub fn parse(text: &str) -> Option<Self> {
        let wanted = text.trim().to_lowercase();
        Self::ALL.into_iter().find(|role| role.as_str() == wanted)
    }

    /// The envelope key of the role's section.
    pub fn section_key(self) -> &'static str {
        match self {
            EnvelopeRole::Design => "design",
            EnvelopeRole::Implementation => "implementation",
            EnvelopeRole::Integration => "integration",
            EnvelopeRole::Documentation => "documentation",
            EnvelopeRole::ContQa => "contQa",
            EnvelopeRole::ContEval => "contEval",
            EnvelopeRole::Security => "security",
            EnvelopeRole::Deploy => "deploy",
        }
    }

    /// Infers the role of a summary: the first marker present in the order integration,
    /// design, doc-closure, eval, security, gate/verdict; else implementation.
    pub fn infer(summary: &AgentSummary) -> Self {
        if summary.integration.is_some() {
            EnvelopeRole::Integration
        } else if summary.design.is_some() {
            EnvelopeRole::Design
        } else if summary.doc_closure.is_some() {
            EnvelopeRole::Documentation
        } else if summary.eval.is_some() {
            EnvelopeRole::ContEval
        } else if summary.security.is_some() {
            EnvelopeRole::Security
        } else if summary.gate.is_some() || summary.verdict.is_some() {
            EnvelopeRole::ContQa
        } else {
            EnvelopeRole::Implementation
        }
    }
}

/// `proof.state`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofState {
    /// `satisfied` (marker `state=met`).
    Satisfied,
    /// `partial` (marker `state=gap`).
    Partial,
    /// `failed`.
    Failed,
    /// `not_applicable` (no proof marker).
    #[default]
    NotApplicable,
}

/// `proof`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvelopeProof {
    /// Proof state.
    pub state: ProofState,
    /// `completion=` level.
    pub completion: Option<String>,
    /// `durability=` level.
    pub durability: Option<String>,
    /// `proof=` level.
    pub proof_level: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// `deliverables[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvelopeDeliverable {
    /// Path.
    pub path: Option<String>,
    /// Whether it exists.
    pub exists: bool,
    /// Content hash (summaries carry none, so null when synthesized).
    pub sha256: Option<String>,
}

/// `proofArtifacts[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvelopeProofArtifact {
    /// Path.
    pub path: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Whether it exists.
    pub exists: bool,
    /// Content hash.
    pub sha256: Option<String>,
    /// Maturity levels it is required for.
    pub required_for: Option<Vec<String>>,
}

/// `gaps[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvelopeGap {
    /// Gap kind.
    pub kind: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// `implementation.docDelta` and `documentation.docClosure`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocSection {
    /// State (`none` default for docDelta, `no-change` for docClosure).
    pub state: String,
    /// Paths.
    pub paths: Vec<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// `implementation.components[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ComponentSection {
    /// Component id.
    pub component_id: Option<String>,
    /// Level.
    pub level: Option<String>,
    /// `met` / `gap`.
    pub state: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// `implementation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImplementationSection {
    /// The doc delta.
    pub doc_delta: DocSection,
    /// Component markers.
    pub components: Vec<ComponentSection>,
}

/// `design`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DesignSection {
    /// State.
    pub state: Option<String>,
    /// Decision count.
    pub decisions: u64,
    /// Assumption count.
    pub assumptions: u64,
    /// Open question count.
    pub open_questions: u64,
    /// Detail.
    pub detail: Option<String>,
}

/// `integration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IntegrationSection {
    /// State.
    pub state: Option<String>,
    /// Claims.
    pub claims: u64,
    /// Conflicts.
    pub conflicts: u64,
    /// Blockers.
    pub blockers: u64,
    /// Detail.
    pub detail: Option<String>,
}

/// `documentation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentationSection {
    /// Doc closure.
    pub doc_closure: DocSection,
}

/// `contQa.verdict`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VerdictSection {
    /// `pass` / `concerns` / `blocked`.
    pub verdict: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// `contQa.gateClaims`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GateClaims {
    /// Architecture dimension.
    pub architecture: Option<String>,
    /// Integration dimension.
    pub integration: Option<String>,
    /// Durability dimension.
    pub durability: Option<String>,
    /// Live dimension.
    pub live: Option<String>,
    /// Docs dimension.
    pub docs: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// `contQa`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContQaSection {
    /// Verdict.
    pub verdict: VerdictSection,
    /// Gate claims (omitted when the summary has no `[wave-gate]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate_claims: Option<GateClaims>,
}

/// `contEval`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContEvalSection {
    /// State.
    pub state: Option<String>,
    /// Target count.
    pub targets: u64,
    /// Benchmark count.
    pub benchmarks: u64,
    /// Regression count.
    pub regressions: u64,
    /// Target ids.
    pub target_ids: Vec<String>,
    /// Benchmark ids.
    pub benchmark_ids: Vec<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// `security`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SecuritySection {
    /// State.
    pub state: Option<String>,
    /// Findings.
    pub findings: u64,
    /// Approvals.
    pub approvals: u64,
    /// Detail.
    pub detail: Option<String>,
}

/// `deploy` (read only: summaries carry no deploy marker).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeploySection {
    /// State (`not_applicable` default upstream).
    pub state: String,
    /// Environment.
    pub environment: Option<String>,
    /// Health check.
    pub health_check: Option<String>,
    /// Rollout artifact.
    pub rollout_artifact: Option<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// A result envelope (schema 2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResultEnvelope {
    /// Always 2.
    pub schema_version: u32,
    /// Agent id.
    pub agent_id: Option<String>,
    /// Wave number.
    pub wave_number: Option<u32>,
    /// Attempt (from the status record).
    pub attempt: Option<u32>,
    /// Completion time.
    pub completed_at: String,
    /// Exit code.
    pub exit_code: i64,
    /// Role.
    pub role: Option<EnvelopeRole>,
    /// Proof.
    pub proof: EnvelopeProof,
    /// Deliverables.
    pub deliverables: Vec<EnvelopeDeliverable>,
    /// Proof artifacts.
    pub proof_artifacts: Vec<EnvelopeProofArtifact>,
    /// Gaps.
    pub gaps: Vec<EnvelopeGap>,
    /// Unresolved blockers (`{kind, detail, blocking}`; empty when synthesized).
    pub unresolved_blockers: Vec<Value>,
    /// Risk notes (empty when synthesized).
    pub risk_notes: Vec<Value>,
    /// Facts (`{factId, kind, content}`; empty when synthesized).
    pub facts: Vec<Value>,
    /// Implementation section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<ImplementationSection>,
    /// Design section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub design: Option<DesignSection>,
    /// Integration section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<IntegrationSection>,
    /// Documentation section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation: Option<DocumentationSection>,
    /// cont-QA section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cont_qa: Option<ContQaSection>,
    /// cont-EVAL section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cont_eval: Option<ContEvalSection>,
    /// Security section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<SecuritySection>,
    /// Deploy section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<DeploySection>,
    /// `_synthesizedFromLegacy`: true when built from a summary.
    #[serde(
        rename = "_synthesizedFromLegacy",
        skip_serializing_if = "Option::is_none"
    )]
    pub synthesized_from_legacy: Option<bool>,
}

/// The launcher-side facts of a synthesized envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeContext<'a> {
    /// The agent id (falls back to the summary's).
    pub agent_id: &'a str,
    /// The wave number.
    pub wave_number: u32,
    /// `attempt` of the status record.
    pub attempt: Option<u32>,
    /// `code` of the status record (falls back to the summary's, then 0).
    pub exit_code: Option<i64>,
    /// Used when the summary has no `completedAt`.
    pub fallback_completed_at: &'a str,
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

impl ResultEnvelope {
    /// Synthesizes the envelope of a run from its summary.
    pub fn from_summary(summary: &AgentSummary, ctx: &EnvelopeContext<'_>) -> Self {
        let role = EnvelopeRole::infer(summary);
        let proof = summary
            .proof
            .as_ref()
            .map_or_else(EnvelopeProof::default, |p| EnvelopeProof {
                state: match p.state {
                    MetState::Met => ProofState::Satisfied,
                    MetState::Gap => ProofState::Partial,
                },
                completion: Some(p.completion.as_str().to_owned()),
                durability: Some(p.durability.as_str().to_owned()),
                proof_level: Some(p.proof.as_str().to_owned()),
                detail: non_empty(&p.detail),
            });
        let agent_id = non_empty(ctx.agent_id).or_else(|| summary.agent_id.clone());
        let completed_at = summary
            .completed_at
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ctx.fallback_completed_at.to_owned());
        let mut envelope = ResultEnvelope {
            schema_version: ENVELOPE_SCHEMA_VERSION,
            agent_id,
            wave_number: Some(ctx.wave_number),
            attempt: ctx.attempt,
            completed_at,
            exit_code: ctx.exit_code.or(summary.exit_code).unwrap_or(0),
            role: Some(role),
            proof,
            deliverables: summary
                .deliverables
                .iter()
                .map(|d| EnvelopeDeliverable {
                    path: non_empty(&d.path),
                    exists: d.exists,
                    sha256: None,
                })
                .collect(),
            proof_artifacts: summary
                .proof_artifacts
                .iter()
                .map(|a| EnvelopeProofArtifact {
                    path: non_empty(&a.path),
                    kind: a.kind.clone().filter(|k| !k.is_empty()),
                    exists: a.exists,
                    sha256: None,
                    required_for: Some(a.required_for.clone()),
                })
                .collect(),
            gaps: summary
                .gaps
                .iter()
                .map(|g| EnvelopeGap {
                    kind: Some(g.kind.as_str().to_owned()),
                    detail: non_empty(&g.detail),
                })
                .collect(),
            synthesized_from_legacy: Some(true),
            ..Default::default()
        };
        envelope.implementation = Some(ImplementationSection {
            doc_delta: summary.doc_delta.as_ref().map_or_else(
                || doc_section("none", &[], ""),
                |d| doc_section(d.state.as_str(), &d.paths, &d.detail),
            ),
            components: summary
                .components
                .iter()
                .map(|c| ComponentSection {
                    component_id: non_empty(&c.component_id),
                    level: non_empty(&c.level),
                    state: Some(c.state.as_str().to_owned()),
                    detail: non_empty(&c.detail),
                })
                .collect(),
        });
        match role {
            EnvelopeRole::Design => {
                let d = summary.design.as_ref();
                envelope.design = Some(DesignSection {
                    state: d.map(|d| d.state.as_str().to_owned()),
                    decisions: d.map_or(0, |d| d.decisions),
                    assumptions: d.map_or(0, |d| d.assumptions),
                    open_questions: d.map_or(0, |d| d.open_questions),
                    detail: d.and_then(|d| non_empty(&d.detail)),
                });
            }
            EnvelopeRole::Integration => {
                let i = summary.integration.as_ref();
                envelope.integration = Some(IntegrationSection {
                    state: i.map(|i| i.state.as_str().to_owned()),
                    claims: i.map_or(0, |i| i.claims),
                    conflicts: i.map_or(0, |i| i.conflicts),
                    blockers: i.map_or(0, |i| i.blockers),
                    detail: i.and_then(|i| non_empty(&i.detail)),
                });
            }
            EnvelopeRole::Documentation => {
                let doc_closure = if let Some(delta) = &summary.doc_delta {
                    doc_section(delta.state.as_str(), &delta.paths, &delta.detail)
                } else if let Some(closure) = &summary.doc_closure {
                    doc_section(closure.state.as_str(), &closure.paths, &closure.detail)
                } else {
                    doc_section("no-change", &[], "")
                };
                envelope.documentation = Some(DocumentationSection { doc_closure });
            }
            EnvelopeRole::ContQa => {
                envelope.cont_qa = Some(ContQaSection {
                    verdict: summary
                        .verdict
                        .as_ref()
                        .map_or_else(VerdictSection::default, |v| VerdictSection {
                            verdict: Some(v.verdict.as_str().to_owned()),
                            detail: non_empty(&v.detail),
                        }),
                    gate_claims: summary.gate.as_ref().map(|g| GateClaims {
                        architecture: Some(g.architecture.as_str().to_owned()),
                        integration: Some(g.integration.as_str().to_owned()),
                        durability: Some(g.durability.as_str().to_owned()),
                        live: Some(g.live.as_str().to_owned()),
                        docs: Some(g.docs.as_str().to_owned()),
                        detail: non_empty(&g.detail),
                    }),
                });
            }
            EnvelopeRole::ContEval => {
                let e = summary.eval.as_ref();
                envelope.cont_eval = Some(ContEvalSection {
                    state: e.map(|e| e.state.as_str().to_owned()),
                    targets: e.map_or(0, |e| e.targets),
                    benchmarks: e.map_or(0, |e| e.benchmarks),
                    regressions: e.map_or(0, |e| e.regressions),
                    target_ids: e.map(|e| e.target_ids.clone()).unwrap_or_default(),
                    benchmark_ids: e.map(|e| e.benchmark_ids.clone()).unwrap_or_default(),
                    detail: e.and_then(|e| non_empty(&e.detail)),
                });
            }
            EnvelopeRole::Security => {
                let s = summary.security.as_ref();
                envelope.security = Some(SecuritySection {
                    state: s.map(|s| s.state.as_str().to_owned()),
                    findings: s.map_or(0, |s| s.findings),
                    approvals: s.map_or(0, |s| s.approvals),
                    detail: s.and_then(|s| non_empty(&s.detail)),
                });
            }
            EnvelopeRole::Implementation | EnvelopeRole::Deploy => {}
        }
        envelope
    }

    /// Parses an envelope file leniently (missing fields take defaults; judge it with
    /// [`ResultEnvelope::validate`] or [`validate_envelope`]).
    pub fn parse(text: &str) -> Result<Self, super::RecordError> {
        let map = super::parse_object(text, "result envelope")?;
        serde_json::from_value(Value::Object(map)).map_err(|err| super::RecordError::InvalidJson {
            what: "result envelope",
            message: err.to_string(),
        })
    }

    /// The envelope as JSON.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The file text (pretty JSON, trailing newline).
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }

    /// Validity against the expected agent.
    pub fn validate(&self, expected_agent_id: Option<&str>) -> EnvelopeValidation {
        validate_envelope(&self.to_value(), expected_agent_id)
    }
}

fn doc_section(state: &str, paths: &[String], detail: &str) -> DocSection {
    DocSection {
        state: state.to_owned(),
        paths: paths.to_vec(),
        detail: non_empty(detail),
    }
}

/// Why an envelope is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not a JSON object.
    #[error("the envelope is not a JSON object")]
    NotAnObject,
    /// `schemaVersion` is not 2.
    #[error("envelope schemaVersion {found} is not supported (expected 2)")]
    UnsupportedSchemaVersion {
        /// What the file holds (`missing` when absent).
        found: String,
    },
    /// `agentId` is missing or empty.
    #[error("the envelope has no agentId")]
    MissingAgentId,
    /// `agentId` names another agent.
    #[error("the envelope belongs to {found}, expected {expected}")]
    AgentIdMismatch {
        /// In the envelope.
        found: String,
        /// Expected.
        expected: String,
    },
    /// No role could be inferred.
    #[error("the envelope's role cannot be inferred")]
    RoleNotInferred,
    /// The role's section is not an object.
    #[error("the envelope lacks its `{section}` section")]
    MissingRoleSection {
        /// The section key.
        section: &'static str,
    },
    /// No `proof` object.
    #[error("the envelope lacks its `proof` section")]
    MissingProof,
}

/// The outcome of [`validate_envelope`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeValidation {
    /// Whether the envelope is valid (no errors).
    pub valid: bool,
    /// Every problem found.
    pub errors: Vec<EnvelopeError>,
    /// The inferred role.
    pub role: Option<EnvelopeRole>,
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// Infers the role of a raw envelope: its `role` when valid, else from which sections it has
/// (upstream's rule; any envelope with a `proof` falls to implementation).
pub fn infer_role_of_value(map: &Map<String, Value>) -> Option<EnvelopeRole> {
    if let Some(role) = map
        .get("role")
        .and_then(Value::as_str)
        .and_then(EnvelopeRole::parse)
    {
        return Some(role);
    }
    let has = |key: &str| truthy(map.get(key));
    if has("integration") {
        Some(EnvelopeRole::Integration)
    } else if has("design") {
        Some(EnvelopeRole::Design)
    } else if has("docClosure") {
        Some(EnvelopeRole::Documentation)
    } else if has("eval") {
        Some(EnvelopeRole::ContEval)
    } else if has("security") {
        Some(EnvelopeRole::Security)
    } else if has("gate") || has("verdict") {
        Some(EnvelopeRole::ContQa)
    } else if has("deploy") {
        Some(EnvelopeRole::Deploy)
    } else if has("proof")
        || has("docDelta")
        || matches!(map.get("components"), Some(Value::Array(_)))
    {
        Some(EnvelopeRole::Implementation)
    } else {
        None
    }
}

/// Judges a raw envelope (see the module docs for the rule).
pub fn validate_envelope(value: &Value, expected_agent_id: Option<&str>) -> EnvelopeValidation {
    let Some(map) = value.as_object() else {
        return EnvelopeValidation {
            valid: false,
            errors: vec![EnvelopeError::NotAnObject],
            role: None,
        };
    };
    let mut errors = Vec::new();
    let version_ok = match map.get("schemaVersion") {
        Some(Value::Number(n)) => n.as_f64() == Some(2.0),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok() == Some(2.0),
        _ => false,
    };
    if !version_ok {
        errors.push(EnvelopeError::UnsupportedSchemaVersion {
            found: map
                .get("schemaVersion")
                .filter(|v| !v.is_null())
                .map_or_else(|| "missing".to_owned(), Value::to_string),
        });
    }
    let agent_id = map
        .get("agentId")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let expected = expected_agent_id.map(str::trim).filter(|s| !s.is_empty());
    match (agent_id, expected) {
        (None, _) => errors.push(EnvelopeError::MissingAgentId),
        (Some(found), Some(expected)) if found != expected => {
            errors.push(EnvelopeError::AgentIdMismatch {
                found: found.to_owned(),
                expected: expected.to_owned(),
            });
        }
        _ => {}
    }
    let role = infer_role_of_value(map);
    match role {
        None => errors.push(EnvelopeError::RoleNotInferred),
        Some(role) => {
            if !map.get(role.section_key()).is_some_and(Value::is_object) {
                errors.push(EnvelopeError::MissingRoleSection {
                    section: role.section_key(),
                });
            }
        }
    }
    if !map.get("proof").is_some_and(Value::is_object) {
        errors.push(EnvelopeError::MissingProof);
    }
    EnvelopeValidation {
        valid: errors.is_empty(),
        errors,
        role,
    }
}
