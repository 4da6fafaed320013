//! The Nix flake (`flake.nix`, `flake.lock`), checked offline.
//!
//! These machines cannot download nixpkgs, so nothing here builds the package or the image.
//! What is checked: `flake.nix` parses; `flake.lock` pins each input the flake declares with
//! the right shape, and Nix itself agrees the lock is up to date; and the flake's outputs
//! evaluate, for both systems, against `tests/fixtures/nix/stub-nixpkgs` — a stand-in for
//! nixpkgs that defines only the attributes the flake may use, accepts only the argument names
//! of the real builders, and records what it was given — with the arguments the design asks
//! for. Every `nix` command runs with `--offline`, a private store under a temp dir, a temp
//! HOME and an empty NIX_CONF_DIR, so nothing touches `/nix` or the network.
//!
//! Gated like the Docker tests: without `nix-instantiate` on PATH the tests print SKIP, unless
//! `WAVE_REQUIRE_NIX=1` or `CI=true` (then they fail). `.ci/run` installs Debian's `nix-bin`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{assert_success, stderr, stdout};

const SYSTEMS: [(&str, &str); 2] = [
    ("x86_64-linux", "x86_64-unknown-linux-gnu"),
    ("aarch64-linux", "aarch64-unknown-linux-gnu"),
];

/// Whether Nix is installed. Panics when it is required (`WAVE_REQUIRE_NIX=1` or `CI=true`).
fn nix_available(test: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join("nix-instantiate").is_file()))
        .unwrap_or(false);
    if !found {
        let required = std::env::var("WAVE_REQUIRE_NIX").as_deref() == Ok("1")
            || std::env::var("CI").as_deref() == Ok("true");
        if required {
            panic!("{test}: WAVE_REQUIRE_NIX=1 or CI=true, but nix-instantiate is not on PATH (apt-get install nix-bin)");
        }
        eprintln!(
            "SKIP {test}: no nix-instantiate on PATH (set WAVE_REQUIRE_NIX=1 to make this fatal)"
        );
    }
    found
}

/// The repository root (this test binary belongs to crates/wave-cli).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn stub_nixpkgs() -> PathBuf {
    repo_root().join("tests/fixtures/nix/stub-nixpkgs")
}

/// A private Nix environment: its own store, HOME and caches under one temp dir.
struct Nix {
    dir: tempfile::TempDir,
}

impl Nix {
    fn new() -> Self {
        let nix = Self {
            dir: tempfile::tempdir().expect("nix temp dir"),
        };
        std::fs::create_dir_all(nix.dir.path().join("home")).expect("nix home");
        std::fs::create_dir_all(nix.dir.path().join("etc")).expect("nix conf dir");
        nix
    }

    fn command(&self, program: &str) -> Command {
        let home = self.dir.path().join("home");
        let mut cmd = Command::new(program);
        cmd.env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            // No system nix.conf either: only the options given here apply.
            .env("NIX_CONF_DIR", self.dir.path().join("etc"))
            .env_remove("NIX_PATH")
            .env_remove("NIX_REMOTE")
            .env_remove("NIX_CONFIG")
            .arg("--store")
            .arg(self.dir.path().join("store"));
        cmd
    }

    /// `nix-instantiate <args>` in this environment.
    fn instantiate(&self, args: &[&str]) -> Output {
        self.command("nix-instantiate")
            .args(args)
            .output()
            .expect("spawn nix-instantiate")
    }

    /// `nix <args>` with flakes enabled, offline, in this environment.
    fn nix(&self, args: &[&str]) -> Output {
        self.command("nix")
            .args([
                "--extra-experimental-features",
                "nix-command flakes",
                "--offline",
            ])
            .args(args)
            .output()
            .expect("spawn nix")
    }
}

impl Drop for Nix {
    /// Store paths are read-only; make them writable so the temp dir can be removed by a
    /// non-root user too.
    fn drop(&mut self) {
        fn writable(path: &Path) {
            use std::os::unix::fs::PermissionsExt;
            let Ok(meta) = std::fs::symlink_metadata(path) else {
                return;
            };
            if meta.is_dir() {
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
                for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                    writable(&entry.path());
                }
            }
        }
        writable(self.dir.path());
    }
}

/// A copy of the repository's tracked (and untracked, not ignored) files in a fresh git
/// repository: flakes in git see only files git knows, and this keeps `target/` out.
struct RepoCopy {
    dir: tempfile::TempDir,
}

