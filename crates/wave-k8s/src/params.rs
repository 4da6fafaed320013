//! The parameters of a render and their checks: object names (DNS-1123), label values,
//! resource quantities and time budgets, each failing with a [`K8sError`] that names the flag.
//!
//! Defaults live here as constants so the CLI's `--help` and docs/kubernetes.md quote one
//! source.

use crate::K8sError;

/// `--image` default.
pub const DEFAULT_IMAGE: &str = "wave:latest";
/// `--pvc` default.
pub const DEFAULT_PVC: &str = "wave-workspace";
/// `--service-account` default.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "wave";
/// `--backoff-limit` default: two more pods after a counted failure (exit 32 or 43).
pub const DEFAULT_BACKOFF_LIMIT: i32 = 2;
/// `--drain-timeout-seconds` default: the runtime's drain budget on SIGTERM.
pub const DEFAULT_DRAIN_TIMEOUT_SECONDS: i64 = 8;
/// Seconds the pod's grace period adds on top of the drain budget (state flush, runtime
/// overhead), and the least grace period rendered.
pub const GRACE_MARGIN_SECONDS: i64 = 15;
/// The least `terminationGracePeriodSeconds` rendered (Kubernetes' own default).
pub const MIN_GRACE_SECONDS: i64 = 30;
/// `--cpu-request` default.
pub const DEFAULT_CPU_REQUEST: &str = "1";
/// `--cpu-limit` default.
pub const DEFAULT_CPU_LIMIT: &str = "4";
/// `--memory-request` default.
pub const DEFAULT_MEMORY_REQUEST: &str = "2Gi";
/// `--memory-limit` default.
pub const DEFAULT_MEMORY_LIMIT: &str = "8Gi";
/// The uid, gid and fsGroup the pod runs as (the image's non-root user).
pub const RUN_AS_ID: i64 = 65532;
/// Where the workspace claim is mounted (the image's working directory).
pub const WORKSPACE: &str = "/workspace";

/// CPU and memory requests and limits of the wave container (Kubernetes quantities). The
/// runtime reads the limits back through the pod's cgroup to size its agent concurrency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// `requests.cpu`.
    pub cpu_request: String,
    /// `limits.cpu`.
    pub cpu_limit: String,
    /// `requests.memory`.
    pub memory_request: String,
    /// `limits.memory`.
    pub memory_limit: String,
}

impl Default for Resources {
    fn default() -> Self {
        Resources {
            cpu_request: DEFAULT_CPU_REQUEST.into(),
            cpu_limit: DEFAULT_CPU_LIMIT.into(),
            memory_request: DEFAULT_MEMORY_REQUEST.into(),
            memory_limit: DEFAULT_MEMORY_LIMIT.into(),
        }
    }
}

impl Resources {
    /// Checks every quantity.
    pub fn validate(&self) -> Result<(), K8sError> {
        check_quantity("--cpu-request", &self.cpu_request)?;
        check_quantity("--cpu-limit", &self.cpu_limit)?;
        check_quantity("--memory-request", &self.memory_request)?;
        check_quantity("--memory-limit", &self.memory_limit)
    }
}

/// What every Job of one render shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobParams {
    /// The lane (resolved; used for names, labels and `--lane`).
    pub lane: String,
    /// The project id (resolved; `default` for the implicit project), for the label.
    pub project: String,
    /// `--project` to pass to `wave launch` and `wave k8s wait-wave` (what the user gave).
    pub project_flag: Option<String>,
    /// Container image of both containers.
    pub image: String,
    /// The workspace PersistentVolumeClaim.
    pub pvc: String,
    /// `serviceAccountName` (its token is not mounted).
    pub service_account: String,
    /// `metadata.namespace`, when set.
    pub namespace: Option<String>,
    /// `backoffLimit`.
    pub backoff_limit: i32,
    /// `ttlSecondsAfterFinished`, when set.
    pub ttl_seconds_after_finished: Option<i32>,
    /// The runtime's drain budget; the grace period is derived from it.
    pub drain_timeout_seconds: i64,
    /// Resources of the wave container.
    pub resources: Resources,
    /// More `wave launch` flags, appended after the fixed ones (e.g. `--timeout-minutes 60`).
    pub extra_launch_args: Vec<String>,
}

