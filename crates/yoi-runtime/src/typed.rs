//! The typed-component adapter (`world = "typed"`): each tool is one exported
//! function, called dynamically with component values.
//!
//! Guarantees:
//! - **Strict arguments, before the guest runs** (`typed/convert.rs`): the
//!   JSON input becomes [`Val`]s by the function's own component type: every
//!   parameter present unless it is an `option`, no unknown properties,
//!   integers in range (64-bit ones within ±(2^53-1)), finite floats, one
//!   character for `char`, base64 for `list<u8>`, exact tags and arities.
//!   Anything else is `invalid-input` and the function is never entered.
//! - **Same sandbox as every component**: the same linker (empty WASI, host
//!   APIs only when requested), the same import check, store limits,
//!   deadline and instance pool ([`crate::plugin`]).
//! - **Bounded results**: the value is turned back into JSON (`NaN` or a
//!   64-bit integer JSON cannot carry exactly is `bad-output`) and held to
//!   `max_output_bytes`; a `result`'s `err` is a `failed` error carrying the
//!   error value as JSON in [`CallError::detail`].

mod convert;

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::{Component, ComponentExportIndex, Instance, InstancePre, Type, Val};
use yoi_manifest::Manifest;

use crate::error::{CallError, CallErrorKind};
use crate::limits::Limits;
use crate::output::Content;
use crate::state::StoreState;

/// A typed component, linked, with each tool's export found.
pub(crate) struct TypedPre {
    pre: InstancePre<StoreState>,
    exports: Arc<BTreeMap<String, ComponentExportIndex>>,
}

/// An instance of a typed component.
pub(crate) struct TypedInstance {
    instance: Instance,
    exports: Arc<BTreeMap<String, ComponentExportIndex>>,
}

impl TypedPre {
    /// Find every tool's export (the package check already matched them to
    /// the component's type; a function missing here is a load error).
    pub(crate) fn new(
        pre: InstancePre<StoreState>,
        component: &Component,
        manifest: &Manifest,
    ) -> Result<TypedPre, String> {
        let mut exports = BTreeMap::new();
        for tool in &manifest.tools {
            let export = tool.export.as_deref().unwrap_or(&tool.name);
            let index = match yoi_typed::split_export(export) {
                (None, func) => component.get_export_index(None, func),
                (Some(interface), func) => component
                    .get_export_index(None, interface)
                    .and_then(|i| component.get_export_index(Some(&i), func)),
            };
            let index = index.ok_or_else(|| {
                format!(
                    "tool `{}`: no exported function `{}`",
                    tool.name,
                    yoi_manifest::bounded(export, 200)
                )
            })?;
            exports.insert(tool.name.clone(), index);
        }
        Ok(TypedPre {
            pre,
            exports: Arc::new(exports),
        })
    }

    pub(crate) async fn instantiate(
        &self,
        store: &mut Store<StoreState>,
    ) -> wasmtime::Result<TypedInstance> {
        Ok(TypedInstance {
            instance: self.pre.instantiate_async(store).await?,
            exports: self.exports.clone(),
        })
    }
}

/// Call `tool`'s export with `input`. The outer error is a trap or host
/// failure; the inner one is a refused input, an error result or a bad output.
pub(crate) async fn call(
    instance: &TypedInstance,
    store: &mut Store<StoreState>,
    tool: &str,
    input: &str,
    limits: &Limits,
) -> wasmtime::Result<Result<Vec<Content>, CallError>> {
    let Some(index) = instance.exports.get(tool) else {
        return Ok(Err(CallError::new(
            CallErrorKind::NotFound,
            format!("the plugin has no tool `{tool}`"),
        )));
    };
    let Some(func) = instance.instance.get_func(&mut *store, index) else {
        return Ok(Err(CallError::new(
            CallErrorKind::NotFound,
            format!("the export of tool `{tool}` is not a function"),
        )));
    };
    let ty = func.ty(&*store);
    let params: Vec<(String, Type)> = ty.params().map(|(n, t)| (n.to_owned(), t)).collect();
    let result_ty: Option<Type> = ty.results().next();
    let args = match convert::arguments(input, &params) {
        Ok(args) => args,
        Err(message) => {
            return Ok(Err(CallError::new(
                CallErrorKind::InvalidInput,
                format!("the input does not fit the WIT signature: {message}"),
            )));
        }
    };
    let mut results = vec![Val::Bool(false); usize::from(result_ty.is_some())];
    func.call_async(&mut *store, &args, &mut results).await?;
    Ok(output(result_ty.as_ref(), results.pop(), limits))
}

/// The returned value as tool output: `ok` of a `result`, or the value.
fn output(
    ty: Option<&Type>,
    value: Option<Val>,
    limits: &Limits,
) -> Result<Vec<Content>, CallError> {
    let bad = |message: String| {
        CallError::new(
            CallErrorKind::BadOutput,
            format!("the function returned a value JSON cannot carry: {message}"),
        )
    };
    let (json, error) = match (ty, value) {
        (Some(Type::Result(r)), Some(Val::Result(result))) => match result {
            Ok(v) => (
                convert::optional_json(v.as_deref(), r.ok().as_ref()).map_err(bad)?,
                None,
            ),
            Err(e) => (
                serde_json::Value::Null,
                Some(convert::optional_json(e.as_deref(), r.err().as_ref()).map_err(bad)?),
            ),
        },
        (Some(ty), Some(v)) => (convert::json(&v, ty).map_err(bad)?, None),
        _ => (serde_json::Value::Null, None),
    };
    let size = |v: &serde_json::Value| serde_json::to_vec(v).map_or(usize::MAX, |b| b.len());
    let measured = error.as_ref().unwrap_or(&json);
    if size(measured) > limits.max_output_bytes {
        return Err(CallError::new(
            CallErrorKind::OutputTooLarge,
            format!(
                "the output is {} bytes of JSON; the limit is {}",
                size(measured),
                limits.max_output_bytes
            ),
        ));
    }
    match error {
        Some(detail) => {
            let text = yoi_manifest::bounded(&detail.to_string(), limits.max_error_message_bytes);
            Err(CallError {
                detail: Some(detail),
                ..CallError::new(
                    CallErrorKind::Failed,
                    format!("the function returned an error: {text}"),
                )
            })
        }
        None => Ok(vec![Content::Json { json }]),
    }
}
