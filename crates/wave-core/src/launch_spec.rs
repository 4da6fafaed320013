//! Executor launch specs: the exact shell lines that start an agent, and their overlay files.
//!
//! Owns upstream v0.9.1's four command lines (launcher §5.1) — codex (prompt on stdin), claude
//! and opencode (prompt as the final argument, read into `task_prompt`), and `local` — plus the
//! files they reference: the Claude harness system prompt and merged settings, the OpenCode
//! agent prompt and `opencode.json`. Everything here is pure: the caller reads Claude's base
//! settings file when one is needed and writes the overlays this module returns.
//!
//! Quoting is upstream's: every value in single quotes with `'` written as `'\''`; the command
//! itself is not quoted. The `local` line runs this binary's built-in executor
//! (`<wave> local-executor`) where upstream runs its Node script.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{ClaudePromptMode, ExecutorId, ResolvedExecutor};

/// Single-quotes a value for a POSIX shell.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Skill material projected into an executor's channels.
#[derive(Debug, Clone, Default)]
pub struct SkillProjection {
    /// Rendered skill text (Claude system prompt).
    pub prompt_text: String,
    /// Skill bundle directories (codex `--add-dir`).
    pub codex_add_dirs: Vec<String>,
    /// Skill files (opencode `--file`).
    pub opencode_files: Vec<String>,
    /// Skill instruction files (`opencode.json` `instructions`).
    pub opencode_instructions: Vec<String>,
}

/// Inputs of [`build`].
#[derive(Debug, Clone)]
pub struct SpecInput<'a> {
    /// Agent id.
    pub agent_id: &'a str,
    /// Agent title.
    pub title: &'a str,
    /// The agent's resolved executor.
    pub executor: &'a ResolvedExecutor,
    /// Absolute prompt file path.
    pub prompt_path: &'a str,
    /// Absolute log file path.
    pub log_path: &'a str,
    /// Absolute overlay directory (`executors/wave-<n>/<slug>`).
    pub overlay_dir: &'a str,
    /// Absolute path of the `wave` binary (runs the built-in local executor).
    pub wave_binary: &'a str,
    /// Skill projection.
    pub skills: &'a SkillProjection,
    /// Contents of `claude.settings` when that file is set and an inline overlay needs merging.
    pub claude_base_settings: Option<Map<String, Value>>,
}

/// A file the launch needs beside the prompt (written into the overlay directory).
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    /// File name inside the overlay directory.
    pub file_name: &'static str,
    /// Contents.
    pub contents: String,
}

/// Turn and time limits recorded in `launch-preview.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// `budget.minutes`, the per-agent time cap.
    pub attempt_timeout_minutes: Option<u32>,
    /// A hard turn limit the executor enforces.
    pub known_turn_limit: Option<u32>,
    /// Where that limit comes from (`claude.maxTurns`, `opencode.steps`, `not-set-by-wave`,
    /// `not-applicable`).
    pub turn_limit_source: Option<&'static str>,
    /// Explanations.
    pub notes: Vec<String>,
}

/// How to start one agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchSpec {
    /// Executor id.
    pub executor_id: ExecutorId,
    /// The program run.
    pub command: String,
    /// Extra environment.
    pub env: BTreeMap<String, String>,
    /// Whether the rate-limit retry loop wraps the lines.
    pub use_rate_limit_retries: bool,
    /// The shell lines.
    pub invocation_lines: Vec<String>,
    /// Limits.
    pub limits: Limits,
    /// Overlay files to write (not serialised into the preview).
    #[serde(skip)]
    pub overlays: Vec<Overlay>,
}

/// Builds the launch spec of one agent.
pub fn build(input: &SpecInput<'_>) -> LaunchSpec {
    let limits = limits(input.executor);
    let mut spec = match input.executor.id {
        ExecutorId::Codex => codex(input),
        ExecutorId::Claude => claude(input),
        ExecutorId::Opencode => opencode(input),
        ExecutorId::Local => local(input),
    };
    spec.limits = limits;
    spec
}

fn flag(tokens: &mut Vec<String>, name: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        tokens.push(name.to_string());
        tokens.push(shell_quote(v));
    }
}

fn repeated(tokens: &mut Vec<String>, name: &str, values: &[String]) {
    for v in values.iter().filter(|v| !v.is_empty()) {
        tokens.push(name.to_string());
        tokens.push(shell_quote(v));
    }
}

fn switch(tokens: &mut Vec<String>, name: &str, on: bool) {
    if on {
        tokens.push(name.to_string());
    }
}

