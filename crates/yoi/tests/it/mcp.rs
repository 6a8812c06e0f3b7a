//! `yoi mcp` driven by an independent client, the official Python `mcp`
//! package (`tests/python/`), and by raw JSON-RPC lines for what a
//! well-behaved client never sends.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Env, fixture};

/// Total calls `mcp_stdio_client.py` makes.
const SCRIPT_CALLS: usize = 28;

/// A workspace with `echo` and the hostile `spin` and `print_flood` granted
/// (hostile's own `echo` is not granted, so the name is not contested).
fn workspace(deadline_ms: Option<u64>) -> Env {
    let env = Env::new();
    for (id, tools) in [("echo", "echo"), ("hostile", "spin,print_flood")] {
        let r = env.yoi(&["plugin", "install", fixture(id).to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = env.yoi(&[
            "plugin",
            "enable",
            &format!("project:{id}"),
            "--tools",
            tools,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    if let Some(ms) = deadline_ms {
        let path = env.ws().join(".yoi/config.toml");
        let config = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("[limits]\ndeadline_ms = {ms}\n\n{config}")).unwrap();
        env.trust();
    }
    env
}

/// The environment `Env::yoi` gives the binary.
fn yoi_env(env: &Env) -> Value {
    json!({
        "PATH": std::env::var("PATH").unwrap_or_default(),
        "HOME": env.path("home"),
        "XDG_DATA_HOME": env.path("data"),
        "XDG_CACHE_HOME": env.path("cache"),
        "XDG_CONFIG_HOME": env.path("config"),
        "YOI_BUILTIN_DIR": env.path("builtin"),
    })
}

fn history(env: &Env) -> Vec<Value> {
    let r = env.yoi(&["history", "--json", "--limit", "1000"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()["events"].as_array().unwrap().clone()
}

/// Wait for `child`, killing it and failing after `limit`.
fn wait_bounded(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{what} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run_script(name: &str, config: Value) -> Value {
    yoi_test_support::run_python(&yoi_test_support::python_script(name), &config, None)
}

fn text(result: &Value) -> &str {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text content in {result}"))
}

fn python_stdio_session(mode: &str, protocol: &str) {
    let env = workspace(None);
    let out = run_script(
        "mcp_stdio_client.py",
        json!({
            "command": env!("CARGO_BIN_EXE_yoi"),
            "args": ["mcp", "--workspace", env.ws()],
            "env": yoi_env(&env),
            "cwd": env.ws(),
            "mode": mode,
            "oversized_len": (1 << 20) + 16,
            "cancel_after": 1.0,
        }),
    );
    assert_eq!(out["session"]["protocol_version"], protocol);
    assert_eq!(
        out["stream_errors"],
        json!([]),
        "stdout carried something that is not JSON-RPC"
    );

    // Exactly the registry's tools, names, descriptions and schemas.
    let registry = env.yoi(&["tool", "list", "--json"]).json();
    let expected: Vec<Value> = registry["tools"]
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
    assert_eq!(out["tools"], json!(expected));
    let names: Vec<&str> = expected
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["echo", "print_flood", "spin", "yoi_history"]);
    assert_eq!(
        out["tools_again"], out["tools"],
        "the tool list changed during the connection"
    );

    assert_eq!(out["echo"]["isError"], false);
    assert_eq!(out["echo"]["structuredContent"], json!({"text": "hello"}));
    assert_eq!(
        serde_json::from_str::<Value>(text(&out["echo"])).unwrap(),
        json!({"text": "hello"})
    );
    let progress = out["echo_progress"].as_array().unwrap();
    assert!(progress.len() >= 2, "{progress:?}");
    assert_eq!(progress[0]["message"], "started");
    let last = progress.last().unwrap();
    assert_eq!(last["message"], "done");
    assert_eq!(last["progress"], last["total"]);

    assert_eq!(out["invalid"]["isError"], true);
    assert!(
        text(&out["invalid"]).starts_with("invalid-input: "),
        "{}",
        out["invalid"]
    );
    for key in ["unknown", "denied"] {
        assert_eq!(out[key]["isError"], true, "{key}");
        assert_eq!(
            out[key]["structuredContent"]["error"]["kind"], "not-found",
            "{key}"
        );
    }
    assert_eq!(out["oversized"]["isError"], true);
    assert!(
        text(&out["oversized"]).starts_with("input-too-large: "),
        "{}",
        out["oversized"]
    );
    for (i, result) in out["concurrent"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            result["structuredContent"],
            json!({"text": format!("concurrent-{i}")})
        );
    }
    assert_eq!(out["spin_cancelled"], true);
    assert_eq!(
        out["after_cancel"]["structuredContent"],
        json!({"text": "still serving"})
    );
    assert_eq!(text(&out["flood"]), "done");

    // Every call is in history, in one session, each with exactly one
    // outcome; the cancelled `spin` is recorded as `cancelled`.
    let events = history(&env);
    let calls: Vec<&Value> = events.iter().filter(|e| e["kind"] == "tool_call").collect();
    assert_eq!(calls.len(), SCRIPT_CALLS, "{events:#?}");
    let session = &calls[0]["session"];
    assert!(events.iter().all(|e| &e["session"] == session));
    for call in &calls {
        let outcomes: Vec<&Value> = events
            .iter()
            .filter(|e| e["call_id"] == call["id"])
            .collect();
        assert_eq!(outcomes.len(), 1, "{call}: {outcomes:?}");
        if call["tool"] == "spin" {
            assert_eq!(outcomes[0]["kind"], "tool_error");
            assert_eq!(outcomes[0]["error_kind"], "cancelled");
        }
    }
    for i in 0..20 {
        let input = json!({"text": format!("concurrent-{i}")}).to_string();
        let call = calls
            .iter()
            .find(|c| c["input"] == input.as_str())
            .unwrap_or_else(|| panic!("no call with {input}"));
        let result = events.iter().find(|e| e["call_id"] == call["id"]).unwrap();
        assert_eq!(result["kind"], "tool_result");
        assert!(
            result["output"]
                .as_str()
                .unwrap()
                .contains(&format!("\"concurrent-{i}\""))
        );
    }
    let kinds = |tool: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["tool"] == tool && e["kind"] == "tool_error")
            .map(|e| e["error_kind"].clone())
            .collect()
    };
    assert_eq!(kinds("no_such_tool"), [json!("not-found")]);
    assert_eq!(kinds("read_passwd"), [json!("not-found")]);
    assert_eq!(
        kinds("echo"),
        [json!("invalid-input"), json!("input-too-large")]
    );
}

#[test]
fn python_client_over_stdio_at_the_current_revision() {
    python_stdio_session("modern", "2026-07-28");
}

#[test]
fn python_client_over_stdio_with_the_initialize_handshake() {
    python_stdio_session("legacy", "2025-11-25");
}

/// `yoi mcp` on pipes, read line by line.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Server {
    fn start(env: &Env) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yoi"))
            .args(["mcp", "--workspace"])
            .arg(env.ws())
            .env_clear()
            .envs(
                yoi_env(env)
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k, v.as_str().unwrap())),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Server {
            stdin: child.stdin.take(),
            child,
            lines,
        }
    }

    fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        self.send_raw(&message.to_string());
    }

    /// The next message, which must be JSON-RPC 2.0; `None` after `wait`.
    fn next(&self, wait: Duration) -> Option<Value> {
        match self.lines.recv_timeout(wait) {
            Ok(line) => {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line:.200}"));
                assert_eq!(v["jsonrpc"], "2.0", "{line:.200}");
                Some(v)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed stdout"),
        }
    }

    /// Messages until the response to `id`; the response is last.
    fn until_response(&self, id: u64) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let m = self
                .next(Duration::from_secs(60))
                .unwrap_or_else(|| panic!("no response to {id} within 60s; saw {seen:?}"));
            let done = m["id"] == id && m.get("method").is_none();
            seen.push(m);
            if done {
                return seen;
            }
        }
    }

    fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.until_response(id).pop().unwrap()
    }

    fn initialize(&mut self, version: &str) -> Value {
        let r = self.request(1, "initialize", json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}));
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        r
    }

    /// Close stdin and wait for a clean exit.
    fn finish(mut self) {
        drop(self.stdin.take());
        let status = wait_bounded(
            &mut self.child,
            Duration::from_secs(30),
            "yoi mcp after end of input",
        );
        assert!(status.success(), "{status}");
    }
}

