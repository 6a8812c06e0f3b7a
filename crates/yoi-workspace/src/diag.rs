//! Diagnostics: bounded, attributable messages attached to one plugin.

use serde::Serialize;

/// Longest diagnostic message kept; longer ones are cut on a char boundary.
pub const MAX_DIAGNOSTIC_BYTES: usize = 512;

/// What a diagnostic is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosticKind {
    /// The package could not be read or is invalid.
    Package,
    /// The store holds the same id twice.
    Duplicate,
    /// A bare reference matches more than one source.
    Ambiguous,
    /// The enablement names a plugin no store holds.
    Missing,
    /// The package's digest differs from the pin.
    DigestMismatch,
    /// The package's version differs from the pin.
    VersionMismatch,
    /// The enablement entry is malformed.
    Config,
    /// A surface, tool or host API is not eligible (not requested, not granted).
    Grant,
    /// The workspace config is not approved by this user (`yoi trust`).
    Untrusted,
}

/// One problem found with one plugin, as data for the front ends to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// What the problem is about.
    pub kind: DiagnosticKind,
    /// What is wrong, bounded in size.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic of `kind`, its message cut to its bound on a char boundary.
    pub fn new(kind: DiagnosticKind, message: impl AsRef<str>) -> Self {
        Diagnostic {
            kind,
            message: yoi_manifest::bounded(message.as_ref(), MAX_DIAGNOSTIC_BYTES),
        }
    }
}
