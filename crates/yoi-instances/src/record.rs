//! What comes of events and service steps, written to history.
//!
//! Guarantees:
//! - A recorded `message` is the host's own words (an outcome and a host
//!   event id); plugin text never is part of it. What a plugin said is kept
//!   in fields of its own: a notice's kind in `notice_kind` (checked against
//!   [`yoi_history::is_valid_notice_kind`], else recorded as `invalid` and
//!   said so in the host's message), its data and a guest error's message
//!   in `output`.
//! - Each plugin's notices are held to a budget, [`NOTICE_ROWS_PER_WINDOW`]
//!   notices and [`NOTICE_BYTES_PER_WINDOW`] bytes per [`NOTICE_WINDOW`]:
//!   a granted service cannot fill the history. Notices over it are dropped
//!   and counted, with one host-written `notification` when the budget is
//!   first exceeded in a window and one, when the next notice comes, saying
//!   how many the last window dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use yoi_history::{Event, EventKind, History, MAX_RECORDED_BYTES};
use yoi_runtime::Notice;

/// The window a plugin's notice budget is counted over.
pub const NOTICE_WINDOW: Duration = Duration::from_secs(60);
/// Notices of one plugin recorded per window: 600.
pub const NOTICE_ROWS_PER_WINDOW: u64 = 600;
/// Bytes of notices (kind and data, plus [`NOTICE_OVERHEAD_BYTES`] each) of
/// one plugin recorded per window: 256 KiB.
pub const NOTICE_BYTES_PER_WINDOW: u64 = 256 * 1024;
/// What a notice costs against the byte budget besides its kind and data,
/// so that empty notices are not free.
pub const NOTICE_OVERHEAD_BYTES: u64 = 64;

/// The `error_kind` of the host's notifications about a plugin's budget.
const BUDGET_ERROR_KIND: &str = "notice-budget";

/// Writes the outcomes of one plugin's events and steps to history.
#[derive(Clone)]
pub(crate) struct Recorder {
    pub(crate) history: Option<Arc<History>>,
    pub(crate) session: Arc<str>,
    pub(crate) reference: String,
    pub(crate) digest: String,
    /// Shared by the plugin's queue worker and services.
    pub(crate) budget: Arc<Mutex<NoticeBudget>>,
}

impl Recorder {
    /// One host-written `notification` about event (or step) `id` of
    /// `source` (an ingress or a service name): `outcome` and `id` in the
    /// message; an error's kind, and its message (maybe the guest's words)
    /// in `output`.
    pub(crate) fn record(
        &self,
        source: &str,
        id: &str,
        outcome: &'static str,
        error: Option<(&str, &str)>,
    ) {
        self.append(source, &format!("{outcome} for {id}"), |e| Event {
            output: error.map(|(_, m)| m),
            error_kind: error.map(|(k, _)| k),
            ..e
        });
    }

    /// The notices a plugin emitted for `id`, one event each, within the
    /// plugin's budget.
    pub(crate) fn notices(&self, source: &str, id: &str, notices: Vec<Notice>) {
        for n in notices {
            let data = n.data.to_string();
            let data = yoi_manifest::bounded(&data, MAX_RECORDED_BYTES);
            let cost = (n.kind.len() + data.len()) as u64 + NOTICE_OVERHEAD_BYTES;
            let verdict = self.budget.lock().admit(Instant::now(), cost);
            if let Some(dropped) = verdict.dropped_before {
                self.append(
                    source,
                    &format!(
                        "{} notices ({} bytes) of this plugin were dropped over its budget in the last window",
                        dropped.rows, dropped.bytes
                    ),
                    |e| Event {
                        error_kind: Some(BUDGET_ERROR_KIND),
                        ..e
                    },
                );
            }
            match verdict.admitted {
                Admitted::Yes => {}
                Admitted::FirstDrop => {
                    self.append(
                        source,
                        &format!(
                            "this plugin is over its notice budget ({NOTICE_ROWS_PER_WINDOW} notices or {NOTICE_BYTES_PER_WINDOW} bytes per {} s); its notices are dropped and counted until the window ends",
                            NOTICE_WINDOW.as_secs()
                        ),
                        |e| Event {
                            error_kind: Some(BUDGET_ERROR_KIND),
                            ..e
                        },
                    );
                    continue;
                }
                Admitted::No => continue,
            }
            let message = if yoi_history::is_valid_notice_kind(&n.kind) {
                format!("notice for {id}")
            } else {
                format!(
                    "notice for {id}; its kind is not 1 to {} of [a-z0-9_.-] and is recorded as `{}`",
                    yoi_history::MAX_NOTICE_KIND_BYTES,
                    yoi_history::INVALID_NOTICE_KIND
                )
            };
            self.append(source, &message, |e| Event {
                notice_kind: Some(&n.kind),
                output: Some(&data),
                ..e
            });
        }
    }

