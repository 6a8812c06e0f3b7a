//! The ToolRegistry: every tool's model-visible name, description and
//! schemas, and where calls go.
//!
//! Built from a resolved [`Plan`]: a tool is registered only if its plugin is
//! enabled, the tool is requested and granted, and its schemas compile. A
//! plugin tool's entry holds the handle of its plugin's one instance in the
//! [`PluginInstanceRegistry`], which the registry owns. Names
//! form one namespace with the built-in tools. A collision is a diagnostic,
//! never an override: a built-in name always stays built-in, and two plugins
//! claiming one name both lose it. The registry never changes after it is
//! built, so schemas are stable for the life of a session.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use yoi_instances::{LoadFailure, PluginInstance, PluginInstanceRegistry};
use yoi_runtime::Runtime;
use yoi_workspace::Plan;

use crate::builtin::{self, Builtin};

/// Where a tool comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Origin {
    /// A tool of an enabled plugin; calls run on that plugin's instance.
    Plugin {
        /// The plugin's source-qualified id.
        #[serde(rename = "ref")]
        reference: String,
        /// The digest of the package the tool was registered from.
        digest: String,
        /// The package version from its manifest.
        version: String,
    },
    /// A tool the host itself provides; its name can never be claimed by a
    /// plugin.
    Builtin,
}

/// What a model or a person sees of a tool.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    /// The model-visible name, unique across the registry.
    pub name: String,
    /// What the tool does, as shown to the model.
    pub description: String,
    /// JSON Schema every call's input is checked against before the plugin
    /// runs.
    pub input_schema: serde_json::Value,
    /// JSON Schema the output is checked against, when the tool declares one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<serde_json::Value>,
    /// Where the tool comes from.
    pub origin: Origin,
}

pub(crate) enum Target {
    Plugin(Arc<PluginInstance>),
    Builtin(Builtin),
}

/// Why a tool of a plugin was not registered. The plugin and the tool are
/// data, so a reader never has to find them in the wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryDiagnostic {
    /// The plugin's source-qualified id.
    pub plugin: String,
    /// The tool's name as the plugin declares it.
    pub tool: String,
    /// Why it was not registered.
    pub message: String,
}

impl std::fmt::Display for RegistryDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub(crate) struct Entry {
    pub(crate) info: ToolInfo,
    pub(crate) input: jsonschema::Validator,
    pub(crate) output: Option<jsonschema::Validator>,
    pub(crate) target: Target,
}

/// The tools of one workspace, fixed for the life of the sessions that use it.
pub struct ToolRegistry {
    entries: BTreeMap<String, Entry>,
    instances: Arc<PluginInstanceRegistry>,
    runtime: Option<Runtime>,
    diagnostics: Vec<RegistryDiagnostic>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolRegistry")
            .field("tools", &self.entries.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ToolRegistry {
    /// Register the built-in tools and every eligible plugin tool of `plan`.
    /// `runtime` is needed to call plugin tools; listing works without it.
    pub fn new(plan: &Plan, runtime: Option<Runtime>) -> ToolRegistry {
        let instances = Arc::new(PluginInstanceRegistry::new(plan, runtime.clone()));
        ToolRegistry::with_instances(instances, runtime)
    }

    /// Register the built-in tools and every eligible tool of the plugins
    /// `instances` holds.
    pub fn with_instances(
        instances: Arc<PluginInstanceRegistry>,
        runtime: Option<Runtime>,
    ) -> ToolRegistry {
        let mut reg = ToolRegistry {
            entries: BTreeMap::new(),
            instances: instances.clone(),
            runtime,
            diagnostics: Vec::new(),
        };
        for b in builtin::all() {
            let info = b.info();
            let input =
                jsonschema::validator_for(&info.input_schema).expect("built-in schemas are valid");
            reg.entries.insert(
                info.name.clone(),
                Entry {
                    info,
                    input,
                    output: None,
                    target: Target::Builtin(b),
                },
            );
        }
        let mut claimed: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut candidates = Vec::new();
        for instance in instances.instances() {
            let plugin = instance.resolved();
            let reference = instance.reference().to_owned();
            for tool in &plugin.tools {
                let compiled = jsonschema::validator_for(&tool.input_schema)
                    .map_err(|e| format!("input_schema: {e}"))
                    .and_then(|input| {
                        let output = tool
                            .output_schema
                            .as_ref()
                            .map(|s| {
                                jsonschema::validator_for(s)
                                    .map_err(|e| format!("output_schema: {e}"))
                            })
                            .transpose()?;
                        Ok((input, output))
                    });
                let (input, output) = match compiled {
                    Ok(v) => v,
                    Err(e) => {
                        reg.diagnostics.push(RegistryDiagnostic {
                            plugin: reference.clone(),
                            tool: tool.name.clone(),
                            message: format!(
                                "tool `{}` of `{reference}` is not registered: its {}",
                                tool.name,
                                yoi_manifest::bounded(&e, 300)
                            ),
                        });
                        continue;
                    }
                };
                if reg.entries.contains_key(&tool.name) {
                    reg.diagnostics.push(RegistryDiagnostic {
                        plugin: reference.clone(),
                        tool: tool.name.clone(),
                        message: format!(
                            "tool `{}` of `{reference}` is not registered: the name belongs to a built-in tool",
                            tool.name
                        ),
                    });
                    continue;
                }
                claimed
                    .entry(tool.name.clone())
                    .or_default()
                    .push(reference.clone());
                let info = ToolInfo {
                    name: tool.name.clone(),
                    description: tool.description.clone(),
                    input_schema: tool.input_schema.clone(),
                    output_schema: tool.output_schema.clone(),
                    origin: Origin::Plugin {
                        reference: reference.clone(),
                        digest: plugin.package.digest().to_string(),
                        version: plugin.package.manifest().version.to_string(),
                    },
                };
                candidates.push(Entry {
                    info,
                    input,
                    output,
                    target: Target::Plugin(instance.clone()),
                });
            }
        }
        for entry in candidates {
            let owners = &claimed[&entry.info.name];
            if owners.len() > 1 {
                if let Origin::Plugin { reference, .. } = &entry.info.origin {
                    reg.diagnostics.push(RegistryDiagnostic {
                        plugin: reference.clone(),
                        tool: entry.info.name.clone(),
                        message: format!(
                            "tool `{}` of `{reference}` is not registered: the name is claimed by {}; rename or disable one",
                            entry.info.name,
                            owners.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(" and ")
                        ),
                    });
                }
                continue;
            }
            reg.entries.insert(entry.info.name.clone(), entry);
        }
        reg
    }

    /// Every registered tool, sorted by name.
    pub fn tools(&self) -> impl Iterator<Item = &ToolInfo> {
        self.entries.values().map(|e| &e.info)
    }

    /// The tool registered as `name`, if any.
    pub fn tool(&self, name: &str) -> Option<&ToolInfo> {
        self.entries.get(name).map(|e| &e.info)
    }

    /// Why some tools were not registered.
    pub fn diagnostics(&self) -> &[RegistryDiagnostic] {
        &self.diagnostics
    }

    /// The runtime plugin tools run on; `None` when the registry was built
    /// only for listing.
    pub fn runtime(&self) -> Option<&Runtime> {
        self.runtime.as_ref()
    }

    pub(crate) fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// The instances of the plugins whose tools this registry holds.
    pub fn instances(&self) -> &Arc<PluginInstanceRegistry> {
        &self.instances
    }

    /// Load every plugin now (servers do this at start so that the first
    /// call is warm); returns the plugins that failed to load.
    pub fn preload(&self) -> Vec<LoadFailure> {
        self.instances.preload()
    }
}
