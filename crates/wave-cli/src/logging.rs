//! The binary's one `tracing` setup: diagnostics of the long-running commands (the daemon's
//! claims, launcher starts, reconciliations, drains; the launcher's agent starts and ends) as
//! structured events on stderr, so `docker logs` and `kubectl logs` carry them.
//!
//! - `WAVE_LOG` — an `EnvFilter` directive (`info` by default; e.g. `debug`,
//!   `wave_engine=debug`).
//! - `WAVE_LOG_FORMAT` — `json` (one JSON object a line, fields flattened: `run_id`, `wave`,
//!   `attempt`, `agent`, …) or `human`. Unset: JSON when the process is PID 1 (a container's
//!   entrypoint) and stderr is not a terminal, else human.
//!
//! User-facing command output (stdout, `--json` payloads, `wave: error:` lines) is not logging
//! and does not go through here.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The environment variable holding the log filter.
pub const LOG_ENV: &str = wave_core::env::WAVE_LOG;
/// The environment variable choosing the log format.
pub const LOG_FORMAT_ENV: &str = wave_core::env::WAVE_LOG_FORMAT;

/// Installs the subscriber (once per process; later calls do nothing).
pub fn init() {
    let json = match std::env::var(LOG_FORMAT_ENV).ok().as_deref().map(str::trim) {
        Some("json") => true,
        Some(_) => false,
        None => std::process::id() == 1 && !std::io::stderr().is_terminal(),
    };
    let filter = EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .compact()
            .try_init()
    };
}