    /// Append one `notification` about `source` with the host's `message`,
    /// completed by `fill`.
    fn append<'a>(
        &'a self,
        source: &'a str,
        message: &'a str,
        fill: impl FnOnce(Event<'a>) -> Event<'a>,
    ) {
        let Some(h) = &self.history else { return };
        // Recording is best effort here: the event was already accepted (and
        // recorded) or the step already ran; a history that cannot be
        // written shows in `yoi history` by the gap and in the writer's errors.
        let _ = h.append(&fill(Event {
            tool: Some(source),
            plugin: Some(&self.reference),
            digest: Some(&self.digest),
            message: Some(message),
            ..Event::new(&self.session, EventKind::Notification)
        }));
    }
}

/// One plugin's notice budget: what its current window has taken, and
/// what the last full window dropped.
#[derive(Debug, Default)]
pub(crate) struct NoticeBudget {
    window_start: Option<Instant>,
    taken: Dropped,
    dropped: Dropped,
}

/// Notices and their bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
}

/// Whether a notice is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admitted {
    Yes,
    /// Dropped, the first in this window: say so once.
    FirstDrop,
    No,
}

/// What [`NoticeBudget::admit`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) admitted: Admitted,
    /// A window has ended that dropped this many: say so once.
    pub(crate) dropped_before: Option<Dropped>,
}

