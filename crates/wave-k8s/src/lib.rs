//! Kubernetes manifests for Wave, built from typed `k8s-openapi` objects (API level 1.30).
//!
//! Owns what `wave k8s render` prints: one `batch/v1` Job per wave ([`job::wave_job`]), the
//! workspace PersistentVolumeClaim and the ServiceAccount ([`base`]), the checks that make a
//! bad flag a one-line error before anything is printed ([`params`]), and the multi-document
//! YAML ([`yaml`]). The crate is pure: it takes plain parameter structs (the CLI loads the lane
//! and decides which waves exist) and does no IO.
//!
//! The Job's shape, in one place (docs/kubernetes.md explains each choice):
//! - the pod runs `wave launch --start-wave N --end-wave N --lane L …` as PID 1 (no shell) in
//!   `/workspace`, the workspace claim mounted there and again, by `subPath`, on `.tmp/` and
//!   `.wave/` (the image declares those as volumes; mounting them explicitly keeps the
//!   container runtime from creating anonymous ones), `/tmp` an `emptyDir`;
//! - every Job but the first selected one has an init container, `wave k8s wait-wave`, that
//!   holds the pod until the previous wave is recorded completed, so Jobs applied together run
//!   in order;
//! - `restartPolicy: Never`, `backoffLimit`, a `podFailurePolicy` over wave's exit codes
//!   ([`job::EXIT_FAIL_JOB`], [`job::EXIT_COUNT`], disruptions ignored), `activeDeadlineSeconds`
//!   covering the wait for earlier waves plus the wave's own budget, `ttlSecondsAfterFinished`;
//! - the restricted Pod Security profile (non-root 65532, `RuntimeDefault` seccomp, no
//!   privilege escalation, every capability dropped, read-only root filesystem).

pub mod base;
pub mod job;
pub mod params;
pub mod yaml;

pub use base::{persistent_volume_claim, service_account, BaseParams};
pub use job::{wave_job, WaveJob};
pub use params::{JobParams, Resources};
pub use yaml::{to_yaml_documents, Document};

/// Why manifests could not be rendered. Every variant names the flag and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum K8sError {
    /// A value that must be a Kubernetes object name is not one.
    #[error("{flag}: {value:?} is not a valid Kubernetes name ({expected})")]
    InvalidName {
        /// The flag (or derived field) the value came from.
        flag: String,
        /// The offending value.
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// A label value is not valid.
    #[error("{flag}: {value:?} cannot be a label value (at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric)")]
    InvalidLabelValue {
        /// The flag the value came from.
        flag: String,
        /// The offending value.
        value: String,
    },
    /// A resource quantity is not a Kubernetes quantity.
    #[error("{flag}: {value:?} is not a Kubernetes quantity (e.g. 500m, 2, 4Gi, 512Mi)")]
    InvalidQuantity {
        /// The flag the value came from.
        flag: String,
        /// The offending value.
        value: String,
    },
    /// Any other out-of-range or malformed parameter.
    #[error("{flag}: {message}")]
    Invalid {
        /// The flag the value came from.
        flag: String,
        /// What was expected.
        message: String,
    },
    /// Serialising to YAML failed (a bug: the objects are plain data).
    #[error("render YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
}
