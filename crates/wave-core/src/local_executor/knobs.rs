//! The local executor's test knobs: environment variables that let benchmarks and crash tests
//! hold an agent open, make it fail, or count its runs.
//!
//! Parsing is pure: [`Knobs::from_lookup`] takes a lookup function instead of reading the
//! process environment, so tests need no global state. An unset or empty (all-whitespace)
//! variable means "off"; any other value must parse, and a bad one is a [`KnobError`] naming
//! the variable. [`KNOBS`] describes every variable for `--help` texts.

use std::path::PathBuf;
use std::time::Duration;

/// `WAVE_LOCAL_EXECUTOR_DELAY_MS`: milliseconds to hold the agent open before it prints.
pub const DELAY_MS_VAR: &str = "WAVE_LOCAL_EXECUTOR_DELAY_MS";
/// `WAVE_LOCAL_EXECUTOR_EXIT_CODE`: exit code of every run (0–255).
pub const EXIT_CODE_VAR: &str = "WAVE_LOCAL_EXECUTOR_EXIT_CODE";
/// `WAVE_LOCAL_EXECUTOR_FAIL_AGENTS`: agents that report gaps (`A1,A8`, `A1:3`, `*`).
pub const FAIL_AGENTS_VAR: &str = "WAVE_LOCAL_EXECUTOR_FAIL_AGENTS";
/// `WAVE_LOCAL_EXECUTOR_COUNT_FILE`: file that gets one `<wave> <agentId> <pid>` line per run.
pub const COUNT_FILE_VAR: &str = "WAVE_LOCAL_EXECUTOR_COUNT_FILE";
/// `WAVE_LOCAL_EXECUTOR_PROBE_DIR`: directory that gets `<agentId>.env` (the executor's sorted
/// environment) and `<agentId>.status` (its `/proc/self/status`) per run — what an agent sees.
pub const PROBE_DIR_VAR: &str = "WAVE_LOCAL_EXECUTOR_PROBE_DIR";

/// Longest accepted delay (24 hours): anything longer is almost certainly a unit mistake.
pub const MAX_DELAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Documentation of one knob, for the CLI's `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnobDoc {
    /// Environment variable name.
    pub name: &'static str,
    /// Accepted values.
    pub value: &'static str,
    /// What it does.
    pub effect: &'static str,
}

/// Every knob the local executor honours, in the order `--help` should list them.
pub const KNOBS: &[KnobDoc] = &[
    KnobDoc {
        name: DELAY_MS_VAR,
        value: "milliseconds (0-86400000)",
        effect: "hold the agent open this long before it creates files and prints markers",
    },
    KnobDoc {
        name: EXIT_CODE_VAR,
        value: "integer 0-255",
        effect: "exit with this code after printing (default 0)",
    },
    KnobDoc {
        name: FAIL_AGENTS_VAR,
        value: "comma list of agent ids, each optionally `:<exit code>`; `*` = every agent",
        effect: "listed agents print state=gap proof/component markers (closure and review \
                 agents add a [wave-proof] state=gap line) and exit with their code, if given",
    },
    KnobDoc {
        name: COUNT_FILE_VAR,
        value: "file path",
        effect: "append one line `<wave> <agentId> <pid>` per run, before any delay",
    },
    KnobDoc {
        name: PROBE_DIR_VAR,
        value: "directory path",
        effect: "write <agentId>.env (the environment) and <agentId>.status (/proc/self/status)",
    },
];

/// A bad knob value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}={value:?}: {reason}")]
pub struct KnobError {
    /// The environment variable.
    pub variable: &'static str,
    /// Its value.
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

/// One entry of `WAVE_LOCAL_EXECUTOR_FAIL_AGENTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailAgent {
    /// Agent id (matched case-insensitively); `*` matches every agent.
    pub agent_id: String,
    /// Exit code for this agent (`A1:3`), overriding `WAVE_LOCAL_EXECUTOR_EXIT_CODE`.
    pub exit_code: Option<i32>,
}

/// The parsed knobs. `Knobs::default()` is "all off".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Knobs {
    /// Hold the agent open this long before it acts.
    pub delay: Option<Duration>,
    /// Exit code of every run.
    pub exit_code: Option<i32>,
    /// Agents that report gaps.
    pub fail_agents: Vec<FailAgent>,
    /// Run-counting file.
    pub count_file: Option<PathBuf>,
    /// Where to record the agent's environment and process status.
    pub probe_dir: Option<PathBuf>,
}

impl Knobs {
    /// Reads the knobs through `lookup` (e.g. `|k| std::env::var(k).ok()`).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, KnobError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut knobs = Knobs::default();
        if let Some(value) = get(DELAY_MS_VAR) {
            let ms = parse_u64(DELAY_MS_VAR, &value)?;
            if ms > MAX_DELAY_MS {
                return Err(error(
                    DELAY_MS_VAR,
                    &value,
                    format!("at most {MAX_DELAY_MS} ms (24 hours)"),
                ));
            }
            knobs.delay = Some(Duration::from_millis(ms));
        }
        if let Some(value) = get(EXIT_CODE_VAR) {
            knobs.exit_code = Some(parse_exit_code(EXIT_CODE_VAR, &value, value.trim())?);
        }
        if let Some(value) = get(FAIL_AGENTS_VAR) {
            knobs.fail_agents = parse_fail_agents(&value)?;
        }
        if let Some(value) = lookup(COUNT_FILE_VAR) {
            if !value.trim().is_empty() {
                knobs.count_file = Some(PathBuf::from(value));
            }
        }
        if let Some(value) = get(PROBE_DIR_VAR) {
            knobs.probe_dir = Some(PathBuf::from(value));
        }
        Ok(knobs)
    }

    /// The fail entry matching `agent_id` (exact id first, then `*`).
    pub fn fail_entry(&self, agent_id: &str) -> Option<&FailAgent> {
        self.fail_agents
            .iter()
            .find(|f| f.agent_id.eq_ignore_ascii_case(agent_id))
            .or_else(|| self.fail_agents.iter().find(|f| f.agent_id == "*"))
    }

    /// Exit code for `agent_id`: its fail entry's code, else the global code, else 0.
    pub fn exit_code_for(&self, agent_id: &str) -> i32 {
        self.fail_entry(agent_id)
            .and_then(|f| f.exit_code)
            .or(self.exit_code)
            .unwrap_or(0)
    }
}

