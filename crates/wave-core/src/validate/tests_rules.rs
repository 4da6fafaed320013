//! Rule-by-rule tests: each breaks the valid wave-6 fixture in one way and checks the exact
//! message(s) upstream v0.9.1 reports for it.

use super::testkit::MemFiles;
use super::tests::{lane_of, parse, repo, violations, WAVE_6, WAVE_FILE};
use super::*;
use crate::wave::{ExecutorSetting, WaveAgent};

fn fixture() -> (WaveDefinition, MemFiles) {
    let files = repo();
    (parse(WAVE_6, WAVE_FILE, &files), files)
}

fn run_with(config: &str, wave: &WaveDefinition, files: &MemFiles) -> Vec<String> {
    violations(validate_wave(wave, &lane_of(config), files))
}

fn run(wave: &WaveDefinition, files: &MemFiles) -> Vec<String> {
    run_with("{}", wave, files)
}

fn agent_mut<'a>(wave: &'a mut WaveDefinition, id: &str) -> &'a mut WaveAgent {
    wave.agents
        .iter_mut()
        .find(|a| a.agent_id == id)
        .expect("agent")
}

fn executor(agent: &mut WaveAgent, pairs: &[(&str, &str)]) {
    agent.executor_config = Some(
        pairs
            .iter()
            .map(|(k, v)| ExecutorSetting {
                key: k.to_string(),
                value: v.to_string(),
                line: 1,
            })
            .collect(),
    );
}

const MATRIX: &str = "docs/plans/component-cutover-matrix.json";

#[test]
fn rule_1_agents_ids_and_cont_qa() {
    let (mut wave, files) = fixture();
    wave.agents.clear();
    wave.component_promotions.clear();
    assert_eq!(
        run(&wave, &files),
        [
            "must declare at least one agent",
            "must include Agent A0 as the cont-QA closure role",
            "Wave 6 must declare component promotion ledger-core: repo-landed to match docs/plans/component-cutover-matrix.json",
            "Wave 6 must declare component promotion ledger-api: baseline-proved to match docs/plans/component-cutover-matrix.json",
            "Agent A0 must import docs/agents/wave-cont-qa-role.md",
            "Agent A0 must own a cont-QA report path",
            "Wave 6 declares ## Eval targets but does not include Agent E0",
            "Wave 6 must include exactly one documentation steward importing docs/agents/wave-documentation-role.md",
        ]
    );

    let (mut wave, files) = fixture();
    let a1 = wave.agents[2].clone();
    let a2 = wave.agents[3].clone();
    wave.agents.extend([a2, a1.clone(), a1]);
    assert_eq!(run(&wave, &files)[0], "must not repeat agent ids (A2, A1)");

    // A cont-QA agent that does not import its role prompt and owns nothing report-like still
    // gets its first owned path as the report.
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "A0").role_prompt_paths.clear();
    assert_eq!(
        run(&wave, &files),
        ["Agent A0 must import docs/agents/wave-cont-qa-role.md"]
    );
}

#[test]
fn rule_2_owned_and_role_prompt_paths() {
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "A1").owned_paths.clear();
    agent_mut(&mut wave, "A2").owned_paths =
        vec!["../x".into(), "/etc/y".into(), "crates/ok".into()];
    agent_mut(&mut wave, "A2")
        .role_prompt_paths
        .push("prompts/extra.md".into());
    let errors = run(&wave, &files);
    assert_eq!(
        errors[..3],
        [
            "Agent A1 must declare at least one owned path",
            "Agent A2 has non-repo-owned paths (../x, /etc/y)",
            "Agent A2 has invalid role prompt paths (prompts/extra.md)",
        ]
    );
    // A1 owned nothing, so its component goes unowned (reported last).
    assert_eq!(
        errors.last().map(String::as_str),
        Some("Wave 6 must assign promoted component \"ledger-core\" to at least one non-A0/E0/A9 agent")
    );
}

