//! The compiled agent prompt: the text an executor receives on stdin or as its last argument.
//!
//! Owns the layout of the prompt file (`prompts/wave-<n>-<slug>.prompt.md`). The wording of the
//! duties is this project's own; the *landmark lines* are upstream v0.9.1's, byte for byte,
//! because tools parse them (the `local` executor, log readers, users' scripts):
//!
//! - `- cont-QA agent id: <id>` and the other role-model lines, `- Resolved executor: <id>`;
//! - `You are the Wave executor running Wave <n> / Agent <id>: <title>.`;
//! - the marker syntax lines (`[wave-proof] completion=<…> …` and friends);
//! - `Exit contract for this run:`, `Component promotions for this wave:`, `Eval targets for
//!   this wave:`, `Components you own in this wave:`, `Deliverables required for this agent:`,
//!   `Same-wave design packets to read before coding:`, `Proof artifacts required for this
//!   agent:`, `Active skill packs for this run:`, `Context7 scope for this run:`;
//! - `Assigned implementation prompt:` followed by a fence holding the composed agent prompt.
//!
//! Caveat: upstream also advertises its `wave coord post` / `wave-feedback ask` helpers; this
//! runtime has no coordination CLI yet, so the prompt asks agents to report in their output.

use crate::contract::{ComponentPromotion, EvalSelection, ExitContract, Maturity};

/// Closure role ids as configured for the lane.
#[derive(Debug, Clone, Copy)]
pub struct RoleIds<'a> {
    /// cont-QA agent id (`A0`).
    pub cont_qa: &'a str,
    /// cont-EVAL agent id (`E0`).
    pub cont_eval: &'a str,
    /// Integration steward id (`A8`).
    pub integration: &'a str,
    /// Documentation steward id (`A9`).
    pub documentation: &'a str,
}

/// Which marker duties the agent carries; derived from its role classification.
#[derive(Debug, Clone, Copy, Default)]
pub struct Duties {
    /// The cont-QA closure agent.
    pub cont_qa: bool,
    /// The cont-EVAL agent; `Some(true)` when it also owns non-report files.
    pub cont_eval: Option<bool>,
    /// The documentation steward.
    pub documentation: bool,
    /// A security reviewer.
    pub security: bool,
    /// A design steward; `Some(true)` in a hybrid steward's implementation pass.
    pub design: Option<bool>,
    /// Implementation-owning in this pass (must print proof and doc-delta markers).
    pub implementation: bool,
}

/// A cont-EVAL target as the prompt shows it (catalog-resolved).
#[derive(Debug, Clone)]
pub struct PromptEvalTarget<'a> {
    /// Target id.
    pub id: &'a str,
    /// Selection mode.
    pub selection: EvalSelection,
    /// Family for delegated targets.
    pub benchmark_family: Option<&'a str>,
    /// Pinned benchmarks, or the family's allowed benchmarks for delegated targets.
    pub benchmarks: &'a [String],
    /// Objective.
    pub objective: &'a str,
    /// Threshold.
    pub threshold: &'a str,
}

/// A proof artifact as the prompt lists it.
#[derive(Debug, Clone)]
pub struct PromptProofArtifact<'a> {
    /// Repo-relative path.
    pub path: &'a str,
    /// Artifact kind, if declared.
    pub kind: Option<&'a str>,
    /// Levels the artifact is required for.
    pub required_for: &'a [Maturity],
}

/// Context7 scope shown to the agent (no documentation is ever fetched by this runtime).
#[derive(Debug, Clone)]
pub struct PromptContext7<'a> {
    /// Bundle id (`none` disables).
    pub bundle: &'a str,
    /// Query focus, if declared.
    pub query: Option<&'a str>,
    /// Library names of the bundle.
    pub libraries: &'a [String],
}

