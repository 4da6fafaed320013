//! Property tests: the parser is total (never panics, on any text) and a generated well-formed
//! wave round-trips its agent ids, owned paths and deliverables. This is the bounded corpus CI
//! runs in place of `fuzz/` when cargo-fuzz (nightly) is unavailable.

use std::path::Path;

use proptest::prelude::*;

use super::{parse_wave, ParseOptions};

fn any_role(path: &Path) -> Option<String> {
    // Role prompts echo their path, so composition is exercised on arbitrary inputs too.
    path.to_str()
        .filter(|p| p.len() % 3 != 0)
        .map(|p| format!("## Standing prompt\n```\n{p}\n```\n"))
}

fn parse(content: &str) -> Result<super::WaveDefinition, super::WaveError> {
    parse_wave(
        content,
        "/r/docs/plans/waves/wave-4.md",
        "w",
        &ParseOptions::new(&any_role),
    )
}

/// Fragments of the grammar, glued at random, so generated text reaches deep parser paths.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("## Agent ".to_string()),
        Just("## Agent A1: t\n".to_string()),
        Just("### Prompt\n".to_string()),
        Just("### Role prompts\n".to_string()),
        Just("### Executor\n".to_string()),
        Just("### Context7\n".to_string()),
        Just("### Skills\n".to_string()),
        Just("### Components\n".to_string()),
        Just("### Capabilities\n".to_string()),
        Just("### Deliverables\n".to_string()),
        Just("### Proof artifacts\n".to_string()),
        Just("### Exit contract\n".to_string()),
        Just("## Component promotions\n".to_string()),
        Just("## Deploy environments\n".to_string()),
        Just("## Eval targets\n".to_string()),
        Just("## Context7 defaults\n".to_string()),
        Just("**Commit message**: `".to_string()),
        Just("```".to_string()),
        Just("````text\n".to_string()),
        Just("File ownership:\n".to_string()),
        Just("- docs/agents/r.md\n".to_string()),
        Just("- path: a/b | kind: k | required-for: pilot-live\n".to_string()),
        Just(
            "- id: x | selection: pinned | benchmarks: a | objective: o | threshold: t\n"
                .to_string()
        ),
        Just("- `prod`: k8s default (n)\n".to_string()),
        Just("- a: b\n".to_string()),
        Just("- ".to_string()),
        Just(":".to_string()),
        Just("|".to_string()),
        Just("\r\n".to_string()),
        Just("\n".to_string()),
        Just("\u{2028}".to_string()),
        Just("\u{feff}".to_string()),
        Just("é€😀".to_string()),
        "[a-zA-Z0-9 ./_-]{0,12}",
        any::<String>(),
    ]
}

fn path_segment() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,8}"
}

fn file_path() -> impl Strategy<Value = String> {
    (prop::collection::vec(path_segment(), 1..4), "[a-z]{1,4}")
        .prop_map(|(parts, ext)| format!("{}.{ext}", parts.join("/")))
}

#[derive(Debug, Clone)]
struct GenAgent {
    id: String,
    owned: Vec<String>,
    deliverables: Vec<String>,
}

fn gen_agent() -> impl Strategy<Value = GenAgent> {
    (
        "[A-Z][A-Za-z0-9 _-]{0,6}[A-Za-z0-9]",
        prop::collection::btree_set(file_path(), 1..5),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(id, owned, pick)| {
            let owned: Vec<String> = owned.into_iter().collect();
            let count = pick.index(owned.len() + 1);
            let deliverables = owned.iter().take(count).cloned().collect();
            GenAgent {
                id,
                owned,
                deliverables,
            }
        })
}

fn render(agents: &[GenAgent]) -> String {
    let mut text = String::from("# Wave 4 - generated\n\n**Commit message**: `Gen: wave`\n\n## Component promotions\n\n- core: repo-landed\n\n");
    for agent in agents {
        text.push_str(&format!("## Agent {}: Title of {}\n\n", agent.id, agent.id));
        text.push_str("### Components\n\n- core\n\n");
        if !agent.deliverables.is_empty() {
            text.push_str("### Deliverables\n\n");
            for path in &agent.deliverables {
                text.push_str(&format!("- `{path}`\n"));
            }
            text.push('\n');
        }
        text.push_str(
            "### Prompt\n\n```text\nDo the work.\n\nFile ownership (only touch these paths):\n",
        );
        for path in &agent.owned {
            text.push_str(&format!("- {path}\n"));
        }
        text.push_str("\nValidation:\n- run the tests\n```\n\n");
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn grammar_soup_never_panics(parts in prop::collection::vec(fragment(), 0..40)) {
        let text: String = parts.concat();
        if let Ok(wave) = parse(&text) {
            // Whatever parses is serialisable and internally consistent.
            prop_assert!(serde_json::to_string(&wave).is_ok());
            for agent in &wave.agents {
                prop_assert!(agent.slug.len() <= 48);
                prop_assert_eq!(agent.component_targets.0.len(), agent.components.len());
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn well_formed_wave_round_trips(agents in prop::collection::vec(gen_agent(), 1..6), crlf in any::<bool>()) {
        let mut text = render(&agents);
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        let wave = parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(wave.wave, 4);
        prop_assert_eq!(wave.commit_message.as_deref(), Some("Gen: wave"));
        prop_assert_eq!(wave.agents.len(), agents.len());
        for (parsed, generated) in wave.agents.iter().zip(&agents) {
            prop_assert_eq!(&parsed.agent_id, &generated.id);
            prop_assert_eq!(&parsed.owned_paths, &generated.owned);
            prop_assert_eq!(&parsed.deliverables, &generated.deliverables);
            prop_assert_eq!(parsed.component_targets.get("core"), Some("repo-landed"));
            prop_assert_eq!(&parsed.slug, &super::slugify(&format!("4-{}", generated.id)));
        }
    }
}
