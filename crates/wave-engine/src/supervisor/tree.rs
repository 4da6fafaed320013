//! The run tree under `control/supervisor/runs/`: submitting a run atomically, listing runs,
//! appending events.
//!
//! A run directory appears all at once: `wave submit` builds it as `runs/.submit-<runId>`
//! (request, state, `agents/`, the `submitted` event) and renames it into place, so a daemon
//! never sees half a run. Scanning skips dot-directories, and reports — never fails on — a
//! directory that is not a run id, a missing or corrupt `state.json`, or a state whose `runId`
//! disagrees with its directory.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use wave_core::ids::RunId;
use wave_core::paths::{RunPaths, SupervisorPaths};
use wave_core::records::supervisor::{event_line, SupervisorRunState};
use wave_core::timefmt::iso8601_millis;

use super::lease::now_ms;
use super::SupervisorError;

/// A run found by [`scan`].
#[derive(Debug, Clone)]
pub struct FoundRun {
    /// Its id.
    pub run_id: RunId,
    /// Its files.
    pub paths: RunPaths,
    /// Its state.
    pub state: SupervisorRunState,
}

/// Something in the run tree that is not a readable run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The offending path.
    pub path: PathBuf,
    /// What is wrong with it.
    pub detail: String,
}

/// Writes a new run: `request.json` and `state.json` (the same initial state), `agents/`, and
/// the `submitted` event, all under a temporary name that is renamed into place last.
pub fn submit(
    tree: &SupervisorPaths,
    run_id: RunId,
    state: &SupervisorRunState,
) -> Result<RunPaths, SupervisorError> {
    let runs = tree.runs_dir();
    wave_store::create_dir_all_durable(&runs)?;
    let staging = runs.join(format!(".submit-{run_id}"));
    let staged = RunPaths::at(&staging);
    let result = (|| -> Result<(), SupervisorError> {
        wave_store::create_dir_all_durable(&staged.agents_dir())?;
        let text = state.to_json_pretty();
        wave_store::write_bytes_atomic(&staged.request(), text.as_bytes())?;
        wave_store::write_bytes_atomic(&staged.state(), text.as_bytes())?;
        let event = event_line(
            &iso8601_millis(now_ms()),
            "submitted",
            serde_json::json!({
                "runId": state.run_id,
                "project": state.project,
                "lane": state.lane,
                "adhocRunId": state.adhoc_run_id,
            }),
        );
        wave_store::append_jsonl(&staged.events(), &event, wave_store::AppendSync::Fsync)?;
        let target = tree.run(run_id);
        std::fs::rename(&staging, target.dir()).map_err(|source| SupervisorError::Io {
            op: "rename",
            path: staging.clone(),
            source,
        })?;
        wave_store::sync_dir(&runs)?;
        Ok(())
    })();
    if let Err(err) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err);
    }
    Ok(tree.run(run_id))
}

/// Every run of the tree (sorted by queue order: `submittedAt`, then id), and the problems met.
pub fn scan(tree: &SupervisorPaths) -> (Vec<FoundRun>, Vec<Problem>) {
    scan_skipping(tree, &HashSet::new())
}

/// [`scan`] without opening the runs in `skip` (runs the caller already knows are terminal:
/// terminal states never change, so a long history costs the daemon nothing per pass).
pub fn scan_skipping(
    tree: &SupervisorPaths,
    skip: &HashSet<RunId>,
) -> (Vec<FoundRun>, Vec<Problem>) {
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    let entries = match std::fs::read_dir(tree.runs_dir()) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return (runs, problems),
        Err(err) => {
            problems.push(Problem {
                path: tree.runs_dir(),
                detail: format!("cannot list: {err}"),
            });
            return (runs, problems);
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(run_id) = name.parse::<RunId>() else {
            problems.push(Problem {
                path,
                detail: "not a run directory (expected run-<ms>-<8 hex>)".into(),
            });
            continue;
        };
        if skip.contains(&run_id) {
            continue;
        }
        let paths = tree.run(run_id);
        let state = match std::fs::read_to_string(paths.state()) {
            Ok(text) => SupervisorRunState::parse(&text),
            Err(err) => {
                problems.push(Problem {
                    path: paths.state(),
                    detail: format!("unreadable: {err}"),
                });
                continue;
            }
        };
        match state {
            Some(state) if state.run_id == name => runs.push(FoundRun {
                run_id,
                paths,
                state,
            }),
            Some(state) => problems.push(Problem {
                path: paths.state(),
                detail: format!("runId {:?} does not match its directory", state.run_id),
            }),
            None => problems.push(Problem {
                path: paths.state(),
                detail: "not a supervisor run state (corrupt JSON or no runId)".into(),
            }),
        }
    }
    runs.sort_by(|a, b| {
        (
            a.state.submitted_at.as_deref(),
            a.run_id.millis(),
            a.run_id.random(),
        )
            .cmp(&(
                b.state.submitted_at.as_deref(),
                b.run_id.millis(),
                b.run_id.random(),
            ))
    });
    (runs, problems)
}

/// Appends one event line (`recordedAt`, `type`, fields) to the run's `events.jsonl`.
pub fn append_event(run: &RunPaths, kind: &str, fields: Value) -> Result<(), SupervisorError> {
    let line = event_line(&iso8601_millis(now_ms()), kind, fields);
    wave_store::append_jsonl(&run.events(), &line, wave_store::AppendSync::Buffered)?;
    Ok(())
}

/// Writes the run's `state.json` atomically and durably.
pub fn write_state(run: &RunPaths, state: &SupervisorRunState) -> Result<(), SupervisorError> {
    wave_store::write_bytes_atomic(&run.state(), state.to_json_pretty().as_bytes())?;
    Ok(())
}

/// True when `dir` looks like a run directory that has been terminal since before `cutoff_ms`
/// (by `state.json`'s modification time).
pub fn terminal_before(run: &FoundRun, cutoff_ms: u64) -> bool {
    if !run.state.is_terminal() {
        return false;
    }
    modified_ms(&run.paths.state()).is_some_and(|m| m < cutoff_ms)
}

fn modified_ms(path: &Path) -> Option<u64> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(
        modified
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_millis() as u64,
    )
}
