//! The host APIs end to end: `http-fetch` and `notes` called through the CLI
//! reach only what their grants name, and every refusal is a structured tool
//! error recorded in history.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{Env, fixture};

#[allow(dead_code)]
#[path = "../../../yoi-host-apis/tests/it/server.rs"]
mod server;

use server::{Action, Server, TestCa};

pub(crate) fn install(env: &Env, id: &str) {
    let r = env.yoi(&["plugin", "install", fixture(id).to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

pub(crate) fn enable(env: &Env, args: &[&str]) {
    let r = env.yoi(&[&["plugin", "enable"], args].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Call a tool; returns the `--json` result.
pub(crate) fn call(env: &Env, tool: &str, input: Value) -> Value {
    let r = env.yoi(&[
        "tool",
        "call",
        tool,
        "--input",
        &input.to_string(),
        "--json",
    ]);
    let v = r.json();
    assert_eq!(r.code, if v["ok"] == true { 0 } else { 1 }, "{}", r.stderr);
    v
}

/// Assert a call failed with `kind` and a message containing `needle`.
pub(crate) fn assert_refused(v: &Value, kind: &str, needle: &str) {
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["error"]["kind"], kind, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "`{needle}` not in `{message}`");
    assert!(message.len() <= 4096, "unbounded message");
}

pub(crate) fn prepend_config(env: &Env, text: &str) {
    let path = env.ws().join(".yoi/config.toml");
    let old = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n{old}")).unwrap();
    env.trust();
}

fn history(env: &Env) -> Vec<Value> {
    let r = env.yoi(&["history", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()["events"].as_array().unwrap().clone()
}

/// A workspace with `http-fetch` enabled for GET beneath `grant`.
fn fetch_env(grant: &str) -> Env {
    let env = Env::new();
    install(&env, "http-fetch");
    enable(
        &env,
        &[
            "project:http-fetch",
            "--tools",
            "fetch",
            "--https",
            grant,
            "--methods",
            "GET",
        ],
    );
    env
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn fetch_reaches_only_what_its_grant_names() {
    let rt = rt();
    let server = rt.block_on(Server::http(|seen| match seen.path.as_str() {
        "/allowed/hello" => Action::ok("hello"),
        "/allowed/out" => Action::redirect(302, "/secret"),
        "/allowed/big" => Action::Reply {
            status: 200,
            headers: vec![],
            body: vec![b'x'; 9 * 1024 * 1024],
            content_length: true,
        },
        _ => Action::ok("secret"),
    }));
    let other = rt.block_on(Server::http(|_| Action::ok("other")));
    let base = format!("http://127.0.0.1:{}", server.port);
    let env = fetch_env(&format!("{base}/allowed/"));

    let v = call(
        &env,
        "fetch",
        json!({"url": format!("{base}/allowed/hello")}),
    );
    assert_eq!(v["ok"], true, "{v}");
    let out = &v["content"][0]["json"];
    assert_eq!(out["status"], 200);
    assert_eq!(out["body"], "hello");
    assert_eq!(server.connections(), 1);

    // Refused before any connection: another path, method, port, scheme, host.
    let p = other.port;
    for (input, needle) in [
        (json!({"url": format!("{base}/secret")}), "denied"),
        (
            json!({"url": format!("{base}/allowed/hello"), "method": "POST", "body": "x"}),
            "denied",
        ),
        (
            json!({"url": format!("http://127.0.0.1:{p}/allowed/hello")}),
            "denied",
        ),
        (
            json!({"url": format!("https://127.0.0.1:{}/allowed/hello", server.port)}),
            "denied",
        ),
        (
            json!({"url": format!("http://localhost:{}/allowed/hello", server.port)}),
            "denied",
        ),
    ] {
        let v = call(&env, "fetch", input.clone());
        assert_refused(&v, "denied", needle);
    }
    assert_eq!(
        server.connections(),
        1,
        "a refused request reached the server"
    );
    assert_eq!(
        other.connections(),
        0,
        "a refused request reached the server"
    );

    // A redirect out of the grant is refused; the target is never fetched.
    let v = call(&env, "fetch", json!({"url": format!("{base}/allowed/out")}));
    assert_refused(&v, "denied", "redirect");
    let paths: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, ["/allowed/hello", "/allowed/out"]);

    // A response over the host's bound is an error, not a truncated body.
    let v = call(&env, "fetch", json!({"url": format!("{base}/allowed/big")}));
    assert_refused(&v, "failed", "too-large");

    // Every refusal is in history as a tool error of the same kind.
    let errors: Vec<Value> = history(&env)
        .into_iter()
        .filter(|e| e["kind"] == "tool_error")
        .collect();
    assert_eq!(errors.len(), 7, "{errors:?}");
    assert_eq!(
        errors
            .iter()
            .filter(|e| e["error_kind"] == "denied")
            .count(),
        6,
        "{errors:?}"
    );
}

#[test]
fn https_with_an_extra_root_and_nothing_without_a_grant() {
    let rt = rt();
    let ca = TestCa::new();
    let server = rt.block_on(Server::https(&ca, |_| Action::ok("over tls")));
    let env = Env::new();
    install(&env, "http-fetch");
    let url = format!("https://localhost:{}/", server.port);

    // Requested but not granted: the plugin is partial and every request denied.
    enable(&env, &["project:http-fetch", "--tools", "fetch"]);
    let v = call(&env, "fetch", json!({"url": url}));
    assert_refused(&v, "denied", "not granted");
    assert_eq!(server.connections(), 0);

    // Granted, but the server's CA is not trusted yet: a TLS failure.
    enable(
        &env,
        &[
            "project:http-fetch",
            "--tools",
            "fetch",
            "--https",
            &url,
            "--methods",
            "GET",
        ],
    );
    let v = call(&env, "fetch", json!({"url": url}));
    assert_refused(&v, "failed", "tls");

    // With the CA as an extra root, the request succeeds.
    let ca_file = env.path("ca.pem");
    std::fs::write(&ca_file, &ca.ca_pem).unwrap();
    prepend_config(
        &env,
        &format!(
            "[https]\nextra_roots = [{:?}]\n",
            ca_file.display().to_string()
        ),
    );
    let v = call(&env, "fetch", json!({"url": url}));
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["content"][0]["json"]["body"], "over tls");
}

#[test]
fn secrets_come_from_the_enablement_and_plugins_cannot_set_them() {
    let rt = rt();
    let server = rt.block_on(Server::http(|seen| {
        Action::ok(match seen.header("authorization") {
            Some("Bearer s3cret") => "authorized",
            Some(_) => "wrong credentials",
            None => "no credentials",
        })
    }));
    let base = format!("http://127.0.0.1:{}/", server.port);
    let env = fetch_env(&base);
    let secret = env.path("token");
    std::fs::write(&secret, "Bearer s3cret\n").unwrap();
    let path = env.ws().join(".yoi/config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{text}\n[[plugins.\"project:http-fetch\".grants.https.secrets]]\nheader = \"Authorization\"\nfile = {:?}\n",
            secret.display().to_string()
        ),
    )
    .unwrap();
    env.trust();
    let v = call(&env, "fetch", json!({"url": base}));
    assert_eq!(v["content"][0]["json"]["body"], "authorized", "{v}");
    // The plugin may not set a credential header itself.
    let v = call(
        &env,
        "fetch",
        json!({"url": base, "headers": {"Authorization": "Bearer stolen"}}),
    );
    assert_refused(&v, "invalid-input", "Authorization");
    assert_eq!(server.seen().len(), 1, "the refused request was sent");
    // The secret is in no history record.
    let r = env.yoi(&["history", "--json"]);
    assert!(!r.stdout.contains("s3cret"));
}

#[test]
fn a_slow_server_ends_at_the_call_deadline() {
    let rt = rt();
    let server = rt.block_on(Server::http(|_| Action::Hang));
    let base = format!("http://127.0.0.1:{}/", server.port);
    let env = fetch_env(&base);
    prepend_config(&env, "[limits]\ndeadline_ms = 700\n");
    let v = call(&env, "fetch", json!({"url": base}));
    assert_refused(&v, "timeout", "700 ms");
    // The process is gone, and with it the request: the server saw it close.
    assert!(rt.block_on(server.client_closed()));
    let last = history(&env).pop().unwrap();
    assert_eq!(last["kind"], "tool_error");
    assert_eq!(last["error_kind"], "timeout");
}

#[test]
fn a_component_importing_an_unrequested_api_is_refused_at_load() {
    let env = Env::new();
    // The http-fetch component under a manifest that does not request `https`.
    let pkg = yoi_package::Package::from_archive_file(&fixture("http-fetch")).unwrap();
    let dir = env.path("sneaky");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("http-fetch.wasm"), pkg.artifact()).unwrap();
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/http-fetch/plugin.toml"),
    )
    .unwrap()
    .replace("host_apis = [\"https\"]", "host_apis = []");
    std::fs::write(dir.join("plugin.toml"), manifest).unwrap();
    let archive = env.path("sneaky.yoi-plugin");
    let r = env.yoi(&[
        "plugin",
        "pack",
        dir.to_str().unwrap(),
        "-o",
        archive.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.yoi(&["plugin", "install", archive.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    enable(&env, &["project:http-fetch", "--tools", "fetch"]);
    let v = call(&env, "fetch", json!({"url": "https://example.com/"}));
    assert_refused(&v, "unavailable", "does not request it");
}

/// A notes root with one note, and a secret file beside it (outside).
fn notes_env(ops: &str) -> Env {
    let env = Env::new();
    let root = env.path("notes");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("hello.txt"), "hello notes").unwrap();
    std::fs::write(env.path("secret.txt"), "TOP-SECRET-CONTENT").unwrap();
    std::os::unix::fs::symlink(env.path("secret.txt"), root.join("escape")).unwrap();
    install(&env, "notes");
    enable(
        &env,
        &[
            "project:notes",
            "--tools",
            "*",
            "--fs",
            root.to_str().unwrap(),
            "--ops",
            ops,
        ],
    );
    env
}

#[test]
fn notes_touches_only_its_granted_root() {
    let env = notes_env("read,list,write");
    let v = call(&env, "read_file", json!({"path": "hello.txt"}));
    assert_eq!(v["content"][0]["json"]["content"], "hello notes", "{v}");

    let v = call(
        &env,
        "write_file",
        json!({"path": "sub/new.txt", "content": "written"}),
    );
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        std::fs::read_to_string(env.path("notes/sub/new.txt")).unwrap(),
        "written"
    );

    let v = call(&env, "list_dir", json!({}));
    let names: Vec<&str> = v["content"][0]["json"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["escape", "hello.txt", "sub"]);

    let secret = env.path("secret.txt");
    for (tool, input, kind, needle) in [
        (
            "read_file",
            json!({"path": "../secret.txt"}),
            "invalid-input",
            "invalid-path",
        ),
        (
            "read_file",
            json!({"path": secret}),
            "invalid-input",
            "invalid-path",
        ),
        ("read_file", json!({"path": "escape"}), "denied", "denied"),
        (
            "write_file",
            json!({"path": "../planted.txt", "content": "x"}),
            "invalid-input",
            "invalid-path",
        ),
        (
            "list_dir",
            json!({"path": ".."}),
            "invalid-input",
            "invalid-path",
        ),
    ] {
        let v = call(&env, tool, input);
        assert_refused(&v, kind, needle);
        assert!(
            !v.to_string().contains("TOP-SECRET"),
            "file contents leaked: {v}"
        );
    }
    // Writing to the escaping symlink replaces the link itself (an atomic
    // rename inside the root); the file it pointed to is untouched.
    let v = call(
        &env,
        "write_file",
        json!({"path": "escape", "content": "replaced"}),
    );
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "TOP-SECRET-CONTENT"
    );
    let link = std::fs::symlink_metadata(env.path("notes/escape")).unwrap();
    assert!(link.is_file());
    assert!(!env.path("planted.txt").exists());
    let kinds: Vec<Value> = history(&env)
        .into_iter()
        .filter(|e| e["kind"] == "tool_error")
        .map(|e| e["error_kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [
            "invalid-input",
            "invalid-input",
            "denied",
            "invalid-input",
            "invalid-input"
        ]
    );
}

#[test]
fn each_fs_operation_needs_its_own_grant() {
    let env = notes_env("read");
    let v = call(
        &env,
        "write_file",
        json!({"path": "new.txt", "content": "x"}),
    );
    assert_refused(&v, "denied", "write");
    assert!(!env.path("notes/new.txt").exists());
    let v = call(&env, "list_dir", json!({}));
    assert_refused(&v, "denied", "list");

    let env = notes_env("write");
    let v = call(&env, "read_file", json!({"path": "hello.txt"}));
    assert_refused(&v, "denied", "read");
    let v = call(
        &env,
        "write_file",
        json!({"path": "new.txt", "content": "x"}),
    );
    assert_eq!(v["ok"], true, "{v}");
}

/// The attacker: a plugin granted write on a directory that holds yoi's
/// cache or user store (granting `$HOME`), which would let it replace its
/// own compiled code. `yoi plugin enable` refuses the root, naming both.
#[test]
fn enable_refuses_a_root_holding_the_cache() {
    let env = Env::new();
    install(&env, "notes");
    std::fs::create_dir_all(env.path("cache/yoi/compiled")).unwrap();
    std::fs::create_dir_all(env.path("data/yoi/plugins")).unwrap();
    let top = yoi_grants::canonical(env.dir.path());
    let show = |rel: &str| top.join(rel).display().to_string();
    for (root, why) in [
        (
            top.display().to_string(),
            format!("contains the user store (`{}`)", show("data/yoi/plugins")),
        ),
        (
            show("cache"),
            format!("contains yoi's cache (`{}`)", show("cache/yoi")),
        ),
        (
            show("cache/yoi/compiled"),
            format!("lies inside yoi's cache (`{}`)", show("cache/yoi")),
        ),
        (
            show("data/yoi/plugins"),
            format!(
                "lies inside the user store (`{}`)",
                show("data/yoi/plugins")
            ),
        ),
        (
            show("ws/.yoi"),
            format!(
                "lies inside the workspace's `.yoi` directory (`{}`)",
                show("ws/.yoi")
            ),
        ),
    ] {
        let r = env.yoi(&[
            "plugin",
            "enable",
            "project:notes",
            "--tools",
            "*",
            "--fs",
            &root,
            "--ops",
            "read,list,write",
        ]);
        assert_eq!(r.code, 2, "{root}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "fs root `{root}` {why}; no plugin is granted yoi's own state"
            )),
            "{root}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("hint: grant a directory"), "{}", r.stderr);
    }
    let r = env.yoi(&["plugin", "show", "project:notes", "--json"]);
    assert_eq!(r.json()["plugins"][0]["status"], "disabled", "{}", r.stdout);
}

/// The attacker: a plugin granted the project directory with write, trying
/// to widen its own grants by rewriting `.yoi/config.toml`.
#[test]
fn a_plugin_granted_the_project_cannot_write_its_config() {
    let env = Env::new();
    std::fs::write(env.ws().join("notes.txt"), "project notes").unwrap();
    install(&env, "notes");
    let ws = env.ws().display().to_string();
    enable(
        &env,
        &[
            "project:notes",
            "--tools",
            "*",
            "--fs",
            &ws,
            "--ops",
            "read,list,write",
        ],
    );
    let config = std::fs::read_to_string(env.ws().join(".yoi/config.toml")).unwrap();
    for (tool, input) in [
        (
            "write_file",
            json!({"path": ".yoi/config.toml", "content": "[plugins]\n"}),
        ),
        ("read_file", json!({"path": ".yoi/config.toml"})),
        ("list_dir", json!({"path": ".yoi"})),
    ] {
        let v = call(&env, tool, input);
        assert_refused(
            &v,
            "denied",
            "reaches yoi's own state (the workspace's `.yoi` directory)",
        );
    }
    assert_eq!(
        std::fs::read_to_string(env.ws().join(".yoi/config.toml")).unwrap(),
        config
    );
    let v = call(&env, "read_file", json!({"path": "notes.txt"}));
    assert_eq!(v["content"][0]["json"]["content"], "project notes", "{v}");
}

/// The attacker: a cloned repository (or a hand edit) whose config grants a
/// root holding yoi's cache. Resolution rejects the plugin; nothing loads.
#[test]
fn resolution_refuses_a_root_holding_the_cache_written_into_config() {
    let env = notes_env("read");
    let config = env.ws().join(".yoi/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let notes = yoi_grants::canonical(&env.path("notes"));
    let home = yoi_grants::canonical(&env.path("home"));
    std::fs::create_dir_all(&home).unwrap();
    let top = yoi_grants::canonical(env.dir.path());
    let widened = text.replace(
        &format!("root = \"{}\"", notes.display()),
        &format!("root = \"{}\"", top.display()),
    );
    assert_ne!(widened, text, "the grant was not found in {text}");
    std::fs::write(&config, widened).unwrap();
    // Even a person approving the hand edit does not make the root grantable.
    env.trust();
    let r = env.yoi(&["plugin", "show", "project:notes", "--json"]);
    let v = r.json();
    assert_eq!(v["plugins"][0]["status"], "rejected", "{v}");
    assert!(
        v.to_string()
            .contains(&format!("fs root `{}` contains", top.display())),
        "{v}"
    );
    let v = call(&env, "read_file", json!({"path": "hello.txt"}));
    assert_eq!(v["ok"], false, "{v}");
}
