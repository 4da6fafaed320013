//! `wave k8s render` and `wave k8s wait-wave`.
//!
//! `render` loads the lane exactly as `wave launch` does (every wave file parsed and
//! validated; an invalid one or an empty range is the same one-line error), derives each
//! selected wave's time budget from its agents, and hands plain parameters to the pure
//! `wave_k8s` crate; the YAML is printed, or written atomically with `--output`, only once
//! every object rendered. `wait-wave` is the init container that orders the Jobs
//! (`wave_engine::wave_wait`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use wave_engine::lane::{LaneRequest, PlannedWave};
use wave_engine::wave_wait::{WaitOptions, WaitOutcome, Waiter};
use wave_k8s::base::BaseParams;
use wave_k8s::params::wave_budget_seconds;
use wave_k8s::{Document, JobParams, Resources, WaveJob};

use crate::cli::{K8sCommand, K8sRenderArgs, K8sWaitWaveArgs};
use crate::exit::{Code, EXIT_WAIT_TIMED_OUT};

/// `wave launch`'s default per-agent timeout (`--timeout-minutes`).
const LAUNCH_AGENT_TIMEOUT_MINUTES: u32 = 240;
/// Attempts per wave under `wave launch`'s default `--max-retries-per-wave 1`.
const LAUNCH_ATTEMPTS: u32 = 2;

/// Runs a `wave k8s` subcommand.
pub fn run(repo_root: PathBuf, command: &K8sCommand) -> anyhow::Result<Code> {
    match command {
        K8sCommand::Render(args) => render(&repo_root, args),
        K8sCommand::WaitWave(args) => wait_wave(&repo_root, args),
    }
}

/// The stages a wave runs one after another: the implementation fan-out (parallel, once) and
/// each closure agent.
fn stages(wave: &PlannedWave) -> u32 {
    let closure = wave
        .agents
        .iter()
        .filter(|a| !a.resolved.roles.closure_roles.is_empty())
        .count();
    let fan_out = usize::from(wave.agents.len() > closure);
    u32::try_from(closure + fan_out).unwrap_or(u32::MAX)
}

fn render(repo_root: &Path, args: &K8sRenderArgs) -> anyhow::Result<Code> {
    let (start, end) = match args.wave {
        Some(n) => (n, Some(n)),
        None => (args.start_wave, args.end_wave),
    };
    if end.is_some_and(|end| end < start) {
        bail!("--end-wave must be >= --start-wave");
    }
    let loaded = wave_engine::lane::load_lane(&LaneRequest {
        repo_root: repo_root.to_path_buf(),
        project: args.project.clone(),
        lane: Some(args.lane.clone()),
        cli_executor: None,
        cli_codex_sandbox: None,
    })?;
    if let Some(warning) = &loaded.config_warning {
        eprintln!("[wave] warning: {warning}");
    }
    let selected = wave_engine::dry_run::select_waves(&loaded, start, end)?;

    let mut params = JobParams::new(loaded.lane.lane.clone(), loaded.lane.project_id.clone());
    params.project_flag = args.project.clone();
    params.image = args.image.clone();
    params.pvc = args.pvc.clone();
    params.service_account = args.service_account.clone();
    params.namespace = args.namespace.clone();
    params.backoff_limit = args.backoff_limit;
    params.ttl_seconds_after_finished = Some(args.ttl_seconds_after_finished);
    params.drain_timeout_seconds = args.drain_timeout_seconds;
    params.resources = Resources {
        cpu_request: args.cpu_request.clone(),
        cpu_limit: args.cpu_limit.clone(),
        memory_request: args.memory_request.clone(),
        memory_limit: args.memory_limit.clone(),
    };
    if let Some(minutes) = args.agent_timeout_minutes {
        params.extra_launch_args = vec!["--timeout-minutes".into(), minutes.to_string()];
    }
    let agent_timeout = args
        .agent_timeout_minutes
        .unwrap_or(LAUNCH_AGENT_TIMEOUT_MINUTES);

    let mut documents = Vec::new();
    if args.with_base {
        let base = BaseParams {
            pvc: args.pvc.clone(),
            service_account: args.service_account.clone(),
            namespace: args.namespace.clone(),
            storage: args.storage.clone(),
            storage_class: args.storage_class.clone(),
            access_mode: args.access_mode.clone(),
            labels: wave_k8s::job::labels(&params, None),
        };
        documents.push(Document::ServiceAccount(Box::new(
            wave_k8s::service_account(&base)?,
        )));
        documents.push(Document::PersistentVolumeClaim(Box::new(
            wave_k8s::persistent_volume_claim(&base)?,
        )));
    }
    let mut waited = 0i64;
    let mut previous = None;
    for wave in selected {
        let run_seconds = match args.timeout_minutes {
            Some(minutes) => i64::from(minutes) * 60,
            None => wave_budget_seconds(agent_timeout, stages(wave), LAUNCH_ATTEMPTS),
        };
        let job = WaveJob {
            wave: wave.definition.wave,
            previous_wave: previous,
            run_seconds,
            wait_seconds: waited,
        };
        documents.push(Document::Job(Box::new(wave_k8s::wave_job(&params, &job)?)));
        waited = waited.saturating_add(run_seconds);
        previous = Some(wave.definition.wave);
    }
    let yaml = wave_k8s::to_yaml_documents(&documents)?;
    match &args.output {
        Some(path) => {
            let path = if path.is_absolute() {
                path.clone()
            } else {
                std::env::current_dir()
                    .context("read the current directory")?
                    .join(path)
            };
            wave_store::write_bytes_atomic(&path, yaml.as_bytes())
                .with_context(|| format!("--output: write {}", path.display()))?;
        }
        None => print!("{yaml}"),
    }
    Ok(Code::Ok)
}

fn wait_wave(repo_root: &Path, args: &K8sWaitWaveArgs) -> anyhow::Result<Code> {
    let paths =
        wave_engine::wave_wait::lane_paths(repo_root, args.project.as_deref(), Some(&args.lane))?;
    let mut options =
        WaitOptions::for_lane(&paths, args.wave, Duration::from_secs(args.timeout_seconds));
    options.failure_grace = Duration::from_secs(args.failure_grace_seconds);
    let lane = &args.lane;
    let wave = args.wave;
    let waiter = Waiter::start(&options);
    eprintln!(
        "[wave] waiting for wave {wave} of lane {lane} to be recorded completed in {} (timeout {} s)",
        options.run_state.display(),
        args.timeout_seconds
    );
    match waiter.wait()? {
        WaitOutcome::Completed => {
            eprintln!("[wave] wave {wave} of lane {lane} is recorded completed");
            Ok(Code::Ok)
        }
        WaitOutcome::Failed {
            recorded_at,
            failures,
        } => {
            let codes = if failures.is_empty() {
                String::new()
            } else {
                format!(" ({})", failures.join(", "))
            };
            eprintln!(
                "wave: error: wave {wave} of lane {lane} is recorded failed at {recorded_at}{codes} in {}; not starting the waves after it",
                options.control_plane_log.display()
            );
            Ok(Code::Failure)
        }
        WaitOutcome::TimedOut => {
            eprintln!(
                "wave: error: wave {wave} of lane {lane} was not recorded completed in {} within {} s (--timeout-seconds)",
                options.run_state.display(),
                args.timeout_seconds
            );
            Ok(Code::Exit(EXIT_WAIT_TIMED_OUT))
        }
    }
}
