//! `wave image build`: reproducible archives, bad input, and the images for real — loaded into
//! Docker (`docker load` and `--load`), inspected, run (the demo wave as uid 65532 on named
//! volumes), read by skopeo (both formats) and umoci, and stacked on a `docker save`d base with `--base`.
//!
//! Every image, container and volume a test creates has a unique name (pid + purpose) and the
//! `wave.test=1` label where Docker takes one; a [`Cleanup`] guard removes them even when an
//! assertion fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{assert_success, docker_available, stderr, stdout, wave_bin};

/// The tools the image's /bin holds: bash, busybox and the applets of images/supervisor.json.
const BIN: &[&str] = &[
    "bash", "busybox", "cat", "cp", "env", "grep", "head", "kill", "ls", "mkdir", "mv", "rm",
    "sed", "sh", "sleep", "tail", "tee", "wc",
];

fn wave_image(args: &[&str]) -> Output {
    Command::new(wave_bin())
        .arg("image")
        .arg("build")
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("spawn wave image build")
}

fn build_ok(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = wave_image(&all);
    assert_success(&out, &format!("wave image build {args:?}"));
    serde_json::from_slice(&out.stdout).expect("--json output")
}

fn sha256_file(path: &Path) -> String {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("spawn docker")
}

fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert_success(&out, &format!("docker {args:?}"));
    stdout(&out)
}

/// Removes the images, containers and volumes a test made, also when it panics.
#[derive(Default)]
struct Cleanup {
    images: Vec<String>,
    volumes: Vec<String>,
}

impl Cleanup {
    fn image(&mut self, purpose: &str) -> String {
        let tag = format!("wave-it-image-{purpose}:{}", std::process::id());
        self.images.push(tag.clone());
        tag
    }

    fn volume(&mut self, purpose: &str) -> String {
        let name = format!("wave-it-image-{purpose}-{}", std::process::id());
        docker_ok(&["volume", "create", "--label", "wave.test=1", &name]);
        self.volumes.push(name.clone());
        name
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        // Containers are all run with --rm; a test killed mid-run leaves them labelled.
        for image in &self.images {
            let _ = docker(&["image", "rm", "--force", image]);
        }
        for volume in &self.volumes {
            let _ = docker(&["volume", "rm", "--force", volume]);
        }
    }
}

fn toolset_present() -> bool {
    for tool in ["/bin/bash-static", "/bin/busybox"] {
        if !Path::new(tool).exists() {
            assert!(
                std::env::var("WAVE_REQUIRE_DOCKER").as_deref() != Ok("1"),
                "{tool} is missing: apt-get install bash-static busybox-static (.ci/run does)"
            );
            eprintln!("SKIP: {tool} missing (apt-get install bash-static busybox-static)");
            return false;
        }
    }
    true
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn image_build_twice_gives_identical_files_and_bad_input_leaves_nothing() {
    if !toolset_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.tar");
    let b = dir.path().join("b.tar");
    for format in ["oci", "docker"] {
        let first = build_ok(&["--format", format, "--output", path_str(&a)]);
        let second = build_ok(&["--format", format, "--output", path_str(&b)]);
        assert_eq!(
            sha256_file(&a),
            sha256_file(&b),
            "{format}: two builds differ"
        );
        assert_eq!(first["manifestDigest"], second["manifestDigest"]);
        assert_eq!(
            first["size"].as_u64(),
            Some(std::fs::metadata(&a).unwrap().len())
        );
    }
    // SOURCE_DATE_EPOCH is the one knob that changes the bytes.
    let out = Command::new(wave_bin())
        .args(["image", "build", "--output", path_str(&b)])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("spawn");
    assert_success(&out, "build with SOURCE_DATE_EPOCH");
    assert_ne!(sha256_file(&a), sha256_file(&b));

    let bad = dir.path().join("bad.tar");
    let definition = dir.path().join("def.json");
    let mut def: Value =
        serde_json::from_str(include_str!("../../images/supervisor.json")).expect("definition");
    def["toolset"]["bash"]["from"] = "/nonexistent/bash-static".into();
    std::fs::write(&definition, def.to_string()).expect("write definition");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--tag", "Bad Tag"], "--tag"),
        (vec!["--base", "/nonexistent/base.tar"], "--base"),
        (vec!["--wave-binary", "/nonexistent/wave"], "--wave-binary"),
        // Debian's ls is dynamically linked; the image has no libc.
        (vec!["--wave-binary", "/bin/ls"], "dynamically linked"),
        (vec!["--definition", path_str(&definition)], "bash-static"),
    ];
    for (args, needle) in cases {
        let mut all = vec!["--output", path_str(&bad)];
        all.extend(args.iter().copied());
        let out = wave_image(&all);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one-line error: {err}");
    }
    // --load with no engine behind DOCKER_HOST: one line naming --load, and the temporary
    // docker archive (in TMPDIR) is gone.
    let out = Command::new(wave_bin())
        .args(["image", "build", "--load", "--tag", "wave-it-noengine:1"])
        .env(
            "DOCKER_HOST",
            format!("unix://{}/no-engine.sock", dir.path().display()),
        )
        .env("TMPDIR", dir.path())
        .output()
        .expect("spawn");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("wave: error: --load: "),
        "{}",
        stderr(&out)
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "a.tar" && n != "b.tar" && n != "def.json")
        .collect();
    assert!(left.is_empty(), "partial output left behind: {left:?}");
}

