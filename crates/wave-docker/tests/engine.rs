//! Real-engine tests of `wave-docker`: agent containers created, run, inspected, stopped and
//! reaped through the Docker API on the machine's engine (skipped without one unless
//! `WAVE_REQUIRE_DOCKER=1`). Every container is labelled `wave.test=1` and removed by its
//! case's guard; the test image is built FROM scratch at test time (see `common`).

mod common;

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use common::{docker_available, shared_dir, test_image, wait_for_file, Case, TestVolume};
use wave_docker::{
    ContainerState, DockerError, Limits, MountSpec, Owner, OwnerLiveness, MIN_API_VERSION,
};

const LONG: Duration = Duration::from_secs(60);

fn bind(dir: &std::path::Path, target: &str) -> MountSpec {
    MountSpec::Bind {
        host_path: dir.to_path_buf(),
        target: target.into(),
        read_only: false,
    }
}

#[test]
fn engine_api_is_new_enough() {
    if !docker_available("engine_api_is_new_enough") {
        return;
    }
    let case = Case::new("version");
    case.docker.ping().unwrap();
    let v = case.docker.version().unwrap();
    let (major, minor) = v.api_version.split_once('.').unwrap();
    assert!(
        (major.parse::<u32>().unwrap(), minor.parse::<u32>().unwrap()) >= (1, 41),
        "{v:?} < {MIN_API_VERSION}"
    );
    assert!(!case.docker.api_version().is_empty());
}

#[test]
fn exit_code_and_output_are_reported() {
    if !docker_available("exit_code_and_output_are_reported") {
        return;
    }
    let case = Case::new("exit3");
    let spec = case.spec("A1", "echo out; echo err >&2; exit 3");
    let id = case.docker.create_agent(&spec).unwrap();
    assert_eq!(
        case.docker.inspect_state(id.as_str()).unwrap(),
        ContainerState::Created
    );
    // A never-started container has no exit code to report.
    let err = case.docker.wait(id.as_str(), LONG).unwrap_err();
    assert!(matches!(err, DockerError::NotStarted { .. }), "{err:?}");
    case.docker.start(id.as_str()).unwrap();
    let exit = case.docker.wait(id.as_str(), LONG).unwrap();
    assert_eq!(exit.code, 3);
    assert!(!exit.oom_killed);
    match case.docker.inspect_state(&spec.name).unwrap() {
        ContainerState::Exited(e) => assert_eq!(e.code, 3),
        other => panic!("expected exited, got {other:?}"),
    }
    let mut logs = Vec::new();
    case.docker
        .logs_follow(id.as_str(), &mut logs, LONG)
        .unwrap();
    let logs = String::from_utf8(logs).unwrap();
    assert!(logs.contains("out\n") && logs.contains("err\n"), "{logs:?}");
    case.docker.remove(id.as_str()).unwrap();
    assert_eq!(
        case.docker.inspect_state(id.as_str()).unwrap(),
        ContainerState::Missing
    );
    // Removing twice is fine.
    case.docker.remove(id.as_str()).unwrap();
}

#[test]
fn memory_limit_oom_kill_is_reported() {
    if !docker_available("memory_limit_oom_kill_is_reported") {
        return;
    }
    // The kernel's OOM killer is a machine-wide event: on the development sandbox every OOM
    // kill coincided with the whole session being torn down, so this runs only when asked.
    if std::env::var("WAVE_TEST_OOM").as_deref() != Ok("1") {
        eprintln!(
            "SKIP memory_limit_oom_kill_is_reported: set WAVE_TEST_OOM=1 to trigger the OOM killer"
        );
        return;
    }
    let case = Case::new("oom");
    let mut spec = case.spec(
        "A1",
        r#"a=$(head -c 64000000 /dev/zero | tr "\0" x); echo ${#a}"#,
    );
    spec.limits.memory_bytes = Some(16 << 20);
    let id = case.docker.create_agent(&spec).unwrap();
    case.docker.start(id.as_str()).unwrap();
    let exit = case.docker.wait(id.as_str(), LONG).unwrap();
    assert!(exit.oom_killed, "{exit:?}");
    assert_ne!(exit.code, 0);
}

