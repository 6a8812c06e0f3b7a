//! `yoi mcp`: the workspace's tools over MCP on stdin and stdout.
//!
//! Everything is resolved and every plugin loaded before the first message
//! is read, so the first call is warm. From then on stdout carries protocol
//! messages only (`yoi_mcp::serve_stdio` takes fd 1 for itself); warnings and
//! diagnostics go to stderr. One session serves the connection, so every call
//! is in `yoi history` under one session id. It runs on a single-threaded
//! runtime of its own, which answers sooner than a pool of workers.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use yoi_tools::{Session, ToolRegistry};

use crate::context::Context;
use crate::output;

/// Arguments of `yoi mcp` (the workspace is the global `--workspace`).
#[derive(Debug, Args)]
#[command(after_help = "\
An MCP client starts it as a command with arguments, for example:
  {\"mcpServers\": {\"yoi\": {\"command\": \"yoi\", \"args\": [\"mcp\", \"--workspace\", \"/path/to/ws\"]}}}

It serves until stdin closes. Only enabled, granted tools are listed, and every call is \
recorded in the workspace history (`yoi history`). Stdout carries protocol messages only; \
logs go to stderr.")]
pub struct McpArgs {}

pub fn run(ctx: &Context, _args: McpArgs) -> anyhow::Result<ExitCode> {
    let plan = ctx.plan()?;
    crate::trust::say_untrusted("yoi mcp", ctx, &plan.trust);
    for d in &plan.diagnostics {
        output::stderr!("yoi mcp: warning: {d}");
    }
    let registry = Arc::new(ToolRegistry::new(&plan, Some(ctx.runtime()?)));
    for d in registry.diagnostics() {
        output::stderr!("yoi mcp: warning: {d}");
    }
    for e in registry.preload() {
        output::stderr!("yoi mcp: warning: {e}");
    }
    let history = ctx.history()?;
    let session = Session::new(registry, Some(history.clone()));
    output::stderr!(
        "yoi mcp: serving {} tools of `{}` on stdio (session {})",
        session.registry().tools().count(),
        ctx.workspace.display(),
        session.id()
    );
    // One thread: a request is read, served and answered where the reactor
    // woke up, with no hand-off between workers. Calls still run concurrently
    // (guests yield to the executor at every epoch tick).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let served = runtime.block_on(async {
        let watch = crate::output::watch_history_problems(history.clone());
        let served = yoi_mcp::serve_stdio(session).await;
        watch.abort();
        served
    });
    crate::output::history_problems(&history);
    served?;
    Ok(ExitCode::SUCCESS)
}
