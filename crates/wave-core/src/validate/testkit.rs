//! Test fixtures shared by the validation tests: hand-built agents and waves, and an in-memory
//! [`InputFiles`].

use std::collections::BTreeMap;

use super::InputFiles;
use crate::wave::{ComponentTargets, WaveAgent, WaveDefinition};

/// An agent with the given owned paths and role prompts, everything else empty.
pub(crate) fn agent(id: &str, owned: &[&str], role_prompts: &[&str]) -> WaveAgent {
    WaveAgent {
        agent_id: id.into(),
        title: format!("Agent {id}"),
        slug: format!("1-{}", id.to_lowercase()),
        prompt: String::new(),
        prompt_overlay: String::new(),
        role_prompt_paths: role_prompts.iter().map(|p| p.to_string()).collect(),
        context7_config: None,
        exit_contract: None,
        executor_config: None,
        components: Vec::new(),
        capabilities: Vec::new(),
        skills: Vec::new(),
        deliverables: Vec::new(),
        proof_artifacts: Vec::new(),
        owned_paths: owned.iter().map(|p| p.to_string()).collect(),
        component_targets: ComponentTargets::default(),
    }
}

/// Wave 1 (`docs/plans/waves/wave-1.md`) with these agents.
pub(crate) fn wave_of(agents: Vec<WaveAgent>) -> WaveDefinition {
    WaveDefinition {
        wave: 1,
        file: "docs/plans/waves/wave-1.md".into(),
        commit_message: None,
        deploy_environments: Vec::new(),
        eval_targets: Vec::new(),
        context7_defaults: None,
        component_promotions: Vec::new(),
        agents,
    }
}

/// In-memory repository files (directories exist when a file lives under them).
#[derive(Debug, Default, Clone)]
pub(crate) struct MemFiles(pub BTreeMap<String, String>);

impl MemFiles {
    pub(crate) fn with(mut self, path: &str, text: &str) -> Self {
        self.0.insert(path.into(), text.into());
        self
    }
}

impl InputFiles for MemFiles {
    fn read(&self, repo_rel: &str) -> Option<String> {
        self.0.get(repo_rel).cloned()
    }
    fn exists(&self, repo_rel: &str) -> bool {
        let dir = format!("{}/", repo_rel.trim_end_matches('/'));
        self.0.contains_key(repo_rel) || self.0.keys().any(|k| k.starts_with(&dir))
    }
}
