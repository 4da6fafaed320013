//! The concurrency rule: each term, the minimum, ties, the floor of 1, the override, and
//! properties over arbitrary inputs.

use std::num::NonZeroU32;

use proptest::prelude::*;

use super::*;

fn unlimited(host_cpus: u32) -> Inputs {
    Inputs {
        cpu: CpuInputs {
            host_cpus,
            quota: None,
            cpuset_cpus: None,
            agents_per_cpu: DEFAULT_AGENTS_PER_CPU,
        },
        memory: MemoryInputs {
            limit_bytes: None,
            host_bytes: None,
            reserve_bytes: MEMORY_RESERVE_BYTES,
            per_agent_bytes: LOCAL_AGENT_MEMORY_BYTES,
        },
        pids: PidsInputs {
            max: None,
            current: 0,
            own_tasks: 0,
            reserve: PIDS_RESERVE,
            per_agent: LOCAL_AGENT_PIDS,
        },
        override_agents: None,
    }
}

fn quota(quota_us: u64, period_us: u64) -> Option<CpuQuota> {
    Some(CpuQuota {
        quota_us,
        period_us,
    })
}

#[test]
fn host_cpus_alone_give_four_agents_per_cpu() {
    let c = derive(&unlimited(2));
    assert_eq!(c.max_concurrent_agents, 8);
    assert_eq!(c.decided_by, DecidedBy::Cpu);
    assert_eq!(c.cpu.effective_millicores, 2000);
    assert_eq!(c.memory.agents, None);
    assert_eq!(c.pids.agents, None);
    assert_eq!(c.override_agents, None);
}

#[test]
fn zero_host_cpus_count_as_one() {
    assert_eq!(derive(&unlimited(0)).max_concurrent_agents, 4);
}

#[test]
fn cpu_quota_is_fractional() {
    let mut i = unlimited(2);
    i.cpu.quota = quota(50_000, 100_000);
    let c = derive(&i);
    assert_eq!(
        (c.cpu.effective_millicores, c.max_concurrent_agents),
        (500, 2)
    );
    i.cpu.quota = quota(150_000, 100_000);
    assert_eq!(derive(&i).max_concurrent_agents, 6);
    // A quota above the host's CPUs does not raise the figure.
    i.cpu.quota = quota(800_000, 100_000);
    assert_eq!(derive(&i).max_concurrent_agents, 8);
    // A zero period is not a limit.
    i.cpu.quota = quota(50_000, 0);
    assert_eq!(derive(&i).max_concurrent_agents, 8);
}

#[test]
fn tiny_quota_still_allows_one_agent() {
    let mut i = unlimited(2);
    i.cpu.quota = quota(1, 100_000);
    let c = derive(&i);
    assert_eq!(c.cpu.effective_millicores, 1);
    assert_eq!(c.cpu.agents, 0);
    assert_eq!(c.max_concurrent_agents, 1);
    assert_eq!(c.decided_by, DecidedBy::Cpu);
}

#[test]
fn cpuset_limits_cpus() {
    let mut i = unlimited(8);
    i.cpu.cpuset_cpus = Some(1);
    assert_eq!(derive(&i).max_concurrent_agents, 4);
    // An empty cpuset reading is ignored rather than read as zero CPUs.
    i.cpu.cpuset_cpus = Some(0);
    assert_eq!(derive(&i).max_concurrent_agents, 32);
    // The smallest of host, quota and cpuset wins.
    i.cpu.cpuset_cpus = Some(3);
    i.cpu.quota = quota(250_000, 100_000);
    assert_eq!(derive(&i).cpu.effective_millicores, 2500);
}

#[test]
fn agents_per_cpu_scales_the_cpu_term() {
    let mut i = unlimited(2);
    i.cpu.agents_per_cpu = 1;
    assert_eq!(derive(&i).max_concurrent_agents, 2);
    i.cpu.agents_per_cpu = 0;
    assert_eq!(derive(&i).max_concurrent_agents, 1, "never below 1");
    i.cpu.agents_per_cpu = u32::MAX;
    assert_eq!(derive(&i).max_concurrent_agents, u32::MAX);
}

#[test]
fn memory_limit_minus_reserve_over_budget() {
    let mut i = unlimited(2);
    i.memory.limit_bytes = Some(256 * MIB);
    let c = derive(&i);
    assert_eq!(c.memory.effective_bytes, Some(256 * MIB));
    assert_eq!(c.memory.agents, Some(6));
    assert_eq!(
        (c.max_concurrent_agents, c.decided_by),
        (6, DecidedBy::Memory)
    );
    // Node CLIs need far more.
    i.memory.per_agent_bytes = CLI_AGENT_MEMORY_BYTES;
    i.memory.limit_bytes = Some(2048 * MIB);
    assert_eq!(derive(&i).memory.agents, Some(3));
}

