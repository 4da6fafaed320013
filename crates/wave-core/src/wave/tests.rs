//! Grammar-rule and error-catalogue tests (launcher §1.1–§1.4, §1.8), one per rule or stem.

use std::path::Path;

use super::tests_upstream::{parse_fixture, read_fixture_role, WAVE_3};
use super::{
    effective_executor_settings, load_lane, parse_wave, ExecutorSetting, ParseOptions,
    WaveDefinition, WaveError, WaveErrorKind as K,
};
use crate::contract::{Completion, DocImpact, Durability, Maturity, ProofLevel};

const PATH: &str = "/repo/docs/plans/waves/wave-1.md";

pub(super) fn read_role(path: &Path) -> Option<String> {
    match path.to_str()? {
        "docs/agents/role.md" => {
            Some("# R\n\n## Standing prompt\n\n```text\nRole text.\n```\n".into())
        }
        "docs/agents/two.md" => Some("## Standing prompt\n```\nSecond role.\n```".into()),
        "docs/agents/empty.md" => Some("## Standing prompt\n```\n\n```".into()),
        "docs/agents/nosection.md" => Some("## Standing  prompt\n```\nx\n```".into()),
        "docs/agents/nofence.md" => Some("## Standing prompt\nNo fence here.\n".into()),
        other => read_fixture_role(Path::new(other)),
    }
}

pub(super) fn parse(content: &str) -> Result<WaveDefinition, WaveError> {
    parse_wave(
        content,
        PATH,
        "docs/plans/waves/wave-1.md",
        &ParseOptions::new(&read_role),
    )
}

/// One agent `A1` with `sections` before its prompt, owning `src/` and `out/report.md`.
pub(super) fn wave(sections: &str) -> String {
    format!(
        "## Agent A1: Worker\n\n{sections}\n\n### Prompt\n\n```text\nDo it.\n\nFile ownership:\n- src/\n- out/report.md\n```\n"
    )
}

#[track_caller]
pub(super) fn fails(content: &str, kind: K, message: &str) -> WaveError {
    let err = parse(content).expect_err("should fail");
    assert_eq!(err.kind, kind, "{err}");
    assert_eq!(err.to_string(), message);
    assert_eq!(err.file, PATH);
    err
}

// ---- grammar rules ---------------------------------------------------------------------------

#[test]
fn agent_headers_and_blocks() {
    let text = "# Wave 1\n## Agent A1 : First\n### Prompt\n```\nOne\n```\n## Agent no colon here\n\n## Agent B 2: Second: part\n### Prompt\n```\nTwo\n```\n";
    // The colon-less header runs up to the next colon: "no colon here\n\n## Agent B 2".
    let wave = parse(text).unwrap();
    let ids: Vec<_> = wave
        .agents
        .iter()
        .map(|a| (a.agent_id.as_str(), a.title.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("A1", "First"),
            ("no colon here\n\n## Agent B 2", "Second: part")
        ]
    );
    assert_eq!(wave.agents[1].slug, "1-no-colon-here-agent-b-2");
    assert_eq!(wave.agents[0].prompt, "One");
}

#[test]
fn header_without_any_later_colon_is_not_an_agent() {
    let wave = parse("## Agent Notes\nno colons anywhere\n").unwrap();
    assert!(wave.agents.is_empty());
}

#[test]
fn wave_level_sections_stop_at_next_h2_and_others_are_ignored() {
    let text = "**Commit message**: `Fix: it`\n\n## Sequencing note\n- prose is fine here\n\n## Component promotions  \n- core: repo-landed\n### still promotions\n";
    let err = parse(text).unwrap_err();
    assert_eq!(err.kind, K::MalformedComponentPromotion);
    assert_eq!(err.line, Some(8));
    let wave = parse("**Commit message**: `Fix: it`\n## Component promotions\n- core: repo-landed\n## Other\ntext").unwrap();
    assert_eq!(wave.commit_message.as_deref(), Some("Fix: it"));
    assert_eq!(wave.component_promotions[0].component_id, "core");
    assert_eq!(
        wave.component_promotions[0].maturity(),
        Some(Maturity::RepoLanded)
    );
}

