//! Launch specs compared with upstream v0.9.1's own dry-run output.
//!
//! The expected lines were produced by upstream itself: a scratch repository with the config and
//! `### Executor` blocks below, then
//! `node scripts/wave.mjs launch --dry-run --no-dashboard --no-telemetry --start-wave 1`, reading
//! `executors/wave-1/<slug>/launch-preview.json`. Paths are rewritten to `/S` (state dir).

use super::*;
use crate::config::{
    resolve_agent_executor, Config, ExecutorOverrides, ExecutorRequest, LaneConfig, RuntimeRole,
};

const CONFIG: &str = r#"{
  "executors": {
    "default": "local",
    "codex": {"command": "codex", "sandbox": "workspace-write", "config": ["model_reasoning_effort=low"]},
    "claude": {"command": "claude", "outputFormat": "stream-json", "permissionMode": "acceptEdits",
               "allowedTools": ["Read"], "strictMcpConfig": true},
    "opencode": {"command": "opencode", "format": "json", "instructions": ["docs/style.md"]},
    "profiles": {
      "impl": {"id": "codex", "model": "gpt-5-codex", "budget": {"turns": 12, "minutes": 45},
               "codex": {"search": true, "json": true, "addDirs": ["docs"]}},
      "review": {"id": "claude", "budget": {"minutes": 30}, "claude": {"maxTurns": 9, "allowedTools": ["Grep"]}}
    }
  }
}"#;

fn lane() -> LaneConfig {
    let loaded = Config::from_json_text(CONFIG).expect("config");
    loaded
        .config
        .resolve_lane(None, None, &|_| false)
        .expect("lane")
}

fn spec_for(agent: &str, title: &str, settings: &[(&str, &str)]) -> LaunchSpec {
    let mut overrides = ExecutorOverrides::default();
    for (k, v) in settings {
        overrides
            .apply_setting(k, v)
            .unwrap_or_else(|e| panic!("{k}: {e}"));
    }
    let lane = lane();
    let executor = resolve_agent_executor(
        &lane,
        &ExecutorRequest {
            agent_id: agent,
            overrides: Some(&overrides),
            role: RuntimeRole::Implementation,
            proof_centric: false,
            cli_executor: None,
            cli_codex_sandbox: None,
        },
    )
    .expect("executor");
    let slug = format!("1-{}", agent.to_lowercase());
    let prompt = format!("/S/prompts/wave-1-{slug}.prompt.md");
    let log = format!("/S/logs/wave-1-{slug}.log");
    let overlay = format!("/S/executors/wave-1/{slug}");
    let skills = SkillProjection::default();
    let base_settings = serde_json::json!({"model": "x", "permissions": {"deny": ["Write"]}});
    build(&SpecInput {
        agent_id: agent,
        title,
        executor: &executor,
        prompt_path: &prompt,
        log_path: &log,
        overlay_dir: &overlay,
        wave_binary: "/usr/bin/wave",
        skills: &skills,
        claude_base_settings: base_settings.as_object().cloned(),
    })
}

#[test]
fn codex_line_matches_upstream() {
    let spec = spec_for(
        "A1",
        "Codex agent",
        &[
            ("profile", "impl"),
            ("codex.config", "model_reasoning_effort=high,trace=on"),
            ("codex.add_dirs", "src,tests"),
            ("codex.images", "img/a b.png"),
            ("codex.ephemeral", "true"),
            ("codex.profile_name", "it's-mine"),
        ],
    );
    assert_eq!(spec.executor_id, ExecutorId::Codex);
    assert_eq!(spec.command, "codex");
    assert!(spec.use_rate_limit_retries);
    assert_eq!(
        spec.invocation_lines,
        vec!["codex --ask-for-approval never exec --skip-git-repo-check --sandbox 'workspace-write' --model 'gpt-5-codex' --profile 'it'\\''s-mine' -c 'model_reasoning_effort=low' -c 'model_reasoning_effort=high' -c 'trace=on' --search --image 'img/a b.png' --add-dir 'docs' --add-dir 'src' --add-dir 'tests' --json --ephemeral - < '/S/prompts/wave-1-1-a1.prompt.md' 2>&1 | tee -a '/S/logs/wave-1-1-a1.log'"]
    );
    assert_eq!(spec.limits.attempt_timeout_minutes, Some(45));
    assert_eq!(spec.limits.turn_limit_source, Some("not-set-by-wave"));
    assert!(spec.overlays.is_empty());
}