#[test]
fn rule_3_executor_overrides_match_the_id() {
    let (mut wave, files) = fixture();
    executor(
        agent_mut(&mut wave, "A1"),
        &[("id", "claude"), ("opencode.steps", "3")],
    );
    executor(
        agent_mut(&mut wave, "A2"),
        &[("id", "opencode"), ("claude.effort", "low")],
    );
    executor(
        agent_mut(&mut wave, "A7"),
        &[("id", "codex"), ("claude.effort", "low")],
    );
    executor(
        agent_mut(&mut wave, "A8"),
        &[("id", "local"), ("codex.search", "true")],
    );
    assert_eq!(
        run(&wave, &files),
        [
            "Agent A1 declares executor=claude but includes non-Claude overrides",
            "Agent A2 declares executor=opencode but includes non-OpenCode overrides",
            "Agent A7 declares executor=codex but includes non-Codex overrides",
            "Agent A8 declares executor=local but includes vendor overrides",
        ]
    );
}

#[test]
fn rule_4_context7_declarations() {
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "A1").context7_config = None;
    wave.context7_defaults = None;
    assert_eq!(
        run(&wave, &files),
        [
            "Agent A1 must declare a ### Context7 section in waves 6 and later",
            "Waves 6 and later must declare a ## Context7 defaults section",
        ]
    );
    // From wave 7 with a custom threshold; wave 6 is then exempt.
    assert!(validate_wave(
        &wave,
        &lane_of(r#"{"validation":{"requireContext7DeclarationsFromWave":7}}"#),
        &files
    )
    .is_ok());
}

#[test]
fn rule_5_exit_contracts() {
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "A1").exit_contract = None;
    if let Some(c) = agent_mut(&mut wave, "A2").exit_contract.as_mut() {
        c.proof = Some("e2e".into());
        c.doc_impact = None;
    }
    assert_eq!(
        run(&wave, &files),
        [
            "Agent A1 must declare a ### Exit contract section in waves 6 and later",
            "Agent A2 has invalid exit contract (proof must be one of unit, integration, live, doc-impact must be one of none, owned, shared-plan)",
        ]
    );
}

#[test]
fn rule_6_component_promotions_and_matrix() {
    let (mut wave, files) = fixture();
    wave.component_promotions.clear();
    let errors = run(&wave, &files);
    assert_eq!(
        errors[..3],
        [
            "Wave 6 must declare a ## Component promotions section in waves 0 and later",
            "Wave 6 must declare component promotion ledger-core: repo-landed to match docs/plans/component-cutover-matrix.json",
            "Wave 6 must declare component promotion ledger-api: baseline-proved to match docs/plans/component-cutover-matrix.json",
        ]
    );

    let (mut wave, files) = fixture();
    wave.component_promotions[0].target_level = "pilot-live".into();
    wave.component_promotions[1].target_level = "gold".into();
    wave.component_promotions
        .push(crate::wave::WaveComponentPromotion {
            component_id: "ghost".into(),
            target_level: "repo-landed".into(),
        });
    let errors = run(&wave, &files);
    assert_eq!(
        errors[..5],
        [
            format!("Wave 6 promotes ledger-core to pilot-live, but {MATRIX} declares repo-landed"),
            "Wave 6 uses invalid component level \"gold\" for ledger-api".to_string(),
            format!("Wave 6 references unknown component \"ghost\" from {MATRIX}"),
            format!("Wave 6 must declare component promotion ledger-core: repo-landed to match {MATRIX}"),
            format!("Wave 6 must declare component promotion ledger-api: baseline-proved to match {MATRIX}"),
        ]
    );

    let files = repo().with(
        MATRIX,
        r#"{"levels":["a","b","c"],"components":{
            "ledger-core":{"currentLevel":"c","promotions":[{"wave":6,"target":"b"}]},
            "ledger-api":{"currentLevel":"a"}}}"#,
    );
    let mut wave = parse(WAVE_6, WAVE_FILE, &files);
    wave.component_promotions[0].target_level = "b".into();
    wave.component_promotions[1].target_level = "b".into();
    assert_eq!(
        run(&wave, &files)[..2],
        [
            format!(
                "Wave 6 promotes ledger-core to b, but {MATRIX} already records currentLevel c"
            ),
            format!("Component \"ledger-api\" is missing a wave 6 promotion entry in {MATRIX}"),
        ]
    );

    let mut files = repo();
    files.0.remove(MATRIX);
    let wave = parse(WAVE_6, WAVE_FILE, &files);
    assert_eq!(
        run(&wave, &files),
        [format!(
            "Component cutover matrix is missing or invalid: {MATRIX}"
        )]
    );
}

