//! The Streamable HTTP router on a loopback port: DNS-rebinding checks, the
//! body bound, and the official Python client. (The bearer token is
//! `yoi-serve`'s, and tested there.)

use std::net::SocketAddr;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use yoi_mcp::{HttpOptions, MCP_PATH, http_router};

use crate::support::{Fixture, run_script};

async fn serve(fixture: &Fixture, options: HttpOptions) -> SocketAddr {
    let (registry, history) = (fixture.registry.clone(), fixture.history.clone());
    let router = http_router(
        move || yoi_tools::Session::new(registry.clone(), Some(history.clone())),
        options,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
}

/// POST one JSON-RPC message to `/mcp` with these extra headers.
async fn post(addr: SocketAddr, headers: &[(&str, &str)], body: &Value) -> reqwest::Response {
    let mut map = HeaderMap::new();
    map.insert(
        "accept",
        HeaderValue::from_static("application/json, text/event-stream"),
    );
    map.insert("content-type", HeaderValue::from_static("application/json"));
    for (k, v) in headers {
        map.insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    // reqwest is built without a TLS provider and refuses to start without one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
        .post(format!("http://{addr}{MCP_PATH}"))
        .headers(map)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// The JSON-RPC response in a JSON or SSE body.
async fn message(response: reqwest::Response) -> Value {
    let body = response.text().await.unwrap();
    if let Ok(v) = serde_json::from_str::<Value>(&body) {
        return v;
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|m| m.get("id").is_some())
        .unwrap_or_else(|| panic!("no JSON-RPC response in {body:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_and_origins_that_are_not_loopback_are_refused() {
    let fixture = Fixture::new();
    let addr = serve(&fixture, HttpOptions::default()).await;
    let port = addr.port();
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        format!("10.0.0.1:{port}"),
    ] {
        let r = post(addr, &[("host", &host)], &initialize()).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "Host: {host}");
    }
    for origin in ["http://evil.example", "https://evil.example:443", "null"] {
        let r = post(addr, &[("origin", origin)], &initialize()).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "Origin: {origin}");
    }
    for (host, origin) in [
        (format!("localhost:{port}"), None),
        (format!("127.0.0.1:{port}"), Some("http://localhost:5173")),
        (format!("[::1]:{port}"), Some("http://127.0.0.1:8080")),
    ] {
        let mut headers = vec![("host", host.as_str())];
        headers.extend(origin.map(|o| ("origin", o)));
        let r = post(addr, &headers, &initialize()).await;
        assert_eq!(r.status(), StatusCode::OK, "{headers:?}");
        assert_eq!(message(r).await["result"]["protocolVersion"], "2025-11-25");
    }
    // A deployment can name more hosts; loopback stays allowed.
    let addr = serve(
        &fixture,
        HttpOptions::default().allow_hosts(["mcp.internal"]),
    )
    .await;
    for host in ["mcp.internal", "localhost"] {
        let r = post(addr, &[("host", host)], &initialize()).await;
        assert_eq!(r.status(), StatusCode::OK, "Host: {host}");
    }
    assert!(fixture.events().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_before_it_is_read_whole() {
    let fixture = Fixture::new();
    let addr = serve(&fixture, HttpOptions::default()).await;
    let mut body = initialize();
    body["params"]["pad"] = json!("x".repeat(17 << 20));
    let r = post(addr, &[], &body).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

async fn python_over_http(mode: &str, protocol: &str) {
    let fixture = Fixture::new();
    let addr = serve(&fixture, HttpOptions::default()).await;
    let config = json!({"url": format!("http://{addr}{MCP_PATH}"), "token": null, "mode": mode});
    let out = tokio::task::spawn_blocking(move || run_script("mcp_http_client.py", config))
        .await
        .unwrap();
    assert_eq!(out["session"]["protocol_version"], protocol);
    let info = fixture.registry.tool("yoi_history").unwrap();
    assert_eq!(
        out["tools"],
        json!([{"name": "yoi_history", "description": info.description, "inputSchema": info.input_schema}])
    );
    assert_eq!(out["history"]["isError"], false);
    assert!(out["history"].get("structuredContent").is_none());
    let progress = out["history_progress"].as_array().unwrap();
    assert_eq!(
        progress.first().unwrap()["message"],
        "started",
        "{progress:?}"
    );
    assert_eq!(progress.last().unwrap()["message"], "done", "{progress:?}");
    assert_eq!(out["invalid"]["isError"], true);
    assert_eq!(
        out["invalid"]["structuredContent"]["error"]["kind"],
        "invalid-input"
    );
    assert_eq!(
        out["unknown"]["structuredContent"]["error"]["kind"],
        "not-found"
    );
    for (i, r) in out["concurrent"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["isError"], false, "{r}");
        let events =
            serde_json::from_str::<Value>(r["content"][0]["text"].as_str().unwrap()).unwrap();
        assert!(events["events"].as_array().unwrap().len() <= i + 1, "{r}");
    }
    let events = fixture.events();
    let calls = events.iter().filter(|e| e["kind"] == "tool_call").count();
    assert_eq!(calls, 13, "{events:#?}");
    for call in events.iter().filter(|e| e["kind"] == "tool_call") {
        assert_eq!(
            events.iter().filter(|e| e["call_id"] == call["id"]).count(),
            1,
            "{call}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_over_http_at_the_current_revision() {
    python_over_http("modern", "2026-07-28").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_over_http_with_the_initialize_handshake() {
    python_over_http("legacy", "2025-11-25").await;
}
