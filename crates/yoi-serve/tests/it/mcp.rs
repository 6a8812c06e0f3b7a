//! `/mcp` inside the whole router keeps `yoi-mcp`'s DNS-rebinding checks.

use crate::support::{app, initialize, post_mcp};

#[tokio::test]
async fn hosts_and_origins_that_are_not_loopback_are_refused() {
    let app = app(None).await;
    let r = post_mcp(&app, &[("host", "evil.example:7717")], &initialize()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = post_mcp(&app, &[("origin", "http://evil.example")], &initialize()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = post_mcp(&app, &[("origin", "http://localhost:5173")], &initialize()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post_mcp(&app, &[], &initialize()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let messages = r.messages();
    let answer = messages.iter().find(|m| m["id"] == 1).unwrap();
    assert_eq!(
        answer["result"]["protocolVersion"], "2025-11-25",
        "{answer}"
    );
}
