//! `wave k8s render` and `wave k8s wait-wave` end to end: the rendered manifests validate
//! offline against the Kubernetes 1.30 schemas (`kubernetes-validate`), the kustomize base
//! renders (`kubectl kustomize k8s/`), the checked-in example Job is what `render` prints for
//! the starter workspace, `wait-wave` returns on completion, failure and timeout, and the
//! rendered pod's container spec runs the starter wave in Docker under the same restrictions.
//!
//! The tool-gated tests print SKIP when `kubernetes-validate` or `kubectl` is missing, unless
//! `CI=true` or `WAVE_REQUIRE_K8S_TOOLS=1`, where a missing tool fails them.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{assert_success, stderr, stdout, TestRepo};

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// Whether `tool` runs; a missing tool is fatal under CI=true or WAVE_REQUIRE_K8S_TOOLS=1.
fn tool_available(test: &str, tool: &str, probe: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let required = std::env::var("CI").as_deref() == Ok("true")
            || std::env::var("WAVE_REQUIRE_K8S_TOOLS").as_deref() == Ok("1");
        if required {
            panic!("{test}: `{tool}` is missing (CI=true or WAVE_REQUIRE_K8S_TOOLS=1; .ci/run installs it)");
        }
        eprintln!("SKIP {test}: `{tool}` is not installed (set WAVE_REQUIRE_K8S_TOOLS=1 to make this fatal)");
    }
    ok
}

/// A starter workspace with a second wave (a copy of wave 0), so a render has an ordered pair.
fn two_wave_repo() -> TestRepo {
    let repo = TestRepo::initialised();
    let wave0 = repo.read("docs/plans/waves/wave-0.md");
    let wave1 = wave0
        .replace("Wave 0", "Wave 1")
        .replace("wave-0", "wave-1")
        .replace("src/hello.md", "src/hello-1.md");
    repo.write("docs/plans/waves/wave-1.md", &wave1);
    repo
}

/// Splits a YAML stream into its documents.
pub(crate) fn documents(yaml: &str) -> Vec<Value> {
    yaml.split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| serde_yaml_ng::from_str(d).expect("YAML document"))
        .collect()
}

fn kubernetes_validate(file: &Path) -> Output {
    Command::new("kubernetes-validate")
        .args(["--strict", "--kubernetes-version", "1.30.0"])
        .arg(file)
        .output()
        .expect("run kubernetes-validate")
}

#[test]
fn k8s_render_prints_ordered_jobs_that_validate_against_kubernetes_1_30() {
    let repo = two_wave_repo();
    let out = repo.wave(&["k8s", "render", "--with-base", "--namespace", "agents"]);
    assert_success(&out, "wave k8s render");
    let yaml = stdout(&out);
    let docs = documents(&yaml);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["ServiceAccount", "PersistentVolumeClaim", "Job", "Job"]
    );
    let (first, second) = (&docs[2], &docs[3]);
    assert_eq!(first["metadata"]["name"], "wave-main-wave-0");
    assert_eq!(second["metadata"]["name"], "wave-main-wave-1");
    assert!(first["spec"]["template"]["spec"]["initContainers"].is_null());
    let init = &second["spec"]["template"]["spec"]["initContainers"][0];
    assert_eq!(init["command"][2], "wait-wave");
    assert_eq!(init["command"][4], "0");
    // The second Job's deadline covers its wait for the first wave plus its own budget.
    let d0 = first["spec"]["activeDeadlineSeconds"].as_i64().unwrap();
    let d1 = second["spec"]["activeDeadlineSeconds"].as_i64().unwrap();
    assert_eq!(d1, 2 * d0);
    let wait_cmd = init["command"].as_array().unwrap();
    assert_eq!(wait_cmd[wait_cmd.len() - 2], "--timeout-seconds");
    assert_eq!(wait_cmd[wait_cmd.len() - 1], d0.to_string().as_str());
    assert!(docs.iter().all(|d| d["metadata"]["namespace"] == "agents"));

    if !tool_available(
        "k8s_render_prints_ordered_jobs_that_validate_against_kubernetes_1_30",
        "kubernetes-validate",
        &["--version"],
    ) {
        return;
    }
    let file = repo.path("rendered.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let check = kubernetes_validate(&file);
    assert_success(&check, "kubernetes-validate of the render");
    assert_eq!(
        stdout(&check).matches("passed").count(),
        4,
        "{}",
        stdout(&check)
    );
}

