//! End-to-end tests of the `yoi` binary in isolated temporary workspaces.

mod authoring;
mod help;
mod host_apis;
mod mcp;
mod serve;
mod statuses;
mod support;
mod tools;
mod trust;
mod typed;
mod wasi_fs;
