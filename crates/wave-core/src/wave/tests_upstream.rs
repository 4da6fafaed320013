//! Fixtures compared with upstream v0.9.1's own parse of them.
//!
//! The expected `testdata/wave-*.upstream.json` files are upstream's dry-run manifest for our
//! fixtures, projected onto the parser's fields. Regenerate with (in a scratch copy, never in a
//! worktree):
//!
//! ```text
//! cp -r <upstream>/{scripts,skills,package.json} /tmp/upfx; cp -r testdata/docs /tmp/upfx/
//! # + upstream's docs/context7/bundles.json and docs/evals/benchmark-catalog.json, a
//! #   component-cutover-matrix.json promoting ledger-core/ledger-replay in wave 3, and
//! #   wave.config.json with every `validation` threshold null and requiredPromptReferences []
//! cd /tmp/upfx && git init -q && node scripts/wave.mjs launch --dry-run --no-dashboard \
//!     --manifest-out /tmp/upfx-manifest.json
//! ```
//!
//! then keep, per wave, `wave file commitMessage deployEnvironments evalTargets
//! context7Defaults componentPromotions` and per agent `agentId title slug prompt promptOverlay
//! rolePromptPaths context7Config exitContract components capabilities skills deliverables
//! proofArtifacts ownedPaths componentTargets`.

use std::path::Path;

use serde_json::Value;

use super::{parse_wave, ParseOptions, WaveDefinition};

const ROLE_PROMPTS: &[(&str, &str)] = &[
    (
        "docs/agents/wave-cont-qa-role.md",
        include_str!("testdata/docs/agents/wave-cont-qa-role.md"),
    ),
    (
        "docs/agents/wave-cont-eval-role.md",
        include_str!("testdata/docs/agents/wave-cont-eval-role.md"),
    ),
    (
        "docs/agents/wave-integration-role.md",
        include_str!("testdata/docs/agents/wave-integration-role.md"),
    ),
    (
        "docs/agents/wave-documentation-role.md",
        include_str!("testdata/docs/agents/wave-documentation-role.md"),
    ),
    (
        "docs/agents/wave-security-role.md",
        include_str!("testdata/docs/agents/wave-security-role.md"),
    ),
];

pub(super) const WAVE_3: &str = include_str!("testdata/docs/plans/waves/wave-3.md");
const WAVE_7: &str = include_str!("testdata/docs/plans/waves/wave-7.md");

pub(super) fn read_fixture_role(path: &Path) -> Option<String> {
    let path = path.to_str()?;
    ROLE_PROMPTS
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, text)| text.to_string())
}

pub(super) fn parse_fixture(content: &str, number: u32) -> WaveDefinition {
    let path = format!("/tmp/upfx/docs/plans/waves/wave-{number}.md");
    let file = format!("docs/plans/waves/wave-{number}.md");
    parse_wave(
        content,
        &path,
        &file,
        &ParseOptions::new(&read_fixture_role),
    )
    .expect("fixture parses")
}

fn project(wave: &WaveDefinition) -> Value {
    let mut json = serde_json::to_value(wave).unwrap();
    for agent in json["agents"].as_array_mut().unwrap() {
        agent.as_object_mut().unwrap().remove("executorConfig");
    }
    json
}

#[test]
fn realistic_wave_matches_upstream_parse() {
    let expected: Value =
        serde_json::from_str(include_str!("testdata/wave-3.upstream.json")).unwrap();
    assert_eq!(project(&parse_fixture(WAVE_3, 3)), expected);
}

#[test]
fn corner_case_wave_matches_upstream_parse() {
    let expected: Value =
        serde_json::from_str(include_str!("testdata/wave-7.upstream.json")).unwrap();
    assert_eq!(project(&parse_fixture(WAVE_7, 7)), expected);
}

/// Runs against upstream's own repository when `WAVE_UPSTREAM_DIR` points at a checkout and
/// `WAVE_UPSTREAM_MANIFEST` at its dry-run manifest (`launch --dry-run --manifest-out`):
/// `cargo test -p wave-core --lib wave -- --ignored`.
#[test]
#[ignore = "needs an upstream checkout and its dry-run manifest"]
fn upstream_repository_waves_match_upstream_manifest() {
    let (Ok(dir), Ok(manifest)) = (
        std::env::var("WAVE_UPSTREAM_DIR"),
        std::env::var("WAVE_UPSTREAM_MANIFEST"),
    ) else {
        return;
    };
    let root = Path::new(&dir);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    let waves = super::load_lane(&root.join("docs/plans/waves"), root, "docs/agents").unwrap();
    let expected = manifest["waves"].as_array().unwrap();
    assert_eq!(waves.len(), expected.len());
    for (ours, theirs) in waves.iter().zip(expected) {
        let ours = project(ours);
        for key in [
            "wave",
            "file",
            "commitMessage",
            "deployEnvironments",
            "evalTargets",
            "context7Defaults",
            "componentPromotions",
        ] {
            assert_eq!(ours[key], theirs[key], "wave {} {key}", theirs["wave"]);
        }
        for (a, b) in ours["agents"]
            .as_array()
            .unwrap()
            .iter()
            .zip(theirs["agents"].as_array().unwrap())
        {
            for (key, value) in a.as_object().unwrap() {
                assert_eq!(
                    value, &b[key],
                    "wave {} agent {} {key}",
                    theirs["wave"], b["agentId"]
                );
            }
        }
    }
}
