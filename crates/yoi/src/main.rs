//! `yoi`: the command-line front end of the yoi plugin host.
//!
//! Data goes to stdout (human text, or JSON with `--json`); diagnostics and
//! hints go to stderr. Exit codes: 0 success, 1 the thing asked about is
//! rejected or a tool call failed, 2 the command itself could not run.

mod cli;
mod context;
mod history;
mod mcp;
mod output;
mod plugin;
mod serve;
mod tool;
mod trust;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(code) => code,
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            output::stderr!("error: {err}");
            for cause in err.chain().skip(1) {
                output::stderr!("  caused by: {cause}");
            }
            if let Some(hint) = output::hint_of(&err) {
                output::stderr!("hint: {hint}");
            }
            ExitCode::from(2)
        }
    }
}
