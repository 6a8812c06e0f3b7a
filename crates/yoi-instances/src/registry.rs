//! [`PluginInstanceRegistry`]: the one owner of every [`PluginInstance`].
//!
//! Once started it also keeps each stateful plugin's status snapshot fresh
//! (about every [`crate::supervisor`] interval, and soon after a state
//! change), so that reports never run guest code.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use yoi_history::{Event, EventKind, History};
use yoi_manifest::Surface;
use yoi_runtime::{IngressEvent, Runtime};
use yoi_workspace::{Lookup, Plan, PluginRef};

use crate::ingress::{QUEUE_LEN, Refusal};
use crate::queue::HandleUntil;
use crate::record::Recorder;
use crate::{IngressError, PluginInstance};

/// A plugin whose code could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// The plugin's source-qualified id.
    pub plugin: String,
    /// Why loading failed.
    pub message: String,
}

/// One instance per enabled plugin; see the crate documentation.
pub struct PluginInstanceRegistry {
    instances: Vec<Arc<PluginInstance>>,
    /// What `start` set up; `None` until then.
    running: Mutex<Option<Running>>,
    next_event: AtomicU64,
    /// Set at shutdown: events still queued after this instant are recorded
    /// as not handled instead of being delivered.
    handle_until: HandleUntil,
    /// Tells service runners to stop.
    stop_services: watch::Sender<bool>,
    /// Woken when an instance's state may have changed (a service step run,
    /// a restart), so the status snapshot follows soon; the event worker
    /// takes its own snapshot after each event.
    status_changed: Arc<Notify>,
}

/// The tasks and the history of a started registry.
struct Running {
    history: Option<Arc<History>>,
    session: Arc<str>,
    workers: Vec<JoinHandle<()>>,
    services: Vec<JoinHandle<()>>,
    supervisor: JoinHandle<()>,
    refresher: JoinHandle<()>,
}

