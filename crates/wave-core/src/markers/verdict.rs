//! cont-QA verdicts: `Verdict: X` lines of a report file and `[wave-verdict]` log markers.
//!
//! Within one source the last occurrence wins; a report verdict takes precedence over the log
//! marker; `hold` reads as concerns and `fail` as blocked.

use serde::{Deserialize, Serialize};

use super::grammar::{parse_marker, Marker, Verdict};
use super::text::{is_js_line_terminator, js_trim, skip_ws, strip_prefix_ci};

/// A verdict with its detail text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerdictRecord {
    /// The normalised verdict.
    pub verdict: Verdict,
    /// Detail text (trimmed, a leading `detail=` removed).
    pub detail: String,
}

fn clean_detail(raw: &str) -> String {
    let trimmed = js_trim(raw);
    js_trim(strip_prefix_ci(trimmed, "detail=").unwrap_or(trimmed)).to_string()
}

/// The last `Verdict: <PASS|CONCERNS|BLOCKED|HOLD|FAIL>` line of a report text.
///
/// Reproduces upstream's multiline pattern exactly, including its quirks: the line must start
/// with `Verdict:` (no indentation), the word must end at a word boundary, and the detail is
/// whatever follows after optional whitespace and one optional `-`/`:` — where that whitespace
/// may run over line breaks, so a verdict line followed by a non-blank line takes that line as
/// its detail (and a `Verdict:` line consumed that way is not read as a verdict of its own).
pub fn parse_report_verdict(text: &str) -> Option<VerdictRecord> {
    let mut last = None;
    let mut index = 0usize;
    let mut at_line_start = true;
    while index <= text.len() {
        if at_line_start {
            if let Some((record, end)) = report_verdict_at(&text[index..]) {
                last = Some(record);
                index += end;
                at_line_start = false;
                continue;
            }
        }
        let Some(c) = text[index..].chars().next() else {
            break;
        };
        at_line_start = is_js_line_terminator(c);
        index += c.len_utf8();
    }
    last
}

/// Matches at the start of `text`; returns the record and the match length in bytes.
fn report_verdict_at(text: &str) -> Option<(VerdictRecord, usize)> {
    let rest = skip_ws(strip_prefix_ci(text, "verdict:")?);
    let word = ["pass", "concerns", "blocked", "hold", "fail"]
        .into_iter()
        .find(|w| strip_prefix_ci(rest, w).is_some())?;
    let rest = &rest[word.len()..];
    if rest
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    let rest = skip_ws(rest);
    let rest = rest.strip_prefix(['-', ':']).unwrap_or(rest);
    let rest = skip_ws(rest);
    let detail_end = rest.find(is_js_line_terminator).unwrap_or(rest.len());
    let end = text.len() - rest.len() + detail_end;
    let verdict = Verdict::from_word(word)?;
    Some((
        VerdictRecord {
            verdict,
            detail: clean_detail(&rest[..detail_end]),
        },
        end,
    ))
}

/// The last `[wave-verdict]` marker among canonical marker lines.
pub fn parse_log_verdict<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<VerdictRecord> {
    lines
        .into_iter()
        .filter_map(|line| match parse_marker(line) {
            Some(Marker::Verdict(marker)) => Some(VerdictRecord {
                verdict: marker.verdict,
                detail: clean_detail(&marker.detail),
            }),
            _ => None,
        })
        .last()
}

/// Report verdict if there is one, else the log verdict.
pub fn resolve_verdict(
    report: Option<VerdictRecord>,
    log: Option<VerdictRecord>,
) -> Option<VerdictRecord> {
    report.or(log)
}
