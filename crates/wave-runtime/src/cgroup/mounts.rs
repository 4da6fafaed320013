//! Parsing `/proc/self/cgroup` and `/proc/self/mountinfo` (see proc(5)).

use std::path::PathBuf;

/// One line of `/proc/self/cgroup`: `hierarchy-id:controllers:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CgroupLine {
    /// The hierarchy id (0 for the unified v2 hierarchy).
    pub(super) hierarchy: u32,
    /// The controllers bound to it (`name=…` entries left out; empty for v2).
    pub(super) controllers: Vec<String>,
    /// The cgroup path, relative to the hierarchy's root in the process's cgroup namespace.
    pub(super) path: PathBuf,
}

/// One cgroup mount from `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mount {
    /// The directory of the hierarchy that is mounted (field 4), e.g. `/docker/<id>`.
    pub(super) root: PathBuf,
    /// Where it is mounted (field 5), e.g. `/sys/fs/cgroup/cpu`.
    pub(super) mount_point: PathBuf,
    /// `cgroup` or `cgroup2`.
    pub(super) fstype: String,
    /// Super options (v1: the controllers, e.g. `rw,cpu,cpuacct`).
    pub(super) super_options: Vec<String>,
}

/// Parses `/proc/self/cgroup`, skipping lines that do not parse.
pub(super) fn parse_proc_cgroup(text: &str) -> Vec<CgroupLine> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let hierarchy = parts.next()?.trim().parse().ok()?;
            let controllers = parts
                .next()?
                .split(',')
                .filter(|c| !c.is_empty() && !c.starts_with("name="))
                .map(str::to_string)
                .collect();
            let path = parts.next()?;
            Some(CgroupLine {
                hierarchy,
                controllers,
                path: PathBuf::from(path),
            })
        })
        .collect()
}

/// Parses the cgroup and cgroup2 mounts of `/proc/self/mountinfo`, skipping other lines.
pub(super) fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let fields: Vec<&str> = left.split_whitespace().collect();
            let mut right = right.split_whitespace();
            let fstype = right.next()?;
            if fstype != "cgroup" && fstype != "cgroup2" {
                return None;
            }
            let _source = right.next();
            let super_options = right
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::to_string)
                .collect();
            Some(Mount {
                root: PathBuf::from(unescape(fields.get(3)?)),
                mount_point: PathBuf::from(unescape(fields.get(4)?)),
                fstype: fstype.to_string(),
                super_options,
            })
        })
        .collect()
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() {
            let digits = &bytes[i + 1..i + 4];
            if digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                let value = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                if let Ok(b) = u8::try_from(value) {
                    out.push(b);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_cgroup_lines() {
        let lines = parse_proc_cgroup(
            "12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/x\n0::/\nbad\n",
        );
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].controllers, vec!["pids"]);
        assert_eq!(lines[1].controllers, vec!["cpu", "cpuacct"]);
        assert!(lines[2].controllers.is_empty());
        assert_eq!(lines[3].hierarchy, 0);
        assert_eq!(lines[3].path, PathBuf::from("/"));
    }

    #[test]
    fn mountinfo_cgroup_mounts_only() {
        let mounts = parse_mountinfo(
            "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
             32 31 0:29 /docker/abc /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu,cpuacct\n\
             41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n\
             50 31 0:40 / /mnt/with\\040space rw - cgroup2 none rw\n",
        );
        assert_eq!(mounts.len(), 3);
        assert_eq!(mounts[0].root, PathBuf::from("/docker/abc"));
        assert_eq!(mounts[0].mount_point, PathBuf::from("/sys/fs/cgroup/cpu"));
        assert!(mounts[0].super_options.iter().any(|o| o == "cpuacct"));
        assert_eq!(mounts[1].fstype, "cgroup2");
        assert_eq!(mounts[2].mount_point, PathBuf::from("/mnt/with space"));
    }

    #[test]
    fn unescape_leaves_plain_and_short_escapes() {
        assert_eq!(unescape("a\\134b"), "a\\b");
        assert_eq!(unescape("end\\04"), "end\\04");
        assert_eq!(unescape("x\\zzz"), "x\\zzz");
    }
}
