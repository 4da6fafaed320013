//! The generated agent script run by a real `bash` with fake executors on `PATH`.
//!
//! A fake `sleep` on `PATH` records the back-off it was asked for and returns at once, so the
//! rate-limit tests assert the delays without waiting for them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use wave_core::config::{Config, ExecutorOverrides, ExecutorRequest, RuntimeRole};
use wave_core::launch_spec::{self, agent_script, RateLimitPolicy, SkillProjection, SpecInput};

fn executable(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/bash\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// A repo with a fake `codex` whose behaviour per call is scripted by `codex_body`
    /// (it can read `$CALLS`, the 1-based call number).
    fn new(codex_body: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        executable(
            &bin.join("codex"),
            &format!(
                "n=$(( $(cat \"$FAKE_STATE/calls\" 2>/dev/null || echo 0) + 1 )); echo $n > \"$FAKE_STATE/calls\"; CALLS=$n\ncat > /dev/null\n{codex_body}"
            ),
        );
        executable(&bin.join("sleep"), "echo \"$1\" >> \"$FAKE_STATE/sleeps\"");
        std::fs::write(
            dir.path().join("prompt.md"),
            "You are the Wave executor running Wave 0 / Agent A1: T.\n",
        )
        .unwrap();
        Fixture { dir }
    }

    fn run(&self, policy: RateLimitPolicy) -> (i32, String, Vec<u32>) {
        let root = self.dir.path();
        let lane = Config::default()
            .resolve_lane(None, None, &|_| false)
            .unwrap();
        let mut overrides = ExecutorOverrides::default();
        overrides.apply_setting("id", "codex").unwrap();
        let executor = wave_core::config::resolve_agent_executor(
            &lane,
            &ExecutorRequest {
                agent_id: "A1",
                overrides: Some(&overrides),
                role: RuntimeRole::Implementation,
                proof_centric: false,
                cli_executor: None,
                cli_codex_sandbox: None,
            },
        )
        .unwrap();
        let prompt = root.join("prompt.md").to_string_lossy().into_owned();
        let log = root.join("agent.log").to_string_lossy().into_owned();
        let skills = SkillProjection::default();
        let spec = launch_spec::build(&SpecInput {
            agent_id: "A1",
            title: "T",
            executor: &executor,
            prompt_path: &prompt,
            log_path: &log,
            overlay_dir: &root.to_string_lossy(),
            wave_binary: "/nonexistent/wave",
            skills: &skills,
            claude_base_settings: None,
        });
        let script = agent_script(&spec, &root.to_string_lossy(), "main", "A1", &log, policy);
        let path = format!(
            "{}:{}",
            root.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .args(["-c", &script])
            .env("PATH", path)
            .env("FAKE_STATE", root)
            .output()
            .unwrap();
        assert!(
            out.stdout.is_empty(),
            "the script's stdout must stay empty (the log gets the output)"
        );
        let sleeps = std::fs::read_to_string(root.join("sleeps"))
            .unwrap_or_default()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        (
            out.status.code().unwrap_or(-1),
            std::fs::read_to_string(&log).unwrap_or_default(),
            sleeps,
        )
    }
}

#[test]
fn the_executor_exit_code_survives_the_script() {
    let f = Fixture::new("echo working; exit 3");
    let (code, log, sleeps) = f.run(RateLimitPolicy::default());
    assert_eq!(code, 3, "upstream's script would exit 0 here");
    assert_eq!(log, "working\n");
    assert!(
        sleeps.is_empty(),
        "a non-rate-limit failure is never retried"
    );
}

#[test]
fn a_rate_limited_try_is_retried_after_a_bounded_backoff() {
    let f = Fixture::new("if [ $CALLS -eq 1 ]; then echo 'Error: 429 Too Many Requests'; exit 1; fi; echo '[wave-proof] ok'");
    let (code, log, sleeps) = f.run(RateLimitPolicy {
        retries: 2,
        base_delay_seconds: 20,
        max_delay_seconds: 180,
    });
    assert_eq!(code, 0);
    assert_eq!(sleeps.len(), 1, "{log}");
    assert!(
        (20..=24).contains(&sleeps[0]),
        "delay {} outside base..base+4",
        sleeps[0]
    );
    let notices: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("rate-limit detected"))
        .collect();
    assert_eq!(
        notices,
        [format!(
            "[main-wave-launcher] rate-limit detected for A1; retry 1/3 after {}s",
            sleeps[0]
        )]
    );
    assert!(log.ends_with("[wave-proof] ok\n"), "{log}");
}

#[test]
fn retries_stop_at_the_bound_and_zero_disables_them() {
    let f = Fixture::new("echo 'rate limit exceeded'; exit 7");
    let (code, _, sleeps) = f.run(RateLimitPolicy {
        retries: 2,
        base_delay_seconds: 100,
        max_delay_seconds: 150,
    });
    assert_eq!(code, 7);
    assert_eq!(sleeps.len(), 2);
    assert!((100..=104).contains(&sleeps[0]));
    assert!(
        (150..=154).contains(&sleeps[1]),
        "capped at max: {}",
        sleeps[1]
    );

    let f = Fixture::new("echo '429 Too Many Requests'; exit 1");
    let (code, _, sleeps) = f.run(RateLimitPolicy {
        retries: 0,
        base_delay_seconds: 20,
        max_delay_seconds: 180,
    });
    assert_eq!(code, 1);
    assert!(sleeps.is_empty());
}
