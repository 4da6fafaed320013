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
use wave_core::ids::{AgentId, AgentSlug, LaneId, ProjectId, WaveNumber};
use wave_core::launch_spec::{self, LaunchSpec, SkillProjection, SpecInput};
use wave_core::paths::{
    AgentFileStem, LaneLocation, LanePaths, ProjectScope, RepoRelPath, RunVariant,
};
use wave_core::prompt::{
    self, Duties, PromptContext7, PromptEvalTarget, PromptInputs, PromptProofArtifact, RoleIds,
};

use wave_core::validate::roles::ContEvalKind;

use crate::lane::{LoadedLane, PlannedAgent, PlannedWave, RepoFiles};
use crate::manifest;

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
    /// A Claude settings file named by the config could not be read.
    #[error("Claude settings file not found or invalid: {0}")]
    ClaudeSettings(String),
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

struct PlannedFile {
    path: PathBuf,
    contents: Vec<u8>,
}

/// Plans the selected waves of `loaded` and writes the dry-run artifacts.
pub fn run(
    repo_root: &Path,
    loaded: &LoadedLane,
    options: &DryRunOptions,
) -> Result<DryRunReport, DryRunError> {
    if let Some(first) = loaded.wave_errors.first() {
        return Err(DryRunError::InvalidWaves {
            first: first.clone(),
            more: loaded.wave_errors.len() - 1,
        });
    }
    let selected: Vec<&PlannedWave> = loaded
        .waves
        .iter()
        .filter(|w| {
            w.definition.wave >= options.start_wave
                && options.end_wave.is_none_or(|end| w.definition.wave <= end)
        })
        .collect();
    if selected.is_empty() {
        return Err(DryRunError::EmptyRange {
            start: options.start_wave,
            end: options
                .end_wave
                .map_or_else(|| "last".to_string(), |e| e.to_string()),
        });
    }
    let paths = lane_paths(repo_root, &loaded.lane, RunVariant::DryRun)?;
    let files = RepoFiles::new(repo_root);

    let mut planned = Vec::new();
    let mut agents = Vec::new();
    for wave in &selected {
        for agent in &wave.agents {
            let (preview, outputs) =
                plan_agent(repo_root, &paths, loaded, wave, agent, &files, options)?;
            agents.push(preview);
            planned.extend(outputs);
        }
    }

    let docs = manifest::docs_inventory(repo_root, &loaded.lane.docs_dir)?;
    let doc_count = docs.len();
    let manifest_waves: Vec<serde_json::Value> = loaded.waves.iter().map(manifest_wave).collect();
    let manifest = manifest::build(
        manifest_waves,
        &loaded.lane.docs_dir,
        docs,
        wave_core::timefmt::iso8601_millis(options.now_ms),
    );
    let manifest_path = options
        .manifest_out
        .clone()
        .unwrap_or_else(|| paths.waves_manifest());
    planned.push(PlannedFile {
        path: manifest_path.clone(),
        contents: json_bytes(&manifest),
    });

    for file in &planned {
        wave_store::write_bytes_atomic(&file.path, &file.contents)?;
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

fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// `launch-preview.json`: the launch spec plus the skills block upstream adds (`ids`, `role`,
/// `runtime`; skill text is not attached by this runtime yet).
fn preview_json(
    spec: &LaunchSpec,
    resolved: &wave_core::validate::ValidatedAgent,
) -> serde_json::Value {
    let mut value = serde_json::to_value(spec).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "skills".into(),
            serde_json::json!({
                "ids": resolved.skills,
                "role": resolved.roles.runtime_role,
                "runtime": resolved.executor.id,
            }),
        );
    }
    value
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

fn plan_agent(
    repo_root: &Path,
    paths: &LanePaths,
    loaded: &LoadedLane,
    wave: &PlannedWave,
    planned: &PlannedAgent,
    files: &RepoFiles,
    options: &DryRunOptions,
) -> Result<(AgentPreview, Vec<PlannedFile>), DryRunError> {
    let lane = &loaded.lane;
    let def = &wave.definition;
    let agent = &planned.agent;
    let wave_no = WaveNumber::from(def.wave);
    let agent_id: AgentId = agent.agent_id.parse()?;
    let slug = AgentSlug::new(wave_no, &agent_id);
    let stem = AgentFileStem::agent(wave_no, &slug);
    let agent_files = paths.agent_files(&stem);
    let overlay_dir = paths.executor_overlay_dir(wave_no, &slug);
    let board = paths.messageboard(wave_no);
    let rel = |p: &Path| {
        p.strip_prefix(repo_root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };

    let roles = &planned.resolved.roles;
    let ids = &lane.roles;
    let design_pass = roles.design.is_some();
    let duties = Duties {
        cont_qa: agent.agent_id == ids.cont_qa_agent_id,
        cont_eval: roles
            .cont_eval
            .map(|k| k == ContEvalKind::ImplementationOwning),
        documentation: agent.agent_id == ids.documentation_agent_id,
        security: roles.security_reviewer,
        // A dry run previews the first pass; a hybrid steward's implementation pass comes later.
        design: design_pass.then_some(false),
        implementation: roles.implementation_owning && !design_pass,
    };
    let components: Vec<(String, Option<wave_core::contract::Maturity>)> = agent
        .components
        .iter()
        .map(|c| {
            (
                c.clone(),
                agent
                    .component_targets
                    .get(c)
                    .and_then(wave_core::contract::Maturity::parse),
            )
        })
        .collect();
    let promotions: Vec<_> = def
        .component_promotions
        .iter()
        .filter_map(|p| p.to_promotion())
        .collect();
    let artifacts: Vec<PromptProofArtifact<'_>> = agent
        .proof_artifacts
        .iter()
        .map(|a| PromptProofArtifact {
            path: &a.path,
            kind: a.kind.as_deref(),
            required_for: &a.required_for,
        })
        .collect();
    let design_packets: Vec<String> = wave
        .agents
        .iter()
        .filter(|a| a.resolved.roles.design.is_some())
        .filter_map(|a| a.resolved.roles.report_path.clone())
        .collect();
    let bundle = planned.resolved.context7_bundle.as_deref();
    let libraries: Vec<String> = bundle
        .and_then(|b| loaded.context7.as_ref()?.bundles.get(b))
        .map(|b| {
            b.libraries
                .iter()
                .map(|l| {
                    l.library_name
                        .clone()
                        .or_else(|| l.library_id.clone())
                        .unwrap_or_else(|| "unknown-library".into())
                })
                .collect()
        })
        .unwrap_or_default();
    let query = agent
        .context7_config
        .as_ref()
        .and_then(|c| c.query.as_deref())
        .or_else(|| {
            def.context7_defaults
                .as_ref()
                .and_then(|c| c.query.as_deref())
        });
    let context7 = bundle.map(|bundle| PromptContext7 {
        bundle,
        query,
        libraries: &libraries,
    });
    let exit_contract = agent.exit_contract.as_ref().and_then(|c| c.validate().ok());
    // Eval targets as the prompt shows them: delegated targets list their family's benchmarks
    // from the catalog (upstream falls back to the raw targets when the catalog is unusable).
    let catalog_path = &lane.benchmark_catalog_path;
    let catalog = (!def.eval_targets.is_empty())
        .then(|| {
            wave_core::validate::catalog::parse_benchmark_catalog(
                files.read_text(Path::new(catalog_path)).as_deref(),
                catalog_path,
            )
            .ok()
        })
        .flatten();
    let allowed: Vec<Vec<String>> = def
        .eval_targets
        .iter()
        .map(|t| match &catalog {
            Some(c) => c.allowed_benchmarks(t),
            None => t.benchmarks.clone(),
        })
        .collect();
    let eval_targets: Vec<PromptEvalTarget<'_>> = def
        .eval_targets
        .iter()
        .zip(&allowed)
        .map(|(t, benchmarks)| PromptEvalTarget {
            id: &t.id,
            selection: t.selection,
            benchmark_family: t.benchmark_family.as_deref(),
            benchmarks,
            objective: &t.objective,
            threshold: &t.threshold,
        })
        .collect();
    let repo_root_text = repo_root.to_string_lossy();
    let board_abs = board.to_string_lossy();
    let board_rel = rel(&board);
    let executor_id = planned.resolved.executor.id.as_str();
    let prompt_text = prompt::compile(&PromptInputs {
        working_dir: &repo_root_text,
        lane: &lane.lane,
        wave: def.wave,
        agent_id: &agent.agent_id,
        title: &agent.title,
        roles: RoleIds {
            cont_qa: &lane.roles.cont_qa_agent_id,
            cont_eval: &lane.roles.cont_eval_agent_id,
            integration: &lane.roles.integration_agent_id,
            documentation: &lane.roles.documentation_agent_id,
        },
        executor_id,
        message_board: (&board_abs, &board_rel),
        duties,
        shared_plan_docs: &lane.shared_plan_docs,
        exit_contract,
        promotions: &promotions,
        benchmark_catalog: (!eval_targets.is_empty()).then_some(catalog_path.as_str()),
        eval_targets: &eval_targets,
        components: &components,
        deliverables: &agent.deliverables,
        design_packets: &design_packets,
        proof_artifacts: &artifacts,
        skills: None,
        context7,
        agent_prompt: &agent.prompt,
    });

    let claude = &planned.resolved.executor.claude;
    let needs_base = planned.resolved.executor.id == ExecutorId::Claude
        && (claude.settings_json.is_some()
            || claude.hooks_json.is_some()
            || !claude.allowed_http_hook_urls.is_empty());
    let claude_base_settings = match (&claude.settings, needs_base) {
        (Some(path), true) => {
            let text = files
                .read_text(Path::new(path))
                .ok_or_else(|| DryRunError::ClaudeSettings(path.clone()))?;
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(map)) => Some(map),
                _ => return Err(DryRunError::ClaudeSettings(path.clone())),
            }
        }
        _ => None,
    };
    let prompt_path = agent_files.prompt.to_string_lossy().into_owned();
    let log_path = agent_files.log.to_string_lossy().into_owned();
    let overlay_text = overlay_dir.to_string_lossy().into_owned();
    let wave_binary = options.wave_binary.to_string_lossy().into_owned();
    let skills = SkillProjection::default();
    let spec: LaunchSpec = launch_spec::build(&SpecInput {
        agent_id: &agent.agent_id,
        title: &agent.title,
        executor: &planned.resolved.executor,
        prompt_path: &prompt_path,
        log_path: &log_path,
        overlay_dir: &overlay_text,
        wave_binary: &wave_binary,
        skills: &skills,
        claude_base_settings,
    });

    let preview_path = paths.launch_preview(wave_no, &slug);
    let mut out = vec![
        PlannedFile {
            path: agent_files.prompt.clone(),
            contents: prompt_text.into_bytes(),
        },
        PlannedFile {
            path: preview_path.clone(),
            contents: json_bytes(&preview_json(&spec, &planned.resolved)),
        },
    ];
    for overlay in &spec.overlays {
        out.push(PlannedFile {
            path: overlay_dir.join(overlay.file_name),
            contents: overlay.contents.clone().into_bytes(),
        });
    }
    Ok((
        AgentPreview {
            wave: def.wave,
            agent_id: agent.agent_id.clone(),
            executor_id: planned.resolved.executor.id,
            prompt_path: agent_files.prompt,
            preview_path,
        },
        out,
    ))
}
