//! `wave init` and `wave doctor` from a user's point of view.

use crate::support::{assert_success, stderr, stdout, TestRepo};

#[test]
fn init_scaffolds_a_workspace_that_doctor_accepts() {
    let repo = TestRepo::initialised();
    for file in [
        "wave.config.json",
        "docs/plans/waves/wave-0.md",
        "docs/agents/wave-cont-qa-role.md",
        "docs/context7/bundles.json",
        ".gitignore",
    ] {
        assert!(repo.path(file).is_file(), "{file} missing after init");
    }
    let out = repo.wave(&["doctor"]);
    assert_success(&out, "wave doctor");
    assert!(
        stdout(&out).contains("[wave:doctor] ok"),
        "{}",
        stdout(&out)
    );

    let json = repo.wave(&["doctor", "--json"]);
    assert_success(&json, "wave doctor --json");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("doctor JSON");
    assert_eq!(report["ok"], true);
    assert_eq!(report["errors"], serde_json::json!([]));
    assert!(report["workspaceRoot"].as_str().is_some());
}

#[test]
fn init_refuses_to_clobber_and_force_replaces() {
    let repo = TestRepo::initialised();
    repo.write("docs/plans/waves/wave-0.md", "my wave\n");
    let out = repo.wave(&["init"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one-line error: {err}");
    assert!(
        err.starts_with("wave: error: refusing to overwrite existing files: wave.config.json,"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        repo.read("docs/plans/waves/wave-0.md"),
        "my wave\n",
        "nothing replaced"
    );

    assert_success(&repo.wave(&["init", "--force"]), "wave init --force");
    assert!(repo
        .read("docs/plans/waves/wave-0.md")
        .contains("## Agent A1:"));
}

#[test]
fn doctor_reports_every_broken_wave_and_exits_1() {
    let repo = TestRepo::initialised();
    // Wave 1: no `### Prompt` section (a parse error). Wave 2: no cont-QA agent (validation).
    repo.write(
        "docs/plans/waves/wave-1.md",
        "# Wave 1\n\n## Agent A1: Broken\n\n### Executor\n\n- id: local\n",
    );
    let wave0 = repo.read("docs/plans/waves/wave-0.md");
    let without_qa = wave0
        .split("## Agent A0: cont-QA")
        .next()
        .unwrap()
        .to_string();
    repo.write("docs/plans/waves/wave-2.md", &without_qa);
    let out = repo.wave(&["doctor", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("doctor JSON");
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].starts_with("Missing \"### Prompt\" section for agent A1 in"),
        "{errors:#?}"
    );
    assert!(
        errors[1].starts_with("Invalid wave 2 (docs/plans/waves/wave-2.md):"),
        "{errors:#?}"
    );
    assert!(errors[1].contains("A0"), "{errors:#?}");
}

#[test]
fn doctor_checks_executor_commands_on_path() {
    let repo = TestRepo::initialised();
    let wave = repo.read("docs/plans/waves/wave-0.md").replacen(
        "### Executor\n\n- id: local",
        "### Executor\n\n- id: codex",
        1,
    );
    repo.write("docs/plans/waves/wave-0.md", &wave);
    let bin = tempfile::tempdir().unwrap();
    let out = repo
        .command(&["doctor"])
        .env("PATH", bin.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Executor \"codex\" requires \"codex\" on PATH"),
        "{}",
        stderr(&out)
    );

    // A fake codex on PATH satisfies the check.
    let fake = bin.path().join("codex");
    std::fs::write(&fake, "#!/bin/sh\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = repo
        .command(&["doctor"])
        .env("PATH", bin.path())
        .output()
        .unwrap();
    assert_success(&out, "wave doctor with a fake codex");
}

#[test]
fn doctor_on_an_empty_directory_explains_what_is_missing() {
    let repo = crate::support::TestRepo::new();
    let out = repo.wave(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("Waves directory not found"), "{err}");
    assert!(err.contains("warning: Missing wave.config.json"), "{err}");
}
