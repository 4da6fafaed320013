//! IO tests in a temporary repository: files created or left alone, knobs honoured (the delay
//! through an injected sleeper, never real time).

use std::fs;
use std::path::Path;
use std::time::Duration;

use wave_core::local_executor::knobs::{
    COUNT_FILE_VAR, DELAY_MS_VAR, EXIT_CODE_VAR, FAIL_AGENTS_VAR,
};
use wave_core::prompt::{self, Duties, PromptInputs, RoleIds};

use super::*;

fn compiled(agent_id: &str, duties: Duties, deliverables: &[String], owned: &str) -> String {
    let agent_prompt = format!("Do it.\n\nFile ownership:\n{owned}\n");
    prompt::compile(&PromptInputs {
        working_dir: "/repo",
        lane: "main",
        wave: 5,
        agent_id,
        title: "Worker",
        roles: RoleIds {
            cont_qa: "A0",
            cont_eval: "E0",
            integration: "A8",
            documentation: "A9",
        },
        executor_id: "local",
        message_board: ("/repo/b.md", "b.md"),
        duties,
        shared_plan_docs: &[],
        exit_contract: None,
        promotions: &[],
        benchmark_catalog: None,
        eval_targets: &[],
        components: &[],
        deliverables,
        design_packets: &[],
        proof_artifacts: &[],
        skills: None,
        context7: None,
        agent_prompt: &agent_prompt,
    })
}

fn implementation() -> Duties {
    Duties {
        implementation: true,
        ..Duties::default()
    }
}

fn knobs(pairs: &[(&str, String)]) -> Knobs {
    Knobs::from_lookup(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap()
}

/// Runs with `knobs`, a recording sleeper and pid 4242; returns (exit code, output, sleeps).
fn exec(root: &Path, prompt: &str, knobs: Knobs) -> (i32, String, Vec<Duration>) {
    fs::write(root.join("prompt.md"), prompt).unwrap();
    let mut sleeps = Vec::new();
    let mut sleep = |d: Duration| sleeps.push(d);
    let mut out = Vec::new();
    let code = run_with(
        Path::new("prompt.md"),
        root,
        &mut out,
        RunOptions {
            knobs,
            sleep: &mut sleep,
            pid: 4242,
        },
    )
    .unwrap();
    (code, String::from_utf8(out).unwrap(), sleeps)
}

#[test]
fn creates_missing_files_and_leaves_existing_ones_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("docs")).unwrap();
    fs::write(root.join("docs/guide.md"), "hand-written\n").unwrap();
    let deliverables = vec![
        "src/deep/new.rs".to_string(),
        "docs/guide.md".to_string(),
        "../outside.md".to_string(),
    ];
    let prompt = compiled("A1", implementation(), &deliverables, "- src/\n- docs/");
    let (code, out, sleeps) = exec(root, &prompt, Knobs::default());
    assert_eq!(code, 0);
    assert!(sleeps.is_empty());
    assert_eq!(
        fs::read_to_string(root.join("docs/guide.md")).unwrap(),
        "hand-written\n"
    );
    let created = fs::read_to_string(root.join("src/deep/new.rs")).unwrap();
    assert!(created.starts_with("//! Placeholder written by the Wave local executor"));
    assert!(!root.parent().unwrap().join("outside.md").exists());
    assert!(
        out.contains("[local-executor] created: src/deep/new.rs\n"),
        "{out}"
    );
    assert!(
        out.contains("[local-executor] exists: docs/guide.md\n"),
        "{out}"
    );
    assert!(
        out.contains("[local-executor] skipped: ../outside.md"),
        "{out}"
    );
    assert!(out.contains("\n[wave-proof] completion=contract durability=none proof=unit state=met"));
    assert!(out.contains("\n[wave-doc-delta] state=owned paths=docs/guide.md detail="));
    // A second run finds everything in place and changes nothing.
    let before = fs::read_to_string(root.join("src/deep/new.rs")).unwrap();
    fs::write(root.join("src/deep/new.rs"), "edited by the agent\n").unwrap();
    let (_, out, _) = exec(root, &prompt, Knobs::default());
    assert!(out.contains("[local-executor] exists: src/deep/new.rs\n"));
    assert_ne!(before, "edited by the agent\n");
    assert_eq!(
        fs::read_to_string(root.join("src/deep/new.rs")).unwrap(),
        "edited by the agent\n"
    );
}

#[test]
fn output_passes_the_marker_summary() {
    let dir = tempfile::tempdir().unwrap();
    let duties = Duties {
        security: true,
        ..Duties::default()
    };
    let prompt = compiled("A7", duties, &[], "- docs/security/wave-5-review.md");
    let (_, out, _) = exec(dir.path(), &prompt, Knobs::default());
    let report = dir.path().join("docs/security/wave-5-review.md");
    assert!(fs::read_to_string(report)
        .unwrap()
        .contains("## Final Disposition"));
    let summary = wave_core::markers::build_summary(&out, None, Default::default());
    let security = summary
        .security
        .expect("security marker parsed from real output");
    assert_eq!(security.findings, 0);
    assert!(summary.proof.is_none());
}

