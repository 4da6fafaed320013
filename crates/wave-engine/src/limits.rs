//! The concurrency figure of a launch: the process's cgroup limits and host facts
//! ([`wave_runtime::cgroup`]), the lane's executors and the user's knobs, fed to the pure rule
//! [`wave_core::plan::concurrency::derive`].
//!
//! Entry point: [`derive_limits`]. `wave launch` uses its figure as the default
//! `--max-concurrent-agents` and logs it; `wave doctor` prints every term ([`LimitsReport`]).
//! A cgroup tree that cannot be read does not stop anything: the terms it would have limited
//! count as unlimited and [`LimitsReport::warning`] says why.

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use serde::Serialize;
use wave_core::config::ExecutorId;
use wave_core::plan::concurrency::{
    agent_memory_budget, agent_pids_budget, derive, Concurrency, CpuInputs, Inputs, MemoryInputs,
    PidsInputs, DEFAULT_AGENTS_PER_CPU, MEMORY_RESERVE_BYTES, MIB, PIDS_RESERVE,
};
use wave_runtime::cgroup::{CgroupFs, CgroupVersion, ControllerDir};

use crate::lane::LoadedLane;

/// The user's knobs (flags or their environment variables; see `docs/limits.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitKnobs {
    /// `--max-concurrent-agents` / `WAVE_MAX_CONCURRENT_AGENTS`: wins over every term.
    pub override_agents: Option<NonZeroU32>,
    /// `--agents-per-cpu` / `WAVE_AGENTS_PER_CPU`.
    pub agents_per_cpu: NonZeroU32,
    /// `--agent-memory-mib` / `WAVE_AGENT_MEMORY_MIB`: replaces the per-executor budget.
    pub agent_memory_mib: Option<NonZeroU32>,
    /// `--agent-pids` / `WAVE_AGENT_PIDS`: replaces the per-executor budget.
    pub agent_pids: Option<NonZeroU32>,
}

impl Default for LimitKnobs {
    fn default() -> Self {
        LimitKnobs {
            override_agents: None,
            agents_per_cpu: NonZeroU32::new(DEFAULT_AGENTS_PER_CPU).unwrap_or(NonZeroU32::MIN),
            agent_memory_mib: None,
            agent_pids: None,
        }
    }
}

/// Where the cgroup limits were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CgroupSummary {
    /// The hierarchies seen.
    pub version: CgroupVersion,
    /// Each controller's directory.
    pub dirs: Vec<ControllerDir>,
}

/// The figure with every input, as `wave doctor --json` prints it under `limits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitsReport {
    /// The terms, the figure and the deciding term.
    #[serde(flatten)]
    pub concurrency: Concurrency,
    /// The executors whose budgets were used (the largest applies).
    pub executors: Vec<String>,
    /// Where the limits were read (`None` when the tree could not be read).
    pub cgroup: Option<CgroupSummary>,
    /// Why the cgroup limits could not be read, when they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl LimitsReport {
    /// One line for logs: `8 (decided by cpu)`.
    pub fn describe(&self) -> String {
        format!(
            "{} (decided by {})",
            self.concurrency.max_concurrent_agents, self.concurrency.decided_by
        )
    }
}

/// The executors a lane's agents run on (every wave that loaded).
pub fn lane_executors(loaded: &LoadedLane) -> BTreeSet<ExecutorId> {
    loaded
        .waves
        .iter()
        .flat_map(|w| w.agents.iter().map(|a| a.resolved.executor.id))
        .collect()
}