impl JobParams {
    /// Defaults for `lane` of `project`.
    pub fn new(lane: impl Into<String>, project: impl Into<String>) -> Self {
        JobParams {
            lane: lane.into(),
            project: project.into(),
            project_flag: None,
            image: DEFAULT_IMAGE.into(),
            pvc: DEFAULT_PVC.into(),
            service_account: DEFAULT_SERVICE_ACCOUNT.into(),
            namespace: None,
            backoff_limit: DEFAULT_BACKOFF_LIMIT,
            ttl_seconds_after_finished: None,
            drain_timeout_seconds: DEFAULT_DRAIN_TIMEOUT_SECONDS,
            resources: Resources::default(),
            extra_launch_args: Vec::new(),
        }
    }

    /// Checks everything that does not depend on the wave.
    pub fn validate(&self) -> Result<(), K8sError> {
        check_label_value("--lane", &self.lane)?;
        check_label_value("--project", &self.project)?;
        check_dns_subdomain("--pvc", &self.pvc)?;
        check_dns_subdomain("--service-account", &self.service_account)?;
        if let Some(ns) = &self.namespace {
            check_dns_label("--namespace", ns)?;
        }
        if self.image.trim().is_empty() || self.image.chars().any(char::is_whitespace) {
            return Err(K8sError::Invalid {
                flag: "--image".into(),
                message: format!(
                    "expected an image reference without spaces, got {:?}",
                    self.image
                ),
            });
        }
        if self.backoff_limit < 0 {
            return Err(K8sError::Invalid {
                flag: "--backoff-limit".into(),
                message: format!("expected 0 or more, got {}", self.backoff_limit),
            });
        }
        if self.ttl_seconds_after_finished.is_some_and(|t| t < 0) {
            return Err(K8sError::Invalid {
                flag: "--ttl-seconds-after-finished".into(),
                message: "expected 0 or more".into(),
            });
        }
        if !(1..=3600).contains(&self.drain_timeout_seconds) {
            return Err(K8sError::Invalid {
                flag: "--drain-timeout-seconds".into(),
                message: format!("expected 1 to 3600, got {}", self.drain_timeout_seconds),
            });
        }
        self.resources.validate()
    }

    /// `terminationGracePeriodSeconds`: the drain budget plus [`GRACE_MARGIN_SECONDS`], at
    /// least [`MIN_GRACE_SECONDS`] (30 s for the default 8 s drain).
    pub fn grace_period_seconds(&self) -> i64 {
        (self.drain_timeout_seconds + GRACE_MARGIN_SECONDS).max(MIN_GRACE_SECONDS)
    }
}

/// The worst-case run time of one wave, in seconds: every stage (the parallel implementation
/// fan-out counts once, each closure agent once) running for the whole per-agent timeout, on
/// every attempt. This is the default of the wave's own share of `activeDeadlineSeconds`.
pub fn wave_budget_seconds(agent_timeout_minutes: u32, stages: u32, attempts: u32) -> i64 {
    i64::from(agent_timeout_minutes) * 60 * i64::from(stages.max(1)) * i64::from(attempts.max(1))
}

/// The Job name of `wave` in `lane`: `wave-<lane>-wave-<n>`, the lane lower-cased with every
/// character outside `[a-z0-9-]` turned into `-`; fails when the result is not a DNS-1123
/// label (at most 63 characters).
pub fn job_name(lane: &str, wave: u32) -> Result<String, K8sError> {
    let mut lane_part = String::new();
    for c in lane.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && lane_part.ends_with('-')) {
            lane_part.push(c);
        }
    }
    let lane_part = lane_part.trim_matches('-');
    if lane_part.is_empty() {
        return Err(K8sError::InvalidName {
            flag: "--lane".into(),
            value: lane.into(),
            expected: "the lane must contain a letter or digit to name the Job",
        });
    }
    let name = format!("wave-{lane_part}-wave-{wave}");
    check_dns_label("Job name (from --lane)", &name)?;
    Ok(name)
}

