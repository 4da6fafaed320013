//! Every on-disk state path of a lane, laid out exactly as upstream Wave v0.9.1 lays it out.
//!
//! This module is the single place that turns ids into paths; nothing else joins state file
//! names. It is pure path arithmetic (no IO): [`LanePaths::new`] takes the repository root, the
//! configured state roots, the project scope, the lane, an optional ad-hoc run and the run variant,
//! and every accessor returns an absolute path under that root when the root is absolute.
//!
//! Layout (`<stateRoot>` defaults to `.tmp`):
//! ```text
//! <repo>/<stateRoot>/[projects/<projectId>/]<lane>-wave-launcher/[adhoc/<adhocRunId>/][dry-run/]
//!   launcher.lock  run-state.json  waves.manifest.json
//!   prompts/ logs/ status/ results/ executors/ coordination/ control-plane/ control/ …
//!   control/supervisor/{daemon.lock, runs/<runId>/…}
//! <repo>/<orchestratorStateDir>/[projects/<projectId>/]        (live runs)
//! <stateDir>/orchestrator/                                     (dry runs)
//! ```
//! The `projects/<id>/` prefix appears only for projects declared under `projects` in
//! `wave.config.json` (an *explicit* project); the implicit project has no prefix.

use std::path::{Path, PathBuf};

use crate::ids::{AdhocRunId, AgentId, AgentSlug, LaneId, ProjectId, RunId, WaveNumber};

#[cfg(test)]
mod tests;

/// A configured path that must stay inside the repository (`paths.stateRoot`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {value:?} is invalid; expected {expected}")]
pub struct RepoPathError {
    /// The config key, e.g. `paths.stateRoot`.
    pub field: String,
    /// The rejected value.
    pub value: String,
    /// What would have been accepted.
    pub expected: &'static str,
}

/// A repository-relative path from the config, normalised like upstream's
/// `normalizeRepoRelativePath` (trimmed, `\` → `/`, leading `./` and trailing `/` dropped,
/// repeated `/` collapsed), and then checked to stay inside the repository: not absolute, no
/// `..` component, no NUL. (Upstream lets a bare `..` or `a/..` through; this does not.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoRelPath(String);

impl RepoRelPath {
    /// Upstream's default `paths.stateRoot`.
    pub const DEFAULT_STATE_ROOT: &'static str = ".tmp";
    /// Upstream's default `paths.orchestratorStateDir`.
    pub const DEFAULT_ORCHESTRATOR_STATE_DIR: &'static str = ".tmp/wave-orchestrator";

    /// Normalises and checks `raw`; `field` names the config key in the error.
    pub fn parse(field: &str, raw: &str) -> Result<Self, RepoPathError> {
        let error = |expected| RepoPathError {
            field: field.to_string(),
            value: raw.to_string(),
            expected,
        };
        let mut text = raw.trim().replace('\\', "/");
        while text.contains("//") {
            text = text.replace("//", "/");
        }
        let mut text = text.as_str();
        while let Some(rest) = text.strip_prefix("./") {
            text = rest;
        }
        let text = text.strip_suffix('/').unwrap_or(text);
        if text.is_empty() {
            return Err(error("a non-empty repository-relative path"));
        }
        if text.starts_with('/') {
            return Err(error(
                "a path relative to the repository root, not an absolute path",
            ));
        }
        if text.contains('\0') {
            return Err(error("a path without NUL bytes"));
        }
        if text.split('/').any(|part| part == "..") {
            return Err(error(
                "a path that stays within the repository (no '..' component)",
            ));
        }
        Ok(RepoRelPath(text.to_string()))
    }

    /// The default state root, `.tmp`.
    pub fn default_state_root() -> Self {
        RepoRelPath(Self::DEFAULT_STATE_ROOT.to_string())
    }

    /// The default orchestrator state directory, `.tmp/wave-orchestrator`.
    pub fn default_orchestrator_state_dir() -> Self {
        RepoRelPath(Self::DEFAULT_ORCHESTRATOR_STATE_DIR.to_string())
    }

