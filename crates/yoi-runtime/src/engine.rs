//! The one shared engine, its linkers, and the epoch ticker.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine};

use crate::error::RuntimeError;
use crate::limits::Limits;
use crate::state::StoreState;

/// How often the epoch advances. A running guest yields to the executor at
/// each tick, so a deadline is noticed within about one tick.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// How to build a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Root of the digest-keyed cache (`$XDG_CACHE_HOME/yoi`): materialized
    /// packages under `packages/`, compiled artifacts under `compiled/`.
    pub cache_root: PathBuf,
    pub limits: Limits,
}

impl RuntimeConfig {
    /// The default cache root: `$XDG_CACHE_HOME/yoi`, else `~/.cache/yoi`.
    pub fn default_cache_root() -> Option<PathBuf> {
        let abs = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
        std::env::var_os("XDG_CACHE_HOME")
            .and_then(abs)
            .or_else(|| {
                std::env::var_os("HOME")
                    .and_then(abs)
                    .map(|h| h.join(".cache"))
            })
            .map(|d| d.join("yoi"))
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
    pub fn new(config: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        let engine_err = |e: wasmtime::Error| RuntimeError::Engine {
            message: format!("{e:#}"),
        };
        let mut wasm = Config::new();
        wasm.epoch_interruption(true)
            .wasm_component_model(true)
            .max_wasm_stack(1 << 20)
            .async_stack_size(4 << 20);
        let engine = Engine::new(&wasm).map_err(engine_err)?;

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

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn cache_root(&self) -> &std::path::Path {
        &self.inner.cache_root
    }
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