#[test]
fn trailing_wave_level_section_is_swallowed_into_last_agent() {
    let text = format!(
        "{}\n### Capabilities\n\n- integration\n\n## Notes\n\nSome prose.\n",
        wave("")
    );
    fails(
        &text,
        K::MalformedComponent,
        "Malformed component entry \"## Notes\" in agent A1 capabilities (/repo/docs/plans/waves/wave-1.md)",
    );
}

#[test]
fn subsection_is_first_heading_followed_by_line_break_anywhere() {
    // "#### Prompt\n" contains "### Prompt\n"; the trailing space variant does not match.
    let text = "## Agent A1: t\n### Prompt \n```\nignored\n```\n#### Prompt\n```\nused\n```\n### Prompt\n```\nlater\n```\n";
    assert_eq!(parse(text).unwrap().agents[0].prompt_overlay, "used");
}

#[test]
fn subsection_body_ends_at_next_h3_line_with_space() {
    let text = wave(
        "### Components\n\n- core\n###\tanything\n- not-a-component\n### Capabilities\n- c1\n",
    );
    let agent = &parse(&text).unwrap().agents[0];
    assert_eq!(agent.components, ["core"]);
    assert_eq!(agent.capabilities, ["c1"]);
}

#[test]
fn prompt_fence_any_info_string_first_fence() {
    let text =
        "## Agent A1: t\n### Prompt\nText before.\n```rust-2021\nfirst\n```\n```\nsecond\n```\n";
    assert_eq!(parse(text).unwrap().agents[0].prompt, "first");
}

#[test]
fn composed_prompt_joins_role_prompts_then_local() {
    let text = wave("### Role prompts\n\n- docs/agents/role.md\n- `docs/agents/empty.md`\n- 'docs/agents/two.md'\n- docs/agents/role.md\n");
    let agent = &parse(&text).unwrap().agents[0];
    assert_eq!(
        agent.role_prompt_paths,
        [
            "docs/agents/role.md",
            "docs/agents/empty.md",
            "docs/agents/two.md"
        ]
    );
    assert!(
        agent
            .prompt
            .starts_with("Role text.\n\nSecond role.\n\nDo it.\n"),
        "{:?}",
        agent.prompt
    );
    assert!(agent.imports_role_prompt(" docs\\agents\\two.md"));
}

#[test]
fn empty_role_prompts_section_means_none() {
    let text = wave("### Role prompts\n\n### Skills\n");
    assert!(parse(&text).unwrap().agents[0].role_prompt_paths.is_empty());
}

#[test]
fn executor_block_is_raw_ordered_pairs() {
    let text = wave("### Executor\n\n- profile: implement-fast\n- model: `gpt-5`\n- codex.config: \"a=1\"\n- profile: 'deep-review'\n- 7: x\n");
    let agent = &parse(&text).unwrap().agents[0];
    let settings = agent.executor_config.as_ref().unwrap();
    let pairs: Vec<_> = settings
        .iter()
        .map(|s| (s.key.as_str(), s.value.as_str(), s.line))
        .collect();
    assert_eq!(
        pairs,
        [
            ("profile", "implement-fast", 5),
            ("model", "gpt-5", 6),
            ("codex.config", "a=1", 7),
            ("profile", "deep-review", 8),
            ("7", "x", 9)
        ]
    );
    let effective: Vec<_> = effective_executor_settings(settings)
        .iter()
        .map(|s| (s.key.as_str(), s.value.as_str()))
        .collect();
    assert_eq!(
        effective,
        [
            ("7", "x"),
            ("profile", "deep-review"),
            ("model", "gpt-5"),
            ("codex.config", "a=1")
        ]
    );
    assert!(parse(&wave("### Executor\n\n")).unwrap().agents[0]
        .executor_config
        .is_none());
}

