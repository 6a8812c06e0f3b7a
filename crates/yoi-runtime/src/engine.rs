//! The one shared engine, its linkers, and the epoch ticker.
//!
//! Instances are allocated from wasmtime's pooling allocator: linear
//! memories, tables and async stacks come from slots reserved once per
//! engine, so a fresh instance costs no `mmap`/`munmap`. Should the pool
//! not be available (its address space cannot be reserved, or the limits do
//! not fit a slot), the engine is built with the on-demand allocator instead;
//! the sandbox guarantees are the same either way, only speed differs.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::RuntimeError;
use crate::limits::Limits;
use crate::state::StoreState;

/// How often the epoch advances. A running guest yields to the executor at
/// each tick, so a deadline is noticed within about one tick.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Component instances the pool holds at once: warm idle instances (up to 16
/// per plugin), stateful instances and calls in flight together. A fresh
/// instance past this fails its call with [`crate::CallErrorKind::Unavailable`].
const POOL_INSTANCES: u32 = 256;
/// Core instances, tables and memories per component instance the pool is
/// sized for (a `wasm32-wasip2` component has a few core instances; one
/// memory; a table or two).
const POOL_CORE_PER_INSTANCE: u32 = 8;
const POOL_TABLES_PER_INSTANCE: u32 = 2;
/// Bytes at the start of a returned memory or table slot reset with `memset`
/// rather than given back to the kernel, so the next instance in the slot
/// takes no page faults on them. Small on purpose: where the kernel cannot
/// report dirty pages the whole range is cleared on every return, and at
/// 1 MiB that `memset` cost more than the faults it saves.
const POOL_MEMORY_KEEP_RESIDENT: usize = 64 << 10;
const POOL_TABLE_KEEP_RESIDENT: usize = 16 << 10;
/// wasmtime's default linear-memory reservation on 64-bit hosts. Each pool
/// slot reserves this much address space (plus a guard) and no bounds checks
/// are compiled for 32-bit memories: about 1 TiB of address space per engine
/// for [`POOL_INSTANCES`] memories, none of it backed until an instance uses it.
const MEMORY_RESERVATION: u64 = 1 << 32;

/// How to build a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Root of the digest-keyed cache (`$XDG_CACHE_HOME/yoi`): materialized
    /// packages under `packages/`, compiled artifacts under `compiled/`.
    pub cache_root: PathBuf,
    /// The limits every call runs under.
    pub limits: Limits,
}

impl RuntimeConfig {
    /// The default cache root: `$XDG_CACHE_HOME/yoi`, else `~/.cache/yoi`.
    pub fn default_cache_root() -> Option<PathBuf> {
        yoi_package::default_cache_root()
    }
}

/// The sandbox: create once per process and share.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) engine: Engine,
    pub(crate) component_linker: wasmtime::component::Linker<StoreState>,
    pub(crate) core_linker: wasmtime::Linker<StoreState>,
    pub(crate) cache_root: PathBuf,
    pub(crate) limits: Limits,
    /// Hex of the engine's precompile compatibility hash: part of every compiled-cache key.
    pub(crate) engine_key: String,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// Build the engine and its linkers, and start the epoch ticker that
    /// enforces call deadlines. Limits past their bounds in [`Limits::MAX`]
    /// are refused: the runtime's arithmetic on them relies on the bounds.
    pub fn new(config: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        config.limits.check()?;
        let engine_err = |e: wasmtime::Error| RuntimeError::Engine {
            message: format!("{e:#}"),
        };
        let mut wasm = Config::new();
        wasm.epoch_interruption(true)
            .wasm_component_model(true)
            .max_wasm_stack(1 << 20)
            .async_stack_size(4 << 20);
        let engine = match pooled_engine(&wasm, &config.limits) {
            Some(engine) => engine,
            None => Engine::new(&wasm).map_err(engine_err)?,
        };

        let mut component_linker = wasmtime::component::Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut component_linker).map_err(engine_err)?;
        crate::component::add_to_linker(&mut component_linker).map_err(engine_err)?;
        let mut core_linker = wasmtime::Linker::new(&engine);
        crate::legacy::add_to_linker(&mut core_linker).map_err(engine_err)?;

        let engine_key = {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            engine.precompile_compatibility_hash().hash(&mut h);
            format!("{:016x}", h.finish())
        };
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.weak(), ticker_stop.clone());
        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                component_linker,
                core_linker,
                cache_root: config.cache_root,
                limits: config.limits,
                engine_key,
                ticker_stop,
            }),
        })
    }

    /// The shared wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The root of the digest-keyed cache.
    pub fn cache_root(&self) -> &std::path::Path {
        &self.inner.cache_root
    }
}

/// An engine with the pooling allocator, or `None` if one cannot be made here.
///
/// The pool does not replace the store's [`crate::state`] limiter, which
/// still refuses every memory or table growth past [`Limits`] first (and so
/// reports it as a limit). The pool's own memory cap is the full slot: a
/// smaller one would refuse, at load rather than per call, a module whose
/// *initial* memory is past the limit. Tables are capped at
/// `table_elements`, since each table slot is sized by it: a module whose
/// initial table is past the limit is refused at load.
fn pooled_engine(base: &Config, limits: &Limits) -> Option<Engine> {
    if limits.memory_bytes as u64 > MEMORY_RESERVATION || cfg!(not(target_pointer_width = "64")) {
        return None;
    }
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(POOL_INSTANCES)
        .total_core_instances(POOL_INSTANCES * POOL_CORE_PER_INSTANCE)
        .total_memories(POOL_INSTANCES)
        .total_tables(POOL_INSTANCES * POOL_TABLES_PER_INSTANCE)
        .total_stacks(POOL_INSTANCES)
        .max_memory_size(usize::try_from(MEMORY_RESERVATION).ok()?)
        .table_elements(limits.table_elements)
        .linear_memory_keep_resident(POOL_MEMORY_KEEP_RESIDENT)
        .table_keep_resident(POOL_TABLE_KEEP_RESIDENT);
    let mut wasm = base.clone();
    wasm.memory_reservation(MEMORY_RESERVATION)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&wasm).ok()
}

/// Advance the epoch every [`EPOCH_TICK`] until the runtime is dropped.
fn spawn_ticker(engine: wasmtime::EngineWeak, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("yoi-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                match engine.upgrade() {
                    Some(e) => e.increment_epoch(),
                    None => break,
                }
            }
        })
        .expect("spawning the epoch thread");
}
