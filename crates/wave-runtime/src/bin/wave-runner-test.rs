//! Test-only stand-in for `wave agent-runner`, used by this crate's integration tests through
//! `CARGO_BIN_EXE_wave-runner-test` (the real subcommand lives in wave-cli).
//!
//! - `wave-runner-test agent-runner --payload-file P`: runs [`wave_runtime::run_agent`] and
//!   exits with the executor's code (1 on a runner error).
//! - `wave-runner-test spawn-and-hold P`: a stand-in launcher: spawns a detached runner for `P`
//!   (with this executable as the runner), prints `<pid> <start ticks>` and then blocks reading
//!   stdin, so a test can SIGKILL it while the agent runs.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some(wave_runtime::RUNNER_SUBCOMMAND) => {
            let payload = match wave_runtime::parse_runner_args(args) {
                Ok(p) => p,
                Err(msg) => {
                    eprintln!("wave-runner-test: {msg}");
                    return ExitCode::from(2);
                }
            };
            match wave_runtime::run_agent(&payload) {
                Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
                Err(err) => {
                    eprintln!("wave-runner-test: {err}");
                    ExitCode::from(1)
                }
            }
        }
        Some("spawn-and-hold") => {
            let payload = args.next().expect("payload path");
            let exe = std::env::current_exe().expect("current exe");
            let runner = wave_runtime::spawn_detached(Path::new(&payload), &exe).expect("spawn");
            let ticks = runner.start_time_ticks.expect("runner start time");
            let mut out = std::io::stdout();
            writeln!(out, "{} {ticks}", runner.pid)
                .and_then(|()| out.flush())
                .expect("stdout");
            let _ = std::io::stdin().read(&mut [0u8; 1]);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: wave-runner-test agent-runner --payload-file P | spawn-and-hold P");
            ExitCode::from(2)
        }
    }
}
