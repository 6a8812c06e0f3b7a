//! A loaded plugin: compiled code, pre-linked, plus a small pool of warm
//! instances. Calls reuse a warm instance when one is idle; an instance that
//! trapped, timed out or hit a limit is discarded, never reused.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use wasmtime::{PoolConcurrencyLimitError, Store, Trap, UpdateDeadline};
use yoi_host_apis::HostApis;
use yoi_manifest::Runtime as ManifestRuntime;
use yoi_package::{BinaryKind, Package};

pub use crate::cache::LoadSource;
use crate::cache::{Compiled, CompiledCache, Kind};
use crate::component::{self, ComponentInstance, ComponentPre, PreError};
use crate::engine::{Inner, Runtime};
use crate::error::{CallError, CallErrorKind, RuntimeError};
use crate::host::DeadlineExceeded;
use crate::legacy::{self, LegacyInstance, LegacyProblem};
use crate::output::{Content, ToolOutput};
use crate::state::StoreState;

/// Warm instances kept per plugin.
const MAX_IDLE: usize = 16;
/// Extra time past the deadline before the call future itself is dropped.
/// Guest code is interrupted at the deadline by the epoch callback; this
/// outer bound catches time spent inside host calls.
pub(crate) const HOST_GRACE: Duration = Duration::from_millis(20);

pub(crate) enum Pre {
    Component(ComponentPre),
    Legacy(wasmtime::InstancePre<StoreState>),
}

pub(crate) enum Instance {
    Component(ComponentInstance),
    Legacy(LegacyInstance),
}

pub(crate) struct Warm {
    pub(crate) store: Store<StoreState>,
    pub(crate) instance: Instance,
}

/// A plugin ready to call.
pub struct LoadedPlugin {
    pub(crate) label: String,
    source: LoadSource,
    cache_diagnostic: Option<String>,
    pub(crate) runtime: Arc<Inner>,
    host: Arc<HostApis>,
    pre: Pre,
    idle: Mutex<Vec<Warm>>,
    /// The one long-lived instance of an `instance`-world plugin.
    pub(crate) stateful: Option<crate::stateful::Stateful>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("label", &self.label)
            .field("source", &self.source)
            .finish()
    }
}

/// How a plugin is loaded: what its host API calls are checked against,
/// and the configuration an `instance`-world plugin is started with. The
/// default grants no host API and passes an empty configuration.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The host API policies built from the plugin's grants.
    pub host: Arc<HostApis>,
    /// The plugin's configuration, a JSON object.
    pub config_json: String,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            host: HostApis::none(),
            config_json: "{}".to_owned(),
        }
    }
}

