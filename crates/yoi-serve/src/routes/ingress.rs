//! `POST /ingress/{plugin}/{ingress}[?kind=KIND]`: one JSON event for a
//! plugin's declared, granted ingress.
//!
//! What a web page cannot do here:
//! - send a "simple" cross-site request: the body must be declared
//!   `Content-Type: application/json` (parameters such as `; charset=utf-8`
//!   allowed), which a page can only send after a CORS preflight this server
//!   never answers; anything else is 415, before the body is read.
//! - map what is served: without a bearer token configured, an unknown
//!   plugin, an ungranted ingress and a missing one answer the same 404 with
//!   the same body ([`NOT_FOUND_MESSAGE`]). Behind a bearer token the caller
//!   is the operator, who gets the specific message (404, or 403 for a
//!   declared but ungranted ingress).
//!
//! The body is read up to `MAX_EVENT_BYTES` (413 past it); every other check
//! is the instance registry's (`PluginInstanceRegistry::deliver`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::json;
use yoi_instances::{IngressError, MAX_EVENT_BYTES, PluginInstanceRegistry};

use super::{error, json_response};

/// The one 404 message of an ingress that is not there for an
/// unauthenticated sender, whatever the reason.
pub(crate) const NOT_FOUND_MESSAGE: &str = "no such plugin or ingress";

/// What the ingress route serves from.
#[derive(Clone)]
pub(crate) struct IngressState {
    pub(crate) instances: Arc<PluginInstanceRegistry>,
    /// Whether a bearer token guards the route (the sender is then the
    /// operator, and gets specific refusals).
    pub(crate) authenticated: bool,
}

/// Whether `headers` declare a JSON body: `application/json`, any case,
/// with or without parameters.
fn declares_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

pub(crate) async fn ingress(
    State(state): State<IngressState>,
    Path((plugin, name)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !declares_json(&headers) {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "an event must be sent with `Content-Type: application/json`",
        );
    }
    // `?kind=NAME`; kinds are plain names, so no decoding is needed (an
    // encoded one simply matches no declared kind).
    let kind = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("kind="));
    let bytes = match axum::body::to_bytes(body, MAX_EVENT_BYTES + 1).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &IngressError::TooLarge.to_string(),
            );
        }
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    match state
        .instances
        .deliver(&plugin, &name, kind, &bytes, &header)
    {
        Ok(id) => json_response(StatusCode::ACCEPTED, &json!({"id": id, "queued": true})),
        Err(IngressError::NotFound(_) | IngressError::NotGranted(_)) if !state.authenticated => {
            error(StatusCode::NOT_FOUND, NOT_FOUND_MESSAGE)
        }
        Err(e) => {
            let status = match &e {
                IngressError::NotFound(_) => StatusCode::NOT_FOUND,
                IngressError::NotGranted(_) => StatusCode::FORBIDDEN,
                IngressError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                IngressError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                IngressError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                IngressError::Busy | IngressError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                IngressError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            error(status, &e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn only_a_declared_json_body_is_an_event() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
            declares_json(&h)
        };
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            " application/json ;charset=UTF-8",
        ] {
            assert!(with(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "text/plain; application/json",
            "",
        ] {
            assert!(!with(bad), "{bad}");
        }
        assert!(!declares_json(&HeaderMap::new()));
    }
}