#[test]
fn rule_7_agent_components() {
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "A1").components.clear();
    agent_mut(&mut wave, "A2").components = vec!["ghost".into(), "ledger-core".into()];
    agent_mut(&mut wave, "A9").components = vec!["ledger-api".into()];
    let files = files.with(
        MATRIX,
        &include_str!("testdata/component-cutover-matrix.json").replace(
            "\"ledger-api\": {",
            "\"spare\": {\"currentLevel\": \"inventoried\"},\n    \"ledger-api\": {",
        ),
    );
    agent_mut(&mut wave, "A2").components.push("spare".into());
    assert_eq!(
        run(&wave, &files),
        [
            "Agent A1 must declare a ### Components section in waves 0 and later",
            "Agent A2 references unknown component \"ghost\" from docs/plans/component-cutover-matrix.json",
            "Agent A2 declares component \"spare\" that is not promoted in wave 6",
            "Agent A9 must not declare a ### Components section",
            "Wave 6 must assign promoted component \"ledger-api\" to at least one non-A0/E0/A9 agent",
        ]
    );
}

#[test]
fn rule_8_proof_centric_agents() {
    let (mut wave, files) = fixture();
    let a1 = agent_mut(&mut wave, "A1");
    a1.component_targets.0[0].1 = Some("pilot-live".into());
    executor(a1, &[("id", "local")]);
    assert_eq!(
        run(&wave, &files),
        [
            "Agent A1 must declare a ### Proof artifacts section when it targets pilot-live or above",
            "Agent A1 must not use executor=local when it carries proof-centric validation artifacts",
        ]
    );
    // Resolved to local by the lane default (no `id` in the agent block) counts too.
    let (mut wave, files) = fixture();
    let a2 = agent_mut(&mut wave, "A2");
    a2.executor_config = None;
    a2.proof_artifacts.push(crate::wave::ProofArtifact {
        path: "crates/ledger-api/proof.json".into(),
        kind: None,
        required_for: Vec::new(),
    });
    assert_eq!(
        run_with(r#"{"executors":{"default":"local"}}"#, &wave, &files),
        ["Agent A2 must not use executor=local when it carries proof-centric validation artifacts"]
    );
}

#[test]
fn rule_9_required_prompt_references() {
    let (mut wave, files) = fixture();
    let a1 = agent_mut(&mut wave, "A1");
    a1.prompt = a1
        .prompt
        .replace("docs/research/agent-context-sources.md", "");
    assert_eq!(
        run(&wave, &files),
        ["Agent A1 must reference docs/research/agent-context-sources.md"]
    );
    assert!(validate_wave(
        &wave,
        &lane_of(r#"{"validation":{"requiredPromptReferences":[]}}"#),
        &files
    )
    .is_ok());
    assert_eq!(
        run_with(
            r#"{"validation":{"requiredPromptReferences":["AGENTS.md"]}}"#,
            &wave,
            &files
        )[0],
        "Agent A0 must reference AGENTS.md"
    );
}

#[test]
fn rule_10_cont_eval() {
    let (mut wave, files) = fixture();
    let e0 = agent_mut(&mut wave, "E0");
    e0.role_prompt_paths.clear();
    assert_eq!(
        run(&wave, &files),
        ["Agent E0 must import docs/agents/wave-cont-eval-role.md"]
    );
    let (mut wave, files) = fixture();
    wave.eval_targets.clear();
    assert_eq!(
        run(&wave, &files),
        ["Wave 6 must declare a ## Eval targets section when E0 is present"]
    );
    let (mut wave, files) = fixture();
    wave.eval_targets[1].benchmark_family = Some("nope".into());
    assert_eq!(
        run(&wave, &files),
        ["Eval target \"output-shape\" references unknown benchmark family \"nope\" from docs/evals/benchmark-catalog.json"]
    );
    let (wave, mut files) = fixture();
    files.0.remove("docs/evals/benchmark-catalog.json");
    assert_eq!(
        run(&wave, &files),
        ["Benchmark catalog is missing or invalid: docs/evals/benchmark-catalog.json"]
    );
    // Owning no report-like path and nothing at all: the first-owned-path fallback fails too.
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "E0").owned_paths.clear();
    assert_eq!(
        run(&wave, &files),
        [
            "Agent E0 must declare at least one owned path",
            "Agent E0 must own a cont-EVAL report path",
        ]
    );
}

#[test]
fn rule_10_security_and_design() {
    let (mut wave, files) = fixture();
    let a7 = agent_mut(&mut wave, "A7");
    a7.role_prompt_paths = vec!["docs/agents/team/wave-security-role.md".into()];
    a7.owned_paths = vec!["docs/plans/waves/reviews/wave-6-audit.md".into()];
    let d1 = agent_mut(&mut wave, "D1");
    d1.role_prompt_paths.clear();
    d1.capabilities = vec!["design".into()];
    d1.owned_paths = vec!["docs/plans/waves/notes.md".into()];
    d1.components = vec!["ledger-api".into()];
    // D1 now owns a non-packet path: hybrid, so implementation-owning (exit contract needed,
    // components allowed).
    assert_eq!(
        run(&wave, &files),
        [
            "Agent D1 must declare a ### Exit contract section in waves 6 and later",
            "Security reviewer A7 must import docs/agents/wave-security-role.md",
            "Security reviewer A7 must own a security review report path",
            "Design agent D1 must import docs/agents/wave-design-role.md",
            "Design agent D1 must own a design packet path",
        ]
    );
    // A docs-only design agent (owning only packets) may not declare components.
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "D1").components = vec!["ledger-api".into()];
    assert_eq!(
        run(&wave, &files),
        [
            "Agent D1 must not declare a ### Components section",
            "Design agent D1 must stay docs/spec-only unless it explicitly owns implementation files",
        ]
    );
}

