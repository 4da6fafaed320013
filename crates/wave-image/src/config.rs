//! The image configuration JSON (OCI image config, with Docker's `Healthcheck` extension):
//! built from scratch, or merged over a base image's config.
//!
//! Our keys win over the base's (`User`, `Entrypoint`, `Cmd`, `WorkingDir`, `Healthcheck`);
//! `Volumes` and `Labels` are unions (ours override equal keys); `Env` keeps the base's variables
//! with ours replacing equal names, and `PATH` puts our directories first, then the base's that
//! are not already listed. Everything else the base carries in `config` (e.g. `ExposedPorts`,
//! `StopSignal`) is kept; Docker's legacy top-level keys (`container_config`, …) are dropped.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::digest::Digest;
use crate::Error;

/// Media type of an OCI image config.
pub const MEDIA_TYPE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// Docker's container healthcheck, durations in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    /// `["CMD", program, args…]`.
    pub test: Vec<String>,
    /// Seconds between checks.
    pub interval_seconds: u64,
    /// Seconds before one check counts as failed.
    pub timeout_seconds: u64,
    /// Seconds after start during which failures do not count.
    pub start_period_seconds: u64,
    /// Consecutive failures before the container is unhealthy.
    pub retries: u64,
}

/// What the runtime config of the image says (the `config` object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// `uid:gid`.
    pub user: String,
    /// `NAME=value` entries.
    pub env: Vec<String>,
    /// Working directory.
    pub working_dir: String,
    /// Entrypoint argv.
    pub entrypoint: Vec<String>,
    /// Default arguments.
    pub cmd: Vec<String>,
    /// Declared volume paths.
    pub volumes: Vec<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The healthcheck, if any.
    pub healthcheck: Option<Healthcheck>,
}

/// One history line per layer.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    /// What made the layer.
    pub created_by: String,
}

/// Everything the config needs besides the runtime part.
#[derive(Debug)]
pub struct ConfigInput<'a> {
    /// `amd64`, `arm64`, …
    pub architecture: &'a str,
    /// RFC 3339 creation time (derived from the build epoch).
    pub created: &'a str,
    /// The runtime config.
    pub runtime: &'a RuntimeConfig,
    /// Our layers' diff ids, bottom first.
    pub diff_ids: &'a [Digest],
    /// Our layers' history, bottom first.
    pub history: &'a [HistoryLine],
}

/// The config JSON for an image with only our layers.
pub fn from_scratch(input: &ConfigInput<'_>) -> Value {
    merge(&json!({}), input).expect("an empty base always merges")
}