/// Everything the compiled prompt is made of.
#[derive(Debug, Clone)]
pub struct PromptInputs<'a> {
    /// Absolute repository root.
    pub working_dir: &'a str,
    /// Lane.
    pub lane: &'a str,
    /// Wave number.
    pub wave: u32,
    /// Agent id.
    pub agent_id: &'a str,
    /// Agent title.
    pub title: &'a str,
    /// Closure role ids.
    pub roles: RoleIds<'a>,
    /// Resolved executor id.
    pub executor_id: &'a str,
    /// Message board: absolute and repo-relative path.
    pub message_board: (&'a str, &'a str),
    /// Marker duties.
    pub duties: Duties,
    /// The lane's shared plan docs.
    pub shared_plan_docs: &'a [String],
    /// Exit contract (shown to implementation-owning agents).
    pub exit_contract: Option<ExitContract>,
    /// The wave's component promotions.
    pub promotions: &'a [ComponentPromotion],
    /// Benchmark catalog path, when eval targets are shown.
    pub benchmark_catalog: Option<&'a str>,
    /// The wave's eval targets.
    pub eval_targets: &'a [PromptEvalTarget<'a>],
    /// Components the agent owns with their target levels.
    pub components: &'a [(String, Option<Maturity>)],
    /// Deliverables.
    pub deliverables: &'a [String],
    /// Same-wave design packets (shown to non-design agents).
    pub design_packets: &'a [String],
    /// Proof artifacts.
    pub proof_artifacts: &'a [PromptProofArtifact<'a>],
    /// Active skill ids and their rendered text.
    pub skills: Option<(&'a [String], &'a str)>,
    /// Context7 scope, when the agent has one.
    pub context7: Option<PromptContext7<'a>>,
    /// The composed agent prompt (role prompts + the wave's `### Prompt` fence).
    pub agent_prompt: &'a str,
}

