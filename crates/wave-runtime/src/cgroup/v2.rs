//! cgroup v2 limit files of one cgroup directory (one level; [`super`] walks the ancestors).
//!
//! `cpu.max` (`max 100000` or `50000 100000`), `cpuset.cpus.effective`, `memory.max` (`max` or
//! bytes), `pids.max` (`max` or a count) with `pids.current` (the pids files have the same
//! format on v1).

use std::path::Path;

use super::{
    parse_error, read_cpu_list, read_max_or_number, read_value, CgroupError, CpuQuota, PidsLimit,
};

/// `cpu.max` of `dir`: `None` when missing or `max`.
pub fn cpu_quota(dir: &Path) -> Result<Option<CpuQuota>, CgroupError> {
    let path = dir.join("cpu.max");
    let Some(text) = read_value(&path)? else {
        return Ok(None);
    };
    const EXPECTED: &str = "\"max [period]\" or \"<quota> [period]\"";
    let mut parts = text.split_whitespace();
    let quota = parts
        .next()
        .ok_or_else(|| parse_error(&path, &text, EXPECTED))?;
    let period = match parts.next() {
        Some(p) => p
            .parse::<u64>()
            .map_err(|_| parse_error(&path, &text, EXPECTED))?,
        None => 100_000,
    };
    if parts.next().is_some() {
        return Err(parse_error(&path, &text, EXPECTED));
    }
    if quota == "max" || period == 0 {
        return Ok(None);
    }
    let quota = quota
        .parse::<u64>()
        .map_err(|_| parse_error(&path, &text, EXPECTED))?;
    Ok(Some(CpuQuota {
        quota_us: quota,
        period_us: period,
    }))
}

/// CPUs in `dir`'s `cpuset.cpus.effective`.
pub fn cpuset_cpus(dir: &Path) -> Result<Option<u32>, CgroupError> {
    read_cpu_list(&dir.join("cpuset.cpus.effective"))
}

/// `memory.max` of `dir`: `None` when missing or `max`.
pub fn memory_max(dir: &Path) -> Result<Option<u64>, CgroupError> {
    Ok(read_max_or_number(&dir.join("memory.max"))?.flatten())
}

/// `pids.max` and `pids.current` of `dir`: `None` when `pids.max` is missing or `max`.
pub fn pids(dir: &Path) -> Result<Option<PidsLimit>, CgroupError> {
    let Some(max) = read_max_or_number(&dir.join("pids.max"))?.flatten() else {
        return Ok(None);
    };
    let current = read_max_or_number(&dir.join("pids.current"))?
        .flatten()
        .unwrap_or(0);
    Ok(Some(PidsLimit { max, current }))
}
