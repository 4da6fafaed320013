//! Resolving one project + lane of a [`Config`] into everything a launch needs.
//!
//! Precedence is upstream v0.9.1's: lane → project → top level → derived default, with
//! section-specific merge rules (roles/validation/executors replace per key, skills union,
//! `capabilityRouting.preferredAgents` and each `runtimePolicy` key replace wholesale).

use serde::Serialize;

use super::executor::ExecutorsConfig;
use super::layers::{
    CapabilityRouting, RolesConfig, RuntimePolicy, SkillsConfig, ValidationConfig,
};
use super::model::{Config, LaneOverrides, ProjectConfig, RepoMode};
use super::value::{join_repo_path, repo_path, sanitize_id};
use super::ConfigError;

/// The resolved configuration of one lane of one project. All paths are repo-relative,
/// normalized (`/`-separated, no `./`, no trailing `/`) and inside the repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaneConfig {
    /// Project id (`default` for the implicit project).
    pub project_id: String,
    /// Project display name.
    pub project_name: String,
    /// Project root dir (`.`).
    pub project_root_dir: String,
    /// Whether the project was declared under `projects` (state gets a `projects/<id>/` prefix).
    pub explicit_project: bool,
    /// Sanitized lane name.
    pub lane: String,
    /// Lane docs dir.
    pub docs_dir: String,
    /// Lane plans dir.
    pub plans_dir: String,
    /// Waves dir actually used (the preferred one, or the legacy `<docsDir>/waves` when only
    /// that exists).
    pub waves_dir: String,
    /// The configured/derived waves dir (`<plansDir>/waves`).
    pub preferred_waves_dir: String,
    /// The legacy waves dir (`<docsDir>/waves`).
    pub legacy_waves_dir: String,
    /// `stateRoot` (`.tmp`).
    pub state_root: String,
    /// The lane's state dir: `<stateRoot>/[projects/<id>/]<lane>-wave-launcher`.
    pub state_dir: String,
    /// `orchestratorStateDir` as configured (`.tmp/wave-orchestrator`).
    pub orchestrator_state_root: String,
    /// The orchestrator dir with the project prefix: `<orchestratorStateDir>/[projects/<id>]`.
    pub orchestrator_state_dir: String,
    /// `terminalsPath`.
    pub terminals_path: String,
    /// `context7BundleIndexPath`.
    pub context7_bundle_index_path: String,
    /// `benchmarkCatalogPath`.
    pub benchmark_catalog_path: String,
    /// `componentCutoverMatrixDocPath`.
    pub component_cutover_matrix_doc_path: String,
    /// `componentCutoverMatrixJsonPath`.
    pub component_cutover_matrix_json_path: String,
    /// Shared plan docs the documentation steward owns.
    pub shared_plan_docs: Vec<String>,
    /// Closure agent ids and role prompt paths.
    pub roles: RolesConfig,
    /// Authoring thresholds.
    pub validation: ValidationConfig,
    /// Executor defaults, vendor settings and profiles.
    pub executors: ExecutorsConfig,
    /// Runtime policy (mix targets, role defaults, fallback order).
    pub runtime_policy: RuntimePolicy,
    /// Skill selection.
    pub skills: SkillsConfig,
    /// Helper routing.
    pub capability_routing: CapabilityRouting,
}

/// The project-level `paths` as upstream's loader derives them.
struct ProjectPaths {
    docs_dir: String,
    state_root: String,
    orchestrator_state_dir: String,
    terminals_path: String,
    context7_bundle_index_path: String,
    benchmark_catalog_path: String,
    component_cutover_matrix_doc_path: String,
    component_cutover_matrix_json_path: String,
}

fn project_paths(config: &Config, project: &ProjectConfig) -> Result<ProjectPaths, ConfigError> {
    let top = &config.paths;
    let own = &project.paths;
    let pick = |own: &Option<String>, top: &Option<String>, default: &str| {
        own.clone()
            .or_else(|| top.clone())
            .unwrap_or_else(|| default.to_string())
    };
    let docs_dir = match &own.docs_dir {
        Some(dir) => dir.clone(),
        None => {
            let joined =
                join_repo_path(&project.root_dir, top.docs_dir.as_deref().unwrap_or("docs"));
            repo_path(&joined, &format!("projects.{}.paths.docsDir", project.id))?
        }
    };
    let plans = format!("{docs_dir}/plans");
    Ok(ProjectPaths {
        state_root: pick(&own.state_root, &top.state_root, ".tmp"),
        orchestrator_state_dir: pick(
            &own.orchestrator_state_dir,
            &top.orchestrator_state_dir,
            ".tmp/wave-orchestrator",
        ),
        terminals_path: pick(
            &own.terminals_path,
            &top.terminals_path,
            ".vscode/terminals.json",
        ),
        context7_bundle_index_path: pick(
            &own.context7_bundle_index_path,
            &top.context7_bundle_index_path,
            "docs/context7/bundles.json",
        ),
        benchmark_catalog_path: pick(
            &own.benchmark_catalog_path,
            &top.benchmark_catalog_path,
            "docs/evals/benchmark-catalog.json",
        ),
        component_cutover_matrix_doc_path: pick(
            &own.component_cutover_matrix_doc_path,
            &top.component_cutover_matrix_doc_path,
            &format!("{plans}/component-cutover-matrix.md"),
        ),
        component_cutover_matrix_json_path: pick(
            &own.component_cutover_matrix_json_path,
            &top.component_cutover_matrix_json_path,
            &format!("{plans}/component-cutover-matrix.json"),
        ),
        docs_dir,
    })
}

fn join_parts(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty() && **p != ".")
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