    /// The normalised path text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<Path> for RepoRelPath {
    fn as_ref(&self) -> &Path {
        Path::new(&self.0)
    }
}

/// Which project a lane belongs to, which decides the `projects/<id>/` prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProjectScope {
    /// The config has no `projects` object: one implicit project (id `defaultProject`, normally
    /// `default`) whose state has no prefix.
    Implicit(ProjectId),
    /// A project declared under `projects`: state lives under `projects/<id>/`.
    Explicit(ProjectId),
}

impl ProjectScope {
    /// The project id, for either scope.
    pub fn id(&self) -> &ProjectId {
        match self {
            ProjectScope::Implicit(id) | ProjectScope::Explicit(id) => id,
        }
    }

    /// True for a project declared under `projects`.
    pub fn is_explicit(&self) -> bool {
        matches!(self, ProjectScope::Explicit(_))
    }
}

/// Whether the launcher runs for real or with `--dry-run` (state under `<stateDir>/dry-run/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RunVariant {
    /// A real run.
    #[default]
    Live,
    /// `wave launch --dry-run`: everything goes under a `dry-run/` sub-directory.
    DryRun,
}

/// The plain inputs that decide where a lane's state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneLocation {
    /// Repository root (`$WAVE_REPO_ROOT` or the working directory, made absolute by the caller).
    pub repo_root: PathBuf,
    /// Resolved `stateRoot` (lane ▸ project ▸ top-level ▸ `.tmp`).
    pub state_root: RepoRelPath,
    /// Resolved `orchestratorStateDir` (lane ▸ project ▸ top-level ▸ `.tmp/wave-orchestrator`).
    pub orchestrator_state_dir: RepoRelPath,
    /// Implicit or explicit project.
    pub project: ProjectScope,
    /// The lane.
    pub lane: LaneId,
    /// `--adhoc-run <id>`, if any.
    pub adhoc_run: Option<AdhocRunId>,
    /// Live or dry run.
    pub variant: RunVariant,
}

impl LaneLocation {
    /// A live roadmap run with upstream's default roots.
    pub fn new(repo_root: impl Into<PathBuf>, project: ProjectScope, lane: LaneId) -> Self {
        LaneLocation {
            repo_root: repo_root.into(),
            state_root: RepoRelPath::default_state_root(),
            orchestrator_state_dir: RepoRelPath::default_orchestrator_state_dir(),
            project,
            lane,
            adhoc_run: None,
            variant: RunVariant::Live,
        }
    }
}

/// The file-name stem shared by an agent's prompt, log, status, summary and runtime files.
///
/// `wave-<n>-<slug>` for wave agents, `wave-<n>-resident-orchestrator` for the resident
/// orchestrator (whose slug is `<n>-resident-orchestrator` but whose stem repeats no number).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgentFileStem(String);

impl AgentFileStem {
    /// `wave-<n>-<slug>`, e.g. `wave-0-0-a1`.
    pub fn agent(wave: WaveNumber, slug: &AgentSlug) -> Self {
        AgentFileStem(format!("wave-{wave}-{slug}"))
    }

    /// `wave-<n>-resident-orchestrator`.
    pub fn resident_orchestrator(wave: WaveNumber) -> Self {
        AgentFileStem(format!("wave-{wave}-resident-orchestrator"))
    }

    /// The stem text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An agent's lane-level files (under `prompts/`, `logs/`, `status/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFiles {
    /// `prompts/<stem>.prompt.md`: the compiled prompt.
    pub prompt: PathBuf,
    /// `logs/<stem>.log`: executor output and launcher lines.
    pub log: PathBuf,
    /// `status/<stem>.status`: the exit status record.
    pub status: PathBuf,
    /// `status/<stem>.summary.json`: the parsed summary.
    pub summary: PathBuf,
    /// `status/<stem>.runtime.json`: the runtime record when no supervisor run is active.
    pub runtime: PathBuf,
}

/// All state paths of one lane (one project, one lane, optional ad-hoc run, one variant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanePaths {
    location: LaneLocation,
    base_state_dir: PathBuf,
    state_dir: PathBuf,
    orchestrator_state_dir: PathBuf,
}