#[test]
fn k8s_render_selects_waves_as_launch_does_and_rejects_bad_input_in_one_line() {
    let repo = two_wave_repo();
    let names = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["k8s", "render"];
        full.extend_from_slice(args);
        let out = repo.wave(&full);
        assert_success(&out, "render");
        documents(&stdout(&out))
            .iter()
            .map(|d| d["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&["--wave", "1"]), ["wave-main-wave-1"]);
    assert_eq!(names(&["--start-wave", "1"]), ["wave-main-wave-1"]);
    assert_eq!(names(&["--end-wave", "0"]), ["wave-main-wave-0"]);
    // Rendered alone, wave 1 has nothing to wait for.
    let alone = documents(&stdout(&repo.wave(&["k8s", "render", "--wave", "1"])));
    assert!(alone[0]["spec"]["template"]["spec"]["initContainers"].is_null());

    let output = repo.path("out.yaml");
    let output_arg = output.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["--wave", "9"],
            "No waves available for range start=9, end=9",
        ),
        (
            vec!["--start-wave", "1", "--end-wave", "0"],
            "--end-wave must be >= --start-wave",
        ),
        (vec!["--pvc", "Work_Space"], "--pvc: \"Work_Space\""),
        (
            vec!["--memory-limit", "8GB"],
            "--memory-limit: \"8GB\" is not a Kubernetes quantity",
        ),
        (vec!["--lane", "nosuchlane"], ""),
    ] {
        let mut full = vec!["k8s", "render", "--output", output_arg];
        full.extend(args.iter().copied());
        let out = repo.wave(&full);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(!output.exists(), "{args:?} left {output_arg}");
    }
    // A broken wave file stops the render, as it stops a launch.
    repo.write(
        "docs/plans/waves/wave-2.md",
        "# Wave 2 - broken\n\nno agents\n",
    );
    let out = repo.wave(&["k8s", "render", "--wave", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
}

#[test]
fn k8s_example_job_is_what_render_prints_for_the_starter_workspace() {
    let repo = TestRepo::initialised();
    let out = repo.wave(&["k8s", "render", "--wave", "0"]);
    assert_success(&out, "render");
    let checked_in = std::fs::read_to_string(repo_file("k8s/jobs/wave-0.yaml")).unwrap();
    assert_eq!(
        stdout(&out),
        checked_in,
        "k8s/jobs/wave-0.yaml is stale: regenerate it as k8s/README.md says"
    );
}

/// The kubectl to test the base with: `$WAVE_KUBECTL`, else `kubectl` on PATH.
fn kubectl() -> String {
    std::env::var("WAVE_KUBECTL").unwrap_or_else(|_| "kubectl".into())
}

#[test]
fn k8s_kustomize_base_renders() {
    let kubectl = kubectl();
    if !tool_available(
        "k8s_kustomize_base_renders",
        &kubectl,
        &["version", "--client"],
    ) {
        return;
    }
    let out = Command::new(&kubectl)
        .arg("kustomize")
        .arg(repo_file("k8s"))
        .output()
        .expect("run kubectl kustomize");
    assert_success(&out, "kubectl kustomize k8s/");
    let docs = documents(&stdout(&out));
    // Kustomize v2 (kubectl 1.20) orders by kind, later versions keep the resources' order.
    let mut kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["Job", "PersistentVolumeClaim", "ServiceAccount"]);
    let job = docs.iter().find(|d| d["kind"] == "Job").unwrap();
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["image"],
        "wave:latest"
    );
    assert!(docs
        .iter()
        .all(|d| d["metadata"]["labels"]["app.kubernetes.io/part-of"] == "wave"));
    if tool_available(
        "k8s_kustomize_base_renders",
        "kubernetes-validate",
        &["--version"],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("base.yaml");
        std::fs::write(&file, &out.stdout).unwrap();
        assert_success(
            &kubernetes_validate(&file),
            "kubernetes-validate of the base",
        );
    }
}

