//! `wave launch`: validate the flags into an invocation, then plan (`--dry-run`) or run the
//! lane with the live launcher.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use wave_core::config::{CodexSandbox, ExecutorId};
use wave_core::ids::RunId;
use wave_core::launch_spec::RateLimitPolicy;
use wave_engine::dry_run::DryRunOptions;
use wave_engine::lane::LaneRequest;
use wave_engine::launch::{LaunchError, LaunchOptions};

use crate::cli::AgentRuntimeArg;
use crate::cli::{LaunchArgs, TerminalSurface};
use crate::exit::Code;
use wave_engine::launch::container::{AgentRuntime, ContainerSettings};

/// Stage two: the validated launch request.
#[derive(Debug)]
pub(crate) struct Invocation {
    pub(crate) lane: LaneRequest,
    dry_run: DryRunOptions,
    pub(crate) live: LaunchOptions,
}

fn resolve_path(repo_root: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        repo_root.join(path)
    }
}

pub(crate) fn validate(repo_root: PathBuf, args: &LaunchArgs) -> anyhow::Result<Invocation> {
    if args.agent_rate_limit_max_delay_seconds < args.agent_rate_limit_base_delay_seconds {
        bail!(
            "--agent-rate-limit-max-delay-seconds must be >= --agent-rate-limit-base-delay-seconds"
        );
    }
    if let Some(end) = args.end_wave {
        if !args.auto_next && end < args.start_wave {
            bail!("--end-wave must be >= --start-wave");
        }
    }
    if !args.dry_run && args.terminal_surface == Some(TerminalSurface::None) {
        bail!("--terminal-surface none is only supported with --dry-run");
    }
    let cli_executor = args
        .executor
        .as_deref()
        .map(|v| {
            ExecutorId::parse(v.trim()).with_context(|| {
                format!(
                    "--executor: expected one of {}, got {v:?}",
                    ExecutorId::expected()
                )
            })
        })
        .transpose()?;
    let cli_codex_sandbox = args
        .codex_sandbox
        .as_deref()
        .map(|v| {
            CodexSandbox::parse(v.trim()).with_context(|| {
                format!(
                    "--codex-sandbox: expected one of {}, got {v:?}",
                    CodexSandbox::expected()
                )
            })
        })
        .transpose()?;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    // The derived figure needs the lane's executors: [`run`] sets it once the lane is loaded.
    let concurrency = args.limits.max_concurrent_agents.map_or(1, |n| n as usize);
    let run_id = match std::env::var("WAVE_SUPERVISOR_RUN_ID") {
        Ok(v) if !v.trim().is_empty() => Some(v.trim().parse::<RunId>().with_context(|| {
            format!("WAVE_SUPERVISOR_RUN_ID: expected run-<ms>-<8 hex>, got {v:?}")
        })?),
        _ => None,
    };
    let wave_binary = std::env::current_exe().context("locate the wave binary")?;
    wave_runtime::privilege::keep_mask(
        std::env::var(wave_core::env::WAVE_AGENT_CAPS)
            .ok()
            .as_deref(),
    )
    .map_err(anyhow::Error::msg)?;
    let live = LaunchOptions {
        start_wave: args.start_wave,
        end_wave: args.end_wave,
        agent_timeout: args.agent_timeout_seconds.map_or(
            Duration::from_secs(u64::from(args.timeout_minutes) * 60),
            |s| Duration::from_secs(u64::from(s)),
        ),
        max_retries_per_wave: args.max_retries_per_wave,
        rate_limit: RateLimitPolicy {
            retries: args.agent_rate_limit_retries,
            base_delay_seconds: args.agent_rate_limit_base_delay_seconds,
            max_delay_seconds: args.agent_rate_limit_max_delay_seconds,
        },
        stagger: Duration::from_millis(args.agent_launch_stagger_ms),
        max_concurrent_agents: concurrency,
        orchestrator_id: args
            .orchestrator_id
            .clone()
            .unwrap_or_else(|| format!("{}-orch-{}", args.lane, std::process::id())),
        manifest_out: args
            .manifest_out
            .as_deref()
            .map(|p| resolve_path(&repo_root, p)),
        wave_binary: wave_binary.clone(),
        run_id,
        state_file: args
            .state_file
            .as_deref()
            .map(|p| resolve_path(&repo_root, p)),
        auto_next: args.auto_next,
        resume: args.resume_control_state,
        slot_dir: None,
        init: None,
        drain_timeout: Duration::from_secs(args.drain_timeout),
        agent_context: Default::default(),
        secrets: Default::default(),
        agent_runtime: agent_runtime(args)?,
        container: None,
    };
    Ok(Invocation {
        live,
        lane: LaneRequest {
            repo_root: repo_root.clone(),
            project: args.project.clone(),
            lane: Some(args.lane.clone()),
            cli_executor,
            cli_codex_sandbox,
        },
        dry_run: DryRunOptions {
            start_wave: args.start_wave,
            end_wave: args.end_wave,
            manifest_out: args
                .manifest_out
                .as_deref()
                .map(|p| resolve_path(&repo_root, p)),
            wave_binary,
            now_ms,
        },
    })
}

