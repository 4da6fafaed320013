//! Wave-level list grammars that carry no agent context: `## Deploy environments` and
//! `## Eval targets` (launcher §1.2), with upstream's exact messages.

use super::errors::WaveErrorKind as K;
use super::lists::Ctx;
use super::model::DeployEnvironment;
use super::text::{
    is_js_space, is_line_terminator, is_loose_id_char, is_lower_id, js_trim, split_lines,
    strip_wrapped_any_quotes,
};
use super::WaveError;
use crate::contract::{EvalSelection, EvalTarget};

type Res<T> = Result<T, WaveError>;

fn lines(body: &str) -> impl Iterator<Item = &str> {
    split_lines(body)
        .map(js_trim)
        .filter(|line| !line.is_empty())
}

/// `## Deploy environments`:
/// `` /^-\s+`?(id)`?\s*:\s*`?(kind)`?\s*(default)?(?:\s+\((.*)\))?$/i ``.
pub(crate) fn deploy_environments(ctx: Ctx<'_>, body: Option<&str>) -> Res<Vec<DeployEnvironment>> {
    let mut out: Vec<DeployEnvironment> = Vec::new();
    for line in lines(body.unwrap_or("")) {
        let Some(mut env) = deploy_environment(line) else {
            return Err(ctx.err(
                K::MalformedDeployEnvironment,
                Some(line),
                format!("Malformed deploy environment \"{line}\" in {}", ctx.path),
            ));
        };
        env.id = env.id.to_ascii_lowercase();
        env.kind = env.kind.to_ascii_lowercase();
        if out.iter().any(|seen| seen.id == env.id) {
            return Err(ctx.err(
                K::DuplicateDeployEnvironment,
                Some(line),
                format!(
                    "Duplicate deploy environment \"{}\" in {}",
                    env.id, ctx.path
                ),
            ));
        }
        out.push(env);
    }
    if !out.iter().any(|env| env.is_default) {
        if let Some(first) = out.first_mut() {
            first.is_default = true;
        }
    }
    Ok(out)
}

fn deploy_environment(line: &str) -> Option<DeployEnvironment> {
    fn word(s: &str) -> Option<(&str, &str)> {
        s.chars().next().filter(|c| c.is_ascii_alphanumeric())?;
        let len = s.find(|c: char| !is_loose_id_char(c)).unwrap_or(s.len());
        Some(s.split_at(len))
    }
    let rest = line.strip_prefix('-')?;
    if !rest.starts_with(is_js_space) {
        return None;
    }
    let rest = rest.trim_start_matches(is_js_space);
    let rest = rest.strip_prefix('`').unwrap_or(rest);
    let (id, rest) = word(rest)?;
    let rest = rest.strip_prefix('`').unwrap_or(rest);
    let rest = rest.trim_start_matches(is_js_space).strip_prefix(':')?;
    let rest = rest.trim_start_matches(is_js_space);
    let rest = rest.strip_prefix('`').unwrap_or(rest);
    let (kind, rest) = word(rest)?;
    let rest = rest.strip_prefix('`').unwrap_or(rest);
    let trimmed = rest.trim_start_matches(is_js_space);
    let has_default = trimmed
        .get(..7)
        .is_some_and(|head| head.eq_ignore_ascii_case("default"));
    // With `default`, the notes group must follow it; without, `\s+` must precede the notes.
    let (is_default, tail) = if has_default {
        (true, &trimmed[7..])
    } else {
        (false, rest)
    };
    let notes = if tail.is_empty() {
        None
    } else {
        if !tail.starts_with(is_js_space) {
            return None;
        }
        let inner = tail
            .trim_start_matches(is_js_space)
            .strip_prefix('(')?
            .strip_suffix(')')?;
        if inner.chars().any(is_line_terminator) {
            return None;
        }
        Some(js_trim(inner))
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    };
    Some(DeployEnvironment {
        id: id.to_string(),
        kind: kind.to_string(),
        is_default,
        notes,
    })
}

/// `## Eval targets`: `- key: value | key: value …` per line (launcher §1.2).
pub(crate) fn eval_targets(ctx: Ctx<'_>, body: Option<&str>) -> Res<Vec<EvalTarget>> {
    let mut out: Vec<EvalTarget> = Vec::new();
    for line in lines(body.unwrap_or("")) {
        let target = eval_target(ctx, line, out.len())?;
        if out.iter().any(|seen| seen.id == target.id) {
            return Err(ctx.err(
                K::DuplicateEvalTarget,
                Some(line),
                format!("Duplicate eval target \"{}\" in {}", target.id, ctx.path),
            ));
        }
        out.push(target);
    }
    Ok(out)
}