#[test]
fn memory_below_the_reserve_still_allows_one_agent() {
    let mut i = unlimited(2);
    i.memory.limit_bytes = Some(10 * MIB);
    let c = derive(&i);
    assert_eq!(c.memory.agents, Some(0));
    assert_eq!(
        (c.max_concurrent_agents, c.decided_by),
        (1, DecidedBy::Memory)
    );
}

#[test]
fn host_memory_counts_when_no_cgroup_limit() {
    let mut i = unlimited(64);
    i.memory.host_bytes = Some(1024 * MIB);
    let c = derive(&i);
    assert_eq!(c.memory.agents, Some(30));
    assert_eq!(c.decided_by, DecidedBy::Memory);
    // The smaller of limit and host memory applies.
    i.memory.limit_bytes = Some(4096 * MIB);
    assert_eq!(derive(&i).memory.effective_bytes, Some(1024 * MIB));
    i.memory.limit_bytes = Some(512 * MIB);
    assert_eq!(derive(&i).memory.effective_bytes, Some(512 * MIB));
}

#[test]
fn zero_memory_budget_is_read_as_one_byte() {
    let mut i = unlimited(2);
    i.memory.limit_bytes = Some(MEMORY_RESERVE_BYTES + 5);
    i.memory.per_agent_bytes = 0;
    assert_eq!(derive(&i).memory.agents, Some(5));
}

#[test]
fn pids_headroom_over_budget() {
    let mut i = unlimited(2);
    i.pids.max = Some(24);
    i.pids.current = 1;
    i.pids.own_tasks = 1;
    let c = derive(&i);
    assert_eq!(c.pids.headroom, Some(16));
    assert_eq!(c.pids.agents, Some(2));
    assert_eq!(
        (c.max_concurrent_agents, c.decided_by),
        (2, DecidedBy::Pids)
    );
    i.pids.max = Some(64);
    assert_eq!(derive(&i).pids.agents, Some(9));
}

#[test]
fn pids_used_by_other_processes_reduce_the_headroom() {
    let mut i = unlimited(2);
    i.pids.max = Some(64);
    i.pids.current = 20;
    i.pids.own_tasks = 2;
    // 64 - 18 others - 8 reserve = 38 → 6 agents.
    let c = derive(&i);
    assert_eq!(c.pids.headroom, Some(38));
    assert_eq!(c.pids.agents, Some(6));
    // A reading below the own tasks (racy counters) is not negative.
    i.pids.current = 1;
    i.pids.own_tasks = 3;
    assert_eq!(derive(&i).pids.headroom, Some(56));
}

#[test]
fn exhausted_pids_still_allow_one_agent() {
    let mut i = unlimited(2);
    i.pids.max = Some(10);
    i.pids.current = 50;
    let c = derive(&i);
    assert_eq!(c.pids.headroom, Some(0));
    assert_eq!(
        (c.max_concurrent_agents, c.decided_by),
        (1, DecidedBy::Pids)
    );
    i.pids.per_agent = 0;
    assert_eq!(derive(&i).pids.agents, Some(0));
}

#[test]
fn ties_go_to_the_earlier_term() {
    let mut i = unlimited(1);
    // cpu: 4; memory: (64 + 4·32 MiB − 64) / 32 = 4; pids: (8 + 24) − 8 = 24 / 6 = 4.
    i.memory.limit_bytes = Some(MEMORY_RESERVE_BYTES + 4 * LOCAL_AGENT_MEMORY_BYTES);
    i.pids.max = Some(PIDS_RESERVE + 4 * LOCAL_AGENT_PIDS);
    assert_eq!(derive(&i).decided_by, DecidedBy::Cpu);
    i.cpu.host_cpus = 2;
    assert_eq!(derive(&i).decided_by, DecidedBy::Memory);
    i.memory.limit_bytes = None;
    assert_eq!(derive(&i).decided_by, DecidedBy::Pids);
}

#[test]
fn the_override_wins_but_terms_are_still_computed() {
    let mut i = unlimited(2);
    i.pids.max = Some(24);
    i.override_agents = NonZeroU32::new(50);
    let c = derive(&i);
    assert_eq!(
        (c.max_concurrent_agents, c.decided_by),
        (50, DecidedBy::Override)
    );
    assert_eq!(c.override_agents, Some(50));
    assert_eq!(c.pids.agents, Some(2));
    assert_eq!(c.cpu.agents, 8);
}

