//! A manifest's tools checked against the component they run in: each tool
//! names an exported function that exists, is offered (its types map to
//! JSON), is named by no other tool, is described, and agrees with any schema
//! the manifest declares; the component imports only what yoi links.

use std::collections::BTreeMap;

use serde_json::Value;
use yoi_manifest::{Manifest, Schema, bounded};

use crate::decode::TypedComponent;
use crate::derive::Signature;
use crate::error::TypedError;
use crate::imports::check_import;

/// A manifest tool bound to its export.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedTool {
    /// The tool's name.
    pub name: String,
    /// The export it calls.
    pub export: String,
    /// Its description: the manifest's, or else the export's WIT doc comment.
    pub description: String,
    /// The schemas derived from the export's signature.
    pub signature: Signature,
}

/// Check `manifest`'s tools against `component`. `declared` gives the JSON
/// of a schema the manifest declares (inline, or a file of the package), or
/// `None` when it cannot be read (the caller reports that itself).
pub fn check(
    manifest: &Manifest,
    component: &TypedComponent,
    declared: &dyn Fn(&Schema) -> Option<Value>,
) -> Result<Vec<TypedTool>, TypedError> {
    for import in &component.imports {
        check_import(import, &manifest.permissions.host_apis).map_err(|problem| {
            TypedError::Import {
                import: bounded(import, 200),
                problem,
            }
        })?;
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut tools = Vec::new();
    for tool in &manifest.tools {
        let export = tool.export.as_deref().unwrap_or(&tool.name);
        if let Some(first) = seen.insert(export, &tool.name) {
            return Err(TypedError::ExportClash {
                export: bounded(export, 200),
                first: first.to_owned(),
                second: tool.name.clone(),
            });
        }
        let Some(func) = component.function(export) else {
            let names: Vec<&str> = component
                .functions
                .iter()
                .map(|f| f.export.as_str())
                .collect();
            let hint = if names.is_empty() {
                "; it exports no functions".to_owned()
            } else {
                format!("; it exports `{}`", bounded(&names.join("`, `"), 300))
            };
            return Err(TypedError::NoSuchExport {
                tool: tool.name.clone(),
                export: bounded(export, 200),
                hint,
            });
        };
        let signature = func
            .signature
            .clone()
            .map_err(|reason| TypedError::Unmappable {
                tool: tool.name.clone(),
                export: func.export.clone(),
                reason: bounded(&reason, 400),
            })?;
        let contradicts = |which: &'static str, declared: &Value, derived: &Value, input: bool| {
            match contradiction(declared, derived, input) {
                Some(reason) => Err(TypedError::Contradiction {
                    tool: tool.name.clone(),
                    export: func.export.clone(),
                    which,
                    reason: bounded(&reason, 300),
                }),
                None => Ok(()),
            }
        };
        if let Some(schema) = tool.input_schema.as_ref().and_then(declared) {
            contradicts("input_schema", &schema, &signature.input_schema, true)?;
        }
        if let Some(schema) = tool.output_schema.as_ref().and_then(declared) {
            contradicts("output_schema", &schema, &signature.output_schema, false)?;
        }
        let description = if !tool.description.trim().is_empty() {
            tool.description.clone()
        } else if let Some(docs) = func.docs.as_deref().filter(|d| !d.trim().is_empty()) {
            bounded(docs.trim(), 4096)
        } else {
            return Err(TypedError::NoDescription {
                tool: tool.name.clone(),
                export: func.export.clone(),
            });
        };
        tools.push(TypedTool {
            name: tool.name.clone(),
            export: func.export.clone(),
            description,
            signature,
        });
    }
    Ok(tools)
}

/// Whether a declared schema contradicts the derived one, and how. A
/// declared schema may say more (descriptions, tighter bounds, formats) but
/// not something else: its root `type` must be the derived one, and for an
/// input, its properties must be parameters and every parameter that is not
/// an `option` must be required.
pub fn contradiction(declared: &Value, derived: &Value, input: bool) -> Option<String> {
    let root_type = |v: &Value| v.get("type").and_then(Value::as_str).map(str::to_owned);
    if let (Some(a), Some(b)) = (root_type(declared), root_type(derived))
        && a != b
    {
        return Some(format!("its type is `{a}` but the signature gives `{b}`"));
    }
    if !input {
        return None;
    }
    let props = |v: &Value| v.get("properties").and_then(Value::as_object).cloned();
    let names = |v: &Value, key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let derived_props = props(derived).unwrap_or_default();
    let declared_props = props(declared).unwrap_or_default();
    for (name, schema) in &declared_props {
        let Some(param) = derived_props.get(name) else {
            return Some(format!(
                "property `{}` is not a parameter",
                bounded(name, 80)
            ));
        };
        if let (Some(a), Some(b)) = (root_type(schema), root_type(param))
            && a != b
        {
            return Some(format!(
                "parameter `{name}` is `{a}` but the signature gives `{b}`"
            ));
        }
    }
    let declared_required = names(declared, "required");
    for name in names(derived, "required") {
        if !declared_required.contains(&name) {
            return Some(format!(
                "parameter `{name}` is not an `option` but is not required"
            ));
        }
    }
    None
}
