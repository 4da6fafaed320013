//! Locating things in a wave file: agent headers, wave-level `## ` sections, agent `### `
//! sub-sections, the commit message and role prompts' standing-prompt block.
//!
//! Each function reproduces one of upstream's regular expressions (named in its doc) including
//! its quirks, over JavaScript's notion of lines (`\n`, `\r`, U+2028, U+2029).

use super::text::{
    find_fence, find_line_with_prefix_and_space, is_js_space, is_line_terminator, js_trim,
    line_starts,
};

/// One agent header found by `/^## Agent ([^:]+):\s*(.+)$/gm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentHeader {
    /// `[^:]+` trimmed. The class also matches line breaks, so a header without `:` runs into
    /// the following lines up to the next colon anywhere (upstream quirk, kept).
    pub agent_id: String,
    /// `(.+)` trimmed (may be empty when the rest of the line is only spaces).
    pub title: String,
    /// Byte offset of the header.
    pub start: usize,
    /// Byte offset just after the matched header.
    pub end: usize,
}

/// All agent headers, in order, with non-overlapping matches as the `g` flag finds them.
pub(crate) fn agent_headers(content: &str) -> Vec<AgentHeader> {
    const PREFIX: &str = "## Agent ";
    let mut headers = Vec::new();
    let mut resume = 0;
    for start in line_starts(content) {
        if start < resume {
            continue;
        }
        let Some(after_prefix) = content.get(start..).and_then(|r| r.strip_prefix(PREFIX)) else {
            continue;
        };
        let id_start = start + PREFIX.len();
        let Some(colon_rel) = after_prefix.find(':') else {
            // No colon anywhere after this point: no later header can match either.
            break;
        };
        if colon_rel == 0 {
            continue;
        }
        let id = &after_prefix[..colon_rel];
        let after_colon = id_start + colon_rel + 1;
        let Some(tail) = content.get(after_colon..) else {
            continue;
        };
        // `\s*` greedy, then `.+` needs one non-terminator character: take the end of the
        // whitespace run; at end of input, back off to the last non-terminator space.
        let ws_len = tail.find(|c: char| !is_js_space(c)).unwrap_or(tail.len());
        let title_start = if ws_len < tail.len() {
            Some(ws_len)
        } else {
            tail[..ws_len]
                .char_indices()
                .rev()
                .find(|(_, c)| !is_line_terminator(*c))
                .map(|(i, _)| i)
        };
        let Some(title_start) = title_start else {
            continue;
        };
        let title_tail = &tail[title_start..];
        let title_len = title_tail
            .find(is_line_terminator)
            .unwrap_or(title_tail.len());
        let end = after_colon + title_start + title_len;
        headers.push(AgentHeader {
            agent_id: js_trim(id).to_string(),
            title: js_trim(&title_tail[..title_len]).to_string(),
            start,
            end,
        });
        resume = end;
    }
    headers
}

/// Body of the first wave-level section `/^## <heading>\s*$/m`, up to the next line matching
/// `/^##\s+/m`, trimmed. `None` when the heading is absent.
pub(crate) fn top_level_section<'c>(content: &'c str, heading: &str) -> Option<&'c str> {
    let needle = format!("## {heading}");
    let body_start = line_starts(content).find_map(|start| {
        let rest = content.get(start..)?.strip_prefix(needle.as_str())?;
        // `\s*$`: the whitespace run after the heading must reach a line break or the end.
        let ws_len = rest.find(|c: char| !is_js_space(c)).unwrap_or(rest.len());
        let ends_line = ws_len == rest.len() || rest[..ws_len].chars().any(is_line_terminator);
        ends_line.then_some(start + needle.len())
    })?;
    let after = content.get(body_start..)?;
    // `after` starts right after the heading text, where `^` cannot match in the original.
    let end = line_starts(after)
        .skip(1)
        .find(|&at| {
            after
                .get(at..)
                .and_then(|r| r.strip_prefix("##"))
                .and_then(|r| r.chars().next())
                .is_some_and(is_js_space)
        })
        .unwrap_or(after.len());
    Some(js_trim(&after[..end]))
}

/// Body of an agent sub-section: the first `### <heading>` immediately followed by `\r`/`\n`
/// (searched anywhere in the block, not only at line starts), skipping the line breaks, up to
/// the next line matching `/^###\s+/m`, trimmed.
pub(crate) fn agent_subsection<'c>(block: &'c str, heading: &str) -> Option<&'c str> {
    let needle = format!("### {heading}");
    let mut from = 0;
    loop {
        let at = from + block.get(from..)?.find(needle.as_str())?;
        let after = at + needle.len();
        let rest = block.get(after..)?;
        if rest.starts_with(['\r', '\n']) {
            let rest = rest.trim_start_matches(['\r', '\n']);
            let end = find_line_with_prefix_and_space(rest, "###").unwrap_or(rest.len());
            return Some(js_trim(&rest[..end]));
        }
        from = at + 1;
    }
}