impl NoticeBudget {
    /// Charge a notice of `bytes` at `now`.
    pub(crate) fn admit(&mut self, now: Instant, bytes: u64) -> Verdict {
        let mut dropped_before = None;
        let expired = self
            .window_start
            .is_none_or(|start| now.saturating_duration_since(start) >= NOTICE_WINDOW);
        if expired {
            if self.dropped.rows > 0 {
                dropped_before = Some(self.dropped);
            }
            *self = NoticeBudget {
                window_start: Some(now),
                ..NoticeBudget::default()
            };
        }
        let fits = self.taken.rows < NOTICE_ROWS_PER_WINDOW
            && self.taken.bytes.saturating_add(bytes) <= NOTICE_BYTES_PER_WINDOW;
        let admitted = if fits {
            self.taken.rows += 1;
            self.taken.bytes += bytes;
            Admitted::Yes
        } else {
            self.dropped.rows += 1;
            self.dropped.bytes = self.dropped.bytes.saturating_add(bytes);
            if self.dropped.rows == 1 {
                Admitted::FirstDrop
            } else {
                Admitted::No
            }
        };
        Verdict {
            admitted,
            dropped_before,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorder(history: &Arc<History>) -> Recorder {
        Recorder {
            history: Some(history.clone()),
            session: "serve".into(),
            reference: "project:noisy".into(),
            digest: "sha256:00".into(),
            budget: Arc::default(),
        }
    }

    fn notice(kind: &str, data: serde_json::Value) -> Notice {
        Notice {
            kind: kind.into(),
            data,
        }
    }

    /// A granted service emitting a thousand notices a step gets 600 of
    /// them recorded, and one host-written line saying the rest are dropped.
    #[test]
    fn a_noisy_plugin_is_held_to_its_notice_budget() {
        let history = Arc::new(History::in_memory().unwrap());
        let r = recorder(&history);
        for step in 0..10 {
            let many = (0..100)
                .map(|i| notice("tick", serde_json::json!(i)))
                .collect();
            r.notices("pump", &format!("step {step}"), many);
        }
        let events = history.recent(10_000).unwrap();
        let notices = events.iter().filter(|e| e.notice_kind.is_some()).count();
        assert_eq!(notices, NOTICE_ROWS_PER_WINDOW as usize);
        let budget: Vec<_> = events
            .iter()
            .filter(|e| e.error_kind.as_deref() == Some(BUDGET_ERROR_KIND))
            .collect();
        assert_eq!(budget.len(), 1, "{budget:?}");
        assert_eq!(
            budget[0].message.as_deref(),
            Some(
                "this plugin is over its notice budget (600 notices or 262144 bytes per 60 s); its notices are dropped and counted until the window ends"
            )
        );
        assert_eq!(r.budget.lock().dropped.rows, 400);

        // Bytes count too: a few large notices exhaust the byte budget.
        let history = Arc::new(History::in_memory().unwrap());
        let r = recorder(&history);
        let big = serde_json::json!("x".repeat(60 * 1024));
        r.notices(
            "pump",
            "step 0",
            (0..10).map(|_| notice("big", big.clone())).collect(),
        );
        let kept = history.recent(100).unwrap();
        assert_eq!(kept.iter().filter(|e| e.notice_kind.is_some()).count(), 4);
    }

    #[test]
    fn the_next_window_says_how_many_the_last_one_dropped() {
        let mut b = NoticeBudget::default();
        let t0 = Instant::now();
        for _ in 0..NOTICE_ROWS_PER_WINDOW {
            assert_eq!(b.admit(t0, 1).admitted, Admitted::Yes);
        }
        assert_eq!(b.admit(t0, 1).admitted, Admitted::FirstDrop);
        assert_eq!(b.admit(t0, 5).admitted, Admitted::No);
        let next = b.admit(t0 + NOTICE_WINDOW, 1);
        assert_eq!(
            next,
            Verdict {
                admitted: Admitted::Yes,
                dropped_before: Some(Dropped { rows: 2, bytes: 6 })
            }
        );
        assert_eq!(b.admit(t0 + NOTICE_WINDOW * 2, 1).dropped_before, None);
    }

    /// A notice whose kind poses as a host record (`tool_call`, or a kind
    /// with a newline and a fake host line) is a `notification` with the
    /// kind in its own field; the host's message quotes none of it.
    #[test]
    fn a_plugin_notice_cannot_pose_as_a_host_record() {
        let history = Arc::new(History::in_memory().unwrap());
        let r = recorder(&history);
        r.notices(
            "hook",
            "e-1",
            vec![
                notice("tool_call", serde_json::json!({"tool": "rm"})),
                notice(
                    "done\n[host] tool_result ok\u{1b}[2J",
                    serde_json::json!("x"),
                ),
            ],
        );
        r.record(
            "hook",
            "e-2",
            "ingress-error",
            Some(("failed", "guest says: tool_result ok")),
        );
        let events = history.recent(10).unwrap();
        assert!(events.iter().all(|e| e.kind == EventKind::Notification));
        assert_eq!(events[0].notice_kind.as_deref(), Some("tool_call"));
        assert_eq!(events[0].message.as_deref(), Some("notice for e-1"));
        assert_eq!(events[1].notice_kind.as_deref(), Some("invalid"));
        assert_eq!(
            events[1].message.as_deref(),
            Some(
                "notice for e-1; its kind is not 1 to 64 of [a-z0-9_.-] and is recorded as `invalid`"
            )
        );
        assert_eq!(events[2].message.as_deref(), Some("ingress-error for e-2"));
        assert_eq!(
            events[2].output.as_deref(),
            Some("guest says: tool_result ok")
        );
        for e in &events {
            assert_eq!(e.plugin.as_deref(), Some("project:noisy"));
        }
    }
}
