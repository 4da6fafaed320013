//! How many agents may run at once, derived from the resources the process may use.
//!
//! Three terms, each "how many agents fit", and the smallest wins:
//!
//! - **cpu**: effective CPUs × `agents_per_cpu`. Effective CPUs is the minimum of the host's
//!   online CPUs, the CFS quota (`quota / period`, the tightest over the cgroup's ancestors, as
//!   Rust's `available_parallelism` reads it) and the size of the cpuset. Agents mostly wait on
//!   model APIs, so several share a CPU ([`DEFAULT_AGENTS_PER_CPU`]).
//! - **memory**: `(limit − reserve) / per-agent budget`, where the limit is the tightest
//!   `memory.max` / `memory.limit_in_bytes` over the ancestors, or the host's memory when no
//!   cgroup limits it, and the reserve keeps room for the supervisor and launcher.
//! - **pids**: `(pids.max − (pids.current − own tasks) − reserve) / per-agent pids`: the tasks
//!   (threads count) still free under the tightest `pids.max`, after what other processes
//!   already use and a reserve for the supervisor and launcher (the calling process's own
//!   tasks are part of that reserve, so `wave doctor` and `wave launch` agree).
//!
//! An explicit override (`--max-concurrent-agents`, `WAVE_MAX_CONCURRENT_AGENTS`) wins over all
//! three; the terms are still computed so `wave doctor` can print them. The result is never
//! below 1. A term whose resource is unlimited does not take part.
//!
//! The entry point is [`derive`]; the numbers come from `wave_runtime::cgroup` and the lane's
//! executors ([`agent_memory_budget`], [`agent_pids_budget`]).

use std::fmt;
use std::num::NonZeroU32;

use serde::Serialize;

use crate::config::ExecutorId;

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

/// Agents per effective CPU when nothing else is said: agents spend most of their time waiting
/// on model APIs, not computing.
pub const DEFAULT_AGENTS_PER_CPU: u32 = 4;

/// Memory kept for the supervisor and launcher before agents are counted (64 MiB).
pub const MEMORY_RESERVE_BYTES: u64 = 64 * MIB;

/// Tasks kept for the supervisor, the launcher (main and signal threads) and short-lived
/// helpers (`docker exec wave status`, a doctor run) before agents are counted.
pub const PIDS_RESERVE: u64 = 8;

/// Memory budget of one agent on the built-in `local` executor: the runner, `bash`, the
/// executor and `tee` are a few MiB each.
pub const LOCAL_AGENT_MEMORY_BYTES: u64 = 32 * MIB;

/// Memory budget of one agent on a model CLI (codex, claude, opencode): a Node.js (or large
/// native) process with its heap, plus the shells and tools it starts.
pub const CLI_AGENT_MEMORY_BYTES: u64 = 512 * MIB;

/// Tasks one `local` agent uses, measured: the launcher's waiter thread, the runner, `bash`,
/// the executor and `tee` (5), plus the short-lived intermediate of the runner's double fork.
pub const LOCAL_AGENT_PIDS: u64 = 6;

/// Tasks budgeted for one agent on a model CLI: the same 5 plus the CLI's threads (a Node.js
/// process has about a dozen) and the shells, `git` and search tools it runs.
pub const CLI_AGENT_PIDS: u64 = 64;

/// The default memory budget of one agent on `executor`.
pub fn agent_memory_budget(executor: ExecutorId) -> u64 {
    match executor {
        ExecutorId::Local => LOCAL_AGENT_MEMORY_BYTES,
        ExecutorId::Codex | ExecutorId::Claude | ExecutorId::Opencode => CLI_AGENT_MEMORY_BYTES,
    }
}

/// The default tasks budget of one agent on `executor`.
pub fn agent_pids_budget(executor: ExecutorId) -> u64 {
    match executor {
        ExecutorId::Local => LOCAL_AGENT_PIDS,
        ExecutorId::Codex | ExecutorId::Claude | ExecutorId::Opencode => CLI_AGENT_PIDS,
    }
}

/// A CFS bandwidth limit: `quota_us` of CPU time per `period_us`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuQuota {
    /// CPU time per period, in microseconds.
    pub quota_us: u64,
    /// The period, in microseconds (never 0 in a valid limit).
    pub period_us: u64,
}

impl CpuQuota {
    /// The limit in thousandths of a CPU (at least 1); `None` for a zero period.
    pub fn millicores(&self) -> Option<u64> {
        if self.period_us == 0 {
            return None;
        }
        let m = u128::from(self.quota_us) * 1000 / u128::from(self.period_us);
        Some(u64::try_from(m).unwrap_or(u64::MAX).max(1))
    }
}

/// What the cpu term is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuInputs {
    /// The host's online CPUs (0 is read as 1).
    pub host_cpus: u32,
    /// The tightest CFS quota over the cgroup and its ancestors; `None`: no quota.
    pub quota: Option<CpuQuota>,
    /// CPUs in the cgroup's effective cpuset; `None`: not restricted or unknown.
    pub cpuset_cpus: Option<u32>,
    /// Agents per effective CPU.
    pub agents_per_cpu: u32,
}

/// What the memory term is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryInputs {
    /// The tightest cgroup memory limit over the ancestors; `None`: no limit.
    pub limit_bytes: Option<u64>,
    /// The host's memory (`MemTotal`); `None`: unknown.
    pub host_bytes: Option<u64>,
    /// Kept for the supervisor and launcher.
    pub reserve_bytes: u64,
    /// One agent's budget (0 is read as 1 byte).
    pub per_agent_bytes: u64,
}

