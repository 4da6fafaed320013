//! Property tests: no prompt text makes the planner panic, and every marker it prints is
//! accepted by the v0.9.1 grammar.

use proptest::prelude::*;

use super::*;
use crate::markers::parse_marker;

/// Fragments of real prompts, so random text often hits the landmark parsers.
const PIECES: &[&str] = &[
    "You are the Wave executor running Wave 1 / Agent A1: T.\n",
    "You are the Wave executor running Wave x / Agent : .\n",
    "- cont-QA agent id: A1\n",
    "- cont-EVAL agent id: A1\n",
    "Exit contract for this run:\n- completion: live\n- doc-impact: shared-plan\n",
    "Components you own in this wave:\n- c1: pilot-live\n- c2\n- bad id: x\n",
    "Eval targets for this wave:\n- t1: pinned benchmarks=a, b objective=o\n- t2: delegated allowed-benchmarks=\n",
    "Deliverables required for this agent:\n- src/a.rs\n- ../x\n- \n",
    "Same-wave design packets to read before coding:\n- docs/design.md\n",
    "- `[wave-security] state=<clear|concerns|blocked>`\n",
    "- `[wave-design] state=<ready-for-implementation>`\n",
    "- `[wave-proof] completion=<contract>`\n",
    "Assigned implementation prompt:\n```\nFile ownership:\n- docs/security-review.md\n- x.json\n```\n",
    "```\n", "\r\n", "é", ":", "- ", "=", ",",
];

fn prompt_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        proptest::sample::select(PIECES).prop_map(str::to_string),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn planning_never_panics_and_markers_parse(text in prompt_text(), fail in any::<bool>()) {
        let knobs = if fail {
            Knobs::from_lookup(|k| (k == knobs::FAIL_AGENTS_VAR).then(|| "*:1".to_string())).unwrap()
        } else {
            Knobs::default()
        };
        let plan = plan(&text, &knobs);
        for line in &plan.markers {
            prop_assert!(parse_marker(line).is_some(), "rejected: {}", line);
        }
        for file in &plan.files {
            prop_assert!(placeholder::safety_problem(&file.path).is_none(), "{}", file.path);
        }
        let _ = plan.count_line(1);
    }
}