#[test]
fn delay_is_slept_before_any_file_or_marker() {
    let dir = tempfile::tempdir().unwrap();
    let prompt = compiled("A8", Duties::default(), &[], "- docs/x.md");
    let (code, out, sleeps) = exec(dir.path(), &prompt, knobs(&[(DELAY_MS_VAR, "1500".into())]));
    assert_eq!(code, 0);
    assert_eq!(sleeps, [Duration::from_millis(1500)]);
    let hold = out.find("holding for 1500 ms").unwrap();
    assert!(hold < out.find("[local-executor] created").unwrap());
    assert!(hold < out.find("[wave-integration]").unwrap());
}

#[test]
fn exit_code_and_fail_agents_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let prompt = compiled("A1", implementation(), &[], "- src/a.rs");
    let (code, out, _) = exec(dir.path(), &prompt, knobs(&[(EXIT_CODE_VAR, "9".into())]));
    assert_eq!(code, 9);
    assert!(out.contains("state=met") && out.ends_with("completed exit=9\n"));
    let failing = knobs(&[(FAIL_AGENTS_VAR, "A2,A1:17".into())]);
    let (code, out, _) = exec(dir.path(), &prompt, failing);
    assert_eq!(code, 17);
    assert!(out.contains("injected-gap=true"));
    assert!(out.contains("[wave-proof] completion=contract durability=none proof=unit state=gap"));
}

#[test]
fn count_file_gets_one_line_per_run() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("runs.txt");
    let k = || knobs(&[(COUNT_FILE_VAR, count.to_string_lossy().into_owned())]);
    let prompt = compiled("A1", implementation(), &[], "- src/a.rs");
    exec(dir.path(), &prompt, k());
    exec(
        dir.path(),
        &compiled("A9", Duties::default(), &[], "- docs/a.md"),
        k(),
    );
    assert_eq!(
        fs::read_to_string(&count).unwrap(),
        "5 A1 4242\n5 A9 4242\n"
    );
    let missing_dir = knobs(&[(COUNT_FILE_VAR, "/nonexistent-dir/x/runs.txt".into())]);
    fs::write(dir.path().join("p.md"), &prompt).unwrap();
    let mut sleep = |_d: Duration| {};
    let err = run_with(
        Path::new("p.md"),
        dir.path(),
        &mut Vec::new(),
        RunOptions {
            knobs: missing_dir,
            sleep: &mut sleep,
            pid: 1,
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("WAVE_LOCAL_EXECUTOR_COUNT_FILE"),
        "{err}"
    );
}

#[test]
fn missing_prompt_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = run(Path::new("nope.md"), dir.path(), &mut Vec::new()).unwrap_err();
    assert!(matches!(err, LocalExecutorError::ReadPrompt { .. }));
    assert!(err.to_string().contains("nope.md"), "{err}");
}

#[test]
fn invalid_utf8_and_empty_prompts_do_nothing_harmful() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.md"), [0xff, 0xfe, b'\n', 0xc3]).unwrap();
    let mut sleep = |_d: Duration| {};
    let mut out = Vec::new();
    let code = run_with(
        Path::new("bad.md"),
        dir.path(),
        &mut out,
        RunOptions {
            knobs: Knobs::default(),
            sleep: &mut sleep,
            pid: 1,
        },
    )
    .unwrap();
    assert_eq!(code, 0);
    assert!(String::from_utf8(out).unwrap().contains("nothing to do"));
}

#[cfg(unix)]
#[test]
fn symlinks_never_lead_outside_the_repo_and_dangling_ones_count_as_existing() {
    let outside = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
    let prompt = compiled(
        "A1",
        implementation(),
        &["link/x.rs".to_string()],
        "- link/",
    );
    fs::write(root.join("prompt.md"), &prompt).unwrap();
    let mut sleep = |_d: Duration| {};
    let err = run_with(
        Path::new("prompt.md"),
        root,
        &mut Vec::new(),
        RunOptions {
            knobs: Knobs::default(),
            sleep: &mut sleep,
            pid: 1,
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, LocalExecutorError::OutsideRepo { .. }),
        "{err}"
    );
    assert!(!outside.path().join("x.rs").exists());

    std::os::unix::fs::symlink(root.join("missing-target"), root.join("dangling.rs")).unwrap();
    let prompt = compiled(
        "A1",
        implementation(),
        &["dangling.rs".to_string()],
        "- dangling.rs",
    );
    let (_, out, _) = exec(root, &prompt, Knobs::default());
    assert!(
        out.contains("[local-executor] exists: dangling.rs"),
        "{out}"
    );
    assert!(!root.join("missing-target").exists());
}
