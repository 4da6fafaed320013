//! Preparing one agent's launch: its compiled prompt, launch spec, preview and overlay files.
//!
//! Shared by `wave launch --dry-run` (which only writes them) and live launches (which then
//! start a runner). Nothing is written here: [`prepare_agent`] returns the files to write, so a
//! caller can compute every agent before writing anything.

use std::path::{Path, PathBuf};

use serde::Serialize;
use wave_core::config::ExecutorId;
use wave_core::ids::{AgentId, AgentSlug, WaveNumber};
use wave_core::launch_spec::{self, LaunchSpec, SkillProjection, SpecInput};
use wave_core::paths::{AgentFileStem, AgentFiles, LanePaths};
use wave_core::prompt::{
    self, Duties, PromptContext7, PromptEvalTarget, PromptInputs, PromptProofArtifact, RoleIds,
};
use wave_core::validate::roles::ContEvalKind;

use crate::lane::{LoadedLane, PlannedAgent, PlannedWave, RepoFiles};

/// A file to write: absolute path and contents.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// Absolute path.
    pub path: PathBuf,
    /// Contents.
    pub contents: Vec<u8>,
}

/// Everything needed to start (or preview) one agent.
#[derive(Debug, Clone)]
pub struct PreparedAgent {
    /// Wave number.
    pub wave: u32,
    /// Agent id.
    pub agent_id: AgentId,
    /// File-name slug.
    pub slug: AgentSlug,
    /// Prompt, log, status, summary and runtime paths.
    pub files: AgentFiles,
    /// `executors/wave-<n>/<slug>/`.
    pub overlay_dir: PathBuf,
    /// `launch-preview.json`.
    pub preview_path: PathBuf,
    /// The compiled prompt.
    pub prompt_text: String,
    /// How to start the executor.
    pub spec: LaunchSpec,
    /// Prompt, preview and overlay files.
    pub writes: Vec<PlannedFile>,
}

impl PreparedAgent {
    /// The executor id.
    pub fn executor_id(&self) -> ExecutorId {
        self.spec.executor_id
    }
}

/// Why an agent cannot be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// An agent id that cannot name files.
    #[error("{0}")]
    Id(#[from] wave_core::ids::IdError),
    /// A Claude settings file named by the config could not be read.
    #[error("Claude settings file not found or invalid: {0}")]
    ClaudeSettings(String),
}

/// Pretty JSON with a trailing newline.
pub fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
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

/// Computes the compiled prompt, launch spec, preview and overlay files of `planned`, an agent of
/// `wave`, for the lane layout `paths`. Reads the Claude base settings file when it must be merged.
pub fn prepare_agent(
    repo_root: &Path,
    paths: &LanePaths,
    loaded: &LoadedLane,
    wave: &PlannedWave,
    planned: &PlannedAgent,
    files: &RepoFiles,
    wave_binary: &Path,
) -> Result<PreparedAgent, PrepareError> {
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
                .ok_or_else(|| PrepareError::ClaudeSettings(path.clone()))?;
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(map)) => Some(map),
                _ => return Err(PrepareError::ClaudeSettings(path.clone())),
            }
        }
        _ => None,
    };
    let prompt_path = agent_files.prompt.to_string_lossy().into_owned();
    let log_path = agent_files.log.to_string_lossy().into_owned();
    let overlay_text = overlay_dir.to_string_lossy().into_owned();
    let wave_binary = wave_binary.to_string_lossy().into_owned();
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
    let mut writes = vec![
        PlannedFile {
            path: agent_files.prompt.clone(),
            contents: prompt_text.clone().into_bytes(),
        },
        PlannedFile {
            path: preview_path.clone(),
            contents: json_bytes(&preview_json(&spec, &planned.resolved)),
        },
    ];
    for overlay in &spec.overlays {
        writes.push(PlannedFile {
            path: overlay_dir.join(overlay.file_name),
            contents: overlay.contents.clone().into_bytes(),
        });
    }
    Ok(PreparedAgent {
        wave: def.wave,
        agent_id,
        slug,
        files: agent_files,
        overlay_dir,
        preview_path,
        prompt_text,
        spec,
        writes,
    })
}
