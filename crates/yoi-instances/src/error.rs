//! Why an ingress event was not accepted.

use crate::ingress::{EVENTS_PER_SEC, MAX_EVENT_BYTES};

/// Why an event was not accepted. The `/ingress` route maps each to an HTTP
/// status; the messages are bounded and never contain the event body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngressError {
    /// No one enabled plugin matches the reference, or the plugin declares no
    /// such ingress (HTTP 404).
    #[error("no such plugin or ingress: {0}")]
    NotFound(String),
    /// The plugin declares the ingress but its grant is not given (HTTP 403).
    #[error("not granted: {0}")]
    NotGranted(String),
    /// The sender's signature or token header is missing or does not match
    /// (HTTP 401).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The body exceeds [`MAX_EVENT_BYTES`] (HTTP 413).
    #[error("the event body is larger than {MAX_EVENT_BYTES} bytes")]
    TooLarge,
    /// The body is not JSON, does not match the ingress's schema, or names no
    /// declared event kind (HTTP 422).
    #[error("invalid event: {0}")]
    Invalid(String),
    /// The plugin's event queue is full (HTTP 429).
    #[error("busy: the plugin's event queue is full; retry later")]
    Busy,
    /// More than [`EVENTS_PER_SEC`] events arrived for the plugin (HTTP 429).
    #[error("rate limited: more than {EVENTS_PER_SEC} events per second; retry later")]
    RateLimited,
    /// The host cannot take the event now: not started, shutting down, or
    /// the event could not be recorded (HTTP 503).
    #[error("unavailable: {0}")]
    Unavailable(String),
}
