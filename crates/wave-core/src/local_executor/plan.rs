//! From [`PromptFacts`] and [`Knobs`] to a [`Plan`]: the agent's role, the placeholder files to
//! create when missing, the marker lines to print, the delay and the exit code.
//!
//! Role resolution uses closure ids first (as upstream), then the header's duty lines, which
//! `prompt::compile` prints only for the role that owes the marker. That is what fixes
//! upstream's two gaps: a security reviewer (duty `[wave-security]`) prints `[wave-security]`,
//! and the documentation steward is recognised by id / `[wave-doc-closure]` duty, never by
//! design-packet text that every agent in a design wave sees.

use std::time::Duration;

use super::knobs::Knobs;
use super::parse::{parse_prompt, PromptFacts};
use super::placeholder::{
    is_cont_eval_report, is_cont_qa_report, is_design_packet, is_document, is_security_report,
    looks_like_file, render, safety_problem, PlaceholderKind, DESIGN_PLACEHOLDER_DECISIONS,
};
use crate::contract::{Completion, DocImpact, Durability, ProofLevel};

/// `detail=` of every marker of a normal run.
pub const DETAIL_OK: &str = "local-executor-placeholder";
/// `detail=` of the gap markers of an agent listed in `WAVE_LOCAL_EXECUTOR_FAIL_AGENTS`.
pub const DETAIL_GAP: &str = "local-executor-injected-gap";
/// Component level used when the prompt lists a component without one (upstream's default).
pub const DEFAULT_COMPONENT_LEVEL: &str = "repo-landed";

/// The agent's role as the local executor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// cont-QA closure agent.
    ContQa,
    /// cont-EVAL; `owns_files` when it also owns non-report files (implementation markers).
    ContEval {
        /// Also implementation-owning.
        owns_files: bool,
    },
    /// Integration steward.
    Integration,
    /// Documentation steward.
    Documentation,
    /// Security reviewer.
    SecurityReviewer,
    /// Design steward; `implementation_pass` in a hybrid steward's implementation pass.
    DesignSteward {
        /// Also prints implementation markers.
        implementation_pass: bool,
    },
    /// Any other agent with an id.
    Implementation,
    /// The prompt has no executor line: nothing to act for.
    Unknown,
}

impl Role {
    /// Short name for log lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ContQa => "cont-qa",
            Role::ContEval { .. } => "cont-eval",
            Role::Integration => "integration",
            Role::Documentation => "documentation",
            Role::SecurityReviewer => "security",
            Role::DesignSteward { .. } => "design",
            Role::Implementation => "implementation",
            Role::Unknown => "unknown",
        }
    }

    /// Whether this role prints `[wave-proof]`, `[wave-doc-delta]` and `[wave-component]`.
    pub fn prints_implementation_markers(self) -> bool {
        matches!(
            self,
            Role::Implementation
                | Role::ContEval { owns_files: true }
                | Role::DesignSteward {
                    implementation_pass: true
                }
        )
    }
}

/// A file to create if (and only if) it does not exist yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// Repository-relative path (checked by [`safety_problem`]).
    pub path: String,
    /// Placeholder kind.
    pub kind: PlaceholderKind,
    /// Full file contents.
    pub contents: String,
}

/// A declared path the executor refuses to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedPath {
    /// The path as declared.
    pub path: String,
    /// Why it is skipped.
    pub reason: &'static str,
}

/// What one local-executor run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Everything read from the prompt.
    pub facts: PromptFacts,
    /// The resolved role.
    pub role: Role,
    /// Whether the agent was told to report gaps (`WAVE_LOCAL_EXECUTOR_FAIL_AGENTS`).
    pub injected_gap: bool,
    /// Files to create when missing, in order (deliverables first, then the role's report).
    pub files: Vec<PlannedFile>,
    /// Declared paths that were not safe to create.
    pub skipped: Vec<SkippedPath>,
    /// Marker lines to print last, one per line.
    pub markers: Vec<String>,
    /// Hold the agent open this long before acting (the IO layer sleeps).
    pub delay: Option<Duration>,
    /// Exit code after printing.
    pub exit_code: i32,
}

impl Plan {
    /// The line appended to `WAVE_LOCAL_EXECUTOR_COUNT_FILE`: `<wave> <agentId> <pid>` (`?` for
    /// an unknown wave or agent).
    pub fn count_line(&self, pid: u32) -> String {
        let wave = self
            .facts
            .wave
            .map_or_else(|| "?".to_string(), |w| w.to_string());
        let agent = if self.facts.agent_id.is_empty() {
            "?"
        } else {
            &self.facts.agent_id
        };
        format!("{wave} {agent} {pid}")
    }
}

