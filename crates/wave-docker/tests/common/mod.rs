//! Shared helpers for the real-engine tests and the benchmark: the Docker gate, a tiny test
//! image built `FROM scratch` once per test process, per-test cleanup guards, spec builders.
//!
//! Cleanup: every container carries `wave.test=1`, `wave.test.pid=<pid>` and
//! `wave.test.case=<pid>-<case>`; a [`Case`] guard removes its case's containers on drop (also
//! on panic). The image `wave-docker-test:<pid>` (label `wave.test=1`) is shared by the whole
//! process; a watcher process started with it blocks reading a pipe whose only writer is this
//! process, so when this process exits — normally, by panic or by a signal — the watcher wakes,
//! removes whatever is left with this pid's label and the image, and exits itself.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use wave_docker::{container_name, AgentContainerSpec, AgentLabels, DockerClient};

/// True when a Docker engine answers; prints SKIP otherwise, and panics instead when
/// `WAVE_REQUIRE_DOCKER=1` (same convention as `tests/it/support.rs`).
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

static IMAGE: OnceLock<String> = OnceLock::new();
static WATCHER: OnceLock<Mutex<Child>> = OnceLock::new();

/// The static binaries the test image is made of (Debian `busybox-static`, `bash-static`).
const BUSYBOX: &str = "/bin/busybox";
const BASH_STATIC: &str = "/bin/bash-static";

const DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
COPY bash /bin/bash
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/busybox", "mkdir", "-p", "/tmp", "/data"]
RUN ["/bin/busybox", "chmod", "1777", "/tmp"]
ENV PATH=/bin
"#;

/// The test image's tag, built on first use (FROM scratch: static busybox + bash).
pub fn test_image() -> &'static str {
    IMAGE.get_or_init(|| {
        for bin in [BUSYBOX, BASH_STATIC] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: apt-get install busybox-static bash-static"
            );
        }
        let pid = std::process::id();
        let tag = format!("wave-docker-test:{pid}");
        start_watcher(pid, &tag);
        let ctx = tempfile::tempdir().expect("build context");
        std::fs::write(ctx.path().join("Dockerfile"), DOCKERFILE).expect("Dockerfile");
        std::fs::copy(BUSYBOX, ctx.path().join("busybox")).expect("copy busybox");
        std::fs::copy(BASH_STATIC, ctx.path().join("bash")).expect("copy bash");
        let out = Command::new("docker")
            .args(["build", "-q", "--label", "wave.test=1", "--label"])
            .arg(format!("wave.test.pid={pid}"))
            .arg("-t")
            .arg(&tag)
            .arg(ctx.path())
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .expect("spawn docker build");
        assert!(
            out.status.success(),
            "docker build failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tag
    })
}

/// Starts the process that cleans up after this one (see the module docs).
fn start_watcher(pid: u32, tag: &str) {
    let script = "cat >/dev/null; \
        docker ps -aq --filter \"label=wave.test.pid=$1\" | xargs -r docker rm -f >/dev/null 2>&1; \
        docker volume ls -q --filter \"label=wave.test.pid=$1\" | xargs -r docker volume rm -f >/dev/null 2>&1; \
        docker rmi -f \"$2\" >/dev/null 2>&1; exit 0";
    let child = Command::new("sh")
        .args(["-c", script, "sh", &pid.to_string(), tag])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cleanup watcher");
    // Keep the child (and its stdin pipe) for the life of the process: the pipe closes when
    // this process exits, whatever way it does.
    let _ = WATCHER.set(Mutex::new(child));
}

/// One test case: a unique label value, the cleanup of its containers on drop.
pub struct Case {
    /// `<pid>-<name>`.
    pub id: String,
    /// A client for the case.
    pub docker: DockerClient,
}

impl Case {
    /// A case named `name` (unique within the test binary).
    pub fn new(name: &str) -> Self {
        Self {
            id: format!("{}-{name}", std::process::id()),
            docker: DockerClient::connect().expect("connect to the engine"),
        }
    }

    /// A spec for agent `agent` running `bash -c <script>`, labelled for this case.
    pub fn spec(&self, agent: &str, script: &str) -> AgentContainerSpec {
        let labels = AgentLabels::owned_by_current_process(
            &format!("run-{}", self.id),
            agent,
            1,
            0,
            &format!("t{}", self.id),
            "default",
        )
        .expect("owner");
        let name = container_name(&labels.lane, &labels.run_id, 0, 1, agent);
        let mut spec = AgentContainerSpec::new(name, test_image(), labels);
        spec.cmd = vec!["bash".into(), "-c".into(), script.into()];
        spec.extra_labels = self.test_labels();
        spec
    }

    /// The labels that tie a container to this case and process.
    pub fn test_labels(&self) -> Vec<(String, String)> {
        vec![
            ("wave.test".into(), "1".into()),
            ("wave.test.pid".into(), std::process::id().to_string()),
            ("wave.test.case".into(), self.id.clone()),
        ]
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        if let Ok(list) = self
            .docker
            .list_by_labels(&[("wave.test.case", self.id.as_str())])
        {
            for c in list {
                let _ = self.docker.remove(&c.id);
            }
        }
    }
}

/// A named volume labelled for this process, removed on drop (after the case's containers,
/// which would otherwise keep it in use).
pub struct TestVolume {
    /// The volume's name.
    pub name: String,
    case_id: String,
}

impl TestVolume {
    /// Creates `wave-docker-test-<case id>`.
    pub fn create(case: &Case) -> Self {
        let name = format!("wave-docker-test-{}", case.id);
        let out = Command::new("docker")
            .args(["volume", "create", "--label", "wave.test=1", "--label"])
            .arg(format!("wave.test.pid={}", std::process::id()))
            .arg(&name)
            .output()
            .expect("spawn docker volume create");
        assert!(
            out.status.success(),
            "docker volume create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self {
            name,
            case_id: case.id.clone(),
        }
    }
}

impl Drop for TestVolume {
    fn drop(&mut self) {
        let filter = format!("label=wave.test.case={}", self.case_id);
        let _ = Command::new("sh")
            .args([
                "-c",
                "docker ps -aq --filter \"$1\" | xargs -r docker rm -f",
                "sh",
            ])
            .arg(&filter)
            .output();
        let _ = Command::new("docker")
            .args(["volume", "rm", "-f", &self.name])
            .output();
    }
}

/// A temp directory every uid may write to (for bind mounts used by non-root agents).
pub fn shared_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    dir
}

/// Polls `probe` every few milliseconds until it returns `Some` or `limit` passes.
pub fn poll_until<T>(limit: Duration, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            Instant::now() < end,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `path` exists.
pub fn wait_for_file(path: &Path, limit: Duration) -> PathBuf {
    poll_until(limit, &path.display().to_string(), || {
        path.exists().then(|| path.to_path_buf())
    })
}
