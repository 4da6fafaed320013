//! Upstream compatibility behaviours (launcher reference §7) end to end, with a scripted fake
//! executor configured as `executors.codex.command`, as upstream's own v0.9.1 runs were checked.
//!
//! The fake reads the prompt on stdin, takes the agent id from the prompt's
//! `You are the Wave executor running Wave <n> / Agent <id>: …` line, logs the call and its start
//! and end times, then sources `fake/<id>.<call>.sh` (or `fake/<id>.sh`) in the repository root:
//! the test decides, per agent and per call, which markers it prints, which files it writes and
//! which exit code (`code=`) it returns.

use std::path::PathBuf;
use std::process::Output;

use crate::support::{assert_success, stderr, stdout, TestRepo};

const STATE: &str = ".tmp/main-wave-launcher";

const FAKE_CODEX: &str = r#"#!/bin/bash
set -u
dir="$FAKE_DIR"
cd "$FAKE_ROOT" || exit 99
prompt=$(cat)
agent=$(printf '%s\n' "$prompt" | sed -n 's|^You are the Wave executor running Wave [0-9]* / Agent \([^:]*\):.*|\1|p' | head -n1)
echo "$agent" >> "$dir/calls"
n=$(grep -cx -- "$agent" "$dir/calls")
echo "start $agent $(date +%s%N)" >> "$dir/events"
script="$dir/$agent.$n.sh"
[ -f "$script" ] || script="$dir/$agent.sh"
code=0
if [ -f "$script" ]; then . "$script"; fi
echo "end $agent $(date +%s%N)" >> "$dir/events"
exit "$code"
"#;

/// Passing behaviour of each role of the compat waves.
fn passing_script(agent: &str) -> &'static str {
    match agent {
        "A1" | "A2" | "A3" => {
            "mkdir -p src; echo \"$agent\" > \"src/$agent.md\"\n\
             echo \"[wave-proof] completion=contract durability=none proof=unit state=met detail=fake\"\n\
             echo \"[wave-doc-delta] state=owned paths=src/$agent.md detail=fake\"\n"
        }
        "E0" => {
            "mkdir -p docs/plans/waves/reviews; echo ok > docs/plans/waves/reviews/wave-0-cont-eval.md\n\
             echo '[wave-eval] state=satisfied targets=1 benchmarks=1 regressions=0 target_ids=latency benchmark_ids=http-latency detail=fake'\n"
        }
        "A7" => {
            "mkdir -p docs/plans/waves/reviews; echo ok > docs/plans/waves/reviews/wave-0-security.md\n\
             echo '[wave-security] state=clear findings=0 approvals=0 detail=fake'\n"
        }
        "A8" => {
            "mkdir -p .tmp/main-wave-launcher/integration; echo ok > .tmp/main-wave-launcher/integration/wave-0.md\n\
             echo '[wave-integration] state=ready-for-doc-closure claims=0 conflicts=0 blockers=0 detail=fake'\n"
        }
        "A9" => "echo '[wave-doc-closure] state=no-change detail=fake'\n",
        "D1" => {
            "mkdir -p docs/plans/waves/design; echo packet > docs/plans/waves/design/wave-0-D1.md\n\
             echo '[wave-design] state=ready-for-implementation decisions=2 assumptions=1 open_questions=0 detail=fake'\n"
        }
        "A0" => {
            "mkdir -p docs/plans/waves/reviews; printf 'Verdict: PASS\\n' > docs/plans/waves/reviews/wave-0-cont-qa.md\n\
             echo '[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=pass detail=fake'\n\
             echo '[wave-verdict] pass detail=fake'\n"
        }
        other => panic!("no passing script for {other}"),
    }
}

fn implementation_section(id: &str, completion: &str) -> String {
    format!(
        "## Agent {id}: Implementation {id}\n\n### Executor\n\n- id: codex\n\n### Deliverables\n\n\
         - src/{id}.md\n\n### Exit contract\n\n- completion: {completion}\n- durability: none\n\
         - proof: unit\n- doc-impact: owned\n\n### Prompt\n\n```text\nLand {id}.\n\n\
         File ownership (only touch these paths):\n- src/{id}.md\n```\n\n"
    )
}

