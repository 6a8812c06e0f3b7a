//! `hostile`: a yoi tool plugin that misbehaves on purpose.
//!
//! Each tool attacks one sandbox guarantee; the host's tests call it and assert
//! the exact typed error (a trap, a limit, a refused output) and that the
//! plugin, or a fresh instance of it, still serves `echo` afterwards. None of
//! these tools is a bug to fix: each must keep doing the bad thing reliably, so
//! the optimizer is kept from removing the loops, allocations and recursion.
//!
//! | tool | does | the host must |
//! |---|---|---|
//! | `spin` | loops forever | stop it at the deadline |
//! | `alloc_bomb` | allocates 1 MiB blocks without end | stop it at the memory limit |
//! | `stack_overflow` | recurses without end | trap on stack exhaustion |
//! | `panic` | panics | report a trap, not a tool error |
//! | `big_output` | returns 16 MiB of text | refuse the oversized output |
//! | `bad_json` | returns JSON content that does not parse | refuse it |
//! | `bad_utf8` | returns text content that is not UTF-8 | refuse to lift it |
//! | `read_passwd` | reads `/etc/passwd` | have no file for it to read |
//! | `env_vars` | lists its environment and arguments | give it none |
//! | `tcp_connect` | connects to `{"addr": ...}` | give it no network |
//! | `print_flood` | writes 8 MiB each to stdout and stderr | bound and capture both |
//! | `many_items` | returns a million empty text items | refuse them by count |
//! | `echo` | echoes `{"text": ...}` | still serve it afterwards |

use std::hint::black_box;
use std::io::Write;

use serde::{Deserialize, Serialize};
use yoi_pdk::{Json, NoInput, Output, ToolError};

/// Loops forever without calling the host.
pub fn spin(_: NoInput) -> Result<Output, ToolError> {
    let mut turns = 0u64;
    loop {
        turns = black_box(turns.wrapping_add(1));
    }
}

/// Allocates and touches 1 MiB blocks, keeping them all, until an allocation
/// fails (which aborts).
pub fn alloc_bomb(_: NoInput) -> Result<Output, ToolError> {
    const BLOCK: usize = 1 << 20;
    const PAGE: usize = 4096;
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; BLOCK];
        for byte in block.iter_mut().step_by(PAGE) {
            *byte = 1;
        }
        hoard.push(black_box(block));
        black_box(&hoard);
    }
}

/// Recurses without end until the engine's call stack is exhausted.
pub fn stack_overflow(_: NoInput) -> Result<Output, ToolError> {
    Ok(Output::text(recurse(0).to_string()))
}

/// Each frame needs its own `depth` after the call returns, so the recursion
/// cannot become a loop; the opaque base case is never reached but keeps the
/// function from being `!`. The frame lives in wasm locals only, not on the
/// shadow stack in linear memory, so what runs out is the engine's call stack
/// (a stack-overflow trap) rather than linear memory (an out-of-bounds trap).
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return 0;
    }
    let next = recurse(depth + 1);
    next.rotate_left(7) ^ depth
}

/// Panics.
pub fn panic(_: NoInput) -> Result<Output, ToolError> {
    panic!("hostile panic")
}

/// Returns 16 MiB of text.
pub fn big_output(_: NoInput) -> Result<Output, ToolError> {
    Ok(Output::text("x".repeat(16 << 20)))
}

/// Returns a million empty text items: nothing in bytes, much in shape.
pub fn many_items(_: NoInput) -> Result<Output, ToolError> {
    let mut out = Output::new();
    for _ in 0..black_box(1_000_000) {
        out = out.with_text(String::new());
    }
    Ok(out)
}

/// Returns JSON content that is not JSON.
pub fn bad_json(_: NoInput) -> Result<Output, ToolError> {
    Ok(Output::raw_json_text("not json {"))
}

/// Returns text content that is not UTF-8.
#[allow(unsafe_code)]
pub fn bad_utf8(_: NoInput) -> Result<Output, ToolError> {
    // SAFETY: deliberately violated. The string is never read as `str` on
    // this side, only moved into the output, whose bytes the canonical ABI
    // hands to the host as they are; the host must refuse to lift them.
    let text = unsafe { String::from_utf8_unchecked(vec![b'o', b'k', 0xff, 0xfe, 0xc3]) };
    Ok(Output::text(text))
}

/// Reads `/etc/passwd`; an I/O error becomes a `failed` tool error.
pub fn read_passwd(_: NoInput) -> Result<Output, ToolError> {
    Ok(Output::text(std::fs::read_to_string("/etc/passwd")?))
}

#[derive(Serialize)]
pub struct Env {
    pub vars: Vec<(String, String)>,
    pub args: Vec<String>,
}

/// Returns `{"vars": [[k, v], ...], "args": [...]}`.
pub fn env_vars(_: NoInput) -> Result<Json<Env>, ToolError> {
    let vars = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let args = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    Ok(Json(Env { vars, args }))
}

#[derive(Deserialize)]
pub struct TcpConnectInput {
    pub addr: String,
}

/// Opens a TCP connection to `addr`; an I/O error becomes a `failed` tool error.
pub fn tcp_connect(input: TcpConnectInput) -> Result<Output, ToolError> {
    std::net::TcpStream::connect(input.addr.as_str())?;
    Ok(Output::text("connected"))
}

/// Writes 8 MiB to stdout and 8 MiB to stderr, ignoring write errors.
pub fn print_flood(_: NoInput) -> Result<Output, ToolError> {
    const TOTAL: usize = 8 << 20;
    let mut line = [b'x'; 64 * 1024];
    line[line.len() - 1] = b'\n';
    let chunks = TOTAL / line.len();

    let mut stdout = std::io::stdout().lock();
    for _ in 0..chunks {
        let _ = stdout.write_all(&line);
    }
    let _ = stdout.flush();
    let mut stderr = std::io::stderr().lock();
    for _ in 0..chunks {
        let _ = stderr.write_all(&line);
    }
    let _ = stderr.flush();
    Ok(Output::text("done"))
}

#[derive(Deserialize)]
pub struct EchoInput {
    pub text: String,
}

#[derive(Serialize)]
pub struct EchoOutput {
    pub text: String,
}

/// Returns `{"text": <the text>}`, like the `echo` example.
pub fn echo(input: EchoInput) -> Result<Json<EchoOutput>, ToolError> {
    Ok(Json(EchoOutput { text: input.text }))
}

yoi_pdk::export_tools!(
    spin,
    alloc_bomb,
    stack_overflow,
    panic,
    big_output,
    many_items,
    bad_json,
    bad_utf8,
    read_passwd,
    env_vars,
    tcp_connect,
    print_flood,
    echo,
);
