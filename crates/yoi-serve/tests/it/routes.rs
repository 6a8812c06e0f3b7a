//! Routing: `/healthz`, the `/status` document, JSON errors for unknown
//! paths and methods, and bodies refused where none is read.

use axum::http::Method;
use serde_json::json;

use crate::support::{app, get, send};

#[tokio::test]
async fn health_is_ok_as_json() {
    let app = app(None).await;
    let health = get(&app, "/healthz", &[]).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.header("content-type"), "application/json");
    assert_eq!(health.json(), json!({"ok": true}));
}

#[tokio::test]
async fn status_is_the_whole_document_with_keys_in_name_order() {
    let app = app(None).await;
    let status = get(&app, "/status", &[]).await;
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(status.header("content-type"), "application/json");
    assert_eq!(
        status.body,
        "{\n  \"diagnostics\": [],\n  \"plugins\": [],\n  \"tools\": 1,\n  \"workspace\": \"/ws\"\n}\n"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_are_json_errors() {
    let app = app(None).await;
    let missing = get(&app, "/no/such/thing", &[]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), "application/json");
    assert_eq!(missing.json()["error"]["status"], 404);
    assert!(
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("no such endpoint"),
        "{}",
        missing.body
    );
    let wrong_method = send(&app, Method::POST, "/healthz", &[], None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.json()["error"]["status"], 405);
    let wrong_method = send(&app, Method::DELETE, "/status", &[], None).await;
    assert_eq!(wrong_method.status, 405);
}

#[tokio::test]
async fn a_body_on_an_endpoint_that_reads_none_is_refused() {
    let app = app(None).await;
    for path in ["/status", "/healthz"] {
        let with_body = send(&app, Method::GET, path, &[], Some("unexpected")).await;
        assert_eq!(with_body.status, 413, "{path}");
        assert_eq!(with_body.json()["error"]["status"], 413, "{path}");
        let chunked = send(
            &app,
            Method::GET,
            path,
            &[("transfer-encoding", "chunked")],
            None,
        )
        .await;
        assert_eq!(chunked.status, 413, "{path}");
    }
    let empty = send(
        &app,
        Method::GET,
        "/status",
        &[("content-length", "0")],
        None,
    )
    .await;
    assert_eq!(empty.status, 200, "{}", empty.body);
}

#[tokio::test]
async fn an_ingress_of_no_plugin_is_not_found_and_a_big_event_is_refused_unread() {
    let app = app(None).await;
    let json = [("content-type", "application/json")];
    let r = send(
        &app,
        Method::POST,
        "/ingress/project:nobody/tick",
        &json,
        Some("{}"),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.json()["error"]["message"].as_str().is_some());
    let big = format!(r#"{{"note":"{}"}}"#, "x".repeat(70 * 1024));
    let r = send(
        &app,
        Method::POST,
        "/ingress/project:nobody/tick",
        &json,
        Some(&big),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.body);
    let r = get(&app, "/ingress/project:nobody/tick", &[]).await;
    assert_eq!(r.status, 405, "{}", r.body);
}