fn closure_section(id: &str, title: &str, role: &str, owned: &[&str]) -> String {
    let owned: String = owned.iter().map(|p| format!("- {p}\n")).collect();
    format!(
        "## Agent {id}: {title}\n\n### Role prompts\n\n- docs/agents/{role}\n\n### Executor\n\n\
         - id: codex\n\n### Prompt\n\n```text\n{title} for wave 0.\n\n\
         File ownership (only touch these paths):\n{owned}```\n\n"
    )
}

/// What goes into the compat wave besides A8, A9 and A0.
#[derive(Clone, Copy)]
struct Shape {
    implementation_agents: &'static [&'static str],
    completion: &'static str,
    eval: bool,
    security: bool,
    design: bool,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            implementation_agents: &["A1"],
            completion: "contract",
            eval: false,
            security: false,
            design: false,
        }
    }
}

fn wave_markdown(shape: Shape) -> String {
    let mut md = String::from("# Wave 0 - Compat\n\n**Commit message**: `Chore: compat`\n\n");
    if shape.eval {
        md.push_str(
            "## Eval targets\n\n- id: latency | selection: pinned | benchmarks: http-latency | \
             objective: Keep latency flat | threshold: p95 under 250ms\n\n",
        );
    }
    if shape.design {
        md.push_str(&closure_section(
            "D1",
            "Design steward",
            "wave-design-role.md",
            &["docs/plans/waves/design/wave-0-D1.md"],
        ));
    }
    for id in shape.implementation_agents {
        md.push_str(&implementation_section(id, shape.completion));
    }
    if shape.eval {
        md.push_str(&closure_section(
            "E0",
            "cont-EVAL",
            "wave-cont-eval-role.md",
            &["docs/plans/waves/reviews/wave-0-cont-eval.md"],
        ));
    }
    if shape.security {
        md.push_str(&closure_section(
            "A7",
            "Security review",
            "wave-security-role.md",
            &["docs/plans/waves/reviews/wave-0-security.md"],
        ));
    }
    md.push_str(&closure_section(
        "A8",
        "Integration steward",
        "wave-integration-role.md",
        &[".tmp/main-wave-launcher/integration/wave-0.md"],
    ));
    md.push_str(&closure_section(
        "A9",
        "Documentation steward",
        "wave-documentation-role.md",
        &[
            "docs/plans/current-state.md",
            "docs/plans/master-plan.md",
            "docs/plans/migration.md",
        ],
    ));
    md.push_str(&closure_section(
        "A0",
        "cont-QA",
        "wave-cont-qa-role.md",
        &["docs/plans/waves/reviews/wave-0-cont-qa.md"],
    ));
    md
}

const BENCHMARK_CATALOG: &str = r#"{
  "version": 1,
  "families": {
    "service-latency": {
      "title": "Service latency",
      "primaryMetric": {"id": "p95-ms", "direction": "lower-is-better"},
      "benchmarks": {"http-latency": {"title": "HTTP latency", "localCases": ["latency-smoke"]}}
    }
  }
}
"#;

/// A `wave init` repository whose wave 0 runs every agent on the fake codex.
struct Compat {
    repo: TestRepo,
}

impl Compat {
    fn new(shape: Shape) -> Self {
        let repo = TestRepo::initialised();
        let fake = repo.path("fake");
        std::fs::create_dir_all(&fake).unwrap();
        let codex = fake.join("codex");
        std::fs::write(&codex, FAKE_CODEX).unwrap();
        make_executable(&codex);
        let mut config: serde_json::Value =
            serde_json::from_str(&repo.read("wave.config.json")).unwrap();
        config["executors"] = serde_json::json!({"default": "codex", "codex": {"command": codex}});
        repo.write("wave.config.json", &config.to_string());
        repo.write("docs/plans/waves/wave-0.md", &wave_markdown(shape));
        repo.write(
            "docs/agents/wave-security-role.md",
            "# Security reviewer\n\n## Standing prompt\n\n```text\nReview the wave for security problems.\n```\n",
        );
        repo.write(
            "docs/agents/wave-cont-eval-role.md",
            "# cont-EVAL\n\n## Standing prompt\n\n```text\nRun the wave's eval targets.\n```\n",
        );
        repo.write(
            "docs/agents/wave-design-role.md",
            "# Design steward\n\n## Standing prompt\n\n```text\nWrite the design packet.\n```\n",
        );
        repo.write("docs/evals/benchmark-catalog.json", BENCHMARK_CATALOG);
        let compat = Compat { repo };
        let mut agents: Vec<&str> = shape.implementation_agents.to_vec();
        if shape.eval {
            agents.push("E0");
        }
        if shape.design {
            agents.push("D1");
        }
        if shape.security {
            agents.push("A7");
        }
        agents.extend(["A8", "A9", "A0"]);
        for agent in agents {
            compat.script(agent, passing_script(agent));
        }
        compat
    }