/// The config JSON for our layers on top of a base image whose config is `base`.
///
/// Errors name what the base lacks or what clashes (a different architecture, another OS).
pub fn merge(base: &Value, input: &ConfigInput<'_>) -> Result<Value, String> {
    let base = base.as_object().ok_or("its config is not a JSON object")?;
    if let Some(arch) = base.get("architecture").and_then(Value::as_str) {
        if arch != input.architecture {
            return Err(format!(
                "its architecture is {arch}, the wave binary's is {}",
                input.architecture
            ));
        }
    }
    if let Some(os) = base.get("os").and_then(Value::as_str) {
        if os != "linux" {
            return Err(format!("its os is {os}, expected linux"));
        }
    }
    let mut diff_ids: Vec<Value> = match base.get("rootfs") {
        None | Some(Value::Null) => Vec::new(),
        Some(rootfs) => rootfs
            .get("diff_ids")
            .and_then(Value::as_array)
            .cloned()
            .ok_or("rootfs.diff_ids is missing")?,
    };
    diff_ids.extend(input.diff_ids.iter().map(|d| json!(d.as_str())));
    let mut history: Vec<Value> = base
        .get("history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    history.extend(input.history.iter().map(|h| {
        json!({
            "created": input.created,
            "created_by": h.created_by,
            "comment": "wave image build",
        })
    }));
    let base_config = base
        .get("config")
        .or_else(|| base.get("Config"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();

    let mut out = Map::new();
    out.insert("architecture".into(), json!(input.architecture));
    if let Some(variant) = base.get("variant") {
        out.insert("variant".into(), variant.clone());
    }
    out.insert(
        "config".into(),
        Value::Object(runtime_config(base_config, input.runtime)),
    );
    out.insert("created".into(), json!(input.created));
    out.insert("history".into(), Value::Array(history));
    out.insert("os".into(), json!("linux"));
    out.insert(
        "rootfs".into(),
        json!({ "type": "layers", "diff_ids": diff_ids }),
    );
    Ok(Value::Object(out))
}

fn runtime_config(mut config: Map<String, Value>, ours: &RuntimeConfig) -> Map<String, Value> {
    let base_env: Vec<String> = config
        .get("Env")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut volumes = config
        .get("Volumes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for v in &ours.volumes {
        volumes.insert(v.clone(), json!({}));
    }
    let mut labels = config
        .get("Labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in &ours.labels {
        labels.insert(k.clone(), json!(v));
    }
    // Deterministic order whatever the base's order was.
    let volumes: BTreeMap<String, Value> = volumes.into_iter().collect();
    let labels: BTreeMap<String, Value> = labels.into_iter().collect();
    config.insert("User".into(), json!(ours.user));
    config.insert("Env".into(), json!(merge_env(&base_env, &ours.env)));
    config.insert("Entrypoint".into(), json!(ours.entrypoint));
    config.insert("Cmd".into(), json!(ours.cmd));
    config.insert("WorkingDir".into(), json!(ours.working_dir));
    config.insert("Volumes".into(), json!(volumes));
    config.insert("Labels".into(), json!(labels));
    match &ours.healthcheck {
        Some(h) => {
            const NS: u64 = 1_000_000_000;
            config.insert(
                "Healthcheck".into(),
                json!({
                    "Test": h.test,
                    "Interval": h.interval_seconds * NS,
                    "Timeout": h.timeout_seconds * NS,
                    "StartPeriod": h.start_period_seconds * NS,
                    "Retries": h.retries,
                }),
            );
        }
        None => {
            config.remove("Healthcheck");
        }
    }
    config
}

/// Base variables first (ours replacing equal names in place), then our new ones; `PATH` is our
/// directories followed by the base's that we do not list.
pub fn merge_env(base: &[String], ours: &[String]) -> Vec<String> {
    let name = |e: &str| e.split_once('=').map_or(e, |(n, _)| n).to_string();
    let ours_by_name: BTreeMap<String, &String> = ours.iter().map(|e| (name(e), e)).collect();
    let mut out: Vec<String> = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for entry in base {
        let n = name(entry);
        match ours_by_name.get(&n) {
            Some(mine) if n == "PATH" => out.push(merge_path(entry, mine)),
            Some(mine) => out.push((*mine).clone()),
            None => out.push(entry.clone()),
        }
        used.insert(n);
    }
    for entry in ours {
        if !used.contains(&name(entry)) {
            out.push(entry.clone());
        }
    }
    out
}

fn merge_path(base: &str, ours: &str) -> String {
    let dirs = |e: &str| -> Vec<String> {
        e.split_once('=')
            .map_or("", |(_, v)| v)
            .split(':')
            .filter(|d| !d.is_empty())
            .map(String::from)
            .collect()
    };
    let mut all = dirs(ours);
    for d in dirs(base) {
        if !all.contains(&d) {
            all.push(d);
        }
    }
    format!("PATH={}", all.join(":"))
}

/// The config's bytes as written (compact JSON; key order fixed by construction).
pub fn to_bytes(config: &Value) -> Vec<u8> {
    serde_json::to_vec(config).expect("a JSON value always serialises")
}

/// Maps a Rust target architecture to the OCI name.
pub fn oci_architecture(rust_arch: &str) -> Result<&'static str, Error> {
    match rust_arch {
        "x86_64" => Ok("amd64"),
        "aarch64" => Ok("arm64"),
        other => Err(Error::Definition(format!(
            "architecture {other}: only x86_64 (amd64) and aarch64 (arm64) images are built"
        ))),
    }
}