/// A running `wave k8s wait-wave`.
struct Waiting {
    child: Child,
    stderr: BufReader<ChildStderr>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `wave k8s wait-wave` and returns once it has begun waiting (its first stderr line):
/// what the test writes after that is new to it.
fn spawn_wait(repo: &TestRepo, args: &[&str]) -> Waiting {
    let mut full = vec!["k8s", "wait-wave", "--lane", "main"];
    full.extend_from_slice(args);
    let mut child = repo
        .command(&full)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wait-wave");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("[wave] waiting for wave"), "{line}");
    Waiting { child, stderr }
}

/// Waits for the waiter to exit within `limit` (killing it if it overruns); its exit code,
/// how long it took after this call, and the rest of its stderr.
fn finish(mut waiting: Waiting, limit: Duration) -> (Option<i32>, Duration, String) {
    let started = Instant::now();
    loop {
        if let Some(status) = waiting.child.try_wait().unwrap() {
            let took = started.elapsed();
            let mut err = String::new();
            waiting.stderr.read_to_string(&mut err).unwrap();
            return (status.code(), took, err);
        }
        assert!(
            started.elapsed() < limit,
            "wait-wave still running after {limit:?}"
        );
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(Duration::from_millis(5));
    }
}

const STATE: &str = ".tmp/main-wave-launcher";

#[test]
fn k8s_wait_wave_returns_0_once_the_wave_is_recorded_completed() {
    let repo = TestRepo::initialised();
    let child = spawn_wait(&repo, &["--wave", "0", "--timeout-seconds", "30"]);
    // What the launcher writes: run-state.json, atomically (temp file + rename).
    std::fs::create_dir_all(repo.path(STATE)).unwrap();
    let tmp = repo.path(&format!("{STATE}/.run-state.json.tmp"));
    let mut file = std::fs::File::create(&tmp).unwrap();
    file.write_all(
        br#"{"schemaVersion":2,"kind":"wave-run-state","completedWaves":[0],"waves":{},"history":[]}"#,
    )
    .unwrap();
    drop(file);
    std::fs::rename(&tmp, repo.path(&format!("{STATE}/run-state.json"))).unwrap();
    let (code, took, err) = finish(child, Duration::from_secs(20));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("recorded completed"), "{err}");
    // Woken by inotify (benchmarked at well under 30 ms); the bound leaves room for a loaded
    // CI machine and stays below the 1 s fallback re-read.
    assert!(took < Duration::from_millis(900), "took {took:?}");
}

#[test]
fn k8s_wait_wave_exits_1_when_the_wave_is_recorded_failed() {
    let repo = TestRepo::initialised();
    let child = spawn_wait(&repo, &["--wave", "0", "--timeout-seconds", "30"]);
    let dir = repo.path(&format!("{STATE}/control-plane"));
    std::fs::create_dir_all(&dir).unwrap();
    let event = r#"{"recordVersion":1,"lane":"main","wave":0,"entityType":"wave_run","entityId":"wave-0","action":"failed","recordedAt":"2026-12-08T00:00:00.000Z","data":{"failures":[{"code":"cont-qa-blocked"}]}}"#;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("wave-0.jsonl"))
        .unwrap();
    writeln!(log, "{event}").unwrap();
    drop(log);
    let (code, _, err) = finish(child, Duration::from_secs(20));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("wave 0 of lane main is recorded failed"),
        "{err}"
    );
    assert!(err.contains("cont-qa-blocked"), "{err}");

    // A failure already there when the wait begins is taken as stale for the grace period
    // (a re-run is about to start), then counts.
    let waiting = repo.wave(&["k8s", "wait-wave", "--wave", "0", "--timeout-seconds", "1"]);
    assert_eq!(waiting.status.code(), Some(124), "{}", stderr(&waiting));
    let no_grace = repo.wave(&[
        "k8s",
        "wait-wave",
        "--wave",
        "0",
        "--timeout-seconds",
        "5",
        "--failure-grace-seconds",
        "0",
    ]);
    assert_eq!(no_grace.status.code(), Some(1), "{}", stderr(&no_grace));
}

#[test]
fn k8s_wait_wave_exits_124_on_timeout() {
    let repo = TestRepo::initialised();
    let started = Instant::now();
    let out = repo.wave(&["k8s", "wait-wave", "--wave", "0", "--timeout-seconds", "1"]);
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(stderr(&out).contains("within 1 s (--timeout-seconds)"));
    let once = repo.wave(&["k8s", "wait-wave", "--wave", "0", "--timeout-seconds", "0"]);
    assert_eq!(once.status.code(), Some(124));
}