/// Ordered union without blanks or duplicates (upstream's list-merge rule).
pub fn union(lists: &[&[String]]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for list in lists {
        for v in list.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
            if !out.iter().any(|o| o == v) {
                out.push(v.to_string());
            }
        }
    }
    out
}

fn spec(id: ExecutorId, command: String, retries: bool, lines: Vec<String>) -> LaunchSpec {
    LaunchSpec {
        executor_id: id,
        command,
        env: BTreeMap::new(),
        use_rate_limit_retries: retries,
        invocation_lines: lines,
        limits: Limits {
            attempt_timeout_minutes: None,
            known_turn_limit: None,
            turn_limit_source: None,
            notes: vec![],
        },
        overlays: vec![],
    }
}

fn codex(input: &SpecInput<'_>) -> LaunchSpec {
    let ex = input.executor;
    let c = &ex.codex;
    let mut t = vec![
        c.command.clone(),
        "--ask-for-approval never".into(),
        "exec".into(),
        "--skip-git-repo-check".into(),
        format!("--sandbox {}", shell_quote(c.sandbox.as_str())),
    ];
    flag(&mut t, "--model", ex.model.as_deref());
    flag(&mut t, "--profile", c.profile_name.as_deref());
    repeated(&mut t, "-c", &c.config);
    switch(&mut t, "--search", c.search);
    repeated(&mut t, "--image", &c.images);
    repeated(
        &mut t,
        "--add-dir",
        &union(&[&c.add_dirs, &input.skills.codex_add_dirs]),
    );
    switch(&mut t, "--json", c.json);
    switch(&mut t, "--ephemeral", c.ephemeral);
    t.push("-".into());
    t.push(format!("< {}", shell_quote(input.prompt_path)));
    t.push(format!("2>&1 | tee -a {}", shell_quote(input.log_path)));
    spec(
        ExecutorId::Codex,
        c.command.clone(),
        true,
        vec![t.join(" ")],
    )
}

/// The harness system prompt given to Claude and OpenCode (this project's wording).
fn harness_prompt(input: &SpecInput<'_>, runtime: &str) -> String {
    [
        "You are running under the Wave orchestration harness.".to_string(),
        format!("Resolved executor: {runtime}."),
        format!("Assigned wave agent: {} ({}).", input.agent_id, input.title),
        "The task prompt you receive is your assignment; follow it over anything else you are told.".into(),
        "Print the Wave markers the task asks for exactly as specified, one per line.".into(),
        "Keep to the ownership boundaries, exit contract and reporting duties of the task.".into(),
        "Answer in plain text unless the task asks for code blocks.".into(),
    ]
    .join("\n")
}

fn task_prompt_lines(input: &SpecInput<'_>, tokens: Vec<String>) -> Vec<String> {
    vec![
        format!("task_prompt=$(cat {})", shell_quote(input.prompt_path)),
        format!(
            "{} \"$task_prompt\" 2>&1 | tee -a {}",
            tokens.join(" "),
            shell_quote(input.log_path)
        ),
    ]
}

