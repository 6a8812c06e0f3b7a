//! Everything about a workspace that happens before plugin code runs.
//!
//! Stores are inventoried ([`discover`]), the enablement file is read
//! ([`Config`]), and the two are resolved once into a [`Plan`]: per plugin, a
//! status in the vocabulary `active`, `partial`, `disabled`, `missing`,
//! `rejected`, `untrusted`, the tools and surfaces that are eligible, and diagnostics. The
//! runtime runs from the plan only. yoi's own state ([`protected_state`]) is
//! never reachable through an fs grant. Nothing here executes plugin code, and a
//! bad package or a bad config entry never affects unrelated plugins. The
//! config's authority counts only once this user approved it ([`Trust`],
//! [`TrustStore`]): a cloned repository's config enables nothing.

#![warn(missing_docs)]

mod config;
mod diag;
mod discover;
mod edit;
mod error;
mod plan;
mod protected;
mod resolve;
mod source;
mod trust;

pub use config::{CONFIG_FILE, Config, Enablement, HistorySettings};
pub use diag::{Diagnostic, DiagnosticKind};
pub use discover::{Discovered, Inventory, discover};
pub use edit::ConfigEditor;
pub use error::WorkspaceError;
pub use plan::{
    Eligibility, Plan, PluginReport, ResolvedIngress, ResolvedPlugin, ResolvedTool, Status,
};
pub use protected::{protected_state, user_config_dir};
pub use resolve::resolve;
pub use source::{Lookup, PluginRef, QualifiedId, Source, Stores};
pub use trust::{TRUST_FILE, TRUST_HINT, Trust, TrustStore};
/// The grant types of this crate's public API ([`Enablement::grants`],
/// [`Enablement::ingress`] and the check it reads, [`Config::https`]);
/// other crates import grant types from `yoi_grants`.
pub use yoi_grants::{Grants, HttpsSettings, IngressAuth, IngressCheck, Protected};
