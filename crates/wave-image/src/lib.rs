//! `wave-image`: reproducible container images of `wave`, written without Docker.
//!
//! [`build`] turns an image definition (`images/supervisor.json`, see [`definition`]), the
//! static `wave` binary and the build host's static toolset into layers ([`layer`]), an image
//! config ([`config`]) and a manifest, optionally on top of a base image ([`base`]); [`write`]
//! writes them as an OCI image layout tar or a `docker load` archive.
//!
//! Determinism: the same inputs and the same epoch (`SOURCE_DATE_EPOCH`, else 0) give
//! byte-identical archives — sorted entries, fixed mtimes, owners and modes, a fixed gzip header
//! and level, and JSON with a fixed key order.

pub mod base;
pub mod config;
pub mod definition;
pub mod digest;
pub mod layer;
pub mod write;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use definition::{Definition, HostInputs};
pub use digest::Digest;
pub use write::{Blob, Format, Image};

/// `org.opencontainers.image.version` of images built by this crate (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// `org.opencontainers.image.source` (the workspace repository).
pub const SOURCE: &str = env!("CARGO_PKG_REPOSITORY");

/// What can go wrong while building an image.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A definition, path or flag value is invalid.
    #[error("{0}")]
    Definition(String),
    /// A toolset binary or required host file is missing.
    #[error("{0}")]
    Toolset(String),
    /// The base image cannot be used.
    #[error("base image {}: {msg}", path.display())]
    Base {
        /// The base tar.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
    /// Reading or writing failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done (names the file).
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

/// The inputs of one build.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// What goes into the image.
    pub definition: Definition,
    /// Host files: the `wave` binary, whether to include the toolset.
    pub host: HostInputs,
    /// `name:tag` (see [`normalise_tag`]).
    pub tag: String,
    /// A base image tar (`docker save` or OCI layout).
    pub base: Option<PathBuf>,
    /// Seconds since the Unix epoch stamped on every entry and in `created`.
    pub epoch: u64,
    /// `org.opencontainers.image.version`.
    pub version: String,
    /// `org.opencontainers.image.source`.
    pub source: String,
}

