//! Ordered vocabularies shared by the wave parser, the marker grammar and the gates.
//!
//! Owns the exit-contract dimensions (`completion`, `durability`, `proof`, `doc-impact`) and the
//! component maturity ladder, each as an ordered enum whose `Ord` is upstream's ordering, so a
//! gate checks "marker value ≥ contract value" with plain `>=`. Spellings are upstream v0.9.1's
//! exactly (lower case, hyphenated) and round-trip through [`std::str::FromStr`] / `as_str`.

use serde::{Deserialize, Serialize};

macro_rules! ordered_vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, lowest first.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The upstream spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the exact upstream spelling (callers lower-case first where upstream does).
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted spellings joined with `", "`, for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text).ok_or_else(|| UnknownValue {
                    kind: stringify!($name),
                    value: text.to_string(),
                    expected: Self::expected(),
                })
            }
        }
    };
}

/// A value outside one of the vocabularies of this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} value {value:?}; expected one of {expected}")]
pub struct UnknownValue {
    /// Name of the vocabulary.
    pub kind: &'static str,
    /// The rejected text.
    pub value: String,
    /// The accepted spellings.
    pub expected: String,
}

ordered_vocabulary! {
    /// How far the agent's work reaches (`completion=` of `[wave-proof]` and exit contracts).
    Completion {
        /// Satisfies the contract only.
        Contract => "contract",
        /// Integrated with the rest of the system.
        Integrated => "integrated",
        /// The authoritative implementation.
        Authoritative => "authoritative",
        /// Live in production.
        Live => "live",
    }
}

ordered_vocabulary! {
    /// How durable the agent's result is (`durability=`).
    Durability {
        /// Nothing persists.
        None => "none",
        /// Persists for the session only.
        Ephemeral => "ephemeral",
        /// Durable.
        Durable => "durable",
    }
}

ordered_vocabulary! {
    /// The strongest kind of proof offered (`proof=`).
    ProofLevel {
        /// Unit tests.
        Unit => "unit",
        /// Integration tests.
        Integration => "integration",
        /// Live evidence.
        Live => "live",
    }
}

ordered_vocabulary! {
    /// Documentation impact (`doc-impact` of a contract, `state=` of `[wave-doc-delta]`).
    DocImpact {
        /// No documentation change.
        None => "none",
        /// Documents the agent owns.
        Owned => "owned",
        /// Shared plan documents.
        SharedPlan => "shared-plan",
    }
}

ordered_vocabulary! {
    /// The component maturity ladder used by promotions, component markers and proof artifacts.
    Maturity {
        /// Listed only.
        Inventoried => "inventoried",
        /// Contract frozen.
        ContractFrozen => "contract-frozen",
        /// Code landed in the repository.
        RepoLanded => "repo-landed",
        /// Baseline proved.
        BaselineProved => "baseline-proved",
        /// Running in a pilot; from here on an agent is proof-centric.
        PilotLive => "pilot-live",
        /// Proved by QA.
        QaProved => "qa-proved",
        /// Ready for the fleet.
        FleetReady => "fleet-ready",
        /// Ready for cutover.
        CutoverReady => "cutover-ready",
        /// Ready for deprecation of what it replaces.
        DeprecationReady => "deprecation-ready",
    }
}

impl Maturity {
    /// The level from which an agent targeting it is proof-centric (launcher §1.4).
    pub const PROOF_CENTRIC: Maturity = Maturity::PilotLive;

    /// Whether targeting this level makes an agent proof-centric.
    pub fn is_proof_centric(self) -> bool {
        self >= Self::PROOF_CENTRIC
    }
}

/// An implementation agent's `### Exit contract`: the minimum its `[wave-proof]` and
/// `[wave-doc-delta]` markers must report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitContract {
    /// Minimum `completion=`.
    pub completion: Completion,
    /// Minimum `durability=`.
    pub durability: Durability,
    /// Minimum `proof=`.
    pub proof: ProofLevel,
    /// Minimum `[wave-doc-delta] state=`.
    pub doc_impact: DocImpact,
}

/// How a cont-EVAL target chooses its benchmarks (`selection=` of `## Eval targets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvalSelection {
    /// The cont-EVAL agent picks benchmarks from `benchmark-family`.
    Delegated,
    /// The wave names the benchmarks.
    Pinned,
}

/// One entry of a wave's `## Eval targets` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvalTarget {
    /// Target id (lower case).
    pub id: String,
    /// How benchmarks are chosen.
    pub selection: EvalSelection,
    /// Benchmark family; required when `selection` is delegated.
    pub benchmark_family: Option<String>,
    /// Pinned benchmark ids; required (non-empty) when `selection` is pinned.
    pub benchmarks: Vec<String>,
    /// What the target measures.
    pub objective: String,
    /// The pass threshold, as written.
    pub threshold: String,
}

/// One entry of a wave's `## Component promotions`: component id and the level it reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentPromotion {
    /// Component id (`[a-z0-9][a-z0-9._-]*`).
    pub component: String,
    /// Target maturity level for this wave.
    pub target_level: Maturity,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_follow_upstream_lists() {
        assert!(Completion::Contract < Completion::Integrated);
        assert!(Completion::Authoritative < Completion::Live);
        assert!(Durability::None < Durability::Ephemeral);
        assert!(ProofLevel::Integration < ProofLevel::Live);
        assert!(DocImpact::Owned < DocImpact::SharedPlan);
        assert!(Maturity::RepoLanded < Maturity::PilotLive);
        assert!(Maturity::PilotLive.is_proof_centric());
        assert!(!Maturity::BaselineProved.is_proof_centric());
    }

    #[test]
    fn spellings_round_trip() {
        for level in Maturity::ALL {
            assert_eq!(Maturity::parse(level.as_str()), Some(*level));
        }
        assert_eq!(
            "shared-plan".parse::<DocImpact>(),
            Ok(DocImpact::SharedPlan)
        );
        let err = "Live".parse::<Completion>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown Completion value \"Live\"; expected one of contract, integrated, authoritative, live"
        );
    }

    #[test]
    fn contract_json_uses_camel_case() {
        let contract = ExitContract {
            completion: Completion::Contract,
            durability: Durability::None,
            proof: ProofLevel::Unit,
            doc_impact: DocImpact::Owned,
        };
        let json = serde_json::to_value(contract).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"completion":"contract","durability":"none","proof":"unit","docImpact":"owned"})
        );
    }
}
