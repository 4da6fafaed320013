//! `wave init`: the starter workspace and the rules for writing it.
//!
//! Owns the embedded starter files (config, Context7 bundle index, three closure role prompts,
//! shared plan docs and one wave that runs on the built-in `local` executor) and writes them
//! into a repository. Writing is all-or-nothing: without `force`, any starter file that already
//! exists aborts the whole scaffold before a single byte is written; `.gitignore` is never
//! replaced, only extended with the runtime's state directories.

use std::path::{Path, PathBuf};

/// A starter file: repo-relative path and contents.
#[derive(Debug, Clone, Copy)]
pub struct StarterFile {
    /// Repo-relative path.
    pub path: &'static str,
    /// File contents.
    pub contents: &'static str,
}

macro_rules! starter {
    ($path:literal, $file:literal) => {
        StarterFile {
            path: $path,
            contents: include_str!(concat!("../templates/starter/", $file)),
        }
    };
}

/// Every file `wave init` writes (besides `.gitignore`), in writing order.
pub const STARTER_FILES: &[StarterFile] = &[
    starter!("wave.config.json", "wave.config.json"),
    starter!("docs/context7/bundles.json", "bundles.json"),
    starter!("docs/agents/wave-cont-qa-role.md", "wave-cont-qa-role.md"),
    starter!(
        "docs/agents/wave-integration-role.md",
        "wave-integration-role.md"
    ),
    starter!(
        "docs/agents/wave-documentation-role.md",
        "wave-documentation-role.md"
    ),
    starter!("docs/plans/current-state.md", "current-state.md"),
    starter!("docs/plans/master-plan.md", "master-plan.md"),
    starter!("docs/plans/migration.md", "migration.md"),
    starter!("docs/plans/waves/wave-0.md", "wave-0.md"),
];

/// The lines `wave init` makes sure `.gitignore` has.
const GITIGNORE_TEMPLATE: &str = include_str!("../templates/starter/gitignore");

/// What `wave init` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaffoldReport {
    /// Files created that did not exist.
    pub created: Vec<String>,
    /// Existing files replaced because of `--force`.
    pub overwritten: Vec<String>,
    /// Whether `.gitignore` was created or extended.
    pub gitignore_updated: bool,
}

/// Why `wave init` refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// Starter files already exist and `force` was not given.
    #[error("refusing to overwrite existing {}: {}; pass --force to replace them", if .0.len() == 1 { "file" } else { "files" }, .0.join(", "))]
    WouldOverwrite(Vec<String>),
    /// A path exists but is not a regular file (e.g. a directory).
    #[error("{0}: exists and is not a regular file")]
    NotAFile(String),
    /// A write failed.
    #[error(transparent)]
    Store(#[from] wave_store::StoreError),
    /// Reading `.gitignore` failed.
    #[error("read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Writes the starter workspace into `repo_root`.
pub fn scaffold(repo_root: &Path, force: bool) -> Result<ScaffoldReport, ScaffoldError> {
    let mut existing = Vec::new();
    for file in STARTER_FILES {
        let path = repo_root.join(file.path);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => existing.push(file.path.to_string()),
            Ok(_) => return Err(ScaffoldError::NotAFile(file.path.to_string())),
            Err(_) => {}
        }
    }
    if !force && !existing.is_empty() {
        return Err(ScaffoldError::WouldOverwrite(existing));
    }

    let mut report = ScaffoldReport::default();
    for file in STARTER_FILES {
        wave_store::write_bytes_atomic(&repo_root.join(file.path), file.contents.as_bytes())?;
        if existing.iter().any(|p| p == file.path) {
            report.overwritten.push(file.path.to_string());
        } else {
            report.created.push(file.path.to_string());
        }
    }
    report.gitignore_updated = ensure_gitignore(repo_root)?;
    Ok(report)
}

/// Appends the runtime's state directories to `.gitignore` unless already ignored.
fn ensure_gitignore(repo_root: &Path) -> Result<bool, ScaffoldError> {
    let path = repo_root.join(".gitignore");
    let current = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(ScaffoldError::Read { path, source }),
    };
    let present: Vec<&str> = current.lines().map(str::trim).collect();
    let missing: Vec<&str> = GITIGNORE_TEMPLATE
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter(|line| {
            let bare = line.trim_end_matches('/');
            !present
                .iter()
                .any(|p| p.trim_start_matches('/').trim_end_matches('/') == bare)
        })
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let mut next = current.clone();
    if !next.is_empty() && !next.ends_with('\n') {
        next.push('\n');
    }
    if current.is_empty() {
        next.push_str(GITIGNORE_TEMPLATE);
    } else {
        next.push_str("# Wave runtime state\n");
        for line in missing {
            next.push_str(line);
            next.push('\n');
        }
    }
    wave_store::write_bytes_atomic(&path, next.as_bytes())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_clobber_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("wave.config.json"), "{}").unwrap();
        let err = scaffold(dir.path(), false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing to overwrite existing file: wave.config.json; pass --force to replace them"
        );
        assert!(!dir.path().join("docs").exists(), "no partial state");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("wave.config.json")).unwrap(),
            "{}"
        );
    }

    #[test]
    fn force_overwrites_and_reports() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("wave.config.json"), "{}").unwrap();
        let report = scaffold(dir.path(), true).unwrap();
        assert_eq!(report.overwritten, vec!["wave.config.json"]);
        assert_eq!(report.created.len(), STARTER_FILES.len() - 1);
        assert!(report.gitignore_updated);
    }

    #[test]
    fn gitignore_is_extended_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "node_modules\n/.tmp\n").unwrap();
        scaffold(dir.path(), false).unwrap();
        let text = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
        assert_eq!(text, "node_modules\n/.tmp\n# Wave runtime state\n.wave/\n");
        // A second run (forced) finds nothing missing.
        let report = scaffold(dir.path(), true).unwrap();
        assert!(!report.gitignore_updated);
    }
}
