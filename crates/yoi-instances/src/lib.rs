//! The [`PluginInstanceRegistry`]: exactly one [`PluginInstance`] per enabled
//! plugin, and everything that runs on it besides tool calls: ingress
//! admission and delivery, services, the restart supervisor, live reports.
//!
//! A tool call (through `yoi-tools`' sessions), an ingress event and a
//! service step all reach a plugin through its one instance handle, so an
//! `instance`-world plugin keeps its state between them. Tool-world and
//! legacy plugins are adapted: they have no lifecycle of their own (always
//! `running`), no services and no ingress.
//!
//! Building the registry ([`PluginInstanceRegistry::new`]) is synchronous
//! and spawns nothing, which is all `yoi tool call` and `yoi mcp` need.
//! [`PluginInstanceRegistry::start`] launches the ingress queue workers, the
//! services and the supervisor; only a long-running host (`yoi serve`) calls
//! it, and [`PluginInstanceRegistry::shutdown`] ends them.
//!
//! Every grant question is answered by the resolved plan
//! ([`yoi_workspace::ResolvedPlugin::allows`]); nothing here re-reads the
//! package or the enablement.

#![warn(missing_docs)]

mod error;
mod ingress;
mod instance;
mod queue;
mod record;
mod registry;
mod report;
mod sender;
mod service;
mod supervisor;

pub use error::IngressError;
pub use ingress::{EVENT_BURST, EVENTS_PER_SEC, MAX_EVENT_BYTES, QUEUE_LEN};
pub use instance::PluginInstance;
pub use record::{
    NOTICE_BYTES_PER_WINDOW, NOTICE_OVERHEAD_BYTES, NOTICE_ROWS_PER_WINDOW, NOTICE_WINDOW,
};
pub use registry::{LoadFailure, PluginInstanceRegistry};
pub use report::{EventCounters, InstanceReport, ServiceReport};