/// Renders the compiled prompt.
pub fn compile(input: &PromptInputs<'_>) -> String {
    let mut out = Vec::<String>::new();
    let mut push = |line: String| out.push(line);
    let roles = input.roles;
    let duties = input.duties;

    push(format!("Working directory: {}", input.working_dir));
    push(String::new());
    push("Role model for this run:".into());
    push("- Wave Orchestrator role: plans the waves, launches them and gates them.".into());
    push("- WAVE Executor role (you): deliver the assigned outcome end to end within your ownership.".into());
    push(format!("- cont-QA agent id: {}", roles.cont_qa));
    push(format!("- cont-EVAL agent id: {}", roles.cont_eval));
    push(format!(
        "- Integration steward agent id: {}",
        roles.integration
    ));
    push(format!(
        "- Documentation steward agent id: {}",
        roles.documentation
    ));
    push(format!("- Resolved executor: {}", input.executor_id));
    push(String::new());
    push(format!(
        "You are the Wave executor running Wave {} / Agent {}: {}.",
        input.wave, input.agent_id, input.title
    ));
    push("YOU ARE IN WAVE MODE.".into());
    push(format!(
        "Message board absolute path: {}",
        input.message_board.0
    ));
    push(format!(
        "Message board repo-relative path: {}",
        input.message_board.1
    ));
    push(String::new());
    push("Hard requirements for completeness:".into());
    push("- Follow the repository's AGENTS.md and CLAUDE.md when they exist.".into());
    push(
        "- Stay inside the files you own; report anything outside them instead of editing it."
            .into(),
    );
    push(
        "- When you change an interface or contract, name the exact files and keys affected."
            .into(),
    );
    push(
        "- Run the tests, lints and builds relevant to what you touched and fix what you broke."
            .into(),
    );
    push("- Print progress markers as you go: `[wave-phase] coding`, `[wave-phase] validating`, `[wave-phase] deploying`, `[wave-phase] finalizing`.".into());
    push("- For deployments, print `[deploy-status] service=<service-name> state=<deploying|healthy|failed|rolledover> detail=<short-note>`.".into());
    push("- For machine or infrastructure checks, print `[infra-status] kind=<conformance|role-drift|dependency|identity|admission|action> target=<machine-or-surface> state=<checking|setup-required|setup-in-progress|conformant|drift|blocked|failed|action-required|action-approved|action-complete> detail=<short-note>`.".into());
    push("- Markers are read from the end of your output: print each final marker once, on its own line, exactly in the field order shown.".into());

    let plan_docs = input
        .shared_plan_docs
        .iter()
        .map(|d| format!("`{d}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if duties.cont_qa {
        push(format!("- As Agent {}, end your cont-QA report with exactly one line `Verdict: PASS`, `Verdict: CONCERNS` or `Verdict: BLOCKED`.", roles.cont_qa));
        push("- Print the matching verdict marker: `[wave-verdict] pass`, `[wave-verdict] concerns` or `[wave-verdict] blocked`.".into());
        push("- Print one final gate marker: `[wave-gate] architecture=<pass|concerns|blocked> integration=<pass|concerns|blocked> durability=<pass|concerns|blocked> live=<pass|concerns|blocked> docs=<pass|concerns|blocked> detail=<short-note>`.".into());
        push(format!("- Give PASS only when the next wave can build on this one and {plan_docs} describe what landed."));
    }
    if let Some(owns_files) = duties.cont_eval {
        push(format!("- As Agent {}, you run the wave's eval loop against the declared eval targets and keep an append-only report of benchmarks, commands, gaps and regressions.", roles.cont_eval));
        if owns_files {
            push("- You also own non-report files: for those, print the proof, doc-delta and component markers an implementation owner prints.".into());
        }
        push("- Print one final eval marker: `[wave-eval] state=<satisfied|needs-more-work|blocked> targets=<n> benchmarks=<n> regressions=<n> target_ids=<csv> benchmark_ids=<csv> detail=<short-note>`.".into());
    }
    if duties.documentation {
        push("- Print one final closure marker: `[wave-doc-closure] state=<closed|no-change|delta> paths=<comma-separated-paths> detail=<short-note>`.".into());
    }
    if duties.security {
        push("- You are a security reviewer: report, don't fix. Your report has the sections `Threat Model`, `Risky Surfaces`, `Findings`, `Required Approvals`, `Requested Fixes`, `Final Disposition`, in that order.".into());
        push("- Print one final security marker: `[wave-security] state=<clear|concerns|blocked> findings=<n> approvals=<n> detail=<short-note>`.".into());
    }
    if let Some(implementation_pass) = duties.design {
        if implementation_pass {
            push("- This is your implementation pass as a hybrid design steward: keep the design packet current and print both `[wave-design]` and the implementation markers.".into());
        } else {
            push("- You are the wave's design steward: write the design packet before any code is written.".into());
        }
        push("- The design packet has the sections `Problem`, `Constraints`, `Decisions`, `Assumptions`, `Open Questions`, `Interface Impacts`, `Validation Plan`, `Implementation Handoff`, in that order.".into());
        push("- Print one final design marker: `[wave-design] state=<ready-for-implementation|needs-clarification|blocked> decisions=<n> assumptions=<n> open_questions=<n> detail=<short-note>`.".into());
    }
    if duties.implementation {
        push("- Print one final proof marker: `[wave-proof] completion=<contract|integrated|authoritative|live> durability=<none|ephemeral|durable> proof=<unit|integration|live> state=<met|gap> detail=<short-note>`.".into());
        push("- Print one final documentation marker: `[wave-doc-delta] state=<none|owned|shared-plan> paths=<comma-separated-paths> detail=<short-note>`.".into());
        if !input.components.is_empty() {
            push("- Print one final component marker per component you own: `[wave-component] component=<id> level=<level> state=<met|gap> detail=<short-note>`.".into());
        }
        push("- If the work is not done, still print the markers, with `state=gap`, rather than describing it as done.".into());
    }
    push(format!("- Keep the docs your work affects current; for {plan_docs}, tell the documentation steward the exact change needed."));
    push(
        "- Do not push to a remote unless asked, and stop any server you started before finishing."
            .into(),
    );
    push(String::new());

    if duties.implementation {
        if let Some(c) = input.exit_contract {
            push("Exit contract for this run:".into());
            push(format!("- completion: {}", c.completion));
            push(format!("- durability: {}", c.durability));
            push(format!("- proof: {}", c.proof));
            push(format!("- doc-impact: {}", c.doc_impact));
            push(
                "- Anything weaker than this contract is a gap: report it with `state=gap`.".into(),
            );
            push(String::new());
        }
    }
    if !input.promotions.is_empty() {
        push("Component promotions for this wave:".into());
        for p in input.promotions {
            push(format!("- {}: {}", p.component, p.target_level));
        }
        push(String::new());
    }
    if !input.eval_targets.is_empty() {
        push("Eval targets for this wave:".into());
        if let Some(catalog) = input.benchmark_catalog {
            push(format!("- Benchmark catalog: {catalog}"));
        }
        for t in input.eval_targets {
            let line = match t.selection {
                EvalSelection::Delegated => format!(
                    "- {}: delegated family={} allowed-benchmarks={} objective={} threshold={}",
                    t.id,
                    t.benchmark_family.unwrap_or(""),
                    t.benchmarks.join(", "),
                    t.objective,
                    t.threshold
                ),
                EvalSelection::Pinned => format!(
                    "- {}: pinned benchmarks={} objective={} threshold={}",
                    t.id,
                    t.benchmarks.join(", "),
                    t.objective,
                    t.threshold
                ),
            };
            push(line);
        }
        push(String::new());
    }
    if duties.implementation && !input.components.is_empty() {
        push("Components you own in this wave:".into());
        for (id, level) in input.components {
            push(match level {
                Some(level) => format!("- {id}: {level}"),
                None => format!("- {id}"),
            });
        }
        push(String::new());
    }
    let design_only = duties.design == Some(false);
    if !design_only && !input.deliverables.is_empty() {
        push("Deliverables required for this agent:".into());
        for d in input.deliverables {
            push(format!("- {d}"));
        }
        push(String::new());
    }
    if duties.design.is_none() && !input.design_packets.is_empty() {
        push("Same-wave design packets to read before coding:".into());
        for d in input.design_packets {
            push(format!("- {d}"));
        }
        push(String::new());
    }
    if duties.implementation && !input.proof_artifacts.is_empty() {
        push("Proof artifacts required for this agent:".into());
        for a in input.proof_artifacts {
            let mut line = format!("- {}", a.path);
            if let Some(kind) = a.kind {
                line.push_str(&format!(" kind={kind}"));
            }
            if !a.required_for.is_empty() {
                let levels: Vec<&str> = a.required_for.iter().map(|l| l.as_str()).collect();
                line.push_str(&format!(" required-for={}", levels.join(",")));
            }
            push(line);
        }
        push(String::new());
    }
    if let Some((ids, text)) = input.skills {
        if !ids.is_empty() {
            push("Active skill packs for this run:".into());
            for id in ids {
                push(format!("- {id}"));
            }
            push(
                "- Skills are guidance; the repository, role prompts and ownership rules win."
                    .into(),
            );
            push(String::new());
            push("## Skill context".into());
            push(String::new());
            push("```text".into());
            push(text.to_string());
            push("```".into());
            push(String::new());
        }
    }
    if let Some(c7) = &input.context7 {
        push("Context7 scope for this run:".into());
        if c7.bundle == "none" {
            push("- No Context7 bundle is declared; the repository is the only authority.".into());
        } else {
            push(format!("- Bundle: {}", c7.bundle));
            push(format!(
                "- Query focus: {}",
                c7.query.unwrap_or("(derived from assigned prompt)")
            ));
            let libs = if c7.libraries.is_empty() {
                "none".to_string()
            } else {
                c7.libraries.join(", ")
            };
            push(format!("- Allowed external libraries: {libs}"));
            push("- External library docs never override the repository's architecture, contracts or ownership.".into());
        }
        push(String::new());
    }
    push("Assigned implementation prompt:".into());
    push("```".into());
    push(input.agent_prompt.trim().to_string());
    push("```".into());
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Completion, DocImpact, Durability, ProofLevel};

    fn base<'a>(duties: Duties) -> PromptInputs<'a> {
        PromptInputs {
            working_dir: "/repo",
            lane: "main",
            wave: 3,
            agent_id: "A1",
            title: "Parser",
            roles: RoleIds {
                cont_qa: "A0",
                cont_eval: "E0",
                integration: "A8",
                documentation: "A9",
            },
            executor_id: "local",
            message_board: (
                "/repo/.tmp/main-wave-launcher/messageboards/wave-3.md",
                ".tmp/main-wave-launcher/messageboards/wave-3.md",
            ),
            duties,
            shared_plan_docs: &[],
            exit_contract: Some(ExitContract {
                completion: Completion::Integrated,
                durability: Durability::None,
                proof: ProofLevel::Unit,
                doc_impact: DocImpact::Owned,
            }),
            promotions: &[],
            benchmark_catalog: None,
            eval_targets: &[],
            components: &[],
            deliverables: &[],
            design_packets: &[],
            proof_artifacts: &[],
            skills: None,
            context7: None,
            agent_prompt:
                "  Do the thing.\n\nFile ownership (only touch these paths):\n- src/a.rs\n",
        }
    }

    #[test]
    fn landmark_lines_are_upstreams() {
        let text = compile(&base(Duties {
            implementation: true,
            ..Duties::default()
        }));
        for landmark in [
            "- cont-QA agent id: A0",
            "- cont-EVAL agent id: E0",
            "- Integration steward agent id: A8",
            "- Documentation steward agent id: A9",
            "- Resolved executor: local",
            "You are the Wave executor running Wave 3 / Agent A1: Parser.",
            "Exit contract for this run:\n- completion: integrated\n- durability: none\n- proof: unit\n- doc-impact: owned",
            "Assigned implementation prompt:\n```\nDo the thing.\n\nFile ownership (only touch these paths):\n- src/a.rs\n```",
        ] {
            assert!(text.contains(landmark), "missing {landmark:?} in\n{text}");
        }
        assert!(text.ends_with("```"));
        assert!(text.contains("`[wave-proof] completion=<contract|integrated|authoritative|live>"));
    }

    #[test]
    fn closure_agents_get_their_own_markers_only() {
        let qa = compile(&PromptInputs {
            agent_id: "A0",
            ..base(Duties {
                cont_qa: true,
                ..Duties::default()
            })
        });
        assert!(qa.contains("[wave-gate] architecture=<pass|concerns|blocked>"));
        assert!(!qa.contains("[wave-proof]"));
        assert!(
            !qa.contains("Exit contract for this run:"),
            "contract only for implementation"
        );
        let docs = compile(&base(Duties {
            documentation: true,
            ..Duties::default()
        }));
        assert!(docs.contains("[wave-doc-closure] state=<closed|no-change|delta>"));
    }

    #[test]
    fn lists_render_with_upstream_shapes() {
        let components = vec![
            ("parser".to_string(), Some(Maturity::RepoLanded)),
            ("docs".to_string(), None),
        ];
        let deliverables = vec!["src/a.rs".to_string()];
        let promotions = vec![ComponentPromotion {
            component: "parser".into(),
            target_level: Maturity::RepoLanded,
        }];
        let levels = [Maturity::PilotLive, Maturity::QaProved];
        let artifacts = vec![PromptProofArtifact {
            path: "proof/run.json",
            kind: Some("run"),
            required_for: &levels,
        }];
        let benchmarks = vec!["b1".to_string(), "b2".to_string()];
        let targets = vec![PromptEvalTarget {
            id: "latency",
            selection: EvalSelection::Pinned,
            benchmark_family: None,
            benchmarks: &benchmarks,
            objective: "fast",
            threshold: "p95<10ms",
        }];
        let text = compile(&PromptInputs {
            components: &components,
            deliverables: &deliverables,
            promotions: &promotions,
            proof_artifacts: &artifacts,
            eval_targets: &targets,
            ..base(Duties {
                implementation: true,
                ..Duties::default()
            })
        });
        assert!(text.contains("Components you own in this wave:\n- parser: repo-landed\n- docs\n"));
        assert!(text.contains("Deliverables required for this agent:\n- src/a.rs\n"));
        assert!(text.contains("Component promotions for this wave:\n- parser: repo-landed\n"));
        assert!(text.contains("Proof artifacts required for this agent:\n- proof/run.json kind=run required-for=pilot-live,qa-proved\n"));
        assert!(text.contains("Eval targets for this wave:\n- latency: pinned benchmarks=b1, b2 objective=fast threshold=p95<10ms\n"));
        assert!(text.contains("[wave-component] component=<id>"));
    }
}
