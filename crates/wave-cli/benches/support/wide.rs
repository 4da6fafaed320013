//! A starter workspace whose wave 0 has `n` `local` implementation agents (plus the starter's
//! closure agents A8, A9, A0), shared by the benchmarks.

use std::path::Path;
use std::process::Command;

/// Runs `wave init` in a new temp dir and rewrites wave 0 with `n` implementation agents.
pub fn wide_repo(wave: &str, n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(wave)
        .arg("--repo-root")
        .arg(dir.path())
        .arg("init")
        .output()
        .unwrap();
    assert!(out.status.success(), "wave init failed");
    let path: &Path = &dir.path().join("docs/plans/waves/wave-0.md");
    let starter = std::fs::read_to_string(path).unwrap();
    let closure = &starter[starter.find("## Agent A8:").unwrap()..];
    let mut text = String::from("# Wave 0 - Benchmark\n\n");
    for i in 1..=n {
        text.push_str(&format!(
            "## Agent B{i}: Slice {i}\n\n### Executor\n\n- id: local\n\n### Deliverables\n\n- src/b{i}.md\n\n\
             ### Exit contract\n\n- completion: contract\n- durability: none\n- proof: unit\n- doc-impact: owned\n\n\
             ### Prompt\n\n```text\nWrite slice {i}.\n\nFile ownership (only touch these paths):\n- src/b{i}.md\n```\n\n"
        ));
    }
    text.push_str(closure);
    std::fs::write(path, text).unwrap();
    dir
}
