//! The stateful adapter: one long-lived instance of an `instance`-world plugin.
//!
//! Every tool call, ingress event and lifecycle call goes to the same
//! instance, one at a time (a `tokio` mutex serializes them), so state the
//! plugin keeps persists across all of its surfaces. Each call runs under the
//! same deadline and limits as a tool call.
//!
//! States: `stopped` (not started yet, or stopped), `starting`, `running`,
//! `stopping`, `failed`. A start that returns an error, or any trap, timeout
//! or limit hit, discards the instance and marks it `failed`. A failed
//! instance is started again (a fresh one, with its config) on the next use
//! once its backoff has passed: 100 ms after the first failure, doubling up
//! to 30 s, reset after a start that succeeds. `stop` always completes within
//! the call deadline plus a small grace: a plugin that hangs in `stop` is
//! dropped.
//!
//! Cancelling never silently resets an instance: when the future running
//! guest code on it is dropped (an MCP client cancelled, an HTTP client went
//! away), the instance cannot be handed back mid-call, so it is recorded as
//! failed with a `cancelled` diagnostic and restarted through the restart
//! path above, counted in `restarts` (see [`life`]'s `InFlight`). The host's
//! history records the call itself as a `tool_error` of kind `cancelled`.

use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Serialize;

use crate::component::ComponentInstance;
use crate::component::instance_bindings::exports::yoi::plugin::ingress as wit_ingress;
use crate::error::{CallError, CallErrorKind};
use crate::output::{CallDiagnostics, ITEM_OVERHEAD_BYTES, MAX_NOTICES, ToolOutput};
use crate::plugin::{HOST_GRACE, Instance, LoadedPlugin, Warm};

mod life;

use life::{InFlight, Life};
pub use life::{InstanceState, Lifecycle};

/// First restart delay after a failure; doubles per consecutive failure.
const BACKOFF_START: Duration = Duration::from_millis(100);
/// Longest restart delay.
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Longest status JSON kept from the plugin.
const MAX_STATUS_BYTES: usize = 16 * 1024;
/// Diagnostics kept in the lifecycle report.
const MAX_DIAGNOSTICS: usize = 16;

/// Something a plugin emitted while handling an event: for history, never
/// for a model's context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// What kind of notice, as the plugin names it; bounded.
    pub kind: String,
    /// The notice's data: its JSON, or its text as a string when it is not JSON.
    pub data: serde_json::Value,
}

/// What one service step produced.
#[derive(Debug, Clone)]
pub struct ServiceStep {
    /// What the step emitted, bounded in number.
    pub notices: Vec<Notice>,
    /// When to run the next step, clamped to [`SERVICE_MIN_DELAY`] ..
    /// [`SERVICE_MAX_DELAY`].
    pub next_run: Duration,
}

/// Shortest delay between two steps of a service.
pub const SERVICE_MIN_DELAY: Duration = Duration::from_millis(100);
/// Longest delay between two steps of a service.
pub const SERVICE_MAX_DELAY: Duration = Duration::from_secs(3600);

/// The notices a guest returned, refused by count ([`MAX_NOTICES`]) and by
/// size (each charged [`ITEM_OVERHEAD_BYTES`] besides its kind and data,
/// against `max_output_bytes`) before any is converted.
fn notices(
    list: Vec<wit_ingress::Notice>,
    max_output_bytes: usize,
) -> Result<Vec<Notice>, CallError> {
    if list.len() > MAX_NOTICES {
        return Err(CallError::new(
            CallErrorKind::OutputTooLarge,
            format!(
                "the plugin emitted {} notices; the limit is {MAX_NOTICES}",
                list.len()
            ),
        ));
    }
    let total = list
        .iter()
        .map(|n| (n.kind.len() + n.data.len()).saturating_add(ITEM_OVERHEAD_BYTES))
        .fold(0, usize::saturating_add);
    if total > max_output_bytes {
        return Err(CallError::new(
            CallErrorKind::OutputTooLarge,
            format!("the notices are {total} bytes; the limit is {max_output_bytes}"),
        ));
    }
    Ok(list
        .into_iter()
        .map(|n| Notice {
            kind: yoi_manifest::bounded(&n.kind, 100),
            data: serde_json::from_str(&n.data).unwrap_or(serde_json::Value::String(n.data)),
        })
        .collect())
}

