//! Assembling a [`WaveDefinition`] from a wave file's text: per-agent sub-sections in upstream's
//! evaluation order, role-prompt composition, owned paths, slug, capabilities and component
//! targets, then the wave-level sections.

use std::path::Path;

use super::errors::{WaveError, WaveErrorKind as K};
use super::lists::{
    self, is_owned_by, is_repo_contained, normalize_repo_relative_path, unique, Ctx,
};
use super::model::{clean_role_path, ComponentTargets, WaveAgent, WaveDefinition};
use super::sections::{self, standing_prompt, AgentHeader, StandingPrompt};
use super::text::{
    find_fence, is_js_space, is_line_terminator, js_trim, split_lines, strip_all_quotes,
};
use super::wave_level;
use super::{ParseOptions, DEFAULT_ROLE_PROMPT_DIR};

/// Upstream's `slugify`: lower-case, runs of non-`[a-z0-9]` → `-`, edge dashes trimmed, at most
/// 48 characters (so a slug may end in `-` after the cut, as upstream's does).
pub fn slugify(value: &str) -> String {
    let mut slug = String::new();
    let mut pending_dash = false;
    for c in value.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c);
        } else {
            pending_dash = true;
        }
    }
    slug.chars().take(48).collect()
}

/// The wave number of a `wave-<digits>.md` file name.
pub(crate) fn wave_number(file_name: &str) -> Option<u32> {
    let digits = file_name.strip_prefix("wave-")?.strip_suffix(".md")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Some(0);
    }
    significant.parse().ok()
}

/// Owned paths of a local prompt: after a line starting with `File ownership`, every `- item`
/// bullet (quotes removed) until a label-looking line (`Words:` alone on a line).
pub(crate) fn owned_paths(prompt: &str) -> Vec<String> {
    let mut owned = Vec::new();
    let mut in_ownership = false;
    for line in split_lines(prompt) {
        let stripped = line.trim_start_matches(is_js_space);
        if is_file_ownership_line(stripped) {
            in_ownership = true;
            continue;
        }
        if in_ownership && is_label_line(stripped) {
            in_ownership = false;
        }
        if !in_ownership {
            continue;
        }
        let Some(rest) = stripped
            .strip_prefix('-')
            .filter(|r| r.starts_with(is_js_space))
        else {
            continue;
        };
        let item = rest.trim_matches(is_js_space);
        if item.chars().any(is_line_terminator) {
            continue;
        }
        let cleaned = js_trim(&strip_all_quotes(item)).to_string();
        if !cleaned.is_empty() {
            owned.push(cleaned);
        }
    }
    unique(owned)
}

/// `/^\s*File ownership\b/i` (leading space already removed).
fn is_file_ownership_line(line: &str) -> bool {
    const WORDS: &str = "file ownership";
    line.get(..WORDS.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(WORDS))
        && !line[WORDS.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `/^\s*[A-Za-z][A-Za-z0-9 _/-]*:\s*$/` (leading space already removed).
fn is_label_line(line: &str) -> bool {
    let mut chars = line.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let rest = chars.as_str();
    let Some(colon) =
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '/' | '-')))
    else {
        return false;
    };
    rest[colon..]
        .strip_prefix(':')
        .is_some_and(|tail| tail.chars().all(is_js_space))
}

fn is_allowed_role_prompt_path(path: &str, dir: &str) -> bool {
    let dir = dir.replace('\\', "/");
    let dir = dir.trim_end_matches('/');
    let lower = path.to_ascii_lowercase();
    is_repo_contained(path)
        && path.replace('\\', "/").starts_with(&format!("{dir}/"))
        && lower.ends_with(".md")
}

struct AgentCtx<'a> {
    ctx: Ctx<'a>,
    options: &'a ParseOptions<'a>,
    wave: u32,
}

pub(crate) fn parse_wave_content(
    content: &str,
    path: &str,
    file: &str,
    options: &ParseOptions<'_>,
) -> Result<WaveDefinition, WaveError> {
    let ctx = Ctx { content, path };
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let Some(wave) = wave_number(file_name) else {
        return Err(ctx.err(
            K::InvalidWaveFilename,
            None,
            format!("Invalid wave filename: {file_name}"),
        ));
    };
    let commit_message = sections::commit_message(content).map(str::to_string);
    let headers = sections::agent_headers(content);
    let actx = AgentCtx { ctx, options, wave };
    let mut agents = Vec::with_capacity(headers.len());
    for (index, header) in headers.iter().enumerate() {
        let end = headers
            .get(index + 1)
            .map_or(content.len(), |next| next.start);
        let block = content.get(header.end..end).unwrap_or("");
        agents.push(parse_agent(&actx, header, block)?);
    }

    let component_promotions = lists::promotions(
        ctx,
        sections::top_level_section(content, "Component promotions"),
    )?;
    for agent in &mut agents {
        agent.component_targets = ComponentTargets(
            agent
                .components
                .iter()
                .map(|id| {
                    let level = component_promotions
                        .iter()
                        .find(|p| p.component_id == *id)
                        .map(|p| p.target_level.clone());
                    (id.clone(), level)
                })
                .collect(),
        );
    }
    let deploy_environments = wave_level::deploy_environments(
        ctx,
        sections::top_level_section(content, "Deploy environments"),
    )?;
    let eval_targets =
        wave_level::eval_targets(ctx, sections::top_level_section(content, "Eval targets"))?;
    let context7_defaults = lists::context7(
        ctx,
        sections::top_level_section(content, "Context7 defaults"),
        "wave defaults",
    )?;
    Ok(WaveDefinition {
        wave,
        file: file.to_string(),
        commit_message,
        deploy_environments,
        eval_targets,
        context7_defaults,
        component_promotions,
        agents,
    })
}

