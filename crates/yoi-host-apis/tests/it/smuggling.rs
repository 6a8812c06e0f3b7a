//! A granted plugin trying to reach past its grant with a request the grant
//! matcher reads one way and the server another: a header that overrides the
//! method or path, or a percent-escape the server decodes into a path the
//! prefix does not cover. Each is refused before any connection is made.

use yoi_host_apis::https::{Header, HttpsError, HttpsOptions, HttpsPolicy, Secrets};

use crate::server::{Action, Server, grant, request};

/// A policy granting `GET` under `/v1/` of a loopback server that answers
/// everything, and would happily honour overrides.
async fn granted_v1() -> (Server, HttpsPolicy, String) {
    let server = Server::http(|seen| match seen.path.as_str() {
        "/v1/to-escape" => Action::redirect(302, "/v1/..%3Badmin"),
        "/v1/to-stray" => Action::redirect(302, "/v1/%zz"),
        _ => Action::ok("reached"),
    })
    .await;
    let base = format!("http://127.0.0.1:{}", server.port);
    let policy = HttpsPolicy::new(
        &[grant(&format!("{base}/v1/"), &["GET"])],
        HttpsOptions::default(),
    )
    .unwrap();
    (server, policy, base)
}

#[tokio::test]
async fn a_granted_plugin_cannot_override_the_method_or_path_by_header() {
    let (server, policy, base) = granted_v1().await;
    for (name, value) in [
        ("X-HTTP-Method-Override", "DELETE"),
        ("x-http-method", "PUT"),
        ("X-Method-Override", "POST"),
        ("X-Original-URL", "/admin"),
        ("X-Rewrite-URL", "/admin"),
        ("Forwarded", "for=127.0.0.1;host=admin.internal;proto=https"),
        ("X-Forwarded-For", "127.0.0.1"),
        ("X-Forwarded-Host", "admin.internal"),
        ("X-Forwarded-Prefix", "/admin"),
        ("x-forwarded-proto", "https"),
    ] {
        let mut req = request("GET", &format!("{base}/v1/items"));
        req.headers.push(Header {
            name: name.into(),
            value: value.into(),
        });
        match policy.send(req, &Secrets::new()).await {
            Err(HttpsError::Denied { reason }) => {
                assert!(reason.contains(&format!("`{name}`")), "{name}: {reason}");
                assert!(reason.contains("overrides are refused"), "{name}: {reason}");
            }
            other => panic!("{name}: expected denied, got {other:?}"),
        }
    }
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn a_granted_plugin_cannot_smuggle_a_path_past_its_prefix_by_escapes() {
    let (server, policy, base) = granted_v1().await;
    for path in [
        "/v1/%2e%2e/admin",
        "/v1/%2E%2E/admin",
        "/v1/..%2Fadmin",
        "/v1/..%2fadmin",
        "/v1/..%5Cadmin",
        "/v1/%00/../admin",
        "/v1/x%00",
        "/v1/..%3Badmin",
        "/v1/%3F/../../admin",
        "/v1/%23/../../admin",
        "/v1/%C0%AE%C0%AE/admin",
        "/v1/%252e%252e/admin",
        "/v1/%",
        "/v1/%2",
        "/v1/%g0",
    ] {
        let url = format!("{base}{path}");
        match policy.send(request("GET", &url), &Secrets::new()).await {
            Err(HttpsError::InvalidRequest { reason }) => assert!(
                reason.contains("percent-escape may stand only for")
                    || reason.contains("not followed by two hex digits"),
                "{path}: {reason}"
            ),
            other => panic!("{path}: expected invalid-request, got {other:?}"),
        }
    }
    assert_eq!(server.connections(), 0);

    // A redirect is held to the same rule, and the server sees no second request.
    for path in ["/v1/to-escape", "/v1/to-stray"] {
        let url = format!("{base}{path}");
        match policy.send(request("GET", &url), &Secrets::new()).await {
            Err(HttpsError::Denied { reason }) => assert!(reason.contains("redirect"), "{reason}"),
            other => panic!("{path}: expected denied, got {other:?}"),
        }
    }
    let paths: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, ["/v1/to-escape", "/v1/to-stray"]);
}

#[tokio::test]
async fn escapes_of_unreserved_characters_reach_the_server_as_written() {
    let (server, policy, base) = granted_v1().await;
    let url = format!("{base}/v1/%41%7E%7e%2D%5f%39?q=%2F%3F%00");
    let resp = policy
        .send(request("GET", &url), &Secrets::new())
        .await
        .unwrap();
    assert_eq!(resp.body, b"reached");
    // Matched as written: an escaped spelling of the prefix is outside it.
    let url = format!("{base}/%76%31/items");
    let result = policy.send(request("GET", &url), &Secrets::new()).await;
    assert!(
        matches!(result, Err(HttpsError::Denied { .. })),
        "{result:?}"
    );
    let paths: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, ["/v1/%41%7E%7e%2D%5f%39?q=%2F%3F%00"]);
}
