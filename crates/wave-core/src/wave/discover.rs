//! Lane discovery and loading: which files of a waves directory are waves, in which order, and
//! the thin filesystem layer ([`load_lane`]) over the pure parser.
//!
//! Only names matching `wave-<digits>.md` count; they are ordered by wave number (leading zeros
//! allowed), then by name. Every wave of the lane is parsed; the first error aborts the load.

use std::path::{Path, PathBuf};

use super::agent::wave_number;
use super::errors::{WaveError, WaveErrorKind as K};
use super::model::WaveDefinition;
use super::{parse_wave, ParseOptions};

/// One discovered wave file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveFileEntry {
    /// Wave number from the file name.
    pub wave: u32,
    /// The file name, e.g. `wave-01.md`.
    pub file_name: String,
    /// `waves_dir` joined with the file name.
    pub path: PathBuf,
}

/// `path` relative to `root` (lexically), as upstream's `path.relative(REPO_ROOT, …)` shows it;
/// the path itself when it is not under `root`.
fn relative_display(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

/// Lists the wave files of `waves_dir` in wave order.
///
/// Errors: `Waves directory not found: <dir>` and `No wave files found in <dir>`, with `<dir>`
/// relative to `repo_root`. A `wave-<digits>.md` whose number exceeds `u32` is
/// `Invalid wave filename: <name>`.
pub fn discover_wave_files(
    waves_dir: &Path,
    repo_root: &Path,
) -> Result<Vec<WaveFileEntry>, WaveError> {
    let shown = relative_display(repo_root, waves_dir);
    let dir_file = waves_dir.to_string_lossy().into_owned();
    let Ok(read_dir) = std::fs::read_dir(waves_dir) else {
        return Err(WaveError::new(
            K::WavesDirNotFound,
            &dir_file,
            None,
            format!("Waves directory not found: {shown}"),
        ));
    };
    let mut entries = Vec::new();
    for entry in read_dir.flatten() {
        let Ok(file_name) = entry.file_name().into_string() else {
            continue;
        };
        let is_wave_name = file_name
            .strip_prefix("wave-")
            .and_then(|rest| rest.strip_suffix(".md"))
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        if !is_wave_name {
            continue;
        }
        // A FIFO or device named like a wave would hang the read: only regular files count.
        if !std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Some(wave) = wave_number(&file_name) else {
            return Err(WaveError::new(
                K::InvalidWaveFilename,
                &dir_file,
                None,
                format!("Invalid wave filename: {file_name}"),
            ));
        };
        entries.push(WaveFileEntry {
            wave,
            path: waves_dir.join(&file_name),
            file_name,
        });
    }
    if entries.is_empty() {
        return Err(WaveError::new(
            K::NoWaveFiles,
            &dir_file,
            None,
            format!("No wave files found in {shown}"),
        ));
    }
    entries.sort_by(|a, b| {
        a.wave
            .cmp(&b.wave)
            .then_with(|| a.file_name.cmp(&b.file_name))
    });
    Ok(entries)
}

/// Discovers and parses every wave of a lane with the given options (role prompts are read
/// through `options.read`; wave files from disk, invalid UTF-8 replaced as Node does).
pub fn load_lane_with(
    waves_dir: &Path,
    repo_root: &Path,
    options: &ParseOptions<'_>,
) -> Result<Vec<WaveDefinition>, WaveError> {
    let mut waves = Vec::new();
    for entry in discover_wave_files(waves_dir, repo_root)? {
        let path = entry.path.to_string_lossy().into_owned();
        let bytes = std::fs::read(&entry.path).map_err(|error| {
            WaveError::new(
                K::Io,
                &path,
                None,
                format!("Failed to read {path}: {error}"),
            )
        })?;
        let content = String::from_utf8_lossy(&bytes);
        let file = relative_display(repo_root, &entry.path);
        waves.push(parse_wave(&content, &path, &file, options)?);
    }
    Ok(waves)
}

/// Discovers and parses every wave of a lane, reading role prompts from `repo_root` and checking
/// them against `role_prompt_dir` (upstream's other role defaults apply).
pub fn load_lane(
    waves_dir: &Path,
    repo_root: &Path,
    role_prompt_dir: &str,
) -> Result<Vec<WaveDefinition>, WaveError> {
    let read = |rel: &Path| -> Option<String> {
        let full = repo_root.join(rel);
        if !full.is_file() {
            return None;
        }
        std::fs::read(full)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let mut options = ParseOptions::new(&read);
    options.role_prompt_dir = role_prompt_dir;
    load_lane_with(waves_dir, repo_root, &options)
}
