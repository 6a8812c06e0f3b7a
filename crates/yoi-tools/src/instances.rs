//! `PluginInstanceRegistry`: one instance per enabled plugin, its lifecycle,
//! and ingress delivery.
//!
//! The registry sits on the [`ToolRegistry`]'s loaded plugins, so a tool call
//! (through a session) and an ingress event reach the same instance of an
//! `instance`-world plugin, and state persists between them. Tool-world and
//! legacy plugins are adapted: they have no lifecycle of their own (always
//! `running`) and no ingress.
//!
//! Ingress events are untrusted input. Each is checked before it is accepted:
//! the ingress exists and is granted (per surface, independent of tool
//! grants), the ingress is within its rate ([`EVENTS_PER_SEC`], bursts of
//! [`EVENT_BURST`]), the body is at most [`MAX_EVENT_BYTES`] of JSON that matches the
//! declared schema, and the kind is one the ingress declares. An accepted
//! event is first recorded in history (`ingress_event`), then queued in a
//! bounded per-plugin queue; when the queue is full the event is refused as
//! busy and nothing already accepted is lost. A worker per plugin delivers
//! events in order; what the plugin emits is recorded as `notification`
//! events, visible in `yoi history` and nowhere else.
//!
//! Each granted service of an `instance`-world plugin gets a runner that
//! calls the service's `run` step, records the notices it returns, and waits
//! the delay the step asks for (clamped by the runtime) before the next one.
//! A service is granted on its own: an ungranted service is never run.
//!
//! A failed instance is restarted by a supervisor once its backoff passes
//! (see `yoi_runtime`'s instance adapter for the policy).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use yoi_history::{Event, EventKind, History};
use yoi_manifest::Schema;
use yoi_runtime::{IngressEvent, Lifecycle, LoadedPlugin};

use crate::registry::ToolRegistry;

/// Largest event body accepted.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Events queued per plugin before new ones are refused as busy.
pub const QUEUE_LEN: usize = 64;
/// Events per second accepted per ingress, on average.
pub const EVENTS_PER_SEC: f64 = 50.0;
/// Events an ingress accepts in a burst above [`EVENTS_PER_SEC`].
pub const EVENT_BURST: f64 = 100.0;
/// How often the supervisor looks for failed instances to restart.
const SUPERVISE_EVERY: Duration = Duration::from_millis(250);

/// Why an event was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngressError {
    #[error("no such plugin or ingress: {0}")]
    NotFound(String),
    #[error("not granted: {0}")]
    NotGranted(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("the event body is larger than {MAX_EVENT_BYTES} bytes")]
    TooLarge,
    #[error("invalid event: {0}")]
    Invalid(String),
    #[error("busy: the plugin's event queue is full; retry later")]
    Busy,
    #[error("rate limited: more than {EVENTS_PER_SEC} events per second; retry later")]
    RateLimited,
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Where an event goes: one declared ingress.
struct IngressSpec {
    /// The sender check the enablement configures, if any; an error (an
    /// unreadable secret) closes the ingress rather than opening it.
    check: Option<Result<yoi_workspace::IngressCheck, String>>,
    kinds: Vec<String>,
    validator: Result<jsonschema::Validator, String>,
    granted: bool,
    bucket: std::sync::Mutex<Bucket>,
}

/// A token bucket: [`EVENT_BURST`] tokens, refilled at [`EVENTS_PER_SEC`].
struct Bucket {
    tokens: f64,
    at: std::time::Instant,
}

