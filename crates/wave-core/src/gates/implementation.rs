//! Implementation exit-contract gate, component promotion gate and component-matrix check.

use std::collections::BTreeMap;

use super::status::{GateResult, GateStatus};
use crate::contract::{ComponentPromotion, ExitContract, Maturity};
use crate::markers::{AgentSummary, MarkerKind, MetState};

/// A declared proof artifact of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofArtifactRequirement {
    /// Repository-relative path.
    pub path: String,
    /// Levels it is required for; empty means always.
    pub required_for: Vec<Maturity>,
}

/// What an implementation-owning agent has promised (from the wave file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImplementationSpec {
    /// Agent id.
    pub agent_id: String,
    /// `### Exit contract`, if declared.
    pub exit_contract: Option<ExitContract>,
    /// Owned component ids (`### Components`).
    pub components: Vec<String>,
    /// Promoted level per owned component.
    pub component_targets: BTreeMap<String, Maturity>,
    /// `### Deliverables`.
    pub deliverables: Vec<String>,
    /// `### Proof artifacts`.
    pub proof_artifacts: Vec<ProofArtifactRequirement>,
}

fn with_termination(detail: String, summary: &AgentSummary) -> String {
    let hint = if summary.termination_hint.trim().is_empty() {
        summary.termination_reason.map(|r| r.as_str()).unwrap_or("")
    } else {
        summary.termination_hint.trim()
    };
    if hint.is_empty() {
        detail
    } else {
        format!("{detail} Termination: {hint}")
    }
}

fn invalid_format(
    agent: &str,
    marker: &str,
    summary: &AgentSummary,
    kind: MarkerKind,
    component: Option<&str>,
) -> String {
    let bucket = summary.structured_signal_diagnostics.bucket(kind);
    let sample = bucket
        .rejected_samples
        .iter()
        .find(|s| component.is_none_or(|id| s.component_id.as_deref() == Some(id)));
    let mut detail =
        format!("{agent} printed {marker} text that the marker grammar did not accept.");
    if let Some(id) = component {
        detail.push_str(&format!(" A valid marker for component {id} is required."));
    }
    if let Some(sample) = sample {
        detail.push_str(&format!(" Rejected line: {}", sample.line));
    }
    with_termination(detail, summary)
}

/// Checks the owned components' markers: `invalid-wave-component-format`,
/// `missing-wave-component`, `component-level-mismatch`, `component-gap`. `None` when all pass.
pub fn check_owned_components(
    spec: &ImplementationSpec,
    summary: &AgentSummary,
) -> Option<GateResult> {
    let agent = spec.agent_id.as_str();
    let diagnostics = &summary.structured_signal_diagnostics.component;
    for component in &spec.components {
        let Some(marker) = summary
            .components
            .iter()
            .find(|m| &m.component_id == component)
        else {
            let seen = diagnostics.seen_component_ids.contains(component);
            if diagnostics.counts.raw_count > 0 && (seen || diagnostics.counts.accepted_count == 0)
            {
                let detail = invalid_format(
                    agent,
                    "[wave-component]",
                    summary,
                    MarkerKind::Component,
                    Some(component),
                );
                return Some(GateResult::fail(
                    GateStatus::InvalidWaveComponentFormat,
                    Some(agent),
                    detail,
                ));
            }
            return Some(GateResult::fail(
                GateStatus::MissingWaveComponent,
                Some(agent),
                format!("{agent} printed no [wave-component] marker for {component}."),
            ));
        };
        if let Some(expected) = spec.component_targets.get(component) {
            if marker.level != expected.as_str() {
                return Some(GateResult::fail(
                    GateStatus::ComponentLevelMismatch,
                    Some(agent),
                    format!("{agent} reported {component} at level {}, the wave promotes it to {expected}.", marker.level),
                ));
            }
        }
        if marker.state != MetState::Met {
            let detail = if marker.detail.is_empty() {
                format!("{agent} reported a gap on component {component}.")
            } else {
                marker.detail.clone()
            };
            return Some(GateResult::fail(
                GateStatus::ComponentGap,
                Some(agent),
                detail,
            ));
        }
    }
    None
}

fn artifact_required(spec: &ImplementationSpec, artifact: &ProofArtifactRequirement) -> bool {
    if artifact.required_for.is_empty() {
        return true;
    }
    let highest = spec
        .components
        .iter()
        .filter_map(|c| spec.component_targets.get(c))
        .max();
    match highest {
        None => true,
        Some(highest) => artifact.required_for.iter().any(|level| highest >= level),
    }
}

