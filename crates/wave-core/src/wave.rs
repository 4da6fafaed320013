//! The wave markdown parser: `docs/plans/waves/wave-<n>.md` → [`WaveDefinition`].
//!
//! Owns discovery of a lane's wave files, the exact section grammar of upstream Wave v0.9.1
//! (`scripts/wave-orchestrator/wave-files.mjs`, launcher §1.1–§1.4), role-prompt composition,
//! the derived per-agent fields (composed prompt, owned paths, slug, component targets,
//! proof-centric flag) and the parse-error catalogue of launcher §1.8 ([`WaveError`]).
//!
//! The core is pure: [`parse_wave`] takes the file's text and reads role prompts through
//! [`ParseOptions::read`]; only [`load_lane`] touches the filesystem. Errors are "first error
//! wins", in upstream's evaluation order: agents in file order (each: role prompts, Context7,
//! exit contract, executor, components, capabilities, skills, deliverables, proof artifacts,
//! prompt, role-prompt files, deliverable ownership, proof-artifact ownership), then the
//! wave-level component promotions, deploy environments, eval targets and Context7 defaults.
//!
//! Not here (by design): `### Executor` key/value semantics (the `config` module owns them; the
//! parser keeps raw ordered pairs and offers [`ParseOptions::executor_check`] as a hook), role
//! classification and post-parse validation (launcher §1.5/§1.6).

mod agent;
mod discover;
mod errors;
mod lists;
mod model;
mod sections;
mod text;
mod wave_level;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;
#[cfg(test)]
mod tests_props;
#[cfg(test)]
mod tests_upstream;

pub use agent::slugify;
pub use discover::{discover_wave_files, load_lane, load_lane_with, WaveFileEntry};
pub use errors::{WaveError, WaveErrorKind};
pub use model::{
    effective_executor_settings, ComponentTargets, Context7Config, DeployEnvironment,
    ExecutorSetting, ExitContractDecl, ProofArtifact, WaveAgent, WaveComponentPromotion,
    WaveDefinition,
};

use std::path::Path;

/// The role prompt directory upstream uses when `roles.rolePromptDir` is not configured.
pub const DEFAULT_ROLE_PROMPT_DIR: &str = "docs/agents";
/// Upstream's default security reviewer role prompt.
pub const DEFAULT_SECURITY_ROLE_PROMPT_PATH: &str = "docs/agents/wave-security-role.md";
/// Upstream's default design steward role prompt.
pub const DEFAULT_DESIGN_ROLE_PROMPT_PATH: &str = "docs/agents/wave-design-role.md";

/// Reads a repository file given its repo-relative path; `None` when it does not exist.
pub type ReadRepoFile<'a> = &'a dyn Fn(&Path) -> Option<String>;

/// A caller check run on each effective `### Executor` setting, in upstream's order (after the
/// parser's own malformed/empty checks). `Err` carries the full upstream message; `label` is
/// `agent <id>` and `file` the wave file, as upstream's messages use them.
pub type ExecutorCheck<'a> =
    &'a dyn Fn(&ExecutorSetting, &str /* label */, &str /* file */) -> Result<(), String>;

/// What the parser needs besides the wave text.
#[derive(Clone, Copy)]
pub struct ParseOptions<'a> {
    /// `roles.rolePromptDir` as configured (repo-relative; used verbatim in messages).
    pub role_prompt_dir: &'a str,
    /// `roles.securityRolePromptPath` (adds the `security-review` capability on import).
    pub security_role_prompt_path: &'a str,
    /// `roles.designRolePromptPath` (adds the `design` capability on import).
    pub design_role_prompt_path: &'a str,
    /// Reads role prompt files (repo-relative paths).
    pub read: ReadRepoFile<'a>,
    /// Optional executor-setting check (e.g. `ExecutorOverrides::apply_setting`).
    pub executor_check: Option<ExecutorCheck<'a>>,
}

impl<'a> ParseOptions<'a> {
    /// Upstream defaults for the role paths, reading role prompts through `read`.
    pub fn new(read: ReadRepoFile<'a>) -> Self {
        ParseOptions {
            role_prompt_dir: DEFAULT_ROLE_PROMPT_DIR,
            security_role_prompt_path: DEFAULT_SECURITY_ROLE_PROMPT_PATH,
            design_role_prompt_path: DEFAULT_DESIGN_ROLE_PROMPT_PATH,
            read,
            executor_check: None,
        }
    }
}

impl std::fmt::Debug for ParseOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParseOptions")
            .field("role_prompt_dir", &self.role_prompt_dir)
            .field("security_role_prompt_path", &self.security_role_prompt_path)
            .field("design_role_prompt_path", &self.design_role_prompt_path)
            .field("executor_check", &self.executor_check.is_some())
            .finish_non_exhaustive()
    }
}

/// Parses one wave file's text.
///
/// `path` names the file the way upstream's messages do (the launcher passes
/// `<wavesDir>/<file>`); its file name must be `wave-<digits>.md` and gives the wave number.
/// `file` is the repo-relative path stored in [`WaveDefinition::file`].
pub fn parse_wave(
    content: &str,
    path: &str,
    file: &str,
    options: &ParseOptions<'_>,
) -> Result<WaveDefinition, WaveError> {
    agent::parse_wave_content(content, path, file, options)
}
