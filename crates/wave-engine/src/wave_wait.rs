//! `wave k8s wait-wave`: block until a wave of a lane is recorded completed in the shared
//! state, so the Job of the next wave (whose init container runs this) starts only after it.
//!
//! Reads only: the lane's `run-state.json` (the launcher adds a wave to `completedWaves` when
//! it completes it) and the wave's control-plane log `control-plane/wave-<n>.jsonl` (the
//! launcher's `wave_run` events: `started`, then `completed`, `failed` or `blocked`).
//!
//! - completed (in `completedWaves`, or its entry's state is completed) → [`WaitOutcome::Completed`];
//! - the latest `wave_run` event is `failed` → [`WaitOutcome::Failed`] — when that event was
//!   written after this wait began at once; when it was already there, only after
//!   [`WaitOptions::failure_grace`] passes with no newer `wave_run` event (a re-run of a failed
//!   wave writes `started` within seconds, and must not be mistaken for the old failure);
//! - `blocked` (recovery queued, exit 43) keeps waiting: the previous Job retries that wave;
//! - the timeout passing first → [`WaitOutcome::TimedOut`].
//!
//! Waiting is event-driven: inotify on the state directory and the control-plane directory
//! (or, while they do not exist yet, on their nearest existing ancestor) wakes the waiter on
//! every atomic rename or append; a 1 s re-read is the fallback where inotify is missing or
//! watches an ancestor.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use wave_core::ids::WaveNumber;
use wave_core::paths::{LanePaths, RunVariant};
use wave_core::records::RunState;

/// Longest pause between two reads (the fallback when no watched event arrives).
pub const MAX_PAUSE: Duration = Duration::from_secs(1);
/// Default of [`WaitOptions::failure_grace`].
pub const DEFAULT_FAILURE_GRACE: Duration = Duration::from_secs(120);

/// Why the wait could not run.
#[derive(Debug, thiserror::Error)]
pub enum WaveWaitError {
    /// `wave.config.json` is invalid or the project/lane cannot be resolved.
    #[error(transparent)]
    Config(#[from] wave_core::config::ConfigError),
    /// The lane's state paths cannot be computed.
    #[error(transparent)]
    Paths(#[from] crate::dry_run::DryRunError),
    /// `run-state.json` exists but is not a run state.
    #[error(transparent)]
    RunState(#[from] crate::run_state::RunStateFileError),
}

/// What to wait for.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// The lane's `run-state.json`.
    pub run_state: PathBuf,
    /// The wave's `control-plane/wave-<n>.jsonl`.
    pub control_plane_log: PathBuf,
    /// The wave.
    pub wave: u32,
    /// Give up after this long; zero reads once.
    pub timeout: Duration,
    /// How long a failure recorded before the wait began must stand unanswered (no newer
    /// `wave_run` event) before it counts.
    pub failure_grace: Duration,
}

impl WaitOptions {
    /// The options for `wave` of the lane at `paths`.
    pub fn for_lane(paths: &LanePaths, wave: u32, timeout: Duration) -> Self {
        WaitOptions {
            run_state: paths.run_state(),
            control_plane_log: paths.control_plane_log(WaveNumber::from(wave)),
            wave,
            timeout,
            failure_grace: DEFAULT_FAILURE_GRACE,
        }
    }
}

/// How the wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The wave is recorded completed.
    Completed,
    /// The wave's latest run is recorded failed.
    Failed {
        /// When (`recordedAt` of the `wave_run failed` event).
        recorded_at: String,
        /// The failure codes the event lists, if any.
        failures: Vec<String>,
    },
    /// The timeout passed first.
    TimedOut,
}

/// The live state paths of `lane` (default: the config's) of `project` in `repo_root`: reads
/// the config only, so a wave file edited meanwhile cannot stop the wait.
pub fn lane_paths(
    repo_root: &Path,
    project: Option<&str>,
    lane: Option<&str>,
) -> Result<LanePaths, WaveWaitError> {
    let loaded = wave_core::config::load(repo_root)?;
    let dir_exists = |rel: &str| repo_root.join(rel).is_dir();
    let resolved = loaded.config.resolve_lane(project, lane, &dir_exists)?;
    Ok(crate::dry_run::lane_paths(
        repo_root,
        &resolved,
        RunVariant::Live,
    )?)
}

/// The latest `wave_run` event of a control-plane log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastWaveRun {
    /// `started`, `completed`, `failed` or `blocked`.
    pub action: String,
    /// `recordedAt`.
    pub recorded_at: String,
    /// `data.failures[].code`.
    pub failures: Vec<String>,
    /// Byte offset just past the event's line.
    pub end_offset: u64,
}

