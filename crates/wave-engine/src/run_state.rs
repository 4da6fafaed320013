//! `run-state.json`: loading, status reconciliation over the lane's status files, and the
//! launcher's own transitions (upstream schema 2, see `wave_core::records::run_state`).
//!
//! Owns the IO around the pure model: which status files are read, the prompt fingerprints
//! they are compared with, and the durable write of the result. Reconciliation runs at the start
//! of every live launch and for `--reconcile-status`; a wave the launcher completes gets a
//! `completed` transition from source `live-launcher`, reason `wave-complete`.
//!
//! Limitation: reconciliation checks status codes and prompt fingerprints; it does not re-run
//! the role validators over stored summaries (upstream does), so a wave whose agents all exited
//! 0 with the current prompts counts as complete from its status files alone.

use std::path::{Path, PathBuf};

use wave_core::ids::{AgentId, AgentSlug, WaveNumber};
use wave_core::paths::{AgentFileStem, LanePaths};
use wave_core::records::fingerprint::{prompt_fingerprint, FingerprintInput, SkillsFingerprint};
use wave_core::records::run_state::{RunStateEvidence, Transition, WaveState};
use wave_core::records::{AgentFacts, Reconciliation, RunState, StatusRecord, WaveFacts};

use crate::lane::{LoadedLane, PlannedAgent, PlannedWave};

/// Why the run state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RunStateFileError {
    /// The file exists but is not a run state.
    #[error("{path}: {message}; move it aside to start a fresh run state")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Writing failed.
    #[error(transparent)]
    Store(#[from] wave_store::StoreError),
}

/// Reads `path`; a missing file is a fresh run state.
pub fn load(path: &Path) -> Result<RunState, RunStateFileError> {
    match std::fs::read_to_string(path) {
        Ok(text) => RunState::parse(&text).map_err(|e| RunStateFileError::Corrupt {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RunState::new()),
        Err(e) => Err(RunStateFileError::Store(wave_store::StoreError::Io {
            op: "read",
            path: path.to_path_buf(),
            source: e,
        })),
    }
}

/// Writes `state` durably, stamped with `at`.
pub fn save(path: &Path, state: &mut RunState, at: &str) -> Result<(), RunStateFileError> {
    state.stamp(at);
    let mut text = state.to_json_pretty();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    wave_store::write_bytes_atomic(path, text.as_bytes())?;
    Ok(())
}

/// The prompt fingerprint of an agent: its composed prompt, Context7 selection, exit contract,
/// deliverables, proof artifacts, components and resolved executor (what upstream covers).
pub fn fingerprint(agent: &PlannedAgent) -> String {
    let bundle = agent.resolved.context7_bundle.as_deref().unwrap_or("none");
    let skills = SkillsFingerprint {
        ids: agent.resolved.skills.clone(),
        role: Some(agent.resolved.roles.runtime_role.as_str().to_string()),
        runtime: Some(agent.resolved.executor.id.as_str().to_string()),
        deploy_kind: None,
        prompt_hash: None,
    };
    prompt_fingerprint(&FingerprintInput::from_agent(
        &agent.agent,
        bundle,
        Some(&agent.resolved.executor),
        Some(&skills),
    ))
}

/// Reconciles `state` with the status files of every wave of the lane.
pub fn reconcile(
    repo_root: &Path,
    paths: &LanePaths,
    loaded: &LoadedLane,
    state: &mut RunState,
    now: &str,
) -> Reconciliation {
    let facts: Vec<WaveFacts> = loaded
        .waves
        .iter()
        .map(|w| wave_facts(repo_root, paths, w))
        .collect();
    state.reconcile(&facts, now)
}

fn wave_facts(repo_root: &Path, paths: &LanePaths, wave: &PlannedWave) -> WaveFacts {
    let number = WaveNumber::from(wave.definition.wave);
    let agents = wave
        .agents
        .iter()
        .map(|agent| {
            let status_path = agent
                .agent
                .agent_id
                .parse::<AgentId>()
                .map(|id| {
                    paths
                        .agent_files(&AgentFileStem::agent(number, &AgentSlug::new(number, &id)))
                        .status
                })
                .unwrap_or_default();
            let status = std::fs::read_to_string(&status_path)
                .ok()
                .and_then(|t| StatusRecord::parse(&t));
            AgentFacts {
                agent_id: agent.agent.agent_id.clone(),
                status_path: status_path
                    .strip_prefix(repo_root)
                    .unwrap_or(&status_path)
                    .to_string_lossy()
                    .into_owned(),
                status,
                expected_prompt_hash: fingerprint(agent),
                summary_failures: Vec::new(),
            }
        })
        .collect();
    WaveFacts {
        wave: wave.definition.wave,
        agents,
        wave_reasons: Vec::new(),
        evidence: RunStateEvidence::default(),
    }
}

/// Records that the launcher completed `wave`.
pub fn record_completed(state: &mut RunState, wave: u32, attempts: u32, at: &str) {
    state.apply_transition(Transition {
        wave,
        to_state: WaveState::Completed,
        source: "live-launcher".into(),
        reason_code: "wave-complete".into(),
        detail: format!("Wave {wave} completed after {attempts} attempt(s)."),
        evidence: None,
        at: at.to_string(),
    });
}

/// `wave launch --reconcile-status`: reconciles the lane's run state with its status files and
/// writes it; starts nothing and takes no lock (as upstream).
pub fn reconcile_status(
    repo_root: &Path,
    loaded: &LoadedLane,
    state_file: Option<PathBuf>,
    now: &str,
) -> Result<(RunState, Reconciliation, PathBuf), crate::launch::LaunchError> {
    let paths =
        crate::dry_run::lane_paths(repo_root, &loaded.lane, wave_core::paths::RunVariant::Live)?;
    let path = state_file.unwrap_or_else(|| paths.run_state());
    let mut state = match load(&path) {
        Ok(state) => state,
        // The point of reconciling is to rebuild from the status files: a corrupt file is
        // moved aside (kept for inspection) and rebuilt from scratch.
        Err(RunStateFileError::Corrupt { message, .. }) => {
            let aside = path.with_extension(format!(
                "json.corrupt-{}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0)
            ));
            std::fs::rename(&path, &aside).map_err(|source| wave_store::StoreError::Io {
                op: "move aside",
                path: path.clone(),
                source,
            })?;
            tracing::warn!(
                "{} was corrupt ({message}); moved it to {} and rebuilt it from the status files",
                path.display(),
                aside.display()
            );
            RunState::new()
        }
        Err(err) => return Err(err.into()),
    };
    let result = reconcile(repo_root, &paths, loaded, &mut state, now);
    save(&path, &mut state, now)?;
    Ok((state, result, path))
}
