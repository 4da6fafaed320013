//! Tests of loading and lane resolution (executor settings are in `tests/executor.rs`).

mod executor;
mod props;

use serde_json::{json, Value};

use super::*;

fn config(value: Value) -> Config {
    Config::from_value(&value).expect("config parses")
}

fn no_dirs(_: &str) -> bool {
    false
}

fn main_lane(value: Value) -> LaneConfig {
    config(value)
        .resolve_lane(None, None, &no_dirs)
        .expect("lane resolves")
}

fn err(value: Value) -> String {
    Config::from_value(&value).unwrap_err().to_string()
}

#[test]
fn defaults_equal_upstream() {
    let cfg = Config::default();
    assert_eq!(cfg.version, 1);
    assert_eq!(cfg.project_name, "Wave Orchestrator");
    assert_eq!(cfg.repo_mode, RepoMode::SingleRepo);
    assert_eq!(cfg.default_lane, "main");
    assert_eq!(cfg.default_project, "default");
    assert!(!cfg.explicit_projects);

    let lane = cfg.resolve_lane(None, None, &no_dirs).unwrap();
    assert_eq!(lane.project_id, "default");
    assert_eq!(lane.project_name, "default");
    assert_eq!(lane.project_root_dir, ".");
    assert!(!lane.explicit_project);
    assert_eq!(lane.lane, "main");
    assert_eq!(lane.docs_dir, "docs");
    assert_eq!(lane.plans_dir, "docs/plans");
    assert_eq!(lane.waves_dir, "docs/plans/waves");
    assert_eq!(lane.legacy_waves_dir, "docs/waves");
    assert_eq!(lane.state_root, ".tmp");
    assert_eq!(lane.state_dir, ".tmp/main-wave-launcher");
    assert_eq!(lane.orchestrator_state_root, ".tmp/wave-orchestrator");
    assert_eq!(lane.orchestrator_state_dir, ".tmp/wave-orchestrator");
    assert_eq!(lane.terminals_path, ".vscode/terminals.json");
    assert_eq!(
        lane.context7_bundle_index_path,
        "docs/context7/bundles.json"
    );
    assert_eq!(
        lane.benchmark_catalog_path,
        "docs/evals/benchmark-catalog.json"
    );
    assert_eq!(
        lane.component_cutover_matrix_doc_path,
        "docs/plans/component-cutover-matrix.md"
    );
    assert_eq!(
        lane.component_cutover_matrix_json_path,
        "docs/plans/component-cutover-matrix.json"
    );
    assert_eq!(
        lane.shared_plan_docs,
        [
            "docs/plans/current-state.md",
            "docs/plans/master-plan.md",
            "docs/plans/migration.md"
        ]
    );

    let r = &lane.roles;
    assert_eq!(r.role_prompt_dir, "docs/agents");
    assert_eq!(
        [
            &r.cont_qa_agent_id,
            &r.cont_eval_agent_id,
            &r.integration_agent_id,
            &r.documentation_agent_id
        ],
        ["A0", "E0", "A8", "A9"]
    );
    assert_eq!(
        r.cont_qa_role_prompt_path,
        "docs/agents/wave-cont-qa-role.md"
    );
    assert_eq!(
        r.cont_eval_role_prompt_path,
        "docs/agents/wave-cont-eval-role.md"
    );
    assert_eq!(
        r.integration_role_prompt_path,
        "docs/agents/wave-integration-role.md"
    );
    assert_eq!(
        r.documentation_role_prompt_path,
        "docs/agents/wave-documentation-role.md"
    );
    assert_eq!(
        r.security_role_prompt_path,
        "docs/agents/wave-security-role.md"
    );
    assert_eq!(r.design_role_prompt_path, "docs/agents/wave-design-role.md");

    let v = &lane.validation;
    assert_eq!(
        v.required_prompt_references,
        DEFAULT_REQUIRED_PROMPT_REFERENCES
    );
    assert_eq!(
        v.require_documentation_steward_from_wave,
        Threshold::FromWave(0)
    );
    assert_eq!(
        v.require_context7_declarations_from_wave,
        Threshold::FromWave(6)
    );
    assert_eq!(v.require_exit_contracts_from_wave, Threshold::FromWave(6));
    assert_eq!(v.require_integration_steward_from_wave, Threshold::Disabled);
    assert_eq!(
        v.require_component_promotions_from_wave,
        Threshold::FromWave(0)
    );
    assert_eq!(v.require_agent_components_from_wave, Threshold::FromWave(0));

    let e = &lane.executors;
    assert_eq!(e.default, ExecutorId::Codex);
    assert!(e.profiles.is_empty());
    assert_eq!(e.codex, CodexSettings::default());
    assert_eq!(e.codex.command, "codex");
    assert_eq!(e.codex.sandbox, CodexSandbox::DangerFullAccess);
    assert!(!e.codex.search && !e.codex.json && !e.codex.ephemeral);
    assert_eq!(e.claude.command, "claude");
    assert_eq!(e.claude.append_system_prompt_mode, ClaudePromptMode::Append);
    assert_eq!(e.claude.output_format, ClaudeOutputFormat::Text);
    assert_eq!(e.claude.model, None);
    assert!(!e.claude.strict_mcp_config);
    assert_eq!(e.opencode.command, "opencode");
    assert_eq!(e.opencode.format, OpencodeFormat::Default);
    assert_eq!(e.opencode.steps, None);

    assert_eq!(lane.runtime_policy, RuntimePolicy::default());
    assert_eq!(lane.skills, SkillsConfig::default());
    assert_eq!(lane.skills.dir, "skills");
    assert!(lane.capability_routing.preferred_agents.is_empty());
    assert_eq!(Config::from_value(&json!({})).unwrap(), Config::default());
}

