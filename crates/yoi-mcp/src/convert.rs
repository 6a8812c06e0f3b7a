//! Registry tools and call outcomes in MCP's shapes.
//!
//! Nothing is added or reinterpreted: a tool's name, description and schemas
//! are the registry's, and a result carries exactly the content the session
//! returned (JSON content as its JSON text, plus `structuredContent` when the
//! tool declares an output schema, which the session has already checked).

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool};
use serde_json::{Value, json};
use yoi_runtime::{CallError, Content, ToolOutput};
use yoi_tools::ToolInfo;

/// The MCP view of a registry tool.
pub(crate) fn tool(info: &ToolInfo) -> Tool {
    let mut tool = Tool::new(
        info.name.clone(),
        info.description.clone(),
        Arc::new(schema_object(&info.input_schema)),
    );
    if let Some(output) = &info.output_schema {
        tool = tool.with_raw_output_schema(Arc::new(schema_object(output)));
    }
    tool
}

/// MCP carries schemas as objects. JSON Schema also allows the booleans
/// `true` (anything) and `false` (nothing); give them their object spelling.
fn schema_object(schema: &Value) -> JsonObject {
    match schema {
        Value::Object(map) => map.clone(),
        Value::Bool(false) => json!({ "not": {} })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        _ => JsonObject::new(),
    }
}

/// A successful call. `structured` is whether the tool declares an output
/// schema: only then is the JSON content also `structuredContent`.
pub(crate) fn success(output: &ToolOutput, structured: bool) -> CallToolResult {
    let content = output
        .content
        .iter()
        .map(|c| match c {
            Content::Text { text } => ContentBlock::text(text.clone()),
            Content::Json { json } => ContentBlock::text(json.to_string()),
        })
        .collect();
    let mut result = CallToolResult::success(content);
    if structured {
        result.structured_content = output.json().cloned();
    }
    result
}

/// A failed call: `isError`, a text item `<kind>: <message>`, and for tools
/// without an output schema `structuredContent` `{"error": {kind, message}}`
/// (plus `detail`, a typed component's error value, when there is one).
/// A declared output schema describes successful results only, so such tools
/// get no structured error that a client might hold against it.
pub(crate) fn failure(error: &CallError, structured: bool) -> CallToolResult {
    let kind = error.kind.as_str();
    let mut result = CallToolResult::error(vec![ContentBlock::text(format!(
        "{kind}: {}",
        error.message
    ))]);
    if !structured {
        let mut body = json!({ "kind": kind, "message": error.message });
        if let Some(detail) = &error.detail {
            // A typed component's `err` value, as its WIT type gives it.
            body["detail"] = detail.clone();
        }
        result.structured_content = Some(json!({ "error": body }));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use yoi_runtime::CallErrorKind;
    use yoi_tools::Origin;

    fn info(output: Option<Value>) -> ToolInfo {
        ToolInfo {
            name: "echo".into(),
            description: "Return the text.".into(),
            input_schema: json!({"type": "object", "properties": {"text": {"type": "string"}}}),
            output_schema: output,
            origin: Origin::Builtin,
        }
    }

    #[test]
    fn tools_keep_the_registry_schemas() {
        let t = serde_json::to_value(tool(&info(Some(json!({"type": "object"}))))).unwrap();
        assert_eq!(
            t,
            json!({
                "name": "echo",
                "description": "Return the text.",
                "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
                "outputSchema": {"type": "object"}
            })
        );
        let t = serde_json::to_value(tool(&info(None))).unwrap();
        assert!(t.get("outputSchema").is_none());
        assert_eq!(schema_object(&json!(true)), JsonObject::new());
        assert_eq!(
            Value::Object(schema_object(&json!(false))),
            json!({"not": {}})
        );
    }

    #[test]
    fn json_content_is_text_and_structured_only_with_a_schema() {
        let out = ToolOutput {
            content: vec![
                Content::Json {
                    json: json!({"text": "hi"}),
                },
                Content::Text {
                    text: "plain".into(),
                },
            ],
            diagnostics: Default::default(),
        };
        let r = serde_json::to_value(success(&out, true)).unwrap();
        assert_eq!(
            r["content"][0],
            json!({"type": "text", "text": r#"{"text":"hi"}"#})
        );
        assert_eq!(r["content"][1], json!({"type": "text", "text": "plain"}));
        assert_eq!(r["structuredContent"], json!({"text": "hi"}));
        assert_eq!(r["isError"], false);
        let r = serde_json::to_value(success(&out, false)).unwrap();
        assert!(r.get("structuredContent").is_none());
    }

    #[test]
    fn errors_name_their_kind() {
        let e = CallError::new(CallErrorKind::InvalidInput, "bad `text`");
        let r = serde_json::to_value(failure(&e, false)).unwrap();
        assert_eq!(r["isError"], true);
        assert_eq!(r["content"][0]["text"], "invalid-input: bad `text`");
        assert_eq!(
            r["structuredContent"],
            json!({"error": {"kind": "invalid-input", "message": "bad `text`"}})
        );
        let r = serde_json::to_value(failure(&e, true)).unwrap();
        assert!(r.get("structuredContent").is_none());
    }
}
