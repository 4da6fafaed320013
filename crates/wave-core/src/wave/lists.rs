//! Bullet-list section grammars: role prompts, Context7, exit contract, executor, components,
//! capabilities, skills, paths, proof artifacts, component promotions, deploy environments and
//! eval targets — plus upstream's repo-path rules (containment, ownership).
//!
//! Every list body is read line by line (`split(/\r?\n/)`); blank lines are skipped and every
//! other line must match the section's bullet shape, else the section's "Malformed …" error.

use std::collections::HashSet;

use super::errors::{WaveError, WaveErrorKind as K};
use super::model::{
    Context7Config, ExecutorSetting, ExitContractDecl, ProofArtifact, WaveComponentPromotion,
};
use super::text::{
    bullet_key_value, bullet_text, clean_executor_value, clean_wrapped_quotes, compact_single_line,
    is_executor_key_char, is_js_space, is_loose_id_char, is_lower_id, is_setting_key_char, js_trim,
    line_of, offset_in, split_lines, strip_all_quotes, strip_edge_quotes,
};
use crate::contract::Maturity;

/// The wave file being parsed: its text (for line numbers) and its name (for messages).
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'c> {
    pub content: &'c str,
    pub path: &'c str,
}

impl Ctx<'_> {
    /// Line of `sub` when it is a slice of the wave text.
    pub fn line(&self, sub: &str) -> Option<u32> {
        offset_in(self.content, sub).map(|at| line_of(self.content, at))
    }

    /// An error located at the line of `at` (a slice of the wave text).
    pub fn err(&self, kind: K, at: Option<&str>, message: String) -> WaveError {
        WaveError::new(kind, self.path, at.and_then(|sub| self.line(sub)), message)
    }

    /// An error located at an already computed line.
    pub fn err_at(&self, kind: K, line: Option<u32>, message: String) -> WaveError {
        WaveError::new(kind, self.path, line, message)
    }
}

type Res<T> = Result<T, WaveError>;

/// Non-blank trimmed lines of a section body.
fn lines(body: &str) -> impl Iterator<Item = &str> {
    split_lines(body)
        .map(js_trim)
        .filter(|line| !line.is_empty())
}

/// `### Role prompts`: paths with their lines, quotes removed, de-duplicated (first kept).
pub(crate) fn role_prompt_paths(
    ctx: Ctx<'_>,
    body: Option<&str>,
    agent: &str,
) -> Res<Vec<(String, Option<u32>)>> {
    let mut out: Vec<(String, Option<u32>)> = Vec::new();
    for line in lines(body.unwrap_or("")) {
        let Some(text) = bullet_text(line) else {
            return Err(ctx.err(
                K::MalformedRolePrompt,
                Some(line),
                format!(
                    "Malformed role prompt entry \"{line}\" for agent {agent} in {}",
                    ctx.path
                ),
            ));
        };
        let path = js_trim(&strip_all_quotes(text)).to_string();
        if path.is_empty() {
            return Err(ctx.err(
                K::EmptyRolePrompt,
                Some(line),
                format!("Empty role prompt entry for agent {agent} in {}", ctx.path),
            ));
        }
        if !out.iter().any(|(seen, _)| *seen == path) {
            out.push((path, ctx.line(line)));
        }
    }
    Ok(out)
}

/// Raw `key: value` settings with `[a-zA-Z0-9_-]` keys (Context7, Exit contract); last value
/// of a repeated key wins.
fn settings(body: &str, malformed: impl Fn(&str) -> WaveError) -> Res<Vec<(&str, &str)>> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for line in lines(body) {
        let (key, value) =
            bullet_key_value(line, is_setting_key_char).ok_or_else(|| malformed(line))?;
        out.retain(|(k, _)| *k != key);
        out.push((key, value));
    }
    Ok(out)
}

