//! `wave launch --dry-run`: what it writes, what it never touches, and how it rejects input.

use std::path::Path;

use crate::support::{assert_success, stderr, stdout, TestRepo};

const DRY: &str = ".tmp/main-wave-launcher/dry-run";

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn dry_run_writes_manifest_prompts_and_previews_only_under_dry_run() {
    let repo = TestRepo::initialised();
    let out = repo.wave(&["launch", "--dry-run"]);
    assert_success(&out, "wave launch --dry-run");
    assert!(
        stdout(&out)
            .contains("Manifest written: .tmp/main-wave-launcher/dry-run/waves.manifest.json"),
        "{}",
        stdout(&out)
    );

    let state = repo.path(".tmp/main-wave-launcher");
    let written = files_under(&state);
    assert!(
        written.iter().all(|f| f.starts_with("dry-run/")),
        "live state touched: {written:#?}"
    );
    for slug in ["0-a1", "0-a8", "0-a9", "0-a0"] {
        assert!(
            written.contains(&format!("dry-run/prompts/wave-0-{slug}.prompt.md")),
            "{written:#?}"
        );
        assert!(
            written.contains(&format!(
                "dry-run/executors/wave-0/{slug}/launch-preview.json"
            )),
            "{written:#?}"
        );
    }

    let manifest: serde_json::Value =
        serde_json::from_str(&repo.read(&format!("{DRY}/waves.manifest.json"))).unwrap();
    assert_eq!(manifest["kind"], "wave-manifest");
    assert_eq!(manifest["source"], "docs/**/*");
    let agents: Vec<&str> = manifest["waves"][0]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agentId"].as_str().unwrap())
        .collect();
    assert_eq!(agents, ["A1", "A8", "A9", "A0"]);
    assert_eq!(
        manifest["waves"][0]["agents"][0]["ownedPaths"],
        serde_json::json!(["src/hello.md"])
    );
    assert_eq!(
        manifest["waves"][0]["agents"][0]["executorResolved"]["id"],
        "local"
    );
    assert!(manifest["docs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["path"] == "docs/plans/waves/wave-0.md"));

    let preview: serde_json::Value = serde_json::from_str(
        &repo.read(&format!("{DRY}/executors/wave-0/0-a1/launch-preview.json")),
    )
    .unwrap();
    assert_eq!(preview["executorId"], "local");
    assert_eq!(preview["useRateLimitRetries"], false);
    let line = preview["invocationLines"][0].as_str().unwrap();
    let root = repo.root().to_string_lossy();
    assert!(line.ends_with(&format!(
        " local-executor --prompt-file '{root}/{DRY}/prompts/wave-0-0-a1.prompt.md' 2>&1 | tee '{root}/{DRY}/logs/wave-0-0-a1.log'"
    )), "{line}");

    let prompt = repo.read(&format!("{DRY}/prompts/wave-0-0-a1.prompt.md"));
    assert!(prompt
        .contains("You are the Wave executor running Wave 0 / Agent A1: Starter implementation."));
    assert!(prompt.contains("Exit contract for this run:\n- completion: contract"));
    assert!(prompt.contains("Deliverables required for this agent:\n- src/hello.md"));
    let qa = repo.read(&format!("{DRY}/prompts/wave-0-0-a0.prompt.md"));
    assert!(qa.contains("[wave-gate] architecture=<pass|concerns|blocked>"));
    assert!(
        qa.contains("You are the wave's cont-QA closure agent."),
        "role prompt composed in"
    );
}

#[test]
fn manifest_out_and_range() {
    let repo = TestRepo::initialised();
    let out = repo.wave(&[
        "launch",
        "--dry-run",
        "--manifest-out",
        "out/m.json",
        "--start-wave",
        "0",
        "--end-wave",
        "0",
    ]);
    assert_success(&out, "dry run with --manifest-out");
    assert!(repo.path("out/m.json").is_file());
    assert!(!repo.path(&format!("{DRY}/waves.manifest.json")).exists());

    let out = repo.wave(&["launch", "--dry-run", "--start-wave", "5"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "wave: error: No waves available for range start=5, end=last"
    );
}

#[test]
fn bad_flags_are_one_line_errors_that_write_nothing() {
    let repo = TestRepo::initialised();
    let cases: &[(&[&str], &str)] = &[
        (
            &["launch", "--dry-run", "--executor", "gpt"],
            "--executor: expected one of codex, claude, opencode, local, got \"gpt\"",
        ),
        (
            &["launch", "--dry-run", "--codex-sandbox", "open"],
            "--codex-sandbox: expected one of",
        ),
        (
            &[
                "launch",
                "--dry-run",
                "--start-wave",
                "3",
                "--end-wave",
                "1",
            ],
            "--end-wave must be >= --start-wave",
        ),
        (
            &["launch", "--terminal-surface", "none"],
            "--terminal-surface none is only supported with --dry-run",
        ),
        (
            &[
                "launch",
                "--dry-run",
                "--agent-rate-limit-base-delay-seconds",
                "30",
                "--agent-rate-limit-max-delay-seconds",
                "10",
            ],
            "--agent-rate-limit-max-delay-seconds must be >= --agent-rate-limit-base-delay-seconds",
        ),
        (
            &["launch", "--dry-run", "--project", "nope"],
            "Unknown project: nope",
        ),
    ];
    for (args, expected) in cases {
        let out = repo.wave(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("wave: error: ") && err.contains(expected),
            "{args:?}: {err}"
        );
    }
    assert!(
        !repo.path(".tmp").exists(),
        "rejected input left state behind"
    );

    let unknown = repo.wave(&["launch", "--frobnicate"]);
    assert_eq!(unknown.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn an_invalid_wave_aborts_before_anything_is_written() {
    let repo = TestRepo::initialised();
    let wave = repo.read("docs/plans/waves/wave-0.md").replacen(
        "### Executor\n\n- id: local",
        "### Executor\n\n- id: local\n- codex.foo: 1",
        1,
    );
    repo.write("docs/plans/waves/wave-0.md", &wave);
    let out = repo.wave(&["launch", "--dry-run"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("Unsupported Executor setting \"codex.foo\" in agent A1"),
        "{err}"
    );
    assert!(!repo.path(".tmp").exists());
}

#[test]
fn vendor_executors_get_their_command_lines_and_overlays() {
    let repo = TestRepo::initialised();
    let wave = repo
        .read("docs/plans/waves/wave-0.md")
        .replacen("### Executor\n\n- id: local", "### Executor\n\n- id: codex\n- model: gpt-5-codex", 1)
        .replacen(
            "### Executor\n\n- id: local",
            "### Executor\n\n- id: claude\n- claude.settings_json: {\"permissions\":{\"allow\":[\"Read\"]}}",
            1,
        )
        .replacen("### Executor\n\n- id: local", "### Executor\n\n- id: opencode\n- opencode.steps: 5", 1);
    repo.write("docs/plans/waves/wave-0.md", &wave);
    let out = repo.wave(&["launch", "--dry-run"]);
    assert_success(&out, "dry run with vendor executors");
    let root = repo.root().to_string_lossy().into_owned();
    let dir = format!("{root}/{DRY}");
    let preview = |slug: &str| -> serde_json::Value {
        serde_json::from_str(&repo.read(&format!(
            "{DRY}/executors/wave-0/{slug}/launch-preview.json"
        )))
        .unwrap()
    };

    let codex = preview("0-a1");
    assert_eq!(codex["executorId"], "codex");
    assert_eq!(codex["useRateLimitRetries"], true);
    assert_eq!(
        codex["invocationLines"][0],
        format!(
            "codex --ask-for-approval never exec --skip-git-repo-check --sandbox 'danger-full-access' --model 'gpt-5-codex' - < '{dir}/prompts/wave-0-0-a1.prompt.md' 2>&1 | tee -a '{dir}/logs/wave-0-0-a1.log'"
        )
    );

    let claude = preview("0-a8");
    assert_eq!(
        claude["invocationLines"][0],
        format!("task_prompt=$(cat '{dir}/prompts/wave-0-0-a8.prompt.md')")
    );
    assert_eq!(
        claude["invocationLines"][1],
        format!(
            "claude -p --no-session-persistence --output-format 'text' --settings '{dir}/executors/wave-0/0-a8/claude-settings.json' --append-system-prompt-file '{dir}/executors/wave-0/0-a8/claude-system-prompt.txt' \"$task_prompt\" 2>&1 | tee -a '{dir}/logs/wave-0-0-a8.log'"
        )
    );
    let settings: serde_json::Value = serde_json::from_str(
        &repo.read(&format!("{DRY}/executors/wave-0/0-a8/claude-settings.json")),
    )
    .unwrap();
    assert_eq!(
        settings,
        serde_json::json!({"permissions": {"allow": ["Read"]}})
    );
    assert!(repo
        .read(&format!(
            "{DRY}/executors/wave-0/0-a8/claude-system-prompt.txt"
        ))
        .contains("A8"));

    let opencode = preview("0-a9");
    assert_eq!(
        opencode["env"]["OPENCODE_CONFIG"],
        format!("{dir}/executors/wave-0/0-a9/opencode.json")
    );
    assert_eq!(opencode["limits"]["knownTurnLimit"], 5);
    let config: serde_json::Value =
        serde_json::from_str(&repo.read(&format!("{DRY}/executors/wave-0/0-a9/opencode.json")))
            .unwrap();
    assert_eq!(config["agent"]["wave-a9"]["steps"], 5);
    assert_eq!(opencode["skills"]["runtime"], "opencode");
    assert_eq!(opencode["skills"]["role"], "documentation");
}

#[test]
fn previewed_local_lines_run_the_builtin_executor() {
    let repo = TestRepo::initialised();
    assert_success(
        &repo.wave(&["launch", "--dry-run"]),
        "wave launch --dry-run",
    );
    std::fs::create_dir_all(repo.path(&format!("{DRY}/logs"))).unwrap();
    for (slug, marker) in [
        (
            "0-a1",
            "[wave-proof] completion=contract durability=none proof=unit state=met",
        ),
        ("0-a8", "[wave-integration] state=ready-for-doc-closure"),
        ("0-a9", "[wave-doc-closure] state=no-change"),
        (
            "0-a0",
            "[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=pass",
        ),
    ] {
        let preview: serde_json::Value = serde_json::from_str(&repo.read(&format!(
            "{DRY}/executors/wave-0/{slug}/launch-preview.json"
        )))
        .unwrap();
        let line = preview["invocationLines"][0].as_str().unwrap();
        let out = std::process::Command::new("bash")
            .args(["-c", &format!("set -o pipefail; {line}")])
            .current_dir(repo.root())
            .output()
            .unwrap();
        assert_success(&out, line);
        let log = repo.read(&format!("{DRY}/logs/wave-0-{slug}.log"));
        assert!(log.contains(marker), "{slug}: {log}");
    }
    assert!(
        repo.read("src/hello.md").contains("Wave local executor"),
        "deliverable placeholder created"
    );
    assert!(repo
        .read("docs/plans/waves/reviews/wave-0-cont-qa.md")
        .trim_end()
        .ends_with("Verdict: PASS"));

    // The executor's exit code is the process's, so a runner can record it.
    let out = repo
        .command(&[
            "local-executor",
            "--prompt-file",
            &format!("{DRY}/prompts/wave-0-0-a1.prompt.md"),
        ])
        .env("WAVE_LOCAL_EXECUTOR_EXIT_CODE", "3")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let bad = repo
        .command(&[
            "local-executor",
            "--prompt-file",
            &format!("{DRY}/prompts/wave-0-0-a1.prompt.md"),
        ])
        .env("WAVE_LOCAL_EXECUTOR_DELAY_MS", "soon")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("WAVE_LOCAL_EXECUTOR_DELAY_MS"),
        "{}",
        stderr(&bad)
    );
}

/// The validator's realistic fixture (every closure role, eval targets, a design steward, a
/// security reviewer, a component matrix, default thresholds) as a repository on disk.
fn realistic_repo() -> TestRepo {
    let repo = TestRepo::new();
    macro_rules! fixture {
        ($rel:literal, $file:literal) => {
            repo.write(
                $rel,
                include_str!(concat!(
                    "../../crates/wave-core/src/validate/testdata/",
                    $file
                )),
            )
        };
    }
    repo.write("wave.config.json", "{}\n");
    fixture!("docs/plans/waves/wave-6.md", "wave-6.md");
    fixture!(
        "docs/plans/component-cutover-matrix.json",
        "component-cutover-matrix.json"
    );
    fixture!("docs/context7/bundles.json", "bundles.json");
    fixture!(
        "docs/evals/benchmark-catalog.json",
        "benchmark-catalog.json"
    );
    fixture!("docs/agents/wave-cont-qa-role.md", "wave-cont-qa-role.md");
    fixture!(
        "docs/agents/wave-cont-eval-role.md",
        "wave-cont-eval-role.md"
    );
    fixture!(
        "docs/agents/wave-integration-role.md",
        "wave-integration-role.md"
    );
    fixture!(
        "docs/agents/wave-documentation-role.md",
        "wave-documentation-role.md"
    );
    fixture!("docs/agents/wave-security-role.md", "wave-security-role.md");
    fixture!("docs/agents/wave-design-role.md", "wave-design-role.md");
    repo
}

#[test]
fn realistic_wave_prompts_carry_eval_targets_and_role_duties() {
    let repo = realistic_repo();
    let out = repo.wave(&["launch", "--dry-run", "--start-wave", "6"]);
    assert_success(&out, "dry run of the realistic wave");
    let prompt = |slug: &str| repo.read(&format!("{DRY}/prompts/wave-6-{slug}.prompt.md"));

    let eval = prompt("6-e0");
    assert!(
        eval.contains(
            "Eval targets for this wave:\n- Benchmark catalog: docs/evals/benchmark-catalog.json\n\
             - replay-latency: pinned benchmarks=http-latency objective=Keep replay latency flat threshold=p95 under 250ms\n\
             - output-shape: delegated family=service-output allowed-benchmarks=response-shape, error-shape objective=Responses keep their shape threshold=no regressions\n"
        ),
        "{eval}"
    );
    assert!(eval.contains("[wave-eval] state=<satisfied|needs-more-work|blocked>"));
    assert!(prompt("6-a7").contains("[wave-security] state=<clear|concerns|blocked>"));
    assert!(
        prompt("6-a1").contains("Components you own in this wave:\n- ledger-core: repo-landed\n")
    );
    assert!(prompt("6-a1").contains("Context7 scope for this run:\n- Bundle: node\n"));
}
