//! Why an ingress event was not accepted.

use crate::ingress::{EVENTS_PER_SEC, MAX_EVENT_BYTES};

/// Why an event was not accepted. The `/ingress` route maps each to an HTTP
/// status; the messages are bounded and never contain the event body.
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
