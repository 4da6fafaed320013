//! The parse-error catalogue of launcher §1.8: one test per stem, asserting upstream's exact
//! message, the error kind, the file and (where computed) the line.

use super::tests::{fails, parse, read_role, wave};
use super::{parse_wave, ParseOptions, WaveErrorKind as K};

// ---- §1.8 error catalogue ------------------------------------------------------------------------

const F: &str = "/repo/docs/plans/waves/wave-1.md";

#[test]
fn missing_prompt_section_and_fence() {
    let err = fails(
        "\n## Agent A1: t\n### Skills\n",
        K::MissingPromptSection,
        &format!("Missing \"### Prompt\" section for agent A1 in {F}"),
    );
    assert_eq!(err.line, Some(2));
    fails(
        "## Agent A1: t\n### Prompt\n```text\nunclosed\n",
        K::MissingPromptFence,
        &format!("Agent A1 in {F}: missing fenced prompt block"),
    );
}

#[test]
fn role_prompt_errors() {
    let err = fails(
        &wave("### Role prompts\n- docs/agents/role.md\nprose\n"),
        K::MalformedRolePrompt,
        &format!("Malformed role prompt entry \"prose\" for agent A1 in {F}"),
    );
    assert_eq!(err.line, Some(5));
    fails(
        &wave("### Role prompts\n- ``\n"),
        K::EmptyRolePrompt,
        &format!("Empty role prompt entry for agent A1 in {F}"),
    );
    fails(&wave("### Role prompts\n- docs/other/role.md\n"), K::RolePromptOutsideDir, &format!("Role prompt path docs/other/role.md for agent A1 in {F} must stay within docs/agents/*.md"));
    fails(&wave("### Role prompts\n- docs/agents/role.txt\n"), K::RolePromptOutsideDir, &format!("Role prompt path docs/agents/role.txt for agent A1 in {F} must stay within docs/agents/*.md"));
    // Lexically inside the directory: upstream accepts it and then fails to find it.
    fails(
        &wave("### Role prompts\n- docs/agents/../../x.md\n"),
        K::MissingRolePrompt,
        &format!("Missing role prompt docs/agents/../../x.md for agent A1 in {F}"),
    );
    fails(&wave("### Role prompts\n- docs/agents/../../../x.md\n"), K::RolePromptOutsideDir, &format!("Role prompt path docs/agents/../../../x.md for agent A1 in {F} must stay within docs/agents/*.md"));
    let err = fails(
        &wave("### Role prompts\n- docs/agents/missing.md\n"),
        K::MissingRolePrompt,
        &format!("Missing role prompt docs/agents/missing.md for agent A1 in {F}"),
    );
    assert_eq!(err.line, Some(4));
    fails(&wave("### Role prompts\n- docs/agents/nosection.md\n"), K::MissingStandingPrompt, &format!("Missing \"## Standing prompt\" section in docs/agents/nosection.md required by agent A1 in {F}"));
    fails(&wave("### Role prompts\n- docs/agents/nofence.md\n"), K::MissingStandingPromptFence, &format!("Role prompt docs/agents/nofence.md required by agent A1 in {F}: missing fenced prompt block"));
}

#[test]
fn settings_errors() {
    fails(
        &wave("### Context7\n- bundle none\n"),
        K::MalformedContext7,
        &format!("Malformed Context7 setting \"- bundle none\" in agent A1 ({F})"),
    );
    fails(
        "## Context7 defaults\n- query: \"a\n  b\"\n",
        K::MalformedContext7,
        &format!("Malformed Context7 setting \"b\"\" in wave defaults ({F})"),
    );
    fails(
        &wave("### Exit contract\n- completion:\n"),
        K::MalformedExitContract,
        &format!("Malformed Exit contract setting \"- completion:\" in agent A1 ({F})"),
    );
    fails(
        &wave("### Executor\n- id codex\n"),
        K::MalformedExecutor,
        &format!("Malformed Executor setting \"- id codex\" in agent A1 ({F})"),
    );
    let err = fails(
        &wave("### Executor\n- id: codex\n- model: \"\"\n"),
        K::EmptyExecutor,
        &format!("Empty Executor setting \"model\" in agent A1 ({F})"),
    );
    assert_eq!(err.line, Some(5));
    fails(
        &wave("### Executor\n- model: '''\n"),
        K::EmptyExecutor,
        &format!("Empty Executor setting \"model\" in agent A1 ({F})"),
    );
}

