//! The supervisor: a failed stateful instance is started again once its
//! restart backoff has passed (the policy is `yoi_runtime`'s stateful
//! adapter's). It holds the registry weakly, so dropping the registry ends it.

use std::sync::Weak;
use std::time::Duration;

use yoi_runtime::InstanceState;

use crate::PluginInstanceRegistry;

/// How often the supervisor looks for failed instances to restart.
const SUPERVISE_EVERY: Duration = Duration::from_millis(250);

pub(crate) async fn supervise(registry: Weak<PluginInstanceRegistry>) {
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
            }
        }
    }
}
