//! Concurrent calls on one plugin: each gets its own answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use yoi_runtime::CallErrorKind;

use crate::support::{Sandbox, call};

const CALLS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_get_their_own_results() {
    let sandbox = Sandbox::new();
    let plugin = Arc::new(sandbox.fixture("echo"));
    // Several rounds, so later rounds run on warm instances left by earlier ones.
    for round in 0..3 {
        let tasks: Vec<_> = (0..CALLS)
            .map(|i| {
                let plugin = plugin.clone();
                tokio::spawn(async move {
                    let text = format!("round {round} call {i}");
                    let input = serde_json::json!({ "text": text }).to_string();
                    let out = call(&plugin, "echo", &input)
                        .await
                        .unwrap_or_else(|e| panic!("call {i}: {e}"));
                    (text, out)
                })
            })
            .collect();
        for task in tasks {
            let (text, out) = task.await.expect("a call task panicked");
            assert_eq!(out.json(), Some(&serde_json::json!({ "text": text })));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_does_not_disturb_concurrent_calls() {
    let sandbox = Sandbox::new();
    let plugin = Arc::new(sandbox.fixture("hostile"));
    let mut tasks = Vec::new();
    for i in 0..CALLS {
        let plugin = plugin.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let err = call(&plugin, "panic", "{}")
                    .await
                    .expect_err("panic succeeded");
                assert_eq!(err.kind, CallErrorKind::Trap, "{err}");
                assert!(err.diagnostics.stderr.contains("hostile panic"));
            } else {
                let text = format!("call {i}");
                let input = serde_json::json!({ "text": text }).to_string();
                let out = call(&plugin, "echo", &input)
                    .await
                    .unwrap_or_else(|e| panic!("call {i}: {e}"));
                assert_eq!(out.json(), Some(&serde_json::json!({ "text": text })));
                assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
            }
        }));
    }
    for task in tasks {
        task.await.expect("a call task panicked");
    }
}

/// On a single-threaded executor, a spinning guest still lets other calls
/// run: the epoch makes it yield at every tick. Without the yield, `spin`
/// would hold the only thread until its deadline and `echo` could not finish
/// first. (An ordering, not a timing bound: `echo` needs no guest time to
/// speak of, `spin` never finishes on its own.)
#[tokio::test(flavor = "current_thread")]
async fn a_spinning_guest_does_not_starve_other_calls() {
    let sandbox = Sandbox::new();
    let plugin = Arc::new(sandbox.fixture("hostile"));
    let spin_done = Arc::new(AtomicBool::new(false));
    // Both run as tasks, spawned in this order: the executor polls `spin`
    // first, and `echo` only gets the thread when `spin` yields.
    let spinner = {
        let (plugin, spin_done) = (plugin.clone(), spin_done.clone());
        tokio::spawn(async move {
            let result = call(&plugin, "spin", "{}").await;
            spin_done.store(true, Ordering::SeqCst);
            result
        })
    };
    let echo = {
        let (plugin, spin_done) = (plugin.clone(), spin_done.clone());
        tokio::spawn(async move {
            let result = call(&plugin, "echo", crate::support::STILL_HERE).await;
            // Read here, not in the test body, which this executor may poll
            // only later.
            (result, spin_done.load(Ordering::SeqCst))
        })
    };
    let (out, spin_done_first) = echo.await.unwrap();
    let out = out.unwrap_or_else(|e| panic!("echo failed next to a spinning call: {e}"));
    assert_eq!(
        out.json(),
        Some(&serde_json::json!({ "text": "still here" }))
    );
    assert!(
        !spin_done_first,
        "echo only finished after the spinning call"
    );
    let err = spinner.await.unwrap().expect_err("spin succeeded");
    assert_eq!(err.kind, CallErrorKind::Timeout, "{err}");
}