fn wave_name(wave: WaveNumber, suffix: &str) -> String {
    format!("wave-{wave}{suffix}")
}

impl LanePaths {
    /// Computes the layout for `location`.
    pub fn new(location: LaneLocation) -> Self {
        let mut prefix = PathBuf::new();
        if let ProjectScope::Explicit(id) = &location.project {
            prefix.push("projects");
            prefix.push(id.as_str());
        }
        let mut base_state_dir = location.repo_root.join(location.state_root.as_str());
        base_state_dir.push(&prefix);
        base_state_dir.push(format!("{}-wave-launcher", location.lane));
        if let Some(adhoc) = &location.adhoc_run {
            base_state_dir.push("adhoc");
            base_state_dir.push(adhoc.as_str());
        }
        let (state_dir, orchestrator_state_dir) = match location.variant {
            RunVariant::Live => {
                let mut orchestrator = location
                    .repo_root
                    .join(location.orchestrator_state_dir.as_str());
                orchestrator.push(&prefix);
                (base_state_dir.clone(), orchestrator)
            }
            RunVariant::DryRun => {
                let state_dir = base_state_dir.join("dry-run");
                let orchestrator = state_dir.join("orchestrator");
                (state_dir, orchestrator)
            }
        };
        LanePaths {
            location,
            base_state_dir,
            state_dir,
            orchestrator_state_dir,
        }
    }

    /// The inputs this layout was computed from.
    pub fn location(&self) -> &LaneLocation {
        &self.location
    }

    /// The same lane without the dry-run variant: what supervisor-side code always uses.
    pub fn live(&self) -> LanePaths {
        LanePaths::new(LaneLocation {
            variant: RunVariant::Live,
            ..self.location.clone()
        })
    }

    /// The repository root.
    pub fn repo_root(&self) -> &Path {
        &self.location.repo_root
    }

    /// The lane's state directory before the dry-run variant is applied.
    pub fn base_state_dir(&self) -> &Path {
        &self.base_state_dir
    }

    /// The lane's state directory (`…/<lane>-wave-launcher[/adhoc/<id>][/dry-run]`).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The orchestrator state directory (cross-lane board, feedback queue).
    pub fn orchestrator_state_dir(&self) -> &Path {
        &self.orchestrator_state_dir
    }

    fn state(&self, name: &str) -> PathBuf {
        self.state_dir.join(name)
    }

    /// `launcher.lock`: the lane lock.
    pub fn launcher_lock(&self) -> PathBuf {
        self.state("launcher.lock")
    }

    /// `run-state.json`: the lane's wave completion record (default of `--state-file`).
    pub fn run_state(&self) -> PathBuf {
        self.state("run-state.json")
    }

    /// `waves.manifest.json`: parsed waves and doc hashes (default of `--manifest-out`).
    pub fn waves_manifest(&self) -> PathBuf {
        self.state("waves.manifest.json")
    }

    /// `prompts/`.
    pub fn prompts_dir(&self) -> PathBuf {
        self.state("prompts")
    }

    /// `logs/`.
    pub fn logs_dir(&self) -> PathBuf {
        self.state("logs")
    }

    /// `status/`.
    pub fn status_dir(&self) -> PathBuf {
        self.state("status")
    }

    /// `results/`.
    pub fn results_dir(&self) -> PathBuf {
        self.state("results")
    }

    /// `executors/`: per-agent executor overlays.
    pub fn executors_dir(&self) -> PathBuf {
        self.state("executors")
    }

    /// `coordination/`.
    pub fn coordination_dir(&self) -> PathBuf {
        self.state("coordination")
    }

    /// `control-plane/`.
    pub fn control_plane_dir(&self) -> PathBuf {
        self.state("control-plane")
    }

    /// `control-plane/telemetry/`: the telemetry spool.
    pub fn telemetry_dir(&self) -> PathBuf {
        self.control_plane_dir().join("telemetry")
    }

    /// `control/`: operator overrides and the supervisor tree.
    pub fn control_dir(&self) -> PathBuf {
        self.state("control")
    }