impl RepoCopy {
    fn new() -> Self {
        let root = repo_root();
        let out = Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(&root)
            .output()
            .expect("spawn git ls-files");
        assert_success(&out, "git ls-files");
        let dir = tempfile::tempdir().expect("repo copy dir");
        for rel in out.stdout.split(|b| *b == 0).filter(|s| !s.is_empty()) {
            let rel = Path::new(std::str::from_utf8(rel).expect("utf-8 path"));
            let from = root.join(rel);
            if !from.is_file() {
                continue; // deleted in the work tree
            }
            let to = dir.path().join(rel);
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", rel.display()));
        }
        let copy = Self { dir };
        copy.git(&["init", "-q"]);
        copy.git(&["add", "-A"]);
        copy
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn url(&self) -> String {
        format!("git+file://{}", self.path().display())
    }

    fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("spawn git");
        assert_success(&out, &format!("git {args:?}"));
    }

    /// Replaces `from` by `to` in the copy's flake.nix (which must contain it).
    fn edit_flake(&self, from: &str, to: &str) {
        let path = self.path().join("flake.nix");
        let text = std::fs::read_to_string(&path).expect("read flake.nix");
        assert!(text.contains(from), "flake.nix has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write flake.nix");
        self.git(&["add", "-A"]);
    }
}

/// Evaluates `<copy>#<attr>` with nixpkgs replaced by the stub, through `apply`, as JSON.
fn eval_with_stub(nix: &Nix, copy: &RepoCopy, attr: &str, apply: &str) -> Result<Value, String> {
    let stub = format!("path:{}", stub_nixpkgs().display());
    let installable = format!("{}#{attr}", copy.url());
    let out = nix.nix(&[
        "eval",
        "--json",
        "--override-input",
        "nixpkgs",
        &stub,
        &installable,
        "--apply",
        apply,
    ]);
    if !out.status.success() {
        return Err(stderr(&out));
    }
    serde_json::from_str(&stdout(&out)).map_err(|e| format!("{attr}: not JSON: {e}"))
}

fn eval_ok(nix: &Nix, copy: &RepoCopy, attr: &str, apply: &str) -> Value {
    eval_with_stub(nix, copy, attr, apply).unwrap_or_else(|e| panic!("nix eval {attr}: {e}"))
}

/// The workspace version from Cargo.toml's `[workspace.package]`.
fn workspace_version() -> String {
    let text = std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("Cargo.toml");
    let section = text
        .split("[workspace.package]")
        .nth(1)
        .expect("[workspace.package]");
    let line = section
        .lines()
        .find(|l| l.trim_start().starts_with("version"))
        .expect("version line");
    line.split('"').nth(1).expect("quoted version").to_string()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or_else(|| panic!("not a string: {s}")))
        .collect()
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an attrset: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn system_names() -> BTreeSet<&'static str> {
    SYSTEMS.iter().map(|(s, _)| *s).collect()
}

#[test]
fn flake_nix_and_stub_parse() {
    if !nix_available("flake_nix_and_stub_parse") {
        return;
    }
    let nix = Nix::new();
    let root = repo_root();
    for file in [
        root.join("flake.nix"),
        stub_nixpkgs().join("flake.nix"),
        stub_nixpkgs().join("stub.nix"),
    ] {
        let path = file.to_str().expect("utf-8 path");
        let out = nix.instantiate(&["--parse", path]);
        assert_success(&out, &format!("nix-instantiate --parse {path}"));
    }
}

