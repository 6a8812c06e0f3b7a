//! The stdio transport (`serve_io`) over in-memory pipes.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, WriteHalf};

use crate::support::Fixture;

pub(crate) struct Client {
    write: WriteHalf<DuplexStream>,
    lines: Lines<BufReader<tokio::io::ReadHalf<DuplexStream>>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Client {
    pub(crate) fn start(fixture: &Fixture) -> Client {
        let (client, server) = tokio::io::duplex(64 << 10);
        let (read, write) = tokio::io::split(server);
        let server = tokio::spawn(yoi_mcp::serve_io(fixture.session(), read, write));
        let (read, write) = tokio::io::split(client);
        Client {
            write,
            lines: BufReader::new(read).lines(),
            server,
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.write.write_all(bytes).await.unwrap();
        self.write.write_all(b"\n").await.unwrap();
        self.write.flush().await.unwrap();
    }

    async fn send(&mut self, message: Value) {
        self.send_raw(message.to_string().as_bytes()).await;
    }

    /// The response to `id`, skipping notifications.
    async fn response(&mut self, id: u64) -> Value {
        loop {
            let line =
                tokio::time::timeout(std::time::Duration::from_secs(30), self.lines.next_line())
                    .await
                    .expect("no response within 30s")
                    .unwrap()
                    .expect("the server closed its output");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"] == id && message.get("method").is_none() {
                return message;
            }
        }
    }

    pub(crate) async fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.response(id).await
    }

    pub(crate) async fn initialize(&mut self) {
        let init = self
            .request(
                1,
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}),
            )
            .await;
        assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
    }

    pub(crate) async fn finish(mut self) {
        self.write.shutdown().await.unwrap();
        drop(self.write);
        self.server.await.unwrap().unwrap();
    }
}

pub(crate) fn call(name: &str, arguments: Value) -> Value {
    json!({"name": name, "arguments": arguments})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_and_results_have_mcp_shapes() {
    let fixture = Fixture::new();
    let mut client = Client::start(&fixture);
    client.initialize().await;
    let list = client.request(2, "tools/list", json!({})).await;
    let info = fixture.registry.tool("yoi_history").unwrap();
    assert_eq!(
        list["result"]["tools"],
        json!([{"name": "yoi_history", "description": info.description, "inputSchema": info.input_schema}])
    );
    // JSON content without a declared output schema: text only.
    let ok = client
        .request(3, "tools/call", call("yoi_history", json!({"limit": 1})))
        .await;
    assert_eq!(ok["result"]["isError"], false);
    assert!(ok["result"].get("structuredContent").is_none(), "{ok}");
    let text = ok["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap()["events"][0]["tool"],
        "yoi_history"
    );
    // Failures are tool results with the error kind, never protocol errors.
    let invalid = client
        .request(4, "tools/call", call("yoi_history", json!({"limit": 0})))
        .await;
    assert_eq!(invalid["result"]["isError"], true);
    assert_eq!(
        invalid["result"]["structuredContent"]["error"]["kind"],
        "invalid-input"
    );
    let unknown = client
        .request(5, "tools/call", call("nope", json!({})))
        .await;
    assert_eq!(unknown["result"]["isError"], true);
    assert!(
        unknown["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("not-found: ")
    );
    let missing = client
        .request(6, "tools/call", json!({"name": "yoi_history"}))
        .await;
    assert_eq!(
        missing["result"]["isError"], false,
        "absent arguments are `{{}}`"
    );
    client.finish().await;
    let kinds: Vec<Value> = fixture.events().iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(
        kinds,
        [
            "tool_call",
            "tool_result",
            "tool_call",
            "tool_error",
            "tool_call",
            "tool_error",
            "tool_call",
            "tool_result"
        ]
    );
}

/// A `tools/call` line of exactly `len` bytes with its newline, `id` first.
fn padded_call(id: u64, len: usize) -> Vec<u8> {
    let mut line = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"yoi_history","arguments":{{"pad":""#).into_bytes();
    let end = br#""}}}"#;
    line.resize(len - end.len() - 1, b'x');
    line.extend_from_slice(end);
    line
}

/// The limit of a session without a runtime: the SDK's 16 MiB.
const LIMIT: usize = 16 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_line_is_answered_with_its_id_and_the_next_request_served() {
    let fixture = Fixture::new();
    let mut client = Client::start(&fixture);
    client.initialize().await;
    // 20 MiB, past the 16 MiB bound: read and thrown away piece by piece.
    client.send_raw(&padded_call(2, 20 << 20)).await;
    let refused = client.response(2).await;
    assert_eq!(
        refused,
        json!({"jsonrpc": "2.0", "id": 2, "error": {
            "code": -32600,
            "message": format!("the message is larger than the limit of {LIMIT} bytes; it was not read"),
            "data": {"max_bytes": LIMIT},
        }})
    );
    let list = client.request(3, "tools/list", json!({})).await;
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 1);
    // Without an id in its first bytes, the error has none.
    let mut line = br#"{"jsonrpc":"2.0","method":"tools/call","params":{"pad":""#.to_vec();
    line.resize(20 << 20, b'x');
    client.send_raw(&line).await;
    client
        .send(json!({"jsonrpc": "2.0", "id": 4, "method": "ping"}))
        .await;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let line = client.lines.next_line().await.unwrap().unwrap();
        seen.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    seen.sort_by_key(|m| m.get("id").is_some());
    assert_eq!(seen[0]["error"]["code"], -32600, "{seen:?}");
    assert!(seen[0].get("id").is_none(), "{seen:?}");
    assert_eq!(seen[1]["id"], 4, "{seen:?}");
    client.finish().await;
    assert!(
        fixture.events().is_empty(),
        "the discarded call must not have run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_at_the_limit_is_served_and_one_byte_more_is_refused() {
    let fixture = Fixture::new();
    let mut client = Client::start(&fixture);
    client.initialize().await;
    client.send_raw(&padded_call(2, LIMIT)).await;
    let served = client.response(2).await;
    // Served: `pad` is not an argument of `yoi_history`, a tool error.
    assert_eq!(served["result"]["isError"], true, "{served}");
    client.send_raw(&padded_call(3, LIMIT + 1)).await;
    let refused = client.response(3).await;
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    client.finish().await;
}

#[tokio::test]
async fn end_of_input_before_a_session_is_a_clean_exit() {
    let fixture = Fixture::new();
    let client = Client::start(&fixture);
    client.finish().await;
}

/// Set in the child process of `stray_output_never_reaches_the_protocol_stream`.
const CHILD: &str = "YOI_MCP_TEST_STDIO_CHILD";

/// Whether fd 1 and fd 2 are the same file (what `serve_stdio` arranges).
fn stdout_is_stderr() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let meta = |fd: std::os::fd::BorrowedFd<'_>| {
        std::fs::File::from(fd.try_clone_to_owned().unwrap())
            .metadata()
            .unwrap()
    };
    let (out, err) = (
        meta(std::io::stdout().as_fd()),
        meta(std::io::stderr().as_fd()),
    );
    (out.dev(), out.ino()) == (err.dev(), err.ino())
}

/// The child: serve on the real stdio, and once fd 1 has been taken over,
/// write to it the way a stray `print!` would.
fn stdio_child() {
    use std::io::Write;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let fixture = Fixture::new();
        std::io::stdout().write_all(b"READY\n").unwrap();
        std::io::stdout().flush().unwrap();
        let server = tokio::spawn(yoi_mcp::serve_stdio(fixture.session()));
        // Bounded, so that a server that never takes fd 1 fails the test
        // (the stray line then lands on stdout) instead of hanging it.
        let started = std::time::Instant::now();
        while !stdout_is_stderr() && started.elapsed() < std::time::Duration::from_secs(10) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        std::io::stdout().write_all(b"STRAY\n").unwrap();
        std::io::stdout().flush().unwrap();
        server.await.unwrap().unwrap();
    });
}

