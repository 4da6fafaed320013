//! `wave status`, `wave wait`, `wave attach`: read-only views of a supervisor run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use wave_core::ids::{AgentId, RunId};
use wave_core::paths::{RunVariant, SupervisorPaths};
use wave_engine::lane::LaneRequest;
use wave_engine::supervisor::observe;

use crate::cli::{AttachArgs, RunRefArgs, RunSelector, WaitArgs};
use crate::exit::{Code, EXIT_NO_DAEMON, EXIT_WAIT_TIMED_OUT};
use wave_core::records::supervisor::RunStatus;
use wave_engine::supervisor::lease::Identity;
use wave_engine::supervisor::observe::WaitEnd;
use wave_engine::supervisor::submit::{self, EnsuredDaemon};

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
    let tree = tree(repo_root.clone(), &args.run.run)?;
    let (view, end) = wait_reviving(
        &repo_root,
        &tree,
        id,
        Duration::from_secs(args.timeout_seconds),
    )?;
    print_view(&view, args.run.json)?;
    Ok(wait_code(&view, end))
}

/// The exit code of a finished wait: 0 for a completed run, the run's code, 124 on timeout,
/// 69 when no daemon serves the lane.
pub fn wait_code(view: &observe::RunView, end: WaitEnd) -> Code {
    match end {
        WaitEnd::TimedOut => return Code::Exit(EXIT_WAIT_TIMED_OUT),
        WaitEnd::NoDaemon(health) => {
            eprintln!(
                "wave: error: no daemon serves lane {} ({}) and none could be started; the run is still {} (see control/supervisor/daemon.log)",
                view.state.lane,
                health.describe(),
                view.state.status.as_str()
            );
            return Code::Exit(EXIT_NO_DAEMON);
        }
        WaitEnd::Terminal => {}
    }
    match view.state.exit_code {
        _ if view.state.status == RunStatus::Completed => Code::Ok,
        Some(code) if code != 0 => Code::Exit(i32::try_from(code).unwrap_or(1)),
        _ => Code::Failure,
    }
}

/// How many times one waiter starts a daemon for a lane that lost its own.
const MAX_REVIVALS: u32 = 2;

/// Waits for a run like [`observe::wait_terminal`]; when no daemon serves the lane, starts one
/// (at most [`MAX_REVIVALS`] times, saying so on stderr) so a crashed daemon never strands a
/// waiting client.
pub fn wait_reviving(
    repo_root: &Path,
    tree: &SupervisorPaths,
    id: RunId,
    timeout: Duration,
) -> anyhow::Result<(observe::RunView, WaitEnd)> {
    let binary = std::env::current_exe().context("locate the wave binary")?;
    let mut revivals = 0;
    let revive = |health: wave_engine::supervisor::lease::DaemonHealth| -> bool {
        if revivals >= MAX_REVIVALS {
            return false;
        }
        revivals += 1;
        let Ok(view) = observe::read_run(tree, id) else {
            return false;
        };
        let who = Identity {
            project: view.state.project.clone(),
            lane: view.state.lane.clone(),
            adhoc_run_id: view.state.adhoc_run_id.clone(),
        };
        match submit::ensure_daemon(tree, &who, repo_root, &binary) {
            Ok(EnsuredDaemon::Started { pid, .. }) => {
                eprintln!(
                    "wave: {}; started a new daemon (pid {pid})",
                    health.describe()
                );
                true
            }
            Ok(_) => true,
            Err(err) => {
                eprintln!(
                    "wave: {}; starting a daemon failed: {err}",
                    health.describe()
                );
                false
            }
        }
    };
    Ok(observe::wait_terminal(tree, id, timeout, revive)?)
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
