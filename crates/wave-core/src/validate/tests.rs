//! End-to-end validation tests over a realistic wave (`testdata/wave-6.md`) that passes every
//! rule under upstream's default thresholds, and the same wave broken in several ways at once.

use std::path::Path;

use super::testkit::MemFiles;
use super::*;
use crate::config::{Config, RuntimeRole};
use crate::wave::{parse_wave, ParseOptions};

pub(crate) const WAVE_FILE: &str = "docs/plans/waves/wave-6.md";
pub(crate) const WAVE_6: &str = include_str!("testdata/wave-6.md");

/// The repository files the fixture wave needs.
pub(crate) fn repo() -> MemFiles {
    let mut files = MemFiles::default()
        .with(
            "docs/plans/component-cutover-matrix.json",
            include_str!("testdata/component-cutover-matrix.json"),
        )
        .with(
            "docs/context7/bundles.json",
            include_str!("testdata/bundles.json"),
        )
        .with(
            "docs/evals/benchmark-catalog.json",
            include_str!("testdata/benchmark-catalog.json"),
        );
    for (role, text) in [
        ("cont-qa", include_str!("testdata/wave-cont-qa-role.md")),
        ("cont-eval", include_str!("testdata/wave-cont-eval-role.md")),
        (
            "integration",
            include_str!("testdata/wave-integration-role.md"),
        ),
        (
            "documentation",
            include_str!("testdata/wave-documentation-role.md"),
        ),
        ("security", include_str!("testdata/wave-security-role.md")),
        ("design", include_str!("testdata/wave-design-role.md")),
    ] {
        files = files.with(&format!("docs/agents/wave-{role}-role.md"), text);
    }
    files
}

/// The lane config of `wave.config.json` text (all defaults for `{}`).
pub(crate) fn lane_of(config_json: &str) -> LaneConfig {
    let loaded = Config::from_json_text(config_json).expect("config");
    loaded
        .config
        .resolve_lane(None, None, &|_| false)
        .expect("lane")
}

/// Parses wave markdown (`wave-<n>.md` under the default waves dir) against `files`.
pub(crate) fn parse(text: &str, file: &str, files: &MemFiles) -> WaveDefinition {
    let read = |path: &Path| path.to_str().and_then(|p| files.read(p));
    let options = ParseOptions::new(&read);
    parse_wave(text, file, file, &options).expect("fixture parses")
}

pub(crate) fn violations(result: Result<ValidatedWave, WaveValidationError>) -> Vec<String> {
    match result {
        Err(WaveValidationError::Invalid { violations, .. }) => violations,
        other => panic!("expected rule violations, got {other:?}"),
    }
}

#[test]
fn realistic_wave_passes_under_default_thresholds() {
    let files = repo();
    let wave = parse(WAVE_6, WAVE_FILE, &files);
    let lane = lane_of("{}");
    let validated = validate_wave(&wave, &lane, &files).expect("valid");
    assert_eq!(validated.wave, 6);
    let by_id = |id: &str| {
        validated
            .agents
            .iter()
            .find(|a| a.roles.agent_id == id)
            .expect("agent")
    };
    assert_eq!(by_id("A0").roles.runtime_role, RuntimeRole::ContQa);
    assert_eq!(
        by_id("A0").roles.report_path.as_deref(),
        Some("docs/plans/waves/reviews/wave-6-cont-qa.md")
    );
    assert!(by_id("A1").roles.implementation_owning);
    assert_eq!(by_id("A2").executor.id, ExecutorId::Claude);
    assert_eq!(by_id("A2").context7_bundle.as_deref(), Some("node"));
    assert_eq!(by_id("A0").context7_bundle.as_deref(), Some("none"));
    assert!(by_id("A7").roles.security_reviewer);
    assert_eq!(by_id("D1").roles.runtime_role, RuntimeRole::Design);
    assert!(!by_id("D1").roles.implementation_owning);

    // The whole lane, through the lane entry point.
    let all = validate_lane(&[wave], &lane, &files, ValidateOptions::default()).expect("lane");
    assert_eq!(all.len(), 1);
}

#[test]
fn several_violations_are_reported_together_in_upstream_order() {
    let files = repo();
    let broken = WAVE_6
        // A1 loses its exit contract; A2 mixes claude with codex keys.
        .replace("- completion: integrated\n", "")
        .replace("- claude.max_turns: 12", "- codex.search: true")
        // A9 no longer owns the matrix doc.
        .replace("- docs/plans/component-cutover-matrix.md\n", "")
        // The wave drops its Context7 defaults.
        .replace(
            "## Context7 defaults\n\n- bundle: node\n- query: Ledger service runtime\n",
            "",
        );
    let wave = parse(&broken, WAVE_FILE, &files);
    let lane = lane_of("{}");
    let err = validate_wave(&wave, &lane, &files).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid wave 6 (docs/plans/waves/wave-6.md): \
         Agent A1 has invalid exit contract (completion must be one of contract, integrated, authoritative, live); \
         Agent A2 declares executor=claude but includes non-Claude overrides; \
         Documentation steward A9 must own docs/plans/component-cutover-matrix.md; \
         Waves 6 and later must declare a ## Context7 defaults section"
    );
}

#[test]
fn lane_reports_every_failing_wave() {
    let files = repo();
    let lane = lane_of("{}");
    let good = parse(WAVE_6, WAVE_FILE, &files);
    let mut bad = good.clone();
    bad.wave = 7;
    bad.file = "docs/plans/waves/wave-7.md".into();
    let mut worse = good.clone();
    worse.wave = 9;
    worse.file = "docs/plans/waves/wave-9.md".into();
    worse.agents.retain(|a| a.agent_id != "A0");
    let err = validate_lane(
        &[bad, good, worse],
        &lane,
        &files,
        ValidateOptions::default(),
    )
    .unwrap_err();
    let LaneValidationError::Waves(errors) = err else {
        panic!("expected wave errors")
    };
    assert_eq!(errors.iter().map(|e| e.wave()).collect::<Vec<_>>(), [7, 9]);
    // Wave 7 has no matrix entries: the declared promotions are not in the matrix for it.
    assert!(errors[0]
        .to_string()
        .contains("Component \"ledger-core\" is missing a wave 7 promotion entry"));
    assert!(errors[1]
        .to_string()
        .contains("must include Agent A0 as the cont-QA closure role"));
}

#[test]
fn missing_bundle_index_stops_the_lane() {
    let mut files = repo();
    files.0.remove("docs/context7/bundles.json");
    let lane = lane_of("{}");
    let err = validate_lane(&[], &lane, &files, ValidateOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Context7 bundle index is missing or invalid: docs/context7/bundles.json"
    );
}
