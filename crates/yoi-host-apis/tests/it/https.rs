//! The https capability against loopback servers.

use std::time::Duration;

use yoi_host_apis::https::{Header, HttpsError, HttpsOptions, HttpsPolicy, Secrets};

use crate::server::{Action, Server, TestCa, grant, request};

fn header(name: &str, value: &str) -> Header {
    Header {
        name: name.into(),
        value: value.into(),
    }
}

fn is_denied(result: &Result<yoi_host_apis::https::Response, HttpsError>) -> bool {
    matches!(result, Err(HttpsError::Denied { .. }))
}

#[tokio::test]
async fn granted_https_request_succeeds_and_loses_set_cookie() {
    let ca = TestCa::new();
    let server = Server::https(&ca, |_| Action::Reply {
        status: 201,
        headers: vec![
            ("content-type".into(), "text/plain".into()),
            ("x-reply".into(), "yes".into()),
            ("set-cookie".into(), "session=abc".into()),
        ],
        body: b"hello".to_vec(),
        content_length: true,
    })
    .await;
    let port = server.port;
    let policy = HttpsPolicy::new(
        &[
            grant(&format!("https://localhost:{port}/v1/"), &["GET", "POST"]),
            grant(&format!("https://127.0.0.1:{port}/"), &["GET"]),
        ],
        ca.options(),
    )
    .unwrap();

    let mut req = request("POST", &format!("https://localhost:{port}/v1/echo?q=1"));
    req.headers.push(header("X-Trace", "42"));
    req.body = Some(b"ping".to_vec());
    let resp = policy.send(req, &Secrets::new()).await.unwrap();
    assert_eq!(resp.status, 201);
    assert_eq!(resp.body, b"hello");
    assert!(resp.headers.contains(&header("x-reply", "yes")));
    assert!(resp.headers.contains(&header("content-type", "text/plain")));
    assert!(
        !resp
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("set-cookie")),
        "{:?}",
        resp.headers
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, "/v1/echo?q=1");
    assert_eq!(seen[0].header("x-trace"), Some("42"));
    assert_eq!(
        seen[0].header("host"),
        Some(format!("localhost:{port}").as_str())
    );
    assert_eq!(seen[0].body, b"ping");

    // The IP-literal grant reaches the same server, verified against the IP SAN.
    let resp = policy
        .send(
            request("GET", &format!("https://127.0.0.1:{port}/x")),
            &Secrets::new(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 201);
}

