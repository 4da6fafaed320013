//! JavaScript value semantics the auxiliary loaders need to reproduce upstream's messages:
//! `String(v)` / template interpolation, `String(v || "")`, `Number.parseInt(String(v), 10)`,
//! object key iteration order, and the path predicates (`path.isAbsolute`/`path.relative`
//! containment, the report-name patterns) upstream writes as regular expressions.

use serde_json::{Map, Value};

/// `String(value)` / `${value}` for a JSON value (`None` is `undefined`).
pub(crate) fn display(value: Option<&Value>) -> String {
    match value {
        None => "undefined".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => number_text(n),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => display(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".into(),
    }
}

fn number_text(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        Some(f) => f.to_string(),
        None => n.to_string(),
    }
}

/// Whether JavaScript considers the value falsy (`undefined`, `null`, `false`, `0`, `""`).
pub(crate) fn falsy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => !b,
        Some(Value::Number(n)) => n.as_f64().is_none_or(|f| f == 0.0 || f.is_nan()),
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// `String(value || "").trim()`.
pub(crate) fn text_or_empty(value: Option<&Value>) -> String {
    if falsy(value) {
        String::new()
    } else {
        display(value).trim().to_string()
    }
}

/// `Number.parseInt(String(value), 10)`; `None` is `NaN`.
pub(crate) fn parse_int(value: Option<&Value>) -> Option<i64> {
    let text = display(value);
    let text = text.trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    // Saturate instead of overflowing: only the sign and "is it ≥ 0" matter to callers.
    let magnitude = digits[..end].parse::<i64>().unwrap_or(i64::MAX);
    Some(if negative { -magnitude } else { magnitude })
}

/// `Number.parseInt(String(v ?? "1"), 10) || 1` (the `version` fields).
pub(crate) fn version(value: Option<&Value>) -> i64 {
    let value = match value {
        None | Some(Value::Null) => None,
        other => other,
    };
    match value {
        None => 1,
        Some(v) => parse_int(Some(v)).filter(|n| *n != 0).unwrap_or(1),
    }
}

/// A plain object (`v && typeof v === "object" && !Array.isArray(v)`).
pub(crate) fn object(value: Option<&Value>) -> Option<&Map<String, Value>> {
    value.and_then(Value::as_object)
}

/// `Object.entries(map)` order: array-index keys ascending first, then insertion order.
pub(crate) fn entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    fn index(key: &str) -> Option<u32> {
        let canonical = key == "0" || (!key.is_empty() && !key.starts_with('0'));
        if !canonical || !key.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        key.parse::<u32>().ok().filter(|n| *n != u32::MAX)
    }
    let (mut indices, named): (Vec<_>, Vec<_>) = map.iter().partition(|(k, _)| index(k).is_some());
    indices.sort_by_key(|(k, _)| index(k));
    indices.extend(named);
    indices
}

/// `/^[a-z0-9][a-z0-9._-]*$/` (component, eval and benchmark ids).
pub(crate) fn is_id(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// Upstream's `cleanPath`: trim, backslashes to slashes.
pub(crate) fn clean_path(path: &str) -> String {
    path.trim().replace('\\', "/")
}

/// Upstream's `isRepoContainedPath` on POSIX: not empty, not absolute, and the normalised
/// relative path neither escapes the repo nor starts with `..` (so `..x/y` is rejected too, as
/// upstream's `startsWith("..")` does).
pub(crate) fn is_repo_contained(path: &str) -> bool {
    if path.is_empty() || path.starts_with('/') {
        return false;
    }
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return false;
                }
            }
            other => parts.push(other),
        }
    }
    !parts.join("/").starts_with("..")
}

/// Whether `path` (cleaned, ASCII case-insensitive) ends in `.md`/`.txt` and one of `words`
/// occurs — at a segment start when `segment_start` — ending no later than that extension:
/// the shape of upstream's report-name patterns `(?:^|/)…word….(md|txt)$`.
pub(crate) fn report_name_matches(path: &str, words: &[&str], segment_start: bool) -> bool {
    let lower = clean_path(path).to_ascii_lowercase();
    let ext_start = if lower.ends_with(".md") {
        lower.len() - 3
    } else if lower.ends_with(".txt") {
        lower.len() - 4
    } else {
        return false;
    };
    words.iter().any(|word| {
        lower.match_indices(word).any(|(start, _)| {
            let at_segment = start == 0 || lower.as_bytes().get(start - 1) == Some(&b'/');
            (!segment_start || at_segment) && start + word.len() <= ext_start
        })
    })
}

/// `compactSingleLine(value, max)`: whitespace runs to one space, trimmed, cut to `max` UTF-16
/// units with an ellipsis.
pub(crate) fn compact_single_line(text: &str, max: usize) -> String {
    let compact = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if compact.encode_utf16().count() <= max {
        return compact;
    }
    let units: Vec<u16> = compact.encode_utf16().take(max.saturating_sub(1)).collect();
    format!("{}…", String::from_utf16_lossy(&units))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn display_follows_javascript() {
        assert_eq!(display(None), "undefined");
        assert_eq!(display(Some(&json!(null))), "null");
        assert_eq!(display(Some(&json!(3.0))), "3");
        assert_eq!(display(Some(&json!([1, "a", null]))), "1,a,");
        assert_eq!(display(Some(&json!({}))), "[object Object]");
        assert_eq!(text_or_empty(Some(&json!(0))), "");
        assert_eq!(text_or_empty(Some(&json!(" x "))), "x");
    }

    #[test]
    fn parse_int_follows_javascript() {
        assert_eq!(parse_int(Some(&json!("3.5"))), Some(3));
        assert_eq!(parse_int(Some(&json!(" -2x"))), Some(-2));
        assert_eq!(parse_int(Some(&json!("x"))), None);
        assert_eq!(parse_int(None), None);
        assert_eq!(version(Some(&json!("0"))), 1);
        assert_eq!(version(Some(&json!(2))), 2);
    }

    #[test]
    fn containment() {
        assert!(is_repo_contained("docs/a.md"));
        assert!(is_repo_contained("a/../b"));
        assert!(!is_repo_contained("../b"));
        assert!(!is_repo_contained("/etc/passwd"));
        assert!(!is_repo_contained("..x/y"));
        assert!(!is_repo_contained(""));
    }

    #[test]
    fn report_names() {
        assert!(report_name_matches(
            "docs/reviews/wave-1.md",
            &["review"],
            true
        ));
        assert!(!report_name_matches("docs/my-review.md", &["review"], true));
        assert!(report_name_matches(
            "x/Security-Review.TXT",
            &["security"],
            false
        ));
        assert!(!report_name_matches(
            "security/notes.json",
            &["security"],
            false
        ));
        assert!(!report_name_matches(
            "x/a.md/security",
            &["security"],
            false
        ));
    }

    #[test]
    fn compaction() {
        assert_eq!(compact_single_line(" a \n b ", 10), "a b");
        assert_eq!(compact_single_line("abcdef", 4), "abc…");
    }

    #[test]
    fn entry_order() {
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"b":1,"10":2,"a":3,"2":4}"#).unwrap();
        let keys: Vec<_> = entries(&map).into_iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["2", "10", "b", "a"]);
    }
}