fn parse_agent(
    actx: &AgentCtx<'_>,
    header: &AgentHeader,
    block: &str,
) -> Result<WaveAgent, WaveError> {
    let ctx = actx.ctx;
    let path = ctx.path;
    let id = header.agent_id.as_str();
    let header_line = Some(super::text::line_of(ctx.content, header.start));
    let sub = |heading: &str| sections::agent_subsection(block, heading);
    let label = format!("agent {id}");

    let role_prompts = lists::role_prompt_paths(ctx, sub("Role prompts"), id)?;
    let context7_config = lists::context7(ctx, sub("Context7"), &label)?;
    let exit_contract = lists::exit_contract(ctx, sub("Exit contract"), &label)?;
    let executor_config = lists::executor(ctx, sub("Executor"), &label)?;
    if let Some(settings) = &executor_config {
        for setting in super::model::effective_executor_settings(settings) {
            let line = Some(setting.line).filter(|l| *l > 0);
            if setting.value.is_empty() {
                return Err(WaveError::new(
                    K::EmptyExecutor,
                    path,
                    line,
                    format!(
                        "Empty Executor setting \"{}\" in {label} ({path})",
                        setting.key
                    ),
                ));
            }
            if let Some(check) = actx.options.executor_check {
                check(setting, &label, path)
                    .map_err(|message| WaveError::new(K::ExecutorSetting, path, line, message))?;
            }
        }
    }
    let components =
        lists::component_list(ctx, sub("Components"), &format!("agent {id} components"))?;
    let mut capabilities = lists::component_list(
        ctx,
        sub("Capabilities"),
        &format!("agent {id} capabilities"),
    )?;
    let role_prompt_paths: Vec<String> = role_prompts.iter().map(|(p, _)| p.clone()).collect();
    add_role_capabilities(&mut capabilities, &role_prompt_paths, actx.options);
    let skills = lists::skills(ctx, sub("Skills"), &format!("agent {id} skills"))?;
    let deliverables = lists::path_list(
        ctx,
        sub("Deliverables"),
        &format!("agent {id} deliverables"),
    )?;
    let proof_artifacts = lists::proof_artifacts(
        ctx,
        sub("Proof artifacts"),
        &format!("agent {id} proof artifacts"),
    )?;

    let Some(prompt_body) = sub("Prompt") else {
        return Err(ctx.err_at(
            K::MissingPromptSection,
            header_line,
            format!("Missing \"### Prompt\" section for agent {id} in {path}"),
        ));
    };
    let Some(fence) = find_fence(prompt_body) else {
        return Err(ctx.err(
            K::MissingPromptFence,
            Some(prompt_body),
            format!("Agent {id} in {path}: missing fenced prompt block"),
        ));
    };
    let prompt_overlay = js_trim(fence).to_string();
    let prompt = compose_prompt(actx, id, &role_prompts, &prompt_overlay)?;
    let owned_paths = owned_paths(&prompt_overlay);

    for (deliverable, line) in &deliverables {
        if normalize_repo_relative_path(deliverable).ends_with('/') {
            return Err(ctx.err_at(
                K::DirectoryPath,
                *line,
                format!(
                    "Deliverable \"{deliverable}\" for agent {id} in {path} must be a file path, not a directory path"
                ),
            ));
        }
        if !owned_paths
            .iter()
            .any(|owned| is_owned_by(deliverable, owned))
        {
            return Err(ctx.err_at(
                K::DeliverableNotOwned,
                *line,
                format!(
                    "Deliverable \"{deliverable}\" for agent {id} in {path} must stay within the agent's declared file ownership"
                ),
            ));
        }
    }
    for (artifact, line) in &proof_artifacts {
        if !owned_paths
            .iter()
            .any(|owned| is_owned_by(&artifact.path, owned))
        {
            return Err(ctx.err_at(
                K::ProofArtifactNotOwned,
                *line,
                format!(
                    "Proof artifact \"{}\" for agent {id} in {path} must stay within the agent's declared file ownership",
                    artifact.path
                ),
            ));
        }
    }

    Ok(WaveAgent {
        agent_id: id.to_string(),
        title: header.title.clone(),
        slug: slugify(&format!("{}-{id}", actx.wave)),
        prompt,
        prompt_overlay,
        role_prompt_paths,
        context7_config,
        exit_contract,
        executor_config,
        components,
        capabilities,
        skills,
        deliverables: deliverables.into_iter().map(|(p, _)| p).collect(),
        proof_artifacts: proof_artifacts.into_iter().map(|(a, _)| a).collect(),
        owned_paths,
        component_targets: ComponentTargets::default(),
    })
}

