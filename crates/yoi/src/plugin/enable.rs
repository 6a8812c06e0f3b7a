//! `yoi plugin enable`, `disable` and `update`: the only commands that change
//! what may run. `enable` pins the package's current version and digest and
//! writes exactly the grants given on the command line; nothing is implied.
//! Each records this user's approval of the config it writes, but only when
//! the config was trusted (or granted nothing) before: enabling one plugin
//! in a cloned repository never approves the grants the repository shipped.

use std::process::ExitCode;

use clap::Args;
use yoi_grants::{Grants, NameGrant};
use yoi_manifest::Surface;
use yoi_workspace::{Enablement, Inventory, Lookup, PluginRef, QualifiedId, TRUST_HINT, Trust};

use crate::context::Context;
use crate::output;
use crate::plugin::grant_flags::GrantFlags;

#[derive(Debug, Args)]
pub struct EnableArgs {
    /// The plugin to enable: `project:<id>`, `user:<id>`, `builtin:<id>`, or an unambiguous bare id.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Tools to grant, comma-separated, or `*` for every tool the manifest requests.
    #[arg(long, value_name = "NAMES")]
    pub tools: Option<String>,
    /// Services to grant, comma-separated, or `*`.
    #[arg(long, value_name = "NAMES")]
    pub services: Option<String>,
    /// Ingresses to grant, comma-separated, or `*`.
    #[arg(long, value_name = "NAMES")]
    pub ingresses: Option<String>,
    #[command(flatten)]
    pub grants: GrantFlags,
    /// Plugin configuration passed at start, `KEY=VALUE` (VALUE is a TOML value or a plain string). Repeatable.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    pub config: Vec<String>,
    /// Print the written enablement as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DisableArgs {
    #[arg(value_name = "REF")]
    pub reference: String,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[arg(value_name = "REF")]
    pub reference: String,
    #[arg(long)]
    pub json: bool,
}

