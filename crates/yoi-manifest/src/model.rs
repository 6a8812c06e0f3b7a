//! The validated manifest model. Values of these types have passed every check
//! in [`crate::parse`]; code downstream never re-validates them.

use std::fmt;

use serde::Serialize;

/// File name of the manifest at the root of every package.
pub const MANIFEST_FILE: &str = "plugin.toml";
/// The only `schema_version` this yoi reads.
pub const SCHEMA_VERSION: i64 = 1;

/// A validated `plugin.toml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// The plugin id (see [`is_valid_plugin_id`](crate::is_valid_plugin_id)).
    pub id: String,
    /// The human-readable name.
    pub name: String,
    /// The package version.
    pub version: semver::Version,
    /// What the plugin does, for people; may be empty.
    pub description: String,
    /// How the package's code runs.
    pub runtime: Runtime,
    /// Declared tools, in file order, with unique names.
    pub tools: Vec<Tool>,
    /// Declared services (instance world only), with unique names.
    pub services: Vec<Service>,
    /// Declared ingresses (instance world only), with unique names.
    pub ingresses: Vec<Ingress>,
    /// What the package requests; every requested name is declared above.
    pub permissions: Permissions,
}

impl Manifest {
    /// Parse and validate a manifest.
    pub fn from_toml_str(text: &str) -> Result<Manifest, crate::ManifestError> {
        crate::parse::parse(text)
    }

    /// The runtime artifact path (component or legacy entry).
    pub fn artifact_path(&self) -> &str {
        match &self.runtime {
            Runtime::Component { component, .. } => component,
            Runtime::Legacy { entry, .. } => entry,
        }
    }

    /// Every in-package path the manifest references: the artifact, then schema files.
    pub fn referenced_paths(&self) -> Vec<&str> {
        let mut paths = vec![self.artifact_path()];
        let schemas = self
            .tools
            .iter()
            .flat_map(|t| t.input_schema.iter().chain(t.output_schema.as_ref()))
            .chain(self.ingresses.iter().map(|i| &i.input_schema));
        for schema in schemas {
            if let Schema::File(path) = schema
                && !paths.contains(&path.as_str())
            {
                paths.push(path);
            }
        }
        paths
    }

    /// The declared tool called `name`.
    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// The surfaces this package declares something for.
    pub fn declared_surfaces(&self) -> Vec<Surface> {
        let mut out = Vec::new();
        if !self.tools.is_empty() {
            out.push(Surface::Tool);
        }
        if !self.services.is_empty() {
            out.push(Surface::Service);
        }
        if !self.ingresses.is_empty() {
            out.push(Surface::Ingress);
        }
        out
    }
}

/// How the package's code runs. Chosen by the manifest only, never guessed from bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Runtime {
    /// A WebAssembly component targeting one of yoi's worlds.
    #[serde(rename = "wasm-component")]
    Component {
        /// Path of the component inside the package.
        component: String,
        /// The world the component implements.
        world: World,
    },
    /// A raw core module on the legacy pointer/length ABI: tools only, no host APIs.
    #[serde(rename = "wasm")]
    Legacy {
        /// Path of the core module inside the package.
        entry: String,
        /// The ABI the module exports.
        abi: LegacyAbi,
    },
}

impl Runtime {
    /// Whether the code is a WebAssembly component (not a legacy core module).
    pub fn is_component(&self) -> bool {
        matches!(self, Runtime::Component { .. })
    }

    /// Whether the code is a typed component whose exported functions are the tools.
    pub fn is_typed(&self) -> bool {
        matches!(
            self,
            Runtime::Component {
                world: World::Typed,
                ..
            }
        )
    }

    /// Whether this runtime can host services, ingresses and lifecycle calls.
    pub fn is_instance_world(&self) -> bool {
        matches!(
            self,
            Runtime::Component {
                world: World::Instance,
                ..
            }
        )
    }
}

/// The component worlds yoi hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
pub enum World {
    /// `yoi:plugin/tool@1.0.0`: tools only.
    #[serde(rename = "yoi:plugin/tool@1.0.0")]
    Tool,
    /// `yoi:plugin/instance@1.0.0`: tools, services, ingresses, lifecycle.
    #[serde(rename = "yoi:plugin/instance@1.0.0")]
    Instance,
    /// `typed`: any component; the functions it exports are the tools, their
    /// schemas derived from the WIT signatures. Tools only.
    #[serde(rename = "typed")]
    Typed,
}

