//! `wave doctor`: every check a user needs before launching, as one report.
//!
//! Owns the list of checks and their wording. Errors make the report fail (exit 1); warnings do
//! not. The JSON shape is upstream's (`ok`, `workspaceRoot`, `packageName`, `packageVersion`,
//! `errors`, `warnings`) plus `limits`: the derived agent concurrency with every input and the
//! deciding term ([`crate::limits`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use wave_core::config::ExecutorId;

use crate::lane::{load_lane, LaneRequest};
use crate::limits::{derive_limits, lane_executors, LimitKnobs, LimitsReport};

/// The doctor's findings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    /// No errors.
    pub ok: bool,
    /// The repository checked.
    pub workspace_root: PathBuf,
    /// This package's name.
    pub package_name: &'static str,
    /// This package's version.
    pub package_version: &'static str,
    /// Blocking problems.
    pub errors: Vec<String>,
    /// Non-blocking problems.
    pub warnings: Vec<String>,
    /// How many agents may run at once, and why (not an upstream field).
    pub limits: LimitsReport,
}

/// Runs every check for the lane; the limits are read from the real cgroup tree.
pub fn run(
    repo_root: &Path,
    project: Option<String>,
    lane: Option<String>,
    knobs: &LimitKnobs,
) -> DoctorReport {
    let mut errors = Vec::new();
    let mut executors = BTreeSet::new();
    let mut warnings = Vec::new();
    let request = LaneRequest {
        repo_root: repo_root.to_path_buf(),
        project,
        lane,
        ..LaneRequest::default()
    };
    if !repo_root
        .join(wave_core::config::CONFIG_FILE_NAME)
        .is_file()
    {
        warnings.push("Missing wave.config.json; using upstream's default configuration.".into());
    }
    match load_lane(&request) {
        Err(e) => errors.push(e.to_string()),
        Ok(loaded) => {
            if let Some(w) = &loaded.config_warning {
                warnings.push(w.to_string());
            }
            errors.extend(loaded.wave_errors.iter().cloned());
            executors = lane_executors(&loaded);
            let roles = &loaded.lane.roles;
            for path in [
                &roles.cont_qa_role_prompt_path,
                &roles.integration_role_prompt_path,
                &roles.documentation_role_prompt_path,
            ] {
                if !repo_root.join(path).is_file() {
                    errors.push(format!("Missing required Wave file: {path}"));
                }
            }
            let mut checked = BTreeSet::new();
            for wave in &loaded.waves {
                for agent in &wave.agents {
                    let ex = &agent.resolved.executor;
                    let command = match ex.id {
                        ExecutorId::Local => continue,
                        ExecutorId::Codex => ex.codex.command.clone(),
                        ExecutorId::Claude => ex.claude.command.clone(),
                        ExecutorId::Opencode => ex.opencode.command.clone(),
                    };
                    if !checked.insert((ex.id, command.clone())) {
                        continue;
                    }
                    if !command_available(&command, repo_root) {
                        errors.push(format!(
                            "Executor \"{}\" requires \"{command}\" on PATH (wave {}, agent {})",
                            ex.id, wave.definition.wave, agent.agent.agent_id
                        ));
                    }
                }
            }
        }
    }
    warnings.extend(gitignore_warnings(repo_root));
    let limits = derive_limits(&wave_runtime::cgroup::CgroupFs::host(), &executors, knobs);
    warnings.extend(limits.warning.clone());
    DoctorReport {
        ok: errors.is_empty(),
        workspace_root: repo_root.to_path_buf(),
        package_name: "wave-sandbox-runtime",
        package_version: env!("CARGO_PKG_VERSION"),
        errors,
        warnings,
        limits,
    }
}

/// Whether `command` resolves: a path (absolute or relative to the repo) that exists, or a
/// name found on `PATH`.
fn command_available(command: &str, repo_root: &Path) -> bool {
    if command.contains('/') {
        let path = Path::new(command);
        let full = if path.is_absolute() {
            path.to_path_buf()
        } else {
            repo_root.join(path)
        };
        return full.is_file();
    }
    which::which(command).is_ok()
}

fn gitignore_warnings(repo_root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(repo_root.join(".gitignore")).unwrap_or_default();
    let ignored = |dir: &str| {
        text.lines()
            .any(|l| l.trim().trim_start_matches('/').trim_end_matches('/') == dir)
    };
    [".tmp", ".wave"]
        .iter()
        .filter(|d| !ignored(d))
        .map(|d| {
            format!(".gitignore does not ignore {d}/ (runtime state); run `wave init` or add it")
        })
        .collect()
}
