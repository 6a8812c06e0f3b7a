//! Built-in tools: host tools that share the registry's namespace. Their
//! names are reserved; a plugin tool with the same name is not registered.

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
                description: "Recent tool calls and events recorded in this workspace's yoi history, oldest first.".into(),
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
                let events = history
                    .recent(limit)
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
