//! `yoi trust`: review what the workspace's config grants, then approve it
//! for this user on this machine (or `--revoke` the approval).
//!
//! The review lists every authority the file holds: each enabled plugin with
//! its pins, surfaces and grants (tools, services, ingresses, `https` and
//! `fs`, every secret file and ingress sender check), `[serve]`, `[https]`
//! and `[limits]`. Approval needs a yes typed on a terminal, or `--yes`;
//! without either, nothing is recorded. Stdout carries the review (or its
//! JSON with `--json`); the question and every note go to stderr.

use std::io::{BufRead as _, IsTerminal as _, Read as _};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use yoi_workspace::{Config, TRUST_HINT, Trust};

use crate::context::Context;
use crate::output::{self, hinted};

/// Arguments of `yoi trust` (the workspace is the global `--workspace`).
#[derive(Debug, Args)]
#[command(after_help = "\
A workspace's .yoi/config.toml travels with its repository, so what it enables and grants \
counts only once you approved it here. `yoi plugin enable`, `disable` and `update` approve \
the config they write when it was trusted before; any other change (a `git pull`, an editor, \
a plugin, a copy of the workspace at another path) makes it untrusted until `yoi trust`. \
While untrusted, no plugin runs, and `[serve]`, `[https]` and `[limits]` are ignored.

Approvals are kept in $XDG_CONFIG_HOME/yoi/trust.toml (default ~/.config/yoi/trust.toml), by \
the workspace's canonical path and a digest of what the config grants; comments and formatting \
do not count.")]
pub struct TrustArgs {
    /// Approve without asking (for scripts); review the output first.
    #[arg(long, conflicts_with = "revoke")]
    pub yes: bool,
    /// Remove the approval of this workspace.
    #[arg(long)]
    pub revoke: bool,
    /// Print the review as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The one stderr line of `yoi mcp` and `yoi serve` when the workspace's
/// config is untrusted: which workspace, why, and what to run.
pub fn say_untrusted(command: &str, ctx: &Context, trust: &Trust) {
    if let Trust::Untrusted { reason } = trust {
        output::stderr!(
            "{command}: `{}` is not trusted, so only built-in tools are served: {reason}; {TRUST_HINT}",
            ctx.workspace.display()
        );
    }
}

pub fn run(ctx: &Context, args: TrustArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.trust_store().ok_or_else(|| {
        hinted(
            "no place for the trust store",
            "set XDG_CONFIG_HOME or HOME",
        )
    })?;
    if args.revoke {
        let revoked = store.revoke(&ctx.workspace)?;
        output::print(&if revoked {
            format!("revoked the approval of `{}`\n", ctx.workspace.display())
        } else {
            format!("`{}` was not approved\n", ctx.workspace.display())
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let config = ctx.raw_config()?;
    let trust = ctx.judge(&config);
    if args.json {
        output::json(&review_json(ctx, &config, &trust))?;
    } else {
        output::print(&review(ctx, &config, &trust))?;
    }
    match &trust {
        Trust::NotNeeded => {
            output::stderr!("nothing to approve: the config grants nothing");
            return Ok(ExitCode::SUCCESS);
        }
        Trust::Trusted => {
            output::stderr!("already approved");
            return Ok(ExitCode::SUCCESS);
        }
        Trust::Untrusted { .. } => {}
    }
    if !args.yes && !confirm(ctx)? {
        output::stderr!("not approved; nothing was recorded");
        return Ok(ExitCode::from(1));
    }
    store.approve(&ctx.workspace, &config)?;
    output::stderr!(
        "approved `{}`; its plugins run as granted above",
        ctx.workspace.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Ask on the terminal; refuse without one.
fn confirm(ctx: &Context) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(hinted(
            "not approved: there is no terminal to confirm on",
            "review the output above, then run `yoi trust --yes`",
        ));
    }
    eprint!(
        "approve what `{}` grants, for this user on this machine? [y/N] ",
        ctx.workspace.display()
    );
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(64)
        .read_line(&mut line)
        .context("cannot read the answer")?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn review(ctx: &Context, config: &Config, trust: &Trust) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| out.push_str(&format!("{k:<14}{v}\n"));
    line("workspace", &ctx.workspace.display().to_string());
    line("config", &config.path.display().to_string());
    line(
        "status",
        &match trust {
            Trust::Untrusted { reason } => format!("untrusted: {reason}"),
            other => other.as_str().to_owned(),
        },
    );
    if let Some(d) = &config.authority {
        line("digest", &d.to_string());
    }
    for (key, entry) in &config.plugins {
        out.push_str(&format!("plugin {}\n", output::printable(key)));
        let e = match entry {
            Ok(e) => e,
            Err(message) => {
                out.push_str(&format!("  invalid (grants nothing): {message}\n"));
                continue;
            }
        };
        let mut item = |k: &str, v: String| out.push_str(&format!("  {k:<12}{v}\n"));
        let list = |v: &[String]| {
            if v.is_empty() {
                "-".into()
            } else {
                v.join(", ")
            }
        };
        item("version", e.version.to_string());
        item("digest", e.digest.to_string());
        let surfaces: Vec<String> = e.surfaces.iter().map(|s| s.to_string()).collect();
        item("surfaces", list(&surfaces));
        item("tools", list(&e.grants.tools.0));
        item("services", list(&e.grants.services.0));
        item("ingresses", list(&e.grants.ingresses.0));
        for h in &e.grants.https {
            item("https", format!("{} {}", h.methods.join(","), h.url));
            for s in &h.secrets {
                item(
                    "  secret",
                    format!("header `{}` from file {}", s.header, s.file.display()),
                );
            }
        }
        for f in &e.grants.fs {
            let ops: Vec<&str> = f.ops.iter().map(|o| o.as_str()).collect();
            item("fs", format!("{} {}", ops.join(","), f.root.display()));
        }
        for (name, auth) in &e.ingress {
            let check = serde_json::to_string(auth).unwrap_or_default();
            item("ingress", format!("`{name}` sender check {check}"));
        }
    }
    for (name, table) in [("serve", &config.serve), ("limits", &config.limits)] {
        for (k, v) in table {
            out.push_str(&format!("[{name}] {k} = {v}\n"));
        }
    }
    if config.serve.is_empty() {
        out.push_str(&format!(
            "[serve] listen = \"{}\" (default)\n",
            yoi_serve::DEFAULT_LISTEN
        ));
    }
    for p in &config.https.extra_roots {
        out.push_str(&format!("[https] extra root {}\n", p.display()));
    }
    if !config.https.builtin_roots {
        out.push_str("[https] builtin_roots = false\n");
    }
    out
}

fn review_json(ctx: &Context, config: &Config, trust: &Trust) -> serde_json::Value {
    let plugins: serde_json::Map<String, serde_json::Value> = config
        .plugins
        .iter()
        .map(|(k, e)| {
            let v = match e {
                Ok(e) => serde_json::to_value(e).unwrap_or_default(),
                Err(m) => serde_json::json!({ "error": m }),
            };
            (k.clone(), v)
        })
        .collect();
    let mut value = serde_json::json!({
        "workspace": ctx.workspace,
        "config": config.path,
        "digest": config.authority.map(|d| d.to_string()),
        "plugins": plugins,
        "serve": config.serve,
        "https": config.https,
        "limits": config.limits,
    });
    if let (Some(map), Ok(serde_json::Value::Object(t))) =
        (value.as_object_mut(), serde_json::to_value(trust))
    {
        map.extend(t);
    }
    value
}
