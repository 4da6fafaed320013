//! `wave runs` and `wave health`: a lane's runs, and whether its daemon is serving.
//!
//! `health` is the container's HEALTHCHECK and a Kubernetes exec probe: exit 0 when a daemon
//! holds the lane's kernel lock and renewed its lease in time (liveness: the daemon process is
//! there and not stalled; readiness: it claims what is submitted — the same condition, since a
//! serving daemon claims within one wake-up). Both are read-only.

use std::path::PathBuf;

use serde_json::json;
use wave_core::paths::{RunVariant, SupervisorPaths};
use wave_engine::lane::LaneRequest;
use wave_engine::supervisor::lease::{DaemonHealth, LeaseFiles};
use wave_engine::supervisor::observe;

use crate::cli::LaneArgs;
use crate::exit::Code;

fn lane_tree(repo_root: PathBuf, args: &LaneArgs) -> anyhow::Result<SupervisorPaths> {
    let loaded = wave_engine::lane::load_lane(&LaneRequest {
        repo_root: repo_root.clone(),
        project: args.project.clone(),
        lane: args.lane.clone(),
        cli_executor: None,
        cli_codex_sandbox: None,
    })?;
    Ok(wave_engine::dry_run::lane_paths(&repo_root, &loaded.lane, RunVariant::Live)?.supervisor())
}

/// `wave runs`.
pub fn runs(repo_root: PathBuf, args: &LaneArgs) -> anyhow::Result<Code> {
    let tree = lane_tree(repo_root, args)?;
    let views = observe::list_runs(&tree);
    if args.json {
        let runs: Vec<_> = views.iter().map(observe::run_summary).collect();
        super::print_json(&json!({ "runs": runs }))?;
        return Ok(Code::Ok);
    }
    if views.is_empty() {
        println!("no runs");
    }
    for v in &views {
        let s = &v.state;
        println!(
            "{} {:<9} exit={} wave={} submitted={} completed={}{}",
            s.run_id,
            s.status.as_str(),
            s.exit_code.map_or("-".into(), |c| c.to_string()),
            s.active_wave.map_or("-".into(), |w| w.to_string()),
            s.submitted_at.as_deref().unwrap_or("-"),
            s.completed_at.as_deref().unwrap_or("-"),
            match s.terminal_disposition {
                Some(wave_core::records::supervisor::RunDisposition::Interrupted) =>
                    " (interrupted)",
                _ => "",
            }
        );
    }
    Ok(Code::Ok)
}

/// `wave health`.
pub fn health(repo_root: PathBuf, args: &LaneArgs) -> anyhow::Result<Code> {
    let tree = lane_tree(repo_root, args)?;
    let health = LeaseFiles::new(tree.root()).health()?;
    let healthy = matches!(health, DaemonHealth::Serving { .. });
    let views = observe::list_runs(&tree);
    let count = |status: &str| {
        views
            .iter()
            .filter(|v| v.state.status.as_str() == status)
            .count()
    };
    if args.json {
        let (state, pid, epoch, lapsed) = match health {
            DaemonHealth::Serving { pid, epoch } => ("serving", Some(pid), Some(epoch), None),
            DaemonHealth::Stalled { pid, lapsed_ms } => ("stalled", pid, None, Some(lapsed_ms)),
            DaemonHealth::Absent => ("absent", None, None, None),
        };
        super::print_json(&json!({
            "healthy": healthy,
            "daemon": {"state": state, "pid": pid, "epoch": epoch, "leaseLapsedMs": lapsed},
            "runs": {"pending": count("pending"), "running": count("running")},
        }))?;
    } else {
        println!(
            "{}: {} (runs pending={} running={})",
            if healthy { "healthy" } else { "unhealthy" },
            health.describe(),
            count("pending"),
            count("running")
        );
    }
    Ok(if healthy { Code::Ok } else { Code::Failure })
}
