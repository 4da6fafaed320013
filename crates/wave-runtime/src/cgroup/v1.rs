//! cgroup v1 limit files of one cgroup directory (one level; [`super`] walks the ancestors).
//!
//! `cpu.cfs_quota_us` / `cpu.cfs_period_us` (quota `-1`: no limit), `cpuset.effective_cpus`
//! (else `cpuset.cpus`), `memory.limit_in_bytes` (a huge value: no limit). Pids files have the
//! v2 format and are read by [`super::v2::pids`].

use std::path::Path;

use super::{parse_error, read_cpu_list, read_value, CgroupError, CpuQuota, UNLIMITED_BYTES};

/// The CFS quota of `dir`: `None` when unlimited (`-1`) or the files are missing.
pub fn cpu_quota(dir: &Path) -> Result<Option<CpuQuota>, CgroupError> {
    let quota_path = dir.join("cpu.cfs_quota_us");
    let Some(quota) = read_value(&quota_path)? else {
        return Ok(None);
    };
    let quota: i64 = quota
        .parse()
        .map_err(|_| parse_error(&quota_path, &quota, "-1 or microseconds"))?;
    if quota < 0 {
        return Ok(None);
    }
    let period_path = dir.join("cpu.cfs_period_us");
    let Some(period) = read_value(&period_path)? else {
        return Ok(None);
    };
    let period: u64 = period
        .parse()
        .map_err(|_| parse_error(&period_path, &period, "microseconds"))?;
    if period == 0 {
        return Ok(None);
    }
    Ok(Some(CpuQuota {
        quota_us: quota.unsigned_abs(),
        period_us: period,
    }))
}

/// CPUs in `dir`'s effective cpuset (`cpuset.effective_cpus`, else `cpuset.cpus`).
pub fn cpuset_cpus(dir: &Path) -> Result<Option<u32>, CgroupError> {
    match read_cpu_list(&dir.join("cpuset.effective_cpus"))? {
        Some(n) => Ok(Some(n)),
        None => read_cpu_list(&dir.join("cpuset.cpus")),
    }
}

/// `memory.limit_in_bytes` of `dir`: `None` when missing or unlimited.
pub fn memory_max(dir: &Path) -> Result<Option<u64>, CgroupError> {
    let path = dir.join("memory.limit_in_bytes");
    let Some(text) = read_value(&path)? else {
        return Ok(None);
    };
    // `-1` is accepted on write and some kernels echo it back.
    if text == "-1" {
        return Ok(None);
    }
    let bytes: u64 = text
        .parse()
        .map_err(|_| parse_error(&path, &text, "a byte count"))?;
    Ok((bytes < UNLIMITED_BYTES).then_some(bytes))
}
