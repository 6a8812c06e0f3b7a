//! Tools as a model or a person sees them: the [`ToolRegistry`] and
//! [`Session`]s, which record every call in a [`yoi_history::History`].
//!
//! Every tool call goes through one path: a session looks the tool up in the
//! registry, validates the input against the declared JSON Schema before any
//! plugin code runs, re-checks the grant, records the call in history, runs it,
//! and records the result or error. Nothing reaches a caller any other way.

mod builtin;
mod instances;
mod registry;
mod session;

pub use instances::{
    EventCounters, IngressError, InstanceReport, MAX_EVENT_BYTES, PluginInstanceRegistry,
    QUEUE_LEN, ServiceReport,
};
pub use registry::{Origin, ToolInfo, ToolRegistry};
pub use session::{CallOutcome, Session};
