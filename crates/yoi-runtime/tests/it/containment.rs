//! The hostile component: every attack ends in the exact typed error, and the
//! same `LoadedPlugin` serves a normal call right after.

use std::time::Instant;

use yoi_runtime::CallErrorKind;

use crate::support::{Sandbox, assert_still_serves, call, call_fresh, expect_error, test_limits};

const NO_INPUT: &str = "{}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spin_is_stopped_at_the_deadline() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    let start = Instant::now();
    let err = expect_error(
        &plugin,
        "spin",
        NO_INPUT,
        CallErrorKind::Timeout,
        "did not finish within 1000 ms",
    )
    .await;
    // Reported, not asserted: speed is a benchmark, never a timed test.
    println!(
        "spin stopped after {:?} (deadline {:?})",
        start.elapsed(),
        test_limits().deadline
    );
    assert!(err.diagnostics.stdout.is_empty());
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alloc_bomb_hits_the_memory_limit() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    expect_error(
        &plugin,
        "alloc_bomb",
        NO_INPUT,
        CallErrorKind::MemoryLimit,
        "past the limit",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_overflow_traps() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    expect_error(
        &plugin,
        "stack_overflow",
        NO_INPUT,
        CallErrorKind::Trap,
        "stack",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_is_a_trap_with_the_message_on_stderr() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    let err = expect_error(
        &plugin,
        "panic",
        NO_INPUT,
        CallErrorKind::Trap,
        "panic or abort",
    )
    .await;
    assert!(
        err.diagnostics.stderr.contains("hostile panic"),
        "the panic message should be captured on stderr: {:?}",
        err.diagnostics
    );
    assert!(!err.kind.is_guest_error());
    assert_still_serves(&plugin, "echo").await;
}

/// A million empty items are nothing in bytes; they are refused by their
/// number, and the plugin still serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_with_a_million_empty_items_is_refused_by_count() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    expect_error(
        &plugin,
        "many_items",
        NO_INPUT,
        CallErrorKind::OutputTooLarge,
        "the output has 1000000 content items; the limit is 1024",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_output_is_refused() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    expect_error(
        &plugin,
        "big_output",
        NO_INPUT,
        CallErrorKind::OutputTooLarge,
        &format!("the limit is {}", test_limits().max_output_bytes),
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_is_refused() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    expect_error(
        &plugin,
        "bad_json",
        NO_INPUT,
        CallErrorKind::BadOutput,
        "does not parse",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_utf8_is_refused() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    expect_error(
        &plugin,
        "bad_utf8",
        NO_INPUT,
        CallErrorKind::BadOutput,
        "not valid UTF-8",
    )
    .await;
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_passwd_finds_no_file_system() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    let err = match call(&plugin, "read_passwd", NO_INPUT).await {
        Ok(out) => panic!("the guest read /etc/passwd: {out:?}"),
        Err(e) => e,
    };
    assert_eq!(err.kind, CallErrorKind::Failed, "{err}");
    assert!(err.kind.is_guest_error());
    // No preopened directory: the path resolves to nothing at all.
    assert!(
        err.message.contains("No such file or directory"),
        "{:?}",
        err.message
    );
    for leaked in [
        &err.message,
        &err.diagnostics.stdout,
        &err.diagnostics.stderr,
    ] {
        assert!(
            !leaked.contains("root:"),
            "passwd content leaked: {leaked:?}"
        );
    }
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_vars_sees_no_environment_and_no_arguments() {
    // The test process has an environment (PATH, HOME, ...) to leak.
    assert!(std::env::vars_os().next().is_some());
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    let out = call(&plugin, "env_vars", NO_INPUT)
        .await
        .unwrap_or_else(|e| panic!("env_vars failed: {e}"));
    assert_eq!(
        out.json(),
        Some(&serde_json::json!({ "vars": [], "args": [] }))
    );
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_connect_has_no_network() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a local listener");
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();

    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    let input = serde_json::json!({ "addr": addr.to_string() }).to_string();
    let err = match call(&plugin, "tcp_connect", &input).await {
        Ok(out) => panic!("the guest connected to {addr}: {out:?}"),
        Err(e) => e,
    };
    assert_eq!(err.kind, CallErrorKind::Failed, "{err}");
    // TCP is switched off in the WASI context: refused before any connect.
    assert!(
        err.message.contains("Permission denied"),
        "{:?}",
        err.message
    );
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("the guest reached the host listener from {peer}"),
        Err(e) => panic!("accept failed unexpectedly: {e}"),
    }
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tool_is_not_found() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    let err = expect_error(
        &plugin,
        "no_such_tool",
        NO_INPUT,
        CallErrorKind::NotFound,
        "no_such_tool",
    )
    .await;
    assert!(err.kind.is_guest_error());
    assert_still_serves(&plugin, "echo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_input_is_refused_before_the_guest_runs() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    let limit = test_limits().max_input_bytes;
    let input = serde_json::json!({ "pad": "x".repeat(limit) }).to_string();
    assert!(input.len() > limit);
    // `spin` would time out if it ran at all; the input check comes first.
    let err = expect_error(
        &plugin,
        "spin",
        &input,
        CallErrorKind::InputTooLarge,
        &format!("the limit is {limit}"),
    )
    .await;
    assert!(err.diagnostics.is_empty());
    assert_still_serves(&plugin, "echo").await;

    // Exactly at the limit is accepted.
    let text = "y".repeat(limit - r#"{"text":""}"#.len());
    let input = serde_json::json!({ "text": text }).to_string();
    assert_eq!(input.len(), limit);
    let out = call(&plugin, "echo", &input)
        .await
        .expect("input at the limit");
    assert_eq!(out.json(), Some(&serde_json::json!({ "text": text })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_plugin_survives_every_attack_in_a_row() {
    // The same LoadedPlugin, attacked in sequence, with warm-instance reuse
    // between the attacks that leave the instance healthy.
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    let attacks = [
        ("spin", CallErrorKind::Timeout),
        ("alloc_bomb", CallErrorKind::MemoryLimit),
        ("stack_overflow", CallErrorKind::Trap),
        ("panic", CallErrorKind::Trap),
        ("big_output", CallErrorKind::OutputTooLarge),
        ("bad_json", CallErrorKind::BadOutput),
        ("bad_utf8", CallErrorKind::BadOutput),
        ("read_passwd", CallErrorKind::Failed),
    ];
    for (tool, kind) in attacks {
        let err = call(&plugin, tool, NO_INPUT)
            .await
            .expect_err("an attack succeeded");
        assert_eq!(err.kind, kind, "`{tool}`: {err}");
        assert_still_serves(&plugin, "echo").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_instances_are_contained_too() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    let err = call_fresh(&plugin, "panic", NO_INPUT)
        .await
        .expect_err("panic succeeded");
    assert_eq!(err.kind, CallErrorKind::Trap, "{err}");
    assert!(err.diagnostics.stderr.contains("hostile panic"));
    let err = call_fresh(&plugin, "spin", NO_INPUT)
        .await
        .expect_err("spin succeeded");
    assert_eq!(err.kind, CallErrorKind::Timeout, "{err}");
    let out = call_fresh(&plugin, "echo", crate::support::STILL_HERE)
        .await
        .unwrap_or_else(|e| panic!("fresh echo failed: {e}"));
    assert_eq!(
        out.json(),
        Some(&serde_json::json!({ "text": "still here" }))
    );
    assert_still_serves(&plugin, "echo").await;
}
