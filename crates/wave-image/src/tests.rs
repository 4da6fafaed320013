//! Whole-image tests: determinism of both archive formats, their shapes, digests that match
//! the content, and `--base` over small synthetic base images.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde_json::{json, Value};

use super::*;

/// A minimal static x86_64 ELF: header, one program header (`PT_LOAD`, or `interp`), payload.
fn fake_elf(interp: Option<u32>) -> Vec<u8> {
    let mut elf = vec![0u8; 64];
    elf[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\0");
    elf[16] = 2; // ET_EXEC
    elf[18] = 0x3e; // x86_64
    elf[32] = 64; // e_phoff
    elf[54] = 56; // e_phentsize
    elf[56] = 1; // e_phnum
    let mut ph = vec![0u8; 56];
    ph[..4].copy_from_slice(&interp.unwrap_or(1).to_le_bytes());
    elf.extend_from_slice(&ph);
    elf.extend_from_slice(&[7; 4096]);
    elf
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("wave"), fake_elf(None)).unwrap();
        std::fs::write(dir.path().join("bash-static"), b"bash").unwrap();
        std::fs::write(dir.path().join("busybox"), b"busybox").unwrap();
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn request(&self, base: Option<PathBuf>) -> BuildRequest {
        let mut definition = Definition::supervisor();
        let t = definition.toolset.as_mut().unwrap();
        t.bash.from = self.path("bash-static");
        t.busybox.from = self.path("busybox");
        definition.host_files.clear();
        BuildRequest {
            definition,
            host: HostInputs {
                wave_binary: self.path("wave"),
                no_toolset: false,
            },
            tag: "wave-supervisor:test".into(),
            base,
            epoch: 1_700_000_000,
            version: "0.1.0".into(),
            source: "https://example.invalid/wave".into(),
        }
    }

    fn archive(&self, req: &BuildRequest, format: Format) -> Vec<u8> {
        build(req).unwrap().write(format, Vec::new()).unwrap()
    }
}

/// name → (mtime, bytes) of every entry, in archive order.
fn entries(archive: &[u8]) -> Vec<(String, u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut ar = tar::Archive::new(archive);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mtime = e.header().mtime().unwrap();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.push((name, mtime, data));
    }
    out
}

fn files(archive: &[u8]) -> BTreeMap<String, Vec<u8>> {
    entries(archive)
        .into_iter()
        .map(|(n, _, d)| (n, d))
        .collect()
}

fn json_of(files: &BTreeMap<String, Vec<u8>>, name: &str) -> Value {
    serde_json::from_slice(&files[name]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn blob<'a>(files: &'a BTreeMap<String, Vec<u8>>, digest: &str) -> &'a [u8] {
    let name = format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"));
    let data = &files[&name];
    assert_eq!(
        Digest::of(data).as_str(),
        digest,
        "{name}: content matches its digest"
    );
    data
}

fn layer_paths(gz: &[u8]) -> Vec<String> {
    let mut raw = Vec::new();
    GzDecoder::new(gz).read_to_end(&mut raw).unwrap();
    let mut ar = tar::Archive::new(raw.as_slice());
    ar.entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn two_builds_are_byte_identical_in_both_formats() {
    let fx = Fixture::new();
    for format in [Format::Oci, Format::Docker] {
        let a = fx.archive(&fx.request(None), format);
        let b = fx.archive(&fx.request(None), format);
        assert!(a == b, "{format:?}: two builds differ");
        let names: Vec<String> = entries(&a).into_iter().map(|e| e.0).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "{format:?}: entries sorted");
        assert!(
            entries(&a).iter().all(|e| e.1 == 1_700_000_000),
            "fixed mtimes"
        );
    }
    let mut later = fx.request(None);
    later.epoch = 1;
    assert_ne!(
        fx.archive(&later, Format::Oci),
        fx.archive(&fx.request(None), Format::Oci)
    );
}

