//! Reading a compiled prompt: the landmark lines of [`crate::prompt`] (upstream v0.9.1's) turned
//! into [`PromptFacts`].
//!
//! The prompt is split into the *header* (everything before `Assigned implementation prompt:`)
//! and the *assigned prompt* (the fence after it, up to the file's last closing fence, so an
//! agent prompt that itself holds fences is read whole). Landmarks are only looked for in the
//! header, outside fences, and duty lines only in its `Hard requirements for completeness:`
//! block (the whole header when that block is absent), so the text of an agent's own prompt or
//! of a skill can never change its role. Owned paths come from the
//! assigned prompt's `File ownership` bullets, with the wave parser's rules.
//!
//! Nothing here fails: missing landmarks give empty lists and upstream's defaults.

use crate::contract::{Completion, DocImpact, Durability, ProofLevel};

/// The assigned-prompt landmark line.
pub const ASSIGNED_PROMPT: &str = "Assigned implementation prompt:";
const EXECUTOR_LINE: &str = "You are the Wave executor running Wave ";
const EXIT_CONTRACT: &str = "Exit contract for this run:";
const COMPONENTS: &str = "Components you own in this wave:";
const EVAL_TARGETS: &str = "Eval targets for this wave:";
const DELIVERABLES: &str = "Deliverables required for this agent:";
const REQUIREMENTS: &str = "Hard requirements for completeness:";
const DESIGN_PACKETS: &str = "Same-wave design packets to read before coding:";

/// Duty lines: marker syntax templates that `prompt::compile` (and upstream) print only for the
/// role that must emit the marker.
const DUTY_GATE: &str = "[wave-gate] architecture=<";
const DUTY_EVAL: &str = "[wave-eval] state=<";
const DUTY_DOC_CLOSURE: &str = "[wave-doc-closure] state=<";
const DUTY_SECURITY: &str = "[wave-security] state=<";
const DUTY_DESIGN: &str = "[wave-design] state=<";
const DUTY_PROOF: &str = "[wave-proof] completion=<";
const DUTY_HYBRID_PASS: &str = "implementation pass as a hybrid design steward";

/// The closure role ids of the `Role model` block (defaults `A0`/`E0`/`A8`/`A9`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleIdSet {
    /// cont-QA.
    pub cont_qa: String,
    /// cont-EVAL.
    pub cont_eval: String,
    /// Integration steward.
    pub integration: String,
    /// Documentation steward.
    pub documentation: String,
}

impl Default for RoleIdSet {
    fn default() -> Self {
        RoleIdSet {
            cont_qa: "A0".into(),
            cont_eval: "E0".into(),
            integration: "A8".into(),
            documentation: "A9".into(),
        }
    }
}

/// The `Exit contract for this run:` block; a missing or unreadable line is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContractLines {
    /// `- completion: …`.
    pub completion: Option<Completion>,
    /// `- durability: …`.
    pub durability: Option<Durability>,
    /// `- proof: …`.
    pub proof: Option<ProofLevel>,
    /// `- doc-impact: …`.
    pub doc_impact: Option<DocImpact>,
}

/// Which marker duty lines the header carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DutyLines {
    /// `[wave-gate]` (cont-QA).
    pub gate: bool,
    /// `[wave-eval]` (cont-EVAL).
    pub eval: bool,
    /// `[wave-doc-closure]` (documentation steward).
    pub doc_closure: bool,
    /// `[wave-security]` (security reviewer).
    pub security: bool,
    /// `[wave-design]` (design steward).
    pub design: bool,
    /// `[wave-proof]` (implementation-owning in this pass).
    pub proof: bool,
    /// A hybrid design steward's implementation pass.
    pub hybrid_pass: bool,
}

/// One `Eval targets for this wave:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalTargetLine {
    /// Target id, lower-cased.
    pub id: String,
    /// Its `benchmarks=` / `allowed-benchmarks=` ids, lower-cased.
    pub benchmarks: Vec<String>,
}