fn setting<'b>(pairs: &[(&'b str, &'b str)], key: &str) -> Option<&'b str> {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// `### Context7` / `## Context7 defaults` (`label` is `agent <id>` or `wave defaults`).
pub(crate) fn context7(
    ctx: Ctx<'_>,
    body: Option<&str>,
    label: &str,
) -> Res<Option<Context7Config>> {
    let Some(body) = body.filter(|b| !b.is_empty()) else {
        return Ok(None);
    };
    let pairs = settings(body, |line| {
        ctx.err(
            K::MalformedContext7,
            Some(line),
            format!(
                "Malformed Context7 setting \"{line}\" in {label} ({})",
                ctx.path
            ),
        )
    })?;
    let bundle = setting(&pairs, "bundle")
        .map(clean_wrapped_quotes)
        .unwrap_or("");
    let query = compact_single_line(
        setting(&pairs, "query")
            .map(clean_wrapped_quotes)
            .unwrap_or(""),
        280,
    );
    if bundle.is_empty() && query.is_empty() {
        return Ok(None);
    }
    Ok(Some(Context7Config {
        bundle: (!bundle.is_empty()).then(|| bundle.to_string()),
        query: (!query.is_empty()).then_some(query),
    }))
}

/// `### Exit contract`: the four known keys as written; unknown keys ignored.
pub(crate) fn exit_contract(
    ctx: Ctx<'_>,
    body: Option<&str>,
    label: &str,
) -> Res<Option<ExitContractDecl>> {
    let Some(body) = body.filter(|b| !b.is_empty()) else {
        return Ok(None);
    };
    let pairs = settings(body, |line| {
        ctx.err(
            K::MalformedExitContract,
            Some(line),
            format!(
                "Malformed Exit contract setting \"{line}\" in {label} ({})",
                ctx.path
            ),
        )
    })?;
    let get = |key: &str| {
        setting(&pairs, key)
            .map(js_trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let decl = ExitContractDecl {
        completion: get("completion"),
        durability: get("durability"),
        proof: get("proof"),
        // `raw.docImpact || raw["doc-impact"]`
        doc_impact: get("docImpact").or_else(|| get("doc-impact")),
    };
    let empty = decl.completion.is_none()
        && decl.durability.is_none()
        && decl.proof.is_none()
        && decl.doc_impact.is_none();
    Ok((!empty).then_some(decl))
}

/// `### Executor`: every bullet in file order (keys `[a-zA-Z0-9._-]`); values cleaned the way
/// upstream's normaliser sees them (quotes/backticks at the edges removed, twice).
pub(crate) fn executor(
    ctx: Ctx<'_>,
    body: Option<&str>,
    label: &str,
) -> Res<Option<Vec<ExecutorSetting>>> {
    let Some(body) = body.filter(|b| !b.is_empty()) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for line in lines(body) {
        let Some((key, value)) = bullet_key_value(line, is_executor_key_char) else {
            return Err(ctx.err(
                K::MalformedExecutor,
                Some(line),
                format!(
                    "Malformed Executor setting \"{line}\" in {label} ({})",
                    ctx.path
                ),
            ));
        };
        out.push(ExecutorSetting {
            key: key.to_string(),
            value: clean_executor_value(clean_executor_value(value)).to_string(),
            line: ctx.line(line).unwrap_or(0),
        });
    }
    Ok(Some(out))
}

/// `### Components` / `### Capabilities`: ids, lower-case grammar, no duplicates.
pub(crate) fn component_list(ctx: Ctx<'_>, body: Option<&str>, label: &str) -> Res<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for line in lines(body.unwrap_or("")) {
        let id = line
            .strip_prefix('-')
            .filter(|rest| rest.starts_with(is_js_space))
            .map(js_trim)
            .filter(|id| !id.is_empty() && id.chars().all(is_loose_id_char));
        let Some(id) = id else {
            return Err(ctx.err(
                K::MalformedComponent,
                Some(line),
                format!(
                    "Malformed component entry \"{line}\" in {label} ({})",
                    ctx.path
                ),
            ));
        };
        check_component_id(ctx, id, line, label)?;
        if out.iter().any(|seen| seen == id) {
            return Err(ctx.err(
                K::DuplicateComponent,
                Some(line),
                format!("Duplicate component \"{id}\" in {label} ({})", ctx.path),
            ));
        }
        out.push(id.to_string());
    }
    Ok(out)
}

fn check_component_id(ctx: Ctx<'_>, id: &str, line: &str, label: &str) -> Res<()> {
    if is_lower_id(id) {
        Ok(())
    } else {
        Err(ctx.err(
            K::InvalidComponentId,
            Some(line),
            format!("Invalid component id \"{id}\" in {label} ({})", ctx.path),
        ))
    }
}

/// `## Component promotions`: `- <id>: <level>`; the level is any `[a-z0-9._-]+` word.
pub(crate) fn promotions(ctx: Ctx<'_>, body: Option<&str>) -> Res<Vec<WaveComponentPromotion>> {
    const LABEL: &str = "wave component promotions";
    let mut out: Vec<WaveComponentPromotion> = Vec::new();
    for line in lines(body.unwrap_or("")) {
        let pair = bullet_key_value(line, is_loose_id_char)
            .filter(|(_, level)| level.chars().all(is_loose_id_char));
        let Some((id, level)) = pair else {
            return Err(ctx.err(
                K::MalformedComponentPromotion,
                Some(line),
                format!(
                    "Malformed component promotion \"{line}\" in {LABEL} ({})",
                    ctx.path
                ),
            ));
        };
        check_component_id(ctx, id, line, LABEL)?;
        if out.iter().any(|seen| seen.component_id == id) {
            return Err(ctx.err(
                K::DuplicateComponentPromotion,
                Some(line),
                format!(
                    "Duplicate component promotion \"{id}\" in {LABEL} ({})",
                    ctx.path
                ),
            ));
        }
        out.push(WaveComponentPromotion {
            component_id: id.to_string(),
            target_level: level.to_string(),
        });
    }
    Ok(out)
}

/// `### Deliverables`: repo-relative paths, quotes removed, inside the repo, no duplicates.
pub(crate) fn path_list(
    ctx: Ctx<'_>,
    body: Option<&str>,
    label: &str,
) -> Res<Vec<(String, Option<u32>)>> {
    let mut out: Vec<(String, Option<u32>)> = Vec::new();
    for line in lines(body.unwrap_or("")) {
        let Some(text) = bullet_text(line) else {
            return Err(ctx.err(
                K::MalformedPath,
                Some(line),
                format!("Malformed path entry \"{line}\" in {label} ({})", ctx.path),
            ));
        };
        let path = js_trim(&strip_all_quotes(text)).to_string();
        check_contained(ctx, &path, line, label)?;
        if out.iter().any(|(seen, _)| *seen == path) {
            return Err(ctx.err(
                K::DuplicatePath,
                Some(line),
                format!("Duplicate path \"{path}\" in {label} ({})", ctx.path),
            ));
        }
        out.push((path, ctx.line(line)));
    }
    Ok(out)
}

fn check_contained(ctx: Ctx<'_>, path: &str, line: &str, label: &str) -> Res<()> {
    if is_repo_contained(path) {
        Ok(())
    } else {
        Err(ctx.err(
            K::PathOutsideRepo,
            Some(line),
            format!(
                "Path \"{path}\" in {label} ({}) must stay within the repo root",
                ctx.path
            ),
        ))
    }
}

/// `### Skills`: skill ids, lower-cased, `[a-z0-9][a-z0-9._-]*`, no duplicates.
pub(crate) fn skills(ctx: Ctx<'_>, body: Option<&str>, label: &str) -> Res<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for line in lines(body.unwrap_or("")) {
        let Some(text) = bullet_text(line) else {
            return Err(ctx.err(
                K::MalformedSkill,
                Some(line),
                format!("Malformed skill entry \"{line}\" in {label} ({})", ctx.path),
            ));
        };
        let id = js_trim(&strip_all_quotes(text)).to_lowercase();
        if !is_lower_id(&id) {
            return Err(ctx.err(
                K::InvalidSkillId,
                Some(line),
                format!("{label} ({}) must match /^[a-z0-9][a-z0-9._-]*$/", ctx.path),
            ));
        }
        if out.contains(&id) {
            return Err(ctx.err(
                K::DuplicateSkill,
                Some(line),
                format!("Duplicate skill \"{id}\" in {label} ({})", ctx.path),
            ));
        }
        out.push(id);
    }
    Ok(out)
}

/// `### Proof artifacts`: a bare path, or `path: … | kind: … | required-for: <levels>`.
pub(crate) fn proof_artifacts(
    ctx: Ctx<'_>,
    body: Option<&str>,
    label: &str,
) -> Res<Vec<(ProofArtifact, Option<u32>)>> {
    let mut out: Vec<(ProofArtifact, Option<u32>)> = Vec::new();
    for line in lines(body.unwrap_or("")) {
        let Some(entry) = bullet_text(line) else {
            return Err(ctx.err(
                K::MalformedProofArtifactEntry,
                Some(line),
                format!(
                    "Malformed proof artifact entry \"{line}\" in {label} ({})",
                    ctx.path
                ),
            ));
        };
        let structured = entry.contains('|') || starts_with_path_key(entry);
        let artifact = if !structured {
            let path = js_trim(&strip_all_quotes(entry)).to_string();
            check_contained(ctx, &path, line, label)?;
            ProofArtifact {
                path,
                kind: None,
                required_for: Vec::new(),
            }
        } else {
            let mut fields: Vec<(String, &str)> = Vec::new();
            for pair in entry.split('|').map(js_trim).filter(|p| !p.is_empty()) {
                let malformed = || {
                    ctx.err(
                        K::MalformedProofArtifactField,
                        Some(line),
                        format!(
                            "Malformed proof artifact field \"{pair}\" in {label} ({})",
                            ctx.path
                        ),
                    )
                };
                let colon = pair.find(':').filter(|&i| i > 0).ok_or_else(malformed)?;
                let key = js_trim(&pair[..colon]).to_lowercase();
                let value = strip_edge_quotes(js_trim(&pair[colon + 1..]));
                if key.is_empty() || value.is_empty() {
                    return Err(malformed());
                }
                fields.retain(|(k, _)| *k != key);
                fields.push((key, value));
            }
            let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
            let path = js_trim(field("path").unwrap_or("")).to_string();
            if path.is_empty() {
                return Err(ctx.err(
                    K::ProofArtifactMissingPath,
                    Some(line),
                    format!(
                        "Proof artifact entry in {label} ({}) must include path",
                        ctx.path
                    ),
                ));
            }
            check_contained(ctx, &path, line, label)?;
            let mut required_for = Vec::new();
            for level in field("required-for")
                .unwrap_or("")
                .split(',')
                .map(js_trim)
                .filter(|l| !l.is_empty())
            {
                let Some(level) = Maturity::parse(level) else {
                    return Err(ctx.err(
                        K::InvalidMaturityLevel,
                        Some(line),
                        format!(
                            "Invalid maturity level \"{level}\" in {label} ({})",
                            ctx.path
                        ),
                    ));
                };
                required_for.push(level);
            }
            let kind = js_trim(field("kind").unwrap_or(""));
            ProofArtifact {
                path,
                kind: (!kind.is_empty()).then(|| kind.to_string()),
                required_for,
            }
        };
        if normalize_repo_relative_path(&artifact.path).ends_with('/') {
            return Err(ctx.err(
                K::DirectoryPath,
                Some(line),
                format!(
                    "Proof artifact \"{}\" in {label} ({}) must be a file path, not a directory path",
                    artifact.path, ctx.path
                ),
            ));
        }
        if out.iter().any(|(seen, _)| seen.path == artifact.path) {
            return Err(ctx.err(
                K::DuplicateProofArtifact,
                Some(line),
                format!(
                    "Duplicate proof artifact \"{}\" in {label} ({})",
                    artifact.path, ctx.path
                ),
            ));
        }
        out.push((artifact, ctx.line(line)));
    }
    Ok(out)
}

/// `/^path\s*:/i`.
fn starts_with_path_key(entry: &str) -> bool {
    entry
        .get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("path"))
        && entry[4..].trim_start_matches(is_js_space).starts_with(':')
}

