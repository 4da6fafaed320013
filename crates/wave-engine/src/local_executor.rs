//! The built-in `local` executor's IO: what `wave local-executor --prompt-file P` runs.
//!
//! [`run`] reads the knobs from the environment and the prompt file, then carries out the pure
//! plan of [`wave_core::local_executor`]: append the run to the count file (if set), hold the
//! agent open for the configured delay, create every planned file that does not exist yet
//! (existing files — including dangling symlinks — are never opened for writing; new files are
//! created with `create_new`, so a racing writer is never clobbered), print the role's markers
//! and return the exit code for the CLI to exit with.
//!
//! Knobs (see [`KNOBS`] for `--help`): `WAVE_LOCAL_EXECUTOR_DELAY_MS`,
//! `WAVE_LOCAL_EXECUTOR_EXIT_CODE`, `WAVE_LOCAL_EXECUTOR_FAIL_AGENTS`,
//! `WAVE_LOCAL_EXECUTOR_COUNT_FILE`. A bad value is an error naming the variable, reported
//! before anything is written. A relative prompt path is resolved against the repository root
//! (as upstream); a relative count-file path against the process's working directory.
//!
//! Informational lines start with `[local-executor]`, which the marker extractor ignores.
//! Caveat: the repository-containment check resolves symlinks of existing ancestors when a
//! file is created; it cannot guard against a directory being swapped for a symlink
//! concurrently.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use wave_core::local_executor::{plan, Plan, Role};
pub use wave_core::local_executor::{KnobDoc, KnobError, Knobs, KNOBS};