impl Runtime {
    /// Load `package` (already resolved and pinned) under the name `label`.
    ///
    /// Compiled code comes from the compiled cache when valid; otherwise the
    /// package is materialized into the digest-keyed cache (and re-verified)
    /// and its artifact compiled from there, never from the mutable store.
    pub fn load(
        &self,
        label: &str,
        package: &Package,
        options: LoadOptions,
    ) -> Result<LoadedPlugin, RuntimeError> {
        let LoadOptions { host, config_json } = options;
        let config_json = config_json.as_str();
        let inner = &self.inner;
        let manifest = package.manifest();
        let (kind, world) = match &manifest.runtime {
            ManifestRuntime::Component { world, .. } => (Kind::Component, *world),
            ManifestRuntime::Legacy { .. } => (Kind::Module, yoi_manifest::World::Tool),
        };
        let found = package.artifact_kind();
        let expected = match kind {
            Kind::Component => BinaryKind::Component,
            Kind::Module => BinaryKind::CoreModule,
        };
        if found != expected {
            return Err(RuntimeError::KindMismatch {
                plugin: label.to_owned(),
                expected: if matches!(kind, Kind::Component) {
                    "a component (`wasm-component`)"
                } else {
                    "a core module (`wasm`)"
                },
                found: found.as_str(),
            });
        }
        let cache = CompiledCache {
            engine: &inner.engine,
            root: &inner.cache_root,
            engine_key: &inner.engine_key,
        };
        let digest_hex = package.digest().hex();
        let (cached, mut doubt) = match cache.get(&digest_hex, kind) {
            Ok(cached) => (cached, None),
            Err(doubt) => (None, Some(doubt)),
        };
        let (compiled, source) = match cached {
            Some(c) => (c, LoadSource::Cache),
            None => {
                let pkg_err = |source| RuntimeError::Package {
                    plugin: label.to_owned(),
                    source,
                };
                let materialized =
                    match yoi_package::load_materialized(&inner.cache_root, &package.digest()) {
                        Ok(m) => m,
                        Err(_) => {
                            yoi_package::materialize(&inner.cache_root, package).map_err(pkg_err)?
                        }
                    };
                let wasm = materialized.package().artifact();
                let (compiled, not_stored) = cache
                    .compile_and_store(&digest_hex, kind, wasm)
                    .map_err(|e| RuntimeError::Compile {
                        plugin: label.to_owned(),
                        message: yoi_manifest::bounded(&format!("{e:#}"), 600),
                    })?;
                doubt = doubt.or(not_stored);
                (compiled, LoadSource::Compiled)
            }
        };
        let pre = match compiled {
            Compiled::Component(c) => Pre::Component(
                ComponentPre::new(&inner.component_linker, &c, manifest, world).map_err(
                    |e| match e {
                        PreError::Import(import) => RuntimeError::UnsupportedImport {
                            plugin: label.to_owned(),
                            import,
                        },
                        PreError::HostApiNotRequested(api) => RuntimeError::HostApiNotRequested {
                            plugin: label.to_owned(),
                            api: api.as_str(),
                        },
                        PreError::World(message) => RuntimeError::WrongWorld {
                            plugin: label.to_owned(),
                            world: world.as_str(),
                            message: yoi_manifest::bounded(&message, 400),
                        },
                    },
                )?,
            ),
            Compiled::Module(m) => {
                legacy::check(&m).map_err(|p| match p {
                    LegacyProblem::Import(import) => RuntimeError::UnsupportedImport {
                        plugin: label.to_owned(),
                        import,
                    },
                    LegacyProblem::Abi(message) => RuntimeError::BadLegacyModule {
                        plugin: label.to_owned(),
                        message,
                    },
                })?;
                let pre = inner.core_linker.instantiate_pre(&m).map_err(|e| {
                    RuntimeError::UnsupportedImport {
                        plugin: label.to_owned(),
                        import: component::import_name(&e),
                    }
                })?;
                Pre::Legacy(pre)
            }
        };
        Ok(LoadedPlugin {
            label: label.to_owned(),
            source,
            cache_diagnostic: doubt.map(|d| {
                yoi_manifest::bounded(
                    &format!("the compiled cache was not used: {d}; compiled the package again"),
                    600,
                )
            }),
            runtime: self.inner.clone(),
            host,
            pre,
            idle: Mutex::new(Vec::new()),
            stateful: (world == yoi_manifest::World::Instance)
                .then(|| crate::stateful::Stateful::new(config_json)),
        })
    }
}

impl LoadedPlugin {
    /// The name the plugin was loaded under, as its errors show it.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether the compiled code came from the cache.
    pub fn load_source(&self) -> LoadSource {
        self.source
    }

    /// Why the compiled cache was not used or not written for this load
    /// (a directory or file that failed its ownership checks, a MAC that
    /// did not match, a key file that is not private), if it was not: one
    /// diagnostic per load, for the front end to show. `None` when the
    /// cache served the load or the entry was simply not there yet.
    pub fn cache_diagnostic(&self) -> Option<&str> {
        self.cache_diagnostic.as_deref()
    }

    /// Call `tool` with `input` (JSON text), reusing a warm instance if one
    /// is idle. An `instance`-world plugin's calls all go to its one instance
    /// (started on first use), one at a time.
    pub async fn call(&self, tool: &str, input: &str) -> Result<ToolOutput, CallError> {
        if self.stateful.is_some() {
            return self.call_stateful(tool, input).await;
        }
        let warm = self.idle.lock().pop();
        self.call_on(warm, tool, input, true).await
    }

    /// Call `tool` on a brand-new instance, discarded afterwards. For an
    /// `instance`-world plugin this is [`Self::call`]: its state lives in
    /// its one instance.
    pub async fn call_fresh(&self, tool: &str, input: &str) -> Result<ToolOutput, CallError> {
        if self.stateful.is_some() {
            return self.call_stateful(tool, input).await;
        }
        self.call_on(None, tool, input, false).await
    }