#[test]
fn flake_lock_pins_every_declared_input() {
    if !nix_available("flake_lock_pins_every_declared_input") {
        return;
    }
    let nix = Nix::new();
    let root = repo_root();
    // What flake.nix declares: its inputs' URLs and the arguments `outputs` takes.
    let expr = format!(
        "let f = import {}/flake.nix; in {{ inputs = builtins.mapAttrs (_: i: i.url) f.inputs; \
         args = builtins.attrNames (builtins.functionArgs f.outputs); }}",
        root.display()
    );
    let out = nix.instantiate(&["--eval", "--strict", "--json", "-E", &expr]);
    assert_success(&out, "nix-instantiate --eval flake.nix inputs");
    let declared: Value = serde_json::from_str(&stdout(&out)).expect("inputs JSON");
    let inputs = declared["inputs"].as_object().expect("inputs");
    assert_eq!(keys(&declared["inputs"]), BTreeSet::from(["nixpkgs"]));
    let mut args = strs(&declared["args"]);
    args.sort_unstable();
    assert_eq!(
        args,
        ["nixpkgs", "self"],
        "outputs takes self and each input"
    );

    let lock: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("flake.lock")).expect("read flake.lock"),
    )
    .expect("flake.lock is JSON");
    assert_eq!(lock["version"], 7, "lock file format version");
    assert_eq!(lock["root"], "root");
    let root_inputs = &lock["nodes"]["root"]["inputs"];
    assert_eq!(
        keys(root_inputs),
        inputs.keys().map(String::as_str).collect()
    );
    for (name, url) in inputs {
        let node = &lock["nodes"][root_inputs[name].as_str().expect("node name")];
        // github:OWNER/REPO/REF
        let url = url.as_str().expect("url string");
        let spec = url.strip_prefix("github:").expect("a github: input");
        let parts: Vec<&str> = spec.split('/').collect();
        assert_eq!(parts.len(), 3, "{url}: github:owner/repo/ref");
        let original = &node["original"];
        assert_eq!(original["type"], "github", "{name} original");
        assert_eq!(original["owner"], parts[0], "{name} original owner");
        assert_eq!(original["repo"], parts[1], "{name} original repo");
        assert_eq!(original["ref"], parts[2], "{name} original ref");
        let locked = &node["locked"];
        assert_eq!(locked["type"], "github", "{name} locked");
        assert_eq!(locked["owner"], parts[0]);
        assert_eq!(locked["repo"], parts[1]);
        let rev = locked["rev"].as_str().expect("locked rev");
        assert!(
            rev.len() == 40
                && rev
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{name}: rev {rev:?} is not 40 lowercase hex digits"
        );
        let nar = locked["narHash"].as_str().expect("narHash");
        let b64 = nar
            .strip_prefix("sha256-")
            .expect("narHash is sha256-<base64>");
        // 32 bytes in base64: 43 significant characters and one '=' of padding.
        assert_eq!(b64.len(), 44, "{name}: narHash {nar:?} is not 32 bytes");
        assert!(b64.ends_with('=') && !b64[..43].contains('='));
        assert!(b64[..43]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'));
        let modified = locked["lastModified"]
            .as_u64()
            .expect("lastModified integer");
        assert!(modified > 1_600_000_000, "{name}: lastModified {modified}");
    }

    // Nix itself agrees the lock matches flake.nix: with the lock up to date, `flake lock`
    // needs nothing from the network (a changed input would make it try to download).
    let copy = RepoCopy::new();
    let out = nix.nix(&["flake", "lock", "--no-update-lock-file", &copy.url()]);
    assert_success(&out, "nix flake lock --no-update-lock-file");
}