/// Runs `wave launch`.
pub fn run(repo_root: PathBuf, args: &LaunchArgs) -> anyhow::Result<Code> {
    let invocation = validate(repo_root.clone(), args)?;
    let loaded = wave_engine::lane::load_lane(&invocation.lane)?;
    if let Some(warning) = &loaded.config_warning {
        eprintln!("[wave] warning: {warning}");
    }
    if args.reconcile_status {
        return reconcile(&repo_root, &loaded, &invocation.live);
    }
    if !args.dry_run {
        // PID 1 of a Job's container, or a subreaper: reap orphans, drain on SIGTERM.
        let init = wave_runtime::init::Init::install().context("install signal handling")?;
        let live = LaunchOptions {
            init: Some(init),
            ..invocation.live.clone()
        };
        let limits = wave_engine::limits::derive_limits(
            &wave_runtime::cgroup::CgroupFs::host(),
            &wave_engine::limits::lane_executors(&loaded),
            &args.limits.knobs(),
        );
        if let Some(warning) = &limits.warning {
            eprintln!("[wave] warning: {warning}");
        }
        eprintln!(
            "[wave] max concurrent agents: {} (`wave doctor` prints every input)",
            limits.describe()
        );
        let live = LaunchOptions {
            max_concurrent_agents: limits.concurrency.max_concurrent_agents as usize,
            ..live
        };
        return run_live(&repo_root, &loaded, &live);
    }
    let report = wave_engine::dry_run::run(&repo_root, &loaded, &invocation.dry_run)?;
    let rel = |p: &Path| {
        p.strip_prefix(&repo_root)
            .unwrap_or(p)
            .display()
            .to_string()
    };
    println!("Manifest written: {}", rel(&report.manifest_path));
    println!(
        "Loaded {} docs files and {} wave files.",
        report.docs, report.waves_in_lane
    );
    for agent in &report.agents {
        println!(
            "[dry-run] wave {} agent {} ({}): {}",
            agent.wave,
            agent.agent_id,
            agent.executor_id,
            rel(agent.preview_path.parent().unwrap_or(&agent.preview_path))
        );
    }
    println!("[dry-run] state root: {}", rel(&report.state_dir));
    println!(
        "[dry-run] prompts and executor overlays written: {}",
        rel(&report.state_dir.join("executors"))
    );
    println!("Dry run enabled, no agent was started.");
    Ok(Code::Ok)
}

/// The environment variable through which `wave supervise` tells the launcher where to record
/// its exit (`launcher-status.json` of the run).
pub const STATUS_FILE_ENV: &str = "WAVE_SUPERVISOR_STATUS_FILE";

