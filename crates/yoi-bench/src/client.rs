//! A minimal MCP client over stdio: one JSON-RPC message per line.
//!
//! The same client times yoi and the floor process, so whatever it costs is
//! in both figures. It writes each request with a single `write` and reads
//! the reply line from a buffered pipe; on the timed path it only checks that
//! the reply is a result, and [`StdioClient::request`] is there to check
//! replies in full before timing starts.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// The protocol version the client asks for.
pub const PROTOCOL_VERSION: &str = "2025-06-18";

/// A running MCP server on the other end of two pipes.
pub struct StdioClient {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    line: String,
    out: Vec<u8>,
}

impl StdioClient {
    /// Start `cmd` with piped stdin and stdout; its stderr is discarded.
    pub fn spawn(mut cmd: Command) -> anyhow::Result<StdioClient> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {:?}", cmd.get_program()))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Ok(StdioClient {
            child,
            stdin: Some(stdin),
            stdout,
            next_id: 1,
            line: String::new(),
            out: Vec::with_capacity(256),
        })
    }

    fn write_message(&mut self, message: &Value) -> anyhow::Result<()> {
        self.out.clear();
        serde_json::to_writer(&mut self.out, message)?;
        self.out.push(b'\n');
        let stdin = self.stdin.as_mut().context("stdin is closed")?;
        stdin.write_all(&self.out)?;
        Ok(())
    }

    /// Read the next line that is not a notification.
    fn read_reply(&mut self) -> anyhow::Result<&str> {
        loop {
            self.line.clear();
            if self.stdout.read_line(&mut self.line)? == 0 {
                bail!("the server closed its stdout");
            }
            let is_notification = self.line.contains("\"method\"") && !self.line.contains("\"id\"");
            if !is_notification {
                return Ok(&self.line);
            }
        }
    }

    /// Send a request and return its `result`, checked in full.
    pub fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.write_message(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )?;
        let reply: Value = serde_json::from_str(self.read_reply()?)
            .with_context(|| format!("a reply to `{method}` that is not JSON"))?;
        if reply["id"] != json!(id) {
            bail!("a reply to `{method}` with the wrong id: {reply}");
        }
        match reply.get("result") {
            Some(result) => Ok(result.clone()),
            None => bail!("`{method}` failed: {reply}"),
        }
    }

    /// Send a notification.
    pub fn notify(&mut self, method: &str, params: Value) -> anyhow::Result<()> {
        self.write_message(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// Open the session: `initialize`, then `notifications/initialized`.
    pub fn initialize(&mut self) -> anyhow::Result<Value> {
        let result = self.request(
            "initialize",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "yoi-bench", "version": env!("CARGO_PKG_VERSION")},
            }),
        )?;
        self.notify("notifications/initialized", json!({}))?;
        Ok(result)
    }

    /// The timed path: send `tools/call` of `tool` with `arguments` (JSON
    /// text) and wait for its reply, checking only that it is a result.
    pub fn call_tool(&mut self, tool: &str, arguments: &str) -> anyhow::Result<usize> {
        let id = self.next_id;
        self.next_id += 1;
        self.out.clear();
        writeln!(
            self.out,
            "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"{tool}\",\"arguments\":{arguments}}}}}"
        )?;
        let stdin = self.stdin.as_mut().context("stdin is closed")?;
        stdin.write_all(&self.out)?;
        let reply = self.read_reply()?;
        if !reply.contains("\"result\"") || reply.contains("\"isError\":true") {
            bail!("`tools/call {tool}` failed: {reply}");
        }
        Ok(reply.len())
    }

    /// The server's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Close stdin (the end of the session) and wait for the server to exit.
    pub fn close(mut self) -> anyhow::Result<ExitStatus> {
        drop(self.stdin.take());
        Ok(self.child.wait()?)
    }
}

impl Drop for StdioClient {
    /// Close stdin and give the server a second to exit on its own.
    fn drop(&mut self) {
        drop(self.stdin.take());
        for _ in 0..100 {
            match self.child.try_wait() {
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
                _ => return,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