#[test]
fn docker_loads_the_image_with_its_config_and_runs_the_demo_wave_as_65532() {
    if !docker_available("docker_loads_the_image_with_its_config_and_runs_the_demo_wave_as_65532")
        || !toolset_present()
    {
        return;
    }
    let mut cleanup = Cleanup::default();
    let tag = cleanup.image("load");
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("image.tar");
    let built = build_ok(&[
        "--format",
        "docker",
        "--output",
        path_str(&archive),
        "--tag",
        &tag,
    ]);
    docker_ok(&["load", "--input", path_str(&archive)]);

    let inspect: Value =
        serde_json::from_str(&docker_ok(&["image", "inspect", &tag])).expect("inspect JSON");
    let image = &inspect[0];
    assert_eq!(
        image["Id"], built["configDigest"],
        "image id is the config digest"
    );
    let c = &image["Config"];
    assert_eq!(c["User"], "65532:65532");
    assert_eq!(c["Entrypoint"], serde_json::json!(["/usr/local/bin/wave"]));
    assert_eq!(c["Cmd"], serde_json::json!(["supervise"]));
    assert_eq!(c["WorkingDir"], "/workspace");
    assert_eq!(
        c["Volumes"],
        serde_json::json!({"/workspace/.tmp": {}, "/workspace/.wave": {}})
    );
    assert_eq!(c["Labels"]["org.opencontainers.image.licenses"], "MIT");
    assert_eq!(
        c["Labels"]["org.opencontainers.image.version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        c["Labels"]["org.opencontainers.image.created"],
        "1970-01-01T00:00:00Z"
    );
    assert_eq!(
        c["Healthcheck"]["Test"],
        serde_json::json!(["CMD", "/usr/local/bin/wave", "health"])
    );
    assert_eq!(c["Healthcheck"]["Interval"], 30_000_000_000u64);
    assert!(c["Env"]
        .as_array()
        .unwrap()
        .contains(&"WAVE_REPO_ROOT=/workspace".into()));

    let run = |args: &[&str]| {
        let mut all = vec!["run", "--rm", "--network", "none", "--label", "wave.test=1"];
        all.extend_from_slice(args);
        docker(&all)
    };
    let help = run(&[&tag, "launch", "--help"]);
    assert_success(&help, "docker run IMAGE launch --help");
    assert!(stdout(&help).contains("Usage: wave launch"));

    // Nothing beyond the chosen tools.
    let ls = run(&["--entrypoint", "/bin/ls", &tag, "/bin"]);
    assert_success(&ls, "ls /bin");
    let mut listed: Vec<String> = stdout(&ls).split_whitespace().map(String::from).collect();
    listed.sort();
    assert_eq!(
        listed, BIN,
        "/bin holds exactly bash, busybox and the chosen applets"
    );
    let id = run(&[
        "--entrypoint",
        "/bin/sh",
        &tag,
        "-c",
        "cat /etc/passwd; echo HOME=$HOME; ls -ld /tmp /workspace/.tmp",
    ]);
    assert_success(&id, "passwd");
    let text = stdout(&id);
    assert!(
        text.contains("wave:x:65532:65532:wave:/home/wave:/bin/bash"),
        "{text}"
    );
    assert!(text.contains("HOME=/home/wave"), "{text}");
    assert!(text.contains("drwxrwxrwt"), "/tmp is 1777: {text}");

    // The demo wave, as the image's own user: named volumes for the workspace and its state,
    // which Docker initialises from the image's 65532-owned directories (no --user 0 needed).
    let ws = cleanup.volume("ws");
    let tmp = cleanup.volume("tmp");
    let wv = cleanup.volume("wave");
    let mounts = [
        format!("{ws}:/workspace"),
        format!("{tmp}:/workspace/.tmp"),
        format!("{wv}:/workspace/.wave"),
    ];
    let with_mounts = |cmd: &[&str]| {
        let mut args = Vec::new();
        for m in &mounts {
            args.extend(["-v", m.as_str()]);
        }
        args.push(&tag);
        args.extend_from_slice(cmd);
        run(&args)
    };
    assert_success(&with_mounts(&["init"]), "wave init in the image");
    let launch = with_mounts(&["launch", "--agent-launch-stagger-ms", "0"]);
    assert_success(&launch, "wave launch of the demo wave in the image");
    assert!(stdout(&launch).contains("Completed"), "{}", stdout(&launch));

    // --load streams the same image through the API and reports its id.
    let loaded_tag = cleanup.image("api-load");
    let loaded = build_ok(&["--load", "--tag", &loaded_tag]);
    assert_eq!(loaded["loadedImageId"], loaded["configDigest"]);
    assert_eq!(
        loaded["configDigest"], built["configDigest"],
        "same image, other tag"
    );
    assert_success(
        &docker(&["image", "inspect", &loaded_tag]),
        "inspect --load image",
    );
}

fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_default();
    if found.is_none() {
        assert!(
            std::env::var("WAVE_REQUIRE_DOCKER").as_deref() != Ok("1"),
            "{name} is missing: apt-get install skopeo umoci (.ci/run does)"
        );
        eprintln!("SKIP: {name} missing (apt-get install {name})");
    }
    found
}

