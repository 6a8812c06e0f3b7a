//! Strict parsing: TOML into raw serde structs (unknown fields are errors), then
//! validation into the [`crate::Manifest`] model with errors that name the field.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::id::{MAX_ID_LEN, MAX_NAME_LEN, is_valid_plugin_id, is_valid_surface_name};
use crate::model::*;
use crate::{ManifestError, bounded};

/// Largest `plugin.toml` accepted.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;
const MAX_MESSAGE: usize = 400;
const MAX_TEXT_FIELD: usize = 4096;
const MAX_PATH_LEN: usize = 256;
const MAX_SURFACES: usize = 256;

// The raw types describe the TOML this parser accepts, so the JSON Schema of
// `plugin.toml` (`json_schema`, written to `schemas/plugin.schema.json` by
// `cargo xtask schemas`) is derived from them; their doc comments are its
// descriptions. Checks a schema cannot express stay in the code below.

/// `plugin.toml`: what a yoi plugin package is and what it requests. Requests are not grants.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "plugin.toml")]
struct RawManifest {
    /// The manifest format. This yoi reads `1`.
    #[schemars(range(min = 1, max = 1))]
    schema_version: i64,
    /// The plugin id: 1-128 of `[a-z0-9._-]`, no leading or trailing dot.
    #[schemars(
        length(min = 1, max = 128),
        pattern(r"^[a-z0-9_-]([a-z0-9._-]*[a-z0-9_-])?$")
    )]
    id: String,
    /// A human-readable name.
    #[schemars(length(min = 1, max = 256))]
    name: String,
    /// The package version, semver (`1.2.3`). Enablements pin it.
    version: String,
    /// What the plugin does, for people.
    #[schemars(length(max = 4096))]
    description: String,
    /// How the package's code runs: chosen here, never guessed from bytes.
    runtime: RawRuntime,
    /// Tools: functions a model or a person can call.
    #[serde(default)]
    tools: Vec<RawTool>,
    /// Long-running services (instance world only).
    #[serde(default)]
    services: Vec<RawService>,
    /// Inbound event endpoints such as webhooks (instance world only).
    #[serde(default)]
    ingresses: Vec<RawIngress>,
    /// What the package requests: surfaces, names and host APIs. Requests are not grants.
    #[serde(default)]
    permissions: RawPermissions,
}

/// The runtime: a component (`kind = "wasm-component"` with `component` and
/// `world`) or a legacy core module (`kind = "wasm"` with `entry` and `abi`).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = runtime_kinds)]
#[schemars(rename = "Runtime")]
struct RawRuntime {
    /// `wasm-component` (a WebAssembly component) or `wasm` (legacy raw core module).
    #[schemars(extend("enum" = ["wasm-component", "wasm"]))]
    kind: String,
    /// Path of the component inside the package (`kind = "wasm-component"`).
    component: Option<String>,
    /// The world the component implements (`kind = "wasm-component"`).
    #[schemars(with = "Option<World>")]
    world: Option<String>,
    /// Path of the core module inside the package (`kind = "wasm"`).
    entry: Option<String>,
    /// The legacy ABI of the core module (`kind = "wasm"`).
    #[schemars(with = "Option<LegacyAbi>")]
    abi: Option<String>,
}

/// Each runtime kind takes its own two fields and not the other's.
fn runtime_kinds(schema: &mut schemars::Schema) {
    let kind = |kind: &str, own: [&str; 2], other: [&str; 2]| {
        serde_json::json!({
            "properties": { "kind": { "const": kind } },
            "required": own,
            "not": { "anyOf": [{ "required": [other[0]] }, { "required": [other[1]] }] },
        })
    };
    schema.insert(
        "oneOf".into(),
        serde_json::json!([
            kind("wasm-component", ["component", "world"], ["entry", "abi"]),
            kind("wasm", ["entry", "abi"], ["component", "world"]),
        ]),
    );
}