/// Scans a control-plane log's text for its latest `wave_run` event (lines that are not JSON,
/// e.g. a torn last line, are skipped).
pub fn last_wave_run(text: &str) -> Option<LastWaveRun> {
    let mut offset = 0u64;
    let mut last = None;
    for line in text.split_inclusive('\n') {
        offset += line.len() as u64;
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line.trim()) else {
            continue;
        };
        if value["entityType"] != "wave_run" {
            continue;
        }
        let failures = value["data"]["failures"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|f| f["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        last = Some(LastWaveRun {
            action: value["action"].as_str().unwrap_or_default().to_lowercase(),
            recorded_at: value["recordedAt"].as_str().unwrap_or_default().to_owned(),
            failures,
            end_offset: offset,
        });
    }
    last
}

/// The decision over one read of the state, or `None` to keep waiting. `log_len_at_start`
/// is the control-plane log's length when the wait began; `grace_passed` whether
/// [`WaitOptions::failure_grace`] has passed since.
pub fn decide(
    state: &RunState,
    wave: u32,
    last: Option<&LastWaveRun>,
    log_len_at_start: u64,
    grace_passed: bool,
) -> Option<WaitOutcome> {
    let completed = state.completed_waves.contains(&wave)
        || state
            .waves
            .get(&wave)
            .is_some_and(|entry| entry.current_state.is_completed());
    if completed {
        return Some(WaitOutcome::Completed);
    }
    let last = last?;
    if last.action != "failed" {
        return None;
    }
    let fresh = last.end_offset > log_len_at_start;
    (fresh || grace_passed).then(|| WaitOutcome::Failed {
        recorded_at: last.recorded_at.clone(),
        failures: last.failures.clone(),
    })
}

/// A wait in progress: what was there when it began (the log length that tells a fresh
/// failure from an old one) and its watches.
pub struct Waiter {
    options: WaitOptions,
    started: Instant,
    log_len_at_start: u64,
    targets: [PathBuf; 2],
    watch: Watch,
}

impl Waiter {
    /// Begins a wait: notes the control-plane log's length and sets up the watches. A state
    /// written after this returns counts as new.
    pub fn start(options: &WaitOptions) -> Self {
        let started = Instant::now();
        let log_len_at_start = std::fs::metadata(&options.control_plane_log)
            .map(|m| m.len())
            .unwrap_or(0);
        let parent = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
        let targets = [
            parent(&options.run_state),
            parent(&options.control_plane_log),
        ];
        let watch = Watch::new(&targets);
        Waiter {
            options: options.clone(),
            started,
            log_len_at_start,
            targets,
            watch,
        }
    }

    /// Waits for the wave as [`decide`] says, until the timeout (counted from [`Waiter::start`]).
    pub fn wait(mut self) -> Result<WaitOutcome, WaveWaitError> {
        let options = &self.options;
        let deadline = self.started + options.timeout;
        loop {
            let state = crate::run_state::load(&options.run_state)?;
            let text = std::fs::read_to_string(&options.control_plane_log).unwrap_or_default();
            // A log shorter than at the start was replaced: everything in it is new.
            let start_len = if (text.len() as u64) < self.log_len_at_start {
                0
            } else {
                self.log_len_at_start
            };
            let last = last_wave_run(&text);
            let elapsed = self.started.elapsed();
            let grace_passed = elapsed >= options.failure_grace;
            if let Some(outcome) =
                decide(&state, options.wave, last.as_ref(), start_len, grace_passed)
            {
                return Ok(outcome);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(WaitOutcome::TimedOut);
            }
            let mut pause = left.min(MAX_PAUSE);
            if let Some(grace_left) = options.failure_grace.checked_sub(elapsed) {
                if !grace_left.is_zero() {
                    pause = pause.min(grace_left);
                }
            }
            self.watch.pause(pause);
            self.watch.refresh(&self.targets);
        }
    }
}

