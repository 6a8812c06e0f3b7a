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
    pub id: String,
    pub name: String,
    pub version: semver::Version,
    pub description: String,
    pub runtime: Runtime,
    pub tools: Vec<Tool>,
    pub services: Vec<Service>,
    pub ingresses: Vec<Ingress>,
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
            .flat_map(|t| std::iter::once(&t.input_schema).chain(t.output_schema.as_ref()))
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
    Component { component: String, world: World },
    /// A raw core module on the legacy pointer/length ABI: tools only, no host APIs.
    #[serde(rename = "wasm")]
    Legacy { entry: String, abi: LegacyAbi },
}

impl Runtime {
    pub fn is_component(&self) -> bool {
        matches!(self, Runtime::Component { .. })
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
}

impl World {
    pub const ALL: [World; 2] = [World::Tool, World::Instance];

    pub fn as_str(self) -> &'static str {
        match self {
            World::Tool => "yoi:plugin/tool@1.0.0",
            World::Instance => "yoi:plugin/instance@1.0.0",
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
pub enum LegacyAbi {
    #[serde(rename = "yoi-plugin-wasm-1")]
    V1,
}

impl LegacyAbi {
    pub fn as_str(self) -> &'static str {
        "yoi-plugin-wasm-1"
    }
}

/// A JSON Schema: inline in the manifest, or a JSON file inside the package.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Schema {
    Inline(serde_json::Value),
    File(String),
}

/// A declared tool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub input_schema: Schema,
    pub output_schema: Option<Schema>,
}

/// A declared long-running service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    pub name: String,
    pub description: String,
}

/// A declared ingress: a bounded, untrusted inbound event endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ingress {
    pub name: String,
    pub description: String,
    pub event_kinds: Vec<String>,
    pub input_schema: Schema,
}

/// What the package requests. Requests are not grants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Permissions {
    pub surfaces: Vec<Surface>,
    pub tools: Vec<String>,
    pub services: Vec<String>,
    pub ingresses: Vec<String>,
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
pub enum Surface {
    Tool,
    Service,
    Ingress,
}

impl Surface {
    pub const ALL: [Surface; 3] = [Surface::Tool, Surface::Service, Surface::Ingress];

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
pub enum HostApi {
    Https,
    Fs,
}

impl HostApi {
    pub fn as_str(self) -> &'static str {
        match self {
            HostApi::Https => "https",
            HostApi::Fs => "fs",
        }
    }
}

impl fmt::Display for HostApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
