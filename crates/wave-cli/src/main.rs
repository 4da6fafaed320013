//! The `wave` binary: parse flags, run one subcommand, map the outcome to an exit code.
//!
//! Only this crate prints. Data for machines (`--json`) goes to stdout; diagnostics go to stderr
//! as one line, `wave: error: <what>`, naming the file, field or flag at fault.

mod cli;
mod commands;
mod docker_load;
mod exit;
mod logging;

use clap::Parser;

fn main() {
    // The detached agent runner is started by the launcher with exactly these arguments; it
    // skips clap so that it maps and dirties as little of the binary as it can (there is one
    // runner per running agent, and its resident size is the fleet's per-agent floor).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let [_, sub, flag, payload] = args.as_slice() {
        if sub == "agent-runner" && flag == "--payload-file" {
            let code = match wave_runtime::run_agent(std::path::Path::new(payload)) {
                Ok(code) => code,
                Err(err) => {
                    eprintln!("wave: error: {err}");
                    1
                }
            };
            std::process::exit(code);
        }
    }
    let cli = cli::Cli::parse();
    // Short-lived commands end quietly when their reader goes away (`wave status --json |
    // head`); the launcher and the daemon keep ignoring SIGPIPE so a closed log pipe never
    // kills a wave half-way.
    if !matches!(
        cli.command,
        cli::Command::Launch(_) | cli::Command::Supervise(_) | cli::Command::AgentRunner(_)
    ) {
        wave_runtime::default_sigpipe();
    }
    logging::init();
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("wave: error: {}", exit::one_line(&err));
            exit::Code::from_error(&err)
        }
    };
    std::process::exit(code.as_i32());
}
