//! The HTTP surface of `yoi serve`: `/healthz`, `/status`, MCP at
//! [`yoi_mcp::MCP_PATH`], and a JSON error for everything else.
//!
//! - `/healthz` is open to anyone who can connect: it says only that the
//!   process is serving, so liveness probes need no secret.
//! - `/status` names the workspace path and every plugin, so with a bearer
//!   token configured it requires the same token as `/mcp` (401 otherwise).
//! - `POST /ingress/{plugin}/{ingress}[?kind=KIND]`: one JSON event for a
//!   plugin's declared, granted ingress; 202 with the event id once it is
//!   recorded and queued, 4xx with a JSON error otherwise (429 when the
//!   plugin's queue is full). With a bearer token configured it requires the
//!   token too.
//! - Request bodies: `/mcp` bounds its own (413 past the bound), `/ingress`
//!   reads at most `MAX_EVENT_BYTES` (413 past it); the other endpoints take
//!   none and refuse a request that declares one (413), so no body is ever
//!   read unbounded.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use axum::extract::{Path, State};
use axum::routing::post;
use yoi_tools::{IngressError, MAX_EVENT_BYTES, PluginInstanceRegistry};

use super::status::StatusReport;

pub const HEALTH_PATH: &str = "/healthz";
pub const STATUS_PATH: &str = "/status";

/// The whole application: `mcp` is `yoi_mcp::http_router`, already guarded
/// by its own Host/Origin checks and token.
pub fn router(
    status: StatusReport,
    instances: Arc<PluginInstanceRegistry>,
    mcp: Router,
    token: Option<&str>,
) -> Router {
    let status = Arc::new(status);
    let live = instances.clone();
    let mut status_route = Router::new().route(
        STATUS_PATH,
        get(move || {
            let status = status.clone();
            let live = live.clone();
            async move { json_response(StatusCode::OK, &live_status(&status, &live).await) }
        }),
    );
    let mut ingress_route = Router::new()
        .route(INGRESS_PATH, post(ingress))
        .with_state(instances);
    if let Some(token) = token {
        let expected = Arc::new(digest(token.as_bytes()));
        let guard = expected.clone();
        ingress_route =
            ingress_route.route_layer(middleware::from_fn(move |req: Request, next: Next| {
                let expected = guard.clone();
                async move {
                    if authorized(&req, &expected) {
                        next.run(req).await
                    } else {
                        unauthorized()
                    }
                }
            }));
        status_route =
            status_route.route_layer(middleware::from_fn(move |req: Request, next: Next| {
                let expected = expected.clone();
                async move {
                    if authorized(&req, &expected) {
                        next.run(req).await
                    } else {
                        unauthorized()
                    }
                }
            }));
    }
    Router::new()
        .route(
            HEALTH_PATH,
            get(|| async { json_response(StatusCode::OK, &json!({"ok": true})) }),
        )
        .merge(status_route)
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "this endpoint answers GET only",
            )
        })
        .route_layer(middleware::from_fn(refuse_bodies))
        .merge(ingress_route)
        .merge(mcp)
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such endpoint; yoi serve answers /healthz, /status, /ingress/{plugin}/{ingress} and /mcp",
            )
        })
}

pub const INGRESS_PATH: &str = "/ingress/{plugin}/{ingress}";

/// The static report with each plugin's live instance state added (as
/// `instance`), and every instance under `instances`.
async fn live_status(status: &StatusReport, live: &PluginInstanceRegistry) -> serde_json::Value {
    let reports = live.report().await;
    let mut value = serde_json::to_value(status).unwrap_or_default();
    if let Some(plugins) = value.get_mut("plugins").and_then(|p| p.as_array_mut()) {
        for p in plugins {
            let name = p.get("plugin").and_then(|n| n.as_str()).map(str::to_owned);
            if let Some(r) = reports.iter().find(|r| Some(&r.plugin) == name.as_ref()) {
                p["instance"] = serde_json::to_value(r).unwrap_or_default();
            }
        }
    }
    value
}

async fn ingress(
    State(instances): State<Arc<PluginInstanceRegistry>>,
    Path((plugin, name)): Path<(String, String)>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
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
    match instances.deliver(&plugin, &name, kind, &bytes, &header) {
        Ok(id) => json_response(StatusCode::ACCEPTED, &json!({"id": id, "queued": true})),
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

/// `{"error": {"status": 404, "message": "..."}}` with that status.
pub fn error(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        &json!({"error": {"status": status.as_u16(), "message": message}}),
    )
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec_pretty(value) {
        Ok(mut body) => {
            body.push(b'\n');
            let mut response = (status, Body::from(body)).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the response: {e}\n"),
        )
            .into_response(),
    }
}

/// The GET endpoints never read a body; one that is declared is refused
/// rather than left unread on the connection.
async fn refuse_bodies(req: Request, next: Next) -> Response {
    let declared = req.headers().get(header::CONTENT_LENGTH).is_some_and(|v| {
        v.to_str()
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .is_none_or(|n| n > 0)
    }) || req.headers().contains_key(header::TRANSFER_ENCODING);
    if declared {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "this endpoint takes no request body",
        );
    }
    next.run(req).await
}

/// Compared as SHA-256 digests in constant time, as `yoi-mcp` does for
/// `/mcp`, so neither the token nor its length leaks through timing.
fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn authorized(req: &Request, expected: &[u8; 32]) -> bool {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return false;
    };
    let Some((scheme, token)) = value.as_bytes().split_first_chunk::<7>() else {
        return false;
    };
    scheme.eq_ignore_ascii_case(b"bearer ")
        && bool::from(digest(token.trim_ascii()).ct_eq(expected))
}

fn unauthorized() -> Response {
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        "this endpoint needs `Authorization: Bearer <token>` (the token of `[serve] token_file`)",
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}