/// Everything the local executor reads from a compiled prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptFacts {
    /// Wave number of the executor line.
    pub wave: Option<u32>,
    /// Agent id of the executor line (empty when absent).
    pub agent_id: String,
    /// Agent title of the executor line.
    pub title: String,
    /// Closure role ids.
    pub role_ids: RoleIdSet,
    /// Duty lines present in the header.
    pub duties: DutyLines,
    /// Exit contract block, when present.
    pub contract: Option<ContractLines>,
    /// `Components you own in this wave:` as (id, level).
    pub components: Vec<(String, Option<String>)>,
    /// `Eval targets for this wave:`.
    pub eval_targets: Vec<EvalTargetLine>,
    /// `Deliverables required for this agent:`.
    pub deliverables: Vec<String>,
    /// `Same-wave design packets to read before coding:` (read-only for this agent).
    pub design_packets: Vec<String>,
    /// Owned paths of the assigned prompt's `File ownership` bullets.
    pub owned_paths: Vec<String>,
    /// The assigned prompt text.
    pub assigned_prompt: String,
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l))
}

fn is_fence(line: &str) -> bool {
    line.trim_start().starts_with("```")
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !item.is_empty() && !list.contains(&item) {
        list.push(item);
    }
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

fn strip_quotes(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '`' | '"' | '\''))
        .collect::<String>()
        .trim()
        .to_string()
}

/// `- item` → `item` (trimmed), else `None`.
fn bullet(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix('-')?;
    rest.starts_with(char::is_whitespace).then(|| rest.trim())
}

/// `/^\s*[A-Za-z][A-Za-z0-9 _/-]*:\s*$/`: a label line that ends an ownership list.
fn is_label_line(line: &str) -> bool {
    let line = line.trim();
    let Some(body) = line.strip_suffix(':') else {
        return false;
    };
    let mut chars = body.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '/' | '-'))
}

/// `/^\s*File ownership\b/i`.
fn is_file_ownership_line(line: &str) -> bool {
    const WORDS: &str = "file ownership";
    let line = line.trim_start();
    line.get(..WORDS.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(WORDS))
        && !line[WORDS.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Owned paths of an agent prompt, with the wave parser's rules (launcher §1.3).
pub fn owned_paths(prompt: &str) -> Vec<String> {
    let mut owned = Vec::new();
    let mut inside = false;
    for line in lines(prompt) {
        if is_file_ownership_line(line) {
            inside = true;
            continue;
        }
        if inside && is_label_line(line) {
            inside = false;
        }
        if inside {
            if let Some(item) = bullet(line) {
                push_unique(&mut owned, strip_quotes(item));
            }
        }
    }
    owned
}

/// Splits the prompt into (header lines outside fences, assigned prompt).
fn split_prompt(prompt: &str) -> (Vec<&str>, String) {
    let mut header = Vec::new();
    let mut in_fence = false;
    let mut rest: Option<Vec<&str>> = None;
    for line in lines(prompt) {
        if let Some(body) = rest.as_mut() {
            body.push(line);
            continue;
        }
        if is_fence(line) {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if line.trim() == ASSIGNED_PROMPT {
            rest = Some(Vec::new());
            continue;
        }
        header.push(line);
    }
    let assigned = match rest {
        None => String::new(),
        Some(body) => {
            let start = body.iter().position(|l| !l.trim().is_empty());
            let opens = start.filter(|&i| is_fence(body[i]));
            match opens {
                Some(open) => {
                    let close = body.iter().rposition(|l| l.trim() == "```");
                    let end = close.filter(|&c| c > open).unwrap_or(body.len());
                    body[open + 1..end].join("\n")
                }
                None => body.join("\n"),
            }
        }
    };
    (header, assigned.trim().to_string())
}

/// Bullets directly under the heading line `heading` (until a blank or non-bullet line).
fn block<'a>(header: &[&'a str], heading: &str) -> Vec<&'a str> {
    let Some(start) = header.iter().position(|l| l.trim() == heading) else {
        return Vec::new();
    };
    header[start + 1..]
        .iter()
        .map_while(|l| bullet(l))
        .collect()
}

fn role_id(header: &[&str], prefix: &str, default: &str) -> String {
    header
        .iter()
        .find_map(|l| l.trim_start().strip_prefix(prefix))
        .and_then(|v| v.split_whitespace().next())
        .filter(|v| v.chars().all(is_id_char))
        .unwrap_or(default)
        .to_string()
}

