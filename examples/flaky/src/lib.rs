//! `flaky`: an instance-world fixture that fails on request, for the host's
//! lifecycle tests.
//!
//! | what | does |
//! |---|---|
//! | config `fail_start = true` | `start` returns an error |
//! | event `ok` | counted and answered with a notice |
//! | event `slow` (`{"ms": n}`) | spins for `n` ms, then as `ok` |
//! | event `trap` | panics: the instance traps and fails |
//! | tool `handled` | events handled since this instance started |
//! | service `broken` | every step fails |

use std::hint::black_box;
use std::time::{Duration, Instant};

use yoi_pdk::instance::{Event, Notice, Plugin, Step};
use yoi_pdk::{Json, NoInput, ToolError};

#[derive(Debug, Default)]
pub struct Flaky {
    handled: u64,
}

impl Plugin for Flaky {
    fn start(config: serde_json::Value) -> Result<Self, String> {
        if config.get("fail_start").and_then(|v| v.as_bool()) == Some(true) {
            return Err("configured to fail at start".into());
        }
        Ok(Flaky::default())
    }

    fn status(&self) -> serde_json::Value {
        serde_json::json!({ "handled": self.handled })
    }

    fn handle(&mut self, event: Event) -> Result<Vec<Notice>, String> {
        match event.kind.as_str() {
            "trap" => panic!("trap requested by event {}", event.id),
            "slow" => {
                let ms = event
                    .payload
                    .get("ms")
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0);
                let until = Instant::now() + Duration::from_millis(ms);
                let mut spins = 0u64;
                while Instant::now() < until {
                    spins = black_box(spins.wrapping_add(1));
                }
            }
            _ => {}
        }
        self.handled += 1;
        Ok(vec![Notice::new(
            "handled",
            &serde_json::json!({ "event": event.id, "handled": self.handled }),
        )])
    }

    fn run_service(&mut self, name: &str) -> Result<Step, String> {
        Err(format!("`{name}` fails on purpose"))
    }
}

/// Events handled since this instance started.
pub fn handled(flaky: &mut Flaky, _: NoInput) -> Result<Json<u64>, ToolError> {
    Ok(Json(flaky.handled))
}

yoi_pdk::export_instance!(Flaky, handled);
