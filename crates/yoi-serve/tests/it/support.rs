//! An app over an empty plan (no plugins, the built-in `yoi_history` tool
//! only) with history in memory, and requests sent to it in process.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request};
use serde_json::Value;
use tower::ServiceExt as _;
use yoi_history::History;
use yoi_mcp::{HttpOptions, MCP_PATH};
use yoi_serve::{App, BearerGuard, StatusReport};
use yoi_tools::ToolRegistry;

/// The router of `yoi serve` for an empty workspace at `/ws`, requiring
/// `token` if one is given.
pub async fn app(token: Option<&str>) -> Router {
    let plan = yoi_workspace::Plan::default();
    let registry = Arc::new(ToolRegistry::new(&plan, None));
    let history = Arc::new(History::in_memory().unwrap());
    registry.instances().start(Some(history.clone())).await;
    let status = StatusReport::build(
        Path::new("/ws"),
        &plan,
        registry.tools(),
        registry.diagnostics(),
        &[],
    );
    App {
        status,
        registry,
        history: Some(history),
        mcp: HttpOptions::default(),
        guard: token.map(BearerGuard::new),
    }
    .router()
}

/// A response, read whole.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no `{name}` header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    /// The JSON-RPC messages of an SSE (or plain JSON) body.
    pub fn messages(&self) -> Vec<Value> {
        if let Ok(v) = serde_json::from_str::<Value>(&self.body) {
            return vec![v];
        }
        self.body
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .collect()
    }
}

/// Send one request with these headers (and `body`, if any). A request
/// names the loopback host, as every HTTP/1.1 client does for a local
/// server, unless `headers` give a `host` of their own.
pub async fn send(
    app: &Router,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        request = request.header("host", "127.0.0.1:7717");
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    // What an HTTP client declares for a body it sends.
    if let Some(body) = body
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        request = request.header("content-length", body.len());
    }
    let request = match body {
        Some(body) => request.body(Body::from(body.to_owned())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub async fn get(app: &Router, path: &str, headers: &[(&str, &str)]) -> Reply {
    send(app, Method::GET, path, headers, None).await
}

pub fn initialize() -> Value {
    serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"}}})
}

/// POST one JSON-RPC message to `/mcp` as a loopback client would, with
/// `extra` headers added (a `host` among them replaces the loopback one).
pub async fn post_mcp(app: &Router, extra: &[(&str, &str)], message: &Value) -> Reply {
    let mut headers = vec![
        ("accept", "application/json, text/event-stream"),
        ("content-type", "application/json"),
    ];
    headers.extend_from_slice(extra);
    send(
        app,
        Method::POST,
        MCP_PATH,
        &headers,
        Some(&message.to_string()),
    )
    .await
}
