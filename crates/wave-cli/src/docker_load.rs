//! `wave image build --load`: streams a `docker load` archive into the local engine through
//! the Docker API (bollard, `POST /images/load`) and returns the loaded image's id.
//!
//! The only Docker API use of the image builder, kept here on its own so it can move into the
//! shared Docker crate: one tokio current-thread runtime for the call, the API version
//! negotiated down to the engine's (Docker 20.10 speaks 1.41), and one deadline over the
//! whole exchange (connect, upload, the engine's answer, the inspect).

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use bollard::query_parameters::ImportImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

const CHUNK: usize = 1 << 20;

/// Loads the archive at `archive` (whose image is tagged `tag`) and returns the image id the
/// engine reports for `tag`.
pub fn load(archive: &Path, tag: &str, deadline: Duration) -> anyhow::Result<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("--load: start the Docker API client")?;
    runtime.block_on(async {
        tokio::time::timeout(deadline, load_inner(archive, tag))
            .await
            .map_err(|_| {
                anyhow!(
                    "--load: the Docker engine did not finish loading within {}s (--load-timeout-seconds)",
                    deadline.as_secs()
                )
            })?
    })
}

async fn load_inner(archive: &Path, tag: &str) -> anyhow::Result<String> {
    let docker = Docker::connect_with_local_defaults()
        .context("--load: connect to the Docker engine (DOCKER_HOST or /var/run/docker.sock)")?
        .negotiate_version()
        .await
        .context("--load: reach the Docker engine (DOCKER_HOST or /var/run/docker.sock)")?;
    let file =
        File::open(archive).with_context(|| format!("--load: open {}", archive.display()))?;
    let read_error: Arc<Mutex<Option<std::io::Error>>> = Arc::default();
    let body = futures_util::stream::unfold(
        (file, Arc::clone(&read_error)),
        |(mut file, read_error)| async move {
            let mut buf = vec![0; CHUNK];
            match file.read(&mut buf) {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((bytes::Bytes::from(buf), (file, read_error)))
                }
                Err(err) => {
                    *read_error.lock().expect("not poisoned") = Some(err);
                    None
                }
            }
        },
    );
    let options = ImportImageOptionsBuilder::new().quiet(true).build();
    let mut answers = docker.import_image_stream(options, body, None);
    let mut said = Vec::new();
    while let Some(answer) = answers.next().await {
        let info = answer.context("--load: POST /images/load")?;
        if let Some(err) = info.error.or(info.error_detail.and_then(|d| d.message)) {
            bail!(
                "--load: the Docker engine refused the image: {}",
                err.trim()
            );
        }
        if let Some(text) = info.stream.or(info.status) {
            said.push(text.trim().to_string());
        }
    }
    if let Some(err) = read_error.lock().expect("not poisoned").take() {
        return Err(err).with_context(|| format!("--load: read {}", archive.display()));
    }
    let inspect = docker.inspect_image(tag).await.with_context(|| {
        format!(
            "--load: the engine answered {:?} but has no image {tag}",
            said.join("; ")
        )
    })?;
    inspect
        .id
        .ok_or_else(|| anyhow!("--load: the engine's inspect of {tag} has no Id"))
}
