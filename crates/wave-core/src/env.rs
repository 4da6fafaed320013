//! Every `WAVE_*` environment variable `wave` reads or sets, defined once with its documentation
//! (uv's `EnvVars` style). `docs/configuration.md` is rendered from [`ENV_VARS`] and a test keeps
//! it in sync; code refers to the constants, never to a string literal.

/// Who reads a variable, or sets it for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvScope {
    /// Read by `wave` commands (set by users, compose files, Kubernetes manifests).
    User,
    /// Set by `wave` for every agent's executor (the agent context).
    Agent,
    /// Set by `wave` between its own processes (daemon → launcher → runner).
    Internal,
    /// Knobs of the built-in `local` executor (benchmarks and crash tests).
    LocalExecutor,
}

/// One documented variable.
#[derive(Debug, Clone, Copy)]
pub struct EnvVar {
    /// The name.
    pub name: &'static str,
    /// Who reads or sets it.
    pub scope: EnvScope,
    /// What it does (Markdown, one paragraph).
    pub doc: &'static str,
}

macro_rules! env_vars {
    ($($(#[doc = $doc:literal])+ $ident:ident = $name:literal, $scope:ident;)+) => {
        $(
            $(#[doc = $doc])+
            pub const $ident: &str = $name;
        )+
        /// Every variable, in documentation order.
        pub const ENV_VARS: &[EnvVar] = &[
            $(EnvVar { name: $name, scope: EnvScope::$scope, doc: concat!($($doc, "\n"),+) },)+
        ];
    };
}

env_vars! {
    /// Repository root for every command (same as `--repo-root`; default: the current
    /// directory). Images set it to `/workspace`. Agents get it too.
    WAVE_REPO_ROOT = "WAVE_REPO_ROOT", User;
    /// Seconds a drain waits on SIGTERM/SIGINT/SIGHUP for stopped agents before killing them
    /// (`--drain-timeout` of `launch` and `supervise`; default 8, below Docker's 10 s stop
    /// timeout). A daemon passes its launchers one second less.
    WAVE_DRAIN_TIMEOUT = "WAVE_DRAIN_TIMEOUT", User;
    /// Where agents run: `process` (default) or `container` (`--agent-runtime`); `wave doctor`
    /// checks the engine and image when it says `container`.
    WAVE_AGENT_RUNTIME = "WAVE_AGENT_RUNTIME", User;
    /// The image of agent containers (`--agent-image`).
    WAVE_AGENT_IMAGE = "WAVE_AGENT_IMAGE", User;
    /// Capabilities agents keep (comma-separated, e.g. `CAP_NET_BIND_SERVICE`); by default an
    /// agent has none, runs with `no_new_privs`, and cannot gain any.
    WAVE_AGENT_CAPS = "WAVE_AGENT_CAPS", User;
    /// `inherit` gives agents the supervisor's whole environment; by default they get a base
    /// (`PATH`, `HOME`, `USER`, `SHELL`, `LANG`/`LC_*`, `TZ`, `TERM`, `TMPDIR`, proxy and CA
    /// variables), the executors' credential names, `WAVE_PASS_ENV` names and `WAVE_*`.
    WAVE_AGENT_ENV = "WAVE_AGENT_ENV", User;
    /// Log filter of the structured diagnostics on stderr (`info` by default; an `EnvFilter`
    /// directive such as `debug` or `wave_engine=debug`).
    WAVE_LOG = "WAVE_LOG", User;
    /// `json` (one object a line, for `docker logs`/`kubectl logs`) or `human`. Unset: JSON when
    /// `wave` is PID 1 and stderr is not a terminal.
    WAVE_LOG_FORMAT = "WAVE_LOG_FORMAT", User;
    /// Extra environment variable names (comma-separated) whose values `wave submit` hands to
    /// the run's agents, beside each executor's own credential names (see docs/supervisor.md,
    /// "Secrets"). Values never enter `request.json`, `state.json` or any payload.
    WAVE_PASS_ENV = "WAVE_PASS_ENV", User;
    /// Where `wave submit` keeps each run's passed-through values (one 0600 file per run,
    /// removed when the run ends); default `<state>/control/supervisor/secrets`. Point it at a
    /// tmpfs to keep them off disk.
    WAVE_SECRETS_DIR = "WAVE_SECRETS_DIR", User;
    /// Octal mode of the state root (`.tmp`) and the lane's state directory (default `700`:
    /// agent output can carry tokens). Must keep the owner's `rwx`.
    WAVE_STATE_DIR_MODE = "WAVE_STATE_DIR_MODE", User;
    /// The supervisor run the agent belongs to (`run-<ms>-<hex>`); empty for a plain
    /// `wave launch`.
    WAVE_RUN_ID = "WAVE_RUN_ID", Agent;
    /// The agent's project id (`default` for the implicit project).
    WAVE_PROJECT = "WAVE_PROJECT", Agent;
    /// The agent's lane.
    WAVE_LANE = "WAVE_LANE", Agent;
    /// The agent's wave number.
    WAVE_WAVE = "WAVE_WAVE", Agent;
    /// The agent's id (`A1`, `A0`, `E0`, …).
    WAVE_AGENT_ID = "WAVE_AGENT_ID", Agent;
    /// The attempt of the wave the agent runs in (1-based).
    WAVE_ATTEMPT = "WAVE_ATTEMPT", Agent;
    /// The launcher's orchestrator id (upstream's variable).
    WAVE_ORCHESTRATOR_ID = "WAVE_ORCHESTRATOR_ID", Agent;
    /// The executor the agent runs on (`codex`, `claude`, `opencode`, `local`; upstream's).
    WAVE_EXECUTOR_MODE = "WAVE_EXECUTOR_MODE", Agent;
    /// Where the agent script writes the executor's exit code, so a killed runner loses no
    /// outcome.
    WAVE_AGENT_EXIT_FILE = "WAVE_AGENT_EXIT_FILE", Internal;
    /// The run a daemon started this launcher for.
    WAVE_SUPERVISOR_RUN_ID = "WAVE_SUPERVISOR_RUN_ID", Internal;
    /// The launcher's `launcher-status.json`, written on every exit it controls.
    WAVE_SUPERVISOR_STATUS_FILE = "WAVE_SUPERVISOR_STATUS_FILE", Internal;
    /// Milliseconds the `local` executor holds each agent open (benchmarks, crash tests).
    WAVE_LOCAL_EXECUTOR_DELAY_MS = "WAVE_LOCAL_EXECUTOR_DELAY_MS", LocalExecutor;
    /// A file the `local` executor appends `<wave> <agent> <pid>` to on each run.
    WAVE_LOCAL_EXECUTOR_COUNT_FILE = "WAVE_LOCAL_EXECUTOR_COUNT_FILE", LocalExecutor;
    /// A directory where the `local` executor records what an agent sees: `<agentId>.env` (its
    /// environment) and `<agentId>.status` (`/proc/self/status`: capabilities, NoNewPrivs).
    WAVE_LOCAL_EXECUTOR_PROBE_DIR = "WAVE_LOCAL_EXECUTOR_PROBE_DIR", LocalExecutor;
    /// Comma-separated agent ids the `local` executor fails.
    WAVE_LOCAL_EXECUTOR_FAIL_AGENTS = "WAVE_LOCAL_EXECUTOR_FAIL_AGENTS", LocalExecutor;
    /// The exit code the `local` executor uses for the agents it fails.
    WAVE_LOCAL_EXECUTOR_EXIT_CODE = "WAVE_LOCAL_EXECUTOR_EXIT_CODE", LocalExecutor;
}

/// The credential variables each executor's CLI reads: `wave submit` hands the submitting
/// client's values of these (plus [`WAVE_PASS_ENV`]'s names) to the run's agents.
pub fn executor_pass_env(executor: &str) -> &'static [&'static str] {
    match executor {
        "codex" => &[
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "OPENAI_ORG_ID",
            "CODEX_HOME",
        ],
        "claude" => &[
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "ANTHROPIC_BASE_URL",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "CLAUDE_CONFIG_DIR",
        ],
        "opencode" => &[
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "OPENROUTER_API_KEY",
            "GEMINI_API_KEY",
            "OPENCODE_CONFIG",
        ],
        _ => &[],
    }
}

/// Every name a submit passes through: the executors' credential names and the extra names in
/// `extra` (the value of [`WAVE_PASS_ENV`], comma-separated), sorted and deduplicated.
pub fn pass_env_names(extra: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = ["codex", "claude", "opencode"]
        .iter()
        .flat_map(|e| executor_pass_env(e).iter().map(|n| n.to_string()))
        .chain(
            extra
                .unwrap_or_default()
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
        )
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `docs/configuration.md`'s environment section, rendered from [`ENV_VARS`].
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Configuration: environment variables\n\n\
         Generated from `wave_core::env` (a test keeps this file in sync). Flags win over\n\
         variables where both exist.\n",
    );
    for (scope, title) in [
        (EnvScope::User, "Read by `wave`"),
        (EnvScope::Agent, "Set for every agent (the agent context)"),
        (EnvScope::Internal, "Between `wave`'s own processes"),
        (
            EnvScope::LocalExecutor,
            "Knobs of the built-in `local` executor",
        ),
    ] {
        out.push_str(&format!(
            "\n## {title}\n\n| variable | meaning |\n|---|---|\n"
        ));
        for var in ENV_VARS.iter().filter(|v| v.scope == scope) {
            let doc = var.doc.split_whitespace().collect::<Vec<_>>().join(" ");
            out.push_str(&format!(
                "| `{}` | {} |\n",
                var.name,
                doc.replace('|', "\\|")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_prefixed() {
        let mut names: Vec<&str> = ENV_VARS.iter().map(|v| v.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
        assert!(names.iter().all(|n| n.starts_with("WAVE_")));
    }

    #[test]
    fn docs_configuration_md_is_rendered_from_this_list() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        let expected = render_markdown();
        if on_disk != expected && std::env::var_os("WAVE_BLESS").is_some() {
            std::fs::write(path, &expected).unwrap();
            return;
        }
        assert_eq!(
            on_disk, expected,
            "docs/configuration.md is stale: rerun with WAVE_BLESS=1"
        );
    }
}
