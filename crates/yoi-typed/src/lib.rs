//! Typed components: any WebAssembly component whose exported functions are
//! the tools (`world = "typed"` in `plugin.toml`).
//!
//! Everything here is static: the component's type is decoded from its bytes
//! with `wit-parser` (the same decoder `wasm-tools component wit` uses, so the
//! WIT a person reads is the WIT yoi maps), and nothing is compiled or run.
//!
//! Guarantees:
//! - **Deterministic derivation** ([`derive`]): one WIT type always gives the
//!   same JSON Schema, bounded in size; a type JSON cannot carry (resources,
//!   handles, streams, futures, async functions) makes its function not a
//!   tool, with the reason.
//! - **Fail closed at check** ([`check`]): a manifest tool whose export is
//!   missing, unmappable, named twice, or whose declared schema contradicts
//!   the signature, and a component importing anything yoi does not link (or
//!   a host API the manifest does not request), is refused with a bounded
//!   diagnostic naming the function.

#![warn(missing_docs)]

mod check;
mod decode;
mod derive;
mod error;
mod imports;

pub use check::{TypedTool, check, contradiction};
pub use decode::{ExportedFunction, MAX_EXPORTED_FUNCTIONS, TypedComponent};
pub use derive::{MAX_SCHEMA_NODES, Signature, derive_function};
pub use error::TypedError;
pub use imports::{ImportProblem, check_import};

/// The separator between an exported interface and a function in an export
/// name: `example:calc/ops@0.1.0#divide` (the spelling wasmtime and
/// wit-bindgen use for the core export of that function).
pub const EXPORT_SEPARATOR: char = '#';

/// Split an export name into its interface (if any) and function name.
pub fn split_export(export: &str) -> (Option<&str>, &str) {
    match export.rsplit_once(EXPORT_SEPARATOR) {
        Some((interface, func)) => (Some(interface), func),
        None => (None, export),
    }
}
