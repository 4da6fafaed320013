//! One image layer: a tar of directories, files and symlinks written in sorted path order with
//! fixed metadata, compressed by gzip with a fixed header, and its two digests.
//!
//! Everything that could vary between two builds is pinned: entry order (sorted by path,
//! missing parent directories added as `root 0755`), mtime (the build epoch), owner ids and
//! names, modes (given explicitly), the gzip header (no file name, mtime 0, OS byte 255,
//! level [`GZIP_LEVEL`]). The uncompressed tar is streamed through the diff-id hasher into the
//! compressor; only the compressed blob is kept in memory.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::{Compression, GzBuilder};

use crate::digest::{Digest, HashWriter};
use crate::Error;

/// The gzip level every layer is compressed with (part of the reproducibility contract).
pub const GZIP_LEVEL: u32 = 6;

/// Media type of a gzip-compressed OCI layer.
pub const MEDIA_TYPE_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// Who owns an entry, as numeric ids and the names written into the tar header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// User name in the header.
    pub uname: String,
    /// Group name in the header.
    pub gname: String,
}

impl Owner {
    /// `root:root` (0:0).
    pub fn root() -> Owner {
        Owner {
            uid: 0,
            gid: 0,
            uname: "root".into(),
            gname: "root".into(),
        }
    }
}

/// Where a file's bytes come from.
#[derive(Debug, Clone)]
pub enum FileSource {
    /// Bytes held in memory.
    Bytes(Vec<u8>),
    /// A file on the build host, read when the layer is written.
    Host(PathBuf),
}

#[derive(Debug, Clone)]
enum Content {
    Dir,
    File(FileSource),
    Symlink(String),
}

#[derive(Debug, Clone)]
struct Entry {
    content: Content,
    mode: u32,
    owner: Owner,
}

/// Collects a layer's entries; [`LayerBuilder::finish`] writes them.
///
/// Paths are absolute image paths (`/usr/local/bin/wave`); adding a path twice replaces the
/// first entry.
#[derive(Debug, Default, Clone)]
pub struct LayerBuilder {
    entries: BTreeMap<String, Entry>,
}

/// A finished, compressed layer.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The gzip-compressed tar.
    pub blob: Vec<u8>,
    /// Digest of `blob` (the layer's name in manifests).
    pub digest: Digest,
    /// Digest of the uncompressed tar (`rootfs.diff_ids` in the config).
    pub diff_id: Digest,
    /// What the layer holds, for the config's history.
    pub created_by: String,
}

impl LayerBuilder {
    /// An empty layer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The image paths added so far, sorted.
    pub fn paths(&self) -> impl Iterator<Item = String> + '_ {
        self.entries.keys().map(|k| format!("/{k}"))
    }

    /// Adds a directory.
    pub fn dir(&mut self, path: &str, mode: u32, owner: &Owner) -> Result<(), Error> {
        self.insert(path, Content::Dir, mode, owner)
    }

    /// Adds a regular file.
    pub fn file(
        &mut self,
        path: &str,
        source: FileSource,
        mode: u32,
        owner: &Owner,
    ) -> Result<(), Error> {
        self.insert(path, Content::File(source), mode, owner)
    }

    /// Adds a symbolic link to `target` (kept verbatim: relative or absolute).
    pub fn symlink(&mut self, path: &str, target: &str) -> Result<(), Error> {
        if target.is_empty() {
            return Err(Error::Definition(format!("symlink {path}: empty target")));
        }
        self.insert(path, Content::Symlink(target.into()), 0o777, &Owner::root())
    }

    fn insert(
        &mut self,
        path: &str,
        content: Content,
        mode: u32,
        owner: &Owner,
    ) -> Result<(), Error> {
        let key = tar_path(path)?;
        if mode > 0o7777 {
            return Err(Error::Definition(format!(
                "{path}: mode {mode:o} is over 7777"
            )));
        }
        self.entries.insert(
            key,
            Entry {
                content,
                mode,
                owner: owner.clone(),
            },
        );
        Ok(())
    }

    /// Writes the tar (entries sorted by path, parents first, every header stamped with
    /// `mtime`), compresses it and computes both digests.
    pub fn finish(mut self, mtime: u64, created_by: &str) -> Result<Layer, Error> {
        self.add_missing_parents();
        let gz = GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(HashWriter::new(Vec::new()), Compression::new(GZIP_LEVEL));
        let mut tar = tar::Builder::new(HashWriter::new(gz));
        for (path, entry) in &self.entries {
            append(&mut tar, path, entry, mtime)?;
        }
        let diff = tar
            .into_inner()
            .map_err(|e| Error::io("write layer tar", e))?;
        let (gz, diff_id, _) = diff.finish();
        let blob_writer = gz.finish().map_err(|e| Error::io("compress layer", e))?;
        let (blob, digest, _) = blob_writer.finish();
        Ok(Layer {
            blob,
            digest,
            diff_id,
            created_by: created_by.to_string(),
        })
    }

    fn add_missing_parents(&mut self) {
        let mut parents = Vec::new();
        for key in self.entries.keys() {
            let mut rest = key.as_str();
            while let Some((parent, _)) = rest.rsplit_once('/') {
                if !self.entries.contains_key(parent) {
                    parents.push(parent.to_string());
                }
                rest = parent;
            }
        }
        for parent in parents {
            self.entries.entry(parent).or_insert(Entry {
                content: Content::Dir,
                mode: 0o755,
                owner: Owner::root(),
            });
        }
    }
}

