//! Resolution: inventory + enablement file -> one [`Plan`].
//!
//! This is the single place where requests (the manifest) meet grants (the
//! enablement). A surface, tool or host API is eligible only when the manifest
//! requests it, the enablement selects the surface, and a grant allows it.
//! Pins are exact: a package whose digest or version differs from its pin is
//! `rejected` until someone runs `yoi plugin update`; nothing upgrades silently.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;
use yoi_manifest::{HostApi, Manifest, Schema, Surface};
use yoi_package::Package;

use crate::{
    Config, Diagnostic, DiagnosticKind, Enablement, Inventory, PluginRef, QualifiedId,
    WorkspaceError,
};

/// The status vocabulary of `yoi plugin list/show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Enabled and everything it declares is eligible.
    Active,
    /// Enabled, but some surfaces or tools are not eligible.
    Partial,
    /// Discovered and valid, not enabled.
    Disabled,
    /// Enabled, but no store holds it.
    Missing,
    /// Invalid, pin mismatch, ambiguous, or nothing eligible.
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Partial => "partial",
            Status::Disabled => "disabled",
            Status::Missing => "missing",
            Status::Rejected => "rejected",
        }
    }
}

/// Whether one named thing (tool, service, ingress, host API) is usable, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    pub name: String,
    pub eligible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What `yoi plugin list/show` print for one plugin.