impl Bucket {
    fn new() -> Bucket {
        Bucket {
            tokens: EVENT_BURST,
            at: std::time::Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = std::time::Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * EVENTS_PER_SEC;
        self.tokens = (self.tokens + refill).min(EVENT_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    dropped: AtomicU64,
    rejected: AtomicU64,
    handled: AtomicU64,
    failed: AtomicU64,
}

/// Counters of one service.
#[derive(Default)]
struct ServiceCounters {
    runs: AtomicU64,
    errors: AtomicU64,
    last_error: std::sync::Mutex<Option<String>>,
}

struct Slot {
    reference: String,
    services: Vec<(String, Arc<ServiceCounters>)>,
    id: String,
    digest: String,
    index: usize,
    ingresses: BTreeMap<String, IngressSpec>,
    queue: std::sync::Mutex<Option<mpsc::Sender<IngressEvent>>>,
    counters: Arc<Counters>,
}

/// The live state of one plugin, for `/status`.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceReport {
    pub plugin: String,
    /// `instance` for the stateful world, `stateless` for tool-world and
    /// legacy plugins.
    pub kind: &'static str,
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
    pub events: EventCounters,
    /// Granted services and how their steps went.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceReport>,
    /// What the plugin itself reports (`instance` world, running only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_status: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub name: String,
    pub runs: u64,
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventCounters {
    pub accepted: u64,
    /// Refused because the queue was full or the rate was exceeded.
    pub dropped: u64,
    /// Refused as invalid (schema, kind, size).
    pub rejected: u64,
    pub handled: u64,
    pub failed: u64,
}

/// One instance per enabled plugin; see the module documentation.
pub struct PluginInstanceRegistry {
    registry: Arc<ToolRegistry>,
    history: Option<Arc<History>>,
    session: String,
    slots: Vec<Slot>,
    next_event: AtomicU64,
    workers: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    supervisor: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Set at shutdown: events still queued after this instant are recorded
    /// as not handled instead of being delivered.
    handle_until: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// Tells service runners to stop.
    stop_services: tokio::sync::watch::Sender<bool>,
    service_tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for PluginInstanceRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginInstanceRegistry")
            .field(
                "plugins",
                &self.slots.iter().map(|s| &s.reference).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl PluginInstanceRegistry {
    /// Create the registry, start every stateful instance, and start the
    /// ingress workers and the restart supervisor. Must run inside a tokio
    /// runtime. Start failures are not errors here: they are visible in the
    /// lifecycle report and retried per the restart policy.
    pub async fn start(
        registry: Arc<ToolRegistry>,
        history: Option<Arc<History>>,
    ) -> Arc<PluginInstanceRegistry> {
        let mut slots = Vec::new();
        for index in 0..registry.plugin_count() {
            let (resolved, _) = registry.plugin(index);
            let manifest = resolved.package.manifest();
            let ingresses = manifest
                .ingresses
                .iter()
                .map(|g| {
                    let schema = match &g.input_schema {
                        Schema::Inline(v) => Ok(v.clone()),
                        Schema::File(path) => resolved
                            .package
                            .files()
                            .get(path)
                            .ok_or_else(|| format!("schema file `{path}` is missing"))
                            .and_then(|b| {
                                serde_json::from_slice(b)
                                    .map_err(|e| format!("schema file `{path}`: {e}"))
                            }),
                    };
                    let validator = schema.and_then(|s| {
                        jsonschema::validator_for(&s)
                            .map_err(|e| format!("the ingress schema is invalid: {e}"))
                    });
                    (
                        g.name.clone(),
                        IngressSpec {
                            check: resolved
                                .enablement
                                .ingress
                                .get(&g.name)
                                .map(|a| a.check().map_err(|e| e.to_string())),
                            kinds: g.event_kinds.clone(),
                            validator,
                            granted: resolved.ingresses.contains(&g.name),
                            bucket: std::sync::Mutex::new(Bucket::new()),
                        },
                    )
                })
                .collect();
            slots.push(Slot {
                services: resolved
                    .services
                    .iter()
                    .map(|s| (s.clone(), Arc::default()))
                    .collect(),
                reference: resolved.qid.to_string(),
                id: resolved.qid.id.clone(),
                digest: resolved.package.digest().to_string(),
                index,
                ingresses,
                queue: std::sync::Mutex::new(None),
                counters: Arc::default(),
            });
        }
        let reg = Arc::new(PluginInstanceRegistry {
            registry,
            history,
            session: crate::session::new_session_id(),
            slots,
            next_event: AtomicU64::new(1),
            workers: std::sync::Mutex::new(Vec::new()),
            supervisor: std::sync::Mutex::new(None),
            handle_until: Arc::default(),
            stop_services: tokio::sync::watch::channel(false).0,
            service_tasks: std::sync::Mutex::new(Vec::new()),
        });
        for slot in &reg.slots {
            let Ok(plugin) = reg.registry.plugin(slot.index).1 else {
                continue;
            };
            // Start errors are recorded in the lifecycle and retried.
            let _ = plugin.start().await;
            if plugin.is_stateful() {
                for (name, counters) in &slot.services {
                    let task = tokio::spawn(run_service(
                        plugin.clone(),
                        name.clone(),
                        Recorder {
                            history: reg.history.clone(),
                            session: reg.session.clone(),
                            reference: slot.reference.clone(),
                            digest: slot.digest.clone(),
                        },
                        counters.clone(),
                        reg.stop_services.subscribe(),
                    ));
                    reg.service_tasks
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(task);
                }
            }
            if plugin.is_stateful() && slot.ingresses.values().any(|g| g.granted) {
                let (tx, rx) = mpsc::channel(QUEUE_LEN);
                *slot.queue.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
                let worker = tokio::spawn(work(
                    plugin,
                    rx,
                    Recorder {
                        history: reg.history.clone(),
                        session: reg.session.clone(),
                        reference: slot.reference.clone(),
                        digest: slot.digest.clone(),
                    },
                    slot.counters.clone(),
                    reg.handle_until.clone(),
                ));
                reg.workers
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(worker);
            }
        }
        let weak = Arc::downgrade(&reg);
        let supervisor = tokio::spawn(async move {
            loop {
                tokio::time::sleep(SUPERVISE_EVERY).await;
                let Some(reg) = weak.upgrade() else { return };
                for slot in &reg.slots {
                    let Ok(p) = reg.registry.plugin(slot.index).1 else {
                        continue;
                    };
                    let life = p.lifecycle();
                    if life.state == yoi_runtime::InstanceState::Failed
                        && life.restart_in_ms.unwrap_or(0) == 0
                    {
                        let _ = p.start().await;
                    }
                }
            }
        });
        *reg.supervisor.lock().unwrap_or_else(|e| e.into_inner()) = Some(supervisor);
        reg
    }

    fn find(&self, plugin: &str) -> Result<&Slot, IngressError> {
        if let Some(s) = self.slots.iter().find(|s| s.reference == plugin) {
            return Ok(s);
        }
        let mut bare = self.slots.iter().filter(|s| s.id == plugin);
        match (bare.next(), bare.next()) {
            (Some(s), None) => Ok(s),
            (Some(_), Some(_)) => Err(IngressError::NotFound(format!(
                "`{}` names more than one plugin; use a qualified reference",
                yoi_manifest::bounded(plugin, 100)
            ))),
            _ => Err(IngressError::NotFound(format!(
                "no enabled plugin `{}`",
                yoi_manifest::bounded(plugin, 100)
            ))),
        }
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
        let slot = self.find(plugin)?;
        let spec = slot.ingresses.get(ingress).ok_or_else(|| {
            IngressError::NotFound(format!(
                "`{}` has no ingress `{}`",
                slot.reference,
                yoi_manifest::bounded(ingress, 100)
            ))
        })?;
        if !spec.granted {
            return Err(IngressError::NotGranted(format!(
                "the ingress `{ingress}` of `{}` is not granted",
                slot.reference
            )));
        }
        let reject = |e: IngressError| {
            slot.counters.rejected.fetch_add(1, Ordering::Relaxed);
            e
        };
        if let Some(check) = &spec.check {
            let check = check.as_ref().map_err(|e| {
                IngressError::Unavailable(format!("the ingress's sender check is broken: {e}"))
            })?;
            if body.len() > MAX_EVENT_BYTES {
                return Err(reject(IngressError::TooLarge));
            }
            verify_sender(check, body, header).map_err(reject)?;
        }
        if !spec.bucket.lock().unwrap_or_else(|e| e.into_inner()).take() {
            slot.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return Err(IngressError::RateLimited);
        }
        if body.len() > MAX_EVENT_BYTES {
            return Err(reject(IngressError::TooLarge));
        }
        let payload: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| reject(IngressError::Invalid(format!("the body is not JSON: {e}"))))?;
        let validator = spec
            .validator
            .as_ref()
            .map_err(|e| IngressError::Unavailable(e.clone()))?;
        if let Some(e) = validator.iter_errors(&payload).next() {
            return Err(reject(IngressError::Invalid(yoi_manifest::bounded(
                &format!("at `{}`: {e}", e.instance_path()),
                400,
            ))));
        }
        let kind = match kind {
            Some(k) if spec.kinds.iter().any(|d| d == k) => k.to_owned(),
            Some(k) => {
                return Err(reject(IngressError::Invalid(format!(
                    "event kind `{}` is not one of: {}",
                    yoi_manifest::bounded(k, 60),
                    spec.kinds.join(", ")
                ))));
            }
            None if spec.kinds.len() == 1 => spec.kinds[0].clone(),
            None => {
                return Err(reject(IngressError::Invalid(format!(
                    "say which kind of event this is (`?kind=`): one of {}",
                    spec.kinds.join(", ")
                ))));
            }
        };
        let queue = slot
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| {
                IngressError::Unavailable(format!("`{}` is not accepting events", slot.reference))
            })?;
        let permit = queue.try_reserve().map_err(|_| {
            slot.counters.dropped.fetch_add(1, Ordering::Relaxed);
            IngressError::Busy
        })?;
        let id = format!(
            "{}-{}",
            self.session,
            self.next_event.fetch_add(1, Ordering::Relaxed)
        );
        let payload = payload.to_string();
        if let Some(h) = &self.history {
            let message = format!("{kind} {id}");
            let recorded = h.append(&Event {
                tool: Some(ingress),
                plugin: Some(&slot.reference),
                digest: Some(&slot.digest),
                input: Some(&payload),
                message: Some(&message),
                ..Event::new(&self.session, EventKind::IngressEvent)
            });
            if let Err(e) = recorded {
                return Err(IngressError::Unavailable(format!(
                    "the event could not be recorded: {e}"
                )));
            }
        }
        permit.send(IngressEvent {
            ingress: ingress.to_owned(),
            kind,
            id: id.clone(),
            payload,
        });
        slot.counters.accepted.fetch_add(1, Ordering::Relaxed);
        Ok(id)
    }

    /// Every plugin's live state.
    pub async fn report(&self) -> Vec<InstanceReport> {
        let mut out = Vec::new();
        for slot in &self.slots {
            let c = &slot.counters;
            let events = EventCounters {
                accepted: c.accepted.load(Ordering::Relaxed),
                dropped: c.dropped.load(Ordering::Relaxed),
                rejected: c.rejected.load(Ordering::Relaxed),
                handled: c.handled.load(Ordering::Relaxed),
                failed: c.failed.load(Ordering::Relaxed),
            };
            let (kind, lifecycle, plugin_status) = match self.registry.plugin(slot.index).1 {
                Ok(p) => (
                    if p.is_stateful() {
                        "instance"
                    } else {
                        "stateless"
                    },
                    p.lifecycle(),
                    p.plugin_status().await,
                ),
                Err(e) => (
                    "unavailable",
                    Lifecycle {
                        state: yoi_runtime::InstanceState::Failed,
                        calls: 0,
                        errors: 0,
                        restarts: 0,
                        diagnostics: vec![e.message],
                        restart_in_ms: None,
                    },
                    None,
                ),
            };
            let services = slot
                .services
                .iter()
                .map(|(name, c)| ServiceReport {
                    name: name.clone(),
                    runs: c.runs.load(Ordering::Relaxed),
                    errors: c.errors.load(Ordering::Relaxed),
                    last_error: c
                        .last_error
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone(),
                })
                .collect();
            out.push(InstanceReport {
                plugin: slot.reference.clone(),
                kind,
                lifecycle,
                events,
                services,
                plugin_status,
            });
        }
        out
    }

    /// Stop accepting events and let the queued ones be handled for up to
    /// `bound`; events still queued then are recorded in history as not
    /// handled (every accepted event ends with exactly one outcome). Then
    /// stop every instance. Completes within about `bound` plus one call
    /// deadline, plus one per plugin for `stop`.
    pub async fn shutdown(&self, bound: Duration) {
        *self.handle_until.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(std::time::Instant::now() + bound);
        for slot in &self.slots {
            slot.queue.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
        // Service runners stop between steps; a step in progress ends at its
        // call deadline.
        let _ = self.stop_services.send(true);
        let services: Vec<_> = self
            .service_tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for s in services {
            let _ = s.await;
        }
        let workers: Vec<_> = self
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        // A worker past `bound` only records; at most the event in hand is
        // still running, and that ends at its call deadline.
        for w in workers {
            let _ = w.await;
        }
        if let Some(s) = self
            .supervisor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            s.abort();
        }
        for slot in &self.slots {
            if let Ok(p) = self.registry.plugin(slot.index).1 {
                let _ = tokio::time::timeout(bound, p.stop()).await;
            }
        }
    }
}

/// Writes what comes of an event to history.
struct Recorder {
    history: Option<Arc<History>>,
    session: String,
    reference: String,
    digest: String,
}

impl Recorder {
    /// One `notification` event about event `id` of `ingress`.
    fn record(
        &self,
        ingress: &str,
        id: &str,
        kind: &str,
        output: Option<&str>,
        error: Option<(&str, &str)>,
    ) {
        let Some(h) = &self.history else { return };
        let message = match error {
            Some((_, m)) => format!("{kind} for {id}: {m}"),
            None => format!("{kind} for {id}"),
        };
        let _ = h.append(&Event {
            tool: Some(ingress),
            plugin: Some(&self.reference),
            digest: Some(&self.digest),
            output,
            error_kind: error.map(|(k, _)| k),
            message: Some(&message),
            ..Event::new(&self.session, EventKind::Notification)
        });
    }
}

/// Check an event's signature or token, in constant time.
fn verify_sender(
    check: &yoi_workspace::IngressCheck,
    body: &[u8],
    header: &dyn Fn(&str) -> Option<String>,
) -> Result<(), IngressError> {
    use subtle::ConstantTimeEq;
    use yoi_workspace::IngressCheck;
    let (name, expected) = match check {
        IngressCheck::HmacSha256 { header, secret } => (
            header,
            format!("sha256={}", hex(&hmac_sha256(secret, body))).into_bytes(),
        ),
        IngressCheck::Token { header, token } => (header, token.clone()),
    };
    let given = header(name)
        .ok_or_else(|| IngressError::Unauthorized(format!("the `{name}` header is missing")))?;
    let given = match check {
        IngressCheck::HmacSha256 { .. } => given.trim().to_ascii_lowercase(),
        IngressCheck::Token { .. } => given,
    };
    if bool::from(given.as_bytes().ct_eq(&expected)) {
        Ok(())
    } else {
        Err(IngressError::Unauthorized(format!(
            "the `{name}` header does not match"
        )))
    }
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let (mut ipad, mut opad) = ([0x36u8; BLOCK], [0x5cu8; BLOCK]);
    for i in 0..BLOCK {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Delay before a failed step of a service is tried again; it doubles with
/// each failure in a row, up to [`SERVICE_RETRY_MAX`], so that a service
/// whose instance is down (waiting out its restart backoff) fills history
/// with a handful of `service-error` events, not one a second.
const SERVICE_RETRY: Duration = Duration::from_secs(1);
const SERVICE_RETRY_MAX: Duration = Duration::from_secs(30);

/// Run steps of one service until told to stop.
async fn run_service(
    plugin: Arc<LoadedPlugin>,
    name: String,
    recorder: Recorder,
    counters: Arc<ServiceCounters>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut retry = SERVICE_RETRY;
    loop {
        if *stop.borrow() {
            return;
        }
        let step = counters.runs.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("step {step}");
        let delay = match plugin.run_service(&name).await {
            Ok(s) => {
                for n in s.notices {
                    let data = n.data.to_string();
                    let data = yoi_manifest::bounded(&data, yoi_history::MAX_RECORDED_BYTES);
                    recorder.record(&name, &id, &n.kind, Some(&data), None);
                }
                retry = SERVICE_RETRY;
                s.next_run
            }
            Err(e) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                *counters
                    .last_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(e.message.clone());
                recorder.record(
                    &name,
                    &id,
                    "service-error",
                    None,
                    Some((e.kind.as_str(), &e.message)),
                );
                let delay = retry;
                retry = (retry * 2).min(SERVICE_RETRY_MAX);
                delay
            }
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Deliver queued events in order, recording what comes of each.
async fn work(
    plugin: Arc<LoadedPlugin>,
    mut rx: mpsc::Receiver<IngressEvent>,
    recorder: Recorder,
    counters: Arc<Counters>,
    handle_until: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
) {
    while let Some(event) = rx.recv().await {
        let (ingress, id) = (event.ingress.clone(), event.id.clone());
        let past = handle_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|t| std::time::Instant::now() >= t);
        if past {
            counters.failed.fetch_add(1, Ordering::Relaxed);
            recorder.record(
                &ingress,
                &id,
                "not-handled",
                None,
                Some(("shutdown", "the host stopped before the event was handled")),
            );
            continue;
        }
        match plugin.handle_event(event).await {
            Ok(notices) => {
                counters.handled.fetch_add(1, Ordering::Relaxed);
                if notices.is_empty() {
                    recorder.record(&ingress, &id, "handled", None, None);
                }
                for n in notices {
                    let data = n.data.to_string();
                    let data = yoi_manifest::bounded(&data, yoi_history::MAX_RECORDED_BYTES);
                    recorder.record(&ingress, &id, &n.kind, Some(&data), None);
                }
            }
            Err(e) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                recorder.record(
                    &ingress,
                    &id,
                    "ingress-error",
                    None,
                    Some((e.kind.as_str(), &e.message)),
                );
            }
        }
    }
}

impl Drop for PluginInstanceRegistry {
    fn drop(&mut self) {
        if let Some(s) = self
            .supervisor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            s.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{hex, hmac_sha256};

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