#[test]
fn thresholds_distinguish_null_from_absent() {
    let lane = main_lane(json!({"validation": {
        "requireContext7DeclarationsFromWave": null,
        "requireIntegrationStewardFromWave": 3,
        "requireExitContractsFromWave": "4",
    }}));
    let v = &lane.validation;
    assert_eq!(
        v.require_context7_declarations_from_wave,
        Threshold::Disabled
    );
    assert_eq!(
        v.require_integration_steward_from_wave,
        Threshold::FromWave(3)
    );
    assert_eq!(v.require_exit_contracts_from_wave, Threshold::FromWave(4));
    assert_eq!(
        v.require_documentation_steward_from_wave,
        Threshold::FromWave(0)
    );
    assert!(!v.require_context7_declarations_from_wave.applies_to(100));
    assert!(v.require_exit_contracts_from_wave.applies_to(4));
    assert!(!v.require_exit_contracts_from_wave.applies_to(3));

    // A lane's null disables what the top level set; a lane's absent key inherits it.
    let lane = main_lane(json!({
        "validation": {"requireExitContractsFromWave": 2, "requireAgentComponentsFromWave": 5},
        "lanes": {"main": {"validation": {"requireExitContractsFromWave": null}}},
    }));
    assert_eq!(
        lane.validation.require_exit_contracts_from_wave,
        Threshold::Disabled
    );
    assert_eq!(
        lane.validation.require_agent_components_from_wave,
        Threshold::FromWave(5)
    );

    let message = err(json!({"validation": {"requireExitContractsFromWave": -1}}));
    assert!(
        message.contains("validation.requireExitContractsFromWave: Invalid wave threshold: -1"),
        "{message}"
    );
    assert!(
        err(json!({"validation": {"requireExitContractsFromWave": true}}))
            .contains("Invalid wave threshold")
    );
}

#[test]
fn required_prompt_references_empty_list_disables_and_non_list_resets() {
    let lane = main_lane(json!({"validation": {"requiredPromptReferences": []}}));
    assert!(lane.validation.required_prompt_references.is_empty());
    let lane = main_lane(json!({
        "validation": {"requiredPromptReferences": ["a.md", " ", null]},
        "lanes": {"main": {"validation": {"requiredPromptReferences": "nope"}}},
    }));
    assert_eq!(
        lane.validation.required_prompt_references,
        DEFAULT_REQUIRED_PROMPT_REFERENCES
    );
    let lane = main_lane(json!({"validation": {"requiredPromptReferences": ["a.md", " ", null]}}));
    assert_eq!(lane.validation.required_prompt_references, ["a.md"]);
}

