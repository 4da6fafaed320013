//! `wave doctor`: prints the engine's report; exit 1 when it has errors.

use std::path::PathBuf;

use crate::cli::DoctorArgs;
use crate::exit::Code;

/// Runs `wave doctor`.
pub fn run(repo_root: PathBuf, args: &DoctorArgs) -> anyhow::Result<Code> {
    let report = wave_engine::doctor::run(&repo_root, args.project.clone(), args.lane.clone());
    if args.json {
        super::print_json(&report)?;
    } else {
        println!(
            "[wave:doctor] workspace={}",
            report.workspace_root.display()
        );
        println!(
            "[wave:doctor] package={}@{}",
            report.package_name, report.package_version
        );
        for error in &report.errors {
            eprintln!("[wave:doctor] error: {error}");
        }
        for warning in &report.warnings {
            eprintln!("[wave:doctor] warning: {warning}");
        }
        if report.ok {
            println!("[wave:doctor] ok");
        }
    }
    Ok(if report.ok { Code::Ok } else { Code::Failure })
}