/// Waits for the wave as [`decide`] says, until `options.timeout`.
pub fn wait(options: &WaitOptions) -> Result<WaitOutcome, WaveWaitError> {
    Waiter::start(options).wait()
}

/// inotify watches on the deepest existing directory of each target, rebuilt when a deeper
/// one appears.
struct Watch {
    inotify: Option<Inotify>,
    watched: Vec<PathBuf>,
}

impl Watch {
    fn new(targets: &[PathBuf]) -> Self {
        let mut watch = Watch {
            inotify: None,
            watched: Vec::new(),
        };
        watch.refresh(targets);
        watch
    }

    fn refresh(&mut self, targets: &[PathBuf]) {
        let wanted: Vec<PathBuf> = targets.iter().map(|t| existing_ancestor(t)).collect();
        if wanted == self.watched && self.inotify.is_some() {
            return;
        }
        self.watched = wanted;
        self.inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)
            .ok()
            .and_then(|inotify| {
                let flags = AddWatchFlags::IN_MOVED_TO
                    | AddWatchFlags::IN_CLOSE_WRITE
                    | AddWatchFlags::IN_CREATE
                    | AddWatchFlags::IN_MODIFY;
                for dir in &self.watched {
                    inotify.add_watch(dir, flags).ok()?;
                }
                Some(inotify)
            });
    }

    /// Sleeps until a watched event arrives or `max` passes.
    fn pause(&self, max: Duration) {
        crate::supervisor::observe::pause(self.inotify.as_ref(), max);
    }
}

fn existing_ancestor(path: &Path) -> PathBuf {
    let mut current = path;
    loop {
        if current.is_dir() {
            return current.to_path_buf();
        }
        match current.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => current = parent,
            _ => return PathBuf::from("/"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wave_core::records::run_state::{Transition, WaveState};

    fn event(action: &str) -> String {
        format!(
            "{{\"entityType\":\"wave_run\",\"action\":\"{action}\",\"recordedAt\":\"t-{action}\",\"data\":{{\"failures\":[{{\"code\":\"cont-qa-blocked\"}}]}}}}\n"
        )
    }

    #[test]
    fn completion_wins() {
        let mut state = RunState::new();
        assert_eq!(decide(&state, 3, None, 0, true), None);
        state.apply_transition(Transition {
            wave: 3,
            to_state: WaveState::Completed,
            source: "live-launcher".into(),
            reason_code: "wave-complete".into(),
            detail: String::new(),
            evidence: None,
            at: "now".into(),
        });
        let failed = last_wave_run(&event("failed"));
        assert_eq!(
            decide(&state, 3, failed.as_ref(), 0, false),
            Some(WaitOutcome::Completed)
        );
        assert_eq!(decide(&state, 4, None, 0, true), None);
    }

    #[test]
    fn fresh_failure_counts_at_once_an_old_one_after_the_grace() {
        let state = RunState::new();
        let text = format!("{}not json\n{}", event("started"), event("failed"));
        let last = last_wave_run(&text).unwrap();
        assert_eq!(last.action, "failed");
        assert_eq!(last.failures, ["cont-qa-blocked"]);
        assert_eq!(last.end_offset, text.len() as u64);
        let failed = Some(WaitOutcome::Failed {
            recorded_at: "t-failed".into(),
            failures: vec!["cont-qa-blocked".into()],
        });
        assert_eq!(decide(&state, 1, Some(&last), 0, false), failed);
        let len = text.len() as u64;
        assert_eq!(decide(&state, 1, Some(&last), len, false), None);
        assert_eq!(decide(&state, 1, Some(&last), len, true), failed);
    }

    #[test]
    fn blocked_and_started_keep_waiting() {
        let state = RunState::new();
        for text in [
            event("blocked"),
            format!("{}{}", event("failed"), event("started")),
        ] {
            let last = last_wave_run(&text);
            assert_eq!(decide(&state, 1, last.as_ref(), 0, true), None, "{text}");
        }
    }
}
