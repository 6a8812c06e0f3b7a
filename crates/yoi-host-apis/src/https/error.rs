//! What an https call can fail with, mirroring the WIT `error` variant.
//!
//! `Denied` is reserved for the grant saying no (target, method, redirect, a
//! blocked DNS answer); everything else is the request being malformed or the
//! network failing. Messages are bounded and never carry secret values or
//! response bodies.

use std::error::Error as StdError;
use std::time::Duration;

/// Why an outbound request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpsError {
    /// No grant allows this request (or a redirect, or the address a name resolved to).
    #[error("denied: {reason}")]
    Denied {
        /// What was denied, and why.
        reason: String,
    },
    /// The request itself is malformed or carries something a plugin may not send.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong with the request.
        reason: String,
    },
    /// The name did not resolve.
    #[error("dns lookup for `{host}` failed: {message}")]
    Dns {
        /// The name looked up.
        host: String,
        /// The resolver's message.
        message: String,
    },
    /// No connection could be made to any checked address.
    #[error("connect failed: {message}")]
    Connect {
        /// Why the connection failed.
        message: String,
    },
    /// The TLS handshake failed (untrusted certificate, wrong name, ...).
    #[error("tls failed: {message}")]
    Tls {
        /// Why the handshake failed.
        message: String,
    },
    /// The whole exchange, redirects and body included, took too long.
    #[error("timed out after {}ms", after.as_millis())]
    Timeout {
        /// The deadline that passed.
        after: Duration,
    },
    /// A request or response part exceeded its bound.
    #[error("too large: {what} exceeds {limit}")]
    TooLarge {
        /// What was too large.
        what: String,
        /// The bound it exceeded.
        limit: String,
    },
    /// The server spoke something other than acceptable HTTP.
    #[error("protocol error: {message}")]
    Protocol {
        /// What the server got wrong.
        message: String,
    },
}

impl HttpsError {
    /// The WIT case names of `error`, in declaration order.
    pub const KINDS: [&'static str; 8] = [
        "denied",
        "invalid-request",
        "dns",
        "connect",
        "tls",
        "timeout",
        "too-large",
        "protocol",
    ];

    /// This error's WIT case name, e.g. for logs and counters.
    pub fn kind(&self) -> &'static str {
        Self::KINDS[match self {
            HttpsError::Denied { .. } => 0,
            HttpsError::InvalidRequest { .. } => 1,
            HttpsError::Dns { .. } => 2,
            HttpsError::Connect { .. } => 3,
            HttpsError::Tls { .. } => 4,
            HttpsError::Timeout { .. } => 5,
            HttpsError::TooLarge { .. } => 6,
            HttpsError::Protocol { .. } => 7,
        }]
    }

    pub(crate) fn denied(reason: impl Into<String>) -> Self {
        HttpsError::Denied {
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        HttpsError::InvalidRequest {
            reason: reason.into(),
        }
    }

    pub(crate) fn too_large(what: impl Into<String>, limit: impl std::fmt::Display) -> Self {
        HttpsError::TooLarge {
            what: what.into(),
            limit: limit.to_string(),
        }
    }

    /// Sort a reqwest failure into the WIT error kinds.
    pub(crate) fn from_reqwest(err: &reqwest::Error) -> Self {
        let message = chain(err);
        let mut cause: Option<&(dyn StdError + 'static)> = Some(err);
        while let Some(e) = cause {
            if e.downcast_ref::<rustls::Error>().is_some() {
                return HttpsError::Tls { message };
            }
            if let Some(h) = e.downcast_ref::<hyper::Error>()
                && h.is_parse_too_large()
            {
                return HttpsError::too_large("response head", "the header limit");
            }
            cause = next_cause(e);
        }
        if err.is_connect() {
            HttpsError::Connect { message }
        } else {
            HttpsError::Protocol { message }
        }
    }
}

/// The next error in a chain. An `io::Error` wrapping another error reports
/// the wrapped error's *source* as its own, skipping the wrapped error
/// itself (often a `rustls::Error`); step into it instead.
fn next_cause<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    match err
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        Some(inner) => Some(inner),
        None => err.source(),
    }
}

/// An error and its causes on one line, bounded.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = next_cause(err);
    while let Some(e) = cause {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = next_cause(e);
    }
    yoi_manifest::bounded(&text, 400)
}
