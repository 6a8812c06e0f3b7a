//! The component adapters: `yoi:plugin/tool@1.0.0`, `yoi:plugin/instance@1.0.0`,
//! and typed components (`world = "typed"`, see [`crate::typed`]), which share
//! this module's linker and import check.

use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use yoi_manifest::{HostApi, Manifest};

use crate::error::{CallError, CallErrorKind};
use crate::limits::Limits;
use crate::output::{Content, ITEM_OVERHEAD_BYTES, MAX_CONTENT_ITEMS};
use crate::state::StoreState;
use crate::typed::{TypedInstance, TypedPre};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: ["../../wit/host", "../../wit/plugin"],
        world: "yoi:plugin/tool",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

/// The stateful world. Shares the host API and plugin types with [`bindings`],
/// so one host implementation and one set of conversions serve both worlds.
pub(crate) mod instance_bindings {
    wasmtime::component::bindgen!({
        path: ["../../wit/host", "../../wit/plugin"],
        world: "yoi:plugin/instance",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "yoi:host/https@1.0.0": super::bindings::yoi::host::https,
            "yoi:host/fs@1.0.0": super::bindings::yoi::host::fs,
            "yoi:plugin/types@1.0.0": super::bindings::yoi::plugin::types,
        },
    });
}

use bindings::exports::yoi::plugin::tools;

/// Host-side definitions for the plugin package itself. `types` carries no
/// functions; an empty instance satisfies components that import it.
///
/// The host APIs are linked for every component; whether a call may do
/// anything is decided per plugin (see [`crate::host`]).
pub(crate) fn add_to_linker(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    linker.instance(YOI_PLUGIN_TYPES)?;
    bindings::yoi::host::https::add_to_linker::<StoreState, HasSelf<StoreState>>(linker, |s| s)?;
    bindings::yoi::host::fs::add_to_linker::<StoreState, HasSelf<StoreState>>(linker, |s| s)?;
    Ok(())
}

/// A component checked against its world, ready to instantiate.
pub(crate) enum ComponentPre {
    Tool(bindings::ToolPre<StoreState>),
    Instance(instance_bindings::InstancePre<StoreState>),
    Typed(TypedPre),
}

/// An instantiated component of either world.
pub(crate) enum ComponentInstance {
    Tool(bindings::Tool),
    Instance(instance_bindings::Instance),
    Typed(TypedInstance),
}

impl ComponentPre {
    /// Link and check the world. `requested` is what the manifest asks for
    /// in `permissions.host_apis`: importing any other host API is refused.
    /// Errors are returned as text and classified by the caller.
    pub(crate) fn new(
        linker: &Linker<StoreState>,
        component: &Component,
        manifest: &Manifest,
        world: yoi_manifest::World,
    ) -> Result<Self, PreError> {
        let requested: &[HostApi] = &manifest.permissions.host_apis;
        for (name, _) in component.component_type().imports(linker.engine()) {
            if !is_provided(name) {
                return Err(PreError::Import(yoi_manifest::bounded(name, 200)));
            }
            if let Some(api) = crate::host::host_api(name)
                && !requested.contains(&api)
            {
                return Err(PreError::HostApiNotRequested(api));
            }
        }
        let instance_pre: InstancePre<StoreState> = linker
            .instantiate_pre(component)
            .map_err(|e| PreError::Import(import_name(&e)))?;
        let world_err = |e: wasmtime::Error| PreError::World(format!("{e:#}"));
        Ok(match world {
            yoi_manifest::World::Tool => {
                ComponentPre::Tool(bindings::ToolPre::new(instance_pre).map_err(world_err)?)
            }
            yoi_manifest::World::Instance => ComponentPre::Instance(
                instance_bindings::InstancePre::new(instance_pre).map_err(world_err)?,
            ),
            yoi_manifest::World::Typed => ComponentPre::Typed(
                TypedPre::new(instance_pre, component, manifest).map_err(PreError::World)?,
            ),
        })
    }

