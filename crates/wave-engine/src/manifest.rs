//! `waves.manifest.json`: every parsed wave of the lane plus a hash inventory of its docs.
//!
//! Upstream writes this file on every launch (dry or live) so that later tools can tell which
//! docs a run saw. Layout: `{schemaVersion: 1, kind: "wave-manifest", generatedAt, source,
//! waves, docs: [{path, bytes, sha256}]}`, docs sorted by path, `source` = `<docsDir>/**/*`.
//! Symlinks are not followed (upstream lists regular files and directories only).

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// One file of the lane's docs directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocEntry {
    /// Repo-relative path with `/` separators.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the contents.
    pub sha256: String,
}

/// The manifest document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest<W: Serialize> {
    /// Always 1.
    pub schema_version: u32,
    /// Always `wave-manifest`.
    pub kind: &'static str,
    /// ISO-8601 time of writing.
    pub generated_at: String,
    /// `<docsDir>/**/*`.
    pub source: String,
    /// The parsed waves.
    pub waves: W,
    /// Docs inventory.
    pub docs: Vec<DocEntry>,
}

/// Reading the docs tree failed.
#[derive(Debug, thiserror::Error)]
#[error("read {path}: {source}")]
pub struct InventoryError {
    /// The path that failed.
    pub path: PathBuf,
    /// The cause.
    pub source: std::io::Error,
}

/// Lists and hashes every regular file under `repo_root/docs_dir`, sorted by path.
/// A missing docs directory yields an empty inventory.
pub fn docs_inventory(repo_root: &Path, docs_dir: &str) -> Result<Vec<DocEntry>, InventoryError> {
    let mut out = Vec::new();
    let root = repo_root.join(docs_dir);
    if root.is_dir() {
        walk(repo_root, &root, &mut out)?;
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn walk(repo_root: &Path, dir: &Path, out: &mut Vec<DocEntry>) -> Result<(), InventoryError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InventoryError { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(err(dir))? {
        let entry = entry.map_err(err(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(err(&path))?;
        if kind.is_dir() {
            walk(repo_root, &path, out)?;
        } else if kind.is_file() {
            let data = std::fs::read(&path).map_err(err(&path))?;
            let rel = path.strip_prefix(repo_root).unwrap_or(&path);
            out.push(DocEntry {
                path: rel
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/"),
                bytes: data.len() as u64,
                sha256: hex(&Sha256::digest(&data)),
            });
        }
    }
    Ok(())
}

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Builds the manifest for `waves` at `generated_at`.
pub fn build<W: Serialize>(
    waves: W,
    docs_dir: &str,
    docs: Vec<DocEntry>,
    generated_at: String,
) -> Manifest<W> {
    Manifest {
        schema_version: 1,
        kind: "wave-manifest",
        generated_at,
        source: format!("{}/**/*", docs_dir.trim_end_matches('/')),
        waves,
        docs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_is_sorted_hashed_and_relative() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("docs/plans/waves")).unwrap();
        std::fs::write(dir.path().join("docs/plans/waves/wave-0.md"), "abc").unwrap();
        std::fs::write(dir.path().join("docs/a.md"), "").unwrap();
        let docs = docs_inventory(dir.path(), "docs").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].path, "docs/a.md");
        assert_eq!(
            docs[0].sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(docs[1].path, "docs/plans/waves/wave-0.md");
        assert_eq!(docs[1].bytes, 3);
        let manifest = build(serde_json::json!([]), "docs", docs, "t".into());
        let json = serde_json::to_value(&manifest).unwrap();
        assert_eq!(json["schemaVersion"], 1);
        assert_eq!(json["kind"], "wave-manifest");
        assert_eq!(json["source"], "docs/**/*");
    }

    #[test]
    fn missing_docs_dir_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(docs_inventory(dir.path(), "docs").unwrap().is_empty());
    }
}
