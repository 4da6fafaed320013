//! `wave launch --dry-run`: plan the selected waves and write what a launch would use.
//!
//! Owns the dry-run side effects, all under `<state>/dry-run/` (or `--manifest-out`): the
//! manifest, each selected agent's compiled prompt and its `launch-preview.json` plus overlay
//! files. Nothing under the live state directory is touched and no process is started — unlike
//! upstream v0.9.1, which also writes telemetry files into the live state directory.
//!
//! Everything is computed before the first write, so invalid input leaves no partial state.

use std::path::{Path, PathBuf};

use serde::Serialize;
use wave_core::config::{ExecutorId, LaneConfig};
use wave_core::ids::{LaneId, ProjectId};
use wave_core::paths::{LaneLocation, LanePaths, ProjectScope, RepoRelPath, RunVariant};

use crate::lane::{LoadedLane, PlannedWave, RepoFiles};
use crate::manifest;
use crate::prepare::{json_bytes, prepare_agent, PlannedFile, PrepareError};

/// The range and output choices of a dry run.
#[derive(Debug, Clone)]
pub struct DryRunOptions {
    /// First wave (inclusive).
    pub start_wave: u32,
    /// Last wave (inclusive), default: the lane's last.
    pub end_wave: Option<u32>,
    /// `--manifest-out` (absolute), default `<state>/dry-run/waves.manifest.json`.
    pub manifest_out: Option<PathBuf>,
    /// Path of the running `wave` binary (the `local` executor's command).
    pub wave_binary: PathBuf,
    /// Milliseconds since the epoch, for `generatedAt`.
    pub now_ms: u64,
}

/// What a dry run wrote.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DryRunReport {
    /// The dry-run state directory.
    pub state_dir: PathBuf,
    /// Where the manifest went.
    pub manifest_path: PathBuf,
    /// Number of docs hashed.
    pub docs: usize,
    /// Number of wave files of the lane.
    pub waves_in_lane: usize,
    /// Waves planned.
    pub selected_waves: Vec<u32>,
    /// One entry per planned agent.
    pub agents: Vec<AgentPreview>,
}

/// One planned agent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentPreview {
    /// Wave number.
    pub wave: u32,
    /// Agent id.
    pub agent_id: String,
    /// Executor.
    pub executor_id: ExecutorId,
    /// Compiled prompt file.
    pub prompt_path: PathBuf,
    /// `launch-preview.json`.
    pub preview_path: PathBuf,
}