fn layered() -> Config {
    config(json!({
        "defaultProject": "app",
        "paths": {"stateRoot": "state", "terminalsPath": "top/terminals.json"},
        "roles": {"contQaAgentId": "Q0", "integrationAgentId": "I0", "documentationAgentId": "D0"},
        "validation": {"requireExitContractsFromWave": 1, "requireContext7DeclarationsFromWave": 2},
        "executors": {
            "default": "claude",
            "codex": {"command": "top-codex", "config": ["a=1"], "search": true},
            "claude": {"model": "top-model", "effort": "low"},
            "profiles": {"Fast": {"id": "codex", "model": "top-fast"}},
        },
        "projects": {
            "app": {
                "rootDir": "services/app",
                "paths": {"terminalsPath": "proj/terminals.json", "benchmarkCatalogPath": "proj/bench.json"},
                "roles": {"integrationAgentId": "I1", "documentationAgentId": "D1"},
                "validation": {"requireContext7DeclarationsFromWave": 3},
                "executors": {
                    "codex": {"command": "proj-codex"},
                    "claude": {"effort": "high"},
                    "profiles": {"fast": {"id": "opencode"}},
                },
                "lanes": {
                    "main": {
                        "terminalsPath": "lane/terminals.json",
                        "roles": {"documentationAgentId": "D2"},
                        "validation": {"requireExitContractsFromWave": 9},
                        "executors": {"codex": {"config": "b=2", "sandbox": "read-only"}},
                    },
                },
            },
            "other": {},
        },
    }))
}

#[test]
fn merge_order_is_top_then_project_then_lane() {
    let lane = layered().resolve_lane(None, None, &no_dirs).unwrap();
    assert_eq!(lane.project_id, "app");
    assert!(lane.explicit_project);
    assert_eq!(lane.project_root_dir, "services/app");
    // roles
    assert_eq!(lane.roles.cont_qa_agent_id, "Q0");
    assert_eq!(lane.roles.integration_agent_id, "I1");
    assert_eq!(lane.roles.documentation_agent_id, "D2");
    assert_eq!(lane.roles.cont_eval_agent_id, "E0");
    // validation
    assert_eq!(
        lane.validation.require_exit_contracts_from_wave,
        Threshold::FromWave(9)
    );
    assert_eq!(
        lane.validation.require_context7_declarations_from_wave,
        Threshold::FromWave(3)
    );
    // executors: per-field replace, lists replaced (not unioned) between layers
    let e = &lane.executors;
    assert_eq!(e.default, ExecutorId::Claude);
    assert_eq!(e.codex.command, "proj-codex");
    assert_eq!(e.codex.config, ["b=2"]);
    assert!(e.codex.search);
    assert_eq!(e.codex.sandbox, CodexSandbox::ReadOnly);
    assert_eq!(e.claude.model.as_deref(), Some("top-model"));
    assert_eq!(e.claude.effort, Some(ClaudeEffort::High));
    assert_eq!(e.profiles["fast"].id, Some(ExecutorId::Opencode));
    assert_eq!(
        e.profiles["fast"].model, None,
        "a profile replaces the same-named one whole"
    );
    // paths
    assert_eq!(lane.docs_dir, "services/app/docs");
    assert_eq!(lane.plans_dir, "services/app/docs/plans");
    assert_eq!(lane.terminals_path, "lane/terminals.json");
    assert_eq!(lane.benchmark_catalog_path, "proj/bench.json");
    assert_eq!(
        lane.context7_bundle_index_path,
        "docs/context7/bundles.json"
    );
    assert_eq!(
        lane.component_cutover_matrix_doc_path,
        "services/app/docs/plans/component-cutover-matrix.md"
    );
    assert_eq!(lane.state_dir, "state/projects/app/main-wave-launcher");
    assert_eq!(
        lane.orchestrator_state_dir,
        ".tmp/wave-orchestrator/projects/app"
    );
    assert_eq!(
        lane.shared_plan_docs[0],
        "services/app/docs/plans/current-state.md"
    );
}