/// The commit message: `/\*\*Commit message\*\*:\s*`([^`]+)`/`, verbatim.
pub(crate) fn commit_message(content: &str) -> Option<&str> {
    const NEEDLE: &str = "**Commit message**:";
    let mut from = 0;
    while let Some(found) = content.get(from..).and_then(|r| r.find(NEEDLE)) {
        let at = from + found;
        let rest = &content[at + NEEDLE.len()..];
        let rest = rest.trim_start_matches(is_js_space);
        if let Some(body) = rest.strip_prefix('`') {
            if let Some(close) = body.find('`') {
                if close > 0 {
                    return Some(&body[..close]);
                }
            }
        }
        from = at + 1;
    }
    None
}

/// Outcome of reading a role prompt's standing prompt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StandingPrompt<'c> {
    /// The trimmed fence content.
    Found(&'c str),
    /// No `## Standing prompt` followed by a line break.
    NoSection,
    /// The section exists but no fenced block follows it anywhere in the file.
    NoFence,
}

/// `/## Standing prompt[\r\n]+/` (anywhere), then the first fenced block after it.
pub(crate) fn standing_prompt(doc: &str) -> StandingPrompt<'_> {
    const NEEDLE: &str = "## Standing prompt";
    let mut from = 0;
    while let Some(found) = doc.get(from..).and_then(|r| r.find(NEEDLE)) {
        let at = from + found;
        let rest = &doc[at + NEEDLE.len()..];
        if rest.starts_with(['\r', '\n']) {
            let rest = rest.trim_start_matches(['\r', '\n']);
            return match find_fence(rest) {
                Some(fence) => StandingPrompt::Found(js_trim(fence)),
                None => StandingPrompt::NoFence,
            };
        }
        from = at + 1;
    }
    StandingPrompt::NoSection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_js_regex() {
        let text = "## Agent A1: One\nbody\n## Agent B 2 :  Two words  \n## Agent nocolon\nx: y\n";
        let headers = agent_headers(text);
        let ids: Vec<_> = headers
            .iter()
            .map(|h| (h.agent_id.as_str(), h.title.as_str()))
            .collect();
        assert_eq!(
            ids,
            [("A1", "One"), ("B 2", "Two words"), ("nocolon\nx", "y")]
        );
        assert!(agent_headers("## Agent A1:\n").is_empty());
        assert_eq!(agent_headers("## Agent A1:  ")[0].title, "");
        assert_eq!(agent_headers("## Agent A1:\nTitle")[0].title, "Title");
        assert!(agent_headers(" ## Agent A1: t").is_empty());
        assert!(agent_headers("## Agent : t").is_empty());
    }

    #[test]
    fn top_level_sections() {
        let text = "## Eval targets  \n- a\n### not end\n## Next\n- b";
        assert_eq!(
            top_level_section(text, "Eval targets"),
            Some("- a\n### not end")
        );
        assert_eq!(top_level_section(text, "Next"), Some("- b"));
        assert_eq!(
            top_level_section("## Eval targets x\n", "Eval targets"),
            None
        );
        assert_eq!(
            top_level_section("## Eval targets\n##\n- z", "Eval targets"),
            Some("")
        );
        assert_eq!(
            top_level_section("x ## Eval targets\n- a", "Eval targets"),
            None
        );
    }

    #[test]
    fn subsections() {
        let block = "\n### Skills \n- x\n#### Skills\n- y\n### Next\n";
        assert_eq!(agent_subsection(block, "Skills"), Some("- y"));
        assert_eq!(
            agent_subsection("### Prompt\n\n\n### Other\n", "Prompt"),
            Some("")
        );
        assert_eq!(
            agent_subsection("### Prompt\n- a\n###\n- b", "Prompt"),
            Some("- a")
        );
        assert_eq!(
            agent_subsection("### Prompt\n- a\n###x\n- b", "Prompt"),
            Some("- a\n###x\n- b")
        );
        assert_eq!(agent_subsection("### Promptx\n", "Prompt"), None);
    }

    #[test]
    fn commit_message_rule() {
        assert_eq!(
            commit_message("**Commit message**: `Fix: x`"),
            Some("Fix: x")
        );
        assert_eq!(
            commit_message("**Commit message**:``\n**Commit message**:\n `b`"),
            Some("b")
        );
        assert_eq!(commit_message("**Commit message**: none"), None);
    }

    #[test]
    fn standing_prompts() {
        assert_eq!(
            standing_prompt("## Standing prompt\n\n```text\nBe good.\n```\n"),
            StandingPrompt::Found("Be good.")
        );
        assert_eq!(
            standing_prompt("## Standing prompt \n```\nx\n```"),
            StandingPrompt::NoSection
        );
        assert_eq!(
            standing_prompt("## Standing prompt\nnone"),
            StandingPrompt::NoFence
        );
    }
}