fn error(variable: &'static str, value: &str, reason: impl Into<String>) -> KnobError {
    KnobError {
        variable,
        value: value.to_string(),
        reason: reason.into(),
    }
}

fn parse_u64(variable: &'static str, value: &str) -> Result<u64, KnobError> {
    let text = value.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(variable, value, "expected a non-negative integer"));
    }
    text.parse()
        .map_err(|_| error(variable, value, "number too large"))
}

fn parse_exit_code(variable: &'static str, value: &str, text: &str) -> Result<i32, KnobError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(variable, value, "expected an exit code 0-255"));
    }
    match text.parse::<u16>() {
        Ok(code) if code <= 255 => Ok(i32::from(code)),
        _ => Err(error(variable, value, "expected an exit code 0-255")),
    }
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

fn parse_fail_agents(value: &str) -> Result<Vec<FailAgent>, KnobError> {
    let mut out: Vec<FailAgent> = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (id, code) = match entry.split_once(':') {
            Some((id, code)) => (id.trim(), Some(code.trim())),
            None => (entry, None),
        };
        if id != "*" && (id.is_empty() || !id.chars().all(is_id_char)) {
            return Err(error(
                FAIL_AGENTS_VAR,
                value,
                format!("{entry:?} is not an agent id (letters, digits, `.`, `_`, `-`) or `*`"),
            ));
        }
        let exit_code = match code {
            Some(code) => Some(parse_exit_code(FAIL_AGENTS_VAR, value, code)?),
            None => None,
        };
        if out.iter().any(|f| f.agent_id.eq_ignore_ascii_case(id)) {
            return Err(error(
                FAIL_AGENTS_VAR,
                value,
                format!("agent {id} is listed twice"),
            ));
        }
        out.push(FailAgent {
            agent_id: id.to_string(),
            exit_code,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs(pairs: &[(&str, &str)]) -> Result<Knobs, KnobError> {
        Knobs::from_lookup(|k| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn unset_and_empty_mean_off() {
        assert_eq!(knobs(&[]).unwrap(), Knobs::default());
        let all_empty = [
            (DELAY_MS_VAR, " "),
            (EXIT_CODE_VAR, ""),
            (FAIL_AGENTS_VAR, ""),
            (COUNT_FILE_VAR, ""),
            (PROBE_DIR_VAR, ""),
        ];
        assert_eq!(knobs(&all_empty).unwrap(), Knobs::default());
    }

    #[test]
    fn good_values_parse() {
        let k = knobs(&[
            (DELAY_MS_VAR, "1500"),
            (EXIT_CODE_VAR, " 7 "),
            (FAIL_AGENTS_VAR, "A1, a8:3 ,,*:9"),
            (COUNT_FILE_VAR, "/tmp/runs.txt"),
        ])
        .unwrap();
        assert_eq!(k.delay, Some(Duration::from_millis(1500)));
        assert_eq!(k.exit_code, Some(7));
        assert_eq!(k.count_file, Some(PathBuf::from("/tmp/runs.txt")));
        assert_eq!(k.fail_agents.len(), 3);
        assert_eq!(k.exit_code_for("A1"), 7, "no own code: global code");
        assert_eq!(k.exit_code_for("A8"), 3, "case-insensitive id, own code");
        assert_eq!(k.exit_code_for("A2"), 9, "wildcard");
        assert!(k.fail_entry("a1").is_some());
        let plain = knobs(&[(FAIL_AGENTS_VAR, "A1")]).unwrap();
        assert_eq!(plain.exit_code_for("A1"), 0);
        assert!(plain.fail_entry("A2").is_none());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            (DELAY_MS_VAR, "-1"),
            (DELAY_MS_VAR, "1.5"),
            (DELAY_MS_VAR, "10s"),
            (DELAY_MS_VAR, "99999999999999999999999"),
            (DELAY_MS_VAR, "86400001"),
            (EXIT_CODE_VAR, "256"),
            (EXIT_CODE_VAR, "-1"),
            (EXIT_CODE_VAR, "one"),
            (FAIL_AGENTS_VAR, "A 1"),
            (FAIL_AGENTS_VAR, "A1:x"),
            (FAIL_AGENTS_VAR, "A1:"),
            (FAIL_AGENTS_VAR, ":3"),
            (FAIL_AGENTS_VAR, "A1,a1"),
        ] {
            let err = knobs(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{value}");
            let text = err.to_string();
            assert!(text.starts_with(&format!("invalid {var}=")), "{text}");
        }
    }

    #[test]
    fn every_knob_is_documented() {
        let names: Vec<&str> = KNOBS.iter().map(|k| k.name).collect();
        assert_eq!(
            names,
            [
                DELAY_MS_VAR,
                EXIT_CODE_VAR,
                FAIL_AGENTS_VAR,
                COUNT_FILE_VAR,
                PROBE_DIR_VAR
            ]
        );
    }
}
