//! yoi's benchmarks and the baselines they are judged against.
//!
//! `cargo xtask bench [--json FILE]` builds everything in release and runs the
//! `yoi-bench` binary, which measures every path in one process run (plus
//! the child processes it times) and reports each figure next to its
//! baseline as a ratio. `cargo bench -p yoi-bench` runs the in-process call
//! paths under criterion for closer study.
//!
//! - [`fixtures`]: the packed example plugins, echo workspaces, sessions,
//!   and the native echo (the floor).
//! - [`raw`]: the echo component called through bare wasmtime (the engine's limit).
//! - [`harness`]: warm-up, batching and medians.
//! - [`client`]: a line-delimited JSON-RPC client for MCP over stdio.
//! - [`report`]: results, ratios, targets, the JSON report and the table.

pub mod client;
pub mod fixtures;
pub mod harness;
pub mod raw;
pub mod report;

pub use fixtures::{Bench, echo_input, fixture, native_echo, runtime};
