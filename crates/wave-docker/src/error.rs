//! The crate's one error type, [`DockerError`], and the mapping from bollard's errors to it.
//!
//! Every variant displays as one line naming the operation or the object and what went wrong,
//! so a caller can print it as is (`wave: docker: …`). Messages from the engine are flattened
//! to one line.

use std::time::Duration;

/// The oldest Docker Engine API this crate talks to (Docker 20.10).
pub const MIN_API_VERSION: &str = "1.41";

/// What can go wrong talking to the Docker engine.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// No engine answers at the endpoint (socket missing, connection refused, permission
    /// denied, bad `DOCKER_HOST`).
    #[error("docker engine unreachable at {endpoint}: {reason}")]
    Unreachable {
        /// The socket path or URL tried.
        endpoint: String,
        /// Why, in one line.
        reason: String,
    },
    /// The engine's API is older than [`MIN_API_VERSION`].
    #[error("docker engine API {found} is too old: wave needs API {min} (Docker 20.10) or newer")]
    ApiTooOld {
        /// The engine's API version.
        found: String,
        /// The minimum this crate needs.
        min: String,
    },
    /// The image is not present in the engine (nothing is pulled unless asked).
    #[error(
        "docker image {0} is not present in the engine (build or load it, or pull it explicitly)"
    )]
    ImageMissing(String),
    /// A call did not finish within its deadline.
    #[error("docker {op} did not finish within {}", fmt_duration(*after))]
    Timeout {
        /// The operation, e.g. `wait wave-main-…`.
        op: String,
        /// The deadline that passed.
        after: Duration,
    },
    /// The container (or other object) does not exist.
    #[error("docker {op}: no such container {id}")]
    NotFound {
        /// The operation.
        op: String,
        /// The id or name asked for.
        id: String,
    },
    /// `wait` on a container that was created but never started (it has no exit code).
    #[error("docker wait: container {id} was created but never started")]
    NotStarted {
        /// The id or name asked for.
        id: String,
    },
    /// The engine refused the request.
    #[error("docker {op} failed ({status}): {message}")]
    Api {
        /// The operation.
        op: String,
        /// HTTP status code from the engine (0 when the failure was not an HTTP answer).
        status: u16,
        /// The engine's message, on one line.
        message: String,
    },
    /// A container spec this crate refuses to send (e.g. a Docker socket mount).
    #[error("invalid agent container spec: {field}: {reason}")]
    InvalidSpec {
        /// The field, e.g. `mounts[2].host_path`.
        field: String,
        /// What was expected.
        reason: String,
    },
    /// The async runtime could not be created.
    #[error("docker client: cannot start its runtime: {0}")]
    Runtime(String),
}

impl DockerError {
    /// True for [`DockerError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// `1.5s`, `250ms`, `10s`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Text flattened to one line (engine messages may carry newlines).
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Maps a bollard error of operation `op` on object `id` (container id, name or image).
pub(crate) fn map_bollard(
    err: bollard::errors::Error,
    op: &str,
    id: &str,
    endpoint: &str,
) -> DockerError {
    use bollard::errors::Error as B;
    match err {
        B::DockerResponseServerError {
            status_code,
            message,
        } => {
            let lower = message.to_ascii_lowercase();
            // 404 also answers for a missing network or volume driver: only "No such
            // container" (or no message at all) is a missing container.
            if status_code == 404 && lower.contains("no such image") {
                DockerError::ImageMissing(id.to_string())
            } else if status_code == 404
                && (lower.contains("no such container") || lower.trim().is_empty())
            {
                DockerError::NotFound {
                    op: op.to_string(),
                    id: id.to_string(),
                }
            } else {
                DockerError::Api {
                    op: op.to_string(),
                    status: status_code,
                    message: one_line(&message),
                }
            }
        }
        B::SocketNotFoundError(path) => DockerError::Unreachable {
            endpoint: path,
            reason: "socket not found".to_string(),
        },
        B::RequestTimeoutError => DockerError::Timeout {
            op: op.to_string(),
            after: Duration::ZERO,
        },
        e @ (B::IOError { .. }
        | B::HyperResponseError { .. }
        | B::HyperLegacyError { .. }
        | B::HttpClientError { .. }
        | B::UnsupportedURISchemeError { .. }) => DockerError::Unreachable {
            endpoint: endpoint.to_string(),
            reason: one_line(&e.to_string()),
        },
        other => DockerError::Api {
            op: op.to_string(),
            status: 0,
            message: one_line(&other.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_is_one_line() {
        let errs = [
            DockerError::Unreachable {
                endpoint: "/var/run/docker.sock".into(),
                reason: "connection refused".into(),
            },
            DockerError::ApiTooOld {
                found: "1.40".into(),
                min: MIN_API_VERSION.into(),
            },
            DockerError::ImageMissing("wave-agent:dev".into()),
            DockerError::Timeout {
                op: "wait x".into(),
                after: Duration::from_millis(1500),
            },
            DockerError::NotFound {
                op: "inspect".into(),
                id: "abc".into(),
            },
            DockerError::Api {
                op: "create".into(),
                status: 409,
                message: one_line("Conflict.\n  name in use"),
            },
        ];
        for e in errs {
            let s = e.to_string();
            assert!(!s.contains('\n'), "{s}");
        }
        assert_eq!(
            DockerError::Timeout {
                op: "wait x".into(),
                after: Duration::from_millis(1500)
            }
            .to_string(),
            "docker wait x did not finish within 1.5s"
        );
    }

    #[test]
    fn not_found_answers_are_told_apart_by_message() {
        let e404 = |m: &str| bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message: m.to_string(),
        };
        let map = |m: &str| map_bollard(e404(m), "start", "x", "sock");
        assert!(map("No such container: x").is_not_found());
        assert!(matches!(
            map("No such image: img:1"),
            DockerError::ImageMissing(i) if i == "x"
        ));
        let net = map("network n not found");
        assert!(
            matches!(net, DockerError::Api { status: 404, .. }),
            "{net:?}"
        );
        assert_eq!(
            net.to_string(),
            "docker start failed (404): network n not found"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(Duration::from_millis(5)), "5ms");
        assert_eq!(fmt_duration(Duration::from_secs(10)), "10s");
    }
}
