//! Reading loosely typed JSON values the way upstream's normalizers do.
//!
//! Upstream coerces almost everything through `String(value)` and treats falsy values (`null`,
//! `""`, `false`, `0`) as "use the default". These helpers reproduce those decisions for the
//! shapes real configs use, and report a [`ConfigError`] naming the JSON path where upstream would
//! have produced nonsense (an object or array where a string belongs — upstream would read
//! `"[object Object]"`); those are the places where this port is stricter.

use serde_json::{Map, Value};

use super::ConfigError;

pub(crate) use crate::vocab::string_enum;

/// `true` for the values JavaScript treats as falsy (`undefined` is "absent" and never reaches
/// here): `null`, `false`, `0`, `""`.
pub(crate) fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(_) | Value::Object(_) => false,
    }
}

/// Joins a JSON path prefix and a key (`"" + "roles"` → `roles`).
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A scalar as upstream's `String(value)` would print it; `None` for arrays and objects.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// The object at `value`, or `None` when it is not an object (upstream ignores such sections).
pub(crate) fn as_object(value: Option<&Value>) -> Option<&Map<String, Value>> {
    value.and_then(Value::as_object)
}

/// A string field: `None` when absent or falsy, the trimmed text otherwise (empty after trimming
/// is also `None`). Arrays and objects are an error.
pub(crate) fn opt_string(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, ConfigError> {
    match obj.get(key) {
        None => Ok(None),
        Some(value) if is_falsy(value) => Ok(None),
        Some(value) => {
            let text = scalar_text(value)
                .ok_or_else(|| ConfigError::invalid(join(path, key), "expected a string"))?;
            let text = text.trim();
            Ok((!text.is_empty()).then(|| text.to_string()))
        }
    }
}

/// Whether `key` is present in `obj` at all (a present `null` counts).
pub(crate) fn has(obj: &Map<String, Value>, key: &str) -> bool {
    obj.contains_key(key)
}

/// JavaScript's `Number.parseInt(String(value), 10)`: leading whitespace, optional sign, then the
/// longest run of digits. `None` where JavaScript yields `NaN`; saturates on overflow.
pub(crate) fn js_parse_int(text: &str) -> Option<i64> {
    let text = text.trim_start();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits: &str = &rest[..rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len())];
    if digits.is_empty() {
        return None;
    }
    let magnitude = digits.bytes().fold(0i64, |acc, d| {
        acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// An integer-ish JSON value read with [`js_parse_int`] semantics (`12`, `"12"`, `12.7`).
pub(crate) fn value_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        Value::String(s) => js_parse_int(s),
        _ => None,
    }
}

/// Upstream's `normalizeOptionalPositiveInt`: absent/`null`/`""` → `None`; otherwise a positive
/// integer or an error.
pub(crate) fn opt_positive_int(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<u32>, ConfigError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(value) => value_int(value)
            .filter(|n| *n > 0)
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                ConfigError::invalid(
                    join(path, key),
                    format!("must be a positive integer, got: {}", display_value(value)),
                )
            }),
    }
}

/// Upstream's boolean spellings (`true/1/yes/on`, `false/0/no/off`).
pub(crate) fn parse_bool_text(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Upstream's `normalizeOptionalBoolean(value, false)` for a present key: `null`/`""` → `false`.
pub(crate) fn bool_value(value: &Value, path: &str) -> Result<bool, ConfigError> {
    match value {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.is_empty() => Ok(false),
        other => scalar_text(other)
            .and_then(|t| parse_bool_text(&t))
            .ok_or_else(|| {
                ConfigError::invalid(
                    path,
                    format!("Invalid boolean value: {}", display_value(other)),
                )
            }),
    }
}

/// Upstream's `normalizeOptionalStringArray`: a non-array is `None` (the caller's default);
/// entries are trimmed, empty and `null` entries dropped.
pub(crate) fn string_array(value: &Value, path: &str) -> Result<Option<Vec<String>>, ConfigError> {
    let Value::Array(items) = value else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        if is_falsy(item) {
            continue;
        }
        let text = scalar_text(item)
            .ok_or_else(|| ConfigError::invalid(format!("{path}[{index}]"), "expected a string"))?;
        let text = text.trim();
        if !text.is_empty() {
            out.push(text.to_string());
        }
    }
    Ok(Some(out))
}

/// Upstream's `normalizeOptionalStringOrStringArray`: `null`/`""` → empty, a scalar → one entry,
/// an array → its non-empty trimmed entries.
pub(crate) fn string_or_array(value: &Value, path: &str) -> Result<Vec<String>, ConfigError> {
    match value {
        Value::Array(_) => Ok(string_array(value, path)?.unwrap_or_default()),
        Value::Object(_) => Err(ConfigError::invalid(
            path,
            "expected a string or a list of strings",
        )),
        scalar => {
            let text = scalar_text(scalar).unwrap_or_default();
            let text = text.trim();
            Ok(if text.is_empty() {
                Vec::new()
            } else {
                vec![text.to_string()]
            })
        }
    }
}

/// Upstream's `normalizeOptionalJsonObject`: `null`/`""` → `None`, an object → itself, anything
/// else is an error.
pub(crate) fn json_object(
    value: &Value,
    path: &str,
) -> Result<Option<Map<String, Value>>, ConfigError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::Object(map) => Ok(Some(map.clone())),
        _ => Err(ConfigError::invalid(path, "must be a JSON object")),
    }
}