#[test]
fn claude_line_and_merged_settings_match_upstream() {
    let spec = spec_for(
        "A2",
        "Claude agent",
        &[
            ("profile", "review"),
            ("model", "claude-sonnet-4-6"),
            ("claude.effort", "high"),
            ("claude.mcp_config", "mcp/a.json,mcp/b.json"),
            (
                "claude.settings_json",
                r#"{"permissions":{"allow":["Read"]}}"#,
            ),
            ("claude.hooks_json", r#"{"Stop":[{"command":"echo stop"}]}"#),
            ("claude.disallowed_tools", "Bash"),
            ("claude.agent", "reviewer"),
            ("claude.permission_prompt_tool", "mcp__auth"),
        ],
    );
    // Upstream drops the lane's `strictMcpConfig: true` here: the profile's claude section
    // resets it to false. Observed in v0.9.1's output; kept for compatibility.
    assert_eq!(
        spec.invocation_lines,
        vec![
            "task_prompt=$(cat '/S/prompts/wave-1-1-a2.prompt.md')".to_string(),
            "claude -p --no-session-persistence --output-format 'stream-json' --model 'claude-sonnet-4-6' --agent 'reviewer' --permission-mode 'acceptEdits' --permission-prompt-tool 'mcp__auth' --effort 'high' --max-turns '9' --mcp-config 'mcp/a.json' --mcp-config 'mcp/b.json' --settings '/S/executors/wave-1/1-a2/claude-settings.json' --allowedTools 'Read' --allowedTools 'Grep' --disallowedTools 'Bash' --append-system-prompt-file '/S/executors/wave-1/1-a2/claude-system-prompt.txt' \"$task_prompt\" 2>&1 | tee -a '/S/logs/wave-1-1-a2.log'".to_string(),
        ]
    );
    assert_eq!(spec.limits.known_turn_limit, Some(9));
    assert_eq!(spec.limits.turn_limit_source, Some("claude.maxTurns"));
    assert_eq!(spec.limits.attempt_timeout_minutes, Some(30));
    let settings = spec
        .overlays
        .iter()
        .find(|o| o.file_name == "claude-settings.json")
        .expect("settings overlay");
    let value: Value = serde_json::from_str(&settings.contents).unwrap();
    // No `claude.settings` file is configured for A2, so nothing is read from disk: the base
    // passed in is only used when `settings` is set.
    assert_eq!(
        value,
        serde_json::json!({"permissions": {"allow": ["Read"]}, "hooks": {"Stop": [{"command": "echo stop"}]}})
    );
}

#[test]
fn claude_replace_and_plain_settings_path() {
    let spec = spec_for(
        "A4",
        "Replace claude",
        &[
            ("id", "claude"),
            ("claude.command", "/opt/bin/claude"),
            ("claude.settings", "conf/claude.json"),
            ("claude.output_format", "json"),
        ],
    );
    assert_eq!(spec.command, "/opt/bin/claude");
    assert_eq!(
        spec.invocation_lines[1],
        "/opt/bin/claude -p --no-session-persistence --output-format 'json' --permission-mode 'acceptEdits' --settings 'conf/claude.json' --allowedTools 'Read' --strict-mcp-config --append-system-prompt-file '/S/executors/wave-1/1-a4/claude-system-prompt.txt' \"$task_prompt\" 2>&1 | tee -a '/S/logs/wave-1-1-a4.log'"
    );
    assert_eq!(spec.limits.turn_limit_source, None);
    assert_eq!(spec.overlays.len(), 1, "only the system prompt");
}

#[test]
fn opencode_line_and_config_match_upstream() {
    let spec = spec_for(
        "A3",
        "OpenCode agent",
        &[
            ("id", "opencode"),
            ("model", "anthropic/claude-sonnet"),
            ("opencode.files", "README.md,docs/a.md"),
            ("opencode.attach", "http://127.0.0.1:4096"),
            ("opencode.steps", "7"),
            ("opencode.agent", "My Agent!"),
            (
                "opencode.config_json",
                r#"{"instructions":["base.md"],"agent":{"other":{"mode":"subagent"}}}"#,
            ),
            ("opencode.permission", r#"{"edit":"allow"}"#),
        ],
    );
    assert_eq!(
        spec.invocation_lines[1],
        "opencode run --agent 'my-agent' --model 'anthropic/claude-sonnet' --format 'json' --attach 'http://127.0.0.1:4096' --file 'README.md' --file 'docs/a.md' --title 'wave-A3' \"$task_prompt\" 2>&1 | tee -a '/S/logs/wave-1-1-a3.log'"
    );
    assert_eq!(
        spec.env.get("OPENCODE_CONFIG").map(String::as_str),
        Some("/S/executors/wave-1/1-a3/opencode.json")
    );
    assert_eq!(spec.limits.known_turn_limit, Some(7));
    let config = spec
        .overlays
        .iter()
        .find(|o| o.file_name == "opencode.json")
        .expect("opencode.json");
    let value: Value = serde_json::from_str(&config.contents).unwrap();
    let expected = serde_json::json!({
        "instructions": ["base.md", "docs/style.md"],
        "agent": {
            "other": {"mode": "subagent"},
            "my-agent": {
                "description": "Wave agent A3: OpenCode agent",
                "mode": "primary",
                "prompt": "{file:./opencode-agent-prompt.txt}",
                "model": "anthropic/claude-sonnet",
                "steps": 7,
                "permission": {"edit": "allow"}
            }
        },
        "$schema": "https://opencode.ai/config.json"
    });
    assert_eq!(value, expected);
    // Key order too (serde_json preserves it): base keys first, `$schema` last, as upstream.
    assert_eq!(
        serde_json::to_string(&value).unwrap(),
        serde_json::to_string(&expected).unwrap()
    );
}

#[test]
fn local_line_runs_the_builtin_executor() {
    let spec = spec_for("A8", "Integration", &[]);
    assert_eq!(spec.executor_id, ExecutorId::Local);
    assert!(!spec.use_rate_limit_retries);
    assert_eq!(
        spec.invocation_lines,
        vec!["'/usr/bin/wave' local-executor --prompt-file '/S/prompts/wave-1-1-a8.prompt.md' 2>&1 | tee '/S/logs/wave-1-1-a8.log'"]
    );
    assert_eq!(spec.limits.turn_limit_source, Some("not-applicable"));
}

#[test]
fn opencode_names_and_quoting() {
    assert_eq!(opencode_agent_name(None, "A1"), "wave-a1");
    assert_eq!(
        opencode_agent_name(Some("  --My  Agent!!--"), "A1"),
        "my-agent"
    );
    assert_eq!(opencode_agent_name(Some("!!!"), "Q 7"), "wave-q 7");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(
        union(&[
            &["a".into(), " b ".into()],
            &["b".into(), "".into(), "c".into()]
        ]),
        vec!["a", "b", "c"]
    );
}
