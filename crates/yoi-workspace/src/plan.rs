//! The resolved workspace: a [`Plan`] with one [`PluginReport`] per plugin
//! and, for each plugin that may run, a complete [`ResolvedPlugin`]: every
//! eligible tool with its schemas, every eligible ingress with its schema,
//! kinds and sender check, the eligible services and host APIs.
//!
//! The rule where requests meet grants is [`judge`]; resolution applies it
//! once per declared name, and [`ResolvedPlugin::allows`] applies it again
//! on every call, event and service step.

use std::path::PathBuf;

use serde::Serialize;
use yoi_manifest::{HostApi, Manifest, Surface};
use yoi_package::Package;

use crate::source::Lookup;
use crate::{Diagnostic, Enablement, PluginRef, QualifiedId, WorkspaceError};

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

/// An ingress ready to take events: everything admission needs.
#[derive(Debug, Clone)]
pub struct ResolvedIngress {
    pub name: String,
    /// The event kinds it declares; an event of any other kind is refused.
    pub kinds: Vec<String>,
    /// The declared input schema, loaded (from the manifest or the package).
    pub input_schema: serde_json::Value,
    /// The sender check the enablement configures, if any.
    pub auth: Option<yoi_grants::IngressAuth>,
}

/// An enabled plugin that may run, with exactly what it may do.
#[derive(Debug, Clone)]
pub struct ResolvedPlugin {
    pub qid: QualifiedId,
    pub package: Package,
    pub enablement: Enablement,
    /// Eligible tools, with their schemas.
    pub tools: Vec<ResolvedTool>,
    /// Eligible services.
    pub services: Vec<String>,
    /// Eligible ingresses, with their schemas and sender checks.
    pub ingresses: Vec<ResolvedIngress>,
    /// Host APIs both requested and granted.
    pub host_apis: Vec<HostApi>,
}

impl ResolvedPlugin {
    /// Whether this plugin may use `surface` member `name` now. Every
    /// per-call and per-event re-check asks this, and resolution decides
    /// eligibility with the same rule ([`judge`]), so the rule exists once.
    pub fn allows(&self, surface: Surface, name: &str) -> bool {
        let resolved = match surface {
            Surface::Tool => self.tools.iter().any(|t| t.name == name),
            Surface::Service => self.services.iter().any(|s| s == name),
            Surface::Ingress => self.ingresses.iter().any(|g| g.name == name),
        };
        resolved && judge(self.package.manifest(), &self.enablement, surface, name).is_ok()
    }

    /// The eligible ingress `name`, if there is one.
    pub fn ingress(&self, name: &str) -> Option<&ResolvedIngress> {
        self.ingresses.iter().find(|g| g.name == name)
    }
}

/// The rule where a request (the manifest) meets a grant (the enablement):
/// surface member `name` is usable only when the manifest requests the
/// surface and the name, a grant allows the name, and the enablement
/// selects the surface. `Err` says which of these fails.
pub(crate) fn judge(
    manifest: &Manifest,
    enablement: &Enablement,
    surface: Surface,
    name: &str,
) -> Result<(), String> {
    let perms = &manifest.permissions;
    let grants = &enablement.grants;
    let (requested, granted) = match surface {
        Surface::Tool => (&perms.tools, &grants.tools),
        Surface::Service => (&perms.services, &grants.services),
        Surface::Ingress => (&perms.ingresses, &grants.ingresses),
    };
    if !perms.surfaces.contains(&surface) {
        Err(format!(
            "the manifest does not request the {surface} surface"
        ))
    } else if !requested.iter().any(|r| r == name) {
        Err(format!("the manifest does not request {surface} `{name}`"))
    } else if !granted.allows(name) {
        Err(format!("{surface} `{name}` is not granted"))
    } else if !enablement.surfaces.contains(&surface) {
        Err(format!(
            "the {surface} surface is not selected in the enablement"
        ))
    } else {
        Ok(())
    }
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
    pub https: crate::HttpsSettings,
}

impl Plan {
    /// Find the report a person means by `text` (qualified or bare id).
    /// A bare id that matches more than one source is an error (fail closed).
    pub fn find(&self, text: &str) -> Result<&PluginReport, WorkspaceError> {
        let r: PluginRef = text.parse()?;
        let qid = self.qualify(&r)?;
        let key = qid.to_string();
        self.reports
            .iter()
            .find(|p| p.reference == key)
            .ok_or_else(|| WorkspaceError::BadRef {
                reference: key,
                message: "no store holds it and no enablement names it".into(),
            })
    }

    /// Turn a reference into a qualified id known to this plan.
    pub fn qualify(&self, r: &PluginRef) -> Result<QualifiedId, WorkspaceError> {
        let known: Vec<QualifiedId> = self
            .reports
            .iter()
            .filter_map(|p| p.reference.parse().ok())
            .collect();
        match r.lookup(&known) {
            Lookup::One(qid) => Ok(qid),
            Lookup::None => Err(WorkspaceError::BadRef {
                reference: r.to_string(),
                message: "no store holds it and no enablement names it".into(),
            }),
            Lookup::Ambiguous(many) => Err(WorkspaceError::BadRef {
                reference: r.to_string(),
                message: format!(
                    "ambiguous: it matches {}; use a source-qualified id",
                    many.iter()
                        .map(|q| format!("`{q}`"))
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

impl Eligibility {
    pub(crate) fn yes(name: &str) -> Self {
        Eligibility {
            name: name.to_owned(),
            eligible: true,
            reason: None,
        }
    }

    pub(crate) fn no(name: &str, reason: impl Into<String>) -> Self {
        Eligibility {
            name: name.to_owned(),
            eligible: false,
            reason: Some(reason.into()),
        }
    }
}

impl PluginReport {
    pub(crate) fn empty(reference: String, status: Status, enabled: bool) -> Self {
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

    pub(crate) fn describe(&mut self, package: &Package) {
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
