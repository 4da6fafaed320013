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
    let mut report = wave_engine::doctor::run(
        &repo_root,
        args.project.clone(),
        args.lane.clone(),
        &args.limits.knobs(),
    );
    container_check(&repo_root, &mut report);
    // Agents write into the repository: an unwritable one is reported before anything runs.
    if let Err(err) = wave_engine::state_guard::check_writable(&repo_root) {
        report.errors.push(err.to_string());
        report.ok = false;
    }
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
        for line in limit_lines(&report.limits) {
            println!("[wave:doctor] {line}");
        }
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

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / wave_core::plan::concurrency::MIB)
}

fn opt<T: ToString>(value: Option<T>, none: &str) -> String {
    value.map_or_else(|| none.to_string(), |v| v.to_string())
}

fn agents(value: Option<u32>) -> String {
    value.map_or_else(|| "unlimited".to_string(), |n| format!("{n} agents"))
}

/// The limits section of the text report: each term's inputs and result, then the figure.
fn limit_lines(limits: &wave_engine::limits::LimitsReport) -> Vec<String> {
    let c = &limits.concurrency;
    let mut lines = Vec::new();
    match &limits.cgroup {
        Some(cgroup) => {
            let dirs: Vec<String> = cgroup
                .dirs
                .iter()
                .map(|d| format!("{} {} {}", d.controller, d.version, d.dir.display()))
                .collect();
            lines.push(format!(
                "limits: cgroup {} ({})",
                serde_json::to_value(cgroup.version)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                if dirs.is_empty() {
                    "no controllers".to_string()
                } else {
                    dirs.join(", ")
                }
            ));
        }
        None => lines.push("limits: cgroup unreadable".to_string()),
    }
    let quota = c.cpu.inputs.quota.map_or("none".to_string(), |q| {
        format!("{}/{} us", q.quota_us, q.period_us)
    });
    lines.push(format!(
        "limits: cpu: host {} CPUs, quota {quota}, cpuset {} -> {}.{:03} CPUs x {} agents per CPU = {} agents",
        c.cpu.inputs.host_cpus,
        opt(c.cpu.inputs.cpuset_cpus, "all"),
        c.cpu.effective_millicores / 1000,
        c.cpu.effective_millicores % 1000,
        c.cpu.inputs.agents_per_cpu,
        c.cpu.agents
    ));
    lines.push(format!(
        "limits: memory: cgroup limit {}, host {}, reserve {}, {} per agent -> {}",
        opt(c.memory.inputs.limit_bytes.map(mib), "none"),
        opt(c.memory.inputs.host_bytes.map(mib), "unknown"),
        mib(c.memory.inputs.reserve_bytes),
        mib(c.memory.inputs.per_agent_bytes),
        agents(c.memory.agents)
    ));
    lines.push(format!(
        "limits: pids: max {}, current {} (own {}), reserve {}, {} per agent -> {}",
        opt(c.pids.inputs.max, "none"),
        c.pids.inputs.current,
        c.pids.inputs.own_tasks,
        c.pids.inputs.reserve,
        c.pids.inputs.per_agent,
        agents(c.pids.agents)
    ));
    if let Some(n) = c.override_agents {
        lines.push(format!("limits: override: {n} agents"));
    }
    lines.push(format!(
        "limits: max concurrent agents: {} (decided by {}; executors: {})",
        c.max_concurrent_agents,
        c.decided_by,
        if limits.executors.is_empty() {
            "unknown".to_string()
        } else {
            limits.executors.join(", ")
        }
    ));
    lines
}