/// Why a dry run stopped.
#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    /// Some wave of the lane failed to parse or validate (the first message, plus a count).
    #[error("{first}{}", if *.more > 0 { format!(" (and {} more invalid wave file(s); run `wave doctor` to list them)", .more) } else { String::new() })]
    InvalidWaves {
        /// The first failing wave's message.
        first: String,
        /// How many more failed.
        more: usize,
    },
    /// The range selects nothing.
    #[error("No waves available for range start={start}, end={end}")]
    EmptyRange {
        /// `--start-wave`.
        start: u32,
        /// `--end-wave` or `last`.
        end: String,
    },
    /// A lane or project id that cannot name a directory.
    #[error("{0}")]
    Id(#[from] wave_core::ids::IdError),
    /// A configured state path that escapes the repository.
    #[error("{0}")]
    RepoPath(#[from] wave_core::paths::RepoPathError),
    /// Hashing the docs tree failed.
    #[error(transparent)]
    Inventory(#[from] manifest::InventoryError),
    /// An agent could not be prepared.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// Writing failed.
    #[error(transparent)]
    Store(#[from] wave_store::StoreError),
}

/// Lane state paths for a loaded lane, in the given variant.
pub fn lane_paths(
    repo_root: &Path,
    lane: &LaneConfig,
    variant: RunVariant,
) -> Result<LanePaths, DryRunError> {
    let project = ProjectId::normalize(&lane.project_id)?;
    let scope = if lane.explicit_project {
        ProjectScope::Explicit(project)
    } else {
        ProjectScope::Implicit(project)
    };
    let mut location = LaneLocation::new(repo_root, scope, LaneId::normalize(&lane.lane)?);
    location.state_root = RepoRelPath::parse("paths.stateRoot", &lane.state_root)?;
    location.orchestrator_state_dir =
        RepoRelPath::parse("paths.orchestratorStateDir", &lane.orchestrator_state_root)?;
    location.variant = variant;
    Ok(LanePaths::new(location))
}

/// The waves of `loaded` in `[start, end]` (all waves of the lane must have loaded cleanly).
pub fn select_waves(
    loaded: &LoadedLane,
    start: u32,
    end: Option<u32>,
) -> Result<Vec<&PlannedWave>, DryRunError> {
    if let Some(first) = loaded.wave_errors.first() {
        return Err(DryRunError::InvalidWaves {
            first: first.clone(),
            more: loaded.wave_errors.len() - 1,
        });
    }
    let selected: Vec<&PlannedWave> = loaded
        .waves
        .iter()
        .filter(|w| w.definition.wave >= start && end.is_none_or(|end| w.definition.wave <= end))
        .collect();
    if selected.is_empty() {
        return Err(DryRunError::EmptyRange {
            start,
            end: end.map_or_else(|| "last".to_string(), |e| e.to_string()),
        });
    }
    Ok(selected)
}

/// Plans the selected waves of `loaded` and writes the dry-run artifacts.
pub fn run(
    repo_root: &Path,
    loaded: &LoadedLane,
    options: &DryRunOptions,
) -> Result<DryRunReport, DryRunError> {
    let selected = select_waves(loaded, options.start_wave, options.end_wave)?;
    let paths = lane_paths(repo_root, &loaded.lane, RunVariant::DryRun)?;
    let files = RepoFiles::new(repo_root);

    let mut planned = Vec::new();
    let mut agents = Vec::new();
    for wave in &selected {
        for agent in &wave.agents {
            let prepared = prepare_agent(
                repo_root,
                &paths,
                loaded,
                wave,
                agent,
                &files,
                &options.wave_binary,
            )?;
            agents.push(AgentPreview {
                wave: prepared.wave,
                agent_id: prepared.agent_id.to_string(),
                executor_id: prepared.executor_id(),
                prompt_path: prepared.files.prompt.clone(),
                preview_path: prepared.preview_path.clone(),
            });
            planned.extend(prepared.writes);
        }
    }

    let manifest_path = options
        .manifest_out
        .clone()
        .unwrap_or_else(|| paths.waves_manifest());
    let (manifest_file, doc_count) =
        manifest_file(repo_root, loaded, manifest_path.clone(), options.now_ms)?;
    planned.push(manifest_file);

    crate::state_guard::prepare_state_tree(&paths)?;
    for file in &planned {
        wave_store::write_bytes_atomic_relaxed(&file.path, &file.contents)?;
    }
    Ok(DryRunReport {
        state_dir: paths.state_dir().to_path_buf(),
        manifest_path,
        docs: doc_count,
        waves_in_lane: loaded.waves.len(),
        selected_waves: selected.iter().map(|w| w.definition.wave).collect(),
        agents,
    })
}

/// The manifest of `loaded` as a file to write, and the number of docs it hashed.
pub fn manifest_file(
    repo_root: &Path,
    loaded: &LoadedLane,
    path: PathBuf,
    now_ms: u64,
) -> Result<(PlannedFile, usize), manifest::InventoryError> {
    let docs = manifest::docs_inventory(repo_root, &loaded.lane.docs_dir)?;
    let count = docs.len();
    let waves: Vec<serde_json::Value> = loaded.waves.iter().map(manifest_wave).collect();
    let manifest = manifest::build(
        waves,
        &loaded.lane.docs_dir,
        docs,
        wave_core::timefmt::iso8601_millis(now_ms),
    );
    Ok((
        PlannedFile {
            path,
            contents: json_bytes(&manifest),
        },
        count,
    ))
}

/// A wave as the manifest lists it: the parsed definition with each agent's resolved executor.
fn manifest_wave(wave: &PlannedWave) -> serde_json::Value {
    let mut value = serde_json::to_value(&wave.definition).unwrap_or_default();
    if let Some(list) = value.get_mut("agents").and_then(|a| a.as_array_mut()) {
        for (entry, planned) in list.iter_mut().zip(&wave.agents) {
            if let Some(obj) = entry.as_object_mut() {
                obj.insert(
                    "executorResolved".into(),
                    serde_json::to_value(&planned.resolved.executor).unwrap_or_default(),
                );
            }
        }
    }
    value
}
