//! One module per subcommand; [`run`] dispatches.
//!
//! Each command validates its arguments into an invocation before any side effect, then calls
//! the engine and renders the result (human text, or JSON with `--json`).

mod agent_runner;
mod doctor;
mod health;
mod image;
mod init;
mod k8s;
mod launch;
mod local_executor;
mod observe;
mod submit;
mod supervise;
mod volumes;

use std::path::PathBuf;

use anyhow::Context;

use crate::cli::{Cli, Command, ImageCommand};
use crate::exit::Code;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Code> {
    match cli.command {
        Command::Init(args) => init::run(repo_root(cli.repo_root, true)?, &args),
        Command::Doctor(args) => doctor::run(repo_root(cli.repo_root, false)?, &args),
        Command::Launch(args) => {
            let outcome = repo_root(cli.repo_root, false).and_then(|root| launch::run(root, &args));
            launch::record_supervised_exit(&outcome);
            outcome
        }
        Command::Submit(args) => submit::run(repo_root(cli.repo_root, false)?, &args),
        Command::Supervise(args) => supervise::run(repo_root(cli.repo_root, false)?, &args),
        Command::Status(args) => observe::status(repo_root(cli.repo_root, false)?, &args),
        Command::Wait(args) => observe::wait(repo_root(cli.repo_root, false)?, &args),
        Command::Attach(args) => observe::attach(repo_root(cli.repo_root, false)?, &args),
        Command::PrepareVolumes(args) => volumes::run(&args),
        Command::Runs(args) => health::runs(repo_root(cli.repo_root, false)?, &args),
        Command::Health(args) => health::health(repo_root(cli.repo_root, false)?, &args),
        Command::Image(ImageCommand::Build(args)) => image::build(&args),
        Command::K8s(command) => k8s::run(repo_root(cli.repo_root, false)?, &command),
        Command::AgentRunner(args) => agent_runner::run(&args),
        Command::LocalExecutor(args) => {
            local_executor::run(repo_root(cli.repo_root, false)?, &args)
        }
    }
}

/// The absolute repository root: `--repo-root`, else `$WAVE_REPO_ROOT` (both via clap), else
/// the current directory. With `create`, a missing directory is created (`wave init`).
fn repo_root(flag: Option<PathBuf>, create: bool) -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("read the current directory")?;
    let root = match flag {
        Some(p) if p.is_absolute() => p,
        Some(p) => cwd.join(p),
        None => cwd,
    };
    if create && !root.exists() {
        std::fs::create_dir_all(&root)
            .with_context(|| format!("--repo-root: create {}", root.display()))?;
    }
    if !root.is_dir() {
        anyhow::bail!("--repo-root: {} is not a directory", root.display());
    }
    Ok(root)
}

/// Prints a value as pretty JSON on stdout.
fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