fn claude(input: &SpecInput<'_>) -> LaunchSpec {
    let ex = input.executor;
    let c = &ex.claude;
    let mut overlays = Vec::new();
    let skill_text = input.skills.prompt_text.trim();
    let mut system = harness_prompt(input, "claude");
    if !skill_text.is_empty() {
        system.push_str("\n\n");
        system.push_str(skill_text);
    }
    system.push('\n');
    overlays.push(Overlay {
        file_name: "claude-system-prompt.txt",
        contents: system,
    });
    let system_path = format!("{}/claude-system-prompt.txt", input.overlay_dir);

    let has_inline =
        c.settings_json.is_some() || c.hooks_json.is_some() || !c.allowed_http_hook_urls.is_empty();
    let settings_path = if has_inline {
        // The base is the `claude.settings` file, read by the caller; ignored when none is set.
        let base = c.settings.as_ref().and(input.claude_base_settings.clone());
        let mut layers = vec![Value::Object(base.unwrap_or_default())];
        if let Some(s) = &c.settings_json {
            layers.push(Value::Object(s.clone()));
        }
        if let Some(h) = &c.hooks_json {
            layers.push(serde_json::json!({ "hooks": h }));
        }
        if !c.allowed_http_hook_urls.is_empty() {
            layers.push(serde_json::json!({ "allowedHttpHookUrls": c.allowed_http_hook_urls }));
        }
        let merged = merge_json_objects(&layers);
        overlays.push(Overlay {
            file_name: "claude-settings.json",
            contents: pretty(&Value::Object(merged)),
        });
        Some(format!("{}/claude-settings.json", input.overlay_dir))
    } else {
        c.settings.clone()
    };

    let mut t = vec![
        c.command.clone(),
        "-p".into(),
        "--no-session-persistence".into(),
    ];
    flag(&mut t, "--output-format", Some(c.output_format.as_str()));
    flag(
        &mut t,
        "--model",
        c.model.as_deref().or(ex.model.as_deref()),
    );
    flag(&mut t, "--agent", c.agent.as_deref());
    flag(&mut t, "--permission-mode", c.permission_mode.as_deref());
    flag(
        &mut t,
        "--permission-prompt-tool",
        c.permission_prompt_tool.as_deref(),
    );
    flag(&mut t, "--effort", c.effort.map(|e| e.as_str()));
    flag(
        &mut t,
        "--max-turns",
        c.max_turns.map(|n| n.to_string()).as_deref(),
    );
    repeated(&mut t, "--mcp-config", &c.mcp_config);
    flag(&mut t, "--settings", settings_path.as_deref());
    repeated(&mut t, "--allowedTools", &c.allowed_tools);
    repeated(&mut t, "--disallowedTools", &c.disallowed_tools);
    switch(&mut t, "--strict-mcp-config", c.strict_mcp_config);
    t.push(match c.append_system_prompt_mode {
        ClaudePromptMode::Replace => "--system-prompt-file".into(),
        ClaudePromptMode::Append => "--append-system-prompt-file".into(),
    });
    t.push(shell_quote(&system_path));
    let mut s = spec(
        ExecutorId::Claude,
        c.command.clone(),
        true,
        task_prompt_lines(input, t),
    );
    s.overlays = overlays;
    s
}

/// OpenCode agent name: `opencode.agent` or `wave-<id>`, lower-cased, runs of other characters
/// than `[a-z0-9_-]` replaced by `-`, dashes collapsed and trimmed.
pub fn opencode_agent_name(requested: Option<&str>, agent_id: &str) -> String {
    let raw = requested
        .map(str::to_string)
        .unwrap_or_else(|| format!("wave-{agent_id}"));
    let mut name = String::new();
    for ch in raw.trim().to_lowercase().chars() {
        let ok = ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-';
        let ch = if ok { ch } else { '-' };
        if !(ch == '-' && name.ends_with('-')) {
            name.push(ch);
        }
    }
    let name = name.trim_matches('-').to_string();
    if name.is_empty() {
        format!("wave-{}", agent_id.to_lowercase())
    } else {
        name
    }
}