/// `You are the Wave executor running Wave <n> / Agent <id>: <title>.`
fn executor_line(line: &str) -> Option<(Option<u32>, String, String)> {
    let rest = line.trim().strip_prefix(EXECUTOR_LINE)?;
    let (wave, rest) = rest.split_once(" / Agent ")?;
    let (id, title) = rest.split_once(':')?;
    let id = id.trim();
    if id.is_empty() || !id.chars().all(is_id_char) {
        return None;
    }
    let title = title.trim();
    let title = title.strip_suffix('.').unwrap_or(title).trim();
    Some((wave.trim().parse().ok(), id.to_string(), title.to_string()))
}

fn contract_lines(header: &[&str]) -> Option<ContractLines> {
    if !header.iter().any(|l| l.trim() == EXIT_CONTRACT) {
        return None;
    }
    let mut c = ContractLines::default();
    for item in block(header, EXIT_CONTRACT) {
        let Some((key, value)) = item.split_once(':') else {
            continue;
        };
        let value = value.trim().to_ascii_lowercase();
        match key.trim().to_ascii_lowercase().as_str() {
            "completion" => c.completion = Completion::parse(&value),
            "durability" => c.durability = Durability::parse(&value),
            "proof" => c.proof = ProofLevel::parse(&value),
            "doc-impact" => c.doc_impact = DocImpact::parse(&value),
            _ => {}
        }
    }
    Some(c)
}

fn components(header: &[&str]) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for item in block(header, COMPONENTS) {
        let (id, level) = match item.split_once(':') {
            Some((id, level)) => (id.trim(), Some(level.trim())),
            None => (item.trim(), None),
        };
        let valid = |t: &str| !t.is_empty() && t.chars().all(is_id_char);
        if !valid(id) || level.is_some_and(|l| !valid(l)) || out.iter().any(|(c, _)| c == id) {
            continue;
        }
        out.push((id.to_string(), level.map(str::to_string)));
    }
    out
}

/// The benchmark list after `benchmarks=` / `allowed-benchmarks=`: comma-separated tokens up to
/// the next `key=` token.
fn benchmark_list(payload: &str) -> Vec<String> {
    let start = payload
        .find("allowed-benchmarks=")
        .map(|i| i + "allowed-benchmarks=".len())
        .or_else(|| {
            let lower = payload.to_ascii_lowercase();
            let at = if lower.starts_with("benchmarks=") {
                Some(0)
            } else {
                lower.find(" benchmarks=").map(|i| i + 1)
            };
            at.map(|i| i + "benchmarks=".len())
        });
    let Some(start) = start else {
        return Vec::new();
    };
    let mut list = String::new();
    for token in payload[start..].split_whitespace() {
        if token.contains('=') {
            break;
        }
        list.push_str(token);
    }
    let mut out = Vec::new();
    for id in list.split(',') {
        let id = id.trim().to_ascii_lowercase();
        if id.chars().all(is_id_char) {
            push_unique(&mut out, id);
        }
    }
    out
}

fn eval_targets(header: &[&str]) -> Vec<EvalTargetLine> {
    let mut out: Vec<EvalTargetLine> = Vec::new();
    for item in block(header, EVAL_TARGETS) {
        let Some((id, payload)) = item.split_once(':') else {
            continue;
        };
        let id = id.trim().to_ascii_lowercase();
        if id.is_empty() || !id.chars().all(is_id_char) || out.iter().any(|t| t.id == id) {
            continue;
        }
        out.push(EvalTargetLine {
            id,
            benchmarks: benchmark_list(payload.trim()),
        });
    }
    out
}

fn path_list(header: &[&str], heading: &str) -> Vec<String> {
    let mut out = Vec::new();
    for item in block(header, heading) {
        push_unique(&mut out, strip_quotes(item));
    }
    out
}