/// A tool.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Tool")]
struct RawTool {
    /// The tool's model-visible name: 1-64 of `[A-Za-z0-9_-]`, unique in the package.
    #[schemars(length(min = 1, max = 64), pattern(r"^[A-Za-z0-9_-]+$"))]
    name: String,
    /// What the tool does, for the model and for people.
    #[schemars(length(min = 1, max = 4096))]
    description: String,
    /// JSON Schema of the input (its root has `type = "object"`), inline or a JSON file in the package.
    input_schema: RawSchema,
    /// JSON Schema of the output, inline or a JSON file in the package.
    output_schema: Option<RawSchema>,
}

/// A long-running service (instance world only).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Service")]
struct RawService {
    /// 1-64 of `[A-Za-z0-9_-]`, unique in the package.
    #[schemars(length(min = 1, max = 64), pattern(r"^[A-Za-z0-9_-]+$"))]
    name: String,
    /// What the service does.
    #[schemars(length(max = 4096))]
    description: String,
}

/// An inbound event endpoint (instance world only): bounded, untrusted input.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Ingress")]
struct RawIngress {
    /// 1-64 of `[A-Za-z0-9_-]`, unique in the package.
    #[schemars(length(min = 1, max = 64), pattern(r"^[A-Za-z0-9_-]+$"))]
    name: String,
    /// What the ingress receives.
    #[schemars(length(max = 4096))]
    description: String,
    /// The event kinds accepted (at least one; `[A-Za-z0-9_.-]`).
    #[schemars(length(min = 1))]
    event_kinds: Vec<String>,
    /// JSON Schema of an event's payload (its root has `type = "object"`), inline or a file.
    input_schema: RawSchema,
}

/// A JSON Schema: an inline table, or the path of a JSON file inside the package.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Schema")]
enum RawSchema {
    File(String),
    Inline(serde_json::Map<String, serde_json::Value>),
}

/// What the package requests. A surface, name or host API is usable only when
/// requested here and granted by the enablement.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Permissions")]
struct RawPermissions {
    /// Surfaces requested: `tool`, `service`, `ingress`.
    #[serde(default)]
    surfaces: Vec<Surface>,
    /// Declared tools requested (needs `tool` in `surfaces`).
    #[serde(default)]
    tools: Vec<String>,
    /// Declared services requested (needs `service` in `surfaces`).
    #[serde(default)]
    services: Vec<String>,
    /// Declared ingresses requested (needs `ingress` in `surfaces`).
    #[serde(default)]
    ingresses: Vec<String>,
    /// Host APIs requested: `https`, `fs`. Components only; none by default.
    #[serde(default)]
    host_apis: Vec<HostApi>,
}

/// The JSON Schema (draft 2020-12) of `plugin.toml`, derived from the types
/// this parser reads. What a schema cannot say (requested names must be
/// declared, paths must stay in the package, ...) is still checked by
/// [`Manifest::from_toml_str`] only.
pub fn json_schema() -> serde_json::Value {
    schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(schemars::transform::RecursiveTransform(no_null))
        .into_generator()
        .into_root_schema_for::<RawManifest>()
        .to_value()
}

/// TOML has no null: an optional field is one that may be left out, so the
/// `null` schemars adds to `Option` fields is taken out again.
fn no_null(schema: &mut schemars::Schema) {
    if let Some(serde_json::Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            schema.insert("type".into(), only);
        }
    }
    if let Some(serde_json::Value::Array(any_of)) = schema.get_mut("anyOf") {
        any_of.retain(|s| s.get("type").is_none_or(|t| t != "null"));
        if let [only] = any_of.as_slice() {
            let only = only.clone();
            schema.remove("anyOf");
            if let serde_json::Value::Object(fields) = only {
                for (key, value) in fields {
                    schema.insert(key, value);
                }
            }
        }
    }
}