    async fn call_on(
        &self,
        warm: Option<Warm>,
        tool: &str,
        input: &str,
        keep: bool,
    ) -> Result<ToolOutput, CallError> {
        let limits = &self.runtime.limits;
        if input.len() > limits.max_input_bytes {
            return Err(CallError::new(
                CallErrorKind::InputTooLarge,
                format!(
                    "the input is {} bytes; the limit is {}",
                    input.len(),
                    limits.max_input_bytes
                ),
            ));
        }
        let deadline = Instant::now() + limits.deadline;
        let work = async {
            let mut warm = match warm {
                Some(mut w) => {
                    // The epoch has moved on while the instance was idle:
                    // count from now, or the guest would yield at once.
                    w.store.set_epoch_deadline(1);
                    w
                }
                None => self
                    .instantiate(deadline)
                    .await
                    .map_err(|(e, store)| (e, Some(store)))?,
            };
            warm.store.data_mut().deadline = Some(deadline);
            let result = match &warm.instance {
                Instance::Component(i) => {
                    component::call(i, &mut warm.store, tool, input, limits).await
                }
                Instance::Legacy(i) => legacy::call(i, &mut warm.store, tool, input, limits).await,
            };
            match result {
                Ok(r) => Ok((r, warm)),
                Err(e) => Err((e, Some(warm.store))),
            }
        };
        // The store is moved into the future; on timeout it is dropped with it.
        let outer = tokio::time::Instant::from_std(deadline + HOST_GRACE);
        match tokio::time::timeout_at(outer, work).await {
            Err(_) => Err(self.timed_out()),
            Ok(Err((e, store))) => Err(self.failure(&e, store)),
            Ok(Ok((result, mut warm))) => {
                warm.store.data_mut().deadline = None;
                let diagnostics = warm.store.data_mut().take_diagnostics();
                if keep {
                    let mut idle = self.idle.lock();
                    if idle.len() < MAX_IDLE {
                        idle.push(warm);
                    }
                }
                match result {
                    Ok(content) => Ok(ToolOutput {
                        content,
                        diagnostics,
                    }),
                    Err(mut e) => {
                        e.diagnostics = diagnostics;
                        Err(e)
                    }
                }
            }
        }
    }

    /// The structured error for a trap or host failure, with what the guest
    /// printed. The store is discarded afterwards.
    pub(crate) fn failure(
        &self,
        e: &wasmtime::Error,
        mut store: Option<Store<StoreState>>,
    ) -> CallError {
        let limits = &self.runtime.limits;
        // Read the limiter's flag first: `take_diagnostics` resets it, and a
        // refused growth must be reported as `MemoryLimit`, not as the
        // generic trap (an abort) it causes in the guest.
        let limit_hit = store.as_ref().is_some_and(|s| s.data().limit_hit());
        let diagnostics = store
            .as_mut()
            .map(|s| s.data_mut().take_diagnostics())
            .unwrap_or_default();
        let output_too_large = store
            .as_ref()
            .is_some_and(|s| s.data().legacy.output_too_large);
        let mut err = if output_too_large {
            CallError::new(
                CallErrorKind::OutputTooLarge,
                format!(
                    "`{}`: the output exceeds the limit of {} bytes",
                    self.label, limits.max_output_bytes
                ),
            )
        } else {
            classify(&self.label, e, limit_hit, limits.deadline)
        };
        err.diagnostics = diagnostics;
        err
    }

    /// The error for a call that outlived its deadline inside a host call.
    pub(crate) fn timed_out(&self) -> CallError {
        CallError::new(
            CallErrorKind::Timeout,
            format!(
                "`{}` did not finish within {} ms and was stopped",
                self.label,
                self.runtime.limits.deadline.as_millis()
            ),
        )
    }

    /// A new instance in a new store. If the engine's instance pool is full,
    /// this plugin's idle instances are given back and it is tried once more.
    pub(crate) async fn instantiate(
        &self,
        deadline: Instant,
    ) -> Result<Warm, (wasmtime::Error, Store<StoreState>)> {
        let result = self.instantiate_once(deadline).await;
        if let Err((e, _)) = &result
            && e.downcast_ref::<PoolConcurrencyLimitError>().is_some()
        {
            let idle = std::mem::take(&mut *self.idle.lock());
            if !idle.is_empty() {
                drop((idle, result));
                return self.instantiate_once(deadline).await;
            }
        }
        result
    }

