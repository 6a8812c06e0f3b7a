//! The legacy adapter: raw core modules on `yoi-plugin-wasm-1`.
//!
//! The module exports `memory` and `yoi_call: () -> i32` and may import only
//! these functions from module `yoi`:
//!
//! | import | signature | meaning |
//! |---|---|---|
//! | `tool_name_len` | `() -> i32` | length of the tool name |
//! | `tool_name_read` | `(ptr: i32)` | copy the tool name to `ptr` |
//! | `input_len` | `() -> i32` | length of the input JSON |
//! | `input_read` | `(ptr: i32)` | copy the input JSON to `ptr` |
//! | `output_write` | `(ptr: i32, len: i32)` | hand over the output bytes |
//!
//! `yoi_call` returns 0 (output is the JSON result), 1 (failed), 2
//! (invalid input) or 3 (no such tool); for 1-3 the output is a UTF-8
//! message. Legacy modules get **no host APIs and no WASI**: the ABI has no
//! way to express grants, so it is kept to pure computation on its input.

use wasmtime::{
    Caller, Extern, Instance, InstancePre, Linker, Memory, Module, Store, TypedFunc, ValType,
};

use crate::error::{CallError, CallErrorKind};
use crate::limits::Limits;
use crate::output::Content;
use crate::state::StoreState;

const MODULE: &str = "yoi";
const IMPORTS: [(&str, &[ValType], &[ValType]); 5] = [
    ("tool_name_len", &[], &[ValType::I32]),
    ("tool_name_read", &[ValType::I32], &[]),
    ("input_len", &[], &[ValType::I32]),
    ("input_read", &[ValType::I32], &[]),
    ("output_write", &[ValType::I32, ValType::I32], &[]),
];

pub(crate) fn add_to_linker(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "tool_name_len", |c: Caller<'_, StoreState>| {
        c.data().legacy.tool.len() as i32
    })?;
    linker.func_wrap(
        MODULE,
        "tool_name_read",
        |mut c: Caller<'_, StoreState>, ptr: i32| {
            let data = c.data().legacy.tool.clone();
            write_guest(&mut c, ptr, &data)
        },
    )?;
    linker.func_wrap(MODULE, "input_len", |c: Caller<'_, StoreState>| {
        c.data().legacy.input.len() as i32
    })?;
    linker.func_wrap(
        MODULE,
        "input_read",
        |mut c: Caller<'_, StoreState>, ptr: i32| {
            let data = std::mem::take(&mut c.data_mut().legacy.input);
            let r = write_guest(&mut c, ptr, &data);
            c.data_mut().legacy.input = data;
            r
        },
    )?;
    linker.func_wrap(
        MODULE,
        "output_write",
        |mut c: Caller<'_, StoreState>, ptr: i32, len: i32| {
            let len = len as u32 as usize;
            if len > c.data().legacy.max_output {
                c.data_mut().legacy.output_too_large = true;
                wasmtime::bail!("output of {len} bytes exceeds the limit");
            }
            let memory = memory(&mut c)?;
            let start = ptr as u32 as usize;
            let bytes = memory
                .data(&c)
                .get(start..start.saturating_add(len))
                .ok_or_else(|| wasmtime::format_err!("output_write: range out of bounds"))?
                .to_vec();
            c.data_mut().legacy.output = Some(bytes);
            Ok(())
        },
    )?;
    Ok(())
}

fn memory(c: &mut Caller<'_, StoreState>) -> wasmtime::Result<Memory> {
    match c.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => wasmtime::bail!("the module exports no memory"),
    }
}

fn write_guest(c: &mut Caller<'_, StoreState>, ptr: i32, data: &[u8]) -> wasmtime::Result<()> {
    let memory = memory(c)?;
    memory
        .write(c, ptr as u32 as usize, data)
        .map_err(|_| wasmtime::format_err!("write to guest memory out of bounds"))
}

/// Check the module against the ABI before anything runs.
pub(crate) fn check(module: &Module) -> Result<(), LegacyProblem> {
    for import in module.imports() {
        let name = format!("{}::{}", import.module(), import.name());
        let expected = IMPORTS
            .iter()
            .find(|(n, _, _)| import.module() == MODULE && *n == import.name());
        let Some((_, params, results)) = expected else {
            return Err(LegacyProblem::Import(yoi_manifest::bounded(&name, 200)));
        };
        let ok = import.ty().func().is_some_and(|f| {
            f.params()
                .map(|p| p.to_string())
                .eq(params.iter().map(|p| p.to_string()))
                && f.results()
                    .map(|p| p.to_string())
                    .eq(results.iter().map(|p| p.to_string()))
        });
        if !ok {
            return Err(LegacyProblem::Abi(format!(
                "import `{name}` has the wrong type"
            )));
        }
    }
    let has_memory = module
        .exports()
        .any(|e| e.name() == "memory" && e.ty().memory().is_some());
    if !has_memory {
        return Err(LegacyProblem::Abi("missing export `memory`".into()));
    }
    let call_ok = module.exports().any(|e| {
        e.name() == "yoi_call"
            && e.ty().func().is_some_and(|f| {
                f.params().len() == 0 && f.results().map(|r| r.to_string()).eq(["i32".to_string()])
            })
    });
    if !call_ok {
        return Err(LegacyProblem::Abi(
            "missing export `yoi_call: func() -> i32`".into(),
        ));
    }
    Ok(())
}

pub(crate) enum LegacyProblem {
    Import(String),
    Abi(String),
}

pub(crate) struct LegacyInstance {
    call: TypedFunc<(), i32>,
}

pub(crate) async fn instantiate(
    pre: &InstancePre<StoreState>,
    store: &mut Store<StoreState>,
) -> wasmtime::Result<LegacyInstance> {
    let instance: Instance = pre.instantiate_async(&mut *store).await?;
    let call = instance.get_typed_func::<(), i32>(&mut *store, "yoi_call")?;
    Ok(LegacyInstance { call })
}

pub(crate) async fn call(
    instance: &LegacyInstance,
    store: &mut Store<StoreState>,
    tool: &str,
    input: &str,
    limits: &Limits,
) -> wasmtime::Result<Result<Vec<Content>, CallError>> {
    {
        let l = &mut store.data_mut().legacy;
        l.tool = tool.as_bytes().to_vec();
        l.input = input.as_bytes().to_vec();
        l.output = None;
        l.output_too_large = false;
        l.max_output = limits.max_output_bytes;
    }
    let code = instance.call.call_async(&mut *store, ()).await?;
    let output = store.data_mut().legacy.output.take().unwrap_or_default();
    store.data_mut().legacy.input.clear();
    let message = || {
        yoi_manifest::bounded(
            &String::from_utf8_lossy(&output),
            limits.max_error_message_bytes,
        )
    };
    Ok(match code {
        0 => match serde_json::from_slice(&output) {
            Ok(json) => Ok(vec![Content::Json { json }]),
            Err(e) => Err(CallError::new(
                CallErrorKind::BadOutput,
                format!("the plugin's output is not valid JSON: {e}"),
            )),
        },
        1 => Err(CallError::new(CallErrorKind::Failed, message())),
        2 => Err(CallError::new(CallErrorKind::InvalidInput, message())),
        3 => Err(CallError::new(CallErrorKind::NotFound, message())),
        other => Err(CallError::new(
            CallErrorKind::BadOutput,
            format!("`yoi_call` returned {other}, which the ABI does not define"),
        )),
    })
}