#[test]
fn explicit_projects_select_and_reject() {
    let cfg = layered();
    let other = cfg
        .resolve_lane(Some("Other"), Some("main"), &no_dirs)
        .unwrap();
    assert_eq!(other.project_id, "other");
    assert_eq!(
        other.roles.integration_agent_id, "I0",
        "top-level roles only"
    );
    assert_eq!(other.terminals_path, "top/terminals.json");
    assert_eq!(other.docs_dir, "docs");
    assert_eq!(other.state_dir, "state/projects/other/main-wave-launcher");
    let error = cfg.resolve_lane(Some("nope"), None, &no_dirs).unwrap_err();
    assert_eq!(error, ConfigError::UnknownProject("nope".into()));
    assert_eq!(error.to_string(), "Unknown project: nope");

    // `projects: {}` is explicit mode with no project at all, as upstream.
    let empty = config(json!({"projects": {}}));
    assert!(matches!(
        empty.resolve_lane(None, None, &no_dirs),
        Err(ConfigError::UnknownProject(_))
    ));

    // The implicit project answers to `default` (or `defaultProject`) only.
    let implicit = Config::default();
    assert_eq!(
        implicit
            .resolve_lane(Some("default"), None, &no_dirs)
            .unwrap()
            .project_id,
        "default"
    );
    assert!(implicit.resolve_lane(Some("app"), None, &no_dirs).is_err());
    assert!(matches!(
        implicit.resolve_lane(Some("!!"), None, &no_dirs),
        Err(ConfigError::InvalidProjectId(_))
    ));
}

#[test]
fn lane_docs_dirs_follow_repo_mode_and_legacy_rule() {
    let single = Config::default();
    let lane = single
        .resolve_lane(None, Some("Feature X"), &no_dirs)
        .unwrap();
    assert_eq!(lane.lane, "feature-x");
    assert_eq!(lane.docs_dir, "docs/feature-x");
    assert_eq!(lane.waves_dir, "docs/feature-x/plans/waves");
    assert_eq!(lane.state_dir, ".tmp/feature-x-wave-launcher");
    // Upstream derives the matrix paths from the project docs dir, not the lane's plans dir.
    assert_eq!(
        lane.component_cutover_matrix_doc_path,
        "docs/plans/component-cutover-matrix.md"
    );
    assert_eq!(
        lane.shared_plan_docs[0],
        "docs/feature-x/plans/current-state.md"
    );

    let multi = config(json!({"repoMode": "Multi-Lane"}));
    assert_eq!(
        multi.resolve_lane(None, None, &no_dirs).unwrap().docs_dir,
        "docs/main"
    );

    let legacy_only = |dir: &str| dir == "docs/waves";
    assert_eq!(
        single
            .resolve_lane(None, None, &legacy_only)
            .unwrap()
            .waves_dir,
        "docs/waves"
    );
    let both = |dir: &str| dir == "docs/waves" || dir == "docs/plans/waves";
    assert_eq!(
        single.resolve_lane(None, None, &both).unwrap().waves_dir,
        "docs/plans/waves"
    );

    let custom =
        main_lane(json!({"lanes": {"main": {"docsDir": "d", "plansDir": "p", "wavesDir": "w/"}}}));
    assert_eq!(
        (
            custom.docs_dir.as_str(),
            custom.plans_dir.as_str(),
            custom.waves_dir.as_str()
        ),
        ("d", "p", "w")
    );

    assert!(matches!(
        single.resolve_lane(None, Some("_x"), &no_dirs),
        Err(ConfigError::InvalidLane(_))
    ));
    assert!(
        err(json!({"repoMode": "mono"})).contains("Unsupported repoMode in wave.config.json: mono")
    );
}