#[test]
fn rule_10_closure_overlap() {
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "E0")
        .capabilities
        .push("security-review".into());
    assert_eq!(
        run(&wave, &files),
        [
            "Security reviewer E0 must import docs/agents/wave-security-role.md",
            "Security reviewer E0 must own a security review report path",
            "Agent E0 must not overlap closure roles (cont-EVAL, security review)",
        ]
    );
}

#[test]
fn rule_10_integration_steward() {
    let (mut wave, files) = fixture();
    let config = r#"{"validation":{"requireIntegrationStewardFromWave":0}}"#;
    assert!(validate_wave(&wave, &lane_of(config), &files).is_ok());
    agent_mut(&mut wave, "A8").role_prompt_paths.clear();
    assert_eq!(
        run_with(config, &wave, &files),
        ["Wave 6 must include exactly one integration steward importing docs/agents/wave-integration-role.md"]
    );
}

#[test]
fn rule_10_documentation_steward() {
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "A9")
        .owned_paths
        .retain(|p| !p.ends_with("migration.md"));
    agent_mut(&mut wave, "A1")
        .owned_paths
        .push("docs/plans/migration.md".into());
    agent_mut(&mut wave, "A8")
        .owned_paths
        .push("docs/plans/component-cutover-matrix.json".into());
    assert_eq!(
        run(&wave, &files),
        [
            "Documentation steward A9 must own docs/plans/migration.md",
            "Shared plan docs must be owned only by A9 (also owned by A1, A8)",
        ]
    );
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "A8")
        .role_prompt_paths
        .push("docs/agents/wave-documentation-role.md".into());
    assert_eq!(
        run(&wave, &files),
        ["Wave 6 must include exactly one documentation steward importing docs/agents/wave-documentation-role.md"]
    );
}

