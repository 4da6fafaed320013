//! [`DockerClient`]: a synchronous Docker client — a bollard client driven by a private tokio
//! current-thread runtime, every call bounded by a deadline.
//!
//! Nothing async leaks out: each method blocks the calling thread until the engine answers or
//! the deadline passes ([`DockerError::Timeout`]). The client is `Send + Sync`; several threads
//! may call it at once (e.g. one `wait` per agent thread) — tokio lets any number of threads
//! `block_on` one current-thread runtime, each driving it in turn. It must not be called from
//! inside another tokio runtime.
//!
//! Connection: `DOCKER_HOST` (`unix://…`, `tcp://…`) or `/var/run/docker.sock`; the API version
//! is negotiated down to the engine's and refused below [`MIN_API_VERSION`] (1.41, Docker
//! 20.10).

use std::future::Future;
use std::time::Duration;

use bollard::{ClientVersion, Docker, API_DEFAULT_VERSION};

use crate::error::{map_bollard, one_line, DockerError, MIN_API_VERSION};

/// Default socket when neither the config nor `DOCKER_HOST` names one.
pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// Default deadline of one API call.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Default deadline of an image pull.
pub const DEFAULT_PULL_TIMEOUT: Duration = Duration::from_secs(600);

/// bollard's own per-request timeout, set far beyond every deadline of ours so that ours are
/// the ones that fire.
pub(crate) const BOLLARD_TIMEOUT_SECS: u64 = 7 * 24 * 3600;

/// How to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `unix:///path`, `/path`, `tcp://host:port` or `http://host:port`; `None` reads
    /// `DOCKER_HOST`, else [`DEFAULT_SOCKET`].
    pub endpoint: Option<String>,
    /// Deadline of every call that has no deadline argument.
    pub call_timeout: Duration,
    /// Deadline of [`DockerClient::pull`].
    pub pull_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            pull_timeout: DEFAULT_PULL_TIMEOUT,
        }
    }
}

/// The engine's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineVersion {
    /// Engine release, e.g. `20.10.24+dfsg1`.
    pub version: String,
    /// Engine API version, e.g. `1.41`.
    pub api_version: String,
}

/// A synchronous Docker client (see the module docs).
pub struct DockerClient {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) docker: Docker,
    pub(crate) endpoint: String,
    pub(crate) call_timeout: Duration,
    pub(crate) pull_timeout: Duration,
}

impl std::fmt::Debug for DockerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerClient")
            .field("endpoint", &self.endpoint)
            .field("api_version", &self.api_version())
            .field("call_timeout", &self.call_timeout)
            .finish()
    }
}

impl DockerClient {
    /// Connects with [`ClientConfig::default`] (see [`Self::connect_with`]).
    pub fn connect() -> Result<Self, DockerError> {
        Self::connect_with(ClientConfig::default())
    }

