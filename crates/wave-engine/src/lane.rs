//! Loading a lane for launching: config → lane config → every wave file → per-agent plans.
//!
//! Owns the glue between the pure loaders of `wave-core` and the filesystem: which files are
//! read, in which order, and how their errors are collected. [`load_lane`] stops at nothing it
//! can survive: every wave file is parsed and validated, and every failing wave is reported in
//! [`LoadedLane::wave_errors`] (upstream stops at the first one; `doctor` wants them all, and
//! `launch` refuses when any exists, as upstream does).

use std::path::{Path, PathBuf};

use wave_core::config::ExecutorOverrides;
use wave_core::config::{self, CodexSandbox, Config, ConfigWarning, ExecutorId, LaneConfig};
use wave_core::validate::context7::Context7BundleIndex;
use wave_core::validate::{InputFiles, ValidateOptions, ValidatedAgent, Validator};
use wave_core::wave::{discover_wave_files, parse_wave, ParseOptions, WaveAgent, WaveDefinition};

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct LaneRequest {
    /// Absolute repository root.
    pub repo_root: PathBuf,
    /// `--project` (default: the config's `defaultProject`).
    pub project: Option<String>,
    /// `--lane` (default: the config's `defaultLane`).
    pub lane: Option<String>,
    /// `--executor`.
    pub cli_executor: Option<ExecutorId>,
    /// `--codex-sandbox`.
    pub cli_codex_sandbox: Option<CodexSandbox>,
}

/// One agent, ready to plan: its definition plus what validation resolved for it.
#[derive(Debug, Clone)]
pub struct PlannedAgent {
    /// The parsed agent.
    pub agent: WaveAgent,
    /// Roles, executor, skills and Context7 bundle.
    pub resolved: ValidatedAgent,
}

/// A parsed, validated wave with its agents' plans.
#[derive(Debug, Clone)]
pub struct PlannedWave {
    /// The parsed wave.
    pub definition: WaveDefinition,
    /// Agent plans, in file order.
    pub agents: Vec<PlannedAgent>,
}

/// A lane as loaded from disk.
#[derive(Debug, Clone)]
pub struct LoadedLane {
    /// The config.
    pub config: Config,
    /// Set when a present `wave.config.json` was ignored.
    pub config_warning: Option<ConfigWarning>,
    /// Whether `wave.config.json` exists.
    pub config_present: bool,
    /// The resolved lane.
    pub lane: LaneConfig,
    /// The Context7 bundle index, when it loaded.
    pub context7: Option<Context7BundleIndex>,
    /// Waves that parsed and validated, in numeric order.
    pub waves: Vec<PlannedWave>,
    /// One message per wave file that failed to parse, validate or resolve.
    pub wave_errors: Vec<String>,
}

/// Failures that stop loading before any wave is looked at.
#[derive(Debug, thiserror::Error)]
pub enum LaneError {
    /// `wave.config.json` is invalid or the project/lane cannot be resolved.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The waves directory is missing or holds no wave file.
    #[error("{0}")]
    Discovery(String),
}

/// Reads repository files for the pure validators.
#[derive(Debug, Clone)]
pub struct RepoFiles {
    root: PathBuf,
}

impl RepoFiles {
    /// Files under `root`.
    pub fn new(root: &Path) -> Self {
        RepoFiles {
            root: root.to_path_buf(),
        }
    }

    /// Reads a repo-relative file as text (lossy UTF-8); `None` when it is not a file.
    pub fn read_text(&self, rel: &Path) -> Option<String> {
        let full = self.root.join(rel);
        if !full.is_file() {
            return None;
        }
        std::fs::read(full)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

impl InputFiles for RepoFiles {
    fn read(&self, repo_rel: &str) -> Option<String> {
        self.read_text(Path::new(repo_rel))
    }

    fn exists(&self, repo_rel: &str) -> bool {
        self.root.join(repo_rel).exists()
    }
}

/// Loads and validates every wave of the requested lane.
pub fn load_lane(request: &LaneRequest) -> Result<LoadedLane, LaneError> {
    let root = &request.repo_root;
    let config_present = root.join(config::CONFIG_FILE_NAME).is_file();
    let loaded = config::load(root)?;
    let dir_exists = |rel: &str| root.join(rel).is_dir();
    let lane = loaded.config.resolve_lane(
        request.project.as_deref(),
        request.lane.as_deref(),
        &dir_exists,
    )?;

    let files = RepoFiles::new(root);
    let read = |rel: &Path| files.read_text(rel);
    let check = |setting: &wave_core::wave::ExecutorSetting, label: &str, file: &str| {
        ExecutorOverrides::default()
            .apply_setting(&setting.key, &setting.value)
            .map_err(|e| e.message(label, file))
    };
    let mut options = ParseOptions::new(&read);
    options.role_prompt_dir = &lane.roles.role_prompt_dir;
    options.security_role_prompt_path = &lane.roles.security_role_prompt_path;
    options.design_role_prompt_path = &lane.roles.design_role_prompt_path;
    options.executor_check = Some(&check);

    // Upstream aborts every launch when the bundle index is missing or invalid; here it is
    // one error among the others so `doctor` can list everything at once.
    let mut wave_errors = Vec::new();
    let validate_options = ValidateOptions {
        cli_executor: request.cli_executor,
        cli_codex_sandbox: request.cli_codex_sandbox,
    };
    let validator = match Validator::new(&lane, &files, validate_options) {
        Ok(v) => v,
        Err(e) => {
            wave_errors.push(e.to_string());
            Validator::with_index(&lane, &files, validate_options, None)
        }
    };

    let waves_dir = root.join(&lane.waves_dir);
    let entries =
        discover_wave_files(&waves_dir, root).map_err(|e| LaneError::Discovery(e.to_string()))?;
    let mut waves = Vec::new();
    for entry in entries {
        let path = entry.path.to_string_lossy().into_owned();
        let file = entry
            .path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| path.clone());
        let Some(text) = files.read_text(Path::new(&file)) else {
            wave_errors.push(format!("Failed to read {file}"));
            continue;
        };
        let definition = match parse_wave(&text, &path, &file, &options) {
            Ok(d) => d,
            Err(e) => {
                wave_errors.push(e.to_string());
                continue;
            }
        };
        match validator.validate_wave(&definition) {
            Ok(validated) => {
                let agents = definition
                    .agents
                    .iter()
                    .cloned()
                    .zip(validated.agents)
                    .map(|(agent, resolved)| PlannedAgent { agent, resolved })
                    .collect();
                waves.push(PlannedWave { definition, agents });
            }
            Err(e) => wave_errors.push(e.to_string()),
        }
    }
    let context7 = validator.context7_index().cloned();
    drop(validator);
    Ok(LoadedLane {
        config: loaded.config,
        config_warning: loaded.warning,
        config_present,
        lane,
        context7,
        waves,
        wave_errors,
    })
}
