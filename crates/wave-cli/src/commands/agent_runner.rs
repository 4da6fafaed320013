//! `wave agent-runner --payload-file P`: the detached per-agent runner (see `wave_runtime`).

use crate::cli::AgentRunnerArgs;
use crate::exit::Code;

/// Runs the agent described by the payload; exits with the executor's code.
pub fn run(args: &AgentRunnerArgs) -> anyhow::Result<Code> {
    let code = wave_runtime::run_agent(&args.payload_file)?;
    Ok(Code::Exit(code))
}
