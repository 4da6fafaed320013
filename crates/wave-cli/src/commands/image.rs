//! `wave image build`: validates the flags, builds the image with `wave-image`, writes the
//! archive atomically (a temporary file beside `--output`, renamed when complete), optionally
//! loads it into Docker (`--load`, see `crate::docker_load`), and prints the digests.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::json;
use wave_image::{BuildRequest, Definition, Format, HostInputs, Image};

use crate::cli::{ImageBuildArgs, ImageFormat};
use crate::exit::Code;

/// Runs `wave image build`.
pub fn build(args: &ImageBuildArgs) -> anyhow::Result<Code> {
    let (request, output) = validate(args)?;
    let image = wave_image::build(&request)?;
    let format = match args.format {
        ImageFormat::Oci => Format::Oci,
        ImageFormat::Docker => Format::Docker,
    };
    let size = match &output {
        Some(path) => Some(write_atomically(&image, format, path)?),
        None => None,
    };
    let loaded = if args.load {
        Some(load(
            &image,
            format,
            output.as_deref(),
            args.load_timeout_seconds,
        )?)
    } else {
        None
    };
    let layers: Vec<_> = image
        .layers
        .iter()
        .map(|l| json!({ "digest": l.digest.as_str(), "size": l.size, "mediaType": l.media_type }))
        .collect();
    if args.json {
        super::print_json(&json!({
            "tag": image.tag,
            "format": match format { Format::Oci => "oci", Format::Docker => "docker" },
            "output": output,
            "size": size,
            "manifestDigest": image.manifest.digest.as_str(),
            "configDigest": image.config.digest.as_str(),
            "architecture": image.architecture,
            "epoch": image.epoch,
            "layers": layers,
            "loadedImageId": loaded,
        }))?;
    } else {
        if let (Some(path), Some(size)) = (&output, size) {
            println!(
                "[wave:image] wrote {} ({}, {} bytes, {:.1} MiB)",
                path.display(),
                match format {
                    Format::Oci => "oci",
                    Format::Docker => "docker",
                },
                size,
                size as f64 / (1024.0 * 1024.0)
            );
        }
        println!("[wave:image] tag {}", image.tag);
        println!("[wave:image] manifest {}", image.manifest.digest);
        println!("[wave:image] config {}", image.config.digest);
        if let Some(id) = loaded {
            println!("[wave:image] loaded {id}");
        }
    }
    Ok(Code::Ok)
}

/// Every flag checked before anything is read or written.
fn validate(args: &ImageBuildArgs) -> anyhow::Result<(BuildRequest, Option<PathBuf>)> {
    let definition = match &args.definition {
        None => Definition::supervisor(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--definition: read {}", path.display()))?;
            Definition::parse(&text, &path.display().to_string())
                .map_err(|e| anyhow::anyhow!("--definition: {e}"))?
        }
    };
    let version = wave_image::VERSION;
    let tag = match &args.tag {
        Some(tag) => wave_image::normalise_tag(tag)?,
        None => format!("{}:{version}", definition.name),
    };
    let wave_binary = match &args.wave_binary {
        Some(path) => path.clone(),
        None => std::env::current_exe().context("--wave-binary: find the running executable")?,
    };
    if !wave_binary.is_file() {
        bail!(
            "--wave-binary: {} is not a file (expected the static wave executable)",
            wave_binary.display()
        );
    }
    wave_image::elf_architecture(&wave_binary)
        .map_err(|e| anyhow::anyhow!("--wave-binary: {e}"))?;
    if let Some(base) = &args.base {
        if !base.is_file() {
            bail!(
                "--base: {} is not a file (expected a `docker save` archive or an OCI layout tar)",
                base.display()
            );
        }
    }
    let output = match &args.output {
        None => None,
        Some(path) => Some(check_output(path)?),
    };
    let epoch = wave_image::epoch_from_env(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())?;
    let request = BuildRequest {
        definition,
        host: HostInputs {
            wave_binary,
            no_toolset: args.no_toolset,
        },
        tag,
        base: args.base.clone(),
        epoch,
        version: version.to_string(),
        source: wave_image::SOURCE.to_string(),
    };
    Ok((request, output))
}

fn check_output(path: &Path) -> anyhow::Result<PathBuf> {
    let path = std::path::absolute(path)
        .with_context(|| format!("--output: resolve {}", path.display()))?;
    if path.is_dir() {
        bail!(
            "--output: {} is a directory (expected a file path)",
            path.display()
        );
    }
    let parent = path.parent().unwrap_or(Path::new("/"));
    if !parent.is_dir() {
        bail!("--output: directory {} does not exist", parent.display());
    }
    Ok(path)
}

/// Writes the archive to a temporary file beside `path` and renames it into place; on any
/// error the temporary file is removed and `path` is untouched. Returns the size in bytes.
fn write_atomically(image: &Image, format: Format, path: &Path) -> anyhow::Result<u64> {
    let parent = path.parent().unwrap_or(Path::new("/"));
    let temp = tempfile::Builder::new()
        .prefix(".wave-image-")
        .suffix(".tmp")
        .tempfile_in(parent)
        .with_context(|| format!("--output: create a temporary file in {}", parent.display()))?;
    let writer = image.write(format, BufWriter::new(temp.as_file()))?;
    let file = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all().map(|()| f))
        .with_context(|| format!("--output: write {}", path.display()))?;
    let size = file
        .metadata()
        .with_context(|| format!("--output: stat {}", path.display()))?
        .len();
    // Readable like any file the user writes (tempfile creates 0600).
    std::fs::set_permissions(
        temp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .with_context(|| format!("--output: chmod {}", temp.path().display()))?;
    temp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("--output: rename into {}", path.display()))?;
    Ok(size)
}

/// `--load`: the docker archive is `--output` itself when it is one, else a temporary file.
fn load(
    image: &Image,
    format: Format,
    output: Option<&Path>,
    timeout: u64,
) -> anyhow::Result<String> {
    let deadline = Duration::from_secs(timeout);
    if let (Format::Docker, Some(path)) = (format, output) {
        return crate::docker_load::load(path, &image.tag, deadline);
    }
    let mut temp = tempfile::Builder::new()
        .prefix("wave-image-load-")
        .suffix(".tar")
        .tempfile()
        .context("--load: create a temporary docker archive")?;
    let mut writer = image.write(Format::Docker, BufWriter::new(temp.as_file_mut()))?;
    writer
        .flush()
        .context("--load: write the temporary docker archive")?;
    drop(writer);
    crate::docker_load::load(temp.path(), &image.tag, deadline)
}
