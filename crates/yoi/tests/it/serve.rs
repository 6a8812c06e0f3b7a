//! `yoi serve` as a real process on a loopback port: the status of a real
//! workspace; the official Python MCP client over Streamable HTTP, with its
//! calls in `yoi history`; the token file reaching the bearer guard;
//! configuration errors and exit codes; instance lifecycles; and shutdown on
//! SIGINT and SIGTERM with a call in flight; what a web page gets from a
//! real server (`web`). Routing, JSON errors, the guard itself and the
//! Host/Origin checks are tested in process in `yoi-serve`.
//!
//! Every wait is a generous liveness bound, never a performance assertion.

use std::io::{BufRead, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Env, fake_plugin, fixture};

mod web;

/// The first start of a workspace compiles its plugins.
const STARTUP: Duration = Duration::from_secs(180);
/// Shutdown takes at most the 5 s grace period plus the runtime's teardown.
const SHUTDOWN: Duration = Duration::from_secs(60);
const ADDRESS_LINE: &str = "yoi serve: listening on http://";

/// The environment `Env::yoi` gives the binary.
fn yoi_env(env: &Env) -> Vec<(&'static str, std::ffi::OsString)> {
    vec![
        ("PATH", std::env::var_os("PATH").unwrap_or_default()),
        ("HOME", env.path("home").into()),
        ("XDG_DATA_HOME", env.path("data").into()),
        ("XDG_CACHE_HOME", env.path("cache").into()),
        ("XDG_CONFIG_HOME", env.path("config").into()),
        ("YOI_BUILTIN_DIR", env.path("builtin").into()),
    ]
}

fn yoi_command(env: &Env, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yoi"));
    cmd.args(args)
        .current_dir(env.ws())
        .env_clear()
        .envs(yoi_env(env))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn ok(env: &Env, args: &[&str]) {
    let r = env.yoi(args);
    assert_eq!(r.code, 0, "yoi {args:?}: {}", r.stderr);
}

/// Install the example `id` and enable it with `tools`.
fn enable(env: &Env, id: &str, tools: &str) {
    ok(env, &["plugin", "install", fixture(id).to_str().unwrap()]);
    ok(
        env,
        &[
            "plugin",
            "enable",
            &format!("project:{id}"),
            "--tools",
            tools,
        ],
    );
}

/// Put `text` at the top of `.yoi/config.toml` (before any table header).
fn prepend_config(env: &Env, text: &str) {
    let path = env.ws().join(".yoi/config.toml");
    let config = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("{text}\n{config}")).unwrap();
    env.trust();
}

/// Read a pipe to the end on a thread, keeping what it said.
fn collect(pipe: impl std::io::Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut out = String::new();
        let _ = BufReader::new(pipe).read_to_string(&mut out);
        out
    })
}

/// Wait for `child`, killing it and failing after `limit`.
fn wait_bounded(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `yoi serve --listen 127.0.0.1:0` with its bound address read from stderr.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
    stderr: Option<JoinHandle<()>>,
    stdout: Option<JoinHandle<String>>,
}

