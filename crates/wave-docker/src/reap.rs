//! Which leftover agent containers may be removed: the pure rule behind
//! `DockerClient::reap_orphans`.
//!
//! A container is reaped only when **both** hold: its owner (`wave.owner`) is gone, and its run
//! (`wave.run-id`) is not active. A container whose owner lives belongs to a working launcher;
//! one whose run is still active will be adopted by that run's next launcher. Containers are
//! selected by labels only (`wave.lane`, `wave.project`, and both `wave.run-id` and
//! `wave.owner` present), never by name prefix, so a user's container that merely looks like
//! ours is never touched.

use std::collections::HashMap;

use crate::labels::{LABEL_OWNER, LABEL_RUN_ID};

/// A container as listed by `DockerClient::list_by_labels`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    /// Its id.
    pub id: String,
    /// Its name, without Docker's leading `/`.
    pub name: String,
    /// Its labels.
    pub labels: HashMap<String, String>,
    /// The engine's state word: `created`, `running`, `exited`, `paused`, `dead`, …
    pub state: String,
}

/// True when `c` should be reaped: it carries a run id and an owner, the owner is not alive and
/// the run is not active.
pub fn should_reap(
    c: &ContainerSummary,
    is_active_run: &dyn Fn(&str) -> bool,
    owner_alive: &dyn Fn(&str) -> bool,
) -> bool {
    let (Some(run), Some(owner)) = (c.labels.get(LABEL_RUN_ID), c.labels.get(LABEL_OWNER)) else {
        return false;
    };
    !owner_alive(owner) && !is_active_run(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(run: Option<&str>, owner: Option<&str>) -> ContainerSummary {
        let mut labels = HashMap::new();
        if let Some(r) = run {
            labels.insert(LABEL_RUN_ID.to_string(), r.to_string());
        }
        if let Some(o) = owner {
            labels.insert(LABEL_OWNER.to_string(), o.to_string());
        }
        ContainerSummary {
            id: "id".into(),
            name: "n".into(),
            labels,
            state: "exited".into(),
        }
    }

    #[test]
    fn only_dead_owner_and_inactive_run_is_reaped() {
        let active = |r: &str| r == "live-run";
        let alive = |o: &str| o == "h:1:1";
        assert!(should_reap(&c(Some("old"), Some("h:2:2")), &active, &alive));
        assert!(!should_reap(
            &c(Some("live-run"), Some("h:2:2")),
            &active,
            &alive
        ));
        assert!(!should_reap(
            &c(Some("old"), Some("h:1:1")),
            &active,
            &alive
        ));
        assert!(!should_reap(&c(None, Some("h:2:2")), &active, &alive));
        assert!(!should_reap(&c(Some("old"), None), &active, &alive));
    }
}
