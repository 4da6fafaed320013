//! The built-in `local` executor's pure part: compiled prompt → [`Plan`] (placeholder files to
//! create when missing, marker lines to print, delay, exit code).
//!
//! The executor behind `wave local-executor --prompt-file P` is a no-LLM stand-in for demos,
//! tests and benchmarks (launcher §5.4). It reads the prompt's landmark lines
//! ([`crate::prompt`]), creates placeholder deliverables and role reports that do not exist yet
//! and prints the markers its role owes, so every gate of the wave can pass. The IO (reading the
//! prompt, creating files, sleeping, printing) lives in `wave_engine::local_executor`.
//!
//! Differences from upstream v0.9.1, on purpose:
//! - security reviewers print `[wave-security] state=clear findings=0 approvals=0` (upstream
//!   printed implementation markers, so a wave with a reviewer could never pass);
//! - roles come from closure ids and the header's duty lines only, so the documentation
//!   steward of a wave with a design packet still prints `[wave-doc-closure]`;
//! - `[wave-proof]` echoes the prompt's `Exit contract for this run:` (upstream always printed
//!   `contract/none/unit`), and `[wave-doc-delta]` meets its `doc-impact`;
//! - deliverables never come from numbered prompt lines, and unsafe or directory-like paths
//!   are skipped and reported rather than created;
//! - placeholder security reports and design packets carry their required sections.
//!
//! Knobs ([`knobs`], documented in [`KNOBS`]): `WAVE_LOCAL_EXECUTOR_DELAY_MS` (hold the agent
//! open), `WAVE_LOCAL_EXECUTOR_EXIT_CODE` (exit code of every run),
//! `WAVE_LOCAL_EXECUTOR_FAIL_AGENTS` (`A1,A8:3,*`: those agents print `state=gap` markers, and
//! exit with the given code), `WAVE_LOCAL_EXECUTOR_COUNT_FILE` (one `<wave> <agentId> <pid>`
//! line per run). A failing agent's role marker (gate, eval, …) stays passing; the gap shows up
//! as `[wave-proof] … state=gap` (plus `[wave-component] … state=gap`), which for closure agents
//! is the forwarded closure-gap trigger. Use a per-agent exit code for a hard failure.
//!
//! Caveat: the component matrix is never updated (as upstream), so a promotion wave passes the
//! matrix gate only if the matrix already records the target level.

pub mod knobs;
pub mod parse;
pub mod placeholder;
pub mod plan;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use knobs::{FailAgent, KnobDoc, KnobError, Knobs, KNOBS};
pub use parse::{parse_prompt, PromptFacts};
pub use placeholder::PlaceholderKind;
pub use plan::{plan, plan_facts, resolve_role, Plan, PlannedFile, Role, SkippedPath};
