//! `webhook`: an ingress-only instance plugin. Each accepted delivery becomes
//! a `webhook` notice, which the host records as a visible history event;
//! nothing reaches a model's context unless someone reads the history.

use yoi_pdk::instance::{Event, Notice, Plugin};

/// Counts deliveries by kind.
#[derive(Debug, Default)]
pub struct Webhook {
    received: std::collections::BTreeMap<String, u64>,
}

impl Plugin for Webhook {
    fn start(_config: serde_json::Value) -> Result<Self, String> {
        Ok(Webhook::default())
    }

    fn status(&self) -> serde_json::Value {
        serde_json::json!({ "received": self.received })
    }

    fn handle(&mut self, event: Event) -> Result<Vec<Notice>, String> {
        *self.received.entry(event.kind.clone()).or_default() += 1;
        let summary = event
            .payload
            .get("summary")
            .and_then(|s| s.as_str())
            .unwrap_or_default();
        Ok(vec![Notice::new(
            "webhook",
            &serde_json::json!({
                "event": event.id,
                "kind": event.kind,
                "summary": summary,
                "source": event.payload.get("source"),
            }),
        )])
    }
}

yoi_pdk::export_instance!(Webhook);
