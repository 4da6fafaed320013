//! Exact-layout tests for [`LanePaths`], checked against upstream v0.9.1's file names.

use std::path::{Path, PathBuf};

use super::*;

const ROOT: &str = "/repo";

fn lane(name: &str) -> LaneId {
    name.parse().expect("test lane")
}

fn project(name: &str) -> ProjectId {
    name.parse().expect("test project")
}

fn agent(id: &str) -> AgentId {
    id.parse().expect("test agent")
}

fn implicit() -> LanePaths {
    LanePaths::new(LaneLocation::new(
        ROOT,
        ProjectScope::Implicit(ProjectId::default_project()),
        lane("main"),
    ))
}

fn explicit(id: &str, lane_name: &str) -> LanePaths {
    LanePaths::new(LaneLocation::new(
        ROOT,
        ProjectScope::Explicit(project(id)),
        lane(lane_name),
    ))
}

/// The path relative to the repository root, as a `/`-joined string.
fn rel(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    match path.strip_prefix(ROOT) {
        Ok(stripped) => stripped.to_string_lossy().into_owned(),
        Err(_) => panic!("{} is outside {ROOT}", path.display()),
    }
}

#[test]
fn implicit_project_lane_files() {
    let p = implicit();
    let w = WaveNumber(3);
    let slug = AgentSlug::new(w, &agent("A1"));
    let stem = AgentFileStem::agent(w, &slug);
    let files = p.agent_files(&stem);
    let base = ".tmp/main-wave-launcher";
    let cases: Vec<(PathBuf, String)> = vec![
        (p.state_dir().to_path_buf(), base.to_string()),
        (p.launcher_lock(), format!("{base}/launcher.lock")),
        (p.run_state(), format!("{base}/run-state.json")),
        (p.waves_manifest(), format!("{base}/waves.manifest.json")),
        (
            files.prompt,
            format!("{base}/prompts/wave-3-3-a1.prompt.md"),
        ),
        (files.log, format!("{base}/logs/wave-3-3-a1.log")),
        (files.status, format!("{base}/status/wave-3-3-a1.status")),
        (
            files.summary,
            format!("{base}/status/wave-3-3-a1.summary.json"),
        ),
        (
            files.runtime,
            format!("{base}/status/wave-3-3-a1.runtime.json"),
        ),
        (
            p.relaunch_plan(w),
            format!("{base}/status/relaunch-plan-wave-3.json"),
        ),
        (
            p.result_envelope(w, 2, &agent("A1")),
            format!("{base}/results/wave-3/attempt-2/A1.json"),
        ),
        (
            p.executor_overlay_dir(w, &slug),
            format!("{base}/executors/wave-3/3-a1"),
        ),
        (
            p.launch_preview(w, &slug),
            format!("{base}/executors/wave-3/3-a1/launch-preview.json"),
        ),
        (
            p.runner_payload(w, &slug),
            format!("{base}/executors/wave-3/3-a1/runner-payload.json"),
        ),
        (
            p.coordination_log(w),
            format!("{base}/coordination/wave-3.jsonl"),
        ),
        (
            p.control_plane_log(w),
            format!("{base}/control-plane/wave-3.jsonl"),
        ),
        (p.telemetry_dir(), format!("{base}/control-plane/telemetry")),
        (
            p.retry_override(w),
            format!("{base}/control/retry-override-wave-3.json"),
        ),
        (p.messageboards_dir(), format!("{base}/messageboards")),
        (p.messageboard(w), format!("{base}/messageboards/wave-3.md")),
        (p.inboxes_dir(), format!("{base}/inboxes")),
        (
            p.inbox_shared_summary(w),
            format!("{base}/inboxes/wave-3/shared-summary.md"),
        ),
        (
            p.inbox(w, &agent("A 7")),
            format!("{base}/inboxes/wave-3/A 7.md"),
        ),
        (p.dashboards_dir(), format!("{base}/dashboards")),
        (
            p.global_dashboard(),
            format!("{base}/dashboards/global.json"),
        ),
        (
            p.wave_dashboard(w),
            format!("{base}/dashboards/wave-3.json"),
        ),
        (p.traces_dir(), format!("{base}/traces")),
        (
            p.trace_attempt_dir(w, 1),
            format!("{base}/traces/wave-3/attempt-1"),
        ),
        (p.proof_registry(w), format!("{base}/proof/wave-3.json")),
        (p.reducer_snapshot(w), format!("{base}/reducer/wave-3.json")),
        (p.feedback_triage_dir(), format!("{base}/feedback/triage")),
        (p.docs_queue_dir(), format!("{base}/docs-queue")),
        (p.context7_cache_dir(), format!("{base}/context7-cache")),
        (
            p.orchestrator_state_dir().to_path_buf(),
            ".tmp/wave-orchestrator".to_string(),
        ),
        (
            p.orchestrator_board(),
            ".tmp/wave-orchestrator/messageboards/orchestrator.md".to_string(),
        ),
        (
            p.feedback_requests_dir(),
            ".tmp/wave-orchestrator/feedback/requests".to_string(),
        ),
        (
            p.cross_lane_dependencies_dir(),
            ".tmp/wave-orchestrator/dependencies".to_string(),
        ),
    ];
    for (path, expected) in cases {
        assert_eq!(rel(&path), expected);
    }
}

