//! The bearer token of `[serve] token_file`: required by `/status`,
//! `/ingress` and `/mcp` alike, with the same 401; `/healthz` and unknown
//! paths are unaffected.

use axum::http::Method;
use serde_json::json;

use crate::support::{Reply, app, get, initialize, post_mcp, send};

const TOKEN: &str = "s3cret-token";
const WRONG: [Option<&str>; 5] = [
    None,
    Some("Bearer wrong"),
    Some("Bearer s3cret-token-but-longer"),
    Some("Basic czNjcmV0LXRva2Vu"),
    Some("Bearer"),
];

fn assert_refused(r: &Reply, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.body);
    assert_eq!(r.header("www-authenticate"), "Bearer", "{what}");
    assert_eq!(r.header("content-type"), "application/json", "{what}");
    assert_eq!(r.json()["error"]["status"], 401, "{what}");
}

fn auth(value: Option<&str>) -> Vec<(&str, &str)> {
    value.iter().map(|a| ("authorization", *a)).collect()
}

#[tokio::test]
async fn status_needs_the_token_and_health_does_not() {
    let app = app(Some(TOKEN)).await;
    assert_eq!(get(&app, "/healthz", &[]).await.status, 200);
    for wrong in WRONG {
        let r = get(&app, "/status", &auth(wrong)).await;
        assert_refused(&r, &format!("/status with {wrong:?}"));
    }
    let r = get(&app, "/status", &[("authorization", "Bearer s3cret-token")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["workspace"], "/ws");
    // An unknown path is still 404, token or not.
    assert_eq!(get(&app, "/nope", &[]).await.status, 404);
    // The body check comes first: nothing is read before either refusal.
    let r = send(&app, Method::GET, "/status", &[], Some("x")).await;
    assert_eq!(r.status, 413, "{}", r.body);
}

#[tokio::test]
async fn ingress_needs_the_token() {
    let app = app(Some(TOKEN)).await;
    let path = "/ingress/project:nobody/tick";
    for wrong in WRONG {
        let mut headers = auth(wrong);
        headers.push(("content-type", "application/json"));
        let r = send(&app, Method::POST, path, &headers, Some("{}")).await;
        assert_refused(&r, &format!("{path} with {wrong:?}"));
    }
    let headers = [
        ("authorization", "Bearer s3cret-token"),
        ("content-type", "application/json"),
    ];
    let r = send(&app, Method::POST, path, &headers, Some("{}")).await;
    assert_eq!(r.status, 404, "past the guard, no such plugin: {}", r.body);
}

#[tokio::test]
async fn mcp_needs_the_token_for_every_request_of_a_session() {
    let app = app(Some(TOKEN)).await;
    for wrong in WRONG {
        let r = post_mcp(&app, &auth(wrong), &initialize()).await;
        assert_refused(&r, &format!("/mcp with {wrong:?}"));
    }
    let auth = ("authorization", "bearer s3cret-token");
    let r = post_mcp(&app, &[auth], &initialize()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let session = r.header("mcp-session-id").to_owned();
    let init = r.messages().into_iter().find(|m| m["id"] == 1).unwrap();
    assert_eq!(init["result"]["serverInfo"]["name"], "yoi", "{init}");
    let with_session = [
        auth,
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let r = post_mcp(
        &app,
        &with_session,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert!((200..300).contains(&r.status), "{}", r.status);
    let r = post_mcp(
        &app,
        &with_session,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let tools = r.messages().into_iter().find(|m| m["id"] == 2).unwrap();
    assert_eq!(
        tools["result"]["tools"][0]["name"], "yoi_history",
        "{tools}"
    );
    // The token guards the session too: no token, no calls.
    let r = post_mcp(
        &app,
        &with_session[1..],
        &json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}),
    )
    .await;
    assert_refused(&r, "/mcp in a session without the token");
}

#[tokio::test]
async fn every_guarded_route_refuses_alike() {
    let app = app(Some(TOKEN)).await;
    let status = get(&app, "/status", &[]).await;
    let ingress = send(
        &app,
        Method::POST,
        "/ingress/project:nobody/tick",
        &[("content-type", "application/json")],
        Some("{}"),
    )
    .await;
    let mcp = post_mcp(&app, &[], &initialize()).await;
    assert_eq!(status.body, ingress.body);
    assert_eq!(status.body, mcp.body);
}