/// RFC 3339 UTC time of `epoch` seconds (`1970-01-01T00:00:00Z` for 0).
pub fn rfc3339(epoch: u64) -> String {
    let (days, rem) = (epoch / 86_400, epoch % 86_400);
    let (hour, minute, second) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> RuntimeConfig {
        RuntimeConfig {
            user: "65532:65532".into(),
            env: vec![
                "PATH=/usr/local/bin:/bin".into(),
                "WAVE_REPO_ROOT=/workspace".into(),
            ],
            working_dir: "/workspace".into(),
            entrypoint: vec!["/usr/local/bin/wave".into()],
            cmd: vec!["supervise".into()],
            volumes: vec!["/workspace/.tmp".into(), "/workspace/.wave".into()],
            labels: [(
                "org.opencontainers.image.title".to_string(),
                "wave".to_string(),
            )]
            .into(),
            healthcheck: Some(Healthcheck {
                test: vec!["CMD".into(), "/usr/local/bin/wave".into(), "health".into()],
                interval_seconds: 30,
                timeout_seconds: 5,
                start_period_seconds: 10,
                retries: 3,
            }),
        }
    }

    #[test]
    fn rfc3339_of_known_epochs() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn scratch_config_has_every_field() {
        let rt = runtime();
        let d = Digest::of(b"layer");
        let cfg = from_scratch(&ConfigInput {
            architecture: "amd64",
            created: "1970-01-01T00:00:00Z",
            runtime: &rt,
            diff_ids: std::slice::from_ref(&d),
            history: &[HistoryLine {
                created_by: "wave".into(),
            }],
        });
        assert_eq!(cfg["config"]["User"], "65532:65532");
        assert_eq!(cfg["config"]["Healthcheck"]["Interval"], 30_000_000_000u64);
        assert_eq!(cfg["config"]["Volumes"]["/workspace/.wave"], json!({}));
        assert_eq!(cfg["rootfs"]["diff_ids"][0], d.as_str());
        assert_eq!(cfg["history"][0]["created"], "1970-01-01T00:00:00Z");
        assert_eq!(cfg["os"], "linux");
    }

    #[test]
    fn merge_keeps_base_layers_env_and_extras_and_overrides_ours() {
        let base = json!({
            "architecture": "amd64", "os": "linux",
            "container_config": {"Cmd": ["old"]},
            "config": {
                "Env": ["PATH=/usr/sbin:/bin", "LANG=C.UTF-8", "WAVE_REPO_ROOT=/old"],
                "Cmd": ["/bin/sh"], "User": "0", "ExposedPorts": {"80/tcp": {}},
                "Volumes": {"/data": {}}, "Labels": {"a": "1", "org.opencontainers.image.title": "base"}
            },
            "rootfs": {"type": "layers", "diff_ids": ["sha256:base"]},
            "history": [{"created_by": "base"}]
        });
        let rt = runtime();
        let d = Digest::of(b"ours");
        let cfg = merge(
            &base,
            &ConfigInput {
                architecture: "amd64",
                created: "c",
                runtime: &rt,
                diff_ids: std::slice::from_ref(&d),
                history: &[HistoryLine {
                    created_by: "ours".into(),
                }],
            },
        )
        .unwrap();
        let c = &cfg["config"];
        assert_eq!(
            c["Env"],
            json!([
                "PATH=/usr/local/bin:/bin:/usr/sbin",
                "LANG=C.UTF-8",
                "WAVE_REPO_ROOT=/workspace"
            ])
        );
        assert_eq!(c["Cmd"], json!(["supervise"]));
        assert_eq!(c["User"], "65532:65532");
        assert_eq!(c["ExposedPorts"], json!({"80/tcp": {}}));
        assert_eq!(
            c["Volumes"],
            json!({"/data": {}, "/workspace/.tmp": {}, "/workspace/.wave": {}})
        );
        assert_eq!(c["Labels"]["a"], "1");
        assert_eq!(c["Labels"]["org.opencontainers.image.title"], "wave");
        assert_eq!(
            cfg["rootfs"]["diff_ids"],
            json!(["sha256:base", d.as_str()])
        );
        assert_eq!(cfg["history"].as_array().unwrap().len(), 2);
        assert!(cfg.get("container_config").is_none());

        let arm = json!({"architecture": "arm64", "os": "linux"});
        let err = merge(
            &arm,
            &ConfigInput {
                architecture: "amd64",
                created: "c",
                runtime: &rt,
                diff_ids: &[],
                history: &[],
            },
        )
        .unwrap_err();
        assert!(err.contains("arm64"), "{err}");
    }
}
