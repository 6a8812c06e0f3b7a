//! The legacy core-module ABI `yoi-plugin-wasm-1`: the real fixture, and
//! hostile modules written as WebAssembly text.

use yoi_runtime::{CallErrorKind, LoadedPlugin, RuntimeError};

use crate::support::{Sandbox, assert_still_serves, expect_error, legacy_package};

/// A module on the ABI whose `echo` tool (the only 4-byte tool name used
/// here) copies its input to its output, and whose every other tool runs
/// `misbehave`. `extra` adds module fields (data segments, more exports).
/// It exports `__data_end` and `__heap_base` globals, as real toolchains do.
fn module(pages: u32, extra: &str, misbehave: &str) -> String {
    format!(
        r#"(module
  (import "yoi" "tool_name_len" (func $tool_name_len (result i32)))
  (import "yoi" "input_len" (func $input_len (result i32)))
  (import "yoi" "input_read" (func $input_read (param i32)))
  (import "yoi" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") {pages})
  (global (export "__data_end") i32 (i32.const 4096))
  (global (export "__heap_base") i32 (i32.const 4096))
  {extra}
  (func (export "yoi_call") (result i32)
    (if (i32.eq (call $tool_name_len) (i32.const 4))
      (then
        (call $input_read (i32.const 4096))
        (call $output_write (i32.const 4096) (call $input_len))
        (return (i32.const 0))))
    {misbehave}))"#
    )
}

fn load(sandbox: &Sandbox, id: &str, wat: &str) -> LoadedPlugin {
    sandbox.load(id, &legacy_package(id, wat))
}