#[test]
fn executor_check_hook_runs_in_parse_order() {
    let check = |setting: &ExecutorSetting, label: &str, file: &str| -> Result<(), String> {
        if setting.key.starts_with("codex.foo") {
            Err(format!(
                "Unsupported Executor setting \"{}\" in {label} ({file})",
                setting.key
            ))
        } else {
            Ok(())
        }
    };
    let mut options = ParseOptions::new(&read_role);
    options.executor_check = Some(&check);
    // The executor error wins over the later malformed component entry.
    let text = wave("### Executor\n- codex.foo: 1\n### Components\n- Bad Entry\n");
    let err = parse_wave(&text, PATH, "w", &options).unwrap_err();
    assert_eq!(err.kind, K::ExecutorSetting);
    assert_eq!(
        err.to_string(),
        "Unsupported Executor setting \"codex.foo\" in agent A1 (/repo/docs/plans/waves/wave-1.md)"
    );
    assert_eq!(err.line, Some(4));
}

#[test]
fn context7_sections() {
    let text = format!(
        "## Context7 defaults\n- bundle: \"node\"\n- query: '  a   b\tc '\n- other: ignored\n{}",
        wave("### Context7\n- bundle: none\n")
    );
    let wave = parse(&text).unwrap();
    let defaults = wave.context7_defaults.unwrap();
    assert_eq!(
        (defaults.bundle.as_deref(), defaults.query.as_deref()),
        (Some("node"), Some("a b c"))
    );
    let agent = wave.agents[0].context7_config.clone().unwrap();
    assert_eq!((agent.bundle.as_deref(), agent.query), (Some("none"), None));
    let long = format!("## Context7 defaults\n- query: {}\n", "x".repeat(300));
    let query = parse(&long)
        .unwrap()
        .context7_defaults
        .unwrap()
        .query
        .unwrap();
    assert_eq!(query.chars().count(), 280);
    assert!(query.ends_with('…'));
    assert!(parse("## Context7 defaults\n- other: x\n")
        .unwrap()
        .context7_defaults
        .is_none());
}

#[test]
fn exit_contract_keeps_values_and_validates_on_demand() {
    let text = wave("### Exit contract\n- completion: integrated\n- durability: durable\n- proof: live\n- doc-impact: shared-plan\n- extra: ignored\n");
    let contract = parse(&text).unwrap().agents[0]
        .exit_contract
        .clone()
        .unwrap();
    let typed = contract.validate().unwrap();
    assert_eq!(typed.completion, Completion::Integrated);
    assert_eq!(typed.durability, Durability::Durable);
    assert_eq!(typed.proof, ProofLevel::Live);
    assert_eq!(typed.doc_impact, DocImpact::SharedPlan);
    // Upstream accepts any value at parse time; validation reports the shape errors.
    let partial = parse(&wave("### Exit contract\n- completion: Live\n"))
        .unwrap()
        .agents[0]
        .exit_contract
        .clone()
        .unwrap();
    assert_eq!(partial.completion.as_deref(), Some("Live"));
    assert_eq!(
        partial.validate().unwrap_err(),
        [
            "completion must be one of contract, integrated, authoritative, live",
            "durability must be one of none, ephemeral, durable",
            "proof must be one of unit, integration, live",
            "doc-impact must be one of none, owned, shared-plan",
        ]
    );
    assert!(parse(&wave("### Exit contract\n- reviewer: x\n"))
        .unwrap()
        .agents[0]
        .exit_contract
        .is_none());
}

#[test]
fn skills_components_capabilities() {
    let text = wave(
        "### Skills\n- `Role-Design`\n### Components\n- core.v2\n### Capabilities\n- design\n",
    );
    let agent = &parse(&text).unwrap().agents[0];
    assert_eq!(agent.skills, ["role-design"]);
    assert_eq!(agent.components, ["core.v2"]);
    assert_eq!(agent.capabilities, ["design"]);
}

#[test]
fn role_prompts_add_design_and_security_capabilities() {
    let reader = |path: &Path| -> Option<String> {
        path.to_str()
            .filter(|p| p.ends_with("-role.md"))
            .map(|_| "## Standing prompt\n```\nr\n```".to_string())
    };
    let text = wave("### Role prompts\n- docs/agents/team/wave-security-role.md\n- docs/agents/wave-design-role.md\n### Capabilities\n- ops\n");
    let wave = parse_wave(&text, PATH, "w", &ParseOptions::new(&reader)).unwrap();
    assert_eq!(
        wave.agents[0].capabilities,
        ["ops", "design", "security-review"]
    );
}

