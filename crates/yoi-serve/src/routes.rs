//! The HTTP surface of `yoi serve`: `/healthz`, `/status`, MCP at
//! [`yoi_mcp::MCP_PATH`], `/ingress/{plugin}/{ingress}`, and a JSON error for
//! everything else.
//!
//! - Every route, and every path that matches none, first passes the `Host`
//!   and `Origin` allowlist `/mcp` has always had (403 otherwise, see
//!   `allow`): a DNS-rebinding or cross-site page gets nothing from any of
//!   them.
//! - `/healthz` is open to anyone who can connect: it says only that the
//!   process is serving, so liveness probes need no secret.
//! - `/status` names the workspace path and every plugin, so with a bearer
//!   token configured it requires the same token as `/mcp` (401 otherwise).
//!   It is built from the instance registry's counters, lifecycles and
//!   status snapshots: a request runs no guest code and waits for no
//!   instance.
//! - `POST /ingress/{plugin}/{ingress}[?kind=KIND]`: one JSON event for a
//!   plugin's declared, granted ingress; 202 with the event id once it is
//!   recorded and queued, 4xx with a JSON error otherwise (415 unless the
//!   body is declared `application/json`, 429 when the plugin's queue is
//!   full; see `ingress`). With a bearer token configured it requires the
//!   token too.
//! - `/mcp` keeps `yoi-mcp`'s own Host and Origin checks and body bound,
//!   behind the same bearer guard ([`BearerGuard`]) as the two above.
//! - Request bodies: `/mcp` bounds its own (413 past the bound), `/ingress`
//!   reads at most `MAX_EVENT_BYTES` (413 past it); the other endpoints take
//!   none and refuse a request that declares one (413), so no body is ever
//!   read unbounded.
//! - Every JSON body has its object keys in name order.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;
use yoi_history::History;
use yoi_mcp::HttpOptions;
use yoi_tools::{Session, ToolRegistry};

use crate::BearerGuard;
use crate::status::StatusReport;

mod allow;
mod ingress;

use ingress::IngressState;

/// Liveness: answers while the server runs, unguarded.
pub const HEALTH_PATH: &str = "/healthz";
/// The [`StatusReport`] with live instance state, behind the bearer guard
/// when there is one.
pub const STATUS_PATH: &str = "/status";
/// Where an ingress event is posted (`POST`, guarded like `/status`): the
/// plugin reference, then the ingress name.
pub const INGRESS_PATH: &str = "/ingress/{plugin}/{ingress}";

/// Everything the routes serve from; [`App::router`] makes the router.
pub struct App {
    /// The report built at start; each `/status` adds the instances' live
    /// state (see [`yoi_instances::InstanceReport`]).
    pub status: StatusReport,
    /// Each MCP session gets its own [`Session`] over this registry; its
    /// plugin instances are where ingress events go and whose state
    /// `/status` reports.
    pub registry: Arc<ToolRegistry>,
    /// Where every MCP session's calls are recorded.
    pub history: Option<Arc<History>>,
    /// The Host and Origin allowlist of every route, `/mcp`'s own included
    /// (see `ServeConfig::mcp_options`).
    pub mcp: HttpOptions,
    /// The bearer token `/mcp`, `/status` and `/ingress` require, if any.
    pub guard: Option<BearerGuard>,
}

impl App {
    /// The whole application as one router.
    pub fn router(self) -> Router {
        let App {
            status,
            registry,
            history,
            mcp,
            guard,
        } = self;
        let instances = registry.instances().clone();
        let status = Arc::new(status);
        let live = instances.clone();
        let status_route = Router::new().route(
            STATUS_PATH,
            get(move || {
                let status = status.clone();
                let live = live.clone();
                async move {
                    let report = status.with_instances(live.report());
                    json_response(StatusCode::OK, &report)
                }
            }),
        );
        let ingress_route = Router::new()
            .route(INGRESS_PATH, post(ingress::ingress))
            .with_state(IngressState {
                instances,
                authenticated: guard.is_some(),
            });
        let allowlist = mcp.clone();
        let mcp_route =
            yoi_mcp::http_router(move || Session::new(registry.clone(), history.clone()), mcp);
        let guarded = |router: Router| match &guard {
            Some(guard) => guard.protect(router),
            None => router,
        };
        Router::new()
            .route(
                HEALTH_PATH,
                get(|| async { json_response(StatusCode::OK, &json!({"ok": true})) }),
            )
            .merge(guarded(status_route))
            .method_not_allowed_fallback(|| async {
                error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "this endpoint answers GET only",
                )
            })
            .route_layer(middleware::from_fn(refuse_bodies))
            .merge(guarded(ingress_route))
            .merge(guarded(mcp_route))
            .fallback(|| async {
                error(
                    StatusCode::NOT_FOUND,
                    "no such endpoint; yoi serve answers /healthz, /status, /ingress/{plugin}/{ingress} and /mcp",
                )
            })
            .layer(middleware::from_fn_with_state(
                allowlist,
                allow::require_allowed,
            ))
    }
}

/// `{"error": {"status": 404, "message": "..."}}` with that status.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        &json!({"error": {"status": status.as_u16(), "message": message}}),
    )
}

/// Pretty JSON with a trailing newline. The value goes through
/// `serde_json::Value`, whose objects are ordered by key, so every body has
/// its keys in name order, nested ones included (the order `/status` has
/// always had; its snapshot pins it).
pub(crate) fn to_json(value: &impl Serialize) -> serde_json::Result<Vec<u8>> {
    let mut body = serde_json::to_vec_pretty(&serde_json::to_value(value)?)?;
    body.push(b'\n');
    Ok(body)
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match to_json(value) {
        Ok(body) => {
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