fn opencode(input: &SpecInput<'_>) -> LaunchSpec {
    let ex = input.executor;
    let o = &ex.opencode;
    let name = opencode_agent_name(o.agent.as_deref(), input.agent_id);
    let prompt_file = "opencode-agent-prompt.txt";
    let mut overlays = vec![Overlay {
        file_name: prompt_file,
        contents: format!("{}\n", harness_prompt(input, "opencode")),
    }];

    let mut prompt_agent = Map::new();
    prompt_agent.insert(
        "description".into(),
        format!("Wave agent {}: {}", input.agent_id, input.title).into(),
    );
    prompt_agent.insert("mode".into(), "primary".into());
    prompt_agent.insert("prompt".into(), format!("{{file:./{prompt_file}}}").into());
    if let Some(model) = o.model.as_deref().or(ex.model.as_deref()) {
        prompt_agent.insert("model".into(), model.into());
    }
    if let Some(steps) = o.steps {
        prompt_agent.insert("steps".into(), steps.into());
    }
    if let Some(permission) = &o.permission {
        prompt_agent.insert("permission".into(), permission.clone());
    }
    let base = o.config_json.clone().unwrap_or_default();
    let base_agents = base
        .get("agent")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let base_instructions: Vec<String> = base
        .get("instructions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut agents = base_agents.clone();
    let merged_agent = merge_json_objects(&[
        base_agents.get(&name).cloned().unwrap_or(Value::Null),
        Value::Object(prompt_agent),
    ]);
    agents.insert(name.clone(), Value::Object(merged_agent));
    let schema = base
        .get("$schema")
        .cloned()
        .unwrap_or_else(|| "https://opencode.ai/config.json".into());
    let overlay = serde_json::json!({
        "$schema": schema,
        "instructions": union(&[&base_instructions, &o.instructions, &input.skills.opencode_instructions]),
        "agent": agents,
    });
    let config = merge_json_objects(&[Value::Object(base), overlay]);
    overlays.push(Overlay {
        file_name: "opencode.json",
        contents: pretty(&Value::Object(config)),
    });

    let mut t = vec![
        o.command.clone(),
        "run".into(),
        "--agent".into(),
        shell_quote(&name),
    ];
    flag(
        &mut t,
        "--model",
        o.model.as_deref().or(ex.model.as_deref()),
    );
    flag(&mut t, "--format", Some(o.format.as_str()));
    flag(&mut t, "--attach", o.attach.as_deref());
    repeated(
        &mut t,
        "--file",
        &union(&[&o.files, &input.skills.opencode_files]),
    );
    flag(&mut t, "--title", Some(&format!("wave-{}", input.agent_id)));
    let mut s = spec(
        ExecutorId::Opencode,
        o.command.clone(),
        true,
        task_prompt_lines(input, t),
    );
    s.env.insert(
        "OPENCODE_CONFIG".into(),
        format!("{}/opencode.json", input.overlay_dir),
    );
    s.overlays = overlays;
    s
}

fn local(input: &SpecInput<'_>) -> LaunchSpec {
    let line = format!(
        "{} local-executor --prompt-file {} 2>&1 | tee {}",
        shell_quote(input.wave_binary),
        shell_quote(input.prompt_path),
        shell_quote(input.log_path)
    );
    spec(
        ExecutorId::Local,
        input.wave_binary.to_string(),
        false,
        vec![line],
    )
}

fn limits(ex: &ResolvedExecutor) -> Limits {
    let minutes = ex.budget.and_then(|b| b.minutes);
    let advisory = ex.budget.is_some_and(|b| b.turns.is_some());
    let advisory_note = |flag: &str| {
        if advisory {
            vec![format!(
                "budget.turns is advisory only; no {flag} flag was emitted."
            )]
        } else {
            vec![]
        }
    };
    match ex.id {
        ExecutorId::Claude => Limits {
            attempt_timeout_minutes: minutes,
            known_turn_limit: ex.claude.max_turns,
            turn_limit_source: ex.claude.max_turns.map(|_| "claude.maxTurns"),
            notes: if ex.claude.max_turns.is_some() { vec![] } else { advisory_note("Claude --max-turns") },
        },
        ExecutorId::Opencode => Limits {
            attempt_timeout_minutes: minutes,
            known_turn_limit: ex.opencode.steps,
            turn_limit_source: ex.opencode.steps.map(|_| "opencode.steps"),
            notes: if ex.opencode.steps.is_some() { vec![] } else { advisory_note("OpenCode steps") },
        },
        ExecutorId::Codex => Limits {
            attempt_timeout_minutes: minutes,
            known_turn_limit: None,
            turn_limit_source: Some("not-set-by-wave"),
            notes: vec![match &ex.codex.profile_name {
                Some(p) => format!("Codex has no turn-limit flag; any ceiling comes from the Codex profile {p} or Codex itself."),
                None => "Codex has no turn-limit flag; any ceiling comes from Codex itself.".into(),
            }],
        },
        ExecutorId::Local => Limits {
            attempt_timeout_minutes: minutes,
            known_turn_limit: None,
            turn_limit_source: Some("not-applicable"),
            notes: vec!["The local executor has no model turns.".into()],
        },
    }
}

/// Deep-merges JSON objects left to right (later scalars and arrays win; nested objects merge;
/// non-object sources are skipped), keeping first-seen key order.
pub fn merge_json_objects(sources: &[Value]) -> Map<String, Value> {
    let mut merged = Map::new();
    for source in sources {
        let Value::Object(obj) = source else { continue };
        for (key, value) in obj {
            match (merged.get_mut(key), value) {
                (Some(Value::Object(existing)), Value::Object(_)) => {
                    let next =
                        merge_json_objects(&[Value::Object(existing.clone()), value.clone()]);
                    *existing = next;
                }
                _ => {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
    }
    merged
}

fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests;

/// Rate-limit retry policy of a launch (`--agent-rate-limit-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// Retries after the first try (`--agent-rate-limit-retries`, default 2).
    pub retries: u32,
    /// Base delay in seconds (default 20).
    pub base_delay_seconds: u32,
    /// Maximum delay in seconds before jitter (default 180).
    pub max_delay_seconds: u32,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        RateLimitPolicy {
            retries: 2,
            base_delay_seconds: 20,
            max_delay_seconds: 180,
        }
    }
}

/// The case-insensitive extended regex upstream greps a failed try's output for.
pub const RATE_LIMIT_PATTERN: &str =
    "429 Too Many Requests|exceeded retry limit|last status: 429|rate limit";

/// The shell script an agent runner executes for `spec` (run as `bash -c`).
///
/// Upstream's script with its defect fixed: it ends with `exit "$status"`, so the executor's
/// real exit code reaches the runner and the status file (upstream's shell always exits 0).
/// The script's own stdout goes to `/dev/null`: the invocation lines already `tee` the
/// executor's output into the log, so the runner must not append it a second time; stderr of
/// the shell itself (e.g. a failing `cd`) still reaches the runner.
///
/// For codex, claude and opencode the lines run in upstream's rate-limit loop: up to
/// `retries + 1` tries; a try that fails and whose part of the log matches
/// [`RATE_LIMIT_PATTERN`] sleeps `min(base·2^(try−1), max) + rand(0..4)` seconds, appends
/// `[<lane>-wave-launcher] rate-limit detected for <id>; retry <try>/<max> after <s>s` to the log
/// and tries again; any other failure stops at once.
pub fn agent_script(
    spec: &LaunchSpec,
    repo_root: &str,
    lane: &str,
    agent_id: &str,
    log_path: &str,
    policy: RateLimitPolicy,
) -> String {
    let log = shell_quote(log_path);
    let mut lines = vec![
        format!("cd {}", shell_quote(repo_root)),
        "set -o pipefail".to_string(),
        "exec 1>/dev/null".to_string(),
    ];
    for (key, value) in &spec.env {
        lines.push(format!("export {key}={}", shell_quote(value)));
    }
    if !spec.use_rate_limit_retries {
        lines.extend(spec.invocation_lines.iter().cloned());
        lines.push("status=$?".into());
    } else {
        lines.push(format!(": > {log}"));
        lines.push(format!(
            "max_rate_attempts={}",
            policy.retries.saturating_add(1)
        ));
        lines.push(format!(
            "rate_delay_base={}",
            policy.base_delay_seconds.max(1)
        ));
        lines.push(format!(
            "rate_delay_max={}",
            policy.max_delay_seconds.max(1)
        ));
        lines.push("rate_attempt=1".into());
        lines.push("status=1".into());
        lines.push("while [ \"$rate_attempt\" -le \"$max_rate_attempts\" ]; do".into());
        lines.push(format!(
            "  attempt_log_offset=$(wc -c < {log} 2>/dev/null || echo 0)"
        ));
        for line in &spec.invocation_lines {
            lines.push(format!("  {line}"));
        }
        lines.push("  status=$?".into());
        lines.push("  if [ \"$status\" -eq 0 ] || [ \"$rate_attempt\" -ge \"$max_rate_attempts\" ]; then break; fi".into());
        lines.push(format!(
            "  if tail -c +$((attempt_log_offset + 1)) {log} | grep -Eqi {}; then",
            shell_quote(RATE_LIMIT_PATTERN)
        ));
        lines.push("    sleep_seconds=$((rate_delay_base * (2 ** (rate_attempt - 1))))".into());
        lines.push("    if [ \"$sleep_seconds\" -gt \"$rate_delay_max\" ]; then sleep_seconds=$rate_delay_max; fi".into());
        lines.push("    sleep_seconds=$((sleep_seconds + RANDOM % 5))".into());
        let notice = shell_quote(&format!(
            "[{lane}-wave-launcher] rate-limit detected for {agent_id}; retry "
        ));
        lines.push(format!(
            "    echo {notice}\"${{rate_attempt}}/${{max_rate_attempts}} after ${{sleep_seconds}}s\" >> {log}"
        ));
        lines.push("    sleep \"$sleep_seconds\"".into());
        lines.push("    rate_attempt=$((rate_attempt + 1))".into());
        lines.push("    continue".into());
        lines.push("  fi".into());
        lines.push("  break".into());
        lines.push("done".into());
    }
    // The runner names a side file for the exit code: if the runner itself dies, whoever adopts
    // the agent reads the code from there instead of re-running the executor.
    lines.push(
        "if [ -n \"${WAVE_AGENT_EXIT_FILE:-}\" ]; then printf '%s\\n' \"$status\" > \"$WAVE_AGENT_EXIT_FILE\"; fi"
            .into(),
    );
    lines.push("exit \"$status\"".into());
    lines.join("\n")
}
