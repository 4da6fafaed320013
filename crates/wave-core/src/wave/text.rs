//! JavaScript-compatible text primitives used by the wave parser.
//!
//! Upstream's grammar is a set of JavaScript regular expressions; this module owns the handful of
//! primitives needed to reproduce them exactly without a regex engine: JavaScript's `\s` and
//! `trim()`, its line terminators (what `^`/`$` see in multiline mode), `split(/\r?\n/)`, the
//! fenced-block search and the bullet shapes. Every function is total: no input can make one
//! panic, and all slicing happens on char boundaries.

/// Whether `c` is matched by JavaScript's `\s` (and stripped by `String.prototype.trim`).
///
/// JavaScript's set is Unicode `White_Space` minus U+0085 plus U+FEFF.
pub(crate) fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// Whether `c` is a JavaScript line terminator (what `.` refuses and `^`/`$` see with `m`).
pub(crate) fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// `String.prototype.trim`.
pub(crate) fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_space)
}

/// `split(/\r?\n/)`: the pieces between `\n`s, each without the `\r` right before its `\n`.
pub(crate) fn split_lines(s: &str) -> impl Iterator<Item = &str> {
    let mut pieces = s.split('\n').peekable();
    std::iter::from_fn(move || {
        let piece = pieces.next()?;
        if pieces.peek().is_some() {
            Some(piece.strip_suffix('\r').unwrap_or(piece))
        } else {
            Some(piece)
        }
    })
}

/// Byte offsets of every multiline `^` position in `s`, in order.
pub(crate) fn line_starts(s: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(
        s.char_indices()
            .filter(|(_, c)| is_line_terminator(*c))
            .map(|(i, c)| i + c.len_utf8()),
    )
}

/// First offset matching `/^<prefix>\s+/m` in `s` (the prefix at a line start, then JS space).
pub(crate) fn find_line_with_prefix_and_space(s: &str, prefix: &str) -> Option<usize> {
    line_starts(s).find(|&at| {
        s.get(at..)
            .and_then(|rest| rest.strip_prefix(prefix))
            .and_then(|rest| rest.chars().next())
            .is_some_and(is_js_space)
    })
}

/// The content of the first fenced block of `text`, as upstream's
/// `` /```(?:[a-zA-Z0-9_-]+)?\r?\n([\s\S]*?)\r?\n```/ `` captures it (untrimmed).
pub(crate) fn find_fence(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut search = 0;
    while let Some(found) = text.get(search..).and_then(|rest| rest.find("```")) {
        let open = search + found;
        let mut cursor = open + 3;
        while bytes
            .get(cursor)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        {
            cursor += 1;
        }
        if bytes.get(cursor) == Some(&b'\r') && bytes.get(cursor + 1) == Some(&b'\n') {
            cursor += 1;
        }
        if bytes.get(cursor) == Some(&b'\n') {
            let start = cursor + 1;
            // The lazy body ends at the first "\n```" at or after `start`; if there is none here,
            // no later opening can find one either.
            let close = start + text.get(start..)?.find("\n```")?;
            let end = if close > start && bytes.get(close - 1) == Some(&b'\r') {
                close - 1
            } else {
                close
            };
            return text.get(start..end);
        }
        search = open + 1;
    }
    None
}

/// The capture of `/^-\s+(.+?)\s*$/` on an already trimmed line.
pub(crate) fn bullet_text(trimmed: &str) -> Option<&str> {
    let rest = trimmed.strip_prefix('-')?;
    if !rest.chars().next().is_some_and(is_js_space) {
        return None;
    }
    let value = rest.trim_matches(is_js_space);
    if value.is_empty() || value.chars().any(is_line_terminator) {
        return None;
    }
    Some(value)
}

/// The captures of `/^-\s+([<key>]+)\s*:\s*(.+?)\s*$/` on an already trimmed line, where
/// `key_char` is the key's character class.
pub(crate) fn bullet_key_value(trimmed: &str, key_char: fn(char) -> bool) -> Option<(&str, &str)> {
    let rest = trimmed.strip_prefix('-')?;
    if !rest.chars().next().is_some_and(is_js_space) {
        return None;
    }
    let rest = rest.trim_start_matches(is_js_space);
    let key_len = rest.find(|c: char| !key_char(c)).unwrap_or(rest.len());
    if key_len == 0 {
        return None;
    }
    let (key, rest) = rest.split_at(key_len);
    let rest = rest.trim_start_matches(is_js_space).strip_prefix(':')?;
    let value = rest.trim_matches(is_js_space);
    if value.is_empty() || value.chars().any(is_line_terminator) {
        return None;
    }
    Some((key, value))
}

/// The key class `[a-zA-Z0-9_-]` (Context7, Exit contract).
pub(crate) fn is_setting_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The key class `[a-zA-Z0-9._-]` (Executor).
pub(crate) fn is_executor_key_char(c: char) -> bool {
    is_setting_key_char(c) || c == '.'
}

/// The id class `[a-z0-9._-]` under the `i` flag (ASCII only).
pub(crate) fn is_loose_id_char(c: char) -> bool {
    is_executor_key_char(c)
}

