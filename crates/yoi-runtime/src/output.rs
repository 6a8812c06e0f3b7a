//! What a call returns: content, and the bounded diagnostics captured with it.

use serde::Serialize;

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