#[test]
fn paths_must_stay_inside_the_repo() {
    for (value, path) in [
        (json!({"paths": {"docsDir": "../docs"}}), "paths.docsDir"),
        (json!({"paths": {"stateRoot": "/tmp"}}), "paths.stateRoot"),
        (
            json!({"lanes": {"main": {"wavesDir": "a/../../b"}}}),
            "lanes.main.wavesDir",
        ),
        (
            json!({"sharedPlanDocs": ["ok.md", "../x.md"]}),
            "sharedPlanDocs[1]",
        ),
        (
            json!({"projects": {"p": {"rootDir": ".."}}}),
            "projects.p.rootDir",
        ),
        (
            json!({"roles": {"rolePromptDir": "/etc"}}),
            "roles.rolePromptDir",
        ),
    ] {
        let message = err(value);
        assert!(
            message.contains(&format!("{path}: must stay within the repository")),
            "{message}"
        );
    }
}

#[test]
fn legacy_keys_are_errors() {
    let cases = [
        (
            json!({"roles": {"evaluatorAgentId": "A0"}}),
            "roles.evaluatorAgentId was renamed to roles.contQaAgentId",
        ),
        (
            json!({"lanes": {"main": {"roles": {"evaluatorRolePromptPath": "x.md"}}}}),
            "roles.evaluatorRolePromptPath was renamed to roles.contQaRolePromptPath",
        ),
        (
            json!({"lanes": {"main": {"runtimePolicy": {"defaultExecutorByRole": {"Evaluator": "codex"}}}}}),
            "defaultExecutorByRole.evaluator was renamed to defaultExecutorByRole.cont-qa",
        ),
        (
            json!({"lanes": {"main": {"defaultExecutorByRole": {"evaluator": "codex"}}}}),
            "defaultExecutorByRole.evaluator was renamed to defaultExecutorByRole.cont-qa",
        ),
        (
            json!({"skills": {"byRole": {"evaluator": ["x"]}}}),
            "skills.byRole.evaluator was renamed to skills.byRole.cont-qa",
        ),
        (
            json!({"projects": {"p": {"skills": {"byRole": {"evaluator": []}}}}}),
            "skills.byRole.evaluator was renamed to skills.byRole.cont-qa",
        ),
    ];
    for (value, stem) in cases {
        let message = err(value);
        assert!(message.starts_with("wave.config.json: "), "{message}");
        assert!(message.contains(stem), "{message}");
    }
}

#[test]
fn unknown_keys_and_ignored_sections_are_tolerated() {
    let lane = main_lane(json!({
        "someFutureKey": {"x": 1},
        "waveControl": {"reportMode": "bogus", "enabled": "maybe"},
        "planner": {"agentic": {"defaultMaxWaves": "many"}},
        "roles": {"contQaAgentId": "Q0", "unknownRole": 1},
        "executors": {"codex": {"futureFlag": true}},
        "lanes": {"main": {"waveControl": 5, "whatever": []}},
    }));
    assert_eq!(lane.roles.cont_qa_agent_id, "Q0");
}