/// Supervised launchers record how they ended in `launcher-status.json`
/// (`{exitCode, completedAt}`, written durably), the daemon's strongest terminal signal. A
/// launcher killed by a signal writes nothing, which tells the daemon to resume it.
pub fn record_supervised_exit(outcome: &anyhow::Result<Code>) {
    let Some(path) = std::env::var_os(STATUS_FILE_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    let code = match outcome {
        // A drained launcher did not finish its run: the supervisor resumes it.
        Ok(crate::exit::Code::Interrupted(_)) => return,
        Ok(code) => code.as_i32(),
        Err(err) => crate::exit::Code::from_error(err).as_i32(),
    };
    let now = wave_core::timefmt::iso8601_millis(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    );
    let record = serde_json::json!({"exitCode": code, "completedAt": now});
    if let Err(err) = wave_store::write_json_atomic(Path::new(&path), &record) {
        eprintln!("wave: warning: could not record the launcher's exit: {err}");
    }
}

/// `--agent-runtime` and the container flags, checked (an image is required; limits are
/// positive).
fn agent_runtime(args: &LaunchArgs) -> anyhow::Result<AgentRuntime> {
    match args.agent_runtime {
        AgentRuntimeArg::Process => Ok(AgentRuntime::Process),
        AgentRuntimeArg::Container => {
            let Some(image) = args.agent_image.clone().filter(|i| !i.trim().is_empty()) else {
                anyhow::bail!(
                    "--agent-image: required with --agent-runtime container (an image with bash, tee and the executor)"
                );
            };
            let nano_cpus = match args.agent_cpus {
                Some(c) if c.is_finite() && c > 0.0 && c <= 1024.0 => Some((c * 1e9) as i64),
                Some(c) => {
                    anyhow::bail!("--agent-cpus: expected a number of CPUs in (0, 1024], got {c}")
                }
                None => None,
            };
            if args.agent_network.trim().is_empty() {
                anyhow::bail!("--agent-network: expected a network mode such as none or bridge");
            }
            Ok(AgentRuntime::Container(ContainerSettings {
                image,
                network: args.agent_network.trim().to_string(),
                memory_bytes: args
                    .limits
                    .agent_memory_mib
                    .map(|m| i64::from(m) * 1024 * 1024),
                nano_cpus,
                pids_limit: args.agent_pids_limit.map(|p| p as i64),
                read_only_rootfs: args.agent_read_only,
                pull: args.pull,
            }))
        }
    }
}

/// Runs the lane for real and reports each wave's outcome.
fn run_live(
    repo_root: &Path,
    loaded: &wave_engine::lane::LoadedLane,
    options: &LaunchOptions,
) -> anyhow::Result<Code> {
    let report = match wave_engine::launch::run(repo_root, loaded, options) {
        Ok(report) => report,
        Err(err @ LaunchError::LaneLocked { .. }) => {
            eprintln!("wave: error: {err}");
            return Ok(Code::Exit(err.exit_code()));
        }
        Err(err @ LaunchError::Interrupted { .. }) => {
            eprintln!("[wave] {err}; the run is resumable");
            return Ok(Code::Interrupted(err.exit_code()));
        }
        Err(err) => return Err(err.into()),
    };
    if let Some(path) = &report.nothing_to_run {
        println!(
            "[auto-next] All known waves are already marked complete in {}.",
            path.strip_prefix(repo_root).unwrap_or(path).display()
        );
        return Ok(Code::Ok);
    }
    let state = report
        .state_dir
        .strip_prefix(repo_root)
        .unwrap_or(&report.state_dir)
        .display()
        .to_string();
    for wave in &report.waves {
        let o = &wave.outcome;
        println!(
            "[wave] wave {}: {:?} after {} attempt(s) (exit {})",
            wave.wave, o.status, o.attempts, o.exit_code
        );
        for failure in &o.failures {
            println!(
                "[wave]   {} {}: {}",
                failure.agent_id.as_deref().unwrap_or("-"),
                failure.status_code,
                failure.detail
            );
        }
    }
    println!("[wave] state: {state}");
    Ok(if report.exit_code == 0 {
        Code::Ok
    } else {
        Code::Exit(report.exit_code)
    })
}

/// `--reconcile-status`: rebuild run-state.json from status files and print the result.
fn reconcile(
    repo_root: &Path,
    loaded: &wave_engine::lane::LoadedLane,
    options: &LaunchOptions,
) -> anyhow::Result<Code> {
    if let Some(first) = loaded.wave_errors.first() {
        anyhow::bail!("{first}");
    }
    let now = wave_core::timefmt::iso8601_millis(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    );
    let (state, result, path) = wave_engine::run_state::reconcile_status(
        repo_root,
        loaded,
        options.state_file.clone(),
        &now,
    )?;
    let list = |waves: &[u32]| {
        if waves.is_empty() {
            "none".to_string()
        } else {
            waves
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    println!(
        "[reconcile] added from status files: {}",
        list(&result.newly_completed)
    );
    for blocked in &result.blocked {
        let reasons: Vec<String> = blocked
            .reasons
            .iter()
            .map(|r| format!("{}: {}", r.code, r.detail))
            .collect();
        println!(
            "[reconcile] wave {} blocked: {}",
            blocked.wave,
            reasons.join("; ")
        );
    }
    for wave in &result.preserved_with_drift {
        println!("[reconcile] wave {wave} kept as completed_with_drift (prompt changed since it completed)");
    }
    println!(
        "[reconcile] completed waves now: {}",
        list(&state.completed_waves)
    );
    println!(
        "[reconcile] run state: {}",
        path.strip_prefix(repo_root).unwrap_or(&path).display()
    );
    Ok(Code::Ok)
}