    fn fake_dir(&self) -> PathBuf {
        self.repo.path("fake")
    }

    /// Sets what every call of `agent` does (a bash snippet run in the repository root).
    fn script(&self, agent: &str, body: &str) {
        let text = format!("agent={agent}\n{body}");
        std::fs::write(self.fake_dir().join(format!("{agent}.sh")), text).unwrap();
    }

    /// Sets what the `call`-th call of `agent` does, overriding [`Compat::script`] for it.
    fn script_call(&self, agent: &str, call: usize, body: &str) {
        let text = format!("agent={agent}\n{body}");
        std::fs::write(self.fake_dir().join(format!("{agent}.{call}.sh")), text).unwrap();
    }

    /// `wave launch --agent-launch-stagger-ms 0 <extra>` with the fake's environment.
    fn launch(&self, extra: &[&str]) -> Output {
        let mut args = vec!["launch", "--agent-launch-stagger-ms", "0"];
        args.extend_from_slice(extra);
        self.command(&args).output().expect("spawn wave launch")
    }

    /// `wave <args>` with the fake's environment.
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = self.repo.command(args);
        cmd.env("FAKE_DIR", self.fake_dir())
            .env("FAKE_ROOT", self.repo.root())
            // Agents get a reduced environment: the fake's variables are passed by name.
            .env("WAVE_PASS_ENV", "FAKE_DIR,FAKE_ROOT");
        cmd
    }

    /// Agent ids in the order the fake was called.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.fake_dir().join("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// `(agent, start_ns, end_ns)` of every call, in start order.
    fn spans(&self) -> Vec<(String, u128, u128)> {
        let text = std::fs::read_to_string(self.fake_dir().join("events")).unwrap_or_default();
        let mut open: Vec<(String, u128)> = Vec::new();
        let mut spans = Vec::new();
        for line in text.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            let (kind, agent, at) = (parts[0], parts[1], parts[2].parse::<u128>().unwrap());
            if kind == "start" {
                open.push((agent.to_owned(), at));
            } else {
                let index = open.iter().position(|(a, _)| a == agent).unwrap();
                let (agent, start) = open.remove(index);
                spans.push((agent, start, at));
            }
        }
        spans.sort_by_key(|s| s.1);
        spans
    }

    /// Failure status codes of every `attempt failed` control-plane record, per attempt.
    fn attempt_failures(&self) -> Vec<Vec<String>> {
        self.control_plane()
            .into_iter()
            .filter(|v| v["entityType"] == "attempt" && v["action"] == "failed")
            .map(|v| {
                v["data"]["failures"]
                    .as_array()
                    .map(|fs| {
                        fs.iter()
                            .map(|f| f["statusCode"].as_str().unwrap_or_default().to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    }

    fn control_plane(&self) -> Vec<serde_json::Value> {
        let path = self
            .repo
            .path(&format!("{STATE}/control-plane/wave-0.jsonl"));
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("control-plane JSON line"))
            .collect()
    }

    fn completed_waves(&self) -> Vec<u64> {
        let text = self.repo.read(&format!("{STATE}/run-state.json"));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["completedWaves"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|w| w.as_u64())
            .collect()
    }
}

/// Milliseconds since midnight of an ISO-8601 `…THH:MM:SS.mmmZ` timestamp.
fn millis_of_day(iso: &str) -> u64 {
    let time = iso.split('T').nth(1).expect("ISO timestamp");
    let parts: Vec<&str> = time.trim_end_matches('Z').split([':', '.']).collect();
    let n = |i: usize| parts[i].parse::<u64>().expect("timestamp field");
    ((n(0) * 60 + n(1)) * 60 + n(2)) * 1000 + n(3)
}

fn make_executable(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    )
}

fn owned(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn happy_path_runs_closure_agents_in_order_after_implementation() {
    let compat = Compat::new(Shape::default());
    let out = compat.launch(&[]);
    assert_success(&out, "compat launch");
    assert_eq!(compat.calls(), owned(&["A1", "A8", "A9", "A0"]));
    assert_eq!(compat.completed_waves(), vec![0]);
    assert!(compat
        .repo
        .path(&format!("{STATE}/results/wave-0/attempt-1"))
        .is_dir());
    // Upstream's lifecycle: wave_run started … one gate snapshot … wave_run completed.
    let events = compat.control_plane();
    let kinds: Vec<(String, String)> = events
        .iter()
        .filter(|v| v["entityType"] != "agent_run")
        .map(|v| {
            (
                v["entityId"].as_str().unwrap().to_owned(),
                v["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    assert_eq!(
        kinds,
        pairs(&[
            ("wave-0", "started"),
            ("wave-0-attempt-1", "running"),
            ("wave-0-attempt-1-gate", "evaluated"),
            ("wave-0-attempt-1", "completed"),
            ("wave-0", "completed"),
        ])
    );
    let gate = &events[events.len() - 3]["data"]["gateSnapshot"];
    assert_eq!(gate["overall"]["ok"], true, "{gate:#}");
    assert_eq!(gate["contQaGate"]["ok"], true, "{gate:#}");
    assert!(events
        .iter()
        .all(|v| v["id"].as_str().unwrap().starts_with("ctrl-") && v["runKind"] == "roadmap"));
    let a1 = events
        .iter()
        .find(|v| v["entityId"] == "wave-0-attempt-1-agent-A1" && v["action"] == "completed")
        .expect("A1 completed");
    assert_eq!(a1["data"]["exitCode"], 0);
    assert_eq!(
        a1["data"]["statusPath"],
        ".tmp/main-wave-launcher/status/wave-0-0-a1.status"
    );
}

#[test]
fn a_retry_override_clears_reuse_once() {
    let compat = Compat::new(Shape::default());
    assert_success(&compat.launch(&[]), "first launch");
    let request = compat
        .repo
        .path(&format!("{STATE}/control/retry-override-wave-0.json"));
    compat.repo.write(
        &format!("{STATE}/control/retry-override-wave-0.json"),
        r#"{"schemaVersion":1,"kind":"wave-retry-override","lane":"main","wave":0,"selectedAgentIds":["A1"],"clearReusableAgentIds":["A1"],"applyOnce":true}"#,
    );
    assert_success(&compat.launch(&[]), "launch with the override");
    assert!(!request.exists(), "applied once");
    assert_success(&compat.launch(&[]), "launch after it");
    assert_eq!(
        compat.calls(),
        owned(&["A1", "A8", "A9", "A0", "A1", "A8", "A9", "A0", "A8", "A9", "A0"]),
        "the override reran A1 once; the next launch reused it again"
    );
}

#[test]
fn optional_eval_and_security_roles_run_first_in_the_sweep() {
    let compat = Compat::new(Shape {
        eval: true,
        security: true,
        ..Shape::default()
    });
    let out = compat.launch(&[]);
    assert_success(&out, "launch with E0 and a security reviewer");
    assert_eq!(
        compat.calls(),
        owned(&["A1", "E0", "A7", "A8", "A9", "A0"]),
        "E0 → security → A8 → A9 → A0"
    );
}

fn failed_launch(compat: &Compat, extra: &[&str]) -> Output {
    let out = compat.launch(extra);
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    out
}

#[test]
fn an_implementation_gap_stops_before_closure_and_the_retry_reruns_the_agent() {
    let compat = Compat::new(Shape::default());
    compat.script(
        "A1",
        "mkdir -p src; echo x > src/A1.md\n\
         echo '[wave-proof] completion=contract durability=none proof=unit state=gap detail=needs-fixture'\n\
         echo '[wave-doc-delta] state=owned paths=src/A1.md detail=fake'\n",
    );
    let out = failed_launch(&compat, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(compat.calls(), owned(&["A1", "A1"]), "no closure agent ran");
    assert_eq!(
        compat.attempt_failures(),
        vec![owned(&["wave-proof-gap"]), owned(&["wave-proof-gap"])]
    );
    assert!(
        stdout(&out).contains("Failed after 2 attempt(s)"),
        "{}",
        describe(&out)
    );
    let plan: serde_json::Value = serde_json::from_str(
        &compat
            .repo
            .read(&format!("{STATE}/status/relaunch-plan-wave-0.json")),
    )
    .unwrap();
    assert_eq!(plan["kind"], "wave-relaunch-plan");
    assert_eq!(plan["attempt"], 2);
    assert_eq!(plan["selectedAgentIds"], serde_json::json!(["A1"]));
    assert_eq!(plan["resumeFromPhase"], "implementation");
}

#[test]
fn exit_contract_completion_levels_are_ordered() {
    let shape = Shape {
        completion: "integrated",
        ..Shape::default()
    };
    let proof = |completion: &str| {
        format!(
            "mkdir -p src; echo x > src/A1.md\n\
             echo '[wave-proof] completion={completion} durability=none proof=unit state=met detail=fake'\n\
             echo '[wave-doc-delta] state=owned paths=src/A1.md detail=fake'\n"
        )
    };
    let short = Compat::new(shape);
    short.script("A1", &proof("contract"));
    failed_launch(&short, &["--max-retries-per-wave", "0"]);
    assert_eq!(short.attempt_failures(), vec![owned(&["completion-gap"])]);
    assert_eq!(short.calls(), owned(&["A1"]));

    let beyond = Compat::new(shape);
    beyond.script("A1", &proof("live"));
    let out = beyond.launch(&["--max-retries-per-wave", "0"]);
    assert_success(&out, "live satisfies an integrated contract");
}

fn security_outcome(marker: &str) -> (Compat, Output) {
    let compat = Compat::new(Shape {
        security: true,
        ..Shape::default()
    });
    compat.script(
        "A7",
        &format!(
            "mkdir -p docs/plans/waves/reviews; echo review > docs/plans/waves/reviews/wave-0-security.md\n\
             echo '{marker}'\n"
        ),
    );
    let out = compat.launch(&["--max-retries-per-wave", "0"]);
    (compat, out)
}

#[test]
fn security_blocked_stops_the_sweep_concerns_pass_and_clear_with_findings_is_invalid() {
    let (blocked, out) = security_outcome(
        "[wave-security] state=blocked findings=2 approvals=0 detail=secret-in-log",
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        blocked.calls(),
        owned(&["A1", "A7"]),
        "A8, A9, A0 not launched"
    );
    assert_eq!(
        blocked.attempt_failures(),
        vec![owned(&["security-blocked"])]
    );

    let (concerns, out) =
        security_outcome("[wave-security] state=concerns findings=1 approvals=0 detail=advisory");
    assert_success(&out, "security concerns are advisory");
    assert_eq!(concerns.calls(), owned(&["A1", "A7", "A8", "A9", "A0"]));
    assert_eq!(concerns.completed_waves(), vec![0]);

    let (invalid, out) =
        security_outcome("[wave-security] state=clear findings=1 approvals=0 detail=contradiction");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        invalid.attempt_failures(),
        vec![owned(&["invalid-security-clear-state"])]
    );
}

#[test]
fn integration_needs_more_work_stops_the_sweep_and_the_retry_reruns_every_later_stage() {
    let compat = Compat::new(Shape::default());
    compat.script_call(
        "A8",
        1,
        "echo '[wave-integration] state=needs-more-work claims=1 conflicts=1 blockers=0 detail=api-mismatch'\n",
    );
    let out = compat.launch(&[]);
    assert_success(&out, "the retry completes the wave");
    assert_eq!(
        compat.calls(),
        owned(&["A1", "A8", "A8", "A9", "A0"]),
        "attempt 1 stops at A8; attempt 2 reuses A1 and reruns A8, A9 and A0"
    );
    assert_eq!(
        compat.attempt_failures(),
        vec![owned(&["integration-needs-more-work"])]
    );
    assert_eq!(compat.completed_waves(), vec![0]);
    assert!(
        !compat
            .repo
            .path(&format!("{STATE}/status/relaunch-plan-wave-0.json"))
            .exists(),
        "a completed wave clears its relaunch plan"
    );
}

fn cont_qa(review: &str, log_markers: &str) -> (Compat, Output) {
    let compat = Compat::new(Shape::default());
    compat.script(
        "A0",
        &format!(
            "mkdir -p docs/plans/waves/reviews; printf '%s\\n' '{review}' > docs/plans/waves/reviews/wave-0-cont-qa.md\n\
             printf '%s\\n' '{log_markers}'\n"
        ),
    );
    let out = compat.launch(&[]);
    (compat, out)
}

const ALL_PASS: &str = "[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=pass detail=fake";

#[test]
fn cont_qa_blocked_alone_exits_42_and_the_report_verdict_wins() {
    // The report says BLOCKED; the log's gate is all-pass and its [wave-verdict] says pass.
    let (compat, out) = cont_qa(
        "Verdict: BLOCKED",
        &format!("{ALL_PASS}\n[wave-verdict] pass detail=log-says-pass"),
    );
    assert_eq!(out.status.code(), Some(42), "{}", describe(&out));
    assert_eq!(
        compat.attempt_failures(),
        vec![owned(&["cont-qa-blocked"]), owned(&["cont-qa-blocked"])]
    );
    assert_eq!(compat.calls(), owned(&["A1", "A8", "A9", "A0", "A0"]));

    let (_, hold) = cont_qa("Verdict: HOLD", ALL_PASS);
    assert_eq!(
        hold.status.code(),
        Some(42),
        "HOLD is a concern: {}",
        describe(&hold)
    );
}

#[test]
fn cont_qa_pass_with_docs_concerns_is_a_gate_failure_exit_1() {
    let gate = "[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=concerns detail=stale-readme";
    let (compat, out) = cont_qa(
        "Verdict: PASS",
        &format!("{gate}\n[wave-verdict] pass detail=fake"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        compat.attempt_failures().last().cloned(),
        Some(owned(&["gate-docs-concerns"]))
    );
}

/// `(how the proof/doc-delta pair is printed, whether the implementation gate accepts it)`.
fn marker_cases() -> Vec<(&'static str, String, bool)> {
    let proof = "[wave-proof] completion=contract durability=none proof=unit state=met detail=fake";
    let delta = "[wave-doc-delta] state=owned paths=src/A1.md detail=fake";
    let json = |m: &str| format!("{{\"type\":\"item.completed\",\"text\":\"{m}\"}}");
    vec![
        ("list-prefixed", format!("- {proof}\n- {delta}"), true),
        ("backtick-wrapped", format!("`{proof}`\n`{delta}`"), true),
        (
            "fence of markers only",
            format!("```text\n{proof}\n{delta}\n```"),
            true,
        ),
        (
            "JSON text field",
            format!("{}\n{}", json(proof), json(delta)),
            true,
        ),
        (
            "fence with prose",
            format!("```text\nHere is my proof:\n{proof}\n{delta}\n```"),
            false,
        ),
        (
            "reordered fields",
            format!(
                "[wave-proof] state=met completion=contract durability=none proof=unit detail=fake\n{delta}"
            ),
            false,
        ),
        (
            "more than 60 000 characters before the end",
            format!("{proof}\n{delta}\n{}", "x".repeat(61_000)),
            false,
        ),
    ]
}

#[test]
fn marker_tolerance_matches_upstream() {
    for (case, printed, accepted) in marker_cases() {
        let compat = Compat::new(Shape::default());
        let marker_file = compat.fake_dir().join("A1.markers");
        std::fs::write(&marker_file, format!("{printed}\n")).unwrap();
        compat.script(
            "A1",
            "mkdir -p src; echo x > src/A1.md\ncat \"$dir/A1.markers\"\n",
        );
        let out = compat.launch(&["--max-retries-per-wave", "0"]);
        assert_eq!(
            out.status.success(),
            accepted,
            "{case}: accepted={accepted} expected\n{}",
            describe(&out)
        );
        if !accepted {
            assert_eq!(
                compat.calls(),
                owned(&["A1"]),
                "{case}: stopped at the gate"
            );
        }
    }
}

#[test]
fn relaunch_reuses_completed_implementation_until_its_prompt_changes() {
    let compat = Compat::new(Shape::default());
    assert_success(&compat.launch(&[]), "first launch");
    assert_success(&compat.launch(&[]), "relaunch");
    assert_eq!(
        compat.calls(),
        owned(&["A1", "A8", "A9", "A0", "A8", "A9", "A0"]),
        "a relaunch reruns only the closure agents"
    );
    let wave = compat.repo.read("docs/plans/waves/wave-0.md");
    compat.repo.write(
        "docs/plans/waves/wave-0.md",
        &wave.replace("Land A1.", "Land A1, now with tests."),
    );
    assert_success(&compat.launch(&[]), "launch after a prompt change");
    assert_eq!(
        compat.calls()[7..].to_vec(),
        owned(&["A1", "A8", "A9", "A0"]),
        "a changed prompt reruns A1"
    );
}

/// A fake `sleep` first on PATH: records its argument and returns at once, so back-offs cost
/// nothing in tests.
fn fake_sleep(compat: &Compat) -> std::ffi::OsString {
    let bin = compat.fake_dir().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let sleep = bin.join("sleep");
    std::fs::write(
        &sleep,
        format!(
            "#!/bin/bash\necho \"$1\" >> '{}'\n",
            compat.fake_dir().join("sleeps").display()
        ),
    )
    .unwrap();
    make_executable(&sleep);
    let mut path = bin.into_os_string();
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    path
}

fn rate_limited_launch(compat: &Compat, extra: &[&str]) -> Output {
    let path = fake_sleep(compat);
    let mut args = vec![
        "launch",
        "--agent-launch-stagger-ms",
        "0",
        "--max-retries-per-wave",
        "0",
        "--agent-rate-limit-base-delay-seconds",
        "7",
    ];
    args.extend_from_slice(extra);
    compat.command(&args).env("PATH", path).output().unwrap()
}

#[test]
fn a_rate_limited_agent_backs_off_once_and_passes() {
    let compat = Compat::new(Shape::default());
    compat.script_call("A1", 1, "echo 'error: 429 Too Many Requests'\ncode=1\n");
    let out = rate_limited_launch(&compat, &[]);
    assert_success(&out, "rate-limited then passing");
    assert_eq!(compat.calls()[..2].to_vec(), owned(&["A1", "A1"]));
    let log = compat.repo.read(&format!("{STATE}/logs/wave-0-0-a1.log"));
    let notices: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("rate-limit detected for A1; retry"))
        .collect();
    assert_eq!(notices.len(), 1, "{log}");
    let seconds: u64 = notices[0]
        .split("retry 1/3 after ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix('s'))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("unexpected notice {:?}", notices[0]));
    assert!((7..=11).contains(&seconds), "base 7 ≤ {seconds} ≤ base+4");
    let slept = std::fs::read_to_string(compat.fake_dir().join("sleeps")).unwrap();
    assert_eq!(slept.trim(), seconds.to_string(), "slept what it announced");
}

#[test]
fn rate_limit_retries_zero_and_ordinary_failures_are_not_retried_in_process() {
    let limited = Compat::new(Shape::default());
    limited.script("A1", "echo 'error: 429 Too Many Requests'\ncode=1\n");
    let out = rate_limited_launch(&limited, &["--agent-rate-limit-retries", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(limited.calls(), owned(&["A1"]));

    let broken = Compat::new(Shape::default());
    broken.script("A1", "echo 'error: compilation failed'\ncode=1\n");
    let out = rate_limited_launch(&broken, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(broken.calls(), owned(&["A1"]));
    assert!(!broken.fake_dir().join("sleeps").exists(), "no back-off");
}

#[test]
fn staggered_implementation_agents_overlap_and_closure_agents_never_do() {
    let compat = Compat::new(Shape {
        implementation_agents: &["A1", "A2", "A3"],
        ..Shape::default()
    });
    // A1 finishes only once A3 has started: the fan-out must run them concurrently.
    compat.script(
        "A1",
        &format!(
            "for _ in $(seq 1 1000); do grep -qx A3 \"$dir/calls\" && break; sleep 0.01; done\n{}",
            passing_script("A1")
        ),
    );
    let out = compat
        .command(&["launch", "--agent-launch-stagger-ms", "300"])
        .output()
        .unwrap();
    assert_success(&out, "staggered launch");
    // The stagger separates the launcher's `agent_run started` events.
    let started: Vec<u64> = compat
        .control_plane()
        .iter()
        .filter(|v| v["entityType"] == "agent_run" && v["action"] == "started")
        .map(|v| millis_of_day(v["recordedAt"].as_str().unwrap()))
        .take(3)
        .collect();
    for pair in started.windows(2) {
        let gap = (pair[1] + 86_400_000 - pair[0]) % 86_400_000;
        assert!(gap >= 300, "launches {gap} ms apart: {started:?}");
    }
    let spans = compat.spans();
    let start = |agent: &str| spans.iter().find(|s| s.0 == agent).unwrap().1;
    let end = |agent: &str| spans.iter().find(|s| s.0 == agent).unwrap().2;
    assert!(end("A1") > start("A3"), "A1 overlapped A3: {spans:?}");
    let implementation_end = ["A1", "A2", "A3"].map(end).into_iter().max().unwrap();
    assert!(implementation_end < start("A8"));
    assert!(
        end("A8") < start("A9") && end("A9") < start("A0"),
        "{spans:?}"
    );
}

#[test]
fn a_dry_run_leaves_the_live_run_state_untouched() {
    let compat = Compat::new(Shape::default());
    assert_success(&compat.launch(&[]), "live launch");
    let run_state = compat.repo.read(&format!("{STATE}/run-state.json"));
    let out = compat.launch(&["--dry-run"]);
    assert_success(&out, "dry run");
    assert_eq!(
        compat.repo.read(&format!("{STATE}/run-state.json")),
        run_state
    );
    assert_eq!(compat.calls().len(), 4, "the dry run started no agent");
    assert!(compat
        .repo
        .path(&format!(
            "{STATE}/dry-run/executors/wave-0/0-a1/launch-preview.json"
        ))
        .is_file());
}

#[test]
fn the_design_pass_runs_alone_first_and_clarification_blocks_implementation() {
    let shape = Shape {
        design: true,
        ..Shape::default()
    };
    let unclear = Compat::new(shape);
    unclear.script(
        "D1",
        "mkdir -p docs/plans/waves/design; echo draft > docs/plans/waves/design/wave-0-D1.md\n\
         echo '[wave-design] state=needs-clarification decisions=1 assumptions=0 open_questions=2 detail=which-api'\n",
    );
    let out = unclear.launch(&["--max-retries-per-wave", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        unclear.calls(),
        owned(&["D1"]),
        "no implementation agent started"
    );
    assert_eq!(
        unclear.attempt_failures(),
        vec![owned(&["design-needs-clarification"])]
    );

    let ready = Compat::new(shape);
    let out = ready.launch(&[]);
    assert_success(&out, "design pass, then implementation and closure");
    assert_eq!(ready.calls(), owned(&["D1", "A1", "A8", "A9", "A0"]));
    let attempt_of = |agent: &str| {
        ready
            .control_plane()
            .iter()
            .find(|v| {
                v["entityType"] == "agent_run"
                    && v["action"] == "started"
                    && v["data"]["agentId"] == agent
            })
            .and_then(|v| v["attempt"].as_u64())
    };
    assert_eq!(attempt_of("D1"), Some(1));
    assert_eq!(
        attempt_of("A1"),
        Some(2),
        "implementation starts in attempt 2"
    );
}
