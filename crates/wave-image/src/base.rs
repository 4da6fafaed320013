//! Reading a base image for `--base`: a `docker save` archive (`manifest.json`) or an OCI image
//! layout tar (`index.json`). Its config is parsed; its layers are not unpacked or recompressed
//! but referenced by their byte range in the tar and copied as they are into the output.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::digest::{Digest, HashWriter};
use crate::layer::MEDIA_TYPE_LAYER_GZIP;
use crate::write::{Blob, BlobSource};
use crate::Error;

/// Media type of an uncompressed OCI layer.
pub const MEDIA_TYPE_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

const MAX_JSON: u64 = 16 << 20;
const MAX_LINK_HOPS: usize = 8;

/// A base image: its config and its layers, bottom first.
#[derive(Debug)]
pub struct BaseImage {
    /// The image config JSON.
    pub config: Value,
    /// The layer blobs (ranges of the base tar).
    pub layers: Vec<Blob>,
}

#[derive(Default)]
struct TarIndex {
    files: BTreeMap<String, (u64, u64)>,
    links: BTreeMap<String, String>,
}

/// Reads the base image at `path`.
pub fn read(path: &Path) -> Result<BaseImage, Error> {
    let err = |msg: String| Error::Base {
        path: path.to_path_buf(),
        msg,
    };
    let mut file = File::open(path).map_err(|e| err(format!("open: {e}")))?;
    let index = index(&mut file).map_err(|e| err(format!("not a readable tar: {e}")))?;
    let mut reader = Reader {
        file,
        index,
        path: path.to_path_buf(),
    };
    if reader.index.files.contains_key("manifest.json") {
        reader.docker_archive().map_err(err)
    } else if reader.index.files.contains_key("index.json") {
        reader.oci_layout().map_err(err)
    } else {
        Err(err(
            "neither manifest.json (docker save) nor index.json (OCI layout) is in it".into(),
        ))
    }
}

