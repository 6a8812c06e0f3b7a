//! Command-line structure. Each subcommand's work lives in its own file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::context::Context;
use crate::plugin;

/// yoi: a capability-secure WebAssembly plugin host for AI-agent tools.
///
/// A plugin gets no authority by being present: it runs only once enabled,
/// pinned to a digest, and it may do only what its grants allow.
#[derive(Debug, Parser)]
#[command(name = "yoi", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The workspace directory (holds `.yoi/config.toml` and `.yoi/plugins/`).
    #[arg(long, global = true, value_name = "DIR", env = "YOI_WORKSPACE")]
    pub workspace: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Package, inspect, install and enable plugins.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// List and call tools.
    #[command(subcommand)]
    Tool(crate::tool::ToolCommand),
    /// Show the workspace's history of calls and events.
    History(crate::history::HistoryArgs),
    /// Serve the workspace's tools to an MCP client on stdio.
    Mcp(crate::mcp::McpArgs),
    /// Serve the workspace over HTTP: MCP (Streamable HTTP), status and health.
    Serve(crate::serve::ServeArgs),
    /// Review what the workspace's config grants and approve it on this machine.
    Trust(crate::trust::TrustArgs),
}

impl Cli {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let ctx = Context::new(self.global)?;
        match self.command {
            Command::Plugin(cmd) => cmd.run(&ctx),
            Command::Tool(cmd) => cmd.run(&ctx),
            Command::History(args) => crate::history::run(&ctx, args),
            Command::Mcp(args) => crate::mcp::run(&ctx, args),
            Command::Serve(args) => crate::serve::run(&ctx, args),
            Command::Trust(args) => crate::trust::run(&ctx, args),
        }
    }
}