fn call(name: &str, arguments: Value) -> Value {
    json!({"name": name, "arguments": arguments})
}

#[test]
fn malformed_lines_are_ignored_and_the_server_keeps_serving() {
    let env = workspace(None);
    let mut server = Server::start(&env);
    server.send_raw("this is not JSON {{{");
    // The oldest revision the SDK negotiates is agreed to as asked.
    let init = server.initialize("2024-11-05");
    assert_eq!(init["result"]["protocolVersion"], "2024-11-05");
    assert_eq!(
        init["result"]["capabilities"],
        json!({"tools": {}, "resources": {}}),
        "tools and the events resource, neither with listChanged or subscribe"
    );
    server.send_raw(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list""#);
    server.send_raw("[1, 2, 3]");
    server.send_raw(r#"{"jsonrpc":"2.0","id":3,"method":"no/such/method"}"#);
    let seen = server.until_response(3);
    let error = seen.last().unwrap();
    assert_eq!(error["error"]["code"], -32601, "{error}");
    // Nothing answered the truncated request; well-formed JSON that is not a
    // message got at most an Invalid Request error.
    for m in &seen[..seen.len() - 1] {
        assert_eq!(m["error"]["code"], -32600, "{m}");
    }
    let list = server.request(4, "tools/list", json!({}));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 4);
    // 16 MiB of guest output to its stdout and stderr: none of it reaches ours.
    let flood = server.request(5, "tools/call", call("print_flood", json!({})));
    assert_eq!(flood["result"]["content"][0]["text"], "done");
    let unknown = server.request(6, "tools/call", call("nope", json!({})));
    assert_eq!(unknown["result"]["isError"], true);
    server.finish();

    // A client asking for a revision the server does not know gets the newest
    // one that has a handshake.
    let mut server = Server::start(&env);
    let init = server.initialize("1999-01-01");
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    server.finish();
}

/// Tests whose timing a 40 MiB transfer on the other test thread would
/// disturb (the cancellation windows) take turns with it.
static TIMING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    TIMING.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_cancelled_call_is_dropped_and_never_finishes() {
    let _alone = alone();
    let deadline = Duration::from_millis(3000);
    let env = workspace(Some(deadline.as_millis() as u64));
    let mut server = Server::start(&env);
    server.initialize("2025-11-25");
    let started = Instant::now();
    server.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "spin", "arguments": {}, "_meta": {"progressToken": "spin"}}}));
    // Wait until the call reports that it is running.
    loop {
        let m = server
            .next(Duration::from_secs(10))
            .expect("no progress from `spin`");
        assert_ne!(m["id"], 2, "spin answered before it was cancelled: {m}");
        if m["params"]["message"] == "running for 1s" {
            break;
        }
    }
    server.send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 2, "reason": "test"}}));
    // A report already on its way may still arrive; after that, silence.
    while server.next(Duration::from_millis(500)).is_some() {}
    let mut after = Vec::new();
    while started.elapsed() < deadline + Duration::from_millis(1500) {
        if let Some(m) = server.next(Duration::from_millis(100)) {
            after.push(m);
        }
    }
    assert_eq!(
        after,
        Vec::<Value>::new(),
        "the cancelled call kept running"
    );
    let echo = server.request(
        3,
        "tools/call",
        call("echo", json!({"text": "after cancel"})),
    );
    assert_eq!(
        echo["result"]["structuredContent"],
        json!({"text": "after cancel"})
    );
    // Past the deadline, a call that was still running would have been
    // stopped and recorded as a timeout. The dropped one has no outcome.
    let events = history(&env);
    let spin = events
        .iter()
        .find(|e| e["tool"] == "spin" && e["kind"] == "tool_call")
        .expect("spin is in history");
    assert!(
        !events
            .iter()
            .any(|e| e["call_id"] == spin["id"] && e["error_kind"] == "timeout"),
        "{events:#?}"
    );
    server.finish();
}

