//! The typed `wave.config.json` model: top level, `projects.<id>` and `lanes.<lane>`, read from
//! a JSON value with upstream v0.9.1's defaults, coercions and legacy-key errors.
//!
//! Every section is parsed when the file is loaded, so a malformed lane or project is reported
//! up front with its JSON path. Upstream normalizes project and lane sections only when that
//! lane is resolved; a typo in a lane nobody launches is therefore an error here and not there.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::executor::{parse_executors_layer, ExecutorsLayer};
use super::layers::{
    CapabilityRouting, PathsLayer, RolesLayer, RuntimePolicyLayer, SkillsLayer, ValidationLayer,
};
use super::value::{
    as_object, join, opt_path_array, opt_repo_path, opt_string, repo_path, sanitize_id,
    scalar_text, string_enum, value_int,
};
use super::ConfigError;

string_enum! {
    /// `repoMode`.
    RepoMode {
        /// One docs tree; the default lane's docs live directly in `docs/`.
        SingleRepo => "single-repo",
        /// Every lane's docs live under `docs/<lane>`.
        MultiLane => "multi-lane",
    }
}

/// The sections a project and a lane share.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sections {
    /// `roles`.
    pub roles: RolesLayer,
    /// `validation`.
    pub validation: ValidationLayer,
    /// `executors`.
    pub executors: ExecutorsLayer,
    /// `skills`.
    pub skills: SkillsLayer,
    /// `capabilityRouting` when the layer sets `preferredAgents`.
    pub capability_routing: Option<CapabilityRouting>,
    /// `runtimePolicy` (for a lane, with the shorthand keys on the lane object applied on top).
    pub runtime_policy: RuntimePolicyLayer,
}

impl Sections {
    fn parse(obj: &Map<String, Value>, path: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            roles: RolesLayer::parse(obj.get("roles"), &join(path, "roles"))?,
            validation: ValidationLayer::parse(obj.get("validation"), &join(path, "validation"))?,
            executors: parse_executors_layer(obj.get("executors"), &join(path, "executors"))?,
            skills: SkillsLayer::parse(obj.get("skills"), &join(path, "skills"))?,
            capability_routing: CapabilityRouting::parse_layer(
                obj.get("capabilityRouting"),
                &join(path, "capabilityRouting"),
            )?,
            runtime_policy: RuntimePolicyLayer::parse(
                obj.get("runtimePolicy"),
                &join(path, "runtimePolicy"),
            )?,
        })
    }
}

/// `lanes.<lane>`: what a lane overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaneOverrides {
    /// Flat path overrides; `docs_dir` is the lane's docs dir.
    pub paths: PathsLayer,
    /// `plansDir`.
    pub plans_dir: Option<String>,
    /// `wavesDir`.
    pub waves_dir: Option<String>,
    /// `sharedPlanDocs`.
    pub shared_plan_docs: Option<Vec<String>>,
    /// Lane-level sections.
    pub sections: Sections,
}

impl LaneOverrides {
    fn parse(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let Some(obj) = value.as_object() else {
            return Ok(Self::default());
        };
        let mut sections = Sections::parse(obj, path)?;
        let shorthand = RuntimePolicyLayer::parse_keys(obj, path, true)?;
        sections.runtime_policy = sections.runtime_policy.overlay(&shorthand);
        Ok(Self {
            paths: PathsLayer::parse(obj, path)?,
            plans_dir: opt_repo_path(obj, "plansDir", path)?,
            waves_dir: opt_repo_path(obj, "wavesDir", path)?,
            shared_plan_docs: opt_path_array(obj, "sharedPlanDocs", path)?,
            sections,
        })
    }
}

/// `projects.<id>` (or the implicit project synthesized when `projects` is absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectConfig {
    /// Sanitized project id.
    pub id: String,
    /// Display name (`projectName` of the project, else the top-level one, else the id).
    pub name: String,
    /// `rootDir` (`.`).
    pub root_dir: String,
    /// The project's own `paths` keys.
    pub paths: PathsLayer,
    /// `sharedPlanDocs`.
    pub shared_plan_docs: Option<Vec<String>>,
    /// Project-level sections.
    pub sections: Sections,
    /// The project's lanes by sanitized name.
    pub lanes: BTreeMap<String, LaneOverrides>,
}

/// A loaded `wave.config.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// `version` (informational; `1`).
    pub version: i64,
    /// `projectName` (`Wave Orchestrator`).
    pub project_name: String,
    /// `repoMode` (`single-repo`).
    pub repo_mode: RepoMode,
    /// `defaultLane` (`main`).
    pub default_lane: String,
    /// `defaultProject` (`default`).
    pub default_project: String,
    /// Top-level `paths` keys as written.
    pub paths: PathsLayer,
    /// Top-level `sharedPlanDocs`.
    pub shared_plan_docs: Option<Vec<String>>,
    /// Top-level sections.
    pub sections: Sections,
    /// Top-level `lanes` by sanitized name.
    pub lanes: BTreeMap<String, LaneOverrides>,
    /// Projects by sanitized id (one implicit project when `projects` is absent).
    pub projects: BTreeMap<String, ProjectConfig>,
    /// Whether `projects` was given (state then lives under `projects/<id>/`).
    pub explicit_projects: bool,
}

