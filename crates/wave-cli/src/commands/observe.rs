//! `wave status`, `wave wait`, `wave attach`: read-only views of a supervisor run.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use wave_core::ids::{AgentId, RunId};
use wave_core::paths::{RunVariant, SupervisorPaths};
use wave_engine::lane::LaneRequest;
use wave_engine::supervisor::observe;

use crate::cli::{AttachArgs, RunRefArgs, RunSelector, WaitArgs};
use crate::exit::{Code, EXIT_WAIT_TIMED_OUT};

fn tree(repo_root: PathBuf, run: &RunSelector) -> anyhow::Result<SupervisorPaths> {
    let (project, lane) = (run.project.as_deref(), run.lane.as_str());
    let loaded = wave_engine::lane::load_lane(&LaneRequest {
        repo_root: repo_root.clone(),
        project: project.map(str::to_owned),
        lane: Some(lane.to_owned()),
        cli_executor: None,
        cli_codex_sandbox: None,
    })?;
    Ok(wave_engine::dry_run::lane_paths(&repo_root, &loaded.lane, RunVariant::Live)?.supervisor())
}

fn run_id(raw: &str) -> anyhow::Result<RunId> {
    raw.trim().parse().with_context(|| {
        format!("--run-id: expected run-<ms>-<8 hex> (as printed by wave submit), got {raw:?}")
    })
}

fn print_view(view: &observe::RunView, json: bool) -> anyhow::Result<()> {
    if json {
        super::print_json(&view.to_json())
    } else {
        println!("{}", view.state.status_line());
        Ok(())
    }
}

/// `wave status`.
pub fn status(repo_root: PathBuf, args: &RunRefArgs) -> anyhow::Result<Code> {
    let id = run_id(&args.run.run_id)?;
    let tree = tree(repo_root, &args.run)?;
    print_view(&observe::read_run(&tree, id)?, args.json)?;
    Ok(Code::Ok)
}

/// `wave wait`.
pub fn wait(repo_root: PathBuf, args: &WaitArgs) -> anyhow::Result<Code> {
    let id = run_id(&args.run.run.run_id)?;
    let tree = tree(repo_root, &args.run.run)?;
    let (view, timed_out) =
        observe::wait_terminal(&tree, id, Duration::from_secs(args.timeout_seconds))?;
    print_view(&view, args.run.json)?;
    if timed_out {
        return Ok(Code::Exit(EXIT_WAIT_TIMED_OUT));
    }
    Ok(match view.state.exit_code {
        _ if view.state.status == wave_core::records::supervisor::RunStatus::Completed => Code::Ok,
        Some(code) if code != 0 => Code::Exit(i32::try_from(code).unwrap_or(1)),
        _ => Code::Failure,
    })
}

/// `wave attach`.
pub fn attach(repo_root: PathBuf, args: &AttachArgs) -> anyhow::Result<Code> {
    let id = run_id(&args.run.run_id)?;
    let agent = args.agent.as_deref().filter(|a| !a.trim().is_empty());
    let tree = match (agent, args.dashboard) {
        (Some(_), false) | (None, true) => tree(repo_root, &args.run)?,
        _ => bail!("Specify exactly one of --agent <id> or --dashboard"),
    };
    if args.dashboard {
        print!("{}", observe::dashboard(&tree, id)?);
        return Ok(Code::Ok);
    }
    let raw = agent.unwrap_or_default();
    let agent: AgentId = raw
        .trim()
        .parse()
        .with_context(|| format!("--agent: expected an agent id such as A1, got {raw:?}"))?;
    let stdout = std::io::stdout();
    observe::attach_agent(&tree, id, &agent, &mut stdout.lock())?;
    Ok(Code::Ok)
}