#[test]
fn rule_11_runtime_mix_targets() {
    let (wave, files) = fixture();
    // Default executor codex for 7 agents, claude for A2.
    let config =
        r#"{"lanes":{"main":{"runtimePolicy":{"runtimeMixTargets":{"codex":3,"claude":0}}}}}"#;
    assert_eq!(
        run_with(config, &wave, &files),
        ["Wave 6 exceeds lane runtime mix targets (codex=7 exceeds target 3; claude=1 exceeds target 0)"]
    );
    let config = r#"{"lanes":{"main":{"runtimeMixTargets":{"claude":1}}}}"#;
    assert!(validate_wave(&wave, &lane_of(config), &files).is_ok());
}

#[test]
fn null_thresholds_disable_rules() {
    let (mut wave, files) = fixture();
    wave.component_promotions.clear();
    wave.context7_defaults = None;
    for agent in &mut wave.agents {
        agent.components.clear();
        agent.exit_contract = None;
        agent.context7_config = None;
        agent.component_targets.0.clear();
    }
    agent_mut(&mut wave, "A9").role_prompt_paths.clear();
    let mut files = files;
    files.0.remove(MATRIX);
    let config = r#"{"validation":{"requireDocumentationStewardFromWave":null,
        "requireContext7DeclarationsFromWave":null,"requireExitContractsFromWave":null,
        "requireComponentPromotionsFromWave":null,"requireAgentComponentsFromWave":null}}"#;
    assert!(validate_wave(&wave, &lane_of(config), &files).is_ok());
    // With the defaults (absent keys) the same wave fails several rules.
    assert!(run(&wave, &files).len() >= 5);
}

#[test]
fn resolution_errors_come_alone() {
    let message = |wave: &WaveDefinition, config: &str, files: &MemFiles| match validate_wave(
        wave,
        &lane_of(config),
        files,
    ) {
        Err(WaveValidationError::Resolution { message, .. }) => message,
        other => panic!("expected a resolution error, got {other:?}"),
    };
    let (mut wave, files) = fixture();
    executor(agent_mut(&mut wave, "A1"), &[("profile", "Deep")]);
    wave.agents[0].owned_paths.clear();
    assert_eq!(
        message(&wave, "{}", &files),
        "Agent A1 references unknown executor profile \"deep\""
    );
    let (mut wave, files) = fixture();
    executor(agent_mut(&mut wave, "A1"), &[("codex.sandbox", "open")]);
    assert_eq!(
        message(&wave, "{}", &files),
        "agent A1.codex.sandbox must be one of: read-only, workspace-write, danger-full-access (got: open)"
    );
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "A1").skills = vec!["rust".into()];
    assert_eq!(
        message(&wave, "{}", &files),
        "Missing skill bundle \"rust\" in skills"
    );
    let files = files.with("skills/rust/skill.json", r#"{"id":"rust"}"#);
    assert_eq!(
        message(&wave, "{}", &files),
        "Missing SKILL.md for skill \"rust\""
    );
    let files = files.with("skills/rust/SKILL.md", "# Rust");
    assert!(validate_wave(&wave, &lane_of("{}"), &files).is_ok());
    assert_eq!(
        message(&wave, r#"{"skills":{"byRole":{"design":["ux"]}}}"#, &files),
        "Missing skill bundle \"ux\" in skills"
    );
    let (mut wave, files) = fixture();
    agent_mut(&mut wave, "A1").context7_config = Some(crate::wave::Context7Config {
        bundle: Some("python".into()),
        query: None,
    });
    assert_eq!(
        message(&wave, "{}", &files),
        "Unknown Context7 bundle \"python\" for agent A1."
    );
}
