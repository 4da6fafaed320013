//! The host side of Wave's agent processes: the detached agent runner and the tools a launcher
//! uses to start, watch, wait for and stop it.
//!
//! Topology: the launcher writes a [`RunnerPayload`] and the initial `launching`
//! [`RuntimeRecord`] ([`prepare_launch`]), then calls [`spawn_detached`], which starts `wave agent-runner
//! --payload-file P` in its own session, not as the launcher's child. The runner ([`run_agent`])
//! runs the executor in its own process group, heartbeats the runtime record, and on exit
//! writes the final record, a log line and — last — the status file with the executor's real
//! exit code. Any launcher (also one started after a crash) can then:
//! - check liveness with [`is_alive`] (pid + start time, so pid reuse is harmless),
//! - wait with [`wait_for_exit`] (pidfd; returns within milliseconds of the exit),
//! - read the outcome with [`read_status_if_present`],
//! - stop the agent with [`terminate`].
//!
//! The CLI wires the runner as a hidden subcommand: `wave agent-runner --payload-file P` parses
//! its arguments with [`parse_runner_args`] and exits with the code [`run_agent`] returns.
//!
//! No async runtime: the runner is one thread, one `poll`, a few KiB of state.

mod backoff;
pub mod cgroup;
mod error;
pub mod init;
pub mod payload;
pub mod privilege;
pub mod procfs;
pub mod record;
mod runner;
pub mod slots;
mod spawn;
mod sys;
mod terminate;
mod wait;
mod watch;

pub use backoff::{is_transient_spawn_error, Backoff, Jitter};
pub use error::RunnerError;
pub use payload::{read_payload, write_payload, ExecCommand, RunnerPayload};
pub use procfs::{is_alive, start_time_ticks};
pub use record::{
    exit_file_for, read_exit_file, read_runtime_record, read_status_if_present, RuntimeRecord,
    StatusRecord, TerminalDisposition,
};
pub use runner::{now_iso, run_agent};
pub use spawn::{
    parse_runner_args, prepare_launch, spawn_detached, spawn_detached_process,
    spawn_detached_with_env, DetachedProcess, SpawnedRunner, PAYLOAD_FLAG, RUNNER_SUBCOMMAND,
};
pub use sys::default_sigpipe;
pub use terminate::{terminate, TerminateOutcome};
pub use wait::{wait_for_exit, WaitOutcome};
pub use watch::{executor_is_alive, watch_agent, WatchOutcome};
