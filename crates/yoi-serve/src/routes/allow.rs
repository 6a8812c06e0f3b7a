//! The `Host` and `Origin` allowlist on every route: `/status`, `/healthz`,
//! `/ingress/...`, `/mcp` and paths that match nothing.
//!
//! A DNS-rebinding page reaches the server under its own name, so its
//! requests carry `Host: evil.example`; a cross-site page's requests carry
//! its `Origin`. Both are refused with 403 before any route runs (and before
//! the bearer guard, so a refusal says nothing about tokens). The allowlist
//! is `/mcp`'s ([`HttpOptions::check`]), one predicate for all routes.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use yoi_mcp::{HostRefusal, HttpOptions};

use super::error;

pub(crate) async fn require_allowed(
    State(options): State<HttpOptions>,
    req: Request,
    next: Next,
) -> Response {
    match options.check(req.uri(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err(refusal @ HostRefusal::BadHost) => error(StatusCode::BAD_REQUEST, refusal.message()),
        Err(refusal) => error(StatusCode::FORBIDDEN, refusal.message()),
    }
}
