//! [`PluginInstance`]: one enabled plugin as the host runs it.
//!
//! It owns what was resolved for the plugin, its code (loaded on first use
//! and kept: a load error is kept too, so a broken plugin is not recompiled
//! on every call), its ingresses, its event queue and its counters. Tool
//! calls, events and service steps all go through it.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use tokio::sync::mpsc;
use yoi_grants::{HttpsSettings, Protected};
use yoi_runtime::{CallError, CallErrorKind, IngressEvent, LoadOptions, LoadedPlugin, Runtime};
use yoi_workspace::ResolvedPlugin;

use crate::ingress::Ingress;

/// One enabled plugin: see the module documentation.
pub struct PluginInstance {
    resolved: ResolvedPlugin,
    reference: String,
    digest: String,
    runtime: Option<Runtime>,
    https: Arc<HttpsSettings>,
    /// yoi's own state, which the plugin's fs policy denies.
    protected: Arc<Protected>,
    pub(crate) loaded: OnceLock<Result<Arc<LoadedPlugin>, String>>,
    pub(crate) ingresses: BTreeMap<String, Ingress>,
    /// Set by `start` for a stateful plugin with a granted ingress; taken at
    /// shutdown so that no event is accepted after it.
    pub(crate) queue: Mutex<Option<mpsc::Sender<IngressEvent>>>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) services: Vec<(String, Arc<ServiceCounters>)>,
    /// What the plugin last said about itself (its `status` hook), as the
    /// registry's refresher last read it; `/status` serves this, never the
    /// hook itself.
    pub(crate) status_snapshot: Arc<Snapshot>,
}

impl std::fmt::Debug for PluginInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginInstance")
            .field("plugin", &self.reference)
            .finish()
    }
}

/// What a plugin last said about itself.
pub(crate) type Snapshot = Mutex<Option<serde_json::Value>>;

/// Event counters of one plugin.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) handled: AtomicU64,
    pub(crate) failed: AtomicU64,
}

/// Counters of one service.
#[derive(Default)]
pub(crate) struct ServiceCounters {
    pub(crate) runs: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) last_error: Mutex<Option<String>>,
}

impl PluginInstance {
    pub(crate) fn new(
        resolved: ResolvedPlugin,
        runtime: Option<Runtime>,
        https: Arc<HttpsSettings>,
        protected: Arc<Protected>,
    ) -> PluginInstance {
        let ingresses = resolved
            .ingresses
            .iter()
            .map(|g| (g.name.clone(), Ingress::new(g.clone())))
            .collect();
        let services = resolved
            .services
            .iter()
            .map(|s| (s.clone(), Arc::default()))
            .collect();
        PluginInstance {
            reference: resolved.qid.to_string(),
            digest: resolved.package.digest().to_string(),
            resolved,
            runtime,
            https,
            protected,
            loaded: OnceLock::new(),
            ingresses,
            queue: Mutex::new(None),
            counters: Arc::default(),
            services,
            status_snapshot: Arc::default(),
        }
    }

    /// What was resolved for this plugin: its grants and eligible surfaces.
    pub fn resolved(&self) -> &ResolvedPlugin {
        &self.resolved
    }

    /// The plugin's source-qualified id, as text (`project:echo`).
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The pinned package digest, as text (`sha256:…`).
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The plugin's code, loaded on first use: compiled (or taken from the
    /// compiled cache), linked, with its host API policies built from its
    /// grants. An error is kept and returned on every later use.
    pub fn loaded(&self) -> Result<Arc<LoadedPlugin>, CallError> {
        let result = self.loaded.get_or_init(|| self.load());
        result
            .clone()
            .map_err(|m| CallError::new(CallErrorKind::Unavailable, m))
    }

    fn load(&self) -> Result<Arc<LoadedPlugin>, String> {
        let Some(runtime) = &self.runtime else {
            return Err("no runtime is configured for calls".to_owned());
        };
        let label = &self.reference;
        let resolved = &self.resolved;
        let host = yoi_host_apis::HostApis::from_grants(
            &resolved.enablement.grants,
            &resolved.host_apis,
            &self.https,
            &self.protected,
        )
        .map_err(|e| format!("`{label}`: cannot set up its host APIs: {e}"))?;
        let config = serde_json::to_string(&resolved.enablement.config)
            .map_err(|e| format!("`{label}`: its config cannot be passed on: {e}"))?;
        let options = LoadOptions {
            host: Arc::new(host),
            config_json: config,
        };
        runtime
            .load(label, &resolved.package, options)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    }

    /// Whether this plugin keeps one stateful instance (`instance` world),
    /// from its manifest: nothing is loaded to answer.
    pub fn is_stateful(&self) -> bool {
        self.resolved.package.manifest().runtime.is_instance_world()
    }
}
