//! Live reports of each plugin's instance, for `/status`.
//!
//! A report runs no guest code and never waits for an instance: counters
//! and the lifecycle are read as they are (each behind a lock that is never
//! held across guest code), and what the plugin says about itself is the
//! snapshot the registry's refresher last took
//! ([`PluginInstance::refresh_status`]; the event worker takes one after
//! each event it delivers, before counting it handled, so a report that
//! counts an event handled shows the status after it unless a call took the
//! instance in between). A plugin whose `status` hook hangs,
//! or an instance busy with a long call, cannot stall a `/status` request.

use std::sync::atomic::Ordering;

use serde::Serialize;
use yoi_runtime::{InstanceState, Lifecycle, LoadedPlugin};

use crate::PluginInstance;
use crate::instance::Snapshot;

/// The live state of one plugin.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceReport {
    /// The plugin's source-qualified id.
    pub plugin: String,
    /// `instance` for the stateful world, `stateless` for tool-world and
    /// legacy plugins, `unavailable` when its code could not be loaded.
    pub kind: &'static str,
    /// The instance's state, call and restart counts, flattened into the
    /// report.
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
    /// What became of its ingress events.
    pub events: EventCounters,
    /// Granted services and how their steps went.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceReport>,
    /// What the plugin itself last reported (`instance` world, running
    /// only): the refresher's snapshot, at most about a second old.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_status: Option<serde_json::Value>,
    /// Why the compiled cache was not used when the code was loaded (the
    /// code was compiled afresh instead); absent when the cache was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_diagnostic: Option<String>,
}

/// How one granted service's steps went.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    /// The service's name as declared in the manifest.
    pub name: String,
    /// Steps run so far.
    pub runs: u64,
    /// Steps that ended in an error.
    pub errors: u64,
    /// The most recent step error, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// What became of one plugin's ingress events.
#[derive(Debug, Clone, Serialize)]
pub struct EventCounters {
    /// Queued for delivery.
    pub accepted: u64,
    /// Refused because the queue was full or the rate was exceeded.
    pub dropped: u64,
    /// Refused as invalid (schema, kind, size, sender).
    pub rejected: u64,
    /// Delivered, and the plugin handled them.
    pub handled: u64,
    /// Not handled: the plugin returned an error, or the host stopped before
    /// delivering them.
    pub failed: u64,
}

impl PluginInstance {
    /// This plugin's live state, with the plugin's own status from the last
    /// snapshot. Runs no guest code and does not wait for the instance.
    pub fn report(&self) -> InstanceReport {
        let c = &self.counters;
        let events = EventCounters {
            accepted: c.accepted.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            handled: c.handled.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        };
        let (kind, lifecycle, plugin_status, cache_diagnostic) = match self.loaded() {
            Ok(p) => (
                if p.is_stateful() {
                    "instance"
                } else {
                    "stateless"
                },
                p.lifecycle(),
                self.status_snapshot.lock().clone(),
                p.cache_diagnostic().map(str::to_owned),
            ),
            Err(e) => (
                "unavailable",
                Lifecycle {
                    state: InstanceState::Failed,
                    calls: 0,
                    errors: 0,
                    restarts: 0,
                    diagnostics: vec![e.message],
                    restart_in_ms: None,
                },
                None,
                None,
            ),
        };
        let services = self
            .services
            .iter()
            .map(|(name, c)| ServiceReport {
                name: name.clone(),
                runs: c.runs.load(Ordering::Relaxed),
                errors: c.errors.load(Ordering::Relaxed),
                last_error: c.last_error.lock().clone(),
            })
            .collect();
        let plugin_status = plugin_status.filter(|_| lifecycle.state == InstanceState::Running);
        InstanceReport {
            plugin: self.reference().to_owned(),
            kind,
            lifecycle,
            events,
            services,
            plugin_status,
            cache_diagnostic,
        }
    }
}

impl PluginInstance {
    /// Why the compiled cache was not used when this plugin's code was
    /// loaded, if it was loaded and the cache was in doubt. Loads nothing.
    pub fn cache_diagnostic(&self) -> Option<String> {
        let Some(Ok(plugin)) = self.loaded.get() else {
            return None;
        };
        plugin.cache_diagnostic().map(str::to_owned)
    }

    /// Ask a running stateful plugin for its status and keep the answer as
    /// the snapshot reports serve. An instance busy with a call keeps its
    /// previous snapshot (this never queues behind a call); one that is not
    /// running has none. Loads nothing: a plugin not yet loaded is skipped.
    pub async fn refresh_status(&self) {
        let Some(Ok(plugin)) = self.loaded.get() else {
            return;
        };
        take_snapshot(plugin, &self.status_snapshot).await;
    }
}

/// Ask `plugin` for its status into `snapshot`, unless it is busy.
pub(crate) async fn take_snapshot(plugin: &LoadedPlugin, snapshot: &Snapshot) {
    if let Some(status) = plugin.try_plugin_status().await {
        *snapshot.lock() = status;
    }
}