/// Upstream's implementation validator for one agent. Without an exit contract the agent
/// passes outright; otherwise the checks run in upstream's order and the first failure counts.
pub fn validate_implementation(
    spec: &ImplementationSpec,
    summary: Option<&AgentSummary>,
) -> GateResult {
    let agent = spec.agent_id.as_str();
    let Some(contract) = spec.exit_contract else {
        return GateResult::pass(Some(agent), "No exit contract declared.");
    };
    let Some(summary) = summary else {
        return GateResult::fail(
            GateStatus::MissingSummary,
            Some(agent),
            format!("No execution summary for {agent}."),
        );
    };
    let Some(proof) = &summary.proof else {
        if summary.structured_signal_diagnostics.proof.all_rejected() {
            let detail = invalid_format(agent, "[wave-proof]", summary, MarkerKind::Proof, None);
            return GateResult::fail(GateStatus::InvalidWaveProofFormat, Some(agent), detail);
        }
        let detail = with_termination(format!("{agent} printed no [wave-proof] marker."), summary);
        return GateResult::fail(GateStatus::MissingWaveProof, Some(agent), detail);
    };
    if proof.state != MetState::Met {
        let detail = if proof.detail.is_empty() {
            format!("{agent} reported a proof gap.")
        } else {
            format!("{agent} reported a proof gap: {}", proof.detail)
        };
        return GateResult::fail(GateStatus::WaveProofGap, Some(agent), detail);
    }
    if proof.completion < contract.completion {
        return GateResult::fail(
            GateStatus::CompletionGap,
            Some(agent),
            format!(
                "{agent} proved completion {}, the exit contract needs {}.",
                proof.completion, contract.completion
            ),
        );
    }
    if proof.durability < contract.durability {
        return GateResult::fail(
            GateStatus::DurabilityGap,
            Some(agent),
            format!(
                "{agent} proved durability {}, the exit contract needs {}.",
                proof.durability, contract.durability
            ),
        );
    }
    if proof.proof < contract.proof {
        return GateResult::fail(
            GateStatus::ProofLevelGap,
            Some(agent),
            format!(
                "{agent} proved at level {}, the exit contract needs {}.",
                proof.proof, contract.proof
            ),
        );
    }
    let Some(doc_delta) = &summary.doc_delta else {
        if summary
            .structured_signal_diagnostics
            .doc_delta
            .all_rejected()
        {
            let detail = invalid_format(
                agent,
                "[wave-doc-delta]",
                summary,
                MarkerKind::DocDelta,
                None,
            );
            return GateResult::fail(GateStatus::InvalidDocDeltaFormat, Some(agent), detail);
        }
        let detail = with_termination(
            format!("{agent} printed no [wave-doc-delta] marker."),
            summary,
        );
        return GateResult::fail(GateStatus::MissingDocDelta, Some(agent), detail);
    };
    if doc_delta.state < contract.doc_impact {
        return GateResult::fail(
            GateStatus::DocImpactGap,
            Some(agent),
            format!(
                "{agent} reported doc impact {}, the exit contract needs {}.",
                doc_delta.state, contract.doc_impact
            ),
        );
    }
    if let Some(failure) = check_owned_components(spec, summary) {
        return failure;
    }
    for path in &spec.deliverables {
        match summary.deliverables.iter().find(|d| &d.path == path) {
            None => {
                return GateResult::fail(
                    GateStatus::MissingDeliverableSummary,
                    Some(agent),
                    format!(
                        "The summary of {agent} has no presence record for deliverable {path}."
                    ),
                )
            }
            Some(d) if !d.exists => {
                return GateResult::fail(
                    GateStatus::MissingDeliverable,
                    Some(agent),
                    format!("{agent} did not produce deliverable {path}."),
                )
            }
            Some(_) => {}
        }
    }
    for artifact in spec
        .proof_artifacts
        .iter()
        .filter(|a| artifact_required(spec, a))
    {
        match summary
            .proof_artifacts
            .iter()
            .find(|a| a.path == artifact.path)
        {
            None => {
                return GateResult::fail(
                    GateStatus::MissingProofArtifactSummary,
                    Some(agent),
                    format!(
                        "The summary of {agent} has no presence record for proof artifact {}.",
                        artifact.path
                    ),
                )
            }
            Some(a) if !a.exists => {
                return GateResult::fail(
                    GateStatus::MissingProofArtifact,
                    Some(agent),
                    format!(
                        "{agent} did not produce required proof artifact {}.",
                        artifact.path
                    ),
                )
            }
            Some(_) => {}
        }
    }
    GateResult::pass(Some(agent), format!("{agent} satisfies its exit contract."))
}

/// The implementation gate over a wave's implementation-owning agents: the first failing
/// agent's result, else pass (attributed to no agent).
pub fn implementation_gate<'a>(
    agents: impl IntoIterator<Item = (&'a ImplementationSpec, Option<&'a AgentSummary>)>,
) -> GateResult {
    for (spec, summary) in agents {
        let result = validate_implementation(spec, summary);
        if !result.ok {
            return result;
        }
    }
    GateResult::pass(None, "Every implementation exit contract is satisfied.")
}

/// One agent of the wave as seen by the component gate.
#[derive(Debug, Clone, Copy)]
pub struct ComponentAgent<'a> {
    /// The agent's promises.
    pub spec: &'a ImplementationSpec,
    /// Its summary, if any.
    pub summary: Option<&'a AgentSummary>,
    /// Whether it is implementation-owning (launcher §1.5).
    pub implementation_owning: bool,
}

