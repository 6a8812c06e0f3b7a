//! `yoi plugin dev [DIR] --tool NAME --input JSON`: build the plugin under
//! development and call one of its tools, without installing or enabling it.
//!
//! The call takes the ordinary path, in the same sandbox as every other
//! call: the freshly built package is resolved against an enablement made
//! for this call only (pinned to the package's digest), through the
//! ToolRegistry and a session. That enablement grants the one tool called and
//! the host APIs given with `--https` / `--fs`, nothing else, and is printed
//! on stderr before the call. It lives in memory: no store, `.yoi/config.toml`
//! or package file is written. `[limits]` and `[https]` come from the
//! workspace's config, as for any call.
//!
//! The call is recorded in the workspace's history (`.yoi/history.db`) when
//! the workspace has a `.yoi/` directory; otherwise in a temporary history
//! that ends with the command, and stderr says which.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use yoi_grants::{Grants, NameGrant};
use yoi_history::History;
use yoi_manifest::Surface;
use yoi_tools::{Session, ToolRegistry};
use yoi_workspace::{
    Config, Discovered, Enablement, Inventory, QualifiedId, Source, Status, Trust,
};

use crate::context::Context;
use crate::output::{self, hinted};
use crate::plugin::build;
use crate::plugin::grant_flags::GrantFlags;

// The grants last for this call only, and the help of `--https` and `--fs` says so.
#[derive(Debug, Args)]
#[command(
    mut_arg("https", |a| a.help("Allow outbound HTTP(S) to this URL prefix for this call. Repeatable")),
    mut_arg("fs", |a| a.help("Allow file access beneath this directory for this call. Repeatable")),
)]
pub struct DevArgs {
    /// The plugin project (holds `plugin.toml` and `Cargo.toml`).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The tool to call [default: the manifest's only tool].
    #[arg(long, value_name = "NAME")]
    pub tool: Option<String>,
    /// The input object as JSON; read from stdin when absent.
    #[arg(long, value_name = "JSON")]
    pub input: Option<String>,
    #[command(flatten)]
    pub grants: GrantFlags,
    /// Print the whole outcome as JSON (on stdout, also for tool errors).
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: DevArgs) -> anyhow::Result<ExitCode> {
    // Everything that can be refused without building is refused first.
    let config = ctx.config()?;
    let grants_https = args.grants.https_grants()?;
    let protected = yoi_workspace::protected_state(&config, ctx.stores.user.as_deref());
    let grants_fs = args.grants.fs_grants(&protected)?;
    let input = crate::tool::read_input(args.input.clone())?;

    let Some(built) = build::build(&args.dir)? else {
        return Ok(ExitCode::from(1));
    };
    let package = yoi_package::Package::from_dir(&args.dir).map_err(|e| {
        hinted(
            format!("`{}` is not a valid plugin: {e}", args.dir.display()),
            "run `yoi plugin check DIR` for the full diagnosis",
        )
    })?;
    let manifest = package.manifest().clone();
    super::grant_flags::check_wasi_fs(&manifest, &grants_fs, &protected)?;
    let tool = match (&args.tool, manifest.tools.as_slice()) {
        (Some(name), _) => name.clone(),
        (None, [only]) => only.name.clone(),
        (None, tools) => {
            return Err(hinted(
                format!(
                    "`{}` declares {} tools; which one?",
                    manifest.id,
                    tools.len()
                ),
                format!(
                    "name it with `--tool`: {}",
                    tools
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    };
    if manifest.tool(&tool).is_none() {
        return Err(hinted(
            format!("`{}` declares no tool `{tool}`", manifest.id),
            format!(
                "its tools: {}",
                manifest
                    .tools
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }

    let qid = QualifiedId {
        source: Source::Project,
        id: manifest.id.clone(),
    };
    let grants = Grants {
        tools: NameGrant(vec![tool.clone()]),
        https: grants_https,
        fs: grants_fs,
        ..Grants::default()
    };
    let enablement = Enablement {
        version: manifest.version.clone(),
        digest: package.digest(),
        surfaces: vec![Surface::Tool],
        grants,
        config: toml::Table::new(),
        ingress: Default::default(),
    };
    show_grants(&qid, &enablement, &built.dir, &manifest)?;

    let call_config = Config {
        path: config.path.clone(),
        plugins: BTreeMap::from([(qid.to_string(), Ok(enablement))]),
        limits: config.limits.clone(),
        serve: toml::Table::new(),
        https: config.https.clone(),
        authority: None,
        history: config.history.clone(),
    };
    let inventory = Inventory {
        packages: vec![Discovered {
            qid: qid.clone(),
            path: built.staged.clone(),
            package: Ok(package),
            diagnostics: Vec::new(),
        }],
        store_errors: Vec::new(),
        user_store: ctx.stores.user.clone(),
    };
    // The grants are the ones this command line gives: the user's own.
    let plan = yoi_workspace::resolve(inventory, &call_config, &Trust::Trusted);
    let report = plan.find(&qid.to_string())?;
    if !matches!(report.status, Status::Active | Status::Partial) {
        for d in &report.diagnostics {
            output::stderr!("error: {}", d.message);
        }
        return Err(hinted(
            format!("`{qid}` cannot run: {}", report.status.as_str()),
            "`yoi plugin check DIR` shows what is wrong with the package",
        ));
    }

    let registry = Arc::new(ToolRegistry::new(&plan, Some(ctx.runtime()?)));
    if registry.tool(&tool).is_none() {
        for d in registry.diagnostics() {
            output::stderr!("warning: {d}");
        }
        return Err(hinted(
            format!("tool `{tool}` could not be registered"),
            "see the warnings above",
        ));
    }
    let history = if ctx.workspace.join(".yoi").is_dir() {
        output::stderr!(
            "dev: the call is recorded in `{}` (`yoi history`)",
            ctx.workspace.join(".yoi/history.db").display()
        );
        ctx.history()?
    } else {
        output::stderr!(
            "dev: `{}` is not a workspace (no .yoi/): the call is recorded in a temporary history that ends with this command",
            ctx.workspace.display()
        );
        Arc::new(History::in_memory()?)
    };
    let session = Session::new(registry, Some(history));
    let outcome = ctx.block_on(session.call(&tool, input.trim()))?;
    if let Some(history) = session.history() {
        crate::output::history_problems(history);
    }
    crate::tool::print_outcome(&tool, outcome, args.json)
}

fn show_grants(
    qid: &QualifiedId,
    enablement: &Enablement,
    dir: &std::path::Path,
    manifest: &yoi_manifest::Manifest,
) -> anyhow::Result<()> {
    output::stderr!(
        "dev: calling {qid} {} {} (built from `{}`; not installed, no config written)",
        enablement.version,
        enablement.digest,
        dir.display()
    );
    output::stderr!("dev: granted for this call, and nothing else:");
    let text = toml::to_string(&enablement.grants).context("cannot show the grants")?;
    for line in text.lines().filter(|l| !l.is_empty()) {
        output::stderr!("dev:   {line}");
    }
    for api in &manifest.permissions.host_apis {
        let (granted, flag) = match api {
            yoi_manifest::HostApi::Https => (!enablement.grants.https.is_empty(), "https"),
            yoi_manifest::HostApi::Fs | yoi_manifest::HostApi::WasiFilesystem => {
                (!enablement.grants.fs.is_empty(), "fs")
            }
        };
        if !granted {
            output::stderr!(
                "dev: the manifest requests `{api}`, not granted here: its calls answer `denied` (grant with --{flag})"
            );
        }
    }
    Ok(())
}