    pub(crate) async fn instantiate(
        &self,
        store: &mut Store<StoreState>,
    ) -> wasmtime::Result<ComponentInstance> {
        Ok(match self {
            ComponentPre::Tool(pre) => ComponentInstance::Tool(pre.instantiate_async(store).await?),
            ComponentPre::Instance(pre) => {
                ComponentInstance::Instance(pre.instantiate_async(store).await?)
            }
            ComponentPre::Typed(pre) => ComponentInstance::Typed(pre.instantiate(store).await?),
        })
    }
}

/// The WASI p2 interfaces `wasmtime_wasi::p2::add_to_linker_async` links, by
/// package. Any `0.2.x` version is accepted, as the linker itself matches
/// semver-compatible versions.
const WASI_P2: [(&str, &[&str]); 6] = [
    (
        "cli",
        &[
            "environment",
            "exit",
            "stdin",
            "stdout",
            "stderr",
            "terminal-input",
            "terminal-output",
            "terminal-stdin",
            "terminal-stdout",
            "terminal-stderr",
        ],
    ),
    ("clocks", &["wall-clock", "monotonic-clock"]),
    ("filesystem", &["types", "preopens"]),
    ("io", &["error", "poll", "streams"]),
    ("random", &["random", "insecure", "insecure-seed"]),
    (
        "sockets",
        &[
            "network",
            "instance-network",
            "tcp",
            "tcp-create-socket",
            "udp",
            "udp-create-socket",
            "ip-name-lookup",
        ],
    ),
];

const YOI_PLUGIN_TYPES: &str = "yoi:plugin/types@1.0.0";

/// yoi's own interfaces a component may import. Every yoi interface linked
/// into the component linker (host APIs too, as they are added) must be
/// listed here, or components that import it are refused at load.
const YOI_INTERFACES: [&str; 3] = [
    YOI_PLUGIN_TYPES,
    crate::host::HTTPS_INTERFACE,
    crate::host::FS_INTERFACE,
];

/// Whether yoi links the top-level import `name`.
///
/// Checked by name before the linker type-checks the imports, because the
/// linker alone does not fail closed: wasmtime accepts an import of an
/// instance whose type has no exports (`(import "evil:x/y" (instance))`) even
/// when nothing of that name is linked. Such an import grants nothing today,
/// but "imports outside the linked set fail at load" must hold by name, so
/// that an import can never be satisfied by accident.
fn is_provided(name: &str) -> bool {
    if YOI_INTERFACES.contains(&name) {
        return true;
    }
    let Some((path, version)) = name.strip_prefix("wasi:").and_then(|n| n.split_once('@')) else {
        return false;
    };
    let Some((package, interface)) = path.split_once('/') else {
        return false;
    };
    version.starts_with("0.2.")
        && WASI_P2
            .iter()
            .any(|(p, interfaces)| *p == package && interfaces.contains(&interface))
}

pub(crate) enum PreError {
    Import(String),
    HostApiNotRequested(HostApi),
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
    instance: &ComponentInstance,
    store: &mut Store<StoreState>,
    tool: &str,
    input: &str,
    limits: &Limits,
) -> wasmtime::Result<Result<Vec<Content>, CallError>> {
    let call = bindings::yoi::plugin::types::ToolCall {
        tool: tool.to_owned(),
        input: input.to_owned(),
    };
    let result = match instance {
        ComponentInstance::Tool(i) => i.yoi_plugin_tools().call_call(&mut *store, &call).await?,
        ComponentInstance::Instance(i) => {
            i.yoi_plugin_instance_tools()
                .call_call(&mut *store, &call)
                .await?
        }
        ComponentInstance::Typed(i) => {
            return crate::typed::call(i, store, tool, input, limits).await;
        }
    };
    Ok(convert_result(result, limits))
}