#[test]
fn skopeo_and_umoci_accept_the_oci_layout() {
    let (Some(skopeo), Some(umoci)) = (tool("skopeo"), tool("umoci")) else {
        return;
    };
    if !toolset_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("oci.tar");
    let built = build_ok(&["--output", path_str(&archive), "--tag", "wave-it-oci:1"]);
    let inspect = Command::new(&skopeo)
        .arg("inspect")
        .arg(format!("oci-archive:{}", archive.display()))
        .output()
        .expect("spawn skopeo");
    assert_success(&inspect, "skopeo inspect oci-archive:");
    let info: Value = serde_json::from_slice(&inspect.stdout).expect("skopeo JSON");
    assert_eq!(info["Digest"], built["manifestDigest"]);
    assert_eq!(info["Architecture"], built["architecture"]);
    assert_eq!(info["Layers"].as_array().map(Vec::len), Some(2));

    // skopeo reads the docker archive as well (docker-archive: transport).
    let docker_tar = dir.path().join("docker.tar");
    build_ok(&[
        "--format",
        "docker",
        "--output",
        path_str(&docker_tar),
        "--tag",
        "wave-it-oci:1",
    ]);
    let inspect = Command::new(&skopeo)
        .arg("inspect")
        .arg("--config")
        .arg(format!("docker-archive:{}", docker_tar.display()))
        .output()
        .expect("spawn skopeo");
    assert_success(&inspect, "skopeo inspect --config docker-archive:");
    let config: Value = serde_json::from_slice(&inspect.stdout).expect("skopeo JSON");
    assert_eq!(config["config"]["User"], "65532:65532");

    let layout = dir.path().join("layout");
    std::fs::create_dir(&layout).unwrap();
    let untar = Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(&layout)
        .output()
        .expect("spawn tar");
    assert_success(&untar, "tar -x");
    let ls = Command::new(&umoci)
        .arg("ls")
        .arg("--layout")
        .arg(&layout)
        .output()
        .expect("umoci");
    assert_success(&ls, "umoci ls");
    assert_eq!(stdout(&ls).trim(), "wave-it-oci:1");
    let bundle = dir.path().join("bundle");
    let unpack = Command::new(&umoci)
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:wave-it-oci:1", layout.display()))
        .arg(&bundle)
        .output()
        .expect("umoci unpack");
    assert_success(&unpack, "umoci unpack");
    assert!(bundle.join("rootfs/usr/local/bin/wave").is_file());
    assert!(bundle.join("rootfs/bin/bash").is_file());
    let runtime: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    assert_eq!(runtime["process"]["user"]["uid"], 65532);
    assert_eq!(
        runtime["process"]["args"],
        serde_json::json!(["/usr/local/bin/wave", "supervise"])
    );
}

