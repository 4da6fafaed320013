//! Closed vocabularies of the executor settings (executor ids, sandbox modes, Claude and
//! OpenCode enums, retry policy), with upstream v0.9.1's spellings.

use super::value::string_enum;

string_enum! {
    /// An executor runtime (`executors.default`, profile/agent `id`, fallbacks, mix targets).
    ExecutorId {
        /// OpenAI Codex CLI.
        Codex => "codex",
        /// Claude Code CLI.
        Claude => "claude",
        /// OpenCode CLI.
        Opencode => "opencode",
        /// The built-in local executor (no LLM).
        Local => "local",
    }
}

string_enum! {
    /// Codex `--sandbox` mode.
    CodexSandbox {
        /// `read-only`.
        ReadOnly => "read-only",
        /// `workspace-write`.
        WorkspaceWrite => "workspace-write",
        /// `danger-full-access` (the default).
        DangerFullAccess => "danger-full-access",
    }
}

string_enum! {
    /// How the harness system prompt is given to Claude.
    ClaudePromptMode {
        /// `--append-system-prompt` (the default).
        Append => "append",
        /// `--system-prompt`.
        Replace => "replace",
    }
}

string_enum! {
    /// Claude `--effort`.
    ClaudeEffort {
        /// `low`.
        Low => "low",
        /// `medium`.
        Medium => "medium",
        /// `high`.
        High => "high",
        /// `max`.
        Max => "max",
    }
}

string_enum! {
    /// Claude `--output-format`.
    ClaudeOutputFormat {
        /// `text` (the default).
        Text => "text",
        /// `json`.
        Json => "json",
        /// `stream-json`.
        StreamJson => "stream-json",
    }
}

string_enum! {
    /// OpenCode `--format`.
    OpencodeFormat {
        /// `default` (the default).
        Default => "default",
        /// `json`.
        Json => "json",
    }
}

string_enum! {
    /// Whether a retry may switch to a fallback executor.
    RetryPolicy {
        /// Keep the same executor on retry.
        Sticky => "sticky",
        /// A retry may use a fallback executor.
        FallbackAllowed => "fallback-allowed",
    }
}