#[test]
fn type_errors_name_the_json_path() {
    let cases = [
        (
            json!({"executors": {"codex": {"sandbox": "yolo"}}}),
            "wave.config.json: executors.codex.sandbox: expected one of read-only, workspace-write, danger-full-access (got: yolo)",
        ),
        (
            json!({"executors": {"default": "gpt"}}),
            "wave.config.json: executors.default: expected one of codex, claude, opencode, local (got: gpt)",
        ),
        (json!({"executors": {"claude": {"effort": "extreme"}}}), "executors.claude.effort: expected one of low, medium, high, max"),
        (json!({"executors": {"claude": {"outputFormat": "xml"}}}), "executors.claude.outputFormat: expected one of text, json, stream-json"),
        (json!({"executors": {"claude": {"appendSystemPromptMode": "x"}}}), "executors.claude.appendSystemPromptMode: expected one of append, replace"),
        (json!({"executors": {"opencode": {"format": "yaml"}}}), "executors.opencode.format: expected one of default, json"),
        (json!({"executors": {"claude": {"maxTurns": 0}}}), "executors.claude.maxTurns: must be a positive integer, got: 0"),
        (json!({"executors": {"opencode": {"steps": "x"}}}), "executors.opencode.steps: must be a positive integer"),
        (json!({"executors": {"codex": {"search": "perhaps"}}}), "executors.codex.search: Invalid boolean value: perhaps"),
        (json!({"executors": {"claude": {"settingsJson": [1]}}}), "executors.claude.settingsJson: must be a JSON object"),
        (json!({"executors": {"profiles": {"p": 3}}}), "executors.profiles.p: must be an object"),
        (json!({"executors": {"profiles": {"p": {"fallbacks": "claude,gpt"}}}}), "executors.profiles.p.fallbacks[1]: expected one of"),
        (json!({"executors": {"profiles": {"p": {"budget": {"minutes": -5}}}}}), "executors.profiles.p.budget.minutes: must be a positive integer"),
        (json!({"runtimePolicy": {"runtimeMixTargets": {"gpt": 1}}}), "runtimePolicy.runtimeMixTargets.gpt: expected one of"),
        (json!({"lanes": {"x": {"runtimeMixTargets": {"codex": -1}}}}), "lanes.x.runtimeMixTargets.codex: must be a non-negative integer"),
        (json!({"lanes": {"x": {"fallbackExecutorOrder": ["codex", ""]}}}), "lanes.x.fallbackExecutorOrder[1]: expected one of codex, claude, opencode, local (got: empty)"),
        (json!({"skills": {"byRuntime": {"gpt": []}}}), "skills.byRuntime.gpt: is not a supported selector key"),
        (json!({"skills": {"base": "wave-core"}}), "skills.base: must be an array"),
        (json!({"skills": {"base": ["Bad Id"]}}), "skills.base[0]: must match"),
        (json!({"roles": {"contQaAgentId": ["A0"]}}), "roles.contQaAgentId: expected a string"),
        (json!({"lanes": {"!!": {}}}), "Invalid lane: !!"),
    ];
    for (value, expected) in cases {
        let message = err(value);
        assert!(
            message.contains(expected),
            "{message} does not contain {expected}"
        );
    }
}

#[test]
fn falsy_values_mean_the_default() {
    let lane = main_lane(json!({
        "roles": {"contQaAgentId": "Q0"},
        "executors": {"codex": {"command": "", "sandbox": null}, "default": null},
        "lanes": {"main": {"roles": {"contQaAgentId": ""}, "docsDir": "", "executors": {"codex": {"profileName": "p"}}}},
    }));
    assert_eq!(
        lane.roles.cont_qa_agent_id, "A0",
        "upstream resets a falsy lane value to the default"
    );
    assert_eq!(lane.docs_dir, "docs");
    assert_eq!(lane.executors.codex.command, "codex");
    assert_eq!(lane.executors.codex.sandbox, CodexSandbox::DangerFullAccess);
    assert_eq!(lane.executors.default, ExecutorId::Codex);
    assert_eq!(lane.executors.codex.profile_name.as_deref(), Some("p"));
}

#[test]
fn runtime_policy_lane_shorthand_wins() {
    let lane = main_lane(json!({
        "runtimePolicy": {"fallbackExecutorOrder": "claude, opencode", "runtimeMixTargets": {"codex": 1}},
        "lanes": {"main": {
            "runtimePolicy": {"runtimeMixTargets": {"Claude": 2}, "defaultExecutorByRole": {"design": "claude"}},
            "defaultExecutorByRole": {"Cont-QA": "opencode"},
            "fallbackExecutorOrder": null,
        }},
    }));
    let policy = &lane.runtime_policy;
    assert_eq!(
        policy.runtime_mix_targets.get(&ExecutorId::Claude),
        Some(&2)
    );
    assert_eq!(
        policy.runtime_mix_targets.get(&ExecutorId::Codex),
        None,
        "replaced wholesale"
    );
    assert_eq!(policy.default_executor_by_role.len(), 1);
    assert_eq!(
        policy.default_executor_by_role["cont-qa"],
        ExecutorId::Opencode
    );
    assert_eq!(
        policy.fallback_executor_order,
        [ExecutorId::Claude, ExecutorId::Opencode]
    );
}

