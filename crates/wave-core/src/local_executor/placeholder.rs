//! Placeholder file contents and the path rules that pick report files.
//!
//! Kinds: a cont-QA report (title, note, final `Verdict: PASS` line), a security report (the
//! six sections the security duty names), a design packet (the eight sections the design duty
//! names), any other markdown/text file (title and a short note) and a tiny stub per source
//! extension. Every placeholder says it was written by the local executor, so nobody mistakes
//! it for real work. The path rules mirror the launcher's role classification (§1.5).

/// The security report sections, in the order the security duty line lists them.
pub const SECURITY_SECTIONS: [&str; 6] = [
    "Threat Model",
    "Risky Surfaces",
    "Findings",
    "Required Approvals",
    "Requested Fixes",
    "Final Disposition",
];

/// The design packet sections, in the order the design duty line lists them.
pub const DESIGN_SECTIONS: [&str; 8] = [
    "Problem",
    "Constraints",
    "Decisions",
    "Assumptions",
    "Open Questions",
    "Interface Impacts",
    "Validation Plan",
    "Implementation Handoff",
];

/// Decisions recorded in a placeholder design packet (the `decisions=` count of `[wave-design]`).
pub const DESIGN_PLACEHOLDER_DECISIONS: u64 = 1;

const NOTE: &str =
    "Placeholder written by the Wave local executor (no LLM); replace it with real work.";

/// What kind of placeholder a planned file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceholderKind {
    /// cont-QA report ending with `Verdict: PASS`.
    ContQaReport,
    /// cont-EVAL report.
    ContEvalReport,
    /// Security report with its six sections.
    SecurityReport,
    /// Design packet with its eight sections.
    DesignPacket,
    /// Any other markdown or text document.
    Document,
    /// A source or data stub chosen by extension.
    Stub,
}

fn lower(path: &str) -> String {
    path.replace('\\', "/").to_ascii_lowercase()
}

fn extension(path: &str) -> Option<String> {
    let name = lower(path)
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_string())
}

fn file_name(path: &str) -> String {
    lower(path)
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `.md`, `.mdx` or `.txt`.
pub fn is_document(path: &str) -> bool {
    matches!(extension(path).as_deref(), Some("md" | "mdx" | "txt"))
}

fn has_review_segment(path: &str) -> bool {
    lower(path).split('/').any(|s| s.starts_with("review"))
}

/// cont-QA report: a document under a `review…` segment or naming cont-QA.
pub fn is_cont_qa_report(path: &str) -> bool {
    let p = lower(path);
    is_document(path)
        && (has_review_segment(path)
            || ["cont-qa", "cont_qa", "contqa"]
                .iter()
                .any(|w| p.contains(w)))
}

/// cont-EVAL report: a document under a `review…` segment, naming cont-EVAL, or with `eval` in
/// its file name.
pub fn is_cont_eval_report(path: &str) -> bool {
    let p = lower(path);
    is_document(path)
        && (has_review_segment(path)
            || ["cont-eval", "cont_eval", "conteval"]
                .iter()
                .any(|w| p.contains(w))
            || file_name(path).contains("eval"))
}

/// Security report: a document whose path contains `security`.
pub fn is_security_report(path: &str) -> bool {
    is_document(path) && lower(path).contains("security")
}

/// Design packet: a document whose path contains `design`, `handoff` or `decision-lineage`.
pub fn is_design_packet(path: &str) -> bool {
    let p = lower(path);
    is_document(path)
        && ["design", "handoff", "decision-lineage"]
            .iter()
            .any(|w| p.contains(w))
}

/// Whether an owned entry names a file the executor may create: relative, inside the repo, no
/// whitespace or glob characters, not a directory (`…/`), and a final component with an
/// extension.
pub fn looks_like_file(path: &str) -> bool {
    safety_problem(path).is_none() && extension(path).is_some()
}

/// Why `path` may not be created by the executor, if it may not.
pub fn safety_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("empty path");
    }
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return Some("absolute path");
    }
    if path.ends_with('/') || path.ends_with('\\') {
        return Some("directory, not a file");
    }
    if path
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '*' | '?' | '[' | ']' | ','))
    {
        return Some("whitespace, control, comma or glob characters");
    }
    if path
        .split(['/', '\\'])
        .any(|s| s == ".." || s.is_empty() || s == ".")
    {
        return Some("`..`, `.` or empty path component");
    }
    None
}

fn title(path: &str) -> String {
    let name = path.replace('\\', "/");
    let name = name.rsplit('/').next().unwrap_or_default();
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let words: Vec<String> = stem
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
        .collect();
    if words.is_empty() {
        "Placeholder".into()
    } else {
        words.join(" ")
    }
}

fn sections(out: &mut Vec<String>, names: &[&str]) {
    for name in names {
        out.push(format!("## {name}"));
        out.push(String::new());
        out.push(match *name {
            "Findings" => "- None: nothing was reviewed by the local executor.".into(),
            "Required Approvals" => "- None.".into(),
            "Final Disposition" => "Clear (placeholder review).".into(),
            "Decisions" => "- D1: keep the existing structure (placeholder decision).".into(),
            "Assumptions" | "Open Questions" => "- None.".into(),
            _ => "- Placeholder.".into(),
        });
        out.push(String::new());
    }
}

