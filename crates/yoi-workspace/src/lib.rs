//! Everything about a workspace that happens before plugin code runs.
//!
//! Stores are inventoried ([`discover`]), the enablement file is read
//! ([`Config`]), and the two are resolved once into a [`Plan`]: per plugin, a
//! status in the vocabulary `active`, `partial`, `disabled`, `missing`,
//! `rejected`, the tools and surfaces that are eligible, and diagnostics. The
//! runtime runs from the plan only. Nothing here executes plugin code, and a
//! bad package or a bad config entry never affects unrelated plugins.

#![warn(missing_docs)]

mod config;
mod diag;
mod discover;
mod edit;
mod error;
mod plan;
mod resolve;
mod source;

pub use config::{CONFIG_FILE, Config, Enablement, HistorySettings};
pub use diag::{Diagnostic, DiagnosticKind};
pub use discover::{Discovered, Inventory, discover};
pub use edit::ConfigEditor;
pub use error::WorkspaceError;
pub use plan::{
    Eligibility, Plan, PluginReport, ResolvedIngress, ResolvedPlugin, ResolvedTool, Status,
};
pub use resolve::resolve;
pub use source::{Lookup, PluginRef, QualifiedId, Source, Stores};
/// The grant types of this crate's public API ([`Enablement::grants`],
/// [`Enablement::ingress`] and the check it reads, [`Config::https`]);
/// other crates import grant types from `yoi_grants`.
pub use yoi_grants::{Grants, HttpsSettings, IngressAuth, IngressCheck};
