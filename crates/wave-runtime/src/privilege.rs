//! Least privilege for agents: what an executor may inherit from the runner.
//!
//! - **Capabilities**: none. The runner's spawn hook sets `no_new_privs`, empties the bounding,
//!   ambient and inheritable sets (see `sys::drop_privileges_on_spawn`), so an executor started
//!   by a root supervisor with Docker's default capabilities ends with `CapEff`, `CapBnd` 0 and
//!   `NoNewPrivs` 1. `WAVE_AGENT_CAPS` (comma-separated names, e.g. `CAP_NET_BIND_SERVICE`) keeps
//!   the listed ones.
//! - **Environment**: a documented base, not the supervisor's whole environment — see
//!   [`allowed_in_agent_env`]. `WAVE_AGENT_ENV=inherit` turns the reduction off.
//!
//! Agents keep the supervisor's uid/gid, so the owner-only state files stay theirs.

use std::str::FromStr;

/// The variable with the capability allow-list.
pub const AGENT_CAPS_ENV: &str = "WAVE_AGENT_CAPS";
/// `inherit` turns off the environment reduction.
pub const AGENT_ENV_ENV: &str = "WAVE_AGENT_ENV";

/// Names every agent keeps from the runner's environment.
pub const BASE_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "COLORTERM",
    "NO_COLOR",
    "TMPDIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
];

/// Whether `name` from the runner's environment reaches the executor: the base names, `LC_*`,
/// `WAVE_*` (the agent context and knobs), the executors' credential names and `WAVE_PASS_ENV`
/// names ([`wave_core::env::pass_env_names`]), and the payload's `passEnv` names.
pub fn allowed_in_agent_env(name: &str, pass_env: &[String], pass_names: &[String]) -> bool {
    BASE_ENV.contains(&name)
        || name.starts_with("LC_")
        || name.starts_with("WAVE_")
        || pass_env.iter().any(|n| n == name)
        || pass_names.iter().any(|n| n == name)
}

/// The capability mask `WAVE_AGENT_CAPS` asks to keep (bit N = capability N).
pub fn keep_mask(spec: Option<&str>) -> Result<u64, String> {
    let mut mask = 0u64;
    for raw in spec.unwrap_or_default().split(',') {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        let upper = name.to_ascii_uppercase();
        let full = if upper.starts_with("CAP_") {
            upper
        } else {
            format!("CAP_{upper}")
        };
        let cap = caps::Capability::from_str(&full)
            .map_err(|_| format!("{AGENT_CAPS_ENV}: unknown capability {name:?}"))?;
        mask |= 1u64 << cap.index();
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_keeps_the_base_context_and_credentials_only() {
        let pass = vec!["FAKE_DIR".to_string()];
        let names = wave_core::env::pass_env_names(None);
        for kept in [
            "PATH",
            "HOME",
            "LC_ALL",
            "WAVE_RUN_ID",
            "OPENAI_API_KEY",
            "FAKE_DIR",
            "HTTPS_PROXY",
        ] {
            assert!(allowed_in_agent_env(kept, &pass, &names), "{kept}");
        }
        for dropped in [
            "AWS_SECRET_ACCESS_KEY",
            "CARGO_HOME",
            "SSH_AUTH_SOCK",
            "DOCKER_HOST",
        ] {
            assert!(!allowed_in_agent_env(dropped, &pass, &names), "{dropped}");
        }
    }

    #[test]
    fn capability_names_parse_with_or_without_prefix_and_unknowns_are_named() {
        assert_eq!(keep_mask(None), Ok(0));
        assert_eq!(keep_mask(Some("CAP_NET_BIND_SERVICE")), Ok(1 << 10));
        assert_eq!(
            keep_mask(Some("net_bind_service, chown")),
            Ok((1 << 10) | 1)
        );
        let err = keep_mask(Some("CAP_FLY")).unwrap_err();
        assert!(
            err.contains("WAVE_AGENT_CAPS") && err.contains("CAP_FLY"),
            "{err}"
        );
    }
}
