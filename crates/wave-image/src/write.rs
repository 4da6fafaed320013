//! The two output archives of one image, both deterministic (entries sorted by name, every
//! header with the build epoch as mtime, root-owned, mode 0644/0755):
//!
//! - OCI image layout tar: `oci-layout`, `index.json` (one manifest, annotated with
//!   `org.opencontainers.image.ref.name` = the tag), `blobs/sha256/<hex>` for the manifest,
//!   config and layers;
//! - `docker load` archive: `manifest.json` (`Config`, `RepoTags`, `Layers`) and the same blobs
//!   under `blobs/sha256/` (Docker decompresses gzip layers on load and checks their diff ids).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use serde_json::json;

use crate::digest::Digest;
use crate::Error;

/// Media type of an OCI image manifest.
pub const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image index.
pub const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Where a blob's bytes are.
#[derive(Debug, Clone)]
pub enum BlobSource {
    /// In memory.
    Memory(Vec<u8>),
    /// A byte range of a file (a base image's layer inside its tar).
    Range {
        /// The file.
        file: PathBuf,
        /// Offset of the first byte.
        offset: u64,
    },
}

/// A content-addressed blob.
#[derive(Debug, Clone)]
pub struct Blob {
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type (layers: gzip or plain tar).
    pub media_type: String,
    /// Where its bytes are.
    pub source: BlobSource,
}

impl Blob {
    /// A blob held in memory.
    pub fn memory(data: Vec<u8>, media_type: &str) -> Blob {
        Blob {
            digest: Digest::of(&data),
            size: data.len() as u64,
            media_type: media_type.to_string(),
            source: BlobSource::Memory(data),
        }
    }

    fn descriptor(&self) -> serde_json::Value {
        json!({ "mediaType": self.media_type, "digest": self.digest.as_str(), "size": self.size })
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OCI image layout tar.
    Oci,
    /// `docker load` archive.
    Docker,
}

/// A built image, ready to be written in either format.
#[derive(Debug, Clone)]
pub struct Image {
    /// `name:tag`.
    pub tag: String,
    /// `amd64` or `arm64`.
    pub architecture: String,
    /// The config blob.
    pub config: Blob,
    /// Layers, bottom first.
    pub layers: Vec<Blob>,
    /// The OCI manifest blob.
    pub manifest: Blob,
    /// mtime of every archive entry.
    pub epoch: u64,
}

impl Image {
    /// Assembles the manifest over `config` and `layers`.
    pub fn new(
        tag: String,
        architecture: &str,
        config: Blob,
        layers: Vec<Blob>,
        epoch: u64,
    ) -> Image {
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_MANIFEST,
            "config": config.descriptor(),
            "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
        });
        let manifest = Blob::memory(
            serde_json::to_vec(&manifest).expect("JSON"),
            MEDIA_TYPE_MANIFEST,
        );
        Image {
            tag,
            architecture: architecture.to_string(),
            config,
            layers,
            manifest,
            epoch,
        }
    }

    /// Writes the archive in `format` to `out`.
    pub fn write<W: Write>(&self, format: Format, out: W) -> Result<W, Error> {
        match format {
            Format::Oci => self.write_oci(out),
            Format::Docker => self.write_docker(out),
        }
    }

    fn write_oci<W: Write>(&self, out: W) -> Result<W, Error> {
        let index = json!({
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_INDEX,
            "manifests": [{
                "mediaType": MEDIA_TYPE_MANIFEST,
                "digest": self.manifest.digest.as_str(),
                "size": self.manifest.size,
                "annotations": { "org.opencontainers.image.ref.name": self.tag },
                "platform": { "architecture": self.architecture, "os": "linux" },
            }],
        });
        let mut files = self.blob_entries(true);
        files.push(Entry::data(
            "index.json",
            serde_json::to_vec(&index).expect("JSON"),
        ));
        files.push(Entry::data(
            "oci-layout",
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ));
        write_tar(files, self.epoch, out)
    }

    fn write_docker<W: Write>(&self, out: W) -> Result<W, Error> {
        let manifest = json!([{
            "Config": blob_name(&self.config.digest),
            "RepoTags": [self.tag],
            "Layers": self.layers.iter().map(|l| blob_name(&l.digest)).collect::<Vec<_>>(),
        }]);
        let mut files = self.blob_entries(false);
        files.push(Entry::data(
            "manifest.json",
            serde_json::to_vec(&manifest).expect("JSON"),
        ));
        write_tar(files, self.epoch, out)
    }

    fn blob_entries(&self, with_manifest: bool) -> Vec<Entry<'_>> {
        let mut files = vec![Entry::dir("blobs"), Entry::dir("blobs/sha256")];
        let mut blobs: Vec<&Blob> = vec![&self.config];
        if with_manifest {
            blobs.push(&self.manifest);
        }
        blobs.extend(self.layers.iter());
        for blob in blobs {
            let name = blob_name(&blob.digest);
            if !files.iter().any(|f| f.name == name) {
                files.push(Entry {
                    name,
                    kind: Kind::Blob(blob),
                });
            }
        }
        files
    }
}

fn blob_name(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

enum Kind<'a> {
    Dir,
    Data(Vec<u8>),
    Blob(&'a Blob),
}

struct Entry<'a> {
    name: String,
    kind: Kind<'a>,
}

impl Entry<'_> {
    fn dir(name: &str) -> Self {
        Entry {
            name: name.into(),
            kind: Kind::Dir,
        }
    }
    fn data(name: &str, data: Vec<u8>) -> Self {
        Entry {
            name: name.into(),
            kind: Kind::Data(data),
        }
    }
}

fn write_tar<W: Write>(mut files: Vec<Entry<'_>>, epoch: u64, out: W) -> Result<W, Error> {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let mut tar = tar::Builder::new(out);
    for f in &files {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(epoch);
        h.set_uid(0);
        h.set_gid(0);
        let what = format!("write {} into the archive", f.name);
        let io = |e| Error::io(what.clone(), e);
        match &f.kind {
            Kind::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                tar.append_data(&mut h, &f.name, io::empty()).map_err(io)?;
            }
            Kind::Data(data) => {
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                tar.append_data(&mut h, &f.name, data.as_slice())
                    .map_err(io)?;
            }
            Kind::Blob(blob) => {
                h.set_mode(0o644);
                h.set_size(blob.size);
                match &blob.source {
                    BlobSource::Memory(data) => {
                        tar.append_data(&mut h, &f.name, data.as_slice())
                            .map_err(io)?;
                    }
                    BlobSource::Range { file, offset } => {
                        let mut src = File::open(file)
                            .and_then(|mut fh| fh.seek(SeekFrom::Start(*offset)).map(|_| fh))
                            .map_err(|e| Error::io(format!("read {}", file.display()), e))?;
                        let mut reader = (&mut src).take(blob.size);
                        tar.append_data(&mut h, &f.name, &mut reader).map_err(io)?;
                        if reader.limit() != 0 {
                            return Err(Error::io(
                                format!("read {}", file.display()),
                                io::Error::new(
                                    io::ErrorKind::UnexpectedEof,
                                    "base image shrank while read",
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    tar.into_inner()
        .map_err(|e| Error::io("finish the archive", e))
}