/// Builds the image in memory (our layers compressed; base layers stay in the base tar).
pub fn build(req: &BuildRequest) -> Result<Image, Error> {
    let architecture = elf_architecture(&req.host.wave_binary)?;
    let created = config::rfc3339(req.epoch);
    let base = req.base.as_deref().map(base::read).transpose()?;
    // Each layer is compressed on its own thread (the output does not depend on the order).
    let builders = req.definition.layers(&req.host)?;
    let layers = std::thread::scope(|scope| {
        let handles: Vec<_> = builders
            .into_iter()
            .map(|(builder, created_by)| {
                scope.spawn(move || builder.finish(req.epoch, &created_by))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("layer thread panicked"))
            .collect::<Result<Vec<_>, Error>>()
    })?;
    let runtime = req
        .definition
        .runtime_config(&req.version, &req.source, &created);
    let diff_ids: Vec<Digest> = layers.iter().map(|l| l.diff_id.clone()).collect();
    let history: Vec<config::HistoryLine> = layers
        .iter()
        .map(|l| config::HistoryLine {
            created_by: l.created_by.clone(),
        })
        .collect();
    let input = config::ConfigInput {
        architecture,
        created: &created,
        runtime: &runtime,
        diff_ids: &diff_ids,
        history: &history,
    };
    let (config_json, mut blobs) = match base {
        None => (config::from_scratch(&input), Vec::new()),
        Some(base_image) => {
            let path = req.base.clone().unwrap_or_default();
            let merged = config::merge(&base_image.config, &input)
                .map_err(|msg| Error::Base { path, msg })?;
            (merged, base_image.layers)
        }
    };
    blobs.extend(
        layers
            .into_iter()
            .map(|l| Blob::memory(l.blob, layer::MEDIA_TYPE_LAYER_GZIP)),
    );
    let config_blob = Blob::memory(config::to_bytes(&config_json), config::MEDIA_TYPE_CONFIG);
    Ok(Image::new(
        req.tag.clone(),
        architecture,
        config_blob,
        blobs,
        req.epoch,
    ))
}

/// The OCI architecture of a static 64-bit little-endian ELF executable (from `e_machine`).
///
/// A dynamically linked binary (one with a `PT_INTERP` program header) is refused: the image
/// has no dynamic loader or libc.
pub fn elf_architecture(path: &Path) -> Result<&'static str, Error> {
    let shown = path.display();
    let not_elf = || {
        Error::Definition(format!(
            "{shown}: expected a static 64-bit Linux (ELF) wave executable"
        ))
    };
    let mut file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("read the wave binary {shown}"), e))?;
    let mut head = Vec::with_capacity(64);
    (&mut file)
        .take(64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(format!("read the wave binary {shown}"), e))?;
    if head.len() < 64 || &head[..4] != b"\x7fELF" || head[4] != 2 || head[5] != 1 {
        return Err(not_elf());
    }
    let u16_at = |i: usize| u16::from_le_bytes([head[i], head[i + 1]]);
    let arch = match u16_at(18) {
        0x3e => "amd64",
        0xb7 => "arm64",
        other => {
            return Err(Error::Definition(format!(
                "{shown}: ELF machine {other:#x} is neither x86_64 nor aarch64"
            )))
        }
    };
    let phoff = u64::from_le_bytes(head[32..40].try_into().expect("8 bytes"));
    let (phentsize, phnum) = (u64::from(u16_at(54)), u64::from(u16_at(56)));
    let mut table = Vec::new();
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(phoff))
        .and_then(|_| (&mut file).take(phentsize * phnum).read_to_end(&mut table))
        .map_err(|e| Error::io(format!("read the wave binary {shown}"), e))?;
    if phentsize < 4 || table.len() as u64 != phentsize * phnum {
        return Err(not_elf());
    }
    const PT_INTERP: u32 = 3;
    let dynamic = table
        .chunks(phentsize as usize)
        .any(|ph| u32::from_le_bytes(ph[..4].try_into().expect("4 bytes")) == PT_INTERP);
    if dynamic {
        return Err(Error::Definition(format!(
            "{shown}: dynamically linked (it names an ELF interpreter); the image has no libc: build wave with -C target-feature=+crt-static (the workspace default)"
        )));
    }
    Ok(arch)
}

/// `name[:tag]` checked as Docker does (lower-case name components, optional registry host),
/// with `:latest` added when the tag is missing.
pub fn normalise_tag(text: &str) -> Result<String, Error> {
    let bad = |why: &str| {
        Error::Definition(format!(
            "--tag {text:?}: {why} (expected NAME[:TAG], e.g. wave-supervisor:dev)"
        ))
    };
    let last_slash = text.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match text[last_slash..].rfind(':') {
        Some(i) => (&text[..last_slash + i], &text[last_slash + i + 1..]),
        None => (text, "latest"),
    };
    let tag_ok = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !tag_ok {
        return Err(bad("bad tag"));
    }
    if name.is_empty() {
        return Err(bad("empty name"));
    }
    let parts: Vec<&str> = name.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let host = i == 0 && parts.len() > 1 && (part.contains(['.', ':']) || *part == "localhost");
        let ok = !part.is_empty()
            && part.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'_' | b'-')
                    || (host && (b == b':' || b.is_ascii_uppercase()))
            })
            && part.starts_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            return Err(bad(
                "name components are lower-case letters, digits and . _ -",
            ));
        }
    }
    Ok(format!("{name}:{tag}"))
}

/// The build epoch: `SOURCE_DATE_EPOCH` when set, else 0.
pub fn epoch_from_env(value: Option<&str>) -> Result<u64, Error> {
    match value {
        None => Ok(0),
        Some(v) if v.trim().is_empty() => Ok(0),
        Some(v) => v.trim().parse().map_err(|_| {
            Error::Definition(format!(
                "SOURCE_DATE_EPOCH={v:?}: expected whole seconds since 1970-01-01"
            ))
        }),
    }
}

#[cfg(test)]
mod tests;
