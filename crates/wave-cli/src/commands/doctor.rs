//! `wave doctor`: prints the engine's report; exit 1 when it has errors.

use std::path::PathBuf;

use crate::cli::DoctorArgs;
use crate::exit::Code;

/// With `WAVE_AGENT_RUNTIME=container`: the engine, its API version and `WAVE_AGENT_IMAGE` are
/// checked as a launch would (an error each when they fail; a note when they pass).
fn container_check(repo_root: &std::path::Path, report: &mut wave_engine::doctor::DoctorReport) {
    let runtime = std::env::var(wave_core::env::WAVE_AGENT_RUNTIME).unwrap_or_default();
    if runtime.trim() != "container" {
        return;
    }
    let Some(image) = std::env::var(wave_core::env::WAVE_AGENT_IMAGE)
        .ok()
        .filter(|i| !i.trim().is_empty())
    else {
        report
            .errors
            .push("WAVE_AGENT_RUNTIME=container needs WAVE_AGENT_IMAGE (the agents' image)".into());
        report.ok = false;
        return;
    };
    let settings = wave_engine::launch::container::ContainerSettings {
        image,
        network: "none".into(),
        memory_bytes: None,
        nano_cpus: None,
        pids_limit: None,
        read_only_rootfs: false,
        pull: false,
    };
    let binary = std::env::current_exe().unwrap_or_default();
    match wave_engine::launch::container::preflight(&settings, repo_root, &binary) {
        Ok(summary) => report.warnings.push(format!("container agents: {summary}")),
        Err(err) => {
            report.errors.push(format!("container agents: {err}"));
            report.ok = false;
        }
    }
}

/// Runs `wave doctor`.
pub fn run(repo_root: PathBuf, args: &DoctorArgs) -> anyhow::Result<Code> {
    let mut report = wave_engine::doctor::run(&repo_root, args.project.clone(), args.lane.clone());
    container_check(&repo_root, &mut report);
    if args.json {
        super::print_json(&report)?;
    } else {
        println!(
            "[wave:doctor] workspace={}",
            report.workspace_root.display()
        );
        println!(
            "[wave:doctor] package={}@{}",
            report.package_name, report.package_version
        );
        for error in &report.errors {
            eprintln!("[wave:doctor] error: {error}");
        }
        for warning in &report.warnings {
            eprintln!("[wave:doctor] warning: {warning}");
        }
        if report.ok {
            println!("[wave:doctor] ok");
        }
    }
    Ok(if report.ok { Code::Ok } else { Code::Failure })
}