/// An event for [`LoadedPlugin::handle_event`], already validated.
#[derive(Debug, Clone)]
pub struct IngressEvent {
    /// The ingress's name as declared in `plugin.toml`.
    pub ingress: String,
    /// One of the ingress's declared event kinds.
    pub kind: String,
    /// The host's id for the event, as recorded in history.
    pub id: String,
    /// JSON text.
    pub payload: String,
}

pub(crate) struct Stateful {
    config: String,
    live: tokio::sync::Mutex<Option<Warm>>,
    life: Mutex<Life>,
}

impl Stateful {
    pub(crate) fn new(config_json: &str) -> Stateful {
        Stateful {
            config: config_json.to_owned(),
            live: tokio::sync::Mutex::new(None),
            life: Mutex::new(Life {
                state: InstanceState::Stopped,
                calls: 0,
                errors: 0,
                restarts: 0,
                failures_in_a_row: 0,
                retry_at: None,
                ever_started: false,
                diagnostics: Vec::new(),
            }),
        }
    }

    fn life(&self) -> parking_lot::MutexGuard<'_, Life> {
        self.life.lock()
    }
}

/// What a guarded call produced: the value and what the guest printed, or the
/// error. The instance is handed back only when it may be used again.
type Guarded<T> = (Option<Warm>, Result<(T, CallDiagnostics), CallError>);

impl LoadedPlugin {
    /// Whether this plugin keeps one stateful instance (the `instance` world).
    pub fn is_stateful(&self) -> bool {
        self.stateful.is_some()
    }

    /// The lifecycle report. A stateless plugin (tool world or legacy) is
    /// always `running`: each call gets an instance of its own or a reused
    /// clean one.
    pub fn lifecycle(&self) -> Lifecycle {
        let Some(s) = &self.stateful else {
            return Lifecycle {
                state: InstanceState::Running,
                calls: 0,
                errors: 0,
                restarts: 0,
                diagnostics: Vec::new(),
                restart_in_ms: None,
            };
        };
        let life = s.life();
        Lifecycle {
            state: life.state,
            calls: life.calls,
            errors: life.errors,
            restarts: life.restarts,
            diagnostics: life.diagnostics.clone(),
            restart_in_ms: (life.state == InstanceState::Failed)
                .then(|| {
                    life.retry_at
                        .map(|t| t.saturating_duration_since(Instant::now()).as_millis() as u64)
                })
                .flatten(),
        }
    }

    /// Start the instance if it is not running and may be started (never
    /// started, stopped, or failed with its backoff passed). A stateless
    /// plugin needs no start.
    pub async fn start(&self) -> Result<(), CallError> {
        let Some(s) = &self.stateful else {
            return Ok(());
        };
        let mut live = s.live.lock().await;
        self.ensure_started(s, &mut live).await
    }

    async fn ensure_started(
        &self,
        s: &crate::stateful::Stateful,
        live: &mut Option<Warm>,
    ) -> Result<(), CallError> {
        if live.is_some() {
            return Ok(());
        }
        {
            let mut life = s.life();
            if life.state == InstanceState::Failed
                && let Some(at) = life.retry_at
                && Instant::now() < at
            {
                return Err(CallError::new(
                    CallErrorKind::Unavailable,
                    format!(
                        "`{}` failed and restarts in {} ms",
                        self.label,
                        at.saturating_duration_since(Instant::now()).as_millis()
                    ),
                ));
            }
            if life.ever_started {
                life.restarts += 1;
            }
            life.ever_started = true;
            life.state = InstanceState::Starting;
        }
        let mut in_flight = InFlight::new(s, "start");
        let deadline = Instant::now() + self.runtime.limits.deadline;
        let warm = match tokio::time::timeout(
            self.runtime.limits.deadline + HOST_GRACE,
            self.instantiate(deadline),
        )
        .await
        {
            Err(_) => {
                in_flight.done();
                return Err(self.fail(s, self.timed_out(), "start"));
            }
            Ok(Err((e, store))) => {
                in_flight.done();
                return Err(self.fail(s, self.failure(&e, Some(store)), "start"));
            }
            Ok(Ok(w)) => w,
        };
        let config = s.config.clone();
        let (warm, result) = self
            .guarded(warm, move |i, store| {
                Box::pin(async move { i.yoi_plugin_lifecycle().call_start(store, &config).await })
            })
            .await;
        in_flight.done();
        match result {
            Ok((Ok(()), _)) => {
                *live = warm;
                let mut life = s.life();
                life.state = InstanceState::Running;
                life.failures_in_a_row = 0;
                life.retry_at = None;
                Ok(())
            }
            Ok((Err(message), _)) => Err(self.fail(
                s,
                CallError::new(
                    CallErrorKind::Failed,
                    format!(
                        "`{}` refused to start: {}",
                        self.label,
                        yoi_manifest::bounded(
                            &message,
                            self.runtime.limits.max_error_message_bytes
                        )
                    ),
                ),
                "start",
            )),
            Err(e) => Err(self.fail(s, e, "start")),
        }
    }

