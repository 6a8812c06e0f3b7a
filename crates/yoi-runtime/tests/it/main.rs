//! Integration tests for the sandbox, one module per topic.
//!
//! Guest fixtures are real plugins built from source by `cargo xtask examples`
//! (found through `YOI_TEST_PLUGINS`, else `target/yoi-plugins`), or
//! WebAssembly text compiled and packed here. Every hostile fixture has a test
//! that asserts the exact typed error, and that the plugin still serves a
//! normal call afterwards.
//!
//! Not covered yet: the deadline cutting off time spent in host calls, which
//! needs host APIs.

mod cache;
mod cancel;
mod concurrency;
mod containment;
mod legacy;
mod mixups;
mod stdio;
mod support;
mod typed;