impl std::fmt::Debug for PluginInstanceRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginInstanceRegistry")
            .field(
                "plugins",
                &self
                    .instances
                    .iter()
                    .map(|i| i.reference())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl PluginInstanceRegistry {
    /// One instance handle per plugin of `plan` that may run. Nothing is
    /// loaded and nothing is spawned; `runtime` is needed to call plugins,
    /// listing works without it.
    pub fn new(plan: &Plan, runtime: Option<Runtime>) -> PluginInstanceRegistry {
        let https = Arc::new(plan.https.clone());
        let protected = Arc::new(plan.protected.clone());
        PluginInstanceRegistry {
            instances: plan
                .plugins
                .iter()
                .map(|p| {
                    Arc::new(PluginInstance::new(
                        p.clone(),
                        runtime.clone(),
                        https.clone(),
                        protected.clone(),
                    ))
                })
                .collect(),
            running: Mutex::new(None),
            next_event: AtomicU64::new(1),
            handle_until: Arc::default(),
            stop_services: watch::channel(false).0,
            status_changed: Arc::new(Notify::new()),
        }
    }

    /// Every instance, in the plan's order.
    pub fn instances(&self) -> &[Arc<PluginInstance>] {
        &self.instances
    }

    /// The instance a person means by `text` (qualified or bare id). A bare
    /// id that more than one source holds is refused, never guessed.
    pub fn find(&self, text: &str) -> Result<&Arc<PluginInstance>, IngressError> {
        let shown = || yoi_manifest::bounded(text, 100);
        let Ok(r) = text.parse::<PluginRef>() else {
            return Err(IngressError::NotFound(format!(
                "no enabled plugin `{}`",
                shown()
            )));
        };
        match r.lookup(self.instances.iter().map(|i| &i.resolved().qid)) {
            Lookup::One(qid) => self
                .instances
                .iter()
                .find(|i| i.resolved().qid == qid)
                .ok_or_else(|| IngressError::NotFound(format!("no enabled plugin `{}`", shown()))),
            Lookup::None => Err(IngressError::NotFound(format!(
                "no enabled plugin `{}`",
                shown()
            ))),
            Lookup::Ambiguous(_) => Err(IngressError::NotFound(format!(
                "`{}` names more than one plugin; use a qualified reference",
                shown()
            ))),
        }
    }

    /// Load every plugin now (servers do this at start so that the first
    /// call is warm); returns the plugins that failed to load.
    pub fn preload(&self) -> Vec<LoadFailure> {
        self.instances
            .iter()
            .filter_map(|i| {
                i.loaded().err().map(|e| LoadFailure {
                    plugin: i.reference().to_owned(),
                    message: e.message,
                })
            })
            .collect()
    }

    /// Start every stateful instance, then the ingress workers, the
    /// services and the restart supervisor. Must run inside a tokio runtime;
    /// a second call does nothing. Start failures are not errors here: they
    /// are visible in the lifecycle report and retried per the restart
    /// policy.
    pub async fn start(self: &Arc<Self>, history: Option<Arc<History>>) {
        if self.lock_running().is_some() {
            return;
        }
        let session: Arc<str> = yoi_history::new_session_id().into();
        let (mut workers, mut services) = (Vec::new(), Vec::new());
        for instance in &self.instances {
            let Ok(plugin) = instance.loaded() else {
                continue;
            };
            let _ = plugin.start().await;
            if !plugin.is_stateful() {
                continue;
            }
            let recorder = Recorder {
                history: history.clone(),
                session: session.clone(),
                reference: instance.reference().to_owned(),
                digest: instance.digest().to_owned(),
                budget: Default::default(),
            };
            for (name, counters) in &instance.services {
                services.push(tokio::spawn(crate::service::run(
                    plugin.clone(),
                    instance.resolved().clone(),
                    name.clone(),
                    recorder.clone(),
                    counters.clone(),
                    self.stop_services.subscribe(),
                    self.status_changed.clone(),
                )));
            }
            if !instance.ingresses.is_empty() {
                let (tx, rx) = mpsc::channel(QUEUE_LEN);
                *instance.queue.lock() = Some(tx);
                workers.push(tokio::spawn(crate::queue::work(
                    plugin,
                    rx,
                    recorder,
                    instance.counters.clone(),
                    self.handle_until.clone(),
                    instance.status_snapshot.clone(),
                )));
            }
        }
        let supervisor = tokio::spawn(crate::supervisor::supervise(
            Arc::downgrade(self),
            self.status_changed.clone(),
        ));
        self.refresh_statuses().await;
        let refresher = tokio::spawn(crate::supervisor::refresh(
            Arc::downgrade(self),
            self.status_changed.clone(),
        ));
        *self.lock_running() = Some(Running {
            history,
            session,
            workers,
            services,
            supervisor,
            refresher,
        });
    }

    fn lock_running(&self) -> parking_lot::MutexGuard<'_, Option<Running>> {
        self.running.lock()
    }

    /// Check and accept one event; returns its id once it is recorded and
    /// queued. `kind` may be omitted when the ingress declares one kind;
    /// `header` looks up a request header (lowercase name) for the sender
    /// check the enablement may configure.
    pub fn deliver(
        &self,
        plugin: &str,
        ingress: &str,
        kind: Option<&str>,
        body: &[u8],
        header: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, IngressError> {
        let instance = self.find(plugin)?;
        let reference = instance.reference();
        let declared = instance
            .resolved()
            .package
            .manifest()
            .ingresses
            .iter()
            .any(|g| g.name == ingress);
        let spec = instance.ingresses.get(ingress);
        let spec = match spec {
            Some(spec) if instance.resolved().allows(Surface::Ingress, ingress) => spec,
            _ if declared => {
                return Err(IngressError::NotGranted(format!(
                    "the ingress `{ingress}` of `{reference}` is not granted"
                )));
            }
            _ => {
                return Err(IngressError::NotFound(format!(
                    "`{reference}` has no ingress `{}`",
                    yoi_manifest::bounded(ingress, 100)
                )));
            }
        };
        let counters = &instance.counters;
        let admitted = spec.admit(kind, body, header).map_err(|r| match r {
            Refusal::Dropped(e) => {
                counters.dropped.fetch_add(1, Ordering::Relaxed);
                e
            }
            Refusal::Rejected(e) => {
                counters.rejected.fetch_add(1, Ordering::Relaxed);
                e
            }
            Refusal::Closed(e) => e,
        })?;
        let queue = instance.queue.lock().clone().ok_or_else(|| {
            IngressError::Unavailable(format!("`{reference}` is not accepting events"))
        })?;
        let permit = queue.try_reserve().map_err(|_| {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            IngressError::Busy
        })?;
        let (history, session) = {
            let running = self.lock_running();
            let running = running.as_ref().ok_or_else(|| {
                IngressError::Unavailable(format!("`{reference}` is not accepting events"))
            })?;
            (running.history.clone(), running.session.clone())
        };
        let id = format!(
            "{session}-{}",
            self.next_event.fetch_add(1, Ordering::Relaxed)
        );
        if let Some(h) = &history {
            let message = format!("{} {id}", admitted.kind);
            let recorded = h.append(&Event {
                tool: Some(ingress),
                plugin: Some(reference),
                digest: Some(instance.digest()),
                input: Some(&admitted.payload),
                message: Some(&message),
                ..Event::new(&session, EventKind::IngressEvent)
            });
            if let Err(e) = recorded {
                return Err(IngressError::Unavailable(format!(
                    "the event could not be recorded: {e}"
                )));
            }
        }
        permit.send(IngressEvent {
            ingress: ingress.to_owned(),
            kind: admitted.kind,
            id: id.clone(),
            payload: admitted.payload,
        });
        counters.accepted.fetch_add(1, Ordering::Relaxed);
        Ok(id)
    }

    /// Every plugin's live state, from counters, lifecycles and the status
    /// snapshots: no guest code runs and no instance is waited for (see
    /// [`crate::InstanceReport`]).
    pub fn report(&self) -> Vec<crate::InstanceReport> {
        self.instances.iter().map(|i| i.report()).collect()
    }

    /// Take a fresh status snapshot of every running stateful plugin that is
    /// not busy ([`PluginInstance::refresh_status`]). Once started, the
    /// registry does this about every second and soon after state changes.
    pub async fn refresh_statuses(&self) {
        for instance in &self.instances {
            instance.refresh_status().await;
        }
    }

    /// Stop accepting events and let the queued ones be handled for up to
    /// `bound`; events still queued then are recorded in history as not
    /// handled (every accepted event ends with exactly one outcome). Then
    /// stop every instance. Completes within about `bound` plus one call
    /// deadline, plus one per plugin for `stop`.
    pub async fn shutdown(&self, bound: Duration) {
        *self.handle_until.lock() = Some(Instant::now() + bound);
        for instance in &self.instances {
            instance.queue.lock().take();
        }
        let running = self.lock_running().take();
        if let Some(running) = running {
            // Service runners stop between steps; a step in progress ends at
            // its call deadline.
            let _ = self.stop_services.send(true);
            for s in running.services {
                let _ = s.await;
            }
            // A worker past `bound` only records; at most the event in hand
            // is still running, and that ends at its call deadline.
            for w in running.workers {
                let _ = w.await;
            }
            running.supervisor.abort();
            running.refresher.abort();
        }
        for instance in &self.instances {
            if let Ok(p) = instance.loaded() {
                let _ = tokio::time::timeout(bound, p.stop()).await;
            }
        }
    }
}

impl Drop for PluginInstanceRegistry {
    fn drop(&mut self) {
        if let Some(running) = self.lock_running().take() {
            running.supervisor.abort();
            running.refresher.abort();
        }
    }
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