    fn fail(&self, s: &crate::stateful::Stateful, err: CallError, during: &str) -> CallError {
        s.life().fail(format!("{during}: {err}"));
        err
    }

    /// Run `f` on the instance under the call deadline. On a trap, timeout or
    /// limit the instance is not handed back.
    async fn guarded<T, F>(&self, mut warm: Warm, f: F) -> Guarded<T>
    where
        F: for<'a> FnOnce(
            &'a crate::component::instance_bindings::Instance,
            &'a mut wasmtime::Store<crate::state::StoreState>,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = wasmtime::Result<T>> + Send + 'a>,
        >,
    {
        let limits = &self.runtime.limits;
        warm.store.data_mut().deadline = Some(Instant::now() + limits.deadline);
        // Count epochs from now: the instance may have idled for many ticks.
        warm.store.set_epoch_deadline(1);
        let Instance::Component(ComponentInstance::Instance(instance)) = &warm.instance else {
            let err = CallError::new(
                CallErrorKind::Unavailable,
                format!("`{}` is not an instance-world plugin", self.label),
            );
            return (Some(warm), Err(err));
        };
        let outcome =
            tokio::time::timeout(limits.deadline + HOST_GRACE, f(instance, &mut warm.store)).await;
        match outcome {
            Err(_) => (None, Err(self.timed_out())),
            Ok(Err(e)) => (None, Err(self.failure(&e, Some(warm.store)))),
            Ok(Ok(value)) => {
                warm.store.data_mut().deadline = None;
                let diagnostics = warm.store.data_mut().take_diagnostics();
                (Some(warm), Ok((value, diagnostics)))
            }
        }
    }

    /// Take the live instance (starting it if needed), run `f`, and put the
    /// instance back unless it failed. Counts the call.
    async fn with_live<T, F>(&self, f: F) -> Result<(T, CallDiagnostics), CallError>
    where
        F: for<'a> FnOnce(
            &'a crate::component::instance_bindings::Instance,
            &'a mut wasmtime::Store<crate::state::StoreState>,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = wasmtime::Result<T>> + Send + 'a>,
        >,
    {
        let Some(s) = &self.stateful else {
            return Err(CallError::new(
                CallErrorKind::Unavailable,
                format!("`{}` is not an instance-world plugin", self.label),
            ));
        };
        let mut live = s.live.lock().await;
        self.ensure_started(s, &mut live).await?;
        let warm = live.take().expect("started above");
        let mut in_flight = InFlight::new(s, "call");
        let (warm, result) = self.guarded(warm, f).await;
        in_flight.done();
        *live = warm;
        let mut life = s.life();
        life.calls += 1;
        if let Err(e) = &result {
            life.errors += 1;
            if live.is_none() {
                life.fail(format!("{e}"));
            }
        }
        result
    }

    pub(crate) async fn call_stateful(
        &self,
        tool: &str,
        input: &str,
    ) -> Result<ToolOutput, CallError> {
        let limits = self.runtime.limits.clone();
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
        let (tool, input) = (tool.to_owned(), input.to_owned());
        let (result, diagnostics) = self
            .with_live(move |i, store| {
                Box::pin(async move {
                    let call =
                        crate::component::bindings::yoi::plugin::types::ToolCall { tool, input };
                    let r = i
                        .yoi_plugin_instance_tools()
                        .call_call(store, &call)
                        .await?;
                    Ok(crate::component::convert_result(r, &limits))
                })
            })
            .await?;
        match result {
            Ok(content) => Ok(ToolOutput {
                content,
                diagnostics,
            }),
            Err(mut e) => {
                if let Some(s) = &self.stateful {
                    s.life().errors += 1;
                }
                e.diagnostics = diagnostics;
                Err(e)
            }
        }
    }

