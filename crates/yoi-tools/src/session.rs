//! Sessions: the one path every tool call takes.
//!
//! Order: the call is recorded first (`tool_call`), so that every refusal
//! is in history too. Then, each before any plugin code runs: the tool is
//! registered; the input is within the size bound, is JSON, and satisfies
//! the tool's input schema; the grant still allows the tool
//! ([`yoi_workspace::ResolvedPlugin::allows`], asked again here, not only at
//! registration). Then the plugin's instance runs it, its output is checked
//! against the declared output schema, and the outcome is recorded
//! (`tool_result` or `tool_error`; `cancelled` if the call is dropped).

use std::sync::Arc;
use std::time::{Duration, Instant};

use yoi_history::{Event, EventKind, History};
use yoi_manifest::Surface;
use yoi_runtime::{CallError, CallErrorKind, ToolOutput};

use crate::registry::{Entry, Origin, Target, ToolRegistry};

/// Most schema violations listed in one error.
const MAX_SCHEMA_ERRORS: usize = 5;

/// The result of one call, with its history id and duration.
#[derive(Debug)]
pub struct CallOutcome {
    /// Id of the `tool_call` history event, if history is on.
    pub call_id: Option<i64>,
    /// The tool's output, or why the call was refused or failed.
    pub result: Result<ToolOutput, CallError>,
    /// Wall-clock time of the call, from the lookup to its outcome.
    pub duration: Duration,
}

/// A session over one registry, recording into one history.
#[derive(Debug, Clone)]
pub struct Session {
    id: Arc<str>,
    registry: Arc<ToolRegistry>,
    history: Option<Arc<History>>,
}

impl Session {
    /// A session with a fresh id over `registry`; `history: None` records
    /// nothing.
    pub fn new(registry: Arc<ToolRegistry>, history: Option<Arc<History>>) -> Session {
        Session {
            id: yoi_history::new_session_id().into(),
            registry,
            history,
        }
    }

    /// The session id every event it records carries.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The registry this session calls into.
    pub fn registry(&self) -> &ToolRegistry {
        &self.registry
    }

    /// The history calls are recorded in, if any.
    pub fn history(&self) -> Option<&History> {
        self.history.as_deref()
    }

    /// Call tool `name` with `input` (JSON text).
    pub async fn call(&self, name: &str, input: &str) -> CallOutcome {
        let started = Instant::now();
        let entry = self.registry.entry(name);
        let (origin_ref, digest) = match entry.map(|e| &e.info.origin) {
            Some(Origin::Plugin {
                reference, digest, ..
            }) => (Some(reference.as_str()), Some(digest.as_str())),
            _ => (None, None),
        };
        let call_id = self.record(Event {
            tool: Some(name),
            plugin: origin_ref,
            digest,
            input: Some(input),
            ..self.event(EventKind::ToolCall)
        });
        // If this future is dropped mid-call (a client cancelled, a
        // connection closed), the guard records the call as cancelled so
        // that no call in history is left without an outcome.
        let mut guard = CancelGuard {
            session: self,
            call_id,
            tool: name,
            plugin: origin_ref,
            digest,
            started,
            armed: true,
        };
        let result = self.run(name, entry, input).await;
        guard.armed = false;
        let duration = started.elapsed();
        let (kind, output, error_kind, message) = match &result {
            Ok(out) => (
                EventKind::ToolResult,
                // Serialised for history only.
                self.history
                    .as_ref()
                    .and_then(|_| serde_json::to_string(&out.content).ok()),
                None,
                None,
            ),
            Err(e) => (
                EventKind::ToolError,
                None,
                Some(e.kind.as_str()),
                Some(e.message.as_str()),
            ),
        };
        self.record(Event {
            call_id,
            tool: Some(name),
            plugin: origin_ref,
            digest,
            output: output.as_deref(),
            error_kind,
            message,
            duration_us: Some(duration.as_micros() as u64),
            ..self.event(kind)
        });
        CallOutcome {
            call_id,
            result,
            duration,
        }
    }

