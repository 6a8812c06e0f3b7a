//! MCP over Streamable HTTP at [`MCP_PATH`], for `yoi serve` to mount.
//!
//! Secure defaults ([`HttpOptions::default`]):
//! - `Host` must name a loopback host (`localhost`, `127.0.0.1`, `::1`, any
//!   port), and a request carrying `Origin` must come from a loopback origin.
//!   These are the SDK's own DNS-rebinding checks (403 otherwise); more hosts
//!   and origins can be added, the loopback ones can never be taken away, and
//!   the checks cannot be switched off through this API.
//! - With a bearer token configured, every request must carry
//!   `Authorization: Bearer <token>` or gets 401 before the SDK sees it. The
//!   comparison is constant-time (over SHA-256 digests, so not even the
//!   token's length leaks).
//! - Request bodies are bounded like stdio lines (413 past the bound).
//!
//! Each MCP session (or, at protocol `2026-07-28`, each stateless request)
//! gets its own [`YoiMcp`] over a fresh [`Session`] from the factory.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use yoi_tools::Session;

use crate::YoiMcp;

/// Where the MCP endpoint is mounted.
pub const MCP_PATH: &str = "/mcp";

const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
const LOOPBACK_ORIGINS: [&str; 6] = [
    "http://localhost:*",
    "http://127.0.0.1:*",
    "http://[::1]:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
    "https://[::1]:*",
];

/// How the HTTP endpoint is guarded. The default is loopback only, no token.
#[derive(Clone)]
pub struct HttpOptions {
    hosts: Vec<String>,
    origins: Vec<String>,
    token: Option<Arc<[u8; 32]>>,
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("hosts", &self.hosts)
            .field("origins", &self.origins)
            .field("token", &self.token.as_ref().map(|_| "[set]"))
            .finish()
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            hosts: LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
            origins: LOOPBACK_ORIGINS.iter().map(|o| (*o).to_owned()).collect(),
            token: None,
        }
    }
}

impl HttpOptions {
    /// Also accept these `Host` values (`name` for any port, or `name:port`).
    pub fn allow_hosts(mut self, hosts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.hosts.extend(hosts.into_iter().map(Into::into));
        self
    }

    /// Also accept these browser origins (`scheme://host:port`, `:*` for any port).
    pub fn allow_origins(mut self, origins: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.origins.extend(origins.into_iter().map(Into::into));
        self
    }

    /// Require `Authorization: Bearer <token>` on every request.
    pub fn bearer_token(mut self, token: Option<String>) -> Self {
        self.token = token.map(|t| Arc::new(digest(t.as_bytes())));
        self
    }
}

/// A router serving MCP at [`MCP_PATH`]; `session_factory` makes the session
/// each MCP session's calls go through (typically sharing one registry and
/// history).
pub fn http_router<F>(session_factory: F, options: HttpOptions) -> Router
where
    F: Fn() -> Session + Send + Sync + 'static,
{
    let max_body = YoiMcp::new(session_factory()).max_message_bytes();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(options.hosts)
        .with_allowed_origins(options.origins)
        .enforce_origin_validation()
        .with_max_request_body_bytes(max_body);
    let service = StreamableHttpService::new(
        move || Ok(YoiMcp::new(session_factory())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let router = Router::new().route_service(MCP_PATH, service);
    match options.token {
        None => router,
        Some(expected) => router.layer(middleware::from_fn(move |req: Request, next: Next| {
            let expected = expected.clone();
            async move {
                if authorized(&req, &expected) {
                    next.run(req).await
                } else {
                    unauthorized()
                }
            }
        })),
    }
}

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
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return false;
    }
    bool::from(digest(token.trim_ascii()).ct_eq(expected))
}

fn unauthorized() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        "Unauthorized: this MCP endpoint needs `Authorization: Bearer <token>`\n",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}
