//! `wave init`: writes the starter workspace.

use std::path::PathBuf;

use crate::cli::InitArgs;
use crate::exit::Code;

/// Runs `wave init`.
pub fn run(repo_root: PathBuf, args: &InitArgs) -> anyhow::Result<Code> {
    let report = wave_engine::scaffold::scaffold(&repo_root, args.force)?;
    if args.json {
        super::print_json(&serde_json::json!({
            "ok": true,
            "workspaceRoot": repo_root,
            "created": report.created,
            "overwritten": report.overwritten,
            "gitignoreUpdated": report.gitignore_updated,
        }))?;
        return Ok(Code::Ok);
    }
    println!("[wave:init] workspace={}", repo_root.display());
    for path in &report.created {
        println!("[wave:init] created {path}");
    }
    for path in &report.overwritten {
        println!("[wave:init] overwrote {path}");
    }
    if report.gitignore_updated {
        println!("[wave:init] .gitignore now ignores .tmp/ and .wave/");
    }
    println!("[wave:init] next: wave doctor && wave launch --dry-run");
    Ok(Code::Ok)
}
