//! Non-gating progress markers read for dashboards: `[wave-phase]`, `[deploy-status]`,
//! `[infra-status]`.
//!
//! Upstream reads these from the raw log tail (the last 30 000 characters), anchored at the
//! start of a line with no trimming, list prefixes, backticks, fences or JSON unwrapping — a
//! different, simpler path than the gating markers. The last occurrence of each wins.

use serde::{Deserialize, Serialize};

use super::grammar::keyword_enum;
use super::text::{
    js_trim, skip_ws, skip_ws1, split_js_lines, strip_prefix_ci, tail_utf16, take_run,
};

/// Characters of log tail read for dashboard signals (UTF-16 code units).
pub const DASHBOARD_WINDOW: usize = 30_000;

keyword_enum! {
    /// `state=` of `[deploy-status]`.
    DeployState {
        /** Deploying. */ Deploying => "deploying",
        /** Healthy. */ Healthy => "healthy",
        /** Failed. */ Failed => "failed",
        /** Rolled over. */ Rolledover => "rolledover",
    }
}

/// `[deploy-status] service=<id> state=<…> [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploySignal {
    /// `service=` as written.
    pub service: String,
    /// `state=`.
    pub state: DeployState,
    /// `detail=`.
    pub detail: String,
}

/// `[infra-status] kind=<k> target=<t> state=<s> [detail=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InfraSignal {
    /// `kind=` as written.
    pub kind: String,
    /// `target=` as written.
    pub target: String,
    /// `state=` as written.
    pub state: String,
    /// `detail=`.
    pub detail: String,
}

/// The dashboard signals of one log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardSignals {
    /// Last `[wave-phase] <name>` (lower-cased).
    pub phase: Option<String>,
    /// Last `[deploy-status]`.
    pub deployment: Option<DeploySignal>,
    /// Last `[infra-status]`.
    pub infra: Option<InfraSignal>,
}

/// Reads the dashboard signals from a whole log (the window is applied here).
pub fn parse_dashboard_signals(log: &str) -> DashboardSignals {
    let window = tail_utf16(log, DASHBOARD_WINDOW);
    let mut signals = DashboardSignals::default();
    for line in split_js_lines(&window) {
        if let Some(phase) = parse_phase(line) {
            signals.phase = Some(phase);
        } else if let Some(deploy) = parse_deploy(line) {
            signals.deployment = Some(deploy);
        } else if let Some(infra) = parse_infra(line) {
            signals.infra = Some(infra);
        }
    }
    signals
}

fn detail_tail(text: &str) -> Option<String> {
    let rest = skip_ws(text);
    if rest.is_empty() {
        return Some(String::new());
    }
    strip_prefix_ci(rest, "detail=").map(|d| js_trim(d).to_string())
}

/// `[wave-phase]\s*([a-z_][a-z0-9_-]*)\s*$`.
pub fn parse_phase(line: &str) -> Option<String> {
    let rest = skip_ws(strip_prefix_ci(line, "[wave-phase]")?);
    let first = rest.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    let (name, tail) = take_run(rest, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-')?;
    skip_ws(tail).is_empty().then(|| name.to_ascii_lowercase())
}

fn slug_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

/// `[deploy-status]\s*service=([a-z0-9_.:-]+)\s+state=(…)\s*(?:detail=(.*))?$`.
pub fn parse_deploy(line: &str) -> Option<DeploySignal> {
    let rest = skip_ws(strip_prefix_ci(line, "[deploy-status]")?);
    let (service, rest) = take_run(strip_prefix_ci(rest, "service=")?, slug_char)?;
    let rest = strip_prefix_ci(skip_ws1(rest)?, "state=")?;
    let state = DeployState::ALL
        .iter()
        .copied()
        .find(|s| strip_prefix_ci(rest, s.as_str()).is_some())?;
    Some(DeploySignal {
        service: service.to_string(),
        state,
        detail: detail_tail(&rest[state.as_str().len()..])?,
    })
}

/// `[infra-status]\s*kind=(…)\s+target=([a-z0-9_.:@/-]+)\s+state=(…)\s*(?:detail=(.*))?$`.
pub fn parse_infra(line: &str) -> Option<InfraSignal> {
    let rest = skip_ws(strip_prefix_ci(line, "[infra-status]")?);
    let (kind, rest) = take_run(strip_prefix_ci(rest, "kind=")?, slug_char)?;
    let rest = strip_prefix_ci(skip_ws1(rest)?, "target=")?;
    let (target, rest) = take_run(rest, |c| slug_char(c) || c == '@' || c == '/')?;
    let rest = strip_prefix_ci(skip_ws1(rest)?, "state=")?;
    let (state, rest) = take_run(rest, slug_char)?;
    Some(InfraSignal {
        kind: kind.to_string(),
        target: target.to_string(),
        state: state.to_string(),
        detail: detail_tail(rest)?,
    })
}