    pub(crate) fn event(&self, kind: EventKind) -> Event<'_> {
        Event::new(&self.id, kind)
    }

    /// Append to history. A history that cannot be written does not fail
    /// the call (the call already happened); the history keeps the error
    /// among its problems for the front end to show.
    pub(crate) fn record(&self, event: Event<'_>) -> Option<i64> {
        self.history.as_ref()?.append(&event).ok()
    }

    async fn run(
        &self,
        name: &str,
        entry: Option<&Entry>,
        input: &str,
    ) -> Result<ToolOutput, CallError> {
        let entry = entry.ok_or_else(|| {
            CallError::new(
                CallErrorKind::NotFound,
                format!(
                    "no tool named `{}` is registered",
                    yoi_manifest::bounded(name, 80)
                ),
            )
        })?;
        let max_input = self
            .registry
            .runtime()
            .map(|r| r.limits().max_input_bytes)
            .unwrap_or(1 << 20);
        if input.len() > max_input {
            return Err(CallError::new(
                CallErrorKind::InputTooLarge,
                format!(
                    "the input is {} bytes; the limit is {max_input}",
                    input.len()
                ),
            ));
        }
        let value: serde_json::Value = serde_json::from_str(input).map_err(|e| {
            CallError::new(
                CallErrorKind::InvalidInput,
                format!("the input is not JSON: {e}"),
            )
        })?;
        // `is_valid` is the fast path; the errors are collected only when
        // there are some.
        let problems: Vec<String> = if entry.input.is_valid(&value) {
            Vec::new()
        } else {
            entry
                .input
                .iter_errors(&value)
                .take(MAX_SCHEMA_ERRORS)
                .map(|e| {
                    let at = e.instance_path().to_string();
                    format!(
                        "{}: {}",
                        if at.is_empty() {
                            "input".to_owned()
                        } else {
                            at
                        },
                        yoi_manifest::bounded(&e.to_string(), 200)
                    )
                })
                .collect()
        };
        if !problems.is_empty() {
            return Err(CallError::new(
                CallErrorKind::InvalidInput,
                format!(
                    "the input does not match the schema of `{name}`: {}",
                    problems.join("; ")
                ),
            ));
        }
        let output = match &entry.target {
            Target::Builtin(b) => b.call(self, &value)?,
            Target::Plugin(instance) => {
                // Grants are checked at registration and again here, on every call.
                if !instance.resolved().allows(Surface::Tool, name) {
                    return Err(CallError::new(
                        CallErrorKind::NotGranted,
                        format!("`{}` is not granted tool `{name}`", instance.reference()),
                    ));
                }
                instance.loaded()?.call(name, input).await?
            }
        };
        if let (Some(validator), Some(json)) = (&entry.output, output.json())
            && !validator.is_valid(json)
            && let Some(e) = validator.iter_errors(json).next()
        {
            return Err(CallError {
                diagnostics: output.diagnostics.clone(),
                ..CallError::new(
                    CallErrorKind::BadOutput,
                    format!(
                        "the output of `{name}` does not match its declared output schema: {}",
                        yoi_manifest::bounded(&e.to_string(), 300)
                    ),
                )
            });
        }
        Ok(output)
    }
}

/// Records a `tool_error` of kind `cancelled` when a call is dropped before it ends.
struct CancelGuard<'a> {
    session: &'a Session,
    call_id: Option<i64>,
    tool: &'a str,
    plugin: Option<&'a str>,
    digest: Option<&'a str>,
    started: Instant,
    armed: bool,
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.session.record(Event {
            call_id: self.call_id,
            tool: Some(self.tool),
            plugin: self.plugin,
            digest: self.digest,
            error_kind: Some("cancelled"),
            message: Some(
                "the call was cancelled before it finished; a plugin already running it was stopped (a stateful plugin's instance is then recorded as failed and restarted)",
            ),
            duration_us: Some(self.started.elapsed().as_micros() as u64),
            ..self.session.event(EventKind::ToolError)
        });
    }
}