#[test]
fn oci_layout_shape_and_digests() {
    let fx = Fixture::new();
    let files = files(&fx.archive(&fx.request(None), Format::Oci));
    assert_eq!(
        json_of(&files, "oci-layout"),
        json!({"imageLayoutVersion": "1.0.0"})
    );
    let index = json_of(&files, "index.json");
    let desc = &index["manifests"][0];
    assert_eq!(
        desc["annotations"]["org.opencontainers.image.ref.name"],
        "wave-supervisor:test"
    );
    assert_eq!(desc["platform"]["architecture"], "amd64");
    let manifest: Value =
        serde_json::from_slice(blob(&files, desc["digest"].as_str().unwrap())).unwrap();
    assert_eq!(manifest["schemaVersion"], 2);
    let config: Value =
        serde_json::from_slice(blob(&files, manifest["config"]["digest"].as_str().unwrap()))
            .unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    for (i, l) in layers.iter().enumerate() {
        assert_eq!(l["mediaType"], layer::MEDIA_TYPE_LAYER_GZIP);
        let gz = blob(&files, l["digest"].as_str().unwrap());
        assert_eq!(l["size"].as_u64().unwrap(), gz.len() as u64);
        let mut raw = Vec::new();
        GzDecoder::new(gz).read_to_end(&mut raw).unwrap();
        assert_eq!(
            config["rootfs"]["diff_ids"][i],
            Digest::of(&raw).as_str(),
            "diff_id {i}"
        );
    }
    let c = &config["config"];
    assert_eq!(c["User"], "65532:65532");
    assert_eq!(c["Entrypoint"], json!(["/usr/local/bin/wave"]));
    assert_eq!(c["Cmd"], json!(["supervise"]));
    assert_eq!(
        c["Volumes"],
        json!({"/workspace/.tmp": {}, "/workspace/.wave": {}})
    );
    assert_eq!(
        c["Labels"]["org.opencontainers.image.created"],
        "2023-11-14T22:13:20Z"
    );
    assert_eq!(c["Labels"]["org.opencontainers.image.licenses"], "MIT");
    assert_eq!(
        c["Healthcheck"]["Test"],
        json!(["CMD", "/usr/local/bin/wave", "health"])
    );
    assert_eq!(config["created"], "2023-11-14T22:13:20Z");

    let fs = layer_paths(blob(&files, layers[0]["digest"].as_str().unwrap()));
    for p in [
        "bin/bash",
        "bin/busybox",
        "bin/tee",
        "usr/bin/env",
        "etc/passwd",
        "tmp",
        "workspace/.wave",
    ] {
        assert!(
            fs.iter().any(|e| e.trim_end_matches('/') == p),
            "{p} in {fs:?}"
        );
    }
    let bin = layer_paths(blob(&files, layers[1]["digest"].as_str().unwrap()));
    assert!(bin.contains(&"usr/local/bin/wave".to_string()), "{bin:?}");
    assert!(
        bin.contains(&"usr/local/bin/wave-feedback".to_string()),
        "{bin:?}"
    );
}

#[test]
fn docker_archive_manifest_shape() {
    let fx = Fixture::new();
    let files = files(&fx.archive(&fx.request(None), Format::Docker));
    let manifest = json_of(&files, "manifest.json");
    let entry = &manifest.as_array().unwrap()[0];
    assert_eq!(manifest.as_array().unwrap().len(), 1);
    assert_eq!(entry["RepoTags"], json!(["wave-supervisor:test"]));
    let config_name = entry["Config"].as_str().unwrap();
    let config_digest = format!("sha256:{}", config_name.trim_start_matches("blobs/sha256/"));
    let config: Value = serde_json::from_slice(blob(&files, &config_digest)).unwrap();
    let layers = entry["Layers"].as_array().unwrap();
    assert_eq!(
        layers.len(),
        config["rootfs"]["diff_ids"].as_array().unwrap().len()
    );
    for l in layers {
        assert!(files.contains_key(l.as_str().unwrap()), "{l}");
    }
    assert!(!files.contains_key("index.json"));
}

#[test]
fn no_toolset_leaves_bash_and_busybox_out() {
    let fx = Fixture::new();
    let mut req = fx.request(None);
    req.host.no_toolset = true;
    let image = build(&req).unwrap();
    let write::BlobSource::Memory(fs) = &image.layers[0].source else {
        panic!("memory")
    };
    let paths = layer_paths(fs);
    assert!(!paths.iter().any(|p| p.starts_with("bin")), "{paths:?}");
}

/// A `docker save`-style archive (uncompressed layer, Docker 20.10 naming) with one file.
fn synthetic_docker_base(path: &Path) {
    let mut layer = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(5);
    h.set_mode(0o644);
    layer
        .append_data(&mut h, "etc/base-release", &b"base\n"[..])
        .unwrap();
    let layer = layer.into_inner().unwrap();
    let diff_id = Digest::of(&layer);
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin", "LANG=C"], "Cmd": ["/bin/sh"], "Labels": {"base": "yes"}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id.as_str()]},
        "history": [{"created_by": "base layer"}]
    });
    let config = serde_json::to_vec(&config).unwrap();
    let manifest =
        json!([{"Config": "cfg.json", "RepoTags": ["base:1"], "Layers": ["abc/layer.tar"]}]);
    let mut out = tar::Builder::new(std::fs::File::create(path).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        out.append_data(&mut h, name, data).unwrap();
    };
    add("abc/layer.tar", &layer);
    add("cfg.json", &config);
    add("manifest.json", manifest.to_string().as_bytes());
    out.finish().unwrap();
}

