//! The readers against fake cgroupfs trees in temp dirs: v1, v2, hybrid, nested ancestors
//! (the tighter limit wins), `max`, cpusets, missing files, bad values and the Docker-v1
//! host-namespace path mapping.

use std::path::Path;

use super::*;

/// A fake root: `proc/self/{cgroup,mountinfo}` and cgroup files under it.
struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new(proc_cgroup: &str, mountinfo: &str) -> Fake {
        let fake = Fake {
            dir: tempfile::tempdir().unwrap(),
        };
        fake.file("proc/self/cgroup", proc_cgroup);
        fake.file("proc/self/mountinfo", mountinfo);
        fake
    }

    fn file(&self, rel: &str, text: &str) -> &Fake {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    fn fs(&self) -> CgroupFs {
        CgroupFs::new(self.dir.path())
    }

    fn limits(&self) -> CgroupLimits {
        self.fs().read_limits().unwrap()
    }
}

const V1_MOUNTS: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

const V1_CGROUP: &str = "\
9:name=systemd:/
8:pids:/svc/job
4:memory:/svc/job
3:cpuset:/svc/job
2:cpu,cpuacct:/svc/job
0::/
";

fn v1_host() -> Fake {
    let f = Fake::new(V1_CGROUP, V1_MOUNTS);
    // Root level: no limits, as the kernel shows them.
    f.file("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n")
        .file("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n")
        .file(
            "sys/fs/cgroup/memory/memory.limit_in_bytes",
            "9223372036854771712\n",
        )
        .file("sys/fs/cgroup/cpuset/cpuset.cpus", "0-7\n");
    f
}

#[test]
fn v1_nested_ancestors_the_tighter_limit_wins() {
    let f = v1_host();
    let cpu = "sys/fs/cgroup/cpu,cpuacct";
    f.file(&format!("{cpu}/svc/cpu.cfs_quota_us"), "150000\n")
        .file(&format!("{cpu}/svc/cpu.cfs_period_us"), "100000\n")
        .file(&format!("{cpu}/svc/job/cpu.cfs_quota_us"), "-1\n")
        .file(&format!("{cpu}/svc/job/cpu.cfs_period_us"), "100000\n")
        .file(
            "sys/fs/cgroup/memory/svc/memory.limit_in_bytes",
            "1073741824\n",
        )
        .file(
            "sys/fs/cgroup/memory/svc/job/memory.limit_in_bytes",
            "268435456\n",
        )
        .file("sys/fs/cgroup/cpuset/svc/job/cpuset.cpus", "0-3,5\n")
        .file("sys/fs/cgroup/pids/svc/pids.max", "30\n")
        .file("sys/fs/cgroup/pids/svc/pids.current", "20\n")
        .file("sys/fs/cgroup/pids/svc/job/pids.max", "64\n")
        .file("sys/fs/cgroup/pids/svc/job/pids.current", "4\n");
    let l = f.limits();
    assert_eq!(l.version, CgroupVersion::V1);
    assert_eq!(
        l.cpu_quota,
        Some(CpuQuota {
            quota_us: 150_000,
            period_us: 100_000
        }),
        "the parent's quota applies when the leaf has none"
    );
    assert_eq!(l.memory_max, Some(268_435_456), "the child is tighter");
    assert_eq!(l.cpuset_cpus, Some(5));
    assert_eq!(
        l.pids,
        Some(PidsLimit {
            max: 30,
            current: 20
        }),
        "the parent has less headroom (10 < 60)"
    );
    let dirs: Vec<_> = l.dirs.iter().map(|d| (d.controller, d.version)).collect();
    assert_eq!(
        dirs,
        vec![
            ("cpu", "v1"),
            ("cpuset", "v1"),
            ("memory", "v1"),
            ("pids", "v1")
        ]
    );
    assert_eq!(
        l.dirs[2].dir,
        Path::new("/sys/fs/cgroup/memory/svc/job"),
        "printed without the injected root"
    );
}

#[test]
fn v1_tighter_quota_in_the_leaf_wins_and_huge_memory_is_unlimited() {
    let f = v1_host();
    let cpu = "sys/fs/cgroup/cpu,cpuacct";
    f.file(&format!("{cpu}/svc/cpu.cfs_quota_us"), "150000\n")
        .file(&format!("{cpu}/svc/cpu.cfs_period_us"), "100000\n")
        .file(&format!("{cpu}/svc/job/cpu.cfs_quota_us"), "25000\n")
        .file(&format!("{cpu}/svc/job/cpu.cfs_period_us"), "50000\n")
        .file(
            "sys/fs/cgroup/memory/svc/job/memory.limit_in_bytes",
            "9223372036854771712\n",
        );
    let l = f.limits();
    assert_eq!(
        l.cpu_quota,
        Some(CpuQuota {
            quota_us: 25_000,
            period_us: 50_000
        })
    );
    assert_eq!(l.memory_max, None);
    assert_eq!(l.pids, None, "no pids files: unlimited");
    assert_eq!(l.cpuset_cpus, Some(8), "the root's cpuset");
}