    /// Deliver one ingress event to the instance. The outer error is the
    /// sandbox stopping the handler (the instance fails); the guest's own
    /// refusal is a [`CallErrorKind::Failed`] error.
    pub async fn handle_event(&self, event: IngressEvent) -> Result<Vec<Notice>, CallError> {
        let label = self.label.clone();
        let max_msg = self.runtime.limits.max_error_message_bytes;
        let max_out = self.runtime.limits.max_output_bytes;
        let (result, _) = self
            .with_live(move |i, store| {
                Box::pin(async move {
                    let e = wit_ingress::Event {
                        ingress: event.ingress,
                        kind: event.kind,
                        id: event.id,
                        payload: event.payload,
                    };
                    i.yoi_plugin_ingress().call_handle(store, &e).await
                })
            })
            .await?;
        match result {
            Ok(list) => notices(list, max_out),
            Err(message) => {
                if let Some(s) = &self.stateful {
                    s.life().errors += 1;
                }
                Err(CallError::new(
                    CallErrorKind::Failed,
                    format!(
                        "`{label}` could not handle the event: {}",
                        yoi_manifest::bounded(&message, max_msg)
                    ),
                ))
            }
        }
    }

    /// Run one step of service `name` (the caller checks the grant). Errors
    /// as for [`Self::handle_event`].
    pub async fn run_service(&self, name: &str) -> Result<ServiceStep, CallError> {
        let label = self.label.clone();
        let max_msg = self.runtime.limits.max_error_message_bytes;
        let max_out = self.runtime.limits.max_output_bytes;
        let name = name.to_owned();
        let (result, _) = self
            .with_live(move |i, store| {
                Box::pin(async move { i.yoi_plugin_services().call_run(store, &name).await })
            })
            .await?;
        match result {
            Ok(step) => Ok(ServiceStep {
                notices: notices(step.notices, max_out)?,
                next_run: Duration::from_millis(step.next_run_ms.into())
                    .clamp(SERVICE_MIN_DELAY, SERVICE_MAX_DELAY),
            }),
            Err(message) => {
                if let Some(s) = &self.stateful {
                    s.life().errors += 1;
                }
                Err(CallError::new(
                    CallErrorKind::Failed,
                    format!(
                        "`{label}`: the service step failed: {}",
                        yoi_manifest::bounded(&message, max_msg)
                    ),
                ))
            }
        }
    }

    /// The plugin's own status (a JSON object), if its instance is running
    /// and idle. Never waits for the instance: `None` when a call, event or
    /// service step holds it (the caller keeps what it had), `Some(None)`
    /// when it is not running or reports nothing usable. Does not start an
    /// instance. A status hook runs under the call deadline like any call;
    /// `/status` requests never run it, the registry's refresher does.
    pub async fn try_plugin_status(&self) -> Option<Option<serde_json::Value>> {
        let s = self.stateful.as_ref()?;
        let mut live = s.live.try_lock().ok()?;
        let Some(warm) = live.take() else {
            return Some(None);
        };
        let mut in_flight = InFlight::new(s, "status");
        let (warm, result) = self
            .guarded(warm, |i, store| {
                Box::pin(async move { i.yoi_plugin_lifecycle().call_status(store).await })
            })
            .await;
        in_flight.done();
        *live = warm;
        Some(match result {
            Ok((text, _)) if text.len() <= MAX_STATUS_BYTES => serde_json::from_str(&text).ok(),
            Ok(_) => Some(serde_json::json!({"error": "status larger than the host keeps"})),
            Err(e) => {
                if live.is_none() {
                    s.life().fail(format!("status: {e}"));
                }
                None
            }
        })
    }

    /// Stop the instance: call its `stop`, bounded by the deadline, and drop
    /// it. Always completes; a stateless plugin has nothing to stop.
    pub async fn stop(&self) {
        let Some(s) = &self.stateful else {
            return;
        };
        let mut live = s.live.lock().await;
        let Some(warm) = live.take() else {
            let mut life = s.life();
            if life.state != InstanceState::Failed {
                life.state = InstanceState::Stopped;
            }
            return;
        };
        s.life().state = InstanceState::Stopping;
        let mut in_flight = InFlight::new(s, "stop");
        let (_, result) = self
            .guarded(warm, |i, store| {
                Box::pin(async move { i.yoi_plugin_lifecycle().call_stop(store).await })
            })
            .await;
        in_flight.done();
        let mut life = s.life();
        if let Err(e) = result {
            life.note(format!("stop: {e}"));
        }
        life.state = InstanceState::Stopped;
    }
}
