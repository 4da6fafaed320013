//! Shared helpers for the end-to-end tests: a temp repository, running `wave`, Docker detection.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the `wave` binary under test.
pub fn wave_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wave"))
}

/// A scratch repository directory that is removed on drop, after every process whose command
/// line names it (daemons, launchers, runners a test started through `wave`) is killed, so no
/// test leaves a process behind.
pub struct TestRepo {
    dir: tempfile::TempDir,
}

impl Drop for TestRepo {
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .args(["-9", "-f", &self.dir.path().to_string_lossy()])
            .status();
    }
}

impl TestRepo {
    /// An empty repository.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("create temp repo"),
        }
    }

    /// A repository scaffolded by `wave init`.
    pub fn initialised() -> Self {
        let repo = Self::new();
        let out = repo.wave(&["init"]);
        assert_success(&out, "wave init");
        repo
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Absolute path of a repo-relative path.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Writes a repo-relative file, creating parent directories.
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write file");
    }

    /// Reads a repo-relative file.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// A `wave` command running in this repository.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(wave_bin());
        cmd.args(args)
            .current_dir(self.root())
            .env_remove("WAVE_REPO_ROOT");
        cmd
    }

    /// Runs `wave` with `args` in this repository.
    pub fn wave(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("spawn wave")
    }
}

/// Panics with both output streams unless the command succeeded.
pub fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed with {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether a Docker engine answers. With `WAVE_REQUIRE_DOCKER=1` a missing engine panics;
/// otherwise the caller skips with one clear line on stderr.
pub fn docker_available(test: &str) -> bool {
    let ok = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("WAVE_REQUIRE_DOCKER").as_deref() == Ok("1") {
            panic!("{test}: WAVE_REQUIRE_DOCKER=1 but no Docker engine answers `docker version`");
        }
        eprintln!("SKIP {test}: no Docker engine (set WAVE_REQUIRE_DOCKER=1 to make this fatal)");
    }
    ok
}