impl Server {
    fn start(env: &Env) -> Server {
        let mut child = yoi_command(env, &["serve", "--listen", "127.0.0.1:0"])
            .spawn()
            .unwrap();
        let stdout = collect(child.stdout.take().unwrap());
        let pipe = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some(rest) = line.strip_prefix(ADDRESS_LINE) {
                        let addr = rest.split_whitespace().next().unwrap_or_default();
                        let _ = tx.send(addr.parse::<SocketAddr>());
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            })
        };
        let addr = match rx.recv_timeout(STARTUP) {
            Ok(Ok(addr)) => addr,
            outcome => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                let _ = stderr.join();
                panic!(
                    "yoi serve printed no address ({outcome:?}, {status}):\n{}",
                    log.lock().unwrap()
                );
            }
        };
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_ne!(addr.port(), 0, "the actual port is printed");
        Server {
            child,
            addr,
            log,
            stderr: Some(stderr),
            stdout: Some(stdout),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    #[cfg(unix)]
    fn signal(&self, signal: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
    }

    /// Wait for the exit a signal asked for; it must be 0 with nothing on
    /// stdout. Returns everything written to stderr.
    fn wait_for_exit(mut self) -> String {
        let status = wait_bounded(&mut self.child, SHUTDOWN, "yoi serve after a signal");
        self.stderr.take().unwrap().join().unwrap();
        let stdout = self.stdout.take().unwrap().join().unwrap();
        let log = self.log();
        assert!(status.success(), "yoi serve exited with {status}:\n{log}");
        assert_eq!(stdout, "", "yoi serve wrote to stdout");
        log
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn client() -> reqwest::Client {
    // reqwest is built without a TLS provider and refuses to start without one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn request(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut req = client().request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(body) = body {
        req = req.body(body.to_owned());
    }
    req
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no `{name}` header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

fn send(method: Method, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    runtime().block_on(async {
        let r = request(method, url, headers, body).send().await.unwrap();
        Reply {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    })
}

fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    send(Method::GET, url, headers, None)
}

const MCP_HEADERS: [(&str, &str); 2] = [
    ("accept", "application/json, text/event-stream"),
    ("content-type", "application/json"),
];

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"}}})
}

/// POST one JSON-RPC message to `/mcp`.
fn post_mcp(server: &Server, extra: &[(&str, &str)], message: &Value) -> Reply {
    let mut headers = MCP_HEADERS.to_vec();
    headers.extend_from_slice(extra);
    send(
        Method::POST,
        &server.url("/mcp"),
        &headers,
        Some(&message.to_string()),
    )
}

/// The JSON-RPC messages in an SSE body.
fn sse_messages(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .collect()
}

fn history(env: &Env) -> Vec<Value> {
    let r = env.yoi(&["history", "--json", "--limit", "1000"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()["events"].as_array().unwrap().clone()
}

/// Run `crates/yoi/tests/python/<name>` with `config`; return the JSON it prints.
fn run_script(name: &str, config: Value) -> Value {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    yoi_test_support::run_python(
        &here.join("tests/python").join(name),
        &config,
        Some(&yoi_test_support::python_scripts_dir()),
    )
}

#[cfg(unix)]
#[test]
fn status_of_a_real_workspace_then_sigint() {
    let env = Env::new();
    enable(&env, "echo", "echo");
    ok(
        &env,
        &["plugin", "install", fixture("hostile").to_str().unwrap()],
    );
    let server = Server::start(&env);

    let status = get(&server.url("/status"), &[]);
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(status.header("content-type"), "application/json");
    let v = status.json();
    assert_eq!(v["plugins"][0]["plugin"], "project:echo");
    assert_eq!(v["plugins"][0]["status"], "active");
    assert_eq!(v["plugins"][0]["tools"], json!(["echo"]));
    assert_eq!(v["plugins"][1]["plugin"], "project:hostile");
    assert_eq!(v["plugins"][1]["status"], "disabled");
    assert_eq!(v["plugins"][1]["tools"], json!([]));
    assert_eq!(v["tools"], 2, "echo and the built-in yoi_history");
    let filters = env.filters();
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!("status", status.body);
    });

    server.signal(rustix::process::Signal::INT);
    let log = server.wait_for_exit();
    assert!(
        log.contains("yoi serve: SIGINT: no longer accepting"),
        "{log}"
    );
    assert!(log.contains("yoi serve: stopped"), "{log}");
    assert!(!log.contains("warning"), "{log}");
}

#[cfg(unix)]
#[test]
fn python_client_over_http_with_a_bearer_token() {
    const TOKEN: &str = "serve-test-token-0123456789";
    let env = Env::new();
    enable(&env, "echo", "echo");
    let token_file = env.path("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
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
    assert!(
        server
            .log()
            .contains("/mcp and /status require the bearer token"),
        "{}",
        server.log()
    );
    assert!(!server.log().contains(TOKEN), "the token is never printed");

    // The token file reaches the guard (which `yoi-serve` tests in process).
    let auth = format!("Bearer {TOKEN}");
    assert_eq!(get(&server.url("/status"), &[]).status, 401);
    assert_eq!(
        get(&server.url("/status"), &[("authorization", &auth)]).status,
        200
    );
    assert_eq!(post_mcp(&server, &[], &initialize()).status, 401);

    let url = server.url("/mcp");
    let tools = env.yoi(&["tool", "list", "--json"]).json();
    let expected: Vec<Value> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let mut tool = json!({"name": t["name"], "description": t["description"], "inputSchema": t["input_schema"]});
            if let Some(output) = t.get("output_schema") {
                tool["outputSchema"] = output.clone();
            }
            tool
        })
        .collect();
    for (mode, protocol) in [("legacy", "2025-11-25"), ("modern", "2026-07-28")] {
        let text = format!("over http, {mode}");
        let out = run_script(
            "serve_http_client.py",
            json!({"url": url, "token": TOKEN, "mode": mode, "text": text}),
        );
        assert_eq!(out["session"]["protocol_version"], protocol);
        assert_eq!(out["tools"], json!(expected), "{mode}");
        assert_eq!(out["echo"]["isError"], false, "{mode}: {}", out["echo"]);
        assert_eq!(out["echo"]["structuredContent"], json!({"text": text}));
        let progress = out["echo_progress"].as_array().unwrap();
        assert_eq!(progress.last().unwrap()["message"], "done", "{progress:?}");
        assert_eq!(out["invalid"]["isError"], true);
        let text = out["invalid"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(text.starts_with("invalid-input: "), "{}", out["invalid"]);
    }

    // Every call went through a session into the workspace history, each
    // MCP session in its own.
    let events = history(&env);
    let mut sessions = Vec::new();
    for mode in ["legacy", "modern"] {
        let input = json!({"text": format!("over http, {mode}")}).to_string();
        let call = events
            .iter()
            .find(|e| e["kind"] == "tool_call" && e["tool"] == "echo" && e["input"] == input)
            .unwrap_or_else(|| panic!("no echo call with {input} in {events:#?}"));
        assert_eq!(call["plugin"], "project:echo");
        let outcome: Vec<&Value> = events
            .iter()
            .filter(|e| e["call_id"] == call["id"])
            .collect();
        assert_eq!(outcome.len(), 1, "{outcome:?}");
        assert_eq!(outcome[0]["kind"], "tool_result");
        sessions.push(call["session"].clone());
    }
    assert_ne!(sessions[0], sessions[1], "{events:#?}");
    let errors = events
        .iter()
        .filter(|e| e["kind"] == "tool_error" && e["error_kind"] == "invalid-input")
        .count();
    assert_eq!(errors, 2, "{events:#?}");

    server.signal(rustix::process::Signal::TERM);
    let log = server.wait_for_exit();
    assert!(log.contains("yoi serve: SIGTERM"), "{log}");
    assert!(!log.contains(TOKEN), "the token is never printed");
}

#[cfg(unix)]
#[test]
fn sigterm_lets_a_call_in_flight_finish_then_exits_0() {
    let env = Env::new();
    enable(&env, "hostile", "spin");
    prepend_config(&env, "[limits]\ndeadline_ms = 3000\n");
    let server = Server::start(&env);

    let init = post_mcp(&server, &[], &initialize());
    assert_eq!(init.status, 200, "{}", init.body);
    let session = init.header("mcp-session-id").to_owned();
    let in_session = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let r = post_mcp(
        &server,
        &in_session,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    );
    assert!((200..300).contains(&r.status), "{}", r.status);

    let rt = runtime();
    let body = rt.block_on(async {
        // An idle event stream that only the grace period can end.
        let mut idle_headers = vec![("accept", "text/event-stream")];
        idle_headers.extend_from_slice(&in_session);
        let idle = request(Method::GET, &server.url("/mcp"), &idle_headers, None)
            .send()
            .await
            .unwrap();
        assert_eq!(idle.status(), 200, "the standalone event stream opens");

        let mut headers = MCP_HEADERS.to_vec();
        headers.extend_from_slice(&in_session);
        let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "spin", "arguments": {}, "_meta": {"progressToken": "spin"}}});
        let mut response = request(
            Method::POST,
            &server.url("/mcp"),
            &headers,
            Some(&call.to_string()),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), 200);
        let mut body = String::new();
        while !body.contains("\"started\"") {
            match response.chunk().await.unwrap() {
                Some(chunk) => body.push_str(&String::from_utf8_lossy(&chunk)),
                None => panic!("the call ended before it started: {body}"),
            }
        }
        // The call is running: ask the server to stop.
        server.signal(rustix::process::Signal::TERM);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => body.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(None) => break,
                Err(e) => panic!("the call in flight was cut off by the shutdown ({e}): {body}"),
            }
        }
        drop(idle);
        body
    });
    let response = sse_messages(&body)
        .into_iter()
        .find(|m| m["id"] == 2)
        .unwrap_or_else(|| panic!("no response to the call in flight: {body}"));
    assert_eq!(response["result"]["isError"], true, "{response}");
    assert_eq!(
        response["result"]["structuredContent"]["error"]["kind"], "timeout",
        "{response}"
    );

    let log = server.wait_for_exit();
    assert!(
        log.contains("yoi serve: SIGTERM: no longer accepting"),
        "{log}"
    );
    assert!(
        log.contains("connections still open after 5s were closed"),
        "{log}"
    );
    let events = history(&env);
    let kinds: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["error_kind"].as_str()))
        .collect();
    assert_eq!(
        kinds,
        [("tool_call", None), ("tool_error", Some("timeout"))],
        "{events:#?}"
    );
}