#[test]
fn inspect_shows_labels_user_security_and_limits() {
    if !docker_available("inspect_shows_labels_user_security_and_limits") {
        return;
    }
    let case = Case::new("inspect");
    let mut spec = case.spec("A7", "true");
    spec.user = Some("4242:4242".into());
    spec.limits = Limits {
        nano_cpus: Some(500_000_000),
        memory_bytes: Some(32 << 20),
        memory_swap_bytes: None,
        pids_limit: Some(32),
    };
    spec.read_only_rootfs = true;
    spec.tmpfs.push(wave_docker::TmpfsSpec::tmp(Some(8 << 20)));
    let id = case.docker.create_agent(&spec).unwrap();
    let info = case.docker.inspect_raw(id.as_str()).unwrap();
    let labels = &info["Config"]["Labels"];
    let owner = Owner::current().unwrap().to_string();
    for (k, v) in [
        ("wave.run-id", format!("run-{}", case.id)),
        ("wave.agent-id", "A7".to_string()),
        ("wave.attempt", "1".to_string()),
        ("wave.lane", format!("t{}", case.id)),
        ("wave.project", "default".to_string()),
        ("wave.owner", owner),
        ("wave.test", "1".to_string()),
    ] {
        assert_eq!(labels[k], v.as_str(), "label {k}");
    }
    assert_eq!(info["Name"], format!("/{}", spec.name).as_str());
    assert_eq!(info["Config"]["User"], "4242:4242");
    let hc = &info["HostConfig"];
    assert_eq!(hc["CapDrop"], serde_json::json!(["ALL"]));
    assert_eq!(hc["SecurityOpt"], serde_json::json!(["no-new-privileges"]));
    assert_eq!(hc["PidsLimit"], 32);
    assert_eq!(hc["Memory"], 32 << 20);
    assert_eq!(hc["MemorySwap"], 32 << 20);
    assert_eq!(hc["NanoCpus"], 500_000_000);
    assert_eq!(hc["NetworkMode"], "none");
    assert_eq!(hc["ReadonlyRootfs"], true);
    assert_eq!(hc["Init"], false);
    assert_eq!(hc["AutoRemove"], false);
    assert_eq!(hc["Privileged"], false);
    assert!(hc["Tmpfs"]["/tmp"].as_str().unwrap().contains("mode=1777"));
}

#[test]
fn agent_has_no_socket_no_capabilities_and_writes_through_a_bind_mount() {
    if !docker_available("agent_has_no_socket_no_capabilities_and_writes_through_a_bind_mount") {
        return;
    }
    let case = Case::new("isolation");
    let dir = shared_dir();
    let script = "for s in /var/run/docker.sock /run/docker.sock; do \
                    if [ -e $s ]; then echo present > /data/socket; fi; done; \
                  grep CapEff /proc/self/status > /data/caps; id -u > /data/uid; \
                  echo written > /data/out.txt";
    for (agent, user) in [("A1", Some("4242:4242")), ("A2", None)] {
        let mut spec = case.spec(agent, script);
        spec.user = user.map(str::to_string);
        spec.read_only_rootfs = true;
        spec.mounts.push(bind(dir.path(), "/data"));
        let id = case.docker.create_agent(&spec).unwrap();
        case.docker.start(id.as_str()).unwrap();
        assert_eq!(case.docker.wait(id.as_str(), LONG).unwrap().code, 0);
        let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
        assert!(
            !dir.path().join("socket").exists(),
            "{agent} saw a docker socket"
        );
        assert_eq!(
            read("caps").split_whitespace().nth(1),
            Some("0000000000000000")
        );
        let uid = if user.is_some() { "4242" } else { "0" };
        assert_eq!(read("uid").trim(), uid);
        assert_eq!(read("out.txt"), "written\n");
        let meta = std::fs::metadata(dir.path().join("out.txt")).unwrap();
        assert_eq!(
            meta.uid().to_string(),
            uid,
            "{agent}: host sees the agent's uid"
        );
        for f in ["caps", "uid", "out.txt"] {
            std::fs::remove_file(dir.path().join(f)).unwrap();
        }
    }
}

