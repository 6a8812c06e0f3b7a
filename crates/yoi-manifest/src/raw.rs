//! The raw shape of `plugin.toml`: serde structs that mirror the TOML exactly
//! (unknown fields are errors) and nothing more.
//!
//! These types describe the TOML the parser accepts, so the JSON Schema of
//! `plugin.toml` ([`json_schema`], written to `schemas/plugin.schema.json` by
//! `cargo xtask schemas`) is derived from them; their doc comments are its
//! descriptions. Checks a schema cannot express live in [`crate::parse`], which
//! turns this shape into the validated [`crate::Manifest`].

use serde::Deserialize;

use crate::model::{HostApi, LegacyAbi, Surface, World};

/// `plugin.toml`: what a yoi plugin package is and what it requests. Requests are not grants.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "plugin.toml")]
pub(crate) struct RawManifest {
    /// The manifest format. This yoi reads `1`.
    #[schemars(range(min = 1, max = 1))]
    pub(crate) schema_version: i64,
    /// The plugin id: 1-128 of `[a-z0-9._-]`, no leading or trailing dot.
    #[schemars(
        length(min = 1, max = 128),
        pattern(r"^[a-z0-9_-]([a-z0-9._-]*[a-z0-9_-])?$")
    )]
    pub(crate) id: String,
    /// A human-readable name.
    #[schemars(length(min = 1, max = 256))]
    pub(crate) name: String,
    /// The package version, semver (`1.2.3`). Enablements pin it.
    pub(crate) version: String,
    /// What the plugin does, for people.
    #[schemars(length(max = 4096))]
    pub(crate) description: String,
    /// How the package's code runs: chosen here, never guessed from bytes.
    pub(crate) runtime: RawRuntime,
    /// Tools: functions a model or a person can call.
    #[serde(default)]
    pub(crate) tools: Vec<RawTool>,
    /// Long-running services (instance world only).
    #[serde(default)]
    pub(crate) services: Vec<RawService>,
    /// Inbound event endpoints such as webhooks (instance world only).
    #[serde(default)]
    pub(crate) ingresses: Vec<RawIngress>,
    /// What the package requests: surfaces, names and host APIs. Requests are not grants.
    #[serde(default)]
    pub(crate) permissions: RawPermissions,
}

/// The runtime: a component (`kind = "wasm-component"` with `component` and
/// `world`) or a legacy core module (`kind = "wasm"` with `entry` and `abi`).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = runtime_kinds)]
#[schemars(rename = "Runtime")]
pub(crate) struct RawRuntime {
    /// `wasm-component` (a WebAssembly component) or `wasm` (legacy raw core module).
    #[schemars(extend("enum" = ["wasm-component", "wasm"]))]
    pub(crate) kind: String,
    /// Path of the component inside the package (`kind = "wasm-component"`).
    pub(crate) component: Option<String>,
    /// The world the component implements (`kind = "wasm-component"`).
    #[schemars(with = "Option<World>")]
    pub(crate) world: Option<String>,
    /// Path of the core module inside the package (`kind = "wasm"`).
    pub(crate) entry: Option<String>,
    /// The legacy ABI of the core module (`kind = "wasm"`).
    #[schemars(with = "Option<LegacyAbi>")]
    pub(crate) abi: Option<String>,
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
pub(crate) struct RawTool {
    /// The tool's model-visible name: 1-64 of `[A-Za-z0-9_-]`, unique in the package.
    #[schemars(length(min = 1, max = 64), pattern(r"^[A-Za-z0-9_-]+$"))]
    pub(crate) name: String,
    /// What the tool does, for the model and for people. Required, except with
    /// `world = "typed"`, where the WIT doc comment of the export is used when left out.
    #[schemars(length(min = 1, max = 4096))]
    pub(crate) description: Option<String>,
    /// The exported function this tool calls (`world = "typed"` only): `name` for a
    /// function the component exports directly, `interface#name` for one in an exported
    /// interface (`example:calc/ops@0.1.0#divide`). Defaults to the tool's name.
    #[schemars(length(min = 1, max = 256))]
    pub(crate) export: Option<String>,
    /// JSON Schema of the input (its root has `type = "object"`), inline or a JSON file in the
    /// package. Required, except with `world = "typed"`, where it is derived from the WIT signature.
    pub(crate) input_schema: Option<RawSchema>,
    /// JSON Schema of the output, inline or a JSON file in the package (derived with `world = "typed"`).
    pub(crate) output_schema: Option<RawSchema>,
}

/// A long-running service (instance world only).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Service")]
pub(crate) struct RawService {
    /// 1-64 of `[A-Za-z0-9_-]`, unique in the package.
    #[schemars(length(min = 1, max = 64), pattern(r"^[A-Za-z0-9_-]+$"))]
    pub(crate) name: String,
    /// What the service does.
    #[schemars(length(max = 4096))]
    pub(crate) description: String,
}

/// An inbound event endpoint (instance world only): bounded, untrusted input.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Ingress")]
pub(crate) struct RawIngress {
    /// 1-64 of `[A-Za-z0-9_-]`, unique in the package.
    #[schemars(length(min = 1, max = 64), pattern(r"^[A-Za-z0-9_-]+$"))]
    pub(crate) name: String,
    /// What the ingress receives.
    #[schemars(length(max = 4096))]
    pub(crate) description: String,
    /// The event kinds accepted (at least one; `[A-Za-z0-9_.-]`).
    #[schemars(length(min = 1))]
    pub(crate) event_kinds: Vec<String>,
    /// JSON Schema of an event's payload (its root has `type = "object"`), inline or a file.
    pub(crate) input_schema: RawSchema,
}

/// A JSON Schema: an inline table, or the path of a JSON file inside the package.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Schema")]
pub(crate) enum RawSchema {
    File(String),
    Inline(serde_json::Map<String, serde_json::Value>),
}

/// What the package requests. A surface, name or host API is usable only when
/// requested here and granted by the enablement.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Permissions")]
pub(crate) struct RawPermissions {
    /// Surfaces requested: `tool`, `service`, `ingress`.
    #[serde(default)]
    pub(crate) surfaces: Vec<Surface>,
    /// Declared tools requested (needs `tool` in `surfaces`).
    #[serde(default)]
    pub(crate) tools: Vec<String>,
    /// Declared services requested (needs `service` in `surfaces`).
    #[serde(default)]
    pub(crate) services: Vec<String>,
    /// Declared ingresses requested (needs `ingress` in `surfaces`).
    #[serde(default)]
    pub(crate) ingresses: Vec<String>,
    /// Host APIs requested: `https`, `fs`. Components only; none by default.
    #[serde(default)]
    pub(crate) host_apis: Vec<HostApi>,
}

/// The JSON Schema (draft 2020-12) of `plugin.toml`, derived from the types
/// this parser reads. What a schema cannot say (requested names must be
/// declared, paths must stay in the package, ...) is still checked by
/// [`crate::Manifest::from_toml_str`] only.
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
