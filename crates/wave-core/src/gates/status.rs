//! Gate status codes with upstream v0.9.1's exact spellings.

use serde::{Deserialize, Serialize};

macro_rules! status_codes {
    ($($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?) => {
        /// A gate status code. Serialises as upstream's string (`"pass"`, `"wave-proof-gap"`, …).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum GateStatus {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl GateStatus {
            /// Every code.
            pub const ALL: &'static [GateStatus] = &[$(GateStatus::$variant),+];

            /// Upstream's spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(GateStatus::$variant => $text),+ }
            }

            /// Parses upstream's spelling.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(GateStatus::$variant),)+ _ => None }
            }
        }
    };
}

status_codes! {
    /// The gate passed.
    Pass => "pass",
    /// No summary for an agent with an exit contract.
    MissingSummary => "missing-summary",
    /// `[wave-proof]` text seen but none accepted.
    InvalidWaveProofFormat => "invalid-wave-proof-format",
    /// No `[wave-proof]`.
    MissingWaveProof => "missing-wave-proof",
    /// Final `[wave-proof]` reports `state=gap` (forwardable in the closure sweep).
    WaveProofGap => "wave-proof-gap",
    /// `completion=` below the contract.
    CompletionGap => "completion-gap",
    /// `durability=` below the contract.
    DurabilityGap => "durability-gap",
    /// `proof=` below the contract.
    ProofLevelGap => "proof-level-gap",
    /// `[wave-doc-delta]` text seen but none accepted.
    InvalidDocDeltaFormat => "invalid-doc-delta-format",
    /// No `[wave-doc-delta]`.
    MissingDocDelta => "missing-doc-delta",
    /// Doc-delta state below the contract's doc impact.
    DocImpactGap => "doc-impact-gap",
    /// `[wave-component]` text seen for the component but not accepted.
    InvalidWaveComponentFormat => "invalid-wave-component-format",
    /// No `[wave-component]` for an owned component.
    MissingWaveComponent => "missing-wave-component",
    /// Component marker level differs from the promoted level.
    ComponentLevelMismatch => "component-level-mismatch",
    /// Component marker reports `state=gap`.
    ComponentGap => "component-gap",
    /// No presence record for a deliverable.
    MissingDeliverableSummary => "missing-deliverable-summary",
    /// A deliverable does not exist.
    MissingDeliverable => "missing-deliverable",
    /// No presence record for a required proof artifact.
    MissingProofArtifactSummary => "missing-proof-artifact-summary",
    /// A required proof artifact does not exist.
    MissingProofArtifact => "missing-proof-artifact",
    /// Implementation agents but no component promotions (promotion rule active).
    MissingComponentPromotions => "missing-component-promotions",
    /// A promoted component is not proven by any owner.
    ComponentPromotionGap => "component-promotion-gap",
    /// Some owners of a shared component are done, others are not.
    SharedComponentSiblingPending => "shared-component-sibling-pending",
    /// A promoted component is absent from the component matrix.
    UnknownComponent => "unknown-component",
    /// The matrix `currentLevel` does not equal the promoted level.
    ComponentCurrentLevelStale => "component-current-level-stale",
    /// No `[wave-design]`.
    MissingWaveDesign => "missing-wave-design",
    /// Design packet path unset or file absent.
    MissingDesignPacket => "missing-design-packet",
    /// Design reports blocked.
    DesignBlocked => "design-blocked",
    /// Design needs clarification.
    DesignNeedsClarification => "design-needs-clarification",
    /// No `[wave-eval]`.
    MissingWaveEval => "missing-wave-eval",
    /// cont-EVAL report path unset or file absent.
    MissingContEvalReport => "missing-cont-eval-report",
    /// cont-EVAL reports blocked.
    ContEvalBlocked => "cont-eval-blocked",
    /// cont-EVAL reports needs-more-work.
    ContEvalNeedsMoreWork => "cont-eval-needs-more-work",
    /// The wave declares no eval targets.
    MissingContEvalContract => "missing-cont-eval-contract",
    /// `target_ids` missing or empty.
    MissingContEvalTargetIds => "missing-cont-eval-target-ids",
    /// `targets=` differs from the number of target ids.
    ContEvalTargetCountMismatch => "cont-eval-target-count-mismatch",
    /// Target ids differ from the declared targets.
    ContEvalTargetMismatch => "cont-eval-target-mismatch",
    /// `benchmark_ids` missing or empty.
    MissingContEvalBenchmarks => "missing-cont-eval-benchmarks",
    /// `benchmarks=` differs from the number of benchmark ids.
    ContEvalBenchmarkCountMismatch => "cont-eval-benchmark-count-mismatch",
    /// `regressions=` above zero.
    ContEvalRegressions => "cont-eval-regressions",
    /// A benchmark is not allowed, a pinned one is missing, or a family is unrepresented.
    ContEvalBenchmarkMismatch => "cont-eval-benchmark-mismatch",
    /// No `[wave-security]`.
    MissingWaveSecurity => "missing-wave-security",
    /// Security report path unset or file absent.
    MissingSecurityReport => "missing-security-report",
    /// `clear` with findings or approvals.
    InvalidSecurityClearState => "invalid-security-clear-state",
    /// Security reports blocked.
    SecurityBlocked => "security-blocked",
    /// Security reports concerns (advisory; the gate passes).
    SecurityConcerns => "security-concerns",
    /// No `[wave-integration]`.
    MissingWaveIntegration => "missing-wave-integration",
    /// Integration reports needs-more-work.
    IntegrationNeedsMoreWork => "integration-needs-more-work",
    /// The required integration steward is absent.
    MissingIntegration => "missing-integration",
    /// No derived integration summary.
    MissingIntegrationSummary => "missing-integration-summary",
    /// Blocking contradictions remain open.
    IntegrationContradictionOpen => "integration-contradiction-open",
    /// No `[wave-doc-closure]`.
    MissingDocClosure => "missing-doc-closure",
    /// Doc closure reports `delta`.
    DocClosureOpen => "doc-closure-open",
    /// The cont-QA agent is absent.
    MissingContQa => "missing-cont-qa",
    /// No `[wave-gate]`.
    MissingWaveGate => "missing-wave-gate",
    /// cont-QA report path unset or file absent.
    MissingContQaReport => "missing-cont-qa-report",
    /// No verdict in report or log.
    MissingContQaVerdict => "missing-cont-qa-verdict",
    /// Verdict concerns (or hold).
    ContQaConcerns => "cont-qa-concerns",
    /// Verdict blocked (or fail).
    ContQaBlocked => "cont-qa-blocked",
    /// `architecture=concerns`.
    GateArchitectureConcerns => "gate-architecture-concerns",
    /// `architecture=blocked`.
    GateArchitectureBlocked => "gate-architecture-blocked",
    /// `integration=concerns`.
    GateIntegrationConcerns => "gate-integration-concerns",
    /// `integration=blocked`.
    GateIntegrationBlocked => "gate-integration-blocked",
    /// `durability=concerns`.
    GateDurabilityConcerns => "gate-durability-concerns",
    /// `durability=blocked`.
    GateDurabilityBlocked => "gate-durability-blocked",
    /// `live=concerns`.
    GateLiveConcerns => "gate-live-concerns",
    /// `live=blocked`.
    GateLiveBlocked => "gate-live-blocked",
    /// `docs=concerns`.
    GateDocsConcerns => "gate-docs-concerns",
    /// `docs=blocked`.
    GateDocsBlocked => "gate-docs-blocked",
    /// No result envelope (live mode).
    MissingResultEnvelope => "missing-result-envelope",
    /// Invalid result envelope (live mode).
    InvalidResultEnvelope => "invalid-result-envelope",
    /// A required closure stage has no run.
    MissingClosureRun => "missing-closure-run",
    /// The agent timed out without writing a status file.
    TimeoutNoStatus => "timeout-no-status",
    /// The agent run timed out.
    TimedOut => "timed_out",
    /// The agent's status file is missing.
    MissingStatus => "missing-status",
}

impl std::fmt::Display for GateStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A gate decision: upstream's `{ ok, statusCode, detail, agentId }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GateResult {
    /// Whether the gate lets the wave proceed (advisory codes such as `security-concerns` pass).
    pub ok: bool,
    /// The status code.
    pub status_code: GateStatus,
    /// Human-readable explanation.
    pub detail: String,
    /// The agent the result is attributed to, if any.
    pub agent_id: Option<String>,
}

impl GateResult {
    /// A passing result.
    pub fn pass(agent_id: Option<&str>, detail: impl Into<String>) -> Self {
        Self::with(true, GateStatus::Pass, agent_id, detail)
    }

    /// A failing result.
    pub fn fail(status: GateStatus, agent_id: Option<&str>, detail: impl Into<String>) -> Self {
        Self::with(false, status, agent_id, detail)
    }

    /// Any result.
    pub fn with(
        ok: bool,
        status: GateStatus,
        agent_id: Option<&str>,
        detail: impl Into<String>,
    ) -> Self {
        GateResult {
            ok,
            status_code: status,
            detail: detail.into(),
            agent_id: agent_id.map(str::to_string),
        }
    }
}
