//! The event queue of one stateful plugin and the worker that drains it.
//!
//! An accepted event is recorded in history before it is queued; the queue
//! is bounded ([`crate::QUEUE_LEN`]), and a full queue refuses new events as
//! busy, so nothing already accepted is lost. The worker delivers events in
//! order and records exactly one outcome for each: what the plugin emitted
//! (`notification` events), `handled`, `ingress-error`, or `not-handled`
//! when the host stopped first.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::mpsc;
use yoi_runtime::{IngressEvent, LoadedPlugin};

use crate::instance::{Counters, Snapshot};
use crate::record::Recorder;

/// After this instant (set at shutdown), events still queued are recorded
/// as not handled instead of being delivered.
pub(crate) type HandleUntil = Arc<Mutex<Option<Instant>>>;

/// Deliver queued events in order, recording what comes of each.
pub(crate) async fn work(
    plugin: Arc<LoadedPlugin>,
    mut rx: mpsc::Receiver<IngressEvent>,
    recorder: Recorder,
    counters: Arc<Counters>,
    handle_until: HandleUntil,
    snapshot: Arc<Snapshot>,
) {
    while let Some(event) = rx.recv().await {
        let (ingress, id) = (event.ingress.clone(), event.id.clone());
        let past = handle_until.lock().is_some_and(|t| Instant::now() >= t);
        if past {
            counters.failed.fetch_add(1, Ordering::Relaxed);
            recorder.record(
                &ingress,
                &id,
                "not-handled",
                Some(("shutdown", "the host stopped before the event was handled")),
            );
            continue;
        }
        let outcome = plugin.handle_event(event).await;
        // The status after this event, before it is counted handled.
        crate::report::take_snapshot(&plugin, &snapshot).await;
        match outcome {
            Ok(notices) => {
                counters.handled.fetch_add(1, Ordering::Relaxed);
                if notices.is_empty() {
                    recorder.record(&ingress, &id, "handled", None);
                }
                recorder.notices(&ingress, &id, notices);
            }
            Err(e) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                recorder.record(
                    &ingress,
                    &id,
                    "ingress-error",
                    Some((e.kind.as_str(), &e.message)),
                );
            }
        }
    }
}