/// Reads every landmark of a compiled prompt. Never fails and never panics.
pub fn parse_prompt(prompt: &str) -> PromptFacts {
    let (header, assigned) = split_prompt(prompt);
    let defaults = RoleIdSet::default();
    let role_ids = RoleIdSet {
        cont_qa: role_id(&header, "- cont-QA agent id:", &defaults.cont_qa),
        cont_eval: role_id(&header, "- cont-EVAL agent id:", &defaults.cont_eval),
        integration: role_id(
            &header,
            "- Integration steward agent id:",
            &defaults.integration,
        ),
        documentation: role_id(
            &header,
            "- Documentation steward agent id:",
            &defaults.documentation,
        ),
    };
    let (wave, agent_id, title) = header
        .iter()
        .find_map(|l| executor_line(l))
        .unwrap_or_default();
    // Duty lines live in the requirements block; a skill's text (later, fenced, possibly with
    // fences of its own) must never count, so only fall back to the whole header without it.
    let duty_scope: Vec<&str> = match header.iter().position(|l| l.trim() == REQUIREMENTS) {
        Some(start) => header[start + 1..]
            .iter()
            .take_while(|l| !l.trim().is_empty())
            .copied()
            .collect(),
        None => header.clone(),
    };
    let has = |needle: &str| duty_scope.iter().any(|l| l.contains(needle));
    let duties = DutyLines {
        gate: has(DUTY_GATE),
        eval: has(DUTY_EVAL),
        doc_closure: has(DUTY_DOC_CLOSURE),
        security: has(DUTY_SECURITY),
        design: has(DUTY_DESIGN),
        proof: has(DUTY_PROOF),
        hybrid_pass: has(DUTY_HYBRID_PASS),
    };
    PromptFacts {
        wave,
        agent_id,
        title,
        role_ids,
        duties,
        contract: contract_lines(&header),
        components: components(&header),
        eval_targets: eval_targets(&header),
        deliverables: path_list(&header, DELIVERABLES),
        design_packets: path_list(&header, DESIGN_PACKETS),
        owned_paths: owned_paths(&assigned),
        assigned_prompt: assigned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigned_prompt_keeps_inner_fences_and_hides_them_from_the_header() {
        let prompt = "You are the Wave executor running Wave 2 / Agent A3: Dots: and more.\n\
                      Assigned implementation prompt:\n```\nRole.\n```text\n[wave-security] state=<clear\n```\n\
                      File ownership:\n- `src/a.rs`\n- docs/\n```";
        let facts = parse_prompt(prompt);
        assert_eq!(facts.wave, Some(2));
        assert_eq!(facts.agent_id, "A3");
        assert_eq!(facts.title, "Dots: and more");
        assert!(
            !facts.duties.security,
            "agent prompt text is not a duty line"
        );
        assert!(facts.assigned_prompt.ends_with("- docs/"));
        assert_eq!(facts.owned_paths, ["src/a.rs", "docs/"]);
        assert_eq!(facts.role_ids, RoleIdSet::default());
    }

    #[test]
    fn fenced_header_text_is_not_a_duty() {
        let prompt = "```text\n- `[wave-design] state=<ready-for-implementation|...>`\n```\n\
                      Same-wave design packets to read before coding:\n- docs/design.md\n";
        let facts = parse_prompt(prompt);
        assert!(!facts.duties.design);
        assert_eq!(facts.design_packets, ["docs/design.md"]);
        assert_eq!(facts.agent_id, "");
    }

    #[test]
    fn duties_come_from_the_requirements_block_only() {
        let prompt = "Hard requirements for completeness:\n- `[wave-security] state=<clear>`\n\n\
                      ## Skill context\n\n```text\n```\n- `[wave-design] state=<x>`\n```\n";
        let duties = parse_prompt(prompt).duties;
        assert!(duties.security);
        assert!(
            !duties.design,
            "a skill whose own fence desynchronises ours"
        );
    }

    #[test]
    fn benchmark_lists_stop_at_the_next_field() {
        assert_eq!(
            benchmark_list("pinned benchmarks=B1, b2 objective=fast threshold=x"),
            ["b1", "b2"]
        );
        assert_eq!(
            benchmark_list("delegated family=f allowed-benchmarks=x,y objective=o"),
            ["x", "y"]
        );
        assert!(benchmark_list("pinned objective=o").is_empty());
    }

    #[test]
    fn ownership_list_ends_at_a_label() {
        let owned = owned_paths("File ownership (only these):\n- a.md\n\nNotes:\n- b.md\n");
        assert_eq!(owned, ["a.md"]);
    }
}