/// Resolves the role: closure ids, then duty lines; documentation before design so design-wave
/// text can never turn the documentation steward into a design steward.
pub fn resolve_role(facts: &PromptFacts) -> Role {
    let id = facts.agent_id.as_str();
    if id.is_empty() {
        return Role::Unknown;
    }
    let ids = &facts.role_ids;
    let d = facts.duties;
    let is = |role_id: &str| id.eq_ignore_ascii_case(role_id);
    if is(&ids.cont_qa) || d.gate {
        Role::ContQa
    } else if is(&ids.cont_eval) || d.eval {
        let owns_files = d.proof
            || facts
                .owned_paths
                .iter()
                .any(|p| !p.is_empty() && !is_cont_eval_report(p));
        Role::ContEval { owns_files }
    } else if is(&ids.integration) {
        Role::Integration
    } else if is(&ids.documentation) || d.doc_closure {
        Role::Documentation
    } else if d.security {
        Role::SecurityReviewer
    } else if d.design {
        Role::DesignSteward {
            implementation_pass: d.proof || d.hybrid_pass,
        }
    } else {
        Role::Implementation
    }
}

/// Parses `prompt` and plans the run. Never fails and never panics.
pub fn plan(prompt: &str, knobs: &Knobs) -> Plan {
    plan_facts(parse_prompt(prompt), knobs)
}

/// Plans the run for already-parsed facts.
pub fn plan_facts(facts: PromptFacts, knobs: &Knobs) -> Plan {
    let role = resolve_role(&facts);
    let fail = !facts.agent_id.is_empty() && knobs.fail_entry(&facts.agent_id).is_some();
    let exit_code = if facts.agent_id.is_empty() {
        knobs.exit_code.unwrap_or(0)
    } else {
        knobs.exit_code_for(&facts.agent_id)
    };
    let (files, skipped) = if role == Role::Unknown {
        (Vec::new(), Vec::new())
    } else {
        plan_files(&facts, role)
    };
    let markers = markers(&facts, role, fail, &files);
    Plan {
        facts,
        role,
        injected_gap: fail,
        files,
        skipped,
        markers,
        delay: knobs.delay,
        exit_code,
    }
}

/// The role's report among the owned paths (launcher §1.5 rules).
fn report_path(facts: &PromptFacts, role: Role) -> Option<(String, PlaceholderKind)> {
    let owned = facts.owned_paths.iter();
    let pick = |rule: fn(&str) -> bool| owned.clone().find(|p| rule(p)).cloned();
    match role {
        Role::ContQa => pick(is_cont_qa_report)
            .or_else(|| facts.owned_paths.first().cloned())
            .map(|p| (p, PlaceholderKind::ContQaReport)),
        Role::ContEval { .. } => {
            pick(is_cont_eval_report).map(|p| (p, PlaceholderKind::ContEvalReport))
        }
        Role::SecurityReviewer => {
            pick(is_security_report).map(|p| (p, PlaceholderKind::SecurityReport))
        }
        Role::DesignSteward { .. } => {
            pick(is_design_packet).map(|p| (p, PlaceholderKind::DesignPacket))
        }
        _ => None,
    }
}

fn plan_files(facts: &PromptFacts, role: Role) -> (Vec<PlannedFile>, Vec<SkippedPath>) {
    let deliverables: Vec<String> = if facts.deliverables.is_empty() {
        facts
            .owned_paths
            .iter()
            .filter(|p| looks_like_file(p))
            .cloned()
            .collect()
    } else {
        facts.deliverables.clone()
    };
    let report = report_path(facts, role);
    let agent = format!("{}: {}", facts.agent_id, facts.title);
    let mut files: Vec<PlannedFile> = Vec::new();
    let mut skipped: Vec<SkippedPath> = Vec::new();
    let report_iter = report.iter().map(|(p, k)| (p.clone(), Some(*k)));
    for (path, kind) in deliverables
        .into_iter()
        .map(|p| (p, None))
        .chain(report_iter)
    {
        if let Some(reason) = safety_problem(&path) {
            if !skipped.iter().any(|s| s.path == path) {
                skipped.push(SkippedPath { path, reason });
            }
            continue;
        }
        let kind = kind
            .or_else(|| report.as_ref().filter(|(p, _)| *p == path).map(|(_, k)| *k))
            .unwrap_or(if is_document(&path) {
                PlaceholderKind::Document
            } else {
                PlaceholderKind::Stub
            });
        if files.iter().any(|f| f.path == path) {
            continue;
        }
        let contents = render(&path, kind, &agent);
        files.push(PlannedFile {
            path,
            kind,
            contents,
        });
    }
    (files, skipped)
}