#[test]
fn flake_outputs_evaluate_against_stub_nixpkgs() {
    if !nix_available("flake_outputs_evaluate_against_stub_nixpkgs") {
        return;
    }
    let nix = Nix::new();
    let copy = RepoCopy::new();
    let version = workspace_version();
    let systems = system_names();
    let per_system = |apply: &str| format!("outs: builtins.mapAttrs (system: {apply}) outs");

    // packages: the static binary and the image.
    let packages = eval_ok(
        &nix,
        &copy,
        "packages",
        &per_system(
            "ps: builtins.mapAttrs (_: d: { inherit (d) stub; out = d.outPath; \
             nss = builtins.map (c: c.stub) (d.stubArgs.contents or []); }) ps",
        ),
    );
    assert_eq!(keys(&packages), systems);
    for (system, target) in SYSTEMS {
        let ps = &packages[system];
        assert_eq!(keys(ps), BTreeSet::from(["default", "image", "wave"]));
        assert_eq!(ps["default"], ps["wave"]);
        let wave = &ps["default"]["stub"];
        assert_eq!(wave["kind"], "buildRustPackage");
        assert_eq!(wave["system"], system);
        let args = &wave["args"];
        assert_eq!(args["pname"], "wave");
        assert_eq!(args["version"], version.as_str());
        assert_eq!(strs(&args["cargoBuildFlags"]), ["-p", "wave-cli"]);
        assert_eq!(args["doCheck"], true, "{system}: the package runs tests");
        let lock = args["cargoLock"]["lockFile"].as_str().expect("lockFile");
        assert!(
            lock.ends_with("-source/Cargo.lock"),
            "{system}: lockFile {lock}"
        );
        let env = &args["env"];
        assert_eq!(env["CARGO_BUILD_TARGET"], target, "{system}: own target");
        let rustflags = env["RUSTFLAGS"].as_str().expect("RUSTFLAGS");
        assert!(
            rustflags.contains("target-feature=+crt-static"),
            "{rustflags}"
        );
        assert!(strs(&args["buildInputs"]).contains(&"drv:glibc-static"));
        let files = strs(&args["src"]["fileset"]);
        for needed in ["Cargo.toml", "Cargo.lock", ".cargo", "crates", "tests"] {
            assert!(
                files.contains(&needed),
                "{system}: src lacks {needed}: {files:?}"
            );
        }

        let image = &ps["image"]["stub"];
        assert_eq!(image["kind"], "streamLayeredImage");
        assert_eq!(image["system"], system);
        let args = &image["args"];
        assert_eq!(args["created"], "1970-01-01T00:00:01Z");
        let contents = strs(&args["contents"]);
        let wave_drv = format!("drv:wave-{version}");
        for needed in [
            wave_drv.as_str(),
            "drv:fake-nss",
            "drv:bash",
            "drv:coreutils",
            "drv:cacert",
        ] {
            assert!(contents.contains(&needed), "{system}: image lacks {needed}");
        }
        let config = &args["config"];
        assert_eq!(config["User"], "65532:65532");
        assert_eq!(strs(&config["Entrypoint"]), ["/usr/local/bin/wave"]);
        assert_eq!(strs(&config["Cmd"]), ["supervise"]);
        assert_eq!(config["WorkingDir"], "/workspace");
        assert_eq!(
            keys(&config["Volumes"]),
            BTreeSet::from(["/workspace/.tmp", "/workspace/.wave"])
        );
        let env = strs(&config["Env"]);
        for needed in ["WAVE_REPO_ROOT=/workspace", "HOME=/home/wave"] {
            assert!(env.contains(&needed), "{system}: image env lacks {needed}");
        }
        assert!(env
            .iter()
            .any(|e| e.starts_with("SSL_CERT_FILE=/nix/store/") && e.contains("-cacert/")));
        let labels = keys(&config["Labels"]);
        for label in ["title", "version", "licenses", "source", "revision"] {
            let key = format!("org.opencontainers.image.{label}");
            assert!(labels.contains(key.as_str()), "{system}: no label {key}");
        }
        assert_eq!(
            config["Labels"]["org.opencontainers.image.version"],
            version.as_str()
        );
        assert_eq!(
            strs(&config["Healthcheck"]["Test"]),
            ["CMD", "/usr/local/bin/wave", "health"]
        );
        let root_cmds = args["fakeRootCommands"].as_str().expect("fakeRootCommands");
        let wave_out = ps["default"]["out"].as_str().expect("outPath");
        for needed in [
            "workspace/.tmp workspace/.wave home/wave tmp",
            &format!("ln -s {wave_out}/bin/wave usr/local/bin/wave"),
            "chown -R 65532:65532 workspace home/wave",
            "chmod 1777 tmp",
        ] {
            assert!(
                root_cmds.contains(needed),
                "{system}: fakeRootCommands lack {needed:?}"
            );
        }
        let nss = ps["image"]["nss"]
            .as_array()
            .expect("contents")
            .iter()
            .find(|c| c["kind"] == "fakeNss")
            .expect("a fakeNss override in the image");
        assert_eq!(
            strs(&nss["args"]["extraPasswdLines"]),
            ["wave:x:65532:65532:wave:/home/wave:/bin/bash"]
        );
        assert_eq!(strs(&nss["args"]["extraGroupLines"]), ["wave:x:65532:"]);
    }

    // checks: fmt, clippy -D warnings, the full test suite, the package, the image streaming.
    let checks = eval_ok(
        &nix,
        &copy,
        "checks",
        &per_system("cs: builtins.mapAttrs (_: d: d.stub) cs"),
    );
    assert_eq!(keys(&checks), systems);
    for (system, target) in SYSTEMS {
        let cs = &checks[system];
        assert_eq!(
            keys(cs),
            BTreeSet::from(["clippy", "fmt", "image", "tests", "wave"])
        );
        assert_eq!(cs["wave"], packages[system]["default"]["stub"]);
        let fmt = cs["fmt"]["args"]["script"].as_str().expect("fmt script");
        assert!(fmt.contains("cargo fmt --all -- --check"), "{fmt}");
        let clippy = &cs["clippy"]["args"];
        let build = clippy["buildPhase"].as_str().expect("clippy buildPhase");
        assert!(
            build.contains("cargo clippy --workspace --all-targets")
                && build.contains("-D warnings"),
            "{build}"
        );
        assert_eq!(clippy["env"]["CARGO_BUILD_TARGET"], target);
        assert!(strs(&clippy["nativeBuildInputs"]).contains(&"drv:clippy"));
        let tests = &cs["tests"]["args"];
        assert_eq!(tests["doCheck"], true);
        assert_eq!(strs(&tests["cargoTestFlags"]), ["--workspace"]);
        assert_eq!(tests["env"]["CARGO_BUILD_TARGET"], target);
        // The sandbox has no /bin/bash: fixtures' shebangs are pointed at the store's bash.
        let patch = tests["postPatch"].as_str().expect("tests postPatch");
        assert!(
            patch.contains("s|#!/bin/bash|#!/nix/store/") && patch.contains("-bash/bin/bash|g")
        );
        let inputs = strs(&tests["nativeCheckInputs"]);
        for needed in ["drv:bash", "drv:procps", "drv:git"] {
            assert!(inputs.contains(&needed), "{system}: tests lack {needed}");
        }
        let image = cs["image"]["args"]["script"].as_str().expect("image check");
        assert!(image.contains("-stream-wave > image.tar"), "{image}");
    }

    // devShells: the toolchain and the container tools, building for the system's own target.
    let shells = eval_ok(
        &nix,
        &copy,
        "devShells",
        &per_system("s: builtins.mapAttrs (_: d: d.stub) s"),
    );
    assert_eq!(keys(&shells), systems);
    for (system, target) in SYSTEMS {
        let shell = &shells[system]["default"];
        assert_eq!(shell["kind"], "mkShell");
        let packages = strs(&shell["args"]["packages"]);
        for tool in [
            "rustc",
            "cargo",
            "clippy",
            "rustfmt",
            "cargo-nextest",
            "docker-client",
            "docker-compose",
            "kubectl",
            "skopeo",
            "umoci",
        ] {
            let drv = format!("drv:{tool}");
            assert!(
                packages.contains(&drv.as_str()),
                "{system}: shell lacks {tool}"
            );
        }
        assert_eq!(shell["args"]["env"]["CARGO_BUILD_TARGET"], target);
    }

    // apps and formatter.
    let apps = eval_ok(&nix, &copy, "apps", "a: a");
    assert_eq!(keys(&apps), systems);
    for (system, _) in SYSTEMS {
        let app = &apps[system]["default"];
        assert_eq!(app["type"], "app");
        let wave_out = packages[system]["default"]["out"]
            .as_str()
            .expect("outPath");
        assert_eq!(app["program"], format!("{wave_out}/bin/wave"));
    }
    let formatter = eval_ok(&nix, &copy, "formatter", &per_system("f: f.stub.name"));
    assert_eq!(keys(&formatter), systems);
    for (system, _) in SYSTEMS {
        assert_eq!(formatter[system], "nixfmt-tree");
    }
}