/// Upstream adds `design` then `security-review` when the matching role prompt is imported.
fn add_role_capabilities(
    capabilities: &mut Vec<String>,
    role_prompts: &[String],
    options: &ParseOptions<'_>,
) {
    let imports = |configured: &str, default: &str, suffix: &str| {
        let configured = clean_role_path(configured);
        role_prompts.iter().any(|path| {
            let path = clean_role_path(path);
            path == configured || path == default || path.ends_with(suffix)
        })
    };
    let has = |capabilities: &[String], wanted: &str| {
        capabilities
            .iter()
            .any(|c| js_trim(c).to_lowercase() == wanted)
    };
    if imports(
        options.design_role_prompt_path,
        super::DEFAULT_DESIGN_ROLE_PROMPT_PATH,
        "/wave-design-role.md",
    ) && !has(capabilities, "design")
    {
        capabilities.push("design".to_string());
    }
    if imports(
        options.security_role_prompt_path,
        super::DEFAULT_SECURITY_ROLE_PROMPT_PATH,
        "/wave-security-role.md",
    ) && !has(capabilities, "security-review")
    {
        capabilities.push("security-review".to_string());
    }
}

/// Each role prompt's standing prompt in order, then the local prompt; empty parts dropped;
/// joined with a blank line.
fn compose_prompt(
    actx: &AgentCtx<'_>,
    id: &str,
    role_prompts: &[(String, Option<u32>)],
    local: &str,
) -> Result<String, WaveError> {
    let ctx = actx.ctx;
    let path = ctx.path;
    let dir = Some(actx.options.role_prompt_dir)
        .filter(|d| !d.is_empty())
        .unwrap_or(DEFAULT_ROLE_PROMPT_DIR);
    let mut parts = Vec::with_capacity(role_prompts.len() + 1);
    for (role_path, line) in role_prompts {
        if !is_allowed_role_prompt_path(role_path, dir) {
            return Err(ctx.err_at(
                K::RolePromptOutsideDir,
                *line,
                format!("Role prompt path {role_path} for agent {id} in {path} must stay within {dir}/*.md"),
            ));
        }
        let Some(doc) = (actx.options.read)(Path::new(role_path)) else {
            return Err(ctx.err_at(
                K::MissingRolePrompt,
                *line,
                format!("Missing role prompt {role_path} for agent {id} in {path}"),
            ));
        };
        match standing_prompt(&doc) {
            StandingPrompt::Found(text) => parts.push(text.to_string()),
            StandingPrompt::NoSection => {
                return Err(ctx.err_at(
                    K::MissingStandingPrompt,
                    *line,
                    format!(
                        "Missing \"## Standing prompt\" section in {role_path} required by agent {id} in {path}"
                    ),
                ))
            }
            StandingPrompt::NoFence => {
                return Err(ctx.err_at(
                    K::MissingStandingPromptFence,
                    *line,
                    format!("Role prompt {role_path} required by agent {id} in {path}: missing fenced prompt block"),
                ))
            }
        }
    }
    parts.push(local.to_string());
    parts.retain(|part| !part.is_empty());
    Ok(parts.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_rule() {
        assert_eq!(slugify("0-A1"), "0-a1");
        assert_eq!(slugify("12-Agent  X/y"), "12-agent-x-y");
        assert_eq!(slugify("--A--"), "a");
        assert_eq!(slugify(&format!("1-{}", "ab".repeat(40))).len(), 48);
        assert_eq!(slugify("3-ÄÖ"), "3");
        assert_eq!(slugify("3-\u{212a}"), "3-k");
    }

    #[test]
    fn wave_numbers() {
        assert_eq!(wave_number("wave-01.md"), Some(1));
        assert_eq!(wave_number("wave-000.md"), Some(0));
        assert_eq!(wave_number("wave-.md"), None);
        assert_eq!(wave_number("wave-1.MD"), None);
        assert_eq!(wave_number("wave-99999999999.md"), None);
    }

    #[test]
    fn owned_path_rule() {
        let prompt = "Do it.\nFile ownership (only these):\n- `src/a.rs`\n  - \"docs/\"\n- src/a.rs\nnot a bullet\nNext step:\n- outside.md\nfile ownership\n- again.md\nFile ownerships\n- x";
        assert_eq!(owned_paths(prompt), ["src/a.rs", "docs/", "again.md", "x"]);
    }

    #[test]
    fn label_lines() {
        assert!(is_label_line("Required context before coding:"));
        assert!(is_label_line("Notes:  "));
        assert!(!is_label_line("Note: text"));
        assert!(!is_label_line("1abc:"));
        assert!(!is_label_line("- a:"));
    }
}