fn markers(facts: &PromptFacts, role: Role, fail: bool, files: &[PlannedFile]) -> Vec<String> {
    let detail = if fail { DETAIL_GAP } else { DETAIL_OK };
    let mut out = Vec::new();
    match role {
        Role::Unknown => return out,
        Role::ContQa => {
            out.push(format!("[wave-gate] architecture=pass integration=pass durability=pass live=pass docs=pass detail={detail}"));
            out.push(format!("[wave-verdict] pass detail={detail}"));
        }
        Role::ContEval { .. } => out.push(eval_marker(facts, detail)),
        Role::Integration => out.push(format!(
            "[wave-integration] state=ready-for-doc-closure claims=0 conflicts=0 blockers=0 detail={detail}"
        )),
        Role::Documentation => out.push(format!("[wave-doc-closure] state=no-change detail={detail}")),
        Role::SecurityReviewer => out.push(format!(
            "[wave-security] state=clear findings=0 approvals=0 detail={detail}"
        )),
        Role::DesignSteward { .. } => out.push(format!(
            "[wave-design] state=ready-for-implementation decisions={DESIGN_PLACEHOLDER_DECISIONS} assumptions=0 open_questions=0 detail={detail}"
        )),
        Role::Implementation => {}
    }
    if role.prints_implementation_markers() {
        implementation_markers(&mut out, facts, fail, files, detail);
    } else if fail {
        // Closure and review agents: the forwarded closure-gap trigger (DESIGN §4).
        out.push(format!(
            "[wave-proof] completion=contract durability=none proof=unit state=gap detail={detail}"
        ));
    }
    out
}

fn eval_marker(facts: &PromptFacts, detail: &str) -> String {
    let mut targets: Vec<&str> = facts.eval_targets.iter().map(|t| t.id.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    let mut benchmarks: Vec<&str> = facts
        .eval_targets
        .iter()
        .flat_map(|t| t.benchmarks.iter().map(String::as_str))
        .collect();
    benchmarks.sort_unstable();
    benchmarks.dedup();
    let mut line = format!(
        "[wave-eval] state=satisfied targets={} benchmarks={} regressions=0",
        targets.len(),
        benchmarks.len()
    );
    if !targets.is_empty() {
        line.push_str(&format!(" target_ids={}", targets.join(",")));
    }
    if !benchmarks.is_empty() {
        line.push_str(&format!(" benchmark_ids={}", benchmarks.join(",")));
    }
    line.push_str(&format!(" detail={detail}"));
    line
}

fn implementation_markers(
    out: &mut Vec<String>,
    facts: &PromptFacts,
    fail: bool,
    files: &[PlannedFile],
    detail: &str,
) {
    let contract = facts.contract.unwrap_or_default();
    let state = if fail { "gap" } else { "met" };
    out.push(format!(
        "[wave-proof] completion={} durability={} proof={} state={state} detail={detail}",
        contract.completion.unwrap_or(Completion::Contract),
        contract.durability.unwrap_or(Durability::None),
        contract.proof.unwrap_or(ProofLevel::Unit),
    ));
    let produced = if files.is_empty() {
        DocImpact::None
    } else {
        DocImpact::Owned
    };
    let doc_state = contract
        .doc_impact
        .map_or(produced, |need| need.max(produced));
    let doc_paths: Vec<&str> = files
        .iter()
        .filter(|f| is_document(&f.path))
        .map(|f| f.path.as_str())
        .collect();
    let paths = if doc_paths.is_empty() {
        String::new()
    } else {
        format!(" paths={}", doc_paths.join(","))
    };
    out.push(format!(
        "[wave-doc-delta] state={doc_state}{paths} detail={detail}"
    ));
    for (id, level) in &facts.components {
        let level = level.as_deref().unwrap_or(DEFAULT_COMPONENT_LEVEL);
        out.push(format!(
            "[wave-component] component={id} level={level} state={state} detail={detail}"
        ));
    }
}