    async fn instantiate_once(
        &self,
        deadline: Instant,
    ) -> Result<Warm, (wasmtime::Error, Store<StoreState>)> {
        let mut store = Store::new(
            &self.runtime.engine,
            StoreState::new(&self.runtime.limits, self.host.clone()),
        );
        store.limiter(|s| s.limiter());
        if let Err(e) = store.data_mut().open_preopens() {
            return Err((e, store));
        }
        store.data_mut().deadline = Some(deadline);
        // Every tick, a running guest yields to the executor, so timers and
        // other tasks run; past the deadline, it is interrupted with a trap.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            if ctx.data().deadline.is_some_and(|d| Instant::now() >= d) {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        let instance = match &self.pre {
            Pre::Component(pre) => pre.instantiate(&mut store).await.map(Instance::Component),
            Pre::Legacy(pre) => legacy::instantiate(pre, &mut store)
                .await
                .map(Instance::Legacy),
        };
        match instance {
            Ok(instance) => Ok(Warm { store, instance }),
            Err(e) => Err((e, store)),
        }
    }
}

/// Turn a trap or host failure into a structured error.
pub(crate) fn classify(
    label: &str,
    err: &wasmtime::Error,
    limit_hit: bool,
    deadline: Duration,
) -> CallError {
    let trap = err.downcast_ref::<Trap>().copied();
    let text = format!("{err:#}");
    if limit_hit {
        return CallError::new(
            CallErrorKind::MemoryLimit,
            format!("`{label}` tried to grow its memory or tables past the limit and was stopped"),
        );
    }
    if let Some(full) = err.downcast_ref::<PoolConcurrencyLimitError>() {
        return CallError::new(
            CallErrorKind::Unavailable,
            format!(
                "`{label}` could not get a new instance: {full}; try again when fewer calls are running"
            ),
        );
    }
    let timed_out = err.downcast_ref::<DeadlineExceeded>().is_some();
    match trap {
        _ if timed_out => CallError::new(
            CallErrorKind::Timeout,
            format!(
                "`{label}` did not finish within {} ms and was stopped (in a host call)",
                deadline.as_millis()
            ),
        ),
        Some(Trap::Interrupt) => CallError::new(
            CallErrorKind::Timeout,
            format!(
                "`{label}` did not finish within {} ms and was stopped",
                deadline.as_millis()
            ),
        ),
        Some(Trap::StackOverflow) => CallError::new(
            CallErrorKind::Trap,
            format!("`{label}` overflowed its stack"),
        ),
        Some(Trap::UnreachableCodeReached) => CallError::new(
            CallErrorKind::Trap,
            format!(
                "`{label}` trapped (unreachable code: a panic or abort in the guest); see stderr"
            ),
        ),
        Some(t) => CallError::new(CallErrorKind::Trap, format!("`{label}` trapped: {t}")),
        None if text.to_ascii_lowercase().contains("utf-8") || text.contains("utf8") => {
            CallError::new(
                CallErrorKind::BadOutput,
                format!("`{label}` returned a string that is not valid UTF-8"),
            )
        }
        None => CallError::new(
            CallErrorKind::Trap,
            format!("`{label}` failed: {}", yoi_manifest::bounded(&text, 600)),
        ),
    }
}

impl Content {
    /// Total bytes of text and JSON held.
    pub fn len_hint(&self) -> usize {
        match self {
            Content::Text { text } => text.len(),
            Content::Json { json } => json.to_string().len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full instance pool is a plugin that cannot run now, not a crash.
    #[test]
    fn a_full_instance_pool_is_unavailable() {
        let mut pool = wasmtime::PoolingAllocationConfig::new();
        pool.total_core_instances(1)
            .total_memories(1)
            .total_tables(1)
            .total_stacks(1);
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        let engine = wasmtime::Engine::new(&config).unwrap();
        let wasm = wat::parse_str("(module (memory 1))").unwrap();
        let module = wasmtime::Module::new(&engine, wasm).unwrap();
        let mut first = Store::new(&engine, ());
        let _held = wasmtime::Instance::new(&mut first, &module, &[]).unwrap();
        let mut second = Store::new(&engine, ());
        let err = wasmtime::Instance::new(&mut second, &module, &[]).unwrap_err();
        let e = classify("project:p", &err, false, Duration::from_secs(1));
        assert_eq!(e.kind, CallErrorKind::Unavailable, "{e:?}");
        assert!(
            e.message
                .contains("`project:p` could not get a new instance")
        );
    }
}