/// Why a local-executor run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum LocalExecutorError {
    /// A knob has a bad value.
    #[error(transparent)]
    Knob(#[from] KnobError),
    /// The prompt file could not be read.
    #[error("cannot read prompt file {path}: {source}")]
    ReadPrompt {
        /// The prompt path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A placeholder file could not be created.
    #[error("cannot create placeholder {path}: {source}")]
    CreateFile {
        /// The file path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A planned file would land outside the repository (through a symlink).
    #[error("placeholder {path} resolves outside the repository {root}")]
    OutsideRepo {
        /// The repository-relative path.
        path: String,
        /// The repository root.
        root: PathBuf,
    },
    /// The count file could not be appended to.
    #[error("cannot append to WAVE_LOCAL_EXECUTOR_COUNT_FILE file {path}: {source}")]
    CountFile {
        /// The count-file path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Writing the executor's output failed.
    #[error("cannot write executor output: {0}")]
    Output(#[source] io::Error),
}

/// Everything [`run_with`] takes from the process, injectable for tests.
pub struct RunOptions<'a> {
    /// The knobs (normally [`Knobs::from_lookup`] over the environment).
    pub knobs: Knobs,
    /// Sleeps for the configured delay (normally `std::thread::sleep`).
    pub sleep: &'a mut dyn FnMut(Duration),
    /// Process id written to the count file.
    pub pid: u32,
}

/// Runs the local executor for `prompt_file` in `repo_root`, writing its output to `out`, with
/// knobs from the process environment. Returns the exit code.
pub fn run(
    prompt_file: &Path,
    repo_root: &Path,
    out: &mut dyn Write,
) -> Result<i32, LocalExecutorError> {
    let knobs = Knobs::from_lookup(|name| std::env::var(name).ok())?;
    let mut sleep = std::thread::sleep;
    run_with(
        prompt_file,
        repo_root,
        out,
        RunOptions {
            knobs,
            sleep: &mut sleep,
            pid: std::process::id(),
        },
    )
}

/// [`run`] with injected knobs, sleeper and pid.
pub fn run_with(
    prompt_file: &Path,
    repo_root: &Path,
    out: &mut dyn Write,
    options: RunOptions<'_>,
) -> Result<i32, LocalExecutorError> {
    let prompt_path = repo_root.join(prompt_file);
    let bytes = fs::read(&prompt_path).map_err(|source| LocalExecutorError::ReadPrompt {
        path: prompt_path.clone(),
        source,
    })?;
    let plan = plan(&String::from_utf8_lossy(&bytes), &options.knobs);
    if let Some(path) = &options.knobs.count_file {
        append_count(path, &plan.count_line(options.pid))?;
    }
    let agent = plan.facts.agent_id.as_str();
    if let Some(dir) = options
        .knobs
        .probe_dir
        .as_ref()
        .filter(|_| !agent.is_empty())
    {
        // Test probe: best effort, never fails the agent.
        let mut env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
        env.sort();
        let _ = fs::write(dir.join(format!("{agent}.env")), env.join("\n") + "\n");
        if let Ok(status) = fs::read_to_string("/proc/self/status") {
            let _ = fs::write(dir.join(format!("{agent}.status")), status);
        }
        let socket = ["/var/run/docker.sock", "/run/docker.sock"]
            .iter()
            .any(|p| Path::new(p).exists());
        let _ = fs::write(
            dir.join(format!("{agent}.files")),
            format!(
                "docker.sock={}\n",
                if socket { "present" } else { "absent" }
            ),
        );
    }
    say(out, &header_line(&prompt_path, &plan))?;
    if let Some(delay) = plan.delay.filter(|d| !d.is_zero()) {
        say(
            out,
            &format!("[local-executor] holding for {} ms", delay.as_millis()),
        )?;
        out.flush().map_err(LocalExecutorError::Output)?;
        (options.sleep)(delay);
    }
    if plan.role == Role::Unknown {
        say(
            out,
            "[local-executor] no `You are the Wave executor running Wave …` line; nothing to do.",
        )?;
    }
    for skipped in &plan.skipped {
        say(
            out,
            &format!(
                "[local-executor] skipped: {} ({})",
                skipped.path, skipped.reason
            ),
        )?;
    }
    for file in &plan.files {
        let created = create_missing(repo_root, &file.path, &file.contents)?;
        let verb = if created { "created" } else { "exists" };
        say(out, &format!("[local-executor] {verb}: {}", file.path))?;
    }
    for marker in &plan.markers {
        say(out, marker)?;
    }
    say(
        out,
        &format!("[local-executor] completed exit={}", plan.exit_code),
    )?;
    out.flush().map_err(LocalExecutorError::Output)?;
    Ok(plan.exit_code)
}

fn say(out: &mut dyn Write, line: &str) -> Result<(), LocalExecutorError> {
    writeln!(out, "{line}").map_err(LocalExecutorError::Output)
}

fn header_line(prompt_path: &Path, plan: &Plan) -> String {
    let facts = &plan.facts;
    let mut line = format!(
        "[local-executor] prompt={} wave={} agent={} role={}",
        prompt_path.display(),
        facts.wave.map_or_else(|| "?".into(), |w| w.to_string()),
        if facts.agent_id.is_empty() {
            "?"
        } else {
            &facts.agent_id
        },
        plan.role.as_str(),
    );
    if plan.injected_gap {
        line.push_str(" injected-gap=true");
    }
    line
}

fn append_count(path: &Path, line: &str) -> Result<(), LocalExecutorError> {
    let error = |source| LocalExecutorError::CountFile {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    // One write of one short line: appends from concurrent agents do not interleave.
    file.write_all(format!("{line}\n").as_bytes())
        .map_err(error)
}

/// The nearest existing ancestor of `path` (or `path` itself).
fn existing_ancestor(path: &Path) -> Option<&Path> {
    path.ancestors().find(|p| fs::symlink_metadata(p).is_ok())
}

/// Creates `root/rel` with `contents` unless something already exists there. Returns whether
/// it created the file.
fn create_missing(root: &Path, rel: &str, contents: &str) -> Result<bool, LocalExecutorError> {
    let full = root.join(rel);
    let create_error = |source| LocalExecutorError::CreateFile {
        path: full.clone(),
        source,
    };
    if fs::symlink_metadata(&full).is_ok() {
        return Ok(false);
    }
    let parent = full.parent().unwrap_or(root);
    let canonical_root = root.canonicalize().map_err(create_error)?;
    let anchor = existing_ancestor(parent).unwrap_or(root);
    let inside = anchor
        .canonicalize()
        .map(|a| a.starts_with(&canonical_root))
        .unwrap_or(false);
    if !inside {
        return Err(LocalExecutorError::OutsideRepo {
            path: rel.to_string(),
            root: root.to_path_buf(),
        });
    }
    fs::create_dir_all(parent).map_err(create_error)?;
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&full) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(create_error(e)),
    };
    file.write_all(contents.as_bytes()).map_err(create_error)?;
    Ok(true)
}

#[cfg(test)]
mod tests;
