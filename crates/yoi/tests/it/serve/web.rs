//! A real `yoi serve` against the attackers that reach it over HTTP: a web
//! page mapping what is served, a webhook sender, and a long event that
//! must not stall `/status`.

use super::*;

#[test]
fn unknown_ungranted_and_missing_ingress_look_the_same() {
    let env = Env::new();
    // `tick` is declared by counter but not granted.
    enable_with(&env, "counter", &["--tools", "increment"]);
    let server = Server::start(&env);
    let paths = [
        "/ingress/project:nobody/tick",
        "/ingress/nobody/tick",
        "/ingress/project:counter/tick",
        "/ingress/project:counter/no-such-ingress",
    ];
    for path in paths {
        let r = post_event(&server, path, "{}");
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert_eq!(
            r.body,
            "{\n  \"error\": {\n    \"message\": \"no such plugin or ingress\",\n    \"status\": 404\n  }\n}\n",
            "{path}"
        );
    }
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();

    // Behind a bearer token the caller is the operator, told what is wrong.
    const TOKEN: &str = "web-test-token-0123456789";
    let token_file = env.path("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    prepend_config(
        &env,
        &format!(
            "[serve]\ntoken_file = {}\n",
            toml::Value::String(token_file.display().to_string())
        ),
    );
    let server = Server::start(&env);
    let bearer = format!("Bearer {TOKEN}");
    let json = ("content-type", "application/json");
    let post = |path: &str| {
        send(
            Method::POST,
            &server.url(path),
            &[json, ("authorization", &bearer)],
            Some("{}"),
        )
    };
    let r = post("/ingress/project:counter/tick");
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        r.json()["error"]["message"],
        "not granted: the ingress `tick` of `project:counter` is not granted"
    );
    let r = post("/ingress/project:counter/no-such-ingress");
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(
        r.json()["error"]["message"],
        "no such plugin or ingress: `project:counter` has no ingress `no-such-ingress`"
    );
}

#[test]
fn a_web_page_cannot_post_text_plain_to_ingress() {
    let env = Env::new();
    enable_with(
        &env,
        "counter",
        &["--tools", "increment", "--ingresses", "tick"],
    );
    let server = Server::start(&env);
    // What a <form> or a no-preflight `fetch` of any page can send.
    let r = send(
        Method::POST,
        &server.url("/ingress/project:counter/tick"),
        &[("content-type", "text/plain;charset=UTF-8")],
        Some("{}"),
    );
    assert_eq!(r.status, 415, "{}", r.body);
    let r = send(
        Method::POST,
        &server.url("/ingress/project:counter/tick"),
        &[
            ("content-type", "application/json"),
            ("origin", "https://evil.example"),
        ],
        Some("{}"),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let status = get(&server.url("/status"), &[]).json();
    let counter = plugin_status(&status, "project:counter");
    assert_eq!(counter["instance"]["events"]["accepted"], 0, "{counter}");
    // A rebinding page reading `/status` under its own name.
    let r = get(&server.url("/status"), &[("host", "evil.example")]);
    assert_eq!(r.status, 403, "{}", r.body);
}

#[test]
fn status_answers_from_its_snapshot_while_an_event_holds_the_instance() {
    let env = Env::new();
    enable_with(
        &env,
        "flaky",
        &["--tools", "handled", "--ingresses", "work"],
    );
    let server = Server::start(&env);
    wait_for_plugin(&server, "project:flaky", "a first snapshot", |p| {
        p["instance"]["plugin_status"]["handled"] == 0
    });
    // flaky spins for 2 s inside its handler, holding its one instance.
    let r = post_event(&server, "/ingress/flaky/work?kind=slow", r#"{"ms": 2000}"#);
    assert_eq!(r.status, 202, "{}", r.body);
    std::thread::sleep(Duration::from_millis(300));
    // Answered mid-event, from the snapshot: a request that ran the status
    // hook would have waited for the instance and seen `handled: 1`.
    let status = get(&server.url("/status"), &[]).json();
    let flaky = plugin_status(&status, "project:flaky");
    assert_eq!(flaky["instance"]["events"]["accepted"], 1, "{flaky}");
    assert_eq!(flaky["instance"]["events"]["handled"], 0, "{flaky}");
    assert_eq!(flaky["instance"]["plugin_status"]["handled"], 0, "{flaky}");
    // Once the event is done, the snapshot follows.
    wait_for_plugin(
        &server,
        "project:flaky",
        "the snapshot after the event",
        |p| {
            p["instance"]["events"]["handled"] == 1
                && p["instance"]["plugin_status"]["handled"] == 1
        },
    );
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
}

#[test]
fn a_replayed_webhook_outside_the_window_is_refused() {
    let env = Env::new();
    enable_with(&env, "webhook", &["--ingresses", "receive"]);
    let secret = env.path("webhook-secret");
    std::fs::write(&secret, "s3cret-key\n").unwrap();
    let config = env.ws().join(".yoi/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "{text}\n[plugins.\"project:webhook\".ingress.receive]\nhmac_sha256_file = {:?}\n\
             timestamp_header = \"X-Yoi-Timestamp\"\nmax_skew_secs = 300\n",
            secret.display().to_string()
        ),
    )
    .unwrap();
    // The section was written by hand, so it counts once approved.
    env.trust();
    let server = Server::start(&env);
    let url = server.url("/ingress/webhook/receive?kind=push");
    let body = r#"{"summary": "signed"}"#;
    let deliver = |stamp: u64| {
        let stamp = stamp.to_string();
        let signed = [stamp.as_bytes(), b".", body.as_bytes()].concat();
        let signature = format!("sha256={}", sign(b"s3cret-key", &signed));
        send(
            Method::POST,
            &url,
            &[
                ("content-type", "application/json"),
                ("x-hub-signature-256", &signature),
                ("x-yoi-timestamp", &stamp),
            ],
            Some(body),
        )
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = deliver(now);
    assert_eq!(r.status, 202, "{}", r.body);
    // A delivery captured an hour ago, replayed now with its valid signature.
    let r = deliver(now - 3600);
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(
        r.json()["error"]["message"],
        "unauthorized: the `x-yoi-timestamp` timestamp is more than 300 s from the host's clock; \
         a delivery is accepted only within that window"
    );
    // The body signed alone (no timestamp in the signed material) is refused.
    let signature = format!("sha256={}", sign(b"s3cret-key", body.as_bytes()));
    let r = send(
        Method::POST,
        &url,
        &[
            ("content-type", "application/json"),
            ("x-hub-signature-256", &signature),
            ("x-yoi-timestamp", &now.to_string()),
        ],
        Some(body),
    );
    assert_eq!(r.status, 401, "{}", r.body);
}