/// The placeholder text for `path` of `kind`, for `agent` (`A1: Title`).
pub fn render(path: &str, kind: PlaceholderKind, agent: &str) -> String {
    let doc_head = |out: &mut Vec<String>| {
        out.push(format!("# {}", title(path)));
        out.push(String::new());
        out.push(format!("{NOTE} Agent: {agent}."));
        out.push(String::new());
    };
    let mut out = Vec::new();
    match kind {
        PlaceholderKind::ContQaReport => {
            doc_head(&mut out);
            out.push("Every gate dimension passes in this placeholder review.".into());
            out.push(String::new());
            out.push("Verdict: PASS".into());
        }
        PlaceholderKind::ContEvalReport => {
            doc_head(&mut out);
            out.push("All declared eval targets are reported satisfied (placeholder run).".into());
        }
        PlaceholderKind::SecurityReport => {
            doc_head(&mut out);
            sections(&mut out, &SECURITY_SECTIONS);
            out.pop();
        }
        PlaceholderKind::DesignPacket => {
            doc_head(&mut out);
            sections(&mut out, &DESIGN_SECTIONS);
            out.pop();
        }
        PlaceholderKind::Document => {
            doc_head(&mut out);
            out.pop();
        }
        PlaceholderKind::Stub => return stub(path, agent),
    }
    out.push(String::new());
    out.join("\n")
}

fn stub(path: &str, agent: &str) -> String {
    let note = format!("{NOTE} Agent: {agent}.");
    match extension(path).as_deref().unwrap_or_default() {
        "rs" => format!("//! {note}\n"),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "jsx" | "tsx" => {
            format!("// {note}\nexport {{}};\n")
        }
        "go" => format!("// {note}\npackage {}\n", go_package(path)),
        "c" | "h" | "cc" | "cpp" | "hpp" | "java" | "kt" | "swift" | "cs" | "scala" | "dart" => {
            format!("// {note}\n")
        }
        "css" | "scss" | "less" => format!("/* {note} */\n"),
        "py" | "rb" | "sh" | "bash" | "zsh" | "yaml" | "yml" | "toml" | "ini" | "cfg" | "conf"
        | "env" | "nix" | "r" | "pl" | "mk" => format!("# {note}\n"),
        "sql" | "lua" | "hs" => format!("-- {note}\n"),
        "html" | "htm" | "xml" | "svg" | "vue" => format!("<!-- {note} -->\n"),
        "json" => format!(
            "{{\n  \"placeholder\": true,\n  \"generatedBy\": \"wave local executor\",\n  \"agent\": {}\n}}\n",
            serde_json::Value::String(agent.to_string())
        ),
        "jsonl" | "ndjson" => format!(
            "{{\"placeholder\":true,\"agent\":{}}}\n",
            serde_json::Value::String(agent.to_string())
        ),
        _ => format!("{note}\n"),
    }
}

fn go_package(path: &str) -> String {
    let p = path.replace('\\', "/");
    let dir = p.rsplit('/').nth(1).unwrap_or("main");
    let name: String = dir
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => name,
        _ => "main".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_rules_follow_the_launcher() {
        assert!(is_cont_qa_report(
            "docs/plans/waves/reviews/wave-1-cont-qa.md"
        ));
        assert!(is_cont_qa_report("out/Cont_QA.txt"));
        assert!(!is_cont_qa_report("docs/reviews/x.json"));
        assert!(is_cont_eval_report("docs/evals/wave-1-eval.md"));
        assert!(!is_cont_eval_report("src/eval.rs"));
        assert!(is_security_report("docs/security/wave-2-review.md"));
        assert!(!is_security_report("src/security.rs"));
        assert!(is_design_packet("docs/plans/waves/design/wave-3-D1.md"));
        assert!(is_design_packet("docs/handoff.txt"));
        assert!(!is_design_packet("src/design.rs"));
    }

    #[test]
    fn unsafe_or_directory_paths_are_not_files() {
        for bad in [
            "",
            "/etc/passwd",
            "C:/x.md",
            "src/",
            "../x.md",
            "a/../../x.md",
            "a//b.md",
            "a b.md",
            "src/*.rs",
            "a,b.md",
            "./x.md",
        ] {
            assert!(!looks_like_file(bad), "{bad}");
        }
        for good in [
            "src/a.rs",
            "README.md",
            ".github/workflows/ci.yml",
            "a.b/c.d",
        ] {
            assert!(looks_like_file(good), "{good}");
        }
        assert!(
            !looks_like_file("Makefile"),
            "no extension: could be a directory"
        );
    }

    #[test]
    fn placeholders_carry_their_required_parts() {
        let qa = render(
            "docs/reviews/wave-1-cont-qa.md",
            PlaceholderKind::ContQaReport,
            "A0",
        );
        assert!(qa.starts_with("# Wave 1 Cont Qa\n"));
        assert!(qa.trim_end().ends_with("Verdict: PASS"));
        let sec = render("docs/security.md", PlaceholderKind::SecurityReport, "A7");
        let mut at = 0;
        for s in SECURITY_SECTIONS {
            at += sec[at..].find(&format!("## {s}\n")).expect(s);
        }
        let design = render("docs/design.md", PlaceholderKind::DesignPacket, "D1");
        let mut at = 0;
        for s in DESIGN_SECTIONS {
            at += design[at..].find(&format!("## {s}\n")).expect(s);
        }
        assert!(render("x/y.json", PlaceholderKind::Stub, "A\"1").contains("\"agent\": \"A\\\"1\""));
        serde_json::from_str::<serde_json::Value>(&render(
            "x/y.json",
            PlaceholderKind::Stub,
            "A\"1",
        ))
        .unwrap();
        assert!(
            render("pkg/net-util/y.go", PlaceholderKind::Stub, "A1").ends_with("package netutil\n")
        );
        assert!(render("y.go", PlaceholderKind::Stub, "A1").ends_with("package main\n"));
        assert!(render("src/lib.ts", PlaceholderKind::Stub, "A1").contains("export {};"));
        assert!(
            render("notes.weird", PlaceholderKind::Stub, "A1").starts_with("Placeholder written")
        );
    }
}