#[test]
fn base_image_from_docker_save_stays_under_the_wave_layers() {
    if !docker_available("base_image_from_docker_save_stays_under_the_wave_layers")
        || !toolset_present()
    {
        return;
    }
    let mut cleanup = Cleanup::default();
    let dir = tempfile::tempdir().expect("tempdir");
    let first = cleanup.image("first");
    build_ok(&["--load", "--tag", &first]);
    // A base with something of its own, as an executor image would have.
    let ctx = dir.path().join("ctx");
    std::fs::create_dir(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM {first}\nUSER 0\nRUN mkdir -p /opt/base && echo from-the-base > /opt/base/marker\nENV BASE_ONLY=1\n"
        ),
    )
    .unwrap();
    let base_tag = cleanup.image("base");
    let out = Command::new("docker")
        .args([
            "build",
            "--quiet",
            "--label",
            "wave.test=1",
            "--tag",
            &base_tag,
        ])
        .arg(&ctx)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker build");
    assert_success(&out, "docker build of the base");
    let base_tar = dir.path().join("base.tar");
    docker_ok(&["save", "--output", path_str(&base_tar), &base_tag]);

    let stacked = cleanup.image("stacked");
    let out_tar = dir.path().join("stacked.tar");
    let built = build_ok(&[
        "--format",
        "docker",
        "--output",
        path_str(&out_tar),
        "--tag",
        &stacked,
        "--base",
        path_str(&base_tar),
    ]);
    assert_eq!(
        built["layers"].as_array().map(Vec::len),
        Some(5),
        "3 base + 2 wave layers"
    );
    docker_ok(&["load", "--input", path_str(&out_tar)]);
    let cat = docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--label",
        "wave.test=1",
        "--entrypoint",
        "/bin/sh",
        &stacked,
        "-c",
        "cat /opt/base/marker; echo BASE_ONLY=$BASE_ONLY; wave --version",
    ]);
    assert_success(&cat, "run the stacked image");
    let text = stdout(&cat);
    assert!(text.contains("from-the-base"), "base file present: {text}");
    assert!(text.contains("BASE_ONLY=1"), "base env kept: {text}");
    assert!(text.contains("wave "), "wave layer on top: {text}");
    let inspect: Value =
        serde_json::from_str(&docker_ok(&["image", "inspect", &stacked])).expect("inspect");
    let c = &inspect[0]["Config"];
    assert_eq!(
        c["User"], "65532:65532",
        "our user overrides the base's USER 0"
    );
    assert_eq!(c["Cmd"], serde_json::json!(["supervise"]));
}