#[derive(Debug, Clone, Serialize)]
pub struct PluginReport {
    #[serde(rename = "ref")]
    pub reference: String,
    pub status: Status,
    pub enabled: bool,
    pub version: Option<String>,
    pub digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Whether the package is an `instance`-world component (one stateful
    /// instance), from the parsed manifest; `runtime` is its display form.
    #[serde(skip)]
    pub stateful: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Surfaces with at least one eligible member.
    pub surfaces: Vec<Surface>,
    pub tools: Vec<Eligibility>,
    pub services: Vec<Eligibility>,
    pub ingresses: Vec<Eligibility>,
    pub host_apis: Vec<Eligibility>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A tool ready for registration: schemas loaded.
#[derive(Debug, Clone)]
pub struct ResolvedTool {
    pub name: String,
    pub description: String,
    pub input_schema: serde_json::Value,
    pub output_schema: Option<serde_json::Value>,
}

/// An enabled plugin that may run, with exactly what it may do.
#[derive(Debug, Clone)]
pub struct ResolvedPlugin {
    pub qid: QualifiedId,
    pub package: Package,
    pub enablement: Enablement,
    /// Eligible tools, with their schemas.
    pub tools: Vec<ResolvedTool>,
    pub services: Vec<String>,
    pub ingresses: Vec<String>,
    /// Host APIs both requested and granted.
    pub host_apis: Vec<HostApi>,
}

/// The resolved workspace.
#[derive(Debug, Default)]
pub struct Plan {
    /// Plugins that may run (status active or partial).
    pub plugins: Vec<ResolvedPlugin>,
    /// One report per plugin, sorted by reference.
    pub reports: Vec<PluginReport>,
    /// Workspace-level problems (unreadable stores).
    pub diagnostics: Vec<String>,
    /// `[https]` of the config, for building the plugins' https policies.
    pub https: yoi_grants::HttpsSettings,
}

impl Plan {
    /// Find the report a person means by `text` (qualified or bare id).
    /// A bare id that matches more than one source is an error (fail closed).
    pub fn find(&self, text: &str) -> Result<&PluginReport, WorkspaceError> {
        let r: PluginRef = text.parse()?;
        let qid = self.qualify(&r)?;
        let key = qid.to_string();
        Ok(self
            .reports
            .iter()
            .find(|p| p.reference == key)
            .expect("qualify checked it exists"))
    }

    /// Turn a reference into a qualified id known to this plan.
    pub fn qualify(&self, r: &PluginRef) -> Result<QualifiedId, WorkspaceError> {
        let candidates: Vec<&PluginReport> = self
            .reports
            .iter()
            .filter(|p| match r.source {
                Some(s) => p.reference == format!("{s}:{}", r.id),
                None => p
                    .reference
                    .split_once(':')
                    .is_some_and(|(_, id)| id == r.id),
            })
            .collect();
        match candidates.as_slice() {
            [one] => Ok(one.reference.parse()?),
            [] => Err(WorkspaceError::BadRef {
                reference: r.to_string(),
                message: "no store holds it and no enablement names it".into(),
            }),
            many => Err(WorkspaceError::BadRef {
                reference: r.to_string(),
                message: format!(
                    "ambiguous: it matches {}; use a source-qualified id",
                    many.iter()
                        .map(|p| format!("`{}`", p.reference))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    pub fn plugin(&self, qid: &QualifiedId) -> Option<&ResolvedPlugin> {
        self.plugins.iter().find(|p| &p.qid == qid)
    }
}

/// Resolve an inventory against the enablement file.
pub fn resolve(inventory: Inventory, config: &Config) -> Plan {
    let mut plan = Plan {
        diagnostics: inventory
            .store_errors
            .iter()
            .map(|(s, m)| format!("{s} store: {m}"))
            .collect(),
        https: config.https.clone(),
        ..Plan::default()
    };
    let mut covered = BTreeSet::new();
    for (key, entry) in &config.plugins {
        covered.insert(key.clone());
        let Ok(qid) = key.parse::<QualifiedId>() else {
            let mut report = PluginReport::empty(key.clone(), Status::Rejected, true);
            let message = entry
                .as_ref()
                .err()
                .cloned()
                .unwrap_or_else(|| "invalid reference".into());
            report
                .diagnostics
                .push(Diagnostic::new(DiagnosticKind::Config, message));
            plan.reports.push(report);
            continue;
        };
        let found: Vec<_> = inventory.packages.iter().filter(|d| d.qid == qid).collect();
        let mut report = PluginReport::empty(key.clone(), Status::Rejected, true);
        if let Some(d) = found.first() {
            report.path = Some(d.path.clone());
            if let Ok(p) = &d.package {
                report.describe(p);
            }
        }
        let enablement = match entry {
            Ok(e) => e,
            Err(message) => {
                report.diagnostics.push(Diagnostic::new(
                    DiagnosticKind::Config,
                    format!(
                        "the enablement in `{}` is invalid: {message}",
                        config.path.display()
                    ),
                ));
                plan.reports.push(report);
                continue;
            }
        };
        report.pinned_version = Some(enablement.version.to_string());
        report.pinned_digest = Some(enablement.digest.to_string());
        let package = match found.as_slice() {
            [] => {
                report.status = Status::Missing;
                report.diagnostics.push(Diagnostic::new(
                    DiagnosticKind::Missing,
                    format!("enabled, but no {} store holds `{}`", qid.source, qid.id),
                ));
                plan.reports.push(report);
                continue;
            }
            [d, ..] => {
                report.diagnostics.extend(d.diagnostics.iter().cloned());
                match &d.package {
                    Err(diag) => {
                        report.diagnostics.push(diag.clone());
                        None
                    }
                    Ok(p) if d.diagnostics.is_empty() => Some(p),
                    Ok(_) => None,
                }
            }
        };
        let Some(package) = package else {
            plan.reports.push(report);
            continue;
        };
        if !pins_match(&mut report, package, enablement) {
            plan.reports.push(report);
            continue;
        }
        let resolved = eligibility(&mut report, &qid, package, enablement);
        if let Some(resolved) = resolved {
            plan.plugins.push(resolved);
        }
        plan.reports.push(report);
    }
    for d in &inventory.packages {
        let key = d.qid.to_string();
        if covered.contains(&key) {
            continue;
        }
        // Several broken files may share a fallback name; report each.
        let mut report = PluginReport::empty(key, Status::Disabled, false);
        report.path = Some(d.path.clone());
        report.diagnostics.extend(d.diagnostics.iter().cloned());
        match &d.package {
            Ok(p) => {
                report.describe(p);
                for t in &p.manifest().tools {
                    report
                        .tools
                        .push(Eligibility::no(&t.name, "the plugin is not enabled"));
                }
            }
            Err(diag) => report.diagnostics.push(diag.clone()),
        }
        if !d.is_usable() {
            report.status = Status::Rejected;
        }
        plan.reports.push(report);
    }
    plan.reports.sort_by(|a, b| a.reference.cmp(&b.reference));
    plan
}

fn pins_match(report: &mut PluginReport, package: &Package, enablement: &Enablement) -> bool {
    let reference = report.reference.clone();
    let manifest = package.manifest();
    if manifest.version != enablement.version {
        report.diagnostics.push(Diagnostic::new(
            DiagnosticKind::VersionMismatch,
            format!(
                "pinned version {} but the store holds {}; review it, then run `yoi plugin update {reference}`",
                enablement.version, manifest.version
            ),
        ));
        return false;
    }
    if package.digest() != enablement.digest {
        report.diagnostics.push(Diagnostic::new(
            DiagnosticKind::DigestMismatch,
            format!(
                "pinned digest {} but the package is now {}; the package changed. Review it, then run `yoi plugin update {reference}`",
                enablement.digest,
                package.digest()
            ),
        ));
        return false;
    }
    true
}

fn eligibility(
    report: &mut PluginReport,
    qid: &QualifiedId,
    package: &Package,
    enablement: &Enablement,
) -> Option<ResolvedPlugin> {
    let manifest = package.manifest();
    let perms = &manifest.permissions;
    let grants = &enablement.grants;
    let judge =
        |surface: Surface, name: &str, requested: &[String], granted: &yoi_grants::NameGrant| {
            if !perms.surfaces.contains(&surface) {
                Eligibility::no(
                    name,
                    format!("the manifest does not request the {surface} surface"),
                )
            } else if !requested.iter().any(|r| r == name) {
                Eligibility::no(
                    name,
                    format!("the manifest does not request {surface} `{name}`"),
                )
            } else if !granted.allows(name) {
                Eligibility::no(name, format!("{surface} `{name}` is not granted"))
            } else if !enablement.surfaces.contains(&surface) {
                Eligibility::no(
                    name,
                    format!("the {surface} surface is not selected in the enablement"),
                )
            } else {
                Eligibility::yes(name)
            }
        };
    let mut tools = Vec::new();
    for t in &manifest.tools {
        let mut e = judge(Surface::Tool, &t.name, &perms.tools, &grants.tools);
        if e.eligible {
            match load_schemas(package, t) {
                Ok(rt) => tools.push(rt),
                Err(msg) => {
                    report
                        .diagnostics
                        .push(Diagnostic::new(DiagnosticKind::Package, &msg));
                    e = Eligibility::no(&t.name, msg);
                }
            }
        }
        report.tools.push(e);
    }
    report.services = manifest
        .services
        .iter()
        .map(|s| judge(Surface::Service, &s.name, &perms.services, &grants.services))
        .collect();
    report.ingresses = manifest
        .ingresses
        .iter()
        .map(|g| {
            judge(
                Surface::Ingress,
                &g.name,
                &perms.ingresses,
                &grants.ingresses,
            )
        })
        .collect();
    for s in &enablement.surfaces {
        if !perms.surfaces.contains(s) {
            report.diagnostics.push(Diagnostic::new(
                DiagnosticKind::Grant,
                format!(
                    "the {s} surface is selected but the manifest does not request it; ignored"
                ),
            ));
        }
    }
    let mut host_apis = Vec::new();
    for api in [HostApi::Https, HostApi::Fs] {
        let requested = perms.host_apis.contains(&api);
        let granted = match api {
            HostApi::Https => !grants.https.is_empty(),
            HostApi::Fs => !grants.fs.is_empty(),
        };
        match (requested, granted) {
            (true, true) => {
                host_apis.push(api);
                report.host_apis.push(Eligibility::yes(api.as_str()));
            }
            (true, false) => report.host_apis.push(Eligibility::no(
                api.as_str(),
                format!("{api} is requested but not granted"),
            )),
            (false, true) => report.diagnostics.push(Diagnostic::new(
                DiagnosticKind::Grant,
                format!(
                    "{api} is granted but the manifest does not request it; the grant is ignored"
                ),
            )),
            (false, false) => {}
        }
    }
    let pick = |list: &[Eligibility]| {
        list.iter()
            .filter(|e| e.eligible)
            .map(|e| e.name.clone())
            .collect::<Vec<_>>()
    };
    let services = pick(&report.services);
    let ingresses = pick(&report.ingresses);
    report.surfaces = [
        (Surface::Tool, !tools.is_empty()),
        (Surface::Service, !services.is_empty()),
        (Surface::Ingress, !ingresses.is_empty()),
    ]
    .into_iter()
    .filter_map(|(s, on)| on.then_some(s))
    .collect();
    let everything = report
        .tools
        .iter()
        .chain(&report.services)
        .chain(&report.ingresses)
        .chain(&report.host_apis);
    let (ok, total) = everything.fold((0, 0), |(ok, total), e| {
        (ok + e.eligible as usize, total + 1)
    });
    report.status = if report.surfaces.is_empty() {
        report.diagnostics.push(Diagnostic::new(
            DiagnosticKind::Grant,
            "enabled, but nothing it declares is both requested and granted",
        ));
        Status::Rejected
    } else if ok == total {
        Status::Active
    } else {
        Status::Partial
    };
    if report.status == Status::Rejected {
        return None;
    }
    Some(ResolvedPlugin {
        qid: qid.clone(),
        package: package.clone(),
        enablement: enablement.clone(),
        tools,
        services,
        ingresses,
        host_apis,
    })
}

fn load_schemas(package: &Package, tool: &yoi_manifest::Tool) -> Result<ResolvedTool, String> {
    let load = |field: &str, schema: &Schema| -> Result<serde_json::Value, String> {
        match schema {
            Schema::Inline(v) => Ok(v.clone()),
            Schema::File(path) => {
                let bytes = package.files().get(path).ok_or_else(|| {
                    format!("tool `{}`: {field} file `{path}` is missing", tool.name)
                })?;
                let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
                    format!(
                        "tool `{}`: {field} file `{path}` is not JSON: {e}",
                        tool.name
                    )
                })?;
                match &value {
                    serde_json::Value::Object(map)
                        if field == "output_schema"
                            || yoi_manifest::check_object_schema(field, map).is_ok() =>
                    {
                        Ok(value)
                    }
                    _ => Err(format!(
                        "tool `{}`: {field} file `{path}` must be an object schema with `type = \"object\"`",
                        tool.name
                    )),
                }
            }
        }
    };
    Ok(ResolvedTool {
        name: tool.name.clone(),
        description: tool.description.clone(),
        input_schema: load("input_schema", &tool.input_schema)?,
        output_schema: tool
            .output_schema
            .as_ref()
            .map(|s| load("output_schema", s))
            .transpose()?,
    })
}

impl Eligibility {
    fn yes(name: &str) -> Self {
        Eligibility {
            name: name.to_owned(),
            eligible: true,
            reason: None,
        }
    }

    fn no(name: &str, reason: impl Into<String>) -> Self {
        Eligibility {
            name: name.to_owned(),
            eligible: false,
            reason: Some(reason.into()),
        }
    }
}

impl PluginReport {
    fn empty(reference: String, status: Status, enabled: bool) -> Self {
        PluginReport {
            reference,
            status,
            enabled,
            version: None,
            digest: None,
            pinned_version: None,
            pinned_digest: None,
            name: None,
            description: None,
            runtime: None,
            stateful: false,
            path: None,
            surfaces: Vec::new(),
            tools: Vec::new(),
            services: Vec::new(),
            ingresses: Vec::new(),
            host_apis: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    fn describe(&mut self, package: &Package) {
        let m: &Manifest = package.manifest();
        self.version = Some(m.version.to_string());
        self.digest = Some(package.digest().to_string());
        self.name = Some(m.name.clone());
        self.description = Some(m.description.clone());
        self.runtime = Some(match &m.runtime {
            yoi_manifest::Runtime::Component { world, .. } => format!("wasm-component {world}"),
            yoi_manifest::Runtime::Legacy { abi, .. } => format!("wasm {}", abi.as_str()),
        });
        self.stateful = m.runtime.is_instance_world();
    }
}