fn eval_target(ctx: Ctx<'_>, line: &str, index: usize) -> Res<EvalTarget> {
    let invalid = |message: String| ctx.err(K::InvalidEvalTarget, Some(line), message);
    let body = line
        .strip_prefix('-')
        .filter(|rest| rest.starts_with(is_js_space))
        .map(|rest| rest.trim_start_matches(is_js_space))
        .filter(|rest| !rest.is_empty() && !rest.chars().any(is_line_terminator));
    let Some(body) = body else {
        return Err(ctx.err(
            K::MalformedEvalTarget,
            Some(line),
            format!("Malformed eval target \"{line}\" in {}", ctx.path),
        ));
    };
    let mut fields: Vec<(String, &str)> = Vec::new();
    for pair in body.split('|').map(js_trim).filter(|p| !p.is_empty()) {
        let malformed = || {
            ctx.err(
                K::MalformedEvalTargetField,
                Some(line),
                format!("Malformed eval target field \"{pair}\" in {}", ctx.path),
            )
        };
        let colon = pair.find(':').filter(|&i| i > 0).ok_or_else(malformed)?;
        let key = js_trim(&pair[..colon]).to_lowercase();
        let value = strip_wrapped_any_quotes(&pair[colon + 1..]);
        if key.is_empty() || value.is_empty() {
            return Err(malformed());
        }
        fields.retain(|(k, _)| *k != key);
        fields.push((key, value));
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| js_trim(v))
            .unwrap_or("")
    };
    let id_rule = |value: &str, label: String| -> Res<String> {
        let id = js_trim(value).to_lowercase();
        if is_lower_id(&id) {
            Ok(id)
        } else {
            Err(invalid(format!(
                "{label} must match /^[a-z0-9][a-z0-9._-]*$/"
            )))
        }
    };
    let id = id_rule(field("id"), format!("evalTargets[{index}].id"))?;
    let selection = match field("selection").to_lowercase().as_str() {
        "pinned" => EvalSelection::Pinned,
        "delegated" => EvalSelection::Delegated,
        _ => {
            return Err(invalid(format!(
                "evalTargets[{index}].selection must be one of: pinned, delegated"
            )))
        }
    };
    let family = field("benchmark-family");
    let benchmark_family = if family.is_empty() {
        None
    } else {
        Some(id_rule(
            family,
            format!("evalTargets[{index}].benchmark-family"),
        )?)
    };
    let mut benchmarks = Vec::new();
    for (i, entry) in field("benchmarks")
        .split(',')
        .map(js_trim)
        .filter(|e| !e.is_empty())
        .enumerate()
    {
        benchmarks.push(id_rule(
            entry,
            format!("evalTargets[{index}].benchmarks[{i}]"),
        )?);
    }
    let objective = field("objective").to_string();
    let threshold = field("threshold").to_string();
    if objective.is_empty() {
        return Err(invalid(format!(
            "evalTargets[{index}].objective is required"
        )));
    }
    if threshold.is_empty() {
        return Err(invalid(format!(
            "evalTargets[{index}].threshold is required"
        )));
    }
    if selection == EvalSelection::Delegated && benchmark_family.is_none() {
        return Err(invalid(format!(
            "evalTargets[{index}] must declare benchmark-family when selection=delegated"
        )));
    }
    if selection == EvalSelection::Pinned && benchmarks.is_empty() {
        return Err(invalid(format!(
            "evalTargets[{index}] must declare benchmarks when selection=pinned"
        )));
    }
    Ok(EvalTarget {
        id,
        selection,
        benchmark_family,
        benchmarks,
        objective,
        threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_environment_shapes() {
        let env = deploy_environment("- `Prod`: `K8s` DEFAULT (main cluster)").unwrap();
        assert_eq!(
            (env.id.as_str(), env.kind.as_str(), env.is_default),
            ("Prod", "K8s", true)
        );
        assert_eq!(env.notes.as_deref(), Some("main cluster"));
        let env = deploy_environment("- dev: docker (local only)").unwrap();
        assert!(!env.is_default);
        assert_eq!(env.notes.as_deref(), Some("local only"));
        assert_eq!(
            deploy_environment("- prod: k8sdefault").unwrap().kind,
            "k8sdefault"
        );
        assert!(deploy_environment("- prod: k8s default(x)").is_none());
        assert!(deploy_environment("- prod: k8s extra").is_none());
        assert!(deploy_environment("- prod k8s").is_none());
    }
}