fn index(file: &mut File) -> io::Result<TarIndex> {
    let mut out = TarIndex::default();
    let mut archive = tar::Archive::new(file);
    for entry in archive.entries_with_seek()? {
        let entry = entry?;
        let name = normalise(&entry.path()?.to_string_lossy());
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                out.files
                    .insert(name, (entry.raw_file_position(), entry.size()));
            }
            tar::EntryType::Symlink => {
                if let Some(target) = entry.link_name()? {
                    let target = target.to_string_lossy();
                    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                    out.links.insert(name.clone(), join(dir, &target));
                }
            }
            tar::EntryType::Link => {
                if let Some(target) = entry.link_name()? {
                    out.links.insert(name, normalise(&target.to_string_lossy()));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn normalise(path: &str) -> String {
    join("", path)
}

/// `dir/rel` with `.` and `..` resolved, no leading or trailing `/`.
fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

struct Reader {
    file: File,
    index: TarIndex,
    path: PathBuf,
}

impl Reader {
    fn locate(&self, name: &str) -> Result<(u64, u64), String> {
        let mut name = normalise(name);
        for _ in 0..MAX_LINK_HOPS {
            if let Some(range) = self.index.files.get(&name) {
                return Ok(*range);
            }
            match self.index.links.get(&name) {
                Some(target) => name = target.clone(),
                None => break,
            }
        }
        Err(format!("{name} is not in it"))
    }

    fn read_json(&mut self, name: &str) -> Result<Value, String> {
        let (offset, size) = self.locate(name)?;
        if size > MAX_JSON {
            return Err(format!("{name} is over {MAX_JSON} bytes"));
        }
        let mut data = vec![0; size as usize];
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut data))
            .map_err(|e| format!("read {name}: {e}"))?;
        serde_json::from_slice(&data).map_err(|e| format!("{name}: not JSON: {e}"))
    }

    fn docker_archive(&mut self) -> Result<BaseImage, String> {
        let manifest = self.read_json("manifest.json")?;
        let images = manifest
            .as_array()
            .ok_or("manifest.json: expected an array")?;
        let [image] = images.as_slice() else {
            return Err(format!(
                "manifest.json lists {} images; save exactly one as the base",
                images.len()
            ));
        };
        let config_name = image["Config"]
            .as_str()
            .ok_or("manifest.json: Config is missing")?;
        let config = self.read_json(config_name)?;
        let names = image["Layers"]
            .as_array()
            .ok_or("manifest.json: Layers is missing")?;
        let mut layers = Vec::new();
        for name in names {
            let name = name
                .as_str()
                .ok_or("manifest.json: a layer is not a path")?;
            let (offset, size) = self.locate(name)?;
            let (digest, magic) = self
                .hash_range(offset, size)
                .map_err(|e| format!("read {name}: {e}"))?;
            layers.push(Blob {
                digest,
                size,
                media_type: sniff_media_type(&magic).to_string(),
                source: BlobSource::Range {
                    file: self.path.clone(),
                    offset,
                },
            });
        }
        check_layer_count(&config, layers.len())?;
        Ok(BaseImage { config, layers })
    }

    fn oci_layout(&mut self) -> Result<BaseImage, String> {
        let mut descriptor = {
            let index = self.read_json("index.json")?;
            pick_manifest(&index, "index.json")?
        };
        for _ in 0..MAX_LINK_HOPS {
            let media = descriptor["mediaType"].as_str().unwrap_or_default();
            let doc = self.read_blob_json(&descriptor)?;
            if media.ends_with("image.index.v1+json") || media.ends_with("manifest.list.v2+json") {
                descriptor = pick_manifest(&doc, "a nested index")?;
                continue;
            }
            let config = self.read_blob_json(&doc["config"])?;
            let mut layers = Vec::new();
            for layer in doc["layers"].as_array().ok_or("manifest: layers missing")? {
                let digest = blob_digest(layer)?;
                let (offset, size) = self.locate(&blob_path(&digest))?;
                if layer["size"].as_u64() != Some(size) {
                    return Err(format!("layer {digest}: size differs from the manifest"));
                }
                let media = layer["mediaType"].as_str().unwrap_or(MEDIA_TYPE_LAYER_TAR);
                layers.push(Blob {
                    digest,
                    size,
                    media_type: oci_media_type(media).to_string(),
                    source: BlobSource::Range {
                        file: self.path.clone(),
                        offset,
                    },
                });
            }
            check_layer_count(&config, layers.len())?;
            return Ok(BaseImage { config, layers });
        }
        Err("index.json: nested indexes go too deep".into())
    }

    fn read_blob_json(&mut self, descriptor: &Value) -> Result<Value, String> {
        let digest = blob_digest(descriptor)?;
        self.read_json(&blob_path(&digest))
    }

    fn hash_range(&mut self, offset: u64, size: u64) -> io::Result<(Digest, Vec<u8>)> {
        self.file.seek(SeekFrom::Start(offset))?;
        let mut magic = vec![0; size.min(4) as usize];
        self.file.read_exact(&mut magic)?;
        self.file.seek(SeekFrom::Start(offset))?;
        let mut hasher = HashWriter::new(io::sink());
        let copied = io::copy(&mut (&mut self.file).take(size), &mut hasher)?;
        if copied != size {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated"));
        }
        let (_, digest, _) = hasher.finish();
        Ok((digest, magic))
    }
}

fn pick_manifest(index: &Value, what: &str) -> Result<Value, String> {
    let manifests = index["manifests"]
        .as_array()
        .ok_or(format!("{what}: manifests missing"))?;
    if let [one] = manifests.as_slice() {
        return Ok(one.clone());
    }
    let arch = crate::config::oci_architecture(std::env::consts::ARCH).unwrap_or("amd64");
    manifests
        .iter()
        .find(|m| m["platform"]["os"] == "linux" && m["platform"]["architecture"] == arch)
        .cloned()
        .ok_or(format!(
            "{what} lists {} manifests and none for linux/{arch}",
            manifests.len()
        ))
}

fn blob_digest(descriptor: &Value) -> Result<Digest, String> {
    let text = descriptor["digest"].as_str().unwrap_or_default();
    Digest::parse(text).ok_or(format!("expected a sha256 digest, got {text:?}"))
}

fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

fn check_layer_count(config: &Value, layers: usize) -> Result<(), String> {
    let diff_ids = config["rootfs"]["diff_ids"].as_array().map_or(0, Vec::len);
    if diff_ids != layers {
        return Err(format!(
            "its config lists {diff_ids} diff_ids for {layers} layers"
        ));
    }
    Ok(())
}

fn sniff_media_type(magic: &[u8]) -> &'static str {
    match magic {
        [0x1f, 0x8b, ..] => MEDIA_TYPE_LAYER_GZIP,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "application/vnd.oci.image.layer.v1.tar+zstd",
        _ => MEDIA_TYPE_LAYER_TAR,
    }
}

fn oci_media_type(media: &str) -> &str {
    match media {
        "application/vnd.docker.image.rootfs.diff.tar.gzip" => MEDIA_TYPE_LAYER_GZIP,
        "application/vnd.docker.image.rootfs.diff.tar" => MEDIA_TYPE_LAYER_TAR,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_resolves_relative_links() {
        assert_eq!(join("abc", "../def/layer.tar"), "def/layer.tar");
        assert_eq!(join("", "./manifest.json"), "manifest.json");
        assert_eq!(join("a/b", "/x"), "x");
    }

    #[test]
    fn media_types_are_sniffed() {
        assert_eq!(sniff_media_type(&[0x1f, 0x8b, 8, 0]), MEDIA_TYPE_LAYER_GZIP);
        assert_eq!(sniff_media_type(b"bin/"), MEDIA_TYPE_LAYER_TAR);
    }

    #[test]
    fn a_file_that_is_not_an_image_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar");
        let mut b = tar::Builder::new(File::create(&path).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        b.append_data(&mut h, "hello", &b"x"[..]).unwrap();
        b.finish().unwrap();
        drop(b);
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("x.tar") && err.contains("manifest.json"),
            "{err}"
        );
        let err = read(&dir.path().join("missing.tar"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.tar"), "{err}");
    }
}