/// Upstream's `isRepoContainedPath`, lexically: non-empty, relative, and its normal form
/// neither climbs above the root nor starts with `..` (so `..notes/x` is rejected, as upstream).
pub(crate) fn is_repo_contained(path: &str) -> bool {
    if path.is_empty() || path.starts_with('/') {
        return false;
    }
    let mut stack: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return false;
                }
            }
            other => stack.push(other),
        }
    }
    !stack.first().is_some_and(|first| first.starts_with(".."))
}

/// Upstream's `normalizeRepoRelativePath`: `\` → `/`, one leading `./`(+slashes) removed, trim.
pub(crate) fn normalize_repo_relative_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = match path.strip_prefix("./") {
        Some(rest) => rest.trim_start_matches('/').to_string(),
        None => path,
    };
    js_trim(&path).to_string()
}

/// Whether `path` is covered by `owned` (an owned entry ending in `/` owns everything under it).
pub(crate) fn is_owned_by(path: &str, owned: &str) -> bool {
    let path = normalize_repo_relative_path(path);
    let owned = normalize_repo_relative_path(owned);
    if path.is_empty() || owned.is_empty() {
        return false;
    }
    if owned.ends_with('/') {
        path.starts_with(&owned)
    } else {
        path == owned
    }
}

/// De-duplicates keeping the first occurrence (`Array.from(new Set(…))`).
pub(crate) fn unique(items: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_is_lexical_and_keeps_upstream_quirks() {
        assert!(is_repo_contained("a/b.md"));
        assert!(is_repo_contained("a/../b"));
        assert!(is_repo_contained("."));
        assert!(!is_repo_contained(""));
        assert!(!is_repo_contained("/etc/passwd"));
        assert!(!is_repo_contained("../x"));
        assert!(!is_repo_contained("a/../../x"));
        assert!(!is_repo_contained("..notes/x"));
    }

    #[test]
    fn ownership() {
        assert!(is_owned_by("./src/a.rs", "src/"));
        assert!(is_owned_by("src\\a.rs", "src/a.rs"));
        assert!(!is_owned_by("srcx/a.rs", "src"));
    }
}