pub(crate) fn parse(text: &str) -> Result<Manifest, ManifestError> {
    if text.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            size: text.len(),
            limit: MAX_MANIFEST_BYTES,
        });
    }
    let raw: RawManifest = toml::from_str(text).map_err(|e| ManifestError::Syntax {
        message: bounded(&e.to_string(), MAX_MESSAGE),
    })?;
    if raw.schema_version != SCHEMA_VERSION {
        return Err(ManifestError::SchemaVersion {
            found: raw.schema_version,
        });
    }
    if !is_valid_plugin_id(&raw.id) {
        return Err(ManifestError::invalid(
            "id",
            format!(
                "`{}` must be 1-{MAX_ID_LEN} of [a-z0-9._-] with no leading or trailing dot",
                bounded(&raw.id, 140)
            ),
        ));
    }
    let version = semver::Version::parse(&raw.version).map_err(|e| {
        ManifestError::invalid(
            "version",
            format!("`{}` is not semver: {e}", bounded(&raw.version, 64)),
        )
    })?;
    text_field("name", &raw.name, 256, false)?;
    text_field("description", &raw.description, MAX_TEXT_FIELD, true)?;
    let runtime = runtime(raw.runtime)?;

    let tools = raw
        .tools
        .into_iter()
        .enumerate()
        .map(|(i, t)| tool(i, t))
        .collect::<Result<Vec<_>, _>>()?;
    let services = raw
        .services
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let field = format!("services[{i}]");
            surface_name(&field, &s.name)?;
            text_field(
                &format!("{field}.description"),
                &s.description,
                MAX_TEXT_FIELD,
                true,
            )?;
            Ok(Service {
                name: s.name,
                description: s.description,
            })
        })
        .collect::<Result<Vec<_>, ManifestError>>()?;
    let ingresses = raw
        .ingresses
        .into_iter()
        .enumerate()
        .map(|(i, g)| ingress(i, g))
        .collect::<Result<Vec<_>, _>>()?;
    unique("tool", tools.iter().map(|t| &t.name))?;
    unique("service", services.iter().map(|s| &s.name))?;
    unique("ingress", ingresses.iter().map(|g| &g.name))?;
    if tools.len() + services.len() + ingresses.len() > MAX_SURFACES {
        return Err(ManifestError::invalid(
            "tools",
            format!("more than {MAX_SURFACES} tools, services and ingresses in all"),
        ));
    }

    if !runtime.is_instance_world() {
        let why = match runtime {
            Runtime::Legacy { .. } => "the legacy `wasm` runtime hosts tools only",
            Runtime::Component { .. } => {
                "`yoi:plugin/tool@1.0.0` hosts tools only; use `yoi:plugin/instance@1.0.0`"
            }
        };
        if !services.is_empty() {
            return Err(ManifestError::invalid("services", why));
        }
        if !ingresses.is_empty() {
            return Err(ManifestError::invalid("ingresses", why));
        }
    }

    let permissions = permissions(raw.permissions, &runtime, &tools, &services, &ingresses)?;
    Ok(Manifest {
        id: raw.id,
        name: raw.name,
        version,
        description: raw.description,
        runtime,
        tools,
        services,
        ingresses,
        permissions,
    })
}