#[test]
fn a_client_that_disconnects_mid_call_leaves_a_clean_exit_and_history() {
    let env = workspace(Some(120_000));
    let mut server = Server::start(&env);
    server.initialize("2025-11-25");
    let echo = server.request(2, "tools/call", call("echo", json!({"text": "before"})));
    assert_eq!(echo["result"]["isError"], false);
    server.send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "spin", "arguments": {}, "_meta": {"progressToken": 3}}}));
    let started = server
        .next(Duration::from_secs(10))
        .expect("spin did not start");
    assert_eq!(started["params"]["message"], "started");
    // End of input with `spin` running (its deadline is minutes away).
    server.finish();
    let events = history(&env);
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["tool"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("tool_call", "echo"),
            ("tool_result", "echo"),
            ("tool_call", "spin"),
            ("tool_error", "spin")
        ]
    );
    // The call dropped by the disconnect is recorded as cancelled, not left open.
    assert_eq!(events[3]["error_kind"], "cancelled");
    assert_eq!(events[3]["call_id"], events[2]["id"]);
    // The workspace is still usable: the CLI calls through the same history.
    assert_eq!(
        env.yoi(&["tool", "call", "echo", "--input", r#"{"text":"next"}"#])
            .code,
        0
    );
    assert_eq!(history(&env).len(), 6);
}

/// The peak resident memory of `child`, in bytes, from `/proc`.
#[cfg(target_os = "linux")]
fn peak_rss(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"));
    kib << 10
}

#[test]
fn a_client_sending_a_huge_message_gets_an_error_and_the_server_stays_small() {
    let _alone = alone();
    let env = workspace(None);
    let mut server = Server::start(&env);
    server.initialize("2025-11-25");
    let list = server.request(2, "tools/list", json!({}));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 4);
    #[cfg(target_os = "linux")]
    let before = peak_rss(&server.child);
    // 40 MiB on one line, past the 16 MiB limit: never held whole.
    let head = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":""#;
    let mut line = head.to_owned();
    line.push_str(&"x".repeat(40 << 20));
    line.push_str(r#""}}}"#);
    server.send_raw(&line);
    drop(line);
    let refused = server.until_response(3).pop().unwrap();
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    assert_eq!(
        refused["error"]["message"],
        format!(
            "the message is larger than the limit of {} bytes; it was not read",
            16 << 20
        )
    );
    let echo = server.request(4, "tools/call", call("echo", json!({"text": "next"})));
    assert_eq!(
        echo["result"]["structuredContent"]["text"], "next",
        "{echo}"
    );
    #[cfg(target_os = "linux")]
    {
        // At most the limit is buffered (by the SDK's reader, about 16.5 MiB
        // measured); the line itself would be 40 MiB.
        let grown = peak_rss(&server.child).saturating_sub(before);
        assert!(grown < 32 << 20, "the server grew by {grown} bytes");
    }
    server.finish();
    let tools: Vec<Value> = history(&env).iter().map(|e| e["tool"].clone()).collect();
    assert_eq!(tools, ["echo", "echo"], "only the call after it ran");
}