    /// `messageboards/`.
    pub fn messageboards_dir(&self) -> PathBuf {
        self.state("messageboards")
    }

    /// `inboxes/`.
    pub fn inboxes_dir(&self) -> PathBuf {
        self.state("inboxes")
    }

    /// `dashboards/`.
    pub fn dashboards_dir(&self) -> PathBuf {
        self.state("dashboards")
    }

    /// `traces/`.
    pub fn traces_dir(&self) -> PathBuf {
        self.state("traces")
    }

    /// `assignments/`.
    pub fn assignments_dir(&self) -> PathBuf {
        self.state("assignments")
    }

    /// `dependencies/`.
    pub fn dependencies_dir(&self) -> PathBuf {
        self.state("dependencies")
    }

    /// `integration/`.
    pub fn integration_dir(&self) -> PathBuf {
        self.state("integration")
    }

    /// `security/`.
    pub fn security_dir(&self) -> PathBuf {
        self.state("security")
    }

    /// `ledger/`.
    pub fn ledger_dir(&self) -> PathBuf {
        self.state("ledger")
    }

    /// `docs-queue/`.
    pub fn docs_queue_dir(&self) -> PathBuf {
        self.state("docs-queue")
    }

    /// `proof/`.
    pub fn proof_dir(&self) -> PathBuf {
        self.state("proof")
    }

    /// `signals/`.
    pub fn signals_dir(&self) -> PathBuf {
        self.state("signals")
    }

    /// `reducer/`.
    pub fn reducer_dir(&self) -> PathBuf {
        self.state("reducer")
    }

    /// `context7-cache/`.
    pub fn context7_cache_dir(&self) -> PathBuf {
        self.state("context7-cache")
    }

    /// `feedback/triage/`: clarification triage (lane-local, unlike the feedback queue).
    pub fn feedback_triage_dir(&self) -> PathBuf {
        self.state("feedback").join("triage")
    }

    /// The directories the launcher creates at start-up, in upstream's order (the state
    /// directory itself first; `control-plane/` and `results/` are created on first write).
    pub fn launcher_startup_dirs(&self) -> Vec<PathBuf> {
        vec![
            self.state_dir.clone(),
            self.prompts_dir(),
            self.logs_dir(),
            self.status_dir(),
            self.messageboards_dir(),
            self.dashboards_dir(),
            self.coordination_dir(),
            self.control_dir(),
            self.assignments_dir(),
            self.inboxes_dir(),
            self.signals_dir(),
            self.ledger_dir(),
            self.integration_dir(),
            self.proof_dir(),
            self.security_dir(),
            self.dependencies_dir(),
            self.docs_queue_dir(),
            self.traces_dir(),
            self.context7_cache_dir(),
            self.executors_dir(),
            self.feedback_requests_dir(),
            self.feedback_triage_dir(),
            self.cross_lane_dependencies_dir(),
        ]
    }

    /// An agent's prompt, log, status, summary and lane runtime files.
    pub fn agent_files(&self, stem: &AgentFileStem) -> AgentFiles {
        let stem = stem.as_str();
        AgentFiles {
            prompt: self.prompts_dir().join(format!("{stem}.prompt.md")),
            log: self.logs_dir().join(format!("{stem}.log")),
            status: self.status_dir().join(format!("{stem}.status")),
            summary: self.status_dir().join(format!("{stem}.summary.json")),
            runtime: self.status_dir().join(format!("{stem}.runtime.json")),
        }
    }

    /// Where an agent's runtime record goes: under the supervisor run when the launcher runs for
    /// one (`WAVE_SUPERVISOR_RUN_ID`), else `status/<stem>.runtime.json`.
    pub fn agent_runtime(
        &self,
        stem: &AgentFileStem,
        agent: &AgentId,
        supervisor_run: Option<RunId>,
    ) -> PathBuf {
        match supervisor_run {
            Some(run) => self.supervisor().run(run).agent_runtime(agent),
            None => self.agent_files(stem).runtime,
        }
    }