impl Config {
    /// The project a `--project` value (or `defaultProject` when `None`) selects.
    pub fn project(&self, selector: Option<&str>) -> Result<&ProjectConfig, ConfigError> {
        let input = selector.unwrap_or(&self.default_project);
        let id = sanitize_id(input).ok_or_else(|| ConfigError::InvalidProjectId(input.into()))?;
        self.projects
            .get(&id)
            .ok_or_else(|| ConfigError::UnknownProject(input.to_string()))
    }

    /// Resolves `lane` (default: `defaultLane`) of `project` (default: `defaultProject`).
    ///
    /// `dir_exists` answers whether a repo-relative directory exists; it decides upstream's
    /// legacy rule: the waves dir is `<docsDir>/waves` when the preferred dir is absent and that
    /// one exists.
    pub fn resolve_lane(
        &self,
        project: Option<&str>,
        lane: Option<&str>,
        dir_exists: &dyn Fn(&str) -> bool,
    ) -> Result<LaneConfig, ConfigError> {
        let project = self.project(project)?;
        let paths = project_paths(self, project)?;
        let lane_input = lane.unwrap_or(&self.default_lane);
        let lane =
            sanitize_id(lane_input).ok_or_else(|| ConfigError::InvalidLane(lane_input.into()))?;
        let default_overrides = LaneOverrides::default();
        let overrides = project
            .lanes
            .get(&lane)
            .or_else(|| self.lanes.get(&lane))
            .unwrap_or(&default_overrides);
        let lane_paths = &overrides.paths;

        let docs_dir = match &lane_paths.docs_dir {
            Some(dir) => dir.clone(),
            None if self.repo_mode == RepoMode::SingleRepo && lane == self.default_lane => {
                paths.docs_dir.clone()
            }
            None => join_repo_path(&paths.docs_dir, &lane),
        };
        let plans_dir = overrides
            .plans_dir
            .clone()
            .unwrap_or_else(|| format!("{docs_dir}/plans"));
        let preferred_waves_dir = overrides
            .waves_dir
            .clone()
            .unwrap_or_else(|| format!("{plans_dir}/waves"));
        let legacy_waves_dir = format!("{docs_dir}/waves");
        let waves_dir = if dir_exists(&preferred_waves_dir) || !dir_exists(&legacy_waves_dir) {
            preferred_waves_dir.clone()
        } else {
            legacy_waves_dir.clone()
        };

        let top = &self.sections;
        let own = &project.sections;
        let lane_sections = &overrides.sections;

        let mut roles = RolesConfig::default();
        let mut validation = ValidationConfig::default();
        let mut executors = ExecutorsConfig::default();
        let mut runtime_policy = RuntimePolicy::default();
        let mut skills = SkillsConfig::default();
        for (layer, above_lane) in [(top, true), (own, true), (lane_sections, false)] {
            roles.apply(&layer.roles);
            validation.apply(&layer.validation);
            executors.apply_layer(&layer.executors, above_lane);
            runtime_policy.apply(&layer.runtime_policy);
            skills.apply(&layer.skills);
        }
        let capability_routing = lane_sections
            .capability_routing
            .clone()
            .or_else(|| own.capability_routing.clone())
            .or_else(|| top.capability_routing.clone())
            .unwrap_or_default();

        let shared_plan_docs = overrides
            .shared_plan_docs
            .clone()
            .or_else(|| project.shared_plan_docs.clone())
            .or_else(|| self.shared_plan_docs.clone())
            .unwrap_or_else(|| {
                ["current-state.md", "master-plan.md", "migration.md"]
                    .iter()
                    .map(|name| format!("{plans_dir}/{name}"))
                    .collect()
            });

        let pick = |lane_value: &Option<String>, project_value: &str| {
            lane_value
                .clone()
                .unwrap_or_else(|| project_value.to_string())
        };
        let state_root = pick(&lane_paths.state_root, &paths.state_root);
        let orchestrator_state_root = pick(
            &lane_paths.orchestrator_state_dir,
            &paths.orchestrator_state_dir,
        );
        let prefix = if self.explicit_projects {
            format!("projects/{}", project.id)
        } else {
            String::new()
        };
        let state_dir = join_parts(&[&state_root, &prefix, &format!("{lane}-wave-launcher")]);
        let orchestrator_state_dir = join_parts(&[&orchestrator_state_root, &prefix]);

        Ok(LaneConfig {
            project_id: project.id.clone(),
            project_name: project.name.clone(),
            project_root_dir: project.root_dir.clone(),
            explicit_project: self.explicit_projects,
            terminals_path: pick(&lane_paths.terminals_path, &paths.terminals_path),
            context7_bundle_index_path: pick(
                &lane_paths.context7_bundle_index_path,
                &paths.context7_bundle_index_path,
            ),
            benchmark_catalog_path: pick(
                &lane_paths.benchmark_catalog_path,
                &paths.benchmark_catalog_path,
            ),
            component_cutover_matrix_doc_path: pick(
                &lane_paths.component_cutover_matrix_doc_path,
                &paths.component_cutover_matrix_doc_path,
            ),
            component_cutover_matrix_json_path: pick(
                &lane_paths.component_cutover_matrix_json_path,
                &paths.component_cutover_matrix_json_path,
            ),
            lane,
            docs_dir,
            plans_dir,
            waves_dir,
            preferred_waves_dir,
            legacy_waves_dir,
            state_root,
            state_dir,
            orchestrator_state_root,
            orchestrator_state_dir,
            shared_plan_docs,
            roles,
            validation,
            executors,
            runtime_policy,
            skills,
            capability_routing,
        })
    }
}
