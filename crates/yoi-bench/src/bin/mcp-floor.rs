//! `mcp-floor`: the transport's floor for the MCP stdio benchmarks.
//!
//! A minimal stdio responder with no engine, registry or history behind it:
//! it reads one JSON-RPC message per line and answers each request at once,
//! `tools/call` with its arguments as text and structured content (the shape
//! of yoi's echo reply). The benchmark client talks to it and to `yoi mcp`
//! in exactly the same way, so the difference is what yoi adds.

use std::io::{BufRead, Write};

use serde_json::{Value, json};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut out = Vec::with_capacity(256);
    for line in stdin.lines() {
        let Ok(message) = serde_json::from_str::<Value>(&line?) else {
            continue;
        };
        let Some(id) = message.get("id") else {
            continue;
        };
        let params = &message["params"];
        let result = match message["method"].as_str().unwrap_or_default() {
            "initialize" => json!({
                "protocolVersion": params["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "mcp-floor", "version": "0"},
            }),
            "tools/list" => json!({"tools": [{
                "name": "echo",
                "description": "Return the text you give it.",
                "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
            }]}),
            "tools/call" => json!({
                "content": [{"type": "text", "text": params["arguments"].to_string()}],
                "structuredContent": params["arguments"],
                "isError": false,
            }),
            _ => json!({}),
        };
        out.clear();
        serde_json::to_writer(
            &mut out,
            &json!({"jsonrpc": "2.0", "id": id, "result": result}),
        )?;
        out.push(b'\n');
        stdout.write_all(&out)?;
        stdout.flush()?;
    }
    Ok(())
}
