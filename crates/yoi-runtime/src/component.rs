//! The component adapter: `yoi:plugin/tool@1.0.0`.

use wasmtime::Store;
use wasmtime::component::{Component, InstancePre, Linker};

use crate::error::{CallError, CallErrorKind};
use crate::limits::Limits;
use crate::output::Content;
use crate::state::StoreState;

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/plugin",
        world: "tool",
        exports: { default: async },
    });
}

use bindings::exports::yoi::plugin::tools;

/// Host-side definitions for the plugin package itself. `types` carries no
/// functions; an empty instance satisfies components that import it.
pub(crate) fn add_to_linker(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    linker.instance("yoi:plugin/types@1.0.0")?;
    Ok(())
}

/// A component checked against the tool world, ready to instantiate.
pub(crate) struct ComponentPre {
    pre: bindings::ToolPre<StoreState>,
}

impl ComponentPre {
    /// Link and check the world. Errors are returned as text and classified by the caller.
    pub(crate) fn new(
        linker: &Linker<StoreState>,
        component: &Component,
    ) -> Result<Self, PreError> {
        let instance_pre: InstancePre<StoreState> = linker
            .instantiate_pre(component)
            .map_err(|e| PreError::Import(import_name(&e)))?;
        let pre =
            bindings::ToolPre::new(instance_pre).map_err(|e| PreError::World(format!("{e:#}")))?;
        Ok(ComponentPre { pre })
    }

    pub(crate) async fn instantiate(
        &self,
        store: &mut Store<StoreState>,
    ) -> wasmtime::Result<bindings::Tool> {
        self.pre.instantiate_async(store).await
    }
}

pub(crate) enum PreError {
    Import(String),
    World(String),
}

/// The import named in a linker error, bounded, or the whole message.
pub(crate) fn import_name(err: &wasmtime::Error) -> String {
    let text = format!("{err:#}");
    let name = text
        .split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| text.clone());
    yoi_manifest::bounded(&name, 200)
}

/// Call `tool` on an instance. The outer error is a trap or host failure; the
/// inner one is the result the guest returned.
pub(crate) async fn call(
    instance: &bindings::Tool,
    store: &mut Store<StoreState>,
    tool: &str,
    input: &str,
    limits: &Limits,
) -> wasmtime::Result<Result<Vec<Content>, CallError>> {
    let call = bindings::yoi::plugin::types::ToolCall {
        tool: tool.to_owned(),
        input: input.to_owned(),
    };
    let result = instance
        .yoi_plugin_tools()
        .call_call(&mut *store, &call)
        .await?;
    Ok(match result {
        Ok(output) => convert_output(output, limits),
        Err(e) => Err(convert_error(e, limits)),
    })
}

fn convert_output(output: tools::ToolOutput, limits: &Limits) -> Result<Vec<Content>, CallError> {
    use bindings::yoi::plugin::types::Content as C;
    let total: usize = output
        .content
        .iter()
        .map(|c| match c {
            C::Text(s) | C::Json(s) => s.len(),
        })
        .sum();
    if total > limits.max_output_bytes {
        return Err(CallError::new(
            CallErrorKind::OutputTooLarge,
            format!(
                "the output is {total} bytes; the limit is {}",
                limits.max_output_bytes
            ),
        ));
    }
    output
        .content
        .into_iter()
        .map(|c| match c {
            C::Text(text) => Ok(Content::Text { text }),
            C::Json(text) => serde_json::from_str(&text)
                .map(|json| Content::Json { json })
                .map_err(|e| {
                    CallError::new(
                        CallErrorKind::BadOutput,
                        format!("the plugin returned JSON content that does not parse: {e}"),
                    )
                }),
        })
        .collect()
}

fn convert_error(e: tools::ToolError, limits: &Limits) -> CallError {
    use bindings::yoi::plugin::types::ToolErrorKind as K;
    let kind = match e.kind {
        K::InvalidInput => CallErrorKind::InvalidInput,
        K::Denied => CallErrorKind::Denied,
        K::NotFound => CallErrorKind::NotFound,
        K::Failed => CallErrorKind::Failed,
    };
    CallError::new(
        kind,
        yoi_manifest::bounded(&e.message, limits.max_error_message_bytes),
    )
}
