//! `yoi plugin list` and `yoi plugin show REF`: statuses, never execution.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use yoi_workspace::{PluginReport, Status, TRUST_HINT, Trust};

use crate::context::Context;
use crate::output;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print `{"plugins": [...]}`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plugin reference: `project:<id>`, `user:<id>`, `builtin:<id>`, or a bare id if unambiguous.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Print `{"plugins": [...]}` with this one plugin.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Listing<'a> {
    plugins: Vec<&'a PluginReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    diagnostics: &'a Vec<String>,
}

pub fn run_list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitCode> {
    let plan = ctx.plan()?;
    for d in &plan.diagnostics {
        output::stderr!("warning: {d}");
    }
    if args.json {
        output::json(&Listing {
            plugins: plan.reports.iter().collect(),
            diagnostics: &plan.diagnostics,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if plan.reports.is_empty() {
        output::stderr!(
            "no plugins found in the stores of `{}`",
            ctx.workspace.display()
        );
        output::stderr!("hint: `yoi plugin install FILE` puts a package into the project store");
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = plan
        .reports
        .iter()
        .map(|r| {
            let tools = r
                .tools
                .iter()
                .map(|t| {
                    if t.eligible {
                        t.name.clone()
                    } else {
                        format!("({})", t.name)
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            vec![
                r.reference.clone(),
                r.status.as_str().to_owned(),
                r.version.clone().unwrap_or_else(|| "-".into()),
                r.digest
                    .as_deref()
                    .map(output::short_digest)
                    .unwrap_or_else(|| "-".into()),
                if tools.is_empty() { "-".into() } else { tools },
            ]
        })
        .collect();
    output::print(&output::table(
        &["REF", "STATUS", "VERSION", "DIGEST", "TOOLS"],
        &rows,
    ))?;
    let troubled = plan
        .reports
        .iter()
        .filter(|r| !r.diagnostics.is_empty())
        .count();
    if let Trust::Untrusted { reason } = &plan.trust {
        output::stderr!(
            "`{}` is not trusted, so none of its plugins run: {reason}",
            ctx.workspace.display()
        );
        output::stderr!("hint: {TRUST_HINT}");
    } else if troubled > 0 {
        output::stderr!("{troubled} plugin(s) have diagnostics; see `yoi plugin show REF`");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_show(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let plan = ctx.plan()?;
    let report = plan
        .find(&args.reference)
        .map_err(|e| output::hinted(e, "`yoi plugin list` shows every reference"))?;
    if args.json {
        output::json(&Listing {
            plugins: vec![report],
            diagnostics: &Vec::new(),
        })?;
    } else {
        output::print(&render(report))?;
    }
    Ok(match report.status {
        Status::Rejected | Status::Missing | Status::Untrusted => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

fn render(r: &PluginReport) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| out.push_str(&format!("{k:<14}{v}\n"));
    line("ref", &r.reference);
    line("status", r.status.as_str());
    if let Some(n) = &r.name {
        line("name", n);
    }
    if let Some(d) = r.description.as_deref().filter(|d| !d.is_empty()) {
        line("description", d);
    }
    line("version", r.version.as_deref().unwrap_or("-"));
    line("digest", r.digest.as_deref().unwrap_or("-"));
    if let Some(v) = &r.pinned_version {
        line(
            "pinned",
            &format!("{v} {}", r.pinned_digest.as_deref().unwrap_or("")),
        );
    }
    if let Some(rt) = &r.runtime {
        line("runtime", rt);
        // The static half of the lifecycle; the live half is `/status` of
        // `yoi serve`.
        line(
            "instance",
            if r.stateful {
                "one stateful instance, started with the enablement's config by `yoi serve` (live state: GET /status) or on first tool call"
            } else {
                "stateless: each call runs on a fresh or clean instance"
            },
        );
    }
    if let Some(p) = &r.path {
        line("path", &p.display().to_string());
    }
    let surfaces: Vec<&str> = r.surfaces.iter().map(|s| s.as_str()).collect();
    line(
        "surfaces",
        &if surfaces.is_empty() {
            "-".into()
        } else {
            surfaces.join(", ")
        },
    );
    for (title, list) in [
        ("tools", &r.tools),
        ("services", &r.services),
        ("ingresses", &r.ingresses),
        ("host apis", &r.host_apis),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("{title}:\n"));
        for e in list {
            match &e.reason {
                None => out.push_str(&format!("  {:<20} eligible\n", e.name)),
                Some(reason) => out.push_str(&format!("  {:<20} not eligible: {reason}\n", e.name)),
            }
        }
    }
    if !r.diagnostics.is_empty() {
        out.push_str("diagnostics:\n");
        for d in &r.diagnostics {
            out.push_str(&format!(
                "  [{}] {}\n",
                serde_json::to_value(d.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                d.message
            ));
        }
    }
    out
}
