//! Tools as a model or a person sees them: the [`ToolRegistry`] and
//! [`Session`]s.
//!
//! Every tool call goes through one path: a session looks the tool up in the
//! registry, records the call in history, checks the input (size, JSON, the
//! tool's input schema) and the grant before any plugin code runs, runs it
//! on the plugin's one instance, checks the output against the declared
//! output schema, and records the result or error. A refusal is recorded
//! like any other outcome. Nothing reaches a caller any other way.

#![warn(missing_docs)]

mod builtin;
mod registry;
mod session;

pub use registry::{Origin, RegistryDiagnostic, ToolInfo, ToolRegistry};
pub use session::{CallOutcome, Session};