/// The stand-in has teeth: an attribute nixpkgs lacks, or an argument a builder does not take,
/// fails the evaluation with a message naming it.
#[test]
fn stub_nixpkgs_rejects_what_nixpkgs_would() {
    if !nix_available("stub_nixpkgs_rejects_what_nixpkgs_would") {
        return;
    }
    let nix = Nix::new();
    let cases = [
        ("pkgs.umoci", "pkgs.umocii", "devShells", "umocii"),
        (
            "cargoBuildFlags = [",
            "cargoBuildFlag = [",
            "packages",
            "cargoBuildFlag",
        ),
        ("WorkingDir = ", "Workdir = ", "packages", "Workdir"),
    ];
    for (from, to, attr, named) in cases {
        let copy = RepoCopy::new();
        copy.edit_flake(from, to);
        let apply = "outs: builtins.mapAttrs (_: builtins.mapAttrs (_: d: d.stub)) outs";
        match eval_with_stub(&nix, &copy, attr, apply) {
            Ok(v) => panic!("{to:?} evaluated: {v}"),
            Err(err) => assert!(
                err.contains(named),
                "{to:?}: error does not name {named}: {err}"
            ),
        }
    }
}

/// `cargoLock.lockFile` vendors from Cargo.lock alone only when every dependency comes from a
/// registry with a checksum; a git dependency would need `cargoLock.outputHashes` in the flake.
/// Needs no Nix, so it always runs.
#[test]
fn cargo_lock_vendors_without_extra_hashes() {
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).expect("Cargo.lock");
    let mut registry = 0;
    for line in lock.lines() {
        if let Some(source) = line.strip_prefix("source = ") {
            assert!(
                source.starts_with("\"registry+"),
                "Cargo.lock: {source} is not a registry source; flake.nix needs cargoLock.outputHashes for it"
            );
            registry += 1;
        }
    }
    let checksums = lock
        .lines()
        .filter(|l| l.starts_with("checksum = "))
        .count();
    assert_eq!(checksums, registry, "every registry package has a checksum");
}