impl Default for Config {
    fn default() -> Self {
        // An empty object cannot fail to parse.
        Self::from_value(&Value::Object(Map::new())).unwrap_or_else(|_| unreachable_default())
    }
}

#[cold]
fn unreachable_default() -> Config {
    Config {
        version: 1,
        project_name: "Wave Orchestrator".into(),
        repo_mode: RepoMode::SingleRepo,
        default_lane: "main".into(),
        default_project: "default".into(),
        paths: PathsLayer::default(),
        shared_plan_docs: None,
        sections: Sections::default(),
        lanes: BTreeMap::new(),
        projects: BTreeMap::new(),
        explicit_projects: false,
    }
}

fn lanes(
    value: Option<&Value>,
    path: &str,
) -> Result<BTreeMap<String, LaneOverrides>, ConfigError> {
    let mut out = BTreeMap::new();
    if let Some(obj) = as_object(value) {
        for (name, lane) in obj {
            let lane_path = join(path, name);
            let id = sanitize_id(name).ok_or_else(|| ConfigError::InvalidLane(name.clone()))?;
            out.insert(id, LaneOverrides::parse(lane, &lane_path)?);
        }
    }
    Ok(out)
}

impl Config {
    /// Builds the model from a parsed JSON document. A non-object document means all defaults
    /// (upstream reads it as `{}` too).
    pub fn from_value(root: &Value) -> Result<Self, ConfigError> {
        let empty = Map::new();
        let raw = root.as_object().unwrap_or(&empty);

        let repo_mode_text =
            opt_string(raw, "repoMode", "")?.unwrap_or_else(|| "single-repo".into());
        let repo_mode = RepoMode::parse(&repo_mode_text)
            .ok_or_else(|| ConfigError::UnsupportedRepoMode(repo_mode_text.to_lowercase()))?;
        let lane_text = opt_string(raw, "defaultLane", "")?.unwrap_or_else(|| "main".into());
        let default_lane = sanitize_id(&lane_text).ok_or(ConfigError::InvalidLane(lane_text))?;
        let project_text =
            opt_string(raw, "defaultProject", "")?.unwrap_or_else(|| "default".into());
        let default_project =
            sanitize_id(&project_text).ok_or(ConfigError::InvalidProjectId(project_text))?;

        let paths = match as_object(raw.get("paths")) {
            Some(obj) => PathsLayer::parse(obj, "paths")?,
            None => PathsLayer::default(),
        };
        let shared_plan_docs = opt_path_array(raw, "sharedPlanDocs", "")?;
        let top_lanes = lanes(raw.get("lanes"), "lanes")?;
        let project_name = opt_string(raw, "projectName", "")?;
        let sections = Sections::parse(raw, "")?;

        let explicit_projects = as_object(raw.get("projects")).is_some();
        let mut projects = BTreeMap::new();
        if let Some(raw_projects) = as_object(raw.get("projects")) {
            for (key, value) in raw_projects {
                let path = join("projects", key);
                let id =
                    sanitize_id(key).ok_or_else(|| ConfigError::InvalidProjectId(key.clone()))?;
                let empty_project = Map::new();
                let obj = value.as_object().unwrap_or(&empty_project);
                let root_dir = match opt_string(obj, "rootDir", &path)? {
                    Some(text) => repo_path(&text, &join(&path, "rootDir"))?,
                    None => ".".into(),
                };
                let name = opt_string(obj, "projectName", &path)?
                    .or_else(|| project_name.clone())
                    .unwrap_or_else(|| id.clone());
                let project = ProjectConfig {
                    id: id.clone(),
                    name,
                    root_dir,
                    paths: match as_object(obj.get("paths")) {
                        Some(p) => PathsLayer::parse(p, &join(&path, "paths"))?,
                        None => PathsLayer::default(),
                    },
                    shared_plan_docs: opt_path_array(obj, "sharedPlanDocs", &path)?,
                    sections: Sections::parse(obj, &path)?,
                    lanes: lanes(obj.get("lanes"), &join(&path, "lanes"))?,
                };
                projects.insert(id, project);
            }
        } else {
            projects.insert(
                default_project.clone(),
                ProjectConfig {
                    id: default_project.clone(),
                    name: project_name
                        .clone()
                        .unwrap_or_else(|| default_project.clone()),
                    root_dir: ".".into(),
                    paths: PathsLayer::default(),
                    shared_plan_docs: shared_plan_docs.clone(),
                    sections: Sections::default(),
                    lanes: top_lanes.clone(),
                },
            );
        }

        let version = raw
            .get("version")
            .and_then(|v| match v {
                Value::Null => None,
                other => scalar_text(other).and_then(|t| value_int(&Value::String(t))),
            })
            .filter(|v| *v != 0)
            .unwrap_or(1);

        Ok(Self {
            version,
            project_name: project_name.unwrap_or_else(|| "Wave Orchestrator".into()),
            repo_mode,
            default_lane,
            default_project,
            paths,
            shared_plan_docs,
            sections,
            lanes: top_lanes,
            projects,
            explicit_projects,
        })
    }
}
