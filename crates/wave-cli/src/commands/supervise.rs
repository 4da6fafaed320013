//! `wave supervise`: the lane's daemon. Owns the process-level duties: signals (TERM/INT stop
//! it cleanly, releasing the lease), child reaping (it is a child subreaper, or PID 1 in a
//! container, so re-parented launchers and runners are reaped), and the wake-up channel.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context};
use wave_core::paths::RunVariant;
use wave_engine::lane::LaneRequest;
use wave_engine::supervisor::daemon::{DaemonExit, DaemonOptions, Wake};
use wave_engine::supervisor::lease::Identity;
use wave_engine::supervisor::SupervisorError;

use crate::cli::SuperviseArgs;
use crate::exit::Code;

/// Parses `30s`, `15m`, `12h`, `7d` (a bare number is seconds).
pub fn parse_age(flag: &str, text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits.parse().with_context(|| {
        format!("{flag}: expected a number with s, m, h or d (e.g. 7d), got {text:?}")
    })?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("{flag}: expected a unit of s, m, h or d (e.g. 7d), got {text:?}"),
    };
    Ok(Duration::from_secs(secs))
}

/// Runs `wave supervise`.
pub fn run(repo_root: PathBuf, args: &SuperviseArgs) -> anyhow::Result<Code> {
    let prune = args
        .prune_older_than
        .as_deref()
        .map(|t| parse_age("--prune-older-than", t))
        .transpose()?;
    let idle_exit = args
        .idle_exit
        .as_deref()
        .map(|t| parse_age("--idle-exit", t))
        .transpose()?;
    let loaded = wave_engine::lane::load_lane(&LaneRequest {
        repo_root: repo_root.clone(),
        project: args.project.clone(),
        lane: Some(args.lane.clone()),
        cli_executor: None,
        cli_codex_sandbox: None,
    })?;
    let paths = wave_engine::dry_run::lane_paths(&repo_root, &loaded.lane, RunVariant::Live)?;
    wave_engine::state_guard::prepare_state_tree(&paths)?;
    let who = Identity {
        project: loaded.lane.project_id.clone(),
        lane: loaded.lane.lane.clone(),
        adhoc_run_id: args.adhoc_run.clone(),
    };
    let opts = DaemonOptions {
        repo_root: repo_root.clone(),
        who: who.clone(),
        poll: Duration::from_millis(args.poll_ms),
        lease: Duration::from_millis(args.lease_ms),
        once: args.once,
        standby: args.standby,
        max_concurrent_runs: args.max_concurrent_runs as usize,
        resume_limit: args.max_resume_attempts,
        wave_binary: std::env::current_exe().context("locate the wave binary")?,
        prune_older_than: prune,
        idle_exit,
        drain_timeout: Duration::from_secs(args.drain_timeout),
        init: None,
    };
    // PID 1 in a container, or a subreaper: orphaned launchers and runners are re-parented here
    // and reaped; SIGTERM/SIGINT/SIGHUP start the drain.
    let init = wave_runtime::init::Init::install().context("install signal handling")?;
    let (tx, rx) = mpsc::channel();
    let stop_tx = tx.clone();
    let _hook = init.on_stop(Box::new(move || {
        let _ = stop_tx.send(Wake::Stop);
    }));
    let opts = DaemonOptions {
        init: Some(init),
        ..opts
    };
    match wave_engine::supervisor::daemon::supervise(&paths.supervisor(), &opts, tx, &rx) {
        Ok(DaemonExit::AlreadyRunning(holder)) => {
            println!(
                "[supervise] daemon already running for {}/{}{}",
                who.project,
                who.lane,
                holder
                    .map(|h| format!(" ({}, pid {})", h.supervisor_id, h.pid))
                    .unwrap_or_default()
            );
            Ok(Code::Ok)
        }
        Ok(DaemonExit::Drained { worst_exit: 0 } | DaemonExit::Stopped | DaemonExit::Idle) => {
            Ok(Code::Ok)
        }
        Ok(DaemonExit::Drained { worst_exit }) => Ok(Code::Exit(worst_exit)),
        Ok(DaemonExit::Interrupted(signal)) => Ok(Code::Interrupted(
            wave_runtime::init::signal_exit_code(signal),
        )),
        Err(e @ SupervisorError::Superseded { .. }) => {
            eprintln!("wave: error: {e}; this daemon stops");
            Ok(Code::Exit(3))
        }
        Err(e) => Err(e.into()),
    }
}