#[test]
fn skills_union_and_capability_routing_replaces() {
    let lane = config(json!({
        "skills": {"base": ["Wave-Core"], "byRole": {"design": ["a"]}},
        "capabilityRouting": {"preferredAgents": {"Docs": ["A9"]}},
        "projects": {"p": {
            "skills": {"dir": "proj-skills", "base": ["wave-core", "b"], "byRole": {"design": ["c"], "deploy": ["d"]}},
            "lanes": {"main": {
                "skills": {"byRuntime": {"local": ["e"]}},
                "capabilityRouting": {"preferredAgents": {"infra": ["A3", ""]}},
            }},
        }},
    }))
    .resolve_lane(Some("p"), None, &no_dirs)
    .unwrap();
    assert_eq!(lane.skills.dir, "proj-skills");
    assert_eq!(lane.skills.base, ["wave-core", "b"]);
    assert_eq!(lane.skills.by_role["design"], ["a", "c"]);
    assert_eq!(lane.skills.by_role["deploy"], ["d"]);
    assert_eq!(lane.skills.by_runtime["local"], ["e"]);
    assert_eq!(lane.capability_routing.preferred_agents.len(), 1);
    assert_eq!(lane.capability_routing.preferred_agents["infra"], ["A3"]);
}

/// A realistic config with the structure of upstream's own `wave.config.json` (written for
/// this test): explicit paths, a profile set, skills and a `main` lane runtime policy.
fn realistic() -> Value {
    json!({
        "version": 1,
        "projectName": "Acme Platform",
        "repoMode": "single-repo",
        "defaultLane": "main",
        "paths": {"docsDir": "docs", "stateRoot": ".tmp", "terminalsPath": ".vscode/terminals.json"},
        "roles": {"rolePromptDir": "docs/agents", "contQaAgentId": "A0"},
        "executors": {
            "default": "codex",
            "profiles": {
                "implement-fast": {"id": "codex", "tags": ["implementation"], "budget": {"turns": 12, "minutes": 45}},
                "docs-pass": {"id": "claude", "tags": ["documentation"], "budget": {"turns": 8, "minutes": 20}},
                "review-readonly": {
                    "id": "codex",
                    "model": "gpt-5-codex",
                    "budget": {"minutes": 30},
                    "codex": {"search": true, "sandbox": "read-only", "config": ["model_reasoning_effort=high"]},
                },
                "security-review": {"id": "claude", "claude": {"allowedTools": ["Read", "Grep"]}},
            },
            "codex": {"command": "codex", "sandbox": "danger-full-access"},
            "claude": {"command": "claude", "appendSystemPromptMode": "append", "outputFormat": "text"},
            "opencode": {"command": "opencode", "format": "default"},
        },
        "skills": {
            "dir": "skills",
            "base": ["wave-core", "repo-coding-rules"],
            "byRole": {"implementation": ["role-implementation"], "cont-qa": ["role-cont-qa"]},
            "byRuntime": {"codex": ["runtime-codex"], "local": ["runtime-local"]},
            "byDeployKind": {"kubernetes": ["provider-kubernetes"]},
        },
        "planner": {"agentic": {"executorProfile": "review-readonly"}},
        "sharedPlanDocs": ["docs/plans/current-state.md", "docs/plans/master-plan.md"],
        "validation": {
            "requireDocumentationStewardFromWave": 0,
            "requireContext7DeclarationsFromWave": 6,
            "requireExitContractsFromWave": 6,
            "requireIntegrationStewardFromWave": 0,
            "requireComponentPromotionsFromWave": 0,
            "requireAgentComponentsFromWave": 0,
        },
        "capabilityRouting": {"preferredAgents": {}},
        "lanes": {"main": {"runtimePolicy": {
            "runtimeMixTargets": {"codex": 7, "claude": 4, "opencode": 2},
            "defaultExecutorByRole": {"implementation": "codex", "documentation": "claude", "cont-qa": "claude", "research": "opencode"},
            "fallbackExecutorOrder": ["claude", "opencode", "codex"],
        }}},
    })
}

