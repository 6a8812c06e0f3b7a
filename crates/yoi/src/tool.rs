//! `yoi tool list` and `yoi tool call`: the registry, and calls through a session.

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;
use yoi_runtime::Content;
use yoi_tools::{Session, ToolRegistry};

use crate::context::Context;
use crate::output;

/// Largest input read from stdin.
const MAX_STDIN_BYTES: u64 = 16 << 20;

#[derive(Debug, Subcommand)]
pub enum ToolCommand {
    /// List registered tools with their schemas and origin.
    List(ListArgs),
    /// Call a tool through a session; the call and its outcome go to history.
    Call(CallArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print `{"tools": [...], "diagnostics": [...]}`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CallArgs {
    /// The tool's name as `yoi tool list` shows it.
    pub name: String,
    /// The input object as JSON; read from stdin when absent.
    #[arg(long, value_name = "JSON")]
    pub input: Option<String>,
    /// Print the whole outcome as JSON (on stdout, also for tool errors).
    #[arg(long)]
    pub json: bool,
}

impl ToolCommand {
    pub fn run(self, ctx: &Context) -> anyhow::Result<ExitCode> {
        match self {
            ToolCommand::List(a) => list(ctx, a),
            ToolCommand::Call(a) => call(ctx, a),
        }
    }
}

fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitCode> {
    let plan = ctx.plan()?;
    let registry = ToolRegistry::new(&plan, None);
    for d in registry.diagnostics() {
        output::stderr!("warning: {d}");
    }
    if args.json {
        let diagnostics: Vec<&str> = registry
            .diagnostics()
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        output::json(
            &json!({ "tools": registry.tools().collect::<Vec<_>>(), "diagnostics": diagnostics }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = registry
        .tools()
        .map(|t| {
            let origin = match &t.origin {
                yoi_tools::Origin::Plugin { reference, .. } => reference.clone(),
                yoi_tools::Origin::Builtin => "builtin".into(),
            };
            vec![
                t.name.clone(),
                origin,
                t.description.lines().next().unwrap_or_default().to_owned(),
            ]
        })
        .collect();
    output::print(&output::table(&["NAME", "FROM", "DESCRIPTION"], &rows))?;
    Ok(ExitCode::SUCCESS)
}

fn call(ctx: &Context, args: CallArgs) -> anyhow::Result<ExitCode> {
    let input = read_input(args.input)?;
    let plan = ctx.plan()?;
    let runtime = ctx.runtime()?;
    let registry = Arc::new(ToolRegistry::new(&plan, Some(runtime)));
    if registry.tool(&args.name).is_none() {
        for d in registry.diagnostics() {
            output::stderr!("warning: {d}");
        }
    }
    let session = Session::new(registry.clone(), Some(ctx.history()?));
    let outcome = ctx.block_on(session.call(&args.name, input.trim()))?;
    if let Some(history) = session.history() {
        output::history_problems(history);
    }
    for instance in registry.instances().instances() {
        if let Some(d) = instance.cache_diagnostic() {
            output::stderr!("warning: `{}`: {d}", instance.reference());
        }
    }
    let not_registered = matches!(
        &outcome.result,
        Err(e) if e.kind == yoi_runtime::CallErrorKind::NotFound && !e.message.contains("plugin")
    );
    let code = print_outcome(&args.name, outcome, args.json)?;
    if not_registered && !args.json {
        match &plan.trust {
            yoi_workspace::Trust::Untrusted { reason } => {
                output::stderr!(
                    "`{}` is not trusted, so none of its plugins run: {reason}",
                    ctx.workspace.display()
                );
                output::stderr!("hint: {}", yoi_workspace::TRUST_HINT);
            }
            _ => output::stderr!("hint: `yoi tool list` shows the registered tools"),
        }
    }
    Ok(code)
}

/// The input given, or else stdin, bounded to [`MAX_STDIN_BYTES`].
pub(crate) fn read_input(input: Option<String>) -> anyhow::Result<String> {
    if let Some(input) = input {
        return Ok(input);
    }
    let mut buf = String::new();
    std::io::stdin()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_string(&mut buf)
        .context("cannot read the input from stdin")?;
    anyhow::ensure!(
        buf.len() as u64 <= MAX_STDIN_BYTES,
        "the input on stdin is larger than {MAX_STDIN_BYTES} bytes"
    );
    Ok(buf)
}

/// Print a call's outcome (guest output as `plugin stdout:` lines on stderr,
/// unless `json`), and the exit code it means: 0 for a result, 1 for a tool
/// error.
pub(crate) fn print_outcome(
    tool: &str,
    outcome: yoi_tools::CallOutcome,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let diagnostics = match &outcome.result {
        Ok(o) => &o.diagnostics,
        Err(e) => &e.diagnostics,
    };
    if !json {
        for (stream, text) in [
            ("stdout", &diagnostics.stdout),
            ("stderr", &diagnostics.stderr),
        ] {
            for line in text.lines() {
                output::stderr!("plugin {stream}: {line}");
            }
        }
    }
    let duration_us = outcome.duration.as_micros() as u64;
    match outcome.result {
        Ok(out) => {
            if json {
                output::json(
                    &json!({ "ok": true, "call_id": outcome.call_id, "duration_us": duration_us, "content": out.content, "diagnostics": out.diagnostics }),
                )?;
            } else {
                let mut text = String::new();
                for c in &out.content {
                    match c {
                        Content::Text { text: t } => text.push_str(t),
                        Content::Json { json } => {
                            text.push_str(&serde_json::to_string_pretty(json)?)
                        }
                    }
                    text.push('\n');
                }
                output::print(&text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if json {
                output::json(
                    &json!({ "ok": false, "call_id": outcome.call_id, "duration_us": duration_us, "error": e }),
                )?;
            } else {
                output::stderr!(
                    "error: tool `{tool}` failed: {}: {}",
                    e.kind.as_str(),
                    e.message
                );
            }
            Ok(ExitCode::from(1))
        }
    }
}