#[test]
fn docker_socket_mounts_are_refused_before_any_call() {
    if !docker_available("docker_socket_mounts_are_refused_before_any_call") {
        return;
    }
    let case = Case::new("socket");
    let mut spec = case.spec("A1", "true");
    spec.mounts.push(MountSpec::Bind {
        host_path: "/var/run/docker.sock".into(),
        target: "/var/run/docker.sock".into(),
        read_only: true,
    });
    let err = case.docker.create_agent(&spec).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid agent container spec: mounts[0].target: an agent container never gets the Docker socket"
    );
    let mine = case
        .docker
        .list_by_labels(&[("wave.test.case", case.id.as_str())])
        .unwrap();
    assert!(mine.is_empty(), "{mine:?}");
}

#[test]
fn list_by_labels_finds_only_ours() {
    if !docker_available("list_by_labels_finds_only_ours") {
        return;
    }
    let case = Case::new("list");
    let other = Case::new("list-other");
    let a = case.docker.create_agent(&case.spec("A1", "true")).unwrap();
    let b = case.docker.create_agent(&case.spec("A2", "true")).unwrap();
    let c = other
        .docker
        .create_agent(&other.spec("A1", "true"))
        .unwrap();
    let mut found = case
        .docker
        .list_by_labels(&[("wave.test.case", case.id.as_str())])
        .unwrap();
    found.sort_by(|x, y| x.labels["wave.agent-id"].cmp(&y.labels["wave.agent-id"]));
    let ids: Vec<_> = found.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [a.as_str(), b.as_str()]);
    assert!(!ids.contains(&c.as_str()));
    assert_eq!(found[0].state, "created");
    assert!(found[0].name.starts_with("wave-t"), "{}", found[0].name);
    let one = case
        .docker
        .list_by_labels(&[
            ("wave.test.case", case.id.as_str()),
            ("wave.agent-id", "A2"),
        ])
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, b.as_str());
    let run = format!("run-{}", case.id);
    let found = case.docker.find_agent(&run, "A2", 1).unwrap().unwrap();
    assert_eq!(found.id, b.as_str());
    assert_eq!(case.docker.find_agent(&run, "A2", 2).unwrap(), None);
}

#[test]
fn stop_honours_the_grace_period() {
    if !docker_available("stop_honours_the_grace_period") {
        return;
    }
    let case = Case::new("stop");
    let dir = shared_dir();
    // A1 exits 7 on SIGTERM; A2 ignores it (bash is PID 1 and traps TERM to nothing).
    let scripts = [
        (
            "A1",
            "trap 'exit 7' TERM; touch /data/A1; sleep 1000 & wait",
        ),
        (
            "A2",
            "trap '' TERM; touch /data/A2; sleep 1000 & wait; sleep 1000 & wait",
        ),
    ];
    let mut ids = Vec::new();
    for (agent, script) in scripts {
        let mut spec = case.spec(agent, script);
        spec.mounts.push(bind(dir.path(), "/data"));
        let id = case.docker.create_agent(&spec).unwrap();
        case.docker.start(id.as_str()).unwrap();
        wait_for_file(&dir.path().join(agent), LONG);
        assert_eq!(
            case.docker.inspect_state(id.as_str()).unwrap(),
            ContainerState::Running
        );
        ids.push(id);
    }
    let t = Instant::now();
    case.docker
        .stop(ids[0].as_str(), Duration::from_secs(20))
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(case.docker.wait(ids[0].as_str(), LONG).unwrap().code, 7);

    let t = Instant::now();
    case.docker
        .stop(ids[1].as_str(), Duration::from_secs(1))
        .unwrap();
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(case.docker.wait(ids[1].as_str(), LONG).unwrap().code, 137);
    // Stopping or killing a stopped container is fine.
    case.docker
        .stop(ids[1].as_str(), Duration::from_secs(1))
        .unwrap();
    case.docker.kill(ids[1].as_str(), "SIGKILL").unwrap();
}

#[test]
fn kill_sends_the_signal() {
    if !docker_available("kill_sends_the_signal") {
        return;
    }
    let case = Case::new("kill");
    let dir = shared_dir();
    let mut spec = case.spec(
        "A1",
        "trap 'exit 12' USR1; touch /data/ready; sleep 1000 & wait",
    );
    spec.mounts.push(bind(dir.path(), "/data"));
    let id = case.docker.create_agent(&spec).unwrap();
    case.docker.start(id.as_str()).unwrap();
    wait_for_file(&dir.path().join("ready"), LONG);
    case.docker.kill(id.as_str(), "SIGUSR1").unwrap();
    assert_eq!(case.docker.wait(id.as_str(), LONG).unwrap().code, 12);
}