#[test]
fn realistic_config_resolves() {
    let lane = config(realistic())
        .resolve_lane(None, Some("main"), &no_dirs)
        .unwrap();
    assert_eq!(lane.project_id, "default");
    assert_eq!(lane.project_name, "Acme Platform");
    assert_eq!(lane.state_dir, ".tmp/main-wave-launcher");
    assert_eq!(lane.waves_dir, "docs/plans/waves");
    assert_eq!(
        lane.shared_plan_docs,
        ["docs/plans/current-state.md", "docs/plans/master-plan.md"]
    );
    assert_eq!(
        lane.validation.require_integration_steward_from_wave,
        Threshold::FromWave(0)
    );
    assert_eq!(lane.executors.profiles.len(), 4);
    let review = &lane.executors.profiles["review-readonly"];
    assert_eq!(
        review.budget,
        Some(Budget {
            turns: None,
            minutes: Some(30)
        })
    );
    assert_eq!(
        review.codex.as_ref().unwrap().sandbox,
        Some(CodexSandbox::ReadOnly)
    );
    assert_eq!(
        lane.runtime_policy.runtime_mix_targets[&ExecutorId::Codex],
        7
    );
    assert_eq!(
        lane.runtime_policy.default_executor_by_role["cont-qa"],
        ExecutorId::Claude
    );
    assert_eq!(lane.skills.base, ["wave-core", "repo-coding-rules"]);
    assert_eq!(
        lane.skills.by_deploy_kind["kubernetes"],
        ["provider-kubernetes"]
    );
    // Another lane of the same repo gets none of main's runtime policy.
    let other = config(realistic())
        .resolve_lane(None, Some("ops"), &no_dirs)
        .unwrap();
    assert!(other.runtime_policy.runtime_mix_targets.is_empty());
    assert_eq!(other.docs_dir, "docs/ops");
}

#[test]
fn unparsable_or_odd_files_fall_back_with_a_warning() {
    let loaded = Config::from_json_text("{ not json").unwrap();
    assert_eq!(loaded.config, Config::default());
    assert!(matches!(loaded.warning, Some(ConfigWarning::Unparsable(_))));
    assert!(loaded
        .warning
        .unwrap()
        .to_string()
        .starts_with("wave.config.json is not valid JSON"));
    let loaded = Config::from_json_text("[1, 2]").unwrap();
    assert_eq!(loaded.warning, Some(ConfigWarning::NotAnObject));
    assert_eq!(Config::from_json_text("null").unwrap().warning, None);
    assert_eq!(Config::from_json_text("{}").unwrap().warning, None);

    let dir = tempfile::tempdir().unwrap();
    let missing = load(dir.path()).unwrap();
    assert_eq!((missing.config, missing.warning), (Config::default(), None));
    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        r#"{"defaultLane": "Dev"}"#,
    )
    .unwrap();
    assert_eq!(load(dir.path()).unwrap().config.default_lane, "dev");
    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        r#"{"roles": {"evaluatorAgentId": "A0"}}"#,
    )
    .unwrap();
    assert!(matches!(load(dir.path()), Err(ConfigError::Renamed { .. })));
}

#[test]
fn version_and_names_are_coerced_like_upstream() {
    let cfg =
        config(json!({"version": "2", "projectName": "  Shop  ", "defaultProject": "My App"}));
    assert_eq!(cfg.version, 2);
    assert_eq!(cfg.project_name, "Shop");
    assert_eq!(cfg.default_project, "my-app");
    assert_eq!(config(json!({"version": "x"})).version, 1);
    assert_eq!(config(json!({"version": 0})).version, 1);
}
