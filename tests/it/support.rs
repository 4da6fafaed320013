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

/// Polls `probe` until it returns `Some`, or panics after `limit` naming `what`.
pub fn until<T>(limit: std::time::Duration, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        // The poll interval of this deadline helper, not a synchronisation sleep.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// How many times each agent's executor ran, from a `WAVE_LOCAL_EXECUTOR_COUNT_FILE`.
pub fn executor_runs(count_file: &Path) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for line in std::fs::read_to_string(count_file)
        .unwrap_or_default()
        .lines()
    {
        let agent = line.split_whitespace().nth(1).unwrap_or("?").to_string();
        *out.entry(agent).or_default() += 1;
    }
    out
}

/// `docker <args>`.
pub fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().expect("docker")
}

/// An image built by `images/build-supervisor.sh` from the test binary (static `wave`,
/// `bash`, busybox), removed on drop. `name` keeps parallel tests apart.
pub struct SupervisorImage(pub String);

impl SupervisorImage {
    /// Builds `<name>:<pid>`.
    pub fn build(name: &str) -> SupervisorImage {
        for tool in ["/bin/bash-static", "/bin/busybox"] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: apt-get install bash-static busybox-static (.ci/run does)"
            );
        }
        let image = format!("{name}:{}", std::process::id());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../images/build-supervisor.sh");
        let build = Command::new("bash")
            .arg(script)
            .arg(wave_bin())
            .arg(&image)
            .output()
            .expect("run build-supervisor.sh");
        assert!(
            build.status.success(),
            "image build failed: {}",
            String::from_utf8_lossy(&build.stderr)
        );
        SupervisorImage(image)
    }
}

impl Drop for SupervisorImage {
    fn drop(&mut self) {
        let _ = docker(&["rmi", "-f", &self.0]);
    }
}
