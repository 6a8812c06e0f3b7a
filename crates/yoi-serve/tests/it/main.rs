//! The `yoi serve` router in process, driven with `tower::ServiceExt::oneshot`:
//! routing and JSON errors, the `/status` document, the bearer guard on every
//! guarded route, the Host/Origin allowlist on every route (`web`, written as
//! the web page that attacks it); and the server on a
//! loopback port, bound, stopped and drained. Signals, exit codes and
//! end-to-end clients stay with the binary's tests (`crates/yoi/tests`).

mod auth;
mod mcp;
mod routes;
mod server;
mod support;
mod web;
