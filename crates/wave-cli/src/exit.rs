//! Exit codes of the `wave` binary and how errors map to them.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | failure: bad input, failed checks, a failed wave |
//! | 2 | usage error (clap) |
//! | 32 | another live launcher holds the lane lock |
//! | 42 | the wave failed only on cont-QA (launcher) |
//! | 43 | recovery queued (launcher) |
//! | 3 | `wave supervise`: the lease was taken over by another daemon |
//! | 124 | `wave wait`, `wave k8s wait-wave`: the timeout passed first |
//! | 69 | `wave wait`, `submit --wait`: no daemon serves the lane and none could be started (EX_UNAVAILABLE) |

/// `wave wait` timed out with the run still going (as `timeout(1)`; upstream exits 0).
pub const EXIT_WAIT_TIMED_OUT: i32 = 124;

/// No daemon serves the lane and none could be started (`EX_UNAVAILABLE` of sysexits.h).
pub const EXIT_NO_DAEMON: i32 = 69;

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Success.
    Ok,
    /// Generic failure.
    Failure,
    /// A code passed through from a child or an executor.
    Exit(i32),
    /// A drain after a termination signal: 128 + the signal (143 for SIGTERM).
    Interrupted(i32),
}

impl Code {
    /// The numeric exit status.
    pub fn as_i32(self) -> i32 {
        match self {
            Code::Ok => 0,
            Code::Failure => 1,
            Code::Exit(code) | Code::Interrupted(code) => code,
        }
    }
}

impl Code {
    /// The exit code an error maps to.
    pub fn from_error(_err: &anyhow::Error) -> Code {
        Code::Failure
    }
}

/// Renders an error chain on one line: `outer: inner: root`, without repeating a cause that
/// the outer message already ends with.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.replace('\n', " ")
}
