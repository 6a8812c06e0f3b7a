//! `counter`: the instance-world example. One instance per enabled plugin
//! holds the count; the `increment` tool and the `tick` ingress both change
//! it, and the host's `/status` shows it.

use serde::{Deserialize, Serialize};
use yoi_pdk::instance::{Event, Notice, Plugin, Step};
use yoi_pdk::{Json, ToolError};

/// The instance's state.
#[derive(Debug, Default)]
pub struct Counter {
    count: u64,
    ticks: u64,
    /// Steps of the `autotick` service so far.
    auto: u64,
    /// Delay between `autotick` steps.
    autotick_ms: u64,
}

impl Plugin for Counter {
    /// Config: `start` sets the initial count, `autotick_ms` the delay
    /// between steps of the `autotick` service (default 1000).
    fn start(config: serde_json::Value) -> Result<Self, String> {
        let number = |key: &str, default: u64| match config.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .ok_or_else(|| format!("config `{key}` must be a non-negative integer")),
        };
        Ok(Counter {
            count: number("start", 0)?,
            autotick_ms: number("autotick_ms", 1000)?,
            ..Counter::default()
        })
    }

    fn status(&self) -> serde_json::Value {
        serde_json::json!({ "count": self.count, "ticks": self.ticks, "auto": self.auto })
    }

    /// `autotick`: adds one to the count at every step.
    fn run_service(&mut self, name: &str) -> Result<Step, String> {
        if name != "autotick" {
            return Err(format!("no service `{name}`"));
        }
        self.count += 1;
        self.auto += 1;
        Ok(
            Step::after(std::time::Duration::from_millis(self.autotick_ms)).with_notice(
                Notice::new("autoticked", &serde_json::json!({ "count": self.count })),
            ),
        )
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