fn runtime(raw: RawRuntime) -> Result<Runtime, ManifestError> {
    match raw.kind.as_str() {
        "wasm-component" => {
            if raw.entry.is_some() || raw.abi.is_some() {
                return Err(ManifestError::invalid(
                    "runtime",
                    "`entry` and `abi` belong to `kind = \"wasm\"`, not `wasm-component`",
                ));
            }
            let component = raw.component.ok_or_else(|| {
                ManifestError::invalid(
                    "runtime.component",
                    "required for `kind = \"wasm-component\"`",
                )
            })?;
            package_path("runtime.component", &component)?;
            let world = raw.world.ok_or_else(|| {
                ManifestError::invalid("runtime.world", "required for `kind = \"wasm-component\"`")
            })?;
            let world = World::ALL
                .into_iter()
                .find(|w| w.as_str() == world)
                .ok_or_else(|| {
                    ManifestError::invalid(
                        "runtime.world",
                        format!(
                            "unknown world `{}`; expected `yoi:plugin/tool@1.0.0` or `yoi:plugin/instance@1.0.0`",
                            bounded(&world, 80)
                        ),
                    )
                })?;
            Ok(Runtime::Component { component, world })
        }
        "wasm" => {
            if raw.component.is_some() || raw.world.is_some() {
                return Err(ManifestError::invalid(
                    "runtime",
                    "`component` and `world` belong to `kind = \"wasm-component\"`, not `wasm`",
                ));
            }
            let entry = raw.entry.ok_or_else(|| {
                ManifestError::invalid("runtime.entry", "required for `kind = \"wasm\"`")
            })?;
            package_path("runtime.entry", &entry)?;
            let abi = raw.abi.ok_or_else(|| {
                ManifestError::invalid("runtime.abi", "required for `kind = \"wasm\"`")
            })?;
            if abi != LegacyAbi::V1.as_str() {
                return Err(ManifestError::invalid(
                    "runtime.abi",
                    format!(
                        "unknown abi `{}`; expected `yoi-plugin-wasm-1`",
                        bounded(&abi, 80)
                    ),
                ));
            }
            Ok(Runtime::Legacy {
                entry,
                abi: LegacyAbi::V1,
            })
        }
        other => Err(ManifestError::invalid(
            "runtime.kind",
            format!(
                "unknown kind `{}`; expected `wasm-component` or `wasm`",
                bounded(other, 80)
            ),
        )),
    }
}

fn tool(index: usize, raw: RawTool) -> Result<Tool, ManifestError> {
    let field = format!("tools[{index}]");
    surface_name(&format!("{field}.name"), &raw.name)?;
    text_field(
        &format!("{field}.description"),
        &raw.description,
        MAX_TEXT_FIELD,
        false,
    )?;
    let input_schema = schema(&format!("{field}.input_schema"), raw.input_schema)?;
    let output_schema = raw
        .output_schema
        .map(|s| schema(&format!("{field}.output_schema"), s))
        .transpose()?;
    Ok(Tool {
        name: raw.name,
        description: raw.description,
        input_schema,
        output_schema,
    })
}

fn ingress(index: usize, raw: RawIngress) -> Result<Ingress, ManifestError> {
    let field = format!("ingresses[{index}]");
    surface_name(&format!("{field}.name"), &raw.name)?;
    text_field(
        &format!("{field}.description"),
        &raw.description,
        MAX_TEXT_FIELD,
        true,
    )?;
    if raw.event_kinds.is_empty() {
        return Err(ManifestError::invalid(
            format!("{field}.event_kinds"),
            "at least one event kind is required",
        ));
    }
    for kind in &raw.event_kinds {
        if !is_valid_surface_name(kind) && !kind.contains('.') {
            return Err(ManifestError::invalid(
                format!("{field}.event_kinds"),
                format!(
                    "`{}` must be 1-{MAX_NAME_LEN} of [A-Za-z0-9_-.]",
                    bounded(kind, 80)
                ),
            ));
        }
    }
    unique("event kind", raw.event_kinds.iter())?;
    let input_schema = schema(&format!("{field}.input_schema"), raw.input_schema)?;
    Ok(Ingress {
        name: raw.name,
        description: raw.description,
        event_kinds: raw.event_kinds,
        input_schema,
    })
}

