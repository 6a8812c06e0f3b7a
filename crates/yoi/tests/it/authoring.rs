//! Plugin authoring as a new user meets it: `yoi plugin new` in a directory
//! outside the repository, `cargo test`, `yoi plugin dev`, `yoi plugin build`,
//! install, enable, call, history; the same for `--template instance` with an
//! event posted to its ingress through `yoi serve` and the tool called over
//! MCP in the same instance; the refusals of `yoi plugin new`; and the
//! hand-described parts of `schemas/config.schema.json` against the parsers.
//!
//! The projects build with the real toolchain (cargo, rustup, the
//! `wasm32-wasip2` target, as `cargo xtask test` installs them) into a shared
//! target directory, `target/authoring-test`, so later runs rebuild only the
//! project itself. The project's `Cargo.lock` pins only what the examples
//! already use (so their crates are in the local cargo cache), and the test
//! fails if cargo has to change it: nothing new may be resolved.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Env, Run};

/// The repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared target directory of the projects these tests build.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("authoring-test"),
        None => repo().join("target/authoring-test"),
    }
}

/// `program` in `cwd` with the isolated XDG directories of `env`, plus what
/// the Rust toolchain needs from the real environment; stdout and stderr piped.
fn command(env: &Env, cwd: &Path, program: &Path, args: &[&str]) -> Command {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.path("home"))
        .env("XDG_DATA_HOME", env.path("data"))
        .env("XDG_CACHE_HOME", env.path("cache"))
        .env("XDG_CONFIG_HOME", env.path("config"))
        .env("YOI_BUILTIN_DIR", env.path("builtin"))
        .env(
            "CARGO_HOME",
            std::env::var_os("CARGO_HOME").unwrap_or_else(|| home.join(".cargo").into()),
        )
        .env(
            "RUSTUP_HOME",
            std::env::var_os("RUSTUP_HOME").unwrap_or_else(|| home.join(".rustup").into()),
        )
        .env("CARGO_TARGET_DIR", target_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ["CARGO", "RUSTUP_TOOLCHAIN"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    cmd
}

/// Run `program` (see [`command`]) to its end.
fn run(env: &Env, cwd: &Path, program: &Path, args: &[&str]) -> Run {
    let out = command(env, cwd, program, args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn yoi(env: &Env, cwd: &Path, args: &[&str]) -> Run {
    run(env, cwd, Path::new(env!("CARGO_BIN_EXE_yoi")), args)
}

fn cargo(env: &Env, cwd: &Path, args: &[&str]) -> Run {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(env, cwd, Path::new(&cargo), args)
}

#[track_caller]
fn ok(r: &Run, what: &str) {
    assert_eq!(
        r.code, 0,
        "{what} failed\nstdout:\n{}\nstderr:\n{}",
        r.stdout, r.stderr
    );
}

#[test]
fn from_plugin_new_to_a_call_in_history() {
    let env = Env::new();
    let root = env.dir.path();
    assert!(
        !root.starts_with(repo().canonicalize().unwrap()),
        "the project must be outside the repository"
    );

    let r = yoi(&env, root, &["plugin", "new", "word-count"]);
    ok(&r, "yoi plugin new");
    let project = root.join("word-count");
    assert_eq!(r.stdout.trim(), project.display().to_string());
    let manifest = std::fs::read_to_string(project.join("plugin.toml")).unwrap();
    assert!(manifest.contains("host_apis = []"), "{manifest}");
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        ".gitignore",
        "src/lib.rs",
        "vendor/yoi-pdk/Cargo.toml",
        "vendor/yoi-pdk/src/lib.rs",
        "vendor/yoi-pdk/wit/plugin/worlds.wit",
    ] {
        assert!(project.join(file).is_file(), "{file} was not written");
    }
    let lock = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();

    // The template's unit tests pass natively, and what was written is
    // formatted as `cargo fmt` wants it.
    let r = cargo(&env, &project, &["test"]);
    ok(&r, "cargo test");
    assert!(r.stdout.contains("2 passed"), "{}", r.stdout);
    ok(
        &cargo(&env, &project, &["fmt", "--check"]),
        "cargo fmt --check",
    );

    // `dev` outside any workspace: built, called with only its tool granted,
    // recorded in a temporary history; nothing is installed or written.
    let r = yoi(
        &env,
        &project,
        &["plugin", "dev", "--input", r#"{"text": "one two three"}"#],
    );
    ok(&r, "yoi plugin dev");
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out, serde_json::json!({"words": 3, "chars": 13}));
    assert!(
        r.stderr.contains("dev:   tools = [\"word-count\"]"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("temporary history"), "{}", r.stderr);
    assert!(!project.join(".yoi").exists());

    // Build and pack.
    let r = yoi(&env, &project, &["plugin", "build"]);
    ok(&r, "yoi plugin build");
    let lines: Vec<&str> = r.stdout.lines().collect();
    let [package, digest] = lines.as_slice() else {
        panic!("expected a path and a digest:\n{}", r.stdout)
    };
    assert_eq!(
        *package,
        project
            .join("word-count-0.1.0.yoi-plugin")
            .display()
            .to_string()
    );
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    assert!(project.join("word-count.wasm").is_file());
    assert_eq!(
        std::fs::read_to_string(project.join("Cargo.lock")).unwrap(),
        lock,
        "cargo had to change the Cargo.lock that `yoi plugin new` wrote"
    );

    // Install, enable, call, history: in a separate workspace.
    let ws = env.ws();
    ok(&yoi(&env, &ws, &["plugin", "install", package]), "install");
    ok(
        &yoi(
            &env,
            &ws,
            &[
                "plugin",
                "enable",
                "project:word-count",
                "--tools",
                "word-count",
            ],
        ),
        "enable",
    );
    let r = yoi(
        &env,
        &ws,
        &[
            "tool",
            "call",
            "word-count",
            "--input",
            r#"{"text": "hello plugin world"}"#,
            "--json",
        ],
    );
    ok(&r, "tool call");
    assert_eq!(
        r.json()["content"][0],
        serde_json::json!({"type": "json", "json": {"words": 3, "chars": 18}})
    );
    let r = yoi(
        &env,
        &ws,
        &["tool", "call", "word-count", "--input", r#"{"text": 3}"#],
    );
    assert_eq!(
        r.code, 1,
        "a schema violation is a tool error: {}",
        r.stderr
    );

    // `dev` inside a workspace records into its history.
    let r = yoi(
        &env,
        &ws,
        &[
            "plugin",
            "dev",
            project.to_str().unwrap(),
            "--tool",
            "word-count",
            "--input",
            r#"{"text": "  "}"#,
        ],
    );
    assert_eq!(
        r.code, 1,
        "an empty text is refused by the tool: {}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("invalid-input: `text` must contain at least one word"),
        "{}",
        r.stderr
    );

    let events = yoi(&env, &ws, &["history", "--json"]).json()["events"].clone();
    let events = events.as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "tool_call",
            "tool_result",
            "tool_call",
            "tool_error",
            "tool_call",
            "tool_error"
        ]
    );
    for e in events {
        assert_eq!(e["tool"], "word-count");
        assert_eq!(e["plugin"], "project:word-count");
        assert_eq!(e["digest"].as_str(), Some(*digest));
    }
    assert_eq!(events[0]["input"], r#"{"text": "hello plugin world"}"#);

    // A compile error is shown as the compiler wrote it, and is a failure.
    let lib = project.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        source.replace("input.text.chars()", "input.txt.chars()"),
    )
    .unwrap();
    let r = yoi(&env, &project, &["plugin", "build"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("error[E0609]: no field `txt`"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

/// `yoi serve --listen 127.0.0.1:0` in `ws`, killed if the test fails.
struct Serve {
    child: Child,
    base: String,
    stderr: std::thread::JoinHandle<String>,
}

impl Serve {
    /// Start it and wait (a liveness bound) for the address it prints.
    fn start(env: &Env, ws: &Path) -> Serve {
        let yoi = Path::new(env!("CARGO_BIN_EXE_yoi"));
        let mut child = command(env, ws, yoi, &["serve", "--listen", "127.0.0.1:0"])
            .spawn()
            .unwrap();
        let pipe = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = std::thread::spawn(move || {
            let mut log = String::new();
            for line in std::io::BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("yoi serve: listening on http://") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
                log.push_str(&line);
                log.push('\n');
            }
            log
        });
        match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(addr) => Serve {
                child,
                base: format!("http://{addr}"),
                stderr,
            },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("yoi serve printed no address:\n{}", stderr.join().unwrap());
            }
        }
    }

    /// One HTTP request; returns the status and the body as JSON.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
        // reqwest is built without a TLS provider and refuses to start without one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let url = format!("{}{path}", self.base);
        runtime.block_on(async {
            let mut req = reqwest::Client::new()
                .request(method.parse().unwrap(), &url)
                .timeout(Duration::from_secs(60));
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let r = req.body(body.to_owned()).send().await.unwrap();
            let status = r.status().as_u16();
            let session = r
                .headers()
                .get("mcp-session-id")
                .map(|v| v.to_str().unwrap().to_owned());
            let text = r.text().await.unwrap();
            // An MCP answer may come as server-sent events: take the message
            // with an `id`, and hand the session id back with it.
            let mut value = serde_json::from_str(&text).unwrap_or_else(|_| {
                text.lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
                    .find(|m| m.get("id").is_some())
                    .unwrap_or(Value::String(text.clone()))
            });
            if let (Some(session), Some(map)) = (session, value.as_object_mut()) {
                map.insert("session".into(), Value::String(session));
            }
            (status, value)
        })
    }

    /// Call `tool` over MCP (Streamable HTTP at `/mcp`) in a fresh session.
    fn mcp_call(&self, tool: &str, arguments: Value) -> Value {
        let headers = [
            ("accept", "application/json, text/event-stream"),
            ("content-type", "application/json"),
        ];
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "authoring-test", "version": "0"}}});
        let (code, answer) = self.send("POST", "/mcp", &headers, &init.to_string());
        assert_eq!(code, 200, "{answer}");
        let session = answer["session"].as_str().unwrap().to_owned();
        let headers = [
            headers[0],
            headers[1],
            ("mcp-session-id", session.as_str()),
            ("mcp-protocol-version", "2025-11-25"),
        ];
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        self.send("POST", "/mcp", &headers, &initialized.to_string());
        let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                          "params": {"name": tool, "arguments": arguments}});
        let (code, answer) = self.send("POST", "/mcp", &headers, &call.to_string());
        assert_eq!(code, 200, "{answer}");
        answer
    }

    /// Poll `/status` until `done` holds for `plugin`'s entry (30 s at most).
    fn wait_for(&self, plugin: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (code, status) = self.send("GET", "/status", &[], "");
            assert_eq!(code, 200, "{status}");
            let entry = status["plugins"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["plugin"] == plugin)
                .unwrap_or_else(|| panic!("{plugin} not in {status}"))
                .clone();
            if done(&entry) {
                return entry;
            }
            assert!(Instant::now() < deadline, "still waiting: {entry}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then wait (a liveness bound) for exit 0. Returns its stderr.
    fn terminate(mut self) -> String {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "yoi serve did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let log = std::mem::replace(&mut self.stderr, std::thread::spawn(String::new))
            .join()
            .unwrap();
        assert!(status.success(), "yoi serve exited with {status}:\n{log}");
        log
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn from_plugin_new_instance_to_an_event_through_serve() {
    let env = Env::new();
    let root = env.dir.path();
    assert!(
        !root.starts_with(repo().canonicalize().unwrap()),
        "the project must be outside the repository"
    );

    let r = yoi(
        &env,
        root,
        &[
            "plugin",
            "new",
            "my-inbox",
            "--template",
            "instance",
            "--json",
        ],
    );
    ok(&r, "yoi plugin new --template instance");
    let created = r.json();
    assert_eq!(created["template"], "instance");
    assert_eq!(created["tool"], "my-inbox");
    assert_eq!(created["ingress"], "inbox");
    let project = root.join("my-inbox");
    let manifest = std::fs::read_to_string(project.join("plugin.toml")).unwrap();
    assert!(manifest.contains("host_apis = []"), "{manifest}");
    assert!(
        manifest.contains("world = \"yoi:plugin/instance@1.0.0\""),
        "{manifest}"
    );
    let lock = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();

    let r = cargo(&env, &project, &["test"]);
    ok(&r, "cargo test");
    assert!(r.stdout.contains("2 passed"), "{}", r.stdout);
    ok(
        &cargo(&env, &project, &["fmt", "--check"]),
        "cargo fmt --check",
    );

    let r = yoi(&env, &project, &["plugin", "build"]);
    ok(&r, "yoi plugin build");
    let package = r.stdout.lines().next().unwrap().to_owned();
    assert_eq!(
        package,
        project
            .join("my-inbox-0.1.0.yoi-plugin")
            .display()
            .to_string()
    );
    assert_eq!(
        std::fs::read_to_string(project.join("Cargo.lock")).unwrap(),
        lock,
        "cargo had to change the Cargo.lock that `yoi plugin new` wrote"
    );

    // Install and enable with the README's grants, in a separate workspace.
    let ws = env.ws();
    ok(&yoi(&env, &ws, &["plugin", "install", &package]), "install");
    ok(
        &yoi(
            &env,
            &ws,
            &[
                "plugin",
                "enable",
                "project:my-inbox",
                "--tools",
                "my-inbox",
                "--ingresses",
                "inbox",
                "--config",
                "keep=10",
            ],
        ),
        "enable",
    );

    let server = Serve::start(&env, &ws);
    let json_body = [("content-type", "application/json")];
    let (code, accepted) = server.send(
        "POST",
        "/ingress/project:my-inbox/inbox",
        &json_body,
        r#"{"text": "hello"}"#,
    );
    assert_eq!(code, 202, "{accepted}");
    let event_id = accepted["id"].as_str().unwrap().to_owned();
    // The ingress's schema is the template's: an unknown field is refused.
    let (code, refused) = server.send(
        "POST",
        "/ingress/project:my-inbox/inbox",
        &json_body,
        r#"{"txt": "hello"}"#,
    );
    assert_eq!(code, 422, "{refused}");

    let entry = server.wait_for("project:my-inbox", |p| {
        p["instance"]["events"]["handled"] == 1 && p["instance"]["plugin_status"]["received"] == 1
    });
    assert_eq!(entry["instance"]["state"], "running", "{entry}");
    assert_eq!(entry["instance"]["events"]["accepted"], 1, "{entry}");
    assert_eq!(
        entry["instance"]["plugin_status"],
        json!({"received": 1, "kept": 1, "last": "hello"}),
        "{entry}"
    );

    // The tool runs in the same instance: it sees the event, and clears.
    let answer = server.mcp_call("my-inbox", json!({"clear": true}));
    assert_eq!(
        answer["result"]["structuredContent"],
        json!({"received": 1, "messages": ["hello"]}),
        "{answer}"
    );
    let entry = server.wait_for("project:my-inbox", |p| {
        p["instance"]["plugin_status"]["kept"] == 0
    });
    assert_eq!(entry["instance"]["plugin_status"]["received"], 1);

    let log = server.terminate();
    assert!(log.contains("stopped"), "{log}");

    let r = yoi(&env, &ws, &["history", "--json"]);
    ok(&r, "yoi history");
    let events = r.json()["events"].as_array().unwrap().clone();
    let ingress = events
        .iter()
        .find(|e| e["kind"] == "ingress_event")
        .unwrap_or_else(|| panic!("no ingress_event in {events:?}"));
    assert_eq!(ingress["plugin"], "project:my-inbox");
    let notice = events
        .iter()
        .find(|e| e["kind"] == "notification" && e["plugin"] == "project:my-inbox")
        .unwrap_or_else(|| panic!("no notification in {events:?}"));
    // The plugin's kind is its own field; the message is the host's.
    assert_eq!(notice["notice_kind"], "received", "{notice}");
    assert!(
        notice["message"]
            .as_str()
            .unwrap()
            .starts_with("notice for "),
        "{notice}"
    );
    let data: Value = serde_json::from_str(notice["output"].as_str().unwrap()).unwrap();
    assert_eq!(data, json!({"event": event_id, "received": 1}));
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "tool_result" && e["tool"] == "my-inbox"),
        "{events:?}"
    );
}

#[test]
fn a_project_can_build_against_a_pdk_checkout() {
    let env = Env::new();
    let pdk = repo().join("crates/yoi-pdk").canonicalize().unwrap();
    let project = env.path("checkout-pdk");
    let r = yoi(
        &env,
        env.dir.path(),
        &[
            "plugin",
            "new",
            "from-checkout",
            "--dir",
            project.to_str().unwrap(),
            "--pdk-path",
            pdk.to_str().unwrap(),
            "--json",
        ],
    );
    ok(&r, "yoi plugin new --pdk-path");
    assert_eq!(r.json()["pdk"], pdk.to_str().unwrap());
    assert!(!project.join("vendor").exists());
    let r = yoi(
        &env,
        &project,
        &["plugin", "build", "-o", "out.yoi-plugin", "--json"],
    );
    ok(&r, "yoi plugin build");
    assert_eq!(r.json()["id"], "from-checkout");
    assert!(project.join("out.yoi-plugin").is_file());
}

#[test]
fn plugin_new_refuses_what_it_must_not_touch() {
    let env = Env::new();
    let root = env.dir.path();
    let refused = |args: &[&str], message: &str| {
        let mut full = vec!["plugin", "new"];
        full.extend_from_slice(args);
        let r = yoi(&env, root, &full);
        assert_eq!(r.code, 2, "{full:?}: {}", r.stderr);
        assert!(r.stderr.contains(message), "{full:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    };

    // A non-empty directory: nothing in it is touched.
    std::fs::create_dir(root.join("busy")).unwrap();
    std::fs::write(root.join("busy/notes.txt"), "mine").unwrap();
    refused(&["ok", "--dir", "busy"], "is not empty");
    assert_eq!(
        std::fs::read_dir(root.join("busy")).unwrap().count(),
        1,
        "the directory was changed"
    );

    // A symbolic link to an empty directory, and a dangling one.
    std::fs::create_dir(root.join("empty")).unwrap();
    std::os::unix::fs::symlink(root.join("empty"), root.join("link")).unwrap();
    refused(&["ok", "--dir", "link"], "is a symbolic link");
    assert_eq!(std::fs::read_dir(root.join("empty")).unwrap().count(), 0);
    std::os::unix::fs::symlink(root.join("nowhere"), root.join("dangling")).unwrap();
    refused(&["ok", "--dir", "dangling"], "is a symbolic link");
    assert!(!root.join("nowhere").exists());
    std::fs::write(root.join("file"), "").unwrap();
    refused(&["ok", "--dir", "file"], "is not a directory");

    // Names that are not plugin ids.
    for bad in ["Word", "a b", ".dot", "dot.", "a/b", "", &"a".repeat(129)] {
        refused(&[bad], "is not a valid plugin id");
    }
    refused(&["ok", "--template", "nope"], "invalid value 'nope'");
    refused(
        &["ok", "--pdk-path", root.to_str().unwrap()],
        "cannot read its Cargo.toml",
    );
    assert!(!root.join("ok").exists());

    // An existing empty directory is fine, and is filled.
    let r = yoi(&env, root, &["plugin", "new", "fine", "--dir", "empty"]);
    ok(&r, "yoi plugin new into an empty directory");
    assert!(root.join("empty/plugin.toml").is_file());
}

#[test]
fn plugin_build_and_dev_refuse_what_is_not_a_project() {
    let env = Env::new();
    let r = yoi(&env, &env.ws(), &["plugin", "build"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("plugin.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
    // A legacy core-module plugin is not built by `yoi plugin build`.
    let legacy = repo().join("examples/legacy-echo");
    let r = yoi(
        &env,
        &env.ws(),
        &["plugin", "build", legacy.to_str().unwrap()],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("legacy"), "{}", r.stderr);
    // A grant flag that does not parse is refused before anything is built.
    let r = yoi(
        &env,
        &env.ws(),
        &["plugin", "dev", "--fs", "/does/not/exist", "--input", "{}"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("must be an existing directory"),
        "{}",
        r.stderr
    );
}

/// The property names of one table of `schemas/config.schema.json`.
fn schema_keys(table: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("schemas/config.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut keys: Vec<String> = schema["properties"][table]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no `{table}` in the schema"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// The backticked names after `after` in `text`, e.g. serde's "expected one of".
fn listed_after(text: &str, after: &str) -> Vec<String> {
    let at = text
        .find(after)
        .unwrap_or_else(|| panic!("`{after}` is not in:\n{text}"));
    let rest = text[at + after.len()..].lines().next().unwrap_or_default();
    let mut keys: Vec<String> = rest
        .split(['`', ',', ' ', ')', '('])
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_owned)
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Write the config and approve it, as a user editing it by hand would.
fn write_approved(env: &Env, config: &Path, text: impl AsRef<str>) {
    std::fs::write(config, text.as_ref()).unwrap();
    env.trust();
}

/// `[limits]` and `[serve]` are described by hand in xtask/src/schemas.rs;
/// their keys must be exactly those the real parsers accept, and the limits'
/// defaults those the runtime uses (checked by running with them).
#[test]
fn the_config_schema_knows_every_limits_and_serve_key() {
    let env = Env::new();
    let config = env.ws().join(".yoi/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();

    write_approved(&env, &config, "[limits]\nunknown_probe = 1\n");
    let r = yoi(
        &env,
        &env.ws(),
        &["tool", "call", "nothing", "--input", "{}"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        listed_after(&r.stderr, "expected one of"),
        schema_keys("limits")
    );

    write_approved(&env, &config, "[serve]\nunknown_probe = 1\n");
    let r = yoi(&env, &env.ws(), &["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        listed_after(&r.stderr, "expected one of:"),
        schema_keys("serve")
    );

    // Every documented default is accepted as a value of its key.
    let text = std::fs::read_to_string(repo().join("schemas/config.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut limits = String::from("[limits]\n");
    for (key, spec) in schema["properties"]["limits"]["properties"]
        .as_object()
        .unwrap()
    {
        limits.push_str(&format!("{key} = {}\n", spec["default"]));
    }
    write_approved(&env, &config, limits);
    let r = yoi(
        &env,
        &env.ws(),
        &["tool", "call", "nothing", "--input", "{}"],
    );
    assert_eq!(r.code, 1, "the limits were refused: {}", r.stderr);
    assert!(r.stderr.contains("nothing"), "{}", r.stderr);

    // Every documented maximum is accepted, and one past it refused by name.
    let limits = schema["properties"]["limits"]["properties"]
        .as_object()
        .unwrap();
    let at_max: String = limits
        .iter()
        .map(|(key, spec)| format!("{key} = {}\n", spec["maximum"]))
        .collect();
    write_approved(&env, &config, format!("[limits]\n{at_max}"));
    let r = yoi(
        &env,
        &env.ws(),
        &["tool", "call", "nothing", "--input", "{}"],
    );
    assert_eq!(r.code, 1, "the maxima were refused: {}", r.stderr);
    for (key, spec) in limits {
        let max = spec["maximum"].as_u64().unwrap();
        write_approved(&env, &config, format!("[limits]\n{key} = {}\n", max + 1));
        let r = yoi(
            &env,
            &env.ws(),
            &["tool", "call", "nothing", "--input", "{}"],
        );
        assert_eq!(r.code, 2, "{key}: {}", r.stderr);
        let expected = format!("`{key}` is `{}`, past its upper bound `{max}`", max + 1);
        assert!(r.stderr.contains(&expected), "{key}: {}", r.stderr);
    }
}
