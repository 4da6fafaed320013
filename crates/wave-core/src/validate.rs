//! Role classification and post-parse wave validation (upstream v0.9.1's
//! `validateWaveDefinition` and the launch-time resolution before it; launcher §1.5–§1.7).
//!
//! Owns:
//! - [`roles`]: which closure / security / design / implementation role each agent holds
//!   ([`AgentRoles`]);
//! - [`validate_wave`] / [`Validator`]: resolution errors (executor block, unknown profile,
//!   missing skill bundle, unknown Context7 bundle) then every rule violation of a wave, joined
//!   as upstream does: `Invalid wave <n> (<file>): <msg>; <msg>; …`;
//! - [`validate_lane`]: every wave of a lane, every wave's error (for `wave doctor`);
//! - the auxiliary inputs validation reads: [`context7`] (bundle index), [`matrix`] (component
//!   cutover matrix), [`catalog`] (benchmark catalog).
//!
//! Pure: files are read through [`InputFiles`], which tests fake and the engine implements over
//! the repository. Checking executor commands on `PATH` is the engine's job.

mod js;
mod resolve;
mod rules;
mod rules_closure;

pub mod catalog;
pub mod context7;
pub mod matrix;
pub mod roles;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_rules;
#[cfg(test)]
mod tests_upstream;

pub use resolve::{executor_overrides, ValidatedAgent, ValidatedWave};
pub use roles::AgentRoles;
pub use rules::required_documentation_paths;
pub use rules_closure::runtime_mix_violation;

use serde::Serialize;

use crate::config::{CodexSandbox, ExecutorId, LaneConfig};
use crate::wave::WaveDefinition;
use context7::{Context7BundleIndex, Context7IndexError};

/// Read access to the repository's input files, by repo-relative `/`-separated path.
pub trait InputFiles {
    /// The file's text, or `None` when it does not exist or cannot be read.
    fn read(&self, repo_rel: &str) -> Option<String>;
    /// Whether a file or directory exists.
    fn exists(&self, repo_rel: &str) -> bool;
}

/// Launch flags that change resolution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValidateOptions {
    /// `--executor`: the default for agents nothing else assigns an executor.
    pub cli_executor: Option<ExecutorId>,
    /// `--codex-sandbox`.
    pub cli_codex_sandbox: Option<CodexSandbox>,
}

/// Why a wave cannot be launched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum WaveValidationError {
    /// A launch-time resolution error (launcher §1.7), upstream's message verbatim; upstream
    /// throws it before the rules run, so it comes alone.
    #[error("{message}")]
    Resolution {
        /// Wave number.
        wave: u32,
        /// Wave file.
        file: String,
        /// The message.
        message: String,
    },
    /// Rule violations (launcher §1.6), all of them, in upstream's order.
    #[error("Invalid wave {wave} ({file}): {}", violations.join("; "))]
    Invalid {
        /// Wave number.
        wave: u32,
        /// Wave file.
        file: String,
        /// Each violation's message.
        violations: Vec<String>,
    },
}

impl WaveValidationError {
    /// The wave the error belongs to.
    pub fn wave(&self) -> u32 {
        match self {
            Self::Resolution { wave, .. } | Self::Invalid { wave, .. } => *wave,
        }
    }
}

/// Why a lane cannot be launched: a lane-level input error, or the errors of its waves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaneValidationError {
    /// The Context7 bundle index is missing or invalid (upstream aborts before parsing waves).
    #[error(transparent)]
    Context7Index(#[from] Context7IndexError),
    /// One or more waves failed; each wave's error, in wave order.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Waves(Vec<WaveValidationError>),
}

/// Validates waves of one lane against its config and inputs; holds the loaded bundle index.
pub struct Validator<'a> {
    lane: &'a LaneConfig,
    inputs: &'a dyn InputFiles,
    options: ValidateOptions,
    context7: Option<Context7BundleIndex>,
    matrix: rules::MatrixCache,
}

impl std::fmt::Debug for Validator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("lane", &self.lane.lane)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a> Validator<'a> {
    /// Loads the lane's Context7 bundle index (`paths.context7BundleIndexPath`), which upstream
    /// requires for every launch.
    pub fn new(
        lane: &'a LaneConfig,
        inputs: &'a dyn InputFiles,
        options: ValidateOptions,
    ) -> Result<Self, Context7IndexError> {
        let path = &lane.context7_bundle_index_path;
        let index = Context7BundleIndex::parse(inputs.read(path).as_deref(), path)?;
        Ok(Self::with_index(lane, inputs, options, Some(index)))
    }

    /// A validator with an already loaded index, or none (Context7 bundle ids then go
    /// unchecked and [`ValidatedAgent::context7_bundle`] stays `None`).
    pub fn with_index(
        lane: &'a LaneConfig,
        inputs: &'a dyn InputFiles,
        options: ValidateOptions,
        context7: Option<Context7BundleIndex>,
    ) -> Self {
        Validator {
            lane,
            inputs,
            options,
            context7,
            matrix: rules::MatrixCache::default(),
        }
    }

    /// The loaded bundle index.
    pub fn context7_index(&self) -> Option<&Context7BundleIndex> {
        self.context7.as_ref()
    }

    /// Resolves and validates one wave.
    pub fn validate_wave(
        &self,
        wave: &WaveDefinition,
    ) -> Result<ValidatedWave, WaveValidationError> {
        let agents = resolve::resolve_wave(
            wave,
            self.lane,
            self.inputs,
            self.context7.as_ref(),
            &self.options,
        )
        .map_err(|message| WaveValidationError::Resolution {
            wave: wave.wave,
            file: wave.file.clone(),
            message,
        })?;
        let violations =
            rules::wave_violations(wave, self.lane, self.inputs, &agents, &self.matrix);
        if !violations.is_empty() {
            return Err(WaveValidationError::Invalid {
                wave: wave.wave,
                file: wave.file.clone(),
                violations,
            });
        }
        Ok(ValidatedWave {
            wave: wave.wave,
            file: wave.file.clone(),
            agents,
        })
    }

    /// Validates every wave; all waves' errors when any fails.
    pub fn validate_lane(
        &self,
        waves: &[WaveDefinition],
    ) -> Result<Vec<ValidatedWave>, Vec<WaveValidationError>> {
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for wave in waves {
            match self.validate_wave(wave) {
                Ok(validated) => ok.push(validated),
                Err(e) => failed.push(e),
            }
        }
        if failed.is_empty() {
            Ok(ok)
        } else {
            Err(failed)
        }
    }
}

/// Resolves and validates one wave with default launch flags. The Context7 bundle index is
/// loaded first; its error is reported as this wave's resolution error.
pub fn validate_wave(
    wave: &WaveDefinition,
    lane: &LaneConfig,
    inputs: &dyn InputFiles,
) -> Result<ValidatedWave, WaveValidationError> {
    let validator = Validator::new(lane, inputs, ValidateOptions::default()).map_err(|e| {
        WaveValidationError::Resolution {
            wave: wave.wave,
            file: wave.file.clone(),
            message: e.to_string(),
        }
    })?;
    validator.validate_wave(wave)
}

/// Validates every wave of a lane (upstream validates the whole lane on every launch); returns
/// the bundle-index error, or every failing wave's error.
pub fn validate_lane(
    waves: &[WaveDefinition],
    lane: &LaneConfig,
    inputs: &dyn InputFiles,
    options: ValidateOptions,
) -> Result<Vec<ValidatedWave>, LaneValidationError> {
    let validator = Validator::new(lane, inputs, options)?;
    validator
        .validate_lane(waves)
        .map_err(LaneValidationError::Waves)
}
