//! Messages checked against upstream v0.9.1 itself.
//!
//! Each expected string below is upstream's output for the same inputs, obtained in a scratch
//! repository (never in a worktree) holding `testdata/` laid out as a repo — role prompts under
//! `docs/agents/`, `docs/context7/bundles.json`, `docs/evals/benchmark-catalog.json`,
//! `docs/plans/component-cutover-matrix.json` and the (modified) wave as
//! `docs/plans/waves/wave-6.md` — with:
//!
//! ```text
//! cd /tmp/upcheck-validate && git init -q && \
//!   WAVE_SKIP_UPDATE_CHECK=1 node <upstream-0.9.1>/scripts/wave.mjs launch --dry-run \
//!   --no-dashboard --no-telemetry
//! ```
//!
//! Upstream prints `[wave] <message>`; the unmodified fixture passes its dry run.

use super::tests::{lane_of, parse, repo, WAVE_6, WAVE_FILE};
use super::*;

fn upstream_message(wave_text: &str, config: &str) -> String {
    let files = repo();
    let wave = parse(wave_text, WAVE_FILE, &files);
    match validate_wave(&wave, &lane_of(config), &files) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn fixture_passes_like_upstream_dry_run() {
    assert_eq!(upstream_message(WAVE_6, "{}"), "ok");
}

#[test]
fn several_violations_match_upstream() {
    let broken = WAVE_6
        .replace("- completion: integrated\n", "")
        .replace("- claude.max_turns: 12", "- codex.search: true")
        .replace("- docs/plans/component-cutover-matrix.md\n", "")
        .replace(
            "## Context7 defaults\n\n- bundle: node\n- query: Ledger service runtime\n",
            "",
        );
    assert_eq!(
        upstream_message(&broken, "{}"),
        "Invalid wave 6 (docs/plans/waves/wave-6.md): Agent A1 has invalid exit contract \
         (completion must be one of contract, integrated, authoritative, live); Agent A2 declares \
         executor=claude but includes non-Claude overrides; Documentation steward A9 must own \
         docs/plans/component-cutover-matrix.md; Waves 6 and later must declare a ## Context7 \
         defaults section"
    );
}

#[test]
fn runtime_mix_matches_upstream() {
    assert_eq!(
        upstream_message(
            WAVE_6,
            r#"{"lanes":{"main":{"runtimePolicy":{"runtimeMixTargets":{"codex":3,"claude":0}}}}}"#
        ),
        "Invalid wave 6 (docs/plans/waves/wave-6.md): Wave 6 exceeds lane runtime mix targets \
         (codex=7 exceeds target 3; claude=1 exceeds target 0)"
    );
}

#[test]
fn closure_overlap_matches_upstream() {
    let overlapping = WAVE_6.replace(
        "## Agent E0: Eval Runner\n",
        "## Agent E0: Eval Runner\n\n### Capabilities\n\n- security-review\n",
    );
    assert_eq!(
        upstream_message(&overlapping, "{}"),
        "Invalid wave 6 (docs/plans/waves/wave-6.md): Security reviewer E0 must import \
         docs/agents/wave-security-role.md; Security reviewer E0 must own a security review \
         report path; Agent E0 must not overlap closure roles (cont-EVAL, security review)"
    );
}
