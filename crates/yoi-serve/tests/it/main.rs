//! The `yoi serve` router in process, driven with `tower::ServiceExt::oneshot`:
//! routing and JSON errors, the `/status` document, the bearer guard on every
//! guarded route, and the Host/Origin checks of `/mcp`; and the server on a
//! loopback port, bound, stopped and drained. Signals, exit codes and
//! end-to-end clients stay with the binary's tests (`crates/yoi/tests`).

mod auth;
mod mcp;
mod routes;
mod server;
mod support;