#[test]
fn stray_output_never_reaches_the_protocol_stream() {
    use std::io::{BufRead, Read, Write};
    use std::process::{Command, Stdio};
    if std::env::var_os(CHILD).is_some() {
        return stdio_child();
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "stdio::stray_output_never_reaches_the_protocol_stream",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // The test harness's own output comes first (on the same line, too).
    while !line.trim_end().ends_with("READY") {
        line.clear();
        assert_ne!(
            stdout.read_line(&mut line).unwrap(),
            0,
            "the child never got ready"
        );
    }
    let mut stdin = child.stdin.take().unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    writeln!(stdin, "{init}").unwrap();
    stdin.flush().unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    let response: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(response["id"], 1);
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{stderr}");
    assert_eq!(
        rest, "",
        "after the response, stdout carried more: {rest:?}"
    );
    assert!(
        stderr.lines().any(|l| l == "STRAY"),
        "the stray write went nowhere: {stderr}"
    );
}

/// Set in the child process of `stdin_may_be_a_regular_file`.
const FILE_CHILD: &str = "YOI_MCP_TEST_STDIO_FILE_CHILD";

/// A regular file cannot be polled by the reactor, so it takes the blocking
/// path; every request in it is answered, and its end ends the server.
#[test]
fn stdin_may_be_a_regular_file() {
    use std::io::{Read, Seek, Write};
    use std::process::{Command, Stdio};
    if std::env::var_os(FILE_CHILD).is_some() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let fixture = Fixture::new();
        return runtime
            .block_on(yoi_mcp::serve_stdio(fixture.session()))
            .unwrap();
    }
    let mut input = tempfile::tempfile().unwrap();
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call("yoi_history", json!({"limit": 1}))}),
    ] {
        writeln!(input, "{message}").unwrap();
    }
    input.rewind().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "stdio::stdin_may_be_a_regular_file",
            "--exact",
            "--test-threads=1",
            "--quiet",
        ])
        .env(FILE_CHILD, "1")
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The test harness writes to fd 1 before the server takes it over.
    let responses: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let ids: Vec<&Value> = responses.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&json!(1), &json!(2)], "{stdout}");
    assert_eq!(responses[1]["result"]["isError"], false, "{stdout}");
}