#[test]
fn component_errors() {
    fails("## Component promotions\n- core repo-landed\n", K::MalformedComponentPromotion, &format!("Malformed component promotion \"- core repo-landed\" in wave component promotions ({F})"));
    fails(
        "## Component promotions\n- core: a\n- core: b\n",
        K::DuplicateComponentPromotion,
        &format!("Duplicate component promotion \"core\" in wave component promotions ({F})"),
    );
    fails(
        "## Component promotions\n- Core: a\n",
        K::InvalidComponentId,
        &format!("Invalid component id \"Core\" in wave component promotions ({F})"),
    );
    fails(
        &wave("### Components\n- .core\n"),
        K::InvalidComponentId,
        &format!("Invalid component id \".core\" in agent A1 components ({F})"),
    );
    fails(
        &wave("### Components\n- core, other\n"),
        K::MalformedComponent,
        &format!("Malformed component entry \"- core, other\" in agent A1 components ({F})"),
    );
    fails(
        &wave("### Capabilities\n- x\n- x\n"),
        K::DuplicateComponent,
        &format!("Duplicate component \"x\" in agent A1 capabilities ({F})"),
    );
}

#[test]
fn path_and_skill_errors() {
    fails(
        &wave("### Deliverables\nsrc/a.rs\n"),
        K::MalformedPath,
        &format!("Malformed path entry \"src/a.rs\" in agent A1 deliverables ({F})"),
    );
    fails(
        &wave("### Deliverables\n- ../a.rs\n"),
        K::PathOutsideRepo,
        &format!("Path \"../a.rs\" in agent A1 deliverables ({F}) must stay within the repo root"),
    );
    fails(
        &wave("### Deliverables\n- /etc/a\n"),
        K::PathOutsideRepo,
        &format!("Path \"/etc/a\" in agent A1 deliverables ({F}) must stay within the repo root"),
    );
    fails(
        &wave("### Deliverables\n- src/a.rs\n- `src/a.rs`\n"),
        K::DuplicatePath,
        &format!("Duplicate path \"src/a.rs\" in agent A1 deliverables ({F})"),
    );
    fails(
        &wave("### Skills\n* role\n"),
        K::MalformedSkill,
        &format!("Malformed skill entry \"* role\" in agent A1 skills ({F})"),
    );
    fails(
        &wave("### Skills\n- bad skill\n"),
        K::InvalidSkillId,
        &format!("agent A1 skills ({F}) must match /^[a-z0-9][a-z0-9._-]*$/"),
    );
    fails(
        &wave("### Skills\n- a\n- A\n"),
        K::DuplicateSkill,
        &format!("Duplicate skill \"a\" in agent A1 skills ({F})"),
    );
}

#[test]
fn proof_artifact_errors() {
    let label = format!("agent A1 proof artifacts ({F})");
    fails(
        &wave("### Proof artifacts\nout/x\n"),
        K::MalformedProofArtifactEntry,
        &format!("Malformed proof artifact entry \"out/x\" in {label}"),
    );
    fails(
        &wave("### Proof artifacts\n- path: out/x | kind\n"),
        K::MalformedProofArtifactField,
        &format!("Malformed proof artifact field \"kind\" in {label}"),
    );
    fails(
        &wave("### Proof artifacts\n- path: out/x | kind: ''\n"),
        K::MalformedProofArtifactField,
        &format!("Malformed proof artifact field \"kind: ''\" in {label}"),
    );
    fails(
        &wave("### Proof artifacts\n- kind: log | required-for: pilot-live\n"),
        K::ProofArtifactMissingPath,
        &format!("Proof artifact entry in {label} must include path"),
    );
    fails(
        &wave("### Proof artifacts\n- path: ../x\n"),
        K::PathOutsideRepo,
        &format!("Path \"../x\" in {label} must stay within the repo root"),
    );
    fails(
        &wave("### Proof artifacts\n- out/\n"),
        K::DirectoryPath,
        &format!("Proof artifact \"out/\" in {label} must be a file path, not a directory path"),
    );
    fails(
        &wave("### Proof artifacts\n- out/report.md\n- path: out/report.md\n"),
        K::DuplicateProofArtifact,
        &format!("Duplicate proof artifact \"out/report.md\" in {label}"),
    );
    fails(
        &wave("### Proof artifacts\n- path: out/x | required-for: live\n"),
        K::InvalidMaturityLevel,
        &format!("Invalid maturity level \"live\" in {label}"),
    );
}