/// `/^[a-z0-9][a-z0-9._-]*$/` (case sensitive).
pub(crate) fn is_lower_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// `replace(/[`"']/g, "")`.
pub(crate) fn strip_all_quotes(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '`' | '"' | '\''))
        .collect()
}

fn is_quote(c: char) -> bool {
    matches!(c, '`' | '"' | '\'')
}

/// `replace(/^["'`]|["'`]$/g, "")`: one leading and one trailing quote character, independently.
pub(crate) fn strip_edge_quotes(s: &str) -> &str {
    let s = s.strip_prefix(is_quote).unwrap_or(s);
    s.strip_suffix(is_quote).unwrap_or(s)
}

/// Upstream's `cleanExecutorValue`: trim, then [`strip_edge_quotes`].
pub(crate) fn clean_executor_value(s: &str) -> &str {
    strip_edge_quotes(js_trim(s))
}

/// Context7's `cleanText`: trim, then drop one pair of matching wrapping `"`/`'` and trim again.
pub(crate) fn clean_wrapped_quotes(s: &str) -> &str {
    let t = js_trim(s);
    let wrapped =
        (t.starts_with('"') && t.ends_with('"')) || (t.starts_with('\'') && t.ends_with('\''));
    if wrapped {
        // `slice(1, -1)` on a one-character string is empty.
        js_trim(t.get(1..t.len().saturating_sub(1)).unwrap_or(""))
    } else {
        t
    }
}

/// `cleanText(v).replace(/^["'`](.*)["'`]$/s, "$1").trim()` (eval target values).
pub(crate) fn strip_wrapped_any_quotes(s: &str) -> &str {
    let t = js_trim(s);
    let mut chars = t.chars();
    match (chars.next(), chars.next_back()) {
        (Some(first), Some(last)) if is_quote(first) && is_quote(last) => js_trim(chars.as_str()),
        _ => t,
    }
}

/// Length of `s` in UTF-16 code units (JavaScript's `length`).
pub(crate) fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// `compactSingleLine(text, max)`: whitespace runs collapsed to one space, trimmed, and cut to
/// `max` UTF-16 units with a trailing `…` (never splitting a surrogate pair).
pub(crate) fn compact_single_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    for word in text.split(is_js_space).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if utf16_len(&out) <= max {
        return out;
    }
    let mut cut = String::new();
    let mut units = 0;
    for c in out.chars() {
        if units + c.len_utf16() > max.saturating_sub(1) {
            break;
        }
        units += c.len_utf16();
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// 1-based line number of byte offset `at` in `content`.
pub(crate) fn line_of(content: &str, at: usize) -> u32 {
    let head = content.get(..at.min(content.len())).unwrap_or(content);
    u32::try_from(head.bytes().filter(|b| *b == b'\n').count() + 1).unwrap_or(u32::MAX)
}

/// Byte offset of `sub` inside `content`, when `sub` is a subslice of it.
pub(crate) fn offset_in(content: &str, sub: &str) -> Option<usize> {
    let start = content.as_ptr() as usize;
    let at = (sub.as_ptr() as usize).checked_sub(start)?;
    (at + sub.len() <= content.len()).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_lines_matches_js() {
        let pieces: Vec<_> = split_lines("a\r\nb\rc\n\nd\r").collect();
        assert_eq!(pieces, ["a", "b\rc", "", "d\r"]);
    }

    #[test]
    fn fence_search_matches_js_regex() {
        assert_eq!(find_fence("x\n```text\nhello\n```\n"), Some("hello"));
        assert_eq!(find_fence("```\r\nhi\r\n```"), Some("hi"));
        assert_eq!(find_fence("````\nfour\n```"), Some("four"));
        assert_eq!(find_fence("```\n\n```"), Some(""));
        assert_eq!(find_fence("```info string\nno\n```"), None);
        assert_eq!(find_fence("```\n```"), None);
        assert_eq!(find_fence("``` \n```a\nb\n```"), Some("b"));
    }

    #[test]
    fn bullets() {
        assert_eq!(bullet_text("- a b"), Some("a b"));
        assert_eq!(bullet_text("-a"), None);
        assert_eq!(bullet_text("-"), None);
        assert_eq!(bullet_text("- a\rb"), None);
        assert_eq!(
            bullet_key_value("- id : codex", is_executor_key_char),
            Some(("id", "codex"))
        );
        assert_eq!(bullet_key_value("- id:", is_executor_key_char), None);
        assert_eq!(bullet_key_value("- a.b: c", is_setting_key_char), None);
    }

    #[test]
    fn quotes_and_compaction() {
        assert_eq!(strip_edge_quotes("\"x'"), "x");
        assert_eq!(strip_edge_quotes("\""), "");
        assert_eq!(clean_wrapped_quotes("\" q \""), "q");
        assert_eq!(clean_wrapped_quotes("\""), "");
        assert_eq!(strip_wrapped_any_quotes("`a'"), "a");
        assert_eq!(compact_single_line("  a \n\t b ", 280), "a b");
        assert_eq!(compact_single_line("abcdef", 4), "abc…");
        assert!(is_js_space('\u{feff}') && !is_js_space('\u{85}'));
    }
}