fn split(list: &Option<String>) -> NameGrant {
    NameGrant(
        list.iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// Qualify `text` against the packages in the stores.
fn qualify_discovered(inventory: &Inventory, text: &str) -> anyhow::Result<QualifiedId> {
    let r: PluginRef = text.parse()?;
    let hint = "`yoi plugin install FILE` adds a package; `yoi plugin list` shows what is there";
    match r.lookup(inventory.packages.iter().map(|d| &d.qid)) {
        Lookup::One(qid) => Ok(qid),
        Lookup::None => Err(output::hinted(
            match r.qualified() {
                Some(qid) => format!("no {} store holds `{}`", qid.source, qid.id),
                None => format!("no store holds a plugin `{}`", r.id),
            },
            hint,
        )),
        Lookup::Ambiguous(many) => Err(ambiguous(&r.id, &many)),
    }
}

fn ambiguous(text: &str, many: &[QualifiedId]) -> anyhow::Error {
    output::hinted(
        format!(
            "`{text}` is ambiguous: {}",
            many.iter()
                .map(|q| format!("`{q}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "use a source-qualified id",
    )
}

pub fn run_enable(ctx: &Context, args: EnableArgs) -> anyhow::Result<ExitCode> {
    // Refuse early, with its hint, if the config cannot be read: it is never overwritten.
    let config = ctx.raw_config()?;
    let inventory = yoi_workspace::discover(&ctx.stores);
    let qid = qualify_discovered(&inventory, &args.reference)?;
    let found: Vec<_> = inventory.by_qid(&qid).collect();
    let discovered = found[0];
    let package = match (&discovered.package, found.len()) {
        (Ok(p), 1) if discovered.diagnostics.is_empty() => p,
        (Err(d), _) => {
            return Err(output::hinted(
                format!("`{qid}` cannot be enabled: {}", d.message),
                "`yoi plugin check FILE` shows the full diagnosis",
            ));
        }
        _ => {
            let why = discovered
                .diagnostics
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default();
            return Err(output::hinted(
                format!("`{qid}` cannot be enabled: {why}"),
                "remove the duplicates from the store",
            ));
        }
    };
    let manifest = package.manifest();
    let https = args.grants.https_grants()?;
    let protected = yoi_workspace::protected_state(&config, ctx.stores.user.as_deref());
    let fs = args.grants.fs_grants(&protected)?;
    super::grant_flags::check_wasi_fs(manifest, &fs, &protected)?;
    let grants = Grants {
        tools: split(&args.tools),
        services: split(&args.services),
        ingresses: split(&args.ingresses),
        https,
        fs,
    };
    let mut surfaces = Vec::new();
    for (surface, granted) in [
        (Surface::Tool, &grants.tools),
        (Surface::Service, &grants.services),
        (Surface::Ingress, &grants.ingresses),
    ] {
        if !granted.is_empty() {
            surfaces.push(surface);
        }
    }
    let mut config = toml::Table::new();
    for kv in &args.config {
        let (k, v) = kv.split_once('=').ok_or_else(|| {
            output::hinted(
                format!("`--config {kv}` is not KEY=VALUE"),
                "e.g. `--config greeting=hello`",
            )
        })?;
        let value = format!("v = {v}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(v.to_owned()));
        config.insert(k.trim().to_owned(), value);
    }
    let enablement = Enablement {
        version: manifest.version.clone(),
        digest: package.digest(),
        surfaces,
        grants,
        config,
        ingress: Default::default(),
    };
    let trust = ctx.edit_config(|editor| Ok(editor.set_enablement(&qid, &enablement)?))?;

    let plan = ctx.plan()?;
    let report = plan.find(&qid.to_string())?;
    if args.json {
        output::json(
            &serde_json::json!({ "ref": qid.to_string(), "enablement": enablement, "status": report.status }),
        )?;
    } else {
        output::print(&format!(
            "enabled {qid} {} {} ({})\n",
            enablement.version,
            enablement.digest,
            report.status.as_str()
        ))?;
    }
    for t in report.tools.iter().filter(|t| !t.eligible) {
        output::stderr!(
            "note: tool `{}` is not eligible: {}",
            t.name,
            t.reason.as_deref().unwrap_or("")
        );
    }
    still_untrusted(ctx, &trust);
    if report.surfaces.is_empty() && trust.allows_authority() {
        output::stderr!(
            "hint: nothing is granted yet; grant tools with `yoi plugin enable {qid} --tools NAMES` (or `--tools '*'`)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Say so when an edit left the config untrusted (it was before the edit).
fn still_untrusted(ctx: &Context, trust: &Trust) {
    if let Trust::Untrusted { reason } = trust {
        output::stderr!(
            "warning: `{}` is still not trusted ({reason}), so none of its plugins run; this edit approves nothing",
            ctx.workspace.display()
        );
        output::stderr!("hint: {TRUST_HINT}");
    }
}

/// The config key an existing enablement is stored under.
fn enabled_key(ctx: &Context, text: &str) -> anyhow::Result<QualifiedId> {
    let config = ctx.raw_config()?;
    let r: PluginRef = text.parse()?;
    let enabled: Vec<QualifiedId> = config
        .plugins
        .keys()
        .filter_map(|k| k.parse::<QualifiedId>().ok())
        .collect();
    match r.lookup(&enabled) {
        Lookup::One(qid) => Ok(qid),
        Lookup::None => Err(output::hinted(
            format!("`{text}` is not enabled in this workspace"),
            "`yoi plugin list` shows what is enabled",
        )),
        Lookup::Ambiguous(many) => Err(ambiguous(text, &many)),
    }
}

pub fn run_disable(ctx: &Context, args: DisableArgs) -> anyhow::Result<ExitCode> {
    let qid = enabled_key(ctx, &args.reference)?;
    let trust = ctx.edit_config(|editor| {
        editor.remove(&qid.to_string())?;
        Ok(())
    })?;
    output::print(&format!("disabled {qid}\n"))?;
    still_untrusted(ctx, &trust);
    Ok(ExitCode::SUCCESS)
}

pub fn run_update(ctx: &Context, args: UpdateArgs) -> anyhow::Result<ExitCode> {
    let qid = enabled_key(ctx, &args.reference)?;
    let config = ctx.raw_config()?;
    let old = match config.enablement(&qid) {
        Some(Ok(e)) => e.clone(),
        _ => {
            return Err(output::hinted(
                format!("the enablement of `{qid}` is invalid"),
                "fix `.yoi/config.toml` by hand, or disable and enable again",
            ));
        }
    };
    let inventory = yoi_workspace::discover(&ctx.stores);
    let found: Vec<_> = inventory.by_qid(&qid).collect();
    let package = match found.as_slice() {
        [d] if d.is_usable() => d.package.as_ref().expect("usable"),
        [] => {
            return Err(output::hinted(
                format!("no {} store holds `{}`", qid.source, qid.id),
                "install the package first",
            ));
        }
        [d, ..] => {
            let why = d
                .package
                .as_ref()
                .err()
                .map(|e| e.message.clone())
                .or_else(|| d.diagnostics.first().map(|x| x.message.clone()))
                .unwrap_or_default();
            return Err(output::hinted(
                format!("`{qid}` cannot be pinned: {why}"),
                "`yoi plugin show REF` shows why",
            ));
        }
    };
    let version = package.manifest().version.clone();
    let digest = package.digest();
    let trust = ctx.edit_config(|editor| {
        editor.repin(&qid, &version, &digest)?;
        Ok(())
    })?;
    let changed = old.version != version || old.digest != digest;
    if args.json {
        output::json(&serde_json::json!({
            "ref": qid.to_string(),
            "changed": changed,
            "old": { "version": old.version.to_string(), "digest": old.digest.to_string() },
            "new": { "version": version.to_string(), "digest": digest.to_string() },
        }))?;
    } else if changed {
        output::print(&format!(
            "updated {qid}: {} {} -> {} {}\n",
            old.version, old.digest, version, digest
        ))?;
    } else {
        output::print(&format!("{qid} is already pinned to {version} {digest}\n"))?;
    }
    still_untrusted(ctx, &trust);
    Ok(ExitCode::SUCCESS)
}
