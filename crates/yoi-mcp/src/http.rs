//! MCP over Streamable HTTP at [`MCP_PATH`], for `yoi serve` to mount.
//!
//! Secure defaults ([`HttpOptions::default`]):
//! - `Host` must name a loopback host (`localhost`, `127.0.0.1`, `::1`, any
//!   port), and a request carrying `Origin` must come from a loopback origin.
//!   These are the SDK's own DNS-rebinding checks (403 otherwise); more hosts
//!   and origins can be added, the loopback ones can never be taken away, and
//!   the checks cannot be switched off through this API.
//! - Request bodies are bounded like stdio lines (413 past the bound).
//!
//! [`HttpOptions::check`] is the same allowlist as one predicate, for a
//! mounting server to apply to its other routes.
//!
//! Authentication is the mounting server's: `yoi serve` puts this router
//! behind the same bearer guard as its other endpoints (`yoi-serve`).
//!
//! Each MCP session (or, at protocol `2026-07-28`, each stateless request)
//! gets its own [`YoiMcp`] over a fresh [`Session`] from the factory.

use std::sync::Arc;

use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use yoi_tools::Session;

use crate::YoiMcp;

mod allow;

pub use allow::Refusal;

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

/// Which `Host` and `Origin` values the HTTP endpoint accepts. The default
/// is loopback only.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    hosts: Vec<String>,
    origins: Vec<String>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            hosts: LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
            origins: LOOPBACK_ORIGINS.iter().map(|o| (*o).to_owned()).collect(),
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
    Router::new().route_service(MCP_PATH, service)
}