/// Derives the figure for agents running on `executors` (the largest budget applies; with none
/// known, a model CLI's budget is assumed), reading limits through `fs`.
pub fn derive_limits(
    fs: &CgroupFs,
    executors: &BTreeSet<ExecutorId>,
    knobs: &LimitKnobs,
) -> LimitsReport {
    let (cgroup, warning) = match fs.read_limits() {
        Ok(limits) => (Some(limits), None),
        Err(err) => (
            None,
            Some(format!(
                "cgroup limits could not be read ({err}); they are treated as unlimited"
            )),
        ),
    };
    let budget_of = |f: fn(ExecutorId) -> u64| {
        executors
            .iter()
            .map(|&e| f(e))
            .max()
            .unwrap_or_else(|| f(ExecutorId::Codex))
    };
    let per_agent_bytes = knobs.agent_memory_mib.map_or_else(
        || budget_of(agent_memory_budget),
        |m| u64::from(m.get()) * MIB,
    );
    let per_agent_pids = knobs
        .agent_pids
        .map_or_else(|| budget_of(agent_pids_budget), |p| u64::from(p.get()));
    let host_cpus = fs.host_cpus().unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(1))
    });
    let limits = cgroup.as_ref();
    let inputs = Inputs {
        cpu: CpuInputs {
            host_cpus,
            quota: limits.and_then(|l| l.cpu_quota),
            cpuset_cpus: limits.and_then(|l| l.cpuset_cpus),
            agents_per_cpu: knobs.agents_per_cpu.get(),
        },
        memory: MemoryInputs {
            limit_bytes: limits.and_then(|l| l.memory_max),
            host_bytes: fs.host_memory_bytes(),
            reserve_bytes: MEMORY_RESERVE_BYTES,
            per_agent_bytes,
        },
        pids: PidsInputs {
            max: limits.and_then(|l| l.pids).map(|p| p.max),
            current: limits.and_then(|l| l.pids).map_or(0, |p| p.current),
            own_tasks: fs.own_tasks().unwrap_or(1),
            reserve: PIDS_RESERVE,
            per_agent: per_agent_pids,
        },
        override_agents: knobs.override_agents,
    };
    LimitsReport {
        concurrency: derive(&inputs),
        executors: executors.iter().map(|e| e.as_str().to_string()).collect(),
        cgroup: cgroup.map(|l| CgroupSummary {
            version: l.version,
            dirs: l.dirs,
        }),
        warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    const MOUNTS: &str = "1 0 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

    #[test]
    fn budgets_follow_the_lane_executors_and_knobs() {
        let dir = fake(&[
            ("proc/self/cgroup", "0::/\n"),
            ("proc/self/mountinfo", MOUNTS),
            ("proc/self/status", "Threads:\t1\n"),
            ("sys/devices/system/cpu/online", "0-1\n"),
            ("sys/fs/cgroup/memory.max", "1342177280\n"),
            ("sys/fs/cgroup/pids.max", "64\n"),
            ("sys/fs/cgroup/pids.current", "1\n"),
        ]);
        let fs = CgroupFs::new(dir.path());
        let local = BTreeSet::from([ExecutorId::Local]);
        let r = derive_limits(&fs, &local, &LimitKnobs::default());
        assert_eq!(r.concurrency.cpu.agents, 8);
        assert_eq!(r.concurrency.memory.agents, Some(38));
        assert_eq!(r.concurrency.pids.agents, Some(9));
        assert_eq!(r.describe(), "8 (decided by cpu)");
        assert_eq!(r.executors, vec!["local"]);
        assert_eq!(r.warning, None);
        // A model CLI in the lane raises both budgets for every agent.
        let mixed = BTreeSet::from([ExecutorId::Local, ExecutorId::Claude]);
        let r = derive_limits(&fs, &mixed, &LimitKnobs::default());
        assert_eq!(r.concurrency.memory.agents, Some(2));
        assert_eq!(r.concurrency.pids.agents, Some(0));
        assert_eq!(r.describe(), "1 (decided by pids)");
        // Knobs replace the budgets; the override wins.
        let knobs = LimitKnobs {
            agent_memory_mib: NonZeroU32::new(100),
            agent_pids: NonZeroU32::new(11),
            agents_per_cpu: NonZeroU32::new(1).unwrap(),
            override_agents: None,
        };
        let r = derive_limits(&fs, &mixed, &knobs);
        assert_eq!(r.concurrency.memory.agents, Some(12));
        assert_eq!(r.concurrency.pids.agents, Some(5));
        assert_eq!(r.describe(), "2 (decided by cpu)");
        let r = derive_limits(
            &fs,
            &mixed,
            &LimitKnobs {
                override_agents: NonZeroU32::new(40),
                ..knobs
            },
        );
        assert_eq!(r.describe(), "40 (decided by override)");
    }

    #[test]
    fn an_unreadable_tree_is_a_warning_not_an_error() {
        let dir = fake(&[
            ("proc/self/cgroup", "0::/\n"),
            ("proc/self/mountinfo", MOUNTS),
            ("sys/fs/cgroup/pids.max", "lots\n"),
        ]);
        let r = derive_limits(
            &CgroupFs::new(dir.path()),
            &BTreeSet::new(),
            &LimitKnobs::default(),
        );
        assert!(r.warning.as_deref().unwrap().contains("pids.max"));
        assert_eq!(r.cgroup, None);
        assert_eq!(r.concurrency.pids.agents, None);
        assert!(r.concurrency.max_concurrent_agents >= 1);
        let v = serde_json::to_value(&r).unwrap();
        assert!(v["maxConcurrentAgents"].is_u64());
        assert!(v["cpu"]["agents"].is_u64());
    }
}
