//! The labels every agent container carries, and the owner identity in `wave.owner`.
//!
//! Labels are how containers are found again (adoption by a resumed launcher, reaping of dead
//! owners' leftovers): `wave.run-id`, `wave.agent-id`, `wave.attempt`, `wave.wave`,
//! `wave.lane`, `wave.project`, `wave.owner`. The owner is `<host>:<pid>:<starttime>` of the
//! process that created the container (the launcher): the start time (`/proc/<pid>/stat` field
//! 22, clock ticks since boot) tells a live owner from a process that reuses its pid.

use std::collections::HashMap;

/// Prefix of every label this crate sets.
pub const LABEL_PREFIX: &str = "wave.";
/// The supervisor run id (or the launch hash when there is no run).
pub const LABEL_RUN_ID: &str = "wave.run-id";
/// The agent id (`A1`, `E0`, …).
pub const LABEL_AGENT_ID: &str = "wave.agent-id";
/// The wave attempt, from 1.
pub const LABEL_ATTEMPT: &str = "wave.attempt";
/// The wave number.
pub const LABEL_WAVE: &str = "wave.wave";
/// The lane.
pub const LABEL_LANE: &str = "wave.lane";
/// The project id (`default` for the implicit project).
pub const LABEL_PROJECT: &str = "wave.project";
/// The creating process, `<host>:<pid>:<starttime>` ([`Owner`]).
pub const LABEL_OWNER: &str = "wave.owner";

/// The wave labels of one agent container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLabels {
    /// [`LABEL_RUN_ID`].
    pub run_id: String,
    /// [`LABEL_AGENT_ID`].
    pub agent_id: String,
    /// [`LABEL_ATTEMPT`].
    pub attempt: u32,
    /// [`LABEL_WAVE`].
    pub wave: u32,
    /// [`LABEL_LANE`].
    pub lane: String,
    /// [`LABEL_PROJECT`].
    pub project: String,
    /// [`LABEL_OWNER`], usually `Owner::current()?.to_string()`.
    pub owner: String,
}

impl AgentLabels {
    /// The labels of an agent container created by the current process (`wave.owner` from
    /// [`Owner::current`]).
    pub fn owned_by_current_process(
        run_id: &str,
        agent_id: &str,
        attempt: u32,
        wave: u32,
        lane: &str,
        project: &str,
    ) -> std::io::Result<Self> {
        Ok(Self {
            run_id: run_id.to_string(),
            agent_id: agent_id.to_string(),
            attempt,
            wave,
            lane: lane.to_string(),
            project: project.to_string(),
            owner: Owner::current()?.to_string(),
        })
    }

    /// The labels as `(key, value)` pairs.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        vec![
            (LABEL_RUN_ID.into(), self.run_id.clone()),
            (LABEL_AGENT_ID.into(), self.agent_id.clone()),
            (LABEL_ATTEMPT.into(), self.attempt.to_string()),
            (LABEL_WAVE.into(), self.wave.to_string()),
            (LABEL_LANE.into(), self.lane.clone()),
            (LABEL_PROJECT.into(), self.project.clone()),
            (LABEL_OWNER.into(), self.owner.clone()),
        ]
    }

    /// True when `key` is one of the wave labels.
    pub fn contains_key(&self, key: &str) -> bool {
        [
            LABEL_RUN_ID,
            LABEL_AGENT_ID,
            LABEL_ATTEMPT,
            LABEL_WAVE,
            LABEL_LANE,
            LABEL_PROJECT,
            LABEL_OWNER,
        ]
        .contains(&key)
    }

    /// Reads the labels back from a container's label map; `None` when one is missing or
    /// malformed.
    pub fn from_map(map: &HashMap<String, String>) -> Option<Self> {
        Some(Self {
            run_id: map.get(LABEL_RUN_ID)?.clone(),
            agent_id: map.get(LABEL_AGENT_ID)?.clone(),
            attempt: map.get(LABEL_ATTEMPT)?.parse().ok()?,
            wave: map.get(LABEL_WAVE)?.parse().ok()?,
            lane: map.get(LABEL_LANE)?.clone(),
            project: map.get(LABEL_PROJECT)?.clone(),
            owner: map.get(LABEL_OWNER)?.clone(),
        })
    }
}

/// The process that owns (created) a container: `<host>:<pid>:<starttime>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The kernel hostname (in a container: its short id unless set).
    pub host: String,
    /// The pid, in the owner's pid namespace.
    pub pid: i32,
    /// `/proc/<pid>/stat` field 22.
    pub start_ticks: u64,
}

impl Owner {
    /// The current process.
    pub fn current() -> std::io::Result<Self> {
        let pid = std::process::id() as i32;
        Ok(Self {
            host: hostname()?,
            pid,
            start_ticks: start_ticks(pid)?,
        })
    }

    /// Parses `<host>:<pid>:<starttime>` (the host may itself contain `:`).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.rsplitn(3, ':');
        let start_ticks = parts.next()?.parse().ok()?;
        let pid = parts.next()?.parse().ok()?;
        let host = parts.next()?.to_string();
        (!host.is_empty()).then_some(Self {
            host,
            pid,
            start_ticks,
        })
    }

    /// Whether the owner is alive, when that can be told from here: `None` when it ran on
    /// another host (or in another container), else whether its pid still runs with the same
    /// start time.
    pub fn is_alive_here(&self) -> Option<bool> {
        if hostname().ok()? != self.host {
            return None;
        }
        Some(start_ticks(self.pid).is_ok_and(|t| t == self.start_ticks))
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.host, self.pid, self.start_ticks)
    }
}

fn hostname() -> std::io::Result<String> {
    Ok(std::fs::read_to_string("/proc/sys/kernel/hostname")?
        .trim()
        .to_string())
}

/// Field 22 of `/proc/<pid>/stat` (after the `)` that ends the command name).
fn start_ticks(pid: i32) -> std::io::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad /proc stat");
    let rest = &stat[stat.rfind(')').ok_or_else(invalid)? + 1..];
    // After ')': field 3 (state) is index 0, so field 22 is index 19.
    rest.split_whitespace()
        .nth(19)
        .and_then(|f| f.parse().ok())
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_round_trips_and_self_is_alive() {
        let me = Owner::current().unwrap();
        let parsed = Owner::parse(&me.to_string()).unwrap();
        assert_eq!(parsed, me);
        assert_eq!(me.is_alive_here(), Some(true));
        let reused = Owner {
            start_ticks: me.start_ticks + 1,
            ..me.clone()
        };
        assert_eq!(reused.is_alive_here(), Some(false));
        let elsewhere = Owner {
            host: format!("{}-other", me.host),
            ..me
        };
        assert_eq!(elsewhere.is_alive_here(), None);
        assert_eq!(
            Owner::parse("h:o:st:12:34"),
            Some(Owner {
                host: "h:o:st".into(),
                pid: 12,
                start_ticks: 34
            })
        );
        assert_eq!(Owner::parse("12:34"), None);
        assert_eq!(Owner::parse("h:x:34"), None);
    }

    #[test]
    fn labels_round_trip() {
        let l = AgentLabels {
            run_id: "r".into(),
            agent_id: "A1".into(),
            attempt: 1,
            wave: 0,
            lane: "main".into(),
            project: "default".into(),
            owner: "h:1:2".into(),
        };
        let map = l.to_pairs().into_iter().collect();
        assert_eq!(AgentLabels::from_map(&map), Some(l));
    }
}
