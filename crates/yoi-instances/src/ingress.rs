//! Ingress admission: every check an event passes before it is accepted.
//!
//! Events are untrusted input. In order, each before the next: the ingress
//! exists and is granted (per surface, independent of tool grants); the
//! sender check the enablement configures passes (an unreadable secret
//! closes the ingress rather than opening it); the ingress is within its
//! rate ([`EVENTS_PER_SEC`], bursts of [`EVENT_BURST`]); the body is at most
//! [`MAX_EVENT_BYTES`] of JSON that matches the declared schema; the kind is
//! one the ingress declares. Only then is the event recorded and queued
//! (see [`crate::queue`]).

use std::time::Instant;

use parking_lot::Mutex;
use yoi_grants::IngressCheck;
use yoi_workspace::ResolvedIngress;

use crate::IngressError;

/// Largest event body accepted.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Events queued per plugin before new ones are refused as busy.
pub const QUEUE_LEN: usize = 64;
/// Events per second accepted per ingress, on average.
pub const EVENTS_PER_SEC: f64 = 50.0;
/// Events an ingress accepts in a burst above [`EVENTS_PER_SEC`].
pub const EVENT_BURST: f64 = 100.0;

/// One eligible ingress, ready to admit events.
pub(crate) struct Ingress {
    pub(crate) resolved: ResolvedIngress,
    /// The sender check with its secret read, if one is configured.
    check: Option<Result<IngressCheck, String>>,
    validator: Result<jsonschema::Validator, String>,
    bucket: Mutex<Bucket>,
}

/// An event that passed every check.
pub(crate) struct Admitted {
    pub(crate) kind: String,
    /// The body, re-serialised compactly.
    pub(crate) payload: String,
}

/// Why admission refused an event, for the counters.
pub(crate) enum Refusal {
    /// Over the rate: counted as dropped.
    Dropped(IngressError),
    /// Invalid or unauthorized: counted as rejected.
    Rejected(IngressError),
    /// The ingress cannot take events at all (a broken schema or secret).
    Closed(IngressError),
}

impl Ingress {
    pub(crate) fn new(resolved: ResolvedIngress) -> Ingress {
        let check = resolved
            .auth
            .as_ref()
            .map(|a| a.check().map_err(|e| e.to_string()));
        let validator = jsonschema::validator_for(&resolved.input_schema)
            .map_err(|e| format!("the ingress schema is invalid: {e}"));
        Ingress {
            resolved,
            check,
            validator,
            bucket: Mutex::new(Bucket::new()),
        }
    }

    /// Run every check on one event; see the module documentation.
    pub(crate) fn admit(
        &self,
        kind: Option<&str>,
        body: &[u8],
        header: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Admitted, Refusal> {
        // The sender is checked before anything else about the event, and
        // before the rate: unauthenticated senders cannot spend the budget
        // of the real one.
        if let Some(check) = &self.check {
            let check = check.as_ref().map_err(|e| {
                Refusal::Closed(IngressError::Unavailable(format!(
                    "the ingress's sender check is broken: {e}"
                )))
            })?;
            if body.len() > MAX_EVENT_BYTES {
                return Err(Refusal::Rejected(IngressError::TooLarge));
            }
            crate::sender::verify(check, body, header).map_err(Refusal::Rejected)?;
        }
        if !self.bucket.lock().take() {
            return Err(Refusal::Dropped(IngressError::RateLimited));
        }
        if body.len() > MAX_EVENT_BYTES {
            return Err(Refusal::Rejected(IngressError::TooLarge));
        }
        let payload: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            Refusal::Rejected(IngressError::Invalid(format!("the body is not JSON: {e}")))
        })?;
        let validator = self
            .validator
            .as_ref()
            .map_err(|e| Refusal::Closed(IngressError::Unavailable(e.clone())))?;
        if let Some(e) = validator.iter_errors(&payload).next() {
            return Err(Refusal::Rejected(IngressError::Invalid(
                yoi_manifest::bounded(&format!("at `{}`: {e}", e.instance_path()), 400),
            )));
        }
        let kinds = &self.resolved.kinds;
        let kind = match kind {
            Some(k) if kinds.iter().any(|d| d == k) => k.to_owned(),
            Some(k) => {
                return Err(Refusal::Rejected(IngressError::Invalid(format!(
                    "event kind `{}` is not one of: {}",
                    yoi_manifest::bounded(k, 60),
                    kinds.join(", ")
                ))));
            }
            None if kinds.len() == 1 => kinds[0].clone(),
            None => {
                return Err(Refusal::Rejected(IngressError::Invalid(format!(
                    "say which kind of event this is (`?kind=`): one of {}",
                    kinds.join(", ")
                ))));
            }
        };
        Ok(Admitted {
            kind,
            payload: payload.to_string(),
        })
    }
}

/// A token bucket: [`EVENT_BURST`] tokens, refilled at [`EVENTS_PER_SEC`].
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new() -> Bucket {
        Bucket {
            tokens: EVENT_BURST,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
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