impl World {
    /// Every world, in the order diagnostics list them.
    pub const ALL: [World; 3] = [World::Tool, World::Instance, World::Typed];

    /// The world's name, as `plugin.toml` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            World::Tool => "yoi:plugin/tool@1.0.0",
            World::Instance => "yoi:plugin/instance@1.0.0",
            World::Typed => "typed",
        }
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The legacy core-module ABIs yoi hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[expect(
    missing_docs,
    reason = "a variant doc would become a JSON Schema description and change `schemas/`"
)]
pub enum LegacyAbi {
    #[serde(rename = "yoi-plugin-wasm-1")]
    V1,
}

impl LegacyAbi {
    /// The ABI's name, as `plugin.toml` spells it.
    pub fn as_str(self) -> &'static str {
        "yoi-plugin-wasm-1"
    }
}

/// A JSON Schema: inline in the manifest, or a JSON file inside the package.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Schema {
    /// The schema itself, written inline in `plugin.toml`.
    Inline(serde_json::Value),
    /// The in-package path of a JSON file holding the schema.
    File(String),
}

/// A declared tool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    /// The model-visible name, unique in the package.
    pub name: String,
    /// What the tool does, for the model and for people. Never empty, except
    /// for a typed component's tool, whose WIT doc comment is then used.
    pub description: String,
    /// The exported function a typed component's tool calls (`add`,
    /// `example:calc/ops@0.1.0#divide`); `None` for the other worlds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
    /// JSON Schema of the input; an inline one has `type = "object"` at its
    /// root. Always given, except for a typed component's tool, where `None`
    /// means "derived from the WIT signature".
    pub input_schema: Option<Schema>,
    /// JSON Schema of the output, when the manifest gives one.
    pub output_schema: Option<Schema>,
}

/// A declared long-running service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    /// The service's name, unique in the package.
    pub name: String,
    /// What the service does; may be empty.
    pub description: String,
}

/// A declared ingress: a bounded, untrusted inbound event endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ingress {
    /// The ingress's name, unique in the package.
    pub name: String,
    /// What the ingress receives; may be empty.
    pub description: String,
    /// The event kinds accepted: at least one, unique.
    pub event_kinds: Vec<String>,
    /// JSON Schema of an event's payload; an inline one has `type = "object"` at its root.
    pub input_schema: Schema,
}

/// What the package requests. Requests are not grants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Permissions {
    /// Surfaces requested, unique.
    pub surfaces: Vec<Surface>,
    /// Declared tools requested (only with [`Surface::Tool`] in `surfaces`).
    pub tools: Vec<String>,
    /// Declared services requested (only with [`Surface::Service`] in `surfaces`).
    pub services: Vec<String>,
    /// Declared ingresses requested (only with [`Surface::Ingress`] in `surfaces`).
    pub ingresses: Vec<String>,
    /// Host APIs requested, unique; always empty for a legacy module.
    pub host_apis: Vec<HostApi>,
}

/// A kind of surface a plugin can contribute.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[expect(
    missing_docs,
    reason = "a variant doc would become a JSON Schema description and change `schemas/`"
)]
pub enum Surface {
    Tool,
    Service,
    Ingress,
}

impl Surface {
    /// Every surface, in the order diagnostics list them.
    pub const ALL: [Surface; 3] = [Surface::Tool, Surface::Service, Surface::Ingress];

    /// The surface's name, as `plugin.toml` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Tool => "tool",
            Surface::Service => "service",
            Surface::Ingress => "ingress",
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A host API a plugin may request.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[expect(
    missing_docs,
    reason = "a variant doc would become a JSON Schema description and change `schemas/`"
)]
pub enum HostApi {
    Https,
    Fs,
    #[serde(rename = "wasi:filesystem")]
    WasiFilesystem,
}

impl HostApi {
    /// The host API's name, as `plugin.toml` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            HostApi::Https => "https",
            HostApi::Fs => "fs",
            HostApi::WasiFilesystem => "wasi:filesystem",
        }
    }

    /// Whether `fs` grants apply to this host API (`fs` and `wasi:filesystem`).
    pub fn uses_fs_grants(self) -> bool {
        matches!(self, HostApi::Fs | HostApi::WasiFilesystem)
    }
}

impl fmt::Display for HostApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
