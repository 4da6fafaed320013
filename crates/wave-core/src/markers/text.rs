//! Small text primitives shared by the marker extractor and grammar.
//!
//! Upstream's matching is done by JavaScript regular expressions, so "whitespace", "trim" and
//! "line terminator" here follow ECMAScript's definitions (`\s`, `String.prototype.trim`, the
//! four line terminators) rather than Rust's `char::is_whitespace`, and lengths of the log window
//! are counted in UTF-16 code units as JavaScript's `String.length` does.

use std::borrow::Cow;

/// ECMAScript `\s`: WhiteSpace plus LineTerminator.
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// ECMAScript LineTerminator (what `.` refuses and multiline `^`/`$` split on).
pub(crate) fn is_js_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// `String.prototype.trim`.
pub(crate) fn js_trim(text: &str) -> &str {
    text.trim_matches(is_js_space)
}

/// Skips `\s*`.
pub(crate) fn skip_ws(text: &str) -> &str {
    text.trim_start_matches(is_js_space)
}

/// Skips `\s+`; `None` when no whitespace is there.
pub(crate) fn skip_ws1(text: &str) -> Option<&str> {
    let rest = skip_ws(text);
    (rest.len() < text.len()).then_some(rest)
}

/// Strips an ASCII `prefix`, ignoring ASCII case (regex `i` flag semantics for ASCII literals).
pub(crate) fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, tail) = (text.as_bytes(), prefix.as_bytes());
    if head.len() >= tail.len() && head[..tail.len()].eq_ignore_ascii_case(tail) {
        // The matched bytes equal ASCII bytes, so `prefix.len()` is a char boundary.
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// Byte offsets of every occurrence of the ASCII `needle` in `hay`, ignoring ASCII case.
pub(crate) fn find_all_ci(hay: &str, needle: &str) -> Vec<usize> {
    let (hay_b, needle_b) = (hay.as_bytes(), needle.as_bytes());
    if needle_b.is_empty() || hay_b.len() < needle_b.len() {
        return Vec::new();
    }
    (0..=hay_b.len() - needle_b.len())
        .filter(|&i| hay_b[i..i + needle_b.len()].eq_ignore_ascii_case(needle_b))
        .collect()
}

/// First occurrence of the ASCII `needle` in `hay`, ignoring ASCII case.
pub(crate) fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (hay_b, needle_b) = (hay.as_bytes(), needle.as_bytes());
    if needle_b.is_empty() || hay_b.len() < needle_b.len() {
        return None;
    }
    (0..=hay_b.len() - needle_b.len())
        .find(|&i| hay_b[i..i + needle_b.len()].eq_ignore_ascii_case(needle_b))
}

/// Splits like JavaScript's `split(/\r?\n/)`.
pub(crate) fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
}

/// Splits at every ECMAScript line terminator (multiline `^`/`$` boundaries).
pub(crate) fn split_js_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_js_line_terminator)
}

/// The last `max_units` UTF-16 code units of `text`, like JavaScript's `text.slice(-max_units)`.
///
/// Never splits a character: when the window would start in the middle of a surrogate pair
/// (JavaScript would keep a lone low surrogate there), the half character is represented by
/// U+FFFD so that the first line of the window keeps the same "non-blank, not a marker" shape.
pub fn tail_utf16(text: &str, max_units: usize) -> Cow<'_, str> {
    let mut units = 0usize;
    for (index, c) in text.char_indices().rev() {
        let width = c.len_utf16();
        if units + width > max_units {
            let start = index + c.len_utf8();
            if units < max_units {
                // Straddling surrogate pair: JavaScript keeps its low half.
                let mut owned = String::with_capacity(text.len() - start + 3);
                owned.push('\u{fffd}');
                owned.push_str(&text[start..]);
                return Cow::Owned(owned);
            }
            return Cow::Borrowed(&text[start..]);
        }
        units += width;
    }
    Cow::Borrowed(text)
}

/// Parses `\d+` (ASCII digits) greedily. Values beyond `u64` saturate.
pub(crate) fn take_digits(text: &str) -> Option<(u64, &str)> {
    let end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    if end == 0 {
        return None;
    }
    let value = text[..end].bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    });
    Some((value, &text[end..]))
}

/// Takes a non-empty run of characters accepted by `pred`.
pub(crate) fn take_run(text: &str, pred: impl Fn(char) -> bool) -> Option<(&str, &str)> {
    let end = text.find(|c: char| !pred(c)).unwrap_or(text.len());
    (end > 0).then(|| text.split_at(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_counts_utf16_units_and_never_splits() {
        assert_eq!(tail_utf16("abc", 2), "bc");
        assert_eq!(tail_utf16("abc", 5), "abc");
        assert_eq!(tail_utf16("é€x", 2), "€x");
        // U+1F600 is two UTF-16 units.
        assert_eq!(tail_utf16("a\u{1F600}b", 3), "\u{1F600}b");
        assert_eq!(tail_utf16("a\u{1F600}b", 2), "\u{fffd}b");
        assert_eq!(tail_utf16("", 0), "");
        assert_eq!(tail_utf16("abc", 0), "");
    }

    #[test]
    fn js_whitespace_rules() {
        assert_eq!(js_trim("\u{feff} x \u{a0}"), "x");
        assert!(!is_js_space('\u{85}'));
        assert_eq!(skip_ws1("  a"), Some("a"));
        assert_eq!(skip_ws1("a"), None);
        assert_eq!(take_digits("0123x"), Some((123, "x")));
        assert_eq!(
            take_digits("99999999999999999999999").map(|v| v.0),
            Some(u64::MAX)
        );
        assert_eq!(strip_prefix_ci("DeTail=x", "detail="), Some("x"));
        assert_eq!(strip_prefix_ci("dé", "de"), None);
        assert_eq!(find_all_ci("aDETAIL=detail=", "detail="), vec![1, 8]);
        assert_eq!(
            split_lines("a\r\nb\rc\n").collect::<Vec<_>>(),
            vec!["a", "b\rc", ""]
        );
    }
}