#[tokio::test]
async fn untrusted_certificate_is_a_tls_error() {
    let ca = TestCa::new();
    let server = Server::https(&ca, |_| Action::ok("never")).await;
    let other_ca = TestCa::new();
    let policy = HttpsPolicy::new(
        &[grant(
            &format!("https://localhost:{}/", server.port),
            &["GET"],
        )],
        other_ca.options(),
    )
    .unwrap();
    let result = policy
        .send(
            request("GET", &format!("https://localhost:{}/", server.port)),
            &Secrets::new(),
        )
        .await;
    assert!(matches!(result, Err(HttpsError::Tls { .. })), "{result:?}");
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn ungranted_requests_are_refused_before_connecting() {
    let server = Server::http(|_| Action::ok("ok")).await;
    let other = Server::http(|_| Action::ok("ok")).await;
    let (port, other_port) = (server.port, other.port);
    let policy = HttpsPolicy::new(
        &[
            grant(&format!("http://127.0.0.1:{port}/v1/"), &["GET"]),
            grant(&format!("https://localhost:{other_port}/"), &["GET"]),
        ],
        HttpsOptions {
            max_request_bytes: 16,
            ..HttpsOptions::default()
        },
    )
    .unwrap();
    let secrets = Secrets::new();

    for (method, url) in [
        ("GET", format!("http://localhost:{port}/v1/x")),
        ("GET", format!("http://127.0.0.2:{port}/v1/x")),
        ("GET", format!("http://127.0.0.1:{other_port}/v1/x")),
        ("GET", format!("https://127.0.0.1:{port}/v1/x")),
        ("GET", format!("http://localhost:{other_port}/")),
        ("POST", format!("http://127.0.0.1:{port}/v1/x")),
        ("DELETE", format!("http://127.0.0.1:{port}/v1/x")),
        ("GET", format!("http://127.0.0.1:{port}/v2/x")),
        ("GET", format!("http://127.0.0.1:{port}/v1x")),
        ("GET", format!("http://127.0.0.1:{port}/")),
    ] {
        let result = policy.send(request(method, &url), &secrets).await;
        assert!(is_denied(&result), "{method} {url}: {result:?}");
    }
    for url in [
        format!("http://127.0.0.1:{port}/v1/../admin"),
        format!("http://127.0.0.1:{port}/v1/%2e%2e/admin"),
        format!("http://127.0.0.1:{port}/v1/..%2Fadmin"),
        format!("http://user:pw@127.0.0.1:{port}/v1/x"),
    ] {
        let result = policy.send(request("GET", &url), &secrets).await;
        assert!(
            matches!(result, Err(HttpsError::InvalidRequest { .. })),
            "{url}: {result:?}"
        );
    }
    let url = format!("http://127.0.0.1:{port}/v1/x");
    for name in ["Authorization", "cookie", "Proxy-Authorization", "Host"] {
        let mut req = request("GET", &url);
        req.headers.push(header(name, "x"));
        let result = policy.send(req, &secrets).await;
        assert!(
            matches!(result, Err(HttpsError::InvalidRequest { .. })),
            "{name}: {result:?}"
        );
    }
    let mut req = request("GET", &url);
    req.body = Some(vec![0; 17]);
    let result = policy.send(req, &secrets).await;
    assert!(
        matches!(result, Err(HttpsError::TooLarge { .. })),
        "{result:?}"
    );

    assert_eq!(server.connections(), 0);
    assert_eq!(other.connections(), 0);

    // The counter works: the granted request is one connection.
    let resp = policy.send(request("GET", &url), &secrets).await.unwrap();
    assert_eq!(resp.body, b"ok");
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn redirects_are_rechecked_per_hop() {
    let port_cell = std::sync::Arc::new(std::sync::OnceLock::<u16>::new());
    let port_for_handler = port_cell.clone();
    let server = Server::http(move |seen| {
        let port = port_for_handler.get().copied().unwrap_or_default();
        match seen.path.as_str() {
            "/v1/start" => Action::redirect(302, "/v1/next"),
            "/v1/relative" => Action::redirect(307, "next"),
            "/v1/next" => Action::ok("done"),
            "/v1/out" => Action::redirect(302, "/admin"),
            "/v1/other-host" => Action::redirect(302, &format!("http://localhost:{port}/v1/next")),
            "/v1/upgrade" => Action::redirect(301, &format!("https://127.0.0.1:{port}/v1/next")),
            "/v1/dotdot" => Action::redirect(302, "/v1/%2e%2e/admin"),
            "/v1/named" => Action::redirect(302, "https://api.example.test/v1/"),
            "/v1/loop" => Action::redirect(302, "/v1/loop"),
            "/v1/post" => Action::redirect(303, "/v1/next"),
            "/v1/post-only" => Action::redirect(303, "/v1/post-target"),
            _ => Action::ok("should not be reached"),
        }
    })
    .await;
    let port = server.port;
    port_cell.set(port).unwrap();
    let policy = HttpsPolicy::new(
        &[
            grant(&format!("http://127.0.0.1:{port}/v1/"), &["GET", "POST"]),
            grant("https://api.example.test/", &["GET"]),
        ],
        HttpsOptions {
            max_redirects: 3,
            resolver: crate::dns::fixed(&["10.0.0.1"]),
            ..HttpsOptions::default()
        },
    )
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let secrets = Secrets::new();
    let send = |method: &'static str, path: &'static str| {
        let url = format!("{base}{path}");
        let policy = &policy;
        let secrets = &secrets;
        async move { policy.send(request(method, &url), secrets).await }
    };

    let resp = send("GET", "/v1/start").await.unwrap();
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"done"[..]));
    let resp = send("GET", "/v1/relative").await.unwrap();
    assert_eq!(resp.body, b"done");

    for path in [
        "/v1/out",
        "/v1/other-host",
        "/v1/upgrade",
        "/v1/dotdot",
        "/v1/named",
    ] {
        let result = send("GET", path).await;
        assert!(is_denied(&result), "{path}: {result:?}");
    }
    let result = send("GET", "/v1/loop").await;
    assert!(
        matches!(&result, Err(HttpsError::Denied { reason }) if reason.contains("redirects")),
        "{result:?}"
    );

    // 303 turns POST into GET without the body.
    let mut req = request("POST", &format!("{base}/v1/post"));
    req.body = Some(b"data".to_vec());
    let resp = policy.send(req, &secrets).await.unwrap();
    assert_eq!(resp.body, b"done");

    let seen = server.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert!(!paths.contains(&"/admin"), "{paths:?}");
    assert_eq!(paths.iter().filter(|p| **p == "/v1/loop").count(), 4);
    let after_post = seen.last().unwrap();
    assert_eq!(
        (after_post.method.as_str(), after_post.path.as_str()),
        ("GET", "/v1/next")
    );
    assert!(after_post.body.is_empty());
    assert_eq!(seen.iter().filter(|s| s.path == "/v1/next").count(), 3);
}

