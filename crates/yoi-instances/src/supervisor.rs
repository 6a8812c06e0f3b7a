//! The supervisor: a failed stateful instance is started again once its
//! restart backoff has passed (the policy is `yoi_runtime`'s stateful
//! adapter's). Beside it, the status refresher keeps each plugin's status
//! snapshot fresh: every [`REFRESH_EVERY`], and soon after a state change
//! (at most one refresh per [`REFRESH_GAP`]), never waiting for a busy
//! instance. Both hold the registry weakly, so dropping the registry ends
//! them.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use yoi_runtime::InstanceState;

use crate::PluginInstanceRegistry;

/// How often the supervisor looks for failed instances to restart.
const SUPERVISE_EVERY: Duration = Duration::from_millis(250);

/// The longest a status snapshot goes without a refresh attempt.
const REFRESH_EVERY: Duration = Duration::from_secs(1);
/// The shortest time between two refreshes, however often state changes.
const REFRESH_GAP: Duration = Duration::from_millis(100);

pub(crate) async fn supervise(registry: Weak<PluginInstanceRegistry>, changed: Arc<Notify>) {
    loop {
        tokio::time::sleep(SUPERVISE_EVERY).await;
        let Some(registry) = registry.upgrade() else {
            return;
        };
        for instance in registry.instances() {
            let Ok(plugin) = instance.loaded() else {
                continue;
            };
            let life = plugin.lifecycle();
            if life.state == InstanceState::Failed && life.restart_in_ms.unwrap_or(0) == 0 {
                // A start error is recorded in the lifecycle and retried.
                let _ = plugin.start().await;
                changed.notify_one();
            }
        }
    }
}

pub(crate) async fn refresh(registry: Weak<PluginInstanceRegistry>, changed: Arc<Notify>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(REFRESH_EVERY) => {}
            () = changed.notified() => {}
        }
        let Some(registry) = registry.upgrade() else {
            return;
        };
        registry.refresh_statuses().await;
        drop(registry);
        tokio::time::sleep(REFRESH_GAP).await;
    }
}