#[test]
fn derived_fields_owned_paths_slug_targets_proof_centric() {
    let text = format!(
        "## Component promotions\n- core: pilot-live\n- side: custom-level\n{}",
        wave("### Components\n- core\n- side\n- other\n### Proof artifacts\n- path: out/report.md | required-for: repo-landed\n")
    );
    let wave = parse(&text).unwrap();
    let agent = &wave.agents[0];
    assert_eq!(agent.owned_paths, ["src/", "out/report.md"]);
    assert_eq!(agent.slug, "1-a1");
    let json = serde_json::to_string(&agent.component_targets).unwrap();
    assert_eq!(
        json,
        r#"{"core":"pilot-live","side":"custom-level","other":null}"#
    );
    assert_eq!(agent.component_targets.get("core"), Some("pilot-live"));
    assert!(agent.is_proof_centric());
    assert!(wave.component_promotions[1].to_promotion().is_none());
    // Proof-centric through an artifact without required-for.
    let plain = parse(&self::wave("### Proof artifacts\n- out/report.md\n")).unwrap();
    assert!(plain.agents[0].is_proof_centric());
    let not = parse(&self::wave(
        "### Proof artifacts\n- path: out/report.md | required-for: baseline-proved\n",
    ))
    .unwrap();
    assert!(!not.agents[0].is_proof_centric());
}

#[test]
fn deliverables_and_proof_artifacts_inside_ownership() {
    let text = wave("### Deliverables\n- src/lib.rs\n- ./src/sub/x.rs\n### Proof artifacts\n- path: `out/report.md` | kind: summary | required-for: pilot-live, qa-proved\n");
    let agent = &parse(&text).unwrap().agents[0];
    assert_eq!(agent.deliverables, ["src/lib.rs", "./src/sub/x.rs"]);
    let artifact = &agent.proof_artifacts[0];
    assert_eq!(artifact.path, "out/report.md");
    assert_eq!(artifact.kind.as_deref(), Some("summary"));
    assert_eq!(
        artifact.required_for,
        [Maturity::PilotLive, Maturity::QaProved]
    );
}

#[test]
fn deploy_environments_and_eval_targets() {
    let text = "## Deploy environments\n- `Staging`: Docker (shared)\n- prod: k8s\n\n## Eval targets\n- id: Lat | selection: Pinned | benchmarks: a, b | objective: 'fast' | threshold: p95<1s\n";
    let wave = parse(text).unwrap();
    assert_eq!(wave.deploy_environments[0].id, "staging");
    assert_eq!(wave.deploy_environments[0].kind, "docker");
    assert!(
        wave.deploy_environments[0].is_default,
        "first entry becomes default"
    );
    assert!(!wave.deploy_environments[1].is_default);
    let target = &wave.eval_targets[0];
    assert_eq!(
        (target.id.as_str(), target.objective.as_str()),
        ("lat", "fast")
    );
    assert_eq!(target.benchmarks, ["a", "b"]);
}

#[test]
fn crlf_files_parse_like_lf() {
    let lf = parse_fixture(WAVE_3, 3);
    let crlf = parse_fixture(&WAVE_3.replace('\n', "\r\n"), 3);
    assert_eq!(crlf.agents.len(), lf.agents.len());
    for (a, b) in crlf.agents.iter().zip(&lf.agents) {
        assert_eq!(a.agent_id, b.agent_id);
        assert_eq!(a.owned_paths, b.owned_paths);
        assert_eq!(a.prompt.replace("\r\n", "\n"), b.prompt);
        assert_eq!(a.deliverables, b.deliverables);
        assert_eq!(a.exit_contract, b.exit_contract);
    }
    assert_eq!(crlf.eval_targets, lf.eval_targets);
    assert_eq!(crlf.context7_defaults, lf.context7_defaults);
}