/// An absolute, normalised image path as it is keyed in the tar (no leading or trailing `/`).
fn tar_path(path: &str) -> Result<String, Error> {
    let rel = path
        .strip_prefix('/')
        .ok_or_else(|| Error::Definition(format!("{path}: image paths must be absolute")))?;
    let rel = rel.trim_end_matches('/');
    if rel.is_empty()
        || rel
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(Error::Definition(format!(
            "{path}: expected a normalised absolute path below / (no `.`, `..` or `//`)"
        )));
    }
    Ok(rel.to_string())
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    entry: &Entry,
    mtime: u64,
) -> Result<(), Error> {
    let mut header = tar::Header::new_gnu();
    header.set_mtime(mtime);
    header.set_uid(u64::from(entry.owner.uid));
    header.set_gid(u64::from(entry.owner.gid));
    let names = header
        .set_username(&entry.owner.uname)
        .and_then(|()| header.set_groupname(&entry.owner.gname));
    names.map_err(|e| Error::io(format!("tar header of /{path}"), e))?;
    header.set_mode(entry.mode);
    let what = format!("add /{path} to the layer");
    match &entry.content {
        Content::Dir => {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
            tar.append_data(&mut header, format!("{path}/"), io::empty())
                .map_err(|e| Error::io(what, e))
        }
        Content::Symlink(target) => {
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            tar.append_link(&mut header, path, target)
                .map_err(|e| Error::io(what, e))
        }
        Content::File(FileSource::Bytes(data)) => {
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(data.len() as u64);
            tar.append_data(&mut header, path, data.as_slice())
                .map_err(|e| Error::io(what, e))
        }
        Content::File(FileSource::Host(host)) => {
            header.set_entry_type(tar::EntryType::Regular);
            let (file, len) = open_host(host)?;
            header.set_size(len);
            let mut reader = ExactReader {
                inner: file.take(len),
                left: len,
                path: host,
            };
            tar.append_data(&mut header, path, &mut reader)
                .map_err(|e| Error::io(what, e))?;
            if reader.left != 0 {
                return Err(Error::io(
                    format!("read {}", host.display()),
                    io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank while read"),
                ));
            }
            Ok(())
        }
    }
}

