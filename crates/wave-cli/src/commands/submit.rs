//! `wave submit`: validate a launch like `wave launch` would (flags, config, every wave of the
//! lane, the range), queue it as a supervisor run, make sure a daemon serves the lane, and
//! print the run id — in a few milliseconds.

use std::path::{Path, PathBuf};

use anyhow::Context;
use std::time::Duration;
use wave_core::paths::RunVariant;
use wave_engine::supervisor::lease::Identity;
use wave_engine::supervisor::submit::EnsuredDaemon;

use crate::cli::SubmitArgs;
use crate::exit::Code;

/// The launcher arguments as typed after `submit`, minus `--json`, `--no-daemon`, `--wait` and the global
/// `--repo-root` (the daemon passes the root itself).
fn launcher_args() -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let start = args
        .iter()
        .position(|a| a == "submit")
        .map_or(args.len(), |i| i + 1);
    let mut out = Vec::new();
    let mut iter = args[start..].iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--json" | "--no-daemon" | "--wait" => {}
            "--repo-root" => {
                iter.next();
            }
            a if a.starts_with("--repo-root=") => {}
            _ => out.push(arg.clone()),
        }
    }
    out
}

/// Runs `wave submit`.
pub fn run(repo_root: PathBuf, args: &SubmitArgs) -> anyhow::Result<Code> {
    let invocation = super::launch::validate(repo_root.clone(), &args.launch)?;
    let loaded = wave_engine::lane::load_lane(&invocation.lane)?;
    if let Some(warning) = &loaded.config_warning {
        eprintln!("[wave] warning: {warning}");
    }
    // Reject bad waves and empty ranges now, before anything is queued.
    let start = if args.launch.auto_next {
        loaded
            .waves
            .iter()
            .map(|w| w.definition.wave)
            .min()
            .unwrap_or(0)
    } else {
        args.launch.start_wave
    };
    wave_engine::dry_run::select_waves(&loaded, start, args.launch.end_wave)?;
    // Container agents: the engine, its API and the image are checked now, not when the
    // launcher starts (a run that cannot start is never queued).
    if let wave_engine::launch::container::AgentRuntime::Container(settings) =
        &invocation.live.agent_runtime
    {
        wave_engine::launch::container::preflight(
            settings,
            &repo_root,
            &std::env::current_exe().context("locate the wave binary")?,
        )?;
    }
    let paths = wave_engine::dry_run::lane_paths(&repo_root, &loaded.lane, RunVariant::Live)?;
    wave_engine::state_guard::prepare_state_tree(&paths)?;
    let who = Identity {
        project: loaded.lane.project_id.clone(),
        lane: loaded.lane.lane.clone(),
        adhoc_run_id: args.launch.adhoc_run.clone(),
    };
    let binary = std::env::current_exe().context("locate the wave binary")?;
    let submitted = wave_engine::supervisor::submit::submit(
        &paths.supervisor(),
        &repo_root,
        &who,
        launcher_args(),
        &binary,
        !args.no_daemon,
    )?;
    let state_path = rel(&repo_root, &submitted.state_path);
    if args.json {
        super::print_json(&serde_json::json!({
            "runId": submitted.run_id.to_string(),
            "project": who.project,
            "lane": who.lane,
            "adhocRunId": who.adhoc_run_id,
            "statePath": state_path,
        }))?;
    } else {
        println!("run_id={}", submitted.run_id);
        println!("project={}", who.project);
        println!("lane={}", who.lane);
        if let Some(adhoc) = &who.adhoc_run_id {
            println!("adhoc_run={adhoc}");
        }
        println!("state_path={state_path}");
    }
    if let EnsuredDaemon::Started {
        pid,
        superseded: Some(stalled),
    } = submitted.daemon
    {
        eprintln!(
            "wave: {}; started daemon pid {pid} to take over",
            stalled.describe()
        );
    }
    if args.wait {
        let (view, end) = super::observe::wait_reviving(
            &repo_root,
            &paths.supervisor(),
            submitted.run_id,
            Duration::from_secs(crate::cli::MAX_WAIT_SECONDS),
        )?;
        println!("{}", view.state.status_line());
        println!(
            "[wave] run state: {}  (launcher log: {})",
            rel(&repo_root, &submitted.state_path),
            rel(
                &repo_root,
                &paths.supervisor().run(submitted.run_id).launcher_log()
            )
        );
        return Ok(super::observe::wait_code(&view, end));
    }
    Ok(Code::Ok)
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