/// A DNS-1123 label: 1–63 characters of `[a-z0-9-]`, alphanumeric at both ends.
pub fn check_dns_label(flag: &str, value: &str) -> Result<(), K8sError> {
    if is_dns_label(value) {
        Ok(())
    } else {
        Err(K8sError::InvalidName {
            flag: flag.into(),
            value: value.into(),
            expected: "a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-', starting and ending alphanumeric",
        })
    }
}

/// A DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels.
pub fn check_dns_subdomain(flag: &str, value: &str) -> Result<(), K8sError> {
    if value.len() <= 253 && value.split('.').all(is_dns_label) {
        Ok(())
    } else {
        Err(K8sError::InvalidName {
            flag: flag.into(),
            value: value.into(),
            expected: "a DNS-1123 subdomain: lower-case alphanumerics, '-' and '.', at most 253 characters",
        })
    }
}

fn is_dns_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// A label value: at most 63 characters of `[A-Za-z0-9-_.]`, alphanumeric at both ends.
pub fn check_label_value(flag: &str, value: &str) -> Result<(), K8sError> {
    let bytes = value.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(K8sError::InvalidLabelValue {
            flag: flag.into(),
            value: value.into(),
        })
    }
}

/// A resource quantity: a non-negative decimal number with an optional SI (`m`, `k`, `M`,
/// `G`, `T`, `P`, `E`) or binary (`Ki` … `Ei`) suffix, or a decimal exponent (`1e3`).
pub fn check_quantity(flag: &str, value: &str) -> Result<(), K8sError> {
    let err = || K8sError::InvalidQuantity {
        flag: flag.into(),
        value: value.into(),
    };
    let digits_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, suffix) = value.split_at(digits_end);
    let mut parts = number.split('.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    if parts.next().is_some() || (int.is_empty() && frac.is_none_or(str::is_empty)) {
        return Err(err());
    }
    if frac.is_some_and(str::is_empty) {
        return Err(err());
    }
    let suffix_ok = match suffix {
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            true
        }
        s => s
            .strip_prefix(['e', 'E'])
            .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
            .is_some_and(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())),
    };
    if suffix_ok {
        Ok(())
    } else {
        Err(err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_are_sanitised_and_checked() {
        assert_eq!(job_name("main", 0).unwrap(), "wave-main-wave-0");
        assert_eq!(job_name("Feature_X", 12).unwrap(), "wave-feature-x-wave-12");
        assert_eq!(job_name("a..b", 1).unwrap(), "wave-a-b-wave-1");
        assert!(job_name("___", 1).is_err());
        let long = "l".repeat(60);
        let err = job_name(&long, 1).unwrap_err().to_string();
        assert!(err.contains("DNS-1123 label"), "{err}");
    }

    #[test]
    fn quantities() {
        for ok in [
            "1",
            "500m",
            "2Gi",
            "0.5",
            "1.5Gi",
            "1e3",
            "128974848",
            "129M",
        ] {
            check_quantity("--x", ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["", "Gi", "1GB", "-1", "1.", ".", "1 Gi", "1.2.3", "1e"] {
            assert!(check_quantity("--x", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn names_and_labels() {
        assert!(check_dns_subdomain("--pvc", "wave-workspace").is_ok());
        assert!(check_dns_subdomain("--pvc", "a.b-c").is_ok());
        assert!(check_dns_subdomain("--pvc", "Wave").is_err());
        assert!(check_dns_subdomain("--pvc", "").is_err());
        assert!(check_label_value("--lane", "main_2.x").is_ok());
        assert!(check_label_value("--lane", "-main").is_err());
        assert!(check_label_value("--lane", &"x".repeat(64)).is_err());
    }

    #[test]
    fn grace_covers_the_drain_budget() {
        let mut p = JobParams::new("main", "default");
        assert_eq!(p.grace_period_seconds(), 30);
        p.drain_timeout_seconds = 60;
        assert_eq!(p.grace_period_seconds(), 75);
        p.drain_timeout_seconds = 0;
        assert!(p
            .validate()
            .unwrap_err()
            .to_string()
            .contains("--drain-timeout-seconds"));
    }

    #[test]
    fn budgets() {
        assert_eq!(wave_budget_seconds(240, 6, 2), 240 * 60 * 12);
        assert_eq!(wave_budget_seconds(10, 0, 0), 600);
    }
}
