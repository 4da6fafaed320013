//! The wave parser's error type and its catalogue of kinds.
//!
//! Owns [`WaveError`]: upstream v0.9.1's exact message text (a compatibility surface — tools and
//! runbooks match on it, so capitalisation and quoting are upstream's), plus the wave file and,
//! where it can be computed, the 1-based line in that file. [`WaveErrorKind`] names each entry
//! of launcher §1.8 so callers can branch without matching on text.

/// Which parse rule failed (launcher §1.8, plus discovery and I/O).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaveErrorKind {
    /// `Waves directory not found: <dir>`.
    WavesDirNotFound,
    /// `No wave files found in <dir>`.
    NoWaveFiles,
    /// `Invalid wave filename: <name>` (also: a wave number beyond `u32`).
    InvalidWaveFilename,
    /// A wave file could not be read.
    Io,
    /// `Missing "### Prompt" section for agent <id> in <file>`.
    MissingPromptSection,
    /// `Agent <id> in <file>: missing fenced prompt block`.
    MissingPromptFence,
    /// `Malformed role prompt entry "<line>" for agent <id> in <file>`.
    MalformedRolePrompt,
    /// `Empty role prompt entry for agent <id> in <file>`.
    EmptyRolePrompt,
    /// `Role prompt path <p> for agent <id> in <file> must stay within <dir>/*.md`.
    RolePromptOutsideDir,
    /// `Missing role prompt <p> for agent <id> in <file>`.
    MissingRolePrompt,
    /// `Missing "## Standing prompt" section in <p> required by agent <id> in <file>`.
    MissingStandingPrompt,
    /// `Role prompt <p> required by agent <id> in <file>: missing fenced prompt block`.
    MissingStandingPromptFence,
    /// `Malformed Context7 setting "<line>" in <label> (<file>)`.
    MalformedContext7,
    /// `Malformed Exit contract setting "<line>" in agent <id> (<file>)`.
    MalformedExitContract,
    /// `Malformed Executor setting "<line>" in agent <id> (<file>)`.
    MalformedExecutor,
    /// `Empty Executor setting "<key>" in agent <id> (<file>)`.
    EmptyExecutor,
    /// An error returned by the caller's executor-setting check (e.g. `Unsupported Executor
    /// setting "<key>"`, invalid values).
    ExecutorSetting,
    /// `Malformed component promotion "<line>" in wave component promotions (<file>)`.
    MalformedComponentPromotion,
    /// `Duplicate component promotion "<id>" in wave component promotions (<file>)`.
    DuplicateComponentPromotion,
    /// `Invalid component id "<id>" in <label> (<file>)`.
    InvalidComponentId,
    /// `Malformed component entry "<line>" in <label> (<file>)`.
    MalformedComponent,
    /// `Duplicate component "<id>" in <label> (<file>)`.
    DuplicateComponent,
    /// `Malformed path entry "<line>" in <label> (<file>)`.
    MalformedPath,
    /// `Path "<p>" in <label> (<file>) must stay within the repo root`.
    PathOutsideRepo,
    /// `Duplicate path "<p>" in <label> (<file>)`.
    DuplicatePath,
    /// `Malformed skill entry "<line>" in <label> (<file>)`.
    MalformedSkill,
    /// `<label> (<file>) must match /^[a-z0-9][a-z0-9._-]*$/` (skill id).
    InvalidSkillId,
    /// `Duplicate skill "<id>" in <label> (<file>)`.
    DuplicateSkill,
    /// `Malformed proof artifact entry "<line>" in <label> (<file>)`.
    MalformedProofArtifactEntry,
    /// `Malformed proof artifact field "<pair>" in <label> (<file>)`.
    MalformedProofArtifactField,
    /// `Proof artifact entry in <label> (<file>) must include path`.
    ProofArtifactMissingPath,
    /// `… must be a file path, not a directory path` (deliverable or proof artifact).
    DirectoryPath,
    /// `Duplicate proof artifact "<p>" in <label> (<file>)`.
    DuplicateProofArtifact,
    /// `Invalid maturity level "<level>" in <label> (<file>)`.
    InvalidMaturityLevel,
    /// `Deliverable "<p>" for agent <id> in <file> must stay within the agent's declared file
    /// ownership`.
    DeliverableNotOwned,
    /// `Proof artifact "<p>" for agent <id> in <file> must stay within the agent's declared file
    /// ownership`.
    ProofArtifactNotOwned,
    /// `Malformed deploy environment "<line>" in <file>`.
    MalformedDeployEnvironment,
    /// `Duplicate deploy environment "<id>" in <file>`.
    DuplicateDeployEnvironment,
    /// `Malformed eval target "<line>" in <file>`.
    MalformedEvalTarget,
    /// `Malformed eval target field "<pair>" in <file>`.
    MalformedEvalTargetField,
    /// `evalTargets[<i>]…` field errors (id, selection, benchmark-family, benchmarks,
    /// objective, threshold).
    InvalidEvalTarget,
    /// `Duplicate eval target "<id>" in <file>`.
    DuplicateEvalTarget,
}

/// A wave parse or discovery error: upstream's message, the file and the line when known.
///
/// `Display` is exactly the upstream message (which already names the file where upstream's
/// does); `file` and `line` are for tooling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WaveError {
    /// Which rule failed.
    pub kind: WaveErrorKind,
    /// Upstream's message text.
    pub message: String,
    /// The wave file (or waves directory) as the caller named it.
    pub file: String,
    /// 1-based line in `file`, when the failing text is located there.
    pub line: Option<u32>,
}

impl WaveError {
    pub(crate) fn new(kind: WaveErrorKind, file: &str, line: Option<u32>, message: String) -> Self {
        WaveError {
            kind,
            message,
            file: file.to_string(),
            line,
        }
    }
}