#[tokio::test]
async fn a_redirect_that_changes_the_method_is_checked_for_the_new_method() {
    let server = Server::http(|seen| match seen.path.as_str() {
        "/in/post" => Action::redirect(303, "/in/next"),
        _ => Action::ok("reached"),
    })
    .await;
    let policy = HttpsPolicy::new(
        &[grant(
            &format!("http://127.0.0.1:{}/in/", server.port),
            &["POST"],
        )],
        HttpsOptions::default(),
    )
    .unwrap();
    let result = policy
        .send(
            request("POST", &format!("http://127.0.0.1:{}/in/post", server.port)),
            &Secrets::new(),
        )
        .await;
    assert!(is_denied(&result), "{result:?}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn secrets_go_only_to_their_grant() {
    let server = Server::http(|seen| match seen.path.as_str() {
        "/a/hop" => Action::redirect(302, "/b/landing"),
        _ => Action::ok("ok"),
    })
    .await;
    let port = server.port;
    let policy = HttpsPolicy::new(
        &[
            // Broad, listed first, with no secret: the narrower grant's
            // secret still goes to the requests it allows.
            grant(&format!("http://127.0.0.1:{port}/"), &["GET"]),
            grant(&format!("http://127.0.0.1:{port}/a/"), &["GET"]),
        ],
        HttpsOptions {
            secret_headers: vec!["x-team-token".into()],
            ..HttpsOptions::default()
        },
    )
    .unwrap();
    let mut secrets = Secrets::new();
    secrets.add(1, "X-Api-Key", "s3cret").unwrap();

    for path in ["/a/1", "/b/1", "/a/hop"] {
        policy
            .send(
                request("GET", &format!("http://127.0.0.1:{port}{path}")),
                &secrets,
            )
            .await
            .unwrap();
    }
    let seen = server.seen();
    let key_by_path: Vec<(&str, Option<&str>)> = seen
        .iter()
        .map(|s| (s.path.as_str(), s.header("x-api-key")))
        .collect();
    assert_eq!(
        key_by_path,
        vec![
            ("/a/1", Some("s3cret")),
            ("/b/1", None),
            ("/a/hop", Some("s3cret")),
            ("/b/landing", None),
        ]
    );

    for name in ["x-api-key", "X-Team-Token", "authorization"] {
        let mut req = request("GET", &format!("http://127.0.0.1:{port}/b/1"));
        req.headers.push(header(name, "from-plugin"));
        let result = policy.send(req, &secrets).await;
        assert!(
            matches!(result, Err(HttpsError::InvalidRequest { .. })),
            "{name}: {result:?}"
        );
    }
    assert_eq!(server.seen().len(), 4);
}

#[tokio::test]
async fn response_bounds_are_enforced() {
    let server = Server::http(|seen| match seen.path.as_str() {
        "/exact" => Action::ok(&"a".repeat(1024)),
        "/declared" => Action::ok(&"a".repeat(1025)),
        "/streamed" => Action::Reply {
            status: 200,
            headers: vec![],
            body: vec![b'a'; 64 * 1024],
            content_length: false,
        },
        "/headers" => Action::Reply {
            status: 200,
            headers: (0..40).map(|i| (format!("x-h{i}"), "v".into())).collect(),
            body: vec![],
            content_length: true,
        },
        _ => Action::ok(""),
    })
    .await;
    let policy = HttpsPolicy::new(
        &[grant(
            &format!("http://127.0.0.1:{}/", server.port),
            &["GET"],
        )],
        HttpsOptions {
            max_response_bytes: 1024,
            max_headers: 16,
            ..HttpsOptions::default()
        },
    )
    .unwrap();
    let secrets = Secrets::new();
    let get = |path: &str| {
        policy.send(
            request("GET", &format!("http://127.0.0.1:{}{path}", server.port)),
            &secrets,
        )
    };
    assert_eq!(get("/exact").await.unwrap().body.len(), 1024);
    for path in ["/declared", "/streamed", "/headers"] {
        let result = get(path).await;
        assert!(
            matches!(result, Err(HttpsError::TooLarge { .. })),
            "{path}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_silent_server_times_out_and_sees_the_connection_closed() {
    let server = Server::http(|_| Action::Hang).await;
    let timeout = Duration::from_millis(300);
    let policy = HttpsPolicy::new(
        &[grant(
            &format!("http://127.0.0.1:{}/", server.port),
            &["GET"],
        )],
        HttpsOptions {
            request_timeout: timeout,
            ..HttpsOptions::default()
        },
    )
    .unwrap();
    let secrets = Secrets::new();
    let send = policy.send(
        request("GET", &format!("http://127.0.0.1:{}/slow", server.port)),
        &secrets,
    );
    // The outer bound only keeps a broken build from hanging the suite.
    let result = tokio::time::timeout(Duration::from_secs(20), send)
        .await
        .expect("send returned");
    assert_eq!(result, Err(HttpsError::Timeout { after: timeout }));
    assert!(
        server.client_closed().await,
        "server never saw the connection close"
    );
}

#[tokio::test]
async fn dropping_the_send_future_closes_the_connection() {
    let server = Server::http(|_| Action::Hang).await;
    let policy = HttpsPolicy::new(
        &[grant(
            &format!("http://127.0.0.1:{}/", server.port),
            &["GET"],
        )],
        HttpsOptions {
            request_timeout: Duration::from_secs(600),
            ..HttpsOptions::default()
        },
    )
    .unwrap();
    let secrets = Secrets::new();
    let mut send = Box::pin(policy.send(
        request("GET", &format!("http://127.0.0.1:{}/slow", server.port)),
        &secrets,
    ));
    tokio::select! {
        result = &mut send => panic!("a hanging server answered: {result:?}"),
        () = server.request_arrived() => {}
    }
    assert_eq!(server.closed_by_client(), 0);
    drop(send);
    assert!(
        server.client_closed().await,
        "server never saw the connection close"
    );
}