#[test]
fn parallel_waits_share_one_client() {
    if !docker_available("parallel_waits_share_one_client") {
        return;
    }
    let case = Case::new("parallel");
    let ids: Vec<_> = (1..=3)
        .map(|n| {
            let spec = case.spec(&format!("A{n}"), &format!("sleep 0.{n}; exit {n}"));
            let id = case.docker.create_agent(&spec).unwrap();
            case.docker.start(id.as_str()).unwrap();
            (n, id)
        })
        .collect();
    std::thread::scope(|s| {
        for (n, id) in &ids {
            let docker = &case.docker;
            s.spawn(move || {
                assert_eq!(docker.wait(id.as_str(), LONG).unwrap().code, i64::from(*n));
            });
        }
    });
}

#[test]
fn a_passed_deadline_is_a_timeout_error() {
    if !docker_available("a_passed_deadline_is_a_timeout_error") {
        return;
    }
    let case = Case::new("deadline");
    let id = case
        .docker
        .create_agent(&case.spec("A1", "sleep 30"))
        .unwrap();
    case.docker.start(id.as_str()).unwrap();
    let err = case
        .docker
        .wait(id.as_str(), Duration::from_millis(50))
        .unwrap_err();
    assert!(matches!(err, DockerError::Timeout { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("docker wait {id} did not finish within 50ms")
    );
    // The client still works after a cancelled call.
    assert_eq!(
        case.docker.inspect_state(id.as_str()).unwrap(),
        ContainerState::Running
    );
}

#[test]
fn a_missing_image_is_named_in_one_line() {
    if !docker_available("a_missing_image_is_named_in_one_line") {
        return;
    }
    let case = Case::new("noimage");
    let missing = format!("wave-docker-test-missing:{}", std::process::id());
    assert!(!case.docker.image_exists(&missing).unwrap());
    assert!(case.docker.image_exists(test_image()).unwrap());
    let mut spec = case.spec("A1", "true");
    spec.image = missing.clone();
    let err = case.docker.create_agent(&spec).unwrap_err();
    assert!(matches!(err, DockerError::ImageMissing(_)), "{err:?}");
    // A missing network is a 404 too (from `start` on this engine), never a missing image.
    let mut spec = case.spec("A2", "true");
    spec.network_mode = format!("wave-docker-test-no-net-{}", std::process::id());
    let net_err = case.docker.create_and_start(&spec).unwrap_err();
    // The failed start left nothing behind.
    assert_eq!(
        case.docker.inspect_state(&spec.name).unwrap(),
        ContainerState::Missing
    );
    assert!(
        matches!(net_err, DockerError::Api { status: 404, .. }),
        "{net_err:?}"
    );
    assert!(net_err.to_string().contains("network"), "{net_err}");
    assert_eq!(
        err.to_string(),
        format!(
            "docker image {missing} is not present in the engine (build or load it, or pull it explicitly)"
        )
    );
}

#[test]
fn reap_orphans_removes_only_dead_owner_inactive_run_containers() {
    if !docker_available("reap_orphans_removes_only_dead_owner_inactive_run_containers") {
        return;
    }
    let case = Case::new("reap");
    let me = Owner::current().unwrap();
    // Same pid, other start time: a process that reused our pid, i.e. a dead owner.
    let dead = Owner {
        start_ticks: me.start_ticks + 1,
        ..me.clone()
    };
    let mut created = Vec::new();
    for (agent, owner, run, running) in [
        ("A1", &dead, "old-run", true),
        ("A2", &dead, "old-run", false),
        ("A3", &dead, "live-run", false),
        ("A4", &me, "old-run", false),
        ("A5", &me, "live-run", true),
    ] {
        let mut spec = case.spec(agent, "sleep 1000");
        spec.labels.owner = owner.to_string();
        spec.labels.run_id = run.to_string();
        spec.name = format!("{}-{run}", spec.name);
        let id = case.docker.create_agent(&spec).unwrap();
        if running {
            case.docker.start(id.as_str()).unwrap();
        }
        created.push((agent, id));
    }
    // A container named like ours but without wave labels is never touched.
    let lane = format!("t{}", case.id);
    let lookalike = format!("wave-{lane}-lookalike");
    let out = std::process::Command::new("docker")
        .args(["create", "--name", &lookalike, "--label"])
        .arg(format!("wave.test.case={}", case.id))
        .args(["--label", "wave.test=1", "--label"])
        .arg(format!("wave.test.pid={}", std::process::id()))
        .args([test_image(), "true"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let removed = case
        .docker
        .reap_orphans(
            &lane,
            "default",
            |run| run == "live-run",
            |owner| {
                Owner::parse(owner)
                    .and_then(|o| o.is_alive_here())
                    .unwrap_or(false)
            },
        )
        .unwrap();
    let mut removed: Vec<_> = removed
        .iter()
        .map(|c| c.labels["wave.agent-id"].clone())
        .collect();
    removed.sort();
    assert_eq!(removed, ["A1", "A2"]);
    for (agent, id) in &created {
        let state = case.docker.inspect_state(id.as_str()).unwrap();
        assert_eq!(
            state == ContainerState::Missing,
            ["A1", "A2"].contains(agent),
            "{agent}: {state:?}"
        );
    }
    assert_ne!(
        case.docker.inspect_state(&lookalike).unwrap(),
        ContainerState::Missing
    );
}

#[test]
fn named_volumes_are_shared_and_read_only_means_read_only() {
    if !docker_available("named_volumes_are_shared_and_read_only_means_read_only") {
        return;
    }
    let case = Case::new("volume");
    let volume = TestVolume::create(&case);
    let vol = |read_only| MountSpec::Volume {
        name: volume.name.clone(),
        target: "/state".into(),
        read_only,
    };
    // The writer runs as root (a fresh volume is root-owned) with a read-only root filesystem
    // and a /tmp tmpfs.
    let mut writer = case.spec(
        "A1",
        "echo shared > /state/f && echo t > /tmp/t && ! touch /rootfs-write 2>/dev/null",
    );
    writer.mounts.push(vol(false));
    writer.read_only_rootfs = true;
    writer
        .tmpfs
        .push(wave_docker::TmpfsSpec::tmp(Some(1 << 20)));
    let mut reader = case.spec(
        "A2",
        "test \"$(cat /state/f)\" = shared && ! touch /state/g 2>/dev/null",
    );
    reader.mounts.push(vol(true));
    for spec in [writer, reader] {
        let id = case.docker.create_agent(&spec).unwrap();
        case.docker.start(id.as_str()).unwrap();
        let exit = case.docker.wait(id.as_str(), LONG).unwrap();
        assert_eq!(exit.code, 0, "{}", spec.labels.agent_id);
    }
}

#[test]
fn owner_liveness_sees_pids_and_supervisor_containers() {
    if !docker_available("owner_liveness_sees_pids_and_supervisor_containers") {
        return;
    }
    let case = Case::new("liveness");
    let me = Owner::current().unwrap();
    let live = |o: &str| case.docker.owner_liveness(o).unwrap();
    assert_eq!(live(&me.to_string()), OwnerLiveness::Alive);
    let reused = Owner {
        start_ticks: me.start_ticks + 1,
        ..me.clone()
    };
    assert_eq!(live(&reused.to_string()), OwnerLiveness::Dead);
    assert_eq!(live("not-an-owner"), OwnerLiveness::Unknown);
    assert_eq!(live("some-other-host:1:1"), OwnerLiveness::Unknown);
    // An owner inside a supervisor container (hostname = short id): unknown while that
    // container runs, dead once it has exited or is gone.
    let id = case
        .docker
        .create_agent(&case.spec("S1", "sleep 1000"))
        .unwrap();
    let short = &id.as_str()[..12];
    let inside = format!("{short}:1:100");
    assert_eq!(live(&inside), OwnerLiveness::Dead, "never started");
    case.docker.start(id.as_str()).unwrap();
    assert_eq!(live(&inside), OwnerLiveness::Unknown);
    case.docker.remove(id.as_str()).unwrap();
    assert_eq!(live(&inside), OwnerLiveness::Dead);
}
