//! Tests of `### Executor` settings and agent executor resolution.

use serde_json::json;

use super::super::*;

fn overrides(bullets: &[(&str, &str)]) -> ExecutorOverrides {
    let mut out = ExecutorOverrides::default();
    for (key, value) in bullets {
        out.apply_setting(key, value)
            .unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    out
}

fn setting_error(key: &str, value: &str) -> ExecutorSettingError {
    ExecutorOverrides::default()
        .apply_setting(key, value)
        .unwrap_err()
}

#[test]
fn every_top_level_key_parses() {
    let o = overrides(&[
        ("id", "Claude"),
        ("profile", "Deep-Review"),
        ("model", "`claude-sonnet`"),
        ("fallbacks", "opencode, `codex`"),
        ("tags", "a, 'b',,"),
        ("retry-policy", "Fallback-Allowed"),
        ("allow-fallback-on-retry", "no"),
        ("budget.turns", "12"),
        ("budget.minutes", "45m"),
    ]);
    assert_eq!(o.id, Some(ExecutorId::Claude));
    assert_eq!(o.profile.as_deref(), Some("deep-review"));
    assert_eq!(o.model.as_deref(), Some("claude-sonnet"));
    assert_eq!(o.fallbacks, [ExecutorId::Opencode, ExecutorId::Codex]);
    assert_eq!(o.tags, ["a", "b"]);
    assert_eq!(o.retry_policy, Some(RetryPolicy::FallbackAllowed));
    assert_eq!(o.allow_fallback_on_retry, Some(false));
    assert_eq!(
        o.budget,
        Some(Budget {
            turns: Some(12),
            minutes: Some(45)
        })
    );
    assert!(o.vendor_sections().is_empty());
}

#[test]
fn every_vendor_key_parses() {
    let o = overrides(&[
        ("codex.command", "/bin/fake-codex"),
        ("codex.sandbox", "Read-Only"),
        ("codex.profile_name", "work"),
        ("codex.config", "a=1,b=2"),
        ("codex.search", "yes"),
        ("codex.images", "x.png"),
        ("codex.add_dirs", "../shared, /opt"),
        ("codex.json", "1"),
        ("codex.ephemeral", "off"),
        ("claude.command", "claude-bin"),
        ("claude.agent", "reviewer"),
        ("claude.permission_mode", "plan"),
        ("claude.permission_prompt_tool", "mcp__perm"),
        ("claude.effort", "HIGH"),
        ("claude.max_turns", "7"),
        ("claude.mcp_config", "a.json,b.json"),
        ("claude.settings", ".claude/settings.json"),
        ("claude.settings_json", r#"{"a": 1}"#),
        ("claude.hooks_json", r#"{"Stop": []}"#),
        ("claude.allowed_http_hook_urls", "https://x"),
        ("claude.output_format", "stream-json"),
        ("claude.allowed_tools", "Read,Edit"),
        ("claude.disallowed_tools", "Bash"),
        ("opencode.command", "oc"),
        ("opencode.agent", "build"),
        ("opencode.attach", "http://localhost:4096"),
        ("opencode.files", "a.md, b.md"),
        ("opencode.format", "JSON"),
        ("opencode.steps", "20"),
        ("opencode.instructions", "i.md"),
        ("opencode.permission", "true"),
        ("opencode.config_json", r#"{"theme": "x"}"#),
    ]);
    let codex = o.codex.as_ref().unwrap();
    assert_eq!(codex.command.as_deref(), Some("/bin/fake-codex"));
    assert_eq!(codex.sandbox, Some(CodexSandbox::ReadOnly));
    assert_eq!(codex.profile_name, Some(Some("work".into())));
    assert_eq!(
        codex.config.as_deref(),
        Some(&["a=1".to_string(), "b=2".to_string()][..])
    );
    assert_eq!(
        (codex.search, codex.json, codex.ephemeral),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(codex.images.as_ref().unwrap(), &["x.png"]);
    assert_eq!(codex.add_dirs.as_ref().unwrap(), &["../shared", "/opt"]);
    let claude = o.claude.as_ref().unwrap();
    assert_eq!(claude.command.as_deref(), Some("claude-bin"));
    assert_eq!(claude.agent, Some(Some("reviewer".into())));
    assert_eq!(claude.permission_mode, Some(Some("plan".into())));
    assert_eq!(
        claude.permission_prompt_tool,
        Some(Some("mcp__perm".into()))
    );
    assert_eq!(claude.effort, Some(Some(ClaudeEffort::High)));
    assert_eq!(claude.max_turns, Some(Some(7)));
    assert_eq!(claude.mcp_config.as_ref().unwrap(), &["a.json", "b.json"]);
    assert_eq!(claude.settings, Some(Some(".claude/settings.json".into())));
    assert_eq!(
        claude.settings_json.clone().unwrap().unwrap()["a"],
        json!(1)
    );
    assert!(claude
        .hooks_json
        .clone()
        .unwrap()
        .unwrap()
        .contains_key("Stop"));
    assert_eq!(
        claude.allowed_http_hook_urls.as_ref().unwrap(),
        &["https://x"]
    );
    assert_eq!(claude.output_format, Some(ClaudeOutputFormat::StreamJson));
    assert_eq!(claude.allowed_tools.as_ref().unwrap(), &["Read", "Edit"]);
    assert_eq!(claude.disallowed_tools.as_ref().unwrap(), &["Bash"]);
    let oc = o.opencode.as_ref().unwrap();
    assert_eq!(oc.command.as_deref(), Some("oc"));
    assert_eq!(oc.agent, Some(Some("build".into())));
    assert_eq!(oc.attach, Some(Some("http://localhost:4096".into())));
    assert_eq!(oc.files.as_ref().unwrap(), &["a.md", "b.md"]);
    assert_eq!(oc.format, Some(OpencodeFormat::Json));
    assert_eq!(oc.steps, Some(Some(20)));
    assert_eq!(oc.instructions.as_ref().unwrap(), &["i.md"]);
    assert_eq!(
        oc.permission,
        Some(Some(json!(true))),
        "permission takes any JSON"
    );
    assert_eq!(
        oc.config_json.clone().unwrap().unwrap()["theme"],
        json!("x")
    );
    assert_eq!(
        o.vendor_sections(),
        [ExecutorId::Codex, ExecutorId::Claude, ExecutorId::Opencode]
    );
}

#[test]
fn whitelist_matches_upstream_and_later_bullets_win() {
    assert_eq!(EXECUTOR_SETTING_KEYS.len(), 41);
    for key in EXECUTOR_SETTING_KEYS {
        let result = ExecutorOverrides::default().apply_setting(key, "");
        assert_eq!(
            result,
            Err(ExecutorSettingError::Empty {
                key: key.to_string()
            })
        );
    }
    let o = overrides(&[
        ("model", "a"),
        ("model", "b"),
        ("codex.config", "x"),
        ("codex.config", "y"),
    ]);
    assert_eq!(o.model.as_deref(), Some("b"));
    assert_eq!(o.codex.unwrap().config.unwrap(), ["y"]);
}

#[test]
fn error_stems_match_upstream() {
    let label = "agent A1";
    let file = "docs/plans/waves/wave-1.md";
    let cases: Vec<(ExecutorSettingError, &str)> = vec![
        (setting_error("claude.model", "x"), r#"Unsupported Executor setting "claude.model" in agent A1 (docs/plans/waves/wave-1.md)"#),
        (setting_error("codex.profileName", "x"), r#"Unsupported Executor setting "codex.profileName""#),
        (setting_error("model", " `` "), r#"Empty Executor setting "model" in agent A1 (docs/plans/waves/wave-1.md)"#),
        (setting_error("retry-policy", "always"), r#"Invalid agent A1.retry-policy "always" in docs/plans/waves/wave-1.md; expected sticky or fallback-allowed"#),
        (setting_error("allow-fallback-on-retry", "maybe"), r#"Invalid agent A1.allow-fallback-on-retry "maybe" in docs/plans/waves/wave-1.md"#),
        (setting_error("codex.search", "sure"), r#"Invalid agent A1.codex.search "sure" in"#),
        (setting_error("budget.minutes", "0"), r#"Invalid agent A1.budget.minutes "0" in"#),
        (setting_error("claude.max_turns", "many"), r#"Invalid agent A1.claude.max_turns "many" in"#),
        (setting_error("opencode.steps", "-2"), r#"Invalid agent A1.opencode.steps "-2" in"#),
        (setting_error("claude.settings_json", "{nope"), "Invalid JSON for agent A1.claude.settings_json in docs/plans/waves/wave-1.md: "),
        (setting_error("opencode.permission", "{"), "Invalid JSON for agent A1.opencode.permission in"),
        (setting_error("claude.hooks_json", "[1]"), "Invalid JSON object for agent A1.claude.hooks_json in docs/plans/waves/wave-1.md"),
        (setting_error("opencode.config_json", "3"), "Invalid JSON object for agent A1.opencode.config_json in"),
        (setting_error("id", "gpt"), "agent A1.id must be one of: codex, claude, opencode, local (got: gpt)"),
        (setting_error("fallbacks", "claude,gpt"), "agent A1.fallbacks[1] must be one of: codex, claude, opencode, local (got: gpt)"),
        (setting_error("codex.sandbox", "Yolo"), "agent A1.codex.sandbox must be one of: read-only, workspace-write, danger-full-access (got: yolo)"),
        (setting_error("claude.effort", "huge"), "agent A1.claude.effort must be one of: low, medium, high, max"),
        (setting_error("claude.output_format", "xml"), r#"Invalid agent A1.claude.output_format "xml" in docs/plans/waves/wave-1.md; expected text, json, or stream-json"#),
        (setting_error("opencode.format", "yaml"), r#"Invalid agent A1.opencode.format "yaml" in docs/plans/waves/wave-1.md; expected default or json"#),
    ];
    for (error, stem) in cases {
        let message = error.message(label, file);
        assert!(
            message.starts_with(stem),
            "{message:?} does not start with {stem:?}"
        );
        assert!(!error.to_string().is_empty());
    }
    assert_eq!(
        setting_error("nope", "x").to_string(),
        r#"Unsupported Executor setting "nope""#
    );
}

fn lane(value: serde_json::Value) -> LaneConfig {
    Config::from_value(&value)
        .unwrap()
        .resolve_lane(None, None, &|_| false)
        .unwrap()
}

fn request<'a>(overrides: Option<&'a ExecutorOverrides>, role: RuntimeRole) -> ExecutorRequest<'a> {
    ExecutorRequest {
        agent_id: "A1",
        overrides,
        role,
        proof_centric: false,
        cli_executor: None,
        cli_codex_sandbox: None,
    }
}

fn policy_lane() -> LaneConfig {
    lane(json!({
        "executors": {
            "default": "opencode",
            "codex": {"config": ["base=1"], "images": "shot.png", "search": true},
            "claude": {"model": "lane-claude", "allowedTools": ["Read"], "mcpConfig": "lane.json"},
            "opencode": {"model": "lane-oc", "instructions": ["lane.md"]},
            "profiles": {
                "Review": {
                    "id": "claude",
                    "model": "profile-model",
                    "fallbacks": ["opencode"],
                    "tags": ["review"],
                    "budget": {"turns": 5, "minutes": 30},
                    "codex": {"config": ["prof=2", "base=1"], "sandbox": "workspace-write"},
                    "claude": {"allowedTools": ["Edit"], "effort": "low"},
                },
                "plain": {"tags": ["x"]},
            },
        },
        "lanes": {"main": {
            "defaultExecutorByRole": {"documentation": "claude"},
            "fallbackExecutorOrder": ["claude", "opencode", "codex"],
            "executors": {"profiles": {"lane-prof": {"codex": {"config": "lp=1"}}}},
        }},
    }))
}

#[test]
fn executor_id_precedence() {
    let lane = policy_lane();
    let resolve = |o: Option<&ExecutorOverrides>, role, cli| {
        let mut req = request(o, role);
        req.cli_executor = cli;
        let r = resolve_agent_executor(&lane, &req).unwrap();
        (r.id, r.selected_by)
    };
    let agent_id = overrides(&[("id", "local"), ("profile", "review")]);
    let profile_only = overrides(&[("profile", "REVIEW")]);
    let no_id_profile = overrides(&[("profile", "plain")]);
    let role = RuntimeRole::Documentation;
    let other = RuntimeRole::Implementation;
    assert_eq!(
        resolve(Some(&agent_id), role, None),
        (ExecutorId::Local, SelectedBy::AgentId)
    );
    assert_eq!(
        resolve(Some(&profile_only), role, None),
        (ExecutorId::Claude, SelectedBy::AgentProfile)
    );
    assert_eq!(
        resolve(Some(&no_id_profile), role, Some(ExecutorId::Codex)),
        (ExecutorId::Claude, SelectedBy::LaneRoleDefault)
    );
    assert_eq!(
        resolve(None, other, Some(ExecutorId::Codex)),
        (ExecutorId::Codex, SelectedBy::CliDefault)
    );
    assert_eq!(
        resolve(None, other, None),
        (ExecutorId::Opencode, SelectedBy::LaneDefault)
    );

    let unknown = overrides(&[("profile", "ghost")]);
    let error = resolve_agent_executor(&lane, &request(Some(&unknown), other)).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"Agent A1 references unknown executor profile "ghost""#
    );
}

#[test]
fn settings_merge_scalars_and_union_lists() {
    let lane = policy_lane();
    let agent = overrides(&[
        ("profile", "review"),
        ("codex.config", "agent=3,prof=2"),
        ("codex.images", "a.png"),
        ("claude.allowed_tools", "Read,Bash"),
        ("claude.effort", "max"),
        ("claude.mcp_config", "agent.json"),
        ("opencode.instructions", "agent.md"),
    ]);
    let r =
        resolve_agent_executor(&lane, &request(Some(&agent), RuntimeRole::Implementation)).unwrap();
    assert_eq!(r.codex.config, ["base=1", "prof=2", "agent=3"]);
    assert_eq!(r.codex.images, ["shot.png", "a.png"]);
    assert_eq!(r.codex.sandbox, CodexSandbox::WorkspaceWrite);
    assert!(
        !r.codex.search,
        "upstream quirk: a top-level profile's codex object resets search to false"
    );
    assert_eq!(r.claude.allowed_tools, ["Read", "Edit", "Bash"]);
    assert_eq!(r.claude.mcp_config, ["lane.json", "agent.json"]);
    assert_eq!(r.claude.effort, Some(ClaudeEffort::Max));
    assert_eq!(r.opencode.instructions, ["lane.md", "agent.md"]);
    assert_eq!(r.model.as_deref(), Some("profile-model"));
    assert_eq!(r.claude.model.as_deref(), Some("profile-model"));
    assert_eq!(
        r.opencode.model.as_deref(),
        Some("lane-oc"),
        "non-selected runtimes keep the lane model"
    );
    assert_eq!(r.tags, ["review"]);
    assert_eq!(
        r.budget,
        Some(Budget {
            turns: Some(5),
            minutes: Some(30)
        })
    );

    // A lane-level profile is normalized once upstream and keeps the lane's `search: true`.
    let lane_prof = overrides(&[("profile", "lane-prof"), ("budget.minutes", "9")]);
    let r = resolve_agent_executor(
        &lane,
        &request(Some(&lane_prof), RuntimeRole::Implementation),
    )
    .unwrap();
    assert!(r.codex.search);
    assert_eq!(r.codex.config, ["base=1", "lp=1"]);
    assert_eq!(
        r.budget,
        Some(Budget {
            turns: None,
            minutes: Some(9)
        })
    );

    // Model falls back to the claude section only when claude is the executor.
    let r = resolve_agent_executor(&lane, &request(None, RuntimeRole::Documentation)).unwrap();
    assert_eq!(
        (r.id, r.model.as_deref()),
        (ExecutorId::Claude, Some("lane-claude"))
    );
    let r = resolve_agent_executor(&lane, &request(None, RuntimeRole::Implementation)).unwrap();
    assert_eq!(
        (r.id, r.model.as_deref()),
        (ExecutorId::Opencode, Some("lane-oc"))
    );
    assert_eq!(r.budget, None);
}

#[test]
fn cli_codex_sandbox_only_without_agent_or_profile_sandbox() {
    let lane = lane(
        json!({"executors": {"codex": {"sandbox": "read-only"}, "profiles": {"ws": {"codex": {"sandbox": "workspace-write"}}}}}),
    );
    let sandbox = |o: Option<&ExecutorOverrides>, cli: Option<CodexSandbox>| {
        let mut req = request(o, RuntimeRole::Implementation);
        req.cli_codex_sandbox = cli;
        resolve_agent_executor(&lane, &req).unwrap().codex.sandbox
    };
    let cli = Some(CodexSandbox::DangerFullAccess);
    assert_eq!(sandbox(None, None), CodexSandbox::ReadOnly);
    assert_eq!(sandbox(None, cli), CodexSandbox::DangerFullAccess);
    let prof = overrides(&[("profile", "ws")]);
    assert_eq!(sandbox(Some(&prof), cli), CodexSandbox::WorkspaceWrite);
    let agent = overrides(&[("codex.sandbox", "read-only"), ("profile", "ws")]);
    assert_eq!(sandbox(Some(&agent), cli), CodexSandbox::ReadOnly);
    let claude = overrides(&[("id", "claude")]);
    assert_eq!(
        sandbox(Some(&claude), cli),
        CodexSandbox::ReadOnly,
        "only for codex agents"
    );
}

#[test]
fn fallback_policy() {
    let lane = policy_lane();
    let resolve = |o: Option<&ExecutorOverrides>, proof_centric: bool| {
        let mut req = request(o, RuntimeRole::Implementation);
        req.proof_centric = proof_centric;
        let r = resolve_agent_executor(&lane, &req).unwrap();
        (r.allow_fallback_on_retry, r.retry_policy, r.fallbacks)
    };
    use ExecutorId::*;
    // Default: not proof-centric → allowed, lane order minus the primary (opencode).
    assert_eq!(
        resolve(None, false),
        (true, RetryPolicy::FallbackAllowed, vec![Claude, Codex])
    );
    assert_eq!(resolve(None, true), (false, RetryPolicy::Sticky, vec![]));
    let sticky = overrides(&[("retry-policy", "sticky")]);
    assert_eq!(
        resolve(Some(&sticky), false),
        (false, RetryPolicy::Sticky, vec![])
    );
    let allowed = overrides(&[("retry-policy", "fallback-allowed"), ("fallbacks", "codex")]);
    assert_eq!(
        resolve(Some(&allowed), true),
        (true, RetryPolicy::FallbackAllowed, vec![Codex])
    );
    let explicit = overrides(&[
        ("allow-fallback-on-retry", "true"),
        ("retry-policy", "sticky"),
    ]);
    assert_eq!(
        resolve(Some(&explicit), true),
        (true, RetryPolicy::Sticky, vec![Claude, Codex])
    );
    // Profile ∪ agent fallbacks; not filtered against the primary, as upstream.
    let both = overrides(&[("profile", "review"), ("fallbacks", "claude,opencode")]);
    assert_eq!(
        resolve(Some(&both), false),
        (true, RetryPolicy::FallbackAllowed, vec![Opencode, Claude])
    );
}

#[test]
fn runtime_role_inference() {
    let roles = RolesConfig::default();
    let infer = |id: &str, caps: &[&str], title: &str| {
        let caps: Vec<String> = caps.iter().map(|c| c.to_string()).collect();
        RuntimeRole::infer(id, &roles, false, false, &caps, title)
    };
    assert_eq!(infer("A0", &[], ""), RuntimeRole::ContQa);
    assert_eq!(infer("E0", &[], ""), RuntimeRole::ContEval);
    assert_eq!(infer("A8", &[], ""), RuntimeRole::Integration);
    assert_eq!(infer("A9", &[], ""), RuntimeRole::Documentation);
    assert_eq!(
        RuntimeRole::infer("A3", &roles, true, true, &[], ""),
        RuntimeRole::Design
    );
    assert_eq!(
        RuntimeRole::infer("A3", &roles, false, true, &[], ""),
        RuntimeRole::Security
    );
    assert_eq!(infer("A3", &["infra-terraform"], ""), RuntimeRole::Infra);
    assert_eq!(infer("A3", &[], "Deploy the API"), RuntimeRole::Deploy);
    assert_eq!(
        infer("A3", &[], "Deployment notes"),
        RuntimeRole::Implementation
    );
    assert_eq!(infer("A3", &[], "Market research"), RuntimeRole::Research);
    assert_eq!(infer("A3", &[], "Build it"), RuntimeRole::Implementation);
    assert_eq!(RuntimeRole::parse("cont-qa"), Some(RuntimeRole::ContQa));
    assert_eq!(RuntimeRole::ALL.len(), 10);
}