#[test]
fn realistic_fixture_details() {
    let wave = parse_fixture(WAVE_3, 3);
    let ids: Vec<_> = wave.agents.iter().map(|a| a.agent_id.as_str()).collect();
    assert_eq!(ids, ["A0", "E0", "A1", "A2", "A7", "A8", "A9"]);
    let a1 = wave.agent("A1").unwrap();
    let executor: Vec<_> = a1
        .executor_config
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| (s.key.as_str(), s.value.as_str()))
        .collect();
    assert_eq!(
        executor,
        [
            ("profile", "implement-fast"),
            ("model", "gpt-5-codex"),
            ("codex.config", "model_reasoning_effort=high"),
            ("codex.add_dirs", "docs, services"),
            ("fallbacks", "claude, opencode"),
            ("retry-policy", "fallback-allowed"),
        ]
    );
    assert_eq!(
        a1.exit_contract
            .as_ref()
            .unwrap()
            .validate()
            .unwrap()
            .completion,
        Completion::Integrated
    );
    assert!(!a1.is_proof_centric());
    assert!(wave.agent("A2").unwrap().is_proof_centric());
    assert_eq!(wave.agent("A7").unwrap().capabilities, ["security-review"]);
    assert_eq!(
        wave.agent("E0").unwrap().executor_config.as_ref().unwrap()[1].value,
        "true"
    );
    assert_eq!(wave.eval_targets.len(), 2);
}

// ---- discovery and loading -------------------------------------------------------------------

#[test]
fn discovery_rules_and_load_lane() {
    let root = tempfile::tempdir().unwrap();
    let waves = root.path().join("docs/plans/waves");
    let err = load_lane(&waves, root.path(), "docs/agents").unwrap_err();
    assert_eq!(
        (err.kind, err.to_string()),
        (
            K::WavesDirNotFound,
            "Waves directory not found: docs/plans/waves".into()
        )
    );
    std::fs::create_dir_all(&waves).unwrap();
    std::fs::write(waves.join("wave-1.md.bak"), "x").unwrap();
    std::fs::write(waves.join("notes.md"), "x").unwrap();
    let err = load_lane(&waves, root.path(), "docs/agents").unwrap_err();
    assert_eq!(
        (err.kind, err.to_string()),
        (
            K::NoWaveFiles,
            "No wave files found in docs/plans/waves".into()
        )
    );
    std::fs::create_dir_all(root.path().join("docs/agents")).unwrap();
    std::fs::write(
        root.path().join("docs/agents/role.md"),
        read_role(Path::new("docs/agents/role.md")).unwrap(),
    )
    .unwrap();
    let agent = "## Agent A1: t\n### Role prompts\n- docs/agents/role.md\n### Prompt\n```\nFile ownership:\n- x.md\n```\n";
    for name in ["wave-10.md", "wave-02.md", "wave-1.md", "wave-0.md"] {
        std::fs::write(waves.join(name), agent).unwrap();
    }
    let loaded = load_lane(&waves, root.path(), "docs/agents").unwrap();
    let numbers: Vec<_> = loaded.iter().map(|w| (w.wave, w.file.as_str())).collect();
    assert_eq!(
        numbers,
        [
            (0, "docs/plans/waves/wave-0.md"),
            (1, "docs/plans/waves/wave-1.md"),
            (2, "docs/plans/waves/wave-02.md"),
            (10, "docs/plans/waves/wave-10.md")
        ]
    );
    assert_eq!(loaded[3].agents[0].slug, "10-a1");
    assert_eq!(
        loaded[0].agents[0].prompt,
        "Role text.\n\nFile ownership:\n- x.md"
    );
    // Every wave is parsed: one broken wave fails the lane, naming its file.
    std::fs::write(
        waves.join("wave-5.md"),
        "## Agent A1: t\n### Prompt\nno fence\n",
    )
    .unwrap();
    let err = load_lane(&waves, root.path(), "docs/agents").unwrap_err();
    let path = waves.join("wave-5.md").display().to_string();
    assert_eq!(
        err.to_string(),
        format!("Agent A1 in {path}: missing fenced prompt block")
    );
    assert_eq!((err.file, err.line), (path, Some(3)));
}