    /// Connects, negotiates the API version and checks it is at least [`MIN_API_VERSION`].
    /// Errors: [`DockerError::Unreachable`], [`DockerError::ApiTooOld`],
    /// [`DockerError::Timeout`].
    pub fn connect_with(config: ClientConfig) -> Result<Self, DockerError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DockerError::Runtime(e.to_string()))?;
        let endpoint = config
            .endpoint
            .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| DEFAULT_SOCKET.to_string());
        let unreachable = |reason: String| DockerError::Unreachable {
            endpoint: endpoint.clone(),
            reason,
        };
        let docker = {
            let _guard = rt.enter();
            if let Some(path) = endpoint
                .strip_prefix("unix://")
                .or_else(|| endpoint.starts_with('/').then_some(endpoint.as_str()))
            {
                Docker::connect_with_unix(path, BOLLARD_TIMEOUT_SECS, API_DEFAULT_VERSION)
            } else if endpoint.starts_with("tcp://") || endpoint.starts_with("http://") {
                Docker::connect_with_http(&endpoint, BOLLARD_TIMEOUT_SECS, API_DEFAULT_VERSION)
            } else {
                return Err(unreachable(
                    "unsupported endpoint: expected unix:///path or tcp://host:port".into(),
                ));
            }
            .map_err(|e| match e {
                bollard::errors::Error::SocketNotFoundError(_) => {
                    unreachable("socket not found".into())
                }
                other => unreachable(one_line(&other.to_string())),
            })?
        };
        let deadline = config.call_timeout;
        let docker = match rt
            .block_on(async { tokio::time::timeout(deadline, docker.negotiate_version()).await })
        {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                return Err(match map_bollard(e, "version", "", &endpoint) {
                    DockerError::Api { message, .. } => unreachable(message),
                    other => other,
                })
            }
            Err(_) => {
                return Err(DockerError::Timeout {
                    op: format!("version at {endpoint}"),
                    after: deadline,
                })
            }
        };
        check_api_version(&docker.client_version())?;
        Ok(Self {
            rt,
            docker,
            endpoint,
            call_timeout: config.call_timeout,
            pull_timeout: config.pull_timeout,
        })
    }

    /// The endpoint connected to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The negotiated API version (the lower of the engine's and bollard's).
    pub fn api_version(&self) -> String {
        self.docker.client_version().to_string()
    }

    /// The deadline of calls without a deadline argument.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// Changes the deadline of calls without a deadline argument.
    pub fn set_call_timeout(&mut self, timeout: Duration) {
        self.call_timeout = timeout;
    }

    /// Runs `fut` on the runtime within `deadline`; errors are mapped for operation `op` on
    /// object `id`.
    pub(crate) fn call<T>(
        &self,
        op: &str,
        id: &str,
        deadline: Duration,
        fut: impl Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, DockerError> {
        self.call_raw(op, id, deadline, fut)?
            .map_err(|e| map_bollard(e, op, id, &self.endpoint))
    }

    /// Like [`Self::call`], but hands the engine's error back unmapped (only the deadline is
    /// turned into [`DockerError::Timeout`]), for callers that read its message.
    pub(crate) fn call_raw<T>(
        &self,
        op: &str,
        id: &str,
        deadline: Duration,
        fut: impl Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<Result<T, bollard::errors::Error>, DockerError> {
        match self
            .rt
            .block_on(async { tokio::time::timeout(deadline, fut).await })
        {
            Ok(r) => Ok(r),
            Err(_) => Err(DockerError::Timeout {
                op: if id.is_empty() {
                    op.to_string()
                } else {
                    format!("{op} {id}")
                },
                after: deadline,
            }),
        }
    }

    /// `GET /_ping` within the call deadline.
    pub fn ping(&self) -> Result<(), DockerError> {
        self.call("ping", "", self.call_timeout, self.docker.ping())
            .map(|_| ())
    }

    /// The engine's version; fails with [`DockerError::ApiTooOld`] below [`MIN_API_VERSION`].
    pub fn version(&self) -> Result<EngineVersion, DockerError> {
        let v = self.call("version", "", self.call_timeout, self.docker.version())?;
        let api_version = v.api_version.unwrap_or_default();
        if let Some((major, minor)) = parse_api(&api_version) {
            check_api_version(&ClientVersion {
                major_version: major,
                minor_version: minor,
            })?;
        }
        Ok(EngineVersion {
            version: v.version.unwrap_or_default(),
            api_version,
        })
    }

    /// True when the engine has `image` (by reference or id). Never pulls.
    pub fn image_exists(&self, image: &str) -> Result<bool, DockerError> {
        match self.call(
            "image inspect",
            image,
            self.call_timeout,
            self.docker.inspect_image(image),
        ) {
            Ok(_) => Ok(true),
            Err(DockerError::ImageMissing(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Pulls `image` from its registry, within the pull deadline. Only called when the user
    /// asked for it; nothing else in this crate pulls.
    pub fn pull(&self, image: &str) -> Result<(), DockerError> {
        use futures_util::StreamExt;
        let options = bollard::query_parameters::CreateImageOptions {
            from_image: Some(image.to_string()),
            ..Default::default()
        };
        let docker = &self.docker;
        self.call("pull", image, self.pull_timeout, async move {
            let mut stream = docker.create_image(Some(options), None, None);
            while let Some(item) = stream.next().await {
                item?;
            }
            Ok(())
        })
        .map_err(|e| match e {
            DockerError::NotFound { .. } | DockerError::Api { status: 404, .. } => {
                DockerError::ImageMissing(image.to_string())
            }
            other => other,
        })
    }
}

fn parse_api(text: &str) -> Option<(usize, usize)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn check_api_version(found: &ClientVersion) -> Result<(), DockerError> {
    let (min_major, min_minor) = parse_api(MIN_API_VERSION).unwrap_or((1, 41));
    if (found.major_version, found.minor_version) < (min_major, min_minor) {
        return Err(DockerError::ApiTooOld {
            found: found.to_string(),
            min: MIN_API_VERSION.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<DockerClient>();
    }

    #[test]
    fn api_versions_below_1_41_are_refused() {
        let v = |major, minor| ClientVersion {
            major_version: major,
            minor_version: minor,
        };
        assert!(check_api_version(&v(1, 41)).is_ok());
        assert!(check_api_version(&v(1, 49)).is_ok());
        let err = check_api_version(&v(1, 40)).unwrap_err().to_string();
        assert_eq!(
            err,
            "docker engine API 1.40 is too old: wave needs API 1.41 (Docker 20.10) or newer"
        );
    }

    #[test]
    fn a_silent_engine_is_a_timeout_not_a_hang() {
        // A socket that accepts connections (kernel backlog) but never answers.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("silent.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let endpoint = format!("unix://{}", path.display());
        let started = std::time::Instant::now();
        let err = DockerClient::connect_with(ClientConfig {
            endpoint: Some(endpoint.clone()),
            call_timeout: Duration::from_millis(200),
            ..Default::default()
        })
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            err.to_string(),
            format!("docker version at {endpoint} did not finish within 200ms")
        );
    }

    #[test]
    fn a_missing_socket_is_unreachable_in_one_line() {
        let err = DockerClient::connect_with(ClientConfig {
            endpoint: Some("unix:///nonexistent/docker.sock".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(matches!(err, DockerError::Unreachable { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "docker engine unreachable at unix:///nonexistent/docker.sock: socket not found"
        );
        let err = DockerClient::connect_with(ClientConfig {
            endpoint: Some("ssh://host".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("unsupported endpoint"), "{err}");
    }
}