    /// `status/relaunch-plan-wave-<n>.json`.
    pub fn relaunch_plan(&self, wave: WaveNumber) -> PathBuf {
        self.status_dir()
            .join(format!("relaunch-plan-wave-{wave}.json"))
    }

    /// `control/retry-override-wave-<n>.json`.
    pub fn retry_override(&self, wave: WaveNumber) -> PathBuf {
        self.control_dir()
            .join(format!("retry-override-wave-{wave}.json"))
    }

    /// `results/wave-<n>/attempt-<a>/`.
    pub fn results_attempt_dir(&self, wave: WaveNumber, attempt: u32) -> PathBuf {
        self.results_dir()
            .join(wave_name(wave, ""))
            .join(format!("attempt-{attempt}"))
    }

    /// `results/wave-<n>/attempt-<a>/<agentId>.json`: the agent's result envelope.
    pub fn result_envelope(&self, wave: WaveNumber, attempt: u32, agent: &AgentId) -> PathBuf {
        self.results_attempt_dir(wave, attempt)
            .join(format!("{agent}.json"))
    }

    /// `executors/wave-<n>/<slug>/`: the agent's executor overlay directory.
    pub fn executor_overlay_dir(&self, wave: WaveNumber, slug: &AgentSlug) -> PathBuf {
        self.executors_dir()
            .join(wave_name(wave, ""))
            .join(slug.as_str())
    }

    /// `executors/wave-<n>/<slug>/launch-preview.json`.
    pub fn launch_preview(&self, wave: WaveNumber, slug: &AgentSlug) -> PathBuf {
        self.executor_overlay_dir(wave, slug)
            .join("launch-preview.json")
    }

    /// `executors/wave-<n>/<slug>/runner-payload.json`.
    pub fn runner_payload(&self, wave: WaveNumber, slug: &AgentSlug) -> PathBuf {
        self.executor_overlay_dir(wave, slug)
            .join("runner-payload.json")
    }

    /// `coordination/wave-<n>.jsonl`: the canonical coordination log.
    pub fn coordination_log(&self, wave: WaveNumber) -> PathBuf {
        self.coordination_dir().join(wave_name(wave, ".jsonl"))
    }

    /// `control-plane/wave-<n>.jsonl`: the canonical lifecycle log.
    pub fn control_plane_log(&self, wave: WaveNumber) -> PathBuf {
        self.control_plane_dir().join(wave_name(wave, ".jsonl"))
    }

    /// `messageboards/wave-<n>.md`.
    pub fn messageboard(&self, wave: WaveNumber) -> PathBuf {
        self.messageboards_dir().join(wave_name(wave, ".md"))
    }

    /// `inboxes/wave-<n>/`.
    pub fn inbox_dir(&self, wave: WaveNumber) -> PathBuf {
        self.inboxes_dir().join(wave_name(wave, ""))
    }

    /// `inboxes/wave-<n>/shared-summary.md`.
    pub fn inbox_shared_summary(&self, wave: WaveNumber) -> PathBuf {
        self.inbox_dir(wave).join("shared-summary.md")
    }

    /// `inboxes/wave-<n>/<agentId>.md`.
    pub fn inbox(&self, wave: WaveNumber, agent: &AgentId) -> PathBuf {
        self.inbox_dir(wave).join(format!("{agent}.md"))
    }

    /// `dashboards/global.json`.
    pub fn global_dashboard(&self) -> PathBuf {
        self.dashboards_dir().join("global.json")
    }

    /// `dashboards/wave-<n>.json`.
    pub fn wave_dashboard(&self, wave: WaveNumber) -> PathBuf {
        self.dashboards_dir().join(wave_name(wave, ".json"))
    }

    /// `traces/wave-<n>/attempt-<a>/`: one attempt's trace bundle.
    pub fn trace_attempt_dir(&self, wave: WaveNumber, attempt: u32) -> PathBuf {
        self.traces_dir()
            .join(wave_name(wave, ""))
            .join(format!("attempt-{attempt}"))
    }

