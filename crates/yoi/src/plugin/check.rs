//! `yoi plugin check PATH`: validate a directory or archive; never executes it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::context::Context;
use crate::output;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A plugin directory or a `.yoi-plugin` file.
    pub path: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct CheckReport {
    path: PathBuf,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_kind: Option<&'static str>,
    tools: Vec<String>,
    services: Vec<String>,
    ingresses: Vec<String>,
    errors: Vec<String>,
}

pub fn run(_ctx: &Context, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let result = if args.path.is_dir() {
        yoi_package::Package::from_dir(&args.path)
    } else {
        yoi_package::Package::from_archive_file(&args.path)
    };
    let mut report = CheckReport {
        path: args.path.clone(),
        ok: result.is_ok(),
        id: None,
        version: None,
        digest: None,
        runtime: None,
        artifact: None,
        artifact_kind: None,
        tools: vec![],
        services: vec![],
        ingresses: vec![],
        errors: vec![],
    };
    match &result {
        Ok(p) => {
            let m = p.manifest();
            report.id = Some(m.id.clone());
            report.version = Some(m.version.to_string());
            report.digest = Some(p.digest().to_string());
            report.runtime = Some(match &m.runtime {
                yoi_manifest::Runtime::Component { world, .. } => format!("wasm-component {world}"),
                yoi_manifest::Runtime::Legacy { abi, .. } => format!("wasm {}", abi.as_str()),
            });
            report.artifact = Some(m.artifact_path().to_owned());
            report.artifact_kind = Some(p.artifact_kind().as_str());
            report.tools = m.tools.iter().map(|t| t.name.clone()).collect();
            report.services = m.services.iter().map(|s| s.name.clone()).collect();
            report.ingresses = m.ingresses.iter().map(|g| g.name.clone()).collect();
        }
        Err(e) => report.errors.push(e.to_string()),
    }
    if args.json {
        output::json(&report)?;
    } else if let Ok(p) = &result {
        let m = p.manifest();
        output::print(&format!(
            "ok: {} {} ({})\ndigest: {}\nartifact: {} ({})\ntools: {}\n",
            m.id,
            m.version,
            report.runtime.as_deref().unwrap_or_default(),
            p.digest(),
            m.artifact_path(),
            p.artifact_kind().as_str(),
            if report.tools.is_empty() {
                "-".into()
            } else {
                report.tools.join(", ")
            },
        ))?;
    } else {
        output::print(&format!("rejected: {}\n", args.path.display()))?;
        for e in &report.errors {
            output::stderr!("error: {e}");
        }
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