#[test]
fn docker_v1_sharing_the_host_cgroup_namespace_maps_through_the_mount_root() {
    // Docker 20.10 on v1: /proc/self/cgroup names the host path, the mounts' root is that
    // path, and the container's own limits sit at the mount points.
    let id = "0123456789abcdef";
    let cgroup = format!(
        "12:pids:/docker/{id}\n6:memory:/docker/{id}\n4:cpuset:/docker/{id}\n\
         3:cpu,cpuacct:/docker/{id}\n1:name=systemd:/docker/{id}\n0::/system.slice/containerd.service\n"
    );
    let mounts = format!(
        "700 690 0:60 / / rw - overlay overlay rw\n\
         710 700 0:63 / /sys/fs/cgroup ro - tmpfs tmpfs rw,mode=755\n\
         711 710 0:29 /docker/{id} /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n\
         712 710 0:31 /docker/{id} /sys/fs/cgroup/cpuset ro - cgroup cgroup rw,cpuset\n\
         713 710 0:32 /docker/{id} /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n\
         714 710 0:36 /docker/{id} /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids\n"
    );
    let f = Fake::new(&cgroup, &mounts);
    f.file("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "50000\n")
        .file("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n")
        .file("sys/fs/cgroup/cpuset/cpuset.cpus", "0\n")
        .file("sys/fs/cgroup/cpuset/cpuset.effective_cpus", "0\n")
        .file("sys/fs/cgroup/memory/memory.limit_in_bytes", "268435456\n")
        .file("sys/fs/cgroup/pids/pids.max", "24\n")
        .file("sys/fs/cgroup/pids/pids.current", "1\n");
    let l = f.limits();
    assert_eq!(l.version, CgroupVersion::V1);
    assert_eq!(l.cpu_quota.and_then(|q| q.millicores()), Some(500), "{l:?}");
    assert_eq!(l.cpuset_cpus, Some(1));
    assert_eq!(l.memory_max, Some(268_435_456));
    assert_eq!(
        l.pids,
        Some(PidsLimit {
            max: 24,
            current: 1
        })
    );
    assert_eq!(l.dirs[3].dir, Path::new("/sys/fs/cgroup/pids"));
}

#[test]
fn a_path_outside_the_mount_root_falls_back_to_the_mount_point() {
    let f = Fake::new(
        "5:pids:/elsewhere/x\n",
        "39 31 0:36 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n",
    );
    f.file("sys/fs/cgroup/pids/pids.max", "50\n");
    assert_eq!(
        f.limits().pids,
        Some(PidsLimit {
            max: 50,
            current: 0
        })
    );
    // A mapped path that does not exist here also falls back.
    let g = Fake::new(
        "5:pids:/gone\n",
        "39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n",
    );
    g.file("sys/fs/cgroup/pids/pids.max", "40\n");
    assert_eq!(g.limits().pids.map(|p| p.max), Some(40));
}

const V2_MOUNTS: &str = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";

#[test]
fn v2_nested_ancestors_and_max_values() {
    let f = Fake::new("0::/a/b\n", V2_MOUNTS);
    let root = "sys/fs/cgroup";
    f.file(
        &format!("{root}/cgroup.controllers"),
        "cpuset cpu io memory pids\n",
    )
    .file(&format!("{root}/a/cpu.max"), "50000 100000\n")
    .file(&format!("{root}/a/b/cpu.max"), "max 100000\n")
    .file(&format!("{root}/a/memory.max"), "536870912\n")
    .file(&format!("{root}/a/b/memory.max"), "max\n")
    .file(&format!("{root}/a/b/cpuset.cpus.effective"), "0-1\n")
    .file(&format!("{root}/a/pids.max"), "max\n")
    .file(&format!("{root}/a/pids.current"), "40\n")
    .file(&format!("{root}/a/b/pids.max"), "100\n")
    .file(&format!("{root}/a/b/pids.current"), "7\n");
    let l = f.limits();
    assert_eq!(l.version, CgroupVersion::V2);
    assert_eq!(
        l.cpu_quota,
        Some(CpuQuota {
            quota_us: 50_000,
            period_us: 100_000
        })
    );
    assert_eq!(l.memory_max, Some(536_870_912));
    assert_eq!(l.cpuset_cpus, Some(2));
    assert_eq!(
        l.pids,
        Some(PidsLimit {
            max: 100,
            current: 7
        })
    );
    assert!(l.dirs.iter().all(|d| d.version == "v2"));
    assert_eq!(l.dirs[0].dir, Path::new("/sys/fs/cgroup/a/b"));
}

#[test]
fn v2_leaf_tighter_than_parent_and_quota_without_period() {
    let f = Fake::new("0::/a/b\n", V2_MOUNTS);
    let root = "sys/fs/cgroup";
    f.file(&format!("{root}/a/cpu.max"), "200000 100000\n")
        .file(&format!("{root}/a/b/cpu.max"), "30000\n")
        .file(&format!("{root}/a/memory.max"), "536870912\n")
        .file(&format!("{root}/a/b/memory.max"), "268435456\n");
    let l = f.limits();
    assert_eq!(l.cpu_quota.and_then(|q| q.millicores()), Some(300));
    assert_eq!(l.memory_max, Some(268_435_456));
}

#[test]
fn v2_private_namespace_reads_the_mount_root() {
    // Docker with a private cgroup namespace on v2: "0::/" and the container's limits at the
    // mount point.
    let f = Fake::new("0::/\n", V2_MOUNTS);
    f.file("sys/fs/cgroup/cpu.max", "150000 100000\n")
        .file("sys/fs/cgroup/pids.max", "64\n")
        .file("sys/fs/cgroup/pids.current", "2\n");
    let l = f.limits();
    assert_eq!(l.cpu_quota.and_then(|q| q.millicores()), Some(1500));
    assert_eq!(
        l.pids,
        Some(PidsLimit {
            max: 64,
            current: 2
        })
    );
}

#[test]
fn hybrid_reads_v1_controllers_from_v1_and_the_rest_from_v2() {
    let mounts = "\
32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
";
    let f = Fake::new("2:cpu:/j\n0::/j\n", mounts);
    f.file("sys/fs/cgroup/cpu/j/cpu.cfs_quota_us", "100000\n")
        .file("sys/fs/cgroup/cpu/j/cpu.cfs_period_us", "100000\n")
        .file("sys/fs/cgroup/unified/cgroup.controllers", "memory pids\n")
        .file("sys/fs/cgroup/unified/j/memory.max", "1048576000\n")
        .file("sys/fs/cgroup/unified/j/pids.max", "12\n");
    let l = f.limits();
    assert_eq!(l.version, CgroupVersion::Hybrid);
    assert_eq!(l.cpu_quota.and_then(|q| q.millicores()), Some(1000));
    assert_eq!(l.memory_max, Some(1_048_576_000));
    assert_eq!(l.pids.map(|p| p.max), Some(12));
    let versions: Vec<_> = l.dirs.iter().map(|d| (d.controller, d.version)).collect();
    assert_eq!(
        versions,
        vec![
            ("cpu", "v1"),
            ("cpuset", "v2"),
            ("memory", "v2"),
            ("pids", "v2")
        ]
    );
}

#[test]
fn missing_files_and_hierarchies_are_unlimited() {
    let f = Fake::new(V1_CGROUP, V1_MOUNTS);
    let l = f.limits();
    assert_eq!(
        (l.cpu_quota, l.cpuset_cpus, l.memory_max, l.pids),
        (None, None, None, None)
    );
    // No /proc/self/cgroup, no mountinfo: nothing to read, nothing limited.
    let empty = tempfile::tempdir().unwrap();
    let l = CgroupFs::new(empty.path()).read_limits().unwrap();
    assert_eq!(l.version, CgroupVersion::None);
    assert!(l.dirs.is_empty());
    assert_eq!(l.pids, None);
}

#[test]
fn bad_values_are_errors_naming_the_file() {
    for (file, text) in [
        ("cpu.max", "lots 100000"),
        ("cpu.max", "1 2 3"),
        ("memory.max", "-5"),
        ("pids.max", "many"),
        ("cpuset.cpus.effective", "0-x"),
    ] {
        let f = Fake::new("0::/\n", V2_MOUNTS);
        f.file(&format!("sys/fs/cgroup/{file}"), text);
        let err = f.fs().read_limits().unwrap_err().to_string();
        assert!(err.contains(file), "{err}");
        assert!(err.starts_with("cannot parse"), "{err}");
        assert!(err.contains("expected"), "{err}");
    }
    let f = v1_host();
    f.file("sys/fs/cgroup/cpu,cpuacct/svc/job/cpu.cfs_quota_us", "abc");
    let err = f.fs().read_limits().unwrap_err().to_string();
    assert!(err.contains("cpu.cfs_quota_us"), "{err}");
}

#[test]
fn cpu_lists() {
    assert_eq!(parse_cpu_list("0-3,5"), Some(5));
    assert_eq!(parse_cpu_list("0"), Some(1));
    assert_eq!(parse_cpu_list("0-1,4-7,9"), Some(7));
    assert_eq!(parse_cpu_list(""), Some(0));
    assert_eq!(parse_cpu_list("3-1"), None);
    assert_eq!(parse_cpu_list("a"), None);
    assert_eq!(parse_cpu_list("0-"), None);
}

#[test]
fn host_facts_from_proc_and_sys() {
    let f = Fake::new("", "");
    f.file("sys/devices/system/cpu/online", "0-3\n")
        .file(
            "proc/meminfo",
            "MemTotal:       24683588 kB\nMemFree:  1 kB\n",
        )
        .file("proc/self/status", "Name:\twave\nThreads:\t3\n");
    let fs = f.fs();
    assert_eq!(fs.host_cpus(), Some(4));
    assert_eq!(fs.host_memory_bytes(), Some(24_683_588 * 1024));
    assert_eq!(fs.own_tasks(), Some(3));
    let none = CgroupFs::new(tempfile::tempdir().unwrap().path());
    assert_eq!(
        (none.host_cpus(), none.host_memory_bytes(), none.own_tasks()),
        (None, None, None)
    );
}

#[test]
fn the_real_host_reads_without_error() {
    let fs = CgroupFs::host();
    let limits = fs.read_limits().expect("this machine's cgroups read");
    assert_ne!(limits.version, CgroupVersion::None);
    assert!(fs.host_cpus().is_some());
    assert!(fs.own_tasks().is_some_and(|n| n >= 1));
}

mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn cpu_lists_never_panic(text in ".{0,40}") {
            let _ = parse_cpu_list(&text);
        }

        #[test]
        fn generated_cpu_lists_count_their_cpus(
            ranges in proptest::collection::vec((0u32..1000, 0u32..64), 0..8),
        ) {
            let text: Vec<String> = ranges
                .iter()
                .map(|&(a, len)| if len == 0 { a.to_string() } else { format!("{a}-{}", a + len) })
                .collect();
            let expected: u32 = ranges.iter().map(|&(_, len)| len + 1).sum();
            prop_assert_eq!(parse_cpu_list(&text.join(",")), Some(expected));
        }

        #[test]
        fn limit_files_never_panic_and_parse_what_the_kernel_writes(
            junk in "[ -~]{0,24}",
            quota in 1u64..10_000_000,
            period in 1u64..1_000_000,
            bytes in 0u64..u64::MAX,
        ) {
            let dir = tempfile::tempdir().unwrap();
            for file in ["cpu.max", "memory.max", "pids.max", "cpuset.cpus.effective"] {
                std::fs::write(dir.path().join(file), &junk).unwrap();
            }
            let _ = v2::cpu_quota(dir.path());
            let _ = v2::memory_max(dir.path());
            let _ = v2::pids(dir.path());
            let _ = v2::cpuset_cpus(dir.path());
            std::fs::write(dir.path().join("cpu.max"), format!("{quota} {period}\n")).unwrap();
            prop_assert_eq!(
                v2::cpu_quota(dir.path()).unwrap(),
                Some(CpuQuota { quota_us: quota, period_us: period })
            );
            std::fs::write(dir.path().join("memory.max"), format!("{bytes}\n")).unwrap();
            prop_assert_eq!(v2::memory_max(dir.path()).unwrap(), Some(bytes));
            std::fs::write(dir.path().join("memory.limit_in_bytes"), format!("{bytes}\n")).unwrap();
            prop_assert_eq!(
                v1::memory_max(dir.path()).unwrap(),
                (bytes < UNLIMITED_BYTES).then_some(bytes)
            );
        }

        #[test]
        fn proc_files_never_panic(cgroup in "[ -~\n]{0,200}", mountinfo in "[ -~\n]{0,300}") {
            let dir = tempfile::tempdir().unwrap();
            let proc_self = dir.path().join("proc/self");
            std::fs::create_dir_all(&proc_self).unwrap();
            std::fs::write(proc_self.join("cgroup"), cgroup).unwrap();
            std::fs::write(proc_self.join("mountinfo"), mountinfo).unwrap();
            let _ = CgroupFs::new(dir.path()).read_limits();
        }
    }
}