#[test]
fn json_shape_is_camel_case_with_flattened_inputs() {
    let mut i = unlimited(2);
    i.cpu.quota = quota(50_000, 100_000);
    i.pids.max = Some(64);
    let v = serde_json::to_value(derive(&i)).unwrap();
    assert_eq!(v["maxConcurrentAgents"], 2);
    assert_eq!(v["decidedBy"], "cpu");
    assert_eq!(v["cpu"]["hostCpus"], 2);
    assert_eq!(v["cpu"]["quota"]["quotaUs"], 50_000);
    assert_eq!(v["cpu"]["agentsPerCpu"], 4);
    assert_eq!(v["cpu"]["agents"], 2);
    assert_eq!(v["memory"]["limitBytes"], serde_json::Value::Null);
    assert_eq!(v["memory"]["perAgentBytes"], 32 * MIB);
    assert_eq!(v["memory"]["agents"], serde_json::Value::Null);
    assert_eq!(v["pids"]["max"], 64);
    assert_eq!(v["pids"]["perAgent"], 6);
    assert_eq!(v["pids"]["agents"], 9);
    assert_eq!(v["override"], serde_json::Value::Null);
}

#[test]
fn executor_budgets() {
    assert_eq!(agent_memory_budget(ExecutorId::Local), 32 * MIB);
    for e in [ExecutorId::Codex, ExecutorId::Claude, ExecutorId::Opencode] {
        assert_eq!(agent_memory_budget(e), 512 * MIB);
        assert_eq!(agent_pids_budget(e), CLI_AGENT_PIDS);
    }
    assert_eq!(agent_pids_budget(ExecutorId::Local), LOCAL_AGENT_PIDS);
    for by in [
        DecidedBy::Cpu,
        DecidedBy::Memory,
        DecidedBy::Pids,
        DecidedBy::Override,
    ] {
        assert_eq!(
            serde_json::to_value(by).unwrap(),
            serde_json::Value::String(by.to_string())
        );
    }
}

fn arb_inputs() -> impl Strategy<Value = Inputs> {
    (
        (
            0u32..512,
            proptest::option::of((0u64..10_000_000, 0u64..1_000_000)),
            proptest::option::of(0u32..512),
            0u32..64,
        ),
        (
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
            0u64..(1 << 40),
            0u64..(1 << 36),
        ),
        (
            proptest::option::of(0u64..1_000_000),
            0u64..1_000_000,
            0u64..100,
            0u64..100,
            0u64..200,
        ),
        proptest::option::of(1u32..10_000),
    )
        .prop_map(|(c, m, p, o)| Inputs {
            cpu: CpuInputs {
                host_cpus: c.0,
                quota: c.1.map(|(q, p)| CpuQuota {
                    quota_us: q,
                    period_us: p,
                }),
                cpuset_cpus: c.2,
                agents_per_cpu: c.3,
            },
            memory: MemoryInputs {
                limit_bytes: m.0,
                host_bytes: m.1,
                reserve_bytes: m.2,
                per_agent_bytes: m.3,
            },
            pids: PidsInputs {
                max: p.0,
                current: p.1,
                own_tasks: p.2,
                reserve: p.3,
                per_agent: p.4,
            },
            override_agents: o.and_then(NonZeroU32::new),
        })
}

proptest! {
    #[test]
    fn result_is_at_least_one_and_the_deciding_term_is_the_minimum(i in arb_inputs()) {
        let c = derive(&i);
        prop_assert!(c.max_concurrent_agents >= 1);
        if let Some(o) = i.override_agents {
            prop_assert_eq!(c.max_concurrent_agents, o.get());
            prop_assert_eq!(c.decided_by, DecidedBy::Override);
        } else {
            let terms = [Some(c.cpu.agents), c.memory.agents, c.pids.agents];
            let min = terms.iter().flatten().copied().min().unwrap();
            prop_assert_eq!(c.max_concurrent_agents, min.max(1));
            let decided = match c.decided_by {
                DecidedBy::Cpu => Some(c.cpu.agents),
                DecidedBy::Memory => c.memory.agents,
                DecidedBy::Pids => c.pids.agents,
                DecidedBy::Override => None,
            };
            prop_assert_eq!(decided, Some(min));
        }
        prop_assert!(c.cpu.effective_millicores <= u64::from(i.cpu.host_cpus.max(1)) * 1000);
    }

    #[test]
    fn tighter_limits_never_raise_the_figure(i in arb_inputs(), cut in 1u64..1000) {
        let mut i = i;
        i.override_agents = None;
        let before = derive(&i).max_concurrent_agents;
        let mut tighter = i;
        tighter.pids.max = Some(i.pids.max.unwrap_or(u64::MAX / 2).saturating_sub(cut));
        tighter.memory.limit_bytes =
            Some(i.memory.limit_bytes.unwrap_or(u64::MAX / 2).saturating_sub(cut * MIB));
        tighter.cpu.cpuset_cpus = Some(match i.cpu.cpuset_cpus {
            Some(n) if n > 1 => n - 1,
            Some(n) => n,
            None => i.cpu.host_cpus.max(1),
        });
        prop_assert!(derive(&tighter).max_concurrent_agents <= before);
    }
}
