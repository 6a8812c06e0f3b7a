//! Built-in tools: host tools that share the registry's namespace. Their
//! names are reserved; a plugin tool with the same name is not registered.
//!
//! `yoi_history` returns only the calling session's own tool calls and
//! their outcomes: nothing a webhook sender, a plugin's notice or another
//! session wrote reaches the model through it.

use serde_json::json;
use yoi_runtime::{CallError, CallErrorKind, Content, ToolOutput};

use crate::registry::{Origin, ToolInfo};
use crate::session::Session;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Builtin {
    History,
}

pub(crate) fn all() -> [Builtin; 1] {
    [Builtin::History]
}

impl Builtin {
    pub(crate) fn info(self) -> ToolInfo {
        match self {
            Builtin::History => ToolInfo {
                name: "yoi_history".into(),
                description: "This session's own recent tool calls and their results, oldest first, from the workspace's yoi history.".into(),
                input_schema: json!({
                    "type": "object",
                    "properties": { "limit": { "type": "integer", "minimum": 1, "maximum": 100 } },
                    "additionalProperties": false
                }),
                output_schema: None,
                origin: Origin::Builtin,
            },
        }
    }

    pub(crate) fn call(
        self,
        session: &Session,
        input: &serde_json::Value,
    ) -> Result<ToolOutput, CallError> {
        match self {
            Builtin::History => {
                let limit = input.get("limit").and_then(|v| v.as_u64()).unwrap_or(20) as usize;
                let history = session.history().ok_or_else(|| {
                    CallError::new(CallErrorKind::Failed, "this session records no history")
                })?;
                // Only this session's own calls and outcomes: ingress payloads
                // (from anyone who can reach an endpoint), plugin notices and
                // other sessions' calls are not this model's record; they stay
                // on the `yoi://events` resource, marked untrusted.
                let events = history
                    .session_calls(session.id(), limit)
                    .map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string()))?;
                Ok(ToolOutput {
                    content: vec![Content::Json {
                        json: json!({ "events": events }),
                    }],
                    diagnostics: Default::default(),
                })
            }
        }
    }
}
