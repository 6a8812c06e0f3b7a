//! `yoi serve` as a library: the workspace over HTTP (MCP at `/mcp`,
//! `/status`, `/healthz`, `/ingress/{plugin}/{ingress}`).
//!
//! - [`ServeConfig`]: the `[serve]` table, validated; [`read_token`] reads
//!   the bearer token it names, returning warnings as data.
//! - [`BearerGuard`]: the one bearer-token check, used by every guarded
//!   route.
//! - [`StatusReport`]: the typed `/status` document.
//! - [`App`]: every route in one [`axum::Router`], testable in process.
//! - [`Server`]: bind, report the bound address, serve until told to stop,
//!   then drain within a grace period.
//!
//! The binary keeps its arguments, the signals and every line it prints;
//! nothing here prints.

#![warn(missing_docs)]

mod auth;
mod config;
mod error;
mod routes;
mod server;
mod status;

pub use auth::BearerGuard;
pub use config::{DEFAULT_LISTEN, ServeConfig, Token, read_token};
pub use error::ServeError;
pub use routes::{App, HEALTH_PATH, INGRESS_PATH, STATUS_PATH};
pub use server::{Draining, GRACE, Server, Stopped};
pub use status::{
    DiagnosticKind, PluginDiagnostic, PluginStatus, ServeDiagnosticKind, StatusReport,
};
