//! Services: each granted service of an `instance`-world plugin gets a
//! runner that calls the service's `run` step, records the notices it
//! returns, and waits the delay the step asks for (clamped by the runtime)
//! before the next one. A service is granted on its own: an ungranted
//! service is never run, and the grant is asked again before every step.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use yoi_manifest::Surface;
use yoi_runtime::{CallErrorKind, LoadedPlugin};
use yoi_workspace::ResolvedPlugin;

use crate::instance::ServiceCounters;
use crate::record::Recorder;

/// Delay before a failed step of a service is tried again; it doubles with
/// each failure in a row, up to [`SERVICE_RETRY_MAX`], so that a service
/// whose instance is down (waiting out its restart backoff) fills history
/// with a handful of `service-error` events, not one a second.
const SERVICE_RETRY: Duration = Duration::from_secs(1);
const SERVICE_RETRY_MAX: Duration = Duration::from_secs(30);

/// Run steps of one service until told to stop.
pub(crate) async fn run(
    plugin: Arc<LoadedPlugin>,
    resolved: ResolvedPlugin,
    name: String,
    recorder: Recorder,
    counters: Arc<ServiceCounters>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    changed: Arc<tokio::sync::Notify>,
) {
    let mut retry = SERVICE_RETRY;
    loop {
        if *stop.borrow() {
            return;
        }
        let step = counters.runs.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("step {step}");
        let result = if resolved.allows(Surface::Service, &name) {
            plugin.run_service(&name).await
        } else {
            Err(yoi_runtime::CallError::new(
                CallErrorKind::NotGranted,
                format!("`{}` is not granted service `{name}`", resolved.qid),
            ))
        };
        changed.notify_one();
        let delay = match result {
            Ok(s) => {
                recorder.notices(&name, &id, s.notices);
                retry = SERVICE_RETRY;
                s.next_run
            }
            Err(e) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                *counters.last_error.lock() = Some(e.message.clone());
                recorder.record(
                    &name,
                    &id,
                    "service-error",
                    Some((e.kind.as_str(), &e.message)),
                );
                let delay = retry;
                retry = (retry * 2).min(SERVICE_RETRY_MAX);
                delay
            }
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return,
        }
    }
}
