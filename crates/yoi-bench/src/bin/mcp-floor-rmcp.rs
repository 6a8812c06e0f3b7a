//! `mcp-floor-rmcp`: the MCP SDK's floor, next to `mcp-floor` (the
//! transport's floor) and `yoi mcp`.
//!
//! The same SDK (`rmcp`), stdio transport and tokio runtime as `yoi mcp`, but
//! a handler with no session, engine or history behind it: `echo` answers
//! with its arguments. What `yoi mcp` takes beyond this is yoi's; what this
//! takes beyond `mcp-floor` is the SDK's and the async stdio's.
//! `--current-thread` runs it on a single-threaded runtime instead of yoi's
//! two workers.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

#[derive(Clone)]
struct Echo {
    tools: Arc<[Tool]>,
}

impl ServerHandler for Echo {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = serde_json::Value::Object(request.arguments.unwrap_or_default());
        let mut result = CallToolResult::success(vec![ContentBlock::text(arguments.to_string())]);
        result.structured_content = Some(arguments);
        Ok(result.into())
    }
}

fn main() -> anyhow::Result<()> {
    let rt = if std::env::args().any(|a| a == "--current-thread") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
    };
    let schema = serde_json::json!({"type": "object", "properties": {"text": {"type": "string"}}});
    let tool = Tool::new(
        "echo",
        "Return the text you give it.",
        Arc::new(schema.as_object().cloned().unwrap_or_default()),
    );
    let handler = Echo {
        tools: Arc::from(vec![tool]),
    };
    rt.block_on(async {
        let transport = AsyncRwTransport::new_server(tokio::io::stdin(), tokio::io::stdout());
        let running = handler.serve(transport).await?;
        running.waiting().await?;
        anyhow::Ok(())
    })
}
