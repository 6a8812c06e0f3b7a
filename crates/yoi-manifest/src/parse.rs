//! Validation: the raw TOML shape ([`crate::raw`]) becomes the validated
//! [`crate::Manifest`] model, or an error that names the field.
//!
//! Checks the raw shape cannot express are made here, once: the schema version,
//! id and semver, text and path bounds, the runtime kind's own fields, which
//! surfaces the world hosts, unique names, and that every requested name is
//! declared. Untrusted values are quoted through [`crate::bounded`], so no
//! diagnostic echoes unbounded input.

use std::collections::BTreeSet;

use crate::id::{MAX_ID_LEN, MAX_NAME_LEN, is_valid_plugin_id, is_valid_surface_name};
use crate::model::*;
use crate::raw::{RawIngress, RawManifest, RawPermissions, RawRuntime, RawSchema, RawTool};
use crate::{ManifestError, bounded};

/// Largest `plugin.toml` accepted.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;
const MAX_MESSAGE: usize = 400;
const MAX_TEXT_FIELD: usize = 4096;
const MAX_PATH_LEN: usize = 256;
const MAX_SURFACES: usize = 256;

/// Parse and validate `text` as a `plugin.toml`; see [`crate::Manifest::from_toml_str`].
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
        .map(|(i, t)| tool(i, t, runtime.is_typed()))
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
            Runtime::Component {
                world: World::Typed,
                ..
            } => "a typed component hosts tools only; use `yoi:plugin/instance@1.0.0`",
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
                            "unknown world `{}`; expected `yoi:plugin/tool@1.0.0`, `yoi:plugin/instance@1.0.0` or `typed`",
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

/// A tool. A typed component's tool may leave out its description and
/// schemas (they come from the component, checked when the package is read)
/// and names the export it calls; the other worlds' tools must give both and
/// have no export.
fn tool(index: usize, raw: RawTool, typed: bool) -> Result<Tool, ManifestError> {
    let field = format!("tools[{index}]");
    surface_name(&format!("{field}.name"), &raw.name)?;
    let required = |what: &str| {
        ManifestError::invalid(
            format!("{field}.{what}"),
            "required unless the runtime's `world` is `typed`",
        )
    };
    let description = match raw.description {
        Some(d) => d,
        None if typed => String::new(),
        None => return Err(required("description")),
    };
    text_field(
        &format!("{field}.description"),
        &description,
        MAX_TEXT_FIELD,
        typed,
    )?;
    let export = match raw.export {
        Some(_) if !typed => {
            return Err(ManifestError::invalid(
                format!("{field}.export"),
                "only a typed component (`world = \"typed\"`) names an export",
            ));
        }
        Some(export) => Some(export_name(&format!("{field}.export"), export)?),
        None if typed => Some(raw.name.clone()),
        None => None,
    };
    let input_schema = match raw.input_schema {
        Some(s) => Some(schema(&format!("{field}.input_schema"), s)?),
        None if typed => None,
        None => return Err(required("input_schema")),
    };
    let output_schema = raw
        .output_schema
        .map(|s| schema(&format!("{field}.output_schema"), s))
        .transpose()?;
    Ok(Tool {
        name: raw.name,
        description,
        export,
        input_schema,
        output_schema,
    })
}

/// The shape of an export name: `func` or `interface#func`, printable, no
/// spaces, bounded. Whether the component exports it is checked with the
/// component, when the package is read.
fn export_name(field: &str, export: String) -> Result<String, ManifestError> {
    let ok = !export.is_empty()
        && export.len() <= MAX_PATH_LEN
        && export.matches('#').count() <= 1
        && !export.starts_with('#')
        && !export.ends_with('#')
        && export
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-:/@.+#".contains(c));
    if ok {
        Ok(export)
    } else {
        Err(ManifestError::invalid(
            field,
            format!(
                "`{}` must be `function` or `interface#function` (1-{MAX_PATH_LEN} of [A-Za-z0-9-:/@.+#])",
                bounded(&export, 120)
            ),
        ))
    }
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
