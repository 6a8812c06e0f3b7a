//! The sandbox: one shared wasmtime [`Engine`](wasmtime::Engine), the compiled
//! artifact cache, per-call limits, and adapters for the plugin ABIs (yoi's worlds, typed components, the legacy module).
//!
//! Guarantees, each enforced where noted:
//! - **No ambient authority** (`state.rs`): WASI p2 is linked with an empty
//!   context: no preopens, env, args, sockets or name lookup; stdin closed;
//!   stdout/stderr captured into bounded per-call buffers, never the host's.
//! - **Closed imports** (`component.rs`, `legacy.rs`): an import outside the
//!   linked set fails at load, before any guest code runs.
//! - **Host APIs by grant only** (`host.rs`): a component may import
//!   `yoi:host/https` or `yoi:host/fs` only if its manifest requests it, and
//!   every call is checked against the policies its enablement grants.
//! - **Typed arguments** (`typed.rs`): a typed component's JSON input is
//!   converted to component values by the function's WIT type, strictly,
//!   before the guest runs; a mismatch is `invalid-input`.
//! - **Limits on every call** ([`Limits`]): a wall-clock deadline that stops
//!   guest loops (epoch interruption) and host calls (the call future is
//!   dropped); memory and table caps; bounded input, output, diagnostics.
//!   Each limit has an upper bound ([`Limits::MAX`]) that the runtime's
//!   arithmetic on it relies on.
//! - **Containment**: a trap, panic, timeout or limit hit becomes a
//!   [`CallError`]; the instance that hit it is discarded, the host goes on.
//! - **Compiled cache** (`cache.rs`): artifacts are compiled once, keyed by
//!   package digest and engine compatibility hash, authenticated with a
//!   per-user keyed MAC over the bytes and their name, read only from files
//!   and directories no other user can write, and compiled only from the
//!   digest-keyed materialized cache.

#![warn(missing_docs)]

mod cache;
mod component;
mod engine;
mod error;
mod host;
mod legacy;
mod limits;
mod output;
mod plugin;
mod state;
mod stateful;
mod stdio;
mod typed;

pub use engine::{Runtime, RuntimeConfig};
pub use error::{CallError, CallErrorKind, RuntimeError};
pub use limits::Limits;
pub use output::{
    CallDiagnostics, Content, ITEM_OVERHEAD_BYTES, MAX_CONTENT_ITEMS, MAX_NOTICES, ToolOutput,
};
pub use plugin::{LoadOptions, LoadSource, LoadedPlugin};
pub use stateful::{
    IngressEvent, InstanceState, Lifecycle, Notice, SERVICE_MAX_DELAY, SERVICE_MIN_DELAY,
    ServiceStep,
};
pub use yoi_host_apis::HostApis;