#[test]
fn ownership_errors() {
    fails(
        &wave("### Deliverables\n- src/\n"),
        K::DirectoryPath,
        &format!(
            "Deliverable \"src/\" for agent A1 in {F} must be a file path, not a directory path"
        ),
    );
    let err = fails(&wave("### Deliverables\n- src/ok.rs\n- docs/x.md\n"), K::DeliverableNotOwned, &format!("Deliverable \"docs/x.md\" for agent A1 in {F} must stay within the agent's declared file ownership"));
    assert_eq!(err.line, Some(5));
    fails(&wave("### Proof artifacts\n- out/other.md\n"), K::ProofArtifactNotOwned, &format!("Proof artifact \"out/other.md\" for agent A1 in {F} must stay within the agent's declared file ownership"));
}

#[test]
fn deploy_environment_errors() {
    fails(
        "## Deploy environments\n- prod\n",
        K::MalformedDeployEnvironment,
        &format!("Malformed deploy environment \"- prod\" in {F}"),
    );
    fails(
        "## Deploy environments\n- prod: k8s\n- PROD: vm\n",
        K::DuplicateDeployEnvironment,
        &format!("Duplicate deploy environment \"prod\" in {F}"),
    );
}

#[test]
fn eval_target_errors() {
    let base = "| objective: o | threshold: t";
    let case = |line: &str| format!("## Eval targets\n{line}\n");
    fails(
        &case("id: x"),
        K::MalformedEvalTarget,
        &format!("Malformed eval target \"id: x\" in {F}"),
    );
    fails(
        &case("- id: x | selection"),
        K::MalformedEvalTargetField,
        &format!("Malformed eval target field \"selection\" in {F}"),
    );
    fails(
        &case("- id: x | : y"),
        K::MalformedEvalTargetField,
        &format!("Malformed eval target field \": y\" in {F}"),
    );
    fails(
        &case(&format!("- id: -x | selection: pinned {base}")),
        K::InvalidEvalTarget,
        "evalTargets[0].id must match /^[a-z0-9][a-z0-9._-]*$/",
    );
    fails(
        &case(&format!("- id: x | selection: both {base}")),
        K::InvalidEvalTarget,
        "evalTargets[0].selection must be one of: pinned, delegated",
    );
    fails(
        &case("- id: x | selection: pinned | benchmarks: a | threshold: t"),
        K::InvalidEvalTarget,
        "evalTargets[0].objective is required",
    );
    fails(
        &case("- id: x | selection: pinned | benchmarks: a | objective: o"),
        K::InvalidEvalTarget,
        "evalTargets[0].threshold is required",
    );
    fails(
        &case(&format!("- id: x | selection: delegated {base}")),
        K::InvalidEvalTarget,
        "evalTargets[0] must declare benchmark-family when selection=delegated",
    );
    fails(
        &case(&format!("- id: a | selection: delegated | benchmark-family: f {base}\n- id: x | selection: pinned {base}")),
        K::InvalidEvalTarget,
        "evalTargets[1] must declare benchmarks when selection=pinned",
    );
    fails(
        &case(&format!(
            "- id: x | selection: pinned | benchmarks: a, B c {base}"
        )),
        K::InvalidEvalTarget,
        "evalTargets[0].benchmarks[1] must match /^[a-z0-9][a-z0-9._-]*$/",
    );
    fails(
        &case(&format!("- id: x | selection: pinned | benchmarks: a {base}\n- id: X | selection: pinned | benchmarks: b {base}")),
        K::DuplicateEvalTarget,
        &format!("Duplicate eval target \"x\" in {F}"),
    );
}

#[test]
fn first_error_wins_in_upstream_order() {
    // Agent errors come before wave-level ones; inside an agent, Context7 before Components,
    // Components before the prompt.
    let text = format!(
        "## Component promotions\nbad\n{}",
        wave("### Components\n- BAD\n### Context7\nbad\n")
    );
    assert_eq!(parse(&text).unwrap_err().kind, K::MalformedContext7);
    let text = "## Agent A1: t\n### Components\n- BAD\n";
    assert_eq!(parse(text).unwrap_err().kind, K::InvalidComponentId);
    let text = "## Component promotions\nbad\n## Eval targets\nbad\n";
    assert_eq!(
        parse(text).unwrap_err().kind,
        K::MalformedComponentPromotion
    );
}

#[test]
fn invalid_wave_file_name() {
    let err = parse_wave(
        "",
        "/x/notes.md",
        "notes.md",
        &ParseOptions::new(&read_role),
    )
    .unwrap_err();
    assert_eq!(
        (err.kind, err.to_string()),
        (
            K::InvalidWaveFilename,
            "Invalid wave filename: notes.md".into()
        )
    );
}
