//! `legacy_echo`: a yoi tool plugin on the legacy raw ABI `yoi-plugin-wasm-1`.
//!
//! A plain core module for `wasm32-unknown-unknown`, without WASI and without
//! the PDK. The ABI, all values `i32`:
//!
//! - exports `memory` and `yoi_call() -> i32`;
//! - imports from module `yoi`: `tool_name_len() -> i32`, `tool_name_read(ptr)`,
//!   `input_len() -> i32`, `input_read(ptr)` (the host copies the tool name or
//!   the input JSON into guest memory at `ptr`) and `output_write(ptr, len)`
//!   (the guest hands over its output; a later call replaces an earlier one);
//! - `yoi_call` returns `0` with a JSON result, `1` (failed), `2`
//!   (invalid-input) or `3` (not-found) with a UTF-8 message.
//!
//! The logic is [`call`], plain Rust that is tested on the host; only the
//! `abi` module, compiled for wasm alone, touches raw memory.

use serde::{Deserialize, Serialize};

/// The only tool this plugin has.
pub const TOOL_NAME: &str = "legacy_echo";

/// Error messages are cut to this many bytes.
const MAX_MESSAGE_BYTES: usize = 4096;

/// What `yoi_call` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Status {
    /// The output is the JSON result.
    Ok = 0,
    /// The tool failed; the output is a message.
    Failed = 1,
    /// The input was refused; the output is a message.
    InvalidInput = 2,
    /// No tool by that name; the output is a message.
    NotFound = 3,
}

#[derive(Deserialize)]
struct EchoInput {
    text: String,
}

#[derive(Serialize)]
struct EchoOutput<'a> {
    text: &'a str,
}

/// Handles one call: the tool name and input JSON in, a status and the output
/// bytes out.
pub fn call(tool: &[u8], input: &[u8]) -> (Status, Vec<u8>) {
    if tool != TOOL_NAME.as_bytes() {
        let tool = String::from_utf8_lossy(tool);
        return message(Status::NotFound, format!("no tool named `{tool}`"));
    }
    let input: EchoInput = match serde_json::from_slice(input) {
        Ok(input) => input,
        Err(err) => return message(Status::InvalidInput, format!("invalid input: {err}")),
    };
    match serde_json::to_vec(&EchoOutput { text: &input.text }) {
        Ok(json) => (Status::Ok, json),
        Err(err) => message(Status::Failed, format!("cannot encode output: {err}")),
    }
}

/// A status with a message bounded to [`MAX_MESSAGE_BYTES`] on a char boundary.
fn message(status: Status, mut text: String) -> (Status, Vec<u8>) {
    text.truncate(text.floor_char_boundary(MAX_MESSAGE_BYTES));
    (status, text.into_bytes())
}

/// The `yoi-plugin-wasm-1` glue: imports, the `yoi_call` export, and the copies
/// between host and guest memory.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod abi {
    #[link(wasm_import_module = "yoi")]
    unsafe extern "C" {
        fn tool_name_len() -> i32;
        fn tool_name_read(ptr: *mut u8);
        fn input_len() -> i32;
        fn input_read(ptr: *mut u8);
        fn output_write(ptr: *const u8, len: i32);
    }

    #[unsafe(no_mangle)]
    extern "C" fn yoi_call() -> i32 {
        // SAFETY: each buffer is allocated with exactly the length the host
        // reported just before, so the host's copy stays inside it.
        let tool = unsafe {
            let mut buf = zeroed(tool_name_len());
            tool_name_read(buf.as_mut_ptr());
            buf
        };
        let input = unsafe {
            let mut buf = zeroed(input_len());
            input_read(buf.as_mut_ptr());
            buf
        };
        let (status, output) = super::call(&tool, &input);
        // A wasm32 allocation is always shorter than `i32::MAX` bytes.
        let len = i32::try_from(output.len()).unwrap_or(i32::MAX);
        // SAFETY: `output` is live for the call; the host copies it out.
        unsafe { output_write(output.as_ptr(), len) };
        status as i32
    }

    /// A zeroed buffer of the length the host reported; a negative length is
    /// a host bug and reads as empty.
    fn zeroed(len: i32) -> Vec<u8> {
        vec![0; usize::try_from(len).unwrap_or(0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(out: &[u8]) -> &str {
        std::str::from_utf8(out).unwrap()
    }

    #[test]
    fn echoes_as_json() {
        let (status, out) = call(b"legacy_echo", br#"{"text":"a \"quoted\" h\u00e9llo"}"#);
        assert_eq!(status, Status::Ok);
        assert_eq!(text(&out), r#"{"text":"a \"quoted\" héllo"}"#);
        let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed["text"], "a \"quoted\" héllo");
    }

    #[test]
    fn unknown_tool_is_not_found() {
        let (status, out) = call(b"echo", b"{}");
        assert_eq!(status, Status::NotFound);
        assert_eq!(text(&out), "no tool named `echo`");
    }

    #[test]
    fn bad_input_is_invalid_input() {
        let (status, out) = call(b"legacy_echo", br#"{"text": 1}"#);
        assert_eq!(status, Status::InvalidInput);
        assert!(text(&out).starts_with("invalid input: invalid type: integer `1`"));

        let (status, _) = call(b"legacy_echo", b"not json");
        assert_eq!(status, Status::InvalidInput);
    }

    #[test]
    fn messages_are_bounded() {
        let (status, out) = call("é".repeat(5000).as_bytes(), b"{}");
        assert_eq!(status, Status::NotFound);
        // 15 ASCII bytes, then two-byte chars: the cut lands one byte early.
        assert_eq!(out.len(), MAX_MESSAGE_BYTES - 1);
        assert!(text(&out).starts_with("no tool named `éé"));
    }
}