/// Inputs of the component promotion gate.
#[derive(Debug, Clone, Copy)]
pub struct ComponentGateInput<'a> {
    /// Wave number.
    pub wave: u32,
    /// `validation.requireComponentPromotionsFromWave`.
    pub require_from_wave: Option<u32>,
    /// `## Component promotions`.
    pub promotions: &'a [ComponentPromotion],
    /// Every agent of the wave.
    pub agents: &'a [ComponentAgent<'a>],
}

fn component_satisfied(agent: &ComponentAgent<'_>, component: &str) -> bool {
    let Some(summary) = agent.summary else {
        return false;
    };
    let expected = agent.spec.component_targets.get(component);
    summary.components.iter().any(|m| {
        m.component_id == component
            && m.state == MetState::Met
            && expected.is_none_or(|level| m.level == level.as_str())
    })
}

/// Component promotion gate: a shared component whose owners are only partly done yields
/// `shared-component-sibling-pending` (checked first, for every promotion); then, when the
/// promotion rule applies to this wave, `missing-component-promotions` or
/// `component-promotion-gap` for the first promotion no implementation-owning owner proves.
pub fn component_gate(input: &ComponentGateInput<'_>) -> GateResult {
    for promotion in input.promotions {
        let id = promotion.component.as_str();
        let owners: Vec<&ComponentAgent<'_>> = input
            .agents
            .iter()
            .filter(|a| a.spec.components.iter().any(|c| c == id))
            .collect();
        let (done, waiting): (Vec<&&ComponentAgent<'_>>, Vec<&&ComponentAgent<'_>>) =
            owners.iter().partition(|a| {
                validate_implementation(a.spec, a.summary).ok && component_satisfied(a, id)
            });
        if !done.is_empty() && !waiting.is_empty() {
            let done_ids: Vec<&str> = done.iter().map(|a| a.spec.agent_id.as_str()).collect();
            let waiting_ids: Vec<&str> = waiting.iter().map(|a| a.spec.agent_id.as_str()).collect();
            return GateResult::fail(
                GateStatus::SharedComponentSiblingPending,
                waiting_ids.first().copied(),
                format!(
                    "Component {id}: {} landed; still waiting on {}.",
                    done_ids.join(", "),
                    waiting_ids.join("/")
                ),
            );
        }
    }
    let active = input
        .require_from_wave
        .is_some_and(|from| input.wave >= from);
    if !active {
        return GateResult::pass(
            None,
            "The component promotion rule does not apply to this wave.",
        );
    }
    let owning: Vec<&ComponentAgent<'_>> = input
        .agents
        .iter()
        .filter(|a| a.implementation_owning)
        .collect();
    if input.promotions.is_empty() {
        if owning.is_empty() {
            return GateResult::pass(None, "No implementation-owned components to promote.");
        }
        return GateResult::fail(
            GateStatus::MissingComponentPromotions,
            None,
            format!(
                "Wave {} has implementation agents but declares no component promotions.",
                input.wave
            ),
        );
    }
    for promotion in input.promotions {
        let id = promotion.component.as_str();
        let proven = owning
            .iter()
            .any(|a| a.spec.components.iter().any(|c| c == id) && component_satisfied(a, id));
        if !proven {
            let owner = input
                .agents
                .iter()
                .find(|a| a.spec.components.iter().any(|c| c == id));
            return GateResult::fail(
                GateStatus::ComponentPromotionGap,
                owner.map(|a| a.spec.agent_id.as_str()),
                format!(
                    "Wave {} has not proven component {id} at {}.",
                    input.wave, promotion.target_level
                ),
            );
        }
    }
    GateResult::pass(
        None,
        "Every promoted component is proven at its promoted level.",
    )
}

/// Component-matrix check after documentation closure: each promoted component's matrix
/// `currentLevel` (component id → level as written in the matrix JSON) must equal its promoted
/// level. Failures are attributed to the documentation steward.
pub fn component_matrix_gate(
    promotions: &[ComponentPromotion],
    matrix_current_levels: &BTreeMap<String, String>,
    documentation_agent_id: Option<&str>,
) -> GateResult {
    for promotion in promotions {
        let id = promotion.component.as_str();
        let Some(current) = matrix_current_levels.get(id) else {
            return GateResult::fail(
                GateStatus::UnknownComponent,
                documentation_agent_id,
                format!("Promoted component {id} is not in the component matrix."),
            );
        };
        if current != promotion.target_level.as_str() {
            return GateResult::fail(
                GateStatus::ComponentCurrentLevelStale,
                documentation_agent_id,
                format!(
                    "The component matrix still records {id} at {current}; the wave promotes it to {}.",
                    promotion.target_level
                ),
            );
        }
    }
    GateResult::pass(None, "Component matrix levels match the promotions.")
}
