//! `yoi plugin …`: everything before plugin code runs. None of these commands
//! instantiates or executes a plugin, except `yoi plugin dev`, which calls one
//! tool of a plugin under development through the ordinary sandboxed path.
//! `new`, `build` and `dev` are the authoring commands.

mod build;
mod check;
mod dev;
mod enable;
mod grant_flags;
mod install;
mod list;
mod new;
mod pack;

use std::process::ExitCode;

use clap::Subcommand;

use crate::context::Context;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Validate a plugin directory and write a deterministic `.yoi-plugin` archive.
    Pack(pack::PackArgs),
    /// Validate a plugin directory or `.yoi-plugin` file without running it.
    Check(check::CheckArgs),
    /// List every discovered or enabled plugin with its status.
    List(list::ListArgs),
    /// Show one plugin: status, pins, tools and why each is (not) eligible.
    Show(list::ShowArgs),
    /// Enable a plugin, pinning its current version and digest, with explicit grants.
    Enable(enable::EnableArgs),
    /// Remove a plugin's enablement (the package stays in its store).
    Disable(enable::DisableArgs),
    /// Re-pin an enabled plugin to the version and digest now in its store.
    Update(enable::UpdateArgs),
    /// Copy a checked package into the project (default) or user store.
    Install(install::InstallArgs),
    /// Create a plugin project: manifest, a typed tool with a test, README.
    New(new::NewArgs),
    /// Build a plugin project with cargo for wasm32-wasip2, then validate and pack it.
    Build(build::BuildArgs),
    /// Build, then call one tool of the plugin in the sandbox, granted only that tool.
    Dev(dev::DevArgs),
}

impl PluginCommand {
    pub fn run(self, ctx: &Context) -> anyhow::Result<ExitCode> {
        match self {
            PluginCommand::Pack(a) => pack::run(ctx, a),
            PluginCommand::Check(a) => check::run(ctx, a),
            PluginCommand::List(a) => list::run_list(ctx, a),
            PluginCommand::Show(a) => list::run_show(ctx, a),
            PluginCommand::Enable(a) => enable::run_enable(ctx, a),
            PluginCommand::Disable(a) => enable::run_disable(ctx, a),
            PluginCommand::Update(a) => enable::run_update(ctx, a),
            PluginCommand::Install(a) => install::run(ctx, a),
            PluginCommand::New(a) => new::run(ctx, a),
            PluginCommand::Build(a) => build::run(ctx, a),
            PluginCommand::Dev(a) => dev::run(ctx, a),
        }
    }
}