    /// `proof/wave-<n>.json`: the proof registry.
    pub fn proof_registry(&self, wave: WaveNumber) -> PathBuf {
        self.proof_dir().join(wave_name(wave, ".json"))
    }

    /// `reducer/wave-<n>.json`: the reducer snapshot.
    pub fn reducer_snapshot(&self, wave: WaveNumber) -> PathBuf {
        self.reducer_dir().join(wave_name(wave, ".json"))
    }

    /// `<orchestrator>/messageboards/orchestrator.md`: the cross-lane board.
    pub fn orchestrator_board(&self) -> PathBuf {
        self.orchestrator_state_dir
            .join("messageboards")
            .join("orchestrator.md")
    }

    /// `<orchestrator>/feedback/requests/`: the human-feedback queue.
    pub fn feedback_requests_dir(&self) -> PathBuf {
        self.orchestrator_state_dir
            .join("feedback")
            .join("requests")
    }

    /// `<orchestrator>/dependencies/`: cross-lane dependency tickets.
    pub fn cross_lane_dependencies_dir(&self) -> PathBuf {
        self.orchestrator_state_dir.join("dependencies")
    }

    /// The supervisor tree, `control/supervisor/`.
    ///
    /// Upstream's supervisor always uses the live layout; call [`LanePaths::live`] first when a
    /// dry-run layout is at hand and the daemon's tree is wanted.
    pub fn supervisor(&self) -> SupervisorPaths {
        SupervisorPaths {
            root: self.control_dir().join("supervisor"),
        }
    }
}

/// The supervisor tree of a lane: `<stateDir>/control/supervisor/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorPaths {
    root: PathBuf,
}

impl SupervisorPaths {
    /// A supervisor tree rooted at `root` (tests, tools that know the directory).
    pub fn at_root(root: &Path) -> SupervisorPaths {
        SupervisorPaths {
            root: root.to_path_buf(),
        }
    }

    /// `control/supervisor/`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `control/supervisor/daemon.lock`: the daemon lease.
    pub fn daemon_lock(&self) -> PathBuf {
        self.root.join("daemon.lock")
    }

    /// `control/supervisor/runs/`.
    pub fn runs_dir(&self) -> PathBuf {
        self.root.join("runs")
    }

    /// The files of one run, `control/supervisor/runs/<runId>/`.
    pub fn run(&self, run: RunId) -> RunPaths {
        RunPaths {
            dir: self.runs_dir().join(run.to_string()),
        }
    }
}

/// The files of one supervisor run: `control/supervisor/runs/<runId>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPaths {
    dir: PathBuf,
}

impl RunPaths {
    /// The files of a run directory at `dir` (e.g. a staging directory being submitted).
    pub fn at(dir: &Path) -> RunPaths {
        RunPaths {
            dir: dir.to_path_buf(),
        }
    }

    /// The run directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `request.json`: the submitted request, written once.
    pub fn request(&self) -> PathBuf {
        self.dir.join("request.json")
    }

    /// `state.json`: the run snapshot (only the daemon writes it).
    pub fn state(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// `events.jsonl`: append-only supervisor events.
    pub fn events(&self) -> PathBuf {
        self.dir.join("events.jsonl")
    }

    /// `launcher.log`: launcher stdout and stderr, appended across resumes.
    pub fn launcher_log(&self) -> PathBuf {
        self.dir.join("launcher.log")
    }

    /// `launcher-status.json`: the launcher's exit record.
    pub fn launcher_status(&self) -> PathBuf {
        self.dir.join("launcher-status.json")
    }

    /// `launcher-progress.json`: the launcher's progress journal.
    pub fn launcher_progress(&self) -> PathBuf {
        self.dir.join("launcher-progress.json")
    }

    /// `agents/`.
    pub fn agents_dir(&self) -> PathBuf {
        self.dir.join("agents")
    }

    /// `agents/<agentId>.runtime.json`: per-agent runtime record (keyed by agent id only).
    pub fn agent_runtime(&self, agent: &AgentId) -> PathBuf {
        self.agents_dir().join(format!("{agent}.runtime.json"))
    }
}
