//! The `wave` binary: parse flags, run one subcommand, map the outcome to an exit code.
//!
//! Only this crate prints. Data for machines (`--json`) goes to stdout; diagnostics go to stderr
//! as one line, `wave: error: <what>`, naming the file, field or flag at fault.

mod cli;
mod commands;
mod exit;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("wave: error: {}", exit::one_line(&err));
            exit::Code::from_error(&err)
        }
    };
    std::process::exit(code.as_i32());
}
