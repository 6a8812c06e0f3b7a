//! `counter`: the instance-world example. One instance per enabled plugin
//! holds the count; the `increment` tool and the `tick` ingress both change
//! it, and the host's `/status` shows it.

use serde::{Deserialize, Serialize};
use yoi_pdk::instance::{Event, Notice, Plugin};
use yoi_pdk::{Json, ToolError};

/// The instance's state.
#[derive(Debug, Default)]
pub struct Counter {
    count: u64,
    ticks: u64,
}

impl Plugin for Counter {
    /// Config: `start` (optional) sets the initial count.
    fn start(config: serde_json::Value) -> Result<Self, String> {
        let count = match config.get("start") {
            None => 0,
            Some(v) => v
                .as_u64()
                .ok_or_else(|| "config `start` must be a non-negative integer".to_owned())?,
        };
        Ok(Counter { count, ticks: 0 })
    }

    fn status(&self) -> serde_json::Value {
        serde_json::json!({ "count": self.count, "ticks": self.ticks })
    }

    fn handle(&mut self, event: Event) -> Result<Vec<Notice>, String> {
        self.count += 1;
        self.ticks += 1;
        Ok(vec![Notice::new(
            "counted",
            &serde_json::json!({ "count": self.count, "event": event.id }),
        )])
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncrementInput {
    #[serde(default = "one")]
    pub by: u64,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Count {
    pub count: u64,
}

/// Adds `by` (default 1) and returns the new count.
pub fn increment(counter: &mut Counter, input: IncrementInput) -> Result<Json<Count>, ToolError> {
    counter.count = counter.count.saturating_add(input.by);
    Ok(Json(Count {
        count: counter.count,
    }))
}

yoi_pdk::export_instance!(Counter, increment);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_and_events_share_the_count() {
        let mut c = Counter::start(serde_json::json!({"start": 5})).unwrap();
        let Json(out) = increment(&mut c, IncrementInput { by: 2 }).unwrap();
        assert_eq!(out.count, 7);
        let event = Event {
            ingress: "tick".into(),
            kind: "tick".into(),
            id: "1".into(),
            payload: serde_json::json!({}),
        };
        c.handle(event).unwrap();
        assert_eq!(c.status()["count"], 8);
    }
}
