//! A web page in the user's browser, as the attacker: a DNS-rebinding page
//! (its requests name its own host) and a cross-site page (its requests
//! carry its origin, and it can POST `text/plain` without a preflight).
//! Every route refuses them before it runs, unknown paths included.

use axum::http::Method;
use serde_json::json;

use crate::support::{app, get, send};

#[tokio::test]
async fn a_rebinding_page_cannot_read_status() {
    let app = app(None).await;
    for path in [
        "/status",
        "/healthz",
        "/no/such/thing",
        "/ingress/project:x/y",
    ] {
        let r = get(&app, path, &[("host", "evil.example:7717")]).await;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert_eq!(
            r.json(),
            json!({"error": {"status": 403, "message":
                "the `Host` header is not allowed (loopback names and `[serve] allowed_hosts` are)"}}),
            "{path}"
        );
    }
    // A request that names no host at all is not served either.
    let r = get(&app, "/status", &[("host", "")]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    // The loopback names are served.
    for host in ["localhost:7717", "127.0.0.1", "[::1]:7717"] {
        let r = get(&app, "/status", &[("host", host)]).await;
        assert_eq!(r.status, 200, "{host}: {}", r.body);
    }
}

#[tokio::test]
async fn a_cross_origin_post_to_ingress_is_refused() {
    let app = app(None).await;
    let r = send(
        &app,
        Method::POST,
        "/ingress/project:counter/tick",
        &[
            ("origin", "https://evil.example"),
            ("content-type", "application/json"),
        ],
        Some("{}"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        r.json()["error"]["message"],
        "the `Origin` header is not allowed (loopback origins and `[serve] allowed_origins` are)"
    );
    // The same page reading `/status` with its origin attached.
    let r = get(&app, "/status", &[("origin", "https://evil.example")]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    // A loopback page (a local dashboard) is another matter.
    let r = get(&app, "/status", &[("origin", "http://localhost:5173")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_web_page_cannot_post_text_plain_to_ingress() {
    let app = app(None).await;
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let headers: Vec<(&str, &str)> =
            content_type.iter().map(|c| ("content-type", *c)).collect();
        let r = send(
            &app,
            Method::POST,
            "/ingress/project:counter/tick",
            &headers,
            Some("{}"),
        )
        .await;
        assert_eq!(r.status, 415, "{content_type:?}: {}", r.body);
        assert_eq!(
            r.json(),
            json!({"error": {"status": 415, "message":
                "an event must be sent with `Content-Type: application/json`"}}),
        );
    }
}
