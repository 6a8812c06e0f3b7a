//! The MCP server in process: the stdio transport over in-memory pipes, and
//! the Streamable HTTP router on a loopback port, driven by raw requests and
//! by the official Python client.

mod history;
mod http;
mod stdio;
mod support;
