//! Write [yoi] plugins in Rust.
//!
//! `yoi-pdk` is the guest side of yoi: it turns plain Rust functions into a
//! WebAssembly component that implements a `yoi:plugin` WIT world. Handlers
//! take a typed input (any `serde` `Deserialize` type), return an [`Output`]
//! or a [`ToolError`], and never see raw pointers or generated bindings.
//!
//! # Example
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "echo"
//! edition = "2024"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! yoi-pdk = "0.1"
//! serde = { version = "1", features = ["derive"] }
//! ```
//!
//! `src/lib.rs`:
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use yoi_pdk::{Json, ToolError};
//!
//! #[derive(Deserialize)]
//! struct EchoInput {
//!     text: String,
//! }
//!
//! #[derive(Serialize)]
//! struct EchoOutput {
//!     text: String,
//! }
//!
//! fn echo(input: EchoInput) -> Result<Json<EchoOutput>, ToolError> {
//!     if input.text.is_empty() {
//!         return Err(ToolError::invalid_input("`text` must not be empty"));
//!     }
//!     Ok(Json(EchoOutput { text: input.text }))
//! }
//!
//! yoi_pdk::export_tools!(echo);
//! # fn main() {}
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release`; the component
//! is `target/wasm32-wasip2/release/echo.wasm`. Its `plugin.toml` declares
//! `kind = "wasm-component"`, `world = "yoi:plugin/tool@1.0.0"` and a
//! `[[tools]]` entry named `echo` with the input's JSON Schema.
//!
//! # What the host guarantees, and what it does not
//!
//! - The host validates input against the declared schema before the plugin
//!   runs; the PDK still decodes defensively and answers `invalid-input`.
//! - A panic is not a [`ToolError`]: it aborts the guest, and the host reports
//!   a trap. Return errors for failures a caller should see.
//! - A plugin has no ambient authority: no files, environment, arguments,
//!   network or clock beyond what WASI's empty context gives, and stdout and
//!   stderr are captured into bounded diagnostics, never shown to a model.
//!
//! # Worlds
//!
//! The [`tool`] module implements `yoi:plugin/tool@1.0.0` (tools only) through
//! [`export_tools!`]. The host APIs are [`https`] (outbound requests) and
//! [`fs`] (files beneath granted roots); each works only when the manifest
//! requests it in `permissions.host_apis` and the enablement grants it.
//!
//! [yoi]: https://example.invalid/yoi

mod error;
pub mod fs;
pub mod https;
mod input;
pub mod instance;
mod output;
pub mod tool;

pub use error::{ToolError, ToolErrorKind};
pub use input::NoInput;
pub use output::{Content, Json, Output};