fn open_host(host: &Path) -> Result<(File, u64), Error> {
    let file = File::open(host).map_err(|e| Error::io(format!("open {}", host.display()), e))?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("stat {}", host.display()), e))?;
    if !meta.is_file() {
        return Err(Error::io(
            format!("read {}", host.display()),
            io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    Ok((file, meta.len()))
}

/// Reads exactly the length recorded in the header, noting a short read.
struct ExactReader<'a> {
    inner: io::Take<File>,
    left: u64,
    path: &'a Path,
}

impl Read for ExactReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left -= n as u64;
        if n == 0 && self.left != 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} shrank while read", self.path.display()),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;

    fn sample() -> LayerBuilder {
        let mut l = LayerBuilder::new();
        let user = Owner {
            uid: 65532,
            gid: 65532,
            uname: "wave".into(),
            gname: "wave".into(),
        };
        l.file(
            "/usr/local/bin/wave",
            FileSource::Bytes(b"#!wave".to_vec()),
            0o755,
            &Owner::root(),
        )
        .unwrap();
        l.dir("/tmp", 0o1777, &Owner::root()).unwrap();
        l.dir("/workspace/.tmp", 0o700, &user).unwrap();
        l.symlink("/bin/sh", "busybox").unwrap();
        l.file(
            "/etc/passwd",
            FileSource::Bytes(b"root:x:0:0::/root:/bin/sh\n".to_vec()),
            0o644,
            &Owner::root(),
        )
        .unwrap();
        l
    }

    fn unpack(layer: &Layer) -> Vec<(String, u32, u64, u64, String, tar::EntryType)> {
        let mut raw = Vec::new();
        GzDecoder::new(layer.blob.as_slice())
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(
            Digest::of(&raw),
            layer.diff_id,
            "diff_id is the uncompressed tar's digest"
        );
        let mut archive = tar::Archive::new(raw.as_slice());
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    h.mode().unwrap(),
                    h.mtime().unwrap(),
                    h.uid().unwrap(),
                    h.username().unwrap().unwrap_or_default().to_string(),
                    h.entry_type(),
                )
            })
            .collect()
    }

    #[test]
    fn two_builds_are_byte_identical() {
        let a = sample().finish(1_700_000_000, "x").unwrap();
        let b = sample().finish(1_700_000_000, "x").unwrap();
        assert_eq!(a.blob, b.blob);
        assert_eq!(a.digest, b.digest);
        assert_eq!(Digest::of(&a.blob), a.digest, "digest is the blob's digest");
        let c = sample().finish(1, "x").unwrap();
        assert_ne!(a.digest, c.digest, "the epoch is part of the content");
    }

    #[test]
    fn entries_are_sorted_with_parents_and_fixed_metadata() {
        let layer = sample().finish(42, "x").unwrap();
        let entries = unpack(&layer);
        let paths: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            paths,
            [
                "bin/",
                "bin/sh",
                "etc/",
                "etc/passwd",
                "tmp/",
                "usr/",
                "usr/local/",
                "usr/local/bin/",
                "usr/local/bin/wave",
                "workspace/",
                "workspace/.tmp/"
            ]
        );
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
        assert!(
            entries.iter().all(|e| e.2 == 42),
            "every mtime is the epoch"
        );
        let find = |p: &str| entries.iter().find(|e| e.0 == p).unwrap();
        assert_eq!(find("tmp/").1, 0o1777);
        assert_eq!(find("workspace/.tmp/").1, 0o700);
        assert_eq!(find("workspace/.tmp/").3, 65532);
        assert_eq!(find("workspace/.tmp/").4, "wave");
        assert_eq!(find("usr/local/bin/wave").1, 0o755);
        assert_eq!(find("bin/sh").5, tar::EntryType::Symlink);
    }

    #[test]
    fn gzip_header_is_fixed() {
        let layer = sample().finish(42, "x").unwrap();
        let h = &layer.blob[..10];
        assert_eq!(
            &h[..4],
            &[0x1f, 0x8b, 8, 0],
            "gzip magic, deflate, no FNAME/FEXTRA flags"
        );
        assert_eq!(&h[4..8], &[0, 0, 0, 0], "header mtime 0");
        assert_eq!(h[9], 255, "OS byte: unknown");
    }

    #[test]
    fn host_files_are_streamed_and_bad_paths_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("f");
        std::fs::write(&host, b"from host").unwrap();
        let mut l = LayerBuilder::new();
        l.file("/f", FileSource::Host(host), 0o600, &Owner::root())
            .unwrap();
        let layer = l.finish(0, "x").unwrap();
        assert_eq!(unpack(&layer)[0].1, 0o600);
        let mut l = LayerBuilder::new();
        assert!(l.dir("relative", 0o755, &Owner::root()).is_err());
        assert!(l.dir("/a/../b", 0o755, &Owner::root()).is_err());
        let mut l = LayerBuilder::new();
        l.file(
            "/missing",
            FileSource::Host(dir.path().join("nope")),
            0o644,
            &Owner::root(),
        )
        .unwrap();
        let err = l.finish(0, "x").unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
    }
}