#[test]
fn base_from_a_docker_archive_keeps_its_layers_under_ours() {
    let fx = Fixture::new();
    let base_path = fx.path("base.tar");
    synthetic_docker_base(&base_path);
    let req = fx.request(Some(base_path.clone()));
    let a = fx.archive(&req, Format::Oci);
    assert_eq!(
        a,
        fx.archive(&req, Format::Oci),
        "deterministic with a base too"
    );
    let files = files(&a);
    let index = json_of(&files, "index.json");
    let manifest: Value = serde_json::from_slice(blob(
        &files,
        index["manifests"][0]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    assert_eq!(layers[0]["mediaType"], base::MEDIA_TYPE_LAYER_TAR);
    let base_layer = blob(&files, layers[0]["digest"].as_str().unwrap());
    let mut ar = tar::Archive::new(base_layer);
    let names: Vec<String> = ar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["etc/base-release"], "base layer copied as is");
    let config: Value =
        serde_json::from_slice(blob(&files, manifest["config"]["digest"].as_str().unwrap()))
            .unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"][0], layers[0]["digest"],
        "uncompressed: diff_id = digest"
    );
    assert_eq!(
        config["config"]["Env"][0],
        "PATH=/usr/local/bin:/bin:/usr/sbin:/usr/bin"
    );
    assert_eq!(config["config"]["Env"][1], "LANG=C");
    assert_eq!(config["config"]["Labels"]["base"], "yes");
    assert_eq!(config["config"]["Cmd"], json!(["supervise"]));
    assert_eq!(config["history"].as_array().unwrap().len(), 3);
}

#[test]
fn base_from_an_oci_layout_reuses_its_blobs() {
    let fx = Fixture::new();
    let first = fx.archive(&fx.request(None), Format::Oci);
    let base_path = fx.path("first.tar");
    std::fs::write(&base_path, &first).unwrap();
    let image = build(&fx.request(Some(base_path))).unwrap();
    let first_files = files(&first);
    let first_index = json_of(&first_files, "index.json");
    let first_manifest: Value = serde_json::from_slice(blob(
        &first_files,
        first_index["manifests"][0]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(image.layers.len(), 4);
    for i in 0..2 {
        assert_eq!(
            image.layers[i].digest.as_str(),
            first_manifest["layers"][i]["digest"]
        );
    }
    // The docker format of the stacked image is loadable-shaped too.
    let files = files(&image.write(Format::Docker, Vec::new()).unwrap());
    let manifest = json_of(&files, "manifest.json");
    assert_eq!(manifest[0]["Layers"].as_array().unwrap().len(), 4);
}

#[test]
fn a_base_for_another_architecture_is_refused() {
    let fx = Fixture::new();
    let base_path = fx.path("base.tar");
    synthetic_docker_base(&base_path);
    let mut elf = std::fs::read(fx.path("wave")).unwrap();
    elf[18] = 0xb7; // aarch64
    std::fs::write(fx.path("wave"), elf).unwrap();
    let err = build(&fx.request(Some(base_path))).unwrap_err().to_string();
    assert!(
        err.contains("base.tar") && err.contains("amd64") && err.contains("arm64"),
        "{err}"
    );
}

#[test]
fn tags_are_checked_and_completed() {
    assert_eq!(normalise_tag("wave").unwrap(), "wave:latest");
    assert_eq!(
        normalise_tag("wave-supervisor:dev").unwrap(),
        "wave-supervisor:dev"
    );
    assert_eq!(
        normalise_tag("localhost:5000/team/wave:1.0").unwrap(),
        "localhost:5000/team/wave:1.0"
    );
    for bad in ["Wave:dev", "wave:", ":dev", "wave:bad tag", "a//b:1"] {
        let err = normalise_tag(bad).unwrap_err().to_string();
        assert!(err.contains("--tag"), "{bad}: {err}");
    }
}

#[test]
fn epoch_comes_from_source_date_epoch() {
    assert_eq!(epoch_from_env(None).unwrap(), 0);
    assert_eq!(epoch_from_env(Some("1700000000")).unwrap(), 1_700_000_000);
    assert!(epoch_from_env(Some("yesterday"))
        .unwrap_err()
        .to_string()
        .contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn a_non_elf_or_dynamic_wave_binary_is_refused() {
    let fx = Fixture::new();
    std::fs::write(fx.path("wave"), b"#!/bin/sh\necho hi\n").unwrap();
    let err = build(&fx.request(None)).unwrap_err().to_string();
    assert!(err.contains("ELF"), "{err}");
    std::fs::write(fx.path("wave"), fake_elf(Some(3))).unwrap();
    let err = build(&fx.request(None)).unwrap_err().to_string();
    assert!(
        err.contains("dynamically linked") && err.contains("crt-static"),
        "{err}"
    );
}
