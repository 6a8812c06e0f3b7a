//! Guest stdout/stderr: captured, bounded, and never the host's own.

use std::process::Command;

use yoi_runtime::LoadedPlugin;

use crate::support::{Sandbox, assert_still_serves, call, test_limits};

/// What the child prints itself, so the parent knows it captured the right stream.
const CHILD_MARKER: &str = "print-flood-child: call returned";

/// `print_flood` writes 8 MiB to each stream; the call succeeds, each capture
/// holds at most the bound, and the rest is counted as dropped.
async fn flood(plugin: &LoadedPlugin) {
    let bound = test_limits().max_diagnostic_bytes;
    let out = call(plugin, "print_flood", "{}")
        .await
        .unwrap_or_else(|e| panic!("print_flood failed: {e}"));
    assert_eq!(
        out.content,
        vec![yoi_runtime::Content::Text {
            text: "done".into()
        }]
    );
    let d = &out.diagnostics;
    assert!(
        d.stdout.len() <= bound,
        "stdout kept {} bytes",
        d.stdout.len()
    );
    assert!(
        d.stderr.len() <= bound,
        "stderr kept {} bytes",
        d.stderr.len()
    );
    assert!(d.stdout.starts_with("xxxx"), "stdout not captured");
    assert!(d.stderr.starts_with("xxxx"), "stderr not captured");
    // 16 MiB were written in all; everything past the two bounds is counted.
    assert_eq!(d.dropped_bytes, (16u64 << 20) - 2 * bound as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_flood_is_bounded_and_captured() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    flood(&plugin).await;
    assert_still_serves(&plugin, "echo").await;
    // The next call on the reused instance starts with empty diagnostics.
    let out = call(&plugin, "echo", crate::support::STILL_HERE)
        .await
        .unwrap();
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
}

/// The flood again, for [`print_flood_never_reaches_host_stdout`] to run in a
/// child process; ignored in the normal run, which covers it already.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "helper: run by print_flood_never_reaches_host_stdout in a child process"]
async fn print_flood_child() {
    let sandbox = Sandbox::new();
    let plugin = sandbox.fixture("hostile");
    flood(&plugin).await;
    println!("{CHILD_MARKER}");
}

/// The host's real stdout (an MCP stdio stream, in production) sees none of
/// what the guest printed. The flood runs in a child process with test
/// output capture off, so anything written to the process's fd 1 or 2 shows
/// up in what the parent reads.
#[test]
fn print_flood_never_reaches_host_stdout() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = Command::new(exe)
        .args([
            "--exact",
            "stdio::print_flood_child",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("running the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // First what must never happen, so that a leak is reported as such even
    // when it also made the child's own assertions fail.
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !text.contains("xxxxxxxx"),
            "guest output reached the host's {name} ({} bytes): {}",
            text.len(),
            yoi_manifest::bounded(text, 400)
        );
    }
    assert!(
        output.status.success(),
        "the child failed: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        yoi_manifest::bounded(&stdout, 4000),
        yoi_manifest::bounded(&stderr, 4000)
    );
    assert!(
        stdout.contains(CHILD_MARKER),
        "the child did not run the flood: {}",
        yoi_manifest::bounded(&stdout, 4000)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test: {stdout}"
    );
}