/// What the pids term is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PidsInputs {
    /// The tightest `pids.max` over the ancestors; `None`: no limit.
    pub max: Option<u64>,
    /// Tasks in use at that level (`pids.current`).
    pub current: u64,
    /// Tasks of the calling process itself, part of the reserve (not counted twice).
    pub own_tasks: u64,
    /// Kept for the supervisor and launcher.
    pub reserve: u64,
    /// One agent's tasks (0 is read as 1).
    pub per_agent: u64,
}

/// Everything [`derive`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inputs {
    /// The cpu term's inputs.
    pub cpu: CpuInputs,
    /// The memory term's inputs.
    pub memory: MemoryInputs,
    /// The pids term's inputs.
    pub pids: PidsInputs,
    /// An explicit figure that wins over the terms.
    pub override_agents: Option<NonZeroU32>,
}

/// The cpu term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuTerm {
    /// Its inputs.
    #[serde(flatten)]
    pub inputs: CpuInputs,
    /// The minimum of host CPUs, quota and cpuset, in thousandths of a CPU.
    pub effective_millicores: u64,
    /// Agents that fit (may be 0; the result is still at least 1).
    pub agents: u32,
}

/// The memory term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryTerm {
    /// Its inputs.
    #[serde(flatten)]
    pub inputs: MemoryInputs,
    /// The limit that applies: the cgroup limit, else the host's memory; `None`: unlimited.
    pub effective_bytes: Option<u64>,
    /// Agents that fit; `None`: unlimited (the term takes no part).
    pub agents: Option<u32>,
}

/// The pids term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PidsTerm {
    /// Its inputs.
    #[serde(flatten)]
    pub inputs: PidsInputs,
    /// Tasks free for agents; `None`: unlimited.
    pub headroom: Option<u64>,
    /// Agents that fit; `None`: unlimited (the term takes no part).
    pub agents: Option<u32>,
}

/// Which term set the figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DecidedBy {
    /// CPUs × agents per CPU.
    Cpu,
    /// Memory headroom / per-agent budget.
    Memory,
    /// Pids headroom / per-agent pids.
    Pids,
    /// `--max-concurrent-agents` or `WAVE_MAX_CONCURRENT_AGENTS`.
    Override,
}

impl DecidedBy {
    /// The lower-case name printed and serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            DecidedBy::Cpu => "cpu",
            DecidedBy::Memory => "memory",
            DecidedBy::Pids => "pids",
            DecidedBy::Override => "override",
        }
    }
}

impl fmt::Display for DecidedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The derived figure with every term, for `wave doctor` and the launcher's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Concurrency {
    /// The cpu term.
    pub cpu: CpuTerm,
    /// The memory term.
    pub memory: MemoryTerm,
    /// The pids term.
    pub pids: PidsTerm,
    /// The explicit override, when one was given.
    #[serde(rename = "override")]
    pub override_agents: Option<u32>,
    /// Most agents running at once (at least 1).
    pub max_concurrent_agents: u32,
    /// The term that set it.
    pub decided_by: DecidedBy,
}

fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn cpu_term(inputs: CpuInputs) -> CpuTerm {
    let host = u64::from(inputs.host_cpus.max(1)) * 1000;
    let quota = inputs
        .quota
        .and_then(|q| q.millicores())
        .unwrap_or(u64::MAX);
    let cpuset = inputs
        .cpuset_cpus
        .filter(|&n| n > 0)
        .map_or(u64::MAX, |n| u64::from(n) * 1000);
    let effective = host.min(quota).min(cpuset);
    let agents = u128::from(effective) * u128::from(inputs.agents_per_cpu) / 1000;
    CpuTerm {
        inputs,
        effective_millicores: effective,
        agents: u32::try_from(agents).unwrap_or(u32::MAX),
    }
}

fn memory_term(inputs: MemoryInputs) -> MemoryTerm {
    let effective = match (inputs.limit_bytes, inputs.host_bytes) {
        (Some(limit), Some(host)) => Some(limit.min(host)),
        (limit, host) => limit.or(host),
    };
    let agents = effective.map(|bytes| {
        clamp_u32(bytes.saturating_sub(inputs.reserve_bytes) / inputs.per_agent_bytes.max(1))
    });
    MemoryTerm {
        inputs,
        effective_bytes: effective,
        agents,
    }
}

fn pids_term(inputs: PidsInputs) -> PidsTerm {
    let headroom = inputs.max.map(|max| {
        let others = inputs.current.saturating_sub(inputs.own_tasks);
        max.saturating_sub(others).saturating_sub(inputs.reserve)
    });
    PidsTerm {
        inputs,
        headroom,
        agents: headroom.map(|h| clamp_u32(h / inputs.per_agent.max(1))),
    }
}

/// Derives the figure: the override if given, else the smallest term (cpu before memory before
/// pids on a tie), never below 1.
pub fn derive(inputs: &Inputs) -> Concurrency {
    let cpu = cpu_term(inputs.cpu);
    let memory = memory_term(inputs.memory);
    let pids = pids_term(inputs.pids);
    let (max, decided_by) = match inputs.override_agents {
        Some(n) => (n.get(), DecidedBy::Override),
        None => {
            let mut best = (cpu.agents, DecidedBy::Cpu);
            for (agents, by) in [
                (memory.agents, DecidedBy::Memory),
                (pids.agents, DecidedBy::Pids),
            ] {
                if let Some(a) = agents.filter(|&a| a < best.0) {
                    best = (a, by);
                }
            }
            (best.0.max(1), best.1)
        }
    };
    Concurrency {
        cpu,
        memory,
        pids,
        override_agents: inputs.override_agents.map(NonZeroU32::get),
        max_concurrent_agents: max,
        decided_by,
    }
}

#[cfg(test)]
mod tests;
