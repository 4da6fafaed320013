//! `wave local-executor --prompt-file P`: the built-in no-model executor.

use std::path::PathBuf;

use crate::cli::LocalExecutorArgs;
use crate::exit::Code;

/// Runs the local executor; its exit code is the process's (knobs can choose it).
pub fn run(repo_root: PathBuf, args: &LocalExecutorArgs) -> anyhow::Result<Code> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = wave_engine::local_executor::run(&args.prompt_file, &repo_root, &mut out)?;
    Ok(Code::Exit(code))
}