#[test]
fn implicit_project_supervisor_tree() {
    let p = implicit();
    let sup = p.supervisor();
    let run = RunId::from_parts(1_795_465_381_487, 0x711a_29a1);
    let r = sup.run(run);
    let base = ".tmp/main-wave-launcher/control/supervisor";
    let dir = format!("{base}/runs/run-1795465381487-711a29a1");
    assert_eq!(rel(sup.root()), base);
    assert_eq!(rel(sup.daemon_lock()), format!("{base}/daemon.lock"));
    assert_eq!(rel(sup.runs_dir()), format!("{base}/runs"));
    assert_eq!(rel(r.dir()), dir);
    assert_eq!(rel(r.request()), format!("{dir}/request.json"));
    assert_eq!(rel(r.state()), format!("{dir}/state.json"));
    assert_eq!(rel(r.events()), format!("{dir}/events.jsonl"));
    assert_eq!(rel(r.launcher_log()), format!("{dir}/launcher.log"));
    assert_eq!(
        rel(r.launcher_status()),
        format!("{dir}/launcher-status.json")
    );
    assert_eq!(
        rel(r.launcher_progress()),
        format!("{dir}/launcher-progress.json")
    );
    assert_eq!(rel(r.agents_dir()), format!("{dir}/agents"));
    assert_eq!(
        rel(r.agent_runtime(&agent("A1"))),
        format!("{dir}/agents/A1.runtime.json")
    );
}

#[test]
fn agent_runtime_moves_under_the_supervisor_run() {
    let p = implicit();
    let w = WaveNumber(0);
    let a1 = agent("A1");
    let stem = AgentFileStem::agent(w, &AgentSlug::new(w, &a1));
    let run = RunId::from_parts(7, 1);
    assert_eq!(
        rel(p.agent_runtime(&stem, &a1, None)),
        ".tmp/main-wave-launcher/status/wave-0-0-a1.runtime.json"
    );
    assert_eq!(
        rel(p.agent_runtime(&stem, &a1, Some(run))),
        ".tmp/main-wave-launcher/control/supervisor/runs/run-7-00000001/agents/A1.runtime.json"
    );
}

#[test]
fn explicit_project_prefixes_state_and_orchestrator() {
    let p = explicit("web", "release");
    assert_eq!(
        rel(p.state_dir()),
        ".tmp/projects/web/release-wave-launcher"
    );
    assert_eq!(
        rel(p.run_state()),
        ".tmp/projects/web/release-wave-launcher/run-state.json"
    );
    assert_eq!(
        rel(p.supervisor().daemon_lock()),
        ".tmp/projects/web/release-wave-launcher/control/supervisor/daemon.lock"
    );
    assert_eq!(
        rel(p.orchestrator_state_dir()),
        ".tmp/wave-orchestrator/projects/web"
    );
    assert_eq!(
        rel(p.orchestrator_board()),
        ".tmp/wave-orchestrator/projects/web/messageboards/orchestrator.md"
    );
    // The implicit project named `default` has no prefix; an explicit `default` does.
    let d = explicit("default", "main");
    assert_eq!(
        rel(d.state_dir()),
        ".tmp/projects/default/main-wave-launcher"
    );
}

#[test]
fn adhoc_and_dry_run_variants() {
    let adhoc: AdhocRunId = "adhoc-20260101120000-a1b2c3".parse().unwrap();
    let mut loc = LaneLocation::new(
        ROOT,
        ProjectScope::Implicit(ProjectId::default_project()),
        lane("main"),
    );
    loc.adhoc_run = Some(adhoc.clone());
    let p = LanePaths::new(loc.clone());
    let base = ".tmp/main-wave-launcher/adhoc/adhoc-20260101120000-a1b2c3";
    assert_eq!(rel(p.state_dir()), base);
    assert_eq!(rel(p.launcher_lock()), format!("{base}/launcher.lock"));
    assert_eq!(
        rel(p.supervisor().root()),
        format!("{base}/control/supervisor")
    );
    assert_eq!(rel(p.orchestrator_state_dir()), ".tmp/wave-orchestrator");

    loc.variant = RunVariant::DryRun;
    let dry = LanePaths::new(loc);
    assert_eq!(rel(dry.base_state_dir()), base);
    assert_eq!(rel(dry.state_dir()), format!("{base}/dry-run"));
    assert_eq!(
        rel(dry.orchestrator_state_dir()),
        format!("{base}/dry-run/orchestrator")
    );
    assert_eq!(
        rel(dry.launch_preview(WaveNumber(0), &AgentSlug::new(WaveNumber(0), &agent("A1")))),
        format!("{base}/dry-run/executors/wave-0/0-a1/launch-preview.json")
    );
    assert_eq!(dry.live(), p);

    let mut loc = LaneLocation::new(ROOT, ProjectScope::Explicit(project("web")), lane("main"));
    loc.variant = RunVariant::DryRun;
    let dry = LanePaths::new(loc);
    assert_eq!(
        rel(dry.state_dir()),
        ".tmp/projects/web/main-wave-launcher/dry-run"
    );
    assert_eq!(
        rel(dry.orchestrator_state_dir()),
        ".tmp/projects/web/main-wave-launcher/dry-run/orchestrator"
    );
}