/// The guest's answer to a tool call, checked and converted.
pub(crate) fn convert_result(
    result: Result<tools::ToolOutput, tools::ToolError>,
    limits: &Limits,
) -> Result<Vec<Content>, CallError> {
    match result {
        Ok(output) => convert_output(output, limits),
        Err(e) => Err(convert_error(e, limits)),
    }
}

/// Refused by count first ([`MAX_CONTENT_ITEMS`]), then by size with each
/// item charged [`ITEM_OVERHEAD_BYTES`], before any item is converted.
fn convert_output(output: tools::ToolOutput, limits: &Limits) -> Result<Vec<Content>, CallError> {
    use bindings::yoi::plugin::types::Content as C;
    let items = output.content.len();
    if items > MAX_CONTENT_ITEMS {
        return Err(CallError::new(
            CallErrorKind::OutputTooLarge,
            format!("the output has {items} content items; the limit is {MAX_CONTENT_ITEMS}"),
        ));
    }
    let total: usize = output
        .content
        .iter()
        .map(|c| match c {
            C::Text(s) | C::Json(s) => s.len().saturating_add(ITEM_OVERHEAD_BYTES),
        })
        .fold(0, usize::saturating_add);
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

#[cfg(test)]
mod tests {
    use super::bindings::yoi::plugin::types::Content as C;
    use super::*;

    fn output(content: Vec<C>) -> tools::ToolOutput {
        tools::ToolOutput { content }
    }

    /// A guest that returns a million empty items is refused by their
    /// number, before one of them is converted or serialised.
    #[test]
    fn a_result_with_a_million_empty_items_is_refused_by_count() {
        let limits = Limits::default();
        let many = (0..1_000_000).map(|_| C::Text(String::new())).collect();
        let err = convert_result(Ok(output(many)), &limits).unwrap_err();
        assert_eq!(err.kind, CallErrorKind::OutputTooLarge);
        assert_eq!(
            err.message,
            "the output has 1000000 content items; the limit is 1024"
        );
        let most = (0..MAX_CONTENT_ITEMS)
            .map(|_| C::Text(String::new()))
            .collect();
        assert_eq!(
            convert_result(Ok(output(most)), &limits).unwrap().len(),
            MAX_CONTENT_ITEMS
        );
    }

    /// Each item costs [`ITEM_OVERHEAD_BYTES`] besides its text.
    #[test]
    fn each_item_is_charged_against_the_output_limit() {
        let limits = Limits {
            max_output_bytes: 10 * ITEM_OVERHEAD_BYTES,
            ..Limits::default()
        };
        let items = |n| (0..n).map(|_| C::Json("1".into())).collect::<Vec<_>>();
        let err = convert_result(Ok(output(items(10))), &limits).unwrap_err();
        assert_eq!(
            err.message,
            format!(
                "the output is 650 bytes; the limit is {}",
                limits.max_output_bytes
            )
        );
        assert!(convert_result(Ok(output(items(9))), &limits).is_ok());
    }

    #[test]
    fn only_linked_interfaces_are_provided() {
        for name in [
            "wasi:cli/stdout@0.2.0",
            "wasi:io/streams@0.2.6",
            "wasi:sockets/tcp@0.2.3",
            "yoi:plugin/types@1.0.0",
            "yoi:host/https@1.0.0",
            "yoi:host/fs@1.0.0",
        ] {
            assert!(is_provided(name), "{name}");
        }
        for name in [
            "evil:x/y",
            "evil",
            "wasi:http/types@0.2.0",
            "wasi:cli/evil@0.2.0",
            "wasi:cli/stdout@0.3.0",
            "wasi:cli/stdout",
            "yoi:host/https@1.1.0",
            "yoi:host/http@1.0.0",
            "yoi:plugin/tools@1.0.0",
        ] {
            assert!(!is_provided(name), "{name}");
        }
    }
}
