//! What comes of events and service steps, written to history.
//!
//! Plugin text (notice kinds and data, error messages) is recorded in the
//! fields of a `notification` event; it reaches nobody's context from here.

use std::sync::Arc;

use yoi_history::{Event, EventKind, History, MAX_RECORDED_BYTES};
use yoi_runtime::Notice;

/// Writes the outcomes of one plugin's events and steps to history.
#[derive(Clone)]
pub(crate) struct Recorder {
    pub(crate) history: Option<Arc<History>>,
    pub(crate) session: Arc<str>,
    pub(crate) reference: String,
    pub(crate) digest: String,
}

impl Recorder {
    /// One `notification` event about event (or step) `id` of `source`
    /// (an ingress or a service name).
    pub(crate) fn record(
        &self,
        source: &str,
        id: &str,
        kind: &str,
        output: Option<&str>,
        error: Option<(&str, &str)>,
    ) {
        let Some(h) = &self.history else { return };
        let message = match error {
            Some((_, m)) => format!("{kind} for {id}: {m}"),
            None => format!("{kind} for {id}"),
        };
        // Recording is best effort here: the event was already accepted (and
        // recorded) or the step already ran; a history that cannot be
        // written shows in `yoi history` by the gap and in the writer's errors.
        let _ = h.append(&Event {
            tool: Some(source),
            plugin: Some(&self.reference),
            digest: Some(&self.digest),
            output,
            error_kind: error.map(|(k, _)| k),
            message: Some(&message),
            ..Event::new(&self.session, EventKind::Notification)
        });
    }

    /// The notices a plugin emitted for `id`, one event each.
    pub(crate) fn notices(&self, source: &str, id: &str, notices: Vec<Notice>) {
        for n in notices {
            let data = n.data.to_string();
            let data = yoi_manifest::bounded(&data, MAX_RECORDED_BYTES);
            self.record(source, id, &n.kind, Some(&data), None);
        }
    }
}
