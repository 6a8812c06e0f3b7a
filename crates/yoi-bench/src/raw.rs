//! The engine's limit: the echo component called through bare wasmtime.
//!
//! No registry, session, schema checks, limits, deadlines or output
//! conversion: a compiled component, an `InstancePre`, a store with the
//! default (empty) WASI context, and the generated `call` binding. Two
//! configurations:
//!
//! - [`Flavor::Bare`]: `Config::default()` and synchronous calls, what a
//!   host with no deadlines would write. These are the contract baselines
//!   (`wasmtime_raw_warm`, `wasmtime_raw_fresh_pooling`).
//! - [`Flavor::YoiLike`]: yoi's engine settings (epoch interruption, its
//!   stack sizes), a store state like yoi's (bounded stdout/stderr pipes, a
//!   resource limiter, an epoch callback) and async calls. The difference to
//!   `Bare` is what deadlines cost; the difference to yoi is yoi's own layers.
//!
//! Each flavor runs with the on-demand or the pooling instance allocator.

use std::time::Instant;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store,
    StoreLimits, StoreLimitsBuilder, UpdateDeadline,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

mod bindings {
    wasmtime::component::bindgen!({
        path: ["../../wit/host", "../../wit/plugin"],
        world: "yoi:plugin/tool",
    });
}

mod async_bindings {
    wasmtime::component::bindgen!({
        path: ["../../wit/host", "../../wit/plugin"],
        world: "yoi:plugin/tool",
        imports: { default: async },
        exports: { default: async },
    });
}

use bindings::yoi::plugin::types::ToolCall;

/// Engine settings and store state; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Bare,
    YoiLike,
}

/// The instance allocator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alloc {
    OnDemand,
    /// `PoolingAllocationConfig::default()`.
    Pooling,
}

/// What a store carries: WASI, and for [`Flavor::YoiLike`] limits too.
pub struct RawState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for RawState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl RawState {
    fn new(flavor: Flavor) -> RawState {
        let wasi = match flavor {
            Flavor::Bare => WasiCtx::builder().build(),
            Flavor::YoiLike => WasiCtxBuilder::new()
                .stdout(MemoryOutputPipe::new(16 << 10))
                .stderr(MemoryOutputPipe::new(16 << 10))
                .allow_tcp(false)
                .allow_udp(false)
                .allow_ip_name_lookup(false)
                .build(),
        };
        RawState {
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(256 << 20)
                .table_elements(100_000)
                .build(),
        }
    }

    fn limiter(&mut self) -> &mut dyn ResourceLimiter {
        &mut self.limits
    }
}

enum Pre {
    Sync(bindings::ToolPre<RawState>),
    Async(async_bindings::ToolPre<RawState>),
}

/// A compiled, pre-linked echo component.
pub struct RawEngine {
    engine: Engine,
    flavor: Flavor,
    pre: Pre,
}

/// A live instance and its store.
pub struct RawInstance {
    store: Store<RawState>,
    tool: Tool,
}

enum Tool {
    Sync(bindings::Tool),
    Async(async_bindings::Tool),
}

impl RawEngine {
    /// Compile `component` (the echo artifact) and link it.
    pub fn new(component: &[u8], flavor: Flavor, alloc: Alloc) -> anyhow::Result<RawEngine> {
        let mut config = Config::new();
        if flavor == Flavor::YoiLike {
            config
                .epoch_interruption(true)
                .max_wasm_stack(1 << 20)
                .async_stack_size(4 << 20);
        }
        if alloc == Alloc::Pooling {
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(
                PoolingAllocationConfig::default(),
            ));
        }
        let engine = Engine::new(&config)?;
        let component = Component::new(&engine, component)?;
        let mut linker = Linker::<RawState>::new(&engine);
        linker.instance("yoi:plugin/types@1.0.0")?;
        let pre = match flavor {
            Flavor::Bare => {
                wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
                Pre::Sync(bindings::ToolPre::new(linker.instantiate_pre(&component)?)?)
            }
            Flavor::YoiLike => {
                wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
                Pre::Async(async_bindings::ToolPre::new(
                    linker.instantiate_pre(&component)?,
                )?)
            }
        };
        Ok(RawEngine {
            engine,
            flavor,
            pre,
        })
    }

    fn store(&self) -> Store<RawState> {
        let mut store = Store::new(&self.engine, RawState::new(self.flavor));
        if self.flavor == Flavor::YoiLike {
            store.limiter(|s| s.limiter());
            let deadline = Instant::now() + std::time::Duration::from_secs(10);
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(move |_| {
                if Instant::now() >= deadline {
                    Ok(UpdateDeadline::Interrupt)
                } else {
                    Ok(UpdateDeadline::Yield(1))
                }
            });
        }
        store
    }

    /// A new instance in a new store ([`Flavor::Bare`]).
    pub fn instantiate(&self) -> anyhow::Result<RawInstance> {
        let Pre::Sync(pre) = &self.pre else {
            anyhow::bail!("an async engine: use `instantiate_async`");
        };
        let mut store = self.store();
        let tool = pre.instantiate(&mut store)?;
        Ok(RawInstance {
            store,
            tool: Tool::Sync(tool),
        })
    }

    /// A new instance in a new store ([`Flavor::YoiLike`]).
    pub async fn instantiate_async(&self) -> anyhow::Result<RawInstance> {
        let Pre::Async(pre) = &self.pre else {
            anyhow::bail!("a sync engine: use `instantiate`");
        };
        let mut store = self.store();
        let tool = pre.instantiate_async(&mut store).await?;
        Ok(RawInstance {
            store,
            tool: Tool::Async(tool),
        })
    }
}

impl RawInstance {
    /// Call `echo` with `input`; returns the output's length.
    pub fn call(&mut self, input: &str) -> anyhow::Result<usize> {
        let Tool::Sync(tool) = &self.tool else {
            anyhow::bail!("an async instance: use `call_async`");
        };
        let call = ToolCall {
            tool: "echo".to_owned(),
            input: input.to_owned(),
        };
        let output = tool
            .yoi_plugin_tools()
            .call_call(&mut self.store, &call)?
            .map_err(|e| anyhow::anyhow!("echo failed: {}", e.message))?;
        Ok(output.content.len())
    }

    /// Call `echo` with `input` asynchronously; returns the output's length.
    pub async fn call_async(&mut self, input: &str) -> anyhow::Result<usize> {
        let Tool::Async(tool) = &self.tool else {
            anyhow::bail!("a sync instance: use `call`");
        };
        let call = async_bindings::yoi::plugin::types::ToolCall {
            tool: "echo".to_owned(),
            input: input.to_owned(),
        };
        let output = tool
            .yoi_plugin_tools()
            .call_call(&mut self.store, &call)
            .await?
            .map_err(|e| anyhow::anyhow!("echo failed: {}", e.message))?;
        Ok(output.content.len())
    }

    /// The JSON text of the first content item of a call, for checking.
    pub fn echo_text(&mut self, input: &str) -> anyhow::Result<String> {
        let Tool::Sync(tool) = &self.tool else {
            anyhow::bail!("an async instance");
        };
        let call = ToolCall {
            tool: "echo".to_owned(),
            input: input.to_owned(),
        };
        let output = tool
            .yoi_plugin_tools()
            .call_call(&mut self.store, &call)?
            .map_err(|e| anyhow::anyhow!("echo failed: {}", e.message))?;
        match output.content.into_iter().next() {
            Some(bindings::yoi::plugin::types::Content::Json(s))
            | Some(bindings::yoi::plugin::types::Content::Text(s)) => Ok(s),
            None => anyhow::bail!("echo returned no content"),
        }
    }
}
