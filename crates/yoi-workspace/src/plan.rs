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
    /// Enabled by a config this user has not approved (`yoi trust`).
    Untrusted,
}

impl Status {
    /// The status's name, as the CLI and JSON show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Partial => "partial",
            Status::Disabled => "disabled",
            Status::Missing => "missing",
            Status::Rejected => "rejected",
            Status::Untrusted => "untrusted",
        }
    }
}

/// Whether one named thing (tool, service, ingress, host API) is usable, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    /// The tool, service, ingress or host API.
    pub name: String,
    /// Whether it is usable.
    pub eligible: bool,
    /// Why it is not usable, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What `yoi plugin list/show` print for one plugin.
#[derive(Debug, Clone, Serialize)]
pub struct PluginReport {
    /// The qualified id, or the config key as written when it is not one.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The plugin's status.
    pub status: Status,
    /// Whether the config has an entry for it.
    pub enabled: bool,
    /// The package's version, when the package could be read.
    pub version: Option<String>,
    /// The package's digest, when the package could be read.
    pub digest: Option<String>,
    /// The version the enablement pins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned_version: Option<String>,
    /// The digest the enablement pins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned_digest: Option<String>,
    /// The manifest's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The manifest's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The runtime kind and its world or ABI, for display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Whether the package is an `instance`-world component (one stateful
    /// instance), from the parsed manifest; `runtime` is its display form.
    #[serde(skip)]
    pub stateful: bool,
    /// The package file, when a store holds one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Surfaces with at least one eligible member.
    pub surfaces: Vec<Surface>,
    /// Each tool the manifest declares, and whether it is eligible.
    pub tools: Vec<Eligibility>,
    /// Each service the manifest declares, and whether it is eligible.
    pub services: Vec<Eligibility>,
    /// Each ingress the manifest declares, and whether it is eligible.
    pub ingresses: Vec<Eligibility>,
    /// Each host API the manifest requests, and whether it is granted.
    pub host_apis: Vec<Eligibility>,
    /// Everything wrong with the plugin, its package or its enablement.
    pub diagnostics: Vec<Diagnostic>,
}

/// A tool ready for registration: schemas loaded.
#[derive(Debug, Clone)]
pub struct ResolvedTool {
    /// The tool's name.
    pub name: String,
    /// The tool's description, from the manifest.
    pub description: String,
    /// The declared input schema, loaded.
    pub input_schema: serde_json::Value,
    /// The declared output schema, loaded, if there is one.
    pub output_schema: Option<serde_json::Value>,
}

/// An ingress ready to take events: everything admission needs.
#[derive(Debug, Clone)]
pub struct ResolvedIngress {
    /// The ingress's name.
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
    /// The plugin.
    pub qid: QualifiedId,
    /// Its validated package, matching the enablement's pins.
    pub package: Package,
    /// Its enablement, as the config gives it.
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
    /// eligibility with the same rule (`judge`), so the rule exists once.
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
    /// Whether the config's authority counted; when untrusted, no plugin
    /// may run and every enabled one is `untrusted`.
    pub trust: crate::Trust,
    /// yoi's own state, which no fs policy built from this plan may reach.
    pub protected: yoi_grants::Protected,
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

    /// The plugin `qid`, if it may run.
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