#[cfg(unix)]
#[test]
fn status_reports_what_serving_found() {
    let env = Env::new();
    enable(&env, "echo", "echo");
    // hostile's own `echo` collides with the echo plugin's: neither gets it.
    enable(&env, "hostile", "spin,echo");
    // A package whose artifact is not a real component: it resolves, but
    // its code cannot be loaded.
    let src = fake_plugin(env.dir.path(), "alpha", "1.0.0", &["one"], &["one"]);
    let packed = env.path("alpha.yoi-plugin");
    ok(
        &env,
        &[
            "plugin",
            "pack",
            src.to_str().unwrap(),
            "-o",
            packed.to_str().unwrap(),
        ],
    );
    ok(&env, &["plugin", "install", packed.to_str().unwrap()]);
    ok(
        &env,
        &["plugin", "enable", "project:alpha", "--tools", "one"],
    );
    let listed = env.yoi(&["plugin", "list", "--json"]).json();
    assert_eq!(listed["plugins"][0]["status"], "active", "{listed}");
    assert_eq!(listed["plugins"][1]["status"], "active", "{listed}");

    let server = Server::start(&env);
    let v = get(&server.url("/status"), &[]).json();
    let plugins = v["plugins"].as_array().unwrap();
    let names: Vec<&str> = plugins
        .iter()
        .map(|p| p["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["project:alpha", "project:echo", "project:hostile"]);

    let alpha = &plugins[0];
    assert_eq!(alpha["status"], "rejected", "{alpha}");
    assert_eq!(alpha["diagnostics"][0]["kind"], "load", "{alpha}");
    assert!(
        alpha["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`project:alpha`: "),
        "{alpha}"
    );
    let echo = &plugins[1];
    assert_eq!(echo["status"], "rejected", "{echo}");
    assert_eq!(echo["tools"], json!([]));
    assert_eq!(echo["diagnostics"][0]["kind"], "registry", "{echo}");
    assert!(
        echo["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("claimed by"),
        "{echo}"
    );
    let hostile = &plugins[2];
    assert_eq!(hostile["status"], "partial", "{hostile}");
    assert_eq!(hostile["tools"], json!(["spin"]));
    assert!(
        hostile["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "registry" && d["message"].as_str().unwrap().contains("`echo`")),
        "{hostile}"
    );
    assert_eq!(v["diagnostics"], json!([]));
    // What went wrong was also said on stderr at start.
    let log = server.log();
    assert!(log.contains("warning: `project:alpha`: "), "{log}");
    assert!(log.contains("claimed by"), "{log}");

    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
}

/// Run `yoi` to completion within a liveness bound; (exit code, stderr).
fn run_bounded(env: &Env, args: &[&str]) -> (i32, String) {
    let mut child = yoi_command(env, args).spawn().unwrap();
    let out = collect(child.stdout.take().unwrap());
    let err = collect(child.stderr.take().unwrap());
    let status = wait_bounded(&mut child, STARTUP, &format!("yoi {args:?}"));
    let _ = out.join();
    (status.code().unwrap_or(-1), err.join().unwrap())
}

#[test]
fn configuration_errors_stop_it_before_it_listens() {
    let env = Env::new();
    let serve = ["serve", "--listen", "127.0.0.1:0"];
    let cases = [
        ("tokenfile = \"/tmp/x\"", "unknown key `tokenfile`"),
        ("listen = \"localhost\"", "`listen` is `localhost`"),
        (
            "token_file = \"does-not-exist\"",
            "cannot read the token file",
        ),
        ("allowed_origins = [\"app.example\"]", "is not an origin"),
    ];
    for (config, expected) in cases {
        let dir = env.ws().join(".yoi");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), format!("[serve]\n{config}\n")).unwrap();
        env.trust();
        let (code, stderr) = run_bounded(&env, &serve);
        assert_eq!(code, 2, "{config}: {stderr}");
        assert!(stderr.contains(expected), "{config}: {stderr}");
        assert!(stderr.contains("hint: "), "{config}: {stderr}");
        assert!(!stderr.contains("listening on"), "{config}: {stderr}");
    }
    std::fs::remove_file(env.ws().join(".yoi/config.toml")).unwrap();

    // An address in use is a clear error, not a hang.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = run_bounded(&env, &["serve", "--listen", &addr]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on `{addr}`")),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");

    let (code, stderr) = run_bounded(&env, &["serve", "--listen", "localhost"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--listen"), "{stderr}");
}

/// Install `id` and enable it with the given `enable` flags.
fn enable_with(env: &Env, id: &str, flags: &[&str]) {
    ok(env, &["plugin", "install", fixture(id).to_str().unwrap()]);
    let reference = format!("project:{id}");
    ok(
        env,
        &[&["plugin", "enable", reference.as_str()], flags].concat(),
    );
}

/// Call `tool` over MCP on `server` in a fresh MCP session.
fn mcp_call(server: &Server, tool: &str, arguments: Value) -> Value {
    mcp_request(
        server,
        "tools/call",
        json!({"name": tool, "arguments": arguments}),
    )
}

/// One MCP request in a fresh MCP session; returns the response message.
fn mcp_request(server: &Server, method: &str, params: Value) -> Value {
    let init = post_mcp(server, &[], &initialize());
    assert_eq!(init.status, 200, "{}", init.body);
    let session = init.header("mcp-session-id").to_owned();
    let in_session = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    post_mcp(
        server,
        &in_session,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    );
    let r = post_mcp(
        server,
        &in_session,
        &json!({"jsonrpc": "2.0", "id": 2, "method": method, "params": params}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let messages = sse_messages(&r.body);
    messages
        .into_iter()
        .find(|m| m["id"] == 2)
        .unwrap_or_else(|| panic!("no answer in {}", r.body))
}

fn post_event(server: &Server, path: &str, body: &str) -> Reply {
    send(
        Method::POST,
        &server.url(path),
        &[("content-type", "application/json")],
        Some(body),
    )
}

fn plugin_status<'a>(status: &'a Value, plugin: &str) -> &'a Value {
    status["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plugin"] == plugin)
        .unwrap_or_else(|| panic!("{plugin} not in {status}"))
}

#[test]
fn counter_ticks_over_http_are_seen_by_a_tool_call_and_in_status_and_history() {
    let env = Env::new();
    enable_with(
        &env,
        "counter",
        &[
            "--tools",
            "increment",
            "--ingresses",
            "tick",
            "--config",
            "start=10",
        ],
    );
    let server = Server::start(&env);
    for i in 0..3 {
        let r = post_event(
            &server,
            "/ingress/project:counter/tick",
            &format!(r#"{{"note":"t{i}"}}"#),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        assert!(r.json()["id"].as_str().is_some());
    }
    // Bare ids work too, and the kind may be named.
    let r = post_event(&server, "/ingress/counter/tick?kind=tick", "{}");
    assert_eq!(r.status, 202, "{}", r.body);

    // Events are handled in order by the worker; wait until all four are.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = get(&server.url("/status"), &[]).json();
        let counter = plugin_status(&status, "project:counter");
        // The plugin's own status is a snapshot taken soon after each event.
        if counter["instance"]["events"]["handled"] == 4
            && counter["instance"]["plugin_status"]["count"] == 14
        {
            assert_eq!(counter["instance"]["state"], "running");
            assert_eq!(counter["instance"]["plugin_status"]["count"], 14);
            assert_eq!(counter["instance"]["events"]["accepted"], 4);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "events not handled: {status}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // MCP clients see the events through the events resource, when they ask.
    let listed = mcp_request(&server, "resources/list", json!({}));
    assert_eq!(
        listed["result"]["resources"][0]["uri"], "yoi://events",
        "{listed}"
    );
    let read = mcp_request(&server, "resources/read", json!({"uri": "yoi://events"}));
    let text = read["result"]["contents"][0]["text"].as_str().unwrap();
    let events: Value = serde_json::from_str(text).unwrap();
    let kinds: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["kind"])
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "ingress_event").count(),
        4,
        "{events}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "notification").count(),
        4,
        "{events}"
    );
    let missing = mcp_request(&server, "resources/read", json!({"uri": "yoi://nope"}));
    assert!(missing["error"].is_object(), "{missing}");

    // A tool call in the same process sees the count the events produced.
    let answer = mcp_call(&server, "increment", json!({}));
    assert_eq!(
        answer["result"]["structuredContent"]["count"], 15,
        "{answer}"
    );

    // Refusals: unknown ingress, bad kind, schema violation, not JSON, too big.
    for (path, body, code) in [
        ("/ingress/project:counter/nope", "{}", 404),
        ("/ingress/project:nobody/tick", "{}", 404),
        ("/ingress/project:counter/tick?kind=boom", "{}", 422),
        ("/ingress/project:counter/tick", r#"{"extra": 1}"#, 422),
        ("/ingress/project:counter/tick", "not json", 422),
    ] {
        let r = post_event(&server, path, body);
        assert_eq!(r.status, code, "{path} {body}: {}", r.body);
        assert!(r.json()["error"]["message"].as_str().is_some());
    }
    let big = format!(r#"{{"note":"{}"}}"#, "x".repeat(70 * 1024));
    let r = post_event(&server, "/ingress/project:counter/tick", &big);
    assert_eq!(r.status, 413, "{}", r.body);

    server.signal(rustix::process::Signal::TERM);
    let log = server.wait_for_exit();
    assert!(log.contains("stopped"), "{log}");

    let events = history(&env);
    let accepted: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "ingress_event")
        .collect();
    assert_eq!(accepted.len(), 4, "{events:?}");
    assert!(accepted.iter().all(|e| e["plugin"] == "project:counter"));
    let notices = events
        .iter()
        .filter(|e| e["kind"] == "notification" && e["notice_kind"] == "counted")
        .count();
    assert_eq!(notices, 4, "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "tool_result" && e["tool"] == "increment")
    );
}

#[test]
fn each_surface_is_granted_on_its_own() {
    let env = Env::new();
    // The tool is granted, the ingress is not: the ingress stays closed.
    enable_with(&env, "counter", &["--tools", "increment"]);
    // Ingress-only: the webhook plugin gets an instance without any tool.
    enable_with(&env, "webhook", &["--ingresses", "receive"]);
    let server = Server::start(&env);
    // Without a bearer token, an ungranted ingress is not there at all.
    let r = post_event(&server, "/ingress/project:counter/tick", "{}");
    assert_eq!(r.status, 404, "{}", r.body);

    let r = post_event(
        &server,
        "/ingress/project:webhook/receive?kind=push",
        r#"{"summary": "main: 3 commits", "source": "git"}"#,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    // More than one kind is declared: the kind must be named.
    let r = post_event(
        &server,
        "/ingress/project:webhook/receive",
        r#"{"summary": "x"}"#,
    );
    assert_eq!(r.status, 422, "{}", r.body);

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = get(&server.url("/status"), &[]).json();
        let webhook = plugin_status(&status, "project:webhook");
        if webhook["instance"]["events"]["handled"] == 1
            && webhook["instance"]["plugin_status"]["received"]["push"] == 1
        {
            assert_eq!(webhook["instance"]["state"], "running");
            assert_eq!(webhook["instance"]["plugin_status"]["received"]["push"], 1);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not handled: {status}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
    let events = history(&env);
    let notice = events
        .iter()
        .find(|e| e["kind"] == "notification" && e["plugin"] == "project:webhook")
        .unwrap_or_else(|| panic!("no webhook notice in {events:?}"));
    let data: Value = serde_json::from_str(notice["output"].as_str().unwrap()).unwrap();
    assert_eq!(data["summary"], "main: 3 commits");
    assert_eq!(data["kind"], "push");
}

/// A webhook sender posts a payload written to steer a model. It is
/// recorded and handled, but no session's `yoi_history` returns it (nor the
/// plugin's notice about it): it is on `yoi://events`, marked untrusted.
#[test]
fn an_ingress_payload_never_appears_in_yoi_history() {
    let env = Env::new();
    enable_with(&env, "webhook", &["--ingresses", "receive"]);
    let server = Server::start(&env);
    let marker = "IGNORE-PREVIOUS-INSTRUCTIONS-5e2b";
    let r = post_event(
        &server,
        "/ingress/project:webhook/receive?kind=push",
        &format!(r#"{{"summary": "{marker}", "source": "git"}}"#),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = get(&server.url("/status"), &[]).json();
        if plugin_status(&status, "project:webhook")["instance"]["events"]["handled"] == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not handled: {status}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let answer = mcp_call(&server, "yoi_history", json!({"limit": 100}));
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert!(!text.contains(marker), "{text}");
    let events: Value = serde_json::from_str(text).unwrap();
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] == "tool_call"),
        "{events}"
    );

    let read = mcp_request(&server, "resources/read", json!({"uri": "yoi://events"}));
    let text = read["result"]["contents"][0]["text"].as_str().unwrap();
    let events: Value = serde_json::from_str(text).unwrap();
    let ingress = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "ingress_event")
        .unwrap_or_else(|| panic!("no ingress event in {events}"));
    assert!(ingress["input"].as_str().unwrap().contains(marker));
    assert_eq!(ingress["untrusted"], true);
    assert_eq!(ingress["source"], "ingress:project:webhook/receive");
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["untrusted"] == true)
    );
}

/// Poll `/status` until `done` holds for `plugin`'s entry (30 s at most).
fn wait_for_plugin(
    server: &Server,
    plugin: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = get(&server.url("/status"), &[]).json();
        let entry = plugin_status(&status, plugin).clone();
        if done(&entry) {
            return entry;
        }
        assert!(Instant::now() < deadline, "{what}: {entry}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What `flaky`'s `handled` tool answers over MCP.
fn handled_count(server: &Server) -> Value {
    let answer = mcp_call(server, "handled", json!({}));
    let text = answer["result"]["content"][0]["text"].as_str();
    serde_json::from_str(text.unwrap_or_else(|| panic!("no text in {answer}"))).unwrap()
}

#[test]
fn a_start_error_fails_the_instance_and_it_is_retried() {
    let env = Env::new();
    enable_with(
        &env,
        "flaky",
        &[
            "--tools",
            "handled",
            "--ingresses",
            "work",
            "--config",
            "fail_start=true",
        ],
    );
    let server = Server::start(&env);
    let entry = wait_for_plugin(&server, "project:flaky", "restarted after failing", |p| {
        p["instance"]["restarts"].as_u64() >= Some(2)
    });
    assert_eq!(entry["instance"]["state"], "failed", "{entry}");
    let diagnostics = entry["instance"]["diagnostics"].to_string();
    assert!(
        diagnostics.contains("configured to fail at start"),
        "{diagnostics}"
    );
    // A tool call is refused with the reason, not run on a half-started instance.
    let answer = mcp_call(&server, "handled", json!({}));
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
}

#[test]
fn a_trap_in_a_handler_fails_the_instance_and_a_fresh_one_starts() {
    let env = Env::new();
    enable_with(
        &env,
        "flaky",
        &["--tools", "handled", "--ingresses", "work"],
    );
    let server = Server::start(&env);
    assert_eq!(
        post_event(&server, "/ingress/flaky/work?kind=ok", "{}").status,
        202
    );
    wait_for_plugin(&server, "project:flaky", "first event handled", |p| {
        p["instance"]["events"]["handled"] == 1
    });
    assert_eq!(handled_count(&server), 1);

    assert_eq!(
        post_event(&server, "/ingress/flaky/work?kind=trap", "{}").status,
        202
    );
    let entry = wait_for_plugin(&server, "project:flaky", "restarted after the trap", |p| {
        p["instance"]["restarts"] == 1 && p["instance"]["state"] == "running"
    });
    assert_eq!(entry["instance"]["events"]["failed"], 1, "{entry}");
    assert!(
        entry["instance"]["diagnostics"]
            .to_string()
            .contains("trap"),
        "{entry}"
    );
    // The fresh instance starts from fresh state, and keeps serving.
    assert_eq!(handled_count(&server), 0);
    assert_eq!(
        post_event(&server, "/ingress/flaky/work?kind=ok", "{}").status,
        202
    );
    wait_for_plugin(&server, "project:flaky", "served after the restart", |p| {
        p["instance"]["events"]["handled"] == 2
    });
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
    let errors: Vec<Value> = history(&env)
        .into_iter()
        .filter(|e| e["kind"] == "notification" && e["error_kind"] == "trap")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn a_full_queue_answers_busy_and_shutdown_accounts_for_every_accepted_event() {
    let env = Env::new();
    enable_with(
        &env,
        "flaky",
        &["--tools", "handled", "--ingresses", "work"],
    );
    let server = Server::start(&env);
    let (mut accepted, mut busy) = (Vec::new(), 0);
    let rt = runtime();
    rt.block_on(async {
        let client = client();
        for _ in 0..120 {
            let r = client
                .post(server.url("/ingress/flaky/work?kind=slow"))
                .header("content-type", "application/json")
                .body(r#"{"ms": 200}"#)
                .send()
                .await
                .unwrap();
            match r.status().as_u16() {
                202 => {
                    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
                    accepted.push(body["id"].as_str().unwrap().to_owned());
                }
                429 => busy += 1,
                other => panic!("unexpected status {other}"),
            }
        }
    });
    assert!(busy > 0, "120 slow events never filled a queue of 64");
    assert!(accepted.len() >= 64, "only {} accepted", accepted.len());
    let entry = plugin_status(&get(&server.url("/status"), &[]).json(), "project:flaky").clone();
    assert_eq!(entry["instance"]["events"]["dropped"], busy, "{entry}");

    // Stop with events still queued (64 x 200 ms is longer than the grace).
    server.signal(rustix::process::Signal::TERM);
    let log = server.wait_for_exit();
    assert!(log.contains("stopped"), "{log}");

    // Every accepted event is in history, with exactly one outcome.
    let events = history(&env);
    let recorded: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "ingress_event")
        .collect();
    assert_eq!(recorded.len(), accepted.len());
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for e in events.iter().filter(|e| e["kind"] == "notification") {
        let message = e["message"].as_str().unwrap();
        let id = message
            .rsplit(" for ")
            .next()
            .unwrap()
            .split(':')
            .next()
            .unwrap();
        *outcomes.entry(id.to_owned()).or_default() += 1;
    }
    for id in &accepted {
        assert_eq!(outcomes.get(id), Some(&1), "event {id}: {outcomes:?}");
    }
    assert!(
        events.iter().any(|e| e["error_kind"] == "shutdown"),
        "no event was left for shutdown to account for"
    );
}

#[test]
fn a_granted_service_runs_in_steps_and_an_ungranted_one_never_does() {
    let env = Env::new();
    enable_with(
        &env,
        "counter",
        &[
            "--tools",
            "increment",
            "--services",
            "autotick",
            "--config",
            "autotick_ms=100",
        ],
    );
    let server = Server::start(&env);
    let entry = wait_for_plugin(&server, "project:counter", "three service steps", |p| {
        p["instance"]["plugin_status"]["auto"].as_u64() >= Some(3)
    });
    let services = &entry["instance"]["services"];
    assert_eq!(services[0]["name"], "autotick", "{entry}");
    assert_eq!(services[0]["errors"], 0, "{entry}");
    // The tool sees what the service did: same instance.
    let answer = mcp_call(&server, "increment", json!({}));
    let count = answer["result"]["structuredContent"]["count"]
        .as_u64()
        .unwrap();
    assert!(count >= 4, "{answer}");
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
    let steps = history(&env)
        .into_iter()
        .filter(|e| e["kind"] == "notification" && e["tool"] == "autotick")
        .count();
    assert!(steps >= 3, "{steps} service notices");

    // Not granted: no runner, so the count only moves by tool calls.
    let env = Env::new();
    enable_with(
        &env,
        "counter",
        &["--tools", "increment", "--config", "autotick_ms=100"],
    );
    let server = Server::start(&env);
    let answer = mcp_call(&server, "increment", json!({}));
    assert_eq!(
        answer["result"]["structuredContent"]["count"], 1,
        "{answer}"
    );
    let entry = plugin_status(&get(&server.url("/status"), &[]).json(), "project:counter").clone();
    assert!(entry["instance"].get("services").is_none(), "{entry}");
    assert_eq!(entry["instance"]["plugin_status"]["auto"], 0, "{entry}");
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
}

#[test]
fn a_failing_service_step_is_retried_ever_more_slowly() {
    let env = Env::new();
    enable_with(
        &env,
        "flaky",
        &["--tools", "handled", "--services", "broken"],
    );
    let server = Server::start(&env);
    let errors = |entry: &Value| entry["instance"]["services"][0]["errors"].as_u64();
    wait_for_plugin(&server, "project:flaky", "a first failed step", |p| {
        errors(p) >= Some(1)
    });
    // Retried after 1 s, then 2 s, then 4 s: within 3.5 s of the first
    // failure come two more at most. A fixed 1 s retry makes three.
    std::thread::sleep(Duration::from_millis(3500));
    let entry = plugin_status(&get(&server.url("/status"), &[]).json(), "project:flaky").clone();
    let seen = errors(&entry).unwrap();
    assert!((2..=3).contains(&seen), "{seen} failed steps: {entry}");
    assert_eq!(entry["instance"]["state"], "running", "{entry}");
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
    let recorded = history(&env)
        .into_iter()
        .filter(|e| e["tool"] == "broken" && e["error_kind"].is_string())
        .count();
    assert!(
        (2..=4).contains(&recorded),
        "{recorded} service errors recorded"
    );
}

#[test]
fn an_ingress_over_its_rate_is_refused_and_nothing_accepted_is_lost() {
    let env = Env::new();
    enable_with(
        &env,
        "counter",
        &["--tools", "increment", "--ingresses", "tick"],
    );
    let server = Server::start(&env);
    let (mut accepted, mut limited) = (0u64, 0u64);
    runtime().block_on(async {
        let client = client();
        for _ in 0..300 {
            let r = client
                .post(server.url("/ingress/counter/tick"))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            match status {
                202 => accepted += 1,
                429 => {
                    assert!(
                        body.contains("rate limited") || body.contains("busy"),
                        "{body}"
                    );
                    limited += body.contains("rate limited") as u64;
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
    });
    assert!(limited > 0, "300 events in a burst were never rate limited");
    // The plugin's own status is a snapshot that follows soon after.
    let entry = wait_for_plugin(&server, "project:counter", "accepted events handled", |p| {
        p["instance"]["events"]["handled"].as_u64() == Some(accepted)
            && p["instance"]["plugin_status"]["count"].as_u64() == Some(accepted)
    });
    assert_eq!(
        entry["instance"]["plugin_status"]["count"], accepted,
        "{entry}"
    );
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
}

/// HMAC-SHA256 as a webhook sender computes it, hex-encoded.
fn sign(secret: &[u8], body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    k[..secret.len()].copy_from_slice(secret);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(body)
        .finalize();
    let outer = Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_signed_ingress_accepts_only_correctly_signed_events() {
    let env = Env::new();
    enable_with(&env, "webhook", &["--ingresses", "receive"]);
    let secret = env.path("webhook-secret");
    std::fs::write(&secret, "s3cret-key\n").unwrap();
    let config = env.ws().join(".yoi/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "{text}\n[plugins.\"project:webhook\".ingress.receive]\nhmac_sha256_file = {:?}\n",
            secret.display().to_string()
        ),
    )
    .unwrap();
    env.trust();
    // Re-enabling keeps the hand-written check.
    ok(
        &env,
        &[
            "plugin",
            "enable",
            "project:webhook",
            "--ingresses",
            "receive",
        ],
    );
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("hmac_sha256_file")
    );

    let server = Server::start(&env);
    let url = server.url("/ingress/webhook/receive?kind=push");
    let body = r#"{"summary": "signed"}"#;
    let good = format!("sha256={}", sign(b"s3cret-key", body.as_bytes()));
    let bad = format!("sha256={}", sign(b"other-key", body.as_bytes()));
    let json = ("content-type", "application/json");
    let r = send(Method::POST, &url, &[json], Some(body));
    assert_eq!(r.status, 401, "{}", r.body);
    let r = send(
        Method::POST,
        &url,
        &[json, ("x-hub-signature-256", &bad)],
        Some(body),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    // A signature over another body does not carry over.
    let r = send(
        Method::POST,
        &url,
        &[json, ("x-hub-signature-256", &good)],
        Some(r#"{"summary": "tampered"}"#),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    let r = send(
        Method::POST,
        &url,
        &[json, ("x-hub-signature-256", &good)],
        Some(body),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    wait_for_plugin(&server, "project:webhook", "the signed event", |p| {
        p["instance"]["events"]["handled"] == 1
    });
    let entry = plugin_status(&get(&server.url("/status"), &[]).json(), "project:webhook").clone();
    assert_eq!(entry["instance"]["events"]["rejected"], 3, "{entry}");
    server.signal(rustix::process::Signal::TERM);
    server.wait_for_exit();
    let r = env.yoi(&["history", "--json"]);
    assert!(
        !r.stdout.contains("s3cret"),
        "the secret leaked into history"
    );
}