/// A short rendering of a value for error messages (strings unquoted, as upstream prints them).
pub(crate) fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Upstream's `normalizeRepoRelativePath`: trims, turns `\` into `/`, drops a leading `./`,
/// collapses `//` and one trailing `/`. Empty is an error; so is any absolute path or any `..`
/// segment (upstream only rejects a leading `/`, a leading `../` and `/../`; a bare `..` or a
/// trailing `/..` slips through there — this port rejects them too).
pub(crate) fn repo_path(raw: &str, path: &str) -> Result<String, ConfigError> {
    let mut text = raw.trim().replace('\\', "/");
    while let Some(rest) = text.strip_prefix("./") {
        text = rest.to_string();
    }
    let mut collapsed = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch == '/' && collapsed.ends_with('/') {
            continue;
        }
        collapsed.push(ch);
    }
    if collapsed.len() > 1 && collapsed.ends_with('/') {
        collapsed.pop();
    }
    if collapsed.is_empty() {
        return Err(ConfigError::invalid(path, "is required"));
    }
    let escapes = collapsed.starts_with('/')
        || collapsed.split('/').any(|segment| segment == "..")
        || (collapsed.len() >= 2 && collapsed.as_bytes()[1] == b':');
    if escapes {
        return Err(ConfigError::invalid(
            path,
            format!("must stay within the repository: {raw}"),
        ));
    }
    Ok(collapsed)
}

/// A path field: `None` when absent or falsy, a normalized repo-relative path otherwise.
pub(crate) fn opt_repo_path(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, ConfigError> {
    let field = join(path, key);
    opt_string(obj, key, path)?
        .map(|text| repo_path(&text, &field))
        .transpose()
}

/// Upstream's `normalizeOptionalPathArray`: a non-array is `None`; each entry a repo path.
pub(crate) fn opt_path_array(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<Vec<String>>, ConfigError> {
    let field = join(path, key);
    let Some(Value::Array(items)) = obj.get(key) else {
        return Ok(None);
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let entry = format!("{field}[{index}]");
            let text = scalar_text(item)
                .ok_or_else(|| ConfigError::invalid(entry.clone(), "expected a string"))?;
            repo_path(&text, &entry)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Joins two repo-relative paths the way upstream's `joinRepoPath` does (`.` is the root).
pub(crate) fn join_repo_path(base: &str, child: &str) -> String {
    let base = base.trim_end_matches('/');
    let child = child.trim_start_matches("./").trim_end_matches('/');
    if base.is_empty() || base == "." {
        child.to_string()
    } else if child.is_empty() {
        base.to_string()
    } else {
        format!("{base}/{child}")
    }
}

/// Upstream's id sanitizer for lanes and projects: lower-case, runs of characters outside
/// `[a-z0-9_-]` become `-`, dashes collapsed and trimmed; must then start with `[a-z0-9]`.
pub(crate) fn sanitize_id(raw: &str) -> Option<String> {
    let lowered = raw.trim().to_lowercase();
    let mut out = String::new();
    for ch in lowered.chars() {
        let keep = ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-';
        let ch = if keep { ch } else { '-' };
        if ch == '-' && out.ends_with('-') {
            continue;
        }
        out.push(ch);
    }
    let out = out.trim_matches('-').to_string();
    let valid = out
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    valid.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_int_follows_javascript() {
        assert_eq!(js_parse_int("12"), Some(12));
        assert_eq!(js_parse_int(" 12abc"), Some(12));
        assert_eq!(js_parse_int("-3"), Some(-3));
        assert_eq!(js_parse_int("1.9"), Some(1));
        assert_eq!(js_parse_int("abc"), None);
        assert_eq!(js_parse_int(""), None);
        assert_eq!(js_parse_int("-"), None);
    }

    #[test]
    fn repo_paths_are_normalized_and_contained() {
        assert_eq!(repo_path(" ./docs//plans/ ", "p").unwrap(), "docs/plans");
        assert_eq!(repo_path("docs\\waves", "p").unwrap(), "docs/waves");
        assert_eq!(repo_path(".", "p").unwrap(), ".");
        for bad in ["/etc", "../x", "a/../../b", "..", "a/..", "C:/x"] {
            let err = repo_path(bad, "paths.docsDir").unwrap_err().to_string();
            assert!(
                err.contains("paths.docsDir: must stay within the repository"),
                "{err}"
            );
        }
        assert!(repo_path("  ", "p")
            .unwrap_err()
            .to_string()
            .contains("is required"));
    }

    #[test]
    fn ids_are_sanitized_like_upstream() {
        assert_eq!(sanitize_id("Main").as_deref(), Some("main"));
        assert_eq!(sanitize_id(" My Lane!! ").as_deref(), Some("my-lane"));
        assert_eq!(sanitize_id("_x"), None);
        assert_eq!(sanitize_id("---"), None);
    }

    #[test]
    fn join_repo_path_treats_dot_as_root() {
        assert_eq!(join_repo_path(".", "docs"), "docs");
        assert_eq!(join_repo_path("svc/api", "docs"), "svc/api/docs");
        assert_eq!(join_repo_path("docs", "main"), "docs/main");
    }
}