#[test]
fn configured_roots_and_resident_orchestrator() {
    let mut loc = LaneLocation::new(ROOT, ProjectScope::Explicit(project("api")), lane("main"));
    loc.state_root = RepoRelPath::parse("paths.stateRoot", "./var//state/").unwrap();
    loc.orchestrator_state_dir =
        RepoRelPath::parse("paths.orchestratorStateDir", "var\\orch").unwrap();
    let p = LanePaths::new(loc);
    assert_eq!(
        rel(p.state_dir()),
        "var/state/projects/api/main-wave-launcher"
    );
    assert_eq!(rel(p.orchestrator_state_dir()), "var/orch/projects/api");

    let w = WaveNumber(2);
    let files = p.agent_files(&AgentFileStem::resident_orchestrator(w));
    assert_eq!(
        rel(files.log),
        "var/state/projects/api/main-wave-launcher/logs/wave-2-resident-orchestrator.log"
    );
    assert_eq!(
        rel(p.executor_overlay_dir(w, &AgentSlug::resident_orchestrator(w))),
        "var/state/projects/api/main-wave-launcher/executors/wave-2/2-resident-orchestrator"
    );
}

#[test]
fn launcher_startup_dirs_follow_upstream() {
    let p = implicit();
    let dirs: Vec<String> = p.launcher_startup_dirs().iter().map(rel).collect();
    assert_eq!(
        dirs.first().map(String::as_str),
        Some(".tmp/main-wave-launcher")
    );
    assert!(dirs.contains(&".tmp/main-wave-launcher/docs-queue".to_string()));
    assert!(dirs.contains(&".tmp/wave-orchestrator/feedback/requests".to_string()));
    assert_eq!(dirs.len(), 23);
}

#[test]
fn repo_rel_path_rejects_escapes() {
    for bad in [
        "", "  ", "/abs", "..", "../x", "a/../b", "a/..", "a\\..\\b", "a\0b", "./", "//",
    ] {
        let err = RepoRelPath::parse("paths.stateRoot", bad).unwrap_err();
        assert!(err.to_string().starts_with("paths.stateRoot "), "{err}");
    }
    assert_eq!(RepoRelPath::parse("x", ".").unwrap().as_str(), ".");
    assert_eq!(
        RepoRelPath::parse("x", "..a/b..").unwrap().as_str(),
        "..a/b.."
    );
    let err = RepoRelPath::parse("paths.stateRoot", "/abs")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "paths.stateRoot \"/abs\" is invalid; expected a path relative to the repository root, not an absolute path"
    );
}

mod properties {
    use std::path::Component;

    use proptest::prelude::*;

    use super::*;

    /// No `..`, no root or prefix after the start: every component below `root` is a plain name.
    fn stays_under(path: &Path, root: &Path) -> bool {
        path.strip_prefix(root)
            .map(|below| {
                below
                    .components()
                    .all(|c| matches!(c, Component::Normal(_)))
            })
            .unwrap_or(false)
    }

    proptest! {
        #[test]
        fn agent_and_run_paths_stay_under_the_state_dir(
            project_raw in "[A-Za-z0-9 _./-]{1,20}",
            lane_raw in "[A-Za-z0-9 _./-]{1,20}",
            agent_raw in prop_oneof!["[A-Za-z0-9 _./:-]{1,30}", "\\PC{1,30}"],
            explicit in any::<bool>(),
            wave in any::<u32>(),
            attempt in any::<u32>(),
            millis in any::<u64>(),
            random in any::<u32>(),
        ) {
            let (Ok(project), Ok(lane), Ok(agent)) = (
                ProjectId::normalize(&project_raw),
                LaneId::normalize(&lane_raw),
                agent_raw.parse::<AgentId>(),
            ) else {
                return Ok(());
            };
            let scope = if explicit { ProjectScope::Explicit(project) } else { ProjectScope::Implicit(project) };
            let p = LanePaths::new(LaneLocation::new(ROOT, scope, lane));
            let state = p.state_dir().to_path_buf();
            prop_assert!(stays_under(&state, Path::new(ROOT)));
            let w = WaveNumber(wave);
            let slug = AgentSlug::new(w, &agent);
            let stem = AgentFileStem::agent(w, &slug);
            let run = RunId::from_parts(millis, random);
            let files = p.agent_files(&stem);
            for path in [
                files.prompt, files.log, files.status, files.summary, files.runtime,
                p.result_envelope(w, attempt, &agent),
                p.inbox(w, &agent),
                p.runner_payload(w, &slug),
                p.supervisor().run(run).agent_runtime(&agent),
                p.supervisor().run(run).state(),
            ] {
                prop_assert!(stays_under(&path, &state), "{} escapes {}", path.display(), state.display());
            }
        }
    }
}