fn load_err(id: &str, wat: &str) -> RuntimeError {
    let sandbox = Sandbox::new();
    match sandbox.try_load(id, &legacy_package(id, wat)) {
        Ok(_) => panic!("`{id}` loaded but must be refused"),
        Err(e) => e,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_echo_fixture_works() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("legacy-echo");
    assert_still_serves(&plugin, "legacy_echo").await;
    let err = expect_error(
        &plugin,
        "echo",
        "{}",
        CallErrorKind::NotFound,
        "no tool named `echo`",
    )
    .await;
    assert!(err.kind.is_guest_error());
    expect_error(
        &plugin,
        "legacy_echo",
        r#"{"words":1}"#,
        CallErrorKind::InvalidInput,
        "invalid input",
    )
    .await;
    // A second call reuses the warm instance and still answers correctly.
    assert_still_serves(&plugin, "legacy_echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_function_exports_are_accepted() {
    let sandbox = Sandbox::new();
    let plugin = load(
        &sandbox,
        "extra-exports",
        &module(
            1,
            r#"(table (export "__indirect_function_table") 1 funcref)
               (global (export "counter") (mut i32) (i32.const 0))
               (func (export "helper"))"#,
            "(unreachable)",
        ),
    );
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_loop_times_out() {
    let sandbox = Sandbox::new();
    let plugin = load(
        &sandbox,
        "loop",
        &module(1, "", "(loop $spin (br $spin)) (unreachable)"),
    );
    expect_error(
        &plugin,
        "misbehave",
        "{}",
        CallErrorKind::Timeout,
        "did not finish within",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looping_start_function_times_out() {
    // The start function runs at instantiation, inside the call's deadline.
    let sandbox = Sandbox::new();
    let plugin = load(
        &sandbox,
        "start-loop",
        &module(
            1,
            "(func $start (loop $spin (br $spin))) (start $start)",
            "(unreachable)",
        ),
    );
    expect_error(
        &plugin,
        "echo",
        "{}",
        CallErrorKind::Timeout,
        "did not finish within",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_json_output_is_bad_output() {
    let sandbox = Sandbox::new();
    let plugin = load(
        &sandbox,
        "bad-json",
        &module(
            1,
            r#"(data (i32.const 16) "not json {")"#,
            "(call $output_write (i32.const 16) (i32.const 10)) (i32.const 0)",
        ),
    );
    expect_error(
        &plugin,
        "misbehave",
        "{}",
        CallErrorKind::BadOutput,
        "not valid JSON",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_error_message_is_kept_lossily() {
    let sandbox = Sandbox::new();
    let plugin = load(
        &sandbox,
        "bad-utf8",
        &module(
            1,
            r#"(data (i32.const 16) "bad \ff\fe\c3 message")"#,
            "(call $output_write (i32.const 16) (i32.const 15)) (i32.const 1)",
        ),
    );
    let err = expect_error(&plugin, "misbehave", "{}", CallErrorKind::Failed, "bad ").await;
    assert!(err.message.contains('\u{FFFD}'), "{:?}", err.message);
    assert!(err.message.ends_with(" message"), "{:?}", err.message);
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undefined_status_is_bad_output() {
    let sandbox = Sandbox::new();
    let plugin = load(&sandbox, "status-7", &module(1, "", "(i32.const 7)"));
    expect_error(
        &plugin,
        "misbehave",
        "{}",
        CallErrorKind::BadOutput,
        "returned 7",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_write_past_memory_traps() {
    let sandbox = Sandbox::new();
    let plugin = load(
        &sandbox,
        "oob",
        &module(
            1,
            "",
            "(call $output_write (i32.const 65500) (i32.const 100)) (i32.const 0)",
        ),
    );
    expect_error(
        &plugin,
        "misbehave",
        "{}",
        CallErrorKind::Trap,
        "out of bounds",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_read_past_memory_traps() {
    let sandbox = Sandbox::new();
    let plugin = load(
        &sandbox,
        "oob-read",
        &module(1, "", "(call $input_read (i32.const 65530)) (i32.const 0)"),
    );
    expect_error(
        &plugin,
        "misbehave",
        r#"{"text":"longer than six bytes"}"#,
        CallErrorKind::Trap,
        "out of bounds",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_over_the_limit_is_refused() {
    let sandbox = Sandbox::new();
    let limit = crate::support::test_limits().max_output_bytes;
    // 32 pages = 2 MiB: the range is inside memory, only the limit refuses it.
    let plugin = load(
        &sandbox,
        "big-output",
        &module(
            32,
            "",
            &format!(
                "(call $output_write (i32.const 0) (i32.const {})) (i32.const 0)",
                limit + 1
            ),
        ),
    );
    expect_error(
        &plugin,
        "misbehave",
        "{}",
        CallErrorKind::OutputTooLarge,
        "exceeds the limit",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_traps() {
    let sandbox = Sandbox::new();
    let plugin = load(&sandbox, "unreachable", &module(1, "", "(unreachable)"));
    expect_error(
        &plugin,
        "misbehave",
        "{}",
        CallErrorKind::Trap,
        "unreachable",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_growth_past_the_limit_is_a_memory_limit() {
    let sandbox = Sandbox::new();
    // 2000 pages = 125 MiB, past the 64 MiB test limit: `memory.grow`
    // returns -1, and the module traps on it.
    let plugin = load(
        &sandbox,
        "grow",
        &module(
            1,
            "",
            "(if (i32.eq (memory.grow (i32.const 2000)) (i32.const -1)) (then (unreachable))) (i32.const 0)",
        ),
    );
    expect_error(
        &plugin,
        "misbehave",
        "{}",
        CallErrorKind::MemoryLimit,
        "past the limit",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_growth_past_the_limit_is_a_memory_limit() {
    let sandbox = Sandbox::new();
    let limit = crate::support::test_limits().table_elements;
    let plugin = load(
        &sandbox,
        "table-grow",
        &module(
            1,
            "(table $t 1 funcref)",
            &format!(
                "(if (i32.eq (table.grow $t (ref.null func) (i32.const {limit})) (i32.const -1)) \
                   (then (unreachable))) (i32.const 0)"
            ),
        ),
    );
    expect_error(
        &plugin,
        "misbehave",
        "{}",
        CallErrorKind::MemoryLimit,
        "past the limit",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recursion_overflows_the_stack() {
    let sandbox = Sandbox::new();
    let plugin = load(
        &sandbox,
        "recurse",
        &module(
            1,
            "(func $recurse (param i64) (result i64) \
               (i64.add (call $recurse (i64.add (local.get 0) (i64.const 1))) (local.get 0)))",
            "(drop (call $recurse (i64.const 0))) (i32.const 0)",
        ),
    );
    expect_error(
        &plugin,
        "misbehave",
        "{}",
        CallErrorKind::Trap,
        "overflowed its stack",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_memory_past_the_limit_is_a_memory_limit() {
    // The module loads (nothing runs at load), but no instance fits the limit.
    let sandbox = Sandbox::new();
    let plugin = load(&sandbox, "huge-memory", &module(2000, "", "(unreachable)"));
    for _ in 0..2 {
        expect_error(
            &plugin,
            "echo",
            crate::support::STILL_HERE,
            CallErrorKind::MemoryLimit,
            "past the limit",
        )
        .await;
    }
}

#[test]
fn missing_yoi_call_is_a_bad_module() {
    let err = load_err(
        "no-call",
        r#"(module
             (memory (export "memory") 1)
             (global (export "__data_end") i32 (i32.const 0))
             (global (export "__heap_base") i32 (i32.const 0)))"#,
    );
    match &err {
        RuntimeError::BadLegacyModule { plugin, message } => {
            assert_eq!(plugin, "no-call");
            assert!(message.contains("yoi_call"), "{message}");
        }
        other => panic!("expected BadLegacyModule, got {other:?}"),
    }
}

#[test]
fn wrongly_typed_yoi_call_is_a_bad_module() {
    let err = load_err(
        "typed-call",
        r#"(module
             (memory (export "memory") 1)
             (func (export "yoi_call") (param i32) (result i32) (local.get 0)))"#,
    );
    assert!(
        matches!(&err, RuntimeError::BadLegacyModule { message, .. } if message.contains("yoi_call")),
        "{err:?}"
    );
}

#[test]
fn missing_memory_is_a_bad_module() {
    let err = load_err(
        "no-memory",
        r#"(module (func (export "yoi_call") (result i32) (i32.const 0)))"#,
    );
    assert!(
        matches!(&err, RuntimeError::BadLegacyModule { message, .. } if message.contains("memory")),
        "{err:?}"
    );
}

#[test]
fn wasi_import_is_unsupported() {
    let err = load_err(
        "wasi",
        r#"(module
             (import "yoi" "output_write" (func (param i32 i32)))
             (import "wasi_snapshot_preview1" "fd_write"
               (func (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (global (export "__data_end") i32 (i32.const 0))
             (global (export "__heap_base") i32 (i32.const 0))
             (func (export "yoi_call") (result i32) (i32.const 0)))"#,
    );
    match &err {
        RuntimeError::UnsupportedImport { plugin, import } => {
            assert_eq!(plugin, "wasi");
            assert_eq!(import, "wasi_snapshot_preview1::fd_write");
        }
        other => panic!("expected UnsupportedImport, got {other:?}"),
    }
}

#[test]
fn unknown_yoi_import_is_unsupported() {
    let err = load_err(
        "yoi-extra",
        r#"(module
             (import "yoi" "http_get" (func (param i32 i32) (result i32)))
             (memory (export "memory") 1)
             (func (export "yoi_call") (result i32) (i32.const 0)))"#,
    );
    assert!(
        matches!(&err, RuntimeError::UnsupportedImport { import, .. } if import == "yoi::http_get"),
        "{err:?}"
    );
}

#[test]
fn imported_memory_is_unsupported() {
    let err = load_err(
        "yoi-memory",
        r#"(module
             (import "yoi" "memory" (memory 1))
             (func (export "yoi_call") (result i32) (i32.const 0)))"#,
    );
    assert!(
        matches!(&err, RuntimeError::UnsupportedImport { import, .. } if import == "yoi::memory"),
        "{err:?}"
    );
}

#[test]
fn wrongly_typed_abi_import_is_a_bad_module() {
    let err = load_err(
        "typed-import",
        r#"(module
             (import "yoi" "input_read" (func (param i64)))
             (memory (export "memory") 1)
             (func (export "yoi_call") (result i32) (i32.const 0)))"#,
    );
    assert!(
        matches!(&err, RuntimeError::BadLegacyModule { message, .. } if message.contains("input_read")),
        "{err:?}"
    );
}

/// A table whose *initial* size is past the limit never runs. With the
/// pooling allocator (the normal engine) the module is refused at load,
/// since no table slot holds it; with the on-demand fallback, every call is
/// a memory limit, as for an initial memory past the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_table_past_the_limit_never_runs() {
    let limit = crate::support::test_limits().table_elements;
    let sandbox = Sandbox::new();
    let id = "huge-table";
    let wat = module(
        1,
        &format!("(table $t {} funcref)", limit + 1),
        "(i32.const 0)",
    );
    match sandbox.try_load(id, &legacy_package(id, &wat)) {
        Ok(plugin) => {
            expect_error(
                &plugin,
                "echo",
                crate::support::STILL_HERE,
                CallErrorKind::MemoryLimit,
                "past the limit",
            )
            .await;
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("`huge-table`"), "{message}");
            assert!(
                message.contains(&format!("minimum element size of {}", limit + 1)),
                "{message}"
            );
        }
    }
}
