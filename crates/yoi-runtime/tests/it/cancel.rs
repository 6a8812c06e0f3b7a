//! Cancelling a call on a stateful instance: the future running guest code
//! is dropped mid-call (what an MCP `notifications/cancelled` or a closed
//! connection does). The instance is never handed back half-changed nor
//! silently replaced: it is recorded as failed, with a `cancelled`
//! diagnostic, and the restart that follows is counted.

use std::time::Duration;

use yoi_runtime::{Content, IngressEvent, InstanceState, Limits};

use crate::support::{Sandbox, test_limits};

fn event(kind: &str, id: &str, payload: &str) -> IngressEvent {
    IngressEvent {
        ingress: "work".into(),
        kind: kind.into(),
        id: id.into(),
        payload: payload.into(),
    }
}

async fn handled(plugin: &yoi_runtime::LoadedPlugin) -> serde_json::Value {
    let out = crate::support::call(plugin, "handled", "{}")
        .await
        .expect("`handled` answers");
    match &out.content[..] {
        [Content::Json { json }] => json.clone(),
        [Content::Text { text }] => serde_json::from_str(text).unwrap(),
        other => panic!("unexpected content {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_stateful_call_is_visible_as_a_failure() {
    let sandbox = Sandbox::with_limits(Limits {
        deadline: Duration::from_secs(10),
        ..test_limits()
    });
    let plugin = sandbox.fixture("flaky");
    plugin.start().await.unwrap();
    plugin.handle_event(event("ok", "1", "{}")).await.unwrap();
    assert_eq!(handled(&plugin).await, 1);
    let before = plugin.lifecycle();

    // The caller gives up 300 ms into a 2 s event: its future is dropped
    // with the guest mid-loop.
    let cancelled = tokio::time::timeout(
        Duration::from_millis(300),
        plugin.handle_event(event("slow", "2", r#"{"ms": 2000}"#)),
    )
    .await;
    assert!(cancelled.is_err(), "the slow event finished: {cancelled:?}");

    let life = plugin.lifecycle();
    assert_eq!(life.state, InstanceState::Failed, "{life:?}");
    assert_eq!(life.calls, before.calls + 1, "{life:?}");
    assert_eq!(life.errors, before.errors + 1, "{life:?}");
    assert_eq!(
        life.diagnostics.last().map(String::as_str),
        Some(
            "cancelled: the call was dropped mid-call; the instance was discarded and a fresh one is started"
        ),
        "{life:?}"
    );
    assert!(life.restart_in_ms.is_some(), "{life:?}");

    // After the backoff the restart path starts a fresh instance, counted:
    // the count is 0 again, and `restarts` says why.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(handled(&plugin).await, 0);
    let life = plugin.lifecycle();
    assert_eq!(life.state, InstanceState::Running, "{life:?}");
    assert_eq!(life.restarts, before.restarts + 1, "{life:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cancelled_while_waiting_for_the_instance_changes_nothing() {
    let sandbox = Sandbox::with_limits(Limits {
        deadline: Duration::from_secs(10),
        ..test_limits()
    });
    let plugin = std::sync::Arc::new(sandbox.fixture("flaky"));
    plugin.start().await.unwrap();
    let busy = {
        let plugin = plugin.clone();
        tokio::spawn(async move {
            plugin
                .handle_event(event("slow", "1", r#"{"ms": 600}"#))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Queued behind the slow event, never started: nothing to discard.
    let waited = tokio::time::timeout(Duration::from_millis(100), handled(&plugin)).await;
    assert!(waited.is_err());
    busy.await.unwrap().unwrap();
    assert_eq!(handled(&plugin).await, 1);
    let life = plugin.lifecycle();
    assert_eq!(life.state, InstanceState::Running, "{life:?}");
    assert_eq!((life.errors, life.restarts), (0, 0), "{life:?}");
}
