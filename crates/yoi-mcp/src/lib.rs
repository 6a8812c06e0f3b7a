//! The workspace's tools over the Model Context Protocol, on the official
//! Rust SDK (`rmcp`).
//!
//! [`YoiMcp`] is the server handler: `tools/list` is exactly the registry's
//! model-visible tools, fixed when the handler is made, and every `tools/call`
//! goes through one [`yoi_tools::Session`], so it is validated, granted and
//! recorded in history like any other call. A failed call (including an
//! unknown tool) is an MCP tool error result (`isError: true`), never a
//! protocol error. Front ends:
//!
//! - [`serve_stdio`]: newline-delimited JSON-RPC on stdin/stdout (`yoi mcp`).
//!   It takes fd 1 for itself, so nothing but protocol reaches stdout.
//! - [`http_router`]: Streamable HTTP at `/mcp`, with the SDK's Host and
//!   Origin checks against DNS rebinding on, loopback only by default (for
//!   `yoi serve`, which adds its bearer guard).
//!
//! Protocol revisions: the SDK's current `2026-07-28` (per-request metadata,
//! no handshake) and, through `initialize`, `2025-11-25`, `2025-06-18`,
//! `2025-03-26` and `2024-11-05`.

#![warn(missing_docs)]

mod convert;
mod handler;
mod http;
#[cfg(unix)]
mod pipe;
mod stdio;

pub use handler::{EVENTS_URI, PROGRESS_INTERVAL, YoiMcp};
pub use http::{HttpOptions, MCP_PATH, Refusal as HostRefusal, http_router};
pub use stdio::{serve_io, serve_stdio};