fn permissions(
    raw: RawPermissions,
    runtime: &Runtime,
    tools: &[Tool],
    services: &[Service],
    ingresses: &[Ingress],
) -> Result<Permissions, ManifestError> {
    unique(
        "permissions.surfaces",
        raw.surfaces.iter().map(|s| s.as_str()),
    )?;
    unique(
        "permissions.host_apis",
        raw.host_apis.iter().map(|s| s.as_str()),
    )?;
    let check = |field: &str, names: &[String], declared: &dyn Fn(&str) -> bool| {
        unique(
            if field.ends_with("tools") {
                "permissions.tools"
            } else {
                "permission"
            },
            names.iter(),
        )?;
        for name in names {
            if !declared(name) {
                return Err(ManifestError::invalid(
                    field,
                    format!(
                        "requests `{}`, which the manifest does not declare",
                        bounded(name, 80)
                    ),
                ));
            }
        }
        Ok(())
    };
    check("permissions.tools", &raw.tools, &|n| {
        tools.iter().any(|t| t.name == n)
    })?;
    check("permissions.services", &raw.services, &|n| {
        services.iter().any(|s| s.name == n)
    })?;
    check("permissions.ingresses", &raw.ingresses, &|n| {
        ingresses.iter().any(|g| g.name == n)
    })?;
    for (surface, requested) in [
        (Surface::Tool, !raw.tools.is_empty()),
        (Surface::Service, !raw.services.is_empty()),
        (Surface::Ingress, !raw.ingresses.is_empty()),
    ] {
        if requested && !raw.surfaces.contains(&surface) {
            return Err(ManifestError::invalid(
                "permissions.surfaces",
                format!(
                    "names requested for surface `{surface}` but `{surface}` is not in `surfaces`"
                ),
            ));
        }
    }
    if matches!(runtime, Runtime::Legacy { .. })
        && let Some(api) = raw.host_apis.first()
    {
        return Err(ManifestError::invalid(
            "permissions.host_apis",
            format!("the legacy `wasm` runtime has no host APIs; `{api}` cannot be requested"),
        ));
    }
    Ok(Permissions {
        surfaces: raw.surfaces,
        tools: raw.tools,
        services: raw.services,
        ingresses: raw.ingresses,
        host_apis: raw.host_apis,
    })
}

fn schema(field: &str, raw: RawSchema) -> Result<Schema, ManifestError> {
    match raw {
        RawSchema::File(path) => {
            package_path(field, &path)?;
            Ok(Schema::File(path))
        }
        RawSchema::Inline(map) => {
            check_object_schema(field, &map)?;
            Ok(Schema::Inline(serde_json::Value::Object(map)))
        }
    }
}

/// A tool or ingress input schema must describe a JSON object.
pub fn check_object_schema(
    field: &str,
    map: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ManifestError> {
    match map.get("type") {
        Some(serde_json::Value::String(t)) if t == "object" => Ok(()),
        _ => Err(ManifestError::invalid(
            field,
            "the schema's root must have `type = \"object\"`",
        )),
    }
}

fn surface_name(field: &str, name: &str) -> Result<(), ManifestError> {
    if is_valid_surface_name(name) {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            field,
            format!(
                "`{}` must be 1-{MAX_NAME_LEN} of [A-Za-z0-9_-]",
                bounded(name, 80)
            ),
        ))
    }
}

fn text_field(
    field: &str,
    text: &str,
    max: usize,
    may_be_empty: bool,
) -> Result<(), ManifestError> {
    if !may_be_empty && text.trim().is_empty() {
        return Err(ManifestError::invalid(field, "must not be empty"));
    }
    if text.len() > max {
        return Err(ManifestError::invalid(
            field,
            format!("longer than {max} bytes"),
        ));
    }
    Ok(())
}

/// A shape check on in-package paths; `yoi-package` re-validates with its full rules.
fn package_path(field: &str, path: &str) -> Result<(), ManifestError> {
    let ok = !path.is_empty()
        && path.len() <= MAX_PATH_LEN
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control() || c == ':')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    if ok {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            field,
            format!(
                "`{}` must be a relative path inside the package (no `..`, `\\`, `:` or empty segments)",
                bounded(path, 120)
            ),
        ))
    }
}

fn unique<'a, S: AsRef<str> + 'a>(
    what: &'static str,
    names: impl Iterator<Item = S>,
) -> Result<(), ManifestError> {
    let mut seen = BTreeSet::new();
    for name in names {
        let name = name.as_ref().to_owned();
        if !seen.insert(name.clone()) {
            return Err(ManifestError::Duplicate {
                what,
                name: bounded(&name, 80),
            });
        }
    }
    Ok(())
}
