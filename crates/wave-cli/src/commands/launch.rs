//! `wave launch`: validate the flags into an invocation, then run the dry-run planner.
//!
//! Live launches arrive with the launcher milestone; until then they are refused with a clear
//! message instead of half-working.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use wave_core::config::{CodexSandbox, ExecutorId};
use wave_engine::dry_run::DryRunOptions;
use wave_engine::lane::LaneRequest;

use crate::cli::{LaunchArgs, TerminalSurface};
use crate::exit::Code;

/// Stage two: the validated launch request.
#[derive(Debug)]
struct Invocation {
    lane: LaneRequest,
    dry_run: DryRunOptions,
}

fn resolve_path(repo_root: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        repo_root.join(path)
    }
}

fn validate(repo_root: PathBuf, args: &LaunchArgs) -> anyhow::Result<Invocation> {
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
    if !args.dry_run {
        bail!("live launches are not available in this build yet; run `wave launch --dry-run` to plan the lane");
    }
    if args.reconcile_status {
        bail!("--reconcile-status is not available in this build yet");
    }
    if args.auto_next {
        bail!("--auto-next is not available in this build yet (it needs run-state reconciliation)");
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Ok(Invocation {
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
            wave_binary: std::env::current_exe().context("locate the wave binary")?,
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
