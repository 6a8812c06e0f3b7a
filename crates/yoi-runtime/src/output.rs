//! What a call returns: content, and the bounded diagnostics captured with it.
//!
//! Shapes are bounded, not only bytes: a result has at most
//! [`MAX_CONTENT_ITEMS`] content items and an event or service step at most
//! [`MAX_NOTICES`] notices, and each item is charged
//! [`ITEM_OVERHEAD_BYTES`] against `max_output_bytes` besides its text, so
//! that a million empty items cost what they cost the host. Both are
//! checked as soon as the list is lifted, before any item is converted,
//! parsed or serialised.
//!
//! wasmtime lifts a `list<T>` a guest returns before this code sees it.
//! That lift is bounded by the guest's own memory: the list and every
//! string in it must lie in the guest's linear memory (a `content` item
//! takes 12 bytes there, a `notice` 16), which `max_memory_bytes` caps, and
//! wasmtime checks the list's bounds against that memory before it
//! allocates. So a lifted list holds at most `max_memory_bytes / 12` items,
//! and the host copy costs a small multiple of the guest's memory limit.

use serde::Serialize;

/// Most content items in one tool result: 1024.
pub const MAX_CONTENT_ITEMS: usize = 1024;
/// Most notices one event or service step may emit: 256.
pub const MAX_NOTICES: usize = 256;
/// What each content item or notice costs against `max_output_bytes`
/// besides its text: 64 bytes.
pub const ITEM_OVERHEAD_BYTES: usize = 64;

/// One piece of tool output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Content {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// Structured output.
    Json {
        /// The JSON value.
        json: serde_json::Value,
    },
}

/// A successful tool result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolOutput {
    /// The output, in the order the plugin gave it.
    pub content: Vec<Content>,
    /// What the guest printed during the call.
    #[serde(skip_serializing_if = "CallDiagnostics::is_empty")]
    pub diagnostics: CallDiagnostics,
}

impl ToolOutput {
    /// The first JSON content, if any: what a structured-output client reads.
    pub fn json(&self) -> Option<&serde_json::Value> {
        self.content.iter().find_map(|c| match c {
            Content::Json { json } => Some(json),
            Content::Text { .. } => None,
        })
    }
}

/// Guest stdout and stderr from one call, each cut to the configured bound.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallDiagnostics {
    /// The guest's stdout, bounded.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    /// The guest's stderr, bounded.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Bytes the guest wrote beyond the bound, dropped.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl CallDiagnostics {
    /// Whether the guest printed nothing.
    pub fn is_empty(&self) -> bool {
        self.stdout.is_empty() && self.stderr.is_empty() && self.dropped_bytes == 0
    }
}
